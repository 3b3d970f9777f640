//! Finding the elements of a list response's `items` while the response arrives.
//!
//! A list served from the API server's watch cache is one response however large (the cache
//! ignores `limit` for `resourceVersion=0`): 11 MB for 10,000 ConfigMaps, which the server
//! encodes and sends over some 300 ms on a 2-core machine. Decoding it after its last byte
//! adds the whole decode to an informer's time to sync. [`ListSplitter`] finds each element of
//! the top-level `items` array as soon as the element's last byte arrives, so the client
//! decodes items while the server is still encoding the rest (see `list_decoder.rs`), and the
//! undecoded JSON it holds is about one chunk rather than the whole body. Every other member of
//! the top-level object (`kind`, `apiVersion`, `metadata`) is kept as raw JSON text, the
//! "envelope", decoded at the end.
//!
//! The splitter only finds boundaries: strings and their escapes, and nesting. It does not
//! validate; each item and the envelope are parsed by serde_json afterwards, which rejects
//! anything malformed. Structure the splitter cannot follow (a body that is not an object, a
//! stray byte between members, a body that ends inside a value) is an error with the byte
//! offset. It scans each byte once more than the decoder does (about the speed of serde's
//! `IgnoredAny`): the price of decoding while the body arrives.

use std::fmt;

/// Where the splitter is in the top-level object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Before the opening `{`.
    Start,
    /// Before the first member's key (or the closing `}` of an empty object).
    BeforeKey,
    /// After a `,` between members, before the next key (a `}` here is a trailing comma,
    /// which JSON and `parse_json` reject).
    BeforeNextKey,
    /// Inside a member's key; `start` is its opening quote.
    Key,
    /// After a key, before its `:`.
    Colon,
    /// After a `:`, before the value's first byte.
    BeforeValue,
    /// Inside a member's value other than `items`; `start` is its first byte.
    Value,
    /// Inside the `items` array, before the first element (or the closing `]`).
    BeforeItem,
    /// After a `,` in the `items` array, before the next element (no `]`: a trailing comma).
    BeforeNextItem,
    /// Inside an element of `items`; `start` is its first byte.
    Item,
    /// After the `items` array, before `,` or `}`.
    AfterItems,
    /// After the closing `}`; only whitespace may follow.
    End,
}

/// A body the splitter cannot follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SplitError {
    /// Offset in the body of the offending byte (or the body's length when it ended early).
    pub offset: u64,
    /// What was wrong.
    pub problem: &'static str,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.problem)
    }
}

/// The incremental splitter; see the module documentation.
pub(crate) struct ListSplitter {
    /// Bytes received and not yet consumed; `consumed` bytes of the body precede it.
    buffer: Vec<u8>,
    consumed: u64,
    /// The next byte of `buffer` to scan.
    position: usize,
    /// Start in `buffer` of the key, value or item being scanned.
    start: usize,
    phase: Phase,
    /// Brackets open inside the value or item being scanned (0 between values: a value's
    /// scan ends at its own depth 0).
    depth: u32,
    in_string: bool,
    /// The previous byte in a string was an unescaped backslash.
    escaped: bool,
    /// The raw text of the current member's key, quotes included.
    key: Vec<u8>,
    /// `{` and every member but `items`, as raw JSON.
    envelope: Vec<u8>,
    /// An `items` member was seen: a second one is an error, as `parse_json` makes it.
    seen_items: bool,
}

/// The key whose array is streamed.
const ITEMS_KEY: &[u8] = b"\"items\"";

/// Bytes that matter outside strings, for the scanning loop.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table[b',' as usize] = true;
    table
};

impl ListSplitter {
    /// A splitter at the start of a body.
    pub(crate) fn new() -> Self {
        ListSplitter {
            buffer: Vec::new(),
            consumed: 0,
            position: 0,
            start: 0,
            phase: Phase::Start,
            depth: 0,
            in_string: false,
            escaped: false,
            key: Vec::new(),
            envelope: b"{".to_vec(),
            seen_items: false,
        }
    }

