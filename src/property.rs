//! Properties: named predicates over a World. *Always* properties must hold in every reachable
//! state (a counterexample is a violation); *sometimes* properties must hold in at least one
//! reachable state, so that a pass is never vacuous.

use crate::scenario::Scenario;
use crate::scenario::command::{self, End, Milestone};
pub use crate::scenario::props::{Kind, Prop, Scope};
use crate::world::redo::{Restore, RestoreOutcome};
use crate::world::restore::{self, primary_dir};
use crate::world::{Link, ProcId, World};

/// A violated always-property with PostgreSQL-style messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Property.
    pub property: Prop,
    /// Headline message (e.g. `PANIC: WAL contains references to invalid pages`).
    pub message: String,
    /// Supporting lines (WARNINGs, differing pages).
    pub details: Vec<String>,
}

/// Everything the properties found in one state.
#[derive(Clone, Debug, Default)]
pub struct Verdicts {
    /// Always-properties violated here.
    pub violations: Vec<Violation>,
    /// Sometimes-properties that hold here.
    pub reached: Vec<Prop>,
    /// On a terminal state: the domain cell the run ended in (coverage).
    pub cell: Option<Cell>,
}

/// Where a run ended, in the domain's terms: when the backup started relative to the command's
/// WAL milestones (create record, commit, DROP record, in WAL order), whether its walk looked at
/// a directory while it was being removed, and how the restore ended. A run's coverage is the
/// set of cells its terminal states fall in, so that "holds" says what it held over.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema,
)]
pub struct Cell {
    /// One of [`starts`]: "before the create record", ..., "after the DROP record", or "no
    /// backup start".
    pub start: &'static str,
    /// One of [`WALKS`].
    pub walk: &'static str,
    /// One of [`OUTCOMES`].
    pub outcome: &'static str,
}

/// The start phase when a backup never started.
pub const NO_START: &str = "no backup start";

/// The walk column of the coverage grid.
pub const WALKS: [&str; 2] = ["walk during removal", "walk not during removal"];

/// The restore outcomes, the coverage grid's columns.
pub const OUTCOMES: [&str; 8] = [
    "restored",
    "restored, data differ",
    "PANIC invalid pages",
    "PANIC pg_tblspc entry",
    "FATAL/PANIC in redo",
    "leaked directory",
    "never consistent",
    "no backup",
];

/// The start phases of a command's runs without error, in WAL order, then "no backup start":
/// the coverage grid's rows (the command's milestones, `scenario/command/`).
pub fn starts(command: crate::scenario::model::Command) -> Vec<&'static str> {
    let mut v = command::rows(command::def(command));
    v.push(NO_START);
    v
}

/// The cell of a terminal state, given its verdicts and its restore's outcome.
fn cell(w: &World, v: &Verdicts, outcome: &RestoreOutcome) -> Cell {
    let mut last = None;
    let start = match w.backup.start_lsn {
        None => NO_START,
        Some(s) => {
            let mut phase = None;
            for (i, rec) in w.wal.iter().enumerate() {
                if let Some(m) = Milestone::of(rec) {
                    if phase.is_none() && s as usize <= i {
                        phase = Some(m.before());
                    }
                    last = Some(m);
                }
            }
            phase.unwrap_or_else(|| last.map_or("no command record", Milestone::after))
        }
    };
    let walk = WALKS[usize::from(!w.ghost.walked_src_during_rmtree)];
    let has = |p: Prop| v.violations.iter().any(|x| x.property == p);
    let outcome = if has(Prop::InvalidPages) {
        OUTCOMES[2]
    } else if has(Prop::TablespaceDirectory) {
        OUTCOMES[3]
    } else if has(Prop::RedoFatal) {
        OUTCOMES[4]
    } else if has(Prop::RestoreFidelity) {
        OUTCOMES[1]
    } else if has(Prop::NoLeakedDirectories) {
        OUTCOMES[5]
    } else {
        match outcome {
            RestoreOutcome::Restored { .. } => OUTCOMES[0],
            RestoreOutcome::NeverConsistent => OUTCOMES[6],
            _ => OUTCOMES[7],
        }
    };
    Cell {
        start,
        walk,
        outcome,
    }
}

/// Evaluate the properties on a state. Restore-based properties are evaluated on terminal states
/// (every process finished); `deadlock` on non-terminal states with no enabled process.
pub fn evaluate(sc: &Scenario, w: &World) -> Verdicts {
    evaluate_with(sc, w, &sc.enabled_procs(w), PropSet::default())
}

