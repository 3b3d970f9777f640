//! The REST client: one HTTP connection pool per cluster, authenticated, rate limited,
//! retrying what the server asks to be retried, and decoding the server's errors.
//!
//! [`Api`] is the typed interface on top; [`Client::send`] and friends are the untyped
//! layer it uses, open to callers with requests of their own.

mod api;
mod auth;
mod error;
mod list;
mod list_decoder;
mod list_splitter;
mod log_lines;
pub mod params;
mod protobuf;
mod proxy;
mod rate_limit;
mod remote;
mod request;
pub mod segment;
mod server_name;
mod server_version;
mod subresources;
mod tls;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER, WARNING};
use serde::de::DeserializeOwned;
use tracing::Instrument;

pub use api::{Api, ResourcePath};
pub(crate) use error::chain as error_chain;
pub use error::{ApiError, Error, Reason};
pub use list::ObjectList;
pub use list_decoder::{ListDecodeError, ListDecoder};
pub use log_lines::MAX_LOG_LINE;
pub use protobuf::{Answer, PROTOBUF_ACCEPT};
pub use proxy::ProxyRequest;
pub use remote::{
    AttachParams, AttachedProcess, ChannelProtocol, ChannelReader, ChannelWriter, ExitStatus, Keepalive, LocalForward,
    MAX_PORTS, Output, PortForwarder, PortStream, TerminalResizer, TerminalSize,
};
pub use request::{Request, RequestKind};
pub use server_version::ServerVersion;
pub use subresources::{Deleted, LogParams};
pub(crate) use tls::INSECURE_WITH_CA;

use self::auth::Authenticator;
use self::rate_limit::RateLimiter;
use crate::config::{Config, ExecCredential};
use crate::metrics::ClientMetrics;
use crate::types::Status;

/// The longest a `Retry-After` is honoured; longer requests are retried after this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A client for one API server. Cheap to clone: clones share connections, credentials and
/// the rate limiter.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    /// The server's URL without userinfo and without a trailing slash, as errors show it.
    base: String,
    /// The URL requests go to: `base`, or with `tls-server-name` as its host so that the name
    /// is sent as SNI (the name then resolves to the configured host; see `server_name`).
    wire_base: reqwest::Url,
    http: RwLock<Http>,
    auth: Authenticator,
    limiter: Option<RateLimiter>,
    /// The HTTP/1.1 client of websocket upgrades (exec, attach, port-forward).
    upgrade_http: remote::UpgradeHttp,
    /// Where request measurements go, if anywhere.
    metrics: Option<Arc<dyn ClientMetrics>>,
    /// The server's release, once asked (`Client::cached_server_version`).
    server_version: tokio::sync::OnceCell<ServerVersion>,
}

/// The HTTP client, rebuilt when an exec plugin hands out a new client certificate.
struct Http {
    client: reqwest::Client,
    exec_certificate: Option<Vec<u8>>,
    server_name: Option<server_name::ServerName>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("server", &self.inner.base).finish_non_exhaustive()
    }
}

impl TryFrom<Config> for Client {
    type Error = Error;

    fn try_from(config: Config) -> Result<Self, Error> {
        Client::new(config)
    }
}

impl Client {
    /// A client for the kubeconfig's current context, or for the cluster this Pod runs in.
    pub async fn try_default() -> Result<Self, Error> {
        let config = Config::infer()?;
        Client::new(config)
    }

