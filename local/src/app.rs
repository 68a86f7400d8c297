//! The six functions in one process, as the local server and the tests run them.

use std::time::Duration;

use accept_invite::AcceptInvite;
use create_invite::CreateInvite;
use delete_invite::DeleteInvite;
use invites_shared::aws;
use invites_shared::config::{AuthConfig, AwsClientConfig, Env, FunctionSettings};
use invites_shared::domain::Clock;
use invites_shared::runtime::{self, DEFAULT_TIMEOUT};
use invites_shared::state::StartupError;
use invites_shared::store::Store;
use lambda_http::{Body, Request, Response};
use list_invites::ListInvites;
use preview_invite::PreviewInvite;
use update_invite::UpdateInvite;

use invites_shared::routes::Route;

/// The SDK clients the functions share in the local process.
#[derive(Clone)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub ses: aws_sdk_ses::Client,
}

impl Clients {
    /// Clients configured from the standard AWS variables, as the functions configure theirs.
    pub async fn from_env() -> Self {
        let sdk = aws::load_sdk_config(&AwsClientConfig::default()).await;
        Self {
            dynamodb: aws::dynamodb_client(&sdk),
            ses: create_invite::mail::ses_client(&sdk),
        }
    }
}

/// Each function's state, read from one environment.
pub struct LocalApp {
    pub create: CreateInvite,
    pub list: ListInvites,
    pub accept: AcceptInvite,
    pub delete: DeleteInvite,
    pub update: UpdateInvite,
    pub preview: PreviewInvite,
    /// What Lambda's timeout is in AWS: the deadline each request gets.
    pub request_timeout: Duration,
    /// The invitation page's development sign-in (`crate::web`), when `DEV_SIGN_IN=true`.
    pub sign_in: Option<crate::web::DevSignIn>,
}

impl LocalApp {
    pub async fn from_env() -> Result<Self, StartupError> {
        let env = Env::process();
        Self::build(&env, Clients::from_env().await, Clock::system())
    }

    /// Each function reads its own settings from `env`, as in its own Lambda.
    pub fn build<L: Fn(&str) -> Option<String>>(
        env: &Env<L>,
        clients: Clients,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        Ok(Self {
            create: CreateInvite::new(
                create_invite::Settings::read(env)?,
                clients.dynamodb.clone(),
                clients.ses,
                clock,
            )?,
            list: ListInvites::new(
                list_invites::Settings::read(env)?,
                clients.dynamodb.clone(),
                clock,
            )?,
            accept: AcceptInvite::new(
                accept_invite::Settings::read(env)?,
                clients.dynamodb.clone(),
                clock,
            )?,
            delete: DeleteInvite::new(
                delete_invite::Settings::read(env)?,
                clients.dynamodb.clone(),
                clock,
            )?,
            update: UpdateInvite::new(
                update_invite::Settings::read(env)?,
                clients.dynamodb.clone(),
                clock,
            )?,
            preview: PreviewInvite::new(
                preview_invite::Settings::read(env)?,
                clients.dynamodb.clone(),
                clock,
            )?,
            sign_in: match crate::web::DevSignIn::is_enabled(env)? {
                true => Some(crate::web::DevSignIn::new(
                    Store::new(clients.dynamodb, env.required("TABLE_NAME")?),
                    AuthConfig::read(env)?,
                )),
                false => None,
            },
            request_timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Runs `req` through the function `route` names, with the per-request wrapper; what no
    /// function here serves goes to the `not-found` function, as API Gateway's `$default` does.
    pub async fn handle(&self, route: Option<Route>, req: Request) -> Response<Body> {
        // Boxed: one future per function instead of one as large as the largest of six
        // (debug builds run the tests' server on the test thread's stack).
        match route.map(|route| route.function) {
            Some("create-invite") => Box::pin(runtime::serve(&self.create, req)).await,
            Some("list-invites") => Box::pin(runtime::serve(&self.list, req)).await,
            Some("accept-invite") => Box::pin(runtime::serve(&self.accept, req)).await,
            Some("delete-invite") => Box::pin(runtime::serve(&self.delete, req)).await,
            Some("update-invite") => Box::pin(runtime::serve(&self.update, req)).await,
            Some("preview-invite") => Box::pin(runtime::serve(&self.preview, req)).await,
            _ => not_found::handle(&req),
        }
    }
}

impl LocalApp {
    /// The largest body any function accepts: the server reads no more than that.
    pub fn max_body_bytes(&self) -> usize {
        use invites_shared::runtime::Function;
        [
            self.create.common().max_body_bytes,
            self.list.common().max_body_bytes,
            self.accept.common().max_body_bytes,
            self.delete.common().max_body_bytes,
            self.update.common().max_body_bytes,
            self.preview.common().max_body_bytes,
        ]
        .into_iter()
        .max()
        .unwrap_or_default()
    }
}
