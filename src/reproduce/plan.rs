//! From a trace to what a real server does: the trace's schedule re-executed in the model, each
//! step turned into a real action (a SQL statement, a file copied by racecheck, or moving the
//! command's backend to a pause point under the debugger), and every place where the real
//! server cannot be held where the model is (the step is merged into the nearest pause point)
//! written down. Pure: no server is touched here.

use super::pause::place;
pub use super::pause::{Hold, breakpoint};
use crate::property;
use crate::scenario::command;
use crate::scenario::model::BackendAction;
use crate::scenario::{Model, Op};
use crate::trace::Trace;
use crate::world::{Loc, PgVersion, ProcId, Rec, World, redo, restore};

/// One thing the real run does, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Move the command's backend to this pause point (or let the statement finish).
    Command(Hold),
    /// `pg_backup_start('racecheck', fast => true)` in the backup's session (the model's
    /// `do_pg_backup_start` and its wait for the checkpoint, as one call).
    BackupStart,
    /// The same, held under gdb after its checkpoint, where it reads `pg_tblspc` for
    /// `tablespace_map` (`AllocateDir("pg_tblspc")`): the model's `tablespace_map` step comes
    /// after other processes' steps.
    BackupStartHeld,
    /// The held `pg_backup_start` reads `pg_tblspc` and returns.
    BackupMapRead,
    /// The walk lists `D`'s directory at this location: racecheck lists the real directory,
    /// creates it in the copy, and copies the files the model does not have (catalogs,
    /// `PG_VERSION`, ...) at once.
    WalkOpen(Loc),
    /// The walk copies the model's relation file `rel` at this location (the real table's
    /// relation file with its forks), if the real directory listed it and it still exists.
    WalkCopy(Loc, u8),
    /// The walk reaches the main data directory: everything but `D`'s directory, `pg_wal` and
    /// `pg_control` is copied (once).
    WalkRest,
    /// The walk reaches the user tablespace: its `PG_15_<catversion>` folder and everything in
    /// it but `D`'s directory is copied (once), as `pg_basebackup` always sends it.
    WalkTablespace,
    /// The plain-format walk reaches `pg_tblspc`: the tablespace's link goes into the copy if
    /// it is there now (`pg_basebackup -Fp`), and no `tablespace_map` is written.
    WalkLinks,
    /// `pg_control` is copied, then `pg_backup_stop()`; backup_label written, and the
    /// tablespace's link: from `tablespace_map` (tar, low-level API) or as the walk found it.
    BackupStop,
    /// The backend connects to `D`; `refused`: the model's connection fails (`D` dropped or
    /// marked invalid: FATAL), and the real one must fail too.
    Connect {
        /// The model refuses the connection.
        refused: bool,
    },
    /// `VACUUM t<rel>` (the model's `log_heap_visible` of one page; the real VACUUM marks every
    /// page of the table).
    Vacuum(u8),
    /// `UPDATE t<rel>` of a row on block `blk`.
    Update(u8, u8),
    /// The backend's buffer eviction (`FlushBuffer` of one page): a `CHECKPOINT`, which writes
    /// that page and every other dirty one (no released server evicts one buffer on demand
    /// before 17's `pg_buffercache_evict`).
    Flush,
    /// The backend disconnects.
    Disconnect,
    /// The standby's startup process replays up to the end of the model's WAL record
    /// `upto - 1` (the real records written by then) and is held there, before the next.
    Replay {
        /// Model WAL records below this one are replayed.
        upto: usize,
        /// The step replayed a page change, which the model's standby writes at once: a
        /// `CHECKPOINT` on the standby (a restartpoint, when it has replayed a checkpoint
        /// record to restart at) writes it.
        write: bool,
    },
}

