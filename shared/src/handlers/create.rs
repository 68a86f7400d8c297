//! `POST /v1/invites`: invite an email into a tenant.
//!
//! Shared-IdP tenants get a pending invite and an email. External-IdP tenants add a known user
//! directly (the invite comes back accepted) or keep a pending invite without email for a user
//! who has not signed in yet. One pending invite per (tenant, email): inviting again refreshes it.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{require_manager, InviteResponse, ATTEMPTS};
use crate::auth::Caller;
use crate::domain::{EmailId, Invite, InviteId, InviteStatus, Tenant, Timestamp, UserId};
use crate::http::{json_response, parse_create_invite, ApiError, CreateInviteInput};
use crate::mail::Invitation;
use crate::state::AppState;
use crate::store::{DirectAddOutcome, InsertOutcome, StoreError};

pub async fn create_invite(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.verifier.authenticate(req.headers())?;
    let input = parse_create_invite(req.headers(), req.body())?;
    let invite = create(state, &caller, &input).await?;
    let body = InviteResponse::new(&invite, &state.config, state.clock.now());
    Ok(json_response(StatusCode::CREATED, &body))
}

async fn create(
    state: &AppState,
    caller: &Caller,
    input: &CreateInviteInput,
) -> Result<Invite, ApiError> {
    for _ in 0..ATTEMPTS {
        let now = state.clock.now();
        let context = state
            .store
            .load_create_context(input.tenant_id, caller.user_id, &input.email)
            .await?;
        let role = require_manager(context.caller_role)?;
        if !role.can_grant(input.role) {
            return Err(ApiError::Forbidden("Only an owner can invite an owner"));
        }
        let tenant = context
            .tenant
            .ok_or(ApiError::NotFound("Tenant not found"))?;
        let invitee = state
            .store
            .load_invitee_state(
                tenant.id,
                context.invitee_user_id,
                context.pending_invite_id,
            )
            .await?;
        if invitee.is_member {
            return Err(ApiError::Conflict(
                "User is already a member of this tenant",
            ));
        }
        let pending = invitee
            .slot_invite
            .filter(|invite| invite.status(now) == InviteStatus::Pending);
        let draft = Draft {
            caller,
            input,
            tenant: &tenant,
            now,
        };
        let done = match context.invitee_user_id {
            Some(user) if tenant.has_external_idp() => {
                draft.add_directly(state, user, pending).await?
            }
            _ => {
                draft
                    .store_pending(state, context.pending_invite_id, pending)
                    .await?
            }
        };
        if let Some(invite) = done {
            return Ok(invite);
        }
    }
    Err(StoreError::Contended.into())
}

/// One attempt at creating an invite, from what was read; `Ok(None)` means a concurrent
/// request changed the items, so read again.
struct Draft<'a> {
    caller: &'a Caller,
    input: &'a CreateInviteInput,
    tenant: &'a Tenant,
    now: Timestamp,
}

impl Draft<'_> {
    fn new_invite(&self, state: &AppState) -> Invite {
        Invite {
            id: InviteId::new_random(),
            tenant_id: self.tenant.id,
            email: self.input.email.clone(),
            role: self.input.role,
            expires_at: self.now.plus(state.config.invite_lifetime),
            accepted_at: None,
            accepted_by_user_id: None,
            created_at: self.now,
            updated_at: self.now,
            invited_by_user_id: self.caller.user_id,
            email_id: None,
        }
    }

    /// External IdP, known user: membership and accepted invite in one transaction.
    async fn add_directly(
        &self,
        state: &AppState,
        user: UserId,
        pending: Option<Invite>,
    ) -> Result<Option<Invite>, ApiError> {
        let accepted = |invite: Invite| Invite {
            role: self.input.role,
            accepted_at: Some(self.now),
            accepted_by_user_id: Some(user),
            updated_at: self.now,
            invited_by_user_id: self.caller.user_id,
            ..invite
        };
        let invite = accepted(pending.clone().unwrap_or_else(|| self.new_invite(state)));
        match state
            .store
            .add_member_with_invite(&invite, user, pending.as_ref(), self.now)
            .await?
        {
            DirectAddOutcome::Added => {
                tracing::info!(invite_id = %invite.id, "member added directly (external IdP)");
                Ok(Some(invite))
            }
            DirectAddOutcome::AlreadyMember => Err(ApiError::Conflict(
                "User is already a member of this tenant",
            )),
            DirectAddOutcome::Changed => Ok(None),
        }
    }

    /// A pending invite, new or refreshed; emailed unless the tenant has its own IdP.
    async fn store_pending(
        &self,
        state: &AppState,
        slot: Option<InviteId>,
        pending: Option<Invite>,
    ) -> Result<Option<Invite>, ApiError> {
        let email_id = (!self.tenant.has_external_idp()).then(EmailId::new_random);
        let invite = match pending {
            Some(pending) => {
                let expires_at = self.now.plus(state.config.invite_lifetime);
                let refreshed = state
                    .store
                    .refresh_pending_invite(
                        &pending,
                        self.input.role,
                        self.caller.user_id,
                        email_id,
                        self.now,
                        expires_at,
                    )
                    .await?;
                match refreshed {
                    Some(invite) => invite,
                    None => return Ok(None),
                }
            }
            None => {
                let invite = Invite {
                    email_id,
                    ..self.new_invite(state)
                };
                match state.store.insert_pending_invite(&invite, slot).await? {
                    InsertOutcome::Inserted => invite,
                    InsertOutcome::SlotTaken => return Ok(None),
                }
            }
        };
        if let Some(email_id) = email_id {
            self.send_email(state, &invite, email_id).await?;
        }
        Ok(Some(invite))
    }

    /// Sends the invitation. If SES fails, the invite stays pending without an email id, so
    /// the list shows no email went out and repeating the request sends it.
    async fn send_email(
        &self,
        state: &AppState,
        invite: &Invite,
        email_id: EmailId,
    ) -> Result<(), ApiError> {
        let link = state.config.invite_link(&invite.id);
        let invitation = Invitation {
            to: &invite.email,
            tenant_name: &self.tenant.name,
            inviter: &self.caller.email,
            role: invite.role,
            link: &link,
            expires_at: invite.expires_at,
        };
        match state.mailer.send(&invitation, email_id).await {
            Ok(message_id) => {
                tracing::info!(invite_id = %invite.id, %email_id, %message_id, "invitation email sent");
                Ok(())
            }
            Err(mail_error) => {
                if let Err(store_error) = state.store.clear_email_id(invite.id, email_id).await {
                    tracing::warn!(
                        invite_id = %invite.id,
                        error = %crate::http::error_chain(&store_error),
                        "could not clear the email id of an unsent invitation"
                    );
                }
                Err(mail_error.into())
            }
        }
    }
}
