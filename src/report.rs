//! Rendering results for people and for machines: the per-process timeline of a counterexample,
//! the coverage of sometimes-properties, text tables (the all-variants table, the matrix), and the
//! `--json` document.

use crate::explore::{Reach, Report};
use crate::scenario::Scenario;
use crate::trace::{Step, Trace};
use serde::Serialize;
use std::fmt::Write as _;

/// A timeline: one line per step, with one lane per process (`●` = the process that steps).
pub fn timeline(sc: &Scenario, steps: &[Step]) -> String {
    let names: Vec<&str> = sc.procs.iter().map(|p| p.name).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  lanes: {}",
        names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{}={n}", i + 1))
            .collect::<Vec<_>>()
            .join("  ")
    );
    for s in steps {
        let lanes: String = names
            .iter()
            .map(|n| if *n == s.proc { "● " } else { "│ " })
            .collect();
        let _ = writeln!(out, "  {:>3} {lanes} {:<12} {}", s.index, s.proc, s.event);
    }
    out
}

/// Text for the sometimes-property coverage.
pub fn coverage(report: &Report) -> String {
    let mut out = String::new();
    for (name, r) in &report.coverage {
        let word = match r {
            Reach::Reached => "reached",
            Reach::UnreachableAsClaimed if report.complete => {
                "unreachable, as the variant claims (checked by claim-unreachable)"
            }
            Reach::UnreachableAsClaimed => "not reached (claimed unreachable; run incomplete)",
            Reach::NotReached => "NOT REACHED",
        };
        let _ = writeln!(out, "  sometimes {name:<28} {word}");
    }
    out
}

/// The coverage grid (`--coverage`): one row per backup start (relative to the command's WAL
/// records, in WAL order) and walk (during a removal or not), one column per restore outcome;
/// each cell holds how many terminal states (native) or executions (loom, shuttle) ended there,
/// or `.` where none did. Every cell of the domain is shown, reached or not.
pub fn cells(sc: &Scenario, report: &Report) -> String {
    use crate::property::{OUTCOMES, WALKS, starts};
    let mut rows_of = starts(sc.model.command);
    for (c, _) in &report.cells {
        if !rows_of.contains(&c.start) {
            rows_of.push(c.start);
        }
    }
    const COLS: usize = OUTCOMES.len() + 2;
    let mut rows: Vec<[String; COLS]> = Vec::new();
    for st in rows_of {
        for wk in WALKS {
            let mut row: [String; COLS] = Default::default();
            row[0] = st.to_string();
            row[1] = wk.to_string();
            for (k, o) in OUTCOMES.iter().enumerate() {
                row[k + 2] = report
                    .cells
                    .iter()
                    .find(|(c, _)| c.start == st && c.walk == wk && c.outcome == *o)
                    .map_or(".".to_string(), |(_, n)| n.to_string());
            }
            rows.push(row);
        }
    }
    let mut head = [""; COLS];
    head[0] = "backup start";
    head[1] = "walk";
    for (k, o) in OUTCOMES.iter().enumerate() {
        head[k + 2] = o;
    }
    text_table(head, &rows)
}

/// The full human report of one variant's run; `trace` is the headline counterexample's trace.
pub fn render(sc: &Scenario, report: &Report, trace: Option<&Trace>) -> String {
    let m = &sc.model;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "variant {} (PostgreSQL {}, checksums {}, backup from the {}, {} file(s) x {} page(s)), engine {}",
        m.name,
        m.pg,
        if sc.sem.hint_bits_logged { "on" } else { "off" },
        m.backup.source,
        m.files,
        m.pages,
        report.engine.name.as_str()
    );
    if let Some(t) = trace
        && let Some(v) = &t.violation
    {
        let _ = writeln!(out, "\nVIOLATED: {} ({} steps)", v.property, t.steps.len());
        let _ = writeln!(out, "  {}", v.message);
        for d in &v.details {
            let _ = writeln!(out, "  {d}");
        }
        let _ = writeln!(
            out,
            "\ncounterexample ({}):",
            match report.engine.name {
                crate::trace::Engine::Native => "a shortest one: breadth-first search",
                crate::trace::Engine::Loom | crate::trace::Engine::Shuttle => "the first found",
            }
        );
        out.push_str(&timeline(sc, &t.steps));
        if !t.restore_log.is_empty() {
            let _ = writeln!(out, "\nreplay of the restored backup (startup process):");
            for l in &t.restore_log {
                let _ = writeln!(out, "  {l}");
            }
        }
    }
    if report.counterexamples.len() > 1 {
        let _ = writeln!(out, "\nalso violated:");
        for cx in report.counterexamples.iter().skip(1) {
            let _ = writeln!(
                out,
                "  {:<18} {} ({} steps)",
                cx.violation.property,
                cx.violation.message,
                cx.schedule.len()
            );
        }
    }
    let _ = writeln!(out, "\ncoverage:");
    out.push_str(&coverage(report));
    let _ = writeln!(out, "\n{}", report.summary);
    let _ = writeln!(
        out,
        "verdict: {}{}",
        report.verdict.word(),
        match &report.verdict {
            crate::explore::Verdict::Inconclusive(why) => format!(" ({why})"),
            _ => String::new(),
        }
    );
    out
}

