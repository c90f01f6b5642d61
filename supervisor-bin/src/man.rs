//! The man pages, rendered as roff from the tables the programs themselves
//! use: the usage texts `-h` prints (options), the controller's commands
//! and `help` texts (actions), and the config reader's key table with its
//! descriptions (`supervisor_core::config::documented_sections`). So a
//! page cannot leave out an option or a key the code knows.
//! `supervisor-man OUTDIR` writes them.

use std::fmt::Write as _;
use std::path::Path;

use supervisor_core::config::{CTL_FACTORY_KEY, Key, RPC_FACTORY_KEY, documented_sections, search_paths};
use supervisor_core::signals::Signal;

use crate::ctl::completion::SHELLS;
use crate::ctl::{ADDED_COMMANDS, JSON_COMMANDS, exit, help};
use crate::usage::{UsageOption, options};

/// One man page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The program or file it documents.
    pub name: &'static str,
    /// Its manual section (1, 5 or 8).
    pub section: u8,
    /// The roff source.
    pub text: String,
}

impl Page {
    /// `name.section`, the page's file name.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.name, self.section)
    }
}

/// Every page: `supervisord(8)`, `supervisorctl(1)`,
/// `echo_supervisord_conf(1)`, `pidproxy(1)`, `supervisord.conf(5)`.
pub fn pages() -> Vec<Page> {
    vec![supervisord(), supervisorctl(), echo_supervisord_conf(), pidproxy(), supervisord_conf()]
}

/// Writes every page into `dir` (which must exist) as `name.section`.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut written = Vec::new();
    for page in pages() {
        let path = dir.join(page.file_name());
        std::fs::write(&path, &page.text)?;
        written.push(path);
    }
    Ok(written)
}

