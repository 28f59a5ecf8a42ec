//! The verdict matrix: every model file at every backup source (primary, standby) and every
//! PostgreSQL version, checked with the native explorer, compared with the expectations kept in
//! `models/matrix/expectations.toml`.

use crate::explore::{self, Options, Report};
use crate::scenario::model::BackupSource;
use crate::scenario::{Model, Scenario};
use crate::trace;
use crate::world::PgVersion;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Expected violated always-properties per variant, backup source and version (empty = holds).
pub type Expectations = BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<String>>>>;

/// One row of the matrix.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Row {
    /// Variant.
    pub variant: String,
    /// Backup source: primary or standby.
    pub source: String,
    /// PostgreSQL version.
    pub pg: String,
    /// holds / VIOLATED / inconclusive.
    pub verdict: String,
    /// Violated always-properties, in property order.
    pub violated: Vec<String>,
    /// Distinct states explored.
    pub states: u64,
    /// Trace written for the headline violation, if any.
    pub trace: Option<String>,
    /// Expected violated properties (None: no expectation recorded).
    pub expected: Option<Vec<String>>,
}

impl Row {
    /// Whether the row matches its expectation.
    pub fn as_expected(&self) -> bool {
        self.verdict != "inconclusive" && self.expected.as_ref() == Some(&self.violated)
    }
}

/// Path of the expectations file in a models directory.
pub fn expectations_path(models: &Path) -> PathBuf {
    models.join("matrix").join("expectations.toml")
}

/// Read the expectations file.
pub fn load_expectations(path: &Path) -> Result<Expectations, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.to_string().trim_end()))
}

/// The file name of a matrix row's trace.
pub fn trace_name(variant: &str, pg: PgVersion, source: BackupSource) -> String {
    format!("{variant}@pg{}-{}.json", pg.as_str(), source.as_str())
}

/// Why the matrix could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    /// An engine failed.
    #[error(transparent)]
    Explore(#[from] crate::explore::ExploreError),
    /// A trace could not be built or written.
    #[error("{0}")]
    Trace(String),
}

/// Every configuration of the matrix: each model at each backup source and each version its
/// command is checked at ([`crate::scenario::command::CommandDef::versions`]), in row order
/// (models as given, then primary before standby, then versions oldest first).
pub fn configs(models: &[Model]) -> Vec<Model> {
    let mut out = Vec::new();
    for base in models {
        for source in BackupSource::ALL {
            for &pg in crate::scenario::command::def(base.command).versions() {
                let mut m = base.clone();
                m.pg = pg;
                m.backup.source = source;
                out.push(m);
            }
        }
    }
    out
}

/// One row from a configuration's report; `trace` is the file name its trace was written to.
pub fn row(m: &Model, r: &Report, expect: &Expectations, trace: Option<String>) -> Row {
    let (source, pg) = (m.backup.source.as_str(), m.pg.as_str());
    Row {
        variant: m.name.clone(),
        source: source.to_string(),
        pg: pg.to_string(),
        verdict: r.verdict.word().to_string(),
        violated: r
            .counterexamples
            .iter()
            .map(|c| c.violation.property.name().to_string())
            .collect(),
        states: r.stats.states,
        trace,
        expected: expect
            .get(&m.name)
            .and_then(|v| v.get(source))
            .and_then(|v| v.get(pg))
            .cloned(),
    }
}

/// Write a configuration's headline trace into `dir`; returns its file name (None if it holds).
pub fn write_trace(m: &Model, r: &Report, dir: &Path) -> Result<Option<String>, MatrixError> {
    let Some(cx) = r.counterexamples.first() else {
        return Ok(None);
    };
    let t = trace::build(&Scenario::new(m), cx, &r.engine).map_err(MatrixError::Trace)?;
    let name = trace_name(&m.name, m.pg, m.backup.source);
    trace::write(&t, &dir.join(&name)).map_err(|e| MatrixError::Trace(format!("{name}: {e}")))?;
    Ok(Some(name))
}

/// [`run`], calling `progress(done, total, row)` after each row.
pub fn run_with_progress(
    models: &[Model],
    expect: &Expectations,
    opts: &Options,
    trace_dir: Option<&Path>,
    mut progress: impl FnMut(usize, usize, &Row),
) -> Result<Vec<Row>, MatrixError> {
    let configs = configs(models);
    let mut rows = Vec::with_capacity(configs.len());
    for m in &configs {
        let r = explore::run(&Scenario::new(m), opts)?;
        let written = match trace_dir {
            Some(dir) => write_trace(m, &r, dir)?,
            None => None,
        };
        rows.push(row(m, &r, expect, written));
        progress(rows.len(), configs.len(), &rows[rows.len() - 1]);
    }
    Ok(rows)
}

/// The matrix as a Markdown table (deterministic: no timings).
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| variant | source | pg | verdict | violated | states |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let v = if r.violated.is_empty() {
            "-".to_string()
        } else {
            r.violated.join(", ")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.variant, r.source, r.pg, r.verdict, v, r.states
        );
    }
    out
}

/// The matrix as a text table, with each row's expectation and trace.
pub fn text(rows: &[Row]) -> String {
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            let ok = match &r.expected {
                None => "NO EXPECTATION".to_string(),
                Some(_) if r.as_expected() => "yes".to_string(),
                Some(e) => format!("NO: expected [{}]", e.join(", ")),
            };
            [
                r.variant.clone(),
                r.source.clone(),
                r.pg.clone(),
                r.verdict.clone(),
                if r.violated.is_empty() {
                    "-".to_string()
                } else {
                    r.violated.join(", ")
                },
                r.states.to_string(),
                match &r.trace {
                    Some(t) => format!("{ok}  {t}"),
                    None => ok,
                },
            ]
        })
        .collect();
    crate::report::text_table(
        [
            "variant",
            "source",
            "pg",
            "verdict",
            "violated",
            "states",
            "as expected",
        ],
        &cells,
    )
}
