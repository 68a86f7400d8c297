//! Per-request cost meter: time spent in AWS calls and DynamoDB capacity consumed, gathered by
//! one SDK interceptor into a scope opened for each request, and logged with it. The benchmark
//! reads these fields from the functions' logs; in production they show what a request costs.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextMut, BeforeSerializationInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    delete_item::{DeleteItemInput, DeleteItemOutput},
    get_item::{GetItemInput, GetItemOutput},
    put_item::{PutItemInput, PutItemOutput},
    query::{QueryInput, QueryOutput},
    transact_write_items::{TransactWriteItemsInput, TransactWriteItemsOutput},
    update_item::{UpdateItemInput, UpdateItemOutput},
};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};

use crate::BoxError;

/// What one request spent on its dependencies.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub dependency_time: Duration,
    pub aws_calls: u32,
    pub read_units: f64,
    pub write_units: f64,
}

/// One request's meter. A request makes its AWS calls one after the other, so one start
/// instant is enough.
#[derive(Default)]
struct Meter {
    call_started: Cell<Option<Instant>>,
    usage: Cell<Usage>,
    /// What the request did, counted by its handler (`count`): invites created, emails sent, …
    counts: RefCell<Vec<(&'static str, f64)>>,
}

/// What one request did and spent: its AWS usage and its handler's counts. The runtime
/// writes it as the request's metrics line (`emf`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    pub usage: Usage,
    pub counts: Vec<(&'static str, f64)>,
}

/// Counts one `name` (a metric of the request's line: `InvitesCreated`, `EmailsSent`, …).
/// Outside a measured request (tests of a store call), nothing.
pub fn count(name: &'static str) {
    let _ = METER.try_with(|meter| {
        let mut counts = meter.counts.borrow_mut();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, total)) => *total += 1.0,
            None => counts.push((name, 1.0)),
        }
    });
}

tokio::task_local! {
    static METER: Meter;
}

/// Runs `work` with a fresh meter and returns what it did and spent.
pub async fn measure<F: Future>(work: F) -> (F::Output, Measured) {
    METER
        .scope(Meter::default(), async {
            let output = work.await;
            let measured = METER.with(|meter| Measured {
                usage: meter.usage.get(),
                counts: meter.counts.take(),
            });
            (output, measured)
        })
        .await
}

fn update(change: impl FnOnce(&mut Usage)) {
    let _ = METER.try_with(|meter| {
        let mut usage = meter.usage.get();
        change(&mut usage);
        meter.usage.set(usage);
    });
}

fn total<'a>(capacities: impl IntoIterator<Item = &'a ConsumedCapacity>) -> f64 {
    capacities
        .into_iter()
        .filter_map(ConsumedCapacity::capacity_units)
        .sum()
}

/// The SDK interceptor behind the meter; installed on the DynamoDB and SES clients.
#[derive(Debug, Clone, Copy)]
pub struct CostMeter;

impl Intercept for CostMeter {
    fn name(&self) -> &'static str {
        "CostMeter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _ = METER.try_with(|meter| meter.call_started.set(Some(Instant::now())));
        Ok(())
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        let total = Some(ReturnConsumedCapacity::Total);
        if let Some(input) = input.downcast_mut::<GetItemInput>() {
            input.return_consumed_capacity = total;
        } else if let Some(input) = input.downcast_mut::<BatchGetItemInput>() {
            input.return_consumed_capacity = total;
        } else if let Some(input) = input.downcast_mut::<QueryInput>() {
            input.return_consumed_capacity = total;
        } else if let Some(input) = input.downcast_mut::<PutItemInput>() {
            input.return_consumed_capacity = total;
        } else if let Some(input) = input.downcast_mut::<UpdateItemInput>() {
            input.return_consumed_capacity = total;
        } else if let Some(input) = input.downcast_mut::<DeleteItemInput>() {
            input.return_consumed_capacity = total;
        } else if let Some(input) = input.downcast_mut::<TransactWriteItemsInput>() {
            input.return_consumed_capacity = total;
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let started = METER
            .try_with(|meter| meter.call_started.take())
            .ok()
            .flatten();
        let (mut read, mut write) = (0.0, 0.0);
        if let Some(Ok(output)) = context.output_or_error() {
            if let Some(o) = output.downcast_ref::<GetItemOutput>() {
                read = total(o.consumed_capacity());
            } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
                read = total(o.consumed_capacity());
            } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
                read = total(o.consumed_capacity());
            } else if let Some(o) = output.downcast_ref::<PutItemOutput>() {
                write = total(o.consumed_capacity());
            } else if let Some(o) = output.downcast_ref::<UpdateItemOutput>() {
                write = total(o.consumed_capacity());
            } else if let Some(o) = output.downcast_ref::<DeleteItemOutput>() {
                write = total(o.consumed_capacity());
            } else if let Some(o) = output.downcast_ref::<TransactWriteItemsOutput>() {
                write = total(o.consumed_capacity());
            }
        }
        update(|usage| {
            usage.aws_calls += 1;
            usage.dependency_time += started.map(|at| at.elapsed()).unwrap_or_default();
            usage.read_units += read;
            usage.write_units += write;
        });
        Ok(())
    }
}
