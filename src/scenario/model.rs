//! Variants as data: a model file (`models/*.toml`) as a [`Model`], and the errors that name
//! its file, line and knob. A new variant needs a file, not Rust. The knob types are in
//! `knobs.rs` (re-exported here); validation and loading in `load.rs`.

pub use super::knobs::*;
use super::props::Prop;
use crate::world::PgVersion;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The verdict a variant is expected to get (the regression gate of `racecheck` with no
/// `--variant`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectedVerdict {
    /// Every always-property holds.
    Holds,
    /// At least one always-property is violated.
    Violated,
}

/// Expectations checked by the all-variants run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expect {
    /// Expected verdict.
    pub verdict: ExpectedVerdict,
    /// The always-properties expected to be violated (exactly these).
    #[serde(default)]
    pub violated: Vec<Prop>,
}

/// A variant: every knob of the model, as read from a file in `models/` (and inlined in traces).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Model {
    /// Variant name (the file's stem).
    pub name: String,
    /// What the variant changes and why.
    pub description: String,
    /// PostgreSQL version whose semantics are followed.
    #[serde(default = "default_pg")]
    pub pg: PgVersion,
    /// The command that races the backup (`scenario/command/`): movedb (default), createdb or
    /// dropdb.
    #[serde(default)]
    pub command: Command,
    /// Data checksums / wal_log_hints (`XLogHintBitIsNeeded`); default: on for 18, else off.
    #[serde(default)]
    pub checksums: Option<bool>,
    /// Relation files in `D` (K).
    #[serde(default = "default_two")]
    pub files: u8,
    /// Pages per relation file (P).
    #[serde(default = "default_two")]
    pub pages: u8,
    /// movedb knobs.
    #[serde(default)]
    pub movedb: MovedbKnobs,
    /// createdb knobs.
    #[serde(default)]
    pub createdb: CreatedbKnobs,
    /// dropdb knobs.
    #[serde(default)]
    pub dropdb: DropdbKnobs,
    /// ALTER TABLE SET TABLESPACE knobs (written to traces only when set).
    #[serde(default, skip_serializing_if = "is_default")]
    pub set_tablespace: SetTablespaceKnobs,
    /// DROP TABLESPACE knobs (written to traces only when set).
    #[serde(default, skip_serializing_if = "is_default")]
    pub drop_tablespace: DropTablespaceKnobs,
    /// Base backup knobs.
    #[serde(default)]
    pub backup: BackupKnobs,
    /// Standby knobs.
    #[serde(default)]
    pub standby: StandbyKnobs,
    /// Ordinary backend knobs.
    #[serde(default)]
    pub backend: BackendKnobs,
    /// Sometimes-properties this variant claims are unreachable; exhaustive search checks the
    /// claim (reaching one is a violation of `claim-unreachable`).
    #[serde(default)]
    pub unreachable: Vec<Prop>,
    /// Expected outcome.
    pub expect: Expect,
}

fn default_pg() -> PgVersion {
    PgVersion::V92
}
fn default_two() -> u8 {
    2
}

/// Largest K and P accepted (the state space grows fast beyond).
pub const MAX_FILES: u8 = 6;
/// Largest P accepted.
pub const MAX_PAGES: u8 = 6;

/// A model file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// TOML syntax or an unknown/ill-typed knob (the message names line and knob).
    #[error("{path}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// toml's message, with line and column.
        message: String,
    },
    /// A knob has a value out of range or inconsistent with another.
    #[error("{path}:{line}: knob `{knob}`: {message}")]
    Invalid {
        /// File.
        path: PathBuf,
        /// 1-based line of the knob (0 if not written in the file).
        line: usize,
        /// Knob name.
        knob: String,
        /// What is wrong.
        message: String,
    },
}

/// A knob-level problem found after parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnobError {
    /// Knob name as written in files.
    pub knob: String,
    /// What is wrong.
    pub message: String,
}

impl Model {
    /// Whether hint bits are WAL-logged (the `checksums` knob, defaulting per version).
    pub fn hint_bits_logged(&self) -> bool {
        self.checksums.unwrap_or(self.pg.checksums_by_default())
    }

    /// The semantic switches a World of this model runs under.
    pub fn semantics(&self) -> crate::world::Semantics {
        crate::world::Semantics {
            pg: self.pg,
            hint_bits_logged: self.hint_bits_logged(),
        }
    }

    /// The sometimes-properties claimed unreachable for the backup source in effect.
    pub fn claims(&self) -> impl Iterator<Item = Prop> + '_ {
        let standby = self.backup.source == BackupSource::Standby;
        self.unreachable
            .iter()
            .chain(self.standby.unreachable.iter().filter(move |_| standby))
            .copied()
    }
}
