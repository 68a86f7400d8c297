//! SES's reports on invitation emails: each invite's latest delivery, and the addresses no
//! invitation email goes to for a while (a permanent bounce or a complaint).

use super::items::*;
use super::keys::*;
use super::sdk::unless_condition_failed;
use super::{Store, StoreError};
use crate::domain::{
    Delivery, EmailAddress, EmailId, InviteId, Suppression, SuppressionReason, TenantId, Timestamp,
};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;

pub(super) const SUPPRESSED_SK: &str = "SUPPRESSED";

pub(super) fn suppressed_pk(email: &EmailAddress) -> String {
    format!("SUPPRESSED#{}", email.as_str())
}

/// What became of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The invite's delivery moved forward.
    Recorded { tenant: TenantId },
    /// About the invite's latest email, but not past what is recorded: a repeated, late or
    /// out-of-order report. Nothing changed.
    NotNewer { tenant: TenantId },
    /// About an earlier email of the invite: the latest one's delivery is what counts.
    EarlierEmail,
    /// No such invite (deleted, or never this deployment's).
    UnknownInvite,
}

impl Store {
    /// Records `delivery` on the invite if it is about the invite's latest email (`email_id`)
    /// and ranks above what is recorded; the condition holds that under concurrent reports.
    pub async fn record_delivery(
        &self,
        invite: InviteId,
        email_id: EmailId,
        delivery: &Delivery,
    ) -> Result<DeliveryOutcome, StoreError> {
        let found = self
            .get_consistent(key(invite_pk(invite), INVITE_SK))
            .await?;
        let Some(item) = found else {
            return Ok(DeliveryOutcome::UnknownInvite);
        };
        let current = invite_from_item(&item)?;
        let tenant = current.tenant_id;
        if current.email_id != Some(email_id) {
            return Ok(DeliveryOutcome::EarlierEmail);
        }
        let behind = current
            .delivery
            .as_ref()
            .is_some_and(|recorded| recorded.status.rank() >= delivery.status.rank());
        if behind {
            return Ok(DeliveryOutcome::NotNewer { tenant });
        }
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite), INVITE_SK)))
            .condition_expression(
                "email_id = :email_id AND (attribute_not_exists(#rank) OR #rank < :rank)",
            )
            .expression_attribute_names("#rank", DELIVERY_RANK)
            .expression_attribute_values(":email_id", s(email_id.to_string()))
            .expression_attribute_values(":rank", n(delivery.status.rank().into()));
        let (request, assignments) = set_delivery(request, tenant, delivery);
        let result = request
            .update_expression(format!("SET {assignments}"))
            .send()
            .await;
        // The condition failing means a concurrent report or a new email got there first.
        Ok(match unless_condition_failed(result)? {
            Some(_) => DeliveryOutcome::Recorded { tenant },
            None => DeliveryOutcome::NotNewer { tenant },
        })
    }

    /// No invitation email to `email` until `until`. Only a newer bounce or complaint replaces
    /// one recorded (a repeat of the same report changes nothing, so it cannot extend it).
    pub async fn suppress_address(
        &self,
        email: &EmailAddress,
        suppression: Suppression,
    ) -> Result<(), StoreError> {
        let ttl = suppression.until.as_datetime().timestamp();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(suppressed_pk(email), SUPPRESSED_SK)))
            .update_expression(
                "SET #email = :email, #tenant = :tenant, #reason = :reason, #at = :at, \
                 #until = :until, #ttl = :ttl",
            )
            .condition_expression("attribute_not_exists(pk) OR #at < :at")
            .expression_attribute_names("#email", "email")
            .expression_attribute_names("#tenant", "tenant_id")
            .expression_attribute_names("#reason", "reason")
            .expression_attribute_names("#at", "at")
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":email", s(email.as_str()))
            .expression_attribute_values(":tenant", s(suppression.tenant.to_string()))
            .expression_attribute_values(":reason", s(suppression.reason.as_str()))
            .expression_attribute_values(":at", s(suppression.at.to_rfc3339()))
            .expression_attribute_values(":until", s(suppression.until.to_rfc3339()))
            .expression_attribute_values(":ttl", n(ttl))
            .send()
            .await;
        unless_condition_failed(result)?;
        Ok(())
    }
}

/// Adds to an invite's update the writing of `delivery` (its `by_delivery` key included):
/// returns the request and its assignments, `#dN = :dN, …` and, when the delivery has no
/// detail, ` REMOVE` of the one recorded, to follow a `SET`.
pub(super) fn set_delivery(
    mut request: UpdateItemFluentBuilder,
    tenant: TenantId,
    delivery: &Delivery,
) -> (UpdateItemFluentBuilder, String) {
    let mut sets = Vec::new();
    for (i, (name, value)) in delivery_attributes(tenant, delivery)
        .into_iter()
        .enumerate()
    {
        sets.push(format!("#d{i} = :d{i}"));
        request = request
            .expression_attribute_names(format!("#d{i}"), name)
            .expression_attribute_values(format!(":d{i}"), value);
    }
    let mut assignments = sets.join(", ");
    // DynamoDB refuses a name the expressions do not use: `#d_detail` only when removed.
    if delivery.detail.is_none() {
        request = request.expression_attribute_names("#d_detail", DELIVERY_DETAIL);
        assignments.push_str(" REMOVE #d_detail");
    }
    (request, assignments)
}

/// The suppression an item records, if it is one in force at `now` (TTL removes expired ones
/// only within days).
pub(super) fn suppression_from_item(
    item: &Item,
    now: Timestamp,
) -> Result<Option<Suppression>, StoreError> {
    const WHAT: &str = "suppression";
    let reason = opt_str(item, "reason")
        .and_then(SuppressionReason::parse)
        .ok_or_else(|| corrupt(WHAT, "reason"))?;
    let at = get_time(item, WHAT, "at")?;
    let until = get_time(item, WHAT, "until")?;
    let tenant = TenantId::from(get_uuid(item, WHAT, "tenant_id")?);
    Ok((until > now).then_some(Suppression {
        tenant,
        reason,
        at,
        until,
    }))
}
