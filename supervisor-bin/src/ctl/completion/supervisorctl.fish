# fish completion for supervisorctl (supervisor-rs), made by
# `supervisorctl completion fish`. Load it with
#     supervisorctl completion fish | source
# or install it as supervisorctl.fish in a directory of $fish_complete_path
# (/usr/share/fish/vendor_completions.d on Debian).
# Program and group names come from the running supervisord: the script runs
# `supervisorctl [the connection options typed] avail`.

set -g __supervisorctl_commands @COMMANDS@
set -g __supervisorctl_value_options @VALUE_OPTIONS@

# Prints the words typed after the options: the command and its arguments.
function __supervisorctl_rest
    set -l tokens (commandline -opc)
    set -e tokens[1]
    while set -q tokens[1]
        if contains -- $tokens[1] $__supervisorctl_value_options
            set -e tokens[1..2]
        else if string match -q -- '-*' $tokens[1]
            set -e tokens[1]
        else
            break
        end
    end
    for token in $tokens
        echo $token
    end
end

# Prints the connection options typed (-i and -h left out), one a line.
function __supervisorctl_connection
    set -l tokens (commandline -opc)
    set -e tokens[1]
    while set -q tokens[1]
        if contains -- $tokens[1] $__supervisorctl_value_options
            printf '%s\n' $tokens[1..2]
            set -e tokens[1..2]
        else if contains -- $tokens[1] -i --interactive -h --help '-?'
            set -e tokens[1]
        else if string match -q -- '-*' $tokens[1]
            printf '%s\n' $tokens[1]
            set -e tokens[1]
        else
            break
        end
    end
end

function __supervisorctl_needs_command
    set -l rest (__supervisorctl_rest)
    not set -q rest[1]
end

# True when the command is one of the arguments and $argv[1] more words
# follow it ("-" for any number).
function __supervisorctl_at
    set -l rest (__supervisorctl_rest)
    set -q rest[1]; or return 1
    contains -- $rest[1] $argv[2..-1]; or return 1
    test $argv[1] = -; or test (count $rest) -eq (math $argv[1] + 1)
end

# Prints how many words after the command do not start with "-".
function __supervisorctl_named
    set -l rest (__supervisorctl_rest)
    set -e rest[1]
    set -l named (string match -v -- '-*' $rest)
    count $named
end

# The names supervisord knows: $argv[1] is "names" (name, group:name and
# group:*) or "groups".
function __supervisorctl_names
    set -l tokens (commandline -opc)
    set -l out ($tokens[1] (__supervisorctl_connection) avail </dev/null 2>/dev/null); or return 0
    for line in $out
        set -l name (string split -m1 ' ' -- $line)[1]
        test -n "$name"; or continue
        if test $argv[1] = groups
            echo (string split -m1 : -- $name)[1]
        else
            echo $name
            string match -q '*:*' -- $name; and echo (string split -m1 : -- $name)[1]':*'
        end
    end | sort -u
end

complete -c supervisorctl -f
@FISH_OPTIONS@
complete -c supervisorctl -n __supervisorctl_needs_command -a "$__supervisorctl_commands"
complete -c supervisorctl -n '__supervisorctl_at 0 help' -a "$__supervisorctl_commands"
complete -c supervisorctl -n '__supervisorctl_at 0 completion' -a 'bash zsh fish'
complete -c supervisorctl -n '__supervisorctl_at 0 maintail; or __supervisorctl_at - tail; and test (__supervisorctl_named) -eq 0' -a -f
complete -c supervisorctl -n '__supervisorctl_at - @JSON_COMMANDS@; and string match -q -- "-*" (commandline -ct)' -a --json
complete -c supervisorctl -n '__supervisorctl_at 0 signal' -a 'HUP INT QUIT KILL TERM USR1 USR2 ALRM CONT STOP TSTP TTIN TTOU WINCH'
complete -c supervisorctl -n '__supervisorctl_at - @PROCESS_COMMANDS_PLAIN@' -a '(__supervisorctl_names names)'
complete -c supervisorctl -n '__supervisorctl_at - signal; and not __supervisorctl_at 0 signal' -a '(__supervisorctl_names names)'
complete -c supervisorctl -n '__supervisorctl_at - tail; and test (__supervisorctl_named) -eq 0' -a '(__supervisorctl_names names)'
complete -c supervisorctl -n '__supervisorctl_at - tail; and test (__supervisorctl_named) -eq 1' -a 'stdout stderr'
complete -c supervisorctl -n '__supervisorctl_at - @GROUP_COMMANDS@' -a '(__supervisorctl_names groups)'
