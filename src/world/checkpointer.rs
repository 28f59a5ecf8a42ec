//! The checkpointer's shared state: `RequestCheckpoint`'s request counters and flags, the
//! checkpoint in progress (docs/postgresql.md, "The checkpointer"). Its steps are
//! `checkpoint.rs`.

use super::fs::{Lsn, PageKey};

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
}