/// A set of properties, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PropSet(u32);

impl PropSet {
    /// Add `p`.
    pub fn insert(&mut self, p: Prop) {
        self.0 |= 1 << (p as u32);
    }
    /// Whether `p` is in the set.
    pub fn contains(self, p: Prop) -> bool {
        self.0 & (1 << (p as u32)) != 0
    }
}

impl FromIterator<Prop> for PropSet {
    fn from_iter<I: IntoIterator<Item = Prop>>(it: I) -> Self {
        let mut s = PropSet::default();
        for p in it {
            s.insert(p);
        }
        s
    }
}

/// Record that `property` is violated, with the message and details `describe` gives, unless the
/// property is `known` (already found by the caller, which keeps only the first
/// counterexample): then without them, which saves building and dropping the strings of every
/// violating state. Whether a property is violated is always recorded (coverage cells use it).
fn violated(
    v: &mut Verdicts,
    known: PropSet,
    property: Prop,
    describe: impl FnOnce() -> (String, Vec<String>),
) {
    let (message, details) = if known.contains(property) {
        (String::new(), Vec::new())
    } else {
        describe()
    };
    v.violations.push(Violation {
        property,
        message,
        details,
    });
}

/// [`evaluate`] with the state's enabled processes already computed (the explorer's hot path
/// needs them to expand the state anyway); the violations of the `known` properties come
/// without message and details.
pub fn evaluate_with(sc: &Scenario, w: &World, enabled: &[ProcId], known: PropSet) -> Verdicts {
    let mut v = Verdicts::default();
    if !sc.terminal(w) {
        if enabled.is_empty() {
            violated(&mut v, known, Prop::Deadlock, || {
                let waits = (0..sc.procs.len())
                    .filter_map(|i| ProcId::try_from(i).ok())
                    .filter(|&p| !sc.finished(w, p) && !sc.procs[usize::from(p)].daemon)
                    .map(|p| {
                        format!(
                            "{}: {}",
                            sc.procs[usize::from(p)].name,
                            sc.blocked_reason(w, p)
                        )
                    })
                    .collect();
                (
                    "no process can step, and not every process has finished".into(),
                    waits,
                )
            });
        }
        return v;
    }
    let r = restore::restore(w, &sc.sem, false);
    judge_restore(sc, w, &r, "", known, &mut v);
    if w.crashed {
        let c = restore::crash_recovery(w, &sc.sem, sc.src, false);
        judge_restore(sc, w, &c, "crash recovery of the primary: ", known, &mut v);
        if let RestoreOutcome::Restored { fs, catalog, .. } = &c.outcome {
            v.reached.push(Prop::CrashRecovered);
            if sc.dirs.iter().any(|&l| l != catalog.ts && fs.has_dir(l)) {
                v.reached.push(Prop::CrashLeakAccepted);
            }
        }
    }
    // The live standby's own replay died (the backup was then lost with it).
    if let Some(died) = w.standby.as_ref().and_then(|s| s.died.as_ref()) {
        violated(&mut v, known, Prop::RedoFatal, || {
            (
                format!("the standby's startup process died: {died}"),
                vec![],
            )
        });
    }
    let leaks = leaked_directories(sc, w, &r.outcome);
    if !leaks.is_empty() {
        violated(&mut v, known, Prop::NoLeakedDirectories, || {
            (
                format!(
                    "directories of database {} leaked",
                    crate::world::fs::DB_OID
                ),
                leaks,
            )
        });
    }
    let g = &w.ghost;
    let before = matches!((w.backup.start_lsn, g.create_lsn), (Some(s), Some(c)) if s <= c);
    if before {
        v.reached.push(Prop::BackupStartsBeforeCreate);
    }
    if g.walked_src_during_rmtree {
        v.reached.push(Prop::WalkSourceDuringRmtree);
    }
    if before && g.walked_src_during_rmtree {
        v.reached.push(Prop::RaceWindow);
    }
    if g.stopped_during_removal
        && matches!((w.backup.end_lsn, g.drop_lsn), (Some(end), Some(drop)) if end <= drop)
    {
        v.reached.push(Prop::DropWindow);
    }
    if matches!(r.outcome, RestoreOutcome::Restored { .. }) {
        v.reached.push(Prop::RestoreConsistent);
    }
    if g.start_in_image_window {
        v.reached.push(Prop::ImageWriteWindow);
    }
    if g.stopped_link_gone
        && let Some(end) = w.backup.end_lsn
        && g.tblspc_drop_lsn.is_none_or(|d| end <= d)
    {
        v.reached.push(Prop::TablespaceDropWindow);
    }
    if r.replayed_post_move {
        v.reached.push(Prop::PostMoveChangeReplayed);
    }
    for claim in sc.model.claims() {
        if v.reached.contains(&claim) {
            violated(&mut v, known, Prop::ClaimUnreachable, || {
                (
                    format!("the variant claims \"{claim}\" unreachable, and it was reached"),
                    vec![],
                )
            });
        }
    }
    v.cell = Some(cell(w, &v, &r.outcome));
    v
}

