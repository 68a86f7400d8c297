//! `POST /v1/invites`: invite an email into a tenant.
//!
//! Shared-IdP tenants get a pending invite and an email. External-IdP tenants add a known user
//! directly (the invite comes back accepted) or keep a pending invite without email for a user
//! who has not signed in yet. One pending invite per (tenant, email): inviting again refreshes it.
//!
//! `input` parses the body, `draft` writes the invite, `mail` renders and sends the email.

mod draft;
pub mod input;
pub mod mail;
mod pace;

use invites_shared::auth::{require_manager, AuthError, NotAManager};
use invites_shared::aws;
use invites_shared::config::{self, CommonSettings, ConfigError, Env, FunctionSettings};
use invites_shared::domain::{
    Clock, EmailAddress, Invite, InviteStatus, Suppression, SuppressionReason, TenantId,
};
use invites_shared::http::{
    json_response, loc, unknown_groups, ApiError, Invalid, ValidationIssue,
};
use invites_shared::runtime::Function;
use invites_shared::state::{Common, StartupError};
use invites_shared::store::{self, StoreError};
use invites_shared::view::{InviteLinks, InviteResponse};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

use draft::Draft;
use input::{parse_create_invite, CreateInviteInput};
use mail::{MailError, Mailer};
use pace::{PaceError, RateReached, SendPace};

pub const DEFAULT_INVITE_LIFETIME_HOURS: i64 = 7 * 24;
/// A re-invite within this many minutes of the last email refreshes the invite but sends no
/// second email: an admin (or a stolen admin token) cannot flood an inbox from our domain.
pub const DEFAULT_EMAIL_COOLDOWN_MINUTES: i64 = 10;
/// Open (not accepted, not deleted) invites a tenant may hold.
pub const DEFAULT_MAX_OPEN_INVITES: u64 = 1_000;

/// What create-invite reads from its environment.
#[derive(Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub links: InviteLinks,
    /// Verified SES identity the invitation emails come from.
    pub sender_email: String,
    /// The SES configuration set every invitation is sent through (`SES_CONFIGURATION_SET`;
    /// its events feed the delivery metrics and alarms), if any.
    pub configuration_set: Option<String>,
    /// How long a new or refreshed invite stays pending.
    pub invite_lifetime: chrono::Duration,
    /// No second email to the same invitee within this time.
    pub email_cooldown: chrono::Duration,
    /// The most open invites a tenant may hold.
    pub max_open_invites: u64,
    /// Emails per second across all instances (`SES_MAX_SEND_RATE`: the SES account's
    /// sending rate; unset or 0: unpaced).
    pub send_rate: Option<u32>,
}

impl FunctionSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }

    fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        let hours = env.number("INVITE_LIFETIME_HOURS", DEFAULT_INVITE_LIFETIME_HOURS)?;
        if !(1..=24 * 365).contains(&hours) {
            return Err(ConfigError::Invalid {
                name: "INVITE_LIFETIME_HOURS",
                reason: "must be between 1 and 8760".into(),
            });
        }
        let cooldown = env.number(
            "INVITE_EMAIL_COOLDOWN_MINUTES",
            DEFAULT_EMAIL_COOLDOWN_MINUTES,
        )?;
        if !(0..=24 * 60).contains(&cooldown) {
            return Err(ConfigError::Invalid {
                name: "INVITE_EMAIL_COOLDOWN_MINUTES",
                reason: "must be between 0 and 1440".into(),
            });
        }
        let max_open_invites = env.number("MAX_PENDING_INVITES", DEFAULT_MAX_OPEN_INVITES)?;
        if max_open_invites == 0 {
            return Err(ConfigError::Invalid {
                name: "MAX_PENDING_INVITES",
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            common: CommonSettings::read(env)?,
            links: InviteLinks::read(env)?,
            sender_email: env.required("SENDER_EMAIL")?,
            configuration_set: env.optional("SES_CONFIGURATION_SET"),
            invite_lifetime: chrono::Duration::hours(hours),
            email_cooldown: chrono::Duration::minutes(cooldown),
            max_open_invites,
            send_rate: Some(env.number("SES_MAX_SEND_RATE", 0u32)?).filter(|rate| *rate > 0),
        })
    }
}

/// The function's state, built once per process.
pub struct CreateInvite {
    common: Common,
    mailer: Mailer,
    links: InviteLinks,
    invite_lifetime: chrono::Duration,
    email_cooldown: chrono::Duration,
    max_open_invites: u64,
    send_pace: SendPace,
}

impl CreateInvite {
    pub async fn from_env() -> Result<Self, StartupError> {
        let (settings, sdk) = config::load::<Settings>().await?;
        Self::new(
            settings,
            aws::dynamodb_client(&sdk),
            mail::ses_client(&sdk),
            Clock::system(),
        )
    }

