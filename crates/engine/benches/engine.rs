//! `ab -n 1000000 -c 1000` on the uvicorn preset: wall time and events per second.
//! Run with `cargo bench -p loopsim-engine`; not part of the test command.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loopsim_engine::{presets, scenario::Load, RunOptions, Simulation};

fn scenario(requests: u32) -> loopsim_engine::Scenario {
    let mut s = presets::find("ab-uvicorn").expect("preset").scenario();
    s.load = Load::Closed {
        requests,
        concurrency: 1000,
        keep_alive: false,
        timeout_ms: None,
        client_cpu_us: None,
        client_send_us: None,
        client_cold_us: None,
        client_cold_send_us: None,
    };
    s
}

fn stats_only() -> RunOptions {
    RunOptions {
        keep_requests: Some(0),
        segment_window: None,
        max_segments: 0,
        keep_logs: false,
    }
}

fn run(s: &loopsim_engine::Scenario, opts: RunOptions) -> u64 {
    let mut sim = Simulation::new(s, opts).expect("valid scenario");
    while !sim.step(1 << 20) {}
    sim.finish().summary.events
}

fn bench(c: &mut Criterion) {
    let s = scenario(1_000_000);
    let events = run(&s, stats_only());
    let mut g = c.benchmark_group("ab-uvicorn -n 1000000 -c 1000");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events));
    g.bench_function("statistics only", |b| b.iter(|| run(&s, stats_only())));
    g.bench_function("every request and segment kept", |b| {
        b.iter(|| run(&s, RunOptions::default()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
