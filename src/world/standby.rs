//! A streaming standby of the primary: its startup process's redo state, replay position,
//! `lastCheckPoint`, restartpoint and `minRecoveryPoint` (docs/postgresql.md, "Backups from a
//! standby"). What the startup process and a backup on the standby do is `startup.rs`.

use super::catalog::Catalog;
use super::fs::{Fs, Lsn};
use super::redo::Redo;

/// A streaming standby of the primary, on which a base backup can be taken. Its startup process
/// replays the primary's WAL into the standby's own files. The standby has no buffer pool in the
/// model: replayed pages are written at once.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Standby {
    /// The startup process's redo state: the standby's files and `pg_database`, consistent
    /// (an invalid page PANICs at once), the cursor of a multi-step record.
    pub redo: Redo,
    /// Replay position: the LSN of the next record to replay (every record below is applied).
    pub replayed: Lsn,
    /// Redo pointer of the last checkpoint record replayed (`RecoveryRestartPoint` →
    /// `XLogCtl->lastCheckPoint`).
    pub last_ckpt_redo: Lsn,
    /// End of that checkpoint record (`lastCheckPointEndPtr`).
    pub last_ckpt_end: Lsn,
    /// `ControlFile->checkPointCopy.redo`: the last restartpoint.
    pub restart_redo: Lsn,
    /// `ControlFile->minRecoveryPoint`: raised when a replayed page reaches disk, at the end of
    /// a restartpoint and when a forced-sync commit is replayed (`UpdateMinRecoveryPoint`).
    pub min_recovery_point: Lsn,
    /// A restartpoint in progress (`CreateRestartPoint`): the replayed checkpoint it adopts
    /// (redo, end of record).
    pub restartpoint: Option<(Lsn, Lsn)>,
    /// The startup process died (PANIC/FATAL): the standby is down.
    pub died: Option<String>,
}

impl Standby {
    /// A standby that has replayed the WAL up to `replayed`, with files `fs` and `pg_database`
    /// as `catalog`.
    pub fn new(fs: Fs, catalog: Catalog, replayed: Lsn) -> Standby {
        Standby {
            redo: Redo::new(fs, catalog, true),
            replayed,
            last_ckpt_end: replayed,
            min_recovery_point: replayed,
            ..Standby::default()
        }
    }
}
