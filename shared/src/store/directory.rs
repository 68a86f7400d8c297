//! Tenants, users and memberships: the platform owns them; the dev tool and the tests write
//! them here. Behind the `dev-tools` feature, so no Lambda function can write them.

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::items::*;
use super::keys::*;
use super::{classify, InviteCounts, Store, StoreError};
use crate::domain::{Membership, Tenant, TenantId, Timestamp, User, UserId};

impl Store {
    /// Creates or replaces a tenant, keeping its invite counters.
    pub async fn put_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let item = tenant_to_item(tenant);
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant.id), TENANT_SK)));
        let mut sets = Vec::new();
        for (index, (name, value)) in item
            .into_iter()
            .filter(|(name, _)| name != PK && name != SK)
            .enumerate()
        {
            sets.push(format!("#a{index} = :v{index}"));
            update = update
                .expression_attribute_names(format!("#a{index}"), name)
                .expression_attribute_values(format!(":v{index}"), value);
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if tenant.idp_config.is_none() {
            expression.push_str(" REMOVE idp_config");
        }
        update
            .update_expression(expression)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
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

    /// Creates a membership or changes its role.
    pub async fn put_membership(
        &self,
        membership: &Membership,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(membership_to_item(membership, now)))
            .send()
            .await
            .map_err(classify)?;
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

    pub async fn remove_membership(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), member_sk(user))))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// The tenant's invite counters, as stored.
    pub async fn invite_counts(&self, tenant: TenantId) -> Result<InviteCounts, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), TENANT_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(output
            .item
            .map(|item| counts_from_tenant_item(&item))
            .unwrap_or_default())
    }
}
