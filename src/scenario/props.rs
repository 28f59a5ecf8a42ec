//! The names of the properties: a typed list, with each one's kind, meaning and the models it
//! applies to. It is the vocabulary model files use (`unreachable`, `[expect] violated`) and
//! traces record, so it lives in the scenario layer; the predicates themselves are in
//! [`crate::property`], which imports this.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Always (safety) or sometimes (reachability).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Must hold in every reachable state.
    Always,
    /// Must hold in some reachable state.
    Sometimes,
}

/// Which models a property applies to, in terms of what their command does; the command's
/// descriptor answers (`scenario::command::applies`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every model.
    All,
    /// Commands that copy a database (movedb, createdb): facts about a create record.
    Copy,
    /// Commands that remove a database directory (movedb, dropdb): facts about the removal.
    Removal,
    /// Commands that do both (movedb): a create record and a removal in one run.
    CopyAndRemoval,
    /// Commands that remove without copying (dropdb): the window between the removal and its
    /// DROP record with nothing created before.
    RemovalOnly,
    /// Models where the primary may crash (`[movedb] crash = true`).
    Crash,
    /// Commands that copy a relation file outside shared buffers (ALTER TABLE SET TABLESPACE).
    RelationCopy,
    /// Commands that remove a tablespace's `pg_tblspc` link (DROP TABLESPACE).
    TablespaceLinks,
}

/// A property, by name. The declaration order is the report order: the first violated
/// always-property is a run's headline.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Prop {
    /// Replay never PANICs with "WAL contains references to invalid pages".
    InvalidPages,
    /// Replay never dies with FATAL/PANIC in `dbase_redo`.
    RedoFatal,
    /// Reaching consistency never PANICs on a plain directory in `pg_tblspc`.
    TablespaceDirectory,
    /// Where restore succeeds, every page equals the primary's.
    RestoreFidelity,
    /// The restored copy has a directory iff the primary has.
    NoLeakedDirectories,
    /// Until every process has finished, some process can step.
    Deadlock,
    /// No sometimes-property the variant claims unreachable is reached.
    ClaimUnreachable,
    /// The backup starts before the create record.
    BackupStartsBeforeCreate,
    /// The walsender looks at the old directory after its removal began.
    WalkSourceDuringRmtree,
    /// Both of the above in one run.
    RaceWindow,
    /// The backup ends between the removal and the DROP record (dropdb).
    DropWindow,
    /// A restored backup reaches consistency.
    RestoreConsistent,
    /// A restore replays a change to D made after the create record.
    PostMoveChangeReplayed,
    /// The primary crashed and its crash recovery completed.
    CrashRecovered,
    /// After a crash a directory is left outside D's tablespace (an accepted leak).
    CrashLeakAccepted,
    /// The backup starts between a page-image record and that page's write.
    ImageWriteWindow,
    /// The backup ends after the tablespace link went and before `XLOG_TBLSPC_DROP`.
    TablespaceDropWindow,
}

impl Prop {
    /// Every property, in report order.
    pub const ALL: [Prop; 17] = [
        Prop::InvalidPages,
        Prop::RedoFatal,
        Prop::TablespaceDirectory,
        Prop::RestoreFidelity,
        Prop::NoLeakedDirectories,
        Prop::Deadlock,
        Prop::ClaimUnreachable,
        Prop::BackupStartsBeforeCreate,
        Prop::WalkSourceDuringRmtree,
        Prop::RaceWindow,
        Prop::DropWindow,
        Prop::RestoreConsistent,
        Prop::PostMoveChangeReplayed,
        Prop::CrashRecovered,
        Prop::CrashLeakAccepted,
        Prop::ImageWriteWindow,
        Prop::TablespaceDropWindow,
    ];

