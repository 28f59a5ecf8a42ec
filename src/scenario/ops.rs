//! The atomic operations of the processes: one file operation, one WAL record, one lock
//! acquisition or release per step (docs/simplifications.md). Each names the PostgreSQL function it
//! stands for. Multi-step ops (copydir, rmtree, a tablespace walk) keep a cursor in the World and
//! take one file per step.

use super::Scenario;
use super::model::BackupMethod;
use crate::world::{
    BackupError, Fs, Hold, Loc, LockMode, LockObj, Page, ProcId, Rec, Scope, WalkStage, World,
    ckpt_flags,
};
use std::fmt::Write as _;

/// One operation of a process program.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// The checkpointer's loop, one step at a time: `CreateCheckPoint` begins (redo pointer :=
    /// insert position, `RedoRecPtr` published, dirty buffers marked), writes one buffer per
    /// step (`BufferSync`), ends (`XLOG_CHECKPOINT_ONLINE`, pg_control, `ckpt_done++`).
    /// Enabled while a request is pending or a checkpoint runs (checkpointer.c, xlog.c).
    Checkpointer,
    /// `LockRelationOid` / `LockSharedObject[ForSession]`: wait until grantable, then hold.
    Lock {
        /// Object.
        obj: LockObj,
        /// Mode.
        mode: LockMode,
        /// Scope.
        scope: Scope,
    },
    /// `UnlockSharedObjectForSession` / `UnlockRelationOid`.
    Unlock {
        /// Object.
        obj: LockObj,
        /// Scope.
        scope: Scope,
    },
    /// Fix (1): movedb raises ERROR if a (exclusive) base backup is in progress (the 2015 patch's
    /// check in `movedb`; not in any release).
    RefuseDuringBackup {
        /// Only exclusive backups are refused (streamed ones are held off by the lock).
        exclusive_only: bool,
    },
    /// `RequestCheckpoint(flags)`: OR the flags into `ckpt_flags`, remember `ckpt_started`.
    RequestCheckpoint {
        /// Requested flags (`ckpt_flags`).
        flags: u8,
    },
    /// The `CHECKPOINT_WAIT` part of `RequestCheckpoint`: blocked until a checkpoint that began
    /// after the request has completed.
    WaitCheckpoint,
    /// `DropDatabaseBuffers(D)`: discard every buffer of `D` (movedb step 10).
    DropDatabaseBuffers,
    /// movedb's target check: ERROR if `dst` exists and is non-empty, `rmdir` if empty (step 11).
    TargetCheck {
        /// Target.
        dst: Loc,
    },
    /// `copydir(src, dst, false)`: `mkdir(dst)`, `AllocateDir(src)`, then `copy_file` one file per
    /// step (copydir.c; docs/postgresql.md, "movedb").
    Copydir {
        /// Source.
        src: Loc,
        /// Target.
        dst: Loc,
    },
    /// `XLogInsert(RM_DBASE_ID, XLOG_DBASE_CREATE[_FILE_COPY])`, no data (movedb step 12b).
    LogCreateFileCopy {
        /// Source.
        src: Loc,
        /// Target.
        dst: Loc,
    },
    /// `CreateDirAndVersionFile(dst)` + `XLOG_DBASE_CREATE_WAL_LOG`: createdb's WAL_LOG strategy
    /// (15+, docs/postgresql.md, "createdb"), and fix (2) for movedb.
    LogCreateWalLog {
        /// Source (recorded for the ghost state).
        src: Loc,
        /// Target.
        dst: Loc,
    },
    /// `CreateAndCopyRelationData` (createdb WAL_LOG; fix (2) for movedb): per file
    /// `RelationCreateStorage` (`XLOG_SMGR_CREATE`, file pre-extended with
    /// zeros), then per page `RelationCopyStorageUsingBuffer` + `log_newpage_buffer` (one
    /// `XLOG_FPI` per page, into a dirty buffer). One file creation or page per step.
    CopyRelationsLogged {
        /// Source.
        src: Loc,
        /// Target.
        dst: Loc,
    },
    /// dropdb's `heap_inplace_update` of `D`'s row: `datconnlimit = DATCONNLIMIT_INVALID_DB`,
    /// then `XLogFlush` (15.4+; the WAL is durable at insert in the model).
    MarkDatabaseInvalid,
    /// dropdb's `CatalogTupleDelete` of `D`'s `pg_database` row (visible at commit).
    DeleteCatalogRow,
    /// `heap_update` of `pg_database.dattablespace` (movedb step 12c).
    UpdateCatalog {
        /// New tablespace.
        dst: Loc,
    },
    /// An ERROR inside movedb's `PG_ENSURE_ERROR_CLEANUP` block after the create record (e.g.
    /// "checkpoint request failed"): `movedb_failure_callback` runs `rmtree(dst)` and writes no
    /// WAL; `AbortTransaction` writes the abort record and releases the locks (docs/postgresql.md, "movedb").
    ErrorBeforeCommit {
        /// Target removed by the callback.
        dst: Loc,
    },
    /// `CommitTransactionCommand`: commit record, release the transaction-scope locks (movedb
    /// step 13). `force_sync`: the command called `ForceSyncCommit()` (movedb, createdb and
    /// dropdb all do), recorded in the commit record.
    Commit {
        /// `ForceSyncCommit()` was called.
        force_sync: bool,
    },
    /// `rmtree(src_dbpath, true)`: read every name first, unlink one file per step, then `rmdir`
    /// (movedb step 15; not WAL-logged).
    Rmtree {
        /// The old location.
        src: Loc,
    },
    /// `XLogInsert(RM_DBASE_ID, XLOG_DBASE_DROP)` for the old location (movedb step 16).
    LogDrop {
        /// The old location.
        src: Loc,
    },
    /// `do_pg_start_backup`: `runningBackups++`, forcePageWrites, then
    /// `RequestCheckpoint(FORCE|WAIT|IMMEDIATE)` (xlog.c; docs/postgresql.md, "The base backup").
    StartBackup {
        /// Requested flags.
        flags: u8,
    },
    /// The WAIT of the start checkpoint, then the start LSN := `ControlFile->checkPointCopy.redo`.
    WaitStartCheckpoint,
    /// `sendTablespace` / `sendDir` over `D`'s directory in `ts`: list, `lstat`, `AllocateDir`,
    /// `sendFile` one file per step; ENOENT on `lstat`/open is skipped, a directory that vanishes
    /// between `lstat` and `AllocateDir` is an ERROR (basebackup.c; docs/postgresql.md, "The base backup").
    SendTablespace {
        /// Tablespace sent.
        ts: Loc,
    },
    /// `do_pg_stop_backup`: `XLOG_BACKUP_END(start)`, `runningBackups--` (docs/postgresql.md, "The base backup").
    StopBackup,
    /// `do_pg_backup_start` on a standby (docs/postgresql.md, "The base backup"): `runningBackups++` in the
    /// standby's shared memory (invisible to the primary; no XLOG switch, and forcePageWrites has
    /// no effect there); `RequestCheckpoint(FORCE|WAIT)` becomes a restartpoint:
    /// `CreateRestartPoint` begins by reading `XLogCtl->lastCheckPoint`, the last checkpoint
    /// record the startup process has replayed, which may lag behind the primary's latest.
    StartBackupOnStandby,
    /// `CreateRestartPoint` completes (xlog.c): `checkPointCopy.redo` := the adopted checkpoint's
    /// redo if newer ("already performed" otherwise), `minRecoveryPoint` raised to that
    /// checkpoint record's end; the backup's start LSN := `checkPointCopy.redo`.
    WaitRestartpoint,
    /// The end of a backup taken from a standby: `sendFile("global/pg_control")`, sent last, then
    /// `do_pg_backup_stop`, which can write no WAL: the stop point is the standby's
    /// `minRecoveryPoint`, which the restored copy's recovery uses as its backup end point
    /// (docs/postgresql.md, "The base backup"). One step.
    StopBackupOnStandby,
    /// The standby's startup process (`PerformWalRecovery` loop, xlogrecovery.c): replays the
    /// primary's WAL one record per step into the standby's own files; `dbase_redo`'s
    /// create-by-copy (`rmtree(dst)`, `copydir`) and drop (`rmtree`) take one file per step, as
    /// movedb's do; a replayed checkpoint becomes `lastCheckPoint` (`RecoveryRestartPoint`).
    /// With `lock` (fix (1)'s standby part, the 2015 patch: "lock pg_database ... while
    /// replaying database records") it holds RowExclusiveLock on the standby's `pg_database`
    /// around each database record. A daemon, enabled while WAL is unreplayed and the standby
    /// backup has not stopped (after the stop nothing reads the standby's state).
    StartupRedo {
        /// Take the standby's pg_database lock around database records.
        lock: bool,
    },
    /// `InitPostgres`: `LockSharedObject(D, RowExclusiveLock)` for the session, read
    /// `dattablespace`.
    Connect,
    /// VACUUM: `visibilitymap_set` → `log_heap_visible` (heapam.c; docs/postgresql.md, "VACUUM's HEAP2_VISIBLE").
    Visible {
        /// Relation.
        rel: u8,
        /// Block.
        blk: u8,
    },
    /// `heap_update` of one page: `XLogInsert` with a full-page image iff the page LSN <=
    /// `RedoRecPtr` (first change since the redo pointer), else without.
    Update {
        /// Relation.
        rel: u8,
        /// Block.
        blk: u8,
    },
    /// `FlushBuffer` of one dirty page by the backend itself (buffer eviction in
    /// `BufferAlloc`; the bgwriter does the same): `XLogFlush` up to the page LSN, then
    /// `smgrwrite`. The page reaches its file outside any checkpoint.
    FlushBuffer {
        /// Relation.
        rel: u8,
        /// Block.
        blk: u8,
    },
    /// Backend exit: release the session lock.
    Disconnect,
    /// The primary crashes (power loss or `pg_ctl stop -m immediate`): every process on it
    /// stops where it is, shared buffers are lost, a streamed backup from it fails. A daemon
    /// step, enabled while movedb runs; crash recovery (`StartupXLOG` from the last checkpoint's
    /// redo over the files on disk) is then judged.
    Crash {
        /// Length of movedb's program (the crash window ends when movedb has finished).
        movedb_ops: u8,
    },
}

