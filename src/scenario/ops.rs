//! The operations a process program is made of: one file operation, one WAL record, one lock
//! acquisition or release per step. Each names the PostgreSQL function it stands for; this file
//! holds the list, their names in traces and their footprints (what a step may touch, for loom's
//! fine mode). When an op may run and what it does are in `apply.rs`; the mechanics it calls
//! (copydir, rmtree, the backup's walk, the checkpointer, a standby's redo) live in `world/`.
//! Multi-step ops keep a cursor in the World and take one file per step.

use crate::world::relcopy::WriteAfter;
use crate::world::{Loc, LockMode, LockObj, ProcId, Scope, WalkStage, World, ckpt_flags};

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
    /// dropdb all do), recorded in the commit record. `drop`: the relation file the transaction
    /// dropped, listed in the record; after it `smgrDoPendingDeletes` drops the file's buffers
    /// and leaves a tombstone that the next checkpoint unlinks.
    Commit {
        /// `ForceSyncCommit()` was called.
        force_sync: bool,
        /// The relation file dropped at commit.
        drop: Option<(Loc, u8)>,
    },
    /// `FlushRelationBuffers` of the file `(ts, rel)` (`heapam_relation_copy_data`).
    FlushRelationBuffers {
        /// Tablespace.
        ts: Loc,
        /// Relation number.
        rel: u8,
    },
    /// `RelationCreateStorage`: the new file (and `D`'s directory in `ts`), then
    /// `XLOG_SMGR_CREATE`.
    CreateStorage {
        /// Tablespace.
        ts: Loc,
        /// Relation number.
        rel: u8,
    },
    /// `RelationCopyStorage`'s record of a batch of page images of the target file
    /// (`log_newpage`, one page, 14-16; `log_newpages` in `smgr_bulk_flush`, up to 32, 17+),
    /// read from the source file; with `delay`, `DELAY_CHKPT_START` set first (a candidate fix).
    LogNewPages {
        /// Source file.
        src: (Loc, u8),
        /// Target file.
        dst: (Loc, u8),
        /// First block of the batch.
        first: u8,
        /// Pages in the batch.
        n: u8,
        /// Set `DELAY_CHKPT_START` before the record.
        delay: bool,
    },
    /// `RelationCopyStorage`'s (or `smgr_bulk_flush`'s) `smgrextend` of one block of the target
    /// with the source's page, outside shared buffers.
    WritePage {
        /// Source file.
        src: (Loc, u8),
        /// Target file.
        dst: (Loc, u8),
        /// Block.
        blk: u8,
        /// Its place relative to its batch's record.
        after: WriteAfter,
    },
    /// ALTER TABLE's `CatalogTupleUpdate` of relation 0's `pg_class` row.
    UpdateClass {
        /// New tablespace.
        ts: Loc,
        /// New relfilenode.
        rel: u8,
    },
    /// DROP TABLE's `CatalogTupleDelete` of relation 0's `pg_class` row (`heap_drop_with_catalog`,
    /// which also calls `RelationDropStorage`).
    DeleteClassRow,
    /// DROP TABLESPACE's `CatalogTupleDelete` of `T`'s `pg_tablespace` row.
    DeleteTablespaceRow,
    /// `destroy_tablespace_directories`' `directory_is_empty` test. First try (`retry` false):
    /// if every directory is empty go on to the removal, skipping the checkpoint, the barrier
    /// and the retry (the next `skip` ops); else fall through to them. The retry: ERROR
    /// "tablespace is not empty" if still not empty.
    TablespaceEmpty {
        /// The second try.
        retry: bool,
        /// Ops to skip when the first try finds every directory empty.
        skip: u8,
    },
    /// `WaitForProcSignalBarrier(EmitProcSignalBarrier(PROCSIGNAL_BARRIER_SMGRRELEASE))` (15+,
    /// DROP TABLESPACE's retry): waits until every backend has absorbed the barrier at a
    /// `CHECK_FOR_INTERRUPTS`; a tar-format backup's start between its checkpoint and its read
    /// of `pg_tblspc` checks for none.
    SmgrReleaseBarrier,
    /// `rmdir` of each database directory under `T`'s version directory.
    RmdirDatabaseDirs,
    /// `rmdir` of `T`'s version directory.
    RmdirVersionDir,
    /// `unlink("pg_tblspc/16400")`.
    RemoveTablespaceLink,
    /// `XLogInsert(RM_TBLSPC_ID, XLOG_TBLSPC_DROP)`.
    LogTblspcDrop,
    /// The walk of the data directory reaches `pg_tblspc` (plain format: the link's entry is
    /// sent as it is now; `sendDir` with `sendtblspclinks`).
    SendLinks,
    /// `do_pg_backup_start` builds `tablespace_map` from `pg_tblspc` (tar format, low-level API):
    /// the restore's links are the ones there now.
    TablespaceMap,
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
        /// `XLOG_TBLSPC_DROP`'s redo waits for a ProcSignalBarrier (15+).
        barrier: bool,
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
        command_ops: u8,
    },
}

