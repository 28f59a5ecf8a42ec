//! Redo: the startup process applying WAL records, written once ([`Redo::step`]) with
//! `dbase_redo`, `XLogReadBufferExtended` and the invalid-page table (docs/postgresql.md,
//! "Redo"). Three callers: the restore of a base backup ([`restore`], from its start LSN to the
//! end of the WAL), the primary's crash recovery ([`crash_recovery`]), and a live standby's
//! startup process (`world/standby.rs`), which takes one [`Redo::step`] per model step.

use super::catalog::Catalog;
use super::fs::{Fs, Loc, Lsn, Names, Page, RelFile, copy_file};
use super::semantics::Semantics;
use super::small::SmallMap;
use super::wal::Rec;

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
    /// `CheckTablespaceDirectory` (14.5+) found a plain directory in `pg_tblspc` when
    /// consistency was reached: PANIC "unexpected directory entry".
    TablespaceDirectory {
        /// LSN of the record after which consistency was reached.
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
        fs: Box<Fs>,
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

/// The startup process's redo state: the files and `pg_database` it replays into, the
/// invalid-page table, whether consistency was reached, and the cursor of a multi-step record
/// (`copydir` / `rmtree` in `dbase_redo`: names listed, next index).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Redo {
    /// The files replayed into.
    pub fs: Fs,
    /// `D`'s row in `pg_database`, as replayed.
    pub catalog: Catalog,
    /// `invalid_page_tab`: (tablespace, relation, block) → `present` (an all-zero page).
    pub invalid: SmallMap<(Loc, u8, u8), bool, 4>,
    /// `reachedConsistency`: an invalid page PANICs at once.
    pub consistent: bool,
    /// Cursor of a multi-step record.
    pub cursor: Option<(Names, u8)>,
}

/// Why redo stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// PANIC "WAL contains references to invalid pages": the WARNINGs, and whether raised at
    /// the consistency check (else by `log_invalid_page` after consistency).
    Invalid(Vec<String>, bool),
    /// FATAL or PANIC with PostgreSQL's message.
    Fatal(String),
}

impl Stop {
    /// The message, as one line.
    pub fn message(&self) -> String {
        match self {
            Stop::Fatal(m) => m.clone(),
            Stop::Invalid(w, _) => format!(
                "PANIC: WAL contains references to invalid pages ({})",
                w.join("; ")
            ),
        }
    }
}

macro_rules! note {
    ($log:expr, $($arg:tt)*) => {
        if let Some(l) = $log.as_mut() {
            l.push(format!($($arg)*));
        }
    };
}
pub(super) use note;

macro_rules! event {
    ($e:expr, $($arg:tt)*) => {
        if let Some(s) = $e.as_deref_mut() {
            use std::fmt::Write as _;
            let _ = write!(s, $($arg)*);
        }
    };
}

impl Redo {
    /// A startup process about to replay into `fs` with `catalog`.
    pub fn new(fs: Fs, catalog: Catalog, consistent: bool) -> Redo {
        Redo {
            fs,
            catalog,
            consistent,
            ..Redo::default()
        }
    }

    /// `smgrcreate(isRedo=true)`: create the file, and in redo the database directory
    /// (`TablespaceCreateDbspace`, which also makes a missing `pg_tblspc` link a plain
    /// directory), if missing.
    fn smgrcreate(&mut self, ts: Loc, rel: u8, log: &mut Option<Vec<String>>) -> &mut RelFile {
        if let Some(what) = super::tablespace::redo_create_dbspace(&mut self.fs, ts) {
            note!(log, "  {what}");
        }
        self.fs.mkdir(ts);
        self.fs
            .dir_mut(ts)
            .expect("directory exists")
            .files
            .entry(rel)
            .or_default()
    }

    /// `log_invalid_page`: PANIC at once after consistency, else remember (first `present` wins).
    fn log_invalid_page(
        &mut self,
        (ts, rel, blk): (Loc, u8, u8),
        present: bool,
        log: &mut Option<Vec<String>>,
    ) -> Result<(), Stop> {
        let msg = invalid_page_warning(ts, rel, blk, present);
        if self.consistent {
            return Err(Stop::Invalid(vec![msg], false));
        }
        note!(log, "DEBUG1: {}", &msg[9..]);
        self.invalid.entry((ts, rel, blk)).or_insert(present);
        Ok(())
    }

