//! Op sequences more than one command's program shares: the checkpoints around a copy, the
//! locks a database command takes first, the flag check of the candidate fixes.

use crate::scenario::knobs::Refuse;
use crate::scenario::model::Model;
use crate::scenario::ops::Op;
use crate::world::{LockMode, LockObj, PgVersion, Scope, ckpt_flags as cf};

/// movedb's and createdb's first checkpoint: `RequestCheckpoint(IMMEDIATE|FORCE|WAIT|FLUSH_ALL)`
/// (no FLUSH_ALL in 9.2), then the wait.
pub(super) fn first_checkpoint(m: &Model) -> [Op; 2] {
    let flush_all = if m.pg == PgVersion::V92 {
        0
    } else {
        cf::FLUSH_ALL
    };
    [
        Op::RequestCheckpoint {
            flags: cf::IMMEDIATE | cf::FORCE | cf::WAIT | flush_all,
        },
        Op::WaitCheckpoint,
    ]
}

/// A checkpoint the command waits for: `RequestCheckpoint(IMMEDIATE|FORCE|WAIT)`, then the wait
/// (after movedb's and createdb's create record; dropdb's before its removal).
pub(super) fn checkpoint() -> [Op; 2] {
    [
        Op::RequestCheckpoint {
            flags: cf::IMMEDIATE | cf::FORCE | cf::WAIT,
        },
        Op::WaitCheckpoint,
    ]
}

/// What movedb and dropdb take first: `table_open(pg_database, RowExclusiveLock)` until commit,
/// then `LockSharedObject(D, AccessExclusiveLock)` for the transaction (`get_db_info`).
pub(super) fn database_command_locks() -> [Op; 2] {
    [
        Op::Lock {
            obj: LockObj::PgDatabase,
            mode: LockMode::RowExclusive,
            scope: Scope::Xact,
        },
        Op::Lock {
            obj: LockObj::Database,
            mode: LockMode::AccessExclusive,
            scope: Scope::Xact,
        },
    ]
}

/// The flag check of fix 1 (movedb) or of candidate fix (c) (dropdb), if the knob asks for it.
pub(super) fn refuse_during_backup(r: Refuse) -> Option<Op> {
    match r {
        Refuse::Never => None,
        Refuse::Exclusive => Some(Op::RefuseDuringBackup {
            exclusive_only: true,
        }),
        Refuse::Any => Some(Op::RefuseDuringBackup {
            exclusive_only: false,
        }),
    }
}
