"""Shared by the fidelity harness's apps: the CPU loop, who served a request, and per-process
counters the harness reads after a run.

Environment (set by validation/harness/fidelity.py):
  LOOPSIM_SLEEP_S    seconds each `time.sleep` / `asyncio.sleep` lasts (default 1)
  LOOPSIM_CPU_ITERS  iterations of the CPU loop (calibrated to last LOOPSIM_CPU_S alone)
  LOOPSIM_STATS_DIR  where each process writes ready-<pid>, counts-<pid>.json, bg-<pid>.jsonl
  LOOPSIM_TRACE_ACCEPT  if set, each `accept()`'s return time per client port is recorded
                     and written with the counts (calibration of an idle worker's wake-up)
"""

import gc
import json
import os
import sys
import threading
import time

SLEEP_S = float(os.environ.get("LOOPSIM_SLEEP_S", "1"))
CPU_ITERS = int(os.environ.get("LOOPSIM_CPU_ITERS", "1000000"))
STATS_DIR = os.environ.get("LOOPSIM_STATS_DIR", "")

_counts = {}
_lock = threading.Lock()

# The garbage collector's pauses since the last warm-up request: per generation, the number of
# collections, their total and their longest (ms). A collection runs with the GIL held and stops
# every thread of the process.
_gc = {}
_gc_start = [0.0]


def _gc_callback(phase, info):
    gen = info["generation"]
    if phase == "start":
        if _stages is not None and gen < 2:
            # Tracing (calibration only): the objects this young or middle collection examines.
            _partial_examined[0] = sum(len(gc.get_objects(g)) for g in range(gen + 1))
        _gc_start[0] = time.perf_counter()
        return
    ms = (time.perf_counter() - _gc_start[0]) * 1000
    g = _gc.setdefault(str(gen), [0, 0.0, 0.0])
    g[0] += 1
    g[1] += ms
    g[2] = max(g[2], ms)
    if _stages is not None and gen < 2:
        _partial.append((_partial_examined[0], ms))


# The loop's callbacks traced for the calibration (`stages_start` … `stages_stop`): per callback
# name, calls, and over the calls that ran no collection and started with the young count at
# 200 or more (so that CPython's floor of 0 took nothing off), their number and the sum of
# the count's change from their start to the next callback's; over the calls that ran no
# collection, their number and CPU time (ns, the thread's), and of those the ones that ran right
# after a call of the same name (in a batch), their number and CPU time; and each young or
# middle collection's objects examined and pause (ms).
_stages = None
# asyncio's accept callbacks traced: per call that ran no collection, the connections it
# accepted (the tasks it scheduled) and its CPU time (ns).
_accept_calls = []
# Per callback name, by its place in a run of calls of that name (1: after another kind),
# bucketed (`_POS_BUCKETS`): calls and CPU time (ns), over the calls that ran no collection.
_positions = {}
_POS_BUCKETS = (1, 2, 3, 4, 8, 16, 32)
_run = [None, 0]
_partial = []
_partial_examined = [0]
_orig_handle_run = None


# The callback traced last: its name, and the young count and collections as it started.
_pending = [None]


# The loop's iterations while traced: how many, and the loop thread's CPU in them outside the
# callbacks (and outside this tracing): [iterations, thread CPU at start, CPU in traced calls].
_iterations = [0, 0, 0]
_orig_run_once = None


def _traced_run_once(self):
    _iterations[0] += 1
    _orig_run_once(self)


def _traced_handle_run(self):
    t_in = time.thread_time_ns()
    try:
        _traced_handle_run_inner(self)
    finally:
        _iterations[2] += time.thread_time_ns() - t_in


