"""The harness's HTTP client: bursts (k simultaneous requests, or at offsets) and ab-style closed
loops, on raw sockets (one connection per request, `Connection: close`, as a browser tab or
`ab` without -k), recording per request: when it was sent, connected and finished, the status,
and who served it (the JSON body's pid and thread).

Client overhead is kept low: a burst is one thread sending on non-blocking sockets (the
client loopsim models), a closed loop one thread per connection; requests are written with
plain sockets and each response read until its Content-Length is complete (not until the
server closes: uvicorn runs background tasks after the body, on the same connection).

Usable from Python (`burst`, `closed`) or as a script:
    python client.py burst  --port 8000 --path /hello --clients 10 [--offsets-ms 0,100,...]
    python client.py closed --port 8000 --path /hello -n 2000 -c 100
"""

import argparse
import errno
import json
import os
import selectors
import socket
import sys
import threading
import time

HOST = "127.0.0.1"


def _request(port, path, rid, host=HOST, timeout=120.0):
    """One request on a new connection. Returns a record (times are epoch seconds)."""
    rec = {"id": rid, "path": path, "sent": time.time(), "connected": None,
           "finished": None, "status": None, "error": None, "body": None}
    try:
        s = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        rec["error"] = f"connect: {e}"
        rec["finished"] = time.time()
        return rec
    try:
        rec["connected"] = time.time()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nX-Req-Id: {rid}\r\n"
                   f"Connection: close\r\n\r\n").encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            buf += chunk
            done, error = _parse(rec, buf, closed=not chunk)
            if done:
                rec["error"] = error
                break
        rec["finished"] = time.time()
    except OSError as e:
        rec["error"] = str(e)
        rec["finished"] = time.time()
    finally:
        s.close()
    return rec


def burst(port, path, clients=None, offsets_ms=None, start_delay=0.2, cpu=None, host=HOST,
          timeout=120.0, send_cpu=None):
    """Clients each send one request at `t0 + offset` (all at t0 when no offsets are given).
    Returns (t0, records). `cpu`: a list, to which this process's CPU seconds from t0 to the
    last response are appended (the client's own work during the burst); `send_cpu`: one to
    which those from t0 to the last send are appended.

    One thread and non-blocking sockets: the requests that are due leave one after another
    (connect, then the request's bytes, ~0.1 ms each in Python), and responses are read as they
    come, between sends. This is the client loopsim models (`load.client_cpu_us`: one process
    of serial sends on the server's cores); a thread per client would send in clumps as the
    GIL passes between the threads, and a connection's bytes could follow its handshake by
    milliseconds."""
    offsets = list(offsets_ms) if offsets_ms is not None else [0.0] * clients
    n = len(offsets)
    records = [{"id": i, "path": path, "sent": None, "syn": None, "connected": None, "finished": None,
                "status": None, "error": None, "body": None, "offset_ms": offsets[i]}
               for i in range(n)]
    order = sorted(range(n), key=lambda i: offsets[i])
    request = [(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nX-Req-Id: {i}\r\n"
                f"Connection: close\r\n\r\n").encode() for i in range(n)]
    sel = selectors.DefaultSelector()
    conns = {}  # fd -> _Conn

    def end(c, error=None):
        c.rec["finished"] = time.time()
        if error is not None:
            c.rec["error"] = error
        sel.unregister(c.sock)
        c.sock.close()
        del conns[c.fd]

    def send(c):
        try:
            c.sock.send(request[c.rec["id"]])
        except (BlockingIOError, InterruptedError):
            return False  # the handshake is not done: when the socket is writable
        c.rec["connected"] = time.time()
        sel.modify(c.sock, selectors.EVENT_READ, c)
        return True

    t0 = time.time() + start_delay
    time.sleep(max(0.0, t0 - time.time()))
    c0 = time.process_time()
    deadline = t0 + max(offsets, default=0.0) / 1000.0 + timeout
    nxt = 0
    while nxt < n or conns:
        now = time.time()
        while nxt < n and t0 + offsets[order[nxt]] / 1000.0 <= now:
            i = order[nxt]
            nxt += 1
            rec = records[i]
            rec["sent"] = time.time()
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            err = sock.connect_ex((host, port))
            # On loopback the handshake completes inside connect(): the connection is queued
            # on the server's listening socket by now.
            rec["syn"] = time.time()
            if err not in (0, errno.EINPROGRESS):
                rec["error"] = f"connect: {os.strerror(err)}"
                rec["finished"] = time.time()
                sock.close()
                continue
            rec["port"] = sock.getsockname()[1]
            c = _Conn(sock, rec)
            conns[c.fd] = c
            sel.register(sock, selectors.EVENT_WRITE, c)
            try:
                send(c)
            except OSError as e:
                end(c, f"connect: {e}")
            if nxt == n and send_cpu is not None:
                send_cpu.append(time.process_time() - c0)
            now = time.time()
        if now > deadline:
            for c in list(conns.values()):
                end(c, "timed out")
            break
        wait = deadline - now
        if nxt < n:
            wait = min(wait, max(0.0, t0 + offsets[order[nxt]] / 1000.0 - now))
        for key, mask in sel.select(timeout=wait):
            c = key.data
            if c.fd not in conns:
                continue
            try:
                if c.rec["connected"] is None:
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        end(c, f"connect: {os.strerror(err)}")
                    else:
                        send(c)
                    continue
                chunk = c.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                end(c, str(e))
                continue
            c.buf += chunk
            done, error = _parse(c.rec, c.buf, closed=not chunk)
            if done:
                end(c, error)
    sel.close()
    if cpu is not None:
        cpu.append(time.process_time() - c0)
    return t0, records


class _Conn:
    """One burst request's connection: its socket, record, and the bytes read so far."""

    def __init__(self, sock, rec):
        self.sock, self.rec, self.fd, self.buf = sock, rec, sock.fileno(), b""


def _parse(rec, buf, closed):
    """Fill `rec` from the response bytes `buf` once complete (the head and Content-Length
    bytes of body, or the connection closed). Returns (done, error)."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return (True, f"bad response: {buf[:80]!r}") if closed else (False, None)
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/"):
        return True, f"bad response: {buf[:80]!r}"
    length = None
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    if length is not None and len(body) < length and not closed:
        return False, None
    rec["status"] = int(lines[0].split()[1])
    try:
        rec["body"] = json.loads(body[:length] if length is not None else body)
    except ValueError:
        rec["body"] = None
    return True, None


def closed(port, path, n, c):
    """ab-style closed loop: c connections, each sends its next request when the previous one
    ends, n in all. Returns (t0, records)."""
    records = []
    lock = threading.Lock()
    issued = [0]
    t0 = time.time()

    def loop():
        while True:
            with lock:
                if issued[0] >= n:
                    return
                rid = issued[0]
                issued[0] += 1
            r = _request(port, path, rid)
            with lock:
                records.append(r)

    threads = [threading.Thread(target=loop) for _ in range(c)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return t0, records


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mode", choices=["burst", "closed"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/hello")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--offsets-ms", default=None)
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("-c", type=int, default=10)
    a = ap.parse_args()
    if a.mode == "burst":
        offs = [float(x) for x in a.offsets_ms.split(",")] if a.offsets_ms else None
        t0, recs = burst(a.port, a.path, a.clients, offs)
    else:
        t0, recs = closed(a.port, a.path, a.n, a.c)
    json.dump({"t0": t0, "requests": recs}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
