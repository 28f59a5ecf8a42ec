//! The command line's definition (clap derive): subcommands, the model overrides and the engine
//! settings, each written once with the code that applies it and the code that spells it back
//! as flags (for the "to replay this" hints).

use clap::{Args, Parser, Subcommand};
use racecheck::explore::{
    DEFAULT_FINGERPRINT_SEED, Engine, Fingerprint, FpBits, LoomSync, Options, Progress, Reduction,
    Strategy,
};
use racecheck::scenario::Model;
use racecheck::scenario::model::{BackendAction, BackupSource};
use racecheck::scenario::props::{Kind, Prop};
use racecheck::world::PgVersion;
use std::path::PathBuf;

/// The text after `racecheck --help`'s options: what it checks (the always-properties listed
/// from [`Prop::doc`], the one description of each), examples, exit codes.
fn after_help() -> String {
    let mut props = String::new();
    for p in Prop::ALL.into_iter().filter(|p| p.kind() == Kind::Always) {
        // The description wrapped at 96 columns, under its own column.
        let mut line = format!("    {:<22}", p.name());
        for word in p.doc().split_whitespace() {
            if line.len() + 1 + word.len() > 96 {
                props += line.trim_end();
                props += "\n";
                line = " ".repeat(26);
            }
            line += " ";
            line += word;
        }
        props += &line;
        props += "\n";
    }
    format!(
        "{HEAD}  its WAL replayed as the startup process would. Always-properties:\n{props}{TAIL}"
    )
}

const HEAD: &str = "\
What it checks:
  ALTER DATABASE d SET TABLESPACE t (movedb), CREATE DATABASE and DROP DATABASE run while
  pg_basebackup walks the data directory. Every interleaving of the checkpointer, the command's
  backend, the walsender and an ordinary backend (and, with --source standby, the standby's
  startup process replaying the primary's WAL) is explored; at the end the backup is restored and
";

const TAIL: &str =
    "  and sometimes-properties that prove the race window was explored (racecheck --variant V
  --coverage names them). Model files say which command (movedb, createdb, dropdb), which fix
  and which PostgreSQL version: see racecheck list, and docs/postgresql.md for the PostgreSQL
  behaviour followed.

