//! Relation-level storage on the primary: ALTER TABLE SET TABLESPACE's copy of one relation
//! file outside shared buffers (`FlushRelationBuffers`, `RelationCreateStorage`,
//! `RelationCopyStorage`: page images logged, then written with `smgrextend`, in batches of
//! `log_newpages` from 17), and a committed drop of a relation file (`smgrdounlinkall`: its
//! buffers dropped, its first segment truncated to a tombstone that the next checkpoint unlinks,
//! `mdunlinkfork`). docs/postgresql.md, "ALTER TABLE SET TABLESPACE".

use super::fs::{Loc, Page, RelFile};
use super::wal::Rec;
use super::{ProcId, World, ev};
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
    /// `FlushRelationBuffers`: write every dirty buffer of the file `(ts, rel)`.
    pub fn flush_relation_buffers(&mut self, ts: Loc, rel: u8) -> usize {
        let keys: smallvec::SmallVec<[_; 8]> = self
            .dirty
            .keys()
            .copied()
            .filter(|&(t, r, _)| t == ts && r == rel)
            .collect();
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
        let keys: smallvec::SmallVec<[_; 8]> = self
            .dirty
            .keys()
            .copied()
            .filter(|&(t, r, _)| t == ts && r == rel)
            .collect();
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

/// The steps of one batch: its first block and its length, and where step `k` of the whole
/// copy falls (batch, sub-step) for `npages` pages in batches of `batch`.
fn locate(k: usize, npages: usize, batch: usize) -> Option<(usize, usize, usize)> {
    let mut k = k;
    let mut first = 0;
    while first < npages {
        let n = batch.min(npages - first);
        if k <= n {
            return Some((first, n, k));
        }
        k -= n + 1;
        first += n;
    }
    None
}

/// One step of `RelationCopyStorage` from `f.src` to `f.dst`, in batches of `batch` pages, in
/// `order`; returns whether the copy is complete. Each batch is one record step and one step
/// per page written; the pages are read from the source file (the relation is locked
/// AccessExclusive and its buffers were flushed).
pub fn copy_step(
    w: &mut World,
    p: ProcId,
    f: CopyFiles,
    batch: u8,
    order: CopyOrder,
    e: &mut Option<&mut String>,
) -> bool {
    let pi = usize::from(p);
    let k = w.procs[pi].cursor.take().map_or(0, |(_, k)| usize::from(k));
    let src: RelFile = w.fs.file(f.src.0, f.src.1).cloned().unwrap_or_default();
    let Some((first, n, sub)) = locate(k, src.len(), usize::from(batch.max(1))) else {
        return true;
    };
    let log_step = match order {
        CopyOrder::WriteThenLog => n,
        CopyOrder::LogThenWrite | CopyOrder::DelayCheckpoint => 0,
    };
    let bit = 1u8 << (p & 7);
    if sub == log_step {
        if order == CopyOrder::DelayCheckpoint {
            w.ckpt.update(|c| c.delaying |= bit);
        }
        let pages: RelFile = src[first..first + n]
            .iter()
            .map(|pg| Page { lsn: 0, ..*pg })
            .collect();
        let lsn = w.log(Rec::NewPages {
            ts: f.dst.0,
            rel: f.dst.1,
            first: u8::try_from(first).unwrap_or(u8::MAX),
            pages,
        });
        if order != CopyOrder::WriteThenLog && w.ghost.image_pending.is_none() {
            w.ghost.update(|g| g.image_pending = Some(lsn));
        }
        ev!(
            e,
            "{}WAL {lsn}: {}",
            if order == CopyOrder::DelayCheckpoint {
                "DELAY_CHKPT_START; "
            } else {
                ""
            },
            w.wal[lsn as usize]
        );
    } else {
        let i = if sub < log_step { sub } else { sub - 1 };
        let blk = first + i;
        // log_newpage sets the page LSN on the page it then writes.
        let lsn = match order {
            CopyOrder::WriteThenLog => src[blk].lsn,
            CopyOrder::LogThenWrite | CopyOrder::DelayCheckpoint => w
                .wal
                .iter()
                .rposition(|r| {
                    matches!(r, Rec::NewPages { ts, rel, first: b, .. }
                        if (*ts, *rel) == f.dst && usize::from(*b) == first)
                })
                .and_then(|i| super::Lsn::try_from(i + 1).ok())
                .unwrap_or(0),
        };
        let page = Page { lsn, ..src[blk] };
        if let Some(file) =
            w.fs.dir_mut(f.dst.0)
                .and_then(|d| d.files.get_mut(&f.dst.1))
        {
            if file.len() <= blk {
                file.resize(blk + 1, Page::default());
            }
            file[blk] = page;
        }
        let batch_done = i + 1 == n;
        ev!(
            e,
            "smgrextend(\"{}\", blk {blk}) (v{})",
            f.dst.0.rel_path(f.dst.1),
            page.ver
        );
        if batch_done && order != CopyOrder::WriteThenLog {
            w.ghost.update(|g| g.image_pending = None);
            if order == CopyOrder::DelayCheckpoint {
                w.ckpt.update(|c| c.delaying &= !bit);
                ev!(e, "; DELAY_CHKPT_START cleared");
            }
        }
    }
    if locate(k + 1, src.len(), usize::from(batch.max(1))).is_none() {
        return true;
    }
    w.procs[pi].cursor = Some((
        smallvec::SmallVec::new(),
        u8::try_from(k + 1).unwrap_or(u8::MAX),
    ));
    false
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn batches_cover_every_page_once() {
        // Two pages, one per record: log 0, write 0, log 1, write 1.
        let one: Vec<_> = (0..5).map(|k| locate(k, 2, 1)).collect();
        assert_eq!(
            one,
            [
                Some((0, 1, 0)),
                Some((0, 1, 1)),
                Some((1, 1, 0)),
                Some((1, 1, 1)),
                None
            ]
        );
        // Two pages, 32 a record: one record, two writes.
        let many: Vec<_> = (0..4).map(|k| locate(k, 2, 32)).collect();
        assert_eq!(
            many,
            [Some((0, 2, 0)), Some((0, 2, 1)), Some((0, 2, 2)), None]
        );
    }
}
