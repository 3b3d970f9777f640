//! A container's log as a stream of lines ([`Api::log_lines`]).

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

use super::subresources::LogParams;
use super::{Api, Error};
use crate::resource::subresource;

/// The longest log line kept whole; a longer one (or a log without line breaks) fails the
/// stream rather than growing memory without bound.
pub const MAX_LOG_LINE: usize = 16 << 20;

impl<K: subresource::Log> Api<K> {
    /// Streams a container's log line by line: with `follow`, each line as soon as its line
    /// break arrives, until the container ends or the connection does. Lines come without
    /// their `\n`; bytes that are not UTF-8 become U+FFFD (use [`Api::log_stream`] for the
    /// exact bytes). A last line without a line break comes at the end.
    pub async fn log_lines(
        &self,
        name: &str,
        params: &LogParams,
    ) -> Result<impl Stream<Item = Result<String, Error>> + Send + 'static, Error> {
        let url = self.client.display_url(&self.path.subresource(name, "log")?);
        Ok(lines(Box::pin(self.log_stream(name, params).await?), url))
    }
}

struct Lines<S> {
    chunks: S,
    pending: BytesMut,
    /// Where the search for the next line break resumes in `pending`.
    searched: usize,
    ended: bool,
    url: String,
}

/// Cuts a stream of chunks into lines.
fn lines<S>(chunks: S, url: String) -> impl Stream<Item = Result<String, Error>> + Send + 'static
where
    S: Stream<Item = Result<Bytes, Error>> + Send + Unpin + 'static,
{
    let state = Lines { chunks, pending: BytesMut::new(), searched: 0, ended: false, url };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(offset) = memchr::memchr(b'\n', &state.pending[state.searched..]) {
                let line = state.pending.split_to(state.searched + offset + 1);
                state.searched = 0;
                let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
                return Some((Ok(text), state));
            }
            state.searched = state.pending.len();
            if state.ended {
                if state.pending.is_empty() {
                    return None;
                }
                let text = String::from_utf8_lossy(&state.pending).into_owned();
                state.pending.clear();
                state.searched = 0;
                return Some((Ok(text), state));
            }
            if state.pending.len() > MAX_LOG_LINE {
                state.ended = true;
                state.pending.clear();
                let error = Error::Decode {
                    method: "GET".to_owned(),
                    url: state.url.clone(),
                    what: "a log line",
                    message: format!("a line is longer than {MAX_LOG_LINE} bytes"),
                };
                return Some((Err(error), state));
            }
            match state.chunks.next().await {
                Some(Ok(chunk)) => state.pending.extend_from_slice(&chunk),
                Some(Err(error)) => {
                    // The last partial line is not passed on: it may be cut short.
                    state.ended = true;
                    state.pending.clear();
                    state.searched = 0;
                    return Some((Err(error), state));
                }
                None => state.ended = true,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, Error>> + Send + Unpin + 'static {
        futures::stream::iter(parts.iter().map(|part| Ok(Bytes::from_static(part))).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn lines_are_cut_at_line_breaks_across_chunks() {
        let all: Vec<String> =
            lines(chunks(&[b"one\ntw", b"o\n", b"", b"three\nfour"]), "u".into()).try_collect().await.expect("lines");
        assert_eq!(all, ["one", "two", "three", "four"]);
        let all: Vec<String> =
            lines(chunks(&[b"\n\nx\n", b"caf\xc3", b"\xa9\n"]), "u".into()).try_collect().await.expect("lines");
        assert_eq!(all, ["", "", "x", "café"]);
    }

    #[tokio::test]
    async fn an_error_ends_the_lines() {
        let failing = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"a\npartial")),
            Err(Error::InvalidRequest("broke".into())),
            Ok(Bytes::from_static(b"never\n")),
        ]);
        let items: Vec<Result<String, Error>> = lines(failing, "u".into()).collect().await;
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].as_deref().expect("first line"), "a");
        assert!(items[1].is_err());
    }
}
