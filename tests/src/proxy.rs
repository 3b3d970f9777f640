//! A TCP proxy in front of the API server that a test can cut and heal: a network partition
//! between one client and the server, without touching the server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::Error;

/// A proxy to one address. Connections go through while it is healed; cutting it drops every
/// open connection and refuses new ones. Its tasks run on the tokio runtime that started it
/// and end when it is dropped.
pub struct PartitionProxy {
    address: SocketAddr,
    cut: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
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
        let (generation, _) = watch::channel(0u64);
        let (stop, mut stopped) = watch::channel(false);
        let accepting_cut = cut.clone();
        let generations = generation.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stopped.changed() => return,
                };
                let Ok((client, _)) = accepted else { continue };
                if accepting_cut.load(Ordering::Acquire) {
                    drop(client);
                    continue;
                }
                let mut cut_signal = generations.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else { return };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_signal.changed() => {}
                    }
                });
            }
        });
        Ok(Self { address, cut, generation, stop })
    }

    /// The proxy's URL, for a kubeconfig or client configuration.
    pub fn url(&self) -> String {
        format!("https://{}", self.address)
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::Release);
        self.generation.send_modify(|generation| *generation += 1);
    }

    /// Lets connections through again.
    pub fn heal(&self) {
        self.cut.store(false, Ordering::Release);
    }
}

impl Drop for PartitionProxy {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.generation.send_modify(|generation| *generation += 1);
    }
}
