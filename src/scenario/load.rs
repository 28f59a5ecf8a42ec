//! Model files read and checked: a [`Model`] parsed from TOML, its knobs validated (ranges,
//! cross-references, and its command's own checks through the command's descriptor), errors
//! naming the file, the line and the knob; a models directory loaded in file-name order.

use super::command;
use super::model::{
    BackendAction, BackupMethod, BackupSource, ExpectedVerdict, KnobError, MAX_FILES, MAX_PAGES,
    Model, ModelError,
};
use super::props::{Kind, Prop};
use std::path::{Path, PathBuf};

impl Model {
    /// Check ranges and cross-references; the error names the knob.
    pub fn validate(&self) -> Result<(), KnobError> {
        let err = |knob: &str, message: String| {
            Err(KnobError {
                knob: knob.into(),
                message,
            })
        };
        if self.files == 0 || self.files > MAX_FILES {
            return err(
                "files",
                format!("must be 1..={MAX_FILES}, got {}", self.files),
            );
        }
        if self.pages == 0 || self.pages > MAX_PAGES {
            return err(
                "pages",
                format!("must be 1..={MAX_PAGES}, got {}", self.pages),
            );
        }
        // A section for another command would be silently ignored: refuse it; then the
        // command's own checks.
        command::other_sections(self)?;
        command::def(self.command).validate(self)?;
        if self.backup.source == BackupSource::Standby
            && self.backup.method == BackupMethod::Exclusive
        {
            return err(
                "method",
                "an exclusive backup (pg_start_backup) cannot be run on a standby; use \"streamed\" with source = \"standby\"".into(),
            );
        }
        for a in &self.backend.actions {
            let (BackendAction::Visible { rel, blk }
            | BackendAction::Update { rel, blk }
            | BackendAction::Flush { rel, blk }) = *a;
            if rel >= self.files || blk >= self.pages {
                return err(
                    "actions",
                    format!(
                        "\"{a}\" is outside the database: files = {}, pages = {}",
                        self.files, self.pages
                    ),
                );
            }
        }
        for p in &self.expect.violated {
            if p.kind() != Kind::Always {
                return err(
                    "violated",
                    format!(
                        "{p} is a sometimes-property; `violated` lists always-properties: {}",
                        Prop::names(Kind::Always).join(", ")
                    ),
                );
            }
        }
        if (self.expect.verdict == ExpectedVerdict::Holds) != self.expect.violated.is_empty() {
            return err(
                "verdict",
                "verdict = \"violated\" needs a non-empty `violated` list, and \"holds\" an empty one"
                    .into(),
            );
        }
        let mut seen = Vec::new();
        for &p in self.unreachable.iter().chain(&self.standby.unreachable) {
            if p.kind() != Kind::Sometimes {
                return err(
                    "unreachable",
                    format!(
                        "{p} is an always-property; `unreachable` lists sometimes-properties: {}",
                        Prop::names(Kind::Sometimes).join(", ")
                    ),
                );
            }
            if !command::applies(p, self) {
                return err(
                    "unreachable",
                    format!(
                        "{p} does not apply to command = \"{}\" (it can never be reached, so claiming it says nothing)",
                        self.command.as_str()
                    ),
                );
            }
            if seen.contains(&p) {
                return err("unreachable", format!("{p} is listed twice"));
            }
            seen.push(p);
        }
        Ok(())
    }

    /// Parse and validate a model from TOML text; `path` is used in messages only.
    pub fn from_toml(text: &str, path: &Path) -> Result<Model, ModelError> {
        let model: Model = toml::from_str(text).map_err(|e| ModelError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        model.validate().map_err(|e| ModelError::Invalid {
            path: path.to_path_buf(),
            line: line_of(text, &e.knob),
            knob: e.knob,
            message: e.message,
        })?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if !stem.is_empty() && stem != model.name {
            return Err(ModelError::Invalid {
                path: path.to_path_buf(),
                line: line_of(text, "name"),
                knob: "name".into(),
                message: format!(
                    "is {:?} but the file is {stem}.toml; they must agree",
                    model.name
                ),
            });
        }
        Ok(model)
    }

    /// Load a model file.
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Model::from_toml(&text, path)
    }
}

/// 1-based line where `knob = ...` is written, or 0.
fn line_of(text: &str, knob: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            if l.trim_end() == format!("[{knob}]") {
                return true;
            }
            l.strip_prefix(knob)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(0, |i| i + 1)
}

/// Every `*.toml` in `dir`, sorted by file name, loaded.
pub fn load_dir(dir: &Path) -> Result<Vec<Model>, ModelError> {
    let mut paths = model_paths(dir)?;
    paths.sort();
    paths.iter().map(|p| Model::load(p)).collect()
}

/// The `*.toml` files of a models directory, sorted.
pub fn model_paths(dir: &Path) -> Result<Vec<PathBuf>, ModelError> {
    let rd = std::fs::read_dir(dir).map_err(|source| ModelError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "name = \"x\"\ndescription = \"d\"\n[expect]\nverdict = \"holds\"\n";

    #[test]
    fn unknown_knob_is_named_with_its_line() {
        let text = format!("{OK}\n[movedb]\nflavour = 3\n");
        let e = Model::from_toml(&text, Path::new("models/x.toml")).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("models/x.toml"), "{s}");
        assert!(s.contains("flavour"), "{s}");
        assert!(s.contains("line 7"), "{s}");
    }

    #[test]
    fn ill_typed_knob_is_refused() {
        let text = OK.replace(
            "description = \"d\"",
            "description = \"d\"\nfiles = \"two\"",
        );
        let s = Model::from_toml(&text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(s.contains("files") && s.contains("line 3"), "{s}");
    }

    #[test]
    fn out_of_range_knob_names_line() {
        let text = OK.replace("description = \"d\"", "description = \"d\"\npages = 0");
        let s = Model::from_toml(&text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(s.starts_with("x.toml:3: knob `pages`"), "{s}");
    }

    #[test]
    fn claims_are_checked() {
        let with = |claims: &str| {
            let text = OK.replace(
                "description = \"d\"",
                &format!("description = \"d\"\nunreachable = [{claims}]"),
            );
            Model::from_toml(&text, Path::new("x.toml"))
                .err()
                .map(|e| e.to_string())
        };
        assert_eq!(with("\"race-window\""), None);
        let dup = with("\"race-window\", \"race-window\"").unwrap();
        assert!(dup.contains("listed twice"), "{dup}");
        let always = with("\"invalid-pages\"").unwrap();
        assert!(always.contains("always-property"), "{always}");
        let unknown = with("\"race-windwo\"").unwrap();
        assert!(
            unknown.contains("race-windwo") && unknown.contains("line 3"),
            "{unknown}"
        );
        let scope = with("\"drop-window\"").unwrap();
        assert!(scope.contains("does not apply"), "{scope}");
    }

    #[test]
    fn backend_action_parses_and_rejects() {
        assert_eq!(
            BackendAction::try_from("update 1 0".to_string()),
            Ok(BackendAction::Update { rel: 1, blk: 0 })
        );
        assert!(BackendAction::try_from("vacuum 1".to_string()).is_err());
    }
}