Words: an engine (native, loom, shuttle) chooses which process steps next; a backend is a
PostgreSQL server process (the ordinary backend of [backend] actions, movedb's backend).

Examples:
  racecheck                                  check every variant in models/, print a table
  racecheck --variant baseline --trace-out /tmp/b.json
  racecheck replay /tmp/b.json               re-execute a counterexample step by step
  racecheck explain /tmp/b.json --format mermaid
                                             draw it (text, mermaid, dot)
  racecheck --variant dropdb                 DROP DATABASE during a backup
  racecheck --variant lockflag --files 3     a larger database
  racecheck --variant baseline --pg 15       follow PostgreSQL 15's redo
  racecheck --variant dropdb --pg 18 --checksums off   18 initialised without data checksums
  racecheck --variant lockflag --source standby
                                             the backup taken from a standby
  racecheck --variant lockflag-startup --engine loom --actions none --files 1
                                             a standby backup under loom (4-thread limit)
  racecheck matrix                           every variant x backup source x version
  racecheck list                             variants and what they change

Exit codes: 0 holds, 1 violated, 2 bad usage or input, 3 inconclusive (budget ran out or a
sometimes-property was never reached), 4 internal error (a racecheck bug). With no --variant:
0 when every variant's verdict matches the [expect] section of its model file, 1 when one
differs, 3 when one is inconclusive.";

/// The parsed command line.
#[derive(Parser, Debug)]
#[command(
    name = "racecheck",
    version,
    about = "Model checker for PostgreSQL's database commands (ALTER DATABASE SET TABLESPACE, CREATE and DROP DATABASE) vs. base backup races",
    after_help = after_help(),
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// A subcommand; none checks variants.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Checking variants.
    #[command(flatten)]
    pub check: CheckArgs,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the variants in the models directory.
    List {
        /// Models directory (default: $RACECHECK_MODELS, ./models, or the source tree's).
        #[arg(long)]
        models: Option<PathBuf>,
    },
    /// Reproduce many schedules of each matrix row on the real server of its version: the
    /// native counterexample, the counterexamples of the other versions followed under this
    /// row's model (schedule --like), shuttle's counterexamples (PCT) and random schedules,
    /// until N distinct ones; each run as `racecheck reproduce` runs it. One line per row
    /// (schedules, matches, differences, refusals, real outcome classes); exit 0 when nothing
    /// differs, 1 when something does (its trace kept in --keep-dir), 3 on Ctrl-C. Without
    /// --variant: every stock model, and only the rows a released server has (CREATE DATABASE
    /// WAL_LOG is skipped before 15, said on stderr). Takes about 5 s a reproduced schedule
    /// from a primary, 8 s from a standby (the whole default sweep: 21 + 32 minutes;
    /// docs/reproduce.md). Needs scripts/install-reproduce-deps.sh.
    ///
    /// Example: racecheck sweep --variant dropdb --pg 16,17 --source primary --schedules 10
    Sweep(SweepCli),
    /// Check every model file at every backup source (primary, standby) and PostgreSQL version
    /// (9.2, 9.4, 14-18 for the database commands; 14-18 for ALTER TABLE SET TABLESPACE; 14.0-14.4
    /// and 14-18 for DROP TABLESPACE) with the native engine and compare with
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
        /// Print the Markdown table kept in docs/matrix.md.
        #[arg(long)]
        markdown: bool,
        /// No progress line per row on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Draw a counterexample: the timeline (text), a Mermaid sequence diagram (paste into
    /// Markdown), the happens-before graph of its steps (Graphviz DOT), or one self-contained
    /// HTML page. The trace is replayed first; exit 0 when drawn, 2 if the trace is broken or no
    /// longer reproduces.
    Explain {
        /// The trace file (JSON).
        trace: PathBuf,
        /// The view.
        #[arg(long, value_enum, default_value_t = racecheck::explain::Format::Text)]
        format: racecheck::explain::Format,
        /// Show only the causal slice: the steps whose order alone reaches the violation (every
        /// order of the trace's steps that keeps theirs, and each process's, is run, exhaustively:
        /// the first line says how many states and ends, and that each end is violated).
        #[arg(long)]
        slice: bool,
    },
    /// Write one schedule as a trace: serial (--order) or random (--seed), the end state judged.
    ///
    /// With --order, the processes named run first, in that order, each as far as it can, then
    /// the others; daemons (the checkpointer) step only when nothing else can. With --order
    /// movedb,backend,walsender the backup starts after the command has finished: the control
    /// for `racecheck reproduce`. With --seed, each step picks one of the enabled processes at
    /// random (the same seed, the same schedule). The trace records the schedule's violation if
    /// it has one (exit 1), or none (exit 0: a control schedule; `racecheck replay` then checks
    /// that nothing is violated).
    Schedule {
        /// The variant (a file NAME.toml in the models directory); with --like, default: the
        /// trace's own model.
        #[arg(long, value_name = "NAME", required_unless_present = "like")]
        variant: Option<String>,
        /// Models directory (default: $RACECHECK_MODELS, ./models, or the source tree's).
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        /// Process names in the order they run, comma-separated (e.g. movedb,backend,walsender;
        /// the command's process is movedb, createdb or dropdb).
        #[arg(
            long,
            value_name = "P,P,...",
            value_delimiter = ',',
            required_unless_present_any = ["seed", "like"],
            conflicts_with_all = ["seed", "like"]
        )]
        order: Vec<String>,
        /// A random schedule from this seed instead of a serial one.
        #[arg(long, value_name = "S", conflicts_with = "like")]
        seed: Option<u64>,
        /// The process order of another trace, under this model (its own, or --variant's, with
        /// --pg, --checksums ...): the order is followed while it stays possible, a step whose
        /// process cannot step here is skipped, and the trace's engine record lists them. So
        /// one race can be compared across versions and fixes, e.g. `racecheck schedule --like
        /// traces/dropdb.json --pg 18 --checksums on --trace-out d.json`.
        #[arg(long, value_name = "TRACE")]
        like: Option<PathBuf>,
        /// Write the trace here (JSON).
        #[arg(long, value_name = "FILE")]
        trace_out: PathBuf,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Drive a real PostgreSQL server of the trace's version (14 to 18) through a trace's
    /// schedule and compare its restore with the model's prediction.
    ///
    /// racecheck builds a primary like the trace's model (a tablespace, database d with K
    /// tables of P pages; wal_level=replica, archiving, no autovacuum), holds the command's
    /// backend under gdb at the trace's pause points (entries of copydir, rmtree, XLogInsert of
    /// the DBASE records, RequestCheckpoint, ...), takes the backup with pg_backup_start and
    /// pg_backup_stop while copying the files itself in the trace's walk order (for a backup
    /// from a standby: on a streaming standby made from that primary, whose startup process
    /// gdb holds between WAL records where the model's standby is), runs the
    /// backend's VACUUM or UPDATE where the trace has them, restores the copy from the WAL
    /// archive and classifies the outcome: invalid-pages PANIC, startup failure, silent loss,
    /// database left invalid, or OK. Steps a real server cannot be held at are merged into the
    /// nearest pause point and listed (docs/reproduce.md).
    ///
    /// Servers run as `nobody` when racecheck is root, on unix sockets in a temporary folder,
    /// and are stopped by pid at the end, on failure and on Ctrl-C.
    ///
    /// Exit 0: the real outcome is the model's; 1: it differs (a fidelity bug in the model, or a
    /// new finding); 2: a bad trace, or a schedule a stock server cannot follow (the message
    /// says why and names the step, or a server of another version than the trace's); 3: the
    /// trace's PostgreSQL or gdb missing (scripts/install-reproduce-deps.sh installs them), a
    /// server that would not start, or Ctrl-C.
    ///
    /// Example: racecheck --variant baseline --pg 15 --trace-out b.json && racecheck reproduce
    /// b.json
    Reproduce {
        /// The trace file (JSON), of a model of PostgreSQL 14 to 18 with a backup from the
        /// primary.
        trace: PathBuf,
        /// Folder with postgres, initdb and psql of the trace's version. Default: Debian's
        /// /usr/lib/postgresql/15/bin for 15; $RACECHECK_PG_ROOT/MAJOR/bin (default
        /// /opt/racecheck/pg/MAJOR/bin, where scripts/install-reproduce-deps.sh puts 14, 16, 17
        /// and 18). A server of another major than the trace's is refused, naming both.
        #[arg(long, value_name = "DIR")]
        pg_bin: Option<PathBuf>,
        /// Keep the servers' folders (data directories, backup, WAL archive, server logs) in DIR
        /// (new or empty) instead of removing them.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-execute a trace written by --trace-out (or `racecheck schedule`) step by step; exit 1
    /// if it reproduces its violation, 0 if it is a control schedule and nothing is violated, 2
    /// if the file is broken or the replay diverges.
    Replay {
        /// The trace file (JSON).
        trace: PathBuf,
        /// Print a JSON summary instead of the timeline.
        #[arg(long)]
        json: bool,
    },
}

