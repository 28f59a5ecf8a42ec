//! `racecheck sweep`: many schedules of each selected matrix row reproduced on the real server
//! of its version (what scripts/reproduce-sweep.sh did for 15, as a command). For each
//! row (variant x version x source): the native counterexample, shuttle's counterexamples
//! (PCT, seeds 1..), random schedules (`schedule --seed`), and the counterexamples of the same
//! variant at the other versions followed under this row's model (`schedule --like`), until N
//! distinct schedules; each planned and run by `racecheck reproduce`'s library. One line per
//! row on stderr as it finishes: schedules, matches, differences, refusals, and the real
//! outcome classes seen; a summary, or with `--json` the rows, on stdout;
//! exit 1 on any difference (each differing trace kept in --keep-dir).

use super::args::SweepCli;
use super::commands::Failure;
use racecheck::explore::{self, Engine, Strategy};
use racecheck::reproduce::{self, plan, server::RunError};
use racecheck::scenario::model::BackupSource;
use racecheck::scenario::{Model, Scenario};
use racecheck::trace::{self, Trace};
use racecheck::wire::{self, SweepRow};
use racecheck::world::PgVersion;
use std::collections::BTreeSet;

fn stock(m: &Model) -> bool {
    plan::changed_sections(m).is_empty()
}

/// The trace of the first counterexample an engine finds, if any.
fn counterexample(sc: &Scenario, opts: &explore::Options) -> Option<Trace> {
    let r = explore::run(sc, opts).ok()?;
    trace::build(sc, r.counterexamples.first()?, &r.engine).ok()
}

/// The native engine, exhaustive, without progress lines.
fn native() -> explore::Options {
    explore::Options {
        progress: None,
        ..explore::Options::default()
    }
}

/// The native counterexample of a model at each version a real server runs (14 to 18), found
/// once per model and source and shared by its rows.
fn natives(m: &Model) -> Vec<(PgVersion, Option<Trace>)> {
    PgVersion::ALL
        .into_iter()
        .filter(|v| *v >= PgVersion::V14)
        .map(|v| {
            let mut at = m.clone();
            at.pg = v;
            (v, counterexample(&Scenario::new(&at), &native()))
        })
        .collect()
}

/// The candidate schedules of one row, as traces, distinct by process order, at most `n`:
/// `natives` holds the model's native counterexample at each version ([`natives`]).
fn schedules(m: &Model, n: usize, natives: &[(PgVersion, Option<Trace>)]) -> Vec<Trace> {
    let sc = Scenario::new(m);
    let mut out: Vec<Trace> = Vec::new();
    let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut push = |t: Trace, out: &mut Vec<Trace>| {
        let key: Vec<String> = t.steps.iter().map(|s| s.proc.clone()).collect();
        if out.len() < n && seen.insert(key) {
            out.push(t);
        }
    };
    // This row's own counterexample (computed here for a version no real server runs).
    let own = match natives.iter().find(|(v, _)| *v == m.pg) {
        Some((_, t)) => t.clone(),
        None => counterexample(&sc, &native()),
    };
    if let Some(t) = own {
        push(t, &mut out);
    }
    // Cross-version: this variant's counterexamples at the other versions, followed here.
    for (v, t) in natives.iter().filter(|(v, _)| *v != m.pg) {
        if let Some(t) = t {
            let like = trace::Pick::Like {
                source: format!("{}@pg{}", m.name, v),
                procs: t.steps.iter().map(|s| s.proc.clone()).collect(),
            };
            if let Ok(t) = trace::schedule(&sc, &like) {
                push(t, &mut out);
            }
        }
    }
    let mut seed = 1;
    while out.len() < n && seed <= 4 * n as u64 {
        let shuttle = explore::Options {
            engine: Engine::Shuttle,
            strategy: Strategy::Pct,
            iterations: 300,
            seed,
            progress: None,
            ..explore::Options::default()
        };
        if let Some(t) = counterexample(&sc, &shuttle) {
            push(t, &mut out);
        }
        if let Ok(t) = trace::schedule(&sc, &trace::Pick::Random(seed)) {
            push(t, &mut out);
        }
        seed += 1;
    }
    out
}

