"""A stock 4.3.0-style event listener (supervisor.childutils): records each
event as 'serial eventname payload' lines in OUTFILE. With MODE=reject-first
it rejects the first delivery of every event, then accepts it; with
crash-first it exits on its first event (once); garbage breaks the protocol;
never-ready never asks for events.

Usage: listener.py OUTFILE MODE
"""
import sys

from supervisor import childutils

outfile, mode = sys.argv[1], sys.argv[2]
seen = set()
if mode == "garbage":
    sys.stdout.write("HELLO!\n")
    sys.stdout.flush()
    sys.stdin.read()
if mode == "never-ready":
    sys.stdin.read()
crashed_marker = outfile + ".crashed"
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    serial = headers["serial"]
    with open(outfile, "a", encoding="utf-8") as f:
        f.write("%s %s %s\n" % (serial, headers["eventname"], payload.replace("\n", "|")))
    if mode == "crash-first":
        import os
        if not os.path.exists(crashed_marker):
            open(crashed_marker, "w").close()
            sys.exit(3)
    if mode == "reject-first" and serial not in seen:
        seen.add(serial)
        childutils.listener.fail(sys.stdout)
    else:
        childutils.listener.ok(sys.stdout)