macro_rules! ev {
    ($e:expr, $($arg:tt)*) => {
        if let Some(s) = $e.as_deref_mut() {
            let _ = write!(s, $($arg)*);
        }
    };
}

/// Shared resources of the World, as bits of a footprint: what a step reads or writes besides
/// its own process state. Two steps with disjoint footprints commute; the loom backend's `fine`
/// synchronisation takes one loom mutex per resource so that DPOR can skip such reorderings.
pub mod res {
    /// The WAL (appending, or reading the insert position).
    pub const WAL: u16 = 1;
    /// The heavyweight lock table.
    pub const LOCKS: u16 = 2;
    /// Checkpointer shared state (`ckpt_flags`, counters, `RedoRecPtr`, pg_control).
    pub const CKPT: u16 = 4;
    /// Shared buffers.
    pub const BUFFERS: u16 = 8;
    /// `pg_database.dattablespace`.
    pub const CATALOG: u16 = 16;
    /// Directories in `base/` (and ghost facts about them).
    pub const FS_BASE: u16 = 32;
    /// Directories in `pg_tblspc/16400/`.
    pub const FS_USER: u16 = 64;
    /// The base backup's shared state (`runningBackups`, the copy).
    pub const BACKUP: u16 = 128;
    /// Process completion (read to decide that the run is over).
    pub const DONE: u16 = 256;
    /// The standby's state (files, replay position, pg_control).
    pub const STANDBY: u16 = 512;
    /// Number of resources.
    pub const COUNT: usize = 10;

    /// The resource of a database directory (one per tablespace).
    pub fn fs(loc: crate::world::Loc) -> u16 {
        if loc.in_user_tablespace() {
            FS_USER
        } else {
            FS_BASE
        }
    }
}

