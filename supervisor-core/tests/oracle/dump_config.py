"""Load a supervisord.conf with Python Supervisor 4.3.0 and print the resolved
configuration as JSON, in the schema supervisor-core's differential test emits.

Usage: python dump_config.py FILE
Prints {"error": "..."} (exit 0) when 4.3.0 rejects the file.
"""
import json
import socket
import sys

from supervisor import datatypes
from supervisor.events import getEventNameByType
from supervisor.loggers import LevelsByName
from supervisor.options import ServerOptions, EventListenerPoolConfig, FastCGIGroupConfig

LEVEL_NAMES = {
    LevelsByName.CRIT: "critical",
    LevelsByName.ERRO: "error",
    LevelsByName.WARN: "warn",
    LevelsByName.INFO: "info",
    LevelsByName.DEBG: "debug",
    LevelsByName.TRAC: "trace",
    LevelsByName.BLAT: "blather",
}


def logfile(v):
    if v is datatypes.Automatic:
        return "AUTO"
    return v


def autorestart(v):
    if v is datatypes.RestartUnconditionally:
        return "true"
    if v is datatypes.RestartWhenExitUnexpected:
        return "unexpected"
    return "false"


def process(p):
    out = {}
    for key in p.req_param_names + p.optional_param_names:
        v = getattr(p, key)
        if key.endswith("_logfile"):
            v = logfile(v)
        elif key == "autorestart":
            v = autorestart(v)
        elif key == "exitcodes":
            v = list(v)
        out[key] = v
    return out


def group(g):
    out = {"name": g.name, "priority": g.priority, "type": "program"}
    if isinstance(g, EventListenerPoolConfig):
        out["type"] = "eventlistener"
        out["buffer_size"] = g.buffer_size
        out["events"] = sorted(getEventNameByType(e) for e in g.pool_events)
        h = g.result_handler
        out["result_handler"] = "%s:%s" % (h.__module__, h.__name__)
    elif isinstance(g, FastCGIGroupConfig):
        s = g.socket_config
        out["type"] = "fcgi-program"
        out["socket"] = s.url
        out["socket_backlog"] = s.backlog
        if hasattr(s, "mode"):
            out["socket_mode"] = s.mode
            out["socket_owner"] = list(s.owner) if s.owner else None
    out["processes"] = [process(p) for p in g.process_configs]
    return out


def server(c):
    out = {"section": c["section"], "name": c["name"],
           "username": c["username"], "password": c["password"]}
    if c["family"] == socket.AF_INET:
        out.update(family="inet", host=c["host"], port=c["port"])
    else:
        out.update(family="unix", file=c["file"], chmod=c["chmod"],
                   chown=list(c["chown"]))
    return out


def main(path):
    opts = ServerOptions()
    opts.configfile = path
    try:
        opts.process_config(do_usage=False)
    except ValueError as e:
        print(json.dumps({"error": str(e)}))
        return
    s = opts.configroot.supervisord
    sd = {}
    for key in ("logfile", "logfile_maxbytes", "logfile_backups", "pidfile",
                "umask", "nodaemon", "silent", "minfds", "minprocs",
                "nocleanup", "childlogdir", "user", "directory", "strip_ansi",
                "environment", "identifier"):
        sd[key] = getattr(s, key)
    sd["loglevel"] = LEVEL_NAMES[s.loglevel]
    out = {
        "supervisord": sd,
        "servers": [server(c) for c in s.server_configs],
        "rpcinterfaces": [
            {"name": n, "factory": "%s:%s" % (f.__module__, f.__name__), "extras": x}
            for (n, f, x) in s.rpcinterface_factories
        ],
        "groups": [group(g) for g in opts.process_group_configs],
        "warnings": opts.parse_warnings,
        "infos": opts.parse_infos,
    }
    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
