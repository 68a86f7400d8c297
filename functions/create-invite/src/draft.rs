//! One attempt at writing an invite, from what `CreateInvite::create` read.

use invites_shared::auth::Caller;
use invites_shared::domain::{
    Delivery, EmailId, GroupId, Invite, InviteId, Tenant, Timestamp, UserId,
};
use invites_shared::http::error_chain;
use invites_shared::metrics;
use invites_shared::store::{DirectAddOutcome, InsertOutcome, Refresh};

use crate::input::CreateInviteInput;
use crate::mail::{Invitation, MailError};
use crate::{CreateError, CreateInvite};

/// One attempt at creating an invite, from what was read; `Ok(None)` means a concurrent
/// request changed the items, so read again.
pub(crate) struct Draft<'a> {
    pub function: &'a CreateInvite,
    pub caller: &'a Caller,
    pub input: &'a CreateInviteInput,
    pub tenant: &'a Tenant,
    pub now: Timestamp,
}

impl Draft<'_> {
    fn new_invite(&self) -> Invite {
        Invite {
            id: InviteId::new_random(),
            tenant_id: self.tenant.id,
            email: self.input.email.clone(),
            role: self.input.role,
            expires_at: self.now.plus(self.function.invite_lifetime),
            accepted_at: None,
            accepted_by_user_id: None,
            created_at: self.now,
            updated_at: self.now,
            invited_by_user_id: self.caller.user_id,
            email_id: None,
            groups: self.input.groups.clone(),
            skipped_groups: Default::default(),
            delivery: None,
        }
    }

    /// External IdP, known user: membership and accepted invite in one transaction.
    pub async fn add_directly(
        &self,
        user: UserId,
        pending: Option<Invite>,
        groups: &[GroupId],
    ) -> Result<Option<Invite>, CreateError> {
        let accepted = |invite: Invite| Invite {
            role: self.input.role,
            accepted_at: Some(self.now),
            accepted_by_user_id: Some(user),
            updated_at: self.now,
            invited_by_user_id: self.caller.user_id,
            groups: self.input.groups.clone(),
            ..invite
        };
        if !self.tenant.has_free_seat() {
            return Err(CreateError::NoSeat);
        }
        let invite = accepted(pending.clone().unwrap_or_else(|| self.new_invite()));
        match self
            .function
            .common
            .store
            .add_member_with_invite(&invite, user, pending.as_ref(), groups, self.now)
            .await?
        {
            DirectAddOutcome::Added => {
                metrics::count("MembersAddedDirectly");
                tracing::info!(invite_id = %invite.id, "member added directly (external IdP)");
                Ok(Some(invite))
            }
            DirectAddOutcome::AlreadyMember => Err(CreateError::AlreadyMember),
            // Gone, or the last seat was taken since it was read: read again to tell which.
            DirectAddOutcome::TenantRefused if self.tenant.has_free_seat() => Ok(None),
            DirectAddOutcome::TenantRefused => Err(CreateError::NoSeat),
            DirectAddOutcome::Changed => Ok(None),
        }
    }

    /// A pending invite, new or refreshed; emailed unless the tenant has its own IdP or this
    /// invitee's last email went out within the cooldown.
    pub async fn store_pending(
        &self,
        pending_slot: Option<InviteId>,
        pending: Option<Invite>,
    ) -> Result<Option<Invite>, CreateError> {
        let store = &self.function.common.store;
        let emailed = !self.tenant.has_external_idp();
        let (invite, send) = match pending {
            Some(pending) => {
                let expires_at = self.now.plus(self.function.invite_lifetime);
                let cooldown = emailed.then_some(self.function.email_cooldown);
                let changes = Refresh {
                    role: self.input.role,
                    invited_by: self.caller.user_id,
                    now: self.now,
                    expires_at,
                    groups: &self.input.groups,
                };
                let refreshed = store
                    .refresh_pending_invite(&pending, &changes, cooldown)
                    .await?;
                match refreshed {
                    Some(refreshed) => {
                        metrics::count("InvitesRefreshed");
                        refreshed
                    }
                    None => return Ok(None),
                }
            }
            None => {
                let invite = self.new_invite();
                let cap = self.function.max_open_invites;
                match store
                    .insert_pending_invite(&invite, pending_slot, cap, emailed)
                    .await?
                {
                    InsertOutcome::Inserted => {
                        metrics::count("InvitesCreated");
                        (invite, emailed)
                    }
                    InsertOutcome::PendingSlotTaken => return Ok(None),
                    // Full, or deleted since it was read: the tenant's record tells which.
                    InsertOutcome::TenantFull => {
                        return Err(match store.get_tenant(self.tenant.id).await? {
                            Some(_) => CreateError::TooManyOpen(cap),
                            None => CreateError::TenantNotFound,
                        })
                    }
                }
            }
        };
        if !send {
            return Ok(Some(invite));
        }
        let email_id = self.send_email(&invite).await?;
        Ok(Some(Invite {
            email_id: Some(email_id),
            // As `record_email_sent` wrote it: a new email's delivery starts over.
            delivery: Some(Delivery::of_new_email(self.now)),
            ..invite
        }))
    }

    /// Sends the invitation, then records its id on the invite: in that order, so that an
    /// invite never claims an email SES did not accept. If SES fails, the invite keeps the
    /// `email_id` of the last email that did go out (none for a new invite) and repeating the
    /// request sends it; if recording fails, the email went out and the invite does not say so
    /// yet, which a repeated request mends.
    async fn send_email(&self, invite: &Invite) -> Result<EmailId, CreateError> {
        let email_id = EmailId::new_random();
        let link = self.function.links.link(&invite.id);
        let invitation = Invitation {
            invite: invite.id,
            to: &invite.email,
            tenant_name: &self.tenant.name,
            inviter: &self.caller.email,
            role: invite.role,
            link: &link,
            expires_at: invite.expires_at,
        };
        let store = &self.function.common.store;
        let clock = &self.function.common.clock;
        if let Err(error) = self.function.send_pace.wait_for_place(store, clock).await {
            // Nothing went out: unclaimed, so that repeating the request sends it.
            if let Err(release) = store.release_email_claim(invite.id, self.now).await {
                tracing::warn!(invite_id = %invite.id, error = %error_chain(&release), "email claim not released");
            }
            return Err(error.into());
        }
        let message_id = match self.function.mailer.send(&invitation, email_id).await {
            Ok(message_id) => message_id,
            // SES did not answer: the email may have gone out, so the claim stays until this
            // request's deadline, after which a repeat sends again.
            Err(mail_error @ MailError::TimedOut(_)) => {
                metrics::count("EmailsFailed");
                return Err(mail_error.into());
            }
            Err(mail_error) => {
                metrics::count("EmailsFailed");
                // SES answered that it did not send: unclaimed, a repeat sends at once.
                if let Err(error) = store.release_email_claim(invite.id, self.now).await {
                    tracing::warn!(invite_id = %invite.id, error = %error_chain(&error), "email claim not released");
                }
                return Err(mail_error.into());
            }
        };
        metrics::count("EmailsSent");
        tracing::info!(invite_id = %invite.id, %email_id, %message_id, "invitation email sent");
        store
            .record_email_sent(invite, email_id, self.now)
            .await
            .map_err(CreateError::EmailNotRecorded)?;
        Ok(email_id)
    }
}
