//! Relation-level storage on the primary: ALTER TABLE SET TABLESPACE's copy of one relation
//! file outside shared buffers (`FlushRelationBuffers`, `RelationCreateStorage`,
//! `RelationCopyStorage`: page images logged, then written with `smgrextend`, in batches of
//! `log_newpages` from 17), and a committed drop of a relation file (`smgrdounlinkall`: its
//! buffers dropped, its first segment truncated to a tombstone that the next checkpoint unlinks,
//! `mdunlinkfork`). docs/postgresql.md, "ALTER TABLE SET TABLESPACE".

use super::fs::{Loc, Page, RelFile};
use super::wal::Rec;
use super::{ProcId, World};
use serde::{Deserialize, Serialize};

/// In which order a bulk copy logs a batch of page images and writes the pages.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CopyOrder {
    /// The images' record, then one `smgrextend` per page, nothing between them that a
    /// checkpoint waits for (every released version).
    #[default]
    LogThenWrite,
    /// As released, with `DELAY_CHKPT_START` set before the record and cleared after the
    /// batch's writes (a candidate fix: a checkpoint whose redo pointer falls between them
    /// waits for the writes).
    DelayCheckpoint,
    /// The writes first, then the images' record (a candidate fix).
    WriteThenLog,
}

/// The file a relation copy reads and the file it writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CopyFiles {
    /// Source (tablespace, relation number).
    pub src: (Loc, u8),
    /// Target (tablespace, relation number).
    pub dst: (Loc, u8),
}

impl World {
    /// The dirty buffers of the file `(ts, rel)`.
    fn dirty_keys_of(&self, ts: Loc, rel: u8) -> smallvec::SmallVec<[super::PageKey; 8]> {
        self.dirty
            .keys()
            .copied()
            .filter(|&(t, r, _)| t == ts && r == rel)
            .collect()
    }

    /// `FlushRelationBuffers`: write every dirty buffer of the file `(ts, rel)`.
    pub fn flush_relation_buffers(&mut self, ts: Loc, rel: u8) -> usize {
        let keys = self.dirty_keys_of(ts, rel);
        for &k in &keys {
            self.flush_buffer(k);
        }
        keys.len()
    }

    /// `RelationCreateStorage`: `smgrcreate` (with `TablespaceCreateDbspace` making `D`'s
    /// directory in `ts` if missing), then `log_smgrcreate`. Returns the record's LSN.
    pub fn create_storage(&mut self, ts: Loc, rel: u8) -> super::Lsn {
        self.fs.mkdir(ts);
        if let Some(d) = self.fs.dir_mut(ts) {
            d.files.entry(rel).or_default();
        }
        self.log(Rec::SmgrCreate { ts, rel })
    }

    /// A committed drop of the file `(ts, rel)` on the primary (`smgrdounlinkall`):
    /// `DropRelationsAllBuffers`, then `mdunlinkfork` truncates the first segment and registers
    /// its unlink for after the next checkpoint (`register_unlink_segment`).
    pub fn drop_relation_storage(&mut self, ts: Loc, rel: u8) {
        let keys = self.dirty_keys_of(ts, rel);
        for k in keys {
            self.dirty.remove(&k);
        }
        if let Some(f) = self.fs.dir_mut(ts).and_then(|d| d.files.get_mut(&rel)) {
            f.clear();
        }
        let cycle = self.ckpt.started;
        self.ckpt.update(|c| c.unlinks.push((ts, rel, cycle)));
    }
}

/// `log_newpage` / `log_newpages`: the images of source pages `first..first + n` as one record
/// for the target file; with `delay`, `DELAY_CHKPT_START` is set first. Returns the LSN.
pub fn log_new_pages(
    w: &mut World,
    p: ProcId,
    f: CopyFiles,
    (first, n): (u8, u8),
    delay: bool,
) -> super::Lsn {
    if delay {
        w.ckpt.update(|c| c.delaying |= 1u8 << (p & 7));
    }
    let src: RelFile = w.fs.file(f.src.0, f.src.1).cloned().unwrap_or_default();
    let (a, b) = (usize::from(first), usize::from(first) + usize::from(n));

    let pages: RelFile = src
        .get(a..b.min(src.len()))
        .unwrap_or_default()
        .iter()
        .map(|pg| Page { lsn: 0, ..*pg })
        .collect();
    let lsn = w.log(Rec::NewPages {
        ts: f.dst.0,
        rel: f.dst.1,
        first,
        pages,
    });
    // Pages written before their record (the write-first order) leave no window.
    let written = w.fs.file(f.dst.0, f.dst.1).is_some_and(|t| t.len() >= b);
    if !written && w.ghost.image_pending.is_none() {
        w.ghost.update(|g| g.image_pending = Some(lsn));
    }
    lsn
}

/// How a page write of a bulk copy relates to its batch's image record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WriteAfter {
    /// The batch's image record came first (the page carries its LSN).
    pub logged: bool,
    /// The last page of its batch: the batch's images are all written after it.
    pub ends_batch: bool,
    /// Clear `DELAY_CHKPT_START` after it.
    pub delay: bool,
}

/// `smgrextend` of block `blk` of the target with the source's page (the relation is locked
/// AccessExclusive and its buffers were flushed, so the source does not change). Returns the
/// page written.
pub fn write_page(w: &mut World, p: ProcId, f: CopyFiles, blk: u8, a: WriteAfter) -> Page {
    let b = usize::from(blk);
    let src =
        w.fs.file(f.src.0, f.src.1)
            .and_then(|file| file.get(b).copied())
            .unwrap_or_default();
    // log_newpage sets the page LSN on the page it then writes.
    let lsn = if a.logged {
        w.wal
            .iter()
            .rposition(|r| {
                matches!(r, Rec::NewPages { ts, rel, first, pages }
                    if (*ts, *rel) == f.dst
                        && *first <= blk
                        && b < usize::from(*first) + pages.len())
            })
            .and_then(|i| super::Lsn::try_from(i + 1).ok())
            .unwrap_or(src.lsn)
    } else {
        src.lsn
    };
    let page = Page { lsn, ..src };
    if let Some(file) =
        w.fs.dir_mut(f.dst.0)
            .and_then(|d| d.files.get_mut(&f.dst.1))
    {
        if file.len() <= b {
            file.resize(b + 1, Page::default());
        }
        file[b] = page;
    }
    if a.ends_batch && a.logged {
        w.ghost.update(|g| g.image_pending = None);
    }
    if a.delay {
        w.ckpt.update(|c| c.delaying &= !(1u8 << (p & 7)));
    }
    page
}
