//! The processes and their programs, written once: checkpointer, movedb backend, base backup
//! walsender and an ordinary backend. A [`Scenario`] is built from a [`Model`] (a variant's knobs),
//! which inserts, removes or guards [`Op`]s; it never copies a program.

mod ahead;
mod apply;
pub mod command;
pub mod knobs;
pub mod load;
pub mod model;
pub mod ops;
pub mod props;
pub mod reduction;
mod relops;

pub use model::Model;
pub use ops::Op;

use crate::world::{Loc, LockMode, LockObj, ProcId, Scope, Semantics, World, ckpt_flags as cf};
use knobs::{BackendAction, BackupFormat, BackupMethod, BackupSource, PgDatabaseLock};

/// A process: its name (as shown in timelines and traces) and program.
#[derive(Clone, Debug)]
pub struct ProcDef {
    /// Name: `checkpointer`, the command's (`movedb`, `createdb`, `dropdb`), `walsender`,
    /// `backend`, `postmaster`, `startup`.
    pub name: &'static str,
    /// The ops in order.
    pub program: Vec<Op>,
    /// A daemon never finishes; the run ends when every other process has.
    pub daemon: bool,
    /// Runs on the standby (its startup process, a walsender taking a standby backup), so a crash
    /// of the primary does not stop it.
    pub on_standby: bool,
}

/// A runnable model: the variant, its semantics and its processes.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The variant.
    pub model: Model,
    /// Semantic switches for the World.
    pub sem: Semantics,
    /// Processes, indexed by [`ProcId`].
    pub procs: Vec<ProcDef>,
    /// Where `D` starts (`S`).
    pub src: Loc,
    /// Where the command puts it (movedb's `T`, createdb's new database; for dropdb, `src`).
    pub dst: Loc,
    /// The database directories the scenario concerns, each once, in walk order of neither:
    /// `D`'s source and target (movedb), the template and the new database (createdb), `D`'s
    /// directory (dropdb). The properties compare the restored copy with the primary on these.
    pub dirs: Vec<Loc>,
    /// For each process and place in its program, what the rest of the program may touch
    /// (for the partial-order reduction, `reduction.rs`).
    ahead: Vec<Vec<ahead::Ahead>>,
    /// A mutation for tests of the reduction's checks ([`Scenario::cut_footprint`]): ops whose
    /// name starts with this lose these footprint bits. `None` outside those tests.
    cut: Option<(String, ops::res::Footprint)>,
}

/// Process ids the code needs by number. The processes are, in id order: the checkpointer, the
/// command's backend, the walsender, the ordinary backend, then as the model asks `postmaster`
/// (which can crash the primary) and the standby's `startup`; look others up by name with
/// [`Scenario::proc_id`].
pub mod pid {
    use crate::world::ProcId;
    /// The backend running the model's command (`ALTER DATABASE D SET TABLESPACE T`, `CREATE
    /// DATABASE` or `DROP DATABASE`), whichever it is.
    pub const COMMAND: ProcId = 1;
}

impl Scenario {
    /// Build the scenario of a variant: its command's backend (`scenario/command/`) against a
    /// base backup.
    pub fn new(model: &Model) -> Scenario {
        let sem = model.semantics();
        let cmd = command::def(model.command);
        let name = cmd.name();
        let (src, dst) = cmd.dirs();
        let program = cmd.program(model);
        let standby = model.backup.source == BackupSource::Standby;
        let mut procs = vec![
            ProcDef {
                name: "checkpointer",
                program: vec![Op::Checkpointer],
                daemon: true,
                on_standby: false,
            },
            ProcDef {
                name,
                program,
                daemon: false,
                on_standby: false,
            },
            ProcDef {
                name: "walsender",
                program: backup_program(model, &[src, dst], cmd.links()),
                daemon: false,
                on_standby: standby,
            },
            ProcDef {
                name: "backend",
                program: backend_program(model, cmd.relocates()),
                daemon: false,
                on_standby: false,
            },
        ];
        if cmd.may_crash(model) {
            let command_ops =
                u8::try_from(procs[usize::from(pid::COMMAND)].program.len()).unwrap_or(u8::MAX);
            procs.push(ProcDef {
                name: "postmaster",
                program: vec![Op::Crash { command_ops }],
                daemon: true,
                on_standby: false,
            });
        }
        if standby {
            procs.push(ProcDef {
                name: "startup",
                program: vec![Op::StartupRedo {
                    lock: model.standby.startup_lock,
                    barrier: model.pg >= crate::world::PgVersion::V15,
                }],
                daemon: true,
                on_standby: true,
            });
        }
        let mut dirs = vec![src, dst];
        dirs.dedup();
        let relocates = cmd.relocates();
        let ahead = procs
            .iter()
            .map(|d| ahead::ahead(&d.program, relocates))
            .collect();
        Scenario {
            ahead,
            model: model.clone(),
            sem,
            procs,
            src,
            dst,
            dirs,
            cut: None,
        }
    }

