//! What an op does when its process steps: whether it may run now ([`Op::enabled`]), why it
//! waits ([`Op::blocked_reason`]), and its effect on the World ([`Op::apply`]), which orders calls
//! to the mechanics in `world/` and writes the step's event in PostgreSQL's terms.

use super::Scenario;
use super::model::BackupMethod;
use super::ops::Op;
use crate::world::{
    BackupError, Hold, LockMode, LockObj, ProcId, Rec, Scope, World, ckpt_flags, ev, startup,
    storage, walk,
};

impl Op {
    pub(super) fn enabled(&self, w: &World, p: ProcId) -> bool {
        match self {
            Op::Checkpointer => w.checkpointer_can_step(),
            // A standby's backup is not a backend of the primary.
            Op::SmgrReleaseBarrier => !(w.backup.map_pending && w.standby.is_none()),
            Op::Lock { obj, mode, .. } => w.can_lock(p, *obj, *mode),
            Op::Connect => w.can_lock(p, LockObj::Database, LockMode::RowExclusive),
            Op::StartupRedo { lock, barrier } => startup::startup_enabled(w, p, *lock, *barrier),
            Op::Crash { command_ops } => {
                let m = &w.procs[usize::from(super::pid::COMMAND)];
                !w.crashed && m.pc > 0 && !m.failed && m.pc < *command_ops
            }
            Op::WaitCheckpoint | Op::WaitStartCheckpoint => w.procs[usize::from(p)]
                .ckpt_wait
                .is_some_and(|s| w.checkpoint_done_since(s)),
            Op::Unlock { .. }
            | Op::RefuseDuringBackup { .. }
            | Op::RequestCheckpoint { .. }
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
            | Op::StartBackup { .. }
            | Op::SendTablespace { .. }
            | Op::StopBackup
            | Op::StartBackupOnStandby
            | Op::WaitRestartpoint
            | Op::StopBackupOnStandby
            | Op::Visible { .. }
            | Op::Update { .. }
            | Op::FlushBuffer { .. }
            | Op::FlushRelationBuffers { .. }
            | Op::CreateStorage { .. }
            | Op::LogNewPages { .. }
            | Op::WritePage { .. }
            | Op::UpdateClass { .. }
            | Op::DeleteClassRow
            | Op::DeleteTablespaceRow
            | Op::TablespaceEmpty { .. }
            | Op::RmdirDatabaseDirs
            | Op::RmdirVersionDir
            | Op::RemoveTablespaceLink
            | Op::LogTblspcDrop
            | Op::SendLinks
            | Op::TablespaceMap
            | Op::Disconnect => true,
        }
    }

