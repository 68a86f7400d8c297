//! The invitation email's bookkeeping on its invite, around the SES call: recording the email
//! SES accepted (which starts its delivery over), or giving the claim back when SES refused.

use super::delivery::set_delivery;
use super::items::*;
use super::keys::*;
use super::sdk::unless_condition_failed;
use super::{Store, StoreError};
use crate::domain::{Delivery, EmailId, Invite, InviteId, Timestamp};

impl Store {
    /// Records that SES accepted the invitation email `email_id`, sent under the claim made at
    /// `claimed_at`. Called only after SES has accepted it, so that an invite never claims an
    /// email that did not go out (a crash in between leaves the invite without the new id,
    /// which is the safe side, and its claim unrecorded, so that a repeat after the claiming
    /// request's deadline sends again). `false` if the invite was deleted meanwhile.
    pub async fn record_email_sent(
        &self,
        invite: &Invite,
        email_id: EmailId,
        claimed_at: Timestamp,
    ) -> Result<bool, StoreError> {
        // A new email starts its own delivery: what SES said of the last one no longer holds.
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite.id), INVITE_SK)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#sent", EMAIL_SENT_CLAIM)
            .expression_attribute_values(":email_id", s(email_id.to_string()))
            .expression_attribute_values(":claimed", s(claimed_at.to_rfc3339()));
        let sent = Delivery::of_new_email(claimed_at);
        let (request, assignments) = set_delivery(request, invite.tenant_id, &sent);
        let request = request.update_expression(format!(
            "SET email_id = :email_id, #sent = :claimed, {assignments}"
        ));
        let result = request.send().await;
        Ok(unless_condition_failed(result)?.is_some())
    }

    /// Gives back the email claim made at `claimed_at` when SES did not take the email, so
    /// that repeating the request sends it at once. Best effort: if this fails, the claim
    /// lapses at the claiming request's deadline.
    pub async fn release_email_claim(
        &self,
        invite: InviteId,
        claimed_at: Timestamp,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite), INVITE_SK)))
            .update_expression("REMOVE #claimed")
            .condition_expression("#claimed = :claimed")
            .expression_attribute_names("#claimed", EMAIL_CLAIMED_AT)
            .expression_attribute_values(":claimed", s(claimed_at.to_rfc3339()))
            .send()
            .await;
        unless_condition_failed(result)?;
        Ok(())
    }
}
