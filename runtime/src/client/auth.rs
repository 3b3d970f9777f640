//! Request authentication: the `Authorization` header for each request, and what to do
//! after a 401.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderValue;
use tokio::sync::Mutex;

use super::Error;
use crate::config::{Auth, ExecCredential, ExecProvider};

/// A token file is read again when its cached content is older than this (service account
/// tokens rotate; client-go and kube-rs re-read them about once a minute).
const TOKEN_FILE_MAX_AGE: Duration = Duration::from_secs(60);

/// Produces the `Authorization` header of each request.
#[derive(Debug)]
pub enum Authenticator {
    /// No header.
    None,
    /// A fixed header (basic auth or a static token).
    Fixed(HeaderValue),
    /// A token read from a file and cached for a while.
    TokenFile {
        /// The file.
        path: PathBuf,
        /// The token and when it was read.
        cached: Mutex<Option<(HeaderValue, Instant)>>,
    },
    /// A credential from an exec plugin.
    Exec(Box<ExecProvider>),
}

impl Authenticator {
    /// The authenticator for a configuration.
    pub fn new(auth: &Auth) -> Result<Self, Error> {
        Ok(match auth {
            Auth::None => Authenticator::None,
            Auth::Basic { username, password } => {
                let encoded = STANDARD.encode(format!("{username}:{password}"));
                Authenticator::Fixed(sensitive(&format!("Basic {encoded}"))?)
            }
            Auth::Token(token) => Authenticator::Fixed(sensitive(&format!("Bearer {token}"))?),
            Auth::TokenFile(path) => Authenticator::TokenFile { path: path.clone(), cached: Mutex::new(None) },
            Auth::Exec(provider) => Authenticator::Exec(provider.clone()),
        })
    }

    /// The header for the next request, and the exec credential it came from (whose client
    /// certificate, if any, the TLS configuration must use).
    pub async fn header(&self) -> Result<(Option<HeaderValue>, Option<ExecCredential>), Error> {
        match self {
            Authenticator::None => Ok((None, None)),
            Authenticator::Fixed(value) => Ok((Some(value.clone()), None)),
            Authenticator::TokenFile { path, cached } => {
                let mut cached = cached.lock().await;
                if let Some((value, read_at)) = cached.as_ref()
                    && read_at.elapsed() < TOKEN_FILE_MAX_AGE
                {
                    return Ok((Some(value.clone()), None));
                }
                let token = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|source| Error::TokenFile { path: path.clone(), source })?;
                let value = sensitive(&format!("Bearer {}", token.trim()))?;
                *cached = Some((value.clone(), Instant::now()));
                Ok((Some(value), None))
            }
            Authenticator::Exec(provider) => {
                let credential = provider.credential().await?;
                let header = match &credential.token {
                    Some(token) => Some(sensitive(&format!("Bearer {token}"))?),
                    None => None,
                };
                Ok((header, Some(credential)))
            }
        }
    }

    /// Forgets cached credentials after a 401; true if fresh ones may differ, so that one
    /// retry is worth it.
    pub async fn refresh(&self) -> bool {
        match self {
            Authenticator::None | Authenticator::Fixed(_) => false,
            Authenticator::TokenFile { cached, .. } => {
                *cached.lock().await = None;
                true
            }
            Authenticator::Exec(provider) => {
                provider.invalidate().await;
                true
            }
        }
    }
}

fn sensitive(text: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(text)
        .map_err(|_| Error::InvalidRequest("credentials contain characters not allowed in a header".into()))?;
    value.set_sensitive(true);
    Ok(value)
}
