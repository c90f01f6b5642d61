"""Drives a running supervisord over XML-RPC with Python's xmlrpc.client and
checks every supervisor.* / system.* method, fault, multicall, auth and
malformed requests. Exits non-zero with a message on the first mismatch.

Usage: rpc_checks.py SOCKET_PATH HTTP_PORT WORKDIR
"""
import base64
import http.client
import socket
import sys
import time
import xmlrpc.client

from supervisor.xmlrpc import SupervisorTransport

sock, port, workdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
unix = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport(None, None, "unix://" + sock))
tcp = xmlrpc.client.ServerProxy("http://admin:secret@127.0.0.1:%d/RPC2" % port)
s = unix.supervisor


def fault(code, fn, *args):
    try:
        fn(*args)
    except xmlrpc.client.Fault as f:
        assert f.faultCode == code, "%s%r: fault %d %s, want %d" % (fn, args, f.faultCode, f.faultString, code)
        return f.faultString
    raise AssertionError("%s%r: no fault, want %d" % (fn, args, code))


def wait_state(name, state):
    for _ in range(300):
        if s.getProcessInfo(name)["statename"] == state:
            return
        time.sleep(0.05)
    raise AssertionError("%s never reached %s" % (name, state))


# Identity and state.
assert s.getAPIVersion() == "3.0" and s.getVersion() == "3.0"
assert s.getSupervisorVersion() == "4.3.0"
assert s.getIdentification() == "supervisor"
assert s.getState() == {"statecode": 1, "statename": "RUNNING"}
assert isinstance(s.getPID(), int)
assert tcp.supervisor.getState()["statename"] == "RUNNING"

# Process info: every field, sorted by group then name.
wait_state("sleeper", "RUNNING")
info = s.getProcessInfo("sleeper")
assert set(info) == {"name", "group", "start", "stop", "now", "state", "statename", "spawnerr", "exitstatus",
                     "logfile", "stdout_logfile", "stderr_logfile", "pid", "description"}, info
assert info["state"] == 20 and info["pid"] > 0 and info["description"].startswith("pid %d, uptime " % info["pid"])
names = [(i["group"], i["name"]) for i in s.getAllProcessInfo()]
assert names == sorted(names), names
assert ("pool", "pool_0") in names and ("pool", "pool_1") in names
assert fault(10, s.getProcessInfo, "nosuch") == "BAD_NAME: nosuch"

# Start/stop/signal with faults.
assert s.stopProcess("sleeper") is True
assert s.getProcessInfo("sleeper")["statename"] == "STOPPED"
assert fault(70, s.stopProcess, "sleeper") == "NOT_RUNNING: sleeper"
assert s.startProcess("sleeper") is True
assert fault(60, s.startProcess, "sleeper") == "ALREADY_STARTED: sleeper"
assert fault(20, s.startProcess, "ghost").startswith("NO_FILE: can't find command")
assert fault(50, s.startProcess, "quick") == "SPAWN_ERROR: quick"
assert fault(50, s.startProcess, "quick:quick") == "SPAWN_ERROR: quick:quick"
assert fault(11, s.signalProcess, "sleeper", "NOPE") == "BAD_SIGNAL: NOPE"
assert s.signalProcess("sleeper", "USR1") is True
assert fault(10, s.startProcess, "nosuch")
assert fault(21, s.startProcess, "notexec") == "NOT_EXECUTABLE: command at '/tmp' is a directory"

# Group and all operations return {name, group, status, description}.
res = s.stopProcessGroup("pool")
assert sorted(r["name"] for r in res) == ["pool_0", "pool_1"], res
assert all(r["status"] == 80 and r["description"] == "OK" and r["group"] == "pool" for r in res), res
res = s.startProcess("pool:*")
assert sorted(r["name"] for r in res) == ["pool_0", "pool_1"], res
res = s.signalProcessGroup("pool", "HUP")
assert len(res) == 2 and all(r["status"] == 80 for r in res), res
assert fault(10, s.startProcessGroup, "nosuch")
res = s.stopAllProcesses()
assert {r["name"] for r in res} >= {"sleeper", "pool_0", "pool_1"}, res
res = s.startAllProcesses()
assert any(r["name"] == "ghost" and r["status"] == 20 for r in res), res
wait_state("sleeper", "RUNNING")
res = s.signalAllProcesses("USR1")
assert all(r["status"] == 80 for r in res), res

# Config info.
ci = s.getAllConfigInfo()
one = [c for c in ci if c["name"] == "sleeper"][0]
assert one["inuse"] is True and one["group"] == "sleeper" and one["stopsignal"] == 15 and one["directory"] == "none", one
assert [c["name"] for c in ci] == sorted(c["name"] for c in ci)
# An AUTO log in use shows its path, the one getProcessInfo gives.
info = s.getProcessInfo("sleeper")
assert one["stdout_logfile"] == info["stdout_logfile"] != "auto", (one, info)
assert one["stdout_logfile"].startswith(workdir), one

