//! The base backup's shared state: `runningBackups`, start and end points, the walk's stage, the
//! copy being built (docs/postgresql.md, "The base backup"). What the walsender does with it is
//! `walk.rs`.

use super::catalog::Catalog;
use super::fs::{Fs, Lsn, Names};
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
        names: Names,
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
    /// A tar-format backup on the primary between its start checkpoint and its read of
    /// `pg_tblspc` for `tablespace_map` (`do_pg_backup_start` checks for no interrupt there, so
    /// it absorbs no ProcSignalBarrier).
    pub map_pending: bool,
}
