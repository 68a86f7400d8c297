//! Integration tests: HTTP against the local server, over DynamoDB Local and the SES emulator.

mod helpers;

mod abuse;
mod accept;
mod attacks;
mod auth;
mod concurrency;
mod create;
mod deadline;
mod delete;
mod events;
mod faults;
mod isolation;
mod jwks;
mod list;
mod load;
mod round_trips;
mod secrets;
mod security;
mod snapshot;
mod template;
mod validation;
