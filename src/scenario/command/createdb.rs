//! `CREATE DATABASE n TEMPLATE d TABLESPACE t` (`createdb()`, commands/dbcommands.c;
//! docs/postgresql.md, "createdb"): FILE_COPY (checkpoint, `copydir`, data-less create record,
//! checkpoint) or WAL_LOG (15+: create record, then every page as a full-page image). The
//! ordinary backend's actions change the template `d` once the new database is committed.
//! Knobs: `[createdb]` (`strategy`).

use super::def::{CommandDef, End, Milestone};
use super::steps;
use crate::scenario::knobs::{CreatedbKnobs, CreatedbStrategy};
use crate::scenario::model::{KnobError, Model};
use crate::scenario::ops::Op;
use crate::world::{Loc, LockMode, LockObj, PgVersion, Scope};

/// CREATE DATABASE.
pub(super) struct Createdb;

impl CommandDef for Createdb {
    fn name(&self) -> &'static str {
        "createdb"
    }
    fn sql_name(&self) -> &'static str {
        "CREATE DATABASE"
    }
    fn statement(&self, m: &Model) -> String {
        // STRATEGY exists from 15 (FILE_COPY the only way before; WAL_LOG the default after).
        let strategy = match m.createdb.strategy {
            _ if m.pg < PgVersion::V15 => "",
            CreatedbStrategy::FileCopy => " STRATEGY FILE_COPY",
            CreatedbStrategy::WalLog => " STRATEGY WAL_LOG",
        };
        format!("CREATE DATABASE n TEMPLATE d TABLESPACE ts{strategy}")
    }
    fn section_set(&self, m: &Model) -> bool {
        m.createdb != CreatedbKnobs::default()
    }
    fn validate(&self, _m: &Model) -> Result<(), KnobError> {
        Ok(())
    }
    fn dirs(&self) -> (Loc, Loc) {
        (Loc::Base, Loc::NewDb)
    }
    fn program(&self, m: &Model) -> Vec<Op> {
        let (template, dst) = self.dirs();
        // get_db_info(template, ShareLock): no new connection to the template until commit;
        // pg_database RowExclusiveLock until commit (docs/postgresql.md, "createdb").
        let mut v = vec![
            Op::Lock {
                obj: LockObj::Database,
                mode: LockMode::Share,
                scope: Scope::Xact,
            },
            Op::Lock {
                obj: LockObj::PgDatabase,
                mode: LockMode::RowExclusive,
                scope: Scope::Xact,
            },
        ];
        match m.createdb.strategy {
            CreatedbStrategy::FileCopy => {
                v.extend(steps::first_checkpoint(m));
                v.extend([
                    Op::Copydir { src: template, dst },
                    Op::LogCreateFileCopy { src: template, dst },
                ]);
                v.extend(steps::checkpoint());
            }
            CreatedbStrategy::WalLog => v.extend([
                Op::LogCreateWalLog { src: template, dst },
                Op::CopyRelationsLogged { src: template, dst },
            ]),
        }
        v.push(Op::Commit {
            force_sync: true,
            drop: None,
        });
        v
    }
    fn copies(&self) -> bool {
        true
    }
    fn removes(&self) -> bool {
        false
    }
    fn may_crash(&self, _m: &Model) -> bool {
        false
    }
    fn milestones(&self) -> &'static [Milestone] {
        &[Milestone::Create, Milestone::Commit]
    }
    fn leak(&self, _e: End) -> Option<String> {
        // A CREATE DATABASE that failed or crashed may leave its target: dbcommands.c accepts
        // it; the restored copy against the primary is judged apart (property.rs).
        None
    }
    fn stock(&self, m: &Model) -> Result<(), String> {
        // Both strategies are released servers' (a user's choice, not a fix), WAL_LOG from 15.
        if m.createdb.strategy == CreatedbStrategy::WalLog && m.pg < PgVersion::V15 {
            return Err(format!(
                "CREATE DATABASE ... STRATEGY WAL_LOG exists from PostgreSQL 15; the trace models {} (a what-if)",
                m.pg
            ));
        }
        Ok(())
    }
}
