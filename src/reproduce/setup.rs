//! The real cluster set up like the trace's model: the tools checked, a primary initialised
//! (archiving, no autovacuum, data checksums as the model has them), a tablespace, and database
//! `d` with K tables of P pages.

use super::outcome::Options;
use super::plan::{self, Plan};
use super::server::{self, RunError, Server, Session, failed};
use crate::world::{Loc, PgVersion};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The real cluster: the primary, its folders and the ids the walk needs.
pub(super) struct Cluster {
    pub(super) bin: PathBuf,
    pub(super) root: PathBuf,
    pub(super) user: Option<(u32, u32)>,
    pub(super) primary: Server,
    pub(super) archive: PathBuf,
    /// The data directory and the tablespace folder the backup walks: the primary's, or the
    /// standby's for a backup from a standby.
    pub(super) src_data: PathBuf,
    pub(super) src_ts: PathBuf,
    /// The tablespace's folder (`LOCATION`), and the backup's copy of it.
    pub(super) ts_dir: PathBuf,
    pub(super) backup: PathBuf,
    pub(super) backup_ts: PathBuf,
    pub(super) ts_oid: u32,
    pub(super) db_oid: u32,
    /// `PG_15_<catversion>` under the tablespace.
    pub(super) ts_version_dir: String,
    /// Relation file number of each table (model relation `i` is table `t<i>`).
    pub(super) relfiles: Vec<u32>,
    /// Files of the model's relations listed by the walk's open of each location.
    pub(super) listed: BTreeMap<Loc, BTreeSet<String>>,
    pub(super) rest_copied: bool,
    pub(super) tablespace_copied: bool,
    /// A file of `D`'s folder in the tablespace that is not one of the tables' is the model's
    /// next relation (ALTER TABLE SET TABLESPACE's new relfilenode).
    pub(super) adopt_new_file: bool,
    /// A plain-format backup: whether its walk of `pg_tblspc` found the tablespace's link
    /// (`None`: not walked; the restore then gets a `tablespace_map`, as from the low-level API).
    pub(super) link_in_backup: Option<bool>,
}

pub(super) fn write(path: &Path, text: &str) -> Result<(), RunError> {
    std::fs::write(path, text).map_err(|e| failed(format!("{}: {e}", path.display())))
}

pub(super) fn append(path: &Path, text: &str) -> Result<(), RunError> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| failed(format!("{}: {e}", path.display())))
}

pub(super) fn mkdir(path: &Path) -> Result<(), RunError> {
    std::fs::create_dir_all(path).map_err(|e| failed(format!("mkdir {}: {e}", path.display())))
}

pub(super) fn server_conf(sock: &Path, port: u16, archive: &Path) -> String {
    format!(
        "\n# racecheck reproduce\nlisten_addresses = ''\nunix_socket_directories = '{}'\nport = {port}\n\
         wal_level = replica\narchive_mode = on\narchive_command = 'cp %p {}/%f'\n\
         autovacuum = off\nfull_page_writes = on\nwal_log_hints = off\nfsync = off\n\
         shared_buffers = 16MB\nmax_wal_senders = 2\nlogging_collector = off\n\
         checkpoint_timeout = '1h'\n",
        sock.display(),
        archive.display()
    )
}

