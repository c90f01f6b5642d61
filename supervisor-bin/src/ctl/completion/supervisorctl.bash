# bash completion for supervisorctl (supervisor-rs), made by
# `supervisorctl completion bash`. Load it with
#     source <(supervisorctl completion bash)
# or install it as /usr/share/bash-completion/completions/supervisorctl.
# Program and group names come from the running supervisord: the script runs
# `supervisorctl [the connection options typed] avail`.

_supervisorctl_commands="@COMMANDS@"
_supervisorctl_options="@OPTIONS@"
_supervisorctl_value_options=" @VALUE_OPTIONS@ "
_supervisorctl_process_commands=" @PROCESS_COMMANDS@ "
_supervisorctl_group_commands=" @GROUP_COMMANDS@ "
_supervisorctl_json_commands=" @JSON_COMMANDS@ "

# Adds to COMPREPLY each candidate (after $1, the word typed so far) that
# starts with it.
_supervisorctl_add() {
    local cur=$1 c
    shift
    for c in "$@"; do
        if [[ $c == "$cur"* ]]; then COMPREPLY+=("$c"); fi
    done
    return 0
}

# Prints the names supervisord knows, one a line: $1 is "names" (name,
# group:name and group:*) or "groups"; the rest is the command to run.
_supervisorctl_names() {
    local what=$1 out name rest
    shift
    out=$("$@" avail </dev/null 2>/dev/null) || return 0
    while read -r name rest; do
        [[ -n $name ]] || continue
        if [[ $what == groups ]]; then
            printf '%s\n' "${name%%:*}"
        else
            printf '%s\n' "$name"
            [[ $name == *:* ]] && printf '%s\n' "${name%%:*}:*"
        fi
    done <<<"$out" | sort -u
}

_supervisorctl() {
    COMPREPLY=()
    # Bash splits words at ':' and '=' (COMP_WORDBREAKS): put g:b, g:* and
    # --configuration=FILE together again.
    local -a words=() names=()
    local i w cword=0 glue=0
    for ((i = 0; i < ${#COMP_WORDS[@]} && i <= COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if ((i > 0)) && [[ $w == [:=] || $glue == 1 ]]; then
            words[${#words[@]} - 1]+=$w
        else
            words+=("$w")
        fi
        if [[ $w == [:=] ]]; then glue=1; else glue=0; fi
        ((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
    done
    local cur=${words[cword]}

    # The options before the command are passed on to reach the same
    # supervisord; -i and -h are not.
    local -a run=("${words[0]}")
    local cmd="" cmdpos=0
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        if [[ $_supervisorctl_value_options == *" $w "* ]]; then
            run+=("$w" "${words[i + 1]}")
            ((i++))
        elif [[ $w == -i || $w == --interactive || $w == -h || $w == --help || $w == "-?" ]]; then
            :
        elif [[ $w == -* ]]; then
            run+=("$w")
        else
            cmd=$w
            cmdpos=$i
            break
        fi
    done

    if [[ -z $cmd ]]; then
        local file=0 path=$cur
        case ${words[cword - 1]} in
        -c | --configuration | -r | --history_file) file=1 ;;
        esac
        case $cur in
        --configuration=* | --history_file=*) file=1 path=${cur#*=} ;;
        esac
        if ((file)); then
            mapfile -t COMPREPLY < <(compgen -f -- "$path")
            return 0
        fi
        if [[ $_supervisorctl_value_options == *" ${words[cword - 1]} "* || $cur == --*=* ]]; then
            return 0
        fi
        if [[ $cur == -* ]]; then
            _supervisorctl_add "$cur" $_supervisorctl_options
        else
            _supervisorctl_add "$cur" $_supervisorctl_commands
        fi
        return 0
    fi

    # The words typed after the command, before this one.
    local -a args=("${words[@]:cmdpos+1:cword-cmdpos-1}")
    local n=${#args[@]}
    if [[ $_supervisorctl_json_commands == *" $cmd "* && $cur == -* ]]; then
        _supervisorctl_add "$cur" --json
    fi
    case $cmd in
    help)
        ((n == 0)) && _supervisorctl_add "$cur" $_supervisorctl_commands
        ;;
    completion)
        ((n == 0)) && _supervisorctl_add "$cur" bash zsh fish
        ;;
    maintail)
        ((n == 0)) && _supervisorctl_add "$cur" -f
        ;;
    signal)
        if ((n == 0)); then
            _supervisorctl_add "$cur" HUP INT QUIT KILL TERM USR1 USR2 ALRM CONT STOP TSTP TTIN TTOU WINCH
        else
            mapfile -t names < <(_supervisorctl_names names "${run[@]}")
            _supervisorctl_add "$cur" "${names[@]}"
        fi
        ;;
    tail)
        local -a named=()
        for w in "${args[@]}"; do [[ $w == -* ]] || named+=("$w"); done
        if ((${#named[@]} == 0)); then
            [[ $cur == -* ]] && _supervisorctl_add "$cur" -f
            mapfile -t names < <(_supervisorctl_names names "${run[@]}")
            _supervisorctl_add "$cur" "${names[@]}"
        elif ((${#named[@]} == 1)); then
            _supervisorctl_add "$cur" stdout stderr
        fi
        ;;
    *)
        if [[ $_supervisorctl_process_commands == *" $cmd "* ]]; then
            mapfile -t names < <(_supervisorctl_names names "${run[@]}")
        elif [[ $_supervisorctl_group_commands == *" $cmd "* ]]; then
            mapfile -t names < <(_supervisorctl_names groups "${run[@]}")
        fi
        _supervisorctl_add "$cur" "${names[@]}"
        ;;
    esac

    # What bash replaces is the text after the last ':' of the word.
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local prefix=${cur%"${cur##*:}"}
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
        done
    fi
    return 0
}

complete -F _supervisorctl supervisorctl