    /// Scans the next chunk of the body, calling `on_item` with the JSON of every element of
    /// `items` that it completes, in order. An error from `on_item` stops the scan and is
    /// returned as is.
    pub(crate) fn push<E: From<SplitError>>(
        &mut self,
        chunk: &[u8],
        mut on_item: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.buffer.extend_from_slice(chunk);
        while self.position < self.buffer.len() {
            match self.phase {
                Phase::Key => {
                    if self.scan_string() {
                        self.key.clear();
                        self.key.extend_from_slice(&self.buffer[self.start..self.position]);
                        if is_items_key(&self.key) {
                            if self.seen_items {
                                return Err(self.error("the list object repeats `items`").into());
                            }
                            self.seen_items = true;
                        }
                        self.phase = Phase::Colon;
                    }
                }
                Phase::Value => {
                    if let Some(delimiter) = self.scan_nested() {
                        self.end_member();
                        self.phase = match delimiter {
                            b',' => Phase::BeforeNextKey,
                            b'}' => Phase::End,
                            _ => return Err(self.error("`]` closes the list object").into()),
                        };
                        self.position += 1;
                    }
                }
                Phase::Item => {
                    if let Some(delimiter) = self.scan_nested() {
                        on_item(&self.buffer[self.start..self.position])?;
                        self.phase = match delimiter {
                            b',' => Phase::BeforeNextItem,
                            b']' => Phase::AfterItems,
                            _ => return Err(self.error("`}` closes the `items` array").into()),
                        };
                        self.position += 1;
                    }
                }
                _ => self.step()?,
            }
        }
        self.compact();
        Ok(())
    }

