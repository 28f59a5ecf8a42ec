//! racecheck: a deterministic concurrency model checker for PostgreSQL storage, WAL and backup
//! races: `ALTER DATABASE ... SET TABLESPACE` (`movedb`), `CREATE DATABASE` and `DROP DATABASE`
//! against a concurrent base backup (pgsql-hackers, 2015: "basebackups during ALTER DATABASE ...
//! SET TABLESPACE ... not safe?").
//!
//! Layers, lowest first; each imports only the ones listed before it (checked by
//! `tests/layers.rs`; docs/architecture.md):
//! - [`world`]: the cluster as a pure `Clone + Hash + Eq` value, one room per PostgreSQL
//!   subsystem (files, WAL, locks, catalog, buffers, checkpointer, backup walk, standby, redo);
//! - [`scenario`]: the process programs, the ops they are made of, the variants
//!   (`models/*.toml`) and the names of the properties;
//! - [`property`]: the always/sometimes predicates;
//! - [`trace`]: the JSON counterexample format, the engine identity it records, and replay;
//! - [`explore`]: the engines (native BFS, loom, shuttle);
//! - [`report`]: human and JSON rendering of results;
//! - [`explain`]: views of a counterexample (text, Mermaid, happens-before DOT);
//! - [`matrix`]: every model at every backup source and version, against expectations;
//! - [`reproduce`]: a trace driven through a real PostgreSQL server of its version (14 to 18,
//!   `racecheck reproduce`);
//! - [`wire`]: every JSON document racecheck writes, typed, with its format name and its JSON
//!   Schema (`schema/`).
//!
//! The `racecheck` binary (`src/main.rs`, `src/cli/`) sits above them all.

pub mod explain;
pub mod explore;
pub mod matrix;
pub mod property;
pub mod report;
pub mod reproduce;
pub mod scenario;
pub mod trace;
pub mod wire;
pub mod world;

use std::path::PathBuf;

/// The models directory: `$RACECHECK_MODELS`, else `./models` if it exists, else the one in the
/// source tree racecheck was built from.
pub fn default_models_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("RACECHECK_MODELS") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("models");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}
