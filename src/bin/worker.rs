//! The simulation worker's entry point (see `loopsim_app::worker`).

use gloo_worker::Registrable;
use loopsim_app::worker::SimWorker;

fn main() {
    SimWorker::registrar().register();
}
