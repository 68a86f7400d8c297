//! Tenants, users, memberships, groups and API keys: the platform owns them; the dev tool and
//! the tests write them here. Behind the `dev-tools` feature, so no Lambda function can write
//! them. A membership written here counts against the tenant's seats like one made by accept.

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, PutRequest, TransactWriteItem, WriteRequest,
};

use super::items::*;
use super::keys::*;
use super::{classify, InviteCounts, Store, StoreError};
use crate::domain::{
    ApiKey, Group, GroupId, Invite, Membership, Tenant, TenantId, Timestamp, User, UserId,
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

    /// Seeds new pending invites of one tenant (and their pending slots) with batch writes,
    /// then adds them to its counters in one update: for benchmarks of large tenants, where
    /// one transaction per invite, all on the tenant's counter item, would take minutes. Not
    /// atomic and not conditional, unlike `insert_pending_invite`: fresh ids only.
    pub async fn bulk_insert_pending_invites(
        &self,
        tenant: TenantId,
        invites: &[Invite],
    ) -> Result<(), StoreError> {
        let items: Vec<Item> = invites
            .iter()
            .flat_map(|invite| [self.invite_item(invite), pending_slot_item(invite)])
            .collect();
        for chunk in items.chunks(25) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .expect("the item is set");
                    WriteRequest::builder().put_request(put).build()
                })
                .collect();
            while !pending.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(classify)?;
                pending = output
                    .unprocessed_items
                    .and_then(|mut left| left.remove(&self.table))
                    .unwrap_or_default();
            }
        }
        let added = i64::try_from(invites.len()).unwrap_or(i64::MAX);
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), TENANT_SK)))
            .update_expression(
                "ADD #total :n, #open :n, #list_version :one SET #list_moved_at = :moved_at",
            )
            .expression_attribute_names("#total", INVITE_COUNT)
            .expression_attribute_names("#open", OPEN_COUNT)
            .expression_attribute_names("#list_version", LIST_VERSION)
            .expression_attribute_names("#list_moved_at", LIST_MOVED_AT)
            .expression_attribute_values(":moved_at", super::sdk::moved_now())
            .expression_attribute_values(":n", n(added))
            .expression_attribute_values(":one", n(1))
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
