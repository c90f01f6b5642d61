//! The crate's layers, checked from its source: each top-level module
//! imports only the layers below it ([`LAYERS`]), and no module imports
//! itself back through others.
//!
//! Imports are read as paths: every `crate::a::b` and `super::a` outside a
//! comment, resolved to the module file it names. A path that names a
//! module's own ancestor (a parent's re-export, a test's `use super::*`)
//! is not an import between modules. An inline `mod x {` (the tests) is
//! taken to run to the end of its file, as it does here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules from the ground up, each with what it may import
/// (besides itself); only modules earlier in the list.
const LAYERS: &[(&str, &[&str])] = &[
    // The ground floor: vocabulary every layer shares.
    ("pytext", &[]),
    ("event_types", &[]),
    ("signals", &["pytext"]),
    ("exit", &["signals"]),
    ("config", &["pytext", "event_types", "signals", "exit"]),
    // The engine's pure parts and the OS glue; platform uses no engine type.
    ("process", &["pytext", "event_types", "signals", "exit", "config"]),
    ("logging", &["pytext", "event_types", "signals", "exit", "config"]),
    ("platform", &["pytext", "event_types", "signals", "exit", "config"]),
    ("events", &["pytext", "event_types", "signals", "exit", "config", "process"]),
    // The running instance, and what a daemon sets up.
    ("supervisor", &["pytext", "event_types", "signals", "exit", "config", "process", "logging", "platform", "events"]),
    ("daemon", &["pytext", "event_types", "signals", "exit", "config", "platform"]),
];

type Module = Vec<String>;

/// Every module file under `src/` (by module path) and its text.
fn sources() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&src).expect("under src").with_extension("");
            let mut module: Module = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            if module.last().is_some_and(|l| l == "mod") || module == ["lib"] {
                module.pop();
            }
            (module, std::fs::read_to_string(&path).expect("read source"))
        })
        .collect()
}

/// The paths (as segments) that start with `crate::` or `super::` in one
/// line of code; `a::{b, c}` gives `a::b` and `a::c`.
fn paths(code: &str) -> Vec<Vec<&str>> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::").chain(code.match_indices("super::")) {
        if code[..at].ends_with(ident) || code[..at].ends_with("::") {
            continue;
        }
        let mut segments = Vec::new();
        let mut rest = &code[at..];
        loop {
            let end = rest.find(|c| !ident(c)).unwrap_or(rest.len());
            segments.push(&rest[..end]);
            rest = &rest[end..];
            match rest.strip_prefix("::") {
                Some(r) if r.starts_with('{') => {
                    let group = &r[1..r.find('}').unwrap_or(r.len())];
                    for item in group.split(',') {
                        let first = item.trim().split(|c| !ident(c)).next().unwrap_or("");
                        if !first.is_empty() {
                            found.push(segments.iter().copied().chain([first]).collect());
                        }
                    }
                    break;
                }
                Some(r) if r.starts_with(ident) => rest = r,
                _ => {
                    found.push(segments);
                    break;
                }
            }
        }
    }
    found
}

/// The module a path names from module `here`: the longest module file its
/// segments reach.
fn resolve(here: &[String], path: &[&str], modules: &BTreeSet<&Module>) -> Module {
    let (mut module, mut rest) = match path {
        ["crate", rest @ ..] => (Vec::new(), rest),
        _ => (here.to_vec(), path),
    };
    while rest.first() == Some(&"super") {
        module.pop();
        rest = &rest[1..];
    }
    for segment in rest {
        module.push((*segment).to_owned());
        if !modules.contains(&module) {
            module.pop();
            break;
        }
    }
    module
}

/// Which modules each module file imports (ancestors left out).
fn imports() -> BTreeMap<Module, BTreeSet<Module>> {
    let sources = sources();
    let modules: BTreeSet<&Module> = sources.keys().collect();
    let mut graph = BTreeMap::new();
    for (module, text) in &sources {
        let mut here = module.clone();
        let mut to = BTreeSet::new();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let words: Vec<&str> = code.split_whitespace().collect();
            if let [.., "mod", name, "{"] = words[..] {
                here.push(name.to_owned());
            }
            for path in paths(code) {
                let target = resolve(&here, &path, &modules);
                if !module.starts_with(&target) {
                    to.insert(target);
                }
            }
        }
        graph.insert(module.clone(), to);
    }
    graph
}

#[test]
fn each_module_imports_only_layers_below_it() {
    for (i, (name, allowed)) in LAYERS.iter().enumerate() {
        for a in *allowed {
            assert!(LAYERS[..i].iter().any(|(below, _)| below == a), "{name} may import {a}, which is not below it");
        }
    }
    let mut wrong = Vec::new();
    for (module, to) in imports() {
        let Some(top) = module.first().filter(|top| *top != "layers") else { continue };
        let Some((_, allowed)) = LAYERS.iter().find(|(name, _)| name == top) else {
            panic!("the module {top} has no place in LAYERS");
        };
        for target in to {
            let Some(theirs) = target.first() else { continue };
            if theirs != top && !allowed.contains(&theirs.as_str()) {
                wrong.push(format!("{} imports {}", module.join("::"), target.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point up:\n{}", wrong.join("\n"));
}

#[test]
fn no_module_imports_itself_back() {
    fn visit(
        m: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        done: &mut BTreeSet<Module>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(at) = stack.iter().position(|s| s == m) {
            return Some(stack[at..].iter().chain([m]).cloned().collect());
        }
        if done.contains(m) {
            return None;
        }
        stack.push(m.clone());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, done, stack) {
                return Some(circle);
            }
        }
        stack.pop();
        done.insert(m.clone());
        None
    }
    let graph = imports();
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(circle) = visit(m, &graph, &mut done, &mut Vec::new()) {
            let names: Vec<String> = circle.iter().map(|m| m.join("::")).collect();
            panic!("an import circle: {}", names.join(" -> "));
        }
    }
}

#[test]
fn paths_are_read_as_imports() {
    assert_eq!(
        paths("use crate::config::{ProcessConfig, repr};"),
        [vec!["crate", "config", "ProcessConfig"], vec!["crate", "config", "repr"]]
    );
    assert_eq!(paths("x(super::reap::exit_of(s)) + a::crate::b"), [vec!["super", "reap", "exit_of"]]);
    let graph = imports();
    let pidfd = graph[&vec!["platform".to_owned(), "pidfd".to_owned()]].clone();
    assert!(pidfd.contains(&vec!["exit".to_owned()]), "{pidfd:?}");
    assert!(pidfd.contains(&vec!["platform".to_owned(), "wait_status".to_owned()]), "{pidfd:?}");
}