/// Judge one replay's outcome; `what` prefixes the messages (empty for the restored backup).
fn judge_restore(
    sc: &Scenario,
    w: &World,
    r: &Restore,
    what: &str,
    known: PropSet,
    v: &mut Verdicts,
) {
    match &r.outcome {
        RestoreOutcome::InvalidPages {
            lsn,
            at_consistency,
            warnings,
        } => violated(v, known, Prop::InvalidPages, || {
            let mut details = warnings.clone();
            details.push(if *at_consistency {
                format!(
                    "raised by XLogCheckInvalidPages when consistency was reached after LSN {lsn}"
                )
            } else {
                format!("raised by log_invalid_page at LSN {lsn}, after consistency")
            });
            (
                format!("{what}PANIC: WAL contains references to invalid pages"),
                details,
            )
        }),
        RestoreOutcome::TablespaceDirectory { lsn, message } => {
            violated(v, known, Prop::TablespaceDirectory, || {
                (
                    format!("{what}{message}"),
                    vec![format!(
                        "raised by CheckTablespaceDirectory when consistency was reached after LSN {lsn}: {}",
                        w.wal[*lsn as usize]
                    )],
                )
            })
        }
        RestoreOutcome::Fatal { lsn, message } => violated(v, known, Prop::RedoFatal, || {
            (
                format!("{what}{message}"),
                vec![format!(
                    "while replaying LSN {lsn}: {}",
                    w.wal[*lsn as usize]
                )],
            )
        }),
        RestoreOutcome::Restored { fs, catalog, .. } => {
            let diffs = compare(sc, w, fs, *catalog);
            if !diffs.is_empty() {
                violated(v, known, Prop::RestoreFidelity, || {
                    (
                        format!(
                            "{what}restore succeeded (\"database system is ready to accept connections\") but {} differs from the primary",
                            if sc.dirs.contains(&crate::world::Loc::NewDb) {
                                format!(
                                    "the restored copy of databases {} and {}",
                                    crate::world::fs::DB_OID,
                                    crate::world::fs::NEW_DB_OID
                                )
                            } else {
                                format!("database {}", crate::world::fs::DB_OID)
                            }
                        ),
                        diffs,
                    )
                });
            }
        }
        RestoreOutcome::NoBackup { .. } | RestoreOutcome::NeverConsistent => {}
    }
}

/// Directories of `D` that exist where they should not (primary after movedb; restored copy).
fn leaked_directories(sc: &Scenario, w: &World, outcome: &RestoreOutcome) -> Vec<String> {
    let mut out = Vec::new();
    // The primary after the command, by the command's own rule (after a crash its leftovers
    // are the accepted leaks, judged after its recovery).
    let cmd = crate::scenario::pid::COMMAND;
    let st = &w.procs[usize::from(cmd)];
    if !w.crashed {
        let end = End {
            failed: st.failed,
            finished_ok: !st.failed && sc.finished(w, cmd),
            src: (sc.src, w.fs.has_dir(sc.src)),
            dst: (sc.dst, w.fs.has_dir(sc.dst)),
        };
        out.extend(command::def(sc.model.command).leak(end));
    }
    // After a crash the primary's directories are not a reference (they may hold accepted
    // leaks); D's data where pg_database says is still judged by restore-fidelity.
    if !w.crashed
        && let RestoreOutcome::Restored { fs, .. } = outcome
    {
        // Relation-level commands drop files: the restored copy keeps no file the primary has
        // dropped (its old file after ALTER TABLE SET TABLESPACE, DROP TABLE's file).
        if command::def(sc.model.command).relocates() {
            let dropped = |loc, rel| {
                w.ckpt.unlinks.iter().any(|&(t, r, _)| (t, r) == (loc, rel))
                    || w.fs.file(loc, rel).is_none()
            };
            for &ts in &sc.dirs {
                for rel in fs.names(ts) {
                    if dropped(ts, rel) {
                        out.push(format!(
                            "restored copy has \"{}\", which the primary dropped (an orphaned file)",
                            ts.rel_path(rel)
                        ));
                    }
                }
            }
        }
        let (restored, primary) = (fs.link, w.fs.link);
        if (restored == Link::Absent) != (primary == Link::Absent) {
            out.push(format!(
                "in the restored copy \"pg_tblspc/{}\" is {restored}, on the primary {primary}",
                crate::world::fs::USER_TS_OID
            ));
        }
        for &ts in &sc.dirs {
            match (fs.has_dir(ts), w.fs.has_dir(ts)) {
                (true, false) => out.push(format!(
                    "restored copy has \"{}\", the primary does not (its removal was never WAL-logged)",
                    ts.db_path()
                )),
                (false, true) => out.push(format!(
                    "restored copy lacks \"{}\", which the primary has",
                    ts.db_path()
                )),
                _ => {}
            }
        }
    }
    out
}

