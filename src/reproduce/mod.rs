//! `racecheck reproduce TRACE.json`: drive a real PostgreSQL 15 server through a trace's
//! schedule and compare the restore of the backup it takes with the model's prediction.
//!
//! - [`plan`]: the trace re-executed in the model, each step turned into a real action, the
//!   steps a real server cannot be held at merged into the nearest pause point (and said so);
//! - [`server`]: the servers (unprivileged user, private folder, unix socket, free port), psql
//!   sessions and gdb, every process stopped by pid at the end, on failure and on Ctrl-C;
//! - this file: the cluster set up like the model (tablespace, database `d` with K tables of
//!   P pages), the backup taken with the low-level API while racecheck copies files in the
//!   trace's walk order, the restore, and the classification of its outcome.
//!
//! docs/reproduce.md describes the technique and its limits.

pub mod plan;
pub mod server;

use crate::world::Loc;
use plan::{Action, Hold, Plan};
use server::{RunError, Server, Session, failed};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Settings of a real run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Folder with PostgreSQL 15's programs (`postgres`, `initdb`, `psql`).
    pub pg_bin: PathBuf,
    /// Keep the servers' folders here instead of a temporary folder that is removed.
    pub keep: Option<PathBuf>,
}

/// The default PostgreSQL 15 programs (Debian's layout).
pub const DEFAULT_PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The real restore's outcome, classified like [`plan::Predicted`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Real {
    /// The class (as [`plan::Predicted::class`]).
    pub class: plan::Class,
    /// The lines of the restored server's log (or of a query) that decided it.
    pub evidence: Vec<String>,
}

/// Everything a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// The plan followed.
    pub plan: Plan,
    /// What the real restore did.
    pub real: Real,
    /// Notes from the run (directories the real walk found different from the model's).
    pub notes: Vec<String>,
    /// Where the folders were kept, if asked.
    pub kept: Option<PathBuf>,
}

impl Outcome {
    /// Whether the real outcome is the model's prediction.
    pub fn matches(&self) -> bool {
        self.real.class == self.plan.predicted.class()
    }
}

/// The real cluster: the primary, its folders and the ids the walk needs.
struct Cluster {
    bin: PathBuf,
    root: PathBuf,
    user: Option<(u32, u32)>,
    primary: Server,
    archive: PathBuf,
    /// The tablespace's folder (`LOCATION`), and the backup's copy of it.
    ts_dir: PathBuf,
    backup: PathBuf,
    backup_ts: PathBuf,
    ts_oid: u32,
    db_oid: u32,
    /// `PG_15_<catversion>` under the tablespace.
    ts_version_dir: String,
    /// Relation file number of each table (model relation `i` is table `t<i>`).
    relfiles: Vec<u32>,
    /// Files of the model's relations listed by the walk's open of each location.
    listed: BTreeMap<Loc, BTreeSet<String>>,
    rest_copied: bool,
    tablespace_copied: bool,
}

fn write(path: &Path, text: &str) -> Result<(), RunError> {
    std::fs::write(path, text).map_err(|e| failed(format!("{}: {e}", path.display())))
}

fn append(path: &Path, text: &str) -> Result<(), RunError> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| failed(format!("{}: {e}", path.display())))
}

fn mkdir(path: &Path) -> Result<(), RunError> {
    std::fs::create_dir_all(path).map_err(|e| failed(format!("mkdir {}: {e}", path.display())))
}

fn server_conf(sock: &Path, port: u16, archive: &Path) -> String {
    format!(
        "\n# racecheck reproduce\nlisten_addresses = ''\nunix_socket_directories = '{}'\nport = {port}\n\
         wal_level = replica\narchive_mode = on\narchive_command = 'cp %p {}/%f'\n\
         autovacuum = off\nfull_page_writes = on\nwal_log_hints = off\nfsync = off\n\
         shared_buffers = 16MB\nmax_wal_senders = 2\nlogging_collector = off\n",
        sock.display(),
        archive.display()
    )
}

