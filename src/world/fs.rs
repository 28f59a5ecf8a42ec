//! The abstract filesystem: tablespaces, the database directory of `D` in each, relation files
//! and their pages. Pages are version numbers, not bytes (pg-fidelity 11.1).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A log sequence number: the index of a record in the WAL (the first record has LSN 0).
pub type Lsn = u32;

/// Database OID of the database being moved (`D`).
pub const DB_OID: u32 = 16384;
/// Tablespace OID of the user tablespace `T`.
pub const USER_TS_OID: u32 = 16400;
/// First relfilenode of `D`'s relation files; relation `i` is `REL_OID_BASE + i`.
pub const REL_OID_BASE: u32 = 16385;

/// A tablespace holding a directory of `D`.
///
/// `Base` is `pg_default` (`base/`), sent last by a base backup; `User` is the user tablespace `T`
/// (`pg_tblspc/16400/`), sent first (pg-fidelity 5.2).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Ts {
    /// `base/`, the default tablespace (`S` in pg-fidelity).
    #[default]
    Base,
    /// `pg_tblspc/16400/`, a user tablespace (`T` in pg-fidelity).
    User,
}

impl Ts {
    /// The other tablespace.
    pub fn other(self) -> Ts {
        match self {
            Ts::Base => Ts::User,
            Ts::User => Ts::Base,
        }
    }
    /// Path of `D`'s directory in this tablespace, as PostgreSQL's `GetDatabasePath` spells it
    /// (the `PG_<version>_<catversion>` level under a user tablespace is left out).
    pub fn db_path(self) -> String {
        match self {
            Ts::Base => format!("base/{DB_OID}"),
            Ts::User => format!("pg_tblspc/{USER_TS_OID}/{DB_OID}"),
        }
    }
    /// Path of relation file `rel` of `D` in this tablespace.
    pub fn rel_path(self, rel: u8) -> String {
        format!("{}/{}", self.db_path(), REL_OID_BASE + u32::from(rel))
    }
}

impl fmt::Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ts::Base => write!(f, "pg_default"),
            Ts::User => write!(f, "ts{USER_TS_OID}"),
        }
    }
}

/// One page: its content version (`0` = all-zero page, `PageIsNew`) and its page LSN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Page {
    /// Content version; 0 is an all-zero (new) page.
    pub ver: u8,
    /// `PageGetLSN`: the end LSN (index + 1) of the last WAL record that changed the page.
    pub lsn: Lsn,
}

/// A relation file: its pages in block order.
pub type RelFile = Vec<Page>;

/// The directory of database `D` in one tablespace: relation number to file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Dir {
    /// Relation files by relation number (0-based; relfilenode = `REL_OID_BASE + n`).
    pub files: BTreeMap<u8, RelFile>,
}

/// The filesystem as far as the model needs it: `D`'s directory in each tablespace, if present.
/// Tablespace roots themselves always exist.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Fs {
    /// `D`'s directory per tablespace.
    pub dirs: BTreeMap<Ts, Dir>,
}

impl Fs {
    /// The directory of `D` in `ts`, if it exists.
    pub fn dir(&self, ts: Ts) -> Option<&Dir> {
        self.dirs.get(&ts)
    }
    /// Mutable access to the directory of `D` in `ts`, if it exists.
    pub fn dir_mut(&mut self, ts: Ts) -> Option<&mut Dir> {
        self.dirs.get_mut(&ts)
    }
    /// Whether `D` has a directory in `ts`.
    pub fn has_dir(&self, ts: Ts) -> bool {
        self.dirs.contains_key(&ts)
    }
    /// `mkdir`; returns false if it already existed.
    pub fn mkdir(&mut self, ts: Ts) -> bool {
        if self.dirs.contains_key(&ts) {
            return false;
        }
        self.dirs.insert(ts, Dir::default());
        true
    }
    /// Remove the whole directory with its files (`rmtree` in one go, as redo does).
    pub fn rmtree(&mut self, ts: Ts) -> bool {
        self.dirs.remove(&ts).is_some()
    }
    /// The file `rel` in `ts`, if both exist.
    pub fn file(&self, ts: Ts, rel: u8) -> Option<&RelFile> {
        self.dirs.get(&ts).and_then(|d| d.files.get(&rel))
    }
    /// Sorted names (relation numbers) of the files in `ts`'s directory of `D`.
    pub fn names(&self, ts: Ts) -> Vec<u8> {
        self.dirs
            .get(&ts)
            .map(|d| d.files.keys().copied().collect())
            .unwrap_or_default()
    }
}
