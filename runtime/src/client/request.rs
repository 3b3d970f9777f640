//! A request, before the client sends it.

use bytes::Bytes;
use reqwest::Method;

/// How a request is treated by the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// An ordinary request: rate limited, with the configured timeout.
    Normal,
    /// A watch: open for minutes; the first attempt is not rate limited and there is no
    /// client timeout (the server ends it after `timeoutSeconds`).
    Watch,
    /// A streamed response (a followed log): no client timeout.
    Stream,
}

/// An HTTP request to the API server.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path and query, for example `/api/v1/namespaces/default/pods?limit=500`.
    pub path: String,
    /// The body.
    pub body: Option<Bytes>,
    /// The body's content type; `application/json` when unset.
    pub content_type: Option<&'static str>,
    /// The `Accept` header; `application/json` when unset.
    pub accept: Option<&'static str>,
    /// How the client treats the request.
    pub kind: RequestKind,
}

impl Request {
    /// A request without a body.
    pub fn new(method: Method, path: String) -> Self {
        Self { method, path, body: None, content_type: None, accept: None, kind: RequestKind::Normal }
    }

    /// With a JSON body.
    pub fn json(mut self, body: Vec<u8>) -> Self {
        self.body = Some(Bytes::from(body));
        self
    }

    /// With a body of a given content type.
    pub fn body(mut self, body: Vec<u8>, content_type: &'static str) -> Self {
        self.body = Some(Bytes::from(body));
        self.content_type = Some(content_type);
        self
    }

    /// With an `Accept` header other than `application/json`.
    pub fn accept(mut self, accept: &'static str) -> Self {
        self.accept = Some(accept);
        self
    }

    /// As a watch or a stream.
    pub fn kind(mut self, kind: RequestKind) -> Self {
        self.kind = kind;
        self
    }
}

/// Builds a path with a query string, percent-encoding the values.
#[derive(Debug)]
pub struct PathBuilder {
    path: String,
    query: String,
}

impl PathBuilder {
    /// Starts from a path without a query.
    pub fn new(path: String) -> Self {
        Self { path, query: String::new() }
    }

    /// Adds `key=value`.
    pub fn param(&mut self, key: &str, value: &str) -> &mut Self {
        self.query.push(if self.query.is_empty() { '?' } else { '&' });
        self.query.extend(form_urlencoded::byte_serialize(key.as_bytes()));
        self.query.push('=');
        self.query.extend(form_urlencoded::byte_serialize(value.as_bytes()));
        self
    }

    /// Adds `key=value` when `value` is set.
    pub fn optional(&mut self, key: &str, value: Option<impl ToString>) -> &mut Self {
        if let Some(value) = value {
            self.param(key, &value.to_string());
        }
        self
    }

    /// The path and query.
    pub fn build(mut self) -> String {
        self.path.push_str(&self.query);
        self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        let mut builder = PathBuilder::new("/api/v1/pods".into());
        builder.param("labelSelector", "app in (a,b),!legacy").optional("limit", Some(5)).optional("x", None::<u32>);
        assert_eq!(builder.build(), "/api/v1/pods?labelSelector=app+in+%28a%2Cb%29%2C%21legacy&limit=5");
        assert_eq!(PathBuilder::new("/api".into()).build(), "/api");
    }
}
