//! The World: everything one PostgreSQL cluster, its base backup and the restored copy consist of,
//! as a pure, deterministic, `Clone + Hash + Eq` value. Imports nothing else of racecheck.
//!
//! The process programs (in `scenario/`) change the World only through the methods here and in
//! the submodules; the restore check (`redo`) is PostgreSQL's startup-process semantics.

pub mod backup;
pub mod buffers;
pub mod catalog;
mod checkpoint;
pub mod checkpointer;
pub mod codec;
mod fields;
pub mod fs;
pub mod locks;
mod pack;
pub mod redo;
pub mod relcopy;
pub mod restore;
pub mod semantics;
pub mod small;
pub mod standby;
pub mod startup;
pub mod storage;
pub mod tablespace;
pub mod tracked;
pub mod wal;
pub mod walk;

/// Append to a step's event text, when one is asked for (`Option<&mut String>`).
macro_rules! ev {
    ($e:expr, $($arg:tt)*) => {
        if let Some(s) = $e.as_deref_mut() {
            use std::fmt::Write as _;
            let _ = write!(s, $($arg)*);
        }
    };
}
pub(crate) use ev;

pub use backup::{Backup, BackupError, WalkStage};
pub use catalog::Catalog;
pub use checkpointer::Checkpointer;
pub use fs::{Dir, Fs, Link, Loc, Lsn, Names, Page, PageKey, RelFile};
pub use locks::{Hold, LockMode, LockObj, LockTable, ProcId, Scope};
pub use semantics::{PgVersion, Semantics};
pub use small::SmallMap;
pub use standby::Standby;
pub use wal::Rec;

use tracked::Tracked;

/// Checkpoint request flags (`RequestCheckpoint`, xlog.h), as a bit set.
pub mod ckpt_flags {
    /// `CHECKPOINT_IMMEDIATE`.
    pub const IMMEDIATE: u8 = 1;
    /// `CHECKPOINT_FORCE`.
    pub const FORCE: u8 = 2;
    /// `CHECKPOINT_WAIT`.
    pub const WAIT: u8 = 4;
    /// `CHECKPOINT_FLUSH_ALL`.
    pub const FLUSH_ALL: u8 = 8;

    /// `IMMEDIATE|FORCE|WAIT` spelled PostgreSQL's way.
    pub fn describe(flags: u8) -> String {
        let mut v = Vec::new();
        for (bit, name) in [
            (IMMEDIATE, "IMMEDIATE"),
            (FORCE, "FORCE"),
            (WAIT, "WAIT"),
            (FLUSH_ALL, "FLUSH_ALL"),
        ] {
            if flags & bit != 0 {
                v.push(name);
            }
        }
        v.join("|")
    }
}

/// A process's place in its program, with the cursor of a multi-step operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ProcState {
    /// Index of the current op in the program.
    pub pc: u8,
    /// Cursor inside a multi-step op (file names listed at open, next index).
    pub cursor: Option<(Names, u8)>,
    /// Checkpoint count seen at this process's last `RequestCheckpoint(WAIT)`.
    pub ckpt_wait: Option<u8>,
    /// Tablespace of `D` as this backend saw it at connection.
    pub db_ts: Loc,
    /// The process raised an ERROR and ended.
    pub failed: bool,
    /// The file of relation 0 as `pg_class` said when the process locked the relation
    /// (`relation_open` → `LockRelationOid`, then the relcache).
    pub rel_file: Option<(Loc, u8)>,
}

impl ProcState {
    /// The file of `D`'s relation `rel` for this process: relation 0 where it found it when it
    /// locked it, else in its database's tablespace.
    pub fn file_of(&self, rel: u8) -> (Loc, u8) {
        match self.rel_file {
            Some(f) if rel == 0 => f,
            _ => (self.db_ts, rel),
        }
    }
}

/// Ghost state: facts about the run that PostgreSQL does not keep, for properties and coverage.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Ghost {
    /// LSN of movedb's create record (file copy or WAL-log).
    pub create_lsn: Option<Lsn>,
    /// Source tablespace of the move, once movedb began copying; the directory dropdb removes,
    /// once its removal began.
    pub removal_src: Option<Loc>,
    /// When the backup stopped, the removal of the directory it walks had begun (movedb's or
    /// dropdb's rmtree on a primary, DROP replay on a standby).
    pub stopped_during_removal: bool,
    /// LSN of the `XLOG_DBASE_DROP` record (movedb's old directory, dropdb's directory).
    pub drop_lsn: Option<Lsn>,
    /// movedb's (dropdb's) removal of the source directory has begun.
    pub rmtree_begun: bool,
    /// The standby's startup process began removing the old directory (`dbase_redo` DROP).
    pub standby_rmtree_begun: bool,
    /// The backup looked at the source directory (lstat/open/send) after the removal of the
    /// directory it walks began (movedb's rmtree on a primary, DROP replay on a standby).
    pub walked_src_during_rmtree: bool,
    /// LSN of the earliest page-image record of a bulk copy whose `smgrextend` has not happened
    /// yet (ALTER TABLE SET TABLESPACE's `RelationCopyStorage`).
    pub image_pending: Option<Lsn>,
    /// The backup's start LSN fell after a page-image record and before that page's write.
    pub start_in_image_window: bool,
    /// LSN of the `XLOG_TBLSPC_DROP` record.
    pub tblspc_drop_lsn: Option<Lsn>,
    /// The primary's DROP TABLESPACE removed `pg_tblspc/16400`.
    pub link_gone: bool,
    /// When the backup stopped, the walked server's `pg_tblspc/16400` was gone (the primary's
    /// unlink, or the standby's replay of `XLOG_TBLSPC_DROP`).
    pub stopped_link_gone: bool,
}