    pub(super) fn blocked_reason(&self, sc: &Scenario, w: &World, p: ProcId) -> String {
        let lock = match self {
            Op::Lock { obj, mode, .. } => Some((*obj, *mode)),
            Op::Connect => Some((LockObj::Database, LockMode::RowExclusive)),
            Op::Checkpointer
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
            | Op::StartBackup { .. }
            | Op::WaitStartCheckpoint
            | Op::SendTablespace { .. }
            | Op::StopBackup
            | Op::StartBackupOnStandby
            | Op::WaitRestartpoint
            | Op::StopBackupOnStandby
            | Op::StartupRedo { .. }
            | Op::Visible { .. }
            | Op::Update { .. }
            | Op::FlushBuffer { .. }
            | Op::Disconnect
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
            | Op::Crash { .. } => None,
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
            Op::Checkpointer if !self.enabled(w, p) && w.ckpt.running.is_some() => {
                "waits for a process that delays the checkpoint (DELAY_CHKPT_START)".into()
            }
            Op::Checkpointer if !self.enabled(w, p) => "idle (no request)".into(),
            Op::SmgrReleaseBarrier if !self.enabled(w, p) => {
                "waits for every backend to absorb the SMGRRELEASE barrier (pg_backup_start checks for no interrupt before it reads pg_tblspc)".into()
            }
            Op::StartupRedo { lock, .. } if !self.enabled(w, p) => {
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
            Op::Checkpointer
            | Op::Lock { .. }
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
            | Op::StartBackup { .. }
            | Op::WaitStartCheckpoint
            | Op::SendTablespace { .. }
            | Op::StopBackup
            | Op::StartBackupOnStandby
            | Op::WaitRestartpoint
            | Op::StopBackupOnStandby
            | Op::StartupRedo { .. }
            | Op::Connect
            | Op::Visible { .. }
            | Op::Update { .. }
            | Op::FlushBuffer { .. }
            | Op::Disconnect
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
            | Op::Crash { .. } => "runnable".into(),
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
                w.checkpointer_step(&mut e);
            }
            Op::Lock { obj, mode, scope } => {
                w.locks.grant(Hold {
                    proc: p,
                    obj,
                    mode,
                    scope,
                });
                if obj == LockObj::Relation {
                    let f = w.catalog.locate(w.procs[pi].db_ts, 0);
                    w.procs[pi].rel_file = Some(f);
                    ev!(e, "pg_class: relation 0 is \"{}\"; ", f.0.rel_path(f.1));
                }
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
                        super::command::def(sc.model.command).sql_name()
                    );
                    w.fail(p);
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
                    w.fail(p);
                    return;
                }
                Some(_) => {
                    w.fs.rmtree(dst);
                    ev!(e, "rmdir(\"{}\") (empty target)", dst.db_path());
                }
                None => ev!(e, "\"{}\" does not exist: ok", dst.db_path()),
            },
            Op::Copydir { src, dst } => {
                advance = storage::copydir_step(w, p, src, dst, &mut e);
            }
            Op::LogCreateFileCopy { src, dst } => {
                let lsn = w.log(Rec::CreateFileCopy { dst, src });
                w.ghost.update(|g| g.create_lsn = Some(lsn));
                ev!(e, "WAL {lsn}: {}", w.wal[lsn as usize]);
            }
            Op::LogCreateWalLog { src, dst } => {
                w.fs.mkdir(dst);
                w.ghost.update(|g| g.removal_src = Some(src));
                let lsn = w.log(Rec::CreateWalLog { ts: dst });
                w.ghost.update(|g| g.create_lsn = Some(lsn));
                ev!(
                    e,
                    "mkdir(\"{}\") + PG_VERSION; WAL {lsn}: {}",
                    dst.db_path(),
                    w.wal[lsn as usize]
                );
            }
            Op::CopyRelationsLogged { src, dst } => {
                advance = storage::copy_logged_step(w, p, src, dst, &mut e);
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
                w.fail(p);
                return;
            }
            Op::Commit { force_sync, drop } => {
                let lsn = w.log(Rec::Commit { force_sync, drop });
                if let Some((ts, rel)) = drop {
                    w.drop_relation_storage(ts, rel);
                    ev!(
                        e,
                        "smgrDoPendingDeletes: buffers dropped, \"{}\" truncated (tombstone until the next checkpoint); ",
                        ts.rel_path(rel)
                    );
                }
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
                advance = storage::rmtree_step(w, p, src, &mut e);
            }
            Op::LogDrop { src } => {
                let lsn = w.log(Rec::Drop { ts: src });
                w.ghost.update(|g| g.drop_lsn = Some(lsn));
                ev!(e, "WAL {lsn}: {}", w.wal[lsn as usize]);
            }
            Op::StartBackup { flags } => walk::start(w, p, flags, &mut e),
            Op::WaitStartCheckpoint => {
                walk::start_point(w, p, &mut e);
                // A tar-format start reads pg_tblspc next, without checking for interrupts.
                if super::reads_tablespace_map(&sc.model) {
                    w.backup.map_pending = true;
                }
            }
            Op::SendTablespace { ts } => {
                advance = walk::send_step(w, p, ts, &mut e);
            }
            Op::StopBackup => walk::stop(w, &mut e),
            Op::StartBackupOnStandby => startup::backup_start(w, &mut e),
            Op::WaitRestartpoint => {
                startup::restartpoint(w, &mut e);
                if super::reads_tablespace_map(&sc.model) {
                    w.backup.map_pending = true;
                }
            }
            Op::StopBackupOnStandby => startup::backup_stop(w, &mut e),
            Op::StartupRedo { lock, .. } => {
                advance = false;
                startup::startup_step(w, &sc.sem, p, lock, &mut e);
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
                    w.fail(p);
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
                let (ts, f) = w.procs[pi].file_of(rel);
                let key = (ts, f, blk);
                let lsn = w.heap_visible(key, sc.sem.visible_images_heap());
                ev!(e, "VACUUM: WAL {lsn}: {}", w.wal[lsn as usize]);
            }
            Op::Update { rel, blk } => {
                let (ts, f) = w.procs[pi].file_of(rel);
                let lsn = w.heap_update((ts, f, blk));
                ev!(e, "UPDATE: WAL {lsn}: {}", w.wal[lsn as usize]);
            }
            Op::Crash { .. } => {
                advance = false;
                crash(sc, w, p, &mut e);
            }
            Op::FlushBuffer { rel, blk } => {
                let (ts, f) = w.procs[pi].file_of(rel);
                let key = (ts, f, blk);
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
            Op::FlushRelationBuffers { .. }
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
            | Op::TablespaceMap => match super::relops::apply(self, sc, w, p, &mut e) {
                super::relops::Next::Advance => {}
                super::relops::Next::Skip(n) => {
                    w.procs[pi].pc += n;
                }
                super::relops::Next::Failed => return,
            },
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
        (LockObj::Relation, _) => "LockRelationOid:",
    }
}

fn scope_word(s: Scope) -> &'static str {
    match s {
        Scope::Xact => "transaction",
        Scope::Session => "session",
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
        w.fail(q);
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