def _traced_handle_run_inner(self):
    # A callback's change of the young count runs from its start to the next one's: the loop
    # frees its handle (and what only the handle held) after it returns, when it takes the
    # next one, and makes the next iteration's I/O handles after `select`.
    count = gc.get_count()[0]
    runs = sum(s["collections"] for s in gc.get_stats()[:2])
    prev = _pending[0]
    if prev is not None:
        name, before, runs0 = prev
        st = _stages.setdefault(name, [0, 0, 0, 0, 0, 0, 0])
        st[0] += 1
        if before >= 200 and runs == runs0:
            st[1] += 1
            st[2] += count - before
    ready = self._loop._ready if self._loop is not None else ()
    queued = len(ready)
    t0 = time.thread_time_ns()
    _orig_handle_run(self)
    cpu_ns = time.thread_time_ns() - t0
    if _stages is None:
        # This callback stopped the tracing (`stages_stop`).
        return
    cb = self._callback
    try:
        # A task's step: name it by its coroutine (`_accept_connection2`, `run_asgi`, …).
        name = cb.__self__.get_coro().__qualname__
    except AttributeError:
        name = getattr(cb, "__qualname__", type(cb).__name__)
    name = name.split(".")[-1]
    _run[1] = _run[1] + 1 if _run[0] == name else 1
    _run[0] = name
    if sum(s["collections"] for s in gc.get_stats()[:2]) == runs:
        b = next((x for x in _POS_BUCKETS if _run[1] <= x), _POS_BUCKETS[-1] + 1)
        pos = _positions.setdefault(name, {}).setdefault(b, [0, 0])
        pos[0] += 1
        pos[1] += cpu_ns
        st = _stages.setdefault(name, [0, 0, 0, 0, 0, 0, 0])
        st[3] += 1
        st[4] += cpu_ns
        if prev is not None and prev[0] == name:
            # Right after a call of the same kind (a batch).
            st[5] += 1
            st[6] += cpu_ns
        if name == "_accept_connection" and len(_accept_calls) < 100_000:
            _accept_calls.append((len(ready) - queued, cpu_ns))
    _pending[0] = (name, count, runs)


def stages_start():
    """Starts tracing the loop's callbacks (asyncio `Handle._run`) and counting its iterations
    (`BaseEventLoop._run_once`)."""
    global _stages, _orig_handle_run, _orig_run_once
    import asyncio.base_events
    import asyncio.events
    if _stages is None:
        _orig_handle_run = asyncio.events.Handle._run
        asyncio.events.Handle._run = _traced_handle_run
        _orig_run_once = asyncio.base_events.BaseEventLoop._run_once
        asyncio.base_events.BaseEventLoop._run_once = _traced_run_once
    _iterations[:] = [0, time.thread_time_ns(), 0]
    _stages = {}
    _pending[0] = None
    _partial.clear()
    _accept_calls.clear()
    _positions.clear()
    _run[:] = [None, 0]


def stages_stop():
    """Stops tracing; returns what it saw."""
    global _stages
    import asyncio.events
    import asyncio.base_events
    loop_ns = time.thread_time_ns() - _iterations[1]
    out = {"pid": os.getpid(), "traced": _stages is not None,
           "stages": _stages or {}, "partial": list(_partial), "accept_calls": list(_accept_calls),
           "positions": {n: {str(b): v for b, v in p.items()} for n, p in _positions.items()},
           "iterations": _iterations[0], "loop_ns": loop_ns,
           "outside_callbacks_ns": loop_ns - _iterations[2]}
    if _stages is not None:
        asyncio.events.Handle._run = _orig_handle_run
        asyncio.base_events.BaseEventLoop._run_once = _orig_run_once
        _stages = None
    return out


gc.callbacks.append(_gc_callback)

# When each `accept()` returned (epoch s) per client port: every server's accept goes through
# `socket.socket.accept` (asyncio's accept loop, werkzeug's and gunicorn's `accept`,
# waitress's dispatcher).
_accepts = {}
if os.environ.get("LOOPSIM_TRACE_ACCEPT"):
    import socket as _socket

    _orig_accept = _socket.socket.accept

    def _traced_accept(self):
        conn, addr = _orig_accept(self)
        if len(_accepts) < 10_000:
            _accepts[addr[1]] = time.time()
        return conn, addr

    _socket.socket.accept = _traced_accept


