//! `racecheck reproduce TRACE.json`: drive a real PostgreSQL server of the trace's version (and
//! a streaming standby of it, for a backup from a standby) through a trace's schedule and
//! compare the restore of the backup it takes with the model's prediction.
//!
//! - [`plan`]: the trace re-executed in the model, each step turned into a real action, the
//!   steps a real server cannot be held at merged into the nearest pause point (and said so);
//! - [`server`]: the servers (unprivileged user, private folder, unix socket, free port), psql
//!   sessions and gdb, every process stopped by pid at the end, on failure and on Ctrl-C;
//! - `setup.rs`: the cluster set up like the model (tablespace, database `d` with K tables of P
//!   pages); `standby.rs`: the standby and its startup process held between records;
//!   `pause.rs`: the command's pause points; `walk.rs`: the files copied in the trace's walk order; `command.rs`: the command's
//!   backend moved between pause points; `restore.rs`: the restore and the classification of
//!   its outcome; `outcome.rs`: the options and the result;
//! - this file: the run, the plan's actions in order, the backup taken with the low-level API.
//!
//! docs/reproduce.md describes the technique and its limits.

mod command;
mod outcome;
mod pause;
pub mod plan;
mod restore;
pub mod server;
mod setup;
mod standby;
mod walk;

use crate::scenario::model::BackupSource;
use command::CommandBackend;
use command::move_command;
pub use outcome::{DEBIAN_PG15_BIN, Options, Outcome, Real, pg_bin_of, pg_root};
use plan::{Action, Hold, Plan};
use restore::restore_and_classify;
use server::{RunError, Session, failed};
use setup::check_tools;
use setup::mkdir;
use setup::setup;
use setup::write;
use std::path::Path;
use walk::unhex;

/// Run a plan on a real server.
pub fn run(p: Plan, opts: &Options) -> Result<Outcome, RunError> {
    let bin = match &opts.pg_bin {
        Some(b) => b.clone(),
        None => pg_bin_of(p.model.pg).ok_or_else(|| {
            RunError::Unrealisable(format!("no real server runs PostgreSQL {}", p.model.pg))
        })?,
    };
    check_tools(&bin, p.model.pg)?;
    let opts = &Options {
        pg_bin: Some(bin),
        keep: opts.keep.clone(),
    };
    let tmp;
    let root = match &opts.keep {
        Some(k) => {
            if k.exists()
                && std::fs::read_dir(k)
                    .map(|mut d| d.next().is_some())
                    .unwrap_or(true)
            {
                return Err(RunError::Unrealisable(format!(
                    "--keep {}: not an empty folder",
                    k.display()
                )));
            }
            mkdir(k)?;
            std::fs::canonicalize(k).map_err(failed)?
        }
        None => {
            tmp = tempfile::Builder::new()
                .prefix("racecheck-reproduce-")
                .tempdir()
                .map_err(failed)?;
            tmp.path().to_path_buf()
        }
    };
    let result = run_in(&p, opts, &root);
    server::stop_all();
    let (real, notes) = result?;
    Ok(Outcome {
        plan: p,
        real,
        notes,
        kept: opts.keep.clone(),
    })
}