/// Check the tools: `postgres` of major version 15 and gdb.
fn check_tools(bin: &Path) -> Result<(), RunError> {
    let v = server::run_quiet(
        {
            let mut c = std::process::Command::new(bin.join("postgres"));
            c.arg("--version");
            c
        },
        &format!("{}/postgres --version", bin.display()),
        30,
    )
    .map_err(|e| RunError::Tools(format!("PostgreSQL 15 not found ({e}); install it with scripts/install-reproduce-deps.sh or give --pg-bin")))?;
    if !v.contains(") 15.") {
        return Err(RunError::Tools(format!(
            "{}/postgres is {}; reproduce needs PostgreSQL 15",
            bin.display(),
            v.trim()
        )));
    }
    server::run_quiet(
        {
            let mut c = std::process::Command::new("gdb");
            c.arg("--version");
            c
        },
        "gdb --version",
        30,
    )
    .map_err(|e| {
        RunError::Tools(format!(
            "gdb not found ({e}); install it with scripts/install-reproduce-deps.sh"
        ))
    })?;
    Ok(())
}

/// Rows per table: enough for `pages` heap pages (about 136 rows of this shape (56-byte tuples and their line pointers) fit a page).
fn rows(pages: u8) -> u32 {
    136 * u32::from(pages) - 10
}

fn setup(opts: &Options, root: &Path, p: &Plan) -> Result<Cluster, RunError> {
    let bin = opts.pg_bin.clone();
    let user = server::server_user();
    for d in [
        "primary-sock",
        "restore-sock",
        "archive",
        "ts",
        "backup",
        "backup-ts",
    ] {
        mkdir(&root.join(d))?;
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).map_err(failed)?;
    server::chown_tree(root, user)?;
    let data = root.join("primary");
    let mut initdb = server::as_server_user(&bin.join("initdb"), user, root);
    initdb
        .args(["-N", "-A", "trust", "-U", "postgres", "-D"])
        .arg(&data);
    if p.model.hint_bits_logged() {
        initdb.arg("-k");
    }
    server::run_quiet(initdb, "initdb", 120)?;
    let port = server::free_port()?;
    let archive = root.join("archive");
    append(
        &data.join("postgresql.conf"),
        &server_conf(&root.join("primary-sock"), port, &archive),
    )?;
    let primary = Server::start(
        &bin,
        &data,
        &root.join("primary-sock"),
        port,
        &root.join("primary.log"),
        user,
        root,
    )?;
    let mut c = Cluster {
        bin,
        root: root.to_path_buf(),
        user,
        primary,
        archive,
        ts_dir: root.join("ts"),
        backup: root.join("backup"),
        backup_ts: root.join("backup-ts"),
        ts_oid: 0,
        db_oid: 0,
        ts_version_dir: String::new(),
        relfiles: Vec::new(),
        listed: BTreeMap::new(),
        rest_copied: false,
        tablespace_copied: false,
    };
    let mut s = c.session("postgres")?;
    s.query(
        &format!("CREATE TABLESPACE ts LOCATION '{}'", c.ts_dir.display()),
        60,
    )?;
    s.query("CREATE DATABASE d", 60)?;
    c.ts_oid = one_number(&mut s, "SELECT oid FROM pg_tablespace WHERE spcname = 'ts'")?;
    c.db_oid = one_number(&mut s, "SELECT oid FROM pg_database WHERE datname = 'd'")?;
    let mut d = c.session("d")?;
    for i in 0..p.model.files {
        d.query(
            &format!(
                "CREATE TABLE t{i} (a int, b bigint, c bigint, d bigint) WITH (autovacuum_enabled = off);\
                 INSERT INTO t{i} SELECT g, g, g, g FROM generate_series(1, {}) g",
                rows(plan::pages(&p.model))
            ),
            60,
        )?;
        let f = one_number(&mut d, &format!("SELECT pg_relation_filenode('t{i}')"))?;
        c.relfiles.push(f);
    }
    d.close()?;
    s.query("CHECKPOINT", 60)?;
    s.close()?;
    c.ts_version_dir = std::fs::read_dir(&c.ts_dir)
        .map_err(failed)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("PG_15_"))
        .ok_or_else(|| failed("the tablespace has no PG_15_* folder"))?;
    Ok(c)
}

fn one_number(s: &mut Session, sql: &str) -> Result<u32, RunError> {
    s.query(sql, 30)?
        .iter()
        .find_map(|l| l.trim().parse().ok())
        .ok_or_else(|| failed(format!("{sql}: no number")))
}

impl Cluster {
    fn session(&self, db: &str) -> Result<Session, RunError> {
        self.primary.session(&self.bin, db, &self.root)
    }