/// The whole cluster state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct World {
    /// The primary's files.
    pub fs: Tracked<Fs>,
    /// Dirty shared buffers of `D` (clean buffers equal the disk and are not kept).
    pub dirty: Tracked<SmallMap<PageKey, Page, 8>>,
    /// The WAL; a record's LSN is its index. Only ever appended to ([`World::log`]).
    pub wal: smallvec::SmallVec<[Rec; 32]>,
    /// Heavyweight locks.
    pub locks: Tracked<LockTable>,
    /// `D`'s row in `pg_database`.
    pub catalog: Tracked<Catalog>,
    /// Checkpointer state.
    pub ckpt: Tracked<Checkpointer>,
    /// Base backup state.
    pub backup: Tracked<Backup>,
    /// The standby the backup is taken from, if the backup source is a standby.
    pub standby: Tracked<Option<Box<Standby>>>,
    /// The primary crashed (every process on it stopped; crash recovery is then judged).
    pub crashed: bool,
    /// Per-process program state, indexed by [`ProcId`].
    pub procs: smallvec::SmallVec<[ProcState; 5]>,
    /// Ghost state.
    pub ghost: Tracked<Ghost>,
}

impl World {
    /// A cluster where `D` lives in `ts` with `files` relation files of `pages` pages each, all
    /// at version 1, flushed; the WAL holds one checkpoint.
    pub fn initial(ts: Loc, files: u8, pages: u8, nprocs: usize) -> World {
        let mut w = World::default();
        w.fs.mkdir(ts);
        let dir = w.fs.dir_mut(ts).expect("just created");
        for r in 0..files {
            dir.files.insert(
                r,
                smallvec::smallvec![
                    Page {
                        ver: 1,
                        ..Page::default()
                    };
                    usize::from(pages)
                ],
            );
        }
        w.wal.push(Rec::Checkpoint { redo: 0 });
        *w.catalog = Catalog::new(ts);
        w.procs = smallvec::smallvec![ProcState::default(); nprocs];
        w
    }

    /// Add a standby that has replayed the WAL so far (its files equal the primary's on disk).
    pub fn with_standby(mut self) -> World {
        let replayed = self.insert_lsn();
        *self.standby = Some(Box::new(Standby::new(
            Fs::clone(&self.fs),
            *self.catalog,
            replayed,
        )));
        self
    }

    /// Whether the removal of the directory the backup walks has begun: movedb's or dropdb's
    /// rmtree on a primary, the replay of the DROP record on a standby.
    pub fn removal_begun(&self) -> bool {
        if self.standby.is_some() {
            self.ghost.standby_rmtree_begun
        } else {
            self.ghost.rmtree_begun
        }
    }

    /// The files a base backup walks: the standby's when it is taken from a standby.
    pub fn walked_fs(&self) -> &Fs {
        self.standby.as_ref().map_or(&self.fs, |s| &s.redo.fs)
    }

    /// The end of WAL: the LSN the next record will get.
    pub fn insert_lsn(&self) -> Lsn {
        Lsn::try_from(self.wal.len()).unwrap_or(Lsn::MAX)
    }

    /// `XLogInsert`: append a record and return its LSN. A record about `pg_database` takes
    /// effect on the primary's catalog exactly as its redo does ([`Catalog::redo`]).
    pub fn log(&mut self, rec: Rec) -> Lsn {
        let lsn = self.insert_lsn();
        self.catalog.update(|c| c.redo(&rec));
        self.wal.push(rec);
        lsn
    }

    /// The process raised an ERROR: the abort releases its locks; it ends.
    pub fn fail(&mut self, p: ProcId) {
        self.locks.release_all(p);
        let st = &mut self.procs[usize::from(p)];
        st.failed = true;
        st.cursor = None;
        st.ckpt_wait = None;
    }

    /// Whether a process may take `mode` on `obj` now.
    pub fn can_lock(&self, proc: ProcId, obj: LockObj, mode: LockMode) -> bool {
        self.locks.can_grant(proc, obj, mode)
    }
}
