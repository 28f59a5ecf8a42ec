//! The processes and their programs, written once: checkpointer, movedb backend, base backup
//! walsender and an ordinary backend. A [`Scenario`] is built from a [`Model`] (a variant's knobs),
//! which inserts, removes or guards [`Op`]s; it never copies a program.

mod apply;
pub mod knobs;
pub mod model;
pub mod ops;
pub mod props;
pub mod reduction;

pub use model::Model;
pub use ops::Op;

use crate::world::PgVersion as V;
use crate::world::{
    Loc, LockMode, LockObj, PgVersion, ProcId, Scope, Semantics, World, ckpt_flags as cf,
};
use model::{
    BackendAction, BackupMethod, BackupSource, Command, CopyMethod, CreatedbStrategy, DropRecord,
    PgDatabaseLock, Refuse,
};

/// A process: its name (as shown in timelines and traces) and program.
#[derive(Clone, Debug)]
pub struct ProcDef {
    /// Name: `checkpointer`, `movedb`, `walsender`, `backend`.
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
    /// Where movedb moves it (`T`), where createdb creates the new database; for dropdb, `src`.
    pub dst: Loc,
    /// The database directories the scenario concerns, each once, in walk order of neither:
    /// `D`'s source and target (movedb), the template and the new database (createdb), `D`'s
    /// directory (dropdb). The properties compare the restored copy with the primary on these.
    pub dirs: Vec<Loc>,
    /// For each process and place in its program, what the rest of the program may touch
    /// (for the partial-order reduction, `reduction.rs`).
    ahead: Vec<Vec<reduction::Ahead>>,
}

/// Process ids of the fixed processes (then, as the model asks, `postmaster`, which can crash the
/// primary, and the standby's `startup`; look those up by name with [`Scenario::proc_id`]).
pub mod pid {
    use crate::world::ProcId;
    /// The checkpointer.
    pub const CHECKPOINTER: ProcId = 0;
    /// The backend running the model's command (`ALTER DATABASE D SET TABLESPACE T`, `CREATE
    /// DATABASE` or `DROP DATABASE`), whichever it is.
    pub const MOVEDB: ProcId = 1;
    /// The walsender taking the base backup.
    pub const WALSENDER: ProcId = 2;
    /// An ordinary backend connected to `D`.
    pub const BACKEND: ProcId = 3;
}

impl Scenario {
    /// Build the movedb / base-backup scenario for a variant.
    pub fn new(model: &Model) -> Scenario {
        let sem = Semantics {
            pg: model.pg,
            hint_bits_logged: model.hint_bits_logged(),
        };
        let name = model.command.as_str();
        let (src, dst, program) = match model.command {
            Command::Movedb => (
                Loc::Base,
                Loc::User,
                movedb_program(model, Loc::Base, Loc::User),
            ),
            Command::Createdb => (
                Loc::Base,
                Loc::NewDb,
                createdb_program(model, Loc::Base, Loc::NewDb),
            ),
            Command::Dropdb => (Loc::Base, Loc::Base, dropdb_program(model, Loc::Base)),
        };
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
                program: backup_program(model, &[src, dst]),
                daemon: false,
                on_standby: standby,
            },
            ProcDef {
                name: "backend",
                program: backend_program(model),
                daemon: false,
                on_standby: false,
            },
        ];
        if model.command == Command::Movedb && model.movedb.crash {
            let movedb_ops =
                u8::try_from(procs[usize::from(pid::MOVEDB)].program.len()).unwrap_or(u8::MAX);
            procs.push(ProcDef {
                name: "postmaster",
                program: vec![Op::Crash { movedb_ops }],
                daemon: true,
                on_standby: false,
            });
        }
        if standby {
            procs.push(ProcDef {
                name: "startup",
                program: vec![Op::StartupRedo {
                    lock: model.standby.startup_lock,
                }],
                daemon: true,
                on_standby: true,
            });
        }
        let mut dirs = vec![src, dst];
        dirs.dedup();
        let ahead = procs.iter().map(|d| reduction::ahead(&d.program)).collect();
        Scenario {
            ahead,
            model: model.clone(),
            sem,
            procs,
            src,
            dst,
            dirs,
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
        let w = World::initial(
            self.src,
            self.model.files,
            self.model.pages,
            self.procs.len(),
        );
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
                op.footprint(w, p, last)
            }
        }
    }

    /// Why `p` is blocked, in PostgreSQL's terms (for deadlock reports).
    pub fn blocked_reason(&self, w: &World, p: ProcId) -> String {
        match self.next_op(w, p) {
            None => "finished".into(),
            Some(op) => op.blocked_reason(self, w, p),
        }
    }
}

