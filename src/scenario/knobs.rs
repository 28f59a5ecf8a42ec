//! The knobs of a model file, section by section (`command`, `[movedb]`, `[createdb]`,
//! `[dropdb]`, `[backup]`, `[standby]`, `[backend]`): their types, spellings and defaults.
//! `model.rs` assembles them into a [`super::Model`]; `load.rs` validates it.

use super::props::Prop;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a knob (section) has its default value: such knobs added after traces were written
/// are left out of them, so that older traces stay byte for byte what racecheck writes.
pub fn is_default<T: Default + PartialEq>(t: &T) -> bool {
    *t == T::default()
}

/// Which command races the base backup.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    /// `ALTER DATABASE d SET TABLESPACE t` (`movedb`, docs/postgresql.md, "movedb").
    #[default]
    Movedb,
    /// `CREATE DATABASE n TEMPLATE d TABLESPACE t` (`createdb`, docs/postgresql.md, "createdb"): the ordinary
    /// backend's actions then change the template `d` once the new database is committed.
    Createdb,
    /// `DROP DATABASE d` (`dropdb`): the ordinary backend's actions run before the drop (the
    /// drop waits for its session to end).
    Dropdb,
    /// `ALTER TABLE r SET TABLESPACE t` (`ATExecSetTableSpace`, docs/postgresql.md, "ALTER TABLE
    /// SET TABLESPACE"): relation 0 of `D` copied page by page outside shared buffers.
    SetTablespace,
    /// `DROP TABLE r` (a table of `T`, updated first), then `DROP TABLESPACE t`
    /// (`DropTableSpace`, docs/postgresql.md, "DROP TABLESPACE").
    DropTablespace,
}

impl Command {
    /// Every command, in declaration order (`scenario::command::def` describes each).
    pub const ALL: [Command; 5] = [
        Command::Movedb,
        Command::Createdb,
        Command::Dropdb,
        Command::SetTablespace,
        Command::DropTablespace,
    ];
    /// The names model files spell, in declaration order (serde's kebab-case names; the command
    /// module's tests check them against the descriptors).
    const NAMES: [&'static str; 5] = [
        "movedb",
        "createdb",
        "dropdb",
        "set-tablespace",
        "drop-tablespace",
    ];

    /// The command as model files spell it.
    pub fn as_str(self) -> &'static str {
        Command::NAMES[self as usize]
    }
}

/// dropdb knobs.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DropdbKnobs {
    /// Order of the DROP record and the removal of the directory: `after-rmtree` (every
    /// released version, `remove_dbtablespaces`) or `before-rmtree` (a candidate fix).
    #[serde(default)]
    pub drop_record: DropRecord,
    /// Refuse (ERROR) while a base backup runs: a flag check, as fix 1 does for movedb.
    #[serde(default)]
    pub refuse_during_backup: Refuse,
}

/// ALTER TABLE SET TABLESPACE knobs.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SetTablespaceKnobs {
    /// Page images per WAL record: 1 (`log_newpage`, 14-16) or up to 32 (`log_newpages` in
    /// `smgr_bulk_flush`, 17+); default: the version's.
    #[serde(default)]
    pub batch: Option<u8>,
    /// Order of a batch's record and its writes: `log-then-write` (every released version),
    /// `delay-checkpoint` or `write-then-log` (candidate fixes).
    #[serde(default)]
    pub order: crate::world::relcopy::CopyOrder,
}

/// Where DROP TABLESPACE removes the `pg_tblspc` link relative to its `XLOG_TBLSPC_DROP`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum LinkRemoval {
    /// In `destroy_tablespace_directories`, before the record (every released version).
    #[default]
    BeforeRecord,
    /// After the record (a candidate fix).
    AfterRecord,
}

/// DROP TABLESPACE knobs.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DropTablespaceKnobs {
    /// When the link goes.
    #[serde(default)]
    pub unlink: LinkRemoval,
    /// Refuse (ERROR) while a base backup runs (a candidate fix).
    #[serde(default)]
    pub refuse_during_backup: Refuse,
}

/// The base backup's format, as far as tablespace links go.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum BackupFormat {
    /// `pg_basebackup -Fp` (its default): the links are copied when the walk of the data
    /// directory reaches `pg_tblspc` (no `tablespace_map`).
    #[default]
    Plain,
    /// `pg_basebackup -Ft`, or the low-level API: a `tablespace_map` written at the start, from
    /// which the restore's startup makes the links.
    Tar,
}