impl Action {
    /// The action in words (a pause point named by the op the command runs next there).
    pub fn describe(&self, p: &Plan) -> String {
        let stmt = command::def(p.model.command).sql_name();
        // A relation number past the tables is ALTER TABLE SET TABLESPACE's new file of t0.
        let rel = |r: &u8| {
            if *r >= p.model.files {
                "t0 (its new relfilenode)".to_string()
            } else {
                format!("t{r}")
            }
        };
        let at = |l: &Loc| match l {
            Loc::Base => "base/<d>",
            _ => "pg_tblspc/<ts>/PG_<major>_*/<d>",
        };
        match self {
            Action::Command(Hold::NotStarted) => format!("{stmt}: not sent yet"),
            Action::Command(Hold::Before { pc }) => format!(
                "{stmt}: held before {}",
                p.command_ops.get(*pc).map_or("?", |(n, _)| n.as_str())
            ),
            Action::Command(Hold::Done) => format!("{stmt}: runs to its end"),
            Action::BackupStart => "pg_backup_start('racecheck', fast)".into(),
            Action::BackupStartHeld => {
                "pg_backup_start('racecheck', fast), held before it reads pg_tblspc".into()
            }
            Action::BackupMapRead => {
                "pg_backup_start reads pg_tblspc (tablespace_map), returns".into()
            }
            Action::WalkOpen(l) => format!("walk: list {} (copy its other files)", at(l)),
            Action::WalkCopy(l, r) => format!("walk: copy {}'s files in {}", rel(r), at(l)),
            Action::WalkRest => "walk: the rest of the data directory".into(),
            Action::WalkTablespace => "walk: the tablespace's PG_<major>_* folder".into(),
            Action::BackupStop => "copy pg_control; pg_backup_stop()".into(),
            Action::WalkLinks => "walk: pg_tblspc (the link, if it is there)".into(),
            Action::Connect { refused: false } => "backend: connect to d".into(),
            Action::Connect { refused: true } => {
                "backend: connect to d (refused, as in the model)".into()
            }
            Action::Vacuum(r) => format!("backend: VACUUM {}", rel(r)),
            Action::Update(r, b) => format!("backend: UPDATE {} (a row of block {b})", rel(r)),
            Action::Flush => "backend: CHECKPOINT (writes the dirty page)".into(),
            Action::Disconnect => "backend: disconnect".into(),
            Action::Replay { upto, write } => format!(
                "standby: replay through the model's WAL record {}{}",
                upto.saturating_sub(1),
                if *write {
                    "; CHECKPOINT (writes the page)"
                } else {
                    ""
                }
            ),
        }
    }
}

/// A realised step: the trace step it comes from, and the real actions it needs.
#[derive(Clone, Debug)]
pub struct Planned {
    /// Index of the trace step.
    pub step: usize,
    /// `proc: op` of the step.
    pub what: String,
    /// Real actions (none: the step happens inside another action).
    pub actions: Vec<Action>,
    /// Why the real server does this step elsewhere than the model, if it does.
    pub note: Option<String>,
    /// How many WAL records the model has after the step (the standby's replay targets are
    /// the primary's WAL positions where the model's records end).
    pub wal: usize,
}

/// What the model says the restore of the trace's backup gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Predicted {
    /// `PANIC: WAL contains references to invalid pages`, with this many WARNINGs in the model
    /// (one per model page; a real VACUUM touches every page of the table).
    InvalidPages(usize),
    /// The startup process dies otherwise (FATAL or another PANIC).
    StartupFails(String),
    /// The restore comes up but `D`'s data differs or is unreadable.
    SilentLoss(String),
    /// The restore comes up with `D` marked invalid (`datconnlimit = -2`).
    DatabaseInvalid,
    /// The restore comes up with `D` as on the primary.
    Ok,
}

/// How a restore ends, as both the model's prediction and the real server's outcome are
/// classified (their comparison is the verdict of `racecheck reproduce`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// `PANIC: WAL contains references to invalid pages`.
    InvalidPages,
    /// The startup process dies otherwise.
    StartupFailure,
    /// The restore comes up, `D` is lost or differs.
    SilentLoss,
    /// The restore comes up with `D` marked invalid.
    DatabaseInvalid,
    /// The restore comes up with `D` as on the primary.
    Ok,
}

