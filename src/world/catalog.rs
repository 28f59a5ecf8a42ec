//! `pg_database`'s row for database `D`, as one server (or one restored copy) sees it: its
//! tablespace, the 15.4+ "invalid" mark and whether it was deleted, with the uncommitted change
//! of the running transaction; and the two other catalog facts the relation-level commands
//! change: relation 0's `pg_class` row (its file, or dropped) and `T`'s `pg_tablespace` row. What a WAL record does to the row is written once, in
//! [`Catalog::redo`], and used by the primary's own ops, a standby's startup process and the
//! restore, so the three cannot disagree.

use super::fs::Loc;
use super::wal::Rec;
use std::fmt;

/// A transactional change to the row, visible at its transaction's commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Pending {
    /// movedb's `heap_update` of `dattablespace`.
    SetTablespace(Loc),
    /// dropdb's `CatalogTupleDelete` of the row.
    Delete,
    /// ALTER TABLE SET TABLESPACE's `pg_class` update: relation 0 to (tablespace, relfilenode).
    MoveRel(Loc, u8),
    /// DROP TABLE's delete of relation 0's `pg_class` row.
    DropRel,
    /// DROP TABLESPACE's delete of `T`'s `pg_tablespace` row.
    DropTablespace,
}

/// `D`'s row in `pg_database`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Catalog {
    /// `dattablespace`, as committed.
    pub ts: Loc,
    /// `datconnlimit = DATCONNLIMIT_INVALID_DB` (-2), set by dropdb's in-place update (15.4+):
    /// non-transactional, so it holds at once and survives an abort.
    pub invalid: bool,
    /// The row was deleted by a committed DROP DATABASE.
    pub dropped: bool,
    /// The running transaction's change, if any.
    pub pending: Option<Pending>,
    /// `pg_class` of `D`: relation 0's file, when it is not `(dattablespace, 0)` (moved by
    /// ALTER TABLE SET TABLESPACE, or created in `T`), as committed.
    pub rel: Option<(Loc, u8)>,
    /// Relation 0 was dropped by a committed DROP TABLE.
    pub rel_dropped: bool,
    /// `T`'s `pg_tablespace` row was deleted by a committed DROP TABLESPACE.
    pub ts_dropped: bool,
}

/// The committed state of the row, as a user would see it after a restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// No row: the database does not exist.
    Absent,
    /// The row, with its tablespace and whether it is marked invalid.
    Present {
        /// `dattablespace`.
        ts: Loc,
        /// `datconnlimit = -2`.
        invalid: bool,
    },
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Row::Absent => write!(f, "no database {}", super::fs::DB_OID),
            Row::Present { ts, invalid: false } => write!(f, "tablespace {ts}"),
            Row::Present { ts, invalid: true } => {
                write!(f, "tablespace {ts}, marked invalid (datconnlimit -2)")
            }
        }
    }
}

impl Catalog {
    /// A valid, committed row with `D` in `ts`.
    pub fn new(ts: Loc) -> Catalog {
        Catalog {
            ts,
            ..Catalog::default()
        }
    }

    /// The committed row.
    pub fn row(&self) -> Row {
        if self.dropped {
            Row::Absent
        } else {
            Row::Present {
                ts: self.ts,
                invalid: self.invalid,
            }
        }
    }

    /// The file of `D`'s relation `rel` (`pg_class.reltablespace`, `relfilenode`), `D` being in
    /// `db_ts`.
    pub fn locate(&self, db_ts: Loc, rel: u8) -> (Loc, u8) {
        match self.rel {
            Some(l) if rel == 0 => l,
            _ => (db_ts, rel),
        }
    }

    /// The committed `pg_class` and `pg_tablespace` facts, for comparing a restored copy.
    pub fn relations(&self) -> (Option<(Loc, u8)>, bool, bool) {
        (self.rel, self.rel_dropped, self.ts_dropped)
    }

    /// Whether a new session may connect to `D` (`InitPostgres`: the row exists and is not
    /// marked invalid).
    pub fn connectable(&self) -> bool {
        !self.dropped && !self.invalid
    }

    /// What `rec` does to the row, on the primary when it is logged and in redo when it is
    /// replayed: updates and deletes wait for the commit record, an abort drops them, the
    /// in-place invalid mark holds at once. Records that do not touch `pg_database` are ignored.
    pub fn redo(&mut self, rec: &Rec) {
        match *rec {
            Rec::CatalogUpdate { ts } => self.pending = Some(Pending::SetTablespace(ts)),
            Rec::CatalogDelete => self.pending = Some(Pending::Delete),
            Rec::ClassUpdate { ts, rel } => self.pending = Some(Pending::MoveRel(ts, rel)),
            Rec::ClassDelete => self.pending = Some(Pending::DropRel),
            Rec::TablespaceDelete => self.pending = Some(Pending::DropTablespace),
            Rec::MarkInvalid => self.invalid = true,
            Rec::Commit { .. } => match self.pending.take() {
                Some(Pending::SetTablespace(ts)) => self.ts = ts,
                Some(Pending::Delete) => self.dropped = true,
                Some(Pending::MoveRel(ts, rel)) => self.rel = Some((ts, rel)),
                Some(Pending::DropRel) => self.rel_dropped = true,
                Some(Pending::DropTablespace) => self.ts_dropped = true,
                None => {}
            },
            Rec::Abort => self.pending = None,
            Rec::Checkpoint { .. }
            | Rec::CreateFileCopy { .. }
            | Rec::CreateWalLog { .. }
            | Rec::SmgrCreate { .. }
            | Rec::Fpi { .. }
            | Rec::HeapUpdate { .. }
            | Rec::Visible { .. }
            | Rec::Drop { .. }
            | Rec::NewPages { .. }
            | Rec::TblspcDrop
            | Rec::BackupEnd { .. } => {}
        }
    }
}
