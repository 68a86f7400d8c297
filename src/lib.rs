//! Local tooling for the Invites API: the HTTP server that serves the four handlers on
//! `localhost`, table creation from `template.yaml`, and the dev commands that seed tenants,
//! users and memberships and mint tokens.

pub mod dev;
pub mod docs;
pub mod runtime_api;
pub mod server;
pub mod template;