impl Class {
    /// As printed (and in `--json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::InvalidPages => "invalid-pages PANIC",
            Class::StartupFailure => "startup failure",
            Class::SilentLoss => "silent loss",
            Class::DatabaseInvalid => "database left invalid",
            Class::Ok => "OK",
        }
    }
}

impl Predicted {
    /// The class, for the comparison with the real outcome.
    pub fn class(&self) -> Class {
        match self {
            Predicted::InvalidPages(_) => Class::InvalidPages,
            Predicted::StartupFails(_) => Class::StartupFailure,
            Predicted::SilentLoss(_) => Class::SilentLoss,
            Predicted::DatabaseInvalid => Class::DatabaseInvalid,
            Predicted::Ok => Class::Ok,
        }
    }
}

/// The whole plan of a trace.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The trace's model.
    pub model: Model,
    /// How many WAL records the model's primary has before the schedule (what the standby has
    /// replayed when it starts).
    pub wal_at_start: usize,
    /// The steps.
    pub steps: Vec<Planned>,
    /// The model's prediction for the trace's end state.
    pub predicted: Predicted,
    /// The always-properties the model finds violated at the end of the schedule.
    pub violated: Vec<String>,
    /// The command's ops: each one's name and, where the real server can be held before it,
    /// its breakpoints (a pause point is "before" one of them).
    pub command_ops: Vec<(String, Option<&'static [&'static str]>)>,
}

/// Why a trace cannot be run on a real server (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unrealisable(pub String);

/// The knob sections of `m` that no released server has (`[movedb]`, `[backup]`, ...), each
/// with the reason (a fix, an ablation, a strategy before its version): empty for a model a
/// stock server can run.
pub fn changed_sections(m: &Model) -> Vec<String> {
    use crate::scenario::model::BackupKnobs;
    let mut differs: Vec<String> = command::all()
        .iter()
        .filter_map(|d| d.stock(m).err().map(|why| format!("[{}]: {why}", d.name())))
        .collect();
    // Either source and format are a released server's; the method and the pg_database lock
    // are not.
    // Either format: pg_basebackup -Fp, or -Ft and the low-level API (tablespace_map).
    let stock = BackupKnobs {
        source: m.backup.source,
        format: m.backup.format,
        ..BackupKnobs::default()
    };
    if m.backup != stock {
        differs.push("[backup]: a fix or a what-if of the backup".into());
    }
    differs
}

/// Check that the trace's model is what a stock PostgreSQL server of a version this machine
/// can run (14 to 18) does (a fix or an ablation cannot run on an unpatched server).
fn check_stock(m: &Model) -> Result<(), Unrealisable> {
    let bad = |what: String| Err(Unrealisable(what));
    if m.pg < PgVersion::V14 {
        return bad(format!(
            "the trace models PostgreSQL {}; real servers run 14 to 18 (rebuild the trace with --pg 15)",
            m.pg.as_str()
        ));
    }
    let differs = changed_sections(m);
    if !differs.is_empty() {
        return bad(format!(
            "the trace's model differs from the released server ({}): a stock server cannot run it",
            differs.join("; ")
        ));
    }
    Ok(())
}

