//! What each command does: load the models, run the library, print, and say which exit code
//! the outcome means. Printing ignores a closed stdout (`racecheck | head`).

use super::args::{CheckArgs, Overrides};
use racecheck::explore::{self, ExploreError, Report, Verdict};
use racecheck::matrix as mx;
use racecheck::report::{self, JsonResult};
use racecheck::scenario::{Model, Scenario};
use racecheck::trace;
use racecheck::wire;
use std::io::Write as _;
use std::path::Path;

/// Why a command could not produce an outcome.
pub enum Failure {
    /// Bad usage or bad input: exit 2.
    Usage(String),
    /// A racecheck bug: exit 4.
    Internal(String),
    /// Missing tools, a server that would not start, or Ctrl-C: exit 3.
    Inconclusive(String),
}

impl From<ExploreError> for Failure {
    fn from(e: ExploreError) -> Failure {
        match e {
            ExploreError::Unsupported(m) => Failure::Usage(m),
            ExploreError::Internal(m) => Failure::Internal(m),
        }
    }
}

fn usage(e: impl ToString) -> Failure {
    Failure::Usage(e.to_string())
}

/// Print to stdout, ignoring a closed pipe.
pub fn say(s: &str) {
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
}

/// `racecheck list`.
pub fn list(dir: &Path) -> Result<u8, Failure> {
    let models = racecheck::scenario::load::load_dir(dir).map_err(usage)?;
    let mut out = String::new();
    for m in models {
        out += &format!(
            "{:<26} PostgreSQL {:<4} {:<8} {:<16} {}\n",
            m.name,
            m.pg.as_str(),
            m.command.as_str(),
            format!("backup: {}", m.backup.source),
            m.description.lines().next().unwrap_or("").trim()
        );
    }
    say(&out);
    Ok(0)
}

/// Apply the overrides and validate the result.
fn overridden(mut m: Model, o: &Overrides) -> Result<Model, Failure> {
    o.apply(&mut m);
    m.validate().map_err(|e| {
        Failure::Usage(format!(
            "variant {}: knob `{}` (after command-line overrides): {}",
            m.name, e.knob, e.message
        ))
    })?;
    Ok(m)
}

fn headline_trace(sc: &Scenario, r: &Report) -> Result<Option<trace::Trace>, Failure> {
    match r.counterexamples.first() {
        None => Ok(None),
        Some(cx) => trace::build(sc, cx, &r.engine)
            .map(Some)
            .map_err(|e| Failure::Internal(format!("a counterexample does not re-execute: {e}"))),
    }
}

fn write_trace(t: &trace::Trace, path: &Path) -> Result<String, Failure> {
    trace::write(t, path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// `racecheck [--variant NAME] ...`.
pub fn check(a: &CheckArgs) -> Result<u8, Failure> {
    let dir = a
        .models
        .clone()
        .unwrap_or_else(racecheck::default_models_dir);
    match &a.variant {
        Some(name) => check_one(a, &dir, name),
        None => check_all(a, &dir),
    }
}

fn load_variant(dir: &Path, name: &str) -> Result<Model, Failure> {
    if name.contains(['/', '\\']) || name.ends_with(".toml") {
        return Err(Failure::Usage(format!(
            "--variant takes a variant's name (the file's stem, e.g. baseline), not a path: {name:?}; \
             use --models DIR for another models folder"
        )));
    }
    let path = dir.join(format!("{name}.toml"));
    if !path.is_file() {
        let known: Vec<String> = racecheck::scenario::load::model_paths(dir)
            .map_err(usage)?
            .iter()
            .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
            .collect();
        return Err(Failure::Usage(format!(
            "no variant {name:?} in {}; known variants: {}",
            dir.display(),
            known.join(", ")
        )));
    }
    Model::load(&path).map_err(usage)
}

/// Refuse, before any search, an output place that cannot be written.
fn writable(path: &Path) -> Result<(), Failure> {
    trace::check_writable(path)
        .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))
}

/// Create an output folder and check it can be written, before any search.
fn output_dir(d: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(d).map_err(|e| Failure::Usage(format!("{}: {e}", d.display())))?;
    writable(&d.join("x.json"))
}

