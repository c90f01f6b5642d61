//! No two of the crate's top-level modules import each other, however
//! indirectly: checked from the source, reading every `crate::x` outside a
//! comment as an import of `x` (within a module, paths are `super::`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Which top-level modules each top-level module names.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    fn read(path: &Path, text: &mut String) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).expect("read dir") {
                read(&entry.expect("dir entry").path(), text);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            for line in std::fs::read_to_string(path).expect("read source").lines() {
                text.push_str(line.split("//").next().unwrap_or(""));
                text.push('\n');
            }
        }
    }
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&src).expect("read src") {
        let path = entry.expect("dir entry").path();
        let name = path.file_stem().expect("a name").to_string_lossy().into_owned();
        if name == "lib" {
            continue;
        }
        let mut text = String::new();
        read(&path, &mut text);
        let to: &mut BTreeSet<String> = graph.entry(name.clone()).or_default();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let target = &rest[..rest.find(|c| !ident(c)).unwrap_or(rest.len())];
            if !text[..at].ends_with(ident) && !target.is_empty() && target != name {
                to.insert(target.to_owned());
            }
        }
    }
    graph
}

#[test]
fn no_module_imports_itself_back() {
    let graph = imports();
    assert!(graph["supervisor_ns"].contains("interface"), "{:?}", graph["supervisor_ns"]);
    // Repeatedly drop the modules that import nothing left, or that nothing
    // left imports; what stays is in a circle.
    let mut left = graph.clone();
    loop {
        let imported: BTreeSet<&String> = left.values().flatten().collect();
        let outside: Vec<String> = left
            .iter()
            .filter(|(m, to)| to.iter().all(|t| !left.contains_key(t)) || !imported.contains(m))
            .map(|(m, _)| m.clone())
            .collect();
        if outside.is_empty() {
            break;
        }
        for m in outside {
            left.remove(&m);
        }
    }
    assert!(left.is_empty(), "modules in import circles: {left:?}");
}
