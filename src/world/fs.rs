//! The abstract filesystem: tablespaces, the database directory of `D` in each, relation files
//! and their pages. Pages are version numbers, not bytes (docs/simplifications.md).

use super::small::SmallMap;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::fmt;

/// A log sequence number: the index of a record in the WAL (the first record has LSN 0).
pub type Lsn = u32;

/// Database OID of the database being moved (`D`).
pub const DB_OID: u32 = 16384;
/// Tablespace OID of the user tablespace `T`.
pub const USER_TS_OID: u32 = 16400;
/// First relfilenode of `D`'s relation files; relation `i` is `REL_OID_BASE + i`.
pub const REL_OID_BASE: u32 = 16385;
/// Database OID of the database `N` that CREATE DATABASE makes from template `D`.
pub const NEW_DB_OID: u32 = 16390;

/// The location of a database directory: a tablespace and a database.
///
/// `Base` is `D`'s directory in `pg_default` (`base/16384`), sent last by a base backup; `User`
/// is `D`'s directory in the user tablespace `T` (`pg_tblspc/16400/16384`), sent first
/// (docs/postgresql.md, "The base backup"). `NewDb` is the directory of the database `N` that `CREATE DATABASE n
/// TEMPLATE d TABLESPACE t` creates (`pg_tblspc/16400/16390`); relation files keep the
/// template's relfilenodes, as `copydir` and `CreateAndCopyRelationData` keep them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Loc {
    /// `base/`, the default tablespace (`S`).
    #[default]
    Base,
    /// `pg_tblspc/16400/16384`: `D` in a user tablespace (`T`).
    User,
    /// `pg_tblspc/16400/16390`: the new database `N` of the CREATE DATABASE scenario.
    NewDb,
}

impl Loc {
    /// Whether the directory is in a user tablespace (sent before the main data directory).
    pub fn in_user_tablespace(self) -> bool {
        self != Loc::Base
    }
    /// Path of `D`'s directory in this tablespace, as PostgreSQL's `GetDatabasePath` spells it
    /// (the `PG_<version>_<catversion>` level under a user tablespace is left out).
    pub fn db_path(self) -> String {
        match self {
            Loc::Base => format!("base/{DB_OID}"),
            Loc::User => format!("pg_tblspc/{USER_TS_OID}/{DB_OID}"),
            Loc::NewDb => format!("pg_tblspc/{USER_TS_OID}/{NEW_DB_OID}"),
        }
    }
    /// Path of relation file `rel` of `D` in this tablespace.
    pub fn rel_path(self, rel: u8) -> String {
        format!("{}/{}", self.db_path(), REL_OID_BASE + u32::from(rel))
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::Base => write!(f, "pg_default"),
            Loc::User | Loc::NewDb => write!(f, "ts{USER_TS_OID}"),
        }
    }
}

/// One page: its content version (`0` = all-zero page, `PageIsNew`), its `PD_ALL_VISIBLE`
/// bit and its page LSN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Page {
    /// Content version; 0 is an all-zero (new) page.
    pub ver: u8,
    /// `PD_ALL_VISIBLE`: set by VACUUM (`PageSetAllVisible`, logged by `log_heap_visible`),
    /// cleared by a change to the page.
    #[serde(default)]
    pub all_visible: bool,
    /// `PageGetLSN`: the end LSN (index + 1) of the last WAL record that changed the page.
    pub lsn: Lsn,
}

/// A relation file: its pages in block order.
pub type RelFile = SmallVec<[Page; 4]>;

/// File names (relation numbers) of a directory listing, in order.
pub type Names = SmallVec<[u8; 8]>;

/// The directory of database `D` in one tablespace: relation number to file.
#[derive(Debug, PartialEq, Eq, Hash, Default)]
pub struct Dir {
    /// Relation files by relation number (0-based; relfilenode = `REL_OID_BASE + n`).
    pub files: SmallMap<u8, RelFile, 4>,
}

