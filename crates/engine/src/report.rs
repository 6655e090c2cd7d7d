//! The ApacheBench-style text report, as `ab` prints it (format strings follow ab.c), so that a
//! simulated run reads like the real benchmark. The CLI and the app print the same text.

use std::fmt::Write;

use crate::scenario::Load;
use crate::sim::RunResult;
use crate::summary::{ColumnStats, Summary, AB_PERCENTILES};

/// ab's `ap_round_ms`: whole milliseconds, rounded.
fn round_ms(ms: f64) -> i64 {
    (ms + 0.5).floor() as i64
}

fn conf_row(label: &str, c: &ColumnStats) -> String {
    format!(
        "{label:<12}{:5} {:4} {:5.1} {:6} {:7}\n",
        round_ms(c.min),
        round_ms(c.mean),
        c.sd,
        round_ms(c.median),
        round_ms(c.max)
    )
}

fn percentile(s: &Summary, p: u32) -> f64 {
    match p {
        50 => s.p50_ms,
        66 => s.p66_ms,
        75 => s.p75_ms,
        80 => s.p80_ms,
        90 => s.p90_ms,
        95 => s.p95_ms,
        98 => s.p98_ms,
        99 => s.p99_ms,
        _ => s.max_ms,
    }
}

/// The report for a finished run.
pub fn ab_report(r: &RunResult) -> String {
    let s = &r.summary;
    let sc = &r.scenario;
    let cfg = sc.server.resolve();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "This is loopsim: a simulated ApacheBench run (numbers from the model, not a real server)"
    );
    if let Some(name) = &sc.name {
        let _ = writeln!(o, "Scenario:               {name}");
    }
    let _ = writeln!(o);
    let workers = if cfg.workers > 1 {
        format!(", {} workers", cfg.workers)
    } else {
        String::new()
    };
    let _ = writeln!(o, "Server Software:        {}{workers}", cfg.kind.title());
    let speed = match &cfg.cpu_speed {
        Some(s) => format!(
            ", speed varying (sigma {}, held ~{} ms)",
            s.sigma, s.hold_ms
        ),
        None => String::new(),
    };
    let _ = writeln!(
        o,
        "Server Model:           {} cores{speed}, {}",
        cfg.cores,
        if cfg.gil {
            "GIL"
        } else {
            "free-threaded (no GIL)"
        }
    );
    let _ = writeln!(o, "Document Path:          /");
    let _ = writeln!(o);
    let concurrency = match &sc.load {
        Load::Closed { concurrency, .. } => {
            let _ = writeln!(o, "Concurrency Level:      {concurrency}");
            *concurrency as f64
        }
        Load::Burst { .. } => {
            let n = sc.load.request_count();
            let _ = writeln!(o, "Concurrency Level:      {n} (burst)");
            n as f64
        }
        Load::Open {
            rate_per_s,
            duration_s,
            ..
        } => {
            let _ = writeln!(
                o,
                "Concurrency Level:      open loop, {rate_per_s} req/s for {duration_s} s"
            );
            0.0
        }
    };
    let taken = s.makespan_ms / 1000.0;
    let _ = writeln!(o, "Time taken for tests:   {taken:.3} seconds");
    let _ = writeln!(o, "Complete requests:      {}", s.completed);
    let _ = writeln!(o, "Failed requests:        {}", s.failed);
    if s.failed > 0 {
        let _ = writeln!(
            o,
            "   (Timeout: {}, Connect: {}, Worker killed: {}, Never answered: {})",
            s.failed_client_timeout, s.failed_connect, s.failed_worker_killed, s.failed_unfinished
        );
    }
    if s.syn_drops > 0 {
        let _ = writeln!(o, "SYNs dropped (backlog full): {}", s.syn_drops);
    }
    if cfg.gc.is_some() {
        let g = crate::record::GcTotals::of(&r.workers);
        let [young, middle, full] = g.collections;
        let _ = writeln!(
            o,
            "Garbage collections:    {young} young, {middle} middle, {full} full; paused {:.3} ms (longest {:.3} ms)",
            g.pause_total as f64 / 1e6,
            g.pause_max as f64 / 1e6
        );
    }
    let done = s.completed.max(1) as f64;
    let rps = if taken > 0.0 {
        s.completed as f64 / taken
    } else {
        0.0
    };
    let _ = writeln!(o, "Requests per second:    {rps:.2} [#/sec] (mean)");
    let per = if concurrency > 0.0 {
        concurrency * taken * 1000.0 / done
    } else {
        s.mean_ms
    };
    let _ = writeln!(o, "Time per request:       {per:.3} [ms] (mean)");
    let _ = writeln!(
        o,
        "Time per request:       {:.3} [ms] (mean, across all concurrent requests)",
        taken * 1000.0 / done
    );
    if s.completed == 0 {
        let _ = writeln!(o, "\nNo request completed.");
        return o;
    }
    let _ = writeln!(o, "\nConnection Times (ms)");
    let _ = writeln!(o, "              min  mean[+/-sd] median   max");
    o.push_str(&conf_row("Connect:", &s.connect));
    o.push_str(&conf_row("Processing:", &s.processing));
    o.push_str(&conf_row("Waiting:", &s.waiting));
    o.push_str(&conf_row("Total:", &s.total));
    let _ = writeln!(
        o,
        "\nPercentage of the requests served within a certain time (ms)"
    );
    for p in AB_PERCENTILES {
        let v = round_ms(percentile(s, p));
        if p >= 100 {
            let _ = writeln!(o, " 100%  {v:5} (longest request)");
        } else {
            let _ = writeln!(o, "  {p}%  {v:5}");
        }
    }
    if !s.exact_percentiles {
        let _ = writeln!(
            o,
            "(percentiles from a histogram: within {:.2} % of the exact values)",
            crate::summary::HISTOGRAM_RELATIVE_ERROR * 100.0
        );
    }
    // Not in ab: where the completed requests' time went (loopsim sees inside the server).
    let total = s.time_split_ns.total().max(1) as f64;
    let _ = writeln!(
        o,
        "\nWhere the time went (mean per completed request, ms; share of the total)"
    );
    for (name, ns) in s.time_split_ns.parts() {
        if ns > 0 {
            let _ = writeln!(
                o,
                "  {:<20}{:>10.3}  {:>5.1} %",
                format!("{name}:"),
                ns as f64 / 1e6 / done,
                ns as f64 / total * 100.0
            );
        }
    }
    o
}