/// Shared resources of the World, as bits of a footprint: what a step reads or writes besides
/// its own process state. Two steps with disjoint footprints commute; the loom backend's `fine`
/// synchronisation takes one loom mutex per resource ([`res::coarse`]) so that DPOR can skip
/// such reorderings.
///
/// The directories of a tablespace are a group of bits: one for the directory itself (whether
/// it exists, and its listing: the names of its files) and one per relation file (whether it
/// exists, and its pages). A step that reads or writes one file names that file's bit; one
/// that creates or removes a file or the directory also names the directory's bit. The
/// partial-order reduction uses the file bits (a walk's `sendFile` of one file and rmtree's
/// `unlink` of another commute); loom's fine mode and the happens-before graph of `racecheck
/// explain` use the group as one resource.
pub mod res {
    /// A footprint: a set of the resources below.
    pub type Footprint = u32;
    /// The WAL (appending, or reading the insert position).
    pub const WAL: Footprint = 1;
    /// The heavyweight lock table.
    pub const LOCKS: Footprint = 2;
    /// Checkpointer shared state (`ckpt_flags`, counters, `RedoRecPtr`, pg_control).
    pub const CKPT: Footprint = 4;
    /// Shared buffers.
    pub const BUFFERS: Footprint = 8;
    /// `pg_database.dattablespace`.
    pub const CATALOG: Footprint = 16;
    /// The base backup's shared state (`runningBackups`, the copy).
    pub const BACKUP: Footprint = 128;
    /// Process completion (read to decide that the run is over).
    pub const DONE: Footprint = 256;
    /// The standby's state (files, replay position, pg_control).
    pub const STANDBY: Footprint = 512;
    /// The ghost facts that the primary's removal of the database's directory has begun (and
    /// which directory): written by the first step of an `rmtree` (and of a `copydir`), read by
    /// the walk and the stop of a backup from the primary. A standby's own record of its
    /// replayed removal is part of [`STANDBY`].
    pub const REMOVAL: Footprint = 1024;
    /// `DELAY_CHKPT_START` flags (`delayChkptFlags`): set and cleared by a process, read by the
    /// checkpointer, which waits while one it snapshot at its start is set.
    pub const DELAY: Footprint = 2048;
    /// First bit of the group of `base/` (the directory, then one bit per relation file).
    const BASE_SHIFT: u32 = 16;
    /// First bit of the group of `pg_tblspc/16400/` (both database directories there).
    const USER_SHIFT: u32 = 24;
    /// Relation files with a bit of their own; a higher relation number counts as the whole
    /// group (the model has at most `MAX_FILES` = 6).
    const FILE_BITS: u8 = 7;
    /// Directories in `base/` (and ghost facts about them): the whole group.
    pub const FS_BASE: Footprint = 0xff << BASE_SHIFT;
    /// Directories in `pg_tblspc/16400/`: the whole group.
    pub const FS_USER: Footprint = 0xff << USER_SHIFT;
    /// Every resource with its name, a tablespace's group as one (the order of loom's mutexes
    /// and of `racecheck explain`'s happens-before edges): the one list of them.
    pub const ALL: [(Footprint, &str); 12] = [
        (WAL, "WAL"),
        (LOCKS, "locks"),
        (CKPT, "checkpointer"),
        (BUFFERS, "buffers"),
        (CATALOG, "pg_database"),
        (FS_BASE, "base/"),
        (FS_USER, "pg_tblspc/"),
        (BACKUP, "backup"),
        (DONE, "done"),
        (STANDBY, "standby"),
        (REMOVAL, "removal begun"),
        (DELAY, "DELAY_CHKPT_START"),
    ];
    /// Number of resources as loom's fine mode counts them ([`coarse`]: bits 0 to 11, the
    /// groups as bits 5 and 6).
    pub const COUNT: usize = ALL.len();

