//! The command line, kept out of the library: its clap definition ([`args`]) and what each
//! command does ([`commands`]). `main.rs` only dispatches and maps outcomes to exit codes.

pub mod args;
pub mod commands;
pub mod sweep;