    /// A client for `config`.
    ///
    /// A password or token in the server URL's userinfo is taken out of the URL (so it never
    /// appears in an error or a log) and used for HTTP basic auth unless `config.auth` sets
    /// other credentials, as Go's HTTP client does.
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::build(config, None)
    }

    /// A client for `config` that reports every request attempt and rate-limiter wait to
    /// `metrics`.
    pub fn with_metrics(config: Config, metrics: Arc<dyn ClientMetrics>) -> Result<Self, Error> {
        Self::build(config, Some(metrics))
    }

    fn build(config: Config, metrics: Option<Arc<dyn ClientMetrics>>) -> Result<Self, Error> {
        let (wire_base, userinfo) = without_userinfo(&config.cluster_url);
        let base = wire_base.as_str().trim_end_matches('/').to_owned();
        if config.accept_invalid_certificates {
            tls::warn_insecure_once(&base);
        }
        let identity = config
            .client_certificate
            .as_ref()
            .map(|certificate| (certificate.certificate_pem.as_slice(), certificate.key_pem.as_slice()));
        let server_name = server_name::ServerName::for_config(&config, &wire_base);
        let wire_base = server_name.as_ref().map_or(wire_base, |name| name.wire_url().clone());
        let client = build_http(&config, identity, server_name.as_ref())?;
        let auth = match (&config.auth, userinfo) {
            (crate::config::Auth::None, Some((username, password))) => {
                Authenticator::new(&crate::config::Auth::Basic { username, password })?
            }
            (auth, _) => Authenticator::new(auth)?,
        };
        let limiter = config.rate_limit.map(RateLimiter::new);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                base,
                wire_base,
                http: RwLock::new(Http { client, exec_certificate: None, server_name }),
                auth,
                limiter,
                upgrade_http: remote::UpgradeHttp::default(),
                metrics,
                server_version: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// The namespace of the kubeconfig's context or of the Pod.
    pub fn default_namespace(&self) -> &str {
        &self.inner.config.default_namespace
    }

    /// The API server's URL, without userinfo.
    pub fn cluster_url(&self) -> reqwest::Url {
        without_userinfo(&self.inner.config.cluster_url).0
    }

    /// The `tls-server-name` sent as SNI, if any (see `server_name`).
    pub(crate) fn server_name(&self) -> Option<server_name::ServerName> {
        self.inner.http.read().unwrap_or_else(std::sync::PoisonError::into_inner).server_name.clone()
    }

    /// The URL of `path` as errors and logs show it (the server's URL without userinfo, then
    /// the path).
    pub fn display_url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base)
    }

    /// The URL a request for `path` (a path with its query, starting with `/`) goes to. The
    /// path is checked first (see [`segment::check_request_path`]) and joined to the
    /// server's URL as a path, never pasted into it, so it cannot change the host.
    pub fn request_url(&self, path: &str) -> Result<reqwest::Url, Error> {
        segment::check_request_path(path)?;
        let (path_only, query) = match path.split_once('?') {
            Some((path_only, query)) => (path_only, Some(query)),
            None => (path, None),
        };
        let mut url = self.inner.wire_base.clone();
        let joined = format!("{}{path_only}", url.path().trim_end_matches('/'));
        url.set_path(&joined);
        url.set_query(query);
        url.set_fragment(None);
        Ok(url)
    }

    /// The configuration this client was made from.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Sends a request and returns the successful response; an error response becomes
    /// [`Error::Api`] with the server's `Status`.
    ///
    /// A 401 makes the client refresh exec or token-file credentials and try once more; a
    /// 429 or 5xx with `Retry-After` is retried after that delay, up to `max_retries` times.
    pub async fn send(&self, request: Request) -> Result<reqwest::Response, Error> {
        let target = self.request_url(&request.path)?;
        let url = self.display_url(&request.path);
        let span = tracing::debug_span!("request", method = %request.method, path = %target.path(), status = tracing::field::Empty);
        async {
            let mut attempt = 0;
            let mut refreshed_credentials = false;
            loop {
                if let Some(limiter) = &self.inner.limiter
                    && (request.kind != RequestKind::Watch || attempt > 0)
                {
                    let waiting = std::time::Instant::now();
                    limiter.acquire().await;
                    if let Some(metrics) = &self.inner.metrics {
                        metrics.rate_limiter_wait(waiting.elapsed());
                    }
                }
                let started = std::time::Instant::now();
                let response = self.attempt(&request, &target, &url).await;
                if let Some(metrics) = &self.inner.metrics {
                    let code = response.as_ref().ok().map(|response| response.status().as_u16());
                    metrics.request(request.method.as_str(), code, started.elapsed());
                }
                let response = response?;
                let status = response.status();
                tracing::Span::current().record("status", status.as_u16());
                self.report_warnings(response.headers());
                if status == StatusCode::UNAUTHORIZED && !refreshed_credentials && self.inner.auth.refresh().await {
                    refreshed_credentials = true;
                    tracing::debug!("401: refreshing credentials and retrying");
                    continue;
                }
                if (status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error())
                    && attempt < self.inner.config.max_retries
                    && let Some(delay) = retry_after(response.headers())
                {
                    attempt += 1;
                    tracing::debug!(%status, attempt, "retrying after {delay:?} as the server asked");
                    tokio::time::sleep(delay).await;
                    continue;
                }
                if status.is_success() {
                    return Ok(response);
                }
                if status.is_redirection() {
                    let location = response
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .map(|value| {
                            crate::config::redact::url_text(&String::from_utf8_lossy(value.as_bytes())).into_owned()
                        })
                        .unwrap_or_default();
                    return Err(Error::Redirect {
                        method: request.method.to_string(),
                        url,
                        code: status.as_u16(),
                        location,
                    });
                }
                return Err(api_error(&request, &url, response).await);
            }
        }
        .instrument(span)
        .await
    }

    async fn attempt(&self, request: &Request, target: &reqwest::Url, url: &str) -> Result<reqwest::Response, Error> {
        let (authorization, credential) = self.inner.auth.header().await?;
        let http = self.http_client(credential.as_ref())?;
        let mut builder = http
            .request(request.method.clone(), target.clone())
            .header(ACCEPT, request.accept.unwrap_or("application/json"));
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(body) = &request.body {
            builder =
                builder.header(CONTENT_TYPE, request.content_type.unwrap_or("application/json")).body(body.clone());
        }
        if request.kind == RequestKind::Normal
            && let Some(timeout) = self.inner.config.timeout
        {
            builder = builder.timeout(timeout);
        }
        builder.send().await.map_err(|source| transport_error(request.method.as_str(), url, source))
    }

    /// The HTTP client to use, rebuilt first if an exec credential brings a new client
    /// certificate.
    fn http_client(&self, credential: Option<&ExecCredential>) -> Result<reqwest::Client, Error> {
        let identity = credential.and_then(|credential| {
            Some((credential.client_certificate_pem.as_deref()?, credential.client_key_pem.as_deref()?))
        });
        {
            let http = self.inner.http.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            if identity.map(|(certificate, _)| certificate) == http.exec_certificate.as_deref() {
                return Ok(http.client.clone());
            }
        }
        let Some((certificate, key)) = identity else {
            let http = self.inner.http.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            return Ok(http.client.clone());
        };
        tracing::debug!("exec plugin returned a new client certificate; rebuilding TLS");
        let mut http = self.inner.http.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let client = build_http(&self.inner.config, Some((certificate, key)), http.server_name.as_ref())?;
        http.client = client.clone();
        http.exec_certificate = Some(certificate.to_vec());
        Ok(client)
    }

    fn report_warnings(&self, headers: &HeaderMap) {
        for value in headers.get_all(WARNING) {
            let text = String::from_utf8_lossy(value.as_bytes());
            // `299 - "text"`: keep the text.
            let text =
                text.split_once(' ').and_then(|(_, rest)| rest.split_once(' ')).map_or(text.as_ref(), |(_, text)| text);
            (self.inner.config.warnings.0)(text.trim_matches('"'));
        }
    }

    /// Sends a request and decodes the JSON response.
    pub async fn request<T: DeserializeOwned>(&self, request: Request) -> Result<T, Error> {
        let method = request.method.to_string();
        let url = self.display_url(&request.path);
        let response = self.send(request).await?;
        let bytes = read_body(response).await.map_err(|source| transport_error(&method, &url, source))?;
        decode(&bytes, &method, &url)
    }

    /// Sends a list request and decodes the response while it arrives: each element of
    /// `items` is decoded as soon as its last byte is in ([`ListDecoder`]), so decoding
    /// overlaps the server's encoding and the undecoded JSON held is about one chunk, not the
    /// whole body.
    pub async fn request_list<K: DeserializeOwned>(&self, request: Request) -> Result<ObjectList<K>, Error> {
        let method = request.method.to_string();
        let url = self.display_url(&request.path);
        let response = self.send(request).await?;
        self.decode_list_response(response, &method, &url).await
    }

    /// Decodes a JSON list response as it arrives ([`ListDecoder`]).
    pub(crate) async fn decode_list_response<K: DeserializeOwned>(
        &self,
        mut response: reqwest::Response,
        method: &str,
        url: &str,
    ) -> Result<ObjectList<K>, Error> {
        let decode_error = |error: ListDecodeError| Error::Decode {
            method: method.to_owned(),
            url: url.to_owned(),
            what: std::any::type_name::<ObjectList<K>>(),
            message: error.to_string(),
        };
        let mut decoder = ListDecoder::<K>::new();
        loop {
            let chunk = response.chunk().await.map_err(|source| transport_error(method, url, source))?;
            let Some(chunk) = chunk else { break };
            decoder.push(&chunk).map_err(decode_error)?;
        }
        decoder.finish().map_err(decode_error)
    }

    /// Sends a request and returns the response body as text.
    pub async fn request_text(&self, request: Request) -> Result<String, Error> {
        let method = request.method.to_string();
        let url = self.display_url(&request.path);
        let response = self.send(request).await?;
        response.text().await.map_err(|source| transport_error(&method, &url, source))
    }
}

