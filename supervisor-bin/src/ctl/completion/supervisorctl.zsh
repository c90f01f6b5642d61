#compdef supervisorctl
# zsh completion for supervisorctl (supervisor-rs), made by
# `supervisorctl completion zsh`. Load it with
#     source <(supervisorctl completion zsh)
# (after compinit), or install it as _supervisorctl in a directory of $fpath
# (/usr/share/zsh/vendor-completions on Debian).
# Program and group names come from the running supervisord: the script runs
# `supervisorctl [the connection options typed] avail`.

# Sets reply to the names supervisord knows: $1 is "names" (name, group:name
# and group:*) or "groups"; the rest is the command to run.
_supervisorctl_names() {
    local what=$1 out line name
    shift
    reply=()
    out=$("$@" avail </dev/null 2>/dev/null) || return 0
    for line in ${(f)out}; do
        name=${line%% *}
        [[ -n $name ]] || continue
        if [[ $what == groups ]]; then
            reply+=("${name%%:*}")
        else
            reply+=("$name")
            [[ $name == *:* ]] && reply+=("${name%%:*}:*")
        fi
    done
    reply=(${(u)reply})
}

_supervisorctl() {
    local -a commands=(@COMMANDS@)
    local -a options=(@OPTIONS@)
    local -a value_options=(@VALUE_OPTIONS@)
    local -a process_commands=(@PROCESS_COMMANDS@)
    local -a group_commands=(@GROUP_COMMANDS@)
    local -a json_commands=(@JSON_COMMANDS@)
    local -a run=("$words[1]") reply
    local i=2 w cmd="" cmdpos=0
    # The options before the command are passed on to reach the same
    # supervisord; -i and -h are not.
    while (( i < CURRENT )); do
        w=$words[i]
        if (( ${value_options[(Ie)$w]} )); then
            run+=("$w" "$words[i+1]")
            (( i += 2 ))
            continue
        elif [[ $w == (-i|--interactive|-h|--help|-\?) ]]; then
            :
        elif [[ $w == -* ]]; then
            run+=("$w")
        else
            cmd=$w
            cmdpos=$i
            break
        fi
        (( i++ ))
    done

    if [[ -z $cmd ]]; then
        case $words[CURRENT-1] in
        (-c|--configuration|-r|--history_file) _files; return ;;
        esac
        (( ${value_options[(Ie)$words[CURRENT-1]]} )) && return 1
        if [[ $PREFIX == -* ]]; then
            compadd -- $options
        else
            compadd -- $commands
        fi
        return
    fi

    local -a args=("${(@)words[cmdpos+1,CURRENT-1]}")
    local n=$#args
    if (( ${json_commands[(Ie)$cmd]} )) && [[ $PREFIX == -* ]]; then
        compadd -- --json
    fi
    case $cmd in
    (help) (( n == 0 )) && compadd -- $commands ;;
    (completion) (( n == 0 )) && compadd -- bash zsh fish ;;
    (maintail) (( n == 0 )) && compadd -- -f ;;
    (signal)
        if (( n == 0 )); then
            compadd -- HUP INT QUIT KILL TERM USR1 USR2 ALRM CONT STOP TSTP TTIN TTOU WINCH
        else
            _supervisorctl_names names "${run[@]}"
            compadd -- $reply
        fi
        ;;
    (tail)
        local -a named=(${args:#-*})
        if (( $#named == 0 )); then
            [[ $PREFIX == -* ]] && compadd -- -f
            _supervisorctl_names names "${run[@]}"
            compadd -- $reply
        elif (( $#named == 1 )); then
            compadd -- stdout stderr
        fi
        ;;
    (*)
        if (( ${process_commands[(Ie)$cmd]} )); then
            _supervisorctl_names names "${run[@]}"
            compadd -- $reply
        elif (( ${group_commands[(Ie)$cmd]} )); then
            _supervisorctl_names groups "${run[@]}"
            compadd -- $reply
        fi
        ;;
    esac
}

if [[ $funcstack[1] == _supervisorctl ]]; then
    _supervisorctl "$@"
else
    compdef _supervisorctl supervisorctl
fi