/// CREATE DATABASE's strategy (docs/postgresql.md, "createdb").
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CreatedbStrategy {
    /// `FILE_COPY` (the only strategy before 15): checkpoint, `copydir`, data-less create record,
    /// checkpoint. The documented caveat: a template changed during a base backup can leak
    /// into the copy at replay.
    #[default]
    FileCopy,
    /// `WAL_LOG` (default from 15): create record, then every page as a full-page image; no
    /// checkpoints. (The model allows it with any `pg`, as a what-if before 15.)
    WalLog,
}

/// createdb knobs.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CreatedbKnobs {
    /// Strategy.
    #[serde(default)]
    pub strategy: CreatedbStrategy,
}

/// How movedb copies the database (docs/postgresql.md, "movedb" vs. "createdb").
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CopyMethod {
    /// `copydir` + data-less `XLOG_DBASE_CREATE(_FILE_COPY)` (every released version).
    #[default]
    FileCopy,
    /// Fix (2): `XLOG_DBASE_CREATE_WAL_LOG`, then per file `XLOG_SMGR_CREATE` and one
    /// full-page image per page, as `CreateDatabaseUsingWalLog` does for CREATE DATABASE.
    WalLog,
}

/// Whether movedb refuses to run while a base backup is in progress (fix 1's flag check).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Refuse {
    /// No check (every released version).
    #[default]
    Never,
    /// ERROR while an exclusive (`pg_start_backup`) backup runs: the 2015 patch.
    Exclusive,
    /// ERROR while any backup runs (an ablation: the flag check alone).
    Any,
}

/// How a base backup is taken.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum BackupMethod {
    /// Streamed by a walsender (`pg_basebackup`): one session from start to stop.
    #[default]
    Streamed,
    /// Exclusive (`pg_start_backup` ... `pg_stop_backup`, 14 and older): the start and the stop
    /// are separate sessions, so no lock can span the backup.
    Exclusive,
}

/// How long a backup holds ShareLock on `pg_database` (fix 1's lock).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PgDatabaseLock {
    /// No lock (every released version).
    #[default]
    None,
    /// From before the start checkpoint until after the stop: the 2015 patch.
    UntilStop,
    /// Only around the start checkpoint (an ablation).
    StartOnly,
    /// Taken and released before the backup raises its in-progress flag (`runningBackups++`):
    /// an ablation with a check-then-act gap between the lock and the flag.
    ReleasedBeforeStart,
}

/// One action of the ordinary backend connected to `D`, written `"visible REL BLK"` or
/// `"update REL BLK"` in a model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub enum BackendAction {
    /// VACUUM marks a heap page all-visible (`log_heap_visible`).
    Visible {
        /// Relation number.
        rel: u8,
        /// Block.
        blk: u8,
    },
    /// An UPDATE changes a heap page (`heap_update`).
    Update {
        /// Relation number.
        rel: u8,
        /// Block.
        blk: u8,
    },
    /// The backend evicts a dirty buffer to reuse it (`FlushBuffer` from `BufferAlloc`, as the
    /// bgwriter also may): the page reaches its file before any checkpoint.
    Flush {
        /// Relation number.
        rel: u8,
        /// Block.
        blk: u8,
    },
}

impl TryFrom<String> for BackendAction {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let parts: Vec<&str> = s.split_whitespace().collect();
        let bad = || {
            format!(
                "backend action {s:?}: expected \"visible REL BLK\", \"update REL BLK\" or \"flush REL BLK\""
            )
        };
        let [kind, rel, blk] = parts.as_slice() else {
            return Err(bad());
        };
        let rel: u8 = rel.parse().map_err(|_| bad())?;
        let blk: u8 = blk.parse().map_err(|_| bad())?;
        match *kind {
            "visible" => Ok(BackendAction::Visible { rel, blk }),
            "update" => Ok(BackendAction::Update { rel, blk }),
            "flush" => Ok(BackendAction::Flush { rel, blk }),
            _ => Err(bad()),
        }
    }
}

impl From<BackendAction> for String {
    fn from(a: BackendAction) -> String {
        a.to_string()
    }
}

