//! `ALTER TABLE r SET TABLESPACE t` (`ATExecSetTableSpace`, commands/tablecmds.c, and
//! `heapam_relation_copy_data`; docs/postgresql.md, "ALTER TABLE SET TABLESPACE"): lock the
//! relation, flush its buffers, create the new file in `T` and log it, copy the pages outside
//! shared buffers (`RelationCopyStorage`: a record of page images, then `smgrextend` of each page,
//! one image a record before 17 and up to 32 from 17), update `pg_class`, commit with the old
//! file in the record's drops (a tombstone until the next checkpoint). Knobs:
//! `[set-tablespace]` (`batch`, `order`: the candidate fixes).

use super::def::{CommandDef, End, Milestone};
use crate::scenario::knobs::SetTablespaceKnobs;
use crate::scenario::model::{KnobError, Model};
use crate::scenario::ops::Op;
use crate::world::relcopy::{CopyOrder, WriteAfter};
use crate::world::{Loc, LockMode, LockObj, PgVersion, Scope};

/// ALTER TABLE SET TABLESPACE.
pub(super) struct SetTablespace;

/// The statement `racecheck reproduce` sends: table `t0` of database `d` (relation 0).
pub const STATEMENT: &str = "ALTER TABLE t0 SET TABLESPACE ts";

/// Page images per record for model `m`: its knob, else its version's.
pub fn batch(m: &Model) -> u8 {
    m.set_tablespace
        .batch
        .unwrap_or_else(|| m.semantics().bulk_images_per_record())
}

impl CommandDef for SetTablespace {
    fn name(&self) -> &'static str {
        "set-tablespace"
    }
    fn sql_name(&self) -> &'static str {
        "ALTER TABLE SET TABLESPACE"
    }
    fn statement(&self, _m: &Model) -> String {
        STATEMENT.into()
    }
    fn section_set(&self, m: &Model) -> bool {
        m.set_tablespace != SetTablespaceKnobs::default()
    }
    fn validate(&self, m: &Model) -> Result<(), KnobError> {
        match m.set_tablespace.batch {
            Some(b) if !(1..=32).contains(&b) => Err(KnobError {
                knob: "batch".into(),
                message: format!(
                    "page images per record must be 1..=32 (XLR_MAX_BLOCK_ID), got {b}"
                ),
            }),
            _ => Ok(()),
        }
    }
    fn dirs(&self) -> (Loc, Loc) {
        (Loc::Base, Loc::User)
    }
    fn program(&self, m: &Model) -> Vec<Op> {
        let (src, dst) = self.dirs();
        // The new relfilenode: the next relation number of D.
        let new = m.files;
        let mut v = vec![
            // AlterTable: AccessExclusiveLock on r until commit.
            Op::Lock {
                obj: LockObj::Relation,
                mode: LockMode::AccessExclusive,
                scope: Scope::Xact,
            },
            Op::FlushRelationBuffers { ts: src, rel: 0 },
            Op::CreateStorage { ts: dst, rel: new },
        ];
        v.extend(copy_storage(
            (src, 0),
            (dst, new),
            (m.pages, batch(m)),
            m.set_tablespace.order,
        ));
        v.extend([
            Op::UpdateClass { ts: dst, rel: new },
            // RelationDropStorage registered the old file's delete; the commit lists it.
            Op::Commit {
                force_sync: false,
                drop: Some((src, 0)),
            },
        ]);
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
        &[Milestone::Image, Milestone::CommitDrop]
    }
    fn leak(&self, _e: End) -> Option<String> {
        None
    }
    fn stock(&self, m: &Model) -> Result<(), String> {
        if m.set_tablespace.order != CopyOrder::LogThenWrite {
            return Err("its [set-tablespace] order is a candidate fix".into());
        }
        let released = m.semantics().bulk_images_per_record();
        if batch(m) != released {
            return Err(format!(
                "PostgreSQL {} logs {released} page image(s) a record; the trace has batch = {}",
                m.pg,
                batch(m)
            ));
        }
        Ok(())
    }
    fn versions(&self) -> &'static [PgVersion] {
        &RELATION_VERSIONS
    }
    fn relocates(&self) -> bool {
        true
    }
    fn database(&self) -> &'static str {
        "d"
    }
    fn copies_relation(&self) -> bool {
        true
    }
}

/// `RelationCopyStorage` of `pages` pages from `src` to `dst`, `batch` images a record: per
/// batch its record and its page writes, in `order`.
fn copy_storage(
    src: (Loc, u8),
    dst: (Loc, u8),
    (pages, batch): (u8, u8),
    order: CopyOrder,
) -> Vec<Op> {
    let mut v = Vec::new();
    let mut first = 0;
    while first < pages {
        let n = batch.max(1).min(pages - first);
        let logged = order != CopyOrder::WriteThenLog;
        let delay = order == CopyOrder::DelayCheckpoint;
        let log = Op::LogNewPages {
            src,
            dst,
            first,
            n,
            delay,
        };
        let writes = (first..first + n).map(|blk| Op::WritePage {
            src,
            dst,
            blk,
            after: WriteAfter {
                logged,
                ends_batch: blk + 1 == first + n,
                delay: delay && blk + 1 == first + n,
            },
        });
        if logged {
            v.push(log);
            v.extend(writes);
        } else {
            v.extend(writes);
            v.push(log);
        }
        first += n;
    }
    v
}

/// The versions the relation-level commands are checked at: every current major.
pub const RELATION_VERSIONS: [PgVersion; 5] = [
    PgVersion::V14,
    PgVersion::V15,
    PgVersion::V16,
    PgVersion::V17,
    PgVersion::V18,
];
