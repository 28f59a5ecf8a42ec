//! Views of a counterexample for people: the text timeline, a Mermaid sequence diagram (pastes
//! into Markdown that GitHub renders), the happens-before graph of its steps in Graphviz DOT
//! (petgraph), and one self-contained HTML page; and the causal slice, the steps whose order
//! alone reaches the violation. A trace is replayed first, so a view is only drawn for a trace
//! that still reproduces its violation.
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
    /// One self-contained HTML page (no network, no script): the swimlanes with the causal
    /// slice highlighted, the WAL, the restore's log and the violation's pages.
    Html,
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
    pub footprints: Vec<res::Footprint>,
    /// The violation explained.
    pub violation: trace::TraceViolation,
}

/// Replay `t` and record each step's footprint.
pub fn analyse(t: Trace, path: &str) -> Result<Explained, TraceError> {
    let Some(violation) = t.violation.clone() else {
        return Err(TraceError::Field {
            path: path.into(),
            field: "violation".into(),
            message: "absent: a control schedule violates nothing, so there is nothing to explain (racecheck replay shows it)".into(),
        });
    };
    let mut footprints = Vec::with_capacity(t.steps.len());
    let r = trace::replay_with(&t, path, |sc, w, p| footprints.push(sc.footprint(w, p)))?;
    Ok(Explained {
        trace: t,
        scenario: r.scenario,
        steps: r.steps,
        footprints,
        violation,
    })
}

/// The shared resources the happens-before graph links steps through: the footprints' one
/// list ([`res::ALL`]), but `DONE` (which only orders the end of the run: every finishing step
/// touches it).
const RESOURCES: [(res::Footprint, &str); res::COUNT - 1] = {
    let mut out = [(0, ""); res::COUNT - 1];
    let mut i = 0;
    let mut k = 0;
    while i < res::COUNT {
        if res::ALL[i].0 != res::DONE {
            out[k] = res::ALL[i];
            k += 1;
        }
        i += 1;
    }
    out
};

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

/// Render a view; with `only`, just those steps (a slice), with their trace indexes.
pub fn render(
    ex: &Explained,
    format: Format,
    only: Option<&std::collections::BTreeSet<usize>>,
) -> String {
    if format == Format::Html {
        let keep = only.cloned().unwrap_or_else(|| slice(ex));
        return html(ex, &keep);
    }
    let Some(keep) = only else {
        return match format {
            Format::Text => text(ex),
            Format::Mermaid => mermaid(ex),
            Format::Dot => dot(ex),
            Format::Html => String::new(),
        };
    };
    let part = Explained {
        trace: ex.trace.clone(),
        scenario: ex.scenario.clone(),
        steps: keep.iter().map(|&i| ex.steps[i].clone()).collect(),
        footprints: keep.iter().map(|&i| ex.footprints[i]).collect(),
        violation: ex.violation.clone(),
    };
    let head = slice_head(ex, keep);
    let body = match format {
        Format::Text => text(&part),
        Format::Mermaid => mermaid(&part),
        Format::Dot | Format::Html => dot(&part),
    };
    match format {
        Format::Text => format!("{head}\n{body}"),
        Format::Mermaid => body.replacen(
            "sequenceDiagram\n",
            &format!("sequenceDiagram\n    %% {}\n", head.replace('%', "")),
            1,
        ),
        Format::Dot | Format::Html => body.replacen(
            "digraph happens_before {\n",
            &format!("digraph happens_before {{\n    // {head}\n"),
            1,
        ),
    }
}

/// The slice's first line: what was checked, and what it found.
fn slice_head(ex: &Explained, keep: &std::collections::BTreeSet<usize>) -> String {
    let c = check_slice(ex, keep, SLICE_CHECK_STATES);
    let prop = ex.violation.property;
    let what = format!(
        "every order of the trace's steps that keeps these steps' order (and each process's) was run: {} states, {} distinct end states{}",
        c.states,
        c.ends,
        if c.stuck > 0 {
            format!(
                ", {} where the slice's next step waits for a later one (no end)",
                c.stuck
            )
        } else {
            String::new()
        }
    );
    let found = if c.cut_short {
        format!(
            "stopped at {SLICE_CHECK_STATES} states; {} of the ends seen do not violate {prop}",
            c.without
        )
    } else if c.without == 0 {
        format!("{prop} is violated at every end")
    } else {
        format!(
            "{} of them do not violate {prop} (the slice orders what the trace needs, not all of it)",
            c.without
        )
    };
    format!(
        "causal slice: {} of {} steps; {what}; {found}",
        keep.len(),
        ex.steps.len()
    )
}

