//! The write-ahead log: the record kinds of docs/simplifications.md and their display in PostgreSQL's
//! terms (`pg_waldump`-like).

use super::fs::{Loc, Lsn, RelFile, USER_TS_OID};
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
    /// standby raises `minRecoveryPoint` to the commit. `drop` is the relation file the
    /// transaction dropped (`xl_xact_relfilenodes`, from `smgrGetPendingDeletes`): its replay
    /// flushes too, then unlinks the file (`DropRelationFiles`) and forgets its invalid pages.
    Commit {
        /// The transaction called `ForceSyncCommit()`.
        force_sync: bool,
        /// The relation file the commit drops (`RelationDropStorage`'s pending delete).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drop: Option<(Loc, u8)>,
    },
    /// `XLOG_FPI` written by `log_newpage` (one page, 14-16 `RelationCopyStorage`) or
    /// `log_newpages` (up to 32 pages in one record, 17+ `smgr_bulk_flush`): images of pages a
    /// bulk copy writes with `smgrextend` *after* the record, outside shared buffers.
    NewPages {
        /// Tablespace of the new file.
        ts: Loc,
        /// Its relation number.
        rel: u8,
        /// Block number of the first image.
        first: u8,
        /// The images, blocks `first..`.
        pages: RelFile,
    },
    /// The `pg_class` heap update of ALTER TABLE SET TABLESPACE: relation 0 of `D` now has
    /// relfilenode `rel` in `ts` (visible at commit).
    ClassUpdate {
        /// New tablespace.
        ts: Loc,
        /// New relation number (relfilenode).
        rel: u8,
    },
    /// DROP TABLE's `CatalogTupleDelete` of relation 0's `pg_class` row (visible at commit).
    ClassDelete,
    /// DROP TABLESPACE's `CatalogTupleDelete` of `T`'s `pg_tablespace` row (visible at commit).
    TablespaceDelete,
    /// `XLOG_TBLSPC_DROP` (`DropTableSpace`, after `destroy_tablespace_directories`).
    TblspcDrop,
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
            Rec::Fpi { .. }
            | Rec::HeapUpdate { .. }
            | Rec::Visible { .. }
            | Rec::NewPages { .. } => true,
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
            | Rec::ClassUpdate { .. }
            | Rec::ClassDelete
            | Rec::TablespaceDelete
            | Rec::TblspcDrop
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
            Rec::Commit { force_sync, drop } => {
                write!(
                    f,
                    "COMMIT{}",
                    if *force_sync { " (forced sync)" } else { "" }
                )?;
                match drop {
                    Some((ts, rel)) => write!(f, "; rels: {}", ts.rel_path(*rel)),
                    None => Ok(()),
                }
            }
            Rec::NewPages {
                ts,
                rel,
                first,
                pages,
            } => {
                let last = usize::from(*first) + pages.len().saturating_sub(1);
                let vers: Vec<String> = pages.iter().map(|p| format!("v{}", p.ver)).collect();
                write!(
                    f,
                    "FPI (log_newpage{}) {} blk {first}{} (images {})",
                    if pages.len() > 1 { "s" } else { "" },
                    ts.rel_path(*rel),
                    if pages.len() > 1 {
                        format!("..{last}")
                    } else {
                        String::new()
                    },
                    vers.join(", ")
                )
            }
            Rec::ClassUpdate { ts, rel } => write!(
                f,
                "HEAP_UPDATE pg_class: relation 0 of database {} -> {}",
                super::fs::DB_OID,
                ts.rel_path(*rel)
            ),
            Rec::ClassDelete => write!(
                f,
                "HEAP_DELETE pg_class: relation 0 of database {}",
                super::fs::DB_OID
            ),
            Rec::TablespaceDelete => {
                write!(f, "HEAP_DELETE pg_tablespace: tablespace {USER_TS_OID}")
            }
            Rec::TblspcDrop => write!(f, "TBLSPC_DROP {USER_TS_OID}"),
            Rec::Abort => write!(f, "ABORT"),
            Rec::BackupEnd { start } => write!(f, "BACKUP_END start {start}"),
        }
    }
}
