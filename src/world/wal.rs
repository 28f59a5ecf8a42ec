//! The write-ahead log: the record kinds of docs/simplifications.md and their display in PostgreSQL's
//! terms (`pg_waldump`-like).

use super::fs::{Loc, Lsn};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One WAL record. Every record about `D` names the tablespace of the relation it touches.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rec {
    /// `XLOG_CHECKPOINT_ONLINE` with its redo pointer (`CreateCheckPoint`, xlog.c).
    Checkpoint {
        /// The checkpoint's redo pointer.
        redo: Lsn,
    },
    /// `XLOG_DBASE_CREATE` (9.x) / `XLOG_DBASE_CREATE_FILE_COPY` (15+): data-less "copy `src`'s
    /// directory of `D` to `dst`" (movedb, dbcommands.c; docs/postgresql.md, "movedb").
    CreateFileCopy {
        /// Target tablespace.
        dst: Loc,
        /// Source tablespace.
        src: Loc,
    },
    /// `XLOG_DBASE_CREATE_WAL_LOG` (15+ `CreateDirAndVersionFile`): make the directory only.
    CreateWalLog {
        /// Tablespace of the new directory.
        ts: Loc,
    },
    /// `XLOG_SMGR_CREATE` (`log_smgrcreate`): create an empty relation file.
    SmgrCreate {
        /// Tablespace.
        ts: Loc,
        /// Relation number.
        rel: u8,
    },
    /// `XLOG_FPI` / a record carrying a full-page image: sets the page whatever it was.
    Fpi {
        /// The image has `PD_ALL_VISIBLE` set (a copied all-visible page; an UPDATE clears it).
        #[serde(default)]
        all_visible: bool,
        /// Tablespace.
        ts: Loc,
        /// Relation number.
        rel: u8,
        /// Block number.
        blk: u8,
        /// Page version in the image.
        ver: u8,
    },
    /// A heap change without an image (e.g. `XLOG_HEAP_UPDATE` after the page's first change
    /// since the redo pointer): redo reads the page with `RBM_NORMAL`.
    HeapUpdate {
        /// Tablespace.
        ts: Loc,
        /// Relation number.
        rel: u8,
        /// Block number.
        blk: u8,
        /// Page version after the change.
        ver: u8,
    },
    /// `XLOG_HEAP2_VISIBLE` (`log_heap_visible`): marks a heap page all-visible. The heap page
    /// carries an image only when hint bits are WAL-logged (checksums / wal_log_hints, 9.3+)
    /// and it is the page's first change since the redo pointer; 9.2 never images it.
    Visible {
        /// Tablespace.
        ts: Loc,
        /// Relation number.
        rel: u8,
        /// Block number.
        blk: u8,
        /// The heap page image, if any (its version).
        heap_image: Option<u8>,
    },
    /// The `pg_database` heap update of `dattablespace` (global tablespace; always replays).
    CatalogUpdate {
        /// New `dattablespace` of `D`.
        ts: Loc,
    },
    /// dropdb's `heap_inplace_update` of `D`'s `pg_database` row (15.4+): `datconnlimit =
    /// DATCONNLIMIT_INVALID_DB`, non-transactional, flushed at once (`XLogFlush`).
    MarkInvalid,
    /// dropdb's `CatalogTupleDelete` of `D`'s `pg_database` row (visible at commit).
    CatalogDelete,
    /// `XLOG_DBASE_DROP` for `D`'s directory in `ts`.
    Drop {
        /// Tablespace whose directory of `D` is dropped.
        ts: Loc,
    },
    /// `XLOG_XACT_COMMIT` of the command's transaction. `force_sync` is
    /// `XACT_COMPLETION_FORCE_SYNC_COMMIT`: movedb, createdb and dropdb call `ForceSyncCommit()`
    /// (dbcommands.c), and its replay flushes (`xact_redo_commit` → `XLogFlush`), which on a
    /// standby raises `minRecoveryPoint` to the commit.
    Commit {
        /// The transaction called `ForceSyncCommit()`.
        force_sync: bool,
    },
    /// `XLOG_XACT_ABORT` of movedb's first transaction (after an ERROR).
    Abort,
    /// `XLOG_BACKUP_END` with the backup's start LSN as payload (`do_pg_stop_backup`).
    BackupEnd {
        /// The start LSN of the backup that ended.
        start: Lsn,
    },
}

impl Rec {
    /// Whether replaying the record changes a data page (a full-page image, an UPDATE, a
    /// VISIBLE): what a standby writes, and what raises its `minRecoveryPoint` when written.
    pub fn changes_page(&self) -> bool {
        match self {
            Rec::Fpi { .. } | Rec::HeapUpdate { .. } | Rec::Visible { .. } => true,
            Rec::Checkpoint { .. }
            | Rec::CreateFileCopy { .. }
            | Rec::CreateWalLog { .. }
            | Rec::SmgrCreate { .. }
            | Rec::CatalogUpdate { .. }
            | Rec::MarkInvalid
            | Rec::CatalogDelete
            | Rec::Drop { .. }
            | Rec::Commit { .. }
            | Rec::Abort
            | Rec::BackupEnd { .. } => false,
        }
    }
}

impl fmt::Display for Rec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rec::Checkpoint { redo } => write!(f, "CHECKPOINT_ONLINE redo {redo}"),
            Rec::CreateFileCopy { dst, src } => write!(
                f,
                "DBASE_CREATE(_FILE_COPY) copy {} -> {}",
                src.db_path(),
                dst.db_path()
            ),
            Rec::CreateWalLog { ts } => write!(f, "DBASE_CREATE_WAL_LOG {}", ts.db_path()),
            Rec::SmgrCreate { ts, rel } => write!(f, "SMGR_CREATE {}", ts.rel_path(*rel)),
            Rec::Fpi {
                ts,
                rel,
                blk,
                ver,
                all_visible,
            } => write!(
                f,
                "FPI {} blk {blk} (image v{ver}{})",
                ts.rel_path(*rel),
                if *all_visible { ", all-visible" } else { "" }
            ),
            Rec::HeapUpdate { ts, rel, blk, ver } => {
                write!(
                    f,
                    "HEAP_UPDATE {} blk {blk} -> v{ver} (no image)",
                    ts.rel_path(*rel)
                )
            }
            Rec::Visible {
                ts,
                rel,
                blk,
                heap_image,
            } => match heap_image {
                Some(v) => write!(
                    f,
                    "HEAP2_VISIBLE {} blk {blk} (heap image v{v})",
                    ts.rel_path(*rel)
                ),
                None => write!(
                    f,
                    "HEAP2_VISIBLE {} blk {blk} (no heap image)",
                    ts.rel_path(*rel)
                ),
            },
            Rec::CatalogUpdate { ts } => write!(f, "HEAP_UPDATE pg_database: dattablespace={ts}"),
            Rec::MarkInvalid => write!(
                f,
                "HEAP_INPLACE pg_database: datconnlimit=-2 (invalid) for database {}",
                super::fs::DB_OID
            ),
            Rec::CatalogDelete => write!(
                f,
                "HEAP_DELETE pg_database: row of database {}",
                super::fs::DB_OID
            ),
            Rec::Drop { ts } => write!(f, "DBASE_DROP {}", ts.db_path()),
            Rec::Commit { force_sync } => {
                write!(
                    f,
                    "COMMIT{}",
                    if *force_sync { " (forced sync)" } else { "" }
                )
            }
            Rec::Abort => write!(f, "ABORT"),
            Rec::BackupEnd { start } => write!(f, "BACKUP_END start {start}"),
        }
    }
}
