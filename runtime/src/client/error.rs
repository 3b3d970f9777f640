//! Errors of the client: the server's `Status`, decoded, or what kept the request from it.

use std::fmt;

use crate::config::ConfigError;
use crate::config::ExecError;
use crate::types::Status;

/// An error from a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error; its `Status` is decoded.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The request could not be sent or its response not read: connection refused, a TLS
    /// failure, a timeout, a broken connection.
    #[error("{method} {url}: {message}")]
    Transport {
        /// The request's method.
        method: String,
        /// The request's URL.
        url: String,
        /// What went wrong, with its causes.
        message: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// A streaming connection (exec, attach, port-forward) failed after the request: it broke,
    /// timed out, closed without a result, or the server broke the protocol.
    #[error("{context}: {message}")]
    Stream {
        /// The request (`GET <url>`, without the query: a command line may hold secrets) or
        /// what was being done.
        context: String,
        /// What went wrong.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The response could not be decoded into the expected type.
    #[error("{method} {url}: cannot decode the response as {what}: {message}")]
    Decode {
        /// The request's method.
        method: String,
        /// The request's URL.
        url: String,
        /// The expected type.
        what: &'static str,
        /// The decoder's message, with the JSON path where it failed.
        message: String,
    },

    /// A request body could not be encoded.
    #[error("cannot encode the request body: {0}")]
    Encode(#[source] serde_json::Error),

    /// The configuration is not usable.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),

    /// TLS settings (CA, client certificate) are not usable.
    #[error("TLS configuration: {0}")]
    Tls(String),

    /// An exec credential plugin failed.
    #[error("credentials: {0}")]
    Exec(#[from] ExecError),

    /// A token file could not be read.
    #[error("reading the token file {path}: {source}")]
    TokenFile {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },

    /// The request was invalid before it was sent (an empty name, a bad selector).
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// A name, namespace or other part of a request path is one the API server would refuse,
    /// or one that would address another resource (`..`, `/`, `%`): nothing was sent.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidPathSegment {
        /// What the segment is: `name`, `namespace`, `subresource`, `request path`...
        what: &'static str,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },

    /// The server answered with a redirect. API requests do not follow redirects (as
    /// client-go's): a redirect to another host would carry the credentials there.
    #[error("{method} {url}: the server redirected ({code}) to {location:?}; API requests do not follow redirects")]
    Redirect {
        /// The request's method.
        method: String,
        /// The request's URL.
        url: String,
        /// The HTTP status code (301, 302, 303, 307 or 308).
        code: u16,
        /// The `Location` header, if any.
        location: String,
    },
}

/// An error response: the HTTP status and the server's `Status` object.
#[derive(Debug)]
pub struct ApiError {
    /// The request's method.
    pub method: String,
    /// The request's URL.
    pub url: String,
    /// The HTTP status code.
    pub code: u16,
    /// The decoded `Status`; when the body was not a `Status`, one made from the HTTP status
    /// and the body's text.
    pub status: Status,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.url, self.code)?;
        // The server's words go into logs: control characters are escaped so that a message
        // cannot forge log lines or terminal sequences.
        if let Some(reason) = self.status.reason.as_deref().filter(|reason| !reason.is_empty()) {
            write!(f, " {}", Escaped(reason))?;
        }
        if let Some(message) = self.status.message.as_deref().filter(|message| !message.is_empty()) {
            write!(f, ": {}", Escaped(message))?;
        }
        Ok(())
    }
}

/// Text from the network, displayed with its control characters escaped (`\n`, `\u{1b}`)
/// and everything else as is.
pub(crate) struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_debug())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

/// The machine-readable reasons of [`Status`] errors that callers branch on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// 404: the object (or resource) does not exist.
    NotFound,
    /// 409: an object with that name exists.
    AlreadyExists,
    /// 409: the object changed since it was read (stale resourceVersion), or an apply
    /// conflicts with another field manager.
    Conflict,
    /// 410: the resourceVersion is too old (compacted).
    Gone,
    /// 410 with reason `Expired`: the resourceVersion or continue token expired.
    Expired,
    /// 403: the user may not do this.
    Forbidden,
    /// 401: the user is not authenticated.
    Unauthorized,
    /// 422: the object is invalid.
    Invalid,
    /// 400: the request is malformed.
    BadRequest,
    /// 405: the resource does not support the verb.
    MethodNotAllowed,
    /// 429: too many requests.
    TooManyRequests,
    /// 504 or reason `Timeout`: the server timed out.
    Timeout,
    /// 500: the server failed.
    InternalError,
    /// 503: the server is unavailable.
    ServiceUnavailable,
    /// Anything else, with the server's reason text.
    Other(String),
}

