//! The Invites API's common crate: configuration, auth, domain types, the DynamoDB store, the
//! SES mailer, HTTP parsing and error mapping, and the four endpoint handlers.

pub mod auth;
pub mod config;
pub mod domain;
pub mod handlers;
pub mod http;
pub mod lambda;
pub mod mail;
pub mod metrics;
pub mod routes;
pub mod state;
pub mod store;
pub mod telemetry;

pub use handlers::{handle, Endpoint};
pub use state::AppState;
