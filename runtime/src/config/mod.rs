//! Client configuration: where the API server is and how to authenticate, from a kubeconfig
//! (as kubectl reads it) or from inside a Pod.

mod exec;
mod incluster;
pub mod kubeconfig;
pub mod redact;

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub use exec::{ExecCredential, ExecError, ExecProvider};
pub use kubeconfig::{ExecConfig, Kubeconfig};

/// Everything a [`Client`](crate::Client) needs to reach an API server.
///
/// Its `Debug` output leaves out every secret (see [`redact`]).
#[derive(Clone)]
pub struct Config {
    /// The API server's URL, for example `https://127.0.0.1:6443`.
    pub cluster_url: reqwest::Url,
    /// The namespace of the context (or the Pod), `default` when none is set.
    pub default_namespace: String,
    /// CA certificates to trust (PEM). Without any, the system's roots are used.
    pub root_certificates: Option<Vec<u8>>,
    /// Do not verify the server's certificate (`insecure-skip-tls-verify`).
    pub accept_invalid_certificates: bool,
    /// Verify the server's certificate against this name instead of the URL's host.
    pub tls_server_name: Option<String>,
    /// A client certificate and key (PEM).
    pub client_certificate: Option<ClientCertificate>,
    /// How requests authenticate, besides a client certificate.
    pub auth: Auth,
    /// A proxy for every request: `http`, `https`, `socks5` or `socks5h` (names resolved by
    /// the proxy). Credentials in its userinfo are sent to the proxy.
    pub proxy_url: Option<reqwest::Url>,
    /// Timeout of a whole request, except watches and streams (default 295 s, as kubectl's
    /// server-side timeout is 5 minutes).
    pub timeout: Option<Duration>,
    /// Timeout of connecting (default 30 s).
    pub connect_timeout: Duration,
    /// HTTP/2 keep-alive pings: a connection that does not answer a ping within the timeout is
    /// closed, and the requests on it fail with a timeout error, so that informers reconnect
    /// instead of waiting on a connection that died without a FIN or RST (a NAT, a load
    /// balancer or a restarted node in between). Default: a ping every 30 s, answered within
    /// 15 s, also while idle (client-go's read-idle 30 s and ping timeout 15 s); `None` turns
    /// them off.
    pub keep_alive: Option<KeepAlive>,
    /// Speak HTTP/1.1 only (for proxies that do not speak HTTP/2). Each watch then has a
    /// connection of its own; informers notice a dead one by its silence (see
    /// `ReflectorOptions::watch_idle_timeout`).
    pub http1_only: bool,
    /// Client-side rate limit; `None` turns it off (default 50 requests/s, burst 100).
    pub rate_limit: Option<RateLimit>,
    /// Retries of a request the server answered with 429 or 5xx and a `Retry-After` header
    /// (default 10, as client-go).
    pub max_retries: u32,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// What to do with `Warning` headers (deprecated APIs, unknown fields with
    /// `fieldValidation=Warn`, ...); by default they are logged at warn level.
    pub warnings: WarningHandler,
    /// Ask for Kubernetes protobuf for the types that decode it (built-in types of a crate
    /// built with its `protobuf` feature), as client-go's typed clients do; JSON otherwise,
    /// and always when `false`. Default `true`.
    pub protobuf: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("cluster_url", &redact::url(&self.cluster_url))
            .field("default_namespace", &self.default_namespace)
            .field("root_certificates", &self.root_certificates.as_ref().map(Vec::len))
            .field("accept_invalid_certificates", &self.accept_invalid_certificates)
            .field("tls_server_name", &self.tls_server_name)
            .field("client_certificate", &self.client_certificate)
            .field("auth", &self.auth)
            .field("proxy_url", &self.proxy_url.as_ref().map(redact::url))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("keep_alive", &self.keep_alive)
            .field("http1_only", &self.http1_only)
            .field("rate_limit", &self.rate_limit)
            .field("max_retries", &self.max_retries)
            .field("user_agent", &self.user_agent)
            .field("protobuf", &self.protobuf)
            .finish_non_exhaustive()
    }
}