    /// The name used in model files, traces and output.
    pub fn name(self) -> &'static str {
        match self {
            Prop::InvalidPages => "invalid-pages",
            Prop::RedoFatal => "redo-fatal",
            Prop::TablespaceDirectory => "tablespace-directory",
            Prop::RestoreFidelity => "restore-fidelity",
            Prop::NoLeakedDirectories => "no-leaked-directories",
            Prop::Deadlock => "deadlock",
            Prop::ClaimUnreachable => "claim-unreachable",
            Prop::BackupStartsBeforeCreate => "backup-starts-before-create",
            Prop::WalkSourceDuringRmtree => "walk-source-during-rmtree",
            Prop::RaceWindow => "race-window",
            Prop::DropWindow => "drop-window",
            Prop::RestoreConsistent => "restore-consistent",
            Prop::PostMoveChangeReplayed => "post-move-change-replayed",
            Prop::CrashRecovered => "crash-recovered",
            Prop::CrashLeakAccepted => "crash-leak-accepted",
            Prop::ImageWriteWindow => "image-write-window",
            Prop::TablespaceDropWindow => "tablespace-drop-window",
        }
    }

    /// Look a property up by name.
    pub fn parse(name: &str) -> Option<Prop> {
        Prop::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Always or sometimes.
    pub fn kind(self) -> Kind {
        match self {
            Prop::InvalidPages
            | Prop::RedoFatal
            | Prop::TablespaceDirectory
            | Prop::RestoreFidelity
            | Prop::NoLeakedDirectories
            | Prop::Deadlock
            | Prop::ClaimUnreachable => Kind::Always,
            _ => Kind::Sometimes,
        }
    }

    /// The models it applies to.
    pub fn scope(self) -> Scope {
        match self {
            Prop::BackupStartsBeforeCreate | Prop::PostMoveChangeReplayed => Scope::Copy,
            Prop::RaceWindow => Scope::CopyAndRemoval,
            Prop::WalkSourceDuringRmtree => Scope::Removal,
            Prop::DropWindow => Scope::RemovalOnly,
            Prop::CrashRecovered | Prop::CrashLeakAccepted => Scope::Crash,
            Prop::ImageWriteWindow => Scope::RelationCopy,
            Prop::TablespaceDropWindow => Scope::TablespaceLinks,
            _ => Scope::All,
        }
    }

    /// What it says, one line.
    pub fn doc(self) -> &'static str {
        match self {
            Prop::InvalidPages => {
                "replay of the restored backup never PANICs with \"WAL contains references to invalid pages\""
            }
            Prop::RedoFatal => {
                "replay never dies with FATAL/PANIC in dbase_redo (9.x copydir of a missing source; 15+ missing directory after consistency; a standby's own replay)"
            }
            Prop::TablespaceDirectory => {
                "reaching consistency never PANICs with \"unexpected directory entry ... found in pg_tblspc/\" (CheckTablespaceDirectory, 14.5+)"
            }
            Prop::RestoreFidelity => {
                "where restore succeeds, every page of D, its pg_database row and relation 0's pg_class row equal the primary's at the end of WAL (catches silent loss)"
            }
            Prop::NoLeakedDirectories => {
                "the restored copy has a directory of D in a tablespace, and a pg_tblspc/16400 entry, iff the primary has (and, for the relation-level commands, no relation file the primary dropped); a finished movedb leaves exactly one, a failed one only the source, a finished dropdb none"
            }
            Prop::Deadlock => "until every process has finished, some process can step",
            Prop::ClaimUnreachable => {
                "no sometimes-property that the variant claims unreachable is reached"
            }
            Prop::BackupStartsBeforeCreate => {
                "the backup's start LSN (start checkpoint's redo) is before the create record"
            }
            Prop::WalkSourceDuringRmtree => {
                "the walsender looks at the directory being removed after its removal began"
            }
            Prop::RaceWindow => "both of the above in one run: the 2015 race window",
            Prop::DropWindow => {
                "the backup ends after the removal of D's directory began and before the DROP record (the DROP DATABASE window)"
            }
            Prop::RestoreConsistent => "a restored backup reaches consistency",
            Prop::PostMoveChangeReplayed => {
                "a restore replays a backend's change to D made after the create record"
            }
            Prop::CrashRecovered => {
                "the primary crashed during movedb and its crash recovery completed"
            }
            Prop::CrashLeakAccepted => {
                "after a crash during movedb, a directory of D is left outside its tablespace: the leak dbcommands.c's comments accept"
            }
            Prop::ImageWriteWindow => {
                "the backup's start LSN falls after a page-image record of the bulk copy and before that page's smgrextend"
            }
            Prop::TablespaceDropWindow => {
                "the backup ends after the walked server's pg_tblspc link went and before XLOG_TBLSPC_DROP (the DROP TABLESPACE window)"
            }
        }
    }

    /// Names of the properties of one kind, in report order.
    pub fn names(kind: Kind) -> Vec<&'static str> {
        Prop::ALL
            .into_iter()
            .filter(|p| p.kind() == kind)
            .map(Prop::name)
            .collect()
    }
}

impl fmt::Display for Prop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for p in Prop::ALL {
            assert_eq!(Prop::parse(p.name()), Some(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.name()));
        }
        let mut sorted = Prop::ALL;
        sorted.sort();
        assert_eq!(sorted, Prop::ALL, "ALL is in declaration (report) order");
    }
}