/// Plan a trace.
pub fn plan(t: &Trace) -> Result<Plan, Unrealisable> {
    check_stock(&t.model)?;
    // The trace replayed (it must still be what the model does), keeping the world before
    // each step.
    let mut before: Vec<(World, ProcId)> = Vec::with_capacity(t.steps.len());
    let r = crate::trace::replay_with(t, "the trace", |_, w, p| before.push((w.clone(), p)))
        .map_err(|e| Unrealisable(e.to_string()))?;
    let sc = r.scenario;
    let wal_at_start = sc.initial().wal.len();
    let mut steps: Vec<Planned> = Vec::new();
    let mut held = Hold::NotStarted;
    let mut backup_start = None;
    let mut start_deferred = false;
    // The walk's first step in each tablespace (its folder copied once).
    let mut reached: Vec<Action> = Vec::new();
    for (i, (s, (wb, p))) in t.steps.iter().zip(&before).enumerate() {
        let (w, p) = (before.get(i + 1).map_or(&r.world, |(w, _)| w), *p);
        let Some(op) = sc.next_op(wb, p).cloned() else {
            return Err(Unrealisable(format!(
                "step {i}: {} has already finished",
                s.proc
            )));
        };
        let copy_before = &wb.backup.copy;
        let before_replayed = wb
            .standby
            .as_ref()
            .map_or(0, |sb| usize::try_from(sb.replayed).unwrap_or(usize::MAX));
        let what = format!("{}: {}", s.proc, s.op);
        let mut note = None;
        // Each op's real counterpart, once: the command's are its pause points; the others
        // are the same whichever process runs them.
        let actions = if p == crate::scenario::pid::COMMAND {
            let (h, n) = place(&sc, w);
            if h < held {
                return Err(Unrealisable(format!(
                    "step {i}: the command would have to go back to an earlier pause point"
                )));
            }
            held = h;
            note = n.map(str::to_string);
            vec![Action::Command(h)]
        } else {
            match op {
                // The primary's backup start: the real pg_backup_start's checkpoint begins at
                // once, so it is sent where the model's first checkpoint after the request
                // begins (its redo pointer is then the model's).
                Op::Checkpointer if start_deferred && w.ckpt.started != wb.ckpt.started => {
                    start_deferred = false;
                    note = Some("pg_backup_start sent where the model's checkpoint after its request begins: the real one begins at once".into());
                    backup_start = Some((steps.len(), w.walked_fs().link, 0));
                    vec![Action::BackupStart]
                }
                Op::Checkpointer => {
                    note = Some("the real checkpointer runs on its own: this checkpoint is the one the request made".into());
                    vec![]
                }
                Op::StartBackup { .. } => {
                    start_deferred = true;
                    note =
                        Some("pg_backup_start is sent when the model's checkpoint begins".into());
                    vec![]
                }
                Op::StartBackupOnStandby => {
                    let replayed = w.standby.as_ref().map_or(0, |s| s.replayed as usize);
                    backup_start = Some((steps.len(), w.walked_fs().link, replayed));
                    vec![Action::BackupStart]
                }
                Op::WaitRestartpoint => {
                    note = Some(
                        "pg_backup_start returns after the standby's restartpoint (or its skip): merged with the start"
                            .into(),
                    );
                    vec![]
                }
                Op::WaitStartCheckpoint => {
                    note = Some(
                        "pg_backup_start returns after its checkpoint: merged with the start"
                            .into(),
                    );
                    vec![]
                }
                Op::SendTablespace { ts } => {
                    let first = if ts == Loc::Base {
                        Action::WalkRest
                    } else {
                        Action::WalkTablespace
                    };
                    let mut a = Vec::new();
                    if !reached.contains(&first) {
                        reached.push(first.clone());
                        a.push(first);
                    }
                    for &loc in &[Loc::User, Loc::Base, Loc::NewDb] {
                        if !copy_before.has_dir(loc) && w.backup.copy.has_dir(loc) {
                            a.push(Action::WalkOpen(loc));
                        }
                        for rel in w.backup.copy.names(loc) {
                            if copy_before.file(loc, rel).is_none() {
                                a.push(Action::WalkCopy(loc, rel));
                            }
                        }
                    }
                    a
                }
                Op::StopBackup | Op::StopBackupOnStandby => vec![Action::BackupStop],
                Op::SendLinks => vec![Action::WalkLinks],
                // pg_tblspc changed since the backup's start: the real pg_backup_start is held
                // after its checkpoint, before it reads pg_tblspc, until this step.
                Op::TablespaceMap
                    if backup_start.is_some_and(|(_, l, _)| l != w.walked_fs().link) =>
                {
                    // A standby replaying XLOG_TBLSPC_DROP in between would wait for its
                    // SMGRRELEASE barrier, which the held pg_backup_start cannot absorb.
                    let from = backup_start.map_or(0, |(_, _, r)| r);
                    let upto = w.standby.as_ref().map_or(0, |s| s.replayed as usize);
                    if sc.model.pg >= PgVersion::V15
                        && w.wal[from.min(upto)..upto]
                            .iter()
                            .any(|r| matches!(r, Rec::TblspcDrop))
                    {
                        return Err(Unrealisable(format!(
                            "step {i}: the standby replays XLOG_TBLSPC_DROP while the model's backup start waits for its restartpoint; on a real standby that replay waits for an SMGRRELEASE barrier, which pg_backup_start held before its read of pg_tblspc cannot absorb, and racecheck cannot hold the restartpoint instead"
                        )));
                    }
                    if let Some(start) = backup_start.and_then(|(k, _, _)| steps.get_mut(k)) {
                        start.actions = vec![Action::BackupStartHeld];
                    }
                    vec![Action::BackupMapRead]
                }
                Op::TablespaceMap => {
                    note = Some(
                        "pg_backup_stop returns the tablespace_map pg_backup_start built: merged with the stop"
                            .into(),
                    );
                    vec![]
                }
                Op::Connect => vec![Action::Connect {
                    refused: w.procs[usize::from(p)].failed,
                }],
                Op::Visible { rel, .. } => vec![Action::Vacuum(rel)],
                Op::Update { rel, blk } => vec![Action::Update(rel, blk)],
                Op::Disconnect => vec![Action::Disconnect],
                Op::Lock {
                    obj: crate::world::LockObj::Relation,
                    ..
                } => {
                    note = Some(
                        "the backend's statement takes its lock on the table itself: merged with it"
                            .into(),
                    );
                    vec![]
                }
                Op::FlushBuffer { .. } => {
                    note = Some(
                        "a buffer eviction cannot be forced: a CHECKPOINT writes the page (and every other dirty buffer)"
                            .into(),
                    );
                    vec![Action::Flush]
                }
                Op::StartupRedo { .. } => {
                    // The standby's startup process: every record below `replayed` is applied; a
                    // record begun (copydir, rmtree of its redo) is replayed whole by the real one.
                    let sb = w.standby.as_ref().ok_or_else(|| {
                        Unrealisable(format!("step {i}: a startup process without a standby"))
                    })?;
                    let mut upto = usize::try_from(sb.replayed).unwrap_or(usize::MAX);
                    if sb.redo.cursor.is_some() {
                        upto += 1;
                        note = Some(
                        "the real redo of a record is not held between its files: the record is replayed whole".into(),
                    );
                    }
                    let done = (upto > before_replayed)
                        .then(|| w.wal.get(upto - 1))
                        .flatten();
                    let write = done.is_some_and(|r| r.changes_page()) && sb.died.is_none();
                    if write {
                        note = Some(
                        "the model's standby writes a replayed page at once; the real one at a restartpoint: CHECKPOINT on the standby".into(),
                    );
                    }
                    vec![Action::Replay { upto, write }]
                }
                other @ (Op::Lock { .. }
                | Op::Unlock { .. }
                | Op::RefuseDuringBackup { .. }
                | Op::RequestCheckpoint { .. }
                | Op::WaitCheckpoint
                | Op::DropDatabaseBuffers
                | Op::TargetCheck { .. }
                | Op::Copydir { .. }
                | Op::LogCreateFileCopy { .. }
                | Op::LogCreateWalLog { .. }
                | Op::CopyRelationsLogged { .. }
                | Op::MarkDatabaseInvalid
                | Op::DeleteCatalogRow
                | Op::UpdateCatalog { .. }
                | Op::ErrorBeforeCommit { .. }
                | Op::Commit { .. }
                | Op::Rmtree { .. }
                | Op::LogDrop { .. }
                | Op::FlushRelationBuffers { .. }
                | Op::CreateStorage { .. }
                | Op::LogNewPages { .. }
                | Op::WritePage { .. }
                | Op::UpdateClass { .. }
                | Op::DeleteClassRow
                | Op::DeleteTablespaceRow
                | Op::TablespaceEmpty { .. }
                | Op::SmgrReleaseBarrier
                | Op::RmdirDatabaseDirs
                | Op::RmdirVersionDir
                | Op::RemoveTablespaceLink
                | Op::LogTblspcDrop
                | Op::Crash { .. }) => {
                    return Err(Unrealisable(format!(
                        "step {i}: {}'s {} has no real counterpart",
                        s.proc,
                        other.name()
                    )));
                }
            }
        };
        steps.push(Planned {
            step: i,
            what,
            actions,
            note,
            wal: w.wal.len(),
        });
    }
    let w = &r.world;
    if !sc.terminal(w) {
        return Err(Unrealisable(
            "the schedule ends before every process has finished".into(),
        ));
    }
    let verdicts = property::evaluate(&sc, w);
    let violated: Vec<String> = verdicts
        .violations
        .iter()
        .map(|v| v.property.name().to_string())
        .collect();
    let restored = restore::restore(w, &sc.sem, false);
    let predicted = match restored.outcome {
        redo::RestoreOutcome::NoBackup { reason } => {
            return Err(Unrealisable(format!("the model's backup fails: {reason}")));
        }
        redo::RestoreOutcome::InvalidPages { warnings, .. } => {
            Predicted::InvalidPages(warnings.len())
        }
        redo::RestoreOutcome::Fatal { message, .. }
        | redo::RestoreOutcome::TablespaceDirectory { message, .. } => {
            Predicted::StartupFails(message)
        }
        redo::RestoreOutcome::NeverConsistent => {
            Predicted::StartupFails("replay never reaches a consistent state".into())
        }
        redo::RestoreOutcome::Restored { catalog, .. } => {
            let fidelity = verdicts
                .violations
                .iter()
                .find(|v| v.property == crate::scenario::props::Prop::RestoreFidelity);
            if catalog.invalid && !catalog.dropped {
                Predicted::DatabaseInvalid
            } else if let Some(v) = fidelity {
                Predicted::SilentLoss(v.message.clone())
            } else {
                Predicted::Ok
            }
        }
    };
    Ok(Plan {
        command_ops: sc.procs[usize::from(crate::scenario::pid::COMMAND)]
            .program
            .iter()
            .map(|op| (op.name(), breakpoint(op, t.model.pg)))
            .collect(),
        model: t.model.clone(),
        wal_at_start,
        steps,
        predicted,
        violated,
    })
}

/// The actions of a plan in order, with the command's moves that are already where it is
/// dropped.
pub fn actions(p: &Plan) -> Vec<(usize, Action)> {
    let mut out = Vec::new();
    let mut held = Hold::NotStarted;
    for s in &p.steps {
        for a in &s.actions {
            if let Action::Command(h) = a {
                if *h == held {
                    continue;
                }
                held = *h;
            }
            out.push((s.step, a.clone()));
        }
    }
    if held != Hold::Done {
        out.push((p.steps.len(), Action::Command(Hold::Done)));
    }
    out
}

/// The backend actions of a model, to size the real tables' pages.
pub fn pages(m: &Model) -> u8 {
    let max_blk = m
        .backend
        .actions
        .iter()
        .map(|a| match *a {
            BackendAction::Visible { blk, .. }
            | BackendAction::Update { blk, .. }
            | BackendAction::Flush { blk, .. } => blk,
        })
        .max()
        .unwrap_or(0);
    m.pages.max(max_blk + 1)
}
