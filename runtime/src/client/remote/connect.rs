//! Opening a websocket to the API server: a GET with `Upgrade: websocket` over HTTP/1.1 (an
//! HTTP/2 connection cannot be upgraded), with the client's TLS settings, credentials and rate
//! limit, offering the channel protocols in order of preference.
//!
//! The HTTP/1.1 client is separate from the client's HTTP/2 one and kept for reuse (TLS
//! session resumption); like that one it is rebuilt when an exec plugin hands out a new client
//! certificate. Redirects are not followed. The upgrade answer is checked as RFC 6455 asks
//! (`101`, `Upgrade`, `Connection`, `Sec-WebSocket-Accept`) and must name one of the offered
//! subprotocols; any other answer is the server's error, decoded as for every request.

use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use reqwest::header::{
    AUTHORIZATION, CONNECTION, HeaderMap, HeaderName, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL,
    SEC_WEBSOCKET_VERSION, UPGRADE,
};
use reqwest::{Method, StatusCode};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::protocol::ChannelProtocol;
use crate::client::server_name::ServerName;
use crate::client::{Client, Error, HttpFlavor, Request, api_error, build_http_for, transport_error};
use crate::config::{Config, ExecCredential};

/// A websocket over an upgraded HTTP/1.1 connection.
pub(crate) type WebSocket = WebSocketStream<reqwest::Upgraded>;

/// How long an upgrade may take when the configuration sets no request timeout.
const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest message accepted from the server. The API server and the kubelet send at most
/// 32 KiB at a time (Go's `io.Copy` buffer); this bounds what a hostile peer can make us hold.
const MAX_MESSAGE: usize = 16 << 20;

/// An open websocket and what it was opened for.
pub(crate) struct Connection {
    pub(crate) ws: WebSocket,
    pub(crate) protocol: ChannelProtocol,
    /// `GET <url without query>`, for errors: a command line in the query may hold secrets.
    pub(crate) context: String,
}

/// The HTTP/1.1 client for upgrades, built on first use.
#[derive(Default)]
pub(crate) struct UpgradeHttp {
    http: RwLock<Option<(reqwest::Client, Option<Vec<u8>>)>>,
}

impl UpgradeHttp {
    /// The client for `identity` (an exec credential's certificate and key, else the
    /// configuration's), built or rebuilt as needed.
    fn get(
        &self,
        config: &Config,
        credential: Option<&ExecCredential>,
        server_name: Option<&ServerName>,
    ) -> Result<reqwest::Client, Error> {
        let exec_identity = credential.and_then(|credential| {
            Some((credential.client_certificate_pem.as_deref()?, credential.client_key_pem.as_deref()?))
        });
        let exec_certificate = exec_identity.map(|(certificate, _)| certificate);
        if let Some((client, built_for)) = self.http.read().unwrap_or_else(PoisonError::into_inner).as_ref()
            && (exec_certificate.is_none() || built_for.as_deref() == exec_certificate)
        {
            return Ok(client.clone());
        }
        let identity = exec_identity.or_else(|| {
            config
                .client_certificate
                .as_ref()
                .map(|certificate| (certificate.certificate_pem.as_slice(), certificate.key_pem.as_slice()))
        });
        let client = build_http_for(config, identity, server_name, HttpFlavor::Upgrade)?;
        *self.http.write().unwrap_or_else(PoisonError::into_inner) =
            Some((client.clone(), exec_certificate.map(<[u8]>::to_vec)));
        Ok(client)
    }
}

