"""The harness's reading of the runs: what explains each scenario's differences (MECHANISMS,
shown under the scenario in docs/fidelity.md) and what the model gets wrong, with the engine
code to change (ANALYSIS, the report's last section). Written after reading the runs; the
numbers they quote are from the report's own tables."""

MECHANISMS = {
    "fastapi-async-time-sleep":
        "the loop is blocked by `time.sleep` and runs the three tasks one after the other, as "
        "loopsim's event loop (`event_loop.rs`) does: matches to a few ms.",
    "fastapi-async-asyncio-sleep":
        "`await asyncio.sleep` frees the loop; all 50 end together, as simulated. The real "
        "wave is ~40 ms later: the loop's per-request work in a burst (accept, h11 parsing, "
        "the ASGI stack, 50 timers) and the wake-ups after the sleep take longer than the c=1 "
        "calibration's share, within tolerance.",
    "fastapi-def-time-sleep-60":
        "the 40-token `CapacityLimiter` shows exactly: 40 at 1 s, 20 at 2 s, 40 threads. loopsim "
        "charges each `run_in_threadpool` round trip (`server.costs.to_thread_us`, measured here "
        "as the `def` − `async def` hello world), half on the loop and half on the worker thread; "
        "the real waves are still a few tens of ms later: the first 40 calls also start a new "
        "AnyIO worker thread each, and the real connects trickle in over a few ms (loopsim sends "
        "all 60 SYNs at one instant)",
    "fastapi-def-cpu-bound":
        "two threads share one GIL, so two 1 s CPU-bound requests both end at 2 × one. The raw "
        "times follow the VM's speed: the handler threads' own CPU time for the fixed "
        "iteration count (the thread-CPU row) is what the machine gave at that moment; scaled "
        "to the calibrated speed the real run matches loopsim (the \"at the calibrated speed\" "
        "rows). On a quiet machine the two threads' CPU adds up to the wall time: GIL "
        "switching every 5 ms wastes nothing measurable; with other load it loses up to ~15 %.",
    "fastapi-async-cpu-bound":
        "CPU work on the loop serialises the two requests (1 ×, then 2 ×), as simulated; the "
        "raw times follow the VM's speed (scaled to the calibrated speed they match).",
    "fastapi-background-task":
        "the structure matches: the responses go out first, 40 tasks start on 40 threadpool "
        "threads, the 5 others wait for a token and end one sleep later. With the threadpool "
        "round trip charged on the loop, the 45 responses spread over ~25–30 ms in loopsim; the "
        "real spread is ~40–100 ms: creating each of the first 40 AnyIO worker threads "
        "(`Thread.start()` waits for the thread to run) is not charged yet (analysis item 2)",
    "flask-restful-dev-server":
        "a thread per connection (10 threads), all end at 1 s: matches. The original question's "
        "answer holds: Flask's dev server is threaded.",
    "waitress-4-threads":
        "4 threads: 4 at 1 s, 4 at 2 s on 4 threads: matches.",
    "gunicorn-sync-3-workers":
        "one request per worker at a time, 2 + 2 + 2: matches.",
    "gunicorn-uvicorn-3w-async-sleep-burst":
        "every idle worker is woken (asyncio's epoll has no EPOLLEXCLUSIVE); in loopsim they "
        "wake 50 µs apart (`server.costs.wake_us`) in an order drawn from the seed, and each "
        "`accept()`s one connection at a time while any remain, so the first awake takes most of "
        "a small burst and the others the rest (sim 4 + 2 + 0). Observed splits: 3 + 2 + 1, "
        "4 + 1 + 1, 4 + 2 + 0 on a quiet machine; 5 + 1 + 0 and 6 + 0 + 0 when other "
        "processes held the cores. The makespan follows the largest share (4 s sim, 3–5 s real)",
    "gunicorn-uvicorn-3w-async-sleep-staggered":
        "with arrivals 200 ms apart each new connection finds the busy worker not polling (it "
        "sleeps in `time.sleep`) and an idle one takes it; matches loopsim's "
        "`listen.rs::notify_acceptors` (which idle worker wins is random in both).",
    "gunicorn-uvicorn-2w-def-sleep-100":
        "the same race with a `def` route: loopsim's two workers wake 50 µs apart and then "
        "alternate `accept()`s, 51 + 49, so each worker's 40 tokens give two waves (80 at 1 s, "
        "20 at 2 s, 80 threads). The real split varies from run to run (54 + 46 three times, "
        "52 + 48, 61 + 39, 67 + 33, 80 + 20, 83 + 17, 89 + 11 on a quiet machine; 97 + 3 and "
        "70 + 30 under load): with more than 80 on one worker there is a third wave",
    "ab-uvicorn":
        "one loop on one core. The server's CPU per request at c=100 was 0.76–1.07 × the c=1 "
        "calibration across runs (analysis item 3), and the calibration itself moves by ±15 % "
        "between runs on this VM (noise floor below), so the throughput agrees within ~10–30 %. "
        "loopsim has no tail (max = median: constant costs, FIFO everywhere); the real max "
        "is ~1.5 × the median (analysis item 7).",
    "ab-gunicorn-uvicorn-2-workers":
        "two loops on two cores: throughput within 1–14 % on a quiet machine, but through two "
        "errors that cancel: ab itself used ~0.35 core (~75–100 µs per request), which loopsim "
        "does not model (item 6), while the workers needed only 0.7–0.85 × the c=1 CPU per "
        "request (item 3). Under other load the two workers got ≈ 1 core and "
        "reached half loopsim's throughput. The real split varies run to run (1034 + 966 … "
        "1386 + 614): whichever worker is awake drains the queue in one accept batch.",
    "ab-waitress":
        "one GIL for the I/O thread and 4 app threads. The server's CPU per request at c=100 "
        "is 1.07–1.3 × its c=1 figure (GIL hand-offs between the I/O thread and the workers "
        "are futex wake-ups and context switches, which loopsim's GIL does for free: item 3), "
        "and it used slightly more than one core (kernel work outside the GIL: item 4).",
    "ab-flask-dev":
        "werkzeug waits up to 10 ms after each response for leftover request bytes "
        "(`selector.select(timeout=0.01)` in `WSGIRequestHandler.run_wsgi`) before it closes "
        "the connection; ab reads until the close, so the c=1 latency is ~11 ms, not ~1 ms. "
        "loopsim now models that wait (`server.costs.close_wait_us`: the connection's thread "
        "holds the connection, ab sees the close). The c=1 CPU (1.2–1.8 ms) overstates the c=100 CPU (0.53–0.82 ×): a quarter of "
        "it is system time, outside the GIL, which at c=100 overlaps with other threads' "
        "Python (the server used > 1 core) where loopsim serialises all of it under the GIL "
        "(item 4); and at c=1 every request follows a 10 ms idle gap (the drain), after which the "
        "server runs cold (caches, a halted vCPU to wake), which the calibration charges to the "
        "request: measured separately, 1410–1750 µs per request at c=1 but 870 at c=4, 830 at "
        "c=16, 910 at c=100. So loopsim's throughput is 25–50 % low; for this server a "
        "calibration at c=4 would be the fair one (the harness keeps c=1, as specified). loopsim reuses a lane for successive "
        "connection threads, so its thread count is the peak of concurrent threads; werkzeug "
        "starts a new thread for every connection.",
    "ab-gunicorn-sync-4-workers":
        "four processes on two cores give loopsim 2 cores of throughput at the c=1 cost. "
        "Really ab took ~0.4 core (~105–140 µs per request; item 6) and the workers' CPU per "
        "request rose to 1.1–1.4 × the c=1 figure (every idle sync worker is woken for each "
        "connection and context switches among 4 processes on 2 cores: item 3), so the real "
        "throughput is ~55–70 % of loopsim's. The split is uneven (815 + 408 + 393 + 384, "
        "880 + 378 + 376 + 366): a "
        "worker that finishes a request calls `accept()` again before `select()`, so the "
        "worker the OS keeps on a core keeps winning; loopsim shares the cores evenly.",
}