    pub fn new(
        settings: Settings,
        dynamodb: aws_sdk_dynamodb::Client,
        ses: aws_sdk_ses::Client,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        Ok(Self {
            common: Common::new(&settings.common, dynamodb, clock)?,
            mailer: Mailer::new(ses, settings.sender_email, settings.configuration_set),
            links: settings.links,
            invite_lifetime: settings.invite_lifetime,
            email_cooldown: settings.email_cooldown,
            max_open_invites: settings.max_open_invites,
            send_pace: SendPace {
                per_second: settings.send_rate,
            },
        })
    }
}

/// Everything create-invite can answer other than 201.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    NotAManager(#[from] NotAManager),
    #[error("Only an owner can invite an owner")]
    OwnerOnly,
    #[error("Tenant not found")]
    TenantNotFound,
    #[error("This tenant is deactivated: it takes no new invites")]
    TenantDeactivated,
    #[error("This tenant does not support inviting users")]
    InvitesDisabled,
    #[error(
        "This tenant has no free seat: every seat of its seat cap is taken. Free a seat or \
         raise the cap, then invite again."
    )]
    NoSeat,
    #[error("User is already a member of this tenant")]
    AlreadyMember,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(
        "This tenant already has {0} open invites, the most it may have. Delete invites that \
         are no longer needed (expired ones included) and try again."
    )]
    TooManyOpen(u64),
    #[error(
        "{0}: the invite is saved, and repeating the same request in a second sends its email"
    )]
    SendRateReached(RateReached),
    /// SES accepted the email, then the store could not record it.
    #[error("the invitation email was sent but could not be recorded")]
    EmailNotRecorded(#[source] StoreError),
}

/// The 422 for an address no invitation email may go to now. Why, only to the tenant whose
/// invitation bounced or drew the complaint: others learn no more than that it cannot be sent.
fn suppressed_issue(
    email: &EmailAddress,
    suppression: Suppression,
    tenant: TenantId,
) -> ValidationIssue {
    let day = |at: invites_shared::domain::Timestamp| at.as_datetime().format("%Y-%m-%d");
    let why = match (suppression.tenant == tenant, suppression.reason) {
        (true, SuppressionReason::Bounce) => format!(
            "an invitation email to this address bounced permanently on {}",
            day(suppression.at)
        ),
        (true, SuppressionReason::Complaint) => format!(
            "the reader of this address marked an invitation as spam on {}",
            day(suppression.at)
        ),
        (false, _) => "invitation emails cannot be delivered to this address".to_owned(),
    };
    let msg = format!(
        "Value error, {why}, so no invitation email goes to it until {}. Check the address for \
         a typo, or invite the person after that date.",
        day(suppression.until),
    );
    ValidationIssue::new(
        "value_error",
        loc("body", "email"),
        msg,
        json!(email.as_str()),
    )
}

impl From<PaceError> for CreateError {
    fn from(error: PaceError) -> Self {
        match error {
            PaceError::RateReached(reached) => Self::SendRateReached(reached),
            PaceError::Store(error) => Self::Store(error),
        }
    }
}

impl From<CreateError> for ApiError {
    fn from(error: CreateError) -> Self {
        match error {
            CreateError::Unauthenticated(e) => e.into(),
            CreateError::Invalid(e) => e.into(),
            CreateError::NotAManager(e) => e.into(),
            e @ CreateError::OwnerOnly => ApiError::Forbidden(e.to_string()),
            e @ CreateError::TenantNotFound => ApiError::NotFound(e.to_string()),
            e @ CreateError::TenantDeactivated => ApiError::TenantDeactivated(e.to_string()),
            e @ CreateError::InvitesDisabled => ApiError::BadRequest(e.to_string()),
            e @ CreateError::NoSeat => ApiError::QuotaExceeded(e.to_string()),
            e @ CreateError::AlreadyMember => ApiError::Conflict(e.to_string()),
            e @ (CreateError::TooManyOpen(_) | CreateError::SendRateReached(_)) => {
                ApiError::TooManyRequests(e.to_string())
            }
            CreateError::Store(e) => e.into(),
            CreateError::Mail(MailError::Unavailable(cause)) => ApiError::DependencyUnavailable {
                detail: "The invitation email could not be sent because the email service is \
                         unavailable. The invite is saved; repeat the same request to send it again.",
                cause,
            },
            CreateError::Mail(MailError::TimedOut(cause)) => ApiError::DependencyUnavailable {
                detail: "The email service did not answer in time, so the invitation email may or \
                         may not have been sent. The invite is saved; repeat the same request in a \
                         few seconds to make sure it is sent.",
                cause,
            },
            CreateError::Mail(MailError::Rejected(cause)) => ApiError::DependencyRefused {
                detail: "The email service refused the invitation email. The invite is saved; \
                         check the address and repeat the same request to send it again.",
                cause,
            },
            CreateError::EmailNotRecorded(cause) => ApiError::DependencyUnavailable {
                detail: "The invitation email was sent, but the invite store became unavailable \
                         before it could be recorded. The invite is saved; repeat the same \
                         request once this one's time is up (10 seconds) to record it (the email is sent \
                         again).",
                cause: Box::new(cause),
            },
        }
    }
}

