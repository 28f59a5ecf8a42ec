//! The backup restored from the WAL archive and its outcome classified like the model's
//! prediction: a PANIC or FATAL in the restored server's log, a database lost, or the tables
//! equal to the primary's.

use super::outcome::Real;
use super::plan::{self, Plan};
use super::server::{self, RunError, Server, Session, failed};
use super::setup::Cluster;
use super::setup::append;
use super::setup::write;
use super::walk::copy_tree;
use std::collections::BTreeSet;
use std::path::Path;

/// The databases compared between the primary and the restore: `d`, and the new database `n`
/// of CREATE DATABASE (absent from both for the other commands).
const DATABASES: [&str; 2] = ["d", "n"];

/// A database's tables, as one digest per table ("absent" for a table the database does not
/// have: DROP TABLE's).
pub(super) fn contents(s: &mut Session, tables: u8) -> Result<Vec<String>, RunError> {
    let mut v = Vec::new();
    for i in 0..tables {
        let there = s.query(&format!("SELECT to_regclass('t{i}') IS NOT NULL"), 60)?;
        if !there.iter().any(|l| l.trim() == "t") {
            v.push("absent".into());
            continue;
        }
        let l = s.query(
            &format!("SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY a), '')) FROM t{i} t"),
            60,
        )?;
        v.push(l.join(""));
    }
    Ok(v)
}