/// Receives the server's `Warning` headers.
#[derive(Clone)]
pub struct WarningHandler(pub std::sync::Arc<dyn Fn(&str) + Send + Sync>);

impl WarningHandler {
    /// A handler calling `handler` with each warning's text.
    pub fn new(handler: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(handler))
    }
}

impl Default for WarningHandler {
    fn default() -> Self {
        Self::new(|warning| tracing::warn!("API server warning: {warning}"))
    }
}

impl std::fmt::Debug for WarningHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WarningHandler")
    }
}

/// HTTP/2 keep-alive pings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeepAlive {
    /// How often a ping is sent.
    pub interval: Duration,
    /// How long an unanswered ping is waited for before the connection is closed.
    pub timeout: Duration,
}

impl Default for KeepAlive {
    fn default() -> Self {
        Self { interval: Duration::from_secs(30), timeout: Duration::from_secs(15) }
    }
}

/// A token bucket: `qps` requests per second on average, up to `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Average requests per second.
    pub qps: f64,
    /// Requests that may be sent at once after a pause.
    pub burst: u32,
}

/// A client certificate and its private key, in PEM.
#[derive(Clone)]
pub struct ClientCertificate {
    /// The certificate chain.
    pub certificate_pem: Vec<u8>,
    /// The private key.
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate").field("key_pem", &"<redacted>").finish_non_exhaustive()
    }
}

/// How requests authenticate.
#[derive(Clone)]
pub enum Auth {
    /// No credentials (or a client certificate only).
    None,
    /// HTTP basic auth.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// A bearer token.
    Token(String),
    /// A bearer token read from a file, and read again when it is older than a minute or the
    /// server answers 401 (service account tokens rotate).
    TokenFile(PathBuf),
    /// A token or client certificate from an exec credential plugin.
    Exec(Box<ExecProvider>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { .. } => f.write_str("Basic(<redacted>)"),
            Auth::Token(_) => f.write_str("Token(<redacted>)"),
            Auth::TokenFile(path) => write!(f, "TokenFile({})", path.display()),
            Auth::Exec(provider) => write!(f, "Exec({})", provider.command()),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A kubeconfig file is not valid.
    #[error("{path} is not a valid kubeconfig: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No kubeconfig file exists.
    #[error("no kubeconfig: KUBECONFIG is unset or names no file, and ~/.kube/config does not exist")]
    NoKubeconfig,
    /// The kubeconfig has no current context and none was named.
    #[error("the kubeconfig has no current-context and none was named")]
    NoCurrentContext,
    /// A context, cluster or user the kubeconfig refers to is not in it.
    #[error("the kubeconfig has no {what} named {name:?}")]
    Missing {
        /// `context`, `cluster` or `user`.
        what: &'static str,
        /// The missing name.
        name: String,
    },
    /// A value is not valid.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// What is invalid.
        what: String,
        /// Why.
        message: String,
    },
    /// Not running in a Pod: the service account environment is missing.
    #[error("not in a cluster: {0}")]
    NotInCluster(String),
    /// Neither a kubeconfig nor an in-cluster configuration was found.
    #[error("no configuration: kubeconfig: {kubeconfig}; in-cluster: {in_cluster}")]
    NoConfiguration {
        /// Why the kubeconfig did not load.
        kubeconfig: Box<ConfigError>,
        /// Why the in-cluster configuration did not load.
        in_cluster: Box<ConfigError>,
    },
}

/// Options for loading a kubeconfig.
#[derive(Clone, Debug, Default)]
pub struct KubeconfigOptions {
    /// The context to use instead of the current one.
    pub context: Option<String>,
    /// The cluster to use instead of the context's.
    pub cluster: Option<String>,
    /// The user to use instead of the context's.
    pub user: Option<String>,
}

