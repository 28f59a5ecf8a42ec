//! How each type inside the World is packed (the generic codec of `pack.rs` applied to the
//! file system, locks, catalog, checkpointer, backup, redo, standby, process states, ghost
//! facts, walk stages and WAL records). A field added to one of these types must be added
//! here: `tests/suite/codec.rs` decodes every reachable state and compares.

use super::backup::{Backup, BackupError, WalkStage};
use super::catalog::{Catalog, Pending};
use super::checkpointer::Checkpointer;
use super::fs::{Dir, Fs, Link, Loc, Lsn, Names, Page, RelFile};
use super::locks::{Hold, LockMode, LockObj, LockTable, Scope};
use super::pack::{
    Pack, byte, get_leb, pack_enum, pack_struct, pack_unit_enum, pack_wrapper, put_leb,
};
use super::redo::Redo;
use super::standby::Standby;
use super::tracked::Tracked;
use super::wal::Rec;
use super::{Ghost, ProcState};

pack_wrapper!(Box);
pack_wrapper!(Tracked);
pack_unit_enum!(Loc { Base, User, NewDb });
pack_unit_enum!(Link {
    Symlink,
    Emptied,
    Absent,
    Plain
});
pack_unit_enum!(LockObj {
    PgDatabase,
    Database,
    StandbyPgDatabase,
    Relation
});
pack_unit_enum!(LockMode {
    AccessShare,
    RowExclusive,
    Share,
    AccessExclusive
});
pack_unit_enum!(Scope { Xact, Session });

/// A page: its version, then its LSN and all-visible bit as one LEB128 number
/// (`lsn * 2 + all_visible`): two bytes while the LSN is below 64. Pages are most of a World.
impl Pack for Page {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        o.push(self.ver);
        put_leb(u64::from(self.lsn) * 2 + u64::from(self.all_visible), o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        let ver = byte(i)?;
        let tail = get_leb(i)?;
        Some(Page {
            ver,
            all_visible: tail & 1 == 1,
            lsn: u32::try_from(tail >> 1).ok()?,
        })
    }
}
pack_struct!(Dir { files });
pack_struct!(Fs { dirs, link });
pack_struct!(Hold {
    proc,
    obj,
    mode,
    scope
});
pack_struct!(Catalog {
    ts,
    invalid,
    dropped,
    pending,
    rel,
    rel_dropped,
    ts_dropped
});
pack_struct!(Checkpointer {
    pending_flags,
    started,
    done,
    running,
    redo_rec_ptr,
    control_redo,
    unlinks,
    delaying,
    delay_wait
});
pack_struct!(Backup {
    in_progress,
    start_wait,
    start_lsn,
    catalog_at_start,
    stage,
    copy,
    failed,
    end_lsn,
    map_pending
});
pack_struct!(Redo {
    fs,
    catalog,
    invalid,
    consistent,
    cursor
});
pack_struct!(Standby {
    redo,
    replayed,
    last_ckpt_redo,
    last_ckpt_end,
    restart_redo,
    min_recovery_point,
    restartpoint,
    died
});
pack_struct!(ProcState {
    pc,
    cursor,
    ckpt_wait,
    db_ts,
    failed,
    rel_file
});
pack_struct!(Ghost {
    create_lsn,
    removal_src,
    stopped_during_removal,
    drop_lsn,
    rmtree_begun,
    standby_rmtree_begun,
    walked_src_during_rmtree,
    image_pending,
    start_in_image_window,
    tblspc_drop_lsn,
    link_gone,
    stopped_link_gone
});

impl Pack for LockTable {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        self.holds.put(o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        Some(LockTable {
            holds: Pack::get(i)?,
        })
    }
    #[inline]
    fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
        self.holds.get_into(i)
    }
}

impl Pack for BackupError {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        self.0.put(o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        String::get(i).map(BackupError)
    }
}

impl Pack for Pending {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        match self {
            Pending::SetTablespace(ts) => {
                o.push(0);
                ts.put(o);
            }
            Pending::Delete => o.push(1),
            Pending::MoveRel(ts, rel) => {
                o.push(2);
                ts.put(o);
                rel.put(o);
            }
            Pending::DropRel => o.push(3),
            Pending::DropTablespace => o.push(4),
        }
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        match byte(i)? {
            0 => Some(Pending::SetTablespace(Loc::get(i)?)),
            1 => Some(Pending::Delete),
            2 => Some(Pending::MoveRel(Loc::get(i)?, u8::get(i)?)),
            3 => Some(Pending::DropRel),
            4 => Some(Pending::DropTablespace),
            _ => None,
        }
    }
}

pack_enum!(WalkStage {
    0 => OpenTablespace,
    1 => Lstat,
    2 => OpenDb,
    3 => Copy { names: Names, next: u8 },
    4 => Done,
});

pack_enum!(Rec {
    0 => Checkpoint { redo: Lsn },
    1 => CreateFileCopy { dst: Loc, src: Loc },
    2 => CreateWalLog { ts: Loc },
    3 => SmgrCreate { ts: Loc, rel: u8 },
    4 => Fpi { all_visible: bool, ts: Loc, rel: u8, blk: u8, ver: u8 },
    5 => HeapUpdate { ts: Loc, rel: u8, blk: u8, ver: u8 },
    6 => Visible { ts: Loc, rel: u8, blk: u8, heap_image: Option<u8> },
    7 => CatalogUpdate { ts: Loc },
    8 => MarkInvalid,
    9 => CatalogDelete,
    10 => Drop { ts: Loc },
    11 => Commit { force_sync: bool, drop: Option<(Loc, u8)> },
    12 => Abort,
    13 => BackupEnd { start: Lsn },
    14 => NewPages { ts: Loc, rel: u8, first: u8, pages: RelFile },
    15 => ClassUpdate { ts: Loc, rel: u8 },
    16 => ClassDelete,
    17 => TablespaceDelete,
    18 => TblspcDrop,
});
