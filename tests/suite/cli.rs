//! End-to-end tests of the `racecheck` binary: exit codes, messages, trace round trip.

use assert_cmd::Command;
use std::path::PathBuf;

fn rc() -> Command {
    let mut c = Command::cargo_bin("racecheck").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR")).arg("-q");
    c
}

fn out(c: &mut Command) -> (i32, String, String) {
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn baseline_is_violated_and_its_trace_replays() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("b.json");
    let (code, stdout, _) = out(rc().args(["--variant", "baseline", "--trace-out"]).arg(&t));
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("VIOLATED: invalid-pages"), "{stdout}");
    assert!(
        stdout.contains("WAL contains references to invalid pages"),
        "{stdout}"
    );
    assert!(stdout.contains("● "), "timeline missing: {stdout}");
    assert!(
        stdout.contains(&format!("racecheck replay {}", t.display())),
        "{stdout}"
    );
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&t).unwrap()).unwrap();
    assert_eq!(v["schema"], "racecheck-trace/2");

    let (code, stdout, stderr) = out(Command::cargo_bin("racecheck")
        .unwrap()
        .arg("replay")
        .arg(&t));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("VIOLATED: invalid-pages"), "{stdout}");
}

#[test]
fn lockflag_holds_with_coverage() {
    let (code, stdout, _) = out(rc().args(["--variant", "lockflag"]));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("exhaustive: "), "{stdout}");
    assert!(
        stdout.contains("backup-starts-before-create  reached"),
        "{stdout}"
    );
    assert!(!stdout.contains("NOT REACHED"), "{stdout}");
}

#[test]
fn unknown_variant_exits_2_and_lists_variants() {
    let (code, _, stderr) = out(rc().args(["--variant", "nosuch"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("baseline") && stderr.contains("lockflag"),
        "{stderr}"
    );
}

#[test]
fn broken_trace_exits_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("traces/baseline.json"),
    )
    .unwrap();
    let truncated = dir.path().join("t.json");
    std::fs::write(&truncated, &src[..src.len() / 3]).unwrap();
    let (code, _, stderr) = out(Command::cargo_bin("racecheck")
        .unwrap()
        .arg("replay")
        .arg(&truncated));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not a valid racecheck trace") && stderr.contains("line"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let edited = dir.path().join("e.json");
    std::fs::write(
        &edited,
        src.replacen("\"proc\": \"movedb\"", "\"proc\": \"postmaster\"", 1),
    )
    .unwrap();
    let (code, _, stderr) = out(Command::cargo_bin("racecheck")
        .unwrap()
        .arg("replay")
        .arg(&edited));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("diverged at steps[") && stderr.contains("postmaster"),
        "{stderr}"
    );
}

#[test]
fn budget_exhaustion_exits_3() {
    let (code, stdout, _) = out(rc().args(["--variant", "lockflag", "--max-states", "100"]));
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains("inconclusive") && stdout.contains("--max-states 100"),
        "{stdout}"
    );
}

#[test]
fn all_variants_table_has_one_row_per_model() {
    let (code, stdout, _) = out(&mut rc());
    assert_eq!(code, 0, "{stdout}");
    let models = std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml")
        })
        .count();
    let rows = stdout.lines().skip(2).take_while(|l| !l.is_empty()).count();
    assert_eq!(rows, models, "{stdout}");
}

#[test]
fn bad_model_file_exits_2_with_file_line_and_knob() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("odd.toml"),
        "name = \"odd\"\ndescription = \"x\"\n[backup]\npgdb-lock = \"forever\"\n[expect]\nverdict = \"holds\"\n",
    )
    .unwrap();
    let (code, _, stderr) = out(rc()
        .arg("--models")
        .arg(dir.path())
        .args(["--variant", "odd"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("odd.toml") && stderr.contains("line 4") && stderr.contains("forever"),
        "{stderr}"
    );
}

#[test]
fn bad_usage_exits_2() {
    let (code, _, _) = out(rc().args(["--files", "many"]));
    assert_eq!(code, 2);
    let (code, _, stderr) = out(rc().args(["--variant", "baseline", "--files", "9"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("files"), "{stderr}");
}

#[test]
fn list_names_every_variant() {
    // One line per model file, in file order, with its name, version, command and source.
    let (code, stdout, _) = out(Command::cargo_bin("racecheck")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("list"));
    assert_eq!(code, 0);
    let models = racecheck::scenario::load::load_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"),
    )
    .unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), models.len(), "{stdout}");
    for (line, m) in lines.iter().zip(&models) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[0], m.name, "{line}");
        assert_eq!(words[2], m.pg.as_str(), "{line}");
        assert_eq!(words[3], m.command.as_str(), "{line}");
        assert_eq!(words[5], m.backup.source.as_str(), "{line}");
    }
}

