//! `email-events`: SES's sending events for the invitation emails (the configuration set
//! publishes them to EventBridge; a rule sends them to a queue that feeds this function). Each
//! report is recorded on its invite as `delivery` (`{status, at, detail}`) when it is about the
//! invite's latest email and moves its status forward; late, repeated and out-of-order reports
//! change nothing. A permanent bounce or a complaint also stops invitations to the address,
//! from every tenant, for `EMAIL_SUPPRESSION_DAYS`.

pub mod report;

use invites_shared::config::{self, CommonSettings, ConfigError, Env, FunctionSettings};
use invites_shared::domain::{Clock, Suppression, TenantId};
use invites_shared::emf::{self, MetricLine, Unit};
use invites_shared::http::error_chain;
use invites_shared::state::StartupError;
use invites_shared::store::{DeliveryOutcome, Store, StoreError};
use serde_json::{json, Value};

use report::{read, NotAReport, Report};

/// How long an address that bounced or complained gets no invitation, by default.
pub const DEFAULT_SUPPRESSION_DAYS: u32 = 90;

/// What email-events reads from its environment.
#[derive(Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// Days no invitation goes to an address after a permanent bounce or a complaint.
    pub suppression_days: u32,
}

impl FunctionSettings for Settings {
    fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        let days = env.number("EMAIL_SUPPRESSION_DAYS", DEFAULT_SUPPRESSION_DAYS)?;
        if !(1..=3650).contains(&days) {
            return Err(ConfigError::Invalid {
                name: "EMAIL_SUPPRESSION_DAYS",
                reason: "must be between 1 and 3650".into(),
            });
        }
        Ok(Self {
            common: CommonSettings::read_unauthenticated(env)?,
            suppression_days: days,
        })
    }

    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }
}

/// The function's state, built once per process.
pub struct EmailEvents {
    store: Store,
    clock: Clock,
    suppression: chrono::Duration,
}

/// What became of a batch's messages, for the metrics.
#[derive(Debug, Default)]
pub struct Tally {
    pub recorded: u32,
    pub ignored: u32,
}

impl EmailEvents {
    pub async fn from_env() -> Result<Self, StartupError> {
        let (settings, sdk) = config::load::<Settings>().await?;
        let dynamodb = invites_shared::aws::dynamodb_client(&sdk);
        Ok(Self::new(settings, dynamodb, Clock::system()))
    }

    pub fn new(settings: Settings, dynamodb: aws_sdk_dynamodb::Client, clock: Clock) -> Self {
        Self {
            store: Store::new(dynamodb, settings.common.table_name),
            clock,
            suppression: chrono::Duration::days(settings.suppression_days.into()),
        }
    }

    /// One SQS batch (`{"Records": [{messageId, body}]}`), with its metric line; the answer
    /// names the messages to retry (`ReportBatchItemFailures`): those the table could not
    /// take now.
    pub async fn handle(&self, batch: &Value) -> Value {
        let (answer, tally) = self.record(batch).await;
        MetricLine::new(emf::function_name("email-events"))
            .add(
                "EmailEventsRecorded",
                Unit::Count,
                f64::from(tally.recorded),
            )
            .add("EmailEventsIgnored", Unit::Count, f64::from(tally.ignored))
            .emit();
        answer
    }

    /// `handle` without the metric line (the dev tool prints one JSON object).
    pub async fn record(&self, batch: &Value) -> (Value, Tally) {
        let records: &[Value] = batch["Records"].as_array().map_or(&[], Vec::as_slice);
        let mut tally = Tally::default();
        let mut failures = Vec::new();
        for record in records {
            let body = record["body"].as_str().unwrap_or_default();
            if let Err(error) = self.apply(body, &mut tally).await {
                let message_id = record["messageId"].as_str().unwrap_or_default();
                tracing::warn!(message_id, error = %error_chain(&error), "email event not recorded; retried");
                failures.push(json!({ "itemIdentifier": message_id }));
            }
        }
        (json!({ "batchItemFailures": failures }), tally)
    }

    async fn apply(&self, body: &str, tally: &mut Tally) -> Result<(), StoreError> {
        let report = match read(body) {
            Ok(report) => report,
            Err(not_a_report) => {
                tally.ignored += 1;
                match not_a_report {
                    NotAReport::OtherType(kind) => tracing::info!(kind, "event type not tracked"),
                    other => tracing::warn!(?other, "not an invitation's SES event; dropped"),
                }
                return Ok(());
            }
        };
        let outcome = self
            .store
            .record_delivery(report.invite, report.email_id, &report.delivery)
            .await?;
        let status = report.delivery.status.as_str();
        match outcome {
            DeliveryOutcome::Recorded { tenant } => {
                tally.recorded += 1;
                tracing::info!(invite_id = %report.invite, tenant_id = %tenant, status, "delivery recorded");
                self.suppress(&report, tenant).await?;
            }
            DeliveryOutcome::NotNewer { tenant } => {
                tally.ignored += 1;
                tracing::info!(invite_id = %report.invite, status, "delivery report not newer");
                // A repeat of a bounce whose suppression failed the first time still holds.
                self.suppress(&report, tenant).await?;
            }
            DeliveryOutcome::EarlierEmail | DeliveryOutcome::UnknownInvite => {
                // Of an email the invite has since replaced, or of no invite: the address may
                // work now (a newer email), or the invite is gone; nothing to act on.
                tally.ignored += 1;
                tracing::info!(invite_id = %report.invite, status, outcome = ?outcome, "report not about a latest email");
            }
        }
        Ok(())
    }

    /// For the period from when it is recorded (a report can arrive late); the store keeps the
    /// first record of a bounce, so that a repeated report does not extend it.
    async fn suppress(&self, report: &Report, tenant: TenantId) -> Result<(), StoreError> {
        let Some((address, reason)) = &report.suppress else {
            return Ok(());
        };
        let at = report.delivery.at;
        let suppression = Suppression {
            tenant,
            reason: *reason,
            at,
            until: at.max(self.clock.now()).plus(self.suppression),
        };
        self.store.suppress_address(address, suppression).await
    }
}

impl invites_shared::batch::BatchFunction for EmailEvents {
    const NAME: &'static str = "email-events";

    fn handle_batch(&self, batch: &Value) -> impl std::future::Future<Output = Value> + Send {
        self.handle(batch)
    }
}
