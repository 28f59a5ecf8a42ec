//! The wire formats: every JSON document racecheck writes, one type each, named by its format
//! (`racecheck-NAME/VERSION`, carried in its `format` field; the trace's in `schema`), and the
//! JSON Schemas generated from these types (`schema/*.json`, checked by the tests against what
//! [`schemas`] makes now, and every stored trace and command output validated against them).

use crate::matrix::Row;
use crate::property::Prop;
use crate::report::JsonResult;
use crate::trace::Trace;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeSet;

/// `racecheck --variant V --json`: one variant's result.
pub const CHECK: &str = "racecheck-check/1";
/// `racecheck --json` (every variant).
pub const CHECK_ALL: &str = "racecheck-check-all/1";
/// `racecheck matrix --json`.
pub const MATRIX: &str = "racecheck-matrix/1";
/// `racecheck replay --json`.
pub const REPLAY: &str = "racecheck-replay/1";
/// `racecheck reproduce --json`.
pub const REPRODUCE: &str = "racecheck-reproduce/1";
/// `racecheck sweep --json`.
pub const SWEEP: &str = "racecheck-sweep/1";

/// `racecheck --variant V --json`.
#[derive(Serialize, JsonSchema)]
pub struct CheckOutput<'a> {
    /// [`CHECK`].
    pub format: &'static str,
    /// The result.
    #[serde(flatten)]
    pub result: JsonResult<'a>,
}

/// `racecheck --json`: every variant of the models directory.
#[derive(Serialize, JsonSchema)]
pub struct CheckAllOutput<'a> {
    /// [`CHECK_ALL`].
    pub format: &'static str,
    /// One result per variant, in file-name order.
    pub results: Vec<JsonResult<'a>>,
}

/// `racecheck matrix --json`.
#[derive(Serialize, JsonSchema)]
pub struct MatrixOutput<'a> {
    /// [`MATRIX`].
    pub format: &'static str,
    /// The rows, in matrix order.
    pub rows: &'a [Row],
}

/// `racecheck replay --json`.
#[derive(Serialize, JsonSchema)]
pub struct ReplayOutput {
    /// [`REPLAY`].
    pub format: &'static str,
    /// The trace file.
    pub trace: String,
    /// Steps replayed.
    pub steps: usize,
    /// The property violated at the end (none: a control schedule).
    pub property: Option<Prop>,
    /// Its headline message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Its supporting lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// The model of a reproduced trace, in short.
#[derive(Serialize, JsonSchema)]
pub struct ReproducedModel {
    /// The command (`movedb`, `createdb`, `dropdb`).
    pub command: String,
    /// PostgreSQL version.
    pub pg: String,
    /// Relation files.
    pub files: u8,
    /// Pages per file.
    pub pages: u8,
}

/// `racecheck reproduce --json`.
#[derive(Serialize, JsonSchema)]
pub struct ReproduceOutput {
    /// [`REPRODUCE`].
    pub format: &'static str,
    /// The trace file.
    pub trace: String,
    /// Its model, in short.
    pub model: ReproducedModel,
    /// The always-properties the model finds violated at the end of the schedule.
    pub violated: Vec<String>,
    /// The model's predicted outcome class.
    pub predicted: String,
    /// The real restore's outcome class.
    pub real: String,
    /// The server log lines (or query output) that decided the real class.
    pub evidence: Vec<String>,
    /// Notes from the run (directories the real walk found different from the model's).
    pub notes: Vec<String>,
    /// Steps merged into a pause point, and why.
    pub merged: Vec<String>,
    /// Whether the real outcome is the model's.
    #[serde(rename = "match")]
    pub matches: bool,
}

/// One row of `racecheck sweep`.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct SweepRow {
    /// Variant.
    pub variant: String,
    /// Version.
    pub pg: String,
    /// Backup source.
    pub source: String,
    /// Distinct schedules tried.
    pub schedules: usize,
    /// Real outcome = model's prediction.
    pub matches: usize,
    /// Real outcome differs (each trace kept).
    pub differences: usize,
    /// Schedules reproduce refused (a schedule a stock server cannot follow, a command or
    /// source it cannot drive yet).
    pub refusals: usize,
    /// The first refusal's (or failure's) reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused_because: Option<String>,
    /// Real runs that failed (a server that would not start, a missing tool).
    pub failures: usize,
    /// Real outcome classes seen.
    pub real: BTreeSet<String>,
    /// Differing traces kept.
    pub kept: Vec<String>,
}

/// `racecheck sweep --json`.
#[derive(Serialize, JsonSchema)]
pub struct SweepOutput<'a> {
    /// [`SWEEP`].
    pub format: &'static str,
    /// The rows.
    pub rows: &'a [SweepRow],
}

/// Every format's JSON Schema, by the file name it is kept under in `schema/`.
pub fn schemas() -> Vec<(String, serde_json::Value)> {
    fn one<T: JsonSchema>(name: &str) -> (String, serde_json::Value) {
        let file = format!("{}.json", name.replace('/', "-"));
        // The contract of what racecheck writes: a field skipped when empty is not required.
        let generator = schemars::generate::SchemaSettings::default()
            .for_serialize()
            .into_generator();
        let mut v = serde_json::to_value(generator.into_root_schema_for::<T>()).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("$id".into(), serde_json::Value::String(file.clone()));
        }
        (file, v)
    }
    vec![
        one::<Trace>(crate::trace::SCHEMA),
        one::<CheckOutput<'static>>(CHECK),
        one::<CheckAllOutput<'static>>(CHECK_ALL),
        one::<MatrixOutput<'static>>(MATRIX),
        one::<ReplayOutput>(REPLAY),
        one::<ReproduceOutput>(REPRODUCE),
        one::<SweepOutput<'static>>(SWEEP),
    ]
}
