//! `DROP TABLE r` then `DROP TABLESPACE t` (`DropTableSpace` and `destroy_tablespace_directories`,
//! commands/tablespace.c; docs/postgresql.md, "DROP TABLESPACE"). Relation 0 of `D` lives in `T`
//! and is updated first, so that replay writes into `T`; DROP TABLE commits with its file in the
//! record's drops (a tombstone until the next checkpoint). DROP TABLESPACE deletes the
//! `pg_tablespace` row, finds a database directory not empty (the tombstone) and then requests
//! a checkpoint and retries, removes the database directory, the version directory and the
//! `pg_tblspc` link, and only then logs `XLOG_TBLSPC_DROP` and commits (ForceSyncCommit).
//! Knobs: `[drop-tablespace]` (the candidate fixes: the link after the record; refuse during a
//! backup).

use super::def::{CommandDef, End, Milestone};
use super::settablespace::RELATION_VERSIONS;
use super::steps;
use crate::scenario::knobs::{DropTablespaceKnobs, LinkRemoval};
use crate::scenario::model::{KnobError, Model};
use crate::scenario::ops::Op;
use crate::world::{Loc, LockMode, LockObj, PgVersion, Scope, World};

/// DROP TABLE, then DROP TABLESPACE.
pub(super) struct DropTablespace;

/// The versions DROP TABLESPACE is checked at: 14.0-14.4 (no `CheckTablespaceDirectory`), then
/// every current major.
const VERSIONS: [PgVersion; 6] = [
    PgVersion::V140,
    RELATION_VERSIONS[0],
    RELATION_VERSIONS[1],
    RELATION_VERSIONS[2],
    RELATION_VERSIONS[3],
    RELATION_VERSIONS[4],
];

impl CommandDef for DropTablespace {
    fn name(&self) -> &'static str {
        "drop-tablespace"
    }
    fn sql_name(&self) -> &'static str {
        "DROP TABLESPACE"
    }
    fn statement(&self, _m: &Model) -> String {
        // Three statements (psql sends each on its own: DROP TABLESPACE cannot run in a
        // transaction block); the UPDATE changes a row of block 0 of t0 (the model's relation 0).
        "UPDATE t0 SET b = b + 1 WHERE ctid = '(0,1)'; DROP TABLE t0; DROP TABLESPACE ts".into()
    }
    fn section_set(&self, m: &Model) -> bool {
        m.drop_tablespace != DropTablespaceKnobs::default()
    }
    fn validate(&self, _m: &Model) -> Result<(), KnobError> {
        Ok(())
    }
    fn dirs(&self) -> (Loc, Loc) {
        (Loc::Base, Loc::User)
    }
    fn prepare(&self, w: &mut World) {
        // CREATE TABLE r (...) TABLESPACE t: relation 0's file is in D's directory of T.
        let f = w.fs.dir_mut(Loc::Base).and_then(|d| d.files.remove(&0));
        w.fs.mkdir(Loc::User);
        if let (Some(f), Some(d)) = (f, w.fs.dir_mut(Loc::User)) {
            d.files.insert(0, f);
        }
        w.catalog.update(|c| c.rel = Some((Loc::User, 0)));
    }
    fn program(&self, m: &Model) -> Vec<Op> {
        let (_, ts) = self.dirs();
        let mut v = vec![
            // UPDATE r SET ... (a change replay makes in T).
            Op::Lock {
                obj: LockObj::Relation,
                mode: LockMode::RowExclusive,
                scope: Scope::Xact,
            },
            Op::Update { rel: 0, blk: 0 },
            // DROP TABLE r: the row deleted, the file dropped at commit.
            Op::DeleteClassRow,
            Op::Commit {
                force_sync: false,
                drop: Some((ts, 0)),
            },
        ];
        v.extend(steps::refuse_during_backup(
            m.drop_tablespace.refuse_during_backup,
        ));
        v.push(Op::DeleteTablespaceRow);
        // destroy_tablespace_directories(false) fails on the tombstone: RequestCheckpoint,
        // retry (skipped when a checkpoint has already unlinked it).
        // 15+: then a ProcSignalBarrier all backends must absorb (PROCSIGNAL_BARRIER_SMGRRELEASE).
        let barrier = m.pg >= PgVersion::V15;
        v.push(Op::TablespaceEmpty {
            retry: false,
            skip: 3 + u8::from(barrier),
        });
        v.extend(steps::checkpoint());
        if barrier {
            v.push(Op::SmgrReleaseBarrier);
        }
        v.push(Op::TablespaceEmpty {
            retry: true,
            skip: 0,
        });
        v.extend([Op::RmdirDatabaseDirs, Op::RmdirVersionDir]);
        match m.drop_tablespace.unlink {
            LinkRemoval::BeforeRecord => v.extend([Op::RemoveTablespaceLink, Op::LogTblspcDrop]),
            LinkRemoval::AfterRecord => v.extend([Op::LogTblspcDrop, Op::RemoveTablespaceLink]),
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
        false
    }
    fn may_crash(&self, _m: &Model) -> bool {
        false
    }
    fn milestones(&self) -> &'static [Milestone] {
        &[
            Milestone::CommitDrop,
            Milestone::TblspcDrop,
            Milestone::Commit,
        ]
    }
    fn leak(&self, e: End) -> Option<String> {
        let (dst, d) = e.dst;
        (e.finished_ok && d).then(|| {
            format!(
                "primary: after DROP TABLESPACE, \"{}\" exists",
                dst.db_path()
            )
        })
    }
    fn stock(&self, m: &Model) -> Result<(), String> {
        if self.section_set(m) {
            return Err("its [drop-tablespace] knobs are a fix".into());
        }
        if m.pg == PgVersion::V140 {
            return Err(
                "14.0-14.4 are not installed (the npm builds are 14's latest minor)".into(),
            );
        }
        Ok(())
    }
    fn versions(&self) -> &'static [PgVersion] {
        &VERSIONS
    }
    fn relocates(&self) -> bool {
        true
    }
    fn database(&self) -> &'static str {
        "d"
    }
    fn links(&self) -> bool {
        true
    }
}
