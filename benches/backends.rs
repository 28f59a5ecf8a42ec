//! Criterion benchmarks: the native explorer on every variant, and the three backends side by
//! side on baseline (time to the first counterexample) and on lockflag (time to exhaust; loom at
//! preemption bound 1, coarse and fine synchronisation; shuttle: 1000 PCT schedules), each at the
//! default configuration (K=2 files) and a larger one (K=3); and the native explorer on the same
//! variants with the backup taken from the primary and from a standby.
//!
//! Run: `cargo bench --bench backends` (add `-- --quick` for a fast pass).

use criterion::{Criterion, criterion_group, criterion_main};
use racecheck::explore::{self, Engine, LoomSync, Options, Strategy, Verdict};
use racecheck::scenario::model::BackupSource;
use racecheck::scenario::{Model, Scenario};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn models() -> Vec<Model> {
    racecheck::scenario::load::load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"))
        .expect("models")
}

fn variant(name: &str, files: u8) -> Scenario {
    let mut m = models()
        .into_iter()
        .find(|m| m.name == name)
        .expect("variant");
    m.files = files;
    Scenario::new(&m)
}

fn opts(backend: Engine) -> Options {
    Options {
        engine: backend,
        preemptions: 1,
        strategy: Strategy::Pct,
        iterations: 1000,
        seed: 1,
        depth: 3,
        ..Options::default()
    }
}

fn native_every_variant(c: &mut Criterion) {
    let mut g = c.benchmark_group("native-exhaust");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for m in models() {
        let sc = Scenario::new(&m);
        g.bench_function(m.name.as_str(), |b| {
            b.iter(|| black_box(explore::run(&sc, &opts(Engine::Native)).expect("run")))
        });
    }
    g.finish();
}

fn first_counterexample(c: &mut Criterion) {
    let mut g = c.benchmark_group("baseline-first-counterexample");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for files in [2u8, 3] {
        let sc = variant("baseline", files);
        for backend in [Engine::Native, Engine::Loom, Engine::Shuttle] {
            let mut o = opts(backend);
            o.stop_at_first = true;
            o.preemptions = 2;
            g.bench_function(format!("{}/K={files}", backend.as_str()), |b| {
                b.iter(|| {
                    let r = explore::run(&sc, &o).expect("run");
                    assert_eq!(r.verdict, Verdict::Violated);
                    black_box(r)
                })
            });
        }
    }
    g.finish();
}

fn lockflag_exhaust(c: &mut Criterion) {
    let mut g = c.benchmark_group("lockflag-exhaust");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for files in [2u8, 3] {
        let sc = variant("lockflag", files);
        let runs: [(&str, Options); 4] = [
            ("native", opts(Engine::Native)),
            (
                "loom-bound1-coarse",
                Options {
                    loom_sync: LoomSync::Coarse,
                    ..opts(Engine::Loom)
                },
            ),
            (
                "loom-bound1-fine",
                Options {
                    loom_sync: LoomSync::Fine,
                    ..opts(Engine::Loom)
                },
            ),
            ("shuttle-pct-1000", opts(Engine::Shuttle)),
        ];
        for (name, o) in runs {
            g.bench_function(format!("{name}/K={files}"), |b| {
                b.iter(|| black_box(explore::run(&sc, &o).expect("run")))
            });
        }
    }
    g.finish();
}

fn native_by_source(c: &mut Criterion) {
    let mut g = c.benchmark_group("native-by-source");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for name in ["baseline", "lockflag", "lockflag-startup"] {
        for source in BackupSource::ALL {
            let mut m = models()
                .into_iter()
                .find(|m| m.name == name)
                .expect("variant");
            m.backup.source = source;
            let sc = Scenario::new(&m);
            g.bench_function(format!("{name}/{source}"), |b| {
                b.iter(|| black_box(explore::run(&sc, &opts(Engine::Native)).expect("run")))
            });
        }
    }
    g.finish();
}

criterion_group!(
    benches,
    native_every_variant,
    native_by_source,
    first_counterexample,
    lockflag_exhaust
);
criterion_main!(benches);
