//! What the unauthenticated preview reads, and the per-client request windows that limit it.

use aws_sdk_dynamodb::types::AttributeValue;

use super::items::*;
use super::keys::*;
use super::sdk::{classify, unless_condition_failed};
use super::{item_sk, Store, StoreError};
use crate::domain::{Invite, InviteId, Tenant, Timestamp, User};

/// An invite with its tenant and inviter, as far as they exist.
#[derive(Debug, Default)]
pub struct InvitePreview {
    pub invite: Option<Invite>,
    pub tenant: Option<Tenant>,
    pub inviter: Option<User>,
}

impl Store {
    /// The invite, then its tenant and inviter in one more round trip (eventually consistent:
    /// a preview is a display, and reads cost half).
    pub async fn load_preview(&self, id: InviteId) -> Result<InvitePreview, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(id), INVITE_SK)))
            .send()
            .await
            .map_err(classify)?;
        let Some(invite) = output.item.as_ref().map(invite_from_item).transpose()? else {
            return Ok(InvitePreview::default());
        };
        let found = self
            .batch_get(vec![
                key(tenant_pk(invite.tenant_id), TENANT_SK),
                key(user_pk(invite.invited_by_user_id), USER_SK),
            ])
            .await?;
        let mut preview = InvitePreview::default();
        for item in &found {
            match item_sk(item) {
                Some(TENANT_SK) => preview.tenant = tenant_from_item(item)?,
                Some(USER_SK) => preview.inviter = Some(user_from_item(item)?),
                _ => {}
            }
        }
        preview.invite = Some(invite);
        Ok(preview)
    }

    /// Counts one request of `client` in `scope` against `limit` per window of `window`
    /// seconds: `false` when the window is already full. One conditional write; the window's
    /// item expires by TTL.
    pub async fn take_rate_slot(
        &self,
        scope: &str,
        client: &str,
        limit: u32,
        window_seconds: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let epoch = now.as_datetime().timestamp();
        let window_start = epoch - epoch.rem_euclid(window_seconds);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(rate_pk(scope, client), window_start.to_string())))
            .update_expression("ADD hits :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(hits) OR hits < :limit")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(i64::from(limit)))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((window_start + 2 * window_seconds).to_string()),
            )
            .send()
            .await;
        Ok(unless_condition_failed(result)?.is_some())
    }
}
