//! What the Invites API's functions share: auth, domain types, the DynamoDB store, the HTTP
//! error mapping and the per-request wrapper. Each endpoint's handler, input parsing, errors
//! and settings are in its own crate under `functions/`; the store stays here, split by use
//! case, because it alone owns every key, index and condition of the one table.

pub mod auth;
pub mod aws;
pub mod batch;
pub mod budget;
pub mod config;
pub mod domain;
pub mod emf;
pub mod http;
pub mod metrics;
pub mod routes;
pub mod runtime;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod view;
pub mod xray;

/// Any error, for causes that are only logged.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