/// The state budget of the slice's exhaustive check.
const SLICE_CHECK_STATES: usize = 2_000_000;

fn text(ex: &Explained) -> String {
    let t = &ex.trace;
    let mut out = format!(
        "{} ({} steps): {}\n",
        ex.violation.property,
        ex.steps.len(),
        ex.violation.message
    );
    for d in &ex.violation.details {
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
        ex.violation.property,
        mermaid_text(&ex.violation.message)
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
            s.index,
            s.index,
            s.proc,
            s.event.replace('\\', "\\\\").replace('"', "\\\"")
        );
    }
    for e in g.edge_indices() {
        if let Some((a, b)) = g.edge_endpoints(e) {
            let (i, j) = (ex.steps[g[a]].index, ex.steps[g[b]].index);
            let _ = writeln!(out, "    s{i} -> s{j} [label=\"{}\"];", g[e]);
        }
    }
    out += "}\n";
    out
}

/// Whether the trace's violation is reached in every order of the trace's steps that keeps
/// `keep`'s order (and each process's): [`check_slice`] found ends, all of them violated.
pub fn reproduces(ex: &Explained, keep: &std::collections::BTreeSet<usize>) -> bool {
    let c = check_slice(ex, keep, SLICE_CHECK_STATES);
    !c.cut_short && c.ends > 0 && c.without == 0
}

/// What [`check_slice`] found: an exhaustive search over the orders of the trace's steps that
/// keep the slice's order (and each process's own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SliceCheck {
    /// Distinct (World, steps taken per process, slice position) states visited.
    pub states: usize,
    /// End states reached (every process finished).
    pub ends: usize,
    /// End states where the trace's property is not violated (0: the claim holds).
    pub without: usize,
    /// States where no process may step (the slice's next step waits for a step the slice
    /// puts after it): orders that cannot be run to the end.
    pub stuck: usize,
    /// The search stopped at its state budget (the claim is then checked only partly).
    pub cut_short: bool,
}

/// Check the slice's claim exhaustively: run every order of the processes' steps in which the
/// slice's steps come in the trace's order (a process's k-th step is the trace's k-th step of
/// that process; steps beyond a process's steps in the trace are free), to the end, and count
/// the ends where the trace's property is not violated. A search over (World, steps per
/// process, slice position), each state once, at most `max_states` of them.
pub fn check_slice(
    ex: &Explained,
    keep: &std::collections::BTreeSet<usize>,
    max_states: usize,
) -> SliceCheck {
    use crate::world::{ProcId, World, codec};
    let sc = &ex.scenario;
    let nprocs = sc.procs.len();
    let mut queue: Vec<Vec<usize>> = vec![Vec::new(); nprocs];
    for (i, s) in ex.steps.iter().enumerate() {
        queue[usize::from(sc.proc_id(&s.proc).unwrap_or(0))].push(i);
    }
    let kept: Vec<usize> = keep.iter().copied().collect();
    let mut seen: std::collections::HashSet<(Vec<u8>, Vec<usize>, usize)> = Default::default();
    let mut stack: Vec<(World, Vec<usize>, usize)> = vec![(sc.initial(), vec![0; nprocs], 0)];
    let mut out = SliceCheck {
        states: 0,
        ends: 0,
        without: 0,
        stuck: 0,
        cut_short: false,
    };
    let mut buf = Vec::new();
    while let Some((w, done, k)) = stack.pop() {
        out.states += 1;
        if out.states > max_states {
            out.cut_short = true;
            break;
        }
        if sc.terminal(&w) {
            out.ends += 1;
            let violated = crate::property::evaluate(sc, &w)
                .violations
                .iter()
                .any(|v| v.property == ex.violation.property);
            if !violated {
                out.without += 1;
            }
            continue;
        }
        let mut moves = 0;
        for p in 0..nprocs {
            let id = ProcId::try_from(p).unwrap_or(0);
            let t = queue[p].get(done[p]).copied();
            let in_slice = t.is_some_and(|t| keep.contains(&t));
            if (in_slice && kept.get(k).copied() != t) || !sc.enabled(&w, id) {
                continue;
            }
            moves += 1;
            let mut n = w.clone();
            sc.step(&mut n, id, None);
            let mut d = done.clone();
            d[p] += 1;
            let k2 = k + usize::from(in_slice);
            buf.clear();
            codec::encode(&n, &mut buf);
            if seen.insert((buf.clone(), d.clone(), k2)) {
                stack.push((n, d, k2));
            }
        }
        if moves == 0 {
            out.stuck += 1;
        }
    }
    out
}

