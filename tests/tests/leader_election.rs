//! Leader election against a real API server, with short timings (lease 3 s, renew deadline
//! 2 s, retry 0.5 s): three candidates on one Lease, sampled every 100 ms, never have two
//! leaders at once, by the Lease or by their own view; a leader cut off by a partition stops
//! leading within the renew deadline and another takes over after the lease duration; a
//! leader cancelled with release-on-cancel hands over within about a retry period; an API
//! server restart does not make two leaders.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kubegen_api::coordination_v1::Lease;
use kubegen_runtime::leader_election::{LeaderElectionConfig, LeaderElector, LeaderEvent, LeaseRecord, StopReason};
use kubegen_runtime::{Api, Client, MicroTime};
use kubegen_tests::ControlPlane;
use kubegen_tests::proxy::PartitionProxy;
use tokio_util::sync::CancellationToken;

const LEASE: Duration = Duration::from_secs(3);
const RENEW_DEADLINE: Duration = Duration::from_secs(2);
const RETRY: Duration = Duration::from_millis(500);

/// One candidate: its elector, the proxy between it and the server, what it heard, and the
/// token that ends its election.
struct Candidate {
    elector: LeaderElector<Lease>,
    proxy: PartitionProxy,
    events: Arc<Mutex<Vec<(Instant, LeaderEvent)>>>,
    /// Set while its work runs (started with leadership, stopped by its token).
    working: Arc<AtomicBool>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Candidate {
    fn stopped_at(&self) -> Option<(Instant, StopReason)> {
        self.events.lock().expect("events").iter().find_map(|(at, event)| match event {
            LeaderEvent::StoppedLeading(reason) => Some((*at, reason.clone())),
            _ => None,
        })
    }
}

async fn candidate(cp: &ControlPlane, namespace: &str, identity: &str, release_on_cancel: bool) -> Candidate {
    let server = cp.server_url().trim_start_matches("https://").parse().expect("address");
    let proxy = PartitionProxy::start(server).await.expect("proxy");
    let mut config = cp.kube_config().expect("config");
    config.connect_through(proxy.address());
    // A request to a cut-off server must not outlive the renew deadline by much.
    config.timeout = Some(Duration::from_secs(2));
    let election = LeaderElectionConfig::new(namespace, "the-lease", identity)
        .timings(LEASE, RENEW_DEADLINE, RETRY)
        .release_on_cancel(release_on_cancel);
    let elector = LeaderElector::<Lease>::new(Client::new(config).expect("client"), election).expect("elector");
    let events = Arc::new(Mutex::new(Vec::new()));
    let working = Arc::new(AtomicBool::new(false));
    let cancel = CancellationToken::new();
    let task = {
        let (elector, events, working, cancel) = (elector.clone(), events.clone(), working.clone(), cancel.clone());
        tokio::spawn(async move {
            let work = move |term: CancellationToken| {
                let working = working.clone();
                async move {
                    working.store(true, Ordering::Release);
                    term.cancelled().await;
                    working.store(false, Ordering::Release);
                }
            };
            let on_event = move |event| events.lock().expect("events").push((Instant::now(), event));
            elector.run(work, on_event, cancel).await;
        })
    };
    Candidate { elector, proxy, events, working, cancel, task }
}

/// Samples the Lease's holder and every candidate's own view every 100 ms while `during`
/// runs, and fails at the first instant with two leaders by either.
async fn never_two_leaders<T>(
    cp: &ControlPlane,
    namespace: &str,
    candidates: &[&Candidate],
    during: impl std::future::Future<Output = T>,
) -> T {
    let leases: Api<Lease> = Api::namespaced(cp.kube_client().expect("client"), namespace);
    let stop = CancellationToken::new();
    let sampler = {
        let stop = stop.clone();
        let views: Vec<(String, LeaderElector<Lease>, Arc<AtomicBool>)> = candidates
            .iter()
            .map(|candidate| {
                (candidate.elector.identity().to_owned(), candidate.elector.clone(), candidate.working.clone())
            })
            .collect();
        async move {
            let mut samples = 0;
            while !stop.is_cancelled() {
                let leading: Vec<&str> =
                    views.iter().filter(|(_, elector, _)| elector.is_leader()).map(|(id, _, _)| id.as_str()).collect();
                let working: Vec<&str> = views
                    .iter()
                    .filter(|(_, _, working)| working.load(Ordering::Acquire))
                    .map(|(id, _, _)| id.as_str())
                    .collect();
                assert!(leading.len() <= 1, "two candidates lead at once: {leading:?}");
                assert!(working.len() <= 1, "two candidates work at once: {working:?}");
                if let Ok(Some(lease)) = leases.get_opt("the-lease").await {
                    let holder = LeaseRecord::read(&lease).expect("record").holder;
                    // Read after the GET: a leader that released (or lost) the Lease while
                    // the GET was in flight may see its successor's name in it.
                    let still_leading = |id: &str| views.iter().any(|(other, e, _)| other == id && e.is_leader());
                    for id in leading.iter().filter(|id| still_leading(id)) {
                        // A leader may briefly trail the Lease (it learns of a loss at its next
                        // renewal), but never claims a Lease someone else has renewed since.
                        assert!(
                            holder == *id || holder.is_empty() || !still_leading(&holder),
                            "lease {holder}, leaders {leading:?}"
                        );
                    }
                }
                samples += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            samples
        }
    };
    let (result, samples) = futures::future::join(
        async {
            let result = during.await;
            stop.cancel();
            result
        },
        sampler,
    )
    .await;
    assert!(samples > 5, "{samples} samples");
    result
}

async fn wait_for_leader(candidates: &[&Candidate], within: Duration) -> usize {
    let deadline = Instant::now() + within;
    loop {
        if let Some(index) = candidates.iter().position(|candidate| candidate.elector.is_leader()) {
            return index;
        }
        assert!(Instant::now() < deadline, "no leader within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_partitioned_leader_stops_within_the_renew_deadline_and_another_takes_over() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("election").await.expect("namespace");
    let candidates = [
        candidate(cp, &ns, "a", false).await,
        candidate(cp, &ns, "b", false).await,
        candidate(cp, &ns, "c", false).await,
    ];
    let all: Vec<&Candidate> = candidates.iter().collect();
    never_two_leaders(cp, &ns, &all, async {
        let first = wait_for_leader(&all, Duration::from_secs(10)).await;
        // Let the others see the leader renew a few times.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(all[first].elector.is_leader(), "a healthy leader keeps leading");
        let cut_at = Instant::now();
        all[first].proxy.cut();
        // It stops leading within the renew deadline (of its last renewal, at most one retry
        // period before the cut), and says why.
        let deadline = Instant::now() + RENEW_DEADLINE + Duration::from_secs(2);
        while all[first].elector.is_leader() {
            assert!(Instant::now() < deadline, "the partitioned leader kept leading");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (stopped_at, reason) = all[first].stopped_at().expect("a stop event");
        assert!(matches!(reason, StopReason::RenewDeadlineExceeded { .. }), "{reason:?}");
        assert!(
            stopped_at - cut_at <= RENEW_DEADLINE + Duration::from_millis(300),
            "stopped {:?} after the cut",
            stopped_at - cut_at
        );
        // The cut-off leader's last renewal, which nobody can change before the lease expires
        // (read once it stopped, so that no renewal of its is still in flight).
        let leases: Api<Lease> = Api::namespaced(cp.kube_client().expect("client"), &ns);
        let record = LeaseRecord::read(&leases.get("the-lease").await.expect("the lease")).expect("record");
        assert_eq!(record.holder, all[first].elector.identity(), "still the cut-off leader's");
        let last_renewal = record.renew_time.expect("renewed");
        // Another takes over once the lease has not changed for its duration: never before
        // LEASE after that renewal (whose time the leader took from this machine's clock before
        // sending it). Measured from the renewal, not from the cut: a renewal still in flight
        // at the cut, or a slow one, moves the cut closer to the take-over.
        let others: Vec<&Candidate> = all.iter().enumerate().filter(|(i, _)| *i != first).map(|(_, c)| *c).collect();
        wait_for_leader(&others, LEASE + Duration::from_secs(4)).await;
        let took_over = cut_at.elapsed();
        let after_renewal = MicroTime::now().0.duration_since(last_renewal.0).as_secs_f64();
        tracing::info!("another candidate leads {took_over:.1?} after the leader was cut off, {after_renewal:.2} s after its last renewal");
        assert!(
            after_renewal >= LEASE.as_secs_f64(),
            "took over {after_renewal:.3} s after the last renewal, before the lease could expire"
        );
        all[first].proxy.heal();
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    for candidate in &candidates {
        candidate.cancel.cancel();
    }
    for candidate in candidates {
        candidate.task.await.expect("joins");
    }
}

#[tokio::test]
async fn a_leader_cancelled_with_release_on_cancel_hands_over_at_once() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("election-release").await.expect("namespace");
    let candidates = [candidate(cp, &ns, "x", true).await, candidate(cp, &ns, "y", true).await];
    let all: Vec<&Candidate> = candidates.iter().collect();
    never_two_leaders(cp, &ns, &all, async {
        let first = wait_for_leader(&all, Duration::from_secs(10)).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let cancelled_at = Instant::now();
        all[first].cancel.cancel();
        let other = 1 - first;
        wait_for_leader(&[all[other]], Duration::from_secs(5)).await;
        let handed_over = cancelled_at.elapsed();
        tracing::info!("released and taken over in {handed_over:.1?}");
        // Released, the other takes over at its next try: one jittered retry period (at most
        // 2.2 x 0.5 s) plus the requests. Not released, it would wait for the lease to expire,
        // at least LEASE - RETRY (2.5 s) after the cancel, since the leader renewed at most one
        // retry period before it. The bound lies between, with 1.1 s for the requests (600 ms
        // was thin on a loaded machine: four requests, the release's and the take-over's).
        assert!(handed_over < LEASE - RETRY - Duration::from_millis(300), "handed over after {handed_over:?}");
        assert_eq!(all[first].stopped_at().map(|(_, reason)| reason), Some(StopReason::Cancelled));
    })
    .await;
    for candidate in &candidates {
        candidate.cancel.cancel();
    }
    for candidate in candidates {
        candidate.task.await.expect("joins");
    }
}

#[tokio::test]
async fn an_apiserver_restart_does_not_make_two_leaders() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::start().expect("private control plane");
    let ns = cp.fresh_namespace("election-restart").await.expect("namespace");
    let candidates = [
        candidate(&cp, &ns, "p", false).await,
        candidate(&cp, &ns, "q", false).await,
        candidate(&cp, &ns, "r", false).await,
    ];
    let all: Vec<&Candidate> = candidates.iter().collect();
    never_two_leaders(&cp, &ns, &all, async {
        wait_for_leader(&all, Duration::from_secs(10)).await;
        cp.kill_and_restart_apiserver().await.expect("restart");
        cp.restart_apiserver().await.expect("graceful restart");
        wait_for_leader(&all, Duration::from_secs(15)).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        wait_for_leader(&all, Duration::from_secs(5)).await;
    })
    .await;
    for candidate in &candidates {
        candidate.cancel.cancel();
    }
    for candidate in candidates {
        candidate.task.await.expect("joins");
    }
}