/// Checking one variant or all of them.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Check this variant only (a file NAME.toml in the models directory).
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Models directory (default: $RACECHECK_MODELS, ./models, or the source tree's).
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Knob overrides.
    #[command(flatten)]
    pub overrides: Overrides,
    /// Engine settings.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Write the headline counterexample (JSON trace) here (single variant).
    #[arg(long, value_name = "PATH")]
    pub trace_out: Option<PathBuf>,
    /// Write each violated variant's trace to DIR/NAME.json (all variants).
    #[arg(long, value_name = "DIR")]
    pub trace_dir: Option<PathBuf>,
    /// Print machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also print the domain cells the run reached: when the backup started relative to the
    /// command's WAL records, whether its walk met a removal, and how the restore ended (always
    /// in --json).
    #[arg(long)]
    pub coverage: bool,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Overrides of a model file's knobs, applied after it is read and validated again.
#[derive(Args, Debug, Clone, Default)]
pub struct Overrides {
    /// Override the number of relation files in D (K).
    #[arg(long, value_name = "K")]
    pub files: Option<u8>,
    /// Override the number of pages per file (P).
    #[arg(long, value_name = "P")]
    pub pages: Option<u8>,
    /// Override the PostgreSQL version: 9.2, 9.4, 14, 15, 16, 17 or 18 (docs/postgresql.md,
    /// "Versions": what differs between them on the paths the model follows).
    #[arg(long, value_name = "VERSION", value_parser = parse_pg)]
    pub pg: Option<PgVersion>,
    /// Override data checksums (on: hint bits are WAL-logged, so VACUUM's VISIBLE record images
    /// the heap page from 9.3 on): on or off. Default: the version's initdb default (on from
    /// 18).
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub checksums: Option<bool>,
    /// Override the ordinary backend's actions in D: a comma-separated list such as
    /// "visible 0 1, update 1 0", or "none" (no backend process; needed to run a standby backup
    /// under loom, whose thread limit the standby's startup process would otherwise exceed).
    #[arg(long, value_name = "LIST", value_parser = parse_actions)]
    pub actions: Option<Actions>,
    /// Override where the base backup is taken: primary, or standby (a streaming standby whose
    /// startup process replays the primary's WAL, including the command's records, while the
    /// walsender walks the standby's files; the backup starts at the standby's last
    /// restartpoint and ends at its minRecoveryPoint).
    #[arg(long, value_name = "SOURCE", value_parser = parse_source)]
    pub source: Option<BackupSource>,
}

/// A parsed `--actions` list.
#[derive(Clone, Debug)]
pub struct Actions(pub Vec<BackendAction>);

impl Overrides {
    /// Apply to a model (the caller validates it again).
    pub fn apply(&self, m: &mut Model) {
        if let Some(k) = self.files {
            m.files = k;
        }
        if let Some(p) = self.pages {
            m.pages = p;
        }
        if let Some(v) = self.pg {
            m.pg = v;
        }
        if let Some(c) = self.checksums {
            m.checksums = Some(c);
        }
        if let Some(src) = self.source {
            m.backup.source = src;
        }
        if let Some(acts) = &self.actions {
            m.backend.actions = acts.0.clone();
        }
    }

    /// The overrides as command-line flags (each followed by a space).
    pub fn flags(&self) -> String {
        let mut s = String::new();
        if let Some(k) = self.files {
            s += &format!("--files {k} ");
        }
        if let Some(p) = self.pages {
            s += &format!("--pages {p} ");
        }
        if let Some(v) = self.pg {
            s += &format!("--pg {v} ");
        }
        if let Some(c) = self.checksums {
            s += if c {
                "--checksums on "
            } else {
                "--checksums off "
            };
        }
        if let Some(src) = self.source {
            s += &format!("--source {src} ");
        }
        if let Some(acts) = &self.actions {
            let list: Vec<String> = acts.0.iter().map(ToString::to_string).collect();
            let list = if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            };
            s += &format!("--actions \"{list}\" ");
        }
        s
    }
}