    /// `XLogReadBufferExtended(RBM_NORMAL)`: the page if it exists and is not all-zero.
    fn read_normal(
        &mut self,
        key: (Loc, u8, u8),
        log: &mut Option<Vec<String>>,
    ) -> Result<Option<&mut Page>, Stop> {
        let (ts, rel, blk) = key;
        let file = self.smgrcreate(ts, rel, log);
        let b = usize::from(blk);
        let state = match file.get(b) {
            None => Some(false),
            Some(p) if p.ver == 0 => Some(true),
            Some(_) => None,
        };
        if let Some(present) = state {
            self.log_invalid_page(key, present, log)?;
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
        log: &mut Option<Vec<String>>,
    ) {
        let file = self.smgrcreate(ts, rel, log);
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

    /// Apply one step of record `rec` (at `lsn`); returns whether the record is complete.
    /// `dbase_redo`'s create-by-copy and drop take one file per step (as `copydir` and `rmtree`
    /// do); every other record is one step. `log` receives the restore's log lines (notes under
    /// the record), `e` the step's event (a standby's timeline).
    pub fn step(
        &mut self,
        sem: &Semantics,
        lsn: Lsn,
        rec: &Rec,
        log: &mut Option<Vec<String>>,
        e: &mut Option<&mut String>,
    ) -> Result<bool, Stop> {
        match *rec {
            Rec::CreateFileCopy { dst, src } => {
                return self.create_file_copy(sem, lsn, rec, (src, dst), log, e);
            }
            Rec::Drop { ts } => return self.drop_step(lsn, rec, ts, log, e),
            Rec::Checkpoint { .. }
            | Rec::CreateWalLog { .. }
            | Rec::SmgrCreate { .. }
            | Rec::Fpi { .. }
            | Rec::HeapUpdate { .. }
            | Rec::Visible { .. }
            | Rec::CatalogUpdate { .. }
            | Rec::MarkInvalid
            | Rec::CatalogDelete
            | Rec::Commit { .. }
            | Rec::Abort
            | Rec::NewPages { .. }
            | Rec::ClassUpdate { .. }
            | Rec::ClassDelete
            | Rec::TablespaceDelete
            | Rec::TblspcDrop
            | Rec::BackupEnd { .. } => {}
        }
        event!(e, "redo {lsn} {rec}");
        // pg_database: updates and deletes become visible with their commit record.
        self.catalog.redo(rec);
        match *rec {
            Rec::Checkpoint { .. }
            | Rec::Commit { drop: None, .. }
            | Rec::Abort
            | Rec::CatalogUpdate { .. }
            | Rec::CatalogDelete
            | Rec::MarkInvalid
            | Rec::BackupEnd { .. }
            | Rec::CreateFileCopy { .. }
            | Rec::ClassUpdate { .. }
            | Rec::ClassDelete
            | Rec::TablespaceDelete
            | Rec::Drop { .. } => {}
            Rec::Commit {
                drop: Some((ts, rel)),
                ..
            } => {
                // xact_redo_commit: XLogFlush, DropRelationFiles (unlink at once in redo),
                // XLogDropRelation (forget_invalid_pages of the file).
                if let Some(d) = self.fs.dir_mut(ts) {
                    d.files.remove(&rel);
                }
                let n = self.invalid.len();
                self.invalid.retain(|&(t, r, _), _| (t, r) != (ts, rel));
                note!(
                    log,
                    "  DropRelationFiles: unlink(\"{}\"){}",
                    ts.rel_path(rel),
                    if n > self.invalid.len() {
                        "; XLogDropRelation: its invalid-page entries forgotten"
                    } else {
                        ""
                    }
                );
            }
            Rec::TblspcDrop => {
                if let Some(line) = super::tablespace::drop_redo(&mut self.fs) {
                    note!(log, "  {line}");
                    event!(e, ": {line}");
                }
            }
            Rec::NewPages {
                ts,
                rel,
                first,
                ref pages,
            } => {
                for (i, pg) in pages.iter().enumerate() {
                    let blk = first.saturating_add(u8::try_from(i).unwrap_or(u8::MAX));
                    self.restore_image((ts, rel, blk), pg.ver, pg.all_visible, lsn, log);
                }
            }
            Rec::CreateWalLog { ts } => {
                if let Some(what) = super::tablespace::redo_create_dbspace(&mut self.fs, ts) {
                    note!(log, "  {what}");
                }
                self.fs.mkdir(ts);
            }
            Rec::SmgrCreate { ts, rel } => {
                self.smgrcreate(ts, rel, log);
            }
            Rec::Fpi {
                ts,
                rel,
                blk,
                ver,
                all_visible,
            } => self.restore_image((ts, rel, blk), ver, all_visible, lsn, log),
            // The image is taken after PageSetAllVisible.
            Rec::Visible {
                ts,
                rel,
                blk,
                heap_image: Some(ver),
            } => self.restore_image((ts, rel, blk), ver, true, lsn, log),
            Rec::Visible {
                ts,
                rel,
                blk,
                heap_image: None,
            } => {
                // heap_xlog_visible: the heap page is read RBM_NORMAL and, if the page is older
                // than the record (BLK_NEEDS_REDO), PageSetAllVisible; its LSN is set only when
                // hint bits are WAL-logged, and then the record carries an image instead.
                if let Some(p) = self.read_normal((ts, rel, blk), log)?
                    && p.lsn <= lsn
                {
                    p.all_visible = true;
                }
            }
            Rec::HeapUpdate { ts, rel, blk, ver } => {
                // heap_xlog_update clears PD_ALL_VISIBLE.
                if let Some(p) = self.read_normal((ts, rel, blk), log)?
                    && p.lsn <= lsn
                {
                    *p = Page {
                        ver,
                        all_visible: false,
                        lsn: lsn + 1,
                    };
                }
            }
        }
        Ok(true)
    }

    /// `dbase_redo` for `XLOG_DBASE_CREATE(_FILE_COPY)`: `rmtree(dst)` if it is a directory
    /// ("drop and re-copy"), a missing source handled per version, `copydir(src, dst)` one file
    /// per step.
    fn create_file_copy(
        &mut self,
        sem: &Semantics,
        lsn: Lsn,
        rec: &Rec,
        (src, dst): (Loc, Loc),
        log: &mut Option<Vec<String>>,
        e: &mut Option<&mut String>,
    ) -> Result<bool, Stop> {
        if let Some((names, next)) = self.cursor.take() {
            let rel = names[usize::from(next)];
            if !copy_file(&mut self.fs, src, dst, rel) {
                return Err(Stop::Fatal(format!(
                    "FATAL: could not stat file \"{}\" (copydir in dbase_redo)",
                    src.rel_path(rel)
                )));
            }
            event!(
                e,
                "copy_file(\"{}\" -> \"{}\")",
                src.rel_path(rel),
                dst.rel_path(rel)
            );
            if usize::from(next) + 1 < names.len() {
                self.cursor = Some((names, next + 1));
                return Ok(false);
            }
            return Ok(true);
        }
        let removed = self.fs.rmtree(dst);
        if removed {
            note!(log, "  rmtree(\"{}\") (drop and re-copy)", dst.db_path());
        }
        if !self.fs.has_dir(src) {
            if !sem.recovery_creates_missing_dirs() {
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
            note!(
                log,
                "  DEBUG1: creating missing directory \"{}\" (recovery_create_dbdir)",
                src.db_path()
            );
            self.fs.mkdir(src);
        }
        self.fs.mkdir(dst);
        let names = self.fs.names(src);
        note!(
            log,
            "  copydir(\"{}\", \"{}\"): {} file(s)",
            src.db_path(),
            dst.db_path(),
            names.len()
        );
        event!(
            e,
            "redo {lsn} {rec}: {}FlushDatabaseBuffers; copydir: AllocateDir(\"{}\") lists {} file(s)",
            if removed {
                format!("rmtree(\"{}\"); ", dst.db_path())
            } else {
                String::new()
            },
            src.db_path(),
            names.len()
        );
        if names.is_empty() {
            return Ok(true);
        }
        self.cursor = Some((names, 0));
        Ok(false)
    }

    /// `dbase_redo` for `XLOG_DBASE_DROP`: `DropDatabaseBuffers`, `XLogDropDatabase` (which
    /// calls `forget_invalid_pages_db(D)`: every tablespace), then `rmtree` one file per step.
    fn drop_step(
        &mut self,
        lsn: Lsn,
        rec: &Rec,
        ts: Loc,
        log: &mut Option<Vec<String>>,
        e: &mut Option<&mut String>,
    ) -> Result<bool, Stop> {
        match self.cursor.take() {
            None => {
                let n = self.invalid.len();
                self.invalid.clear();
                if n > 0 {
                    note!(log, "  forget_invalid_pages_db: {n} entr(y/ies) forgotten");
                }
                let names = self.fs.names(ts);
                event!(
                    e,
                    "redo {lsn} {rec}: DropDatabaseBuffers, XLogDropDatabase; rmtree(\"{}\"): read {} name(s)",
                    ts.db_path(),
                    names.len()
                );
                self.cursor = Some((names, 0));
                Ok(false)
            }
            Some((names, next)) if usize::from(next) < names.len() => {
                let rel = names[usize::from(next)];
                if let Some(d) = self.fs.dir_mut(ts) {
                    d.files.remove(&rel);
                }
                event!(e, "unlink(\"{}\")", ts.rel_path(rel));
                self.cursor = Some((names, next + 1));
                Ok(false)
            }
            Some(_) => {
                self.fs.rmtree(ts);
                event!(e, "rmdir(\"{}\")", ts.db_path());
                Ok(true)
            }
        }
    }
}

/// The WARNING `log_invalid_page` / `XLogCheckInvalidPages` print for one page.
pub(super) fn invalid_page_warning(ts: Loc, rel: u8, blk: u8, present: bool) -> String {
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
