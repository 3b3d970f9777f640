//! The `proxy` subresources of Pods, Services and Nodes: HTTP requests that the API server
//! passes on to the object ([`Api::proxy`]).
//!
//! The object's name may carry a port and a scheme as the API server reads them
//! (`web-0:8080`, `https:web-0:8443`). The API server refuses to proxy to an address that is
//! not global unicast (loopback, link-local: `400 address not allowed`).

use bytes::Bytes;
use reqwest::Method;

use super::request::{PathBuilder, Request};
use super::{Api, Error};
use crate::resource::subresource;

/// A request to send through a `proxy` subresource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRequest {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<(Bytes, &'static str)>,
    accept: &'static str,
}

impl ProxyRequest {
    /// A request with `method` for `path` on the object (`/` or `""` for its root).
    pub fn new(method: Method, path: &str) -> Self {
        ProxyRequest { method, path: path.to_owned(), query: Vec::new(), body: None, accept: "*/*" }
    }

    /// A GET of `path`.
    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    /// Adds `key=value` to the query.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.query.push((key.to_owned(), value.to_owned()));
        self
    }

    /// With a body of a content type.
    pub fn body(mut self, body: impl Into<Bytes>, content_type: &'static str) -> Self {
        self.body = Some((body.into(), content_type));
        self
    }

    /// With an `Accept` header (default `*/*`).
    pub fn accept(mut self, accept: &'static str) -> Self {
        self.accept = accept;
        self
    }
}

impl<K: subresource::Proxy> Api<K> {
    /// Sends `request` to object `name` through the API server (`<object>/proxy/<path>`) and
    /// returns the object's successful response; an error response is [`Error::Api`] with the
    /// answer's code and text, whether the API server or the object gave it.
    pub async fn proxy(&self, name: &str, request: ProxyRequest) -> Result<reqwest::Response, Error> {
        let mut path = self.path.subresource(name, "proxy")?;
        path.push_str(&encode_proxy_path(&request.path)?);
        let mut query = PathBuilder::new(path);
        for (key, value) in &request.query {
            query.param(key, value);
        }
        let mut sent = Request::new(request.method, query.build()).accept(request.accept);
        if let Some((body, content_type)) = request.body {
            sent.body = Some(body);
            sent.content_type = Some(content_type);
        }
        self.client.send(sent).await
    }

    /// GETs `path` of object `name` through the API server and returns the body as text.
    pub async fn proxy_get(&self, name: &str, path: &str) -> Result<String, Error> {
        let response = self.proxy(name, ProxyRequest::get(path)).await?;
        let url = response.url().to_string();
        response.text().await.map_err(|source| super::transport_error("GET", &url, source))
    }
}

/// `/<segment>/...` with each segment percent-encoded (the path is text, not a URL: `%` too),
/// keeping a trailing slash; `""` for an empty path. `.` and `..` are refused: URL parsing would resolve them and the request would
/// leave the proxy for another API path.
fn encode_proxy_path(path: &str) -> Result<String, Error> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return Ok(if path.is_empty() { String::new() } else { "/".to_owned() });
    }
    let mut encoded = String::with_capacity(trimmed.len() + 1);
    for segment in trimmed.split('/') {
        // `%` is always encoded, so `%2e` segments cannot be made from here.
        if segment == "." || segment == ".." {
            return Err(Error::InvalidRequest(format!("proxy path {path:?}: `.` and `..` segments are not allowed")));
        }
        encoded.push('/');
        for byte in segment.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte) {
                encoded.push(char::from(byte));
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    Ok(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_paths_are_encoded_segment_by_segment() {
        assert_eq!(encode_proxy_path("").expect("empty"), "");
        assert_eq!(encode_proxy_path("/").expect("root"), "/");
        assert_eq!(encode_proxy_path("healthz").expect("one"), "/healthz");
        assert_eq!(encode_proxy_path("/api/v1/").expect("trailing"), "/api/v1/");
        assert_eq!(encode_proxy_path("a b/c?d#e%").expect("escaped"), "/a%20b/c%3Fd%23e%25");
        assert_eq!(encode_proxy_path("%2e%2e/x").expect("percent"), "/%252e%252e/x");
        for bad in ["..", "a/../b", "./x", "/a/."] {
            assert!(encode_proxy_path(bad).is_err(), "{bad}");
        }
    }
}