/// Engine settings and budgets.
#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    /// Engine that enumerates the schedules: native (exhaustive BFS), loom (DPOR to a
    /// preemption bound) or shuttle (sampled schedules). `--backend` is an older spelling.
    #[arg(long, value_enum, default_value_t = Engine::Native, alias = "backend")]
    pub engine: Engine,
    /// Budget: stop after this many states (native) or executions (loom, shuttle; also spelled
    /// --max-executions), checked on every state or execution; exit 3.
    #[arg(long, value_name = "N", visible_alias = "max-executions",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_states: Option<u64>,
    /// Budget: stop after this many seconds (a positive number, at most 31,536,000: a year);
    /// exit 3.
    #[arg(long, value_name = "S", value_parser = parse_seconds)]
    pub max_seconds: Option<f64>,
    /// Budget: stop when the process's resident memory reaches SIZE (bytes, or
    /// with a unit: 512M, 4G, 1.5GB); exit 3 with the statistics so far. Default: 80% of the
    /// memory available when the run starts, so that a large run ends as inconclusive instead
    /// of being killed.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Native engine: worker threads (default: every core). Verdicts, counterexamples and state
    /// counts are the same for any number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Native engine: keep every whole World in the visited set instead of a 64-bit fingerprint
    /// (hash compaction off: slower, far more memory; to check a result against the unreduced
    /// search).
    #[arg(long)]
    pub exact_states: bool,
    /// Native engine: the fingerprint hash's seed (decimal or 0x-hex; default 0x7261636563686563,
    /// written in the run's summary). Another seed is another hash: the same states and verdicts
    /// under two seeds rule out a collision that merged two states under one.
    #[arg(long, value_name = "SEED", value_parser = parse_seed)]
    pub fingerprint_seed: Option<u64>,
    /// Native engine: fingerprint width. 64 (default: 8 bytes a state); 128 (two seeded foldhash
    /// values: 16 bytes a state in a hash set, slower; the collision bound squared).
    #[arg(long, value_name = "BITS", value_enum, default_value_t = FpBits::B64)]
    pub fingerprint_bits: FpBits,
    /// Native engine: partial-order reduction. persistent (default): where one process's next
    /// step touches nothing any other process may still touch, expand that step alone (same
    /// terminal states, verdicts and counterexample lengths, fewer states; docs/reduction.md);
    /// none: expand every enabled process, to compare.
    #[arg(long, value_enum, default_value_t = Reduction::Persistent)]
    pub reduction: Reduction,
    /// Stop at the first violation (native: the shortest of all). loom and shuttle always stop
    /// at their first violation unless --all-violations is given.
    #[arg(long, conflicts_with = "all_violations")]
    pub stop_at_first: bool,
    /// loom, shuttle: keep exploring after the first violation, to report every violated
    /// property (slower; native always does).
    #[arg(long)]
    pub all_violations: bool,
    /// loom: preemption bound, 0 to 16 (default 2: the race needs two preemptions of movedb by
    /// the walsender, see docs/engines.md; bound 3 already takes minutes).
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(0..=16))]
    pub preemptions: u8,
    /// loom: synchronisation granularity (coarse: one mutex around the whole World; fine: one
    /// loom mutex per shared resource so that DPOR can skip independent steps; see docs/engines.md for
    /// the measured difference).
    #[arg(long, value_enum, default_value_t = LoomSync::Coarse)]
    pub loom_sync: LoomSync,
    /// shuttle: scheduling strategy.
    #[arg(long, value_enum, default_value_t = Strategy::Pct)]
    pub strategy: Strategy,
    /// shuttle: number of schedules to try (at least 1).
    #[arg(long, value_name = "N", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub iterations: u64,
    /// shuttle: random seed (recorded in the trace).
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// shuttle PCT: number of priority change points, 1 to 64.
    #[arg(long, value_name = "D", default_value_t = 3,
          value_parser = clap::value_parser!(u8).range(1..=64))]
    pub depth: u8,
}

