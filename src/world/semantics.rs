//! The PostgreSQL version a model follows and the fixed semantic switches a World is run under
//! (data checksums, the version's redo behaviour).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A PostgreSQL major version whose behaviour the model follows (docs/simplifications.md, "version
/// switches").
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
pub enum PgVersion {
    /// 9.2: no `CHECKPOINT_FLUSH_ALL`, VISIBLE never images the heap page, FATAL on a missing
    /// create-by-copy source.
    #[serde(rename = "9.2")]
    V92,
    /// 9.4: VISIBLE images the heap page iff hint bits are WAL-logged; FATAL on missing source.
    #[serde(rename = "9.4")]
    V94,
    /// 14.0 to 14.4: as 9.4 for the copy (no `recovery_create_dbdir`, no invalid mark), and no
    /// `CheckTablespaceDirectory` at consistency (both came with 14.5, July 2022).
    #[serde(rename = "14.0")]
    V140,
    /// 14 (current minors, 14.9+): as 9.4 for the copy, but a missing create-by-copy source is
    /// created empty during recovery (`recovery_create_dbdir`, back-patched in 2022), and
    /// DROP DATABASE marks the database invalid first (August 2023 minors); low-level backup
    /// API `pg_start_backup`/`pg_stop_backup`; CREATE DATABASE has only FILE_COPY.
    #[serde(rename = "14")]
    V14,
    /// 15: as 14; CREATE DATABASE's WAL_LOG strategy (the default) and `pg_backup_start`.
    #[serde(rename = "15")]
    V15,
    /// 16: as 15 on every path the model follows.
    #[serde(rename = "16")]
    V16,
    /// 17: as 15 on every path the model follows.
    #[serde(rename = "17")]
    V17,
    /// 18: as 15, and initdb enables data checksums by default.
    #[serde(rename = "18")]
    V18,
}

impl PgVersion {
    /// All versions, oldest first.
    pub const ALL: [PgVersion; 8] = [
        PgVersion::V92,
        PgVersion::V94,
        PgVersion::V140,
        PgVersion::V14,
        PgVersion::V15,
        PgVersion::V16,
        PgVersion::V17,
        PgVersion::V18,
    ];
    /// The version as users write it.
    pub fn as_str(self) -> &'static str {
        match self {
            PgVersion::V92 => "9.2",
            PgVersion::V94 => "9.4",
            PgVersion::V140 => "14.0",
            PgVersion::V14 => "14",
            PgVersion::V15 => "15",
            PgVersion::V16 => "16",
            PgVersion::V17 => "17",
            PgVersion::V18 => "18",
        }
    }
    /// Parse "9.2", "9.4", "14.0", "14", "15", "16", "17", "18".
    pub fn parse(s: &str) -> Option<PgVersion> {
        PgVersion::ALL.into_iter().find(|v| v.as_str() == s)
    }
    /// Whether initdb enables data checksums by default (18+).
    pub fn checksums_by_default(self) -> bool {
        self >= PgVersion::V18
    }
}

impl fmt::Display for PgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fixed semantic switches a World is run under (derived from a variant's knobs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Semantics {
    /// PostgreSQL version.
    pub pg: PgVersion,
    /// `XLogHintBitIsNeeded()`: data checksums or `wal_log_hints` on.
    pub hint_bits_logged: bool,
}

impl Semantics {
    /// Whether a VISIBLE record images the heap page on its first change after a redo pointer
    /// (docs/postgresql.md, "VACUUM's HEAP2_VISIBLE"): never in 9.2; iff hint bits are WAL-logged from 9.3.
    pub fn visible_images_heap(&self) -> bool {
        self.pg != PgVersion::V92 && self.hint_bits_logged
    }
    /// Whether create-by-copy redo creates a missing source directory (`recovery_create_dbdir`,
    /// the July-2022 fix: in 15 and in the 14 minors since; docs/postgresql.md, "Versions").
    pub fn recovery_creates_missing_dirs(&self) -> bool {
        self.pg >= PgVersion::V14
    }
    /// Whether reaching consistency checks `pg_tblspc` for plain directories
    /// (`CheckTablespaceDirectory`, xlogrecovery.c; 14.5+, docs/postgresql.md, "DROP TABLESPACE").
    pub fn checks_tablespace_directory(&self) -> bool {
        self.pg >= PgVersion::V14
    }
    /// Page images per record in a bulk relation copy: `log_newpages` in `smgr_bulk_flush`
    /// (17+) logs up to `XLR_MAX_BLOCK_ID` = 32; before, `log_newpage` one.
    pub fn bulk_images_per_record(&self) -> u8 {
        if self.pg >= PgVersion::V17 { 32 } else { 1 }
    }
}