impl Op {
    /// The shared resources this op's next step may read or write (including its enabledness
    /// check), computed from the process's own state only. `last` says it is the program's last
    /// op (finishing touches [`res::DONE`]).
    pub fn footprint(&self, w: &World, p: ProcId, last: bool) -> u16 {
        use res::*;
        let own = &w.procs[usize::from(p)];
        let may_fail = LOCKS | DONE;
        let fp = match *self {
            Op::Checkpointer => match &w.ckpt.running {
                None => WAL | CKPT | BUFFERS | DONE,
                Some((_, to_flush)) => match to_flush.first() {
                    Some(key) => BUFFERS | fs(key.0),
                    None => WAL | CKPT,
                },
            },
            Op::Lock { .. } | Op::Unlock { .. } => LOCKS,
            Op::RefuseDuringBackup { .. } => BACKUP | may_fail,
            Op::RequestCheckpoint { .. } | Op::WaitCheckpoint => CKPT,
            Op::DropDatabaseBuffers => BUFFERS,
            Op::TargetCheck { dst } => fs(dst) | may_fail,
            Op::Copydir { .. } => FS_BASE | FS_USER | may_fail,
            Op::LogCreateFileCopy { .. } | Op::LogDrop { .. } => WAL,
            Op::LogCreateWalLog { .. } => WAL | FS_BASE | FS_USER,
            Op::CopyRelationsLogged { .. } => WAL | BUFFERS | FS_BASE | FS_USER,
            Op::UpdateCatalog { .. } | Op::MarkDatabaseInvalid | Op::DeleteCatalogRow => {
                WAL | CATALOG
            }
            Op::Commit { .. } => WAL | LOCKS | CATALOG,
            Op::ErrorBeforeCommit { .. } => WAL | CATALOG | FS_BASE | FS_USER | may_fail,
            Op::Rmtree { src } => fs(src),
            Op::StartBackup { .. } => BACKUP | CKPT,
            Op::WaitStartCheckpoint => CKPT | CATALOG | BACKUP,
            Op::SendTablespace { ts } => {
                let failing = matches!(w.backup.stage, WalkStage::OpenDb);
                let walked = if w.standby.is_some() { STANDBY } else { fs(ts) };
                walked | BACKUP | if failing { may_fail } else { 0 }
            }
            Op::StopBackup => WAL | BACKUP,
            Op::StartBackupOnStandby | Op::WaitRestartpoint => STANDBY | BACKUP | CATALOG,
            Op::StopBackupOnStandby => STANDBY | BACKUP,
            Op::StartupRedo { .. } => WAL | STANDBY | LOCKS | BACKUP,
            Op::Connect => LOCKS | CATALOG,
            Op::Visible { .. } | Op::Update { .. } => BUFFERS | fs(own.db_ts) | WAL | CKPT,
            Op::FlushBuffer { .. } => BUFFERS | fs(own.db_ts),
            Op::Disconnect => LOCKS,
            Op::Crash { .. } => {
                WAL | LOCKS | CKPT | BUFFERS | CATALOG | FS_BASE | FS_USER | BACKUP | DONE
            }
        };
        if last { fp | DONE } else { fp }
    }

    /// Stable name used in traces.
    pub fn name(&self) -> String {
        match self {
            Op::Checkpointer => "CreateCheckPoint".into(),
            Op::Lock { obj, mode, scope } => format!("Lock({obj}, {mode}, {scope:?})"),
            Op::Unlock { obj, scope } => format!("Unlock({obj}, {scope:?})"),
            Op::RefuseDuringBackup { .. } => "movedb: refuse during backup".into(),
            Op::RequestCheckpoint { flags } => {
                format!("RequestCheckpoint({})", ckpt_flags::describe(*flags))
            }
            Op::WaitCheckpoint => "RequestCheckpoint: wait".into(),
            Op::DropDatabaseBuffers => "DropDatabaseBuffers".into(),
            Op::TargetCheck { .. } => "movedb: target check".into(),
            Op::Copydir { .. } => "copydir".into(),
            Op::LogCreateFileCopy { .. } => "XLogInsert(DBASE_CREATE)".into(),
            Op::LogCreateWalLog { .. } => "CreateDirAndVersionFile".into(),
            Op::CopyRelationsLogged { .. } => "CreateAndCopyRelationData".into(),
            Op::UpdateCatalog { .. } => "heap_update(pg_database)".into(),
            Op::MarkDatabaseInvalid => "heap_inplace_update(pg_database)".into(),
            Op::DeleteCatalogRow => "CatalogTupleDelete(pg_database)".into(),
            Op::ErrorBeforeCommit { .. } => "movedb_failure_callback".into(),
            Op::Commit { .. } => "CommitTransactionCommand".into(),
            Op::Rmtree { .. } => "rmtree".into(),
            Op::LogDrop { .. } => "XLogInsert(DBASE_DROP)".into(),
            Op::StartBackup { .. } => "do_pg_start_backup".into(),
            Op::WaitStartCheckpoint => "do_pg_start_backup: wait".into(),
            Op::SendTablespace { ts } => format!("sendTablespace({ts})"),
            Op::StopBackup => "do_pg_stop_backup".into(),
            Op::StartBackupOnStandby => "do_pg_backup_start (standby)".into(),
            Op::WaitRestartpoint => "CreateRestartPoint".into(),
            Op::StopBackupOnStandby => "do_pg_backup_stop (standby)".into(),
            Op::StartupRedo { .. } => "StartupXLOG redo".into(),
            Op::Connect => "InitPostgres".into(),
            Op::Visible { .. } => "log_heap_visible".into(),
            Op::Update { .. } => "heap_update".into(),
            Op::FlushBuffer { .. } => "FlushBuffer".into(),
            Op::Disconnect => "proc_exit".into(),
            Op::Crash { .. } => "crash".into(),
        }
    }

    pub(super) fn enabled(&self, w: &World, p: ProcId) -> bool {
        match self {
            Op::Checkpointer => w.ckpt.running.is_some() || w.ckpt.pending_flags != 0,
            Op::Lock { obj, mode, .. } => w.can_lock(p, *obj, *mode),
            Op::Connect => w.can_lock(p, LockObj::Database, LockMode::RowExclusive),
            Op::StartupRedo { lock } => startup_enabled(w, p, *lock),
            Op::Crash { movedb_ops } => {
                let m = &w.procs[usize::from(super::pid::MOVEDB)];
                !w.crashed && m.pc > 0 && !m.failed && m.pc < *movedb_ops
            }
            Op::WaitCheckpoint | Op::WaitStartCheckpoint => w.procs[usize::from(p)]
                .ckpt_wait
                .is_some_and(|s| w.checkpoint_done_since(s)),
            _ => true,
        }
    }

