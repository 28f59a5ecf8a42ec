//! Engines and their common result types. An engine only chooses which process steps next; the
//! World, the programs and the properties are shared. Each engine crate is imported in exactly one
//! file here: `loom.rs` (loom), `shuttle.rs` (shuttle); `native.rs` needs none (its frontier
//! holds the World's own compact encoding, `world::codec`).

mod expand;
mod fpset;
pub mod loom;
pub mod native;
mod recorder;
pub mod shuttle;
mod states;

mod options;
mod progress;
mod report;

use crate::scenario::Scenario;
pub use crate::trace::{Counterexample, Engine, EngineInfo};
pub use options::*;
pub use progress::*;
pub use report::*;

/// Run an engine.
pub fn run(sc: &Scenario, opts: &Options) -> Result<Report, ExploreError> {
    match opts.engine {
        Engine::Native => Ok(native::explore(sc, opts)),
        Engine::Loom => loom::explore(sc, opts),
        Engine::Shuttle => shuttle::explore(sc, opts),
    }
}