#[test]
fn matrix_exits_1_naming_a_changed_row() {
    let dir = tempfile::tempdir().unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("models/lockflag.toml"),
        dir.path().join("lockflag.toml"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("matrix")).unwrap();
    std::fs::write(
        dir.path().join("matrix/expectations.toml"),
        "[lockflag.primary]\n\"9.2\" = []\n\"9.4\" = []\n\"15\" = [\"invalid-pages\"]\n\"18\" = []\n\
         [lockflag.standby]\n\"9.2\" = [\"invalid-pages\", \"redo-fatal\", \"restore-fidelity\", \"claim-unreachable\"]\n",
    )
    .unwrap();
    let (code, stdout, stderr) = out(Command::cargo_bin("racecheck")
        .unwrap()
        .arg("matrix")
        .arg("--models")
        .arg(dir.path()));
    assert_eq!(code, 1, "{stdout}{stderr}");
    // Changed: primary 15 (expectation wrong); no expectation: primary 14, 16, 17 and standby
    // 9.4, 14, 15, 16, 17, 18.
    assert!(
        stderr.contains("lockflag (source primary, pg 15)")
            && stderr.contains("lockflag (source standby, pg 18)")
            && !stderr.contains("lockflag (source primary, pg 9.2)"),
        "{stderr}"
    );
    assert!(stderr.contains("10 row(s) differ"), "{stderr}");
}

