//! One time budget per request. The request's deadline (the Lambda invocation's, less a
//! margin; a fixed timeout in the local server) bounds everything the request does: each
//! retry loop asks [`retry_pause`] before trying again, and the per-request wrapper stops
//! the request at the deadline, so a slow dependency becomes a 503 before the function times
//! out. Retries of all layers (re-reading after a concurrent change, transaction conflicts,
//! unprocessed keys) draw on the same budget.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// Retries one request may make in all, whatever layer makes them (and one retry loop outside
/// a request, such as the dev tool's).
const MAX_RETRIES: u32 = 16;
/// Time another attempt needs at least; no retry starts with less left.
const ATTEMPT_ROOM: Duration = Duration::from_millis(250);
/// The ceiling of the first backoff pause (20 ms); it doubles with each retry up to
/// `MAX_PAUSE`, and the pause is drawn at random below it (full jitter).
const BASE_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_millis(400);

/// The request ran out of time or retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request's time budget is spent")]
pub struct Exhausted;

struct Budget {
    deadline: Instant,
    retries: Cell<u32>,
}

tokio::task_local! {
    static BUDGET: Budget;
}

/// Where the budget of a request with `timeout` left ends: early enough to answer.
pub fn deadline_after(timeout: Duration) -> Instant {
    let margin = (timeout / 10).clamp(Duration::from_millis(100), Duration::from_secs(1));
    Instant::now() + timeout.saturating_sub(margin)
}

/// Runs `work` within `deadline`: `Err(Exhausted)` if it is not done by then.
pub async fn within<F: Future>(deadline: Instant, work: F) -> Result<F::Output, Exhausted> {
    let budget = Budget {
        deadline,
        retries: Cell::new(0),
    };
    BUDGET
        .scope(budget, tokio::time::timeout_at(deadline, work))
        .await
        .map_err(|_| Exhausted)
}

/// Time left before the deadline (a day outside a request: dev tools have no deadline).
pub fn remaining() -> Duration {
    BUDGET
        .try_with(|budget| budget.deadline.saturating_duration_since(Instant::now()))
        .unwrap_or(Duration::from_secs(86_400))
}

/// Waits before another attempt, if the request has retries and time left for one. `attempt`
/// counts the calling loop's own retries (1 for its first); inside a request the request's
/// count across all its loops is what is limited, outside one (dev tools) the loop's.
pub async fn retry_pause(attempt: u32) -> Result<(), Exhausted> {
    let retry = BUDGET
        .try_with(|budget| {
            let retry = budget.retries.get() + 1;
            budget.retries.set(retry);
            retry
        })
        .unwrap_or(attempt);
    if retry > MAX_RETRIES {
        return Err(Exhausted);
    }
    let ceiling = (BASE_PAUSE * 2u32.saturating_pow(retry.min(10))).min(MAX_PAUSE);
    let pause = jitter(ceiling);
    if remaining() < pause + ATTEMPT_ROOM {
        return Err(Exhausted);
    }
    tokio::time::sleep(pause).await;
    Ok(())
}

/// Random delay in `0..max`, so that retrying contenders spread out.
fn jitter(max: Duration) -> Duration {
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    let max_micros = max.as_micros().max(1) as u64;
    Duration::from_micros(random % max_micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_past_the_deadline_is_stopped() {
        let deadline = Instant::now() + Duration::from_millis(50);
        let slow = tokio::time::sleep(Duration::from_secs(5));
        assert_eq!(within(deadline, slow).await, Err(Exhausted));
    }

    #[tokio::test]
    async fn retries_stop_when_the_budget_is_spent() {
        let deadline = Instant::now() + Duration::from_secs(30);
        let retries = within(deadline, async {
            let mut made = 0;
            while retry_pause(made + 1).await.is_ok() {
                made += 1;
            }
            made
        })
        .await
        .unwrap();
        assert_eq!(retries, MAX_RETRIES);
        let short = Instant::now() + Duration::from_millis(100);
        assert_eq!(within(short, retry_pause(1)).await, Ok(Err(Exhausted)));
    }

    #[tokio::test]
    async fn outside_a_request_each_loop_is_capped_on_its_own() {
        assert_eq!(retry_pause(MAX_RETRIES + 1).await, Err(Exhausted));
        assert_eq!(retry_pause(1).await, Ok(()));
    }
}
