//! API keys: found by the SHA-256 of the key, with their owner.

use super::items::*;
use super::keys::*;
use super::sdk::classify;
use super::{Store, StoreError};
use crate::domain::{ApiKey, User};

impl Store {
    /// The key record with this SHA-256 (lower-case hex), and its owner if the owner exists.
    pub async fn find_api_key(
        &self,
        sha256_hex: &str,
    ) -> Result<Option<(ApiKey, Option<User>)>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(api_key_pk(sha256_hex), API_KEY_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let api_key = api_key_from_item(&item)?;
        let owner = self.get_user(api_key.user_id).await?;
        Ok(Some((api_key, owner)))
    }

    pub async fn get_user(&self, user: crate::domain::UserId) -> Result<Option<User>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(user), USER_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output.item.as_ref().map(user_from_item).transpose()
    }
}
