//! Tenants, users, memberships, groups and API keys: the platform owns them; the dev tool and
//! the tests write them here. Behind the `dev-tools` feature, so no Lambda function can write
//! them. A membership written here counts against the tenant's seats like one made by accept.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};

use super::items::*;
use super::keys::*;
use super::{classify, InviteCounts, Store, StoreError};
use crate::domain::{
    ApiKey, Group, GroupId, Membership, Tenant, TenantId, Timestamp, User, UserId,
};

impl Store {
    /// Creates or replaces a tenant, keeping its invite counters (unversioned: the dev tool).
    pub async fn put_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.write_tenant(tenant, None).await.map(drop)
    }

    /// Creates a user; `false` if the email already belongs to another user.
    pub async fn create_user(&self, user: &User) -> Result<bool, StoreError> {
        let items = vec![
            TransactWriteItem::builder()
                .put(self.put(user_email_slot(user), "attribute_not_exists(pk)"))
                .build(),
            TransactWriteItem::builder()
                .put(self.put(user_to_item(user), "attribute_not_exists(pk)"))
                .build(),
        ];
        Ok(self.transact(items).await?.is_ok())
    }

    /// Creates a membership (a seat of the tenant, if it exists) or changes its role.
    pub async fn put_membership(
        &self,
        membership: &Membership,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let item = membership_to_item(membership, now);
        let created = self
            .transact(vec![
                TransactWriteItem::builder()
                    .put(self.put(item.clone(), "attribute_not_exists(pk)"))
                    .build(),
                self.member_count_by(membership.tenant_id, 1),
            ])
            .await?;
        if created.is_err() {
            // Already a member (a role change), or no tenant item to count on.
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    /// Removes a tenant's record (its invites and memberships stay, as when the platform
    /// deletes a tenant item first).
    pub async fn delete_tenant(&self, tenant: TenantId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), TENANT_SK)))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Removes a membership, freeing its seat.
    pub async fn remove_membership(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), member_sk(user))))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("key is set");
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.member_count_by(tenant, -1),
        ];
        if self.transact(items).await?.is_err() {
            // Not a member, or the tenant item is gone: nothing to count.
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(tenant_pk(tenant), member_sk(user))))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    pub async fn put_group(&self, group: &Group) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(group_to_item(group)))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    pub async fn delete_group(&self, tenant: TenantId, group: GroupId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), group_sk(group))))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// The users who joined `group`.
    pub async fn group_member_ids(
        &self,
        tenant: TenantId,
        group: GroupId,
    ) -> Result<Vec<UserId>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(tenant_pk(tenant)))
            .expression_attribute_values(":prefix", s(format!("GROUPMEMBER#{group}#")))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output
            .items()
            .iter()
            .map(|item| match item.get("user_id") {
                Some(AttributeValue::S(raw)) => uuid::Uuid::parse_str(raw)
                    .map(UserId::from)
                    .map_err(|_| StoreError::Corrupt("group member user_id".into())),
                _ => Err(StoreError::Corrupt("group member user_id".into())),
            })
            .collect()
    }

    /// Stores an API key record under the SHA-256 of the key.
    pub async fn put_api_key(
        &self,
        sha256_hex: &str,
        key_record: &ApiKey,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(api_key_to_item(sha256_hex, key_record)))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Creates or replaces a user record (not its email slot): names, current tenant.
    pub async fn put_user_record(&self, user: &User) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(user_to_item(user)))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// The tenant's invite counters, as stored.
    pub async fn invite_counts(&self, tenant: TenantId) -> Result<InviteCounts, StoreError> {
        let item = self
            .get_consistent(key(tenant_pk(tenant), TENANT_SK))
            .await?;
        Ok(item
            .map(|item| counts_from_tenant_item(&item))
            .unwrap_or_default())
    }
}