impl EngineArgs {
    /// The explorer's options; `progress`: progress lines on stderr.
    pub fn options(&self, progress: bool) -> Options {
        Options {
            engine: self.engine,
            max_states: self.max_states,
            max_seconds: self.max_seconds,
            max_memory: self.max_memory.or_else(default_max_memory),
            threads: self.threads.map_or_else(
                || std::thread::available_parallelism().map_or(1, |n| n.get()),
                usize::from,
            ),
            exact_states: self.exact_states,
            fingerprint: Fingerprint {
                seed: self.fingerprint_seed.unwrap_or(DEFAULT_FINGERPRINT_SEED),
                bits: self.fingerprint_bits,
            },
            reduction: self.reduction,
            stop_at_first: self.stop_at_first
                || (self.engine != Engine::Native && !self.all_violations),
            progress: progress.then(|| {
                Progress(std::sync::Arc::new(
                    super::progress::StderrProgress::default(),
                ))
            }),
            preemptions: usize::from(self.preemptions),
            loom_sync: self.loom_sync,
            strategy: self.strategy,
            iterations: self.iterations,
            seed: self.seed,
            depth: usize::from(self.depth),
        }
    }

    /// The settings that decide which schedules the engine explores, as flags (each followed
    /// by a space): what a user must repeat to get the same counterexample.
    pub fn flags(&self) -> String {
        match self.engine {
            Engine::Native => String::new(),
            Engine::Loom => format!(
                "--engine loom --preemptions {} --loom-sync {} ",
                self.preemptions,
                self.loom_sync.as_str()
            ),
            Engine::Shuttle => format!(
                "--engine shuttle --strategy {} --seed {} --iterations {} --depth {} ",
                self.strategy.as_str(),
                self.seed,
                self.iterations,
                self.depth
            ),
        }
    }
}

