//! Field deserializers that name the field and its allowed range when a JSON value has the
//! wrong type (a string for a number, a fraction or a huge number for a count). serde cannot
//! report a path inside internally tagged objects (`load`, durations), so the field's name
//! travels in the message, before [`SEP`]; `Scenario::from_json` joins it to the path.

use serde::de::Error;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Separates the field name from the message in an error.
pub(crate) const SEP: char = '\u{1f}';

fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// A JSON number that is a whole `u32` (ranges are checked by `validate`).
fn as_whole(v: &Value) -> Option<u32> {
    v.as_f64()
        .filter(|x| x.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(x))
        .map(|x| x as u32)
}

pub(crate) fn whole<'de, D: Deserializer<'de>>(
    d: D,
    field: &str,
    range: (u32, u32),
) -> Result<u32, D::Error> {
    let v = Value::deserialize(d)?;
    match as_whole(&v) {
        Some(x) => Ok(x),
        None => Err(D::Error::custom(format!(
            "{field}{SEP}must be a whole number between {} and {} (got {})",
            range.0,
            range.1,
            shown(&v)
        ))),
    }
}

pub(crate) fn number<'de, D: Deserializer<'de>>(
    d: D,
    field: &str,
    range: (f64, f64),
) -> Result<f64, D::Error> {
    let v = Value::deserialize(d)?;
    v.as_f64().ok_or_else(|| {
        D::Error::custom(format!(
            "{field}{SEP}must be a number between {} and {} (got {})",
            range.0,
            range.1,
            shown(&v)
        ))
    })
}

/// `fn name(d) -> Result<u32>` for a count field with its range.
macro_rules! whole_field {
    ($name:ident, $field:literal, $range:expr) => {
        pub(crate) fn $name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
            $crate::field::whole(d, $field, $range)
        }
    };
}

/// The same for an optional count.
macro_rules! opt_whole_field {
    ($name:ident, $field:literal, $range:expr) => {
        pub(crate) fn $name<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Option<u32>, D::Error> {
            $crate::field::whole(d, $field, $range).map(Some)
        }
    };
}

macro_rules! number_field {
    ($name:ident, $field:literal, $range:expr) => {
        pub(crate) fn $name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
            $crate::field::number(d, $field, $range)
        }
    };
}

macro_rules! opt_number_field {
    ($name:ident, $field:literal, $range:expr) => {
        pub(crate) fn $name<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Option<f64>, D::Error> {
            $crate::field::number(d, $field, $range).map(Some)
        }
    };
}

use crate::scenario::limits as l;

