//! Decoding a list response from its chunks: [`ListSplitter`] finds each element of `items` as
//! it completes and [`ListDecoder`] decodes it at once; the rest of the list object is decoded
//! at the end. What `Api::list` does with a response as it arrives.

use serde::de::DeserializeOwned;

use super::list_splitter::{ListSplitter, SplitError};
use super::{ObjectList, parse_located};

/// Decodes a list response from its chunks, each element of `items` as soon as it is complete
/// (what [`Api::list`](super::Api::list) does with the body as it arrives).
///
/// ```
/// use kubegen_runtime::client::ListDecoder;
///
/// let body = br#"{"metadata":{"resourceVersion":"7"},"items":[{"a":1},{"a":2}]}"#;
/// let mut decoder = ListDecoder::<serde_json::Value>::new();
/// for chunk in body.chunks(10) {
///     decoder.push(chunk)?;
/// }
/// let list = decoder.finish()?;
/// assert_eq!(list.items.len(), 2);
/// assert_eq!(list.resource_version(), Some("7"));
/// # Ok::<(), kubegen_runtime::client::ListDecodeError>(())
/// ```
pub struct ListDecoder<K> {
    splitter: ListSplitter,
    items: Vec<K>,
}

/// Why a list body could not be decoded: where, and what serde_json or the splitter said.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ListDecodeError(String);

impl From<SplitError> for ListDecodeError {
    fn from(error: SplitError) -> Self {
        ListDecodeError(error.to_string())
    }
}

impl<K: DeserializeOwned> Default for ListDecoder<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: DeserializeOwned> ListDecoder<K> {
    /// A decoder at the start of a body.
    pub fn new() -> Self {
        ListDecoder { splitter: ListSplitter::new(), items: Vec::new() }
    }

    /// Takes the next chunk of the body and decodes the items it completes.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ListDecodeError> {
        let items = &mut self.items;
        self.splitter.push(chunk, |item| {
            let index = items.len();
            items.push(
                parse_located::<K>(item).map_err(|message| ListDecodeError(format!("in items[{index}]: {message}")))?,
            );
            Ok(())
        })
    }

    /// Checks that the body is complete and decodes the rest of the list object.
    pub fn finish(self) -> Result<ObjectList<K>, ListDecodeError> {
        let envelope = self.splitter.finish()?;
        let mut list: ObjectList<K> = parse_located(&envelope).map_err(ListDecodeError)?;
        // `items` is in the envelope only when it was not an array (`null`): keep serde's
        // reading of it then.
        if list.items.is_empty() {
            list.items = self.items;
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
    struct Sample {
        a: u32,
    }

    #[test]
    fn the_decoder_gives_items_and_metadata() {
        let mut decoder = ListDecoder::<Sample>::new();
        for chunk in br#"{"metadata":{"continue":"t"},"items":[{"a":1},{"a":2}],"kind":"SampleList"}"#.chunks(5) {
            decoder.push(chunk).expect("decodes");
        }
        let list = decoder.finish().expect("complete");
        assert_eq!(list.items, [Sample { a: 1 }, Sample { a: 2 }]);
        assert_eq!(list.continue_token(), Some("t"));
    }

    /// One set of JSON rules: the decoder accepts exactly the bodies `parse_json` accepts,
    /// whatever the chunk size.
    #[test]
    fn the_decoder_rejects_what_parse_json_rejects() {
        let bodies = [
            (r#"{"items":[{"a":1},{"a":2}]}"#, true),
            (r#"{"items":[],"metadata":{}}"#, true),
            (r#" {"kind":"L" , "items" : [ {"a":1} ] } "#, true),
            (r#"{"items":null}"#, true),
            (r#"{"items":[{"a":1}]}"#, true),
            (r#"{"items":[{"a":1},]}"#, false),
            (r#"{"items":[{"a":1}],}"#, false),
            (r#"{"metadata":{},}"#, false),
            (r#"{"items":[,]}"#, false),
            (r#"{"items":[{"a":1}],"items":[{"a":2}]}"#, false),
            (r#"{"items":[{"a":1}],"items":null}"#, false),
            (r#"{"items":null,"items":[{"a":2}]}"#, false),
            (r#"{"items":[{"a":1}],"items":[{"a":2}]}"#, false),
            (r#"{"metadata":{},"metadata":{}}"#, false),
            (r#"{"items":[{"a":1,}]}"#, false),
            (r#"{"items":[{"a":1}]"#, false),
            (r#"{"items":[{"a":1}]}x"#, false),
            (r#"{,"items":[]}"#, false),
            ("[]", false),
            (r#"[{}, []]"#, false),
        ];
        for (body, valid) in bodies {
            assert_eq!(
                super::super::parse_json::<ObjectList<Sample>>(body.as_bytes()).is_ok(),
                valid,
                "parse_json on {body}"
            );
            for size in [1, 2, 3, 7, body.len()] {
                let mut decoder = ListDecoder::<Sample>::new();
                let result = body.as_bytes().chunks(size).try_for_each(|chunk| decoder.push(chunk));
                let result = result.and_then(|()| decoder.finish());
                assert_eq!(result.is_ok(), valid, "ListDecoder in chunks of {size} on {body}: {result:?}");
            }
        }
    }

    #[test]
    fn decoder_errors_name_the_item_and_the_path() {
        let mut decoder = ListDecoder::<Sample>::new();
        let error = decoder.push(br#"{"items":[{"a":1},{"a":"x"}]}"#).expect_err("a string for a number");
        assert!(error.to_string().starts_with("in items[1]: at a: invalid type: string"), "{error}");
        let mut decoder = ListDecoder::<Sample>::new();
        decoder.push(br#"{"metadata":{"resourceVersion":7},"items":[]}"#).expect("splits");
        let error = decoder.finish().expect_err("a number for a string");
        assert!(error.to_string().starts_with("at metadata.resourceVersion: invalid type"), "{error}");
        let mut decoder = ListDecoder::<Sample>::new();
        decoder.push(br#"{"items":[{"a":1}"#).expect("splits");
        assert_eq!(
            decoder.finish().expect_err("truncated").to_string(),
            "at byte 17: the list body ended before its closing `}`"
        );
    }
}
