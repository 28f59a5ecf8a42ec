//! Partial-order reduction: from a state, one process's step that is a *persistent set* on its
//! own, found from the op footprints ([`super::ops::res`]). The native engine then expands that
//! step alone instead of every enabled process. Why this keeps every verdict is argued in
//! docs/reduction.md; `tests/reduction.rs` checks the footprints it relies on in every reachable
//! state and compares reduced and unreduced searches of every model.

use super::Scenario;
use super::ahead::Ahead;
use super::ops::{Op, res, res::Footprint};
use crate::world::{Loc, ProcId, WalkStage, World};

impl Scenario {
    /// What process `q` may still touch, from this state on, in any schedule (see
    /// [`Scenario::futures`], which computes every process's at once).
    pub fn future_footprint(&self, w: &World, q: ProcId) -> Footprint {
        self.futures(w)[usize::from(q)]
    }

    /// What each process may still touch, from this state on, in any schedule: nothing once it
    /// has finished; for the checkpointer, nothing while it is idle with no request pending and
    /// no other process left that will request one (it only runs on request), only the
    /// buffers left to write and the checkpoint's end while it runs the last checkpoint anyone
    /// will ask for, and while more may come the files of the buffers dirty now and of those
    /// another process may still dirty; for the postmaster's crash, nothing once it can no
    /// longer happen; otherwise the bound of the rest of its program ([`Ahead`]) narrowed by
    /// the state:
    /// - the ops that touch only the process's own database count the files of their pages in
    ///   one tablespace when it is known for the rest of the run (`db_ts` once connected, or
    ///   the catalog's tablespace, which `Connect` copies, if no other unfinished process may
    ///   still touch the catalog);
    /// - a walk of the primary that has listed its directory counts the files left to send;
    /// - an rmtree counts the directory, the files it has listed and not yet unlinked, and what
    ///   its listing and its `rmdir` can find: the files there now, or every file of the
    ///   tablespace if a process may still create one (its future then names the directory).
    ///
    /// Processes past the eighth count everything (docs/reduction.md).
    pub fn futures(&self, w: &World) -> [Footprint; 8] {
        let mut out = [Footprint::MAX; 8];
        let n = self.procs.len().min(out.len());
        let u = Unfinished::of(self, w);
        // First every rmtree counted whole, then narrowed with the others' futures.
        let mut rmtree: [Option<(Loc, Footprint)>; 8] = [None; 8];
        let mut checkpointer = None;
        for q in 0..n {
            let Some(ahead) = u.ahead[q] else {
                out[q] = 0;
                continue;
            };
            let (whole, narrow) = self.future_of(w, &u, q, ahead);
            out[q] = whole;
            rmtree[q] = narrow;
            if matches!(
                self.procs[q].program[usize::from(w.procs[q].pc)],
                Op::Checkpointer
            ) && u.more_checkpoints(w, q)
            {
                checkpointer = Some(q);
            }
        }
        // The checkpointer, while more checkpoints may come: the buffers dirty now, and those
        // another process may still dirty: a step that dirties a buffer names its file, so
        // they are among the files in the futures of the processes that touch the buffers
        // (with the directory: writing a buffer may create its file).
        if let Some(q) = checkpointer {
            let others = (0..n)
                .filter(|&o| o != q && out[o] & res::BUFFERS != 0)
                .fold(0, |a, o| a | out[o]);
            let mut f = out[q] & !(res::FS_BASE | res::FS_USER);
            for ts in [Loc::Base, Loc::User] {
                let files = others & res::fs(ts);
                if files != 0 {
                    f |= files | res::dir(ts);
                }
            }
            let pending = w
                .dirty
                .keys()
                .chain(w.ckpt.running.iter().flat_map(|r| r.1.iter()))
                .chain(w.ckpt.unlinks.iter());
            out[q] = pending.fold(f, |a, &(ts, rel, _)| a | res::dir(ts) | res::file(ts, rel));
        }
        for q in 0..n {
            let Some((src, rest)) = rmtree[q] else {
                continue;
            };
            let creates =
                rest & res::dir(src) != 0 || (0..n).any(|o| o != q && out[o] & res::dir(src) != 0);
            out[q] = rest
                | res::dir(src)
                | if creates {
                    res::fs(src)
                } else {
                    w.fs.dir(src)
                        .map_or(0, |d| res::files(src, d.files.keys().copied()))
                };
        }
        out
    }