/// The most a body's `Content-Length` reserves up front (more grows as it arrives).
const MAX_BODY_RESERVATION: u64 = 64 << 20;

/// Reads a response body into one buffer, appending each chunk as it arrives.
///
/// `Response::bytes` keeps every chunk until the end and then copies them into one buffer, so
/// a large list (35 MB for 50,000 ConfigMaps) is resident twice for a moment: that was the
/// informer's peak memory. Appending to a vector frees each chunk at once; a large vector
/// grows by `realloc`, which glibc does with `mremap`, without a second resident copy.
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let reserve = response.content_length().map_or(0, |length| length.min(MAX_BODY_RESERVATION));
    let mut body = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parses a JSON response body or watch line into `T`, as the client does for every response.
///
/// The bytes are checked to be UTF-8 once, then parsed as text: `serde_json::from_slice`
/// would check every string it meets again, which cost about a sixth of a Pod list's decode
/// time; the one pass over the whole body is several times cheaper.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        <serde_json::Error as serde::de::Error>::custom(format_args!("the body is not UTF-8: {error}"))
    })?;
    serde_json::from_str(text)
}

/// Parses JSON with [`parse_json`]; on failure parses it again to find the path of the
/// offending value, at no cost when parsing succeeds.
pub(crate) fn parse_located<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    parse_json(bytes).map_err(|error| {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(located) => format!("at {}: {}", located.path(), located.inner()),
            Ok(_) => error.to_string(),
        }
    })
}