ANALYSIS = """
What holds: every mechanism the presets demonstrate shows on the real servers with the same
counts — the blocked loop (1 s, 2 s, 3 s), `await` (all at 1 s), the 40-token threadpool (40 at
1 s, 20 at 2 s; 40 threads), the GIL (two CPU-bound `def` requests both end at 2 × one, exactly
once the VM's speed is factored out), CPU on the loop (1 ×, 2 ×), BackgroundTasks after the
response (40 + 5 tasks on 40 threads), Flask's dev server threading (the original question: all
at 1 s), waitress's 4 threads (two waves), gunicorn sync workers (2 + 2 + 2), staggered arrivals
over gunicorn's uvicorn workers, and hello-world throughput of uvicorn (one or two workers)
and waitress within the calibration's own run-to-run noise (10–30 %).
Where the real and simulated numbers differ beyond ±10 %, it is one of the following, most
important first. Each names the engine code and a fix (items 1, 5 and 8 are fixed, 2 in part); none fits a
mechanism to outputs: every new parameter is a cost the harness can measure, as it measures
the existing ones.

1. **Fixed: the accept race.** loopsim used to hand a simultaneous burst to the first worker
   awake (one accept op for the whole queue). Now every idle worker is woken (the kernel's
   thundering herd), 50 µs apart in a seeded order (`server.costs.wake_us`, the scheduler's
   wake-up latency), and each accepts one connection per `accept()` while any remain
   (`event_loop.rs::loop_accept_next`), so small bursts land mostly on the first worker awake
   and large ones are shared: 6 on 3 workers now gives 4 + 2 + 0 (real 3 + 2 + 1 … 6 + 0 + 0),
   100 on 2 workers 51 + 49 (real 54 + 46 … 89 + 11). Still missing: a client's
   "simultaneous" connects are spread over ~1 ms (6) to ~25 ms (100) from Python threads.

2. **Partly fixed: the threadpool hand-off.** Each `run_in_threadpool` now costs
   `server.costs.to_thread_us` of CPU (half on the loop before the hand-off, half on the worker
   thread), calibrated here from the `def` − `async def` hello world (140–440 µs). Still
   missing: the first 40 calls also create an AnyIO worker thread (`Thread.start()` blocks the
   loop until the thread runs), which shows in bursts (background-task responses over
   ~40–100 ms real, ~25–30 ms simulated). Fix: a `thread_start_us` added when
   `program.rs::dispatch_anyio` spawns a thread, calibrated from a burst of 40 `def` hellos on
   a fresh worker.

3. **Per-request CPU depends on concurrency; loopsim's costs are constant.** The server's CPU
   per request during `ab -c 100` over its c=1 calibration (four runs): uvicorn 0.76–1.07,
   gunicorn + uvicorn worker 0.71–0.84, Flask dev 0.53–0.82, waitress 1.07–1.30, gunicorn sync
   × 4 1.11–1.40. Three mechanisms, each missing from the engine:
   - asyncio amortises its poll: `event_loop.rs::loop_next` polls for free, but each real
     `_run_once` pays an `epoll_wait` and its bookkeeping; at c=1 a request needs ~4–5
     iterations, at c=100 one iteration serves dozens of callbacks. Fix: a `poll_us` charged on
     the loop thread at each poll that finds work (before running the batch), with the
     per-request costs reduced accordingly; calibrate both from c=1 and c=100 hello worlds.
   - GIL hand-offs cost: `thread.rs::give_gil` / `force_switch` move the GIL for free and the
     next holder runs at once; really it is a futex wake-up and a context switch (waitress's
     I/O thread and its 4 workers hand the GIL over several times per request). Fix: a
     `gil_handoff_us` added to the receiving thread's `cpu_left` in `give_gil` when the holder
     changes, measured by a two-thread GIL ping-pong or from waitress's c=1/c=100 difference.
   - the thundering herd: `listen.rs::notify_acceptors` wakes only as many idle workers as
     there are queued connections, for free; the kernel wakes every worker blocked in
     `select`/`epoll` on the shared socket and all but one find nothing. Fix: wake every idle
     acceptor and charge a `wake_us` (ACT_ACCEPT) to each that finds the queue empty
     (`threaded.rs::sync_next`, `event_loop.rs::loop_next` when `Cb::Accept` gets nothing).

4. **All server cost is GIL-held Python; a quarter of it is kernel time outside the GIL.**
   `thread.rs::thread_cpu` takes the GIL for every cost (`accept`, `parse`, `respond`, `spawn`).
   The calibration's user/system split shows 10–25 % system time (accept, recv, send, close,
   epoll, thread creation: Flask dev 280 of 1180 µs), which runs with the GIL released and
   overlaps on the second core with another thread's Python (Flask dev and waitress used
   slightly more than one core at c=100). Fix: give `Costs` a system share (or `*_sys_us`
   parts) and run it as a core-only op without the GIL (the path `thread_cpu` already has
   for `gil: false`), calibrated from `/proc/<pid>/stat`'s utime/stime as the harness does.

5. **Fixed: werkzeug holds every connection up to 10 ms after the response.**
   `WSGIRequestHandler.run_wsgi` waits up to 10 ms (`selector.select(timeout=0.01)`) before
   closing; loopsim now blocks the connection's thread for `server.costs.close_wait_us`
   (10 ms) after the response when the client waits for the close (ab's closed loop), and
   delivers before it otherwise (browsers stop at Content-Length and close). The same drain
   makes a c=1 calibration of this server misleading: every request follows a 10 ms idle gap
   and runs cold; its CPU per request was 1410–1750 µs at c=1 against 830–910 µs at c=4 … 100.

6. **Nothing else uses the cores.** `cpu.rs::Cores` shares `cores` among the server's threads
   only. In every ApacheBench comparison the client is on the same machine: ab used 75–140 µs
   of CPU per request (0.15–0.45 core at these rates), and on this shared VM other processes
   took up to ~1 core during some runs, when gunicorn's 2 uvicorn workers or 4 sync workers
   reached about one core's throughput, not two. Fix: a load-side `client_cpu_us` per request
   (`load.rs`: a core-only job on `Cores` when a client sends, no GIL) so that `ab -c 100` on
   the server's machine costs what it costs; and say in docs/scenario.md that `cores` means the
   cores free for the server.

7. **No variance.** With constant costs and FIFO queues every request of a closed loop gets the
   same latency (ab on one uvicorn worker: sim max = median) while the real max is ~1.5–3 × the
   median (GC, epoll order, scheduling). Fix: let `costs` and the default `overhead` be
   distributions (the `Dist` type `handler.overhead` already takes), e.g. lognormal with a
   sigma read from the c=1 latency spread.

8. **Fixed: the generated `burn()`** now does a fixed amount of work
   (`int(seconds * ITERATIONS_PER_SECOND)` iterations), as `validation/apps/common.py` does, so
   two GIL-sharing threads take twice as long in the generated app as in loopsim.

9. **The default costs are low for this machine.** `scenario.rs::ServerKind::defaults`
   (uvicorn 295 µs per hello world, Flask dev 580, waitress 320, gunicorn sync 250): the
   calibration table shows 1.1–2 × those, Flask's dev server 2–3 × (thread start, the draining
   selector, werkzeug's request log line). Fix: update the defaults (and their note in
   docs/scenario.md) from the calibration table.

**Noise floor.** This VM's speed drifts: the CPU loop ran at 10–19 M iterations/s over the day
(up to 2 × between runs a few seconds apart), and the calibrated hello-world CPU per request
moved between the six full runs made while building the harness: uvicorn 460–620 µs, gunicorn
+ uvicorn worker 410–660, Flask dev 1180–1810, waitress 360–460, gunicorn sync 300–360. So a
±10 % comparison of CPU-bound throughput is at the edge of what this machine can show; the
mechanisms above are the differences that keep their sign in every run. The CPU-bound burst
scenarios are also shown rescaled to the calibrated speed (by the handler threads' own CPU
time), where they match within a few %.

Reading the ab rows on a shared machine: compare the server's CPU per request during the run
with the calibrated figure (loopsim's input) and look at the CPU other processes took; where
the server got less than `cores`, loopsim's throughput is an upper bound.
"""
