//! The user tablespace `T` as an object: DROP TABLESPACE's `destroy_tablespace_directories`
//! on the primary (one `rmdir` or `unlink` per step) and in redo (`tblspc_redo`), what redo's
//! `TablespaceCreateDbspace` does to a missing link, and the check of `pg_tblspc` at
//! consistency (`CheckTablespaceDirectory`, 14.5+). docs/postgresql.md, "DROP TABLESPACE".

use super::fs::{Fs, Link, Loc, USER_TS_OID};

/// `destroy_tablespace_directories`' emptiness test (`directory_is_empty` of each database
/// directory under the version directory): whether every directory of `T` is empty.
pub fn dirs_empty(fs: &Fs) -> bool {
    fs.dirs
        .iter()
        .all(|(l, d)| !l.in_user_tablespace() || d.files.is_empty())
}

/// The path of `T`'s link.
pub fn link_path() -> String {
    format!("pg_tblspc/{USER_TS_OID}")
}

/// `rmdir` of each (empty) database directory under `T`'s version directory.
pub fn rmdir_database_dirs(fs: &mut Fs) -> usize {
    let before = fs.dirs.len();
    fs.dirs
        .retain(|l, d| !(l.in_user_tablespace() && d.files.is_empty()));
    before - fs.dirs.len()
}

/// `rmdir` of `T`'s version directory (the link stays, pointing at an emptied location).
pub fn rmdir_version_dir(fs: &mut Fs) {
    if fs.link == Link::Symlink {
        fs.link = Link::Emptied;
    }
}

/// `unlink` (or, for a plain directory, `rmdir`) of `pg_tblspc/16400`.
pub fn remove_link(fs: &mut Fs) {
    fs.drop_user_tablespace_dirs();
    fs.link = Link::Absent;
}

/// `tblspc_redo` for `XLOG_TBLSPC_DROP`: `destroy_tablespace_directories(redo = true)`. An
/// empty database directory is removed; a non-empty one fails its `rmdir` (a LOG), and so does
/// the version directory's, and the link stays: "directories for tablespace %u could not be
/// removed" (a LOG; the files are left behind). Returns that LOG line when it happens.
pub fn drop_redo(fs: &mut Fs) -> Option<String> {
    rmdir_database_dirs(fs);
    if fs.has_user_tablespace_dirs() {
        return Some(format!(
            "LOG: directories for tablespace {USER_TS_OID} could not be removed \
             (HINT: You can remove the directories manually if necessary.)"
        ));
    }
    remove_link(fs);
    None
}

/// Redo's `TablespaceCreateDbspace(isRedo)` before it creates `D`'s directory in `ts`: a
/// missing link becomes a plain directory (`pg_mkdir_p`), a link to an emptied location gets
/// its version directory back. Returns what it did, if anything.
pub fn redo_create_dbspace(fs: &mut Fs, ts: Loc) -> Option<&'static str> {
    if !ts.in_user_tablespace() || fs.has_dir(ts) {
        return None;
    }
    match fs.link {
        Link::Absent => {
            fs.link = Link::Plain;
            Some("TablespaceCreateDbspace: pg_mkdir_p creates pg_tblspc/16400 as a plain directory")
        }
        Link::Emptied => {
            fs.link = Link::Symlink;
            Some("TablespaceCreateDbspace: pg_mkdir_p creates the version directory")
        }
        Link::Symlink | Link::Plain => None,
    }
}

/// `CheckTablespaceDirectory` (xlogrecovery.c, 14.5+) when consistency is reached: a plain
/// directory in `pg_tblspc` is a PANIC unless `allow_in_place_tablespaces`.
pub fn check_at_consistency(fs: &Fs) -> Option<String> {
    (fs.link == Link::Plain)
        .then(|| format!("PANIC: unexpected directory entry \"{USER_TS_OID}\" found in pg_tblspc/"))
}

/// The link as a plain-format backup copies it when its walk of the data directory reaches
/// `pg_tblspc` (`sendDir` sends a symlink entry; `pg_basebackup -Fp` makes the link to the
/// tablespace it received): a symlink whatever its target holds (the target is what the
/// tablespace's own archive held), absent if it was gone, a plain directory as one.
pub fn walked_link(l: Link) -> Link {
    match l {
        Link::Symlink | Link::Emptied => Link::Symlink,
        Link::Absent => Link::Absent,
        Link::Plain => Link::Plain,
    }
}