/// Text escaped for roff: backslashes, and a `.` or `'` that would start a
/// request at the beginning of a line.
fn esc(text: &str) -> String {
    let text = text.replace('\\', "\\e");
    text.lines()
        .map(|l| if l.starts_with('.') || l.starts_with('\'') { format!("\\&{l}") } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An option or a command word: escaped, with `-` as a real hyphen-minus.
fn word(text: &str) -> String {
    esc(text).replace('-', "\\-")
}

/// A bold word.
fn b(text: &str) -> String {
    format!("\\fB{}\\fR", word(text))
}

/// An italic word.
fn i(text: &str) -> String {
    format!("\\fI{}\\fR", word(text))
}

struct Roff(String);

impl Roff {
    fn new(name: &str, section: u8, title: &str, summary: &str) -> Roff {
        let manual = match section {
            1 => "User Commands",
            5 => "File Formats",
            _ => "System Administration",
        };
        let mut r = Roff(String::new());
        let _ = writeln!(
            r.0,
            ".\\\" Made by supervisor-man from the tables of supervisor-rs; do not edit.\n\
             .TH {} {section} \"\" \"supervisor-rs {}\" \"{manual}\"",
            name.to_uppercase(),
            env!("CARGO_PKG_VERSION")
        );
        r.section("NAME");
        r.line(&format!("{} \\- {}", word(title), esc(summary)));
        r
    }

    /// A raw roff line.
    fn line(&mut self, roff: &str) {
        self.0.push_str(roff);
        self.0.push('\n');
    }

    fn section(&mut self, title: &str) {
        self.line(&format!(".SH {title}"));
    }

    fn sub(&mut self, title: &str) {
        self.line(&format!(".SS {}", esc(title)));
    }

    /// A paragraph of plain text.
    fn para(&mut self, text: &str) {
        self.line(".PP");
        self.line(&esc(text));
    }

    /// An indented item: its tag (roff) and its text (plain).
    fn item(&mut self, tag: &str, text: &str) {
        self.line(".TP");
        self.line(tag);
        self.line(&esc(text));
    }

    /// Lines shown as they are (examples).
    fn example(&mut self, lines: &str) {
        self.line(".PP\n.RS 4\n.nf");
        self.line(&esc(lines));
        self.line(".fi\n.RE");
    }

    /// The options of a usage text, each followed by the `notes` (roff)
    /// for its long name.
    fn options(&mut self, list: &[UsageOption], notes: &[(&str, String)]) {
        for o in list {
            let mut tag = o.flags.iter().map(|f| b(f)).collect::<Vec<_>>().join(", ");
            if let Some(v) = &o.value {
                tag.push(' ');
                tag.push_str(&i(v));
            }
            self.line(".TP");
            self.line(&tag);
            self.line(&esc(&o.text));
            for (long, note) in notes {
                if o.flags.iter().any(|f| f == long) {
                    self.line(".IP");
                    self.line(note);
                }
            }
        }
    }

    fn see_also(&mut self, pages: &[&str]) {
        self.section("SEE ALSO");
        let list: Vec<String> = pages
            .iter()
            .map(|p| {
                let (name, sec) = p.rsplit_once('(').unwrap_or((p, ""));
                format!("{}({sec}", b(name))
            })
            .collect();
        self.line(&list.join(",\n"));
    }
}

/// The config file search order, for a program installed as `/PREFIX/bin/x`.
fn search_order(r: &mut Roff) {
    let paths = search_paths(Path::new("/PREFIX/bin/supervisord"));
    r.para(
        "Without -c, the first of these files that exists is read (PREFIX is the directory above the one \
         holding the program; relative paths are relative to the current directory):",
    );
    let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    r.example(&list.join("\n"));
}

fn supervisord() -> Page {
    let mut r = Roff::new("supervisord", 8, "supervisord", "run a set of applications as daemons");
    r.section("SYNOPSIS");
    r.line(&format!("{} [{}]", b("supervisord"), i("options")));
    r.section("DESCRIPTION");
    r.para(
        "supervisord starts the programs its configuration file lists (see supervisord.conf(5)), keeps them \
         running, logs their output, and serves an XML-RPC API and a web page through which supervisorctl(1) \
         controls them. This supervisord is supervisor-rs, a drop-in replacement for Python Supervisor 4.3: \
         it reads the same configuration files, answers the same API and writes the same log lines.",
    );
    r.para(
        "Unless -n (or nodaemon=true) is given, supervisord daemonizes; the launching process waits until \
         the daemon is up, and prints any start-up error. Options override the [supervisord] keys of the \
         same name.",
    );
    r.section("OPTIONS");
    r.options(
        &options(crate::supervisord_cli::USAGE),
        &[
            ("--check", esc("Unknown keys are reported as warnings (WARN), with the nearest known key.")),
            ("--profile_options", esc("Accepted and ignored: supervisor-rs has no profiler.")),
            ("--loglevel", esc("trace and blather are accepted too.")),
        ],
    );
    r.section("SIGNALS");
    for (sig, what) in [
        ("SIGTERM, SIGINT, SIGQUIT", "Stop every program, highest priority first, then exit."),
        (
            "SIGHUP",
            "Read the configuration again; if it is valid, stop every program and start again with it (the \
             listening sockets stay open). An invalid file is logged and changes nothing.",
        ),
        ("SIGUSR2", "Reopen supervisord's log and every child log (after an outside log rotation)."),
    ] {
        r.item(&format!("\\fB{sig}\\fR"), what);
    }
    r.section("ENVIRONMENT");
    r.item(
        &b("NOTIFY_SOCKET"),
        "When set (by systemd for Type=notify units), supervisord sends READY=1 once it serves and its \
         autostart programs are launched, RELOADING=1 and STOPPING=1 around reloads and shutdowns, and STATUS= \
         lines; it is never passed on to the programs.",
    );
    r.section("FILES");
    search_order(&mut r);
    r.section("EXIT STATUS");
    r.item(&b("0"), "A clean shutdown; with --check, a valid configuration.");
    r.item(&b("2"), "A usage or configuration error, or a start-up failure; with --check, an invalid configuration.");
    r.see_also(&["supervisorctl(1)", "supervisord.conf(5)", "echo_supervisord_conf(1)", "pidproxy(1)"]);
    Page { name: "supervisord", section: 8, text: r.0 }
}

/// A help text's lines as items: `synopsis<TAB>text`; a line that starts
/// with a tab continues the text above, one without a tab stands alone.
fn help_items(r: &mut Roff, text: &str, note: Option<&str>) {
    let mut items: Vec<(String, String)> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match line.split_once('\t') {
            Some((synopsis, rest)) if !synopsis.trim().is_empty() => {
                items.push((synopsis.trim().to_owned(), rest.trim().to_owned()))
            }
            Some(_) if !items.is_empty() => {
                let last = items.len() - 1;
                items[last].1 = format!("{} {}", items[last].1, line.trim());
            }
            _ => items.push((String::new(), line.trim().to_owned())),
        }
    }
    for (synopsis, text) in items {
        let text = match note {
            Some(n) => format!("{text} ({n})"),
            None => text,
        };
        if synopsis.is_empty() {
            r.line(".IP");
            r.line(&esc(&text));
        } else {
            r.item(&b(&synopsis), &text);
        }
    }
}

fn supervisorctl() -> Page {
    let usage = help::USAGE;
    let mut r =
        Roff::new("supervisorctl", 1, "supervisorctl", "control applications run by supervisord from the cmd line");
    r.section("SYNOPSIS");
    r.line(&format!("{} [{}] [{} [{}]]", b("supervisorctl"), i("options"), i("action"), i("arguments")));
    r.section("DESCRIPTION");
    // The paragraph after the option list of -h.
    let about = usage.split("action [arguments] -- see below").nth(1).unwrap_or_default().trim();
    r.para(&about.split_whitespace().collect::<Vec<_>>().join(" "));
    r.para(
        "supervisorctl reaches supervisord through the URL of -s, or [supervisorctl] serverurl in the \
         configuration file (see supervisord.conf(5)); options override the keys of that section.",
    );
    r.section("OPTIONS");
    r.options(
        &options(usage),
        &[(
            "--history-file",
            format!(
                "The option is spelled {} {} (with an underscore); -h prints it as {}, as Supervisor 4.3.0 does.",
                b("--history_file"),
                i("FILENAME"),
                b("--history-file")
            ),
        )],
    );
    r.section("ACTIONS");
    r.para(&format!(
        "In the shell, help lists the actions and help ACTION describes one. Process names are NAME, \
         GROUP:NAME or GROUP:* (every process of a group). Marked (ours): additions of supervisor-rs that \
         Supervisor 4.3.0 lacks, which prints *** Unknown syntax for them. --json applies to {}.",
        JSON_COMMANDS.join(", ")
    ));
    for command in crate::ctl::completion::all_commands() {
        r.sub(command);
        let ours = ADDED_COMMANDS.contains(&command);
        help_items(&mut r, help::help(command).unwrap_or_default(), ours.then_some("ours"));
        if let Some(added) = help::added_help(command) {
            help_items(&mut r, added, Some("ours"));
        }
    }
    r.section("JSON OUTPUT");
    r.para(&format!(
        "With --json, {} print one JSON document on stdout and nothing else: status an array of the \
         getProcessInfo structs of the processes shown (name, group, description, start, stop, now, state, \
         statename, spawnerr, exitstatus, logfile, stdout_logfile, stderr_logfile, pid), avail an array of \
         getAllConfigInfo structs, pid {{\"pid\": N}} for supervisord or an array of {{\"group\", \"name\", \
         \"pid\"}}. Messages (no such process, connection errors) go to stderr; when the command fails before \
         it has an answer, stdout is empty. The exit status is the plain form's. The plain output is \
         Supervisor 4.3.0's, byte for byte.",
        JSON_COMMANDS.join(", ")
    ));
    r.example("supervisorctl status --json | jq -r '.[] | select(.statename != \"RUNNING\") | .name'");
    r.section("SHELL COMPLETION");
    r.para(&format!(
        "supervisorctl completion SHELL prints a completion script for SHELL ({}): it completes options, \
         actions, and the program and group names of the running supervisord, which it asks with \
         supervisorctl avail and the connection options typed so far.",
        SHELLS.join(", ")
    ));
    r.example(
        "source <(supervisorctl completion bash)\n\
         supervisorctl completion zsh > \"${fpath[1]}/_supervisorctl\"\n\
         supervisorctl completion fish > ~/.config/fish/completions/supervisorctl.fish",
    );
    r.section("EXIT STATUS");
    for (code, what) in [
        (exit::SUCCESS, "Success."),
        (exit::GENERIC, "An error: a bad argument, an unknown action, a failed command."),
        (exit::INVALID_ARGS, "A usage error; start without a name, or of an unknown group."),
        (
            exit::UNIMPLEMENTED_FEATURE,
            "status: a process shown is not running (STOPPED, EXITED, FATAL or UNKNOWN). Otherwise: the \
             supervisor API namespace is missing.",
        ),
        (
            exit::INSUFFICIENT_PRIVILEGES,
            "status: an unknown name, or supervisord could not be asked. Otherwise: the connection was refused.",
        ),
        (exit::NOT_INSTALLED, "supervisord speaks another API version."),
        (
            exit::NOT_RUNNING,
            "The socket file does not exist; a process failed to start or was not running; pid of a process \
             that is not running.",
        ),
    ] {
        r.item(&b(&code.to_string()), what);
    }
    r.section("FILES");
    search_order(&mut r);
    r.see_also(&["supervisord(8)", "supervisord.conf(5)"]);
    Page { name: "supervisorctl", section: 1, text: r.0 }
}

fn echo_supervisord_conf() -> Page {
    let mut r =
        Roff::new("echo_supervisord_conf", 1, "echo_supervisord_conf", "print a sample supervisord configuration file");
    r.section("SYNOPSIS");
    r.line(&b("echo_supervisord_conf"));
    r.section("DESCRIPTION");
    r.para(
        "echo_supervisord_conf prints a sample supervisord.conf to stdout: a small configuration that works \
         as it is, followed by every section and key, commented out, each with what it does and its default. \
         Its key and section lines are Supervisor 4.3.0's sample's, in the same order. It takes no options; \
         arguments are ignored.",
    );
    r.example("echo_supervisord_conf > /etc/supervisord.conf");
    r.section("EXIT STATUS");
    r.item(&b("0"), "The sample was written (or the reader closed the pipe).");
    r.item(&b("1"), "It could not be written.");
    r.see_also(&["supervisord.conf(5)", "supervisord(8)"]);
    Page { name: "echo_supervisord_conf", section: 1, text: r.0 }
}

fn pidproxy() -> Page {
    let usage = crate::pidproxy::USAGE;
    let mut r = Roff::new("pidproxy", 1, "pidproxy", "run command and proxy signals to it via its pidfile");
    r.section("SYNOPSIS");
    r.line(&format!("{} {} {} [{} ...]", b("pidproxy"), i("pidfile"), i("command"), i("arg")));
    r.section("DESCRIPTION");
    // The paragraph of the usage text between its first line and Usage:.
    let about = usage.split("\n\n").nth(1).unwrap_or_default();
    r.para(&about.split_whitespace().collect::<Vec<_>>().join(" "));
    let signals: Vec<String> = crate::pidproxy::FORWARDED
        .iter()
        .filter_map(|&s| Signal::from_number(s))
        .map(|s| s.name().to_owned())
        .collect();
    r.para(&format!(
        "It is meant for programs that daemonize themselves, which supervisord cannot otherwise follow. The \
         signals passed on are {}. pidproxy exits when the process in the pidfile is gone, with the command's \
         exit status.",
        signals.join(", ")
    ));
    r.example("[program:mysql]\ncommand=/usr/bin/pidproxy /var/run/mysqld.pid /usr/bin/mysqld_safe");
    r.section("EXIT STATUS");
    r.item(&b("1"), "Missing arguments (the usage is printed), or the command could not be run.");
    r.see_also(&["supervisord(8)", "supervisord.conf(5)"]);
    Page { name: "pidproxy", section: 1, text: r.0 }
}

fn supervisord_conf() -> Page {
    let mut r =
        Roff::new("supervisord.conf", 5, "supervisord.conf", "configuration file of supervisord and supervisorctl");
    r.section("DESCRIPTION");
    r.para(
        "supervisord(8) and supervisorctl(1) read one INI file, given with -c or found as FILES says; \
         echo_supervisord_conf(1) prints a commented sample. A configuration with a mistake is refused as a \
         whole, each error named with its file, line, section and key; supervisord --check reports them \
         without starting, and warns about keys nothing reads.",
    );
    r.sub("Syntax");
    r.para(
        "[name] opens a section; key = value (or key: value) sets a key. Key names ignore case; section \
         names and values keep theirs. A line that starts with ; or # is a comment; inside a value, ; and # \
         begin a comment only after whitespace. An indented line continues the value above it (the lines \
         are joined with newlines).",
    );
    r.para(
        "Sizes take a KB, MB or GB suffix (1024-based). Booleans are true/false, yes/no, on/off or 1/0. \
         Signals are names with or without SIG, or numbers. Relative paths are relative to the directory \
         supervisord was started in.",
    );
    r.sub("Expansions");
    r.para(
        "Values may use Python %-format expansions: %(name)s inserts a string, %(process_num)02d a padded \
         number, %% a literal %. The names are: ENV_X, the variable X of supervisord's environment; here, the \
         directory of the file the value is in; host_node_name, the host name; program_name and group_name in \
         program, eventlistener and fcgi-program sections; process_num and numprocs in command, process_name, \
         environment, directory and the stdout_ and stderr_ log keys. Keys set in [DEFAULT] appear in every \
         section.",
    );
    r.section("SECTIONS");
    let mut shown: Vec<(*const Key, &str)> = Vec::new();
    for section in documented_sections() {
        r.sub(section.header);
        r.para(section.about);
        for table in section.keys {
            if let Some((_, header)) = shown.iter().find(|(p, _)| std::ptr::eq(*p, table.as_ptr())) {
                r.para(&format!("Every key of {header}, as described there."));
                continue;
            }
            shown.push((table.as_ptr(), section.header));
            for k in *table {
                let text =
                    if k.default.is_empty() { k.doc.to_owned() } else { format!("{} Default: {}.", k.doc, k.default) };
                r.item(&b(k.name), &text);
            }
        }
        if section.header.starts_with("[rpcinterface") {
            r.item(&b(RPC_FACTORY_KEY), "The factory of the namespace. Required.");
        }
        if section.header.starts_with("[ctlplugin") {
            r.item(&b(CTL_FACTORY_KEY), "The factory of the plugin, as module:callable. Required.");
        }
    }
    r.section("EXAMPLE");
    r.example(
        "[unix_http_server]\nfile=/run/supervisor.sock\nchmod=0700\n\n[supervisord]\n\
         logfile=/var/log/supervisor/supervisord.log\nchildlogdir=/var/log/supervisor\n\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         [supervisorctl]\nserverurl=unix:///run/supervisor.sock\n\n\
         [program:web]\ncommand=/usr/bin/python3 -m http.server 8000\ndirectory=/srv/www\nuser=www-data\n\n\
         [include]\nfiles=/etc/supervisor/conf.d/*.conf",
    );
    r.section("FILES");
    search_order(&mut r);
    r.see_also(&["supervisord(8)", "supervisorctl(1)", "echo_supervisord_conf(1)"]);
    Page { name: "supervisord.conf", section: 5, text: r.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(name: &str) -> String {
        pages().into_iter().find(|p| p.name == name).unwrap().text
    }

    /// Every option of a usage text and of its parser's getopt spec, as
    /// the page writes it.
    fn assert_options(page_text: &str, usage: &str, parser: &[String]) {
        let mut flags: Vec<String> = options(usage).into_iter().flat_map(|o| o.flags).collect();
        assert!(flags.len() > 5);
        flags.extend(parser.iter().cloned());
        for f in flags {
            assert!(page_text.contains(&format!("\\fB{}\\fR", word(&f))), "{f} is missing");
        }
    }

    #[test]
    fn every_option_of_supervisord_is_on_its_page() {
        let parser: Vec<String> = crate::supervisord_cli::LONG
            .iter()
            .map(|l| format!("--{}", l.trim_end_matches('=')))
            .chain(crate::supervisord_cli::SHORT.chars().filter(|c| *c != ':' && *c != '?').map(|c| format!("-{c}")))
            .collect();
        assert_options(&page("supervisord"), crate::supervisord_cli::USAGE, &parser);
    }

    #[test]
    fn every_option_action_and_addition_of_supervisorctl_is_on_its_page() {
        let text = page("supervisorctl");
        let parser: Vec<String> = crate::ctl::options::OPTIONS
            .iter()
            .flat_map(|(letter, name, _)| [format!("-{letter}"), format!("--{name}")])
            .collect();
        assert_options(&text, help::USAGE, &parser);
        for c in crate::ctl::completion::all_commands() {
            assert!(text.contains(&format!(".SS {c}\n")), "{c}");
        }
        for c in JSON_COMMANDS {
            assert!(text.contains(&format!("\\fB{c} \\-\\-json")), "{c} --json");
        }
        assert!(text.contains("\\fBcompletion bash\\fR"));
    }

    #[test]
    fn every_key_the_reader_knows_is_on_the_conf_page() {
        let text = page("supervisord.conf");
        let mut count = 0;
        for section in documented_sections() {
            assert!(text.contains(&format!(".SS {}\n", section.header)), "{}", section.header);
            for k in section.keys.iter().flat_map(|t| t.iter()) {
                assert!(text.contains(&format!(".TP\n{}\n", b(k.name))), "{} {}", section.header, k.name);
                count += 1;
            }
        }
        assert!(count > 80, "{count}");
        assert!(text.contains(&b(RPC_FACTORY_KEY)) && text.contains(&b(CTL_FACTORY_KEY)));
        // [program:x]'s keys once, referred to by the sections that share them.
        assert_eq!(text.matches(&format!(".TP\n{}\n", b("stopasgroup"))).count(), 1);
        assert!(text.contains("Every key of [program:x], as described there."));
    }

    #[test]
    fn pages_render_without_warnings() {
        let Ok(probe) = std::process::Command::new("groff").arg("-v").output() else {
            eprintln!("groff is not installed: rendering not checked");
            return;
        };
        assert!(probe.status.success());
        let dir = std::env::temp_dir().join(format!("man-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for path in write_all(&dir).unwrap() {
            let out =
                std::process::Command::new("groff").args(["-man", "-Tutf8", "-ww", "-z"]).arg(&path).output().unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
