//! Splitting a watch response into events as its bytes arrive.
//!
//! The API server writes one JSON object per event, each followed by a newline. Bytes are
//! buffered until a newline, and each complete line is decoded in place; the search for the
//! next newline resumes where the previous one stopped, so a large event that arrives in many
//! chunks is scanned once.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use futures::Stream;
use serde::de::DeserializeOwned;

use super::WatchEvent;
use crate::client::Error;

/// A stream of typed watch events.
pub struct EventStream<K, S> {
    body: S,
    buffer: BytesMut,
    /// Bytes of `buffer` already searched for a newline.
    scanned: usize,
    method: &'static str,
    url: String,
    done: bool,
    _kind: std::marker::PhantomData<fn() -> K>,
}

/// The events of a watch response body.
pub fn decode_events<K, S>(body: S, url: String) -> EventStream<K, S>
where
    S: Stream<Item = Result<Bytes, reqwest::Error>> + Unpin,
{
    EventStream {
        body,
        buffer: BytesMut::new(),
        scanned: 0,
        method: "GET",
        url,
        done: false,
        _kind: std::marker::PhantomData,
    }
}

impl<K, S> EventStream<K, S> {
    fn decode(&self, line: &[u8]) -> Result<WatchEvent<K>, Error>
    where
        K: DeserializeOwned,
    {
        crate::client::decode(line, self.method, &self.url)
    }

    /// The next complete line in the buffer, if any.
    fn next_line(&mut self) -> Option<BytesMut> {
        loop {
            let position = memchr::memchr(b'\n', &self.buffer[self.scanned..])?;
            let line = self.buffer.split_to(self.scanned + position + 1);
            self.scanned = 0;
            if line.iter().any(|byte| !byte.is_ascii_whitespace()) {
                return Some(line);
            }
        }
    }
}

impl<K, S> Stream for EventStream<K, S>
where
    K: DeserializeOwned,
    S: Stream<Item = Result<Bytes, reqwest::Error>> + Unpin,
{
    type Item = Result<WatchEvent<K>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(line) = this.next_line() {
                return Poll::Ready(Some(this.decode(&line)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            this.scanned = this.buffer.len();
            match Pin::new(&mut this.body).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    if this.buffer.is_empty()
                        && chunk.last() == Some(&b'\n')
                        && !chunk[..chunk.len() - 1].contains(&b'\n')
                    {
                        // The common case, one whole event per chunk: decode it without copying.
                        let mut chunk = chunk;
                        chunk.truncate(chunk.len() - 1);
                        if chunk.iter().any(|byte| !byte.is_ascii_whitespace()) {
                            this.scanned = 0;
                            return Poll::Ready(Some(this.decode(&chunk)));
                        }
                        continue;
                    }
                    this.buffer.extend_from_slice(chunk.chunk());
                }
                Poll::Ready(Some(Err(source))) => {
                    this.done = true;
                    this.buffer.clear();
                    return Poll::Ready(Some(Err(Error::Transport {
                        method: this.method.to_owned(),
                        url: this.url.clone(),
                        message: format!("watch stream broke: {}", crate::client::error_chain(&source)),
                        source,
                    })));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    this.scanned = 0;
                    if this.buffer.iter().any(|byte| !byte.is_ascii_whitespace()) {
                        let rest = std::mem::take(&mut this.buffer);
                        return Poll::Ready(Some(this.decode(&rest)));
                    }
                    return Poll::Ready(None);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Named {
        metadata: crate::types::ObjectMeta,
    }

    fn chunks(parts: &[&str]) -> impl Stream<Item = Result<Bytes, reqwest::Error>> + Unpin {
        futures::stream::iter(parts.iter().map(|part| Ok(Bytes::copy_from_slice(part.as_bytes()))).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn splits_events_across_and_within_chunks() {
        let body = chunks(&[
            "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n",
            "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":",
            "{\"name\":\"b\"}}}\n{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"c\"}}}\n\n",
            "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}",
        ]);
        let events: Vec<_> = decode_events::<Named, _>(body, "test".into()).collect().await;
        let names: Vec<String> = events
            .into_iter()
            .map(|event| match event.expect("decodes") {
                WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => o.metadata.name().to_owned(),
                WatchEvent::Bookmark(bookmark) => format!("bookmark {}", bookmark.resource_version),
                WatchEvent::Error(status) => format!("error {status:?}"),
            })
            .collect();
        assert_eq!(names, ["a", "b", "c", "bookmark 9"]);
    }

    #[tokio::test]
    async fn a_broken_event_is_an_error_naming_the_path() {
        let body = chunks(&["{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":5}}}\n"]);
        let events: Vec<_> = decode_events::<Named, _>(body, "https://x/api/v1/configmaps".into()).collect().await;
        let error = events.into_iter().next().expect("one item").expect_err("fails").to_string();
        assert!(error.contains("https://x/api/v1/configmaps"), "{error}");
        assert!(error.contains("object.metadata.name"), "{error}");
    }
}