/// Check the tools: `postgres` of the trace's major version, and gdb.
pub(super) fn check_tools(bin: &Path, want: PgVersion) -> Result<(), RunError> {
    let v = server::run_quiet(
        {
            let mut c = std::process::Command::new(bin.join("postgres"));
            c.arg("--version");
            c
        },
        &format!("{}/postgres --version", bin.display()),
        30,
    )
    .map_err(|e| RunError::Tools(format!("PostgreSQL {want} not found ({e}); install it with scripts/install-reproduce-deps.sh or give --pg-bin")))?;
    if !v.contains(&format!(") {want}.")) {
        return Err(RunError::Unrealisable(format!(
            "{}/postgres is {}, but the trace models PostgreSQL {want}: run it on a server of that version (scripts/install-reproduce-deps.sh; --pg-bin), or rebuild the trace with --pg",
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
pub(super) fn rows(pages: u8) -> u32 {
    136 * u32::from(pages) - 10
}

pub(super) fn setup(opts: &Options, root: &Path, p: &Plan) -> Result<Cluster, RunError> {
    let bin = opts
        .pg_bin
        .clone()
        .ok_or_else(|| failed("no PostgreSQL programs chosen"))?;
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
    // Data checksums as the model has them: on with -k; off is every initdb's default before
    // 18, and 18's initdb needs --no-data-checksums.
    if p.model.hint_bits_logged() {
        initdb.arg("-k");
    } else if p.model.pg.checksums_by_default() {
        initdb.arg("--no-data-checksums");
    }
    server::run_quiet(initdb, "initdb", 120)?;
    let port = server::free_port()?;
    let archive = root.join("archive");
    append(
        &data.join("postgresql.conf"),
        &server_conf(&root.join("primary-sock"), port, &archive),
    )?;
    let primary = Server::start(
        server::Role::Primary,
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
        src_data: data.clone(),
        src_ts: root.join("ts"),
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
        adopt_new_file: crate::scenario::command::def(p.model.command).relocates()
            && !crate::scenario::command::def(p.model.command).links(),
        link_in_backup: None,
    };
    // DROP TABLESPACE's scenario: table t0 lives in the tablespace (the model's relation 0 in
    // `T`, `CommandDef::prepare`).
    let t0_in_ts = crate::scenario::command::def(p.model.command).links();
    let mut s = c.session("postgres")?;
    s.query(
        &format!("CREATE TABLESPACE ts LOCATION '{}'", c.ts_dir.display()),
        60,
    )?;
    s.query(crate::scenario::command::DATABASE_D, 60)?;
    c.ts_oid = one_number(&mut s, "SELECT oid FROM pg_tablespace WHERE spcname = 'ts'")?;
    c.db_oid = one_number(&mut s, "SELECT oid FROM pg_database WHERE datname = 'd'")?;
    let mut d = c.session("d")?;
    for i in 0..p.model.files {
        d.query(
            &format!(
                "CREATE TABLE t{i} (a int, b bigint, c bigint, d bigint) WITH (autovacuum_enabled = off){};\
                 INSERT INTO t{i} SELECT g, g, g, g FROM generate_series(1, {}) g",
                if t0_in_ts && i == 0 { " TABLESPACE ts" } else { "" },
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
        .find(|n| n.starts_with(&format!("PG_{}_", p.model.pg)))
        .ok_or_else(|| failed(format!("the tablespace has no PG_{}_* folder", p.model.pg)))?;
    Ok(c)
}

/// The low-level backup API of a version: the start, and the stop returning the backup label
/// (hex-encoded, after `LABEL:`) and the tablespace map `pg_backup_start` built (after `MAP:`). 14 has the non-exclusive `pg_start_backup(label, fast,
/// false)` / `pg_stop_backup(false)`; 15 renamed them `pg_backup_start` / `pg_backup_stop`.
pub(super) fn backup_api(v: PgVersion) -> (String, String) {
    let label = "'LABEL:' || encode(convert_to(labelfile, 'UTF8'), 'hex') || E'\\nMAP:' || \
                 encode(convert_to(coalesce(spcmapfile, ''), 'UTF8'), 'hex')";
    if v == PgVersion::V14 {
        (
            "SELECT pg_start_backup('racecheck', true, false)".into(),
            format!("SELECT {label} FROM pg_stop_backup(false)"),
        )
    } else {
        (
            "SELECT pg_backup_start('racecheck', true)".into(),
            format!("SELECT {label} FROM pg_backup_stop(true)"),
        )
    }
}

pub(super) fn one_number(s: &mut Session, sql: &str) -> Result<u32, RunError> {
    s.query(sql, 30)?
        .iter()
        .find_map(|l| l.trim().parse().ok())
        .ok_or_else(|| failed(format!("{sql}: no number")))
}
