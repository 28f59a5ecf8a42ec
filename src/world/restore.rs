//! The restore of a base backup and the primary's crash recovery: the startup process of
//! `redo.rs` run from the backup's start (or the last checkpoint's redo) to the end of the WAL,
//! consistency decided as PostgreSQL decides it, the outcome classified.

use super::catalog::Catalog;
use super::fs::{Dir, Fs, Loc, Lsn, Page};
use super::redo::{Redo, Restore, RestoreOutcome, Stop, invalid_page_warning, note};
use super::wal::Rec;
use super::{Semantics, World};

/// Primary-side view of the database directory at `loc`: disk overlaid with dirty buffers.
pub fn primary_dir(w: &World, loc: Loc) -> Option<Dir> {
    let mut dir = w.fs.dir(loc)?.clone();
    for (&(bloc, rel, blk), page) in w.dirty.iter() {
        if bloc != loc {
            continue;
        }
        let f = dir.files.entry(rel).or_default();
        let b = usize::from(blk);
        if f.len() <= b {
            f.resize(b + 1, Page::default());
        }
        f[b] = *page;
    }
    Some(dir)
}

/// Where a replay becomes consistent.
#[derive(Clone, Copy, Debug)]
enum EndRule {
    /// A primary backup: the `BACKUP_END` record naming this start LSN.
    BackupEnd(Lsn),
    /// A standby backup: the replay position passes the `minRecoveryPoint` of the copied
    /// `pg_control` (an end pointer).
    Point(Lsn),
    /// Crash recovery: the end of the WAL.
    EndOfWal,
}

/// Replay the backup in `w` (which must have stopped) from its start LSN to the end of the WAL.
pub fn restore(w: &World, sem: &Semantics, with_log: bool) -> Restore {
    let b = &w.backup;
    let no_backup = |reason: String| Restore {
        outcome: RestoreOutcome::NoBackup { reason },
        replayed_post_move: false,
        log: Vec::new(),
    };
    if let Some(e) = &b.failed {
        return no_backup(format!("the base backup failed: {}", e.0));
    }
    let (Some(start), Some(end)) = (b.start_lsn, b.end_lsn) else {
        return no_backup("the base backup did not finish".into());
    };
    // `BACKUP FROM: standby` in the label: the World has a standby only when the backup is
    // taken from it.
    let rule = if w.standby.is_some() {
        EndRule::Point(end)
    } else {
        EndRule::BackupEnd(start)
    };
    // A link the backup lacks: what the tablespace's archive held is unreachable from the
    // restored data directory.
    let mut copy = b.copy.clone();
    if copy.link == super::fs::Link::Absent {
        copy.drop_user_tablespace_dirs();
    }
    replay(w, sem, copy, start, b.catalog_at_start, rule, with_log)
}

/// Crash recovery of the primary after it crashed (`StartupXLOG` without a backup label): replay
/// the WAL from the redo pointer of the last checkpoint in `pg_control` over the primary's files
/// as they are on disk (the shared buffers are gone); consistent at the end of the WAL, where
/// `XLogCheckInvalidPages` runs. `initial` is `D`'s tablespace when the run began.
pub fn crash_recovery(w: &World, sem: &Semantics, initial: Loc, with_log: bool) -> Restore {
    let start = w.ckpt.control_redo;
    // pg_database as on disk at the redo pointer: the records before it, applied.
    let mut catalog = Catalog::new(initial);
    for rec in w.wal.iter().take(start as usize) {
        catalog.redo(rec);
    }
    replay(
        w,
        sem,
        Fs::clone(&w.fs),
        start,
        catalog,
        EndRule::EndOfWal,
        with_log,
    )
}

/// The startup process's redo loop from `start` to the end of the WAL over `fs`.
fn replay(
    w: &World,
    sem: &Semantics,
    fs: Fs,
    start: Lsn,
    catalog: Catalog,
    rule: EndRule,
    with_log: bool,
) -> Restore {
    let mut redo = Redo::new(fs, catalog, false);
    let mut log = with_log.then(Vec::new);
    let mut replayed_post_move = false;
    let mut consistent_at = 0;
    let mut backup_end_reached = false;
    let create = w.ghost.create_lsn;
    let finish = |outcome, log: Option<Vec<String>>, replayed_post_move| Restore {
        outcome,
        replayed_post_move,
        log: log.unwrap_or_default(),
    };
    for (i, rec) in w.wal.iter().enumerate().skip(start as usize) {
        let lsn = Lsn::try_from(i).unwrap_or(Lsn::MAX);
        note!(log, "redo {lsn}: {rec}");
        if let Some(c) = create
            && lsn > c
            && matches!(
                rec,
                Rec::Visible { .. }
                    | Rec::HeapUpdate { .. }
                    | Rec::Fpi { .. }
                    | Rec::NewPages { .. }
            )
        {
            replayed_post_move = true;
        }
        loop {
            match redo.step(sem, lsn, rec, &mut log, &mut None) {
                Ok(true) => break,
                Ok(false) => {}
                Err(Stop::Invalid(warnings, at_consistency)) => {
                    let outcome = RestoreOutcome::InvalidPages {
                        lsn,
                        at_consistency,
                        warnings,
                    };
                    return finish(outcome, log, replayed_post_move);
                }
                Err(Stop::Fatal(message)) => {
                    return finish(
                        RestoreOutcome::Fatal { lsn, message },
                        log,
                        replayed_post_move,
                    );
                }
            }
        }
        // End of backup: the BACKUP_END record naming our start (primary), or the
        // backupEndPoint, minRecoveryPoint of the copied pg_control (standby); crash recovery:
        // the end of the WAL.
        let end_reached = match rule {
            EndRule::Point(end) => lsn + 1 >= end,
            EndRule::BackupEnd(start) => matches!(*rec, Rec::BackupEnd { start: s } if s == start),
            EndRule::EndOfWal => i + 1 == w.wal.len(),
        };
        if end_reached && !backup_end_reached {
            backup_end_reached = true;
            if let EndRule::Point(end) = rule {
                note!(
                    log,
                    "LOG: backup end point {end} (minRecoveryPoint of the backed-up pg_control) reached"
                );
            }
        }
        // CheckRecoveryConsistency after every record.
        if !redo.consistent && backup_end_reached {
            if !redo.invalid.is_empty() {
                let warnings = redo
                    .invalid
                    .iter()
                    .map(|(&(ts, rel, blk), &present)| invalid_page_warning(ts, rel, blk, present))
                    .collect();
                let outcome = RestoreOutcome::InvalidPages {
                    lsn,
                    at_consistency: true,
                    warnings,
                };
                return finish(outcome, log, replayed_post_move);
            }
            if sem.checks_tablespace_directory()
                && let Some(message) = super::tablespace::check_at_consistency(&redo.fs)
            {
                note!(log, "{message}");
                let outcome = RestoreOutcome::TablespaceDirectory { lsn, message };
                return finish(outcome, log, replayed_post_move);
            }
            redo.consistent = true;
            consistent_at = lsn;
            note!(log, "LOG: consistent recovery state reached at {lsn}");
        }
    }
    let outcome = if redo.consistent {
        RestoreOutcome::Restored {
            consistent_at,
            fs: Box::new(redo.fs),
            catalog: redo.catalog,
        }
    } else {
        RestoreOutcome::NeverConsistent
    };
    finish(outcome, log, replayed_post_move)
}
