//! The `racecheck` command: parse the command line, dispatch to a command, map its outcome to an
//! exit code. 0 holds (within the stated bounds), 1 violation found, 2 bad usage or bad input,
//! 3 inconclusive (a budget ran out, or a sometimes-property was never reached), 4 internal
//! error (a racecheck bug).

mod cli;

/// mimalloc: the search allocates and frees a World's maps and vectors per successor; the
/// system allocator spent about 40% of the native engine's time (perf, docs/performance.md).
/// Built with `no_thp` (Cargo.toml): with transparent huge pages every fresh 2 MB the search
/// touched (the visited set's new table as it grows, frontier blocks) was zeroed by the kernel
/// at once, 14% of a wallog K=3 P=2 run in `clear_page_erms`; with 4 KB pages the system time
/// fell from 0.22 to 0.09 s of 1.8 s, the user time unchanged.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use cli::args::{Cli, Command};
use cli::commands::{self, Failure};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print and exit 0; a usage error is one line and exit 2.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad usage");
            eprintln!(
                "racecheck: {} (racecheck --help)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    // Ctrl-C: the engines stop at their next step boundary and report what they explored
    // (exit 3); a second Ctrl-C ends the process at once.
    let _ = ctrlc::set_handler(|| {
        if racecheck::explore::INTERRUPTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            racecheck::reproduce::server::stop_all();
            std::process::exit(130);
        }
        eprintln!("\nracecheck: interrupted; stopping at the next step (Ctrl-C again to quit now)");
    });
    let models = |m: Option<std::path::PathBuf>| m.unwrap_or_else(racecheck::default_models_dir);
    let outcome = match cli.command {
        Some(Command::List { models: m }) => commands::list(&models(m)),
        Some(Command::Replay { trace, json }) => commands::replay(&trace, json),
        Some(Command::Schedule {
            variant,
            models: m,
            order,
            seed,
            like,
            trace_out,
            overrides,
        }) => commands::schedule(
            &models(m),
            variant.as_deref(),
            &order,
            seed,
            like.as_deref(),
            &trace_out,
            &overrides,
        ),
        Some(Command::Reproduce {
            trace,
            pg_bin,
            keep,
            json,
        }) => commands::reproduce(&trace, pg_bin.as_deref(), keep.as_deref(), json),
        Some(Command::Explain {
            trace,
            format,
            slice,
        }) => commands::explain(&trace, format, slice),
        Some(Command::Sweep(a)) => cli::sweep::run(&a),
        Some(Command::Matrix {
            models: m,
            trace_dir,
            json,
            markdown,
            quiet,
        }) => commands::matrix(&models(m), trace_dir.as_deref(), json, markdown, quiet),
        None => commands::check(&cli.check),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(msg)) => {
            eprintln!("racecheck: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Inconclusive(msg)) => {
            eprintln!("racecheck: {msg}");
            ExitCode::from(3)
        }
        Err(Failure::Internal(msg)) => {
            eprintln!("racecheck: internal error (a bug in racecheck; please report it): {msg}");
            ExitCode::from(4)
        }
    }
}
