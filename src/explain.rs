//! Views of a counterexample for people: the text timeline, a Mermaid sequence diagram (pastes
//! into Markdown that GitHub renders), and the happens-before graph of its steps in Graphviz
//! DOT (petgraph). A trace is replayed first, so a view is only drawn for a trace that still
//! reproduces its violation.
//!
//! Happens-before: step j follows step i when they belong to the same process, or when i is the
//! latest step before j that touched a shared resource j touches (the footprints loom's fine
//! mode uses: the WAL, the lock table, the checkpointer's state, the buffers, the catalog, a
//! tablespace's directories, the backup's state, the standby).

use crate::report;
use crate::scenario::Scenario;
use crate::scenario::ops::res;
use crate::trace::{self, Step, Trace, TraceError};
use petgraph::graph::{DiGraph, NodeIndex};
use std::fmt::Write as _;

/// A view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The timeline with one lane per process, then the restore's log.
    Text,
    /// A Mermaid `sequenceDiagram`.
    Mermaid,
    /// The happens-before graph in Graphviz DOT.
    Dot,
}

/// A replayed trace with each step's footprint.
pub struct Explained {
    /// The trace.
    pub trace: Trace,
    /// Its scenario.
    pub scenario: Scenario,
    /// The steps, as replayed.
    pub steps: Vec<Step>,
    /// Each step's footprint (bits of [`res`]), taken just before it ran.
    pub footprints: Vec<u16>,
}

/// Replay `t` and record each step's footprint.
pub fn analyse(t: Trace, path: &str) -> Result<Explained, TraceError> {
    let r = trace::replay(&t, path)?;
    let sc = r.scenario;
    let mut w = sc.initial();
    let mut footprints = Vec::with_capacity(r.steps.len());
    for s in &r.steps {
        let p = sc.proc_id(&s.proc).unwrap_or(0);
        footprints.push(sc.footprint(&w, p));
        sc.step(&mut w, p, None);
    }
    Ok(Explained {
        trace: t,
        scenario: sc,
        steps: r.steps,
        footprints,
    })
}

/// Names of the shared resources, in bit order (`DONE` only orders the end of the run).
const RESOURCES: [(u16, &str); 9] = [
    (res::WAL, "WAL"),
    (res::LOCKS, "locks"),
    (res::CKPT, "checkpointer"),
    (res::BUFFERS, "buffers"),
    (res::CATALOG, "pg_database"),
    (res::FS_BASE, "base/"),
    (res::FS_USER, "pg_tblspc/"),
    (res::BACKUP, "backup"),
    (res::STANDBY, "standby"),
];

/// The happens-before graph: one node per step (weight: its index), an edge from the step's
/// previous step in the same process and from the latest earlier step on each shared resource
/// it touches (labelled with that resource).
pub fn happens_before(ex: &Explained) -> DiGraph<usize, &'static str> {
    let mut g = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..ex.steps.len()).map(|i| g.add_node(i)).collect();
    let mut last_of_proc: Vec<Option<usize>> = vec![None; ex.scenario.procs.len()];
    let mut last_on: [Option<usize>; RESOURCES.len()] = [None; RESOURCES.len()];
    for (j, s) in ex.steps.iter().enumerate() {
        let p = usize::from(ex.scenario.proc_id(&s.proc).unwrap_or(0));
        if let Some(i) = last_of_proc[p] {
            g.update_edge(nodes[i], nodes[j], "program order");
        }
        last_of_proc[p] = Some(j);
        for (k, (bit, name)) in RESOURCES.iter().enumerate() {
            if ex.footprints[j] & bit != 0 {
                if let Some(i) = last_on[k]
                    && ex.steps[i].proc != s.proc
                {
                    g.update_edge(nodes[i], nodes[j], name);
                }
                last_on[k] = Some(j);
            }
        }
    }
    g
}

/// Render a view.
pub fn render(ex: &Explained, format: Format) -> String {
    match format {
        Format::Text => text(ex),
        Format::Mermaid => mermaid(ex),
        Format::Dot => dot(ex),
    }
}

fn text(ex: &Explained) -> String {
    let t = &ex.trace;
    let mut out = format!(
        "{} ({} steps): {}\n",
        t.violation.property,
        ex.steps.len(),
        t.violation.message
    );
    for d in &t.violation.details {
        let _ = writeln!(out, "  {d}");
    }
    out += &report::timeline(&ex.scenario, &ex.steps);
    let _ = writeln!(out, "\nreplay of the restored backup (startup process):");
    for l in &t.restore_log {
        let _ = writeln!(out, "  {l}");
    }
    out
}

/// Text that Mermaid takes in a message or a note: no statement separator, no comment marker,
/// no arrow.
fn mermaid_text(s: &str) -> String {
    s.replace(';', ",")
        .replace('#', "no. ")
        .replace("%%", "%")
        .replace("->", "→")
        .replace('\n', " ")
}

fn mermaid(ex: &Explained) -> String {
    let t = &ex.trace;
    let mut out = String::from("sequenceDiagram\n");
    for (i, p) in ex.scenario.procs.iter().enumerate() {
        if ex.steps.iter().any(|s| s.proc == p.name) {
            let _ = writeln!(out, "    participant P{i} as {}", p.name);
        }
    }
    out += "    participant FS as files\n    participant WAL as WAL\n";
    for (s, fp) in ex.steps.iter().zip(&ex.footprints) {
        let p = ex.scenario.proc_id(&s.proc).unwrap_or(0);
        let to = if s.event.contains("WAL ") && fp & res::WAL != 0 {
            "WAL".to_string()
        } else if fp & (res::FS_BASE | res::FS_USER | res::STANDBY) != 0 {
            "FS".to_string()
        } else {
            format!("P{p}")
        };
        let _ = writeln!(
            out,
            "    P{p}->>{to}: {}. {}",
            s.index,
            mermaid_text(&s.event)
        );
    }
    let replay: Vec<String> = t
        .restore_log
        .iter()
        .filter(|l| !l.starts_with("  copy_file"))
        .map(|l| mermaid_text(l.trim()))
        .collect();
    let _ = writeln!(
        out,
        "    Note over FS,WAL: restore of the backup<br/>{}",
        replay.join("<br/>")
    );
    let _ = writeln!(
        out,
        "    Note over FS,WAL: VIOLATED {}<br/>{}",
        t.violation.property,
        mermaid_text(&t.violation.message)
    );
    out
}

fn dot(ex: &Explained) -> String {
    let g = happens_before(ex);
    let mut out = String::from(
        "digraph happens_before {\n    rankdir=TB;\n    node [shape=box, fontname=\"monospace\"];\n",
    );
    for n in g.node_indices() {
        let s = &ex.steps[g[n]];
        let _ = writeln!(
            out,
            "    s{} [label=\"{} {}\\n{}\"];",
            g[n],
            s.index,
            s.proc,
            s.event.replace('\\', "\\\\").replace('"', "\\\"")
        );
    }
    for e in g.edge_indices() {
        if let Some((a, b)) = g.edge_endpoints(e) {
            let _ = writeln!(out, "    s{} -> s{} [label=\"{}\"];", g[a], g[b], g[e]);
        }
    }
    out += "}\n";
    out
}