impl fmt::Display for BackendAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendAction::Visible { rel, blk } => write!(f, "visible {rel} {blk}"),
            BackendAction::Update { rel, blk } => write!(f, "update {rel} {blk}"),
            BackendAction::Flush { rel, blk } => write!(f, "flush {rel} {blk}"),
        }
    }
}

/// When movedb logs `XLOG_DBASE_DROP` for the old location, relative to removing it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DropRecord {
    /// After `rmtree` (every released version; docs/postgresql.md, "movedb").
    #[default]
    AfterRmtree,
    /// Before `rmtree` (not in PostgreSQL): the record precedes the files' disappearance, so a
    /// backup that misses the files always ends after the record.
    BeforeRmtree,
}

/// movedb knobs.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MovedbKnobs {
    /// How the data is copied.
    #[serde(default)]
    pub copy: CopyMethod,
    /// Refuse while a backup runs.
    #[serde(default)]
    pub refuse_during_backup: Refuse,
    /// Order of the drop record and the removal of the old directory.
    #[serde(default)]
    pub drop_record: DropRecord,
    /// Raise an ERROR after the create record and the second checkpoint, before the commit
    /// (docs/postgresql.md, "movedb"): `movedb_failure_callback` removes the target with no WAL.
    #[serde(default)]
    pub error_before_commit: bool,
    /// The primary may crash (power loss, `pg_ctl stop -m immediate`) at any step while movedb
    /// runs; crash recovery of the primary's own files is then checked, and the leaks
    /// PostgreSQL's comments accept after such a crash are allowed (docs/postgresql.md, "movedb").
    #[serde(default)]
    pub crash: bool,
}

/// Where a base backup is taken (docs/postgresql.md, "The base backup"; the 2015 report came from a standby backup).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum BackupSource {
    /// From the primary: the start checkpoint is requested there, the end is `XLOG_BACKUP_END`.
    #[default]
    Primary,
    /// From a streaming standby whose startup process replays the primary's WAL while the
    /// walsender walks the standby's files: the start is the standby's last restartpoint, the
    /// end is the `minRecoveryPoint` of the copied `pg_control`.
    Standby,
}

impl BackupSource {
    /// Both sources, primary first.
    pub const ALL: [BackupSource; 2] = [BackupSource::Primary, BackupSource::Standby];
    /// The source as users write it.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupSource::Primary => "primary",
            BackupSource::Standby => "standby",
        }
    }
    /// Parse "primary" or "standby".
    pub fn parse(s: &str) -> Option<BackupSource> {
        BackupSource::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for BackupSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Standby knobs (used when the backup source is a standby).
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StandbyKnobs {
    /// Fix (1)'s standby part (the 2015 patch): the startup process takes RowExclusiveLock on
    /// the standby's `pg_database` while replaying a database record, and a standby backup's
    /// `pgdb-lock` is taken on the standby, so the two exclude each other.
    #[serde(default)]
    pub startup_lock: bool,
    /// Sometimes-properties claimed unreachable when the backup is taken from the standby (in
    /// addition to the model's `unreachable`); exhaustive search checks the claim.
    #[serde(default)]
    pub unreachable: Vec<Prop>,
}

/// Base backup knobs.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BackupKnobs {
    /// Streamed or exclusive.
    #[serde(default)]
    pub method: BackupMethod,
    /// ShareLock on `pg_database` (on the server the backup is taken from).
    #[serde(default)]
    pub pgdb_lock: PgDatabaseLock,
    /// Primary or standby.
    #[serde(default)]
    pub source: BackupSource,
    /// Plain or tar (matters to the commands that remove a tablespace link; written to traces
    /// only when tar).
    #[serde(default, skip_serializing_if = "is_default")]
    pub format: BackupFormat,
}

/// Ordinary backend knobs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BackendKnobs {
    /// What the backend does in `D` once connected, in order.
    #[serde(default = "default_actions")]
    pub actions: Vec<BackendAction>,
}

fn default_actions() -> Vec<BackendAction> {
    vec![BackendAction::Visible { rel: 0, blk: 1 }]
}

impl Default for BackendKnobs {
    fn default() -> Self {
        BackendKnobs {
            actions: default_actions(),
        }
    }
}
