//! racecheck's integration tests, one binary (one link instead of one per file; `cargo test
//! --release --test suite -- MODULE::` runs one module). Each module's own `//!` says what it
//! checks.

mod agreement;
mod cli;
mod codec;
mod commands;
mod common;
mod explain;
mod fuzz;
mod layers;
mod reduction;
mod reproduce;
mod schemas;
mod verdicts;
