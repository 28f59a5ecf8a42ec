//! A streaming standby of the real primary, for traces whose backup is taken from a standby:
//! made from the primary with the low-level backup API, started with `standby.signal`, brought
//! to a restartpoint of its own (the model's standby starts at one), and its startup process
//! held under gdb between WAL records, at the primary's WAL positions where the model's records
//! end (captured as the schedule runs). docs/reproduce.md, "Backups from a standby".

use super::server::{self, Gdb, RunError, Server, Session, failed};
use super::setup::{Cluster, append, backup_api, mkdir, one_number, write};
use super::walk::{copy_tree, unhex};
use crate::world::PgVersion;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The standby, its startup process under gdb, and where the model's WAL records end.
pub(super) struct Standby {
    pub(super) server: Server,
    startup: Option<Gdb>,
    pg: PgVersion,
    /// The primary's WAL position (bytes) at the end of each model WAL record.
    ends: Vec<u64>,
    /// The position the startup process has replayed to (it is held before the next record).
    reached: u64,
    /// A session on the primary: its WAL position, and a commit that flushes its WAL.
    ctl: Session,
}

/// The primary's WAL insert position in bytes, as the end of the last record: a position just
/// past a page header (the insert position of an empty page) is the end of the page before.
fn insert_position(s: &mut Session) -> Result<u64, RunError> {
    let lsn: u64 = s
        .query(
            "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint",
            30,
        )?
        .iter()
        .find_map(|l| l.trim().parse().ok())
        .ok_or_else(|| failed("pg_current_wal_insert_lsn: no number"))?;
    // SizeOfXLogLongPHD (40) opens a 16 MB segment, SizeOfXLogShortPHD (24) an 8 kB page.
    Ok(if lsn % (16 << 20) == 40 {
        lsn - 40
    } else if lsn % 8192 == 24 {
        lsn - 24
    } else {
        lsn
    })
}

