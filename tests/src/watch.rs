//! A raw watch stream: newline-delimited JSON `{"type": ..., "object": ...}` events read from a
//! chunked HTTP response.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::Error;
use crate::http::request_error;

/// One watch event.
#[derive(Debug, Clone, Deserialize)]
pub struct WatchEvent {
    /// `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The object, or a `Status` for `ERROR`.
    pub object: Value,
}

impl WatchEvent {
    /// `object.metadata.name`, if any.
    pub fn name(&self) -> Option<&str> {
        self.object.pointer("/metadata/name").and_then(Value::as_str)
    }

    /// `object.code` of an `ERROR` event's `Status` (410 for an expired resourceVersion).
    pub fn error_code(&self) -> Option<u64> {
        if self.event_type == "ERROR" { self.object.get("code").and_then(Value::as_u64) } else { None }
    }
}

/// An open watch. Dropping it closes the connection.
#[derive(Debug)]
pub struct WatchStream {
    url: String,
    response: reqwest::Response,
    buffer: Vec<u8>,
}

impl WatchStream {
    pub(crate) fn new(url: String, response: reqwest::Response) -> Self {
        WatchStream { url, response, buffer: Vec::new() }
    }

    /// The next event; `None` when the server ended the watch.
    pub async fn next(&mut self) -> Result<Option<WatchEvent>, Error> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return self.decode(&line).map(Some);
            }
            let chunk = self.response.chunk().await.map_err(|source| request_error(&Method::GET, &self.url, source))?;
            match chunk {
                Some(bytes) => self.buffer.extend_from_slice(&bytes),
                None if self.buffer.iter().all(u8::is_ascii_whitespace) => return Ok(None),
                None => {
                    let rest = std::mem::take(&mut self.buffer);
                    return self.decode(&rest).map(Some);
                }
            }
        }
    }

    /// [`next`](Self::next) with a time limit ([`Error::Timeout`] when it passes).
    pub async fn next_within(&mut self, limit: Duration) -> Result<Option<WatchEvent>, Error> {
        match tokio::time::timeout(limit, self.next()).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout { what: format!("a watch event from {}", self.url), timeout: limit }),
        }
    }

    /// Reads events until one satisfies `wanted`, skipping others (e.g. bookmarks); fails when
    /// the watch ends or `limit` passes first.
    pub async fn wait_for(
        &mut self,
        limit: Duration,
        mut wanted: impl FnMut(&WatchEvent) -> bool,
    ) -> Result<WatchEvent, Error> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await? {
                Some(event) if wanted(&event) => return Ok(event),
                Some(event) => {
                    let (event_type, name) = (&event.event_type, event.name());
                    tracing::debug!(event_type, ?name, "skipping watch event");
                }
                None => {
                    return Err(Error::Unexpected {
                        url: self.url.clone(),
                        message: "the watch ended before the expected event".to_string(),
                    });
                }
            }
        }
    }

    fn decode(&self, line: &[u8]) -> Result<WatchEvent, Error> {
        serde_json::from_slice(line).map_err(|source| Error::Decode { url: self.url.clone(), source })
    }
}
