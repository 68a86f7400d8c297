//! Users, whose email record (`USEREMAIL#<email>` → user id) moves with them in the same
//! transaction when their email changes.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

use super::*;
use crate::domain::{User, UserId};

impl Store {
    /// The user's email slot removed, unless it already names someone else.
    fn release_email_slot(&self, email: &str, user: UserId) -> TransactWriteItem {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("USEREMAIL#{email}"), USER_EMAIL_SK)))
            .condition_expression("attribute_not_exists(pk) OR user_id = :user")
            .expression_attribute_values(":user", s(user.to_string()))
            .build()
            .expect("key is set");
        TransactWriteItem::builder().delete(delete).build()
    }

    /// `UserUpserted`.
    pub async fn sync_user(&self, user: &User, version: u64) -> Result<SyncOutcome, StoreError> {
        for attempt in 1.. {
            let current = self.get_consistent(key(user_pk(user.id), USER_SK)).await?;
            if current
                .as_ref()
                .is_some_and(|item| stored_version(item) >= version)
            {
                return Ok(SyncOutcome::Stale);
            }
            let old_email = current.as_ref().and_then(|item| match item.get("email") {
                Some(aws_sdk_dynamodb::types::AttributeValue::S(email)) => Some(email.clone()),
                _ => None,
            });
            let mut item = user_to_item(user);
            item.insert(VERSION.into(), version_value(version));
            // Written over exactly what was read, so that the old email's slot is the one freed.
            let put = Put::builder().table_name(&self.table).set_item(Some(item));
            let put = match &old_email {
                Some(email) => put
                    .condition_expression(format!("{OLDER} AND email = :old"))
                    .expression_attribute_names("#version", VERSION)
                    .expression_attribute_values(":v", version_value(version))
                    .expression_attribute_values(":old", s(email.clone())),
                None => put.condition_expression("attribute_not_exists(pk)"),
            };
            let new_slot = self.put_with(
                user_email_slot(user),
                "attribute_not_exists(pk) OR user_id = :user",
                &[(":user", user.id.to_string())],
            );
            let mut items = vec![
                TransactWriteItem::builder()
                    .put(put.build().expect("table, item and condition are set"))
                    .build(),
                self.not_deleted_since(user_pk(user.id), USER_SK, version),
                TransactWriteItem::builder().put(new_slot).build(),
            ];
            if let Some(old) = old_email
                .as_deref()
                .filter(|old| *old != user.email.as_str())
            {
                items.push(self.release_email_slot(old, user.id));
            }
            match self.transact(items).await? {
                Ok(()) => return Ok(SyncOutcome::Applied),
                Err(cancelled) if cancelled.failed(1) => return Ok(SyncOutcome::Stale),
                Err(cancelled) if cancelled.failed(2) => {
                    return Ok(SyncOutcome::Blocked("the email belongs to another user"))
                }
                // Reading again would not change it: say why, and let SQS try later.
                Err(cancelled) if cancelled.failed(3) => {
                    return Ok(SyncOutcome::Blocked(
                        "the old email's record names another user",
                    ))
                }
                // The user changed since it was read: read again.
                Err(_) => super::super::pause_before_retry(attempt).await?,
            }
        }
        unreachable!("the loop only ends by returning")
    }

    /// `UserDeleted`: the user and their email slot go, the tombstone stays.
    pub async fn sync_user_deleted(
        &self,
        user: UserId,
        version: u64,
    ) -> Result<SyncOutcome, StoreError> {
        for attempt in 1.. {
            let current = self.get_consistent(key(user_pk(user), USER_SK)).await?;
            let mut items = vec![self.tombstone(user_pk(user), USER_SK, version)];
            match &current {
                // Still absent at the write, or a concurrent create would outlive the tombstone.
                None => items.push(self.absent(key(user_pk(user), USER_SK))),
                Some(item) => {
                    if stored_version(item) >= version {
                        return Ok(SyncOutcome::Stale);
                    }
                    // Deleted exactly as read, so that the email slot freed is its email's.
                    items.push(self.delete_as_read(key(user_pk(user), USER_SK), item));
                    if let Some(aws_sdk_dynamodb::types::AttributeValue::S(email)) =
                        item.get("email")
                    {
                        items.push(self.release_email_slot(email, user));
                    }
                }
            }
            match self.transact(items).await? {
                Ok(()) => return Ok(SyncOutcome::Applied),
                Err(cancelled) if cancelled.failed(0) => return Ok(SyncOutcome::Stale),
                Err(cancelled) if cancelled.failed(2) => {
                    return Ok(SyncOutcome::Blocked(
                        "the email's record names another user",
                    ))
                }
                Err(_) => super::super::pause_before_retry(attempt).await?,
            }
        }
        unreachable!("the loop only ends by returning")
    }
}