    pub(super) fn blocked_reason(&self, sc: &Scenario, w: &World, p: ProcId) -> String {
        let lock = match self {
            Op::Lock { obj, mode, .. } => Some((*obj, *mode)),
            Op::Connect => Some((LockObj::Database, LockMode::RowExclusive)),
            _ => None,
        };
        if let Some((obj, mode)) = lock
            && let Some(h) = w.locks.blocker(p, obj, mode)
        {
            return format!(
                "waits for {mode} on {obj}, held in {} by {}",
                h.mode,
                sc.procs[usize::from(h.proc)].name
            );
        }
        match self {
            Op::WaitCheckpoint | Op::WaitStartCheckpoint if !self.enabled(w, p) => {
                "waits for a checkpoint that began after its request".into()
            }
            Op::Checkpointer if !self.enabled(w, p) => "idle (no request)".into(),
            Op::StartupRedo { lock } if !self.enabled(w, p) => {
                if *lock
                    && let Some(h) =
                        w.locks
                            .blocker(p, LockObj::StandbyPgDatabase, LockMode::RowExclusive)
                {
                    format!(
                        "waits for RowExclusiveLock on pg_database on the standby, held in {} by {}",
                        h.mode,
                        sc.procs[usize::from(h.proc)].name
                    )
                } else {
                    "idle (no WAL to replay, or the standby backup has stopped)".into()
                }
            }
            _ => "runnable".into(),
        }
    }

