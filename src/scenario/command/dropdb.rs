//! `DROP DATABASE d` (`dropdb()`, commands/dbcommands.c; docs/postgresql.md, "dropdb"): the
//! invalid mark (15.4+), the catalog row deleted, a checkpoint, `rmtree` of the directory, and
//! only then the DROP record. The ordinary backend's actions run before the drop (the drop waits
//! for its session to end). Knobs: `[dropdb]` (DROP record first; refuse during a backup).

use super::def::{CommandDef, End, Milestone};
use super::steps;
use crate::scenario::knobs::{DropRecord, DropdbKnobs};
use crate::scenario::model::{KnobError, Model};
use crate::scenario::ops::Op;
use crate::world::{Loc, PgVersion};

/// DROP DATABASE.
pub(super) struct Dropdb;

impl CommandDef for Dropdb {
    fn name(&self) -> &'static str {
        "dropdb"
    }
    fn sql_name(&self) -> &'static str {
        "DROP DATABASE"
    }
    fn statement(&self, _m: &Model) -> String {
        "DROP DATABASE d".into()
    }
    fn section_set(&self, m: &Model) -> bool {
        m.dropdb != DropdbKnobs::default()
    }
    fn validate(&self, _m: &Model) -> Result<(), KnobError> {
        Ok(())
    }
    fn dirs(&self) -> (Loc, Loc) {
        (Loc::Base, Loc::Base)
    }
    fn program(&self, m: &Model) -> Vec<Op> {
        let (dir, _) = self.dirs();
        // table_open(pg_database, RowExclusiveLock) until commit; LockSharedObject(D,
        // AccessExclusiveLock): the model waits for the ordinary backend's session to end where
        // PostgreSQL's CountOtherDBBackends raises "being accessed by other users".
        let mut v = Vec::from(steps::database_command_locks());
        v.extend(steps::refuse_during_backup(m.dropdb.refuse_during_backup));
        // 15.4+ (and the 11-14 minor releases of August 2023, 14.9+): the in-place invalid
        // mark, flushed, then the transactional delete of the row. The model's 14-18 are
        // current minors.
        if m.pg >= PgVersion::V14 {
            v.push(Op::MarkDatabaseInvalid);
        }
        v.extend([Op::DeleteCatalogRow, Op::DropDatabaseBuffers]);
        v.extend(steps::checkpoint());
        // remove_dbtablespaces: rmtree of every directory of D, then one XLOG_DBASE_DROP.
        match m.dropdb.drop_record {
            DropRecord::AfterRmtree => {
                v.extend([Op::Rmtree { src: dir }, Op::LogDrop { src: dir }])
            }
            DropRecord::BeforeRmtree => {
                v.extend([Op::LogDrop { src: dir }, Op::Rmtree { src: dir }])
            }
        }
        v.push(Op::Commit {
            force_sync: true,
            drop: None,
        });
        v
    }
    fn copies(&self) -> bool {
        false
    }
    fn removes(&self) -> bool {
        true
    }
    fn may_crash(&self, _m: &Model) -> bool {
        false
    }
    fn milestones(&self) -> &'static [Milestone] {
        &[Milestone::Drop, Milestone::Commit]
    }
    fn leak(&self, e: End) -> Option<String> {
        let (src, s) = e.src;
        (e.finished_ok && s)
            .then(|| format!("primary: after DROP DATABASE, \"{}\" exists", src.db_path()))
    }
    fn stock(&self, m: &Model) -> Result<(), String> {
        // Every knob of [dropdb] is a fix or a what-if: no released server has it.
        if self.section_set(m) {
            return Err("its [dropdb] knobs are a fix or a what-if".into());
        }
        Ok(())
    }
}
