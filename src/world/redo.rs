//! The restore check: the startup process replaying a restored base backup from its start LSN to
//! the end of the WAL, with `dbase_redo`, `XLogReadBufferExtended` and the invalid-page table
//! (docs/postgresql.md, "Redo"). The result is compared with the primary by the properties.

use super::fs::{Dir, Fs, Loc, Lsn, Page};
use super::wal::Rec;
use super::{Catalog, Semantics, Standby, World};
use std::collections::BTreeMap;

/// How replay of the restored backup ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// There is no backup to restore (the walsender raised an ERROR, or never finished).
    NoBackup {
        /// Why.
        reason: String,
    },
    /// `XLogCheckInvalidPages` at the consistency point, or `log_invalid_page` after it:
    /// WARNINGs, then PANIC "WAL contains references to invalid pages".
    InvalidPages {
        /// LSN of the record being replayed when the PANIC was raised.
        lsn: Lsn,
        /// True if raised by the consistency check, false if by a record after consistency.
        at_consistency: bool,
        /// The WARNING lines, one per invalid page.
        warnings: Vec<String>,
    },
    /// The startup process died with FATAL (9.x `copydir` on a missing source) or PANIC
    /// (`recovery_create_dbdir` after consistency).
    Fatal {
        /// LSN of the record.
        lsn: Lsn,
        /// PostgreSQL's message.
        message: String,
    },
    /// Replay reached the end of the WAL without reaching consistency.
    NeverConsistent,
    /// Replay succeeded: the database came up.
    Restored {
        /// LSN of the record after which consistency was reached.
        consistent_at: Lsn,
        /// The restored files.
        fs: Fs,
        /// `D`'s row in the restored `pg_database`.
        catalog: Catalog,
    },
}

/// A replay result with the startup process's log (when asked for).
#[derive(Clone, Debug)]
pub struct Restore {
    /// How it ended.
    pub outcome: RestoreOutcome,
    /// Whether any record after the move (on `D` in its new place) was replayed.
    pub replayed_post_move: bool,
    /// One line per replayed record, when logging was asked for.
    pub log: Vec<String>,
}

struct Startup<'a> {
    sem: &'a Semantics,
    fs: Fs,
    catalog: Catalog,
    invalid: BTreeMap<(Loc, u8, u8), bool>,
    consistent: bool,
    consistent_at: Lsn,
    backup_end_reached: bool,
    log: Option<Vec<String>>,
}

enum Stop {
    Invalid(Vec<String>, bool),
    Fatal(String),
}