/// What `pg_tblspc/16400` is in a data directory (`T`'s link; docs/postgresql.md, "DROP
/// TABLESPACE"). The directories of [`Loc::User`] and [`Loc::NewDb`] are reachable through it
/// only when it is a symlink to a target that has its version directory, or a plain directory.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Link {
    /// A symlink to the tablespace's location, which holds the version directory
    /// `PG_<version>_<catversion>` (CREATE TABLESPACE's `create_tablespace_directories`).
    #[default]
    Symlink,
    /// The symlink, its target's version directory removed (`destroy_tablespace_directories`
    /// between its `rmdir` of the version directory and its `unlink` of the link).
    Emptied,
    /// No entry: the link was unlinked (or a plain-format backup walked `pg_tblspc` after that).
    Absent,
    /// A plain directory: what `TablespaceCreateDbspace` makes with `pg_mkdir_p` during redo
    /// when the link is missing ("create them as plain directories and hope they are removed
    /// by further WAL replay").
    Plain,
}

impl Link {
    /// Whether paths under `pg_tblspc/16400/` reach a version directory.
    pub fn reaches(self) -> bool {
        matches!(self, Link::Symlink | Link::Plain)
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Link::Symlink => "a symlink",
            Link::Emptied => "a symlink to a location without its version directory",
            Link::Absent => "absent",
            Link::Plain => "a plain directory",
        })
    }
}

/// The filesystem as far as the model needs it: `D`'s directory in each tablespace, if present,
/// and what `pg_tblspc/16400` is. `base/` always exists.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Fs {
    /// `D`'s directory per tablespace.
    pub dirs: SmallMap<Loc, Dir, 3>,
    /// `pg_tblspc/16400`.
    pub link: Link,
}

/// A directory's files copied as slices of pages (`SmallVec::from_slice`, a copy of the inline
/// array), not page by page through an iterator as the derived `Clone` would: a restore check
/// clones the backup's copy at every terminal state.
impl Clone for Dir {
    fn clone(&self) -> Dir {
        Dir {
            files: self.files.map_values(|f| RelFile::from_slice(f)),
        }
    }
}

impl Fs {
    /// The directory of `D` in `ts`, if it exists.
    pub fn dir(&self, ts: Loc) -> Option<&Dir> {
        self.dirs.get(&ts)
    }
    /// Mutable access to the directory of `D` in `ts`, if it exists.
    pub fn dir_mut(&mut self, ts: Loc) -> Option<&mut Dir> {
        self.dirs.get_mut(&ts)
    }
    /// Whether `D` has a directory in `ts`.
    pub fn has_dir(&self, ts: Loc) -> bool {
        self.dirs.contains_key(&ts)
    }
    /// `mkdir`; returns false if it already existed.
    pub fn mkdir(&mut self, ts: Loc) -> bool {
        if self.dirs.contains_key(&ts) {
            return false;
        }
        self.dirs.insert(ts, Dir::default());
        true
    }
    /// Remove the whole directory with its files (`rmtree` in one go, as redo does).
    pub fn rmtree(&mut self, ts: Loc) -> bool {
        self.dirs.remove(&ts).is_some()
    }
    /// The file `rel` in `ts`, if both exist.
    pub fn file(&self, ts: Loc, rel: u8) -> Option<&RelFile> {
        self.dirs.get(&ts).and_then(|d| d.files.get(&rel))
    }
    /// Remove every directory under the user tablespace (unreachable once its link is gone).
    pub fn drop_user_tablespace_dirs(&mut self) {
        self.dirs.retain(|l, _| !l.in_user_tablespace());
    }
    /// Whether any directory under the user tablespace exists.
    pub fn has_user_tablespace_dirs(&self) -> bool {
        self.dirs.keys().any(|l| l.in_user_tablespace())
    }
    /// Sorted names (relation numbers) of the files in `ts`'s directory of `D`.
    pub fn names(&self, ts: Loc) -> Names {
        self.dirs
            .get(&ts)
            .map(|d| d.files.keys().copied().collect())
            .unwrap_or_default()
    }
}

/// copydir.c `copy_file`: copy one relation file from `src`'s directory to `dst`'s; false if the
/// source file is gone.
pub fn copy_file(fs: &mut Fs, src: Loc, dst: Loc, rel: u8) -> bool {
    let Some(f) = fs.file(src, rel).cloned() else {
        return false;
    };
    if let Some(d) = fs.dir_mut(dst) {
        d.files.insert(rel, f);
    }
    true
}

/// A buffer tag: (tablespace, relation, block) of database `D`.
pub type PageKey = (Loc, u8, u8);
