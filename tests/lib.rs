//! Nothing here: the integration tests are in `api/` (one test binary, `cargo test -p invites-tests`).