    /// The processes that have something to do (a process with an empty program, such as a
    /// backend without actions, needs no thread in the loom and shuttle backends).
    pub fn active_procs(&self) -> Vec<ProcId> {
        (0..self.procs.len())
            .filter(|&i| !self.procs[i].program.is_empty())
            .filter_map(|i| ProcId::try_from(i).ok())
            .collect()
    }

    /// The initial World.
    pub fn initial(&self) -> World {
        let mut w = World::initial(
            self.src,
            self.model.files,
            self.model.pages,
            self.procs.len(),
        );
        command::def(self.model.command).prepare(&mut w);
        if self.model.backup.source == BackupSource::Standby {
            w.with_standby()
        } else {
            w
        }
    }

    /// Process id by name.
    pub fn proc_id(&self, name: &str) -> Option<ProcId> {
        self.procs
            .iter()
            .position(|p| p.name == name)
            .and_then(|i| ProcId::try_from(i).ok())
    }

    /// Whether process `p` has finished its program (or failed).
    pub fn finished(&self, w: &World, p: ProcId) -> bool {
        let st = &w.procs[usize::from(p)];
        st.failed || usize::from(st.pc) >= self.procs[usize::from(p)].program.len()
    }

    /// Every non-daemon process has finished: the run is complete.
    pub fn terminal(&self, w: &World) -> bool {
        (0..self.procs.len()).all(|i| {
            let p = ProcId::try_from(i).unwrap_or(ProcId::MAX);
            self.procs[i].daemon || self.finished(w, p)
        })
    }

    /// The op process `p` would run next, if any.
    pub fn next_op(&self, w: &World, p: ProcId) -> Option<&Op> {
        if self.finished(w, p) {
            return None;
        }
        self.procs[usize::from(p)]
            .program
            .get(usize::from(w.procs[usize::from(p)].pc))
    }

    /// Whether `p` can take a step now (not finished, not blocked on a lock or a wait).
    pub fn enabled(&self, w: &World, p: ProcId) -> bool {
        self.next_op(w, p).is_some_and(|op| op.enabled(w, p))
    }

    /// Processes that can step, in id order.
    pub fn enabled_procs(&self, w: &World) -> smallvec::SmallVec<[ProcId; 8]> {
        (0..self.procs.len())
            .filter_map(|i| ProcId::try_from(i).ok())
            .filter(|&p| self.enabled(w, p))
            .collect()
    }

    /// Take one step of `p` (which must be enabled). With `event`, describe it in PostgreSQL's
    /// terms.
    pub fn step(&self, w: &mut World, p: ProcId, event: Option<&mut String>) {
        let Some(op) = self.next_op(w, p).cloned() else {
            return;
        };
        op.apply(self, w, p, event);
    }

    /// The shared resources `p`'s next step touches (see [`ops::res`]); a daemon's idle check
    /// and every finishing step include `DONE`.
    pub fn footprint(&self, w: &World, p: ProcId) -> ops::res::Footprint {
        let prog = &self.procs[usize::from(p)].program;
        match self.next_op(w, p) {
            None => ops::res::DONE,
            Some(op) => {
                let last = usize::from(w.procs[usize::from(p)].pc) + 1 == prog.len();
                let fp = op.footprint(w, p, last);
                match &self.cut {
                    Some((name, cut)) if op.name().starts_with(name.as_str()) => fp & !cut,
                    _ => fp,
                }
            }
        }
    }

    /// Test hook, for mutation tests of the reduction's own checks (`tests/suite/reduction.rs`):
    /// from now on [`Scenario::footprint`] leaves the bits `cut` out of the footprint of every
    /// op whose name starts with `op`, so that a test can see the footprint checks catch a
    /// wrong footprint. Never called outside tests.
    #[doc(hidden)]
    pub fn cut_footprint(&mut self, op: &str, cut: ops::res::Footprint) {
        self.cut = Some((op.to_string(), cut));
    }

