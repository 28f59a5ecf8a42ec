//! shuttle backend (being written).
use super::{Options, Report};
use crate::scenario::Scenario;

/// Explore with shuttle.
pub fn explore(_sc: &Scenario, _opts: &Options) -> Result<Report, anyhow::Error> {
    anyhow::bail!("the shuttle backend is not built yet")
}
