//! A SOCKS5 proxy on loopback (RFC 1928, CONNECT only, no authentication or user name and
//! password), to test clients whose kubeconfig names a `socks5://` proxy. It records where
//! each connection asked to go, so a test can tell that traffic went through it and whether
//! the client or the proxy resolved the name (`socks5` vs `socks5h`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::Error;

/// Where a client asked the proxy to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocksTarget {
    /// An address the client resolved.
    Address(SocketAddr),
    /// A host name for the proxy to resolve, and a port.
    Domain(String, u16),
}

/// A SOCKS5 proxy. Its tasks run on the tokio runtime that started it and end when it is
/// dropped.
pub struct SocksProxy {
    address: SocketAddr,
    targets: Arc<Mutex<Vec<SocksTarget>>>,
    stop: watch::Sender<bool>,
}

impl SocksProxy {
    /// Starts a proxy on a free loopback port; `credentials`, if given, are the user name and
    /// password it requires.
    pub async fn start(credentials: Option<(String, String)>) -> Result<Self, Error> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|source| Error::Io {
            action: "binding",
            path: "the SOCKS proxy's port".into(),
            source,
        })?;
        let address = listener.local_addr().map_err(|source| Error::Io {
            action: "reading",
            path: "the SOCKS proxy's address".into(),
            source,
        })?;
        let targets = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = watch::channel(false);
        let recorded = targets.clone();
        let credentials = Arc::new(credentials);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stopped.changed() => return,
                };
                let Ok((client, _)) = accepted else { continue };
                let recorded = recorded.clone();
                let credentials = credentials.clone();
                tokio::spawn(async move {
                    if let Err(error) = serve(client, &credentials, &recorded).await {
                        tracing::debug!("socks proxy: {error}");
                    }
                });
            }
        });
        Ok(Self { address, targets, stop })
    }

    /// The proxy's URL with `scheme` (`socks5` or `socks5h`) and optional credentials.
    pub fn url(&self, scheme: &str, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, password)) => format!("{scheme}://{user}:{password}@{}", self.address),
            None => format!("{scheme}://{}", self.address),
        }
    }

    /// Where clients asked to connect so far.
    pub fn targets(&self) -> Vec<SocksTarget> {
        self.targets.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for SocksProxy {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn serve(
    mut client: TcpStream,
    credentials: &Option<(String, String)>,
    recorded: &Mutex<Vec<SocksTarget>>,
) -> std::io::Result<()> {
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    // Greeting: version, the methods the client offers.
    let mut header = [0u8; 2];
    client.read_exact(&mut header).await?;
    if header[0] != 5 {
        return Err(invalid("not SOCKS5"));
    }
    let mut methods = vec![0u8; usize::from(header[1])];
    client.read_exact(&mut methods).await?;
    let wanted = if credentials.is_some() { 2 } else { 0 };
    if !methods.contains(&wanted) {
        client.write_all(&[5, 0xff]).await?;
        return Err(invalid("no acceptable authentication method"));
    }
    client.write_all(&[5, wanted]).await?;
    if let Some((user, password)) = credentials {
        // RFC 1929: version 1, user name, password.
        let mut version = [0u8; 2];
        client.read_exact(&mut version).await?;
        let mut given_user = vec![0u8; usize::from(version[1])];
        client.read_exact(&mut given_user).await?;
        let mut length = [0u8; 1];
        client.read_exact(&mut length).await?;
        let mut given_password = vec![0u8; usize::from(length[0])];
        client.read_exact(&mut given_password).await?;
        let accepted = given_user == user.as_bytes() && given_password == password.as_bytes();
        client.write_all(&[1, if accepted { 0 } else { 1 }]).await?;
        if !accepted {
            return Err(invalid("wrong credentials"));
        }
    }
    // Request: version, CONNECT, reserved, address type, address, port.
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    if request[1] != 1 {
        client.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Err(invalid("only CONNECT is supported"));
    }
    let target = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            SocksTarget::Address(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), client.read_u16().await?))
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip).await?;
            SocksTarget::Address(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), client.read_u16().await?))
        }
        3 => {
            let length = client.read_u8().await?;
            let mut name = vec![0u8; usize::from(length)];
            client.read_exact(&mut name).await?;
            SocksTarget::Domain(String::from_utf8_lossy(&name).into_owned(), client.read_u16().await?)
        }
        _ => return Err(invalid("unknown address type")),
    };
    recorded.lock().unwrap_or_else(PoisonError::into_inner).push(target.clone());
    let upstream = match &target {
        SocksTarget::Address(address) => TcpStream::connect(address).await,
        SocksTarget::Domain(name, port) => TcpStream::connect((name.as_str(), *port)).await,
    };
    let mut upstream = match upstream {
        Ok(upstream) => upstream,
        Err(error) => {
            client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
            return Err(error);
        }
    };
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
