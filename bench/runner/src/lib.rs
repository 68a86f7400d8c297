//! The benchmark's building blocks: a Lambda Runtime API harness that runs a function binary
//! as Lambda does (used by the benchmark and by the event tests).

pub mod runtime_api;
pub mod wire;