fn parse_actions(s: &str) -> Result<Actions, String> {
    if s.trim() == "none" {
        return Ok(Actions(Vec::new()));
    }
    s.split(',')
        .map(|a| BackendAction::try_from(a.trim().to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map(Actions)
}

fn parse_source(s: &str) -> Result<BackupSource, String> {
    BackupSource::parse(s)
        .ok_or_else(|| format!("unknown backup source {s:?}; known: primary, standby"))
}

fn parse_pg(s: &str) -> Result<PgVersion, String> {
    PgVersion::parse(s).ok_or_else(|| {
        let known: Vec<&str> = PgVersion::ALL.iter().map(|v| v.as_str()).collect();
        format!("unknown version {s:?}; known: {}", known.join(", "))
    })
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{s:?}: expected on or off")),
    }
}

/// 80% of `MemAvailable` (Linux), the default memory budget.
fn default_max_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024 / 10 * 8)
}

/// A fingerprint seed: decimal, or hexadecimal after `0x`.
fn parse_seed(s: &str) -> Result<u64, String> {
    let t = s.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse(),
    }
    .map_err(|_| format!("{s:?} is not a 64-bit seed (examples: 42, 0x2a)"))
}

/// A size in bytes: a number, optionally followed by K, M, G or T (powers of 1024; a trailing
/// B or iB is accepted).
fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("{s:?} is not a size (examples: 1000000, 512M, 4G, 1.5GB)");
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(bad()),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let x: f64 = num.trim().parse().map_err(|_| bad())?;
    if !x.is_finite() || x <= 0.0 {
        return Err(bad());
    }
    let bytes = x * mult as f64;
    if bytes >= u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// A time budget in seconds: finite, positive, at most a year.
fn parse_seconds(s: &str) -> Result<f64, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !x.is_finite() || x <= 0.0 || x > 31_536_000.0 {
        return Err(format!(
            "{s:?}: must be a positive number of seconds, at most 31536000 (a year)"
        ));
    }
    Ok(x)
}

/// `racecheck sweep`'s arguments.
#[derive(Args, Debug, Clone)]
pub struct SweepCli {
    /// Models directory (default: $RACECHECK_MODELS, ./models, or the source tree's).
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Variants to sweep (repeat or comma-separate; default: every stock model, whose
    /// command and backup knobs are a released server's).
    #[arg(long = "variant", value_name = "NAME", value_delimiter = ',')]
    pub variants: Vec<String>,
    /// Versions (default: 14, 15, 16, 17, 18).
    #[arg(long = "pg", value_name = "VERSION", value_delimiter = ',', value_parser = parse_pg)]
    pub versions: Vec<PgVersion>,
    /// Backup sources (default: primary, standby).
    #[arg(long = "source", value_name = "SOURCE", value_delimiter = ',', value_parser = parse_source)]
    pub sources: Vec<BackupSource>,
    /// Distinct schedules per row.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub schedules: usize,
    /// Keep each differing trace here (sweep-different-ROW-I.json).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub keep_dir: PathBuf,
    /// Print the rows as JSON (racecheck-sweep/1).
    #[arg(long)]
    pub json: bool,
}
