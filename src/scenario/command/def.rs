//! The descriptor a PostgreSQL command implements ([`CommandDef`]), and the vocabulary it is
//! described in: its WAL milestones (the coverage grid's rows) and the end of its run that its
//! leak rule judges.

use crate::scenario::model::{KnobError, Model};
use crate::scenario::ops::Op;
use crate::world::{Loc, PgVersion, Rec, World};

/// A WAL record that delimits the phases of a command's run, for the coverage grid: a backup
/// that started before or after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Milestone {
    /// `XLOG_DBASE_CREATE*`.
    Create,
    /// The commit record.
    Commit,
    /// The abort record.
    Abort,
    /// `XLOG_DBASE_DROP`.
    Drop,
    /// The first page-image record of a bulk relation copy (`log_newpage[s]`).
    Image,
    /// A commit that drops a relation file (DROP TABLE, ALTER TABLE SET TABLESPACE).
    CommitDrop,
    /// `XLOG_TBLSPC_DROP`.
    TblspcDrop,
}

impl Milestone {
    /// The milestone a WAL record is, if any.
    pub fn of(rec: &Rec) -> Option<Milestone> {
        match rec {
            Rec::CreateFileCopy { .. } | Rec::CreateWalLog { .. } => Some(Milestone::Create),
            Rec::Commit { drop: Some(_), .. } => Some(Milestone::CommitDrop),
            Rec::Commit { drop: None, .. } => Some(Milestone::Commit),
            Rec::NewPages { .. } => Some(Milestone::Image),
            Rec::TblspcDrop => Some(Milestone::TblspcDrop),
            Rec::Abort => Some(Milestone::Abort),
            Rec::Drop { .. } => Some(Milestone::Drop),
            Rec::Checkpoint { .. }
            | Rec::SmgrCreate { .. }
            | Rec::Fpi { .. }
            | Rec::HeapUpdate { .. }
            | Rec::Visible { .. }
            | Rec::CatalogUpdate { .. }
            | Rec::MarkInvalid
            | Rec::CatalogDelete
            | Rec::ClassUpdate { .. }
            | Rec::ClassDelete
            | Rec::TablespaceDelete
            | Rec::BackupEnd { .. } => None,
        }
    }

    /// The start phase before it ("before the create record").
    pub fn before(self) -> &'static str {
        match self {
            Milestone::Create => "before the create record",
            Milestone::Commit => "before the commit",
            Milestone::Abort => "before the abort",
            Milestone::Drop => "before the DROP record",
            Milestone::Image => "before the page images",
            Milestone::CommitDrop => "before the commit dropping a file",
            Milestone::TblspcDrop => "before the TBLSPC_DROP record",
        }
    }

    /// The start phase after it ("after the create record").
    pub fn after(self) -> &'static str {
        match self {
            Milestone::Create => "after the create record",
            Milestone::Commit => "after the commit",
            Milestone::Abort => "after the abort",
            Milestone::Drop => "after the DROP record",
            Milestone::Image => "after the page images",
            Milestone::CommitDrop => "after the commit dropping a file",
            Milestone::TblspcDrop => "after the TBLSPC_DROP record",
        }
    }
}

/// How a command's run ended on the primary, for its leak rule.
#[derive(Clone, Copy, Debug)]
pub struct End {
    /// The command raised an ERROR (its transaction aborted).
    pub failed: bool,
    /// It ran to its end without error.
    pub finished_ok: bool,
    /// Its source directory, and whether the primary has it now.
    pub src: (Loc, bool),
    /// Its target directory, and whether the primary has it now.
    pub dst: (Loc, bool),
}

/// What racecheck knows of one PostgreSQL command. One implementation per file of
/// `scenario/command/`; [`super::def`] finds it.
pub trait CommandDef: Sync {
    /// The command as model files spell it (`command = "movedb"`), and its knob section.
    fn name(&self) -> &'static str;
    /// The SQL command, for messages ("DROP DATABASE").
    fn sql_name(&self) -> &'static str;
    /// The statement `racecheck reproduce` sends for model `m`, on database `d` (and
    /// tablespace `ts`; CREATE DATABASE makes `n`).
    fn statement(&self, m: &Model) -> String;
    /// Whether model `m` sets this command's knob section to anything but its defaults.
    fn section_set(&self, m: &Model) -> bool;
    /// This command's own checks of `m`'s knobs (the knob section of another command set, a
    /// knob that does not apply).
    fn validate(&self, m: &Model) -> Result<(), KnobError>;
    /// The database directories: where `D` starts, and where the command puts it (the new
    /// database for CREATE DATABASE; for DROP DATABASE, the start again).
    fn dirs(&self) -> (Loc, Loc);
    /// The command's backend's program (docs/postgresql.md cites each step).
    fn program(&self, m: &Model) -> Vec<Op>;
    /// Whether it copies a database (a create record): facts about a create record apply.
    fn copies(&self) -> bool;
    /// Whether it removes a database directory (rmtree, a DROP record).
    fn removes(&self) -> bool;
    /// Whether the primary may crash while it runs (a postmaster process that crashes it).
    fn may_crash(&self, m: &Model) -> bool;
    /// Its WAL milestones in the order its runs without error write them: the coverage rows.
    fn milestones(&self) -> &'static [Milestone];
    /// The primary's directories after the run, if they are a leak (the command's rule).
    fn leak(&self, end: End) -> Option<String>;
    /// Whether a released PostgreSQL server has model `m`'s knobs of this command (its section
    /// is a released server's behaviour, not a fix or a what-if), as `racecheck reproduce`
    /// drives it; `Err` says why not. The generic checks (version, source) are reproduce's.
    fn stock(&self, m: &Model) -> Result<(), String>;
    /// The database `racecheck reproduce`'s session for the statement connects to: `postgres`
    /// for the database-level commands, `d` for those on a table of `d`.
    fn database(&self) -> &'static str {
        "postgres"
    }
    /// The PostgreSQL versions the verdict matrix checks it at.
    fn versions(&self) -> &'static [PgVersion] {
        &DATABASE_VERSIONS
    }
    /// Changes to the initial World before the run (a relation created elsewhere than its
    /// database's directory); the default changes nothing.
    fn prepare(&self, _w: &mut World) {}
    /// Whether relation 0 may live elsewhere than `(dattablespace, 0)` during the run (moved,
    /// or created in `T`): the processes that touch it lock it first and find its file then.
    fn relocates(&self) -> bool {
        false
    }
    /// Whether it copies a relation file page by page outside shared buffers: facts about a
    /// page-image record and its write apply.
    fn copies_relation(&self) -> bool {
        false
    }
    /// Whether it removes `T`'s `pg_tblspc` link: the backup's walk then copies the link (plain
    /// format) or its start writes `tablespace_map` (tar), and facts about the drop window apply.
    fn links(&self) -> bool {
        false
    }
}

/// The versions the database-level commands are checked at (every version the model has but
/// the early 14 minors, which differ from 14.5+ only in what tablespace drops meet).
pub const DATABASE_VERSIONS: [PgVersion; 7] = [
    PgVersion::V92,
    PgVersion::V94,
    PgVersion::V14,
    PgVersion::V15,
    PgVersion::V16,
    PgVersion::V17,
    PgVersion::V18,
];

/// The coverage rows of a command: its milestones' "before" phases, then "after" the last.
pub fn rows(d: &dyn CommandDef) -> Vec<&'static str> {
    let ms = d.milestones();
    let mut v: Vec<&'static str> = ms.iter().map(|m| m.before()).collect();
    if let Some(last) = ms.last() {
        v.push(last.after());
    }
    v
}
