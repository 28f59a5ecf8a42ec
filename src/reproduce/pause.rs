//! Where the command's backend is held on a real server: the pause points (gdb breakpoints at
//! function entries the `postgres` binary exports, each the start of one of the model's ops),
//! and the pause point that stands for the model's command after a step, rounding up the ops a
//! real server cannot be held before (and saying so).

use crate::scenario::{Op, Scenario};
use crate::world::{PgVersion, World};

/// Where the command's backend (ALTER DATABASE's, CREATE DATABASE's or DROP DATABASE's) is held: before the
/// statement, at the entry of a function the stripped `postgres` binary exports (the op the
/// model runs next there), or after the statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hold {
    /// The statement has not been sent.
    NotStarted,
    /// Held at the entry of the function that runs the command's op number `pc` (see
    /// [`breakpoint`]).
    Before {
        /// Index of the op in the command's program.
        pc: usize,
    },
    /// The statement has returned.
    Done,
}

/// The gdb breakpoints (function entries, with a condition on the arguments, read from the
/// x86-64 argument registers) of which the first hit stops the backend where `op` begins, if
/// the real server of version `pg` can be held there. Every function named is in the dynamic
/// symbol table of Debian's stripped `postgres` binary (and of the unstripped npm builds).
pub fn breakpoint(op: &Op, pg: PgVersion) -> Option<&'static [&'static str]> {
    Some(match op {
        Op::RequestCheckpoint { .. } => &["*RequestCheckpoint"],
        Op::Copydir { .. } => &["*copydir"],
        // XLogInsert(rmid, info): RM_DBASE_ID is 4; the record type is info & 0xF0
        // (XLOG_DBASE_CREATE[_FILE_COPY] 0x00; XLOG_DBASE_DROP 0x10 in 14, 0x20 from 15, when
        // CREATE_WAL_LOG took 0x10; XLR_SPECIAL_REL_UPDATE is or-ed in).
        Op::LogCreateFileCopy { .. } => &["*XLogInsert if $rdi == 4 && ($rsi & 0xf0) == 0x00"],
        Op::LogDrop { .. } if pg == PgVersion::V14 => {
            &["*XLogInsert if $rdi == 4 && ($rsi & 0xf0) == 0x10"]
        }
        Op::LogDrop { .. } => &["*XLogInsert if $rdi == 4 && ($rsi & 0xf0) == 0x20"],
        Op::UpdateCatalog { .. } => &["*heap_update"],
        // CREATE DATABASE ... STRATEGY WAL_LOG (15+): CreateDirAndVersionFile is static; its
        // mkdir (MakePGDirectory) comes first, before PG_VERSION and the create record. Then
        // RelationMapCopy, and each relation's CreateAndCopyRelationData (bufmgr.c).
        Op::LogCreateWalLog { .. } if pg >= PgVersion::V15 => &["*MakePGDirectory"],
        Op::CopyRelationsLogged { .. } if pg >= PgVersion::V15 => &["*CreateAndCopyRelationData"],
        // The invalid mark: heap_inplace_update up to 15.8, systable_inplace_update_begin
        // from 15.9 (the in-place update rework).
        Op::MarkDatabaseInvalid => &["*systable_inplace_update_begin", "*heap_inplace_update"],
        Op::Commit { .. } => &["*CommitTransactionCommand"],
        // ALTER TABLE SET TABLESPACE (docs/reproduce.md): RelationCreateStorage, then per
        // batch the images' record (log_newpage one page, 14-16; log_newpages from
        // smgr_bulk_flush, 17+) and smgrextend of each page; then the pg_class update.
        Op::CreateStorage { .. } => &["*RelationCreateStorage"],
        Op::LogNewPages { n: 1, .. } if pg < PgVersion::V17 => &["*log_newpage"],
        Op::LogNewPages { .. } if pg >= PgVersion::V17 => &["*log_newpages"],
        Op::WritePage { .. } => &["*smgrextend"],
        Op::UpdateClass { .. } => &["*heap_update"],
        // DROP TABLE then DROP TABLESPACE: the UPDATE before them, the pg_class delete, the
        // pg_tablespace delete (DropTableSpace's entry), destroy_tablespace_directories' (static)
        // rmdir and unlink under pg_tblspc, then XLogInsert(RM_TBLSPC_ID = 5,
        // XLOG_TBLSPC_DROP = 0x10).
        Op::Update { .. } => &["*heap_update"],
        Op::DeleteClassRow => &["*heap_drop_with_catalog"],
        Op::DeleteTablespaceRow => &["*DropTableSpace"],
        Op::RmdirDatabaseDirs | Op::RmdirVersionDir => {
            &["rmdir if $_memeq((char *) $rdi, \"pg_tblspc/\", 10)"]
        }
        Op::RemoveTablespaceLink => &["unlink if $_memeq((char *) $rdi, \"pg_tblspc/\", 10)"],
        Op::LogTblspcDrop => &["*XLogInsert if $rdi == 5 && ($rsi & 0xf0) == 0x10"],
        Op::Rmtree { .. } => &["*rmtree"],
        Op::Checkpointer
        | Op::Lock { .. }
        | Op::Unlock { .. }
        | Op::RefuseDuringBackup { .. }
        | Op::WaitCheckpoint
        | Op::DropDatabaseBuffers
        | Op::TargetCheck { .. }
        | Op::LogCreateWalLog { .. }
        | Op::CopyRelationsLogged { .. }
        | Op::DeleteCatalogRow
        | Op::ErrorBeforeCommit { .. }
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
        | Op::FlushBuffer { .. }
        | Op::Disconnect
        | Op::FlushRelationBuffers { .. }
        | Op::LogNewPages { .. }
        | Op::TablespaceEmpty { .. }
        | Op::SmgrReleaseBarrier
        | Op::SendLinks
        | Op::TablespaceMap
        | Op::Crash { .. } => return None,
    })
}