impl Startup<'_> {
    fn note(&mut self, s: impl FnOnce() -> String) {
        if let Some(l) = self.log.as_mut() {
            l.push(s());
        }
    }

    /// `smgrcreate(isRedo=true)`: create the file, and in redo the database directory
    /// (`TablespaceCreateDbspace`), if missing.
    fn smgrcreate(&mut self, ts: Loc, rel: u8) -> &mut Vec<Page> {
        self.fs.mkdir(ts);
        self.fs
            .dir_mut(ts)
            .expect("directory exists")
            .files
            .entry(rel)
            .or_default()
    }

    /// `log_invalid_page`: PANIC at once after consistency, else remember (first `present` wins).
    fn log_invalid_page(&mut self, ts: Loc, rel: u8, blk: u8, present: bool) -> Result<(), Stop> {
        let msg = invalid_page_warning(ts, rel, blk, present);
        if self.consistent {
            return Err(Stop::Invalid(vec![msg], false));
        }
        self.note(|| format!("DEBUG1: {}", &msg[9..]));
        self.invalid.entry((ts, rel, blk)).or_insert(present);
        Ok(())
    }

    /// `XLogReadBufferExtended(RBM_NORMAL)`: the page if it exists and is not all-zero.
    fn read_normal(&mut self, ts: Loc, rel: u8, blk: u8) -> Result<Option<&mut Page>, Stop> {
        let file = self.smgrcreate(ts, rel);
        let b = usize::from(blk);
        let state = match file.get(b) {
            None => Some(false),
            Some(p) if p.ver == 0 => Some(true),
            Some(_) => None,
        };
        if let Some(present) = state {
            self.log_invalid_page(ts, rel, blk, present)?;
            return Ok(None);
        }
        Ok(self
            .fs
            .dir_mut(ts)
            .and_then(|d| d.files.get_mut(&rel))
            .and_then(|f| f.get_mut(b)))
    }

    /// Restore a full-page image through `RBM_ZERO_AND_LOCK`: extends the file with zeros.
    fn restore_image(
        &mut self,
        (ts, rel, blk): (Loc, u8, u8),
        ver: u8,
        all_visible: bool,
        lsn: Lsn,
    ) {
        let file = self.smgrcreate(ts, rel);
        let b = usize::from(blk);
        if file.len() <= b {
            file.resize(b + 1, Page::default());
        }
        file[b] = Page {
            ver,
            all_visible,
            lsn: lsn + 1,
        };
    }

    fn apply(&mut self, lsn: Lsn, rec: &Rec) -> Result<(), Stop> {
        // pg_database: updates and deletes become visible with their commit record.
        self.catalog.redo(rec);
        match *rec {
            Rec::Checkpoint { .. }
            | Rec::Commit { .. }
            | Rec::Abort
            | Rec::CatalogUpdate { .. }
            | Rec::CatalogDelete
            | Rec::MarkInvalid
            | Rec::BackupEnd { .. } => {}
            Rec::CreateFileCopy { dst, src } => {
                // dbase_redo: rmtree(dst) if it is a directory, then copydir(src, dst).
                if self.fs.rmtree(dst) {
                    self.note(|| format!("  rmtree(\"{}\") (drop and re-copy)", dst.db_path()));
                }
                if !self.fs.has_dir(src) {
                    if !self.sem.recovery_creates_missing_dirs() {
                        return Err(Stop::Fatal(format!(
                            "FATAL: could not open directory \"{}\": No such file or directory \
                             (copydir in dbase_redo; ERROR promoted to FATAL in the startup process)",
                            src.db_path()
                        )));
                    }
                    if self.consistent {
                        return Err(Stop::Fatal(format!(
                            "PANIC: missing directory \"{}\" (recovery_create_dbdir)",
                            src.db_path()
                        )));
                    }
                    self.note(|| {
                        format!(
                            "  DEBUG1: creating missing directory \"{}\" (recovery_create_dbdir)",
                            src.db_path()
                        )
                    });
                    self.fs.mkdir(src);
                }
                let copied = self.fs.dir(src).cloned().unwrap_or_default();
                let n = copied.files.len();
                self.fs.dirs.insert(dst, copied);
                self.note(|| {
                    format!(
                        "  copydir(\"{}\", \"{}\"): {n} file(s)",
                        src.db_path(),
                        dst.db_path()
                    )
                });
            }
            Rec::CreateWalLog { ts } => {
                self.fs.mkdir(ts);
            }
            Rec::SmgrCreate { ts, rel } => {
                self.smgrcreate(ts, rel);
            }
            Rec::Fpi {
                ts,
                rel,
                blk,
                ver,
                all_visible,
            } => self.restore_image((ts, rel, blk), ver, all_visible, lsn),
            // The image is taken after PageSetAllVisible.
            Rec::Visible {
                ts,
                rel,
                blk,
                heap_image: Some(ver),
            } => self.restore_image((ts, rel, blk), ver, true, lsn),
            Rec::Visible {
                ts,
                rel,
                blk,
                heap_image: None,
            } => {
                // heap_xlog_visible: the heap page is read RBM_NORMAL and, if the page is older
                // than the record (BLK_NEEDS_REDO), PageSetAllVisible; its LSN is set only when
                // hint bits are WAL-logged, and then the record carries an image instead.
                if let Some(p) = self.read_normal(ts, rel, blk)?
                    && p.lsn <= lsn
                {
                    p.all_visible = true;
                }
            }
            Rec::HeapUpdate { ts, rel, blk, ver } => {
                // heap_xlog_update clears PD_ALL_VISIBLE.
                if let Some(p) = self.read_normal(ts, rel, blk)?
                    && p.lsn <= lsn
                {
                    *p = Page {
                        ver,
                        all_visible: false,
                        lsn: lsn + 1,
                    };
                }
            }
            Rec::Drop { ts } => {
                // XLogDropDatabase → forget_invalid_pages_db(D): every tablespace.
                let n = self.invalid.len();
                self.invalid.clear();
                if n > 0 {
                    self.note(|| format!("  forget_invalid_pages_db: {n} entr(y/ies) forgotten"));
                }
                self.fs.rmtree(ts);
            }
        }
        Ok(())
    }
}

