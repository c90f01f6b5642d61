//! 500 seeded random mutations of the valid fixtures go through the loader:
//! it must never panic or hang, and every rejection must name where.

use std::path::PathBuf;

use supervisor_core::config::{Config, ErrorKind, LoadOptions};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const JUNK: &[&str] = &[
    "%",
    "%(",
    "%(nosuch)s",
    "[",
    "]",
    "=",
    ":",
    ";",
    " #",
    "\t",
    "\n",
    "-1",
    "99999999999999999999",
    "é",
    "\0",
    "[program:",
    "numprocs=3\n",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for _ in 0..1 + rng.below(3) {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = rng.below(lines.len());
        match rng.below(6) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let copy = lines[i].clone();
                lines.insert(rng.below(lines.len() + 1), copy);
            }
            2 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            3 => {
                let line = &mut lines[i];
                let at =
                    line.char_indices().map(|(k, _)| k).nth(rng.below(line.chars().count() + 1)).unwrap_or(line.len());
                line.insert_str(at, JUNK[rng.below(JUNK.len())]);
            }
            4 => {
                let line = &mut lines[i];
                if let Some((k, _)) = line.char_indices().nth(rng.below(line.chars().count().max(1))) {
                    line.remove(k);
                }
            }
            _ => {
                if let Some((key, _)) = lines[i].split_once('=') {
                    lines[i] = format!("{key}={}", JUNK[rng.below(JUNK.len())]);
                }
            }
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn random_mutations_never_panic_and_rejections_say_where() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let mut fixtures: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .collect();
    fixtures.sort();
    let options = LoadOptions { temp_dir: PathBuf::from("/tmp"), ..LoadOptions::default() };
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut accepted, mut rejected) = (0, 0);
    for round in 0..500 {
        let (path, text) = &fixtures[rng.below(fixtures.len())];
        let mutated = mutate(text, &mut rng);
        match Config::from_str_with(&mutated, path, &options) {
            Ok(_) => accepted += 1,
            Err(errors) => {
                rejected += 1;
                for e in errors.errors() {
                    assert!(e.location.file.is_some(), "round {round}: no file in {e}\n{mutated}");
                    let located = e.location.line.is_some()
                        || matches!(
                            e.kind,
                            ErrorKind::MissingSection(_) | ErrorKind::Unreadable { .. } | ErrorKind::NotFound(_)
                        );
                    assert!(located, "round {round}: no line in {e}\n{mutated}");
                }
            }
        }
    }
    assert_eq!(accepted + rejected, 500);
    assert!(rejected > 100, "the mutations must exercise the error paths ({rejected} rejected)");
}
