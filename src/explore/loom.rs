//! loom backend (being written).
use super::{Options, Report};
use crate::scenario::Scenario;

/// Explore with loom.
pub fn explore(_sc: &Scenario, _opts: &Options) -> Result<Report, anyhow::Error> {
    anyhow::bail!("the loom backend is not built yet")
}
