//! Integration tests: HTTP against the local server, over DynamoDB Local and the SES emulator.

mod helpers;

mod accept;
mod auth;
mod create;
mod delete;
mod events;
mod list;
mod template;
mod validation;