/// The causal slice: a set of steps whose order alone reaches the violation (in every order of
/// the trace's steps that keeps it, and each process's own, the same property is violated at
/// the end: [`check_slice`], exhaustively). Found by removing steps one at a time, latest
/// first, while the rest still reproduces.
pub fn slice(ex: &Explained) -> std::collections::BTreeSet<usize> {
    let mut keep: std::collections::BTreeSet<usize> = (0..ex.steps.len()).collect();
    for i in (0..ex.steps.len()).rev() {
        keep.remove(&i);
        if !reproduces(ex, &keep) {
            keep.insert(i);
        }
    }
    keep
}

/// Escape text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The HTML page: self-contained (inline style, no script, no external resource).
fn html(ex: &Explained, keep: &std::collections::BTreeSet<usize>) -> String {
    let t = &ex.trace;
    let m = &t.model;
    let procs: Vec<&str> = ex
        .scenario
        .procs
        .iter()
        .map(|p| p.name)
        .filter(|n| ex.steps.iter().any(|s| s.proc == *n))
        .collect();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>racecheck: {prop} in {name}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #222; }}
h1 {{ font-size: 1.3em; }} h2 {{ font-size: 1.1em; margin-top: 1.5em; }}
.violation {{ background: #fde8e8; border-left: 5px solid #c0392b; padding: .6em 1em; }}
.violation code {{ font-weight: bold; }}
table {{ border-collapse: collapse; font-size: .85em; }}
td, th {{ border: 1px solid #ddd; padding: 2px 6px; vertical-align: top; }}
th {{ background: #f3f3f3; position: sticky; top: 0; }}
td.idx {{ color: #888; text-align: right; }}
tr.slice td.ev {{ background: #fff3c4; font-weight: bold; }}
td.ev {{ background: #eef4fb; font-family: monospace; }}
pre {{ background: #f7f7f7; padding: .6em; font-size: .85em; overflow-x: auto; }}
.legend span {{ padding: 0 .4em; }}
</style></head><body>
<h1>racecheck: <code>{prop}</code> in variant <code>{name}</code></h1>
<p>PostgreSQL {pg}, command {cmd}, backup from the {src}, {k} file(s) x {p} page(s); found by the {engine} engine; {n} steps, {ns} of them in the causal slice (highlighted).</p>
<div class="violation" id="violation"><p>VIOLATED: <code>{prop}</code></p><p>{msg}</p><ul>
"#,
        prop = esc(ex.violation.property.name()),
        name = esc(&m.name),
        pg = m.pg,
        cmd = m.command.as_str(),
        src = m.backup.source,
        k = m.files,
        p = m.pages,
        engine = t.engine.name.as_str(),
        n = ex.steps.len(),
        ns = keep.len(),
        msg = esc(&ex.violation.message),
    );
    for d in &ex.violation.details {
        let _ = writeln!(out, "<li>{}</li>", esc(d));
    }
    out += "</ul></div>\n<h2>Schedule (one lane per process)</h2>\n<p class=\"legend\"><span style=\"background:#fff3c4\">slice step</span><span style=\"background:#eef4fb\">other step</span></p>\n<table id=\"lanes\"><tr><th>#</th>";
    for p in &procs {
        let _ = write!(out, "<th>{}</th>", esc(p));
    }
    out += "</tr>\n";
    for (i, s) in ex.steps.iter().enumerate() {
        let class = if keep.contains(&i) {
            " class=\"slice\""
        } else {
            ""
        };
        let _ = write!(out, "<tr{class}><td class=\"idx\">{}</td>", s.index);
        for p in &procs {
            if *p == s.proc {
                let _ = write!(out, "<td class=\"ev\">{}</td>", esc(&s.event));
            } else {
                out += "<td></td>";
            }
        }
        out += "</tr>\n";
    }
    out += "</table>\n<h2>The primary's WAL</h2>\n<pre>";
    for l in &t.wal {
        let _ = writeln!(out, "{}", esc(l));
    }
    out += "</pre>\n<h2>Replay of the restored backup (startup process)</h2>\n<pre>";
    for l in &t.restore_log {
        let _ = writeln!(out, "{}", esc(l));
    }
    out += "</pre>\n<p>Generated by racecheck explain. The restored pages against the primary's are the violation's lines above.</p>\n</body></html>\n";
    out
}