/// Ops with no effect another process or the restore can see before the next pause point
/// (locks taken at the start are the exception: see [`place`]).
fn rounds_up(op: &Op) -> bool {
    matches!(
        op,
        Op::WaitCheckpoint
            | Op::DropDatabaseBuffers
            | Op::TargetCheck { .. }
            | Op::DeleteCatalogRow
            | Op::Unlock { .. }
            | Op::FlushRelationBuffers { .. }
            | Op::TablespaceEmpty { .. }
            | Op::SmgrReleaseBarrier
    )
}

/// The command's pause point once it has taken the steps the model says (`w` after the step).
pub(super) fn place(sc: &Scenario, w: &World) -> (Hold, Option<&'static str>) {
    let cmd = crate::scenario::pid::COMMAND;
    let prog = &sc.procs[usize::from(cmd)].program;
    let st = &w.procs[usize::from(cmd)];
    if sc.finished(w, cmd) {
        return (Hold::Done, None);
    }
    let mut pc = usize::from(st.pc);
    let mut note = None;
    // Inside a multi-step op (copydir, rmtree): the real function cannot be held between two
    // files; it finishes first.
    if st.cursor.is_some() {
        pc += 1;
        note = Some(match prog.get(pc - 1) {
            Some(Op::Rmtree { .. }) => {
                "rmtree cannot be held between its unlinks: it finishes first"
            }
            Some(Op::CopyRelationsLogged { .. }) => {
                "the WAL-logged copy is not held between relations: every relation is copied first"
            }
            _ => "copydir cannot be held between two files: it finishes first",
        });
    }
    // Ops with no visible effect: held at the next pause point.
    while let Some(op) = prog.get(pc)
        && breakpoint(op, sc.model.pg).is_none()
        && rounds_up(op)
    {
        pc += 1;
    }
    match prog.get(pc) {
        None => (Hold::Done, note),
        Some(op) if breakpoint(op, sc.model.pg).is_some() => (Hold::Before { pc }, note),
        // Locks at the start: the statement is not sent yet (it takes them when it is).
        Some(_) => {
            let earlier = (0..pc)
                .rev()
                .find(|&i| breakpoint(&prog[i], sc.model.pg).is_some());
            (
                earlier.map_or(Hold::NotStarted, |i| Hold::Before { pc: i }),
                Some("the locks are taken when the statement runs to its next pause point"),
            )
        }
    }
}

/// Where `do_pg_backup_start` reads `pg_tblspc` to build `tablespace_map`, after its checkpoint.
pub(super) const TABLESPACE_MAP_READ: &str = "AllocateDir if $_streq((char *) $rdi, \"pg_tblspc\")";

/// Wait (at most 120 s) until the process under `g` stops at its breakpoint.
pub(super) fn wait_stop(
    g: &mut super::server::Gdb,
    step: usize,
    what: &str,
) -> Result<(), super::server::RunError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        match g.poll_stop(std::time::Duration::from_millis(200))? {
            Some(true) => return Ok(()),
            Some(false) => {
                return Err(super::server::failed(format!(
                    "step {step}: {what}: the backend stopped without reaching its breakpoint"
                )));
            }
            None if std::time::Instant::now() > deadline => {
                return Err(super::server::failed(format!(
                    "step {step}: {what}: not reached in 120 s"
                )));
            }
            None => {}
        }
    }
}