impl ApiError {
    /// The error's reason, from the `Status` reason or else the HTTP code.
    pub fn reason(&self) -> Reason {
        match self.status.reason.as_deref().unwrap_or_default() {
            "NotFound" => Reason::NotFound,
            "AlreadyExists" => Reason::AlreadyExists,
            "Conflict" => Reason::Conflict,
            "Gone" => Reason::Gone,
            "Expired" => Reason::Expired,
            "Forbidden" => Reason::Forbidden,
            "Unauthorized" => Reason::Unauthorized,
            "Invalid" => Reason::Invalid,
            "BadRequest" => Reason::BadRequest,
            "MethodNotAllowed" => Reason::MethodNotAllowed,
            "TooManyRequests" => Reason::TooManyRequests,
            "Timeout" | "ServerTimeout" => Reason::Timeout,
            "InternalError" => Reason::InternalError,
            "ServiceUnavailable" => Reason::ServiceUnavailable,
            "" => match self.code {
                404 => Reason::NotFound,
                409 => Reason::Conflict,
                410 => Reason::Gone,
                403 => Reason::Forbidden,
                401 => Reason::Unauthorized,
                422 => Reason::Invalid,
                400 => Reason::BadRequest,
                405 => Reason::MethodNotAllowed,
                429 => Reason::TooManyRequests,
                504 => Reason::Timeout,
                500 => Reason::InternalError,
                503 => Reason::ServiceUnavailable,
                code => Reason::Other(code.to_string()),
            },
            other => Reason::Other(other.to_owned()),
        }
    }
}

impl Error {
    /// A copy of the error, for places that keep or share it (a transport error holds a
    /// `reqwest::Error`, which cannot be cloned): a server error keeps its `Status`, any other
    /// error becomes its message.
    pub fn summary(&self) -> Error {
        match self.api() {
            Some(api) => Error::Api(Box::new(ApiError {
                method: api.method.clone(),
                url: api.url.clone(),
                code: api.code,
                status: api.status.clone(),
            })),
            None => Error::InvalidRequest(self.to_string()),
        }
    }

    /// The server's error, if the server answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(error) => Some(error),
            _ => None,
        }
    }

    /// The server's reason, if the server answered with an error.
    pub fn reason(&self) -> Option<Reason> {
        self.api().map(ApiError::reason)
    }

    /// The HTTP status code, if the server answered with an error.
    pub fn code(&self) -> Option<u16> {
        self.api().map(|error| error.code)
    }

    /// 404.
    pub fn is_not_found(&self) -> bool {
        self.reason() == Some(Reason::NotFound)
    }

    /// 409 `AlreadyExists`.
    pub fn is_already_exists(&self) -> bool {
        self.reason() == Some(Reason::AlreadyExists)
    }

    /// 409 `Conflict`: a stale resourceVersion or an apply conflict.
    pub fn is_conflict(&self) -> bool {
        self.reason() == Some(Reason::Conflict)
    }

    /// 410, `Gone` or `Expired`: the resourceVersion is too old.
    pub fn is_gone(&self) -> bool {
        self.code() == Some(410) || matches!(self.reason(), Some(Reason::Gone | Reason::Expired))
    }

    /// 403.
    pub fn is_forbidden(&self) -> bool {
        self.reason() == Some(Reason::Forbidden)
    }

    /// 422.
    pub fn is_invalid(&self) -> bool {
        self.reason() == Some(Reason::Invalid)
    }

    /// 401.
    pub fn is_unauthorized(&self) -> bool {
        self.reason() == Some(Reason::Unauthorized)
    }
}

/// The message of an error and all its causes, `: `-separated, without repeats (reqwest and
/// hyper wrap the same cause at several levels).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(code: u16, reason: Option<&str>) -> Error {
        Error::Api(Box::new(ApiError {
            method: "GET".into(),
            url: "https://x/api/v1/namespaces/a/pods/b".into(),
            code,
            status: Status {
                reason: reason.map(str::to_owned),
                message: Some("pods \"b\" not found".into()),
                ..Status::default()
            },
        }))
    }

    #[test]
    fn reasons_come_from_the_status_or_the_code() {
        assert!(api_error(404, Some("NotFound")).is_not_found());
        assert!(api_error(404, None).is_not_found());
        assert!(api_error(409, Some("AlreadyExists")).is_already_exists());
        assert!(!api_error(409, Some("AlreadyExists")).is_conflict());
        assert!(api_error(410, Some("Expired")).is_gone());
        assert_eq!(api_error(418, Some("Teapot")).reason(), Some(Reason::Other("Teapot".into())));
        assert_eq!(
            api_error(404, Some("NotFound")).to_string(),
            "GET https://x/api/v1/namespaces/a/pods/b: 404 NotFound: pods \"b\" not found"
        );
    }

    #[test]
    fn the_servers_words_cannot_forge_log_lines() {
        let error = Error::Api(Box::new(ApiError {
            method: "GET".into(),
            url: "https://x/api".into(),
            code: 500,
            status: Status {
                reason: Some("Bad\rReason".into()),
                message: Some("line one\n2026-01-01 INFO forged line \u{1b}[31m".into()),
                ..Status::default()
            },
        }));
        let text = error.to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(
            text.contains("line one\\n2026") && text.contains("\\u{1b}[31m") && text.contains("Bad\\rReason"),
            "{text}"
        );
    }
}
