//! Splitting a protobuf watch response (`application/vnd.kubernetes.protobuf;stream=watch`)
//! into typed events as its bytes arrive: each frame is a 4-byte big-endian length and a
//! `WatchEvent` message whose object is a whole `k8s\0` envelope.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;

use super::{Bookmark, WatchEvent};
use crate::client::Error;
use crate::proto::{self, FrameDecoder, ObjectHead};
use crate::resource::Object;

/// A stream of typed watch events from protobuf frames.
pub struct ProtoEventStream<K, S> {
    body: S,
    frames: FrameDecoder,
    url: String,
    done: bool,
    _kind: std::marker::PhantomData<fn() -> K>,
}

/// The events of a protobuf watch response body.
pub fn decode_proto_events<K, S>(body: S, url: String) -> ProtoEventStream<K, S>
where
    S: Stream<Item = Result<Bytes, reqwest::Error>> + Unpin,
{
    ProtoEventStream { body, frames: FrameDecoder::default(), url, done: false, _kind: std::marker::PhantomData }
}

impl<K: Object, S> ProtoEventStream<K, S> {
    fn error(&self, message: String) -> Error {
        Error::Decode { method: "GET".to_owned(), url: self.url.clone(), what: std::any::type_name::<K>(), message }
    }

    fn decode(&self, frame: &[u8]) -> Result<WatchEvent<K>, Error> {
        let event = proto::decode_watch_event(frame).map_err(|error| self.error(format!("protobuf: {error}")))?;
        let object = |event: &proto::WatchEvent<'_>| {
            K::from_protobuf(event.object.raw)
                .map_err(|error| self.error(format!("protobuf: {} object: {error}", event.event_type)))
        };
        Ok(match event.event_type.as_str() {
            "ADDED" => WatchEvent::Added(object(&event)?),
            "MODIFIED" => WatchEvent::Modified(object(&event)?),
            "DELETED" => WatchEvent::Deleted(object(&event)?),
            "BOOKMARK" => {
                let head: ObjectHead =
                    event.object.decode().map_err(|error| self.error(format!("protobuf: BOOKMARK object: {error}")))?;
                WatchEvent::Bookmark(Bookmark {
                    resource_version: head.metadata.resource_version.map(String::from).unwrap_or_default(),
                    annotations: head
                        .metadata
                        .annotations
                        .into_iter()
                        .flatten()
                        .map(|(key, value)| (key.to_string(), value.to_string()))
                        .collect(),
                })
            }
            "ERROR" => WatchEvent::Error(Box::new(
                event.object.decode_status().map_err(|error| self.error(format!("protobuf: ERROR status: {error}")))?,
            )),
            other => return Err(self.error(format!("protobuf: unknown watch event type {other:?}"))),
        })
    }
}

impl<K, S> Stream for ProtoEventStream<K, S>
where
    K: Object,
    S: Stream<Item = Result<Bytes, reqwest::Error>> + Unpin,
{
    type Item = Result<WatchEvent<K>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            match this.frames.next_frame() {
                Ok(Some(frame)) => return Poll::Ready(Some(this.decode(&frame))),
                Ok(None) => {}
                Err(error) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(this.error(format!("protobuf: {error}")))));
                }
            }
            if this.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.body).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.frames.push(&chunk),
                Poll::Ready(Some(Err(source))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(Error::Transport {
                        method: "GET".to_owned(),
                        url: this.url.clone(),
                        message: format!("watch stream broke: {}", crate::client::error_chain(&source)),
                        source,
                    })));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    if this.frames.pending() > 0 {
                        let pending = this.frames.pending();
                        return Poll::Ready(Some(Err(
                            this.error(format!("protobuf: the stream ended inside a frame ({pending} bytes)"))
                        )));
                    }
                    return Poll::Ready(None);
                }
            }
        }
    }
}
