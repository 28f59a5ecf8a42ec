//! What `racecheck reproduce` is asked ([`Options`]) and what it reports ([`Outcome`]: the
//! plan followed, the real restore's class and evidence, notes).

use super::plan::{self, Plan};
use crate::world::PgVersion;
use std::path::PathBuf;

/// Settings of a real run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Folder with the programs (`postgres`, `initdb`, `psql`) of the trace's PostgreSQL
    /// version; `None`: [`pg_bin_of`] that version.
    pub pg_bin: Option<PathBuf>,
    /// Keep the servers' folders here instead of a temporary folder that is removed.
    pub keep: Option<PathBuf>,
}

/// PostgreSQL 15's programs in Debian's layout (`postgresql-15`).
pub const DEBIAN_PG15_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Where `scripts/install-reproduce-deps.sh` puts the builds of 14, 16, 17 and 18:
/// `$RACECHECK_PG_ROOT`, else `/opt/racecheck/pg` (one folder per major, `MAJOR/bin`).
pub fn pg_root() -> PathBuf {
    std::env::var_os("RACECHECK_PG_ROOT")
        .map_or_else(|| PathBuf::from("/opt/racecheck/pg"), PathBuf::from)
}

/// The programs of a PostgreSQL version, where the install script puts them: Debian's 15, the
/// npm builds of the others (none for 9.x, which no real server here runs).
pub fn pg_bin_of(v: PgVersion) -> Option<PathBuf> {
    match v {
        PgVersion::V92 | PgVersion::V94 | PgVersion::V140 => None,
        PgVersion::V15 => Some(PathBuf::from(DEBIAN_PG15_BIN)),
        PgVersion::V14 | PgVersion::V16 | PgVersion::V17 | PgVersion::V18 => {
            Some(pg_root().join(v.as_str()).join("bin"))
        }
    }
}

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