    /// Apply one step. `e`, when given, receives the event text.
    pub(super) fn apply(
        &self,
        sc: &Scenario,
        w: &mut World,
        p: ProcId,
        mut e: Option<&mut String>,
    ) {
        let pi = usize::from(p);
        let mut advance = true;
        match *self {
            Op::Checkpointer => {
                advance = false;
                checkpointer_step(w, &mut e);
            }
            Op::Lock { obj, mode, scope } => {
                w.locks.grant(Hold {
                    proc: p,
                    obj,
                    mode,
                    scope,
                });
                ev!(
                    e,
                    "{} {mode} on {obj} ({})",
                    lock_fn(obj, scope),
                    scope_word(scope)
                );
            }
            Op::Unlock { obj, scope } => {
                w.locks.release(p, obj, scope);
                ev!(e, "release lock on {obj} ({})", scope_word(scope));
            }
            Op::RefuseDuringBackup { exclusive_only } => {
                let exclusive = sc.model.backup.method == BackupMethod::Exclusive;
                if w.backup.in_progress && (!exclusive_only || exclusive) {
                    ev!(
                        e,
                        "ERROR: a base backup is in progress; {} refused",
                        sc.model.command.sql()
                    );
                    fail(w, p);
                    return;
                }
                ev!(
                    e,
                    "no {}base backup in progress: proceed",
                    if exclusive_only { "exclusive " } else { "" }
                );
            }
            Op::RequestCheckpoint { flags } => {
                let s = w.request_checkpoint(flags);
                w.procs[pi].ckpt_wait = Some(s);
                ev!(
                    e,
                    "RequestCheckpoint({}) (ckpt_started = {s})",
                    ckpt_flags::describe(flags)
                );
            }
            Op::WaitCheckpoint => {
                w.procs[pi].ckpt_wait = None;
                ev!(
                    e,
                    "checkpoint done (ckpt_done = {}); RequestCheckpoint returns",
                    w.ckpt.done
                );
            }
            Op::DropDatabaseBuffers => {
                let n = w.dirty.len();
                w.drop_database_buffers();
                ev!(
                    e,
                    "DropDatabaseBuffers({}): {n} dirty buffer(s) discarded",
                    crate::world::fs::DB_OID
                );
            }
            Op::TargetCheck { dst } => match w.fs.dir(dst) {
                Some(d) if !d.files.is_empty() => {
                    ev!(
                        e,
                        "ERROR: some relations of database are already in tablespace {dst}"
                    );
                    fail(w, p);
                    return;
                }
                Some(_) => {
                    w.fs.rmtree(dst);
                    ev!(e, "rmdir(\"{}\") (empty target)", dst.db_path());
                }
                None => ev!(e, "\"{}\" does not exist: ok", dst.db_path()),
            },
            Op::Copydir { src, dst } => {
                advance = copydir_step(w, p, src, dst, &mut e);
            }
            Op::LogCreateFileCopy { src, dst } => {
                let lsn = w.log(Rec::CreateFileCopy { dst, src });
                w.ghost.create_lsn = Some(lsn);
                ev!(e, "WAL {lsn}: {}", w.wal[lsn as usize]);
            }
            Op::LogCreateWalLog { src, dst } => {
                w.fs.mkdir(dst);
                w.ghost.move_src = Some(src);
                let lsn = w.log(Rec::CreateWalLog { ts: dst });
                w.ghost.create_lsn = Some(lsn);
                ev!(
                    e,
                    "mkdir(\"{}\") + PG_VERSION; WAL {lsn}: {}",
                    dst.db_path(),
                    w.wal[lsn as usize]
                );
            }
            Op::CopyRelationsLogged { src, dst } => {
                advance = copy_logged_step(w, p, src, dst, &mut e);
            }
            Op::MarkDatabaseInvalid => {
                let lsn = w.log(Rec::MarkInvalid);
                ev!(e, "WAL {lsn}: {}; XLogFlush", w.wal[lsn as usize]);
            }
            Op::DeleteCatalogRow => {
                let lsn = w.log(Rec::CatalogDelete);
                ev!(e, "WAL {lsn}: {}", w.wal[lsn as usize]);
            }
            Op::UpdateCatalog { dst } => {
                let lsn = w.log(Rec::CatalogUpdate { ts: dst });
                ev!(e, "WAL {lsn}: {}", w.wal[lsn as usize]);
            }
            Op::ErrorBeforeCommit { dst } => {
                w.fs.rmtree(dst);
                let lsn = w.log(Rec::Abort);
                ev!(
                    e,
                    "ERROR: checkpoint request failed; movedb_failure_callback: rmtree(\"{}\") (no WAL); WAL {lsn}: ABORT",
                    dst.db_path()
                );
                fail(w, p);
                return;
            }
            Op::Commit { force_sync } => {
                let lsn = w.log(Rec::Commit { force_sync });
                w.locks.release_xact(p);
                let kept = w.locks.holds().iter().any(|h| h.proc == p);
                ev!(
                    e,
                    "WAL {lsn}: {}; transaction-scope locks released{}",
                    w.wal[lsn as usize],
                    if kept { " (session lock kept)" } else { "" }
                );
            }
            Op::Rmtree { src } => {
                advance = rmtree_step(w, p, src, &mut e);
            }
            Op::LogDrop { src } => {
                let lsn = w.log(Rec::Drop { ts: src });
                w.ghost.drop_lsn = Some(lsn);
                ev!(e, "WAL {lsn}: {}", w.wal[lsn as usize]);
            }
            Op::StartBackup { flags } => {
                w.backup.in_progress = true;
                let s = w.request_checkpoint(flags);
                w.procs[pi].ckpt_wait = Some(s);
                ev!(
                    e,
                    "runningBackups++, forcePageWrites; RequestCheckpoint({})",
                    ckpt_flags::describe(flags)
                );
            }
            Op::WaitStartCheckpoint => {
                w.procs[pi].ckpt_wait = None;
                let start = w.ckpt.control_redo;
                w.backup.start_lsn = Some(start);
                w.backup.catalog_at_start = w.catalog;
                ev!(
                    e,
                    "start WAL location {start} (redo of the checkpoint in pg_control)"
                );
            }
            Op::SendTablespace { ts } => {
                advance = send_step(w, p, ts, &mut e);
            }
            Op::StopBackup => {
                let start = w.backup.start_lsn.unwrap_or(0);
                let lsn = w.log(Rec::BackupEnd { start });
                w.backup.end_lsn = Some(lsn);
                w.ghost.stopped_during_removal = w.removal_begun();
                w.backup.in_progress = false;
                ev!(
                    e,
                    "WAL {lsn}: {}; stop WAL location {lsn}",
                    w.wal[lsn as usize]
                );
            }
            Op::StartBackupOnStandby => {
                let Some(sb) = w.standby.as_mut() else {
                    return;
                };
                sb.restartpoint = Some((sb.last_ckpt_redo, sb.last_ckpt_end));
                ev!(
                    e,
                    "runningBackups++ (on the standby); RequestCheckpoint(FORCE|WAIT) -> CreateRestartPoint begins: lastCheckPoint has redo {} (replayed up to {})",
                    sb.last_ckpt_redo,
                    sb.replayed
                );
            }
            Op::WaitRestartpoint => {
                let Some(sb) = w.standby.as_mut() else {
                    return;
                };
                let (redo, end) = sb.restartpoint.take().unwrap_or((sb.restart_redo, 0));
                let newer = redo > sb.restart_redo;
                if newer {
                    sb.restart_redo = redo;
                }
                sb.min_recovery_point = sb.min_recovery_point.max(end);
                let start = sb.restart_redo;
                w.backup.start_lsn = Some(start);
                w.backup.catalog_at_start = sb.catalog;
                ev!(
                    e,
                    "restartpoint {}; start WAL location {start} (checkPointCopy.redo), BACKUP FROM: standby",
                    if newer {
                        format!("complete at redo {redo}")
                    } else {
                        "skipped: already performed".to_string()
                    }
                );
            }
            Op::StopBackupOnStandby => {
                let Some(sb) = w.standby.as_ref() else {
                    return;
                };
                let end = sb.min_recovery_point;
                w.backup.end_lsn = Some(end);
                w.ghost.stopped_during_removal = w.removal_begun();
                ev!(
                    e,
                    "sendFile(\"global/pg_control\"): minRecoveryPoint {end}; do_pg_backup_stop: no WAL on a standby, stop point {end}"
                );
            }
            Op::StartupRedo { lock } => {
                advance = false;
                startup_step(sc, w, p, lock, &mut e);
            }
            Op::Connect => {
                if !w.catalog.connectable() {
                    ev!(
                        e,
                        "FATAL: database {} {}",
                        crate::world::fs::DB_OID,
                        if w.catalog.dropped {
                            "does not exist"
                        } else {
                            "is invalid: cannot connect"
                        }
                    );
                    fail(w, p);
                    return;
                }
                w.locks.grant(Hold {
                    proc: p,
                    obj: LockObj::Database,
                    mode: LockMode::RowExclusive,
                    scope: Scope::Session,
                });
                w.procs[pi].db_ts = w.catalog.ts;
                ev!(
                    e,
                    "connect to database {}: RowExclusiveLock (session); dattablespace = {}",
                    crate::world::fs::DB_OID,
                    w.catalog.ts
                );
            }
            Op::Visible { rel, blk } => {
                let ts = w.procs[pi].db_ts;
                let key = (ts, rel, blk);
                let page = w.read_page(key).unwrap_or_default();
                let image = (sc.sem.visible_images_heap() && page.lsn <= w.ckpt.redo_rec_ptr)
                    .then_some(page.ver);
                let lsn = w.log(Rec::Visible {
                    ts,
                    rel,
                    blk,
                    heap_image: image,
                });
                // PageSetAllVisible + MarkBufferDirty; the page LSN moves only when the record
                // carries its image (hint bits WAL-logged).
                w.dirty.insert(
                    key,
                    Page {
                        ver: page.ver,
                        all_visible: true,
                        lsn: if image.is_some() { lsn + 1 } else { page.lsn },
                    },
                );
                ev!(e, "VACUUM: WAL {lsn}: {}", w.wal[lsn as usize]);
            }
            Op::Update { rel, blk } => {
                let ts = w.procs[pi].db_ts;
                let key = (ts, rel, blk);
                let page = w.read_page(key).unwrap_or_default();
                let ver = page.ver.saturating_add(1);
                let rec = if page.lsn <= w.ckpt.redo_rec_ptr {
                    Rec::Fpi {
                        ts,
                        rel,
                        blk,
                        ver,
                        all_visible: false,
                    }
                } else {
                    Rec::HeapUpdate { ts, rel, blk, ver }
                };
                let lsn = w.log(rec);
                // heap_update clears PD_ALL_VISIBLE.
                w.dirty.insert(
                    key,
                    Page {
                        ver,
                        all_visible: false,
                        lsn: lsn + 1,
                    },
                );
                ev!(e, "UPDATE: WAL {lsn}: {}", w.wal[lsn as usize]);
            }
            Op::Crash { .. } => {
                advance = false;
                crash(sc, w, p, &mut e);
            }
            Op::FlushBuffer { rel, blk } => {
                let key = (w.procs[pi].db_ts, rel, blk);
                if w.dirty.contains_key(&key) {
                    w.flush_buffer(key);
                    ev!(
                        e,
                        "buffer eviction: FlushBuffer writes {} blk {blk}",
                        key.0.rel_path(rel)
                    );
                } else {
                    ev!(
                        e,
                        "buffer eviction: {} blk {blk} is not dirty, nothing to write",
                        key.0.rel_path(rel)
                    );
                }
            }
            Op::Disconnect => {
                w.locks.release_all(p);
                ev!(e, "disconnect: session locks released");
            }
        }
        if advance {
            let st = &mut w.procs[pi];
            st.pc += 1;
            st.cursor = None;
        }
    }
}