fn check_one(a: &CheckArgs, dir: &Path, name: &str) -> Result<u8, Failure> {
    let m = overridden(load_variant(dir, name)?, &a.overrides)?;
    if let Some(path) = &a.trace_out {
        writable(path)?;
    }
    let sc = Scenario::new(&m);
    let r = explore::run(&sc, &a.engine.options(!a.quiet))?;
    let t = headline_trace(&sc, &r)?;
    let written = match (&t, &a.trace_out) {
        (Some(t), Some(path)) => Some(write_trace(t, path)?),
        _ => None,
    };
    if a.json {
        let j = wire::CheckOutput {
            format: wire::CHECK,
            result: JsonResult::new(&m.name, &r, written, None),
        };
        say(&(serde_json::to_string_pretty(&j).unwrap_or_default() + "\n"));
        return Ok(exit_code(&r.verdict));
    }
    let mut out = report::render(&sc, &r, t.as_ref());
    if a.coverage {
        out += &format!(
            "\ncoverage by domain cell (runs per cell; . = not reached):\n{}",
            report::cells(&sc, &r)
        );
    }
    if t.is_some() {
        out += &match &written {
            Some(p) => format!("trace written to {p}; replay it with:\n  racecheck replay {p}\n"),
            None => format!(
                "to keep and replay this counterexample:\n  racecheck --variant {name} {}{}--trace-out {name}.json && racecheck replay {name}.json\n",
                a.overrides.flags(),
                a.engine.flags()
            ),
        };
    }
    say(&out);
    Ok(exit_code(&r.verdict))
}

/// 0 holds, 1 violated, 3 inconclusive.
fn exit_code(v: &Verdict) -> u8 {
    match v {
        Verdict::Holds => 0,
        Verdict::Violated => 1,
        Verdict::Inconclusive(_) => 3,
    }
}