/// Wait until `sql` (on `s`) answers `t`.
fn wait_true(s: &mut Session, sql: &str, secs: u64, what: &str) -> Result<(), RunError> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if s.query(sql, 30)?.iter().any(|l| l.trim() == "t") {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(failed(format!("{what}: not in {secs} s")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Make the standby from the primary and hold its startup process; `wal_at_start` model
/// records exist before the schedule. The backup's walk then reads the standby's files.
pub(super) fn make(
    c: &mut Cluster,
    pg: PgVersion,
    wal_at_start: usize,
) -> Result<Standby, RunError> {
    let data = c.root.join("standby");
    let ts = c.root.join("standby-ts");
    let mut s = c.session("postgres")?;
    let (start, stop) = backup_api(pg);
    s.query(&start, 120)?;
    let skip: BTreeSet<PathBuf> = ["pg_wal", "postmaster.pid", "postmaster.opts"]
        .iter()
        .map(PathBuf::from)
        .collect();
    copy_tree(&c.primary.data, &data, Path::new(""), &skip)?;
    copy_tree(&c.ts_dir, &ts, Path::new(""), &BTreeSet::new())?;
    let out = s.query(&stop, 120)?;
    let label = out
        .iter()
        .find_map(|l| l.strip_prefix("LABEL:"))
        .ok_or_else(|| failed("the standby's backup: no label"))?;
    write(&data.join("backup_label"), &unhex(label))?;
    write(
        &data.join("tablespace_map"),
        &format!("{} {}\n", c.ts_oid, ts.display()),
    )?;
    for d in ["pg_wal", "pg_wal/archive_status", "standby-sock"] {
        mkdir(&if d == "standby-sock" {
            c.root.join(d)
        } else {
            data.join(d)
        })?;
    }
    write(&data.join("standby.signal"), "")?;
    let port = server::free_port()?;
    let sock = c.root.join("standby-sock");
    append(
        &data.join("postgresql.conf"),
        &format!(
            "\n# racecheck reproduce: the standby\nport = {port}\nunix_socket_directories = '{}'\n\
             archive_mode = off\nhot_standby = on\nrestore_command = 'cp {}/%f %p'\n\
             primary_conninfo = 'host={} port={} user=postgres application_name=standby'\n",
            sock.display(),
            c.archive.display(),
            c.primary.sock.display(),
            c.primary.port
        ),
    )?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).map_err(failed)?;
    server::chown_tree(&data, c.user)?;
    server::chown_tree(&ts, c.user)?;
    server::chown_tree(&sock, c.user)?;
    let log = c.root.join("standby.log");
    let server = Server::start(
        server::Role::HotStandby,
        &c.bin,
        &data,
        &sock,
        port,
        &log,
        c.user,
        &c.root,
    )?;
    // The model's standby starts at a restartpoint of its own, past the primary's BACKUP_END
    // of the backup that made it (else that record ends the restore's backup recovery early,
    // pg-fidelity §16): a checkpoint on the primary, replayed, then one on the standby.
    s.query("CHECKPOINT", 120)?;
    let at = insert_position(&mut s)?;
    let mut sb = server.session(&c.bin, "postgres", &c.root)?;
    wait_true(
        &mut sb,
        &format!("SELECT pg_last_wal_replay_lsn() >= '0/0'::pg_lsn + {at}"),
        60,
        "the standby replaying the primary's checkpoint",
    )?;
    sb.query("CHECKPOINT", 120)?;
    let pid = one_number(
        &mut sb,
        "SELECT pid FROM pg_stat_activity WHERE backend_type = 'startup'",
    )?;
    sb.close()?;
    let startup = Gdb::attach(pid)?;
    c.src_data = data;
    c.src_ts = ts;
    Ok(Standby {
        server,
        startup: Some(startup),
        pg,
        ends: vec![at; wal_at_start],
        reached: at,
        ctl: s,
    })
}

impl Standby {
    /// The model has `records` WAL records now: those not seen yet end at the primary's
    /// current position.
    pub(super) fn mark(&mut self, records: usize) -> Result<(), RunError> {
        if records > self.ends.len() {
            let at = insert_position(&mut self.ctl)?;
            self.ends.resize(records, at);
        }
        Ok(())
    }

    /// Let the startup process replay every real record up to the end of the model's record
    /// `upto - 1`, and hold it before the next record (at `XLogNextRecord`, `XLogReadRecord`
    /// on 14, whose reader's `EndRecPtr` is then the end of the record last applied).
    pub(super) fn replay(&mut self, upto: usize, step: usize) -> Result<(), RunError> {
        let target = *upto
            .checked_sub(1)
            .and_then(|k| self.ends.get(k))
            .ok_or_else(|| failed(format!("step {step}: model WAL record {upto} not written")))?;
        if target <= self.reached {
            return Ok(());
        }
        // What the primary wrote must reach the standby: a committed transaction id flushes
        // it (a record left in a partly filled page is not flushed by the WAL writer).
        self.ctl.query("SELECT txid_current()", 30)?;
        let read = if self.pg == PgVersion::V14 {
            "XLogReadRecord"
        } else {
            "XLogNextRecord"
        };
        // XLogReaderState: routine (3 pointers), system_identifier, private_data, ReadRecPtr
        // at 40, EndRecPtr at 48 (14 to 18).
        let bp = format!("*{read} if *(unsigned long *)($rdi + 48) >= {target}");
        let g = self
            .startup
            .as_mut()
            .ok_or_else(|| failed("the standby's startup process is not held"))?;
        g.run_to(&[&bp])?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match g.poll_stop(Duration::from_millis(200))? {
                Some(true) => break,
                Some(false) => {
                    return Err(failed(format!(
                        "step {step}: the standby's startup process stopped before replaying to {target:#X} (see standby.log)"
                    )));
                }
                None if Instant::now() > deadline => {
                    return Err(failed(format!(
                        "step {step}: the standby did not replay to {target:#X} in 120 s"
                    )));
                }
                None => {}
            }
        }
        self.reached = target;
        Ok(())
    }

    /// A `CHECKPOINT` on the standby: a restartpoint at the last checkpoint record replayed,
    /// which writes the replayed pages; false when there is none newer than the last
    /// restartpoint (skipped: nothing written).
    pub(super) fn restartpoint(&mut self, bin: &Path, home: &Path) -> Result<bool, RunError> {
        let mut s = self.server.session(bin, "postgres", home)?;
        let sql = "SELECT redo_lsn FROM pg_control_checkpoint()";
        let before = s.query(sql, 30)?;
        s.query("CHECKPOINT", 120)?;
        let after = s.query(sql, 30)?;
        s.close()?;
        Ok(before != after)
    }

    /// Let the startup process go, stop the standby, close the primary's session.
    pub(super) fn finish(mut self) -> Result<(), RunError> {
        if let Some(g) = self.startup.take() {
            g.detach()?;
        }
        self.server.stop();
        self.ctl.close()
    }
}
