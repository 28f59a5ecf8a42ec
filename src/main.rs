//! The `racecheck` command line: parse, call the library, map the outcome to an exit code.
//! Exit codes: 0 property holds (within the stated bounds), 1 violation found, 2 bad usage or bad
//! input, 3 inconclusive (a budget ran out, or a sometimes-property was never reached).

use clap::{Args, Parser, Subcommand};
use racecheck::explore::{self, BackendKind, LoomSync, Options, Report, Strategy, Verdict};
use racecheck::report::{self, JsonResult};
use racecheck::scenario::model::BackupSource;
use racecheck::scenario::{Model, Scenario, model};
use racecheck::trace;
use racecheck::world::PgVersion;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `println!` that ignores a closed stdout (`racecheck | head`), so the exit code still says the
/// verdict instead of a panic.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `print!` that ignores a closed stdout.
macro_rules! say_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

const AFTER_HELP: &str = "\
What it checks:
  ALTER DATABASE d SET TABLESPACE t (movedb) runs while pg_basebackup walks the data directory.
  Every interleaving of the checkpointer, movedb, the walsender and a backend (and, with
  --source standby, the standby's startup process replaying the primary's WAL) is explored; at the
  end the backup is restored and its WAL replayed as the startup process would. Properties:
    invalid-pages          PANIC: WAL contains references to invalid pages
    redo-fatal             FATAL/PANIC in dbase_redo (9.x copydir of a missing source, 15+
                           missing directory after consistency)
    restore-fidelity       restore succeeds but the data differs from the primary (silent loss)
    no-leaked-directories  a database directory exists in the restored copy iff on the primary
    deadlock               no process can step before all have finished
  and sometimes-properties that prove the race window was explored. Model files with
  command = \"createdb\" check CREATE DATABASE (FILE_COPY / WAL_LOG) instead of movedb.

Examples:
  racecheck                                  check every variant in models/, print a table
  racecheck --variant baseline --trace-out /tmp/b.json
  racecheck replay /tmp/b.json               re-execute a counterexample step by step
  racecheck --variant lockflag --files 3     a larger database
  racecheck --variant baseline --pg 15       follow PostgreSQL 15's redo
  racecheck --variant lockflag --source standby
                                             the backup taken from a standby
  racecheck --variant lockflag-startup --backend loom --actions none --files 1
                                             a standby backup under loom (4-thread limit)
  racecheck matrix                           every variant x backup source x version
  racecheck list                             variants and what they change

Exit codes: 0 holds, 1 violated, 2 bad usage or input, 3 inconclusive (budget ran out or a
sometimes-property was never reached). With no --variant: 0 when every variant's verdict matches
the [expect] section of its model file, 1 when one differs, 3 when one is inconclusive.";

