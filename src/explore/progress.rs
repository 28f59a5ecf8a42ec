//! The clock of a run (its wall-clock budget, and when to print progress: never what is
//! explored), the user's interruption (Ctrl-C), and the process's resident memory.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Wall-clock budget and progress printing (the clock only decides when to stop or print,
/// never what is explored).
pub struct Clock {
    start: Instant,
    last_print: Instant,
    max: Option<Duration>,
    progress: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Clock {
    /// Start timing.
    pub fn new(max_seconds: Option<f64>, progress: bool) -> Clock {
        let now = Instant::now();
        Clock {
            start: now,
            last_print: now,
            max: max_seconds.and_then(|s| Duration::try_from_secs_f64(s).ok()),
            progress,
            bar: None,
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
    /// Print progress if due (once a second, after the first two seconds).
    pub fn tick(&mut self, what: impl FnOnce() -> String) {
        if !self.progress {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.start) < Duration::from_secs(2)
            || now.duration_since(self.last_print) < Duration::from_secs(1)
        {
            return;
        }
        self.last_print = now;
        let msg = format!("[{:>6.1}s] {}", self.seconds(), what());
        if std::io::stderr().is_terminal() {
            let bar = self.bar.get_or_insert_with(|| {
                let b = indicatif::ProgressBar::new_spinner();
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                b
            });
            bar.set_message(msg);
            bar.tick();
        } else {
            eprintln!("progress: {msg}");
        }
    }
    /// Clear any progress line.
    pub fn done(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
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
