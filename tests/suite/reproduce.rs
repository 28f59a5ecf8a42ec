//! `racecheck reproduce` against a real PostgreSQL 15 (Debian's postgresql-15 and gdb, which
//! `.ci/run` installs with scripts/install-reproduce-deps.sh): the baseline race at 15 with a
//! VACUUM after the move (PANIC) and with UPDATEs only (silent loss), DROP DATABASE (PANIC), and
//! a control schedule (the backup after the move: OK). Every run is bounded in time, and after
//! every run (also a failed or interrupted one) no server, psql or gdb it started may be left.
//! The tests take turns: each starts servers and a debugger. Without PostgreSQL 15 or gdb the
//! tests that need them say so in one line and pass, so that `cargo test --release` is green on
//! a fresh clone with only a Rust toolchain; `.ci/run` sets RACECHECK_REQUIRE_SERVERS=1, under
//! which a missing server fails them instead (CI never passes by skipping them).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static TURN: Mutex<()> = Mutex::new(());

/// Whether PostgreSQL 15 and gdb are here. Without them: a panic under
/// RACECHECK_REQUIRE_SERVERS=1, else one line on stderr (once per run, past the test harness's
/// capture) and `false`, for the caller to return early.
fn servers() -> bool {
    server_of(racecheck::world::PgVersion::V15)
}