#[test]
fn standby_source_gives_its_own_verdict_and_trace() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("s.json");
    let (code, stdout, _) = out(rc()
        .args([
            "--variant",
            "lockflag",
            "--source",
            "standby",
            "--trace-out",
        ])
        .arg(&t));
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("backup from the standby"), "{stdout}");
    assert!(stdout.contains("VIOLATED: invalid-pages"), "{stdout}");
    assert!(stdout.contains("5=startup"), "{stdout}");
    // The trace carries the override inline, and replays.
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&t).unwrap()).unwrap();
    assert_eq!(v["model"]["backup"]["source"], "standby");
    let (code, stdout, stderr) = out(Command::cargo_bin("racecheck")
        .unwrap()
        .arg("replay")
        .arg(&t));
    assert_eq!(code, 1, "{stdout}{stderr}");
    // With the startup-process lock the same backup holds.
    let (code, stdout, _) = out(rc().args(["--variant", "lockflag-startup"]));
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn bad_source_and_actions_are_usage_errors() {
    let (code, _, stderr) = out(rc().args(["--variant", "lockflag", "--source", "moon"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("known: primary, standby"), "{stderr}");
    let (code, _, stderr) = out(rc().args(["--variant", "lockflag", "--actions", "jump 0 0"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("\"jump 0 0\""), "{stderr}");
    let (code, _, stderr) = out(rc().args(["--variant", "lockflag", "--actions", "update 7 0"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("knob `actions`"), "{stderr}");
}

#[test]
fn loom_refuses_a_standby_scenario_over_its_thread_limit() {
    let (code, _, stderr) = out(rc().args(["--variant", "lockflag-startup", "--backend", "loom"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--actions none") || stderr.contains("actions = []"),
        "{stderr}"
    );
}

#[test]
fn memory_budget_ends_the_run_as_inconclusive() {
    // A budget below what the process already holds stops the search at its first check:
    // exit 3 with the statistics so far, never an out-of-memory kill.
    let (code, stdout, _) = out(rc().args(["--variant", "wallog", "--max-memory", "1M"]));
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains("incomplete (--max-memory 1.0 MB reached"),
        "{stdout}"
    );
    for bad in ["lots", "0", "-5G", "3X"] {
        let flag = format!("--max-memory={bad}");
        let (code, _, stderr) = out(rc().args(["--variant", "wallog", flag.as_str()]));
        assert_eq!(code, 2, "{bad}: {stderr}");
        assert!(stderr.contains("is not a size"), "{stderr}");
    }
}

#[test]
fn run_summary_reports_speed_memory_and_collision_probability() {
    let (code, stdout, _) = out(rc().args(["--variant", "lockflag", "--threads", "2"]));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("states/s")
            && stdout.contains("bytes/state")
            && stdout.contains("2 threads")
            && stdout.contains("collision probability"),
        "{stdout}"
    );
}

/// A run longer than two seconds reports progress on stderr (through the CLI's reporter: the
/// library prints nothing), once a second; `--quiet` silences it.
#[test]
fn a_long_run_reports_progress_on_stderr_unless_quiet() {
    let args = [
        "--variant",
        "wallog",
        "--files",
        "3",
        "--pages",
        "3",
        "--threads",
        "1",
        "--max-seconds",
        "2.5",
    ];
    let mut loud = Command::cargo_bin("racecheck").unwrap();
    loud.current_dir(env!("CARGO_MANIFEST_DIR"));
    let (code, _, stderr) = out(loud.args(args));
    assert!(code == 1 || code == 3, "{stderr}");
    let lines = stderr
        .lines()
        .filter(|l| l.starts_with("progress: ["))
        .count();
    assert!(lines >= 1, "no progress line: {stderr}");
    // rc() passes -q.
    let (_, _, quiet) = out(rc().args(args));
    assert!(!quiet.contains("progress:"), "{quiet}");
}

/// `--fingerprint-seed` and `--fingerprint-bits` are another hash: the summary names them, and
/// the states and verdict are those of the default hash; a bad seed is a usage error.
#[test]
fn fingerprint_seed_and_width_are_in_the_summary_and_change_no_count() {
    let states = |stdout: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("exhaustive: "))
            .and_then(|l| l.split(' ').next())
            .map(str::to_string)
    };
    let (code, default, _) = out(rc().args(["--variant", "baseline", "--pg", "15"]));
    assert_eq!(code, 1, "{default}");
    assert!(
        default.contains("64-bit fingerprints (foldhash, seed 0x7261636563686563)"),
        "{default}"
    );
    let (code, other, _) = out(rc().args([
        "--variant",
        "baseline",
        "--pg",
        "15",
        "--fingerprint-seed",
        "0x2a",
        "--fingerprint-bits",
        "128",
    ]));
    assert_eq!(code, 1, "{other}");
    assert!(
        other.contains("128-bit fingerprints (two foldhash values, seed 0x2a)"),
        "{other}"
    );
    assert_eq!(states(&default), states(&other), "{default}\n{other}");
    assert!(states(&default).is_some(), "{default}");
    let (code, _, stderr) = out(rc().args(["--variant", "baseline", "--fingerprint-seed", "0xzz"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is not a 64-bit seed"), "{stderr}");
}

/// Each hostile argument: exit 2, a one-line message naming the problem, no panic.
#[test]
fn hostile_arguments_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["--max-seconds", "inf"], "max-seconds"),
        (&["--max-seconds", "1e30"], "max-seconds"),
        (&["--max-seconds", "1e400"], "max-seconds"),
        (&["--max-seconds", "NaN"], "max-seconds"),
        (&["--max-seconds=-1"], "max-seconds"),
        (&["--engine", "shuttle", "--depth", "0"], "depth"),
        (
            &["--engine", "loom", "--preemptions", "1000000"],
            "preemptions",
        ),
        (&["--max-states", "0"], "max-states"),
        (&["--stop-at-first", "--all-violations"], "all-violations"),
        (&["--threads", "0"], "threads"),
        (&["--iterations", "0"], "iterations"),
    ];
    for (args, names) in cases {
        let (code, stdout, stderr) = out(rc().args(["--variant", "lockflag"]).args(*args));
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(names), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{stderr}"
        );
    }
    // A path where a variant name is expected.
    let (code, _, stderr) = out(rc().args(["--variant", "models/baseline.toml"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("not a path"), "{stderr}");
}

#[test]
fn trace_output_is_checked_before_the_search_and_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    // A folder that does not exist: refused before any search (nothing is printed).
    let missing = dir.path().join("no/such/folder/t.json");
    let (code, stdout, stderr) = out(rc()
        .args(["--variant", "wallog", "--trace-out"])
        .arg(&missing));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "the search ran: {stdout}");
    assert!(
        stderr.contains("cannot write") && stderr.contains("no/such/folder"),
        "{stderr}"
    );
    // An existing file is replaced whole, and no temporary file is left beside it.
    let t = dir.path().join("t.json");
    std::fs::write(&t, "old contents").unwrap();
    let (code, _, _) = out(rc().args(["--variant", "dropdb", "--trace-out"]).arg(&t));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&t).unwrap()).unwrap();
    assert_eq!(v["violation"]["property"], "invalid-pages");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["t.json"], "a temporary file was left behind");
}

