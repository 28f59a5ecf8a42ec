//! The PostgreSQL commands that race a base backup, one file each (`movedb.rs`, `createdb.rs`,
//! `dropdb.rs`, `settablespace.rs`, `droptablespace.rs`), behind one descriptor ([`CommandDef`], `def.rs`). [`def`] is the one place that
//! matches on [`Command`]; everything else (the scenario's programs, model validation, which
//! properties apply, the coverage grid's rows, the leak rule, `racecheck reproduce`'s SQL and
//! stock-server check) asks the descriptor. docs/adding-a-scenario.md walks the way to add one.

mod createdb;
mod def;
mod dropdb;
mod droptablespace;
mod movedb;
mod settablespace;
mod steps;

pub use def::{CommandDef, DATABASE_VERSIONS, End, Milestone, rows};
pub use settablespace::batch as set_tablespace_batch;

use super::knobs::Command;
use super::model::{KnobError, Model};
use super::props::{Prop, Scope};

/// The descriptor of a command: the one `match` over [`Command`].
pub fn def(c: Command) -> &'static dyn CommandDef {
    match c {
        Command::Movedb => &movedb::Movedb,
        Command::Createdb => &createdb::Createdb,
        Command::Dropdb => &dropdb::Dropdb,
        Command::SetTablespace => &settablespace::SetTablespace,
        Command::DropTablespace => &droptablespace::DropTablespace,
    }
}

/// The statement that makes the database every command acts on (`D`, named `d` on a real
/// server: the one ALTER DATABASE moves, CREATE DATABASE copies as its template and DROP
/// DATABASE drops), in `pg_default` (the model's `base/16384`), as `racecheck reproduce`'s
/// set-up sends it before the schedule.
pub const DATABASE_D: &str = "CREATE DATABASE d";

/// Every command, in the order of [`Command`]'s variants.
pub fn all() -> [&'static dyn CommandDef; 5] {
    Command::ALL.map(def)
}

/// Whether property `p` applies to model `m` (its [`Scope`], answered by `m`'s command).
pub fn applies(p: Prop, m: &Model) -> bool {
    let d = def(m.command);
    match p.scope() {
        Scope::All => true,
        Scope::Copy => d.copies(),
        Scope::Removal => d.removes(),
        Scope::CopyAndRemoval => d.copies() && d.removes(),
        Scope::RemovalOnly => d.removes() && !d.copies(),
        Scope::Crash => d.may_crash(m),
        Scope::RelationCopy => d.copies_relation(),
        Scope::TablespaceLinks => d.links(),
    }
}

/// The knob section of `m`'s command, when another command's is set: an error naming it.
pub fn other_sections(m: &Model) -> Result<(), KnobError> {
    for d in all() {
        if d.section_set(m) && d.name() != m.command.as_str() {
            return Err(KnobError {
                knob: d.name().into(),
                message: format!(
                    "[{0}] knobs apply to command = \"{0}\"; this model has command = \"{1}\"",
                    d.name(),
                    m.command.as_str()
                ),
            });
        }
    }
    Ok(())
}
