//! `tls-server-name` sent as SNI, not only used to verify the certificate.
//!
//! A kubeconfig's `tls-server-name` names the server's certificate when the URL does not
//! (an IP address, a tunnel's local port). kubectl sends it as the TLS server name (SNI), which
//! is what an SNI-routing load balancer in front of the API server routes on. The HTTP client
//! takes the SNI from the URL's host, so the client sends requests to a URL whose host is the
//! server name, and resolves that name to the configured host (an IP address as is, a DNS
//! name by lookup) with the resolver here. The certificate is then verified for the server
//! name, as before. Through a proxy the proxy resolves names, so there the URL stays as
//! configured and only verification uses the server name.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::Config;

/// The server name to send, and where the configured host really is.
#[derive(Clone, Debug)]
pub(crate) struct ServerName {
    name: String,
    /// The configured host (an IP address without brackets, or a DNS name).
    host: String,
    wire_url: reqwest::Url,
}

impl ServerName {
    /// The server name of `config` if it must be sent as SNI: set, a DNS name, different from
    /// the URL's host, and no proxy in between.
    pub(crate) fn for_config(config: &Config, base: &reqwest::Url) -> Option<Self> {
        let name = config.tls_server_name.as_deref()?.trim_end_matches('.');
        let host = base.host_str()?.trim_start_matches('[').trim_end_matches(']');
        if name.is_empty() || name.parse::<IpAddr>().is_ok() || name.eq_ignore_ascii_case(host) {
            return None;
        }
        if config.proxy_url.is_some() {
            return None;
        }
        let mut wire_url = base.clone();
        wire_url.set_host(Some(name)).ok()?;
        Some(ServerName { name: name.to_ascii_lowercase(), host: host.to_owned(), wire_url })
    }

    /// The server URL with the server name as its host.
    pub(crate) fn wire_url(&self) -> &reqwest::Url {
        &self.wire_url
    }

    /// A resolver that sends the server name to the configured host.
    pub(crate) fn resolver(&self) -> ServerNameResolver {
        ServerNameResolver { name: self.name.clone(), host: self.host.clone() }
    }
}

/// Resolves the server name to the configured host, and every other name as usual.
pub(crate) struct ServerNameResolver {
    name: String,
    host: String,
}

impl Resolve for ServerNameResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let target =
            if name.as_str().eq_ignore_ascii_case(&self.name) { self.host.clone() } else { name.as_str().to_owned() };
        Box::pin(async move {
            if let Ok(ip) = target.parse::<IpAddr>() {
                return Ok(Box::new(std::iter::once(SocketAddr::new(ip, 0))) as Addrs);
            }
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((target.as_str(), 0)).await?.collect();
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}