/// Machine-readable result of one variant.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct JsonResult<'a> {
    /// Variant.
    pub variant: &'a str,
    /// holds / violated / inconclusive.
    pub verdict: &'static str,
    /// Why inconclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Violated always-properties with their messages.
    pub violated: Vec<JsonViolation>,
    /// Sometimes-property coverage.
    pub coverage: Vec<(crate::property::Prop, Reach)>,
    /// The domain cells reached, with their run counts.
    pub cells: Vec<(crate::property::Cell, u64)>,
    /// Statistics.
    pub stats: &'a crate::explore::Stats,
    /// Engine summary line.
    pub summary: &'a str,
    /// Where the trace was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Whether the verdict matched the model file's expectation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_expected: Option<bool>,
}

/// One violated property in JSON.
#[derive(Serialize, schemars::JsonSchema)]
pub struct JsonViolation {
    /// Property.
    pub property: crate::property::Prop,
    /// Message.
    pub message: String,
    /// Schedule length.
    pub steps: usize,
}

impl<'a> JsonResult<'a> {
    /// Build from a report; `as_expected` when compared with the model's `[expect]`.
    pub fn new(
        name: &'a str,
        r: &'a Report,
        trace: Option<String>,
        as_expected: Option<bool>,
    ) -> Self {
        JsonResult {
            variant: name,
            verdict: r.verdict.key(),
            reason: match &r.verdict {
                crate::explore::Verdict::Inconclusive(w) => Some(w.clone()),
                _ => None,
            },
            violated: r
                .counterexamples
                .iter()
                .map(|c| JsonViolation {
                    property: c.violation.property,
                    message: c.violation.message.clone(),
                    steps: c.schedule.len(),
                })
                .collect(),
            coverage: r.coverage.clone(),
            cells: r.cells.clone(),
            stats: &r.stats,
            summary: &r.summary,
            trace,
            as_expected,
        }
    }
}

/// Whether a report matches the model file's `[expect]` section; `Err` says how it differs.
pub fn matches_expectation(sc: &Scenario, r: &Report) -> Result<(), String> {
    use crate::explore::Verdict;
    use crate::scenario::model::ExpectedVerdict;
    let e = &sc.model.expect;
    let got: Vec<&str> = r
        .counterexamples
        .iter()
        .map(|c| c.violation.property.name())
        .collect();
    let mut want = e.violated.clone();
    want.sort();
    let want: Vec<&str> = want.iter().map(|p| p.name()).collect();
    match (&r.verdict, e.verdict) {
        (Verdict::Inconclusive(why), _) => Err(format!("inconclusive: {why}")),
        (Verdict::Holds, ExpectedVerdict::Holds) => Ok(()),
        (Verdict::Violated, ExpectedVerdict::Violated) if got == want => Ok(()),
        _ => Err(format!(
            "expected {} [{}], got {} [{}]",
            match e.verdict {
                ExpectedVerdict::Holds => "holds",
                ExpectedVerdict::Violated => "violated",
            },
            want.join(", "),
            r.verdict.word(),
            got.join(", ")
        )),
    }
}

/// A text table: a header, a rule, and one line per row, each column as wide as its widest cell
/// (left-aligned, two spaces apart, no trailing blanks).
pub fn text_table<const N: usize>(head: [&str; N], rows: &[[String; N]]) -> String {
    let mut width = head.map(str::len);
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = cells
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = width[i]))
            .collect::<Vec<_>>()
            .join("  ");
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = line(&mut head.iter().copied());
    let rule = width.map(|w| "-".repeat(w));
    out += &line(&mut rule.iter().map(String::as_str));
    for r in rows {
        out += &line(&mut r.iter().map(String::as_str));
    }
    out
}
