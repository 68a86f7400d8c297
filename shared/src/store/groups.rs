//! Groups of a tenant, as invites name them: the dev tool's and the tests' own lookup.

use super::items::*;
use super::keys::*;
use super::{Store, StoreError};
use crate::domain::{GroupId, GroupIds, TenantId};

impl Store {
    /// Those of `groups` that exist in `tenant`, in the order given (the functions read this
    /// in their context batch; the dev tool and tests ask alone). A group of another tenant
    /// is not found here: group keys live under their tenant's partition.
    pub async fn existing_groups(
        &self,
        tenant: TenantId,
        groups: &GroupIds,
    ) -> Result<Vec<GroupId>, StoreError> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let keys = groups
            .iter()
            .map(|group| key(tenant_pk(tenant), group_sk(group)))
            .collect();
        let found = self
            .batch_get(keys)
            .await?
            .iter()
            .map(group_id_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(groups.iter().filter(|id| found.contains(id)).collect())
    }
}