    fn shift(loc: crate::world::Loc) -> u32 {
        if loc.in_user_tablespace() {
            USER_SHIFT
        } else {
            BASE_SHIFT
        }
    }

    /// The directories of one tablespace, whole (every bit of its group).
    pub fn fs(loc: crate::world::Loc) -> Footprint {
        0xff << shift(loc)
    }

    /// A database directory itself in `loc`'s tablespace: its existence and its listing.
    pub fn dir(loc: crate::world::Loc) -> Footprint {
        1 << shift(loc)
    }

    /// Relation file `rel` of a database directory in `loc`'s tablespace.
    pub fn file(loc: crate::world::Loc, rel: u8) -> Footprint {
        if rel < FILE_BITS {
            1 << (shift(loc) + 1 + u32::from(rel))
        } else {
            fs(loc)
        }
    }

    /// Files `rels` of a database directory in `loc`'s tablespace.
    pub fn files(loc: crate::world::Loc, rels: impl IntoIterator<Item = u8>) -> Footprint {
        rels.into_iter().fold(0, |a, r| a | file(loc, r))
    }

    /// The footprint with each tablespace's group as one bit (5: `base/`, 6: `pg_tblspc/`),
    /// for loom's one mutex per resource.
    pub fn coarse(fp: Footprint) -> u16 {
        let low = (fp & 0xfff & !(32 | 64)) as u16;
        let base = if fp & FS_BASE != 0 { 32 } else { 0 };
        let user = if fp & FS_USER != 0 { 64 } else { 0 };
        low | base | user
    }
}

impl Op {
    /// The shared resources this op's next step may read or write (including its enabledness
    /// check), computed from the process's own state only. `last` says it is the program's last
    /// op (finishing touches [`res::DONE`]). Always a subset of [`Op::footprint_bound`].
    pub fn footprint(&self, w: &World, p: ProcId, last: bool) -> res::Footprint {
        use res::*;
        let fp = match *self {
            Op::Checkpointer => match &w.ckpt.running {
                // The start snapshots the processes delaying it.
                None => WAL | CKPT | BUFFERS | DONE | DELAY,
                // `flush_buffer` may create the directory and the file (`dir`); whether a
                // process still delays the checkpoint is `DELAY`.
                Some((_, to_flush)) => match to_flush.first() {
                    Some(&(ts, rel, _)) => DELAY | BUFFERS | dir(ts) | file(ts, rel),
                    // The end unlinks the tombstones due (`SyncPostCheckpoint`).
                    None => w
                        .ckpt
                        .unlinks
                        .iter()
                        .filter(|u| u.2 != w.ckpt.started)
                        .fold(WAL | CKPT | DELAY, |a, &(ts, rel, _)| {
                            a | dir(ts) | file(ts, rel)
                        }),
                },
            },
            Op::SendTablespace { ts } => {
                let failing = matches!(w.backup.stage, WalkStage::OpenDb);
                // From a standby: its files and its own record of a removal (`STANDBY`).
                let walked = if w.standby.is_some() {
                    STANDBY
                } else {
                    REMOVAL
                        | match &w.backup.stage {
                            // `sendFile` of one listed file (absent: skipped).
                            WalkStage::Copy { names, next } => file(ts, names[usize::from(*next)]),
                            // The directory's existence, its listing.
                            _ => dir(ts),
                        }
                };
                walked | BACKUP | if failing { LOCKS | DONE } else { 0 }
            }
            // The first step (reading the names) records that the removal began; then one
            // `unlink` per step, then the `rmdir` of what is left.
            Op::Rmtree { src } => match &w.procs[usize::from(p)].cursor {
                None => dir(src) | REMOVAL,
                Some((names, next)) => match names.get(usize::from(*next)) {
                    Some(&rel) => dir(src) | file(src, rel),
                    None => dir(src) | files(src, w.fs.names(src)),
                },
            },
            // The page is read from its buffer or its file, and dirtied in its buffer.
            Op::Visible { rel, .. } | Op::Update { rel, .. }
                if w.procs[usize::from(p)].rel_file.is_none() =>
            {
                BUFFERS | file(w.procs[usize::from(p)].db_ts, rel) | WAL | CKPT
            }
            Op::Visible { rel, .. } | Op::Update { rel, .. }
                if w.procs[usize::from(p)].rel_file.is_some() =>
            {
                let (ts, f) = w.procs[usize::from(p)].file_of(rel);
                BUFFERS | file(ts, f) | WAL | CKPT
            }
            Op::FlushBuffer { rel, .. } => {
                let (ts, f) = w.procs[usize::from(p)].file_of(rel);
                BUFFERS | dir(ts) | file(ts, f)
            }
            Op::Lock { .. }
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
            | Op::LogDrop { .. }
            | Op::StartBackup { .. }
            | Op::WaitStartCheckpoint
            | Op::StopBackup
            | Op::StartBackupOnStandby
            | Op::WaitRestartpoint
            | Op::StopBackupOnStandby
            | Op::StartupRedo { .. }
            | Op::Connect
            | Op::Disconnect
            | Op::Visible { .. }
            | Op::Update { .. }
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
            | Op::SendLinks
            | Op::TablespaceMap
            | Op::Crash { .. } => return self.footprint_bound(last),
        };
        if last { fp | DONE } else { fp }
    }