/// Decodes a JSON body into `T` ([`parse_json`]). On failure the response is decoded again to
/// find the path of the offending value, so the error says where, at no cost when decoding
/// succeeds.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], method: &str, url: &str) -> Result<T, Error> {
    parse_located(bytes).map_err(|message| Error::Decode {
        method: method.to_owned(),
        url: url.to_owned(),
        what: std::any::type_name::<T>(),
        message,
    })
}

/// What an HTTP client is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpFlavor {
    /// API requests and watches (HTTP/2 unless `http1_only`).
    Api,
    /// Websocket upgrades (exec, attach, port-forward): HTTP/1.1 only, no Nagle delay.
    Upgrade,
}

fn build_http(
    config: &Config,
    identity: Option<(&[u8], &[u8])>,
    server_name: Option<&server_name::ServerName>,
) -> Result<reqwest::Client, Error> {
    build_http_for(config, identity, server_name, HttpFlavor::Api)
}

/// An HTTP client set up from `config`: TLS, timeouts, proxy, no redirects, keep-alive.
pub(crate) fn build_http_for(
    config: &Config,
    identity: Option<(&[u8], &[u8])>,
    server_name: Option<&server_name::ServerName>,
    flavor: HttpFlavor,
) -> Result<reqwest::Client, Error> {
    let mut tls = tls::client_config(config, identity)?;
    let http1_only = config.http1_only || flavor == HttpFlavor::Upgrade;
    if http1_only {
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    }
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(config.connect_timeout)
        .user_agent(config.user_agent.clone())
        // A redirect would carry the credentials to wherever it points; client-go does not
        // follow redirects of API requests either. `send` turns a 3xx into an error.
        .redirect(reqwest::redirect::Policy::none())
        .tcp_keepalive(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(90));
    if let Some(server_name) = server_name {
        builder = builder.dns_resolver(Arc::new(server_name.resolver()));
    }
    match flavor {
        HttpFlavor::Upgrade => builder = builder.http1_only().tcp_nodelay(true),
        HttpFlavor::Api => {
            if let Some(keep_alive) = config.keep_alive {
                builder = builder
                    .http2_keep_alive_interval(keep_alive.interval)
                    .http2_keep_alive_timeout(keep_alive.timeout)
                    .http2_keep_alive_while_idle(true);
            }
            if http1_only {
                builder = builder.http1_only();
            }
        }
    }
    builder = match &config.proxy_url {
        Some(proxy) => builder.proxy(
            reqwest::Proxy::all(proxy.as_str())
                .map_err(|error| Error::Tls(format!("proxy-url {}: {error}", crate::config::redact::url(proxy))))?,
        ),
        None => builder.no_proxy(),
    };
    builder.build().map_err(|error| Error::Tls(error::chain(&error)))
}