# Logs: read, tail with offsets and overflow, clear, main log.
# talker was (re)started above: wait until its output has all arrived,
# i.e. the log holds "hello" and stays the same for 200 ms.
previous = None
for _ in range(200):
    log = s.readProcessStdoutLog("talker", 0, 0)
    if "hello" in log and log == previous:
        break
    previous = log
    time.sleep(0.2)
assert log.startswith("hello"), repr(log)
assert s.readProcessLog("talker", 0, 3) == "hel"
assert s.readProcessStdoutLog("talker", -2, 0) == log[-2:]
assert fault(3, s.readProcessStdoutLog, "talker", -2, 5) == "BAD_ARGUMENTS"
data, offset, overflow = s.tailProcessStdoutLog("talker", 0, 3)
assert (data, offset, overflow) == (log[-3:], len(log), True), (data, offset, overflow)
assert s.tailProcessLog("talker", len(log), 10) == ["", len(log), False]
# talker ran twice (stopAll/startAll above): one "oops" line per run.
assert set(s.readProcessStderrLog("talker", 0, 0).splitlines()) == {"oops"}
assert s.tailProcessStderrLog("talker", 0, 100)[0].endswith("oops\n")
assert s.clearProcessLogs("talker") is True
assert s.readProcessStdoutLog("talker", 0, 0) == ""
assert s.clearProcessLog("talker") is True
assert all(r["status"] == 80 for r in s.clearAllProcessLogs())
assert "spawned" in s.readLog(0, 0)
assert "spawned" in s.readMainLog(0, 0)
assert fault(20, s.readProcessStdoutLog, "nolog", 0, 0) == "NO_FILE"

# stdin.
assert s.sendProcessStdin("echoer", "ping\n") is True
for _ in range(200):
    if "ping" in s.readProcessStdoutLog("echoer", 0, 0):
        break
    time.sleep(0.05)
assert "ping" in s.readProcessStdoutLog("echoer", 0, 0)
assert fault(70, s.sendProcessStdin, "quick", "x")
assert fault(2, s.sendProcessStdin, "echoer", 5) == "INCORRECT_PARAMETERS: 5"
assert fault(2, s.sendProcessStdin, "echoer", [1, "a"]) == "INCORRECT_PARAMETERS: [1, 'a']"
# Faults repeat the name as the client gave it.
assert fault(10, s.startProcess, "nogroup:*") == "BAD_NAME: nogroup:*"
assert fault(10, s.stopProcess, "nogroup:") == "BAD_NAME: nogroup:"
assert fault(10, s.signalProcess, "nogroup:*", "HUP") == "BAD_NAME: nogroup:*"
assert fault(10, s.startProcessGroup, "nogroup") == "BAD_NAME: nogroup"
assert fault(60, s.startProcess, "sleeper:sleeper") == "ALREADY_STARTED: sleeper:sleeper"
assert s.sendRemoteCommEvent("type", "data") is True

# Groups: reload, remove, add.
added, changed, removed = s.reloadConfig()[0]
assert (added, changed, removed) == ([], [], []), (added, changed, removed)
assert fault(91, s.removeProcessGroup, "sleeper") == "STILL_RUNNING: sleeper"
s.stopProcess("sleeper")
assert s.removeProcessGroup("sleeper") is True
assert fault(10, s.removeProcessGroup, "sleeper")
assert s.reloadConfig()[0] == [["sleeper"], [], []]
assert s.addProcessGroup("sleeper") is True
assert fault(90, s.addProcessGroup, "sleeper") == "ALREADY_ADDED: sleeper"
assert fault(10, s.addProcessGroup, "nosuch")

# A config that no longer parses: CANT_REREAD, and nothing changes.
conf = workdir + "/supervisord.conf"
good = open(conf).read()
open(conf, "a").write("\n[program:broken]\nstartsecs=soon\n")
assert fault(92, s.reloadConfig).startswith("CANT_REREAD: ")
open(conf, "w").write(good)
assert s.reloadConfig()[0] == [[], [], []]

# system.*: listMethods, methodHelp, methodSignature, multicall.
methods = unix.system.listMethods()
# Exactly 4.3.0's 41 methods, and ours in a namespace of our own.
STOCK = ['supervisor.addProcessGroup', 'supervisor.clearAllProcessLogs', 'supervisor.clearLog',
         'supervisor.clearProcessLog', 'supervisor.clearProcessLogs', 'supervisor.getAPIVersion',
         'supervisor.getAllConfigInfo', 'supervisor.getAllProcessInfo', 'supervisor.getIdentification',
         'supervisor.getPID', 'supervisor.getProcessInfo', 'supervisor.getState', 'supervisor.getSupervisorVersion',
         'supervisor.getVersion', 'supervisor.readLog', 'supervisor.readMainLog', 'supervisor.readProcessLog',
         'supervisor.readProcessStderrLog', 'supervisor.readProcessStdoutLog', 'supervisor.reloadConfig',
         'supervisor.removeProcessGroup', 'supervisor.restart', 'supervisor.sendProcessStdin',
         'supervisor.sendRemoteCommEvent', 'supervisor.shutdown', 'supervisor.signalAllProcesses',
         'supervisor.signalProcess', 'supervisor.signalProcessGroup', 'supervisor.startAllProcesses',
         'supervisor.startProcess', 'supervisor.startProcessGroup', 'supervisor.stopAllProcesses',
         'supervisor.stopProcess', 'supervisor.stopProcessGroup', 'supervisor.tailProcessLog',
         'supervisor.tailProcessStderrLog', 'supervisor.tailProcessStdoutLog', 'system.listMethods',
         'system.methodHelp', 'system.methodSignature', 'system.multicall']
