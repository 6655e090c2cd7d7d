//! The loopsim web app: a Yew playground around the `loopsim-engine` crate.
//!
//! - [`state`]: the application state and its one reducer; [`editor`]: scenario edits.
//! - [`runner`]: the seam to the simulation, which runs in a web worker ([`worker`]) driving
//!   an [`run::ActiveRun`]; [`protocol`]: the messages and the [`protocol::RunView`] result.
//! - [`view`]: pure chart geometry and decimation; [`components`]: presentational components
//!   (props in, callbacks out); [`App`] wires them; `main.rs` only mounts it.

pub mod components;
pub mod downloads;
pub mod editor;
pub mod protocol;
pub mod replay;
pub mod run;
pub mod runner;
pub mod share;
pub mod state;
pub mod storage;
pub mod view;
pub mod worker;

mod app;

pub use app::App;