/// movedb's and createdb's first checkpoint: `RequestCheckpoint(IMMEDIATE|FORCE|WAIT|FLUSH_ALL)`
/// (no FLUSH_ALL in 9.2), then the wait.
fn first_checkpoint(m: &Model) -> [Op; 2] {
    let flush_all = if m.pg == PgVersion::V92 {
        0
    } else {
        cf::FLUSH_ALL
    };
    [
        Op::RequestCheckpoint {
            flags: cf::IMMEDIATE | cf::FORCE | cf::WAIT | flush_all,
        },
        Op::WaitCheckpoint,
    ]
}

/// The checkpoint after the create record: `RequestCheckpoint(IMMEDIATE|FORCE|WAIT)`, then the
/// wait.
fn second_checkpoint() -> [Op; 2] {
    [
        Op::RequestCheckpoint {
            flags: cf::IMMEDIATE | cf::FORCE | cf::WAIT,
        },
        Op::WaitCheckpoint,
    ]
}

/// What movedb and dropdb take first: `table_open(pg_database, RowExclusiveLock)` until commit,
/// then `LockSharedObject(D, AccessExclusiveLock)` for the transaction (`get_db_info`).
fn database_command_locks() -> [Op; 2] {
    [
        Op::Lock {
            obj: LockObj::PgDatabase,
            mode: LockMode::RowExclusive,
            scope: Scope::Xact,
        },
        Op::Lock {
            obj: LockObj::Database,
            mode: LockMode::AccessExclusive,
            scope: Scope::Xact,
        },
    ]
}

/// The flag check of fix 1 (movedb) or of candidate fix (c) (dropdb), if the knob asks for it.
fn refuse_during_backup(r: Refuse) -> Option<Op> {
    match r {
        Refuse::Never => None,
        Refuse::Exclusive => Some(Op::RefuseDuringBackup {
            exclusive_only: true,
        }),
        Refuse::Any => Some(Op::RefuseDuringBackup {
            exclusive_only: false,
        }),
    }
}

fn movedb_program(m: &Model, src: Loc, dst: Loc) -> Vec<Op> {
    let mut v = Vec::from(database_command_locks());
    v.push(Op::Lock {
        obj: LockObj::Database,
        mode: LockMode::AccessExclusive,
        scope: Scope::Session,
    });
    v.extend(refuse_during_backup(m.movedb.refuse_during_backup));
    v.extend(first_checkpoint(m));
    v.extend([Op::DropDatabaseBuffers, Op::TargetCheck { dst }]);
    match m.movedb.copy {
        CopyMethod::FileCopy => {
            v.push(Op::Copydir { src, dst });
            v.push(Op::LogCreateFileCopy { src, dst });
        }
        CopyMethod::WalLog => {
            v.push(Op::LogCreateWalLog { src, dst });
            v.push(Op::CopyRelationsLogged { src, dst });
        }
    }
    v.push(Op::UpdateCatalog { dst });
    v.extend(second_checkpoint());
    if m.movedb.error_before_commit {
        v.push(Op::ErrorBeforeCommit { dst });
    }
    v.push(Op::Commit { force_sync: true });
    match m.movedb.drop_record {
        DropRecord::AfterRmtree => v.extend([Op::Rmtree { src }, Op::LogDrop { src }]),
        DropRecord::BeforeRmtree => v.extend([Op::LogDrop { src }, Op::Rmtree { src }]),
    }
    v.extend([Op::Unlock {
        obj: LockObj::Database,
        scope: Scope::Session,
    }]);
    v
}

