//! racecheck: a deterministic concurrency model checker for PostgreSQL storage, WAL and backup
//! races, starting with `ALTER DATABASE ... SET TABLESPACE` (`movedb`) against a concurrent base
//! backup (pgsql-hackers, 2015: "basebackups during ALTER DATABASE ... SET TABLESPACE ... not
//! safe?").
//!
//! Layers (each imports only those above it):
//! - [`world`]: the cluster as a pure `Clone + Hash + Eq` value, and the restore replay;
//! - [`scenario`]: the process programs and the variants (`models/*.toml`);
//! - [`property`]: always/sometimes predicates;
//! - [`trace`]: the JSON counterexample format and replay;
//! - [`explore`]: the backends (native BFS, loom, shuttle);
//! - [`report`]: human and JSON rendering of results, used by the CLI.

pub mod explore;
pub mod matrix;
pub mod property;
pub mod report;
pub mod scenario;
pub mod trace;
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
