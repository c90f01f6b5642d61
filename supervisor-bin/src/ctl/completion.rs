//! `supervisorctl completion bash|zsh|fish` (ours): completion scripts for
//! the command line, completing options, commands, and the program and
//! group names of the running supervisord (the scripts run `supervisorctl
//! avail` with the connection options typed). The lists in the scripts are
//! filled in from the parser's and the controller's own tables.

use super::help::USAGE;
use super::options::OPTIONS;
use super::{ADDED_COMMANDS, COMMANDS, JSON_COMMANDS};

/// The commands whose arguments are process names (`name`, `group:name`,
/// `group:*`); `signal`'s after the signal.
pub const PROCESS_COMMANDS: &[&str] = &["clear", "fg", "pid", "restart", "signal", "start", "status", "stop", "tail"];

/// The commands whose arguments are group names.
pub const GROUP_COMMANDS: &[&str] = &["add", "remove", "update"];

/// The shells there are scripts for.
pub const SHELLS: &[&str] = &["bash", "zsh", "fish"];

const BASH: &str = include_str!("completion/supervisorctl.bash");
const ZSH: &str = include_str!("completion/supervisorctl.zsh");
const FISH: &str = include_str!("completion/supervisorctl.fish");

/// Every command, sorted.
pub fn all_commands() -> Vec<&'static str> {
    let mut all: Vec<&str> = COMMANDS.iter().chain(ADDED_COMMANDS).copied().collect();
    all.sort_unstable();
    all
}

/// `-h --help -c --configuration ...`; with `only_values`, only those
/// that take a value.
fn options(only_values: bool) -> String {
    OPTIONS
        .iter()
        .filter(|(_, _, value)| *value || !only_values)
        .map(|(letter, name, _)| format!("-{letter} --{name}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One `complete` line per option for fish, with `-h`'s text.
fn fish_options() -> String {
    let usage = crate::usage::options(USAGE);
    let mut lines = Vec::new();
    for &(letter, name, value) in OPTIONS {
        let short = format!("-{letter}");
        let text = usage.iter().find(|o| o.flags.contains(&short)).map_or("", |o| o.text.as_str());
        // The first sentence, without the default's parenthesis.
        let text = text.split(" (").next().unwrap_or_default().trim_end_matches('.').replace('\'', "\\'");
        let kind = match (value, name) {
            (false, _) => "",
            (true, "configuration" | "history_file") => " -r -F",
            (true, _) => " -x",
        };
        lines.push(format!(
            "complete -c supervisorctl -n __supervisorctl_needs_command -s {letter} -l {name}{kind} -d '{text}'"
        ));
    }
    lines.join("\n")
}

/// The script for `shell`, if there is one.
pub fn script(shell: &str) -> Option<String> {
    let template = match shell.trim() {
        "bash" => BASH,
        "zsh" => ZSH,
        "fish" => FISH,
        _ => return None,
    };
    // The commands whose every argument is a process name.
    let plain: Vec<&str> = PROCESS_COMMANDS.iter().copied().filter(|c| !matches!(*c, "signal" | "tail")).collect();
    Some(
        template
            .replace("@COMMANDS@", &all_commands().join(" "))
            .replace("@OPTIONS@", &options(false))
            .replace("@VALUE_OPTIONS@", &options(true))
            .replace("@PROCESS_COMMANDS_PLAIN@", &plain.join(" "))
            .replace("@PROCESS_COMMANDS@", &PROCESS_COMMANDS.join(" "))
            .replace("@GROUP_COMMANDS@", &GROUP_COMMANDS.join(" "))
            .replace("@JSON_COMMANDS@", &JSON_COMMANDS.join(" "))
            .replace("@FISH_OPTIONS@", &fish_options()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_and_every_command_listed() {
        for shell in SHELLS {
            let text = script(shell).unwrap();
            let placeholder =
                |l: &&str| l.split('@').nth(1).is_some_and(|w| w.starts_with(|c: char| c.is_ascii_uppercase()));
            assert!(!text.lines().any(|l| placeholder(&l)), "{shell}: {:?}", text.lines().find(placeholder));
            assert!(text.contains(&all_commands().join(" ")), "{shell}");
            assert!(all_commands().contains(&"completion") && all_commands().contains(&"status"));
            assert!(text.contains("--history_file") && text.contains("--json"), "{shell}");
        }
        assert!(script("tcsh").is_none());
        assert!(
            script("fish")
                .unwrap()
                .contains("complete -c supervisorctl -n __supervisorctl_needs_command -s c -l configuration -r -F -d 'configuration file path'")
        );
    }

    #[test]
    fn the_lists_name_real_commands() {
        for c in PROCESS_COMMANDS.iter().chain(GROUP_COMMANDS).chain(JSON_COMMANDS) {
            assert!(COMMANDS.contains(c), "{c}");
        }
    }
}
