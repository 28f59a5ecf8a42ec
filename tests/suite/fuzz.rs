//! Property-based fuzzing of the two readers of user input: model files (`Model::from_toml`) and
//! traces (`trace::parse`, then `trace::replay`). Whatever the bytes, they must answer Ok or an
//! error naming what is wrong: never panic. The default suite runs a bounded number of cases;
//! `PROPTEST_CASES=100000 cargo test --release --test suite fuzz::` runs a longer campaign
//! (docs/testing.md).

use proptest::prelude::*;
use racecheck::scenario::Model;
use racecheck::trace;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model_texts() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    v.sort();
    v
}

fn trace_text() -> String {
    std::fs::read_to_string(root().join("traces/dropdb.json")).unwrap()
}

/// An edit of a text: delete, duplicate or replace a span, or insert a fragment that is likely
/// to matter to the reader (quotes, brackets, numbers, known keys).
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Duplicate(usize, usize),
    Insert(usize, String),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut t: Vec<char> = text.chars().collect();
    for e in edits {
        let n = t.len().max(1);
        match e {
            Edit::Delete(a, len) => {
                let a = a % n;
                let b = (a + len % 40).min(t.len());
                t.drain(a.min(t.len())..b);
            }
            Edit::Duplicate(a, len) => {
                let a = (a % n).min(t.len());
                let b = (a + len % 40).min(t.len());
                let piece: Vec<char> = t[a..b].to_vec();
                t.splice(a..a, piece);
            }
            Edit::Insert(a, s) => {
                let a = (a % n).min(t.len());
                t.splice(a..a, s.chars());
            }
        }
    }
    t.into_iter().collect()
}

fn edit() -> impl Strategy<Value = Edit> {
    let fragment = prop_oneof![
        Just("\"".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\n".to_string()),
        Just(" = ".to_string()),
        Just("-1".to_string()),
        Just("255".to_string()),
        Just("99999999999999999999".to_string()),
        Just("1e400".to_string()),
        Just("\"invalid-pages\"".to_string()),
        Just("\"drop-window\"".to_string()),
        Just("files = 0\n".to_string()),
        Just("pages = 7\n".to_string()),
        Just("[dropdb]\n".to_string()),
        Just("\"proc\": \"startup\"".to_string()),
        Just("\"index\": 4294967296".to_string()),
        "[ -~]{0,12}",
    ];
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Edit::Delete(a, l)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Edit::Duplicate(a, l)),
        (any::<usize>(), fragment).prop_map(|(a, s)| Edit::Insert(a, s)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn model_reader_never_panics(
        which in any::<usize>(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let texts = model_texts();
        let text = apply(&texts[which % texts.len()], &edits);
        // Ok, or an error that names the file.
        if let Err(e) = Model::from_toml(&text, Path::new("models/fuzzed.toml")) {
            prop_assert!(e.to_string().contains("fuzzed.toml"), "{e}");
        }
    }

    #[test]
    fn arbitrary_text_is_not_a_model(text in "[ -~\n]{0,200}") {
        let _ = Model::from_toml(&text, Path::new("x.toml"));
    }

    #[test]
    fn trace_reader_and_replay_never_panic(
        edits in proptest::collection::vec(edit(), 1..4),
    ) {
        let text = apply(&trace_text(), &edits);
        match trace::parse(&text, "fuzzed.json") {
            Err(e) => prop_assert!(e.to_string().contains("fuzzed.json"), "{e}"),
            Ok(t) => {
                // A parsed trace either replays to its violation or is refused with a reason.
                if let Err(e) = trace::replay(&t, "fuzzed.json") {
                    prop_assert!(e.to_string().contains("fuzzed.json"), "{e}");
                }
            }
        }
    }
}
