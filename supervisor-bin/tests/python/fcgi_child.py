"""A FastCGI-style child: accepts on the listening socket it was given as
fd 0 and answers each connection with its pid."""
import os
import socket

listener = socket.socket(fileno=0)
assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
while True:
    conn, _ = listener.accept()
    conn.sendall(b"hello from %d\n" % os.getpid())
    conn.close()
