"""One keep-alive HTTP connection across supervisor.restart(): later calls
on that same connection are answered by the restarted daemon. The
connection never reopens by itself (xmlrpc.client's transport would retry
on a fresh one), so a closed connection fails this script."""
import http.client
import sys
import time
import xmlrpc.client

port = int(sys.argv[1])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
conn.auto_open = 0
conn.connect()
local = conn.sock.getsockname()


def call(method, *params):
    conn.request("POST", "/RPC2", body=xmlrpc.client.dumps(params, method), headers={"Content-Type": "text/xml"})
    response = conn.getresponse()
    data = response.read()
    assert response.status == 200, (response.status, data)
    try:
        return xmlrpc.client.loads(data)[0][0]
    except xmlrpc.client.Fault as fault:
        return fault


first_pid = call("supervisor.getPID")
assert call("supervisor.restart") is True
deadline = time.time() + 20
last = None
while time.time() < deadline:
    last = call("supervisor.getState")
    if isinstance(last, dict) and last["statename"] == "RUNNING":
        break
    time.sleep(0.1)
else:
    sys.exit("still no RUNNING after the restart; last answer: %r" % (last,))
assert call("supervisor.getPID") == first_pid
assert conn.sock is not None and conn.sock.getsockname() == local, "the same connection throughout"
print("after restart:", call("supervisor.getProcessInfo", "a")["statename"])
