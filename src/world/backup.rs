//! The base backup: its shared state (`runningBackups`, start and end points, the copy being
//! built) and the walsender's walk of a tablespace (`sendTablespace` / `sendDir` / `sendFile`,
//! basebackup.c; docs/postgresql.md, "The base backup").

use super::fs::{Fs, Loc, Lsn};
use super::{Catalog, ProcId, World, ev};
use serde::{Deserialize, Serialize};

/// Where a base backup's walk of one tablespace stands (`sendTablespace`/`sendDir`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum WalkStage {
    /// Next: open the tablespace directory and read its entries.
    #[default]
    OpenTablespace,
    /// Next: `lstat` the entry of `D` (it was listed).
    Lstat,
    /// Next: `AllocateDir` on `D`'s directory.
    OpenDb,
    /// Next: `sendFile` of the listed files, from `next` on.
    Copy {
        /// Names listed when the directory was opened.
        names: super::Names,
        /// Index of the next name to send.
        next: u8,
    },
    /// This tablespace is sent.
    Done,
}

/// Why a base backup failed (the walsender raised an ERROR; no backup to restore).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BackupError(pub String);

/// The base backup's state: the walsender's walk and the copy it is building (docs/postgresql.md, "The base backup").
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Backup {
    /// `runningBackups > 0` (what a flag check in movedb looks at).
    pub in_progress: bool,
    /// Checkpoint count at the start request (for the WAIT rule).
    pub start_wait: Option<u8>,
    /// Start LSN (redo of the start checkpoint), once known.
    pub start_lsn: Option<Lsn>,
    /// `D`'s row in the copied `pg_database` at start (with the change not yet committed).
    pub catalog_at_start: Catalog,
    /// The walk of the tablespace being sent.
    pub stage: WalkStage,
    /// The copy being built.
    pub copy: Fs,
    /// Set when the walsender raised an ERROR.
    pub failed: Option<BackupError>,
    /// Once stopped: the LSN of the `BACKUP_END` record (primary), or the backup end point, the
    /// `minRecoveryPoint` of the copied `pg_control` (standby; an end pointer: replay must have
    /// applied every record below it).
    pub end_lsn: Option<Lsn>,
}

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
    w.ghost.update(|g| g.stopped_during_removal = during);
    w.backup.in_progress = false;
    ev!(
        e,
        "WAL {lsn}: {}; stop WAL location {lsn}",
        w.wal[lsn as usize]
    );
}
