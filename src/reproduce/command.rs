//! The command's backend driven to the pause points of the plan: its statement (the command's
//! descriptor's, `scenario/command/`) sent in its own session and held under gdb at the
//! function entries where the model's command is.

use super::plan::{Hold, Plan};
use super::server::{self, RunError, Session, failed};

/// The statement of the trace's command (its descriptor's, `scenario/command/`).
pub(super) fn command_sql(p: &Plan) -> String {
    crate::scenario::command::def(p.model.command).statement(&p.model)
}

/// The command's backend, its session and its debugger.
pub(super) struct CommandBackend {
    pub(super) session: Session,
    pub(super) gdb: Option<server::Gdb>,
    pub(super) sent: bool,
    pub(super) at: Hold,
}

pub(super) fn move_command(
    cb: &mut CommandBackend,
    p: &Plan,
    to: Hold,
    step: usize,
) -> Result<(), RunError> {
    match to {
        Hold::NotStarted => {}
        Hold::Before { pc } => {
            let (name, bp) = p
                .command_ops
                .get(pc)
                .and_then(|(n, b)| Some((n, (*b)?)))
                .ok_or_else(|| failed(format!("step {step}: no pause point at op {pc}")))?;
            if cb.gdb.is_none() {
                let pid = cb.session.backend_pid()?;
                cb.gdb = Some(server::Gdb::attach(pid)?);
            }
            let g = cb.gdb.as_mut().ok_or_else(|| failed("gdb"))?;
            g.run_to(bp)?;
            if !cb.sent {
                cb.session.send(&command_sql(p))?;
                cb.sent = true;
            }
            let what = format!("step {step}: {} held before {name}", command_sql(p));
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            loop {
                if let Some(stopped) = g.poll_stop(std::time::Duration::from_millis(200))? {
                    if stopped {
                        break;
                    }
                    return Err(failed(format!(
                        "{what}: the backend stopped without reaching its breakpoint"
                    )));
                }
                // The statement ended (an ERROR, or it never called the function).
                match cb.session.poll(std::time::Duration::ZERO) {
                    Ok(Some(out)) => {
                        let err = out.iter().find(|l| l.contains("ERROR:")).cloned();
                        return Err(RunError::Unrealisable(match err {
                            Some(e) => format!("{what}: the real command failed first: {e}"),
                            None => format!(
                                "{what}: the real command finished without calling {}",
                                bp.join(" or ")
                            ),
                        }));
                    }
                    Ok(None) => {}
                    Err(e) => return Err(e),
                }
                if std::time::Instant::now() > deadline {
                    return Err(failed(format!("{what}: not reached in 120 s")));
                }
            }
        }
        Hold::Done => {
            if let Some(g) = cb.gdb.take() {
                g.detach()?;
            }
            if !cb.sent {
                cb.session.send(&command_sql(p))?;
                cb.sent = true;
            }
            cb.session.wait(120, &command_sql(p)).map_err(|e| match e {
                RunError::Failed(m) => RunError::Unrealisable(format!(
                    "step {step}: the real {} failed: {m}",
                    command_sql(p)
                )),
                e => e,
            })?;
        }
    }
    cb.at = to;
    Ok(())
}