    /// Checks that the body ended after its top-level object and returns the envelope: the
    /// object without `items`.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>, SplitError> {
        if self.phase != Phase::End {
            return Err(SplitError {
                offset: self.consumed + self.buffer.len() as u64,
                problem: "the list body ended before its closing `}`",
            });
        }
        self.envelope.push(b'}');
        Ok(self.envelope)
    }

    /// One byte outside keys, values and items: whitespace or punctuation of the top-level
    /// object and the `items` array.
    fn step(&mut self) -> Result<(), SplitError> {
        let byte = self.buffer[self.position];
        if byte.is_ascii_whitespace() {
            self.position += 1;
            return Ok(());
        }
        let next = match (self.phase, byte) {
            (Phase::Start, b'{') => Phase::BeforeKey,
            (Phase::BeforeKey | Phase::BeforeNextKey, b'"') => {
                self.start = self.position;
                self.in_string = true;
                Phase::Key
            }
            (Phase::BeforeKey | Phase::AfterItems, b'}') => Phase::End,
            (Phase::AfterItems, b',') => Phase::BeforeNextKey,
            (Phase::Colon, b':') => Phase::BeforeValue,
            (Phase::BeforeValue, b'[') if is_items_key(&self.key) => Phase::BeforeItem,
            (Phase::BeforeValue, _) => {
                // The value's first byte is scanned again in `Value`.
                self.start = self.position;
                self.phase = Phase::Value;
                return Ok(());
            }
            (Phase::BeforeItem, b']') => Phase::AfterItems,
            (Phase::BeforeItem | Phase::BeforeNextItem, b) if b != b']' => {
                self.start = self.position;
                self.phase = Phase::Item;
                return Ok(());
            }
            (phase, _) => return Err(self.error(unexpected(phase))),
        };
        self.phase = next;
        self.position += 1;
        Ok(())
    }

    /// Scans inside a string up to and including its closing quote; false if the buffer
    /// ends first. `position` is past the opening quote.
    fn scan_string(&mut self) -> bool {
        while self.position < self.buffer.len() {
            if self.escaped {
                self.escaped = false;
                self.position += 1;
                continue;
            }
            match memchr::memchr2(b'"', b'\\', &self.buffer[self.position..]) {
                None => {
                    self.position = self.buffer.len();
                    return false;
                }
                Some(offset) => {
                    self.position += offset + 1;
                    if self.buffer[self.position - 1] == b'\\' {
                        self.escaped = true;
                    } else {
                        self.in_string = false;
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Scans a member's value or an item up to the `,` or closing bracket of its container
    /// that ends it, leaving `position` on it; `None` if the buffer ends first.
    fn scan_nested(&mut self) -> Option<u8> {
        loop {
            if self.in_string && !self.scan_string() {
                return None;
            }
            let rest = &self.buffer[self.position..];
            let Some(offset) = rest.iter().position(|&byte| STRUCTURAL[usize::from(byte)]) else {
                self.position = self.buffer.len();
                return None;
            };
            self.position += offset;
            let byte = self.buffer[self.position];
            match byte {
                b'"' => {
                    self.in_string = true;
                    self.position += 1;
                    continue;
                }
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' if self.depth == 0 => return Some(byte),
                b'}' | b']' => self.depth -= 1,
                _ if self.depth == 0 => return Some(byte),
                _ => {}
            }
            self.position += 1;
        }
    }

    /// Appends the member just scanned to the envelope.
    fn end_member(&mut self) {
        if self.envelope.len() > 1 {
            self.envelope.push(b',');
        }
        self.envelope.extend_from_slice(&self.key);
        self.envelope.push(b':');
        self.envelope.extend_from_slice(&self.buffer[self.start..self.position]);
    }

    /// Drops the bytes no longer needed: everything before the key, value or item being
    /// scanned, or before `position` between them.
    fn compact(&mut self) {
        let keep_from = match self.phase {
            Phase::Key | Phase::Value | Phase::Item => self.start,
            _ => self.position,
        };
        if keep_from == 0 {
            return;
        }
        self.buffer.drain(..keep_from);
        self.consumed += keep_from as u64;
        self.position -= keep_from;
        self.start = self.start.saturating_sub(keep_from);
    }

    fn error(&self, problem: &'static str) -> SplitError {
        SplitError { offset: self.consumed + self.position as u64, problem }
    }
}

/// Whether a raw key (quotes included) is `items`, also when spelled with escapes, as serde
/// reads it.
fn is_items_key(raw: &[u8]) -> bool {
    raw == ITEMS_KEY || (raw.contains(&b'\\') && serde_json::from_slice::<String>(raw).is_ok_and(|key| key == "items"))
}

fn unexpected(phase: Phase) -> &'static str {
    match phase {
        Phase::Start => "a list body must be a JSON object",
        Phase::BeforeKey => "expected a key or `}` in the list object",
        Phase::BeforeNextKey => "expected a key after `,` in the list object (a trailing comma?)",
        Phase::BeforeNextItem => "expected an element after `,` in `items` (a trailing comma?)",
        Phase::Colon => "expected `:` after a key of the list object",
        Phase::AfterItems => "expected `,` or `}` after `items`",
        Phase::End => "unexpected data after the list object",
        Phase::Key | Phase::Value | Phase::BeforeValue | Phase::BeforeItem | Phase::Item => "unexpected byte",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `body` fed in chunks of `size` bytes; the items' text and the envelope.
    fn split(body: &str, size: usize) -> Result<(Vec<String>, String), SplitError> {
        let mut splitter = ListSplitter::new();
        let mut items = Vec::new();
        for chunk in body.as_bytes().chunks(size.max(1)) {
            splitter.push(chunk, |item| {
                items.push(String::from_utf8(item.to_vec()).expect("UTF-8"));
                Ok::<(), SplitError>(())
            })?;
        }
        let envelope = splitter.finish()?;
        Ok((items, String::from_utf8(envelope).expect("UTF-8")))
    }

    /// Every chunk size from one byte to the whole body gives the same split.
    fn split_every_way(body: &str) -> (Vec<String>, String) {
        let whole = split(body, body.len()).expect("splits");
        for size in 1..body.len() {
            assert_eq!(split(body, size).expect("splits"), whole, "chunks of {size}");
        }
        whole
    }

    #[test]
    fn finds_items_and_keeps_the_rest() {
        let body = r#"{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"a,b]"},"items":[{"metadata":{"name":"a"},"data":{"k":"}{\"],"}},{"metadata":{"name":"b"},"list":[1,[2,{}]]}]}"#;
        let (items, envelope) = split_every_way(body);
        assert_eq!(
            items,
            [r#"{"metadata":{"name":"a"},"data":{"k":"}{\"],"}}"#, r#"{"metadata":{"name":"b"},"list":[1,[2,{}]]}"#]
        );
        assert_eq!(
            envelope,
            r#"{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"a,b]"}}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&envelope).expect("valid JSON");
        assert_eq!(parsed["metadata"]["continue"], "a,b]");
    }

    #[test]
    fn handles_whitespace_escapes_scalars_and_order() {
        let body = "{ \"items\" : [ {\"a\" : \"x\\\\\" } ,\n 3 , \"s\\\"]\" , null ] ,\n \"metadata\" : { } , \"n\" : -1.5e3 , \"t\":true }\n";
        let (items, envelope) = split_every_way(body);
        assert_eq!(items, ["{\"a\" : \"x\\\\\" } ", "3 ", "\"s\\\"]\" ", "null "]);
        assert_eq!(envelope, "{\"metadata\":{ } ,\"n\":-1.5e3 ,\"t\":true }");
        serde_json::from_str::<serde_json::Value>(&envelope).expect("valid JSON");
    }

    #[test]
    fn empty_and_missing_items() {
        assert_eq!(split_every_way(r#"{"items":[],"metadata":{}}"#), (vec![], r#"{"metadata":{}}"#.to_owned()));
        assert_eq!(split_every_way(r#"{"metadata":{}}"#), (vec![], r#"{"metadata":{}}"#.to_owned()));
        assert_eq!(split_every_way("{}"), (vec![], "{}".to_owned()));
        // `items` that is not an array stays in the envelope for serde to judge.
        assert_eq!(split_every_way(r#"{"items":null}"#), (vec![], r#"{"items":null}"#.to_owned()));
    }

    #[test]
    fn a_key_that_only_contains_items_is_not_streamed() {
        let (items, envelope) = split_every_way(r#"{"xitems":[1],"items2":[2],"items":[3]}"#);
        assert_eq!(items, ["3"]);
        assert_eq!(envelope, r#"{"xitems":[1],"items2":[2]}"#);
    }

    #[test]
    fn truncated_and_malformed_bodies_are_errors_with_offsets() {
        for (body, offset, problem) in [
            (r#"{"items":[{"a":1}"#, 17, "the list body ended before its closing `}`"),
            (r#"{"items":[{"a":"1"#, 17, "the list body ended before its closing `}`"),
            ("", 0, "the list body ended before its closing `}`"),
            ("[1,2]", 0, "a list body must be a JSON object"),
            (r#"{"a" 1}"#, 5, "expected `:` after a key of the list object"),
            (r#"{"items":[1] 2}"#, 13, "expected `,` or `}` after `items`"),
            (r#"{} x"#, 3, "unexpected data after the list object"),
            (r#"{,}"#, 1, "expected a key or `}` in the list object"),
            (r#"{"a":1]"#, 6, "`]` closes the list object"),
            (r#"{"items":[1}"#, 11, "`}` closes the `items` array"),
        ] {
            for size in [1, 3, body.len().max(1)] {
                assert_eq!(split(body, size), Err(SplitError { offset, problem }), "{body:?} in chunks of {size}");
            }
        }
    }

    #[test]
    fn holds_about_one_item_at_a_time() {
        let item = format!(r#"{{"data":{{"k":"{}"}}}}"#, "x".repeat(1000));
        let body = format!(r#"{{"metadata":{{}},"items":[{}]}}"#, vec![item.as_str(); 200].join(","));
        let mut splitter = ListSplitter::new();
        let mut count = 0;
        let mut largest = 0;
        for chunk in body.as_bytes().chunks(4096) {
            splitter
                .push(chunk, |text| {
                    assert_eq!(text, item.as_bytes());
                    count += 1;
                    Ok::<(), SplitError>(())
                })
                .expect("splits");
            largest = largest.max(splitter.buffer.len());
        }
        splitter.finish().expect("complete");
        assert_eq!(count, 200);
        assert!(largest < 4096 + item.len(), "held {largest} bytes");
    }
}
