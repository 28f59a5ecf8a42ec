//! The CLI's progress reporter: a spinner line on a terminal (indicatif), plain `progress:`
//! lines otherwise, both on stderr. The library hands it its lines (`explore::Reporter`).

use racecheck::explore::Reporter;
use std::io::IsTerminal;
use std::sync::Mutex;

/// Progress on stderr.
#[derive(Default)]
pub struct StderrProgress {
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl Reporter for StderrProgress {
    fn progress(&self, seconds: f64, line: &str) {
        let msg = format!("[{seconds:>6.1}s] {line}");
        if !std::io::stderr().is_terminal() {
            eprintln!("progress: {msg}");
            return;
        }
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        let b = bar.get_or_insert_with(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            b
        });
        b.set_message(msg);
        b.tick();
    }

    fn finished(&self) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = bar.take() {
            b.finish_and_clear();
        }
    }
}
