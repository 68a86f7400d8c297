//! Keeps invitation emails within the SES account's sending rate across every concurrent
//! create (a team onboarded at once): each send waits for a place in a second that is not
//! full (`Store::reserve_send_second`). Without it SES throttles the excess, and those
//! invitations fail with 503s instead of going out a moment later.

use std::time::Duration;

use invites_shared::budget;
use invites_shared::domain::Clock;
use invites_shared::store::{Store, StoreError};

/// The most a send waits for its place: the rest of the request's budget, less this margin for
/// the send itself and recording it.
const SEND_MARGIN: Duration = Duration::from_secs(2);

/// Emails per second across the deployment (`SES_MAX_SEND_RATE`), or unpaced.
#[derive(Debug, Clone, Copy)]
pub struct SendPace {
    pub per_second: Option<u32>,
}

/// No place in a second the request could wait for.
#[derive(Debug, thiserror::Error)]
#[error("invitation emails are going out at the SES sending rate ({0} per second)")]
pub struct RateReached(pub u32);

#[derive(Debug, thiserror::Error)]
pub enum PaceError {
    #[error(transparent)]
    RateReached(#[from] RateReached),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SendPace {
    /// Returns when this send may start.
    pub async fn wait_for_place(&self, store: &Store, clock: &Clock) -> Result<(), PaceError> {
        let Some(per_second) = self.per_second else {
            return Ok(());
        };
        let now_ms = clock.now().as_datetime().timestamp_millis();
        let wait = budget::remaining().saturating_sub(SEND_MARGIN);
        let latest_ms = now_ms + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
        let second = store
            .reserve_send_second(per_second, now_ms, latest_ms)
            .await?
            .ok_or(RateReached(per_second))?;
        let now_ms = clock.now().as_datetime().timestamp_millis();
        let until = (second * 1000).saturating_sub(now_ms);
        if until > 0 {
            tokio::time::sleep(Duration::from_millis(until.unsigned_abs())).await;
        }
        Ok(())
    }
}
