//! Trace files: written atomically, read and parsed (the schema checked first, then the model's
//! knobs).

use super::format::{SCHEMA, Trace, TraceError};
use std::path::Path;

/// The folder a file is written in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Whether a file can be written at `path`: a temporary file can be created (and is removed) in
/// its folder. Called before a search, so that a bad `--trace-out` costs nothing.
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    tempfile::NamedTempFile::new_in(folder_of(path))
        .map(drop)
        .map_err(without_temp_path)
}

/// The OS's reason alone: tempfile's errors also name the random temporary file, which says
/// nothing to the user (the caller names the path they gave).
fn without_temp_path(e: std::io::Error) -> std::io::Error {
    // tempfile words its errors "<OS reason> at path <temporary file>" and keeps the OS error
    // out of reach (its `source` skips it), so keep the reason only.
    let text = e.to_string();
    let reason = text.split(" at path ").next().unwrap_or(&text).to_string();
    std::io::Error::new(e.kind(), reason)
}

/// Write a trace as pretty JSON, atomically: into a temporary file in the same folder, synced,
/// then renamed over `path`. On any error nothing is left at `path` that was not there before.
pub fn write(trace: &Trace, path: &Path) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut s = serde_json::to_string_pretty(trace).map_err(std::io::Error::other)?;
    s.push('\n');
    let mut tmp = tempfile::NamedTempFile::new_in(folder_of(path)).map_err(without_temp_path)?;
    tmp.write_all(s.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Parse a trace document.
pub fn parse(text: &str, path: &str) -> Result<Trace, TraceError> {
    // Check the schema first so that an old trace gets the clearest message.
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        match v.get("schema").and_then(|s| s.as_str()) {
            Some(s) if s != SCHEMA => {
                return Err(TraceError::Schema {
                    path: path.into(),
                    found: s.into(),
                });
            }
            _ => {}
        }
    }
    let t: Trace = serde_json::from_str(text).map_err(|e| TraceError::Json {
        path: path.into(),
        message: e.to_string(),
    })?;
    if let Err(e) = t.model.validate() {
        return Err(TraceError::Model {
            path: path.into(),
            knob: e.knob,
            message: e.message,
        });
    }
    Ok(t)
}

/// Read a trace file.
pub fn read(path: &Path) -> Result<Trace, TraceError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TraceError::Io {
        path: p.clone(),
        source,
    })?;
    parse(&text, &p)
}
