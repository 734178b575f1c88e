//! Group commit of commands on a cluster node. Commands that arrive while a transaction of
//! commands is on its way wait for the next one and share it: their scopes are locked
//! together (one part waits for rows, in one ordered statement, so two nodes never wait
//! for each other in a circle), their changes written with one COMMIT. When no batch is
//! under way, a waiting command's thread leads the next: it takes every command queued,
//! its own among them, and when that batch is done the next waiting thread leads. So a
//! thread leads at most one batch, the one holding its own command.

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::command_queue::{Finish, Queued};
use super::core::Engine;
use super::operation::locked;
use super::shared::Shared;
use super::EngineError;
use crate::cluster::{Db, Scope};

impl Shared {
    /// Runs `op` in the next transaction of commands (see the module's note); answers once
    /// that transaction committed, or with the error that kept it from committing.
    pub(super) fn grouped<R, E>(
        &self,
        db: &Arc<Db>,
        deadline: Instant,
        scope: Scope,
        op: impl FnOnce(&mut Engine) -> Result<R, E> + Send + 'static,
        wrap: fn(EngineError) -> E,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: Send + 'static,
    {
        let (answer, answered) = mpsc::sync_channel::<Result<R, E>>(1);
        let failed = answer.clone();
        let queued = Queued {
            scope,
            deadline,
            run: Box::new(move |e: &mut Engine| {
                let before = e.take_journal();
                let result = op(e);
                if result.is_err() {
                    // A refused command changes nothing.
                    e.take_journal();
                }
                e.restore_journal(before);
                Box::new(move |failure: Option<EngineError>| {
                    let _ = answer.send(match failure {
                        Some(err) => Err(wrap(err)),
                        None => result,
                    });
                })
            }),
            fail: Box::new(move |err| {
                let _ = failed.send(Err(wrap(err)));
            }),
        };
        let commands = &self.commands;
        let mut waiting = commands.state.lock().unwrap_or_else(|e| e.into_inner());
        waiting.queued.push(queued);
        loop {
            if let Ok(result) = answered.try_recv() {
                return result;
            }
            if !waiting.busy && !waiting.queued.is_empty() {
                waiting.busy = true;
                let batch = std::mem::take(&mut waiting.queued);
                drop(waiting);
                self.run_batch(db, batch);
                waiting = commands.state.lock().unwrap_or_else(|e| e.into_inner());
                waiting.busy = false;
                commands.done.notify_all();
                continue;
            }
            waiting = commands
                .done
                .wait_timeout(waiting, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn run_batch(&self, db: &Arc<Db>, batch: Vec<Queued>) {
        let deadline = batch
            .iter()
            .map(|q| q.deadline)
            .min()
            .unwrap_or_else(Instant::now);
        let scope = together(batch.iter().map(|q| q.scope.clone()).collect());
        let (runs, fails): (Vec<_>, Vec<_>) = batch.into_iter().map(|q| (q.run, q.fail)).unzip();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            locked(self, db, deadline, scope, move |e, _| {
                runs.into_iter().map(|run| run(e)).collect::<Vec<Finish>>()
            })
        }))
        .unwrap_or_else(|_| {
            Err(EngineError::Internal(
                "a fault (panic) while running a command".into(),
            ))
        });
        match result {
            Ok(finishes) => finishes.into_iter().for_each(|finish| finish(None)),
            Err(err) => fails.into_iter().for_each(|fail| fail(err.clone())),
        }
    }
}

/// One scope for a batch: the schedules every command waits for, in one part (a
/// configuration change's lock when any command is one); anything else after it.
fn together(mut scopes: Vec<Scope>) -> Scope {
    if scopes.len() == 1 {
        return scopes.remove(0);
    }
    let mut ids = BTreeSet::new();
    let mut config: Option<bool> = None;
    let mut others = Vec::new();
    for scope in scopes {
        match scope {
            Scope::Schedules {
                ids: i,
                skip_locked: false,
            } => ids.extend(i),
            Scope::Config { ids: i, all } => {
                ids.extend(i);
                config = Some(config.unwrap_or(false) || all);
            }
            other => others.push(other),
        }
    }
    let ids: Vec<String> = ids.into_iter().collect();
    let waiting = match config {
        Some(all) => Scope::Config { ids, all },
        None => Scope::Schedules {
            ids,
            skip_locked: false,
        },
    };
    if others.is_empty() {
        return waiting;
    }
    others.insert(0, waiting);
    Scope::Together(others)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedules(ids: &[&str]) -> Scope {
        Scope::Schedules {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            skip_locked: false,
        }
    }

    #[test]
    fn a_batch_waits_for_its_rows_in_one_ordered_part() {
        match together(vec![schedules(&["b", "a"]), schedules(&["a", "c"])]) {
            Scope::Schedules { ids, skip_locked } => {
                assert_eq!(ids, ["a", "b", "c"]);
                assert!(!skip_locked);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_configuration_change_takes_the_batch_under_its_lock() {
        let config = Scope::Config {
            ids: vec!["z".into()],
            all: false,
        };
        match together(vec![schedules(&["a"]), config]) {
            Scope::Config { ids, all } => {
                assert_eq!(ids, ["a", "z"]);
                assert!(!all);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_command_keeps_its_own_scope() {
        let skip = Scope::Schedules {
            ids: vec!["a".into()],
            skip_locked: true,
        };
        assert!(matches!(
            together(vec![skip]),
            Scope::Schedules {
                skip_locked: true,
                ..
            }
        ));
    }
}
