//! [`LeaderElector`]: one candidate in a leader election on a Lease (client-go's
//! `tools/leaderelection`, with a `LeaseLock`).
//!
//! Every retry period (jittered, up to 2.2x) a candidate reads the Lease. It acquires it when
//! it does not exist, when it was released (no holder), or when its record has not changed for
//! the record's lease duration **as measured on this candidate's clock from the moment it saw
//! the record change**: the holder's timestamps are never compared with local time, so clock
//! skew between machines does not matter. Writes are optimistic updates (the Lease's
//! resourceVersion), so two candidates cannot both win one round.
//!
//! The leader renews every retry period. If it has not renewed for the renew deadline (a
//! partition, an API server down), it stops leading: the work's cancellation token fires and
//! [`LeaderEvent::StoppedLeading`] says why, while the lease still has `lease_duration -
//! renew_deadline` to run, so the old leader has stopped before anyone else can start. After
//! that the candidate competes again. Cancelled while leading with `release_on_cancel`, it
//! empties the lease (holder `""`, one second) so that a successor takes over at its next try.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::{ConfigError, JITTER_FACTOR, LeaderElectionConfig};
use super::record::LeaseRecord;
use crate::client::params::PostParams;
use crate::client::{Api, Client, Error};
use crate::resource::{NamespaceScoped, Resource, verbs};
use crate::types::MicroTime;

/// What happens to a candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaderEvent {
    /// This candidate leads: its work has started.
    StartedLeading,
    /// This candidate stopped leading: its work was cancelled.
    StoppedLeading(StopReason),
    /// A candidate (this one or another) was seen holding the lease.
    NewLeader(String),
}

/// Why a leader stopped leading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The election was cancelled.
    Cancelled,
    /// The lease could not be renewed before the renew deadline; the last error, if any.
    RenewDeadlineExceeded {
        /// Why the last attempt failed.
        last_error: Option<String>,
    },
    /// Another candidate holds the lease now.
    LostLease {
        /// Its identity.
        holder: String,
    },
}

/// The outcome of one attempt to acquire or renew.
enum Attempt {
    Held,
    HeldByOther(String),
}

struct State {
    leading: AtomicBool,
    leader: watch::Sender<Option<String>>,
    /// The last record seen, and when (on this candidate's clock) it was seen to change.
    observed: Mutex<Option<(LeaseRecord, Instant)>>,
}

/// A candidate in a leader election. Cheap to clone; clones are the same candidate.
pub struct LeaderElector<L> {
    api: Api<L>,
    config: LeaderElectionConfig,
    state: Arc<State>,
}

impl<L> Clone for LeaderElector<L> {
    fn clone(&self) -> Self {
        Self { api: self.api.clone(), config: self.config.clone(), state: self.state.clone() }
    }
}

impl<L> std::fmt::Debug for LeaderElector<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderElector")
            .field("lease", &format!("{}/{}", self.config.namespace, self.config.name))
            .field("identity", &self.config.identity)
            .field("leading", &self.state.leading.load(Ordering::Acquire))
            .finish()
    }
}

/// `retry_period` stretched by up to [`JITTER_FACTOR`] (client-go's `wait.Jitter`).
fn jittered(period: Duration) -> Duration {
    period.mul_f64(1.0 + fastrand::f64() * JITTER_FACTOR)
}