    /// What this op may touch in any state: its [`Op::footprint`] with what depends on the
    /// World (which buffer the checkpointer writes, which file system the walk reads, which
    /// tablespace a backend's database is in) taken at its widest. The partial-order reduction
    /// bounds what a process can still do with these (`scenario/reduction.rs`).
    pub fn footprint_bound(&self, last: bool) -> res::Footprint {
        use res::*;
        let may_fail = LOCKS | DONE;
        let fp = match *self {
            Op::Checkpointer => WAL | CKPT | BUFFERS | DONE | FS_BASE | FS_USER | DELAY,
            // Locking relation 0 reads its `pg_class` row once granted.
            Op::Lock {
                obj: LockObj::Relation,
                ..
            } => LOCKS | CATALOG,
            Op::Lock { .. } | Op::Unlock { .. } => LOCKS,
            Op::RefuseDuringBackup { .. } => BACKUP | may_fail,
            Op::RequestCheckpoint { .. } | Op::WaitCheckpoint => CKPT,
            Op::DropDatabaseBuffers => BUFFERS,
            Op::TargetCheck { dst } => fs(dst) | may_fail,
            // The first step records the directory being moved (`removal_src`).
            Op::Copydir { .. } => FS_BASE | FS_USER | REMOVAL | may_fail,
            Op::LogCreateFileCopy { .. } | Op::LogDrop { .. } => WAL,
            Op::LogCreateWalLog { .. } => WAL | FS_BASE | FS_USER,
            Op::CopyRelationsLogged { .. } => WAL | BUFFERS | FS_BASE | FS_USER,
            Op::UpdateCatalog { .. } | Op::MarkDatabaseInvalid | Op::DeleteCatalogRow => {
                WAL | CATALOG
            }
            Op::Commit { drop: None, .. } => WAL | LOCKS | CATALOG,
            // Drops the file's buffers, truncates it, registers its unlink.
            Op::Commit {
                drop: Some((ts, _)),
                ..
            } => WAL | LOCKS | CATALOG | BUFFERS | CKPT | fs(ts),
            Op::FlushRelationBuffers { ts, .. } => BUFFERS | fs(ts),
            Op::CreateStorage { ts, .. } => WAL | fs(ts),
            // The ghost fact of an image not yet written rides on `CKPT`, which the backup's
            // start reads.
            Op::LogNewPages {
                src, dst, delay, ..
            } => WAL | CKPT | fs(src.0) | fs(dst.0) | if delay { DELAY } else { 0 },
            // Reads the WAL for the image's LSN.
            Op::WritePage {
                src, dst, after, ..
            } => WAL | CKPT | fs(src.0) | fs(dst.0) | if after.delay { DELAY } else { 0 },
            Op::UpdateClass { .. } | Op::DeleteClassRow | Op::DeleteTablespaceRow => WAL | CATALOG,
            Op::TablespaceEmpty { .. } => FS_USER | may_fail,
            Op::SmgrReleaseBarrier => BACKUP,
            Op::RmdirDatabaseDirs | Op::RmdirVersionDir => FS_USER,
            // Records that the link is gone (a ghost fact the backup's stop reads).
            Op::RemoveTablespaceLink => FS_USER | REMOVAL,
            Op::LogTblspcDrop => WAL,
            Op::SendLinks | Op::TablespaceMap => FS_USER | STANDBY | BACKUP,
            // The start's wait also marks a tar-format start's read of pg_tblspc pending.
            Op::ErrorBeforeCommit { .. } => WAL | CATALOG | FS_BASE | FS_USER | may_fail,
            Op::Rmtree { src } => fs(src) | REMOVAL,
            Op::StartBackup { .. } => BACKUP | CKPT,
            Op::WaitStartCheckpoint => CKPT | CATALOG | BACKUP,
            Op::SendTablespace { ts } => fs(ts) | STANDBY | BACKUP | REMOVAL | may_fail,
            // Also reads the ghost fact that the removal of the walked directory began (and
            // nothing of the directories themselves).
            Op::StopBackup => WAL | BACKUP | REMOVAL,
            Op::StartBackupOnStandby | Op::WaitRestartpoint => STANDBY | BACKUP | CATALOG,
            Op::StopBackupOnStandby => STANDBY | BACKUP,
            Op::StartupRedo { .. } => WAL | STANDBY | LOCKS | BACKUP,
            // The FATAL of a connection to a dropped (or invalid) database ends the process.
            Op::Connect => CATALOG | may_fail,
            Op::Visible { .. } | Op::Update { .. } => BUFFERS | FS_BASE | FS_USER | WAL | CKPT,
            Op::FlushBuffer { .. } => BUFFERS | FS_BASE | FS_USER,
            Op::Disconnect => LOCKS,
            Op::Crash { .. } => {
                WAL | LOCKS | CKPT | BUFFERS | CATALOG | FS_BASE | FS_USER | BACKUP | REMOVAL | DONE
            }
        };
        if last { fp | DONE } else { fp }
    }

