//! What SES last reported about an invite's invitation email.

use serde::Serialize;

use super::{TenantId, Timestamp};

/// The SES message tags every invitation email carries, which SES copies into each of its
/// events about the email (`mail.tags`): how a report finds its invite and its email.
pub const EMAIL_ID_TAG: &str = "email_id";
pub const INVITE_ID_TAG: &str = "invite_id";

/// Where the latest invitation email is. Ranked: a status only ever moves to a higher rank for
/// the same email, so that late, repeated or out-of-order reports change nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Sent,
    Delayed,
    Delivered,
    Bounced,
    Rejected,
    Complained,
}

impl DeliveryStatus {
    pub const EXPECTED: &'static str =
        "'sent', 'delayed', 'delivered', 'bounced', 'rejected' or 'complained'";

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "sent" => Some(Self::Sent),
            "delayed" => Some(Self::Delayed),
            "delivered" => Some(Self::Delivered),
            "bounced" => Some(Self::Bounced),
            "rejected" => Some(Self::Rejected),
            "complained" => Some(Self::Complained),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delayed => "delayed",
            Self::Delivered => "delivered",
            Self::Bounced => "bounced",
            Self::Rejected => "rejected",
            Self::Complained => "complained",
        }
    }

    /// A delay comes before the outcome; a bounce or a rejection ends it; a complaint comes
    /// after a delivery.
    pub fn rank(self) -> u8 {
        match self {
            Self::Sent => 0,
            Self::Delayed => 1,
            Self::Delivered => 2,
            Self::Bounced | Self::Rejected => 3,
            Self::Complained => 4,
        }
    }
}

/// The report: its status, when SES saw it, and what SES said (a bounce's type and diagnostic,
/// a rejection's reason; never the message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub status: DeliveryStatus,
    pub at: Timestamp,
    pub detail: Option<String>,
}

/// The most of SES's text a delivery keeps.
pub const MAX_DETAIL_CHARS: usize = 500;

impl Delivery {
    /// A new email's delivery: sent when the email was claimed, nothing reported yet.
    pub fn of_new_email(claimed_at: Timestamp) -> Self {
        Self::new(DeliveryStatus::Sent, claimed_at, None)
    }

    pub fn new(status: DeliveryStatus, at: Timestamp, detail: Option<String>) -> Self {
        let detail = detail
            .map(|text| text.chars().take(MAX_DETAIL_CHARS).collect::<String>())
            .filter(|text| !text.trim().is_empty());
        Self { status, at, detail }
    }
}

/// Why no invitation email goes to an address for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionReason {
    /// A permanent bounce: the address does not take mail.
    Bounce,
    /// Its reader marked an invitation as spam.
    Complaint,
}

impl SuppressionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bounce => "bounce",
            Self::Complaint => "complaint",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "bounce" => Some(Self::Bounce),
            "complaint" => Some(Self::Complaint),
            _ => None,
        }
    }
}

/// An address no invitation email goes to, from any tenant, until `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppression {
    /// The tenant whose invitation bounced or drew the complaint: only it learns which.
    pub tenant: TenantId,
    pub reason: SuppressionReason,
    pub at: Timestamp,
    pub until: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_only_move_forward() {
        use DeliveryStatus::*;
        assert!(Delayed.rank() > Sent.rank());
        assert!(Delivered.rank() > Delayed.rank());
        assert!(Bounced.rank() > Delivered.rank());
        assert!(Complained.rank() > Delivered.rank());
        for status in [Sent, Delayed, Delivered, Bounced, Rejected, Complained] {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(DeliveryStatus::parse("Bounced"), None);
    }
}