fn lock_fn(obj: LockObj, scope: Scope) -> &'static str {
    match (obj, scope) {
        (LockObj::PgDatabase | LockObj::StandbyPgDatabase, _) => "table_open/LockRelationOid:",
        (LockObj::Database, Scope::Xact) => "LockSharedObject:",
        (LockObj::Database, Scope::Session) => "LockSharedObjectForSession:",
    }
}

fn scope_word(s: Scope) -> &'static str {
    match s {
        Scope::Xact => "transaction",
        Scope::Session => "session",
    }
}

/// The process raised ERROR: abort releases its locks; it ends.
fn fail(w: &mut World, p: ProcId) {
    w.locks.release_all(p);
    let st = &mut w.procs[usize::from(p)];
    st.failed = true;
    st.cursor = None;
    st.ckpt_wait = None;
}

fn checkpointer_step(w: &mut World, e: &mut Option<&mut String>) {
    match w.ckpt.running.take() {
        None => {
            let redo = w.insert_lsn();
            let flags = w.ckpt.pending_flags;
            w.ckpt.pending_flags = 0;
            w.ckpt.started = w.ckpt.started.wrapping_add(1);
            w.ckpt.redo_rec_ptr = redo;
            let to_flush: Vec<_> = w.dirty.keys().copied().collect();
            ev!(
                e,
                "CreateCheckPoint({}) begins: redo = {redo} (RedoRecPtr), {} dirty buffer(s) to write",
                ckpt_flags::describe(flags),
                to_flush.len()
            );
            w.ckpt.running = Some((redo, to_flush));
        }
        Some((redo, mut to_flush)) if !to_flush.is_empty() => {
            let key = to_flush.remove(0);
            let written = w.dirty.contains_key(&key);
            w.flush_buffer(key);
            if written {
                ev!(
                    e,
                    "BufferSync: write {} blk {}",
                    key.0.rel_path(key.1),
                    key.2
                );
            } else {
                ev!(
                    e,
                    "BufferSync: {} blk {} no longer dirty",
                    key.0.rel_path(key.1),
                    key.2
                );
            }
            w.ckpt.running = Some((redo, to_flush));
        }
        Some((redo, _)) => {
            let lsn = w.log(Rec::Checkpoint { redo });
            w.ckpt.control_redo = redo;
            w.ckpt.done = w.ckpt.done.wrapping_add(1);
            ev!(
                e,
                "WAL {lsn}: CHECKPOINT_ONLINE redo {redo}; pg_control updated (ckpt_done = {})",
                w.ckpt.done
            );
        }
    }
}

/// copydir.c `copy_file`: copy one relation file from `src`'s directory to `dst`'s; false if the
/// source file is gone.
fn copy_file(fs: &mut Fs, src: Loc, dst: Loc, rel: u8) -> bool {
    let Some(f) = fs.file(src, rel).cloned() else {
        return false;
    };
    if let Some(d) = fs.dir_mut(dst) {
        d.files.insert(rel, f);
    }
    true
}

/// One step of copydir; returns whether the op is complete.
fn copydir_step(w: &mut World, p: ProcId, src: Loc, dst: Loc, e: &mut Option<&mut String>) -> bool {
    let pi = usize::from(p);
    match w.procs[pi].cursor.take() {
        None => {
            w.ghost.move_src = Some(src);
            if !w.fs.mkdir(dst) {
                ev!(
                    e,
                    "ERROR: could not create directory \"{}\": File exists",
                    dst.db_path()
                );
                fail(w, p);
                return false;
            }
            let names = w.fs.names(src);
            ev!(
                e,
                "copydir: mkdir(\"{}\"); AllocateDir(\"{}\") lists {} file(s)",
                dst.db_path(),
                src.db_path(),
                names.len()
            );
            if names.is_empty() {
                return true;
            }
            w.procs[pi].cursor = Some((names, 0));
            false
        }
        Some((names, next)) => {
            let rel = names[usize::from(next)];
            if !copy_file(&mut w.fs, src, dst, rel) {
                ev!(e, "ERROR: could not stat file \"{}\"", src.rel_path(rel));
                fail(w, p);
                return false;
            }
            ev!(
                e,
                "copy_file(\"{}\" -> \"{}\")",
                src.rel_path(rel),
                dst.rel_path(rel)
            );
            let next = next + 1;
            if usize::from(next) == names.len() {
                return true;
            }
            w.procs[pi].cursor = Some((names, next));
            false
        }
    }
}

/// One step of the WAL-logged copy; returns whether the op is complete.
fn copy_logged_step(
    w: &mut World,
    p: ProcId,
    src: Loc,
    dst: Loc,
    e: &mut Option<&mut String>,
) -> bool {
    let pi = usize::from(p);
    let (names, k) = w.procs[pi]
        .cursor
        .take()
        .unwrap_or_else(|| (w.fs.names(src), 0));
    if names.is_empty() {
        return true;
    }
    // Step k: file k / (pages + 1); sub-step 0 creates it, sub-step j copies page j - 1.
    let pages = names
        .iter()
        .map(|&r| w.fs.file(src, r).map_or(0, Vec::len))
        .max()
        .unwrap_or(0);
    let per = pages + 1;
    let (fi, sub) = (usize::from(k) / per, usize::from(k) % per);
    let rel = names[fi];
    let npages = w.fs.file(src, rel).map_or(0, Vec::len);
    if sub == 0 {
        if let Some(d) = w.fs.dir_mut(dst) {
            d.files.insert(rel, vec![Page::default(); npages]);
        }
        let lsn = w.log(Rec::SmgrCreate { ts: dst, rel });
        ev!(
            e,
            "RelationCreateStorage: WAL {lsn}: {}; file pre-extended to {npages} zero page(s)",
            w.wal[lsn as usize]
        );
    } else {
        let blk = u8::try_from(sub - 1).unwrap_or(u8::MAX);
        let page = w.read_page((src, rel, blk)).unwrap_or_default();
        let lsn = w.log(Rec::Fpi {
            ts: dst,
            rel,
            blk,
            ver: page.ver,
            all_visible: page.all_visible,
        });
        w.dirty.insert(
            (dst, rel, blk),
            Page {
                lsn: lsn + 1,
                ..page
            },
        );
        ev!(
            e,
            "RelationCopyStorageUsingBuffer: WAL {lsn}: {}",
            w.wal[lsn as usize]
        );
    }
    let k1 = usize::from(k) + 1;
    let done_file = k1 % per == 0 || (k1 % per) > npages;
    let next = if done_file { (fi + 1) * per } else { k1 };
    if next / per >= names.len() {
        return true;
    }
    w.procs[pi].cursor = Some((names, u8::try_from(next).unwrap_or(u8::MAX)));
    false
}

