//! Partial-order reduction: from a state, one process's step that is a *persistent set* on its
//! own, found from the op footprints ([`super::ops::res`]). The native engine then expands that
//! step alone instead of every enabled process. Why this keeps every verdict is argued in
//! docs/reduction.md; `tests/reduction.rs` checks the footprints it relies on in every reachable
//! state and compares reduced and unreduced searches of every model.

use super::Scenario;
use super::ops::{Op, res};
use crate::world::{ProcId, World};

/// What a process may still touch from a place in its program: the union of
/// [`Op::footprint_bound`] over the op there and every op after it, the same union with the
/// directories of the ops that touch only their own database left out, and whether one of
/// those asks the checkpointer for a checkpoint or connects.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ahead {
    /// Resources the rest of the program may touch.
    pub footprint: u16,
    /// The rest of the program requests a checkpoint (`RequestCheckpoint`, a backup start).
    pub requests_checkpoint: bool,
    /// The rest of the program connects (`Connect` sets the process's `db_ts`).
    pub connects: bool,
    /// [`Ahead::footprint`] without the directories of the ops that touch only their own
    /// database's tablespace ([`Op::touches_own_database`]).
    pub footprint_but_own_db: u16,
    /// The rest of the program has an op that touches its own database's directory.
    pub touches_own_db: bool,
}

/// For each program, [`Ahead`] from each of its ops (computed once per scenario).
pub fn ahead(program: &[Op]) -> Vec<Ahead> {
    let mut out = vec![Ahead::default(); program.len()];
    let mut acc = Ahead::default();
    for (i, op) in program.iter().enumerate().rev() {
        let bound = op.footprint_bound(i + 1 == program.len());
        acc.footprint |= bound;
        acc.requests_checkpoint |=
            matches!(op, Op::RequestCheckpoint { .. } | Op::StartBackup { .. });
        acc.connects |= matches!(op, Op::Connect);
        if op.touches_own_database() {
            acc.footprint_but_own_db |= bound & !(res::FS_BASE | res::FS_USER);
            acc.touches_own_db = true;
        } else {
            acc.footprint_but_own_db |= bound;
        }
        out[i] = acc;
    }
    out
}

impl Scenario {
    /// What process `q` may still touch, from this state on, in any schedule: nothing once it
    /// has finished; for the checkpointer, nothing while it is idle with no request pending and
    /// no other process left that will request one (it only runs on request); for the
    /// postmaster's crash, nothing once it can no longer happen; otherwise the bound of the rest
    /// of its program, where the ops that touch only the process's own database count one
    /// tablespace's directories when that tablespace is known for the rest of the run: `db_ts`
    /// once the process has connected, or the catalog's tablespace, which `Connect` will copy,
    /// when no other unfinished process may still touch the catalog (docs/reduction.md).
    pub fn future_footprint(&self, w: &World, q: ProcId) -> u16 {
        if self.finished(w, q) {
            return 0;
        }
        let qi = usize::from(q);
        let pc = usize::from(w.procs[qi].pc);
        let Some(ahead) = self.ahead[qi].get(pc) else {
            return 0;
        };
        match self.procs[qi].program[pc] {
            Op::Checkpointer => {
                let idle = w.ckpt.running.is_none() && w.ckpt.pending_flags == 0;
                if idle && !self.another_has_ahead(w, q, |a| a.requests_checkpoint) {
                    0
                } else {
                    ahead.footprint
                }
            }
            Op::Crash { movedb_ops } => {
                let m = &w.procs[usize::from(super::pid::MOVEDB)];
                if w.crashed || m.failed || m.pc >= movedb_ops {
                    0
                } else {
                    ahead.footprint
                }
            }
            _ => {
                // Its own database's tablespace: `db_ts` once connected; before, what the
                // catalog says now, if no other process may still change the catalog.
                let own = if !ahead.connects {
                    Some(w.procs[qi].db_ts)
                } else if !self.another_has_ahead(w, q, |a| a.footprint & res::CATALOG != 0) {
                    Some(w.catalog.ts)
                } else {
                    None
                };
                match own {
                    Some(ts) => {
                        ahead.footprint_but_own_db
                            | if ahead.touches_own_db { res::fs(ts) } else { 0 }
                    }
                    _ => ahead.footprint,
                }
            }
        }
    }

    /// Whether a process other than `q`, not finished, has `what` in the rest of its program
    /// ([`Ahead`] from where it stands).
    fn another_has_ahead(&self, w: &World, q: ProcId, what: impl Fn(&Ahead) -> bool) -> bool {
        (0..self.procs.len()).any(|o| {
            let Ok(o) = ProcId::try_from(o) else {
                return false;
            };
            let pc = usize::from(w.procs[usize::from(o)].pc);
            o != q && !self.finished(w, o) && self.ahead[usize::from(o)].get(pc).is_some_and(&what)
        })
    }

    /// Whether steps of `p` and `q` with these footprints are dependent: they share a resource,
    /// not counting [`res::DONE`] between two processes that are not daemons (one finishing
    /// cannot end the run while the other has not finished, so it enables or disables
    /// nothing of the other's; the checkpointer and the other daemons are stopped by the end
    /// of the run, so for them `DONE` counts).
    pub fn dependent(&self, p: ProcId, a: u16, q: ProcId, b: u16) -> bool {
        let daemon = |x: ProcId| self.procs.get(usize::from(x)).is_none_or(|d| d.daemon);
        let shared = a & b;
        if daemon(p) || daemon(q) {
            shared != 0
        } else {
            shared & !res::DONE != 0
        }
    }

    /// A persistent set of one step, if there is one: the lowest-numbered enabled process,
    /// not a daemon, whose next step's footprint is disjoint from what every other process may
    /// still touch ([`Scenario::future_footprint`]). Every step any other process can take
    /// before it is then independent of it, so exploring that step alone from this state
    /// reaches every terminal state and every deadlock the full expansion reaches
    /// (docs/reduction.md). `enabled` is [`Scenario::enabled_procs`] of `w`.
    pub fn persistent_step(&self, w: &World, enabled: &[ProcId]) -> Option<ProcId> {
        // At most six processes (checkpointer, command, walsender, backend, postmaster,
        // startup): their future footprints in a fixed array, no allocation per state.
        let mut futures = [0u16; 8];
        if enabled.len() < 2 || self.procs.len() > futures.len() {
            return None;
        }
        let futures = &mut futures[..self.procs.len()];
        for (q, f) in futures.iter_mut().enumerate() {
            *f = ProcId::try_from(q).map_or(u16::MAX, |q| self.future_footprint(w, q));
        }
        enabled.iter().copied().find(|&p| {
            let pi = usize::from(p);
            if self.procs[pi].daemon {
                return false;
            }
            let fp = self.footprint(w, p);
            futures.iter().enumerate().all(|(q, &f)| {
                q == pi || !ProcId::try_from(q).is_ok_and(|q| self.dependent(p, fp, q, f))
            })
        })
    }
}