/// Whether the real server of `v` (where scripts/install-reproduce-deps.sh puts it) and gdb
/// are here; as [`servers`] otherwise.
fn server_of(v: racecheck::world::PgVersion) -> bool {
    static SAID: std::sync::Once = std::sync::Once::new();
    let Some(pg) = racecheck::reproduce::pg_bin_of(v) else {
        return false;
    };
    let pg = pg.as_path();
    let what = format!("PostgreSQL {v}");
    let missing: Vec<&str> = [
        (
            what.as_str(),
            ["postgres", "initdb", "psql"]
                .iter()
                .all(|b| pg.join(b).is_file()),
        ),
        (
            "gdb",
            std::env::var_os("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("gdb").is_file())),
        ),
    ]
    .into_iter()
    .filter(|(_, here)| !here)
    .map(|(what, _)| what)
    .collect();
    if missing.is_empty() {
        return true;
    }
    let line = format!(
        "real-server tests of racecheck reproduce skipped: no {} here (bash scripts/install-reproduce-deps.sh installs them)",
        missing.join(", no ")
    );
    assert!(
        std::env::var_os("RACECHECK_REQUIRE_SERVERS").is_none(),
        "{line}; RACECHECK_REQUIRE_SERVERS is set"
    );
    SAID.call_once(|| {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{line}");
    });
    false
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn trace(rel: &str) -> PathBuf {
    root().join("traces").join(rel)
}

/// Processes whose command line mentions `needle` (other than this test process).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let me = std::process::id().to_string();
    for e in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) || name == me {
            continue;
        }
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let zombie = std::fs::read_to_string(e.path().join("stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        });
        if cmd.contains(needle) && !zombie {
            found.push(format!("{name}: {cmd}"));
        }
    }
    found
}

/// Nothing this run started is still running: no process mentions its folder (the servers'
/// `-D`, psql's socket), and no gdb attached by racecheck (`gdb -q -nx -p`) remains.
fn assert_nothing_left(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut left = processes_mentioning(&dir.display().to_string());
        left.extend(processes_mentioning("gdb -q -nx -p"));
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "left behind: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Start `racecheck reproduce TRACE --keep DIR ARGS`.
fn spawn_reproduce(t: &Path, dir: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_racecheck"))
        .arg("reproduce")
        .arg(t)
        .arg("--keep")
        .arg(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `racecheck reproduce TRACE --json --keep DIR`, killed after 180 s: exit code, parsed JSON (if
/// any), stderr. The folder is checked for leftovers afterwards.
fn reproduce(t: &Path) -> (i32, serde_json::Value, String) {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let keep = tempfile::tempdir().unwrap();
    let dir = keep.path().join("run");
    let mut child = spawn_reproduce(t, &dir, &["--json"]);
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("racecheck reproduce {} took more than 180 s", t.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_nothing_left(&dir);
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    if !json.is_null() {
        crate::schemas::assert_valid(
            "racecheck-reproduce-1.json",
            &json,
            &format!("racecheck reproduce {} --json", t.display()),
        );
    }
    (out.status.code().unwrap_or(-1), json, stderr)
}

fn evidence(v: &serde_json::Value) -> String {
    v["evidence"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn expect_match(t: &str, class: &str, line: &str) {
    let v = racecheck::trace::read(&trace(t))
        .expect("the trace reads")
        .model
        .pg;
    if !server_of(v) {
        return;
    }
    let (code, v, stderr) = reproduce(&trace(t));
    assert_eq!(
        (code, v["predicted"].as_str(), v["real"].as_str()),
        (0, Some(class), Some(class)),
        "{t}: {v}\n{stderr}\n(real servers and gdb: bash scripts/install-reproduce-deps.sh)"
    );
    assert_eq!(v["match"], true, "{v}");
    assert!(evidence(&v).contains(line), "{t}: no {line:?} in {v}");
}

#[test]
fn baseline_at_15_with_a_vacuum_after_the_move_panics_on_invalid_pages() {
    expect_match(
        "matrix/baseline@pg15-primary.json",
        "invalid-pages PANIC",
        "PANIC:  WAL contains references to invalid pages",
    );
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn baseline_at_15_with_updates_only_loses_the_database_silently() {
    expect_match(
        "matrix/baseline-update@pg15-primary.json",
        "silent loss",
        "is not a valid data directory",
    );
}

#[test]
fn dropdb_held_between_rmtree_and_its_drop_record_panics() {
    expect_match(
        "dropdb.json",
        "invalid-pages PANIC",
        "PANIC:  WAL contains references to invalid pages",
    );
}

/// The DROP DATABASE counterexample of each current major, on that major's real server: the
/// restore PANICs as the model says (18 initialised without data checksums, as its trace's model
/// has them off).
#[test]
fn dropdb_counterexample_panics_on_real_14() {
    expect_match(
        "matrix/dropdb@pg14-primary.json",
        "invalid-pages PANIC",
        "PANIC:  WAL contains references to invalid pages",
    );
}

#[test]
fn dropdb_counterexample_panics_on_real_16() {
    expect_match(
        "matrix/dropdb@pg16-primary.json",
        "invalid-pages PANIC",
        "PANIC:  WAL contains references to invalid pages",
    );
}

#[test]
fn dropdb_counterexample_panics_on_real_17() {
    expect_match(
        "matrix/dropdb@pg17-primary.json",
        "invalid-pages PANIC",
        "PANIC:  WAL contains references to invalid pages",
    );
}

#[test]
fn dropdb_counterexample_panics_on_real_18_without_checksums() {
    expect_match(
        "versions/dropdb@pg18-checksums-off.json",
        "invalid-pages PANIC",
        "PANIC:  WAL contains references to invalid pages",
    );
}

/// CREATE DATABASE ... STRATEGY FILE_COPY: the template changed (and written by a CHECKPOINT,
/// the real server's stand-in for the model's buffer eviction) after the new database commits
/// leaks into the restored new database: the caveat PostgreSQL documents, seen on a real 15.
#[test]
fn createdb_file_copy_at_15_leaks_the_template_change_into_the_new_database() {
    expect_match(
        "matrix/createdb-file-copy@pg15-primary.json",
        "silent loss",
        "n's tables differ from the primary's",
    );
}

/// The same command with STRATEGY WAL_LOG (15's default): the new database is rebuilt from WAL,
/// both databases restore as on the primary.
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn createdb_wal_log_at_15_restores_both_databases() {
    expect_match(
        "control/createdb-wal-log@pg15-random3.json",
        "OK",
        "n's 2 tables equal the primary's",
    );
}

/// Backups from a streaming standby (made from the primary, its startup process held under gdb
/// between the records where the model's standby is): the baseline counterexample at 15 PANICs
/// as the model says (pg-fidelity §16 saw the same by hand).
#[test]
fn baseline_at_15_from_a_standby_panics_on_invalid_pages() {
    expect_match(
        "matrix/baseline@pg15-standby.json",
        "invalid-pages PANIC",
        "PANIC:  WAL contains references to invalid pages",
    );
}

/// CREATE DATABASE (FILE_COPY) from a standby: the template's page replayed on the standby and
/// written there (a restartpoint: the model's standby writes replayed pages at once) before the
/// walk copies it leaks into the restored new database.
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn createdb_file_copy_at_15_from_a_standby_leaks_the_template_change() {
    expect_match(
        "matrix/createdb-file-copy@pg15-standby.json",
        "silent loss",
        "n's tables differ from the primary's",
    );
}

/// ALTER TABLE SET TABLESPACE (C2): the backup starts between a page's image record and its
/// smgrextend and copies the new file before the write; the restored table lacks the page.
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn set_tablespace_counterexample_loses_rows_on_real_15() {
    expect_match(
        "matrix/set-tablespace@pg15-primary.json",
        "silent loss",
        "d's tables differ from the primary's",
    );
}

/// The same at 17, where smgr_bulk_flush logs both pages in one log_newpages record.
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn set_tablespace_counterexample_loses_rows_on_real_17() {
    expect_match(
        "matrix/set-tablespace@pg17-primary.json",
        "silent loss",
        "d's tables differ from the primary's",
    );
}

/// With a VACUUM after the move: its HEAP2_VISIBLE (no heap image without checksums) meets the
/// missing page: PANIC at consistency, at 15 and at 17.
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn set_tablespace_vacuum_counterexample_panics_on_real_15() {
    expect_match(
        "matrix/set-tablespace-vacuum@pg15-primary.json",
        "invalid-pages PANIC",
        "PANIC:  WAL contains references to invalid pages",
    );
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn set_tablespace_vacuum_counterexample_panics_on_real_17() {
    expect_match(
        "matrix/set-tablespace-vacuum@pg17-primary.json",
        "invalid-pages PANIC",
        "PANIC:  WAL contains references to invalid pages",
    );
}

/// The control: ALTER TABLE SET TABLESPACE committed before the backup starts.
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn control_set_tablespace_before_the_backup_restores_the_table() {
    expect_match(
        "control/set-tablespace@pg15-serial.json",
        "OK",
        "d's 2 tables equal the primary's",
    );
}

/// DROP TABLESPACE (C5): the plain-format backup ends after the link's unlink and before
/// XLOG_TBLSPC_DROP; replaying the UPDATE makes pg_tblspc/<oid> a plain directory, and reaching
/// consistency PANICs (14.5+).
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn drop_tablespace_counterexample_panics_on_real_15() {
    expect_match(
        "matrix/drop-tablespace@pg15-primary.json",
        "startup failure",
        "PANIC:  unexpected directory entry",
    );
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn drop_tablespace_counterexample_panics_on_real_17() {
    expect_match(
        "matrix/drop-tablespace@pg17-primary.json",
        "startup failure",
        "PANIC:  unexpected directory entry",
    );
}

/// The controls: DROP TABLESPACE before the backup; and a tar-format backup (tablespace_map
/// from its start) whose stop falls in the same window as the counterexample's.
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn control_drop_tablespace_before_the_backup_restores() {
    expect_match(
        "control/drop-tablespace@pg15-serial.json",
        "OK",
        "d's 2 tables equal the primary's",
    );
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn control_drop_tablespace_tar_in_the_window_restores() {
    expect_match(
        "control/drop-tablespace-tar@pg15-random6.json",
        "OK",
        "d's 2 tables equal the primary's",
    );
}

/// Tar format at 14 (no SMGRRELEASE barrier): pg_start_backup held by gdb after its checkpoint,
/// before it reads pg_tblspc, while the whole DROP TABLE + DROP TABLESPACE runs; its map lacks
/// the link and the restore PANICs, from a primary and from a standby.
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn drop_tablespace_tar_counterexample_panics_on_real_14() {
    expect_match(
        "matrix/drop-tablespace-tar@pg14-primary.json",
        "startup failure",
        "PANIC:  unexpected directory entry",
    );
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn drop_tablespace_tar_counterexample_from_a_standby_panics_on_real_14() {
    expect_match(
        "matrix/drop-tablespace-tar@pg14-standby.json",
        "startup failure",
        "PANIC:  unexpected directory entry",
    );
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn drop_tablespace_counterexample_from_a_standby_panics_on_real_15() {
    expect_match(
        "matrix/drop-tablespace@pg15-standby.json",
        "startup failure",
        "PANIC:  unexpected directory entry",
    );
}

/// From a standby at 15+, the tar counterexample's restartpoint begins before the standby
/// replays XLOG_TBLSPC_DROP, whose barrier a held pg_backup_start cannot absorb: refused,
/// naming the step, before any server starts.
#[test]
fn the_standby_tar_counterexample_is_refused_naming_the_barrier() {
    let (code, _, stderr) = reproduce(&trace("matrix/drop-tablespace-tar@pg15-standby.json"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("SMGRRELEASE barrier"), "{stderr}");
}

#[test]
fn the_version_traces_are_what_racecheck_writes_now() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.json");
    let st = Command::new(env!("CARGO_BIN_EXE_racecheck"))
        .args([
            "--variant",
            "dropdb",
            "--pg",
            "18",
            "--checksums",
            "off",
            "-q",
            "--trace-out",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        st.code(),
        Some(1),
        "dropdb at 18 without checksums is violated"
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(trace("versions/dropdb@pg18-checksums-off.json")).unwrap(),
        "traces/versions/dropdb@pg18-checksums-off.json is stale (racecheck --variant dropdb --pg 18 --checksums off --trace-out ...)"
    );
}

#[test]
fn a_server_of_another_major_is_refused_naming_both() {
    let Some(bin) = racecheck::reproduce::pg_bin_of(racecheck::world::PgVersion::V17) else {
        return;
    };
    if !server_of(racecheck::world::PgVersion::V17) {
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_racecheck"))
        .arg("reproduce")
        .arg(trace("dropdb.json"))
        .arg("--pg-bin")
        .arg(&bin)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("17.") && stderr.contains("PostgreSQL 15"),
        "{stderr}"
    );
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn control_backup_after_the_move_restores_the_database() {
    expect_match(
        "control/baseline@pg15-serial.json",
        "OK",
        "tables equal the primary's",
    );
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn a_random_schedule_whose_backup_stops_during_the_copy_restores_the_database() {
    // racecheck schedule --seed 1: the backup starts before the move, walks the (still empty)
    // tablespace, copies base/<d> and stops while copydir runs, before the create record. The
    // tablespace's PG_15_* folder must be in the copy, as pg_basebackup sends it: replay of the
    // create record after consistency needs it (without it: PANIC "missing directory").
    expect_match(
        "control/baseline@pg15-random1.json",
        "OK",
        "tables equal the primary's",
    );
}

#[test]
fn the_control_schedules_are_what_racecheck_schedule_writes_now() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.json");
    for (file, variant, how) in [
        (
            "control/baseline@pg15-serial.json",
            "baseline",
            ["--order", "movedb,backend,walsender"],
        ),
        (
            "control/baseline@pg15-random1.json",
            "baseline",
            ["--seed", "1"],
        ),
        (
            "control/createdb-wal-log@pg15-random3.json",
            "createdb-wal-log",
            ["--seed", "3"],
        ),
        (
            "control/set-tablespace@pg15-serial.json",
            "set-tablespace",
            ["--order", "set-tablespace,walsender,backend"],
        ),
        (
            "control/drop-tablespace@pg15-serial.json",
            "drop-tablespace",
            ["--order", "drop-tablespace,walsender,backend"],
        ),
        (
            "control/drop-tablespace-tar@pg15-random6.json",
            "drop-tablespace-tar",
            ["--seed", "6"],
        ),
    ] {
        let st = Command::new(env!("CARGO_BIN_EXE_racecheck"))
            .args(["schedule", "--variant", variant, "--pg", "15"])
            .args(how)
            .arg("--trace-out")
            .arg(&out)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(
            st.code(),
            Some(0),
            "{file}: a control schedule holds: exit 0"
        );
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            std::fs::read_to_string(trace(file)).unwrap(),
            "traces/{file} is stale (racecheck schedule --variant {variant} --pg 15 {} --trace-out ...)",
            how.join(" ")
        );
    }
}

#[test]
fn traces_a_stock_server_cannot_run_are_refused_before_any_server_starts() {
    let cases = [
        ("baseline.json", "rebuild the trace with --pg 15"),
        ("matrix/flag-only@pg15-primary.json", "[movedb]"),
        ("matrix/lockflag@pg15-standby.json", "[backup]"),
    ];
    for (t, msg) in cases {
        let p = trace(t);
        let (code, _, stderr) = reproduce(&p);
        assert_eq!(code, 2, "{t}: {stderr}");
        assert!(stderr.contains(msg), "{t}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

/// Every stored trace of a stock row (a released server's knobs, 14 to 18, either source)
/// plans: each step gets its real counterpart or a merge note, no step is refused. Needs no
/// server.
#[test]
fn every_stock_trace_plans_from_either_source() {
    use racecheck::reproduce::plan;
    let mut planned = 0;
    for dir in ["matrix", "versions", "control"] {
        for e in std::fs::read_dir(trace(dir)).unwrap() {
            let path = e.unwrap().path();
            let t = racecheck::trace::read(&path).unwrap();
            let m = &t.model;
            if m.pg < racecheck::world::PgVersion::V14 || !plan::changed_sections(m).is_empty() {
                continue;
            }
            let p = match plan::plan(&t) {
                Ok(p) => p,
                // The one documented refusal of a stock trace (docs/reproduce.md): a standby's
                // tar-format start whose restartpoint the real server cannot be held in.
                Err(e) if e.to_string().contains("SMGRRELEASE barrier") => continue,
                Err(e) => panic!("{}: not planned: {e}", path.display()),
            };
            assert_eq!(p.steps.len(), t.steps.len(), "{}", path.display());
            planned += 1;
        }
    }
    // 5 stock models x 5 versions x 2 sources where violated, plus controls and versions.
    assert!(planned >= 40, "only {planned} stock traces planned");
}

#[test]
fn missing_postgresql_exits_3_naming_the_install_script() {
    let out = Command::new(env!("CARGO_BIN_EXE_racecheck"))
        .arg("reproduce")
        .arg(trace("dropdb.json"))
        .args(["--pg-bin", "/nonexistent/pg/bin"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("install-reproduce-deps.sh"), "{stderr}");
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn a_run_that_fails_after_the_server_started_stops_it() {
    if !servers() {
        return;
    }
    // A PostgreSQL folder with postgres and initdb but no psql: the primary is initialised and
    // started, then the first session cannot be opened: exit 3 naming psql, and the running
    // primary is stopped.
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let bin = tempfile::tempdir().unwrap();
    for p in ["postgres", "initdb"] {
        std::os::unix::fs::symlink(
            Path::new("/usr/lib/postgresql/15/bin").join(p),
            bin.path().join(p),
        )
        .unwrap();
    }
    let keep = tempfile::tempdir().unwrap();
    let dir = keep.path().join("run");
    let out = Command::new(env!("CARGO_BIN_EXE_racecheck"))
        .arg("reproduce")
        .arg(trace("dropdb.json"))
        .arg("--pg-bin")
        .arg(bin.path())
        .arg("--keep")
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("psql"), "{stderr}");
    assert!(
        std::fs::read_to_string(dir.join("primary.log"))
            .unwrap_or_default()
            .contains("ready to accept connections"),
        "the primary had started"
    );
    assert_nothing_left(&dir);
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn a_connection_the_model_refuses_is_refused_by_the_real_server_too() {
    if !servers() {
        return;
    }
    // DROP DATABASE first, then the backend connects: the model's connection fails (FATAL:
    // the database does not exist) and so does the real one; the schedule runs to its end.
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.json");
    let st = Command::new(env!("CARGO_BIN_EXE_racecheck"))
        .args(["schedule", "--variant", "dropdb"])
        .args(["--order", "dropdb,backend,walsender", "--trace-out"])
        .arg(&t)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    let (code, v, stderr) = reproduce(&t);
    assert_eq!(code, 0, "{v}\n{stderr}");
    assert!(
        v["notes"].to_string().contains("refused, as in the model"),
        "{v}"
    );
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn ctrl_c_while_gdb_holds_the_backend_stops_everything_and_exits_3() {
    interrupt_when("dropdb.json", |_| true);
}

/// The same from a standby: Ctrl-C once gdb holds the standby's startup process; the primary,
/// the standby, gdb and psql are all gone afterwards.
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn ctrl_c_while_gdb_holds_the_standby_stops_primary_and_standby_and_exits_3() {
    interrupt_when("matrix/baseline@pg15-standby.json", |dir| {
        dir.join("standby.log").exists()
    });
}

/// Start reproduce on `t`, send it SIGINT once its gdb is attached and `ready(folder)`, and
/// check that it exits 3 and leaves nothing running.
fn interrupt_when(t: &str, ready: impl Fn(&Path) -> bool) {
    if !servers() {
        return;
    }
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let keep = tempfile::tempdir().unwrap();
    let dir = keep.path().join("run");
    let mut child = spawn_reproduce(&trace(t), &dir, &[]);
    // Wait until racecheck's gdb is attached, then interrupt.
    let deadline = Instant::now() + Duration::from_secs(120);
    while processes_mentioning("gdb -q -nx -p").is_empty() || !ready(&dir) {
        assert!(Instant::now() < deadline, "gdb never attached");
        assert!(child.try_wait().unwrap().is_none(), "racecheck ended first");
        std::thread::sleep(Duration::from_millis(5));
    }
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "racecheck did not stop after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{t}: {stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_nothing_left(&dir);
}

#[test]
fn the_dropdb_plan_stops_the_backup_while_drop_database_is_held_after_rmtree() {
    use racecheck::reproduce::plan::{self, Action, Hold};
    let t = racecheck::trace::read(&trace("dropdb.json")).unwrap();
    let p = plan::plan(&t).unwrap();
    let acts = plan::actions(&p);
    let held_before = |name: &str| {
        acts.iter().position(|(_, a)| {
            matches!(a, Action::Command(Hold::Before { pc }) if p.command_ops[*pc].0.starts_with(name))
        })
    };
    let stop = acts
        .iter()
        .position(|(_, a)| *a == Action::BackupStop)
        .expect("the backup stops");
    let drop_record = held_before("XLogInsert(DBASE_DROP)").expect("held before the DROP record");
    let after = acts
        .iter()
        .position(|(_, a)| {
            matches!(a, Action::Command(Hold::Done))
                || matches!(a, Action::Command(Hold::Before { pc }) if p.command_ops[*pc].0.starts_with("Commit"))
        })
        .expect("the command goes on after");
    assert!(
        drop_record < stop && stop < after,
        "the backup must stop while DROP DATABASE is held between rmtree and its record: {acts:?}"
    );
    assert_eq!(p.predicted, plan::Predicted::InvalidPages(1));
    assert!(
        p.steps.iter().any(|s| s
            .note
            .as_deref()
            .is_some_and(|n| n.contains("rmtree cannot be held"))),
        "the merge of rmtree's steps is said"
    );
}

#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn the_dropdb_schedule_under_18_with_checksums_restores_on_real_18_as_the_model_says() {
    if !server_of(racecheck::world::PgVersion::V18) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("like18.json");
    let st = Command::new(env!("CARGO_BIN_EXE_racecheck"))
        .args(["schedule", "--like"])
        .arg(trace("dropdb.json"))
        .args(["--pg", "18", "--checksums", "on", "--trace-out"])
        .arg(&t)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        st.code(),
        Some(0),
        "with checksums the VISIBLE images the page: holds"
    );
    let (code, v, stderr) = reproduce(&t);
    assert_eq!(
        (code, v["predicted"].as_str(), v["real"].as_str()),
        (0, Some("OK"), Some("OK")),
        "{v}\n{stderr}"
    );
}

/// A schedule `racecheck sweep` found different at 18 (and 17 with checksums) until the restore
/// replayed only the WAL up to the end of the schedule: the walk copies t0 from base/<d>
/// before the move and reaches base/ again after rmtree, so the restored copy lacks t1 (silent
/// loss). The harness's read of the primary's tables, with checksums, logged hint-bit
/// full-page images of t1 that the shutdown archived, and the restore rebuilt t1 from them.
#[test]
#[ignore = "real server, outside the default suite: .ci/run runs it (--ignored reproduce::)"]
fn a_walk_before_the_move_loses_t1_on_real_18_with_checksums() {
    expect_match(
        "versions/baseline@pg18-walk-before-the-move.json",
        "silent loss",
        "could not open file",
    );
}
