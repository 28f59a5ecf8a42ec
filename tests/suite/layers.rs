//! The library's layers import only downward (docs/architecture.md): world < scenario <
//! property < trace < explore < report < explain < matrix < reproduce. Every `crate::MODULE` path in a source file
//! is an import edge from the file's top-level module; an edge that goes up, or a cycle, fails
//! here with the file and line that made it.

use petgraph::algo::is_cyclic_directed;
use petgraph::graph::DiGraph;
use std::path::{Path, PathBuf};

/// The library's top-level modules, lowest first.
const LAYERS: [&str; 9] = [
    "world",
    "scenario",
    "property",
    "trace",
    "explore",
    "report",
    "explain",
    "matrix",
    "reproduce",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// (importing module, imported module, file, line) for every `crate::X` in the library.
fn edges() -> Vec<(String, String, String, usize)> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        // The binary (main.rs, cli/) sits above every layer; lib.rs only declares them.
        if module == "main" || module == "cli" || module == "lib" {
            continue;
        }
        assert!(
            LAYERS.contains(&module.as_str()),
            "src/{}: module {module} is not in the layer list of tests/layers.rs and docs/architecture.md",
            rel.display()
        );
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            // Comments (and doc links in them) are not imports.
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                assert!(
                    !rest.starts_with('{'),
                    "src/{}:{}: write `use crate::MODULE::...` per module (this scan reads one module per path)",
                    rel.display(),
                    i + 1
                );
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if LAYERS.contains(&name.as_str()) && name != module {
                    out.push((
                        module.clone(),
                        name,
                        format!("src/{}", rel.display()),
                        i + 1,
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn layers_import_only_downward() {
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m).unwrap();
    let edges = edges();
    assert!(
        edges.len() > 20,
        "only {} import edges found: is the scan broken?",
        edges.len()
    );
    for (from, to, file, line) in &edges {
        assert!(
            rank(to) < rank(from),
            "{file}:{line}: {from} imports {to}, which is above it (layers, lowest first: {})",
            LAYERS.join(" < ")
        );
    }
}

#[test]
fn module_graph_has_no_cycle() {
    let mut g: DiGraph<&str, ()> = DiGraph::new();
    let nodes: Vec<_> = LAYERS.iter().map(|l| g.add_node(*l)).collect();
    let idx = |m: &str| nodes[LAYERS.iter().position(|l| *l == m).unwrap()];
    for (from, to, _, _) in edges() {
        g.update_edge(idx(&from), idx(&to), ());
    }
    assert!(
        !is_cyclic_directed(&g),
        "the module import graph has a cycle"
    );
}

#[test]
fn world_imports_nothing_else_of_ours() {
    for (from, to, file, line) in edges() {
        assert!(from != "world", "{file}:{line}: world imports {to}");
    }
}
