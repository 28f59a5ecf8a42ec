//! What each place of a program may still touch ([`Ahead`]): the footprint bounds of the op
//! there and every op after it, computed once per scenario, split in the parts the state can
//! narrow. The partial-order reduction (`reduction.rs`) reads it.

use super::ops::{Op, res, res::Footprint};
use crate::world::Loc;

/// What a process may still touch from a place in its program: the union of
/// [`Op::footprint_bound`] over the op there and every op after it, and the same split in parts
/// that the state can narrow: the ops that touch only their own database, and an `rmtree`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ahead {
    /// Resources the rest of the program may touch.
    pub footprint: Footprint,
    /// The rest of the program requests a checkpoint (`RequestCheckpoint`, a backup start).
    pub requests_checkpoint: bool,
    /// The rest of the program connects (`Connect` sets the process's `db_ts`).
    pub connects: bool,
    /// [`Ahead::footprint`] without the directories of the ops that touch only their own
    /// database ([`Op::touches_own_database`]: [`Ahead::own_db`]) and without those of
    /// [`Ahead::rmtree`].
    pub fixed: Footprint,
    /// The rest of the program has an op that touches its own database's directory.
    pub touches_own_db: bool,
    /// What those ops touch of their database's directory, were it in `base/` (index 0) or in
    /// `pg_tblspc/` (index 1): the files of the pages they read or dirty, and the directory
    /// if one writes a buffer (`FlushBuffer` may create the file).
    pub own_db: [Footprint; 2],
    /// The directory the nearest `rmtree` ahead removes (its tablespace's group is in
    /// [`Ahead::fixed`] only if another op there names it).
    pub rmtree: Option<Loc>,
}

/// For each program, [`Ahead`] from each of its ops (computed once per scenario). `relocates`:
/// the scenario's relation 0 may live elsewhere than its database's directory.
pub fn ahead(program: &[Op], relocates: bool) -> Vec<Ahead> {
    let mut out = vec![Ahead::default(); program.len()];
    let mut acc = Ahead::default();
    for (i, op) in program.iter().enumerate().rev() {
        let bound = op.footprint_bound(i + 1 == program.len());
        acc.footprint |= bound;
        acc.requests_checkpoint |=
            matches!(op, Op::RequestCheckpoint { .. } | Op::StartBackup { .. });
        acc.connects |= matches!(op, Op::Connect);
        if op.touches_own_database() {
            acc.fixed |= bound & !(res::FS_BASE | res::FS_USER);
            acc.touches_own_db = true;
            for (k, ts) in [Loc::Base, Loc::User].into_iter().enumerate() {
                acc.own_db[k] |= match *op {
                    Op::Visible { rel, .. } | Op::Update { rel, .. } => res::file(ts, rel),
                    Op::FlushBuffer { rel, .. } => res::dir(ts) | res::file(ts, rel),
                    Op::Checkpointer
                    | Op::Lock { .. }
                    | Op::Unlock { .. }
                    | Op::RefuseDuringBackup { .. }
                    | Op::RequestCheckpoint { .. }
                    | Op::WaitCheckpoint
                    | Op::DropDatabaseBuffers
                    | Op::TargetCheck { .. }
                    | Op::Copydir { .. }
                    | Op::LogCreateFileCopy { .. }
                    | Op::LogCreateWalLog { .. }
                    | Op::CopyRelationsLogged { .. }
                    | Op::MarkDatabaseInvalid
                    | Op::DeleteCatalogRow
                    | Op::UpdateCatalog { .. }
                    | Op::ErrorBeforeCommit { .. }
                    | Op::Commit { .. }
                    | Op::Rmtree { .. }
                    | Op::LogDrop { .. }
                    | Op::StartBackup { .. }
                    | Op::WaitStartCheckpoint
                    | Op::SendTablespace { .. }
                    | Op::StopBackup
                    | Op::StartBackupOnStandby
                    | Op::WaitRestartpoint
                    | Op::StopBackupOnStandby
                    | Op::StartupRedo { .. }
                    | Op::Connect
                    | Op::Disconnect
                    | Op::FlushRelationBuffers { .. }
                    | Op::CreateStorage { .. }
                    | Op::LogNewPages { .. }
                    | Op::WritePage { .. }
                    | Op::UpdateClass { .. }
                    | Op::DeleteClassRow
                    | Op::DeleteTablespaceRow
                    | Op::TablespaceEmpty { .. }
                    | Op::SmgrReleaseBarrier
                    | Op::RmdirDatabaseDirs
                    | Op::RmdirVersionDir
                    | Op::RemoveTablespaceLink
                    | Op::LogTblspcDrop
                    | Op::SendLinks
                    | Op::TablespaceMap
                    | Op::Crash { .. } => res::fs(ts),
                };
                // Relation 0 may be in another tablespace, under another relfilenode, than
                // its database (`ProcState::rel_file`): both groups whole.
                if relocates {
                    acc.own_db[k] |= res::FS_BASE | res::FS_USER;
                }
            }
        } else if let Op::Rmtree { src } = *op {
            // A farther rmtree (of another directory) counts whole.
            if let Some(far) = acc.rmtree.replace(src) {
                acc.fixed |= res::fs(far);
            }
            acc.fixed |= bound & !res::fs(src);
        } else {
            acc.fixed |= bound;
        }
        out[i] = acc;
    }
    out
}
