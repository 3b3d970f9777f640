//! A TCP proxy in front of the API server that a test can use to break the network between
//! one client and the server, without touching the server:
//!
//! - [`cut`](PartitionProxy::cut): every open connection is closed and new ones are refused
//!   (a partition the client notices at once: RST/FIN);
//! - [`stall`](PartitionProxy::stall): the connections open now are frozen, kept open with
//!   their bytes held back in both directions, nothing closed (what a NAT, a load balancer or a
//!   restarted node in between does to a flow); new connections go through;
//! - [`set_latency`](PartitionProxy::set_latency): every chunk waits this long before it is
//!   passed on.
//!
//! [`heal`](PartitionProxy::heal) undoes a cut and a stall (stalled connections go on with
//! what they held back, unless the client gave up on them).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::Error;

/// The state every connection of a proxy watches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Conditions {
    /// Bumped by `cut`: connections opened before close.
    cut_generation: u64,
    /// Connections with an id below this are frozen (0: none).
    stalled_below: u64,
    latency: Duration,
}

/// A proxy to one address. Its tasks run on the tokio runtime that started it and end when it
/// is dropped.
pub struct PartitionProxy {
    address: SocketAddr,
    cut: Arc<AtomicBool>,
    next_connection: Arc<AtomicU64>,
    conditions: watch::Sender<Conditions>,
    stop: watch::Sender<bool>,
}

impl PartitionProxy {
    /// Starts a proxy to `target` on a free loopback port.
    pub async fn start(target: SocketAddr) -> Result<Self, Error> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|source| Error::Io {
            action: "binding",
            path: "the partition proxy's port".into(),
            source,
        })?;
        let address = listener.local_addr().map_err(|source| Error::Io {
            action: "reading",
            path: "the partition proxy's address".into(),
            source,
        })?;
        let cut = Arc::new(AtomicBool::new(false));
        let next_connection = Arc::new(AtomicU64::new(1));
        let (conditions, _) = watch::channel(Conditions::default());
        let (stop, mut stopped) = watch::channel(false);
        let accepting_cut = cut.clone();
        let ids = next_connection.clone();
        let watched = conditions.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stopped.changed() => return,
                };
                let Ok((client, _)) = accepted else { continue };
                // The generation is read before the flag, here and not in the connection's
                // task: `cut` sets the flag before it bumps the generation, so a connection
                // accepted during a cut is either refused here or closed by its relay, never
                // left open (read later, the bumped generation would look like its own).
                let cut_at = watched.borrow().cut_generation;
                if accepting_cut.load(Ordering::Acquire) {
                    drop(client);
                    continue;
                }
                let id = ids.fetch_add(1, Ordering::AcqRel);
                let conditions = watched.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else { return };
                    relay(id, cut_at, client, server, conditions).await;
                });
            }
        });
        Ok(Self { address, cut, next_connection, conditions, stop })
    }

    /// The proxy's URL, for a kubeconfig or client configuration.
    pub fn url(&self) -> String {
        format!("https://{}", self.address)
    }

    /// The proxy's address (see `Config::connect_through`).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::Release);
        self.conditions.send_modify(|conditions| conditions.cut_generation += 1);
    }

    /// Freezes every connection open now: nothing more passes either way and nothing is
    /// closed. Connections opened afterwards are not affected.
    pub fn stall(&self) {
        let below = self.next_connection.load(Ordering::Acquire);
        self.conditions.send_modify(|conditions| conditions.stalled_below = below);
    }

    /// Delays every chunk passed on by `latency` (zero: none).
    pub fn set_latency(&self, latency: Duration) {
        self.conditions.send_modify(|conditions| conditions.latency = latency);
    }

    /// Lets connections through again: new ones are accepted, stalled ones go on.
    pub fn heal(&self) {
        self.cut.store(false, Ordering::Release);
        self.conditions.send_modify(|conditions| conditions.stalled_below = 0);
    }
}

impl Drop for PartitionProxy {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.conditions.send_modify(|conditions| conditions.cut_generation += 1);
    }
}

/// Passes bytes both ways until either side closes or the proxy cuts the connection (bumps
/// the cut generation past `cut_at`, the one it was accepted in).
async fn relay(id: u64, cut_at: u64, client: TcpStream, server: TcpStream, conditions: watch::Receiver<Conditions>) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let mut cut = conditions.clone();
    tokio::select! {
        _ = pump(id, client_read, server_write, conditions.clone()) => {}
        _ = pump(id, server_read, client_write, conditions) => {}
        _ = cut.wait_for(|conditions| conditions.cut_generation != cut_at) => {}
    }
}

/// Copies one direction, honouring stalls and latency.
async fn pump(
    id: u64,
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut conditions: watch::Receiver<Conditions>,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        let latency = conditions.borrow().latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        // A stalled connection holds what it read until it is healed (or cut).
        if conditions
            .wait_for(|conditions| id >= conditions.stalled_below || conditions.stalled_below == 0)
            .await
            .is_err()
        {
            return;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
