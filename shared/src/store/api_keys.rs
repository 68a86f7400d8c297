//! API keys: found by the SHA-256 of the key, with their owner.

use super::items::*;
use super::keys::*;
use super::{Store, StoreError};
use crate::domain::{ApiKey, User};

impl Store {
    /// The key record with this SHA-256 (lower-case hex), and its owner if the owner exists.
    pub async fn find_api_key(
        &self,
        sha256_hex: &str,
    ) -> Result<Option<(ApiKey, Option<User>)>, StoreError> {
        let item = self
            .get_consistent(key(api_key_pk(sha256_hex), API_KEY_SK))
            .await?;
        let Some(item) = item else {
            return Ok(None);
        };
        let api_key = api_key_from_item(&item)?;
        let owner = self.get_user(api_key.user_id).await?;
        Ok(Some((api_key, owner)))
    }

    pub async fn get_user(&self, user: crate::domain::UserId) -> Result<Option<User>, StoreError> {
        let item = self.get_consistent(key(user_pk(user), USER_SK)).await?;
        item.as_ref().map(user_from_item).transpose()
    }
}