impl Config {
    /// A configuration for `cluster_url` with defaults and no credentials.
    pub fn new(cluster_url: reqwest::Url) -> Self {
        Self {
            cluster_url,
            default_namespace: "default".to_owned(),
            root_certificates: None,
            accept_invalid_certificates: false,
            tls_server_name: None,
            client_certificate: None,
            auth: Auth::None,
            proxy_url: None,
            timeout: Some(Duration::from_secs(295)),
            connect_timeout: Duration::from_secs(30),
            keep_alive: Some(KeepAlive::default()),
            http1_only: false,
            rate_limit: Some(RateLimit { qps: 50.0, burst: 100 }),
            max_retries: 10,
            user_agent: format!("kubegen/{}", env!("CARGO_PKG_VERSION")),
            warnings: WarningHandler::default(),
            protobuf: true,
        }
    }

    /// Sends requests to `address` (a proxy, a tunnel, a port-forward in front of the API
    /// server) while still verifying the server's certificate for the configured host: the
    /// host becomes the `tls-server-name` unless one is set, and the URL's host and port
    /// become `address`. The path of the URL is kept.
    pub fn connect_through(&mut self, address: std::net::SocketAddr) {
        if self.tls_server_name.is_none()
            && let Some(host) = self.cluster_url.host_str()
        {
            self.tls_server_name = Some(host.trim_start_matches('[').trim_end_matches(']').to_owned());
        }
        // An http(s) URL takes any IP address and port.
        let _ = self.cluster_url.set_ip_host(address.ip());
        let _ = self.cluster_url.set_port(Some(address.port()));
    }

    /// The kubeconfig configuration if there is one, else the in-cluster one; the error says
    /// why neither worked.
    pub fn infer() -> Result<Self, ConfigError> {
        match Self::from_kubeconfig(&KubeconfigOptions::default()) {
            Ok(config) => Ok(config),
            Err(kubeconfig) => Self::incluster().map_err(|in_cluster| ConfigError::NoConfiguration {
                kubeconfig: Box::new(kubeconfig),
                in_cluster: Box::new(in_cluster),
            }),
        }
    }

    /// The configuration of the default kubeconfig files (`KUBECONFIG`, else
    /// `~/.kube/config`), merged as kubectl merges them.
    pub fn from_kubeconfig(options: &KubeconfigOptions) -> Result<Self, ConfigError> {
        let kubeconfig = Kubeconfig::read_default()?.ok_or(ConfigError::NoKubeconfig)?;
        Self::from_custom_kubeconfig(&kubeconfig, options)
    }

