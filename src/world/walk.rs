//! The walsender's base backup on the primary: `do_pg_backup_start`, the walk of a tablespace
//! (`sendTablespace` / `sendDir` / `sendFile`, basebackup.c) and `do_pg_backup_stop`
//! (docs/postgresql.md, "The base backup"), over the backup state of `backup.rs`.

use super::backup::{BackupError, WalkStage};
use super::fs::Loc;
use super::{ProcId, World, ev};

/// One step of a tablespace walk; returns whether the tablespace is sent.
pub fn send_step(w: &mut World, p: ProcId, ts: Loc, e: &mut Option<&mut String>) -> bool {
    let during_rmtree = w.removal_begun() && w.ghost.removal_src == Some(ts);
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
                w.ghost.update(|g| g.walked_src_during_rmtree = true);
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
                w.ghost.update(|g| g.walked_src_during_rmtree = true);
            }
            if !w.walked_fs().has_dir(ts) {
                let msg = format!(
                    "could not open directory \"{}\": No such file or directory",
                    ts.db_path()
                );
                ev!(e, "ERROR: {msg}; base backup aborted");
                w.backup.failed = Some(BackupError(msg));
                w.backup.in_progress = false;
                w.fail(p);
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
                w.ghost.update(|g| g.walked_src_during_rmtree = true);
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

/// `do_pg_backup_start` on a primary: `runningBackups++`, forcePageWrites, then
/// `RequestCheckpoint(flags)` (the walsender waits for it next).
pub fn start(w: &mut World, p: ProcId, flags: u8, e: &mut Option<&mut String>) {
    w.backup.in_progress = true;
    let s = w.request_checkpoint(flags);
    w.procs[usize::from(p)].ckpt_wait = Some(s);
    ev!(
        e,
        "runningBackups++, forcePageWrites; RequestCheckpoint({})",
        super::ckpt_flags::describe(flags)
    );
}

/// The start checkpoint is done: the start LSN is `ControlFile->checkPointCopy.redo`; the
/// copied `pg_database` is the one at that moment.
pub fn start_point(w: &mut World, p: ProcId, e: &mut Option<&mut String>) {
    w.procs[usize::from(p)].ckpt_wait = None;
    let start = w.ckpt.control_redo;
    w.backup.start_lsn = Some(start);
    w.backup.catalog_at_start = *w.catalog;
    if w.ghost.image_pending.is_some_and(|l| l < start) {
        w.ghost.update(|g| g.start_in_image_window = true);
    }
    ev!(
        e,
        "start WAL location {start} (redo of the checkpoint in pg_control)"
    );
}

/// `do_pg_backup_stop` on a primary: `XLOG_BACKUP_END(start)`, `runningBackups--`.
pub fn stop(w: &mut World, e: &mut Option<&mut String>) {
    let start = w.backup.start_lsn.unwrap_or(0);
    let lsn = w.log(super::wal::Rec::BackupEnd { start });
    w.backup.end_lsn = Some(lsn);
    let during = w.removal_begun();
    let link_gone = w.ghost.link_gone;
    w.ghost.update(|g| {
        g.stopped_during_removal = during;
        g.stopped_link_gone = link_gone;
    });
    w.backup.in_progress = false;
    ev!(
        e,
        "WAL {lsn}: {}; stop WAL location {lsn}",
        w.wal[lsn as usize]
    );
}
