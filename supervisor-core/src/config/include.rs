//! `[include] files=`: more files read into the same parser, in sorted glob
//! order, relative to the main file; hidden files are skipped, as Python's
//! glob skips them.

use std::path::{Path, PathBuf};

use super::error::{ConfigError, ErrorKind, Location};
use super::expand::{Expansions, expand};
use super::ini::{Ini, here_of, read_file};
use super::model::ParseMessages;

/// Reads the files `[include]` names into `ini`. Only the main file's
/// `[include]` counts (4.3.0 computes the list once).
pub(crate) fn read_includes(
    ini: &mut Ini,
    main: &Path,
    names: &[&Expansions],
    messages: &mut ParseMessages,
) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let Some(section) = ini.section("include") else {
        return errors;
    };
    let location = Location::at(&section.origin).in_section("include");
    let here = here_of(main);
    ini.expand_here(&here.to_string_lossy());
    super::keys::reading("include", "files");
    let Some(entry) = ini.get("include", "files") else {
        errors.push(ConfigError::new(location.with_key("files"), ErrorKind::MissingKey("files")));
        return errors;
    };
    let key_location = Location::at(&entry.origin).in_section("include").with_key("files");
    let files = match expand(&entry.value, names, "include.files") {
        Ok(f) => f,
        Err(e) => {
            errors.push(ConfigError::new(key_location, e));
            return errors;
        }
    };
    let options =
        glob::MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: true };
    for pattern in files.split_whitespace() {
        let pattern = here.join(pattern).to_string_lossy().into_owned();
        let mut matches: Vec<PathBuf> = match glob::glob_with(&pattern, options) {
            Ok(paths) => paths.filter_map(Result::ok).collect(),
            Err(_) => Vec::new(),
        };
        if matches.is_empty() {
            messages.warnings.push(format!("No file matches via include \"{pattern}\""));
            continue;
        }
        matches.sort();
        for file in matches {
            messages.infos.push(format!("Included extra file \"{}\" during parsing", file.display()));
            let text = match read_file(&file) {
                Ok(t) => t,
                Err(e) => {
                    // 4.3.0 skips an unreadable include silently; we refuse.
                    let kind = ErrorKind::Unreadable { path: file.clone(), source: e.into() };
                    errors.push(ConfigError::new(key_location.clone(), kind));
                    continue;
                }
            };
            let ini_errors = ini.read_str(&text, &file);
            let failed = !ini_errors.is_empty();
            errors.extend(ini_errors.into_iter().map(|e| ConfigError::new(Location::at(&e.origin), e.error)));
            if failed {
                continue;
            }
            ini.expand_here(&here_of(&file).to_string_lossy());
        }
    }
    errors
}
