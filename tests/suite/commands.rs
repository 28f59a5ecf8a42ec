//! Every PostgreSQL command racecheck models comes whole: its descriptor
//! (`src/scenario/command/`), model files, verdict tests, matrix expectations, its rows in the
//! coverage grid, and `racecheck reproduce` support (docs/adding-a-scenario.md). A command added
//! without one of them fails here, naming what is missing.

use crate::common::{models, root};
use racecheck::scenario::command::{self, Milestone};
use racecheck::scenario::model::Command;

/// Commands `racecheck reproduce` cannot run yet (each refused with a message naming it); a
/// command that gains support must leave this list.
const WITHOUT_REPRODUCE: &[&str] = &[];

/// Compile-time completeness: a new [`Command`] variant stops the build here, where
/// [`Command::ALL`] must be extended too.
fn listed(c: Command) -> bool {
    match c {
        Command::Movedb
        | Command::Createdb
        | Command::Dropdb
        | Command::SetTablespace
        | Command::DropTablespace => Command::ALL.contains(&c),
    }
}

#[test]
fn every_command_has_its_descriptor_models_tests_expectations_and_reproduce_support() {
    let models = models();
    let verdicts = std::fs::read_to_string(root().join("tests/suite/verdicts.rs")).unwrap();
    let expectations =
        std::fs::read_to_string(root().join("models/matrix/expectations.toml")).unwrap();
    for (i, c) in Command::ALL.into_iter().enumerate() {
        assert!(listed(c));
        assert_eq!(c as usize, i, "Command::ALL is in declaration order");
        let d = command::def(c);
        let name = d.name();
        assert_eq!(name, c.as_str(), "descriptor and model-file spelling agree");
        let parsed: Command = serde_json::from_value(serde_json::json!(name)).unwrap();
        assert_eq!(parsed, c, "command = \"{name}\" parses to its command");
        let mine: Vec<_> = models.iter().filter(|m| m.command == c).collect();
        assert!(
            !mine.is_empty(),
            "{name}: no model file in models/ has command = \"{name}\""
        );
        for m in &mine {
            assert!(
                expectations.contains(&format!("[{}.primary]", m.name)),
                "{name}: models/matrix/expectations.toml has no [{}.primary] table",
                m.name
            );
            let test = format!("fn verdict_{}()", m.name.replace('-', "_"));
            assert!(
                verdicts.contains(&test),
                "{name}: tests/suite/verdicts.rs has no {test} for models/{}.toml",
                m.name
            );
        }
        assert!(
            !d.milestones().is_empty()
                && (d.milestones().contains(&Milestone::Commit)
                    || d.milestones().contains(&Milestone::CommitDrop)),
            "{name}: its WAL milestones (coverage rows) include its commit"
        );
        for m in &mine {
            assert!(
                {
                    let words: Vec<&str> = d.sql_name().split(' ').collect();
                    let st = d.statement(m);
                    st.contains(words[0]) && st.contains(words[words.len() - 1])
                },
                "{name}: reproduce's statement {:?} runs its SQL command {:?}",
                d.statement(m),
                d.sql_name()
            );
        }
        let stock = mine.iter().find(|m| !d.section_set(m)).map(|m| d.stock(m));
        match (WITHOUT_REPRODUCE.contains(&name), stock) {
            (_, None) => {
                panic!("{name}: no model of it with the stock knobs (a released server's)")
            }
            (false, Some(r)) => {
                assert_eq!(r, Ok(()), "{name}: reproduce cannot run its stock model")
            }
            (true, Some(r)) => assert!(
                r.as_ref()
                    .is_err_and(|e| e.contains("not supported by reproduce yet")),
                "{name}: reproduce runs it now ({r:?}): take it off WITHOUT_REPRODUCE"
            ),
        }
    }
}

#[test]
fn another_commands_knob_section_is_refused_naming_it() {
    let text = "name = \"x\"\ndescription = \"d\"\ncommand = \"dropdb\"\n[movedb]\ncrash = true\n[expect]\nverdict = \"holds\"\n";
    let e = racecheck::scenario::Model::from_toml(text, std::path::Path::new("x.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("x.toml:4: knob `movedb`") && e.contains("command = \"dropdb\""),
        "{e}"
    );
}
