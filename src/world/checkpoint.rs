//! The checkpointer's steps on the World: `RequestCheckpoint` and `CreateCheckPoint` one step at
//! a time (docs/postgresql.md, "The checkpointer"), over the state of `checkpointer.rs`.

use super::fs::PageKey;
use super::wal::Rec;
use super::{World, ckpt_flags, ev};

impl World {
    /// `RequestCheckpoint(flags)`: OR the flags in and remember `ckpt_started` for a WAIT.
    /// Returns the counter value the requester must see completed-past.
    pub fn request_checkpoint(&mut self, flags: u8) -> u8 {
        self.ckpt.pending_flags |= flags;
        self.ckpt.started
    }
    /// Whether a WAIT requester that saw `started_at_request` is satisfied: a checkpoint that
    /// began after the request has completed (docs/postgresql.md, "The checkpointer").
    pub fn checkpoint_done_since(&self, started_at_request: u8) -> bool {
        self.ckpt.done > started_at_request
    }

    /// Whether the checkpointer has a step to take: a request is pending, or a checkpoint runs
    /// and no process it waits for still delays it (`DELAY_CHKPT_START`).
    pub fn checkpointer_can_step(&self) -> bool {
        match self.ckpt.running {
            Some(_) => self.ckpt.delay_wait & self.ckpt.delaying == 0,
            None => self.ckpt.pending_flags != 0,
        }
    }

    /// One step of the checkpointer's loop: `CreateCheckPoint` begins (redo pointer := insert
    /// position, `RedoRecPtr` published, dirty buffers marked), writes one buffer per step
    /// (`BufferSync`), ends (`XLOG_CHECKPOINT_ONLINE`, pg_control, `ckpt_done++`).
    pub fn checkpointer_step(&mut self, e: &mut Option<&mut String>) {
        let w = self;
        match w.ckpt.running.take() {
            None => {
                let redo = w.insert_lsn();
                let flags = w.ckpt.pending_flags;
                w.ckpt.pending_flags = 0;
                w.ckpt.started = w.ckpt.started.wrapping_add(1);
                w.ckpt.redo_rec_ptr = redo;
                w.ckpt.delay_wait = w.ckpt.delaying;
                let to_flush: smallvec::SmallVec<[PageKey; 8]> = w.dirty.keys().copied().collect();
                ev!(
                    e,
                    "CreateCheckPoint({}) begins: redo = {redo} (RedoRecPtr), {} dirty buffer(s) to write",
                    ckpt_flags::describe(flags),
                    to_flush.len()
                );
                w.ckpt.running = Some((redo, to_flush));
            }
            Some((redo, mut to_flush)) if !to_flush.is_empty() => {
                let key = to_flush.remove(0);
                let written = w.dirty.contains_key(&key);
                w.flush_buffer(key);
                if written {
                    ev!(
                        e,
                        "BufferSync: write {} blk {}",
                        key.0.rel_path(key.1),
                        key.2
                    );
                } else {
                    ev!(
                        e,
                        "BufferSync: {} blk {} no longer dirty",
                        key.0.rel_path(key.1),
                        key.2
                    );
                }
                w.ckpt.running = Some((redo, to_flush));
            }
            Some((redo, _)) => {
                let lsn = w.log(Rec::Checkpoint { redo });
                w.ckpt.control_redo = redo;
                w.ckpt.done = w.ckpt.done.wrapping_add(1);
                w.ckpt.delay_wait = 0;
                ev!(
                    e,
                    "WAL {lsn}: CHECKPOINT_ONLINE redo {redo}; pg_control updated (ckpt_done = {})",
                    w.ckpt.done
                );
                // SyncPostCheckpoint: unlink the tombstones registered before this checkpoint
                // began (their cycle counter differs from this checkpoint's).
                let started = w.ckpt.started;
                let due: smallvec::SmallVec<[(super::Loc, u8, u8); 2]> = w
                    .ckpt
                    .unlinks
                    .iter()
                    .copied()
                    .filter(|&(_, _, c)| c != started)
                    .collect();
                if !due.is_empty() {
                    w.ckpt.unlinks.retain(|&mut (_, _, c)| c == started);
                    for (ts, rel, _) in due {
                        if let Some(d) = w.fs.dir_mut(ts) {
                            d.files.remove(&rel);
                        }
                        ev!(e, "; SyncPostCheckpoint: unlink(\"{}\")", ts.rel_path(rel));
                    }
                }
            }
        }
    }
}
