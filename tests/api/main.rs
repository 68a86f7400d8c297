//! Integration tests: HTTP against the local server, over DynamoDB Local and the SES emulator.

mod helpers;

mod accept;
mod attacks;
mod auth;
mod concurrency;
mod create;
mod deadline;
mod delete;
mod events;
mod faults;
mod list;
mod load;
mod template;
mod validation;