impl Client {
    /// Opens a websocket at `path` (with its query), offering `protocols` in order.
    pub(crate) async fn upgrade(&self, path: String, protocols: &[ChannelProtocol]) -> Result<Connection, Error> {
        let target = self.request_url(&path)?;
        let url = self.display_url(&path);
        // Errors name the URL without its query: an exec's command line may hold secrets.
        let bare_url = url.split_once('?').map_or(url.as_str(), |(without_query, _)| without_query).to_owned();
        let context = format!("GET {bare_url}");
        if protocols.is_empty() {
            return Err(Error::InvalidRequest(format!("{context}: no channel protocol to offer")));
        }
        let offered = protocols.iter().map(|protocol| protocol.name()).collect::<Vec<_>>().join(", ");
        let timeout = self.inner.config.timeout.unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT);
        let request = Request::new(Method::GET, path);
        let mut refreshed_credentials = false;
        let (response, key) = loop {
            if let Some(limiter) = &self.inner.limiter {
                limiter.acquire().await;
            }
            let (authorization, credential) = self.inner.auth.header().await?;
            let http =
                self.inner.upgrade_http.get(&self.inner.config, credential.as_ref(), self.server_name().as_ref())?;
            let key = generate_key();
            let mut builder = http
                .get(target.clone())
                .header(CONNECTION, "Upgrade")
                .header(UPGRADE, "websocket")
                .header(SEC_WEBSOCKET_VERSION, "13")
                .header(SEC_WEBSOCKET_KEY, &key)
                .header(SEC_WEBSOCKET_PROTOCOL, &offered);
            if let Some(value) = authorization {
                builder = builder.header(AUTHORIZATION, value);
            }
            let response = match tokio::time::timeout(timeout, builder.send()).await {
                Ok(response) => response.map_err(|source| transport_error("GET", &bare_url, source.without_url()))?,
                Err(_) => {
                    return Err(Error::Stream {
                        context,
                        message: format!("timed out: no answer to the upgrade within {:.1} s", timeout.as_secs_f64()),
                        source: None,
                    });
                }
            };
            self.report_warnings(response.headers());
            if response.status() == StatusCode::UNAUTHORIZED
                && !refreshed_credentials
                && self.inner.auth.refresh().await
            {
                refreshed_credentials = true;
                continue;
            }
            if response.status() != StatusCode::SWITCHING_PROTOCOLS {
                return Err(api_error(&request, &bare_url, response).await);
            }
            break (response, key);
        };
        let protocol = check_handshake(response.headers(), &key, protocols).map_err(|message| Error::Stream {
            context: context.clone(),
            message,
            source: None,
        })?;
        let upgraded =
            response.upgrade().await.map_err(|source| transport_error("GET", &bare_url, source.without_url()))?;
        let config = WebSocketConfig::default().max_message_size(Some(MAX_MESSAGE)).max_frame_size(Some(MAX_MESSAGE));
        let ws = WebSocketStream::from_raw_socket(upgraded, Role::Client, Some(config)).await;
        tracing::debug!(%protocol, "{context}: websocket open");
        Ok(Connection { ws, protocol, context })
    }
}

/// Checks a `101` answer (RFC 6455 4.1) and returns the subprotocol the server chose.
fn check_handshake(headers: &HeaderMap, key: &str, offered: &[ChannelProtocol]) -> Result<ChannelProtocol, String> {
    let text = |name: HeaderName| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default();
    if !text(UPGRADE).eq_ignore_ascii_case("websocket") {
        return Err(format!("the upgrade answer's Upgrade header is {:?}, not websocket", text(UPGRADE)));
    }
    if !text(CONNECTION).split(',').any(|token| token.trim().eq_ignore_ascii_case("upgrade")) {
        return Err(format!("the upgrade answer's Connection header is {:?}, not Upgrade", text(CONNECTION)));
    }
    if text(SEC_WEBSOCKET_ACCEPT) != derive_accept_key(key.as_bytes()) {
        return Err("the upgrade answer's Sec-WebSocket-Accept does not match the key sent".to_owned());
    }
    let chosen = text(SEC_WEBSOCKET_PROTOCOL);
    ChannelProtocol::from_name(chosen).filter(|protocol| offered.contains(protocol)).ok_or_else(|| {
        let offered: Vec<&str> = offered.iter().map(|protocol| protocol.name()).collect();
        format!("the server chose the subprotocol {chosen:?}, none of the offered {offered:?}")
    })
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn answer(key: &str, protocol: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(SEC_WEBSOCKET_ACCEPT, HeaderValue::from_str(&derive_accept_key(key.as_bytes())).expect("ascii"));
        headers.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_str(protocol).expect("ascii"));
        headers
    }

    #[test]
    fn the_handshake_names_an_offered_protocol() {
        let both = [ChannelProtocol::V5, ChannelProtocol::V4];
        assert_eq!(check_handshake(&answer("k", "v4.channel.k8s.io"), "k", &both), Ok(ChannelProtocol::V4));
        assert_eq!(check_handshake(&answer("k", "v5.channel.k8s.io"), "k", &both), Ok(ChannelProtocol::V5));
        let error =
            check_handshake(&answer("k", "v5.channel.k8s.io"), "k", &[ChannelProtocol::V4]).expect_err("v4 only");
        assert!(error.contains("none of the offered"), "{error}");
        let error = check_handshake(&answer("k", ""), "k", &both).expect_err("no protocol");
        assert!(error.contains("\"\""), "{error}");
    }

    #[test]
    fn the_accept_key_must_match() {
        let error = check_handshake(&answer("other", "v5.channel.k8s.io"), "k", &[ChannelProtocol::V5])
            .expect_err("wrong accept key");
        assert!(error.contains("Sec-WebSocket-Accept"), "{error}");
    }
}