fn run_in(p: &Plan, opts: &Options, root: &Path) -> Result<(Real, Vec<String>), RunError> {
    let mut c = setup(opts, root, p)?;
    let mut notes = Vec::new();
    let mut standby = match p.model.backup.source {
        BackupSource::Primary => None,
        BackupSource::Standby => Some(standby::make(&mut c, p.model.pg, p.wal_at_start)?),
    };
    // The backup's session: on the server the backup is taken from.
    let mut backup = match &standby {
        Some(sb) => sb.server.session(&c.bin, "postgres", &c.root)?,
        None => c.session("postgres")?,
    };
    let mut cb = CommandBackend {
        session: c.session(crate::scenario::command::def(p.model.command).database())?,
        gdb: None,
        sent: false,
        at: Hold::NotStarted,
    };
    let mut backend: Option<Session> = None;
    let mut backup_gdb: Option<server::Gdb> = None;
    for (step, a) in plan::actions(p) {
        if let Some(sb) = standby.as_mut() {
            // The model's records written before this step end where the primary's WAL is now.
            let records = step
                .checked_sub(1)
                .and_then(|s| p.steps.get(s))
                .map_or(p.wal_at_start, |s| s.wal);
            sb.mark(records)?;
        }
        match a {
            Action::Command(h) => move_command(&mut cb, p, h, step)?,
            Action::BackupStart => {
                backup.query(&setup::backup_api(p.model.pg).0, 120)?;
            }
            Action::BackupStartHeld => {
                let mut g = server::Gdb::attach(backup.backend_pid()?)?;
                g.run_to(&[pause::TABLESPACE_MAP_READ])?;
                backup.send(&setup::backup_api(p.model.pg).0)?;
                pause::wait_stop(&mut g, step, "pg_backup_start before it reads pg_tblspc")?;
                backup_gdb = Some(g);
            }
            Action::BackupMapRead => {
                if let Some(g) = backup_gdb.take() {
                    g.detach()?;
                }
                backup.wait(120, "pg_backup_start")?;
            }
            Action::WalkOpen(loc) => c.walk_open(loc, &mut notes)?,
            Action::WalkCopy(loc, rel) => c.walk_copy(loc, rel, &mut notes)?,
            Action::WalkRest => c.walk_rest()?,
            Action::WalkTablespace => c.walk_tablespace()?,
            Action::BackupStop => {
                c.walk_tablespace()?;
                c.walk_rest()?;
                mkdir(&c.backup.join("global"))?;
                std::fs::copy(
                    c.src_data.join("global/pg_control"),
                    c.backup.join("global/pg_control"),
                )
                .map_err(failed)?;
                let out = backup.query(&setup::backup_api(p.model.pg).1, 120)?;
                let label = out
                    .iter()
                    .find_map(|l| l.strip_prefix("LABEL:"))
                    .ok_or_else(|| failed("pg_backup_stop returned no label"))?;
                write(&c.backup.join("backup_label"), &unhex(label))?;
                // The map pg_backup_start built (tar, low-level API), its tablespace pointed at
                // the copy of it.
                let map = out
                    .iter()
                    .find_map(|l| l.strip_prefix("MAP:"))
                    .map(unhex)
                    .unwrap_or_default();
                let map: String = map
                    .lines()
                    .filter_map(|l| l.split_whitespace().next())
                    .map(|oid| format!("{oid} {}\n", c.backup_ts.display()))
                    .collect();
                match c.link_in_backup {
                    None if !map.is_empty() => write(&c.backup.join("tablespace_map"), &map)?,
                    None => {}
                    Some(true) => std::os::unix::fs::symlink(
                        &c.backup_ts,
                        c.backup.join("pg_tblspc").join(c.ts_oid.to_string()),
                    )
                    .map_err(failed)?,
                    Some(false) => {}
                }
            }
            Action::WalkLinks => {
                c.walk_rest()?;
                let link = c.src_data.join("pg_tblspc").join(c.ts_oid.to_string());
                c.link_in_backup = Some(std::fs::symlink_metadata(&link).is_ok());
            }
            Action::Connect { refused } => match (c.session("d"), refused) {
                (Ok(s), false) => backend = Some(s),
                (Err(e), true) => notes.push(format!(
                    "step {step}: the backend's connection to d is refused, as in the model: {}",
                    e.to_string()
                        .rsplit("FATAL:")
                        .next()
                        .unwrap_or_default()
                        .trim()
                )),
                (Err(e), false) => {
                    return Err(RunError::Unrealisable(format!(
                        "step {step}: the backend cannot connect to d: {e}"
                    )));
                }
                (Ok(s), true) => {
                    s.close()?;
                    return Err(RunError::Unrealisable(format!(
                        "step {step}: the model refuses the backend's connection to d (dropped or invalid), the real server accepts it"
                    )));
                }
            },
            Action::Vacuum(rel) => {
                let s = backend
                    .as_mut()
                    .ok_or_else(|| failed("VACUUM without a session"))?;
                s.query(&format!("VACUUM t{rel}"), 120)?;
            }
            Action::Update(rel, blk) => {
                let s = backend
                    .as_mut()
                    .ok_or_else(|| failed("UPDATE without a session"))?;
                s.query(
                    &format!("UPDATE t{rel} SET b = b + 1 WHERE ctid = '({blk},1)'"),
                    120,
                )?;
            }
            Action::Flush => {
                let s = backend
                    .as_mut()
                    .ok_or_else(|| failed("CHECKPOINT without a session"))?;
                s.query("CHECKPOINT", 120)?;
            }
            Action::Disconnect => {
                if let Some(s) = backend.take() {
                    s.close()?;
                }
            }
            Action::Replay { upto, write } => {
                let sb = standby
                    .as_mut()
                    .ok_or_else(|| failed("a replay without a standby"))?;
                sb.replay(upto, step)?;
                if write && !sb.restartpoint(&c.bin, &c.root)? {
                    notes.push(format!(
                        "step {step}: the standby has no checkpoint record to restart at: the replayed page stays in its buffers (the model's standby writes it)"
                    ));
                }
            }
        }
    }
    if cb.at != Hold::Done {
        move_command(&mut cb, p, Hold::Done, p.steps.len())?;
    }
    backup.close()?;
    if let Some(sb) = standby {
        sb.finish()?;
    }
    let real = restore_and_classify(&mut c, p, cb.session)?;
    Ok((real, notes))
}
