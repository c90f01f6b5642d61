"""One ServerProxy (one keep-alive connection) across supervisor.restart():
later calls on it are answered by the restarted daemon."""
import sys
import time
import xmlrpc.client

port = int(sys.argv[1])
proxy = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port)
first_pid = proxy.supervisor.getPID()
assert proxy.supervisor.restart() is True
deadline = time.time() + 20
last = None
while time.time() < deadline:
    try:
        state = proxy.supervisor.getState()
        if state["statename"] == "RUNNING":
            break
    except xmlrpc.client.Fault as f:
        last = f
    time.sleep(0.1)
else:
    sys.exit("still no RUNNING after the restart; last fault: %r" % (last,))
assert proxy.supervisor.getPID() == first_pid
info = proxy.supervisor.getProcessInfo("a")
print("after restart:", info["statename"])