    /// Whether this op's directories are only its process's own database's (`db_ts`, set by
    /// [`Op::Connect`]): [`Op::footprint`] names `fs(db_ts)` for it.
    pub fn touches_own_database(&self) -> bool {
        matches!(
            self,
            Op::Visible { .. } | Op::Update { .. } | Op::FlushBuffer { .. }
        )
    }

    /// Stable name used in traces.
    pub fn name(&self) -> String {
        match self {
            Op::Checkpointer => "CreateCheckPoint".into(),
            Op::Lock { obj, mode, scope } => format!("Lock({obj}, {mode}, {scope:?})"),
            Op::Unlock { obj, scope } => format!("Unlock({obj}, {scope:?})"),
            Op::RefuseDuringBackup { .. } => "refuse during backup".into(),
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
            Op::FlushRelationBuffers { .. } => "FlushRelationBuffers".into(),
            Op::CreateStorage { .. } => "RelationCreateStorage".into(),
            Op::LogNewPages { n: 1, .. } => "log_newpage".into(),
            Op::LogNewPages { .. } => "log_newpages".into(),
            Op::WritePage { .. } => "smgrextend".into(),
            Op::UpdateClass { .. } => "heap_update(pg_class)".into(),
            Op::DeleteClassRow => "CatalogTupleDelete(pg_class)".into(),
            Op::DeleteTablespaceRow => "CatalogTupleDelete(pg_tablespace)".into(),
            Op::TablespaceEmpty { retry: false, .. } => "destroy_tablespace_directories".into(),
            Op::TablespaceEmpty { retry: true, .. } => {
                "destroy_tablespace_directories: retry".into()
            }
            Op::SmgrReleaseBarrier => "WaitForProcSignalBarrier(SMGRRELEASE)".into(),
            Op::RmdirDatabaseDirs => "rmdir(database directories)".into(),
            Op::RmdirVersionDir => "rmdir(version directory)".into(),
            Op::RemoveTablespaceLink => "unlink(pg_tblspc link)".into(),
            Op::LogTblspcDrop => "XLogInsert(TBLSPC_DROP)".into(),
            Op::SendLinks => "sendDir(pg_tblspc)".into(),
            Op::TablespaceMap => "do_pg_backup_start: tablespace_map".into(),
        }
    }
}