    /// The real folder of `D` at a model location, and its place in the backup.
    fn db_dir(&self, loc: Loc) -> (PathBuf, PathBuf) {
        match loc {
            Loc::Base => (
                self.primary.data.join("base").join(self.db_oid.to_string()),
                self.backup.join("base").join(self.db_oid.to_string()),
            ),
            Loc::User | Loc::NewDb => (
                self.ts_dir
                    .join(&self.ts_version_dir)
                    .join(self.db_oid.to_string()),
                self.backup_ts
                    .join(&self.ts_version_dir)
                    .join(self.db_oid.to_string()),
            ),
        }
    }

    /// Whether a file of `D`'s folder belongs to the model's relation `rel` (its main fork,
    /// free space map or visibility map).
    fn model_rel(&self, name: &str) -> Option<u8> {
        let base = name.split(['_', '.']).next().unwrap_or("");
        self.relfiles
            .iter()
            .position(|f| f.to_string() == base)
            .and_then(|i| u8::try_from(i).ok())
    }

    fn walk_open(&mut self, loc: Loc, notes: &mut Vec<String>) -> Result<(), RunError> {
        let (src, dst) = self.db_dir(loc);
        let Ok(entries) = std::fs::read_dir(&src) else {
            notes.push(format!(
                "the walk opens {}: the real folder is gone (the model's was still there)",
                src.display()
            ));
            return Ok(());
        };
        mkdir(&dst)?;
        let mut listed = BTreeSet::new();
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if self.model_rel(&name).is_some() {
                listed.insert(name);
            } else {
                // Not one of the model's files: copied at once (a vanished file is skipped,
                // as the real walk skips it).
                let _ = std::fs::copy(e.path(), dst.join(&name));
            }
        }
        self.listed.insert(loc, listed);
        Ok(())
    }

    fn walk_copy(&mut self, loc: Loc, rel: u8, notes: &mut Vec<String>) -> Result<(), RunError> {
        let (src, dst) = self.db_dir(loc);
        let names: Vec<String> = self
            .listed
            .get(&loc)
            .map(|s| {
                s.iter()
                    .filter(|n| self.model_rel(n) == Some(rel))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if names.is_empty() {
            notes.push(format!(
                "the walk copies relation {rel} in {}: the real walk did not list it",
                src.display()
            ));
        }
        for n in names {
            if std::fs::copy(src.join(&n), dst.join(&n)).is_err() {
                notes.push(format!(
                    "{}/{n} vanished before its copy (skipped, as the walk does)",
                    src.display()
                ));
            }
        }
        Ok(())
    }

    /// The tablespace's folder but `D`'s directory in it.
    fn walk_tablespace(&mut self) -> Result<(), RunError> {
        if self.tablespace_copied {
            return Ok(());
        }
        self.tablespace_copied = true;
        let skip: BTreeSet<PathBuf> =
            [PathBuf::from(&self.ts_version_dir).join(self.db_oid.to_string())].into();
        copy_tree(&self.ts_dir, &self.backup_ts, Path::new(""), &skip)?;
        mkdir(&self.backup_ts.join(&self.ts_version_dir))
    }

    /// Everything of the data directory but `D`'s folder, `pg_wal`, `pg_control`, the
    /// tablespace links and the files a base backup leaves out.
    fn walk_rest(&mut self) -> Result<(), RunError> {
        if self.rest_copied {
            return Ok(());
        }
        self.rest_copied = true;
        // Folders a base backup sends empty (basebackup.c's excludeDirContents) and files it
        // leaves out; pg_wal comes from the archive, the tablespace link from tablespace_map.
        const EMPTY: [&str; 8] = [
            "pg_wal",
            "pg_tblspc",
            "pg_replslot",
            "pg_stat_tmp",
            "pg_dynshmem",
            "pg_notify",
            "pg_serial",
            "pg_snapshots",
        ];
        let skip: BTreeSet<PathBuf> = EMPTY
            .iter()
            .chain(&[
                "pg_subtrans",
                "postmaster.pid",
                "postmaster.opts",
                "global/pg_control",
            ])
            .map(PathBuf::from)
            .chain([PathBuf::from("base").join(self.db_oid.to_string())])
            .collect();
        copy_tree(&self.primary.data, &self.backup, Path::new(""), &skip)?;
        for d in EMPTY
            .iter()
            .chain(&["pg_subtrans", "pg_wal/archive_status"])
        {
            mkdir(&self.backup.join(d))?;
        }
        Ok(())
    }
}

fn copy_tree(from: &Path, to: &Path, rel: &Path, skip: &BTreeSet<PathBuf>) -> Result<(), RunError> {
    mkdir(&to.join(rel))?;
    let Ok(entries) = std::fs::read_dir(from.join(rel)) else {
        return Ok(());
    };
    for e in entries.filter_map(|e| e.ok()) {
        let r = rel.join(e.file_name());
        if skip.contains(&r) || e.file_name().to_string_lossy() == "pg_internal.init" {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            copy_tree(from, to, &r, skip)?;
        } else if ft.is_file() {
            let _ = std::fs::copy(from.join(&r), to.join(&r));
        }
    }
    Ok(())
}

fn unhex(s: &str) -> String {
    let bytes: Vec<u8> = (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The statement of the trace's command (its descriptor's, `scenario/command/`).
fn command_sql(p: &Plan) -> &'static str {
    crate::scenario::command::def(p.model.command).statement()
}

/// The command's backend, its session and its debugger.
struct CommandBackend {
    session: Session,
    gdb: Option<server::Gdb>,
    sent: bool,
    at: Hold,
}

fn move_command(cb: &mut CommandBackend, p: &Plan, to: Hold, step: usize) -> Result<(), RunError> {
    match to {
        Hold::NotStarted => {}
        Hold::Before { pc } => {
            let (name, bp) = p
                .command_ops
                .get(pc)
                .and_then(|(n, b)| Some((n, (*b)?)))
                .ok_or_else(|| failed(format!("step {step}: no pause point at op {pc}")))?;
            if cb.gdb.is_none() {
                let pid = cb.session.backend_pid()?;
                cb.gdb = Some(server::Gdb::attach(pid)?);
            }
            let g = cb.gdb.as_mut().ok_or_else(|| failed("gdb"))?;
            g.run_to(bp)?;
            if !cb.sent {
                cb.session.send(command_sql(p))?;
                cb.sent = true;
            }
            let what = format!("step {step}: {} held before {name}", command_sql(p));
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            loop {
                if let Some(stopped) = g.poll_stop(std::time::Duration::from_millis(200))? {
                    if stopped {
                        break;
                    }
                    return Err(failed(format!(
                        "{what}: the backend stopped without reaching its breakpoint"
                    )));
                }
                // The statement ended (an ERROR, or it never called the function).
                match cb.session.poll(std::time::Duration::ZERO) {
                    Ok(Some(out)) => {
                        let err = out.iter().find(|l| l.contains("ERROR:")).cloned();
                        return Err(RunError::Unrealisable(match err {
                            Some(e) => format!("{what}: the real command failed first: {e}"),
                            None => format!(
                                "{what}: the real command finished without calling {}",
                                bp.join(" or ")
                            ),
                        }));
                    }
                    Ok(None) => {}
                    Err(e) => return Err(e),
                }
                if std::time::Instant::now() > deadline {
                    return Err(failed(format!("{what}: not reached in 120 s")));
                }
            }
        }
        Hold::Done => {
            if let Some(g) = cb.gdb.take() {
                g.detach()?;
            }
            if !cb.sent {
                cb.session.send(command_sql(p))?;
                cb.sent = true;
            }
            cb.session.wait(120, command_sql(p)).map_err(|e| match e {
                RunError::Failed(m) => RunError::Unrealisable(format!(
                    "step {step}: the real {} failed: {m}",
                    command_sql(p)
                )),
                e => e,
            })?;
        }
    }
    cb.at = to;
    Ok(())
}

/// Run a plan on a real server.
pub fn run(p: Plan, opts: &Options) -> Result<Outcome, RunError> {
    check_tools(&opts.pg_bin)?;
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
    let mut backup = c.session("postgres")?;
    let mut cb = CommandBackend {
        session: c.session("postgres")?,
        gdb: None,
        sent: false,
        at: Hold::NotStarted,
    };
    let mut backend: Option<Session> = None;
    for (step, a) in plan::actions(p) {
        match a {
            Action::Command(h) => move_command(&mut cb, p, h, step)?,
            Action::BackupStart => {
                backup.query("SELECT pg_backup_start('racecheck', true)", 120)?;
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
                    c.primary.data.join("global/pg_control"),
                    c.backup.join("global/pg_control"),
                )
                .map_err(failed)?;
                let out = backup.query(
                    "SELECT 'LABEL:' || encode(convert_to(labelfile, 'UTF8'), 'hex') FROM pg_backup_stop(true)",
                    120,
                )?;
                let label = out
                    .iter()
                    .find_map(|l| l.strip_prefix("LABEL:"))
                    .ok_or_else(|| failed("pg_backup_stop returned no label"))?;
                write(&c.backup.join("backup_label"), &unhex(label))?;
                write(
                    &c.backup.join("tablespace_map"),
                    &format!("{} {}\n", c.ts_oid, c.backup_ts.display()),
                )?;
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
            Action::Disconnect => {
                if let Some(s) = backend.take() {
                    s.close()?;
                }
            }
        }
    }
    if cb.at != Hold::Done {
        move_command(&mut cb, p, Hold::Done, p.steps.len())?;
    }
    let real = restore_and_classify(&mut c, p, backup, cb.session)?;
    Ok((real, notes))
}

/// The primary's tables of `d`, as one digest per table (`None`: no database `d`).
fn contents(s: &mut Session, tables: u8) -> Result<Vec<String>, RunError> {
    let mut v = Vec::new();
    for i in 0..tables {
        let l = s.query(
            &format!("SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY a), '')) FROM t{i} t"),
            60,
        )?;
        v.push(l.join(""));
    }
    Ok(v)
}

fn restore_and_classify(
    c: &mut Cluster,
    p: &Plan,
    backup: Session,
    cmd: Session,
) -> Result<Real, RunError> {
    backup.close()?;
    cmd.close()?;
    let mut s = c.session("postgres")?;
    let has_d = !s
        .query("SELECT 1 FROM pg_database WHERE datname = 'd'", 30)?
        .is_empty();
    let files = c.relfiles.len();
    let primary_contents = if has_d {
        let mut d = c.session("d")?;
        let v = contents(&mut d, u8::try_from(files).unwrap_or(0))?;
        d.close()?;
        Some(v)
    } else {
        None
    };
    // Every WAL record into the archive, as the model's restore replays them all.
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
             archive_mode = off\nrestore_command = 'cp {}/%f %p'\n",
            sock.display(),
            c.archive.display()
        ),
    )?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&c.backup, std::fs::Permissions::from_mode(0o700)).map_err(failed)?;
    server::chown_tree(&c.backup, c.user)?;
    server::chown_tree(&c.backup_ts, c.user)?;
    let log = c.root.join("restore.log");
    let logf = std::fs::File::create(&log).map_err(failed)?;
    drop(logf);
    let mut restored = match Server::start(&c.bin, &c.backup, &sock, port, &log, c.user, &c.root) {
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

fn classify_failed_start(log: &Path, p: &Plan) -> Real {
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

fn classify_running(
    c: &Cluster,
    restored: &mut Server,
    primary: Option<Vec<String>>,
    files: usize,
) -> Result<Real, RunError> {
    let mut s = restored.session(&c.bin, "postgres", &c.root)?;
    let row = s.query(
        "SELECT datconnlimit FROM pg_database WHERE datname = 'd'",
        30,
    )?;
    s.close()?;
    let found = row.iter().find_map(|l| l.trim().parse::<i32>().ok());
    let loss = |evidence: String| Real {
        class: plan::Class::SilentLoss,
        evidence: vec![evidence],
    };
    match (found, primary) {
        (None, None) => Ok(Real {
            class: plan::Class::Ok,
            evidence: vec!["database d is gone, as on the primary".into()],
        }),
        (None, Some(_)) => Ok(loss(
            "database d is missing from the restored pg_database".into(),
        )),
        (Some(-2), _) => Ok(Real {
            class: plan::Class::DatabaseInvalid,
            evidence: vec!["pg_database: d has datconnlimit = -2 (invalid)".into()],
        }),
        (Some(_), None) => Ok(loss(
            "database d is in the restore, but was dropped on the primary".into(),
        )),
        (Some(_), Some(want)) => {
            let mut d = match restored.session(&c.bin, "d", &c.root) {
                Ok(d) => d,
                Err(e) => return Ok(loss(format!("connecting to d: {e}"))),
            };
            let got = contents(&mut d, u8::try_from(files).unwrap_or(0));
            let _ = d.close();
            match got {
                Err(e) => Ok(loss(format!("reading d's tables: {e}"))),
                Ok(got) if got != want => Ok(loss(format!(
                    "d's tables differ from the primary's (digests {got:?} vs {want:?})"
                ))),
                Ok(_) => Ok(Real {
                    class: plan::Class::Ok,
                    evidence: vec![format!("d's {files} tables equal the primary's")],
                }),
            }
        }
    }
}
