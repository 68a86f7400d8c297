//! DynamoDB access. This module owns every key, index and condition expression; handlers see
//! domain types and outcomes only.
//!
//! Invariants are held by DynamoDB itself (conditions and `TransactWriteItems`): one pending
//! invite per (tenant, email), one membership per (tenant, user), an invite accepted at most
//! once and never after it expired, and the tenant's invite counters always matching its
//! invites.

mod items;
pub mod keys;
mod list;

use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    Delete, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;

use crate::domain::{
    EmailAddress, EmailId, Invite, InviteId, InviteListQuery, InviteStatus, Membership, Role,
    Tenant, TenantId, Timestamp, User, UserId,
};
use items::*;
use keys::*;

pub use list::InvitePage;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A failed store operation. Condition failures are not errors: they come back as outcomes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Timeouts, connection failures, throttling after the SDK's retries, 5xx from DynamoDB.
    #[error("DynamoDB is unavailable")]
    Unavailable(#[source] BoxError),
    /// Concurrent transactions on the same items kept cancelling each other.
    #[error("DynamoDB transaction kept conflicting with concurrent requests")]
    Contended,
    /// A request DynamoDB refused (a bug or a misconfiguration, such as a missing table).
    #[error("DynamoDB refused the request")]
    Failed(#[source] BoxError),
    #[error("corrupt item: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether retrying later may succeed: answered 503 rather than 500.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Contended)
    }
}

type HttpResponse = aws_sdk_dynamodb::config::http::HttpResponse;

fn classify<E>(error: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(context) => {
            context.raw().status().is_server_error()
                || matches!(
                    context.err().code(),
                    Some(
                        "ProvisionedThroughputExceededException"
                            | "RequestLimitExceeded"
                            | "ThrottlingException"
                            | "TransactionConflictException"
                            | "TransactionInProgressException"
                    )
                )
        }
        _ => false,
    };
    if transient {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Failed(Box::new(error))
    }
}

/// How many times a transaction cancelled by a concurrent one is tried in all.
const TRANSACTION_ATTEMPTS: u32 = 8;

/// Random delay in `0..max`, so that retrying contenders spread out.
fn jitter(max: Duration) -> Duration {
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    let max_micros = max.as_micros().max(1) as u64;
    Duration::from_micros(random % max_micros)
}

/// Why a transaction was cancelled: one DynamoDB reason code per item, in order.
#[derive(Debug)]
struct Cancelled(Vec<String>);

impl Cancelled {
    fn failed(&self, index: usize) -> bool {
        self.0
            .get(index)
            .is_some_and(|code| code == "ConditionalCheckFailed")
    }
}

/// What the caller knows about the tenant's invites before listing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InviteCounts {
    pub total: u64,
    pub accepted: u64,
}

/// Everything create-invite must know before it writes, read in one round trip.
#[derive(Debug, Clone)]
pub struct CreateContext {
    pub tenant: Option<Tenant>,
    pub caller_role: Option<Role>,
    pub invitee_user_id: Option<UserId>,
    pub pending_invite_id: Option<InviteId>,
}

/// The invitee's standing in the tenant, read in one round trip.
#[derive(Debug, Clone, Default)]
pub struct InviteeState {
    pub is_member: bool,
    /// The invite the tenant's pending slot for this email points to, if any.
    pub slot_invite: Option<Invite>,
}

#[derive(Debug)]
pub enum InsertOutcome {
    Inserted,
    /// Another request took the pending slot first.
    SlotTaken,
}

#[derive(Debug)]
pub enum DirectAddOutcome {
    Added,
    AlreadyMember,
    /// The pending invite changed underneath; read again.
    Changed,
}

#[derive(Debug)]
pub enum AcceptOutcome {
    Accepted,
    AlreadyMember,
    /// The invite is no longer pending (accepted, expired or deleted meanwhile); read again.
    Changed,
}

#[derive(Debug)]
pub enum DeleteOutcome {
    Deleted,
    /// The invite changed or vanished meanwhile; read again.
    Changed,
}

