//! What the relation- and tablespace-level ops do when their process steps (ALTER TABLE SET
//! TABLESPACE's copy, DROP TABLE's and DROP TABLESPACE's catalog changes and removals, the
//! backup's view of `pg_tblspc`): the step's effect through the mechanics of `world/relcopy.rs`
//! and `world/tablespace.rs`, and its event in PostgreSQL's terms. `apply.rs` hands them here.

use super::Scenario;
use super::ops::Op;
use crate::world::relcopy::{self, CopyFiles};
use crate::world::{ProcId, Rec, World, ev, tablespace};

/// How the process's place in its program moves after the step.
pub(super) enum Next {
    /// To the next op.
    Advance,
    /// Past the next `n` ops as well.
    Skip(u8),
    /// The process raised an ERROR and ended.
    Failed,
}

/// One step of a relation- or tablespace-level op.
pub(super) fn apply(
    op: &Op,
    sc: &Scenario,
    w: &mut World,
    p: ProcId,
    e: &mut Option<&mut String>,
) -> Next {
    match *op {
        Op::FlushRelationBuffers { ts, rel } => {
            let n = w.flush_relation_buffers(ts, rel);
            ev!(
                e,
                "FlushRelationBuffers(\"{}\"): {n} dirty buffer(s) written",
                ts.rel_path(rel)
            );
        }
        Op::CreateStorage { ts, rel } => {
            let lsn = w.create_storage(ts, rel);
            ev!(
                e,
                "RelationCreateStorage: TablespaceCreateDbspace, smgrcreate(\"{}\"); WAL {lsn}: {}",
                ts.rel_path(rel),
                w.wal[lsn as usize]
            );
        }
        Op::LogNewPages {
            src,
            dst,
            first,
            n,
            delay,
        } => {
            let lsn = relcopy::log_new_pages(w, p, CopyFiles { src, dst }, (first, n), delay);
            ev!(
                e,
                "{}WAL {lsn}: {}",
                if delay { "DELAY_CHKPT_START; " } else { "" },
                w.wal[lsn as usize]
            );
        }
        Op::WritePage {
            src,
            dst,
            blk,
            after,
        } => {
            let page = relcopy::write_page(w, p, CopyFiles { src, dst }, blk, after);
            ev!(
                e,
                "smgrextend(\"{}\", blk {blk}) (v{}){}",
                dst.0.rel_path(dst.1),
                page.ver,
                if after.delay {
                    "; DELAY_CHKPT_START cleared"
                } else {
                    ""
                }
            );
        }
        Op::UpdateClass { ts, rel } => log(w, Rec::ClassUpdate { ts, rel }, e),
        Op::DeleteClassRow => log(w, Rec::ClassDelete, e),
        Op::DeleteTablespaceRow => log(w, Rec::TablespaceDelete, e),
        Op::TablespaceEmpty { retry, skip } => {
            let empty = tablespace::dirs_empty(&w.fs);
            match (empty, retry) {
                (true, false) => {
                    ev!(
                        e,
                        "destroy_tablespace_directories: every database directory is empty"
                    );
                    // The checkpoint request, its wait (the barrier) and the retry are not
                    // needed.
                    return Next::Skip(skip);
                }
                (false, false) => ev!(
                    e,
                    "destroy_tablespace_directories: a database directory is not empty (a tombstone?): RequestCheckpoint and retry"
                ),
                (true, true) => ev!(e, "destroy_tablespace_directories (retry): empty"),
                (false, true) => {
                    ev!(
                        e,
                        "ERROR: tablespace \"t\" is not empty; transaction aborted"
                    );
                    let lsn = w.log(Rec::Abort);
                    ev!(e, "; WAL {lsn}: ABORT");
                    w.fail(p);
                    return Next::Failed;
                }
            }
        }
        Op::SmgrReleaseBarrier => ev!(
            e,
            "WaitForProcSignalBarrier(SMGRRELEASE): every backend has absorbed it"
        ),
        Op::RmdirDatabaseDirs => {
            let n = tablespace::rmdir_database_dirs(&mut w.fs);
            ev!(
                e,
                "rmdir of {n} database director{} under {}/PG_*",
                if n == 1 { "y" } else { "ies" },
                tablespace::link_path()
            );
        }
        Op::RmdirVersionDir => {
            tablespace::rmdir_version_dir(&mut w.fs);
            ev!(e, "rmdir(\"{}/PG_*\")", tablespace::link_path());
        }
        Op::RemoveTablespaceLink => {
            tablespace::remove_link(&mut w.fs);
            w.ghost.update(|g| g.link_gone = true);
            ev!(e, "unlink(\"{}\")", tablespace::link_path());
        }
        Op::LogTblspcDrop => {
            let lsn = w.log(Rec::TblspcDrop);
            w.ghost.update(|g| g.tblspc_drop_lsn = Some(lsn));
            ev!(e, "WAL {lsn}: {}", w.wal[lsn as usize]);
        }
        Op::SendLinks => {
            let l = tablespace::walked_link(w.walked_fs().link);
            w.backup.update(|b| b.copy.link = l);
            ev!(
                e,
                "sendDir(\"pg_tblspc\"): \"{}\" is {l}{}",
                tablespace::link_path(),
                if l == crate::world::Link::Absent {
                    ": nothing sent"
                } else {
                    ""
                }
            );
        }
        Op::TablespaceMap => {
            w.backup.map_pending = false;
            let l = tablespace::walked_link(w.walked_fs().link);
            w.backup.update(|b| b.copy.link = l);
            ev!(e, "tablespace_map: \"{}\" is {l}", tablespace::link_path());
        }
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
        | Op::Visible { .. }
        | Op::Update { .. }
        | Op::FlushBuffer { .. }
        | Op::Disconnect
        | Op::Crash { .. } => {
            let _ = sc;
            unreachable!("apply.rs handles {}", op.name())
        }
    }
    Next::Advance
}

fn log(w: &mut World, rec: Rec, e: &mut Option<&mut String>) {
    let lsn = w.log(rec);
    ev!(e, "WAL {lsn}: {}", w.wal[lsn as usize]);
}
