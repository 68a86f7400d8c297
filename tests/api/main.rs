//! Integration tests: HTTP against the local server, over DynamoDB Local and the SES emulator.

mod helpers;

mod accept;
mod auth;
mod create;
mod delete;
mod list;
mod template;
mod validation;
