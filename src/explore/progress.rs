//! The clock of a run (its wall-clock budget, and when to report progress: never what is
//! explored), where progress goes (a [`Reporter`] the caller supplies: the library prints
//! nothing), the user's interruption (Ctrl-C), and the process's resident memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a long run's progress lines go: the CLI prints them; the library never prints.
pub trait Reporter: Send + Sync {
    /// A progress line, `seconds` into the run (at most once a second, after two seconds).
    fn progress(&self, seconds: f64, line: &str);
    /// The run is over: clear whatever the progress drew.
    fn finished(&self) {}
}

/// A run's progress reporter, as the options carry it.
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Reporter>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// Wall-clock budget and progress reporting (the clock only decides when to stop or report,
/// never what is explored).
pub struct Clock {
    start: Instant,
    last_print: Instant,
    max: Option<Duration>,
    progress: Option<Progress>,
}

impl Clock {
    /// Start timing; progress to `progress`, if any.
    pub fn new(max_seconds: Option<f64>, progress: Option<Progress>) -> Clock {
        let now = Instant::now();
        Clock {
            start: now,
            last_print: now,
            max: max_seconds.and_then(|s| Duration::try_from_secs_f64(s).ok()),
            progress,
        }
    }
    /// Seconds since start.
    pub fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
    /// Whether the time budget is spent.
    pub fn expired(&self) -> bool {
        self.max.is_some_and(|m| self.start.elapsed() >= m)
    }
    /// Report progress if due (once a second, after the first two seconds).
    pub fn tick(&mut self, what: impl FnOnce() -> String) {
        let Some(p) = &self.progress else {
            return;
        };
        let now = Instant::now();
        if now.duration_since(self.start) < Duration::from_secs(2)
            || now.duration_since(self.last_print) < Duration::from_secs(1)
        {
            return;
        }
        self.last_print = now;
        p.0.progress(self.seconds(), &what());
    }
    /// The run is over: the reporter clears its progress line.
    pub fn done(&mut self) {
        if let Some(p) = &self.progress {
            p.0.finished();
        }
    }
}

/// Set when the user interrupts the run (Ctrl-C): every engine stops at its next step boundary
/// (native: after merging the next block of a level; loom, shuttle: the next execution) and
/// reports what it explored as inconclusive.
pub static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether the run was interrupted.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Resident set size of this process in bytes, where the OS says it (Linux).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Bytes for people: 512 B, 1.5 MB, 2.0 GB.
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n:.0} B")
    }
}
