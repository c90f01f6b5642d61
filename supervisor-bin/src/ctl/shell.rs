//! The interactive shell: a prompt with history and Tab completion of
//! commands, process names and group names, as 4.3.0's readline shell has;
//! commands piped in are read as plain lines after a written prompt.

use std::borrow::Cow;
use std::io::IsTerminal;

use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use super::completion::{GROUP_COMMANDS, PROCESS_COMMANDS, all_commands};
use super::input::read_stdin_line;
use super::options::CtlOptions;
use super::{Controller, exit};

struct Completion {
    options: CtlOptions,
}

impl Completion {
    /// (group, name) of every process; asked when Tab is pressed.
    fn processes(&self) -> Vec<(String, String)> {
        let Ok(client) = self.options.client() else {
            return Vec::new();
        };
        let infos = client.get_all_process_info().unwrap_or_default();
        infos.into_iter().map(|i| (i.group, i.name)).collect()
    }
}

impl Completer for Completion {
    type Candidate = String;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<String>)> {
        let before = &line[..pos];
        let start = before.rfind(' ').map_or(0, |i| i + 1);
        let text = &before[start..];
        let action = before.split_whitespace().next().unwrap_or("");
        let complete_actions =
            || all_commands().into_iter().filter(|c| c.starts_with(text)).map(|c| format!("{c} ")).collect();
        let matches: Vec<String> = if start == 0 {
            complete_actions()
        } else {
            match action {
                "help" => complete_actions(),
                _ if GROUP_COMMANDS.contains(&action) => {
                    let mut groups: Vec<String> = Vec::new();
                    for (g, _) in self.processes() {
                        if !groups.contains(&g) {
                            groups.push(g);
                        }
                    }
                    groups.into_iter().filter(|g| g.starts_with(text)).map(|g| format!("{g} ")).collect()
                }
                _ if PROCESS_COMMANDS.contains(&action) => {
                    let mut names: Vec<String> = Vec::new();
                    for (g, n) in self.processes() {
                        if text.contains(':') || g != n {
                            names.push(format!("{g}:{n}"));
                            let all = format!("{g}:*");
                            if !names.contains(&all) {
                                names.push(all);
                            }
                        } else {
                            names.push(n);
                        }
                    }
                    names.into_iter().filter(|p| p.starts_with(text)).map(|p| format!("{p} ")).collect()
                }
                _ => Vec::new(),
            }
        };
        Ok((start, matches))
    }
}

impl Hinter for Completion {
    type Hint = String;
}

impl Highlighter for Completion {
    fn highlight<'l>(&self, line: &'l str, _: usize) -> Cow<'l, str> {
        Cow::Borrowed(line)
    }
}

impl Validator for Completion {}

impl Helper for Completion {}

/// Runs the shell until `quit`, `exit`, `EOF`, the end of input or Ctrl-C;
/// always exits 0. `status` runs first, without a prompt. As 4.3.0's
/// `input()`, line editing is used only when stdin and stdout are both
/// terminals; otherwise (commands piped in, output captured) the prompt is
/// written to stdout before each line is read, and the end of input runs
/// `EOF`, so the output ends with a prompt and an empty line.
pub fn run<W: std::io::Write>(ctl: &mut Controller<W>) -> i32 {
    let terminals = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if terminals { edit(ctl) } else { plain(ctl) }
}

fn plain<W: std::io::Write>(ctl: &mut Controller<W>) -> i32 {
    ctl.onecmd("status");
    let prompt = format!("{}> ", ctl.options.prompt);
    loop {
        let _ = write!(ctl.out, "{prompt}");
        let _ = ctl.out.flush();
        let line = read_stdin_line().unwrap_or_else(|| "EOF".to_owned());
        if ctl.onecmd(&line) {
            break;
        }
    }
    let _ = ctl.out.flush();
    exit::SUCCESS
}

fn edit<W: std::io::Write>(ctl: &mut Controller<W>) -> i32 {
    let Ok(mut editor) = Editor::<Completion, DefaultHistory>::new() else {
        return exit::GENERIC;
    };
    editor.set_helper(Some(Completion { options: ctl.options.clone() }));
    if let Some(h) = &ctl.options.history_file {
        let _ = editor.load_history(h);
    }
    ctl.onecmd("status");
    let prompt = format!("{}> ", ctl.options.prompt);
    // Ctrl-D (4.3.0's EOF command) and Ctrl-C (its KeyboardInterrupt) end
    // the shell with one empty line, the one rustyline writes as it returns;
    // so does any other failure to read.
    while let Ok(line) = editor.readline(&prompt) {
        let command = line.trim();
        if !command.is_empty() {
            let _ = editor.add_history_entry(command);
        }
        if ctl.onecmd(command) {
            break;
        }
        if let Some(helper) = editor.helper_mut() {
            helper.options = ctl.options.clone();
        }
    }
    if let Some(h) = &ctl.options.history_file {
        let _ = editor.save_history(h);
    }
    exit::SUCCESS
}