#[test]
fn shuttle_hint_repeats_every_setting_that_picks_the_schedule() {
    let (code, stdout, _) = out(rc().args([
        "--variant",
        "baseline",
        "--engine",
        "shuttle",
        "--strategy",
        "random",
        "--seed",
        "7",
        "--iterations",
        "5000",
        "--depth",
        "4",
    ]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("counterexample (the first found)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--engine shuttle --strategy random --seed 7 --iterations 5000 --depth 4"),
        "{stdout}"
    );
}

#[test]
fn replay_refuses_an_edited_message_details_or_restore_log() {
    let src = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("traces/dropdb.json"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (from, to, field) in [
        (
            "\"PANIC: WAL contains",
            "\"FATAL: WAL contains",
            "violation.message",
        ),
        (
            "page 1 of relation",
            "page 0 of relation",
            "violation.details",
        ),
        (
            "\"redo 2: HEAP2_VISIBLE",
            "\"redo 2: HEAP2_VISIBLY",
            "restore-log",
        ),
    ] {
        assert!(src.contains(from), "{from}");
        let p = dir.path().join("e.json");
        std::fs::write(&p, src.replacen(from, to, 1)).unwrap();
        let (code, _, stderr) = out(Command::cargo_bin("racecheck")
            .unwrap()
            .arg("replay")
            .arg(&p));
        assert_eq!(code, 2, "{field}: {stderr}");
        assert!(stderr.contains(field), "{field}: {stderr}");
    }
}

/// Start racecheck, send SIGINT after a moment, and return (exit code, stdout).
fn interrupt(args: &[&str]) -> (i32, String) {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("racecheck"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .arg("-q")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -INT failed");
    let o = child.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn ctrl_c_stops_every_engine_with_a_summary() {
    for args in [
        &["--variant", "wallog", "--files", "4", "--pages", "3"][..],
        &[
            "--variant",
            "lockflag",
            "--engine",
            "loom",
            "--preemptions",
            "3",
        ][..],
        &[
            "--variant",
            "lockflag",
            "--engine",
            "shuttle",
            "--strategy",
            "random",
            "--iterations",
            "100000000",
        ][..],
    ] {
        let (code, stdout) = interrupt(args);
        assert_eq!(code, 3, "{args:?}: {stdout}");
        assert!(
            stdout.contains("interrupted (Ctrl-C)") && stdout.contains("verdict: inconclusive"),
            "{args:?}: {stdout}"
        );
    }
}

#[test]
fn every_engine_honours_the_memory_budget() {
    for engine in ["native", "loom", "shuttle"] {
        let (code, stdout, _) = out(rc().args([
            "--variant",
            "lockflag",
            "--max-memory",
            "1M",
            "--engine",
            engine,
        ]));
        assert_eq!(code, 3, "{engine}: {stdout}");
        assert!(
            stdout.contains("--max-memory 1.0 MB reached"),
            "{engine}: {stdout}"
        );
    }
}

#[test]
fn coverage_says_what_a_pass_held_over() {
    // lockflag holds; its coverage shows backups that started before the create record (the
    // race's precondition) all restored, and none walked the old directory during rmtree then.
    let (code, stdout, _) = out(rc().args(["--variant", "lockflag", "--coverage"]));
    assert_eq!(code, 0, "{stdout}");
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("coverage by domain cell"))
        .collect();
    assert!(table.len() > 3, "{stdout}");
    // Columns: start, walk, then the outcomes (restored first); "." where not reached.
    let row = |start: &str, walk: &str| -> Vec<String> {
        let l = table
            .iter()
            .find(|l| l.starts_with(start) && l.contains(walk))
            .unwrap_or_else(|| panic!("no row {start} / {walk}: {stdout}"));
        l.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect()
    };
    let reached = row("before the create record", "walk not during removal");
    assert!(
        reached[2] != ".",
        "restored, before the create record: {reached:?}"
    );
    assert!(reached[3..].iter().all(|c| c == "."), "{reached:?}");
    let unreached = row("before the create record", "walk during removal");
    assert!(unreached[2..].iter().all(|c| c == "."), "{unreached:?}");
    let (_, json, _) = out(rc().args(["--variant", "baseline", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cells = v["cells"].as_array().unwrap();
    assert!(
        cells
            .iter()
            .any(|c| c[0]["outcome"] == "PANIC invalid pages"),
        "{json}"
    );
}

/// `racecheck schedule --variant V --order O --trace-out T`.
fn schedule(variant: &str, order: &str, t: &std::path::Path) -> (i32, String, String) {
    out(Command::cargo_bin("racecheck")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "schedule",
            "--variant",
            variant,
            "--order",
            order,
            "--trace-out",
        ])
        .arg(t))
}

/// `racecheck replay T`.
fn replay(t: &std::path::Path) -> (i32, String, String) {
    out(Command::cargo_bin("racecheck")
        .unwrap()
        .arg("replay")
        .arg(t))
}

#[test]
fn schedule_writes_a_control_that_replays_to_no_violation_and_refuses_unknown_processes() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("c.json");
    let (code, stdout, stderr) = schedule("baseline", "movedb,backend,walsender", &t);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("a control"), "{stdout}");
    let (code, stdout, _) = replay(&t);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("nothing is violated"), "{stdout}");
    // movedb-error leaks its target directory in any order: the schedule records the violation
    // (exit 1), and replay reproduces it (exit 1).
    let (code, stdout, _) = schedule("movedb-error", "movedb,backend,walsender", &t);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("VIOLATED: no-leaked-directories"),
        "{stdout}"
    );
    let (code, stdout, _) = replay(&t);
    assert_eq!(code, 1, "{stdout}");
    let (code, _, stderr) = schedule("baseline", "movedb,nosuch", &t);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("nosuch") && stderr.contains("walsender"),
        "{stderr}"
    );
}

