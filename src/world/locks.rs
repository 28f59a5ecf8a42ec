//! The heavyweight lock table: `pg_database` and the database object `D`, with PostgreSQL's
//! conflict table (`LockConflicts[]`, lock.c; docs/postgresql.md, "Locks").

use serde::{Deserialize, Serialize};
use std::fmt;

/// Index of a process in the World (0 = checkpointer, then the scenario's processes).
pub type ProcId = u8;

/// A lockable object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockObj {
    /// The `pg_database` relation (`DatabaseRelationId`).
    PgDatabase,
    /// The shared object "database `D`" (`LockSharedObject(DatabaseRelationId, D, 0, ...)`).
    Database,
    /// `pg_database` in the standby's own lock table (a different server: never conflicts with
    /// the primary's locks). Fix (1)'s standby part: a standby backup and the standby's startup
    /// process replaying database records lock it.
    StandbyPgDatabase,
    /// Relation 0 of `D` (`LockRelationOid`): ALTER TABLE and DROP TABLE take
    /// AccessExclusiveLock, an UPDATE or VACUUM of it a weaker lock that conflicts with it.
    Relation,
}

/// Lock modes (lockdefs.h), the ones the model uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockMode {
    /// `AccessShareLock` (1).
    AccessShare,
    /// `RowExclusiveLock` (3).
    RowExclusive,
    /// `ShareLock` (5).
    Share,
    /// `AccessExclusiveLock` (8).
    AccessExclusive,
}

impl LockMode {
    /// PostgreSQL's `LockConflicts[]` restricted to these modes.
    pub fn conflicts(self, other: LockMode) -> bool {
        use LockMode::*;
        matches!(
            (self, other),
            (AccessExclusive, _)
                | (_, AccessExclusive)
                | (RowExclusive, Share)
                | (Share, RowExclusive)
        )
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            LockMode::AccessShare => "AccessShareLock",
            LockMode::RowExclusive => "RowExclusiveLock",
            LockMode::Share => "ShareLock",
            LockMode::AccessExclusive => "AccessExclusiveLock",
        };
        f.write_str(s)
    }
}

impl fmt::Display for LockObj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockObj::PgDatabase => f.write_str("pg_database"),
            LockObj::Database => write!(f, "database {}", super::fs::DB_OID),
            LockObj::StandbyPgDatabase => f.write_str("pg_database on the standby"),
            LockObj::Relation => write!(f, "relation {}", super::fs::REL_OID_BASE),
        }
    }
}

/// Transaction-scope or session-scope hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Released at commit/abort.
    Xact,
    /// Released explicitly (`UnlockSharedObjectForSession`, disconnect).
    Session,
}

/// One granted lock.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Hold {
    /// Holder.
    pub proc: ProcId,
    /// Object.
    pub obj: LockObj,
    /// Mode.
    pub mode: LockMode,
    /// Scope.
    pub scope: Scope,
}

/// The lock table: granted holds, kept sorted so that equal tables hash equally.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct LockTable {
    pub(super) holds: smallvec::SmallVec<[Hold; 8]>,
}

impl LockTable {
    /// Whether `proc` could be granted `mode` on `obj` now: no other process holds a conflicting
    /// mode (a process's own holds never conflict with each other).
    pub fn can_grant(&self, proc: ProcId, obj: LockObj, mode: LockMode) -> bool {
        self.holds
            .iter()
            .all(|h| h.obj != obj || h.proc == proc || !h.mode.conflicts(mode))
    }
    /// The first hold that blocks `proc` from `mode` on `obj`, for messages.
    pub fn blocker(&self, proc: ProcId, obj: LockObj, mode: LockMode) -> Option<Hold> {
        self.holds
            .iter()
            .copied()
            .find(|h| h.obj == obj && h.proc != proc && h.mode.conflicts(mode))
    }
    /// Grant (caller checked [`LockTable::can_grant`]).
    pub fn grant(&mut self, hold: Hold) {
        self.holds.push(hold);
        self.holds.sort();
    }
    /// Release `proc`'s holds on `obj` of the given scope.
    pub fn release(&mut self, proc: ProcId, obj: LockObj, scope: Scope) {
        self.holds
            .retain(|h| !(h.proc == proc && h.obj == obj && h.scope == scope));
    }
    /// Release every transaction-scope hold of `proc` (commit/abort).
    pub fn release_xact(&mut self, proc: ProcId) {
        self.holds
            .retain(|h| !(h.proc == proc && h.scope == Scope::Xact));
    }
    /// Release everything `proc` holds (process exit).
    pub fn release_all(&mut self, proc: ProcId) {
        self.holds.retain(|h| h.proc != proc);
    }
    /// All holds, sorted.
    pub fn holds(&self) -> &[Hold] {
        &self.holds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_table_matches_lock_c() {
        use LockMode::*;
        assert!(RowExclusive.conflicts(Share));
        assert!(!RowExclusive.conflicts(RowExclusive));
        assert!(!Share.conflicts(Share));
        assert!(AccessExclusive.conflicts(AccessShare));
        assert!(!AccessShare.conflicts(Share));
    }

    #[test]
    fn own_holds_do_not_conflict() {
        let mut t = LockTable::default();
        t.grant(Hold {
            proc: 1,
            obj: LockObj::Database,
            mode: LockMode::AccessExclusive,
            scope: Scope::Xact,
        });
        assert!(t.can_grant(1, LockObj::Database, LockMode::AccessExclusive));
        assert!(!t.can_grant(2, LockObj::Database, LockMode::RowExclusive));
        t.release_xact(1);
        assert!(t.can_grant(2, LockObj::Database, LockMode::RowExclusive));
    }
}
