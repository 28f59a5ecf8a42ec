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

/// What a configuration's exploration depends on: the model's name, the backup source, the
/// programs (which carry the checkpoints' flags), and the semantic answers of
/// `world::Semantics`.
type Behaviour = (String, String, Vec<Vec<racecheck::scenario::Op>>, [bool; 4]);

/// Every matrix configuration (model x backup source x PostgreSQL version) that behaves
/// differently from those before it: a version whose scenario has the same programs and the
/// same semantic answers as an older one's (14, 16 and 17 as 15, docs/postgresql.md "Versions")
/// explores the same states, so the per-state checks run it once (the versions of the first
/// matrix, 9.2, 9.4, 15 and 18, are the representatives). `racecheck matrix` still runs every
/// row.
pub fn configs() -> Vec<Model> {
    use racecheck::world::PgVersion as V;
    let mut seen: Vec<Behaviour> = Vec::new();
    let mut out = Vec::new();
    let all = matrix::configs(&models());
    let first = |m: &Model| matches!(m.pg, V::V92 | V::V94 | V::V15 | V::V18);
    let (reps, rest): (Vec<Model>, Vec<Model>) = all.into_iter().partition(first);
    for m in reps.into_iter().chain(rest) {
        let sc = racecheck::scenario::Scenario::new(&m);
        let key = (
            m.name.clone(),
            m.backup.source.as_str().to_string(),
            sc.procs
                .iter()
                .map(|p| p.program.clone())
                .collect::<Vec<_>>(),
            [
                sc.sem.visible_images_heap(),
                sc.sem.recovery_creates_missing_dirs(),
                sc.sem.hint_bits_logged,
                sc.sem.checks_tablespace_directory(),
            ],
        );
        if !seen.contains(&key) {
            seen.push(key);
            out.push(m);
        }
    }
    let order = |m: &Model| V::ALL.iter().position(|v| *v == m.pg);
    let models = models();
    let rank = |m: &Model| models.iter().position(|x| x.name == m.name);
    out.sort_by_key(|m| (rank(m), m.backup.source.as_str() != "primary", order(m)));
    out
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
