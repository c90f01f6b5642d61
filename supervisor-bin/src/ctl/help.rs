//! `help <command>` texts, exactly as 4.3.0 prints them.

/// The help text for `command`, if it has one.
pub fn help(command: &str) -> Option<&'static str> {
    Some(match command {
        "add" => "add <name> [...]\tActivates any updates in config for process/group\n",
        "avail" => "avail\t\t\tDisplay all configured processes\n",
        "clear" => {
            "clear <name>\t\tClear a process' log files.\nclear <name> <name>\tClear multiple process' log files\nclear all\t\tClear all process' log files\n"
        }
        "exit" => "exit\tExit the supervisor shell.\n",
        "fg" => "fg <process>\tConnect to a process in foreground mode\n\t\tCtrl-C to exit\n",
        "help" => "help\t\tPrint a list of available actions\nhelp <action>\tPrint help for <action>\n",
        "maintail" => {
            "maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\nmaintail -100\tlast 100 *bytes* of supervisord main log file\nmaintail\tlast 1600 *bytes* of supervisor main log file\n\n"
        }
        "open" => {
            "open <url>\tConnect to a remote supervisord process.\n\t\t(for UNIX domain socket, use unix:///socket/path)\n"
        }
        "pid" => {
            "pid\t\t\tGet the PID of supervisord.\npid <name>\t\tGet the PID of a single child process by name.\npid all\t\t\tGet the PID of every child process, one per line.\n"
        }
        "quit" => "quit\tExit the supervisor shell.\n",
        "reload" => "reload \t\tRestart the remote supervisord.\n",
        "remove" => "remove <name> [...]\tRemoves process/group from active config\n",
        "reread" => "reread \t\t\tReload the daemon's configuration files without add/remove\n",
        "restart" => {
            "restart <name>\t\tRestart a process\nrestart <gname>:*\tRestart all processes in a group\nrestart <name> <name>\tRestart multiple processes or groups\nrestart all\t\tRestart all processes\nNote: restart does not reread config files. For that, see reread and update.\n"
        }
        "shutdown" => "shutdown \tShut the remote supervisord down.\n",
        "signal" => {
            "signal <signal name> <name>\t\tSignal a process\nsignal <signal name> <gname>:*\t\tSignal all processes in a group\nsignal <signal name> <name> <name>\tSignal multiple processes or groups\nsignal <signal name> all\t\tSignal all processes\n"
        }
        "start" => {
            "start <name>\t\tStart a process\nstart <gname>:*\t\tStart all processes in a group\nstart <name> <name>\tStart multiple processes or groups\nstart all\t\tStart all processes\n"
        }
        "status" => {
            "status <name>\t\tGet status for a single process\nstatus <gname>:*\tGet status for all processes in a group\nstatus <name> <name>\tGet status for multiple named processes\nstatus\t\t\tGet all process status info\n"
        }
        "stop" => {
            "stop <name>\t\tStop a process\nstop <gname>:*\t\tStop all processes in a group\nstop <name> <name>\tStop multiple processes or groups\nstop all\t\tStop all processes\n"
        }
        "tail" => {
            "tail [-f] <name> [stdout|stderr] (default stdout)\nEx:\ntail -f <name>\t\tContinuous tail of named process stdout\n\t\t\tCtrl-C to exit.\ntail -100 <name>\tlast 100 *bytes* of process stdout\ntail <name> stderr\tlast 1600 *bytes* of process stderr\n"
        }
        "update" => {
            "update\t\t\tReload config and add/remove as necessary, and will restart affected programs\nupdate all\t\tReload config and add/remove as necessary, and will restart affected programs\nupdate <gname> [...]\tUpdate specific groups\n"
        }
        "version" => "version\t\t\tShow the version of the remote supervisord process\n",
        "EOF" => "*** No help on EOF\n",
        // Ours.
        "completion" => {
            "completion bash\tPrint the bash completion script for supervisorctl\ncompletion zsh\tPrint the zsh completion script\ncompletion fish\tPrint the fish completion script\n"
        }
        _ => return None,
    })
}

/// What our commands add to 4.3.0's, for the man page only (`help status`
/// prints 4.3.0's text): the `--json` forms.
pub fn added_help(command: &str) -> Option<&'static str> {
    Some(match command {
        "status" => {
            "status --json [<name> ...]\tThe same, as a JSON array of getProcessInfo structs (messages on stderr, same exit status)\n"
        }
        "avail" => "avail --json\t\tThe same, as a JSON array of getAllConfigInfo structs\n",
        "pid" => {
            "pid --json\t\tsupervisord's PID as {\"pid\": N}\npid --json <name> ...\tA JSON array of {\"group\", \"name\", \"pid\"} for each named process, or for all\n"
        }
        _ => return None,
    })
}

/// What `help` alone prints.
pub const HELP_INDEX: &str = "\ndefault commands (type help <topic>):\n=====================================\nadd    exit      open  reload  restart   start   tail   \navail  fg        pid   remove  shutdown  status  update \nclear  maintail  quit  reread  signal    stop    version\n\n";

/// What `-h` prints (`%s` is the program name).
pub const USAGE: &str = "supervisorctl -- control applications run by supervisord from the cmd line.\n\nUsage: %s [options] [action [arguments]]\n\nOptions:\n-c/--configuration FILENAME -- configuration file path (searches if not given)\n-h/--help -- print usage message and exit\n-i/--interactive -- start an interactive shell after executing commands\n-s/--serverurl URL -- URL on which supervisord server is listening\n     (default \"http://localhost:9001\").\n-u/--username USERNAME -- username to use for authentication with server\n-p/--password PASSWORD -- password to use for authentication with server\n-r/--history-file -- keep a readline history (if readline is available)\n\naction [arguments] -- see below\n\nActions are commands like \"tail\" or \"stop\".  If -i is specified or no action is\nspecified on the command line, a \"shell\" interpreting actions typed\ninteractively is started.  Use the action \"help\" to find out about available\nactions.\n\n";
