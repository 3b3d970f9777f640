//! [`LocalForward`]: a local TCP listener whose connections each go to a Pod's port over a
//! port-forward of their own, as `kubectl port-forward` does.

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::client::{Api, Error};
use crate::resource::subresource;

/// The copy buffer of each direction of a forwarded connection.
const COPY_BUFFER: usize = 64 * 1024;

/// A listening local port forwarding to a Pod ([`Api::forward_local`]). Dropping it stops the
/// listener and every forwarded connection.
#[derive(Debug)]
pub struct LocalForward {
    local_addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl LocalForward {
    pub(crate) async fn start<K: subresource::PortForward>(
        api: Api<K>,
        name: &str,
        port: u16,
        local: SocketAddr,
    ) -> Result<Self, Error> {
        super::portforward::validate_ports(&[port])?;
        let listener = TcpListener::bind(local).await.map_err(|error| Error::Stream {
            context: format!("listening on {local}"),
            message: error.to_string(),
            source: Some(Box::new(error)),
        })?;
        let local_addr = listener.local_addr().map_err(|error| Error::Stream {
            context: format!("listening on {local}"),
            message: error.to_string(),
            source: Some(Box::new(error)),
        })?;
        let task = tokio::spawn(accept_loop(listener, api, name.to_owned(), port));
        Ok(LocalForward { local_addr, task })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops listening and closes every forwarded connection.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for LocalForward {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop<K: subresource::PortForward>(listener: TcpListener, api: Api<K>, name: String, port: u16) {
    // Dropped with this task: aborting it aborts every connection.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((connection, peer)) => {
                    let api = api.clone();
                    let name = name.clone();
                    connections.spawn(async move {
                        if let Err(error) = forward(api, &name, port, connection).await {
                            tracing::warn!(%peer, pod = %name, port, %error, "port-forward connection failed");
                        }
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "accepting a port-forward connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

/// Forwards one local connection until the Pod's side ends (or the local side breaks). The
/// local side's end of file cannot be passed on (no half-close over websockets), so reading
/// from the Pod goes on until it ends.
async fn forward<K: subresource::PortForward>(
    api: Api<K>,
    name: &str,
    port: u16,
    local: TcpStream,
) -> Result<(), Error> {
    let _ = local.set_nodelay(true);
    let mut forwarder = api.portforward(name, &[port]).await?;
    let stream = forwarder.take_stream(port).ok_or_else(|| Error::Stream {
        context: format!("port-forward to {name}:{port}"),
        message: "the port's stream is missing".into(),
        source: None,
    })?;
    let (mut pod_read, mut pod_write) = stream.into_split();
    let (mut local_read, mut local_write) = local.into_split();
    let context = || format!("port-forward to {name}:{port}");
    let io_error = |error: std::io::Error| Error::Stream {
        context: context(),
        message: error.to_string(),
        source: Some(Box::new(error)),
    };
    let upstream = copy(&mut local_read, &mut pod_write);
    let downstream = async {
        copy(&mut pod_read, &mut local_write).await?;
        local_write.shutdown().await
    };
    tokio::pin!(upstream, downstream);
    let mut upstream_done = false;
    loop {
        tokio::select! {
            copied = &mut upstream, if !upstream_done => {
                upstream_done = true;
                copied.map_err(io_error)?;
            }
            copied = &mut downstream => return copied.map_err(io_error),
        }
    }
}

async fn copy(from: &mut (impl AsyncRead + Unpin), to: &mut (impl AsyncWrite + Unpin)) -> std::io::Result<()> {
    let mut buffer = vec![0; COPY_BUFFER];
    loop {
        let n = from.read(&mut buffer).await?;
        if n == 0 {
            return Ok(());
        }
        to.write_all(&buffer[..n]).await?;
    }
}
