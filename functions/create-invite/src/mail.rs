//! The invitation email, sent through SES (`SendEmail`, v1 API).

use aws_sdk_ses::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ses::types::{Body, Content, Destination, Message, MessageTag};
use aws_sdk_ses::Client;
use invites_shared::aws::is_transient;
use invites_shared::domain::{
    EmailAddress, EmailId, InviteId, Role, Timestamp, EMAIL_ID_TAG, INVITE_ID_TAG,
};
use invites_shared::metrics::CostMeter;
use invites_shared::xray::XRaySubsegments;
use invites_shared::BoxError;

/// An SES client with the cost meter, so each request's log line counts its SES call, and its
/// calls traced (X-Ray subsegments).
pub fn ses_client(sdk: &invites_shared::aws::SdkConfig) -> Client {
    Client::from_conf(
        aws_sdk_ses::config::Builder::from(sdk)
            .interceptor(CostMeter)
            .interceptor(XRaySubsegments)
            .build(),
    )
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// SES could not be reached or answered with a server error: try again later.
    #[error("the email service is unavailable")]
    Unavailable(#[source] BoxError),
    /// SES did not answer in time: the message may or may not have gone out.
    #[error("the email service did not answer in time")]
    TimedOut(#[source] BoxError),
    /// SES refused this message (unverified sender, rejected address…).
    #[error("the email service refused the message")]
    Rejected(#[source] BoxError),
}

/// What an invitation email says.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    pub invite: InviteId,
    pub to: &'a EmailAddress,
    pub tenant_name: &'a str,
    pub inviter: &'a EmailAddress,
    pub role: Role,
    pub link: &'a str,
    pub expires_at: Timestamp,
}

/// Subject, plain text and HTML of an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// Tenant names are free text: keep control characters (CR/LF) out of the subject header.
fn single_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl Invitation<'_> {
    pub fn render(&self) -> RenderedEmail {
        let tenant = single_line(self.tenant_name);
        let role = self.role.as_str();
        let expires = self.expires_at.as_datetime().format("%Y-%m-%d %H:%M UTC");
        let subject = format!("You are invited to join {tenant}");
        let text = format!(
            "Hello,\n\n{inviter} invited you to join {tenant} as {role}.\n\n\
             Accept the invitation here:\n{link}\n\n\
             The invitation expires on {expires}.\n\n\
             If you did not expect this email, you can ignore it.\n",
            inviter = self.inviter,
            link = self.link,
        );
        let html = format!(
            "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif\">\n\
             <p>Hello,</p>\n\
             <p><strong>{inviter}</strong> invited you to join <strong>{tenant}</strong> as \
             <strong>{role}</strong>.</p>\n\
             <p><a href=\"{link}\">Accept the invitation</a></p>\n\
             <p>The invitation expires on {expires}.</p>\n\
             <p>If you did not expect this email, you can ignore it.</p>\n\
             </body></html>\n",
            inviter = escape_html(self.inviter.as_str()),
            tenant = escape_html(&tenant),
            link = escape_html(self.link),
        );
        RenderedEmail {
            subject,
            text,
            html,
        }
    }
}

/// The tags SES copies into its delivery reports (`email-events` finds the invite by them).
pub fn message_tags(invite: InviteId, email_id: EmailId) -> Vec<MessageTag> {
    [
        (EMAIL_ID_TAG, email_id.to_string()),
        (INVITE_ID_TAG, invite.to_string()),
    ]
    .into_iter()
    .map(|(name, value)| {
        MessageTag::builder()
            .name(name)
            .value(value)
            .build()
            .expect("name and value are set")
    })
    .collect()
}

/// Sends invitation emails from the configured sender.
#[derive(Clone, Debug)]
pub struct Mailer {
    client: Client,
    sender: String,
    configuration_set: Option<String>,
}

impl Mailer {
    pub fn new(
        client: Client,
        sender: impl Into<String>,
        configuration_set: Option<String>,
    ) -> Self {
        Self {
            client,
            sender: sender.into(),
            configuration_set,
        }
    }

    /// Sends the invitation; returns SES's message id.
    pub async fn send(
        &self,
        invitation: &Invitation<'_>,
        email_id: EmailId,
    ) -> Result<String, MailError> {
        let rendered = invitation.render();
        let content = |data: String| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .expect("data is set")
        };
        let message = Message::builder()
            .subject(content(rendered.subject))
            .body(
                Body::builder()
                    .text(content(rendered.text))
                    .html(content(rendered.html))
                    .build(),
            )
            .build();
        let output = self
            .client
            .send_email()
            .source(&self.sender)
            .destination(
                Destination::builder()
                    .to_addresses(invitation.to.as_str())
                    .build(),
            )
            .message(message)
            .set_tags(Some(message_tags(invitation.invite, email_id)))
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(classify)?;
        Ok(output.message_id)
    }
}

fn classify<E>(error: SdkError<E, aws_sdk_ses::config::http::HttpResponse>) -> MailError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if matches!(
        error,
        SdkError::TimeoutError(_) | SdkError::ResponseError(_)
    ) {
        MailError::TimedOut(Box::new(error))
    } else if is_transient(&error) {
        MailError::Unavailable(Box::new(error))
    } else {
        MailError::Rejected(Box::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use invites_shared::domain::Clock;

    #[test]
    fn html_escapes_everything_interpolated() {
        let to = EmailAddress::parse("bob@example.com").unwrap();
        let inviter = EmailAddress::parse("o'neil@example.com").unwrap();
        let invitation = Invitation {
            invite: InviteId::new_random(),
            to: &to,
            tenant_name: "<script>alert(\"x\")</script> & Co\r\nBcc: evil@example.com",
            inviter: &inviter,
            role: Role::Admin,
            link: "https://app.example.com/invites/1?a=1&b=\"2\"",
            expires_at: Clock::system().now(),
        };
        let email = invitation.render();
        assert!(!email.html.contains("<script>"));
        assert!(email
            .html
            .contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co"));
        assert!(email.html.contains("o&#x27;neil@example.com"));
        assert!(email
            .html
            .contains("href=\"https://app.example.com/invites/1?a=1&amp;b=&quot;2&quot;\""));
        assert!(!email.subject.contains('\n') && !email.subject.contains('\r'));
        assert!(email
            .text
            .contains("https://app.example.com/invites/1?a=1&b=\"2\""));
        assert!(email.text.contains("as ADMIN"));
    }

    /// SES copies these into every report about the email: email-events finds the invite by
    /// `invite_id` and the email by `email_id` (without both, a report is dropped).
    #[test]
    fn every_email_is_tagged_with_its_invite_and_its_id() {
        let (invite, email_id) = (InviteId::new_random(), EmailId::new_random());
        let tags: Vec<(String, String)> = message_tags(invite, email_id)
            .into_iter()
            .map(|tag| (tag.name().to_owned(), tag.value().to_owned()))
            .collect();
        assert_eq!(
            tags,
            [
                ("email_id".to_owned(), email_id.to_string()),
                ("invite_id".to_owned(), invite.to_string()),
            ]
        );
    }
}
