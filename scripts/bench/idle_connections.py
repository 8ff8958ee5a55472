"""Opens N keep-alive connections, makes one request on each, keeps them idle, prints the server's RSS."""
import socket, sys, time

port, count, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sockets = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
    sockets.append(s)
answered = 0
for s in sockets:
    s.settimeout(5)
    if s.recv(4096).startswith(b"HTTP/1.1 200"):
        answered += 1
time.sleep(1)
rss = hwm = 0
with open(f"/proc/{pid}/status") as f:
    for line in f:
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
print(f"{answered} {rss} {hwm}")
for s in sockets:
    s.close()
