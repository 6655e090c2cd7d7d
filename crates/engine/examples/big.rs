//! Times `ab -n 1000000 -c 1000` on the uvicorn preset (statistics only, no detail kept).
use loopsim_engine::{presets, scenario::Load, RunOptions, Simulation};

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(1_000_000);
    let mut s = presets::find("ab-uvicorn").unwrap().scenario();
    s.load = Load::Closed {
        requests: n,
        concurrency: 1000,
        keep_alive: false,
        timeout_ms: None,
        client_cpu_us: None,
        client_send_us: None,
        client_cold_us: None,
        client_cold_send_us: None,
    };
    let opts = RunOptions {
        keep_requests: Some(0),
        max_segments: 0,
        keep_logs: false,
        segment_window: None,
    };
    let t = std::time::Instant::now();
    let mut sim = Simulation::new(&s, opts).unwrap();
    while !sim.step(1 << 20) {}
    let r = sim.finish();
    let el = t.elapsed();
    println!(
        "{} requests, {} events in {:?}: {:.1} M events/s; rps {:.0} p50 {:.1} ms",
        r.summary.completed,
        r.summary.events,
        el,
        r.summary.events as f64 / el.as_secs_f64() / 1e6,
        r.summary.rps,
        r.summary.p50_ms
    );
}