assert [m for m in methods if not m.startswith("supervisor_rs.")] == STOCK, methods
assert methods == sorted(methods) and "supervisor_rs.updateProcessGroup" in methods, methods
assert unix.system.methodSignature("supervisor_rs.updateProcessGroup") == ["array", "string"]
for m in ("supervisor.getState", "supervisor.tailProcessLog", "system.multicall", "system.listMethods"):
    assert m in methods, m
assert methods == sorted(methods)
assert unix.system.methodSignature("supervisor.getProcessInfo") == ["struct", "string"]
assert isinstance(unix.system.methodHelp("supervisor.getState"), str)
fault(4, unix.system.methodHelp, "supervisor.nosuch")
res = unix.system.multicall([
    {"methodName": "supervisor.getAPIVersion", "params": []},
    {"methodName": "supervisor.getProcessInfo", "params": ["nosuch"]},
    {"methodName": "system.multicall", "params": [[]]},
    {"methodName": "supervisor.getIdentification"},
])
assert res[0] == "3.0", res
assert res[1] == {"faultCode": 10, "faultString": "BAD_NAME: nosuch"}, res
assert res[2]["faultCode"] == 2 and "Recursive" in res[2]["faultString"], res
assert res[3] == "supervisor", res
# xmlrpc.client.MultiCall expects the spec's one-item arrays; 4.3.0 sends
# bare values, so the helper fails against 4.3.0 exactly as here.
m = xmlrpc.client.MultiCall(unix)
m.supervisor.getAPIVersion()
try:
    list(m())
    raise AssertionError("MultiCall unexpectedly accepted bare values")
except ValueError:
    pass

# Dispatch cannot be tricked (CVE-2017-11610): only ns.method names.
for bad in ("supervisor.supervisord.options.execve", "supervisor._update", "supervisor", "nosuch.method",
            "supervisor.__init__", "supervisor.getState.__call__", "system._listMethods"):
    assert fault(1, getattr(unix, bad)) == "UNKNOWN_METHOD", bad
fault(2, s.getProcessInfo)  # wrong argument count

# HTTP: auth and malformed requests.
def raw(body, headers=None, path="/RPC2", response=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", path, body=body, headers=headers or {})
    r = c.getresponse()
    if response is not None:
        response.append(r)
    return r.status, r.getheader("WWW-Authenticate"), r.read()

ok = {"Authorization": "Basic " + base64.b64encode(b"admin:secret").decode()}
# The wire as 4.3.0 writes it: <int>, members in 4.3.0's order, its headers.
info_call = (b"<?xml version='1.0'?><methodCall><methodName>supervisor.getProcessInfo</methodName>"
             b"<params><param><value><string>sleeper</string></value></param></params></methodCall>")
answer = []
st, _, body = raw(info_call, ok, response=answer)
assert st == 200 and answer[0].getheader("Server") == "Medusa/1.12", answer[0].getheaders()
assert answer[0].getheader("Content-Type") == "text/xml", answer[0].getheaders()
names = [m.split(b"</name>")[0].decode() for m in body.split(b"<name>")[1:]]
assert names == ["name", "group", "start", "stop", "now", "state", "statename", "spawnerr", "exitstatus",
                 "logfile", "stdout_logfile", "stderr_logfile", "pid", "description"], names
assert b"<int>" in body and b"<i4>" not in body, body
call = b"<?xml version='1.0'?><methodCall><methodName>supervisor.getAPIVersion</methodName><params/></methodCall>"
assert raw(call)[0] == 401 and raw(call)[1] == 'Basic realm="default"'
assert raw(call, {"Authorization": "Basic " + base64.b64encode(b"admin:wrong").decode()})[0] == 401
assert raw(call, {"Authorization": "Basic !!!notbase64"})[0] == 401
st, _, body = raw(call, ok)
assert st == 200 and b"3.0" in body, body
assert raw(call, ok, "/RPC2/anything")[0] == 200
assert raw(b"<methodCall><oops", ok)[0] == 400
assert raw(b"\xff\xfe garbage", ok)[0] == 400
assert raw(b"", ok)[0] == 400
assert raw(b"<notxmlrpc/>", ok)[0] == 400
assert raw(b"x" * (3 << 20), ok)[0] == 413
# After shutdown is requested, supervisor.* answers SHUTDOWN_STATE (or the
# daemon is already gone).
assert s.shutdown() is True
try:
    s.getState()
    raise AssertionError("getState answered after shutdown")
except xmlrpc.client.Fault as f:
    assert f.faultCode == 6 and f.faultString == "SHUTDOWN_STATE", f
except (ConnectionError, OSError):
    pass
print("all RPC checks passed")
