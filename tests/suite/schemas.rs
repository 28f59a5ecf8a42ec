//! Checked wire formats: the JSON Schemas in `schema/` are what `racecheck::wire::schemas()`
//! generates from the Rust types now (`RACECHECK_BLESS=1` writes them), and every stored trace
//! and the `--json` output of every command validate against their schema (the `jsonschema`
//! crate; `.ci/run` also checks the traces with Python's jsonschema). `reproduce --json` is
//! validated by every real-server test (`tests/suite/reproduce.rs`).

use crate::common::root;
use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The schema of a format, compiled, from `schema/`.
pub fn validator(format_file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schema").join(format_file))
        .unwrap_or_else(|e| panic!("schema/{format_file}: {e} (RACECHECK_BLESS=1 cargo test --release --test suite schemas::)"));
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema/{format_file}: {e}"))
}

/// `doc` validates against `schema/FILE`; the failure names the document and each error.
pub fn assert_valid(format_file: &str, doc: &serde_json::Value, what: &str) {
    let v = validator(format_file);
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate against schema/{format_file}:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_schema_files_are_what_the_types_make_now() {
    let bless = std::env::var_os("RACECHECK_BLESS").is_some();
    for (file, schema) in racecheck::wire::schemas() {
        let path = root().join("schema").join(&file);
        let fresh = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if bless {
            std::fs::create_dir_all(root().join("schema")).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        }
        let kept = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            kept, fresh,
            "schema/{file} is stale: RACECHECK_BLESS=1 cargo test --release --test suite schemas::"
        );
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[test]
fn every_stored_trace_validates_against_the_trace_schema() {
    let mut files = Vec::new();
    json_files(&root().join("traces"), &mut files);
    assert!(files.len() > 100, "only {} traces found", files.len());
    let v = validator("racecheck-trace-2.json");
    for f in files {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {}", f.display(), errors.join("\n"));
    }
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("racecheck")
        .unwrap()
        .current_dir(root())
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "racecheck {}: not JSON ({e}): {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn every_commands_json_output_validates_against_its_schema() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["--variant", "dropdb", "--json", "-q"],
            "racecheck-check-1.json",
        ),
        (&["--json", "-q"], "racecheck-check-all-1.json"),
        (&["matrix", "--json", "-q"], "racecheck-matrix-1.json"),
        (
            &["replay", "traces/dropdb.json", "--json"],
            "racecheck-replay-1.json",
        ),
        (
            &[
                "sweep",
                "--variant",
                "flag-only",
                "--pg",
                "15",
                "--source",
                "primary",
                "--schedules",
                "1",
                "--json",
            ],
            "racecheck-sweep-1.json",
        ),
    ];
    for (args, schema) in cases {
        let doc = json_of(args);
        let format = schema.trim_end_matches(".json");
        let (name, version) = format.rsplit_once('-').unwrap();
        assert_eq!(
            doc["format"],
            format!("{name}/{version}"),
            "racecheck {}",
            args.join(" ")
        );
        assert_valid(schema, &doc, &format!("racecheck {}", args.join(" ")));
    }
    // A control schedule's replay has no property.
    let doc = json_of(&[
        "replay",
        "traces/control/baseline@pg15-serial.json",
        "--json",
    ]);
    assert!(doc["property"].is_null(), "{doc}");
    assert_valid(
        "racecheck-replay-1.json",
        &doc,
        "replay of a control schedule",
    );
}
