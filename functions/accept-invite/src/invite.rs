//! Accepting a per-email invite.

use invites_shared::auth::Caller;
use invites_shared::domain::{GroupIds, Invite, InviteId, InviteStatus};
use invites_shared::store::{self, AcceptOutcome, Joining};
use lambda_http::{Body, Response};

use crate::{joined, open_for_joining, AcceptError, AcceptInvite};

impl AcceptInvite {
    /// `first_read` is the invite as the request's first read found it.
    pub(crate) async fn accept_invite(
        &self,
        caller: &Caller,
        id: InviteId,
        first_read: Option<Invite>,
    ) -> Result<Response<Body>, AcceptError> {
        let store = &self.common.store;
        let mut read = first_read;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.common.clock.now();
            let invite = read.take().ok_or(AcceptError::NotFound)?;
            if invite.email != caller.email {
                return Err(AcceptError::OtherEmail);
            }
            match invite.status(now) {
                // A retry by the user who accepted gets the same answer again.
                InviteStatus::Accepted if invite.accepted_by_user_id == Some(caller.user_id) => {
                    return Ok(joined(
                        invite.tenant_id,
                        invite.role,
                        &invite.skipped_groups,
                    ))
                }
                InviteStatus::Accepted => return Err(AcceptError::AlreadyAccepted),
                InviteStatus::Expired => return Err(AcceptError::Expired),
                InviteStatus::Pending => {}
            }
            let context = store
                .load_join_context(invite.tenant_id, caller.user_id, &invite.groups)
                .await?;
            if context.member_role.is_some() {
                // A concurrent accept of this very invite by this user may have just won:
                // then the answer is its answer.
                let again = store.get_invite(id).await?;
                if again.as_ref().and_then(|i| i.accepted_by_user_id) == Some(caller.user_id) {
                    read = again;
                    continue;
                }
                return Err(AcceptError::AlreadyMember);
            }
            open_for_joining(context.tenant)?;
            let skipped = GroupIds::new(
                invite
                    .groups
                    .iter()
                    .filter(|group| !context.existing_groups.contains(group)),
            )
            .expect("a subset of the invite's groups");
            let joining = Joining {
                tenant: invite.tenant_id,
                user: caller.user_id,
                role: invite.role,
                groups: &context.existing_groups,
                now,
            };
            match store.accept_invite(&invite, &joining, &skipped).await? {
                AcceptOutcome::Accepted => {
                    invites_shared::metrics::count("InvitesAccepted");
                    tracing::info!(invite_id = %invite.id, tenant_id = %invite.tenant_id, "invite accepted");
                    return Ok(joined(invite.tenant_id, invite.role, &skipped));
                }
                AcceptOutcome::AlreadyMember => return Err(AcceptError::AlreadyMember),
                // Changed meanwhile (accepted, expired, deleted, another role, a group gone,
                // the last seat taken, the tenant gone): read again, which tells.
                AcceptOutcome::Changed | AcceptOutcome::TenantRefused => {
                    store::pause_before_retry(attempt).await?;
                    read = store.get_invite(id).await?;
                }
            }
        }
    }
}