/// One step of rmtree; returns whether the op is complete.
fn rmtree_step(w: &mut World, p: ProcId, src: Loc, e: &mut Option<&mut String>) -> bool {
    let pi = usize::from(p);
    match w.procs[pi].cursor.take() {
        None => {
            w.ghost.rmtree_begun = true;
            w.ghost.move_src = Some(src);
            let names = w.fs.names(src);
            ev!(
                e,
                "rmtree(\"{}\"): read {} name(s)",
                src.db_path(),
                names.len()
            );
            w.procs[pi].cursor = Some((names, 0));
            false
        }
        Some((names, next)) if usize::from(next) < names.len() => {
            let rel = names[usize::from(next)];
            if let Some(d) = w.fs.dir_mut(src) {
                d.files.remove(&rel);
            }
            ev!(e, "unlink(\"{}\")", src.rel_path(rel));
            w.procs[pi].cursor = Some((names, next + 1));
            false
        }
        Some(_) => {
            w.fs.rmtree(src);
            ev!(e, "rmdir(\"{}\")", src.db_path());
            true
        }
    }
}

/// The primary crashes: its processes stop, a backup streamed from it fails.
fn crash(sc: &Scenario, w: &mut World, p: ProcId, e: &mut Option<&mut String>) {
    w.crashed = true;
    let mut stopped = Vec::new();
    for (i, def) in sc.procs.iter().enumerate() {
        let Ok(q) = ProcId::try_from(i) else { continue };
        // The standby's processes keep running.
        if q == p || def.on_standby {
            continue;
        }
        if !sc.finished(w, q) {
            stopped.push(def.name);
        }
        fail(w, q);
    }
    w.procs[usize::from(p)].failed = true;
    let mut lost_backup = "";
    // `in_progress` is the primary's runningBackups: a standby backup never sets it.
    if w.backup.in_progress {
        if w.backup.end_lsn.is_none() && w.backup.failed.is_none() {
            w.backup.failed = Some(BackupError(
                "the primary crashed while the backup ran (walsender terminated)".into(),
            ));
            lost_backup = "; the base backup is lost";
        }
        w.backup.in_progress = false;
    }
    ev!(
        e,
        "the primary crashes (immediate shutdown): {} stop, {} dirty buffer(s) lost{lost_backup}",
        if stopped.is_empty() {
            "no process".to_string()
        } else {
            stopped.join(", ")
        },
        w.dirty.len()
    );
}

/// Whether the standby's startup process can replay now.
fn startup_enabled(w: &World, p: ProcId, lock: bool) -> bool {
    let Some(sb) = &w.standby else {
        return false;
    };
    if sb.died.is_some() || w.backup.end_lsn.is_some() || w.backup.failed.is_some() {
        return false;
    }
    let Some(rec) = w.wal.get(sb.replayed as usize) else {
        return false;
    };
    !(lock && needs_startup_lock(w, p, rec))
        || w.can_lock(p, LockObj::StandbyPgDatabase, LockMode::RowExclusive)
}

/// Whether the startup process must still take the standby's pg_database lock to replay `rec`:
/// a database record it does not hold the lock for yet.
fn needs_startup_lock(w: &World, p: ProcId, rec: &Rec) -> bool {
    matches!(rec, Rec::CreateFileCopy { .. } | Rec::Drop { .. }) && !holds_standby_lock(w, p)
}

/// Whether `p` holds the standby's pg_database lock.
fn holds_standby_lock(w: &World, p: ProcId) -> bool {
    w.locks
        .holds()
        .iter()
        .any(|h| h.proc == p && h.obj == LockObj::StandbyPgDatabase)
}

