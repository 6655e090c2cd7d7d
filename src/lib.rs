//! The loopsim web app: a Yew shell around the `loopsim-engine` crate.
//!
//! - [`state`] holds the pure application state and its reducer.
//! - [`runner`] is the one place that calls into the engine.
//! - [`components`] are presentational: props in, callbacks out.
//! - [`App`] wires them together; `main.rs` only mounts it.

pub mod components;
pub mod runner;
pub mod state;

mod app;

pub use app::App;