/// The URL without its userinfo, and the userinfo (percent-decoded) if it had a password or
/// a user name.
fn without_userinfo(url: &reqwest::Url) -> (reqwest::Url, Option<(String, String)>) {
    if url.username().is_empty() && url.password().is_none() {
        return (url.clone(), None);
    }
    let userinfo = (percent_decode(url.username()), percent_decode(url.password().unwrap_or_default()));
    let mut stripped = url.clone();
    // Setting the user name and password of an http(s) URL cannot fail.
    let _ = stripped.set_username("");
    let _ = stripped.set_password(None);
    (stripped, Some(userinfo))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |offset: usize| bytes.get(index + offset).and_then(|byte| char::from(*byte).to_digit(16));
        match (bytes[index], hex(1), hex(2)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                index += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// The error for a request that failed in transport, sending it or reading its body.
fn transport_error(method: &str, url: &str, source: reqwest::Error) -> Error {
    let mut message = error::chain(&source);
    if source.is_connect() {
        message = format!("cannot connect: {message}");
    } else if source.is_timeout() {
        message = format!("timed out: {message}");
    } else if message.contains("keep-alive timed out") {
        message = format!("timed out (the connection did not answer keep-alive pings): {message}");
    }
    Error::Transport { method: method.to_owned(), url: url.to_owned(), message, source }
}

/// The most of an error response's body that is read: a `Status` is a few hundred bytes, and
/// a hostile or broken server must not make the client hold gigabytes to report an error.
const MAX_ERROR_BODY: usize = 1 << 20;

async fn read_error_body(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_ERROR_BODY {
            break;
        }
    }
    body
}

/// The error for a non-success response: its `Status` if the body is one, else a `Status`
/// made from the code and the body's text.
async fn api_error(request: &Request, url: &str, response: reqwest::Response) -> Error {
    let code = response.status();
    let protobuf = protobuf::is_protobuf(&response);
    let body = read_error_body(response).await;
    // A request that accepted protobuf gets its Status in protobuf.
    let decoded = if protobuf {
        crate::proto::decode_envelope(&body).and_then(|envelope| envelope.decode_status()).ok()
    } else {
        serde_json::from_slice::<Status>(&body).ok()
    };
    let status = match decoded {
        Some(status) if status.message.is_some() || status.reason.is_some() => status,
        _ => {
            let text = String::from_utf8_lossy(&body);
            Status {
                code: Some(i32::from(code.as_u16())),
                message: Some(if text.trim().is_empty() {
                    code.canonical_reason().unwrap_or("error").to_owned()
                } else {
                    text.trim().chars().take(1000).collect()
                }),
                status: Some("Failure".to_owned()),
                ..Status::default()
            }
        }
    };
    Error::Api(Box::new(ApiError {
        method: request.method.to_string(),
        url: url.to_owned(),
        code: code.as_u16(),
        status,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_that_are_not_utf8_fail_with_the_path_of_the_bad_string() {
        let body = b"{\"code\":500,\"message\":\"caf\xe9\"}";
        let error = parse_json::<crate::Status>(body).expect_err("not UTF-8");
        assert!(error.to_string().contains("not UTF-8"), "{error}");
        let error = decode::<crate::Status>(body, "GET", "https://x/api").expect_err("not UTF-8");
        let text = error.to_string();
        assert!(text.contains("at message") && text.contains("https://x/api"), "{text}");
    }

    #[test]
    fn bodies_parse_as_text() {
        let status: crate::Status = parse_json(br#"{"code":404,"reason":"NotFound"}"#).expect("parses");
        assert_eq!(status.code, Some(404));
    }
}
