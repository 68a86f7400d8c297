#![recursion_limit = "256"]

//! Local tooling for the Invites API: the HTTP server that serves the four function
//! libraries on `localhost` with the template's routes, table creation from `template.yaml`,
//! the API Gateway events of `events/`, and the dev commands that seed tenants, users and
//! memberships and mint tokens, and the invitation page with a development sign-in. Nothing
//! here is deployed.

pub mod app;
pub mod dev;
pub mod directory;
pub mod directory_cli;
pub mod docs;
pub mod events;
pub mod import;
pub mod lifecycle;
pub mod platform;
pub mod server;
pub mod ses_events;
pub mod stream;
pub mod template;
pub mod web;

pub use invites_shared::BoxError as Error;