#[derive(Parser, Debug)]
#[command(
    name = "racecheck",
    version,
    about = "Model checker for PostgreSQL's ALTER DATABASE SET TABLESPACE vs. base backup race",
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the variants in the models directory.
    List {
        /// Models directory (default: $RACECHECK_MODELS, ./models, or the source tree's).
        #[arg(long)]
        models: Option<PathBuf>,
    },
    /// Check every model file at every backup source (primary, standby) and PostgreSQL version
    /// (9.2, 9.4, 15, 18) with the native explorer and compare with
    /// models/matrix/expectations.toml; exit 0 if every row matches, 1 naming each row that
    /// changed.
    Matrix {
        /// Models directory (default: $RACECHECK_MODELS, ./models, or the source tree's).
        #[arg(long)]
        models: Option<PathBuf>,
        /// Write each violated row's trace to DIR/VARIANT@pgVERSION-SOURCE.json.
        #[arg(long, value_name = "DIR")]
        trace_dir: Option<PathBuf>,
        /// Print the rows as JSON.
        #[arg(long)]
        json: bool,
        /// Print the Markdown table kept in README.md.
        #[arg(long)]
        markdown: bool,
        /// No progress line per row on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Re-execute a trace written by --trace-out step by step; exit 1 if it reproduces its
    /// violation, 2 if the file is broken or the replay diverges.
    Replay {
        /// The trace file (JSON).
        trace: PathBuf,
        /// Print a JSON summary instead of the timeline.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Check this variant only (a file NAME.toml in the models directory).
    #[arg(long, value_name = "NAME")]
    variant: Option<String>,
    /// Models directory (default: $RACECHECK_MODELS, ./models, or the source tree's).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Override the number of relation files in D (K).
    #[arg(long, value_name = "K")]
    files: Option<u8>,
    /// Override the number of pages per file (P).
    #[arg(long, value_name = "P")]
    pages: Option<u8>,
    /// Override the PostgreSQL version: 9.2, 9.4, 15 or 18.
    #[arg(long, value_name = "VERSION", value_parser = parse_pg)]
    pg: Option<PgVersion>,
    /// Override the ordinary backend's actions in D: a comma-separated list such as
    /// "visible 0 1, update 1 0", or "none" (no backend process; needed to run a standby backup
    /// under loom, whose thread limit the standby's startup process would otherwise exceed).
    #[arg(long, value_name = "LIST", value_parser = parse_actions)]
    actions: Option<Actions>,
    /// Override where the base backup is taken: primary, or standby (a streaming standby whose
    /// startup process replays the primary's WAL, including movedb's records, while the
    /// walsender walks the standby's files; the backup starts at the standby's last
    /// restartpoint and ends at its minRecoveryPoint).
    #[arg(long, value_name = "SOURCE", value_parser = parse_source)]
    source: Option<BackupSource>,
    /// Engine that enumerates the schedules.
    #[arg(long, value_enum, default_value_t = BackendKind::Native)]
    backend: BackendKind,
    /// Budget: stop after this many states (native) or executions (loom, shuttle; also spelled
    /// --max-executions), checked on every state or execution; exit 3.
    #[arg(long, value_name = "N", visible_alias = "max-executions")]
    max_states: Option<u64>,
    /// Budget: stop after this many seconds; exit 3.
    #[arg(long, value_name = "S")]
    max_seconds: Option<f64>,
    /// Stop at the first violation (native: the shortest of all). loom and shuttle always stop
    /// at their first violation unless --all-violations is given.
    #[arg(long)]
    stop_at_first: bool,
    /// loom, shuttle: keep exploring after the first violation, to report every violated
    /// property (slower; native always does).
    #[arg(long)]
    all_violations: bool,
    /// Write the headline counterexample (JSON trace) here (single variant).
    #[arg(long, value_name = "PATH")]
    trace_out: Option<PathBuf>,
    /// Write each violated variant's trace to DIR/NAME.json (all variants).
    #[arg(long, value_name = "DIR")]
    trace_dir: Option<PathBuf>,
    /// Print machine-readable JSON on stdout.
    #[arg(long)]
    json: bool,
    /// loom: preemption bound (default 2: the race needs two preemptions of movedb by the
    /// walsender, see README).
    #[arg(long, value_name = "N", default_value_t = 2)]
    preemptions: usize,
    /// loom: synchronisation granularity (coarse: one mutex around the whole World; fine: one
    /// loom mutex per shared resource so that DPOR can skip independent steps; see README for
    /// the measured difference).
    #[arg(long, value_enum, default_value_t = LoomSync::Coarse)]
    loom_sync: LoomSync,
    /// shuttle: scheduling strategy.
    #[arg(long, value_enum, default_value_t = Strategy::Pct)]
    strategy: Strategy,
    /// shuttle: number of schedules to try.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    iterations: u64,
    /// shuttle: random seed (recorded in the trace).
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// shuttle PCT: number of priority change points.
    #[arg(long, value_name = "D", default_value_t = 3)]
    depth: usize,
    /// No progress lines on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// A parsed `--actions` list.
#[derive(Clone, Debug)]
struct Actions(Vec<model::BackendAction>);

fn parse_actions(s: &str) -> Result<Actions, String> {
    if s.trim() == "none" {
        return Ok(Actions(Vec::new()));
    }
    s.split(',')
        .map(|a| model::BackendAction::try_from(a.trim().to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map(Actions)
}

fn parse_source(s: &str) -> Result<BackupSource, String> {
    BackupSource::parse(s)
        .ok_or_else(|| format!("unknown backup source {s:?}; known: primary, standby"))
}

fn parse_pg(s: &str) -> Result<PgVersion, String> {
    PgVersion::parse(s).ok_or_else(|| format!("unknown version {s:?}; known: 9.2, 9.4, 15, 18"))
}

/// Bad usage or bad input: message, exit 2.
struct Usage(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.command {
        Some(Command::List { models }) => {
            list(&models.unwrap_or_else(racecheck::default_models_dir))
        }
        Some(Command::Replay { trace, json }) => replay(&trace, json),
        Some(Command::Matrix {
            models,
            trace_dir,
            json,
            markdown,
            quiet,
        }) => matrix(
            &models.unwrap_or_else(racecheck::default_models_dir),
            trace_dir.as_deref(),
            json,
            markdown,
            quiet,
        ),
        None => check(&cli.check),
    };
    match r {
        Ok(code) => ExitCode::from(code),
        Err(Usage(msg)) => {
            eprintln!("racecheck: {msg}");
            ExitCode::from(2)
        }
    }
}

fn list(dir: &Path) -> Result<u8, Usage> {
    let models = model::load_dir(dir).map_err(|e| Usage(e.to_string()))?;
    for m in models {
        say!(
            "{:<26} PostgreSQL {:<4} {:<8} {:<16} {}",
            m.name,
            m.pg.as_str(),
            m.command.as_str(),
            format!("backup: {}", m.backup.source),
            first_line(&m.description)
        );
    }
    Ok(0)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

fn apply_overrides(m: &mut Model, a: &CheckArgs) -> Result<(), Usage> {
    if let Some(k) = a.files {
        m.files = k;
    }
    if let Some(p) = a.pages {
        m.pages = p;
    }
    if let Some(v) = a.pg {
        m.pg = v;
    }
    if let Some(src) = a.source {
        m.backup.source = src;
    }
    if let Some(acts) = &a.actions {
        m.backend.actions = acts.0.clone();
    }
    m.validate().map_err(|e| {
        Usage(format!(
            "variant {}: knob `{}` (after command-line overrides): {}",
            m.name, e.knob, e.message
        ))
    })
}

fn options(a: &CheckArgs) -> Options {
    Options {
        backend: a.backend,
        max_states: a.max_states,
        max_seconds: a.max_seconds,
        stop_at_first: a.stop_at_first || (a.backend != BackendKind::Native && !a.all_violations),
        progress: !a.quiet,
        preemptions: a.preemptions,
        loom_sync: a.loom_sync,
        strategy: a.strategy,
        iterations: a.iterations,
        seed: a.seed,
        depth: a.depth,
    }
}

fn headline_trace(sc: &Scenario, r: &Report) -> Result<Option<trace::Trace>, Usage> {
    match r.counterexamples.first() {
        None => Ok(None),
        Some(cx) => trace::build(sc, cx, &r.backend).map(Some).map_err(|e| {
            Usage(format!(
                "internal error: counterexample does not re-execute: {e}"
            ))
        }),
    }
}

fn check(a: &CheckArgs) -> Result<u8, Usage> {
    if a.max_seconds.is_some_and(|s| s.is_nan() || s <= 0.0) {
        return Err(Usage("--max-seconds must be a positive number".into()));
    }
    let dir = a
        .models
        .clone()
        .unwrap_or_else(racecheck::default_models_dir);
    let opts = options(a);
    match &a.variant {
        Some(name) => check_one(a, &dir, name, &opts),
        None => check_all(a, &dir, &opts),
    }
}

fn load_variant(dir: &Path, name: &str) -> Result<Model, Usage> {
    let path = dir.join(format!("{name}.toml"));
    if !path.is_file() {
        let known: Vec<String> = model::model_paths(dir)
            .map_err(|e| Usage(e.to_string()))?
            .iter()
            .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
            .collect();
        return Err(Usage(format!(
            "no variant {name:?} in {}; known variants: {}",
            dir.display(),
            known.join(", ")
        )));
    }
    Model::load(&path).map_err(|e| Usage(e.to_string()))
}

fn check_one(a: &CheckArgs, dir: &Path, name: &str, opts: &Options) -> Result<u8, Usage> {
    let mut m = load_variant(dir, name)?;
    apply_overrides(&mut m, a)?;
    let sc = Scenario::new(&m);
    let r = explore::run(&sc, opts).map_err(|e| Usage(e.to_string()))?;
    let t = headline_trace(&sc, &r)?;
    let mut written = None;
    if let (Some(t), Some(path)) = (&t, &a.trace_out) {
        trace::write(t, path).map_err(|e| Usage(format!("{}: {e}", path.display())))?;
        written = Some(path.display().to_string());
    }
    if a.json {
        let j = JsonResult::new(&m.name, &r, written);
        say!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else {
        say_raw!("{}", report::render(&sc, &r, t.as_ref()));
        if t.is_some() {
            match &written {
                Some(p) => {
                    say!("trace written to {p}; replay it with:\n  racecheck replay {p}")
                }
                None => say!(
                    "to keep and replay this counterexample:\n  racecheck --variant {name} {}--trace-out {name}.json && racecheck replay {name}.json",
                    override_flags(a)
                ),
            }
        }
    }
    Ok(r.verdict.exit_code() as u8)
}

fn override_flags(a: &CheckArgs) -> String {
    let mut s = String::new();
    if let Some(k) = a.files {
        s += &format!("--files {k} ");
    }
    if let Some(p) = a.pages {
        s += &format!("--pages {p} ");
    }
    if let Some(v) = a.pg {
        s += &format!("--pg {v} ");
    }
    if let Some(src) = a.source {
        s += &format!("--source {src} ");
    }
    if let Some(acts) = &a.actions {
        let list: Vec<String> = acts.0.iter().map(ToString::to_string).collect();
        let list = if list.is_empty() {
            "none".to_string()
        } else {
            list.join(", ")
        };
        s += &format!("--actions \"{list}\" ");
    }
    if a.backend != BackendKind::Native {
        s += &format!("--backend {} ", a.backend.as_str());
    }
    s
}

fn check_all(a: &CheckArgs, dir: &Path, opts: &Options) -> Result<u8, Usage> {
    if a.trace_out.is_some() {
        return Err(Usage(
            "--trace-out needs --variant; use --trace-dir DIR for all variants".into(),
        ));
    }
    let models = model::load_dir(dir).map_err(|e| Usage(e.to_string()))?;
    if models.is_empty() {
        return Err(Usage(format!(
            "no model files (*.toml) in {}",
            dir.display()
        )));
    }
    if let Some(d) = &a.trace_dir {
        std::fs::create_dir_all(d).map_err(|e| Usage(format!("{}: {e}", d.display())))?;
    }
    let mut rows = Vec::new();
    let mut json = Vec::new();
    let (mut mismatched, mut inconclusive) = (false, false);
    for mut m in models {
        apply_overrides(&mut m, a)?;
        let sc = Scenario::new(&m);
        let r = explore::run(&sc, opts).map_err(|e| Usage(e.to_string()))?;
        let mut written = None;
        if let (Some(d), Some(t)) = (&a.trace_dir, headline_trace(&sc, &r)?) {
            let p = d.join(format!("{}.json", m.name));
            trace::write(&t, &p).map_err(|e| Usage(format!("{}: {e}", p.display())))?;
            written = Some(p.display().to_string());
        }
        let expect = report::matches_expectation(&sc, &r);
        match (&r.verdict, &expect) {
            (Verdict::Inconclusive(_), _) => inconclusive = true,
            (_, Err(_)) => mismatched = true,
            _ => {}
        }
        let violated: Vec<&str> = r
            .counterexamples
            .iter()
            .map(|c| c.violation.property)
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
        let mut j = JsonResult::new("", &r, written);
        j.as_expected = Some(expect.is_ok());
        json.push((m.name.clone(), serde_json::to_value(&j).unwrap_or_default()));
    }
    if a.json {
        let v: Vec<serde_json::Value> = json
            .into_iter()
            .map(|(n, mut v)| {
                v["variant"] = serde_json::Value::String(n);
                v
            })
            .collect();
        say!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
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
        let mut width = head.map(str::len);
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = width[i]))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        say!("{}", line(&head.map(String::from)));
        say!("{}", line(&width.map(|w| "-".repeat(w))));
        for r in &rows {
            say!("{}", line(r));
        }
        say!(
            "\nbackend {}; details of one variant: racecheck --variant NAME",
            a.backend.as_str()
        );
    }
    Ok(if mismatched {
        1
    } else if inconclusive {
        3
    } else {
        0
    })
}

fn replay(path: &Path, json: bool) -> Result<u8, Usage> {
    let t = trace::read(path).map_err(|e| Usage(e.to_string()))?;
    let p = path.display().to_string();
    let r = trace::replay(&t, &p).map_err(|e| Usage(e.to_string()))?;
    if json {
        let v = serde_json::json!({
            "trace": p,
            "steps": r.steps.len(),
            "property": r.violation.property,
            "message": r.violation.message,
            "details": r.violation.details,
        });
        say!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        say!(
            "replaying {p}: variant {} (PostgreSQL {}), found by the {} backend",
            t.model.name,
            t.model.pg,
            t.backend.name.as_str()
        );
        say_raw!("{}", report::timeline(&r.scenario, &r.steps));
        say!("\nreplayed {} steps; every step matched.", r.steps.len());
        say!("VIOLATED: {}", r.violation.property);
        say!("  {}", r.violation.message);
        for d in &r.violation.details {
            say!("  {d}");
        }
    }
    Ok(1)
}

fn matrix(
    dir: &Path,
    trace_dir: Option<&Path>,
    json: bool,
    markdown: bool,
    quiet: bool,
) -> Result<u8, Usage> {
    use racecheck::matrix as mx;
    let models = model::load_dir(dir).map_err(|e| Usage(e.to_string()))?;
    let expect = mx::load_expectations(&mx::expectations_path(dir)).map_err(Usage)?;
    if let Some(d) = trace_dir {
        std::fs::create_dir_all(d).map_err(|e| Usage(format!("{}: {e}", d.display())))?;
    }
    let opts = Options {
        progress: false,
        ..Options::default()
    };
    let rows = mx::run_with_progress(&models, &expect, &opts, trace_dir, |done, total, r| {
        if !quiet {
            eprintln!(
                "[{done}/{total}] {} from the {}, PostgreSQL {}: {} ({} states)",
                r.variant, r.source, r.pg, r.verdict, r.states
            );
        }
    })
    .map_err(Usage)?;
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
    } else if markdown {
        say_raw!("{}", mx::markdown(&rows));
    } else {
        say!(
            "{:<26} {:<8} {:<4} {:<12} {:<58} {:>8}  as expected",
            "variant",
            "source",
            "pg",
            "verdict",
            "violated",
            "states"
        );
        for r in &rows {
            let v = if r.violated.is_empty() {
                "-".to_string()
            } else {
                r.violated.join(", ")
            };
            let ok = match &r.expected {
                None => "NO EXPECTATION".to_string(),
                Some(_) if r.as_expected() => "yes".to_string(),
                Some(e) => format!("NO: expected [{}]", e.join(", ")),
            };
            let t = r
                .trace
                .as_deref()
                .map(|t| format!("  {t}"))
                .unwrap_or_default();
            say!(
                "{:<26} {:<8} {:<4} {:<12} {:<58} {:>8}  {ok}{t}",
                r.variant,
                r.source,
                r.pg,
                r.verdict,
                v,
                r.states
            );
        }
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
            racecheck::matrix::expectations_path(dir).display(),
            changed.join(", ")
        );
        Ok(1)
    }
}
