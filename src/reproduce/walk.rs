//! The backup's walk, done by racecheck in the trace's order: `D`'s directory listed and its
//! files copied where the model's walk copies them, the rest of the data directory and the
//! tablespace's version folder copied as `pg_basebackup` sends them.

use super::server::{RunError, Session};
use super::setup::Cluster;
use super::setup::mkdir;
use crate::world::Loc;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

impl Cluster {
    pub(super) fn session(&self, db: &str) -> Result<Session, RunError> {
        self.primary.session(&self.bin, db, &self.root)
    }

    /// The real folder of `D` at a model location, and its place in the backup.
    pub(super) fn db_dir(&self, loc: Loc) -> (PathBuf, PathBuf) {
        match loc {
            Loc::Base => (
                self.src_data.join("base").join(self.db_oid.to_string()),
                self.backup.join("base").join(self.db_oid.to_string()),
            ),
            Loc::User | Loc::NewDb => {
                let oid = if loc == Loc::User {
                    self.db_oid.to_string()
                } else {
                    self.new_db_dir().unwrap_or_else(|| "new-database".into())
                };
                (
                    self.src_ts.join(&self.ts_version_dir).join(&oid),
                    self.backup_ts.join(&self.ts_version_dir).join(&oid),
                )
            }
        }
    }

    /// The database folders in the tablespace's version folder.
    fn ts_db_dirs(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.src_ts.join(&self.ts_version_dir)) else {
            return Vec::new();
        };
        let mut v: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.parse::<u32>().is_ok())
            .collect();
        v.sort();
        v
    }

    /// CREATE DATABASE's new folder in the tablespace (the model's `NewDb`): the one database
    /// folder there that is not `d`'s (its OID is not visible before the commit).
    fn new_db_dir(&self) -> Option<String> {
        let d = self.db_oid.to_string();
        self.ts_db_dirs().into_iter().find(|n| *n != d)
    }

    /// Whether a file of `D`'s folder belongs to the model's relation `rel` (its main fork,
    /// free space map or visibility map).
    pub(super) fn model_rel(&self, name: &str) -> Option<u8> {
        let base = name.split(['_', '.']).next().unwrap_or("");
        self.relfiles
            .iter()
            .position(|f| f.to_string() == base)
            .and_then(|i| u8::try_from(i).ok())
    }

    pub(super) fn walk_open(&mut self, loc: Loc, notes: &mut Vec<String>) -> Result<(), RunError> {
        let (src, dst) = self.db_dir(loc);
        let Ok(entries) = std::fs::read_dir(&src) else {
            notes.push(format!(
                "the walk opens {}: the real folder is gone (the model's was still there)",
                src.display()
            ));
            return Ok(());
        };
        mkdir(&dst)?;
        let mut listed = BTreeSet::new();
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            // ALTER TABLE SET TABLESPACE's new file in D's folder of the tablespace: the model's
            // next relation number (its relfilenode is visible only after the commit).
            if self.adopt_new_file
                && loc == Loc::User
                && self.model_rel(&name).is_none()
                && let Ok(f) = name.split(['_', '.']).next().unwrap_or("").parse::<u32>()
            {
                self.relfiles.push(f);
            }
            if self.model_rel(&name).is_some() {
                listed.insert(name);
            } else {
                // Not one of the model's files: copied at once (a vanished file is skipped,
                // as the real walk skips it).
                let _ = std::fs::copy(e.path(), dst.join(&name));
            }
        }
        self.listed.insert(loc, listed);
        Ok(())
    }

    pub(super) fn walk_copy(
        &mut self,
        loc: Loc,
        rel: u8,
        notes: &mut Vec<String>,
    ) -> Result<(), RunError> {
        let (src, dst) = self.db_dir(loc);
        let names: Vec<String> = self
            .listed
            .get(&loc)
            .map(|s| {
                s.iter()
                    .filter(|n| self.model_rel(n) == Some(rel))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if names.is_empty() {
            notes.push(format!(
                "the walk copies relation {rel} in {}: the real walk did not list it",
                src.display()
            ));
        }
        for n in names {
            if std::fs::copy(src.join(&n), dst.join(&n)).is_err() {
                notes.push(format!(
                    "{}/{n} vanished before its copy (skipped, as the walk does)",
                    src.display()
                ));
            }
        }
        Ok(())
    }

    /// The tablespace's folder but the database folders in it (`D`'s, or CREATE DATABASE's new
    /// one: the model's walk lists those).
    pub(super) fn walk_tablespace(&mut self) -> Result<(), RunError> {
        if self.tablespace_copied {
            return Ok(());
        }
        self.tablespace_copied = true;
        let skip: BTreeSet<PathBuf> = self
            .ts_db_dirs()
            .into_iter()
            .map(|n| PathBuf::from(&self.ts_version_dir).join(n))
            .collect();
        copy_tree(&self.src_ts, &self.backup_ts, Path::new(""), &skip)?;
        mkdir(&self.backup_ts.join(&self.ts_version_dir))
    }

    /// Everything of the data directory but `D`'s folder, `pg_wal`, `pg_control`, the
    /// tablespace links and the files a base backup leaves out.
    pub(super) fn walk_rest(&mut self) -> Result<(), RunError> {
        if self.rest_copied {
            return Ok(());
        }
        self.rest_copied = true;
        // Folders a base backup sends empty (basebackup.c's excludeDirContents) and files it
        // leaves out; pg_wal comes from the archive, the tablespace link from tablespace_map.
        const EMPTY: [&str; 8] = [
            "pg_wal",
            "pg_tblspc",
            "pg_replslot",
            "pg_stat_tmp",
            "pg_dynshmem",
            "pg_notify",
            "pg_serial",
            "pg_snapshots",
        ];
        let skip: BTreeSet<PathBuf> = EMPTY
            .iter()
            .chain(&[
                "pg_subtrans",
                "postmaster.pid",
                "postmaster.opts",
                "global/pg_control",
                "standby.signal",
            ])
            .map(PathBuf::from)
            .chain([PathBuf::from("base").join(self.db_oid.to_string())])
            .collect();
        copy_tree(&self.src_data, &self.backup, Path::new(""), &skip)?;
        for d in EMPTY
            .iter()
            .chain(&["pg_subtrans", "pg_wal/archive_status"])
        {
            mkdir(&self.backup.join(d))?;
        }
        Ok(())
    }
}

pub(super) fn copy_tree(
    from: &Path,
    to: &Path,
    rel: &Path,
    skip: &BTreeSet<PathBuf>,
) -> Result<(), RunError> {
    mkdir(&to.join(rel))?;
    let Ok(entries) = std::fs::read_dir(from.join(rel)) else {
        return Ok(());
    };
    for e in entries.filter_map(|e| e.ok()) {
        let r = rel.join(e.file_name());
        if skip.contains(&r) || e.file_name().to_string_lossy() == "pg_internal.init" {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            copy_tree(from, to, &r, skip)?;
        } else if ft.is_file() {
            let _ = std::fs::copy(from.join(&r), to.join(&r));
        }
    }
    Ok(())
}

pub(super) fn unhex(s: &str) -> String {
    let bytes: Vec<u8> = (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
