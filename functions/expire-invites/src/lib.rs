//! `expire-invites`: on a schedule (`ExpirySweepSchedule`, every minute by default), marks the
//! pending invites whose expiry came due. The mark (`change = expired`) is a committed write,
//! so the table's stream carries it to `publish-events`, which publishes `InviteExpired`: the
//! event follows `expires_at` by at most the schedule's period plus the stream's delay.
//!
//! The due invites are a key range of the sparse `expiring` index (8 partitions, read side by
//! side), so a sweep costs what it marks, whatever the table's size. Each mark is conditioned
//! on the invite still being the pending invite that expired: an accept or delete racing the
//! sweep wins, and the invite is not marked (nor published) twice.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt, TryStreamExt};
use invites_shared::config::{self, TableSettings};
use invites_shared::domain::{Clock, TenantId};
use invites_shared::emf::{self, MetricLine, Unit};
use invites_shared::http::error_chain;
use invites_shared::state::StartupError;
use invites_shared::store::{keys, DueInvite, Store, StoreError};
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use serde_json::{json, Value};

/// Invites read per query of one partition.
const PAGE: i32 = 100;
/// Tenants whose marks are in flight at once, per partition.
const TENANTS_IN_FLIGHT: usize = 4;
/// Time kept back from the invocation's deadline to answer.
const MARGIN: Duration = Duration::from_secs(5);

/// What expire-invites reads from its environment: the table only.
pub type Settings = TableSettings;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Invites marked expired (each one `InviteExpired`).
    pub expired: u64,
    /// Due invites already accepted, deleted or marked when the sweep came (index lag).
    pub skipped: u64,
    /// The time ran out with invites left: the next sweep takes them.
    pub more: bool,
}

/// The function's state, built once per process.
pub struct ExpireInvites {
    store: Store,
    clock: Clock,
}

impl ExpireInvites {
    pub async fn from_env() -> Result<Self, StartupError> {
        let (settings, sdk) = config::load::<Settings>().await?;
        let dynamodb = invites_shared::aws::dynamodb_client(&sdk);
        Ok(Self::new(settings, dynamodb, Clock::system()))
    }

    pub fn new(settings: Settings, dynamodb: aws_sdk_dynamodb::Client, clock: Clock) -> Self {
        Self {
            store: Store::new(dynamodb, settings.0.table_name),
            clock,
        }
    }

    /// Marks every invite due now, partitions side by side, until done or `until`. (One after
    /// the other, a sweep cut short by its time would start again from the first partition
    /// and never reach the last ones.)
    pub async fn sweep(&self, until: Instant) -> Result<Swept, StoreError> {
        let shards = keys::expiry_shards().map(|shard| self.sweep_shard(shard, until));
        let mut total = Swept::default();
        for swept in futures::future::try_join_all(shards).await? {
            total.expired += swept.expired;
            total.skipped += swept.skipped;
            total.more |= swept.more;
        }
        Ok(total)
    }

    async fn sweep_shard(&self, shard: String, until: Instant) -> Result<Swept, StoreError> {
        let mut swept = Swept::default();
        let now = self.clock.now();
        let mut after = None;
        loop {
            if Instant::now() >= until {
                swept.more = true;
                return Ok(swept);
            }
            let (due, next) = self.store.due_invites(&shard, now, PAGE, after).await?;
            let read = due.len();
            // Each mark also counts on its tenant's item: one tenant's marks go one at a time,
            // so that they do not contend with each other (tenants side by side).
            let mut by_tenant: HashMap<TenantId, Vec<DueInvite>> = HashMap::new();
            for invite in due {
                by_tenant.entry(invite.tenant_id).or_default().push(invite);
            }
            let marked: Vec<usize> = stream::iter(by_tenant.into_values())
                .map(|invites| async move {
                    let mut marked = 0;
                    for invite in &invites {
                        marked += usize::from(self.store.mark_expired(invite, now).await?);
                    }
                    Ok::<_, StoreError>(marked)
                })
                .buffer_unordered(TENANTS_IN_FLIGHT)
                .try_collect()
                .await?;
            let expired: usize = marked.iter().sum();
            swept.expired += expired as u64;
            // Accepted, deleted or marked since the index was written (it lags the table).
            swept.skipped += (read - expired) as u64;
            match next {
                Some(next) => after = Some(next),
                None => return Ok(swept),
            }
        }
    }

    /// One scheduled invocation: sweeps until `until` at most.
    pub async fn handle(&self, until: Instant) -> Result<Value, StoreError> {
        let swept = self.sweep(until).await?;
        // Only sweeps that did something: a line a minute saying nothing is noise (the alarms
        // treat missing data as not breaching).
        if swept.expired > 0 || swept.more {
            MetricLine::new(emf::function_name("expire-invites"))
                .add("InvitesExpired", Unit::Count, swept.expired as f64)
                .add(
                    "SweepsUnfinished",
                    Unit::Count,
                    f64::from(u8::from(swept.more)),
                )
                .emit();
            tracing::info!(
                expired = swept.expired,
                skipped = swept.skipped,
                more = swept.more,
                "expiry sweep"
            );
        }
        Ok(json!({ "expired": swept.expired, "skipped": swept.skipped, "more": swept.more }))
    }
}

/// The Lambda entry point: the state built once, then one sweep per scheduled invocation. A
/// failed sweep is an error (the alarm counts them); its marks so far stand.
pub async fn run<Init, Fut>(init: Init) -> Result<(), lambda_http::Error>
where
    Init: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<ExpireInvites, StartupError>>,
{
    invites_shared::telemetry::init();
    let function = init().await.inspect_err(|error| {
        tracing::error!(function = "expire-invites", error = %error_chain(error), "cannot start");
    })?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let left = event
            .context
            .deadline()
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default();
        function
            .handle(Instant::now() + left.saturating_sub(MARGIN))
            .await
            .map_err(|error| {
                let reason = error_chain(&error);
                tracing::error!(error = %reason, "expiry sweep failed");
                reason
            })
    }))
    .await
}
