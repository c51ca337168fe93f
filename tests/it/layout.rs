//! The module graph (DESIGN §6): imports flow one way, face → core → parts,
//! and no two modules import each other, directly or around a loop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src/` with its layer: 0 face, 1 core, 2 parts.
const LAYERS: [(&str, u8); 28] = [
    ("cli", 0),
    ("repl", 0),
    ("serve", 0),
    ("session", 1),
    ("sql", 1),
    ("output", 1),
    ("help", 1),
    ("validate", 1),
    ("source", 1),
    ("lake", 2),
    ("functions", 2),
    ("reports", 2),
    ("batch", 2),
    ("generate", 2),
    ("store", 2),
    ("joins", 2),
    ("dates", 2),
    ("zone", 2),
    ("settings", 2),
    ("calendar", 2),
    ("staffing", 2),
    ("targets", 2),
    ("feedback", 2),
    ("html", 2),
    ("cluster", 2),
    ("main", 0),
    ("lib", 0),
    ("build", 0),
];

/// `module -> modules it names as crate::X`, from the code (comments skipped).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("ls src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(&src).expect("under src");
            let first = relative.components().next().expect("a component");
            let module = first
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string();
            let text = std::fs::read_to_string(&path).expect("read");
            let names = graph.entry(module.clone()).or_default();
            for line in text.lines() {
                let code = line.split("//").next().unwrap_or("");
                for (i, _) in code.match_indices("crate::") {
                    let rest = &code[i + "crate::".len()..];
                    // `crate::{a::X, b}` names several modules.
                    let paths: Vec<&str> = match rest.strip_prefix('{') {
                        Some(group) => group.split('}').next().unwrap_or("").split(',').collect(),
                        None => vec![rest],
                    };
                    for path in paths {
                        let name: String = path
                            .trim()
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        // A lower-case first segment is a module; `crate::Kpiql`
                        // is a re-export at the root, not an import edge.
                        if name.starts_with(|c: char| c.is_ascii_lowercase()) && name != module {
                            names.insert(name);
                        }
                    }
                }
            }
        }
    }
    graph
}

#[test]
fn imports_flow_one_way_without_cycles() {
    let graph = imports();
    let layer = |m: &str| {
        LAYERS
            .iter()
            .find(|(name, _)| *name == m)
            .map(|(_, l)| *l)
            .unwrap_or_else(|| panic!("module {m} has no layer in this test (DESIGN §6)"))
    };
    for (module, names) in &graph {
        for name in names {
            assert!(
                layer(name) >= layer(module),
                "{module} (layer {}) imports {name} (layer {}): imports flow face -> core -> parts",
                layer(module),
                layer(name)
            );
        }
    }
    // No loop: repeatedly remove modules that import nothing left.
    let mut left = graph.clone();
    while !left.is_empty() {
        let leaves: Vec<String> = left
            .iter()
            .filter(|(_, names)| names.iter().all(|n| !left.contains_key(n)))
            .map(|(m, _)| m.clone())
            .collect();
        assert!(
            !leaves.is_empty(),
            "an import cycle among {:?}",
            left.keys()
        );
        for leaf in leaves {
            left.remove(&leaf);
        }
    }
}

// guards: `functions/common.rs` used `kernels/count.rs`, which used
// `common::keep_where` back (issue 30).
/// Inside `functions/`, the kernels are the lowest part: the functions and
/// `common.rs` use them, and no file under `kernels/` names a module of
/// `functions/` outside `kernels/`, by `crate::functions::` or by `super::`
/// out of the folder.
#[test]
fn function_kernels_use_nothing_of_the_functions_above_them() {
    let kernels = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/functions/kernels");
    let mut files = 0;
    for entry in std::fs::read_dir(&kernels).expect("ls kernels") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(&path).expect("read");
        // `super::` in mod.rs is `functions`; in a kernel's file it is
        // `kernels`, so `super::super::` leaves the folder.
        let upward = if name == "mod.rs" {
            "super::"
        } else {
            "super::super::"
        };
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let outside = code
                .match_indices("crate::functions::")
                .any(|(i, m)| !code[i + m.len()..].starts_with("kernels"));
            assert!(
                !outside && !code.contains(upward),
                "src/functions/kernels/{name}:{}: a kernel uses the functions above it: {line}",
                n + 1
            );
        }
        files += 1;
    }
    assert!(files >= 3, "mod.rs, count.rs and ratio.rs at least");
}
