//! Tenants (tombstoned in place, so that their invite counters survive), groups and API keys.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};

use super::super::sdk::unless_condition_failed;
use super::*;
use crate::domain::{ApiKey, Group, GroupId, Tenant, TenantId};

impl Store {
    /// Writes the tenant's own fields (never its counters) at `version`; with no version (the
    /// dev tool), unconditionally.
    pub(in crate::store) async fn write_tenant(
        &self,
        tenant: &Tenant,
        version: Option<u64>,
    ) -> Result<SyncOutcome, StoreError> {
        let mut item = tenant_to_item(tenant);
        item.remove(PK);
        item.remove(SK);
        item.insert(DELETED.into(), AttributeValue::Bool(false));
        if let Some(version) = version {
            item.insert(VERSION.into(), version_value(version));
        }
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant.id), TENANT_SK)));
        let mut sets = Vec::new();
        for (index, (name, value)) in item.into_iter().enumerate() {
            sets.push(format!("#a{index} = :a{index}"));
            update = update
                .expression_attribute_names(format!("#a{index}"), name)
                .expression_attribute_values(format!(":a{index}"), value);
        }
        let mut expression = format!("SET {}", sets.join(", "));
        let mut removes = Vec::new();
        if tenant.idp_config.is_none() {
            removes.push("idp_config");
        }
        if tenant.settings.seat_cap.is_none() {
            removes.push(SEAT_CAP);
        }
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        update = update.update_expression(expression);
        if let Some(version) = version {
            update = update
                .condition_expression(OLDER)
                .expression_attribute_names("#version", VERSION)
                .expression_attribute_values(":v", version_value(version));
        }
        Ok(match unless_condition_failed(update.send().await)? {
            Some(_) => SyncOutcome::Applied,
            None => SyncOutcome::Stale,
        })
    }

    /// `TenantUpserted`.
    pub async fn sync_tenant(
        &self,
        tenant: &Tenant,
        version: u64,
    ) -> Result<SyncOutcome, StoreError> {
        self.write_tenant(tenant, Some(version)).await
    }

    /// `TenantDeleted`: the tenant item becomes its own tombstone (its counters stay).
    pub async fn sync_tenant_deleted(
        &self,
        tenant: TenantId,
        version: u64,
    ) -> Result<SyncOutcome, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), TENANT_SK)))
            .update_expression("SET #deleted = :true, #version = :v, entity = :entity")
            .condition_expression(OLDER)
            .expression_attribute_names("#deleted", DELETED)
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":entity", s("tenant"))
            .expression_attribute_values(":v", version_value(version))
            .send()
            .await;
        Ok(match unless_condition_failed(result)? {
            Some(_) => SyncOutcome::Applied,
            None => SyncOutcome::Stale,
        })
    }

    /// `GroupUpserted`.
    pub async fn sync_group(&self, group: &Group, version: u64) -> Result<SyncOutcome, StoreError> {
        let pk = tenant_pk(group.tenant_id);
        let sk = group_sk(group.id);
        let items = vec![
            self.versioned_put(group_to_item(group), version),
            self.not_deleted_since(pk, &sk, version),
        ];
        self.apply_versioned(items).await
    }

    /// `GroupDeleted`: the group goes, its tombstone stays.
    pub async fn sync_group_deleted(
        &self,
        tenant: TenantId,
        group: GroupId,
        version: u64,
    ) -> Result<SyncOutcome, StoreError> {
        let (pk, sk) = (tenant_pk(tenant), group_sk(group));
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk.clone(), sk.clone())))
            .condition_expression(OLDER)
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_values(":v", version_value(version))
            .build()
            .expect("key is set");
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.tombstone(pk, &sk, version),
        ];
        self.apply_versioned(items).await
    }

    /// `ApiKeyUpserted` (keys are revoked, never deleted).
    pub async fn sync_api_key(
        &self,
        sha256_hex: &str,
        record: &ApiKey,
        version: u64,
    ) -> Result<SyncOutcome, StoreError> {
        let items = vec![self.versioned_put(api_key_to_item(sha256_hex, record), version)];
        self.apply_versioned(items).await
    }
}
