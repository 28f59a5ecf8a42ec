//! What several test binaries share: the source tree's models, the matrix configurations, a
//! configuration's label, and the trace files kept in `traces/`.
#![allow(dead_code)] // not every helper is used by every configuration of the suite

use racecheck::matrix;
use racecheck::scenario::Model;
use std::path::PathBuf;

/// The source tree.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every model file of `models/`.
pub fn models() -> Vec<Model> {
    racecheck::scenario::load::load_dir(&root().join("models")).expect("models load")
}

/// Every matrix configuration (model x backup source x PostgreSQL version).
pub fn configs() -> Vec<Model> {
    matrix::configs(&models())
}

/// A configuration as assertion messages name it.
pub fn label(m: &Model) -> String {
    format!(
        "{} pg {} from {} K={} P={}",
        m.name,
        m.pg.as_str(),
        m.backup.source.as_str(),
        m.files,
        m.pages
    )
}

/// The traces kept in `traces/` and `traces/matrix/`, sorted.
pub fn trace_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in [root().join("traces"), root().join("traces/matrix")] {
        v.extend(
            std::fs::read_dir(dir)
                .expect("traces/ is readable")
                .map(|e| e.expect("a directory entry").path())
                .filter(|p| p.extension().is_some_and(|x| x == "json")),
        );
    }
    v.sort();
    v
}
