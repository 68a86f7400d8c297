//! Joining a tenant through its invite link: `POST /v1/invites/{tenant_id}/accept`.

use invites_shared::auth::Caller;
use invites_shared::domain::{GroupIds, Tenant};
use invites_shared::store::{self, AcceptOutcome, Joining};
use lambda_http::{Body, Response};

use crate::{joined, open_for_joining, AcceptError, AcceptInvite};

impl AcceptInvite {
    /// Any signed-in user joins with the link's role and groups, if the tenant allows it.
    /// Joining again is answered like the first time (with the role the user has), so that a
    /// retried request does not fail.
    pub(crate) async fn join_by_link(
        &self,
        caller: &Caller,
        first_read: Tenant,
    ) -> Result<Response<Body>, AcceptError> {
        let store = &self.common.store;
        let tenant_id = first_read.id;
        let mut tenant = first_read;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.common.clock.now();
            let link_groups = refuse_unless_open(&tenant)?.clone();
            let context = store
                .load_join_context(tenant_id, caller.user_id, &link_groups)
                .await?;
            if let Some(role) = context.member_role {
                return Ok(joined(tenant_id, role, &GroupIds::default()));
            }
            let current = open_for_joining(context.tenant)?;
            let role = current.settings.invite_link.role.role();
            // The link's groups are those whose existence was just read, unless the link
            // changed in between (then read again).
            if *refuse_unless_open(&current)? == link_groups {
                let skipped = GroupIds::new(
                    link_groups
                        .iter()
                        .filter(|group| !context.existing_groups.contains(group)),
                )
                .expect("a subset of the link's groups");
                let joining = Joining {
                    tenant: tenant_id,
                    user: caller.user_id,
                    role,
                    groups: &context.existing_groups,
                    now,
                };
                // Otherwise a concurrent join of this user won (the next read answers as it
                // did), or a group, the seats or the tenant changed: read again.
                if let AcceptOutcome::Accepted = store.join_by_link(&joining).await? {
                    invites_shared::metrics::count("LinkJoins");
                    tracing::info!(%tenant_id, "joined through the invite link");
                    return Ok(joined(tenant_id, role, &skipped));
                }
            }
            store::pause_before_retry(attempt).await?;
            tenant = current;
        }
    }
}

/// The link's groups, if the tenant lets people join through its link: the kill switch and
/// the link itself have distinct answers (clients branch on them).
fn refuse_unless_open(tenant: &Tenant) -> Result<&GroupIds, AcceptError> {
    if tenant.deactivated {
        return Err(AcceptError::TenantDeactivated);
    }
    if !tenant.settings.can_invite {
        return Err(AcceptError::InvitesDisabled);
    }
    if !tenant.settings.invite_link.enabled {
        return Err(AcceptError::LinkDisabled);
    }
    Ok(&tenant.settings.invite_link.groups)
}
