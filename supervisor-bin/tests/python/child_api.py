"""Run as a supervised child: reach supervisord through SUPERVISOR_SERVER_URL
with 4.3.0's childutils, and print what it says about us."""
import os

from supervisor import childutils

rpc = childutils.getRPCInterface(os.environ)
me = rpc.supervisor.getProcessInfo(os.environ["SUPERVISOR_PROCESS_NAME"])
print("state=%s url=%s me=%s" % (rpc.supervisor.getState()["statename"], os.environ["SUPERVISOR_SERVER_URL"], me["name"]))
