//! loopsim's engine: a deterministic discrete-event simulation of how Python web servers
//! (uvicorn, gunicorn, Flask's dev server, waitress) handle concurrent requests.
//!
//! Pure Rust, no I/O: give it a [`Scenario`], get a [`RunResult`]. The same seed gives the
//! same run on every platform.

#![forbid(unsafe_code)]

pub mod advisor;
pub mod codegen;
pub mod dist;
pub mod export;
pub mod presets;
pub mod record;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod summary;
pub mod time;

mod cpu;
mod event_loop;
mod fds;
mod field;
mod gc;
mod gil;
mod idle;
mod limiter;
mod listen;
mod load;
mod process;
mod program;
mod queue;
mod recv;
pub mod series;

mod sim;
mod thread;
mod threaded;

pub use listen::{SYN_GIVE_UP_S, SYN_RETRY_S};
pub use record::{RequestRecord, Segment, Status, ThreadState};
pub use scenario::{Scenario, ScenarioError, ScenarioErrors};
pub use series::ConcurrencySeries;
pub use sim::{run, LogLine, Progress, RunOptions, RunResult, Simulation};
pub use summary::{HistBin, Summary};