def warmed_up():
    """Called by the warm-up route: the GC statistics and the lingering closes cover what
    comes after it."""
    _gc.clear()
    _linger.clear()


# gunicorn 27 closes each connection gracefully (`util.close_graceful`, RFC 9112 §9.6): it
# shuts its side after the response and reads until the client closes (at most 2 s). Under
# gunicorn every such close is timed (when it ended, epoch s, and how long it took, µs; the
# first 100 000): loopsim's `server.close_linger`.
_linger = []


def trace_close_linger():
    """Times gunicorn's graceful closes in this process (a no-op outside gunicorn)."""
    if "gunicorn" not in sys.modules:
        return
    from gunicorn import util

    orig = util.close_graceful

    def timed(sock, *args, **kwargs):
        t0 = time.perf_counter_ns()
        try:
            return orig(sock, *args, **kwargs)
        finally:
            if len(_linger) < 100_000:
                _linger.append((time.time(), (time.perf_counter_ns() - t0) / 1000))

    util.close_graceful = timed


def burn(iters=None):
    """Pure-Python CPU work: a fixed number of iterations (not a wall-clock deadline, so two
    threads sharing the GIL each still do all of their work)."""
    x = 0
    for _ in range(CPU_ITERS if iters is None else iters):
        x = (x * 31 + 7) % 1_000_003
    return x


def served(started=None, cpu_s=None):
    """Who served this request (pid, thread), counted per process; the response body.
    `started`: when the handler began (epoch s); `cpu_s`: the CPU time its thread used."""
    t = threading.current_thread()
    tid = threading.get_native_id()
    key = f"{t.name}#{tid}"
    with _lock:
        _counts[key] = _counts.get(key, 0) + 1
    body = {"pid": os.getpid(), "thread": t.name, "tid": tid}
    if started is not None:
        body["t_start"] = started
        body["t_end"] = time.time()
    if cpu_s is not None:
        body["cpu_s"] = cpu_s
    return body


def mark_ready():
    if STATS_DIR:
        with open(os.path.join(STATS_DIR, f"ready-{os.getpid()}"), "w") as f:
            f.write(str(time.time()))


def dump_counts():
    """Writes this process's per-thread request counts (called at shutdown)."""
    if STATS_DIR:
        with _lock:
            data = {"pid": os.getpid(), "threads": dict(_counts), "gc": dict(_gc),
                    "accepts": dict(_accepts), "linger_us": list(_linger)}
        with open(os.path.join(STATS_DIR, f"counts-{os.getpid()}.json"), "w") as f:
            json.dump(data, f)


def record_background(rid, start, end):
    """A background task ran from `start` to `end` (epoch seconds)."""
    if STATS_DIR:
        t = threading.current_thread()
        line = json.dumps({"rid": rid, "pid": os.getpid(), "thread": t.name,
                           "tid": threading.get_native_id(), "start": start, "end": end})
        with open(os.path.join(STATS_DIR, f"bg-{os.getpid()}.jsonl"), "a") as f:
            f.write(line + "\n")


def gc_state():
    """The collector's state: its counters (`gc.get_count()`: net allocations since the last
    collection, collections of the generation below since this one's), the objects in each
    generation, and its thresholds."""
    return {"count": list(gc.get_count()),
            "gens": [len(gc.get_objects(g)) for g in range(3)],
            "threshold": list(gc.get_threshold()),
            # Collections per generation since the start (automatic and gc.collect()).
            "collections": [s["collections"] for s in gc.get_stats()]}


def gc_full_timed():
    """A full collection, timed: its pause (ms) and the objects it examined."""
    examined = sum(len(gc.get_objects(g)) for g in range(3))
    t0 = time.perf_counter()
    gc.collect()
    return {"ms": (time.perf_counter() - t0) * 1000, "examined": examined,
            "after": len(gc.get_objects(2))}