    /// One unfinished process's future with an rmtree's directory counted whole, and, when it
    /// has an rmtree to narrow, its directory and the future without what the rmtree's listing
    /// and `rmdir` can find. `ahead` is [`Ahead`] from where it stands.
    fn future_of(
        &self,
        w: &World,
        u: &Unfinished,
        q: usize,
        ahead: &Ahead,
    ) -> (Footprint, Option<(Loc, Footprint)>) {
        let st = &w.procs[q];
        let pc = usize::from(st.pc);
        let whole =
            |f: Footprint, r: Option<Loc>| (f | r.map_or(0, res::fs), r.map(|src| (src, f)));
        match &self.procs[q].program[pc] {
            Op::Checkpointer => {
                let f = match &w.ckpt.running {
                    _ if u.more_checkpoints(w, q) => ahead.footprint,
                    None => 0,
                    // The last checkpoint: its buffers left to write, then its end, which
                    // unlinks the tombstones registered before it began.
                    Some((_, to_flush)) => to_flush
                        .iter()
                        .chain(w.ckpt.unlinks.iter().filter(|u| u.2 != w.ckpt.started))
                        .fold(
                            res::WAL | res::CKPT | res::DONE | res::DELAY,
                            |a, &(ts, rel, _)| a | res::BUFFERS | res::dir(ts) | res::file(ts, rel),
                        ),
                };
                (f, None)
            }
            Op::Crash { command_ops } => {
                let m = &w.procs[usize::from(super::pid::COMMAND)];
                if w.crashed || m.failed || m.pc >= *command_ops {
                    (0, None)
                } else {
                    (ahead.footprint, None)
                }
            }
            // A walk of the primary that has listed the directory: the files left to send.
            Op::SendTablespace { ts } if w.standby.is_none() => match &w.backup.stage {
                WalkStage::Copy { names, next } => {
                    let (f, r) = self.program_ahead(w, u, q, pc + 1);
                    let this = res::REMOVAL
                        | res::BACKUP
                        | res::files(*ts, names.iter().skip(usize::from(*next)).copied());
                    whole(f | this, r)
                }
                _ => {
                    let (f, r) = self.program_ahead(w, u, q, pc);
                    whole(f, r)
                }
            },
            // An rmtree that has listed its directory: the files left to unlink.
            Op::Rmtree { src } if st.cursor.is_some() => {
                let (f, r) = self.program_ahead(w, u, q, pc + 1);
                let (names, next) = st
                    .cursor
                    .as_ref()
                    .map_or((&[][..], 0), |(n, k)| (&n[..], *k));
                let last = if pc + 1 == self.procs[q].program.len() {
                    res::DONE
                } else {
                    0
                };
                let this = last | res::files(*src, names.iter().skip(usize::from(next)).copied());
                // The rmtree after this one, if any, counts whole.
                let f = f | this | r.map_or(0, res::fs);
                (f | res::fs(*src), Some((*src, f)))
            }
            Op::Lock { .. }
            | Op::Unlock { .. }
            | Op::RefuseDuringBackup { .. }
            | Op::RequestCheckpoint { .. }
            | Op::WaitCheckpoint
            | Op::DropDatabaseBuffers
            | Op::TargetCheck { .. }
            | Op::Copydir { .. }
            | Op::LogCreateFileCopy { .. }
            | Op::LogCreateWalLog { .. }
            | Op::CopyRelationsLogged { .. }
            | Op::MarkDatabaseInvalid
            | Op::DeleteCatalogRow
            | Op::UpdateCatalog { .. }
            | Op::ErrorBeforeCommit { .. }
            | Op::Commit { .. }
            | Op::Rmtree { .. }
            | Op::LogDrop { .. }
            | Op::StartBackup { .. }
            | Op::WaitStartCheckpoint
            | Op::SendTablespace { .. }
            | Op::StopBackup
            | Op::StartBackupOnStandby
            | Op::WaitRestartpoint
            | Op::StopBackupOnStandby
            | Op::StartupRedo { .. }
            | Op::Connect
            | Op::Visible { .. }
            | Op::Update { .. }
            | Op::FlushBuffer { .. }
            | Op::FlushRelationBuffers { .. }
            | Op::CreateStorage { .. }
            | Op::LogNewPages { .. }
            | Op::WritePage { .. }
            | Op::UpdateClass { .. }
            | Op::DeleteClassRow
            | Op::DeleteTablespaceRow
            | Op::TablespaceEmpty { .. }
            | Op::SmgrReleaseBarrier
            | Op::RmdirDatabaseDirs
            | Op::RmdirVersionDir
            | Op::RemoveTablespaceLink
            | Op::LogTblspcDrop
            | Op::SendLinks
            | Op::TablespaceMap
            | Op::Disconnect => {
                let (f, r) = self.program_ahead(w, u, q, pc);
                whole(f, r)
            }
        }
    }

    /// The bound of what process `q`'s program may touch from op `pc` on, without the
    /// directories of its nearest rmtree (returned apart): [`Ahead::fixed`] and what the ops
    /// that touch only the process's own database touch there ([`Ahead::own_db`]): in one
    /// tablespace when it is known for the rest of the run (`db_ts` once connected, or, before,
    /// the catalog's tablespace, which `Connect` copies, if no other unfinished process may
    /// still touch the catalog), in both otherwise.
    fn program_ahead(
        &self,
        w: &World,
        u: &Unfinished,
        q: usize,
        pc: usize,
    ) -> (Footprint, Option<Loc>) {
        let Some(ahead) = self.ahead[q].get(pc) else {
            return (0, None);
        };
        let one = |ts: Loc| ahead.own_db[usize::from(ts.in_user_tablespace())];
        let own = if !ahead.touches_own_db {
            0
        } else if !ahead.connects {
            one(w.procs[q].db_ts)
        } else if !u.another(q, u.catalog) {
            one(w.catalog.ts)
        } else {
            ahead.own_db[0] | ahead.own_db[1]
        };
        (ahead.fixed | own, ahead.rmtree)
    }