fn check_all(a: &CheckArgs, dir: &Path) -> Result<u8, Failure> {
    if a.trace_out.is_some() {
        return Err(usage(
            "--trace-out needs --variant; use --trace-dir DIR for all variants",
        ));
    }
    let models = racecheck::scenario::load::load_dir(dir).map_err(usage)?;
    if models.is_empty() {
        return Err(Failure::Usage(format!(
            "no model files (*.toml) in {}",
            dir.display()
        )));
    }
    if let Some(d) = &a.trace_dir {
        output_dir(d)?;
    }
    let opts = a.engine.options(!a.quiet);
    let mut rows = Vec::new();
    let mut done = Vec::new();
    let (mut mismatched, mut inconclusive) = (false, false);
    for m in models {
        let m = overridden(m, &a.overrides)?;
        let sc = Scenario::new(&m);
        let r = explore::run(&sc, &opts)?;
        let written = match (&a.trace_dir, headline_trace(&sc, &r)?) {
            (Some(d), Some(t)) => Some(write_trace(&t, &d.join(format!("{}.json", m.name)))?),
            _ => None,
        };
        let expect = report::matches_expectation(&sc, &r);
        match (&r.verdict, &expect) {
            (Verdict::Inconclusive(_), _) => inconclusive = true,
            (_, Err(_)) => mismatched = true,
            _ => {}
        }
        let violated: Vec<&str> = r
            .counterexamples
            .iter()
            .map(|c| c.violation.property.name())
            .collect();
        rows.push([
            m.name.clone(),
            m.backup.source.to_string(),
            m.pg.to_string(),
            r.verdict.word().to_string(),
            if violated.is_empty() {
                "-".into()
            } else {
                violated.join(", ")
            },
            match &expect {
                Ok(()) => "yes".into(),
                Err(e) => format!("NO: {e}"),
            },
            r.stats.states.to_string(),
            format!("{:.2}", r.stats.seconds),
        ]);
        done.push((m.name.clone(), r, written, expect.is_ok()));
    }
    if a.json {
        let doc = wire::CheckAllOutput {
            format: wire::CHECK_ALL,
            results: done
                .iter()
                .map(|(name, r, written, ok)| JsonResult::new(name, r, written.clone(), Some(*ok)))
                .collect(),
        };
        say(&(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"));
    } else {
        let head = [
            "variant",
            "source",
            "pg",
            "verdict",
            "violated",
            "as expected",
            "states",
            "seconds",
        ];
        say(&format!(
            "{}\nengine {}; details of one variant: racecheck --variant NAME\n",
            report::text_table(head, &rows),
            a.engine.engine.as_str()
        ));
    }
    Ok(if mismatched {
        1
    } else if inconclusive {
        3
    } else {
        0
    })
}

/// `racecheck replay TRACE`.
pub fn replay(path: &Path, json: bool) -> Result<u8, Failure> {
    let t = trace::read(path).map_err(usage)?;
    let p = path.display().to_string();
    let r = trace::replay(&t, &p).map_err(usage)?;
    if json {
        let v = wire::ReplayOutput {
            format: wire::REPLAY,
            trace: p.clone(),
            steps: r.steps.len(),
            property: r.violation.as_ref().map(|v| v.property),
            message: r.violation.as_ref().map(|v| v.message.clone()),
            details: r
                .violation
                .as_ref()
                .map_or_else(Vec::new, |v| v.details.clone()),
        };
        say(&(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"));
    } else {
        let m = &t.model;
        let mut out = format!(
            "replaying {p}: its inline model (named {:?}: a label; the knobs are what is replayed) is {} on PostgreSQL {}, backup from the {}, {} file(s) x {} page(s); recorded as found by the {} engine\n",
            m.name,
            m.command.as_str(),
            m.pg,
            m.backup.source,
            m.files,
            m.pages,
            t.engine.name.as_str()
        );
        out += &report::timeline(&r.scenario, &r.steps);
        out += &format!(
            "\nreplayed {} steps; every step, the WAL, the restore log and the violation matched \
             (not recomputable, so not checked: model.name, model.description, model.expect, \
             engine, racecheck-version).\n",
            r.steps.len(),
        );
        match &r.violation {
            Some(v) => {
                out += &format!("VIOLATED: {}\n  {}\n", v.property, v.message);
                for d in &v.details {
                    out += &format!("  {d}\n");
                }
            }
            None => out += "a control schedule: nothing is violated at its end, as recorded\n",
        }
        say(&out);
    }
    Ok(if r.violation.is_some() { 1 } else { 0 })
}

/// `racecheck explain TRACE --format F`.
pub fn explain(
    path: &Path,
    format: racecheck::explain::Format,
    slice: bool,
) -> Result<u8, Failure> {
    use racecheck::explain;
    let t = trace::read(path).map_err(usage)?;
    let ex = explain::analyse(t, &path.display().to_string()).map_err(usage)?;
    let keep = slice.then(|| explain::slice(&ex));
    say(&explain::render(&ex, format, keep.as_ref()));
    Ok(0)
}

/// `racecheck matrix`.
pub fn matrix(
    dir: &Path,
    trace_dir: Option<&Path>,
    json: bool,
    markdown: bool,
    quiet: bool,
) -> Result<u8, Failure> {
    let models = racecheck::scenario::load::load_dir(dir).map_err(usage)?;
    let expect = mx::load_expectations(&mx::expectations_path(dir)).map_err(Failure::Usage)?;
    if let Some(d) = trace_dir {
        output_dir(d)?;
    }
    let opts = explore::Options {
        progress: None,
        ..explore::Options::default()
    };
    let rows = mx::run_with_progress(&models, &expect, &opts, trace_dir, |done, total, r| {
        if !quiet {
            eprintln!(
                "[{done}/{total}] {} from the {}, PostgreSQL {}: {} ({} states)",
                r.variant, r.source, r.pg, r.verdict, r.states
            );
        }
    })
    .map_err(|e| match e {
        mx::MatrixError::Explore(e) => Failure::from(e),
        mx::MatrixError::Trace(m) => Failure::Usage(m),
    })?;
    if json {
        let doc = wire::MatrixOutput {
            format: wire::MATRIX,
            rows: &rows,
        };
        say(&(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"));
    } else if markdown {
        say(&mx::markdown(&rows));
    } else {
        say(&mx::text(&rows));
    }
    let changed: Vec<String> = rows
        .iter()
        .filter(|r| !r.as_expected())
        .map(|r| format!("{} (source {}, pg {})", r.variant, r.source, r.pg))
        .collect();
    if changed.is_empty() {
        Ok(0)
    } else {
        eprintln!(
            "racecheck matrix: {} row(s) differ from {}: {}",
            changed.len(),
            mx::expectations_path(dir).display(),
            changed.join(", ")
        );
        Ok(1)
    }
}

/// `racecheck reproduce TRACE`.
pub fn reproduce(
    path: &Path,
    pg_bin: Option<&Path>,
    keep: Option<&Path>,
    json: bool,
) -> Result<u8, Failure> {
    use racecheck::reproduce::{self, plan, server::RunError};
    let t = trace::read(path).map_err(usage)?;
    let p = path.display().to_string();
    trace::replay(&t, &p).map_err(usage)?;
    let planned = plan::plan(&t)
        .map_err(|e| Failure::Usage(format!("{p}: cannot run on a real server: {e}")))?;
    let opts = reproduce::Options {
        pg_bin: pg_bin.map(Path::to_path_buf),
        keep: keep.map(Path::to_path_buf),
    };
    if !json {
        let mut out = format!(
            "reproducing {p} on a real PostgreSQL {} ({}, {} file(s) x {} page(s))\n",
            t.model.pg,
            t.model.command.as_str(),
            t.model.files,
            t.model.pages
        );
        for s in &planned.steps {
            let acts: Vec<String> = s.actions.iter().map(|a| a.describe(&planned)).collect();
            out += &format!(
                "  {:>3} {:<52} {}\n",
                s.step,
                s.what,
                if acts.is_empty() {
                    "-".to_string()
                } else {
                    acts.join(", ")
                }
            );
            if let Some(n) = &s.note {
                out += &format!("      (merged: {n})\n");
            }
        }
        say(&out);
    }
    let o = match reproduce::run(planned, &opts) {
        Ok(o) => o,
        Err(RunError::Tools(m)) => return Err(Failure::Inconclusive(m)),
        Err(RunError::Interrupted) => {
            return Err(Failure::Inconclusive(RunError::Interrupted.to_string()));
        }
        Err(RunError::Unrealisable(m)) => return Err(Failure::Usage(format!("{p}: {m}"))),
        Err(RunError::Failed(m)) => {
            return Err(Failure::Inconclusive(format!(
                "{p}: the real run failed: {m}"
            )));
        }
    };
    let matches = o.matches();
    if json {
        let v = wire::ReproduceOutput {
            format: wire::REPRODUCE,
            trace: p.clone(),
            model: wire::ReproducedModel {
                command: t.model.command.as_str().into(),
                pg: t.model.pg.as_str().into(),
                files: t.model.files,
                pages: t.model.pages,
            },
            violated: o.plan.violated.clone(),
            predicted: o.plan.predicted.class().as_str().into(),
            real: o.real.class.as_str().into(),
            evidence: o.real.evidence.clone(),
            notes: o.notes.clone(),
            merged: o
                .plan
                .steps
                .iter()
                .filter_map(|s| s.note.as_ref().map(|n| format!("step {}: {n}", s.step)))
                .collect(),
            matches,
        };
        say(&(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"));
    } else {
        let mut out = String::new();
        for n in &o.notes {
            out += &format!("note: {n}\n");
        }
        out += &format!(
            "\nmodel (violated: {}): {}\nreal server: {}\n",
            if o.plan.violated.is_empty() {
                "none".to_string()
            } else {
                o.plan.violated.join(", ")
            },
            o.plan.predicted.class().as_str(),
            o.real.class.as_str()
        );
        for l in &o.real.evidence {
            out += &format!("  {l}\n");
        }
        if let Some(k) = &o.kept {
            out += &format!("servers' folders kept in {}\n", k.display());
        }
        out += if matches {
            "MATCH: the real server did what the model predicts for this schedule\n"
        } else {
            "DIFFERENT: the real outcome is not the model's: a fidelity bug in the model, or a new finding\n"
        };
        say(&out);
    }
    Ok(if matches { 0 } else { 1 })
}

/// `racecheck schedule --variant V --order P,P,... --trace-out F`.
pub fn schedule(
    dir: &Path,
    name: Option<&str>,
    order: &[String],
    seed: Option<u64>,
    like: Option<&Path>,
    out: &Path,
    o: &Overrides,
) -> Result<u8, Failure> {
    let source = like.map(trace::read).transpose().map_err(usage)?;
    let (m, name) = match (name, &source) {
        (Some(n), _) => (load_variant(dir, n)?, n.to_string()),
        (None, Some(t)) => (t.model.clone(), t.model.name.clone()),
        (None, None) => return Err(Failure::Usage("--variant or --like is needed".into())),
    };
    let name = name.as_str();
    let m = overridden(m, o)?;
    writable(out)?;
    let sc = Scenario::new(&m);
    let mut ids = Vec::new();
    for n in order {
        let Some(p) = sc.proc_id(n) else {
            let known: Vec<&str> = sc.procs.iter().map(|p| p.name).collect();
            return Err(Failure::Usage(format!(
                "--order: no process {n:?} in variant {name}; its processes: {}",
                known.join(", ")
            )));
        };
        ids.push(p);
    }
    let pick = match (seed, &source, like) {
        (Some(s), _, _) => trace::Pick::Random(s),
        (None, Some(t), Some(path)) => trace::Pick::Like {
            source: path.display().to_string(),
            procs: t.steps.iter().map(|s| s.proc.clone()).collect(),
        },
        (None, _, _) => trace::Pick::Serial(ids),
    };
    let t = trace::schedule(&sc, &pick).map_err(Failure::Usage)?;
    let written = write_trace(&t, out)?;
    let mut text = report::timeline(&sc, &t.steps);
    match &t.violation {
        Some(v) => {
            text += &format!(
                "\nVIOLATED: {} ({} steps)\n  {}\n",
                v.property,
                t.steps.len(),
                v.message
            )
        }
        None => {
            text += &format!(
                "\nnothing violated at the end of this schedule ({} steps): a control\n",
                t.steps.len()
            )
        }
    }
    text += &format!("trace written to {written}\n");
    say(&text);
    Ok(if t.violation.is_some() { 1 } else { 0 })
}