/// Replay one record on the live standby (consistent, so an invalid page PANICs at once), with
/// the same semantics as the restore. The multi-step `dbase_redo` records (create by copy, drop)
/// are replayed by the standby's startup process op itself; this handles the others. On error,
/// returns PostgreSQL's message.
pub fn standby_apply(sb: &mut Standby, sem: &Semantics, lsn: Lsn, rec: &Rec) -> Result<(), String> {
    let mut st = Startup {
        sem,
        fs: std::mem::take(&mut sb.fs),
        catalog: sb.catalog,
        invalid: BTreeMap::new(),
        consistent: true,
        consistent_at: 0,
        backup_end_reached: true,
        log: None,
    };
    let r = st.apply(lsn, rec);
    sb.fs = st.fs;
    sb.catalog = st.catalog;
    match r {
        Ok(()) => Ok(()),
        Err(Stop::Fatal(m)) => Err(m),
        Err(Stop::Invalid(w, _)) => Err(format!(
            "PANIC: WAL contains references to invalid pages ({})",
            w.join("; ")
        )),
    }
}

/// The WARNING `log_invalid_page` / `XLogCheckInvalidPages` print for one page.
fn invalid_page_warning(ts: Loc, rel: u8, blk: u8, present: bool) -> String {
    let what = if present {
        "is uninitialized"
    } else {
        "does not exist"
    };
    format!(
        "WARNING: page {blk} of relation {} {what}",
        ts.rel_path(rel)
    )
}

/// Primary-side view of the database directory at `loc`: disk overlaid with dirty buffers.
pub fn primary_dir(w: &World, loc: Loc) -> Option<Dir> {
    let mut dir = w.fs.dir(loc)?.clone();
    for (&(bloc, rel, blk), page) in &w.dirty {
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
    replay(
        w,
        sem,
        b.copy.clone(),
        start,
        b.catalog_at_start,
        rule,
        with_log,
    )
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
        w.fs.clone(),
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
    let mut st = Startup {
        sem,
        fs,
        catalog,
        invalid: BTreeMap::new(),
        consistent: false,
        consistent_at: 0,
        backup_end_reached: false,
        log: with_log.then(Vec::new),
    };
    let mut replayed_post_move = false;
    let create = w.ghost.create_lsn;
    for (i, rec) in w.wal.iter().enumerate().skip(start as usize) {
        let lsn = Lsn::try_from(i).unwrap_or(Lsn::MAX);
        st.note(|| format!("redo {lsn}: {rec}"));
        if let Some(c) = create
            && lsn > c
            && matches!(
                rec,
                Rec::Visible { .. } | Rec::HeapUpdate { .. } | Rec::Fpi { .. }
            )
        {
            replayed_post_move = true;
        }
        let r = st.apply(lsn, rec);
        let log = st.log.take().unwrap_or_default();
        let with = |outcome| Restore {
            outcome,
            replayed_post_move,
            log: log.clone(),
        };
        match r {
            Err(Stop::Invalid(warnings, at_consistency)) => {
                return with(RestoreOutcome::InvalidPages {
                    lsn,
                    at_consistency,
                    warnings,
                });
            }
            Err(Stop::Fatal(message)) => return with(RestoreOutcome::Fatal { lsn, message }),
            Ok(()) => {}
        }
        st.log = with_log.then_some(log);
        // End of backup: the BACKUP_END record naming our start (primary), or the
        // backupEndPoint, minRecoveryPoint of the copied pg_control (standby; docs/postgresql.md, "The base backup");
        // crash recovery: the end of the WAL.
        let end_reached = match rule {
            EndRule::Point(end) => lsn + 1 >= end,
            EndRule::BackupEnd(start) => matches!(*rec, Rec::BackupEnd { start: s } if s == start),
            EndRule::EndOfWal => i + 1 == w.wal.len(),
        };
        if end_reached && !st.backup_end_reached {
            st.backup_end_reached = true;
            if let EndRule::Point(end) = rule {
                st.note(|| format!("LOG: backup end point {end} (minRecoveryPoint of the backed-up pg_control) reached"));
            }
        }
        // CheckRecoveryConsistency after every record.
        if !st.consistent && st.backup_end_reached {
            if !st.invalid.is_empty() {
                let warnings = st
                    .invalid
                    .iter()
                    .map(|(&(ts, rel, blk), &present)| invalid_page_warning(ts, rel, blk, present))
                    .collect();
                return Restore {
                    outcome: RestoreOutcome::InvalidPages {
                        lsn,
                        at_consistency: true,
                        warnings,
                    },
                    replayed_post_move,
                    log: st.log.unwrap_or_default(),
                };
            }
            st.consistent = true;
            st.consistent_at = lsn;
            st.note(|| format!("LOG: consistent recovery state reached at {lsn}"));
        }
    }
    let outcome = if st.consistent {
        RestoreOutcome::Restored {
            consistent_at: st.consistent_at,
            fs: st.fs,
            catalog: st.catalog,
        }
    } else {
        RestoreOutcome::NeverConsistent
    };
    Restore {
        outcome,
        replayed_post_move,
        log: st.log.unwrap_or_default(),
    }
}