#[test]
fn schedule_like_follows_another_traces_order_and_records_the_skipped_steps() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("l.json");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // dropdb's counterexample under fix (a)'s lock: the walsender's start waits for the drop.
    let (code, stdout, stderr) = out(Command::cargo_bin("racecheck")
        .unwrap()
        .args(["schedule", "--like"])
        .arg(root.join("traces/dropdb.json"))
        .args(["--variant", "dropdb-lock", "--trace-out"])
        .arg(&t));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&t).unwrap()).unwrap();
    let s = v["engine"]["schedule"].as_str().unwrap();
    assert!(
        s.starts_with("like ") && s.contains("walsender (blocked)") && s.contains("serially"),
        "{s}"
    );
    assert_eq!(v["model"]["name"], "dropdb-lock");
    // The same order under its own model is followed whole, and violated again.
    let (code, _, stderr) = out(Command::cargo_bin("racecheck")
        .unwrap()
        .args(["schedule", "--like"])
        .arg(root.join("traces/dropdb.json"))
        .arg("--trace-out")
        .arg(&t));
    assert_eq!(code, 1, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&t).unwrap()).unwrap();
    assert!(
        v["engine"]["schedule"]
            .as_str()
            .unwrap()
            .ends_with("24 of its 24 steps followed"),
        "{v}"
    );
}

#[test]
fn sweep_refuses_what_a_stock_server_cannot_run_and_names_a_missing_variant() {
    // flag-only sets [movedb]: every schedule is refused before any server starts (exit 0:
    // nothing differed), and the row says why.
    let (code, stdout, stderr) = out(Command::cargo_bin("racecheck").unwrap().args([
        "sweep",
        "--variant",
        "flag-only",
        "--pg",
        "15",
        "--source",
        "primary",
        "--schedules",
        "2",
        "--json",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["format"], "racecheck-sweep/1");
    let row = &v["rows"][0];
    assert_eq!(
        (row["schedules"].as_u64(), row["refusals"].as_u64()),
        (Some(2), Some(2)),
        "{v}"
    );
    assert!(
        row["refused_because"]
            .as_str()
            .unwrap()
            .contains("[movedb]"),
        "{v}"
    );
    let (code, _, stderr) =
        out(Command::cargo_bin("racecheck")
            .unwrap()
            .args(["sweep", "--variant", "nosuch"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nosuch"), "{stderr}");
}