impl Function for CreateInvite {
    const NAME: &'static str = "create-invite";
    type Error = CreateError;

    fn common(&self) -> &Common {
        &self.common
    }

    async fn handle(&self, req: Request) -> Result<Response<Body>, CreateError> {
        let caller = self.common.authenticate(&req).await?;
        let input = parse_create_invite(req.headers(), req.body(), caller.via_cookie)?;
        let invite = self.create(&caller, &input).await?;
        let body = InviteResponse::new(&invite, &self.links, self.common.clock.now());
        Ok(json_response(StatusCode::CREATED, &body))
    }
}

impl CreateInvite {
    /// Reads what the decision needs, decides, writes; reads again if a concurrent request
    /// changed the items in between, for as long as the request's budget allows.
    async fn create(
        &self,
        caller: &invites_shared::auth::Caller,
        input: &CreateInviteInput,
    ) -> Result<Invite, CreateError> {
        let store = &self.common.store;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.common.clock.now();
            let context = store
                .load_create_context(
                    input.tenant_id,
                    caller.user_id,
                    &input.email,
                    &input.groups,
                    now,
                )
                .await?;
            let role = require_manager(context.caller_role)?;
            if !role.can_grant(input.role) {
                return Err(CreateError::OwnerOnly);
            }
            let tenant = context.tenant.ok_or(CreateError::TenantNotFound)?;
            if tenant.deactivated {
                return Err(CreateError::TenantDeactivated);
            }
            if !tenant.settings.can_invite {
                return Err(CreateError::InvitesDisabled);
            }
            if let Some(suppression) = context.suppressed.filter(|_| !tenant.has_external_idp()) {
                let issue = suppressed_issue(&input.email, suppression, tenant.id);
                return Err(Invalid(vec![issue]).into());
            }
            let unknown = unknown_groups(&input.groups, &context.existing_groups);
            if !unknown.is_empty() {
                return Err(Invalid(unknown).into());
            }
            let invitee = store
                .load_invitee_state(tenant.id, context.invitee_user_id, context.pending_slot)
                .await?;
            if invitee.is_member {
                return Err(CreateError::AlreadyMember);
            }
            let pending = invitee
                .pending_slot_invite
                .filter(|invite| invite.status(now) == InviteStatus::Pending);
            let draft = Draft {
                function: self,
                caller,
                input,
                tenant: &tenant,
                now,
            };
            let done = match context.invitee_user_id {
                Some(user) if tenant.has_external_idp() => {
                    draft
                        .add_directly(user, pending, &context.existing_groups)
                        .await?
                }
                _ => draft.store_pending(context.pending_slot, pending).await?,
            };
            if let Some(invite) = done {
                return Ok(invite);
            }
            store::pause_before_retry(attempt).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        Settings::read(&Env::new(|name: &str| map.get(name).map(|v| v.to_string())))
    }

    const BASE: &[(&str, &str)] = &[
        ("TABLE_NAME", "invites"),
        ("JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef"),
        ("JWT_ISSUER", "https://auth.example.com"),
        ("JWT_AUDIENCE", "invites-api"),
        ("INVITE_LINK_BASE_URL", "https://app.example.com/invites"),
        ("SENDER_EMAIL", "invites@example.com"),
    ];

    #[test]
    fn invites_last_seven_days_unless_configured() {
        assert_eq!(
            read(BASE).unwrap().invite_lifetime,
            chrono::Duration::days(7)
        );
        let mut pairs = BASE.to_vec();
        pairs.push(("INVITE_LIFETIME_HOURS", "48"));
        assert_eq!(
            read(&pairs).unwrap().invite_lifetime,
            chrono::Duration::hours(48)
        );
        for bad in ["0", "8761", "soon"] {
            let mut pairs = BASE.to_vec();
            pairs.push(("INVITE_LIFETIME_HOURS", bad));
            assert!(read(&pairs).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_sender_and_the_link_base_are_required() {
        for missing in ["SENDER_EMAIL", "INVITE_LINK_BASE_URL"] {
            let pairs: Vec<_> = BASE
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            let error = read(&pairs).err().unwrap();
            assert!(error.to_string().contains(missing), "{error}");
        }
    }
}
