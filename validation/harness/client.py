"""The harness's HTTP client: bursts (k simultaneous requests, or at offsets) and ab-style closed
loops, on raw sockets (one connection per request, `Connection: close`, as a browser tab or
`ab` without -k), recording per request: when it was sent, connected and finished, the status,
and who served it (the JSON body's pid and thread).

Client overhead is kept low: one thread per client, connections opened and requests written
with plain sockets, the response read until its Content-Length is complete (not until the
server closes: uvicorn runs background tasks after the body, on the same connection).

Usable from Python (`burst`, `closed`) or as a script:
    python client.py burst  --port 8000 --path /hello --clients 10 [--offsets-ms 0,100,...]
    python client.py closed --port 8000 --path /hello -n 2000 -c 100
"""

import argparse
import json
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
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if not lines or not lines[0].startswith("HTTP/"):
            raise OSError(f"bad response: {buf[:80]!r}")
        rec["status"] = int(lines[0].split()[1])
        length = None
        for line in lines[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip())
        while length is None or len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        rec["finished"] = time.time()
        try:
            rec["body"] = json.loads(body[:length] if length is not None else body)
        except ValueError:
            rec["body"] = None
    except OSError as e:
        rec["error"] = str(e)
        rec["finished"] = time.time()
    finally:
        s.close()
    return rec


def burst(port, path, clients=None, offsets_ms=None, start_delay=0.2, cpu=None):
    """Clients each send one request at `t0 + offset` (all at t0 when no offsets are given).
    Returns (t0, records). `cpu`: a list, to which this process's CPU seconds from t0 to the
    last response are appended (the client's own work during the burst, its threads' start
    excluded)."""
    offsets = list(offsets_ms) if offsets_ms is not None else [0.0] * clients
    records = [None] * len(offsets)
    t0 = time.time() + start_delay

    def one(i):
        at = t0 + offsets[i] / 1000.0
        # Sleep most of the way, then spin: threads leave together within ~0.1 ms.
        while True:
            left = at - time.time()
            if left <= 0:
                break
            time.sleep(left - 0.002 if left > 0.003 else 0)
        records[i] = _request(port, path, i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(offsets))]
    for t in threads:
        t.start()
    time.sleep(max(0.0, t0 - time.time()))
    c0 = time.process_time()
    for t in threads:
        t.join()
    if cpu is not None:
        cpu.append(time.process_time() - c0)
    for i, r in enumerate(records):
        r["offset_ms"] = offsets[i]
    return t0, records


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