whole_field!(requests, "requests", l::REQUESTS);
whole_field!(concurrency, "concurrency", l::CONCURRENCY);
opt_whole_field!(clients, "clients", l::CLIENTS);
number_field!(rate_per_s, "rate_per_s", l::RATE_PER_S);
number_field!(duration_s, "duration_s", l::DURATION_S);
number_field!(interval_ms, "interval_ms", l::OFFSET_MS);
opt_number_field!(timeout_ms, "timeout_ms", l::TIMEOUT_MS);
number_field!(ms, "ms", l::DURATION_MS);
number_field!(min_ms, "min_ms", l::DURATION_MS);
number_field!(max_ms, "max_ms", l::DURATION_MS);
number_field!(mean_ms, "mean_ms", l::DURATION_MS);
number_field!(median_ms, "median_ms", l::DURATION_MS);
number_field!(sigma, "sigma", l::SIGMA);
opt_whole_field!(workers, "workers", l::WORKERS);
opt_whole_field!(threads, "threads", l::THREADS);
opt_whole_field!(cores, "cores", l::CORES);
opt_whole_field!(backlog, "backlog", l::BACKLOG);
opt_whole_field!(connection_limit, "connection_limit", l::CONNECTION_LIMIT);
opt_whole_field!(process_pool, "process_pool", l::PROCESS_POOL);
opt_whole_field!(db_pool, "db_pool", l::DB_POOL);
opt_number_field!(
    switch_interval_ms,
    "switch_interval_ms",
    l::SWITCH_INTERVAL_MS
);
opt_number_field!(worker_timeout_s, "worker_timeout_s", l::WORKER_TIMEOUT_S);
opt_number_field!(restart_ms, "restart_ms", l::RESTART_MS);
opt_number_field!(accept_us, "accept_us", l::COST_US);
opt_number_field!(accept_call_us, "accept_call_us", l::COST_US);
opt_number_field!(cold_read_us, "cold_read_us", l::COST_US);
opt_number_field!(cold_task_us, "cold_task_us", l::COST_US);
opt_number_field!(cold_accept_us, "cold_accept_us", l::COST_US);
opt_number_field!(cold_setup_us, "cold_setup_us", l::COST_US);
opt_number_field!(gil_handoff_us, "gil_handoff_us", l::COST_US);
opt_number_field!(iteration_us, "iteration_us", l::COST_US);
opt_number_field!(parse_us, "parse_us", l::COST_US);
opt_number_field!(setup_us, "setup_us", l::COST_US);
opt_number_field!(respond_us, "respond_us", l::COST_US);
opt_number_field!(spawn_us, "spawn_us", l::COST_US);
opt_number_field!(client_cpu_us, "client_cpu_us", l::COST_US);
opt_number_field!(client_send_us, "client_send_us", l::COST_US);
opt_number_field!(wake_us, "wake_us", l::COST_US);
opt_number_field!(idle_wake_us, "idle_wake_us", l::COST_US);
opt_number_field!(deep_wake_us, "deep_wake_us", l::COST_US);
opt_number_field!(cold_cpu_us, "cold_cpu_us", l::COST_US);
opt_number_field!(deep_idle_ms, "deep_idle_ms", l::DEEP_IDLE_MS);
opt_number_field!(wake_sigma, "wake_sigma", l::WAKE_SIGMA);
opt_number_field!(cold_task_decay, "cold_task_decay", l::COLD_TASK_DECAY);
opt_number_field!(client_cold_us, "client_cold_us", l::COST_US);
opt_number_field!(client_cold_send_us, "client_cold_send_us", l::COST_US);
opt_number_field!(to_thread_us, "to_thread_us", l::COST_US);
opt_number_field!(close_wait_us, "close_wait_us", l::COST_US);
opt_number_field!(kernel_share, "kernel_share", l::KERNEL_SHARE);
opt_number_field!(fd_grow_us, "fd_grow_us", l::COST_US);
opt_number_field!(fd_grow_sigma, "fd_grow_sigma", l::FD_GROW_SIGMA);
opt_whole_field!(open_fds, "open", l::OPEN_FDS);
opt_whole_field!(warm_threads, "warm_threads", l::THREADS);

/// `server.fds.table`: a list of whole numbers (each checked by `validate`).
pub(crate) fn fd_table<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u32>>, D::Error> {
    let v = Value::deserialize(d)?;
    let list = v
        .as_array()
        .and_then(|a| a.iter().map(as_whole).collect::<Option<Vec<u32>>>());
    list.map(Some).ok_or_else(|| {
        D::Error::custom(format!(
            "table{SEP}must be a list of powers of two between {} and {}, one per worker (got {})",
            l::FD_TABLE.0,
            l::FD_TABLE.1,
            shown(&v)
        ))
    })
}
whole_field!(objects_per_request, "objects_per_request", l::GC_OBJECTS);
whole_field!(garbage_per_request, "garbage_per_request", l::GC_OBJECTS);
whole_field!(objects_on_read, "objects_on_read", l::GC_OBJECTS);
whole_field!(heap_objects, "heap_objects", l::GC_HEAP);
number_field!(ns_per_object, "ns_per_object", l::GC_NS_PER_OBJECT);
opt_number_field!(
    partial_ns_per_object,
    "partial_ns_per_object",
    l::GC_NS_PER_OBJECT
);
opt_whole_field!(pending, "pending", l::GC_HEAP);
number_field!(speed_sigma, "sigma", l::SPEED_SIGMA);
number_field!(hold_ms, "hold_ms", l::SPEED_HOLD_MS);

pub(crate) fn seed<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    v.as_u64().ok_or_else(|| {
        D::Error::custom(format!(
            "seed{SEP}must be a whole number between 0 and {} (got {})",
            u64::MAX,
            shown(&v)
        ))
    })
}