impl<L> LeaderElector<L>
where
    L: Resource<Scope = NamespaceScoped> + verbs::Get + verbs::Create + verbs::Update,
{
    /// A candidate for the Lease `config` names, with `client`.
    pub fn new(client: Client, config: LeaderElectionConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let (leader, _) = watch::channel(None);
        Ok(Self {
            api: Api::namespaced(client, &config.namespace),
            config,
            state: Arc::new(State { leading: AtomicBool::new(false), leader, observed: Mutex::new(None) }),
        })
    }

    /// This candidate's identity.
    pub fn identity(&self) -> &str {
        &self.config.identity
    }

    /// Whether this candidate leads now.
    pub fn is_leader(&self) -> bool {
        self.state.leading.load(Ordering::Acquire)
    }

    /// The holder this candidate last saw (itself included).
    pub fn leader(&self) -> Option<String> {
        self.state.leader.borrow().clone()
    }

    /// The holder as it changes.
    pub fn watch_leader(&self) -> watch::Receiver<Option<String>> {
        self.state.leader.subscribe()
    }

    /// Competes until `cancel` fires: while this candidate leads, `work` runs with a token
    /// that fires when it stops leading (the work must stop then); `on_event` hears every
    /// change. After losing the lease the candidate competes again.
    pub async fn run<W, Fut>(&self, work: W, on_event: impl Fn(LeaderEvent) + Send + Sync, cancel: CancellationToken)
    where
        W: Fn(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        loop {
            if !self.acquire(&on_event, &cancel).await {
                return;
            }
            self.state.leading.store(true, Ordering::Release);
            tracing::info!(lease = %self.config.name, identity = %self.config.identity, "started leading");
            on_event(LeaderEvent::StartedLeading);
            let term = cancel.child_token();
            let running = tokio::spawn(work(term.clone()));
            let reason = self.renew(&on_event, &cancel).await;
            self.state.leading.store(false, Ordering::Release);
            term.cancel();
            tracing::info!(lease = %self.config.name, identity = %self.config.identity, ?reason, "stopped leading");
            on_event(LeaderEvent::StoppedLeading(reason.clone()));
            if let Err(error) = running.await {
                tracing::error!(identity = %self.config.identity, "the leader's work failed: {error}");
            }
            if reason == StopReason::Cancelled {
                if self.config.release_on_cancel {
                    self.release().await;
                }
                return;
            }
        }
    }

    /// Tries every (jittered) retry period until the lease is held; false if cancelled.
    async fn acquire(&self, on_event: &(impl Fn(LeaderEvent) + Send + Sync), cancel: &CancellationToken) -> bool {
        loop {
            if cancel.is_cancelled() {
                return false;
            }
            match self.try_acquire_or_renew(on_event).await {
                Ok(Attempt::Held) => return true,
                Ok(Attempt::HeldByOther(_)) => {}
                Err(error) => tracing::debug!(identity = %self.config.identity, "acquiring the lease failed: {error}"),
            }
            tokio::select! {
                () = cancel.cancelled() => return false,
                () = tokio::time::sleep(jittered(self.config.retry_period)) => {}
            }
        }
    }

    /// Renews every retry period until the renew deadline passes without a renewal, another
    /// holder appears, or the election is cancelled.
    async fn renew(&self, on_event: &(impl Fn(LeaderEvent) + Send + Sync), cancel: &CancellationToken) -> StopReason {
        let mut renewed_at = Instant::now();
        let mut last_error = None;
        loop {
            let deadline = renewed_at + self.config.renew_deadline;
            tokio::select! {
                biased;
                () = cancel.cancelled() => return StopReason::Cancelled,
                () = tokio::time::sleep_until(deadline) => return StopReason::RenewDeadlineExceeded { last_error },
                () = tokio::time::sleep(self.config.retry_period) => {}
            }
            // The attempt itself may not outlive the deadline.
            let attempt = tokio::select! {
                biased;
                () = cancel.cancelled() => return StopReason::Cancelled,
                () = tokio::time::sleep_until(deadline) => return StopReason::RenewDeadlineExceeded { last_error },
                attempt = self.try_acquire_or_renew(on_event) => attempt,
            };
            match attempt {
                Ok(Attempt::Held) => {
                    renewed_at = Instant::now();
                    last_error = None;
                }
                Ok(Attempt::HeldByOther(holder)) => return StopReason::LostLease { holder },
                Err(error) => {
                    tracing::debug!(identity = %self.config.identity, "renewing the lease failed: {error}");
                    last_error = Some(error.to_string());
                }
            }
        }
    }

    fn observe(&self, record: &LeaseRecord, on_event: &(impl Fn(LeaderEvent) + Send + Sync)) {
        let mut observed = self.state.observed.lock().unwrap_or_else(PoisonError::into_inner);
        if observed.as_ref().is_some_and(|(seen, _)| seen == record) {
            return;
        }
        let holder_changed = observed.as_ref().is_none_or(|(seen, _)| seen.holder != record.holder);
        *observed = Some((record.clone(), Instant::now()));
        drop(observed);
        if holder_changed {
            let holder = (!record.holder.is_empty()).then(|| record.holder.clone());
            self.state.leader.send_replace(holder.clone());
            if let Some(holder) = holder {
                on_event(LeaderEvent::NewLeader(holder));
            }
        }
    }

    /// Whether the observed record still belongs to a live holder other than this candidate.
    fn held_by_another(&self, record: &LeaseRecord) -> Option<String> {
        if record.holder.is_empty() || record.holder == self.config.identity {
            return None;
        }
        let observed = self.state.observed.lock().unwrap_or_else(PoisonError::into_inner);
        let (_, seen_at) = observed.as_ref()?;
        let duration = Duration::from_secs(u64::try_from(record.lease_duration_seconds.max(0)).unwrap_or(0));
        (*seen_at + duration > Instant::now()).then(|| record.holder.clone())
    }

    /// One round: create the lease, or take it over, or renew it.
    async fn try_acquire_or_renew(&self, on_event: &(impl Fn(LeaderEvent) + Send + Sync)) -> Result<Attempt, Error> {
        let now = MicroTime::now();
        let duration = i32::try_from(self.config.lease_duration.as_secs().max(1)).unwrap_or(i32::MAX);
        let Some(lease) = self.api.get_opt(&self.config.name).await? else {
            let record = LeaseRecord {
                holder: self.config.identity.clone(),
                lease_duration_seconds: duration,
                acquire_time: Some(now),
                renew_time: Some(now),
                transitions: 0,
            };
            let lease: L = record.new_lease(&self.config.namespace, &self.config.name).map_err(invalid)?;
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => {
                    self.observe(&record, on_event);
                    Ok(Attempt::Held)
                }
                // Another candidate created it first; the next round reads it.
                Err(error) => Err(error),
            };
        };
        let current = LeaseRecord::read(&lease).map_err(invalid)?;
        self.observe(&current, on_event);
        if let Some(holder) = self.held_by_another(&current) {
            return Ok(Attempt::HeldByOther(holder));
        }
        let ours = current.holder == self.config.identity;
        let record = LeaseRecord {
            holder: self.config.identity.clone(),
            lease_duration_seconds: duration,
            acquire_time: if ours { current.acquire_time } else { Some(now) },
            renew_time: Some(now),
            transitions: if ours { current.transitions } else { current.transitions + 1 },
        };
        let updated = record.write(&lease).map_err(invalid)?;
        match self.api.replace(&self.config.name, &PostParams::default(), &updated).await {
            Ok(_) => {
                self.observe(&record, on_event);
                Ok(Attempt::Held)
            }
            // A conflict: someone else wrote first. The next round reads what they wrote.
            Err(error) => Err(error),
        }
    }

    /// Empties the lease if this candidate still holds it, so a successor need not wait.
    async fn release(&self) {
        let Ok(Some(lease)) = self.api.get_opt(&self.config.name).await else { return };
        let Ok(current) = LeaseRecord::read(&lease) else { return };
        if current.holder != self.config.identity {
            return;
        }
        let now = MicroTime::now();
        let released = LeaseRecord {
            holder: String::new(),
            lease_duration_seconds: 1,
            acquire_time: Some(now),
            renew_time: Some(now),
            transitions: current.transitions,
        };
        let Ok(updated) = released.write(&lease) else { return };
        match self.api.replace(&self.config.name, &PostParams::default(), &updated).await {
            Ok(_) => tracing::info!(identity = %self.config.identity, "released the lease"),
            Err(error) => tracing::warn!(identity = %self.config.identity, "releasing the lease failed: {error}"),
        }
        self.state.leader.send_replace(None);
    }
}

fn invalid(error: super::record::RecordError) -> Error {
    Error::InvalidRequest(error.to_string())
}