/// The DynamoDB-backed store.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Opens the connection (TLS handshake included) so the first request does not pay it.
    pub async fn warm_up(&self) -> Result<(), StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key("WARMUP".into(), "WARMUP")))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Consistent reads of up to 100 keys; unprocessed keys are asked for again.
    async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut pending = keys;
        for attempt in 0u32.. {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(jitter(Duration::from_millis(20 << attempt.min(5)))).await;
            }
            if attempt >= TRANSACTION_ATTEMPTS {
                return Err(StoreError::Contended);
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Failed(Box::new(e)))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(classify)?;
            if let Some(mut responses) = output.responses {
                found.extend(responses.remove(&self.table).unwrap_or_default());
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                .map(|keys_and_attributes| keys_and_attributes.keys)
                .unwrap_or_default();
        }
        Ok(found)
    }

    /// Runs a transaction, trying again while it is cancelled only by concurrent ones.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Cancelled>, StoreError> {
        for attempt in 0..TRANSACTION_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(jitter(Duration::from_millis(10 << attempt))).await;
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(Ok(())),
                Err(error) => error,
            };
            match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let codes: Vec<String> = cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|reason| reason.code().unwrap_or("None").to_owned())
                        .collect();
                    // Only cancellations caused by concurrent transactions are worth retrying.
                    let conflicted = codes
                        .iter()
                        .any(|code| code == "TransactionConflict" || code == "ThrottlingError");
                    let condition_failed =
                        codes.iter().any(|code| code == "ConditionalCheckFailed");
                    if condition_failed || !conflicted {
                        return Ok(Err(Cancelled(codes)));
                    }
                }
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => {}
                _ => return Err(classify(error)),
            }
        }
        Err(StoreError::Contended)
    }

    fn put(&self, item: Item, condition: &str) -> Put {
        self.put_with(item, condition, &[])
    }

    fn put_with(&self, item: Item, condition: &str, values: &[(&str, String)]) -> Put {
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition);
        for (name, value) in values {
            put = put.expression_attribute_values(*name, s(value.clone()));
        }
        put.build().expect("table, item and condition are set")
    }

    /// Adds `invites` and `accepted` to the tenant's counters; fails if the tenant is gone.
    fn count_change(&self, tenant: TenantId, invites: i64, accepted: i64) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), TENANT_SK)))
            .update_expression("ADD #total :total, #accepted :accepted")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#total", INVITE_COUNT)
            .expression_attribute_names("#accepted", ACCEPTED_COUNT)
            .expression_attribute_values(":total", n(invites))
            .expression_attribute_values(":accepted", n(accepted))
            .build()
            .expect("key and expression are set");
        TransactWriteItem::builder().update(update).build()
    }

    /// Removes the tenant's pending slot for `invite`, unless it already points elsewhere.
    fn release_slot(&self, invite: &Invite) -> TransactWriteItem {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                tenant_pk(invite.tenant_id),
                pending_sk(&invite.email),
            )))
            .condition_expression("attribute_not_exists(pk) OR invite_id = :invite")
            .expression_attribute_values(":invite", s(invite.id.to_string()))
            .build()
            .expect("key is set");
        TransactWriteItem::builder().delete(delete).build()
    }

    // ----- reads ---------------------------------------------------------------------------

    pub async fn get_invite(&self, id: InviteId) -> Result<Option<Invite>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(id), INVITE_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output.item.as_ref().map(invite_from_item).transpose()
    }

    pub async fn get_membership(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<Membership>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), member_sk(user))))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output.item.as_ref().map(membership_from_item).transpose()
    }

    pub async fn find_user_id_by_email(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<UserId>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user_email_pk(email), USER_EMAIL_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output
            .item
            .as_ref()
            .map(user_id_from_email_slot)
            .transpose()
    }

    /// Tenant, caller's role, invitee's user id and pending slot, in one round trip.
    pub async fn load_create_context(
        &self,
        tenant: TenantId,
        caller: UserId,
        invitee: &EmailAddress,
    ) -> Result<CreateContext, StoreError> {
        let found = self
            .batch_get(vec![
                key(tenant_pk(tenant), TENANT_SK),
                key(tenant_pk(tenant), member_sk(caller)),
                key(user_email_pk(invitee), USER_EMAIL_SK),
                key(tenant_pk(tenant), pending_sk(invitee)),
            ])
            .await?;
        let mut context = CreateContext {
            tenant: None,
            caller_role: None,
            invitee_user_id: None,
            pending_invite_id: None,
        };
        let member_key = member_sk(caller);
        let slot_key = pending_sk(invitee);
        for item in &found {
            match item_sk(item) {
                Some(TENANT_SK) => context.tenant = Some(tenant_from_item(item)?),
                Some(USER_EMAIL_SK) => {
                    context.invitee_user_id = Some(user_id_from_email_slot(item)?)
                }
                Some(sk) if sk == member_key => {
                    context.caller_role = Some(membership_from_item(item)?.role)
                }
                Some(sk) if sk == slot_key => {
                    context.pending_invite_id = Some(invite_id_from_pending_slot(item)?)
                }
                _ => {}
            }
        }
        Ok(context)
    }

    /// Whether the invitee is a member, and the invite their pending slot points to.
    pub async fn load_invitee_state(
        &self,
        tenant: TenantId,
        invitee: Option<UserId>,
        slot_invite: Option<InviteId>,
    ) -> Result<InviteeState, StoreError> {
        let mut keys = Vec::new();
        if let Some(user) = invitee {
            keys.push(key(tenant_pk(tenant), member_sk(user)));
        }
        if let Some(invite) = slot_invite {
            keys.push(key(invite_pk(invite), INVITE_SK));
        }
        let mut state = InviteeState::default();
        for item in self.batch_get(keys).await? {
            match item_sk(&item) {
                Some(INVITE_SK) => state.slot_invite = Some(invite_from_item(&item)?),
                Some(_) => state.is_member = true,
                None => {}
            }
        }
        Ok(state)
    }

    /// The caller's role in `tenant` and the invite `id`, in one round trip.
    pub async fn load_role_and_invite(
        &self,
        tenant: TenantId,
        caller: UserId,
        id: InviteId,
    ) -> Result<(Option<Role>, Option<Invite>), StoreError> {
        let found = self
            .batch_get(vec![
                key(tenant_pk(tenant), member_sk(caller)),
                key(invite_pk(id), INVITE_SK),
            ])
            .await?;
        let (mut role, mut invite) = (None, None);
        for item in &found {
            match item_sk(item) {
                Some(INVITE_SK) => invite = Some(invite_from_item(item)?),
                Some(_) => role = Some(membership_from_item(item)?.role),
                None => {}
            }
        }
        Ok((role, invite))
    }

    /// The caller's role in `tenant` and the tenant's invite counters, in one round trip.
    pub async fn load_role_and_counts(
        &self,
        tenant: TenantId,
        caller: UserId,
    ) -> Result<(Option<Role>, InviteCounts), StoreError> {
        let found = self
            .batch_get(vec![
                key(tenant_pk(tenant), TENANT_SK),
                key(tenant_pk(tenant), member_sk(caller)),
            ])
            .await?;
        let (mut role, mut counts) = (None, InviteCounts::default());
        for item in &found {
            match item_sk(item) {
                Some(TENANT_SK) => counts = counts_from_tenant_item(item),
                Some(_) => role = Some(membership_from_item(item)?.role),
                None => {}
            }
        }
        Ok((role, counts))
    }

    /// One page of a tenant's invites and the number matching the query.
    pub async fn list_invites(
        &self,
        tenant: TenantId,
        query: &InviteListQuery,
        counts: InviteCounts,
        now: Timestamp,
    ) -> Result<InvitePage, StoreError> {
        list::list_invites(self, tenant, query, counts, now).await
    }

    // ----- invite writes -------------------------------------------------------------------

    /// Stores a new pending invite and points the tenant's pending slot at it. `replacing` is
    /// the invite the slot pointed to when it was read (an expired one), or `None` if empty.
    pub async fn insert_pending_invite(
        &self,
        invite: &Invite,
        replacing: Option<InviteId>,
    ) -> Result<InsertOutcome, StoreError> {
        let slot = match replacing {
            None => self.put(pending_slot(invite), "attribute_not_exists(pk)"),
            Some(previous) => self.put_with(
                pending_slot(invite),
                "invite_id = :previous",
                &[(":previous", previous.to_string())],
            ),
        };
        let items = vec![
            TransactWriteItem::builder().put(slot).build(),
            TransactWriteItem::builder()
                .put(self.put(invite_to_item(invite), "attribute_not_exists(pk)"))
                .build(),
            self.count_change(invite.tenant_id, 1, 0),
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(InsertOutcome::Inserted),
            Err(cancelled) if cancelled.failed(0) => Ok(InsertOutcome::SlotTaken),
            Err(cancelled) => Err(StoreError::Failed(
                format!("insert invite cancelled: {:?}", cancelled.0).into(),
            )),
        }
    }

    /// Gives a still-pending invite a new role, expiry, inviter and email id. `None` when it
    /// is no longer pending.
    pub async fn refresh_pending_invite(
        &self,
        invite: &Invite,
        role: Role,
        invited_by: UserId,
        email_id: Option<EmailId>,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<Option<Invite>, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite.id), INVITE_SK)))
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(accepted_at) AND expires_at > :now",
            )
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .expression_attribute_values(":role", s(role.as_str()))
            .expression_attribute_values(":inviter", s(invited_by.to_string()))
            .expression_attribute_values(":updated", s(now.to_rfc3339()))
            .expression_attribute_values(":expires", s(expires_at.to_rfc3339()))
            .expression_attribute_values(":updated_sk", s(time_sk(now, invite.id)))
            .expression_attribute_values(":expires_sk", s(time_sk(expires_at, invite.id)))
            .expression_attribute_names("#role", "role")
            .expression_attribute_names("#updated_sk", UPDATED_SK)
            .expression_attribute_names("#expires_sk", EXPIRES_SK)
            .return_values(ReturnValue::AllNew);
        let set = "SET #role = :role, invited_by_user_id = :inviter, updated_at = :updated, \
                   expires_at = :expires, #updated_sk = :updated_sk, #expires_sk = :expires_sk";
        update = match email_id {
            Some(email_id) => update
                .update_expression(format!("{set}, email_id = :email_id"))
                .expression_attribute_values(":email_id", s(email_id.to_string())),
            None => update.update_expression(set),
        };
        match update.send().await {
            Ok(output) => output.attributes.as_ref().map(invite_from_item).transpose(),
            Err(SdkError::ServiceError(context))
                if context.err().is_conditional_check_failed_exception() =>
            {
                Ok(None)
            }
            Err(other) => Err(classify(other)),
        }
    }

    /// Undoes the email id recorded for an email that could not be sent, so the invite shows
    /// that no email went out. Does nothing if a later request recorded another one.
    pub async fn clear_email_id(
        &self,
        invite: InviteId,
        email_id: EmailId,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite), INVITE_SK)))
            .update_expression("REMOVE email_id")
            .condition_expression("email_id = :email_id")
            .expression_attribute_values(":email_id", s(email_id.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(context))
                if context.err().is_conditional_check_failed_exception() =>
            {
                Ok(())
            }
            Err(other) => Err(classify(other)),
        }
    }

    /// External-IdP direct add: the membership and the accepted `invite` are written together.
    /// `pending` is the pending invite being turned into `invite` (same id), if there is one.
    pub async fn add_member_with_invite(
        &self,
        invite: &Invite,
        member: UserId,
        pending: Option<&Invite>,
        now: Timestamp,
    ) -> Result<DirectAddOutcome, StoreError> {
        let membership = Membership {
            tenant_id: invite.tenant_id,
            user_id: member,
            role: invite.role,
        };
        let mut items = vec![TransactWriteItem::builder()
            .put(self.put(
                membership_to_item(&membership, now),
                "attribute_not_exists(pk)",
            ))
            .build()];
        match pending {
            None => {
                items.push(
                    TransactWriteItem::builder()
                        .put(self.put(invite_to_item(invite), "attribute_not_exists(pk)"))
                        .build(),
                );
                items.push(self.count_change(invite.tenant_id, 1, 1));
            }
            Some(pending) => {
                let put = self.put_with(
                    invite_to_item(invite),
                    "attribute_exists(pk) AND attribute_not_exists(accepted_at) AND expires_at > :now",
                    &[(":now", now.to_rfc3339())],
                );
                items.push(TransactWriteItem::builder().put(put).build());
                items.push(self.count_change(invite.tenant_id, 0, 1));
                items.push(self.release_slot(pending));
            }
        }
        match self.transact(items).await? {
            Ok(()) => Ok(DirectAddOutcome::Added),
            Err(cancelled) if cancelled.failed(0) => Ok(DirectAddOutcome::AlreadyMember),
            Err(_) => Ok(DirectAddOutcome::Changed),
        }
    }

    /// Marks a pending invite accepted by `user` and creates the membership, atomically.
    pub async fn accept_invite(
        &self,
        invite: &Invite,
        user: UserId,
        now: Timestamp,
    ) -> Result<AcceptOutcome, StoreError> {
        let accept = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite.id), INVITE_SK)))
            .update_expression(
                "SET accepted_at = :now, accepted_by_user_id = :user, updated_at = :now, \
                 #updated_sk = :updated_sk, #accepted_pk = :accepted_pk, #accepted_sk = :accepted_sk",
            )
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(accepted_at) AND expires_at > :now",
            )
            .expression_attribute_names("#updated_sk", UPDATED_SK)
            .expression_attribute_names("#accepted_pk", ACCEPTED_PK)
            .expression_attribute_names("#accepted_sk", ACCEPTED_SK)
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .expression_attribute_values(":user", s(user.to_string()))
            .expression_attribute_values(":updated_sk", s(time_sk(now, invite.id)))
            .expression_attribute_values(
                ":accepted_pk",
                s(accepted_partition(invite.tenant_id, true)),
            )
            .expression_attribute_values(":accepted_sk", s(accepted_sk(Some(now), invite.id)))
            .build()
            .expect("key and expression are set");
        let membership = Membership {
            tenant_id: invite.tenant_id,
            user_id: user,
            role: invite.role,
        };
        let items = vec![
            TransactWriteItem::builder().update(accept).build(),
            TransactWriteItem::builder()
                .put(self.put(
                    membership_to_item(&membership, now),
                    "attribute_not_exists(pk)",
                ))
                .build(),
            self.count_change(invite.tenant_id, 0, 1),
            self.release_slot(invite),
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(AcceptOutcome::Accepted),
            Err(cancelled) if cancelled.failed(0) => Ok(AcceptOutcome::Changed),
            Err(cancelled) if cancelled.failed(1) => Ok(AcceptOutcome::AlreadyMember),
            Err(_) => Ok(AcceptOutcome::Changed),
        }
    }

    /// Deletes `invite` as it was read: the counters follow it, and so does the pending slot
    /// while the invite is pending. The slot of an expired invite may already name a newer
    /// invite; it is left alone (a slot naming a missing invite is simply replaced later).
    pub async fn delete_invite(
        &self,
        invite: &Invite,
        now: Timestamp,
    ) -> Result<DeleteOutcome, StoreError> {
        let accepted = invite.accepted_at.is_some();
        let condition = if accepted {
            "tenant_id = :tenant AND attribute_exists(accepted_at)"
        } else {
            "tenant_id = :tenant AND attribute_not_exists(accepted_at)"
        };
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite.id), INVITE_SK)))
            .condition_expression(condition)
            .expression_attribute_values(":tenant", s(invite.tenant_id.to_string()))
            .build()
            .expect("key is set");
        let mut items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.count_change(invite.tenant_id, -1, if accepted { -1 } else { 0 }),
        ];
        if invite.status(now) == InviteStatus::Pending {
            items.push(self.release_slot(invite));
        }
        match self.transact(items).await? {
            Ok(()) => Ok(DeleteOutcome::Deleted),
            Err(_) => Ok(DeleteOutcome::Changed),
        }
    }

    // ----- tenants, users, memberships (written by the platform; here for dev and tests) ---

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

fn item_sk(item: &Item) -> Option<&str> {
    match item.get(SK) {
        Some(aws_sdk_dynamodb::types::AttributeValue::S(sk)) => Some(sk),
        _ => None,
    }
}
