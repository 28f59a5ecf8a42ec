//! `ALTER DATABASE d SET TABLESPACE t` (`movedb()`, commands/dbcommands.c; docs/postgresql.md,
//! "movedb"): copy the directory, log a data-less create record, checkpoint, commit, remove the
//! old directory, and only then log the DROP record. Knobs: `[movedb]` (the candidate fixes:
//! refuse during a backup, WAL-logged copy, DROP record first; an ERROR before commit; a crash).

use super::def::{CommandDef, End, Milestone};
use super::steps;
use crate::scenario::knobs::{CopyMethod, DropRecord, MovedbKnobs};
use crate::scenario::model::{KnobError, Model};
use crate::scenario::ops::Op;
use crate::world::{Loc, LockMode, LockObj, Scope};

/// ALTER DATABASE SET TABLESPACE.
pub(super) struct Movedb;

impl CommandDef for Movedb {
    fn name(&self) -> &'static str {
        "movedb"
    }
    fn sql_name(&self) -> &'static str {
        "ALTER DATABASE SET TABLESPACE"
    }
    fn statement(&self, _m: &Model) -> String {
        "ALTER DATABASE d SET TABLESPACE ts".into()
    }
    fn section_set(&self, m: &Model) -> bool {
        m.movedb != MovedbKnobs::default()
    }
    fn validate(&self, _m: &Model) -> Result<(), KnobError> {
        Ok(())
    }
    fn dirs(&self) -> (Loc, Loc) {
        (Loc::Base, Loc::User)
    }
    fn program(&self, m: &Model) -> Vec<Op> {
        let (src, dst) = self.dirs();
        let mut v = Vec::from(steps::database_command_locks());
        v.push(Op::Lock {
            obj: LockObj::Database,
            mode: LockMode::AccessExclusive,
            scope: Scope::Session,
        });
        v.extend(steps::refuse_during_backup(m.movedb.refuse_during_backup));
        v.extend(steps::first_checkpoint(m));
        v.extend([Op::DropDatabaseBuffers, Op::TargetCheck { dst }]);
        match m.movedb.copy {
            CopyMethod::FileCopy => {
                v.push(Op::Copydir { src, dst });
                v.push(Op::LogCreateFileCopy { src, dst });
            }
            CopyMethod::WalLog => {
                v.push(Op::LogCreateWalLog { src, dst });
                v.push(Op::CopyRelationsLogged { src, dst });
            }
        }
        v.push(Op::UpdateCatalog { dst });
        v.extend(steps::checkpoint());
        if m.movedb.error_before_commit {
            v.push(Op::ErrorBeforeCommit { dst });
        }
        v.push(Op::Commit {
            force_sync: true,
            drop: None,
        });
        match m.movedb.drop_record {
            DropRecord::AfterRmtree => v.extend([Op::Rmtree { src }, Op::LogDrop { src }]),
            DropRecord::BeforeRmtree => v.extend([Op::LogDrop { src }, Op::Rmtree { src }]),
        }
        v.push(Op::Unlock {
            obj: LockObj::Database,
            scope: Scope::Session,
        });
        v
    }
    fn copies(&self) -> bool {
        true
    }
    fn removes(&self) -> bool {
        true
    }
    fn may_crash(&self, m: &Model) -> bool {
        m.movedb.crash
    }
    fn milestones(&self) -> &'static [Milestone] {
        &[Milestone::Create, Milestone::Commit, Milestone::Drop]
    }
    fn leak(&self, e: End) -> Option<String> {
        let ((src, s), (dst, t)) = (e.src, e.dst);
        let is = |b: bool| if b { "exists" } else { "is missing" };
        if e.failed && t {
            Some(format!(
                "primary: \"{}\" left behind by a failed movedb",
                dst.db_path()
            ))
        } else if e.finished_ok && s == t {
            Some(format!(
                "primary: after movedb, \"{}\" {} and \"{}\" {}",
                src.db_path(),
                is(s),
                dst.db_path(),
                is(t)
            ))
        } else {
            None
        }
    }
    fn stock(&self, m: &Model) -> Result<(), String> {
        // Every knob of [movedb] is a fix or a what-if: no released server has it.
        if self.section_set(m) {
            return Err("its [movedb] knobs are a fix or a what-if".into());
        }
        Ok(())
    }
}