/// Run the sweep; the rows, and whether any differed.
pub fn sweep(a: &SweepCli, models: &[Model]) -> Result<(Vec<SweepRow>, bool), Failure> {
    let versions: Vec<PgVersion> = if a.versions.is_empty() {
        PgVersion::ALL
            .into_iter()
            .filter(|v| *v >= PgVersion::V14)
            .collect()
    } else {
        a.versions.clone()
    };
    let sources: Vec<BackupSource> = if a.sources.is_empty() {
        BackupSource::ALL.to_vec()
    } else {
        a.sources.clone()
    };
    let chosen: Vec<&Model> =
        if a.variants.is_empty() {
            models.iter().filter(|m| stock(m)).collect()
        } else {
            let mut v = Vec::new();
            for name in &a.variants {
                v.push(models.iter().find(|m| &m.name == name).ok_or_else(|| {
                    Failure::Usage(format!("--variant {name}: no such model file"))
                })?);
            }
            v
        };
    let mut rows = Vec::new();
    let mut differed = false;
    for base in chosen {
        for &source in &sources {
            let mut at_source = base.clone();
            at_source.backup.source = source;
            let natives = natives(&at_source);
            for &pg in &versions {
                let mut m = base.clone();
                m.pg = pg;
                m.backup.source = source;
                // Every stock model (no --variant): a row no released server of this version
                // has (CREATE DATABASE ... STRATEGY WAL_LOG before 15) is not a stock row.
                if a.variants.is_empty() && !stock(&m) {
                    eprintln!(
                        "{:<20} {:>3} {:<8} skipped: not a released server's row ({})",
                        m.name,
                        pg,
                        source,
                        plan::changed_sections(&m).join("; ")
                    );
                    continue;
                }
                let mut row = SweepRow {
                    variant: m.name.clone(),
                    pg: pg.to_string(),
                    source: source.to_string(),
                    ..SweepRow::default()
                };
                for (i, t) in schedules(&m, a.schedules, &natives).into_iter().enumerate() {
                    row.schedules += 1;
                    run_one(a, &t, i, &mut row)?;
                }
                differed |= row.differences > 0;
                // Progress: each row on stderr as it finishes (the JSON, if asked, on stdout).
                eprintln!("{}", line(&row));
                rows.push(row);
            }
        }
    }
    Ok((rows, differed))
}

fn run_one(a: &SweepCli, t: &Trace, i: usize, row: &mut SweepRow) -> Result<(), Failure> {
    let refuse = |row: &mut SweepRow, why: String| {
        row.refusals += 1;
        row.refused_because.get_or_insert(why);
    };
    let p = match plan::plan(t) {
        Ok(p) => p,
        Err(e) => {
            refuse(row, e.to_string());
            return Ok(());
        }
    };
    let opts = reproduce::Options {
        pg_bin: None,
        keep: None,
    };
    match reproduce::run(p, &opts) {
        Ok(o) => {
            row.real.insert(o.real.class.as_str().to_string());
            if o.matches() {
                row.matches += 1;
            } else {
                row.differences += 1;
                let path = a.keep_dir.join(format!(
                    "sweep-different-{}@pg{}-{}-{i}.json",
                    row.variant, row.pg, row.source
                ));
                trace::write(t, &path)
                    .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
                row.kept.push(path.display().to_string());
            }
        }
        Err(RunError::Unrealisable(m)) => refuse(row, m),
        Err(RunError::Interrupted) => {
            return Err(Failure::Inconclusive(RunError::Interrupted.to_string()));
        }
        Err(RunError::Tools(m) | RunError::Failed(m)) => {
            row.failures += 1;
            row.refused_because.get_or_insert(m);
        }
    }
    Ok(())
}

/// A row in words.
pub fn line(r: &SweepRow) -> String {
    format!(
        "{:<20} {:>3} {:<8} schedules {:>2}  match {:>2}  differ {}  refused {:>2}  failed {}  real: {}{}",
        r.variant,
        r.pg,
        r.source,
        r.schedules,
        r.matches,
        r.differences,
        r.refusals,
        r.failures,
        if r.real.is_empty() {
            "-".to_string()
        } else {
            r.real.iter().cloned().collect::<Vec<_>>().join(", ")
        },
        r.refused_because
            .as_ref()
            .map_or(String::new(), |w| format!("  ({w})"))
    )
}

/// `racecheck sweep`: the rows on stderr as they finish, a summary (or the JSON document) on
/// stdout; exit 1 when a real outcome differed from the model's.
pub fn run(a: &SweepCli) -> Result<u8, Failure> {
    let dir = a
        .models
        .clone()
        .unwrap_or_else(racecheck::default_models_dir);
    let models =
        racecheck::scenario::load::load_dir(&dir).map_err(|e| Failure::Usage(e.to_string()))?;
    std::fs::create_dir_all(&a.keep_dir)
        .map_err(|e| Failure::Usage(format!("--keep-dir {}: {e}", a.keep_dir.display())))?;
    let (rows, differed) = sweep(a, &models)?;
    if a.json {
        let doc = wire::SweepOutput {
            format: wire::SWEEP,
            rows: &rows,
        };
        super::commands::say(&(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"));
    } else {
        let total = |f: fn(&wire::SweepRow) -> usize| rows.iter().map(f).sum::<usize>();
        super::commands::say(&format!(
            "{} row(s): {} schedule(s), {} match(es), {} difference(s), {} refusal(s), {} failed run(s)\n",
            rows.len(),
            total(|r| r.schedules),
            total(|r| r.matches),
            total(|r| r.differences),
            total(|r| r.refusals),
            total(|r| r.failures),
        ));
    }
    Ok(u8::from(differed))
}