pub(super) fn restore_and_classify(
    c: &mut Cluster,
    p: &Plan,
    cmd: Session,
) -> Result<Real, RunError> {
    cmd.close()?;
    let mut s = c.session("postgres")?;
    let mut present = Vec::new();
    for db in DATABASES {
        present.push(
            !s.query(
                &format!("SELECT 1 FROM pg_database WHERE datname = '{db}'"),
                30,
            )?
            .is_empty(),
        );
    }
    // Every WAL record into the archive, as the model's restore replays them all.
    // pg_switch_wal does nothing when no WAL was written since the last switch (and names the
    // segment in use, which is never archived then): a logical message (a WAL record replay
    // ignores) makes sure there is something to switch away from.
    s.query(
        "SELECT pg_logical_emit_message(false, 'racecheck', 'switch')",
        30,
    )?;
    let seg = s
        .query("SELECT pg_walfile_name(pg_switch_wal())", 30)?
        .join("");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let last = s
            .query(
                "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver",
                30,
            )?
            .join("");
        if last.as_str() >= seg.trim() {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Err(failed(format!(
                "WAL segment {seg} was not archived in 60 s"
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The restore replays exactly this archive: the WAL up to the end of the schedule. What the
    // primary writes from here on stays out of it: with data checksums, reading the primary's
    // tables (just below) sets hint bits and logs full-page images (XLOG_FPI_FOR_HINT), and
    // the shutdown switches and archives the last segment (ShutdownXLOG); replayed, those
    // images rebuilt pages the model's restore (which reads nothing) does not have (found by
    // racecheck sweep at 18: model silent loss, real OK).
    let archive = c.root.join("archive-restore");
    copy_tree(&c.archive, &archive, Path::new(""), &BTreeSet::new())?;
    server::chown_tree(&archive, c.user)?;
    // The tables (a new relfilenode adopted by the walk is still table t0's).
    let files = usize::from(p.model.files);
    let mut primary_contents = Vec::new();
    for (db, has) in DATABASES.into_iter().zip(present) {
        primary_contents.push(if has {
            let mut d = c.session(db)?;
            let v = contents(&mut d, u8::try_from(files).unwrap_or(0))?;
            d.close()?;
            Some(v)
        } else {
            None
        });
    }
    s.close()?;
    c.primary.stop();
    // The restore: the copy, recovery.signal, the archive.
    let port = server::free_port()?;
    let sock = c.root.join("restore-sock");
    write(&c.backup.join("recovery.signal"), "")?;
    let _ = std::fs::remove_file(c.backup.join("postgresql.auto.conf"));
    append(
        &c.backup.join("postgresql.conf"),
        &format!(
            "\n# racecheck reproduce: the restore\nport = {port}\nunix_socket_directories = '{}'\n\
             archive_mode = off\nrestore_command = 'cp {}/%f %p'\nprimary_conninfo = ''\n",
            sock.display(),
            archive.display()
        ),
    )?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&c.backup, std::fs::Permissions::from_mode(0o700)).map_err(failed)?;
    server::chown_tree(&c.backup, c.user)?;
    server::chown_tree(&c.backup_ts, c.user)?;
    let log = c.root.join("restore.log");
    let logf = std::fs::File::create(&log).map_err(failed)?;
    drop(logf);
    let mut restored = match Server::start(
        server::Role::Primary,
        &c.bin,
        &c.backup,
        &sock,
        port,
        &log,
        c.user,
        &c.root,
    ) {
        Ok(s) => s,
        Err(RunError::Tools(_)) => return Ok(classify_failed_start(&log, p)),
        Err(e) => return Err(e),
    };
    let real = classify_running(c, &mut restored, primary_contents, files);
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    restored.stop();
    let mut real = real?;
    if real.evidence.is_empty() {
        real.evidence = log_text
            .lines()
            .filter(|l| l.contains("consistent recovery state") || l.contains("ready to accept"))
            .map(str::to_string)
            .collect();
    }
    Ok(real)
}

pub(super) fn classify_failed_start(log: &Path, p: &Plan) -> Real {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let warnings: Vec<String> = text
        .lines()
        .filter(|l| l.contains("WARNING:") && l.contains("does not exist"))
        .map(str::to_string)
        .collect();
    if let Some(panic) = text
        .lines()
        .find(|l| l.contains("PANIC:  WAL contains references to invalid pages"))
    {
        let mut evidence: Vec<String> = warnings.iter().take(2).cloned().collect();
        evidence.push(format!(
            "({} WARNING line(s) \"page ... does not exist\" in all; the model has {})",
            warnings.len(),
            match p.predicted {
                plan::Predicted::InvalidPages(n) => n.to_string(),
                _ => "none".into(),
            }
        ));
        evidence.push(panic.to_string());
        return Real {
            class: plan::Class::InvalidPages,
            evidence,
        };
    }
    let fatal = text
        .lines()
        .filter(|l| l.contains("PANIC:") || l.contains("FATAL:"))
        .take(2)
        .map(str::to_string)
        .collect();
    Real {
        class: plan::Class::StartupFailure,
        evidence: fatal,
    }
}

pub(super) fn classify_running(
    c: &Cluster,
    restored: &mut Server,
    primary: Vec<Option<Vec<String>>>,
    files: usize,
) -> Result<Real, RunError> {
    let mut evidence = Vec::new();
    for (db, want) in DATABASES.into_iter().zip(primary) {
        let real = classify_database(c, restored, db, want, files)?;
        if real.class != plan::Class::Ok {
            return Ok(real);
        }
        evidence.extend(real.evidence);
    }
    Ok(Real {
        class: plan::Class::Ok,
        evidence,
    })
}

/// One database of the restore against the primary's.
fn classify_database(
    c: &Cluster,
    restored: &mut Server,
    db: &str,
    primary: Option<Vec<String>>,
    files: usize,
) -> Result<Real, RunError> {
    let mut s = restored.session(&c.bin, "postgres", &c.root)?;
    let row = s.query(
        &format!("SELECT datconnlimit FROM pg_database WHERE datname = '{db}'"),
        30,
    )?;
    s.close()?;
    let found = row.iter().find_map(|l| l.trim().parse::<i32>().ok());
    let loss = |evidence: String| Real {
        class: plan::Class::SilentLoss,
        evidence: vec![evidence],
    };
    match (found, primary) {
        (None, None) if db == "d" => Ok(Real {
            class: plan::Class::Ok,
            evidence: vec!["database d is gone, as on the primary".into()],
        }),
        (None, None) => Ok(Real {
            class: plan::Class::Ok,
            evidence: vec![],
        }),
        (None, Some(_)) => Ok(loss(format!(
            "database {db} is missing from the restored pg_database"
        ))),
        (Some(-2), _) => Ok(Real {
            class: plan::Class::DatabaseInvalid,
            evidence: vec![format!("pg_database: {db} has datconnlimit = -2 (invalid)")],
        }),
        (Some(_), None) => Ok(loss(format!(
            "database {db} is in the restore, but not on the primary"
        ))),
        (Some(_), Some(want)) => {
            let mut d = match restored.session(&c.bin, db, &c.root) {
                Ok(d) => d,
                Err(e) => return Ok(loss(format!("connecting to {db}: {e}"))),
            };
            let got = contents(&mut d, u8::try_from(files).unwrap_or(0));
            let _ = d.close();
            match got {
                Err(e) => Ok(loss(format!("reading {db}'s tables: {e}"))),
                Ok(got) if got != want => Ok(loss(format!(
                    "{db}'s tables differ from the primary's (digests {got:?} vs {want:?})"
                ))),
                Ok(_) => Ok(Real {
                    class: plan::Class::Ok,
                    evidence: vec![format!("{db}'s {files} tables equal the primary's")],
                }),
            }
        }
    }
}
