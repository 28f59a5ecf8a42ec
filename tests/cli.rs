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
    let models = racecheck::scenario::model::load_dir(
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
    // Changed: primary 15 (expectation wrong); no expectation: standby 9.4, 15, 18.
    assert!(
        stderr.contains("lockflag (source primary, pg 15)")
            && stderr.contains("lockflag (source standby, pg 18)")
            && !stderr.contains("lockflag (source primary, pg 9.2)"),
        "{stderr}"
    );
    assert!(stderr.contains("4 row(s) differ"), "{stderr}");
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
        stdout.contains("--max-memory 1.0 MB reached") && stdout.contains("incomplete:"),
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