/// `createdb()` (dbcommands.c; docs/postgresql.md, "createdb"): `CREATE DATABASE n TEMPLATE d TABLESPACE t`.
/// The same ops as movedb's, in createdb's order; no rmtree, no drop record.
fn createdb_program(m: &Model, template: Loc, dst: Loc) -> Vec<Op> {
    // get_db_info(template, ShareLock): no new connection to the template until commit;
    // pg_database RowExclusiveLock until commit (docs/postgresql.md, "createdb").
    let mut v = vec![
        Op::Lock {
            obj: LockObj::Database,
            mode: LockMode::Share,
            scope: Scope::Xact,
        },
        Op::Lock {
            obj: LockObj::PgDatabase,
            mode: LockMode::RowExclusive,
            scope: Scope::Xact,
        },
    ];
    match m.createdb.strategy {
        CreatedbStrategy::FileCopy => {
            v.extend(first_checkpoint(m));
            v.extend([
                Op::Copydir { src: template, dst },
                Op::LogCreateFileCopy { src: template, dst },
            ]);
            v.extend(second_checkpoint());
        }
        CreatedbStrategy::WalLog => v.extend([
            Op::LogCreateWalLog { src: template, dst },
            Op::CopyRelationsLogged { src: template, dst },
        ]),
    }
    v.push(Op::Commit { force_sync: true });
    v
}

/// `dropdb()` (dbcommands.c; docs/postgresql.md, "dropdb"): `DROP DATABASE d`.
fn dropdb_program(m: &Model, dir: Loc) -> Vec<Op> {
    // table_open(pg_database, RowExclusiveLock) until commit; LockSharedObject(D,
    // AccessExclusiveLock): the model waits for the ordinary backend's session to end where
    // PostgreSQL's CountOtherDBBackends raises "being accessed by other users".
    let mut v = Vec::from(database_command_locks());
    v.extend(refuse_during_backup(m.dropdb.refuse_during_backup));
    // 15.4+ (and the 11-14 minor releases of August 2023): the in-place invalid mark, flushed,
    // then the transactional delete of the row. The model's 15 and 18 are current minors.
    if m.pg >= V::V15 {
        v.push(Op::MarkDatabaseInvalid);
    }
    v.extend([
        Op::DeleteCatalogRow,
        Op::DropDatabaseBuffers,
        Op::RequestCheckpoint {
            flags: cf::IMMEDIATE | cf::FORCE | cf::WAIT,
        },
        Op::WaitCheckpoint,
    ]);
    // remove_dbtablespaces: rmtree of every directory of D, then one XLOG_DBASE_DROP.
    match m.dropdb.drop_record {
        DropRecord::AfterRmtree => v.extend([Op::Rmtree { src: dir }, Op::LogDrop { src: dir }]),
        DropRecord::BeforeRmtree => v.extend([Op::LogDrop { src: dir }, Op::Rmtree { src: dir }]),
    }
    v.push(Op::Commit { force_sync: true });
    v
}

fn backup_program(m: &Model, dirs: &[Loc]) -> Vec<Op> {
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
    if lock_mode == PgDatabaseLock::StartOnly {
        v.push(unlock.clone());
    }
    // pg_basebackup sends user tablespaces first and the main data directory last.
    let mut walk: Vec<Loc> = dirs.to_vec();
    walk.sort_by_key(|ts| !ts.in_user_tablespace());
    walk.dedup();
    v.extend(walk.into_iter().map(|ts| Op::SendTablespace { ts }));
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

fn backend_program(m: &Model) -> Vec<Op> {
    if m.backend.actions.is_empty() {
        return Vec::new();
    }
    let mut v = vec![Op::Connect];
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