    /// The configuration of a parsed kubeconfig.
    pub fn from_custom_kubeconfig(kubeconfig: &Kubeconfig, options: &KubeconfigOptions) -> Result<Self, ConfigError> {
        let (_, context, cluster, user) = kubeconfig.resolve(options.context.as_deref())?;
        let cluster = match &options.cluster {
            Some(name) => {
                &kubeconfig
                    .clusters
                    .iter()
                    .find(|c| &c.name == name)
                    .ok_or_else(|| ConfigError::Missing { what: "cluster", name: name.clone() })?
                    .cluster
            }
            None => cluster,
        };
        let user = match &options.user {
            Some(name) => {
                &kubeconfig
                    .users
                    .iter()
                    .find(|u| &u.name == name)
                    .ok_or_else(|| ConfigError::Missing { what: "user", name: name.clone() })?
                    .user
            }
            None => user,
        };
        let cluster_url = parse_url("cluster server", &cluster.server)?;
        let mut config = Config::new(cluster_url);
        if let Some(namespace) = context.namespace.as_ref().filter(|n| !n.is_empty()) {
            config.default_namespace = namespace.clone();
        }
        config.root_certificates =
            data_or_file("certificate-authority", &cluster.certificate_authority_data, &cluster.certificate_authority)?;
        config.accept_invalid_certificates = cluster.insecure_skip_tls_verify;
        if config.accept_invalid_certificates && config.root_certificates.is_some() {
            return Err(ConfigError::Invalid {
                what: "cluster".into(),
                message: crate::client::INSECURE_WITH_CA.to_owned(),
            });
        }
        config.tls_server_name = cluster.tls_server_name.clone().filter(|name| !name.is_empty());
        config.proxy_url = match &cluster.proxy_url {
            Some(proxy) if !proxy.is_empty() => Some(parse_proxy_url(proxy)?),
            _ => None,
        };
        let certificate = data_or_file("client-certificate", &user.client_certificate_data, &user.client_certificate)?;
        let key = data_or_file("client-key", &user.client_key_data, &user.client_key)?;
        config.client_certificate = match (certificate, key) {
            (Some(certificate_pem), Some(key_pem)) => Some(ClientCertificate { certificate_pem, key_pem }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    what: "user".into(),
                    message: "a client certificate needs both a certificate and a key".into(),
                });
            }
        };
        config.auth = if let Some(token) = user.token.as_ref().filter(|t| !t.is_empty()) {
            Auth::Token(token.clone())
        } else if let Some(file) = user.token_file.as_ref().filter(|f| !f.is_empty()) {
            Auth::TokenFile(PathBuf::from(file))
        } else if let Some(exec) = &user.exec {
            Auth::Exec(Box::new(ExecProvider::new(exec.clone(), cluster.clone())))
        } else if let (Some(username), Some(password)) = (&user.username, &user.password) {
            Auth::Basic { username: username.clone(), password: password.clone() }
        } else if let Some(provider) = &user.auth_provider {
            let name = provider.get("name").and_then(|name| name.as_str()).unwrap_or("unnamed");
            return Err(ConfigError::Invalid {
                what: "user".into(),
                message: format!(
                    "auth-provider {name:?} is not supported; use an exec credential plugin (client.authentication.k8s.io)"
                ),
            });
        } else {
            Auth::None
        };
        Ok(config)
    }

    /// The configuration inside a Pod: the API server from `KUBERNETES_SERVICE_HOST` and
    /// `_PORT`, the service account's token (re-read as it rotates), CA and namespace.
    pub fn incluster() -> Result<Self, ConfigError> {
        incluster::load(incluster::SERVICE_ACCOUNT_DIR, |name| std::env::var(name).ok())
    }
}

fn parse_url(what: &str, text: &str) -> Result<reqwest::Url, ConfigError> {
    reqwest::Url::parse(text).map_err(|error| ConfigError::Invalid {
        what: what.to_owned(),
        message: format!("{:?}: {error}", redact::url_text(text)),
    })
}

/// The schemes a proxy may have: the client speaks to HTTP(S) proxies and, through reqwest's
/// `socks` feature, to SOCKS5 ones. Anything else is refused here, when the kubeconfig is
/// loaded, instead of failing every request.
const PROXY_SCHEMES: [&str; 4] = ["http", "https", "socks5", "socks5h"];

fn parse_proxy_url(text: &str) -> Result<reqwest::Url, ConfigError> {
    let url = parse_url("proxy-url", text)?;
    if !PROXY_SCHEMES.contains(&url.scheme()) {
        return Err(ConfigError::Invalid {
            what: "proxy-url".into(),
            message: format!(
                "{:?}: the scheme {:?} is not supported (use one of {})",
                redact::url_text(text),
                url.scheme(),
                PROXY_SCHEMES.join(", ")
            ),
        });
    }
    Ok(url)
}

/// `*-data` (base64 in the kubeconfig) if set, else the file's content.
fn data_or_file(what: &str, data: &Option<String>, file: &Option<String>) -> Result<Option<Vec<u8>>, ConfigError> {
    if let Some(data) = data.as_ref().filter(|data| !data.is_empty()) {
        let compact: String = data.split_whitespace().collect();
        return STANDARD.decode(compact).map(Some).map_err(|error| ConfigError::Invalid {
            what: format!("{what}-data"),
            message: format!("not base64: {error}"),
        });
    }
    match file.as_ref().filter(|file| !file.is_empty()) {
        Some(file) => {
            std::fs::read(file).map(Some).map_err(|source| ConfigError::Read { path: PathBuf::from(file), source })
        }
        None => Ok(None),
    }
}