    /// Whether `p` is the checkpointer and its next step is one every run from here takes: a
    /// process that has not finished waits for a checkpoint that has not completed
    /// (`RequestCheckpoint(WAIT)`, a backup's start), which needs the checkpoint running now, or
    /// the one requested, to begin and end. Only a crash ends such a wait otherwise (it fails
    /// every process), and a crash that can still happen touches every resource: the step is
    /// then dependent on it and not chosen (docs/reduction.md).
    fn checkpoint_awaited(&self, w: &World, p: ProcId) -> bool {
        matches!(self.next_op(w, p), Some(Op::Checkpointer))
            && (0..self.procs.len()).any(|q| {
                let Ok(q) = ProcId::try_from(q) else {
                    return false;
                };
                matches!(
                    self.next_op(w, q),
                    Some(Op::WaitCheckpoint | Op::WaitStartCheckpoint)
                ) && w.procs[usize::from(q)]
                    .ckpt_wait
                    .is_some_and(|s| !w.checkpoint_done_since(s))
            })
    }

    /// Whether steps of `p` and `q` with these footprints are dependent: they share a resource,
    /// not counting [`res::DONE`] between two processes that are not daemons (one finishing
    /// cannot end the run while the other has not finished, so it enables or disables
    /// nothing of the other's; the checkpointer and the other daemons are stopped by the end
    /// of the run, so for them `DONE` counts).
    pub fn dependent(&self, p: ProcId, a: Footprint, q: ProcId, b: Footprint) -> bool {
        let daemon = |x: ProcId| self.procs.get(usize::from(x)).is_none_or(|d| d.daemon);
        let shared = a & b;
        if daemon(p) || daemon(q) {
            shared != 0
        } else {
            shared & !res::DONE != 0
        }
    }

    /// A persistent set of one step, if there is one: the lowest-numbered enabled process,
    /// not a daemon (but the checkpointer when a waiter needs its step:
    /// `checkpoint_awaited`, its finishing then counting for nothing), whose next
    /// step's footprint is disjoint from what every other process may still touch
    /// ([`Scenario::future_footprint`]). Every step any other process can take before it is then
    /// independent of it, and every run to an end state takes it, so exploring that step alone
    /// from this state reaches every terminal state and every deadlock the full expansion
    /// reaches (docs/reduction.md). `enabled` is [`Scenario::enabled_procs`] of `w`.
    pub fn persistent_step(&self, w: &World, enabled: &[ProcId]) -> Option<ProcId> {
        // At most six processes (checkpointer, command, walsender, backend, postmaster,
        // startup): their future footprints in a fixed array, no allocation per state.
        if enabled.len() < 2 || self.procs.len() > 8 {
            return None;
        }
        let all = self.futures(w);
        let futures = &all[..self.procs.len()];
        enabled.iter().copied().find(|&p| {
            let pi = usize::from(p);
            let mut fp = self.footprint(w, p);
            if self.procs[pi].daemon {
                if !self.checkpoint_awaited(w, p) {
                    return false;
                }
                // No run ends before this checkpoint does (a waiter cannot finish first).
                fp &= !res::DONE;
            }
            futures.iter().enumerate().all(|(q, &f)| {
                q == pi || !ProcId::try_from(q).is_ok_and(|q| self.dependent(p, fp, q, f))
            })
        })
    }
}

/// The processes of a state that have not finished, with [`Ahead`] from where each stands, and
/// which of them may still request a checkpoint or touch the catalog (bit `q` for process `q`).
struct Unfinished<'a> {
    ahead: [Option<&'a Ahead>; 8],
    requests: u8,
    catalog: u8,
}

impl<'a> Unfinished<'a> {
    fn of(sc: &'a Scenario, w: &World) -> Unfinished<'a> {
        let mut u = Unfinished {
            ahead: [None; 8],
            requests: 0,
            catalog: 0,
        };
        for q in 0..sc.procs.len().min(8) {
            let st = &w.procs[q];
            if st.failed {
                continue;
            }
            if let Some(a) = sc.ahead[q].get(usize::from(st.pc)) {
                u.ahead[q] = Some(a);
                u.requests |= u8::from(a.requests_checkpoint) << q;
                u.catalog |= u8::from(a.footprint & res::CATALOG != 0) << q;
            }
        }
        u
    }

    /// Whether a process other than `q` is in `set`.
    fn another(&self, q: usize, set: u8) -> bool {
        set & !(1 << q) != 0
    }

    /// Whether the checkpointer `q` may begin another checkpoint: a request is pending, or
    /// another unfinished process may still make one.
    fn more_checkpoints(&self, w: &World, q: usize) -> bool {
        w.ckpt.pending_flags != 0 || self.another(q, self.requests)
    }
}