    /// Why `p` is blocked, in PostgreSQL's terms (for deadlock reports).
    pub fn blocked_reason(&self, w: &World, p: ProcId) -> String {
        match self.next_op(w, p) {
            None => "finished".into(),
            Some(op) => op.blocked_reason(self, w, p),
        }
    }
}

/// Whether model `m`'s backup reads `pg_tblspc` for a `tablespace_map` after its start
/// checkpoint (tar format, and a command that removes a tablespace link): its program has a
/// `TablespaceMap` step, and the start's wait leaves that read pending.
pub(crate) fn reads_tablespace_map(m: &Model) -> bool {
    command::def(m.command).links() && m.backup.format == BackupFormat::Tar
}

/// The walsender's program. `links`: the command removes a tablespace link, so the format
/// matters: tar's `tablespace_map` at the start, or plain's walk of `pg_tblspc` at the end.
fn backup_program(m: &Model, dirs: &[Loc], links: bool) -> Vec<Op> {
    let standby = m.backup.source == BackupSource::Standby;
    // The lock is taken on the server the backup runs on.
    let obj = if standby {
        LockObj::StandbyPgDatabase
    } else {
        LockObj::PgDatabase
    };
    let lock = Op::Lock {
        obj,
        mode: LockMode::Share,
        scope: Scope::Session,
    };
    let unlock = Op::Unlock {
        obj,
        scope: Scope::Session,
    };
    // An exclusive backup's start and stop are separate sessions: no lock can span it.
    let lock_mode = if m.backup.method == BackupMethod::Exclusive {
        PgDatabaseLock::None
    } else {
        m.backup.pgdb_lock
    };
    let mut v = Vec::new();
    if lock_mode != PgDatabaseLock::None {
        v.push(lock.clone());
    }
    if lock_mode == PgDatabaseLock::ReleasedBeforeStart {
        v.push(unlock.clone());
    }
    if standby {
        v.extend([Op::StartBackupOnStandby, Op::WaitRestartpoint]);
    } else {
        v.push(Op::StartBackup {
            flags: cf::IMMEDIATE | cf::FORCE | cf::WAIT,
        });
        v.push(Op::WaitStartCheckpoint);
    }
    if reads_tablespace_map(m) {
        v.push(Op::TablespaceMap);
    }
    if lock_mode == PgDatabaseLock::StartOnly {
        v.push(unlock.clone());
    }
    // pg_basebackup sends user tablespaces first and the main data directory last.
    let mut walk: Vec<Loc> = dirs.to_vec();
    walk.sort_by_key(|ts| !ts.in_user_tablespace());
    walk.dedup();
    v.extend(walk.into_iter().map(|ts| Op::SendTablespace { ts }));
    // The walk of the data directory reaches pg_tblspc after base/ (readdir order is the
    // filesystem's; the later, the wider the window it meets).
    if links && m.backup.format == BackupFormat::Plain {
        v.push(Op::SendLinks);
    }
    v.push(if standby {
        Op::StopBackupOnStandby
    } else {
        Op::StopBackup
    });
    if lock_mode == PgDatabaseLock::UntilStop {
        v.push(unlock);
    }
    v
}

/// The ordinary backend's program. `relocates`: relation 0 may move, so the backend locks it
/// (RowExclusiveLock for its UPDATE; VACUUM's ShareUpdateExclusiveLock conflicts with ALTER
/// TABLE's and DROP TABLE's AccessExclusiveLock the same way) and finds its file then.
fn backend_program(m: &Model, relocates: bool) -> Vec<Op> {
    if m.backend.actions.is_empty() {
        return Vec::new();
    }
    let mut v = vec![Op::Connect];
    if relocates {
        v.push(Op::Lock {
            obj: LockObj::Relation,
            mode: LockMode::RowExclusive,
            scope: Scope::Xact,
        });
    }
    for a in &m.backend.actions {
        v.push(match *a {
            BackendAction::Visible { rel, blk } => Op::Visible { rel, blk },
            BackendAction::Update { rel, blk } => Op::Update { rel, blk },
            BackendAction::Flush { rel, blk } => Op::FlushBuffer { rel, blk },
        });
    }
    v.push(Op::Disconnect);
    v
}
