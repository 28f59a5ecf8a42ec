//! The checkpointer's shared state: `RequestCheckpoint`'s request counters and flags, the
//! checkpoint in progress (docs/postgresql.md, "The checkpointer"). Its steps are
//! `checkpoint.rs`.

use super::fs::{Loc, Lsn, PageKey};

/// The checkpointer's shared request state and its checkpoint in progress (docs/postgresql.md, "The checkpointer").
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Checkpointer {
    /// OR of the flags requested since the last checkpoint began (0 = no request).
    pub pending_flags: u8,
    /// `ckpt_started`: checkpoints begun.
    pub started: u8,
    /// `ckpt_done`: checkpoints completed.
    pub done: u8,
    /// The checkpoint in progress: its redo pointer and the buffers still to write.
    pub running: Option<(Lsn, smallvec::SmallVec<[PageKey; 8]>)>,
    /// Shared `RedoRecPtr`: a page change needs a full-page image iff page LSN <= this.
    pub redo_rec_ptr: Lsn,
    /// `ControlFile->checkPointCopy.redo`.
    pub control_redo: Lsn,
    /// `pendingUnlinks` (sync.c): a relation's truncated first segment (its tombstone, left by
    /// `mdunlinkfork` at commit), with the `ckpt_started` count when it was registered; a
    /// checkpoint unlinks those registered before it began (`SyncPostCheckpoint`).
    pub unlinks: smallvec::SmallVec<[(Loc, u8, u8); 2]>,
    /// `delayChkptFlags & DELAY_CHKPT_START`, one bit per process.
    pub delaying: u8,
    /// The processes delaying the checkpoint in progress (`GetVirtualXIDsDelayingChkpt` when
    /// its redo pointer was chosen): it waits until they have cleared the flag.
    pub delay_wait: u8,
}
