//! Integration tests: HTTP against the local server, over DynamoDB Local and the SES emulator.

mod helpers;

mod abuse;
mod accept;
mod api_keys;
mod attacks;
mod auth;
mod concurrency;
mod create;
mod deadline;
mod delete;
mod directory;
mod directory_deletes;
mod directory_sync;
mod events;
mod events_out;
mod faults;
mod groups;
mod invite_link;
mod isolation;
mod jwks;
mod lifecycle;
mod list;
mod list_scan;
mod list_status;
mod load;
mod operations;
mod platform_chain;
mod preview;
mod round_trips;
mod secrets;
mod security;
mod snapshot;
mod template;
mod update;
mod validation;
