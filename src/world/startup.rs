//! The standby's startup process and a backup taken on the standby: replay of the primary's
//! WAL one redo step at a time ([`super::redo::Redo::step`], the same redo as the restore),
//! `lastCheckPoint` and `minRecoveryPoint` kept, the standby's `pg_database` lock of fix 1's
//! standby part, `do_pg_backup_start`/`stop` on the standby (docs/postgresql.md, "Backups from a
//! standby"), over the state of `standby.rs`.

use super::backup::BackupError;
use super::locks::{Hold, LockMode, LockObj, Scope};
use super::wal::Rec;
use super::{ProcId, Semantics, World, ev};

/// Whether the standby's startup process can replay now: WAL is left, the standby is up and its
/// backup has not stopped (after the stop nothing reads the standby's state), with `lock` the
/// standby's `pg_database` lock is free if the next record needs it, and with `barrier` (15+)
/// an `XLOG_TBLSPC_DROP` waits for its SMGRRELEASE barrier (`tblspc_redo`: "Close all smgr fds
/// in all backends"), which the standby's backup absorbs only after its read of `pg_tblspc`.
pub fn startup_enabled(w: &World, p: ProcId, lock: bool, barrier: bool) -> bool {
    let Some(sb) = &*w.standby else {
        return false;
    };
    if sb.died.is_some() || w.backup.end_lsn.is_some() || w.backup.failed.is_some() {
        return false;
    }
    let Some(rec) = w.wal.get(sb.replayed as usize) else {
        return false;
    };
    if barrier && matches!(rec, Rec::TblspcDrop) && w.backup.map_pending {
        return false;
    }
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

/// One step of the standby's startup process (`PerformWalRecovery`): take the standby's
/// `pg_database` lock before a database record (with `lock`), else one redo step of the next
/// record; a completed record advances the replay position and, for a checkpoint, page change or
/// forced-sync commit, `lastCheckPoint` or `minRecoveryPoint`.
pub fn startup_step(
    w: &mut World,
    sem: &Semantics,
    p: ProcId,
    lock: bool,
    e: &mut Option<&mut String>,
) {
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
    // The removal of a directory the backup walks: movedb's old directory (known from its
    // copy), or dropdb's directory.
    if let Rec::Drop { ts } = rec
        && w.standby.as_ref().is_some_and(|s| s.redo.cursor.is_none())
        && w.ghost.removal_src.is_none_or(|s| s == ts)
    {
        w.ghost.update(|g| {
            g.standby_rmtree_begun = true;
            g.removal_src = Some(ts);
        });
    }
    let Some(sb) = w.standby.as_mut() else {
        return;
    };
    ev!(e, "standby: ");
    let r = sb.redo.step(sem, lsn, &rec, &mut None, e);
    match r {
        Err(stop) => {
            let m = format!("standby: {}", stop.message());
            ev!(e, "{}; the standby shuts down", stop.message());
            sb.died = Some(m.clone());
            sb.redo.cursor = None;
            if w.backup.end_lsn.is_none() && w.backup.failed.is_none() {
                w.backup.failed = Some(BackupError(m));
            }
            w.locks.release_all(p);
        }
        Ok(false) => {}
        Ok(true) => {
            match rec {
                Rec::Checkpoint { redo } => {
                    sb.last_ckpt_redo = redo;
                    sb.last_ckpt_end = lsn + 1;
                }
                Rec::Fpi { .. }
                | Rec::HeapUpdate { .. }
                | Rec::Visible { .. }
                | Rec::NewPages { .. } => {
                    // The page is written at once: XLogFlush -> UpdateMinRecoveryPoint.
                    sb.min_recovery_point = sb.min_recovery_point.max(lsn + 1);
                }
                Rec::Commit { force_sync, drop } if force_sync || drop.is_some() => {
                    // xact_redo_commit: XLogFlush(lsn) for a forced sync commit, and before
                    // dropping relation files; in recovery that is UpdateMinRecoveryPoint to
                    // the replay position.
                    sb.min_recovery_point = sb.min_recovery_point.max(lsn + 1);
                    ev!(e, "; XLogFlush: minRecoveryPoint {}", sb.min_recovery_point);
                }
                Rec::CreateFileCopy { .. }
                | Rec::CreateWalLog { .. }
                | Rec::SmgrCreate { .. }
                | Rec::CatalogUpdate { .. }
                | Rec::MarkInvalid
                | Rec::CatalogDelete
                | Rec::Drop { .. }
                | Rec::Commit { .. }
                | Rec::Abort
                | Rec::ClassUpdate { .. }
                | Rec::ClassDelete
                | Rec::TablespaceDelete
                | Rec::TblspcDrop
                | Rec::BackupEnd { .. } => {}
            }
            sb.replayed += 1;
            if holding {
                w.locks.release_all(p);
                ev!(e, "; release pg_database on the standby");
            }
        }
    }
}

/// `do_pg_backup_start` on a standby: `runningBackups++` in the standby's shared memory
/// (invisible to the primary); `RequestCheckpoint(FORCE|WAIT)` becomes a restartpoint, which
/// begins by reading `lastCheckPoint`, the last checkpoint the startup process replayed.
pub fn backup_start(w: &mut World, e: &mut Option<&mut String>) {
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

/// `CreateRestartPoint` completes: `checkPointCopy.redo` := the adopted checkpoint's redo if
/// newer ("already performed" otherwise), `minRecoveryPoint` raised to that record's end; the
/// backup's start LSN := `checkPointCopy.redo`.
pub fn restartpoint(w: &mut World, e: &mut Option<&mut String>) {
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
    w.backup.catalog_at_start = sb.redo.catalog;
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

/// The end of a standby backup: `global/pg_control` sent last, then `do_pg_backup_stop`, which
/// writes no WAL: the stop point is the standby's `minRecoveryPoint`.
pub fn backup_stop(w: &mut World, e: &mut Option<&mut String>) {
    let Some(sb) = w.standby.as_ref() else {
        return;
    };
    let end = sb.min_recovery_point;
    let link_gone = sb.redo.fs.link != super::fs::Link::Symlink;
    w.backup.end_lsn = Some(end);
    let during = w.removal_begun();
    w.ghost.update(|g| {
        g.stopped_during_removal = during;
        g.stopped_link_gone = link_gone;
    });
    ev!(
        e,
        "sendFile(\"global/pg_control\"): minRecoveryPoint {end}; do_pg_backup_stop: no WAL on a standby, stop point {end}"
    );
}