/// Differences between the restored copy and the primary, one line each: the catalog's
/// `dattablespace` of `D`, and every page of every database directory the primary has (`D`
/// wherever movedb left it; the template and the new database in the createdb scenario). After a
/// crash of the primary, only `D` where its committed catalog says it is (the other directory
/// may be an accepted leak).
pub fn compare(
    sc: &Scenario,
    w: &World,
    rfs: &crate::world::Fs,
    rcatalog: crate::world::Catalog,
) -> Vec<String> {
    let mut out = Vec::new();
    let (restored_row, primary_row) = (rcatalog.row(), w.catalog.row());
    if restored_row != primary_row {
        out.push(format!(
            "restored pg_database says {restored_row}, the primary says {primary_row}"
        ));
    }
    let (restored_rel, primary_rel) = (rcatalog.relations(), w.catalog.relations());
    if restored_rel != primary_rel {
        let show = |(f, dropped, ts_dropped): (Option<(crate::world::Loc, u8)>, bool, bool)| {
            let rel = match (f, dropped) {
                (_, true) => "relation 0 dropped".to_string(),
                (Some((ts, r)), false) => format!("relation 0 in \"{}\"", ts.rel_path(r)),
                (None, false) => "relation 0 in its database's directory".to_string(),
            };
            format!(
                "{rel}, tablespace {}",
                if ts_dropped { "dropped" } else { "present" }
            )
        };
        out.push(format!(
            "restored pg_class/pg_tablespace say {}, the primary's {}",
            show(restored_rel),
            show(primary_rel)
        ));
    }
    let committed = [w.catalog.ts];
    let locs: &[crate::world::Loc] = if w.crashed { &committed } else { &sc.dirs };
    for &loc in locs {
        let Some(primary) = primary_dir(w, loc) else {
            continue;
        };
        let Some(restored) = rfs.dir(loc) else {
            out.push(format!("directory \"{}\" is missing", loc.db_path()));
            continue;
        };
        for (rel, pf) in &primary.files {
            // A dropped file's tombstone is not data (the next checkpoint unlinks it).
            if w.ckpt
                .unlinks
                .iter()
                .any(|&(t, r, _)| (t, r) == (loc, *rel))
            {
                continue;
            }
            // Named only in a difference (most restores have none: no string per file).
            let path = || loc.rel_path(*rel);
            let Some(rf) = restored.files.get(rel) else {
                out.push(format!(
                    "{}: file missing (primary has {} page(s))",
                    path(),
                    pf.len()
                ));
                continue;
            };
            for (b, pp) in pf.iter().enumerate() {
                match rf.get(b) {
                    None => out.push(format!("{} blk {b}: missing (primary v{})", path(), pp.ver)),
                    Some(rp) if rp.ver != pp.ver => out.push(format!(
                        "{} blk {b}: {} (primary v{})",
                        path(),
                        if rp.ver == 0 {
                            "all-zero".to_string()
                        } else {
                            format!("v{}", rp.ver)
                        },
                        pp.ver
                    )),
                    Some(rp) if rp.all_visible != pp.all_visible => out.push(format!(
                        "{} blk {b}: PD_ALL_VISIBLE {} (primary: {})",
                        path(),
                        if rp.all_visible { "set" } else { "clear" },
                        if pp.all_visible { "set" } else { "clear" }
                    )),
                    Some(_) => {}
                }
            }
        }
        for rel in restored.files.keys() {
            if !primary.files.contains_key(rel) {
                out.push(format!("{}: file not on the primary", loc.rel_path(*rel)));
            }
        }
    }
    out
}