/// One step of the standby's startup process.
fn startup_step(sc: &Scenario, w: &mut World, p: ProcId, lock: bool, e: &mut Option<&mut String>) {
    let Some(sb) = w.standby.as_ref() else {
        return;
    };
    let lsn = sb.replayed;
    let Some(rec) = w.wal.get(lsn as usize).cloned() else {
        return;
    };
    let holding = holds_standby_lock(w, p);
    if lock && needs_startup_lock(w, p, &rec) {
        w.locks.grant(Hold {
            proc: p,
            obj: LockObj::StandbyPgDatabase,
            mode: LockMode::RowExclusive,
            scope: Scope::Xact,
        });
        ev!(
            e,
            "standby: LockRelationOid: RowExclusiveLock on pg_database on the standby, to replay WAL {lsn}: {rec}"
        );
        return;
    }
    let dropped_src = w.ghost.move_src;
    let Some(sb) = w.standby.as_mut() else {
        return;
    };
    let mut finished = true;
    let mut died = None;
    match rec {
        Rec::CreateFileCopy { dst, src } => match sb.cursor.take() {
            None => {
                let removed = sb.fs.rmtree(dst);
                if !sb.fs.has_dir(src) {
                    // A consistent standby: 15+ recovery_create_dbdir PANICs, 9.x copydir FATALs.
                    died = Some(format!(
                        "standby: could not open directory \"{}\" replaying WAL {lsn}",
                        src.db_path()
                    ));
                } else {
                    sb.fs.mkdir(dst);
                    let names = sb.fs.names(src);
                    ev!(
                        e,
                        "standby: redo {lsn} {rec}: {}FlushDatabaseBuffers; copydir: AllocateDir(\"{}\") lists {} file(s)",
                        if removed {
                            format!("rmtree(\"{}\"); ", dst.db_path())
                        } else {
                            String::new()
                        },
                        src.db_path(),
                        names.len()
                    );
                    if !names.is_empty() {
                        sb.cursor = Some((names, 0));
                        finished = false;
                    }
                }
            }
            Some((names, next)) => {
                let rel = names[usize::from(next)];
                if copy_file(&mut sb.fs, src, dst, rel) {
                    ev!(
                        e,
                        "standby: copy_file(\"{}\" -> \"{}\")",
                        src.rel_path(rel),
                        dst.rel_path(rel)
                    );
                } else {
                    died = Some(format!(
                        "standby: could not stat file \"{}\" replaying WAL {lsn}",
                        src.rel_path(rel)
                    ));
                }
                if usize::from(next) + 1 < names.len() {
                    sb.cursor = Some((names, next + 1));
                    finished = false;
                }
            }
        },
        Rec::Drop { ts } => match sb.cursor.take() {
            None => {
                let names = sb.fs.names(ts);
                ev!(
                    e,
                    "standby: redo {lsn} {rec}: DropDatabaseBuffers, XLogDropDatabase; rmtree(\"{}\"): read {} name(s)",
                    ts.db_path(),
                    names.len()
                );
                // movedb's old directory (known from its copy), or dropdb's directory.
                if dropped_src.is_none_or(|s| s == ts) {
                    w.ghost.standby_rmtree_begun = true;
                    w.ghost.move_src = Some(ts);
                }
                sb.cursor = Some((names, 0));
                finished = false;
            }
            Some((names, next)) if usize::from(next) < names.len() => {
                let rel = names[usize::from(next)];
                if let Some(d) = sb.fs.dir_mut(ts) {
                    d.files.remove(&rel);
                }
                ev!(e, "standby: unlink(\"{}\")", ts.rel_path(rel));
                sb.cursor = Some((names, next + 1));
                finished = false;
            }
            Some(_) => {
                sb.fs.rmtree(ts);
                ev!(e, "standby: rmdir(\"{}\")", ts.db_path());
            }
        },
        ref other => {
            let mut flushed = false;
            if let Err(m) = crate::world::redo::standby_apply(sb, &sc.sem, lsn, other) {
                died = Some(format!("standby: {m}"));
            } else {
                match *other {
                    Rec::Checkpoint { redo } => {
                        sb.last_ckpt_redo = redo;
                        sb.last_ckpt_end = lsn + 1;
                    }
                    Rec::Fpi { .. } | Rec::HeapUpdate { .. } | Rec::Visible { .. } => {
                        // The page is written at once: XLogFlush -> UpdateMinRecoveryPoint.
                        sb.min_recovery_point = sb.min_recovery_point.max(lsn + 1);
                    }
                    Rec::Commit { force_sync: true } => {
                        // xact_redo_commit: XLogFlush(lsn) for a forced sync commit; in
                        // recovery that is UpdateMinRecoveryPoint to the replay position.
                        sb.min_recovery_point = sb.min_recovery_point.max(lsn + 1);
                        flushed = true;
                    }
                    _ => {}
                }
                ev!(e, "standby: redo {lsn} {other}");
                if flushed {
                    ev!(e, "; XLogFlush: minRecoveryPoint {}", sb.min_recovery_point);
                }
            }
        }
    }
    if let Some(m) = died {
        ev!(e, "{m}; the standby shuts down");
        sb.died = Some(m.clone());
        sb.cursor = None;
        if w.backup.end_lsn.is_none() && w.backup.failed.is_none() {
            w.backup.failed = Some(BackupError(m));
        }
        w.locks.release_all(p);
        return;
    }
    if finished {
        sb.replayed += 1;
        if holding {
            w.locks.release_all(p);
            ev!(e, "; release pg_database on the standby");
        }
    }
}

/// One step of a tablespace walk; returns whether the tablespace is sent.
fn send_step(w: &mut World, p: ProcId, ts: Loc, e: &mut Option<&mut String>) -> bool {
    let during_rmtree = w.removal_begun() && w.ghost.move_src == Some(ts);
    let stage = std::mem::take(&mut w.backup.stage);
    let (next_stage, done) = match stage {
        WalkStage::OpenTablespace => {
            if w.walked_fs().has_dir(ts) {
                ev!(
                    e,
                    "sendDir({ts}): readdir lists {}",
                    crate::world::fs::DB_OID
                );
                (WalkStage::Lstat, false)
            } else {
                ev!(
                    e,
                    "sendDir({ts}): no directory of database {}",
                    crate::world::fs::DB_OID
                );
                (WalkStage::OpenTablespace, true)
            }
        }
        WalkStage::Lstat => {
            if during_rmtree {
                w.ghost.walked_src_during_rmtree = true;
            }
            if w.walked_fs().has_dir(ts) {
                ev!(e, "lstat(\"{}\"): directory", ts.db_path());
                (WalkStage::OpenDb, false)
            } else {
                ev!(
                    e,
                    "lstat(\"{}\"): ENOENT, skipped (went away while scanning)",
                    ts.db_path()
                );
                (WalkStage::OpenTablespace, true)
            }
        }
        WalkStage::OpenDb => {
            if during_rmtree {
                w.ghost.walked_src_during_rmtree = true;
            }
            if !w.walked_fs().has_dir(ts) {
                let msg = format!(
                    "could not open directory \"{}\": No such file or directory",
                    ts.db_path()
                );
                ev!(e, "ERROR: {msg}; base backup aborted");
                w.backup.failed = Some(BackupError(msg));
                w.backup.in_progress = false;
                fail(w, p);
                return false;
            }
            w.backup.copy.mkdir(ts);
            let names = w.walked_fs().names(ts);
            ev!(
                e,
                "AllocateDir(\"{}\"): {} file(s) listed; tar header for the directory",
                ts.db_path(),
                names.len()
            );
            if names.is_empty() {
                (WalkStage::OpenTablespace, true)
            } else {
                (WalkStage::Copy { names, next: 0 }, false)
            }
        }
        WalkStage::Copy { names, next } => {
            if during_rmtree {
                w.ghost.walked_src_during_rmtree = true;
            }
            let rel = names[usize::from(next)];
            match w.walked_fs().file(ts, rel).cloned() {
                Some(f) => {
                    let n = f.len();
                    if let Some(d) = w.backup.copy.dir_mut(ts) {
                        d.files.insert(rel, f);
                    }
                    ev!(e, "sendFile(\"{}\"): {n} page(s) sent", ts.rel_path(rel));
                }
                None => {
                    ev!(e, "sendFile(\"{}\"): ENOENT, skipped", ts.rel_path(rel));
                }
            }
            let next = next + 1;
            if usize::from(next) == names.len() {
                (WalkStage::OpenTablespace, true)
            } else {
                (WalkStage::Copy { names, next }, false)
            }
        }
        WalkStage::Done => (WalkStage::OpenTablespace, true),
    };
    w.backup.stage = next_stage;
    done
}
