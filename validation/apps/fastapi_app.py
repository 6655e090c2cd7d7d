"""The FastAPI app of the fidelity harness: one route per loopsim seed scenario.

Served by `uvicorn fastapi_app:app` or `gunicorn -k uvicorn_worker.UvicornWorker fastapi_app:app`.
Every response says which process and thread served it. Durations come from common.py
(scaled down: 1 s sleeps instead of the original question's 10 s).
"""

import asyncio
import os
import time
from contextlib import asynccontextmanager

from fastapi import BackgroundTasks, FastAPI, Request

import common
from common import SLEEP_S, burn, served


@asynccontextmanager
async def lifespan(app):
    common.mark_ready()
    yield
    common.dump_counts()


app = FastAPI(lifespan=lifespan)


@app.get("/warmup")
async def warmup():
    common.warmed_up()
    return {"ok": True}


@app.get("/warmup-def")
def warmup_def():
    return {"ok": True}


@app.get("/gc-state")
async def gc_state():
    """The collector's counters and generation sizes (the harness reads them before a run)."""
    return common.gc_state()


@app.get("/gc-collect")
async def gc_collect():
    """A timed full collection (calibration: the collector's cost per object examined)."""
    return common.gc_full_timed()


@app.get("/gc-stages-start")
async def gc_stages_start():
    """Calibration: trace the loop's callbacks (the young count around each) from now on."""
    common.stages_start()
    return {"ok": True, "pid": os.getpid()}


@app.get("/gc-stages")
async def gc_stages():
    """Calibration: stop tracing and return it."""
    return common.stages_stop()


@app.get("/hello")
async def hello():
    """Hello world: calibration and the ApacheBench runs."""
    return served()


@app.get("/hello-ts")
async def hello_ts():
    """Hello world with the handler's start time: the order of service under load."""
    return served(time.time())


@app.get("/hello-def")
def hello_def():
    """Hello world as a `def` route: the threadpool round trip's cost (calibration, reported)."""
    return served()


@app.get("/async-time-sleep")
async def async_time_sleep():
    t0 = time.time()
    print(f"Sleeping for {SLEEP_S:g}", flush=True)
    time.sleep(SLEEP_S)  # blocks the event loop
    print("Awake", flush=True)
    return served(t0)


@app.get("/block")
async def block(ms: float = 50.0):
    """Calibration: holds the loop for `ms` (at most 1 s), so that connections queue up and
    its next accept callback takes them all at once (the accept loop's cost per connection)."""
    time.sleep(min(max(ms, 0.0), 1000.0) / 1000)
    return {"ok": True}


@app.get("/async-asyncio-sleep")
async def async_asyncio_sleep():
    t0 = time.time()
    print(f"Sleeping for {SLEEP_S:g}", flush=True)
    await asyncio.sleep(SLEEP_S)
    print("Awake", flush=True)
    return served(t0)


@app.get("/def-time-sleep")
def def_time_sleep():
    t0 = time.time()
    print(f"Sleeping for {SLEEP_S:g}", flush=True)
    time.sleep(SLEEP_S)  # in FastAPI's threadpool (40 tokens)
    print("Awake", flush=True)
    return served(t0)


@app.get("/def-cpu")
def def_cpu():
    t0 = time.time()
    c0 = time.thread_time()
    burn()  # pure Python in a threadpool thread: shares the GIL
    return served(t0, time.thread_time() - c0)


@app.get("/async-cpu")
async def async_cpu():
    t0 = time.time()
    c0 = time.thread_time()
    burn()  # pure Python on the event loop: blocks it
    return served(t0, time.thread_time() - c0)


def sleep_task(rid):
    start = time.time()
    print(f"Sleeping for {SLEEP_S:g}", flush=True)
    time.sleep(SLEEP_S)
    print("Awake", flush=True)
    common.record_background(rid, start, time.time())


@app.get("/background")
async def background(request: Request, background_tasks: BackgroundTasks):
    """async def route scheduling a sync task: Starlette runs it after the response, in the
    threadpool."""
    t0 = time.time()
    background_tasks.add_task(sleep_task, request.headers.get("x-req-id", "?"))
    return served(t0)
