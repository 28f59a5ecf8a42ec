//! The command line, kept out of the library: its clap definition ([`args`]) and what each
//! command does ([`commands`]), `racecheck sweep` ([`sweep`]), the progress reporter
//! ([`progress`]: the library prints nothing). `main.rs` only dispatches and maps outcomes to exit
//! codes.

pub mod args;
pub mod commands;
pub mod progress;
pub mod sweep;
