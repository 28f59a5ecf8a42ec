//! What `racecheck reproduce` is asked ([`Options`]) and what it reports ([`Outcome`]: the
//! plan followed, the real restore's class and evidence, notes).

use super::plan::{self, Plan};
use std::path::PathBuf;

/// Settings of a real run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Folder with PostgreSQL 15's programs (`postgres`, `initdb`, `psql`).
    pub pg_bin: PathBuf,
    /// Keep the servers' folders here instead of a temporary folder that is removed.
    pub keep: Option<PathBuf>,
}

/// The default PostgreSQL 15 programs (Debian's layout).
pub const DEFAULT_PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The real restore's outcome, classified like [`plan::Predicted`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Real {
    /// The class (as [`plan::Predicted::class`]).
    pub class: plan::Class,
    /// The lines of the restored server's log (or of a query) that decided it.
    pub evidence: Vec<String>,
}

/// Everything a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// The plan followed.
    pub plan: Plan,
    /// What the real restore did.
    pub real: Real,
    /// Notes from the run (directories the real walk found different from the model's).
    pub notes: Vec<String>,
    /// Where the folders were kept, if asked.
    pub kept: Option<PathBuf>,
}

impl Outcome {
    /// Whether the real outcome is the model's prediction.
    pub fn matches(&self) -> bool {
        self.real.class == self.plan.predicted.class()
    }
}
