//! A fast check that a text is one JSON value, for JSON that arrives inside another encoding
//! (a protobuf `FieldsV1` is its JSON text as bytes) and is kept as text.
//!
//! serde_json checks such text by parsing it into a `RawValue`. For the short keys and empty
//! objects a `FieldsV1` is made of, that was about 5.4% of a protobuf Pod's decode (the
//! bench's watch stream, under `perf`), and this scan about 4.4%: it makes no call per token,
//! and steps over plain string bytes eight at a time.
//!
//! The scan only vouches: it accepts a subset of what serde_json accepts (RFC 8259's grammar;
//! strings without control characters; `\u` escapes of four hex digits, unpaired surrogates
//! included, as serde_json allows when it only checks; nesting up to [`NESTING`] deep), and
//! whatever it does not accept goes to serde_json, which decides and names what is wrong. So
//! the two accept exactly the same texts.

/// How deeply arrays and objects may nest for the fast scan (one bit each in a `u128`);
/// deeper text goes to serde_json, which has no limit when it only checks.
const NESTING: u32 = 128;

/// Checks that `text` is one JSON value with optional whitespace around it, and returns the
/// value without that whitespace; serde_json's error when it is not JSON.
pub(crate) fn check(text: &str) -> Result<&str, serde_json::Error> {
    let trimmed = trim(text);
    if is_one_value(trimmed.as_bytes()) {
        return Ok(trimmed);
    }
    let raw: &serde_json::value::RawValue = serde_json::from_str(text)?;
    Ok(raw.get())
}

/// `text` without the JSON whitespace around it.
fn trim(text: &str) -> &str {
    text.trim_matches(|character: char| u8::try_from(character).is_ok_and(is_whitespace))
}

/// JSON's whitespace (RFC 8259: space, tab, line feed, carriage return; not form feed).
fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// Whether `bytes` are exactly one JSON value (no surrounding whitespace) that the scan can
/// vouch for: `false` means "not shown valid", not "invalid".
fn is_one_value(bytes: &[u8]) -> bool {
    // One bit per open container, innermost lowest: 1 for an object, 0 for an array.
    let mut open: u128 = 0;
    let mut depth = 0u32;
    let mut at = 0usize;
    loop {
        // A value starts at `at` (after whitespace).
        at = skip_whitespace(bytes, at);
        match bytes.get(at) {
            Some(b'"') => match string_end(bytes, at + 1) {
                Some(end) => at = end,
                None => return false,
            },
            Some(&open_byte @ (b'{' | b'[')) => {
                if depth == NESTING {
                    return false;
                }
                at = skip_whitespace(bytes, at + 1);
                let close = if open_byte == b'{' { b'}' } else { b']' };
                if bytes.get(at) == Some(&close) {
                    at += 1;
                } else {
                    open = (open << 1) | u128::from(open_byte == b'{');
                    depth += 1;
                    if open_byte == b'{' {
                        match key_end(bytes, at) {
                            Some(end) => at = end,
                            None => return false,
                        }
                    }
                    continue;
                }
            }
            Some(b't') => match literal_end(bytes, at, b"true") {
                Some(end) => at = end,
                None => return false,
            },
            Some(b'f') => match literal_end(bytes, at, b"false") {
                Some(end) => at = end,
                None => return false,
            },
            Some(b'n') => match literal_end(bytes, at, b"null") {
                Some(end) => at = end,
                None => return false,
            },
            Some(b'-' | b'0'..=b'9') => match number_end(bytes, at) {
                Some(end) => at = end,
                None => return false,
            },
            _ => return false,
        }
        // A value ended at `at`: close containers until one continues with a comma.
        loop {
            at = skip_whitespace(bytes, at);
            if depth == 0 {
                return at == bytes.len();
            }
            let in_object = open & 1 == 1;
            match bytes.get(at) {
                Some(b',') if in_object => match key_end(bytes, skip_whitespace(bytes, at + 1)) {
                    Some(end) => {
                        at = end;
                        break;
                    }
                    None => return false,
                },
                Some(b',') => {
                    at += 1;
                    break;
                }
                Some(b'}') if in_object => {}
                Some(b']') if !in_object => {}
                _ => return false,
            }
            at += 1;
            open >>= 1;
            depth -= 1;
        }
    }
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|&byte| is_whitespace(byte)) {
        at += 1;
    }
    at
}

/// After an object's key at `at`: its string, whitespace, the colon; the position after
/// the colon.
fn key_end(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let at = skip_whitespace(bytes, string_end(bytes, at + 1)?);
    (bytes.get(at) == Some(&b':')).then_some(at + 1)
}

/// The position after the closing quote of a string whose content starts at `at`.
fn string_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at = plain_run_end(bytes, at);
        match *bytes.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => {
                at += 1;
                match *bytes.get(at)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at += 1,
                    b'u' => {
                        let digits = bytes.get(at + 1..at + 5)?;
                        if !digits.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        at += 5;
                    }
                    _ => return None,
                }
            }
            // A control character: the text is UTF-8 (a `&str`), so bytes of multi-byte
            // characters are never a quote, a backslash or below 0x20, and the run stopped at
            // one of those.
            _ => return None,
        }
    }
}

/// The end of the run of string bytes from `at` that need no attention (not a quote, a
/// backslash or a control character), eight bytes at a time while eight remain.
#[inline]
fn plain_run_end(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Per byte, the high bit of `(x - n) & !x & HIGHS` is set where the byte is below `n`
    // (n <= 0x80): exact up to the first such byte, which is all the lowest set bit is
    // used for. A byte equal to `c` is a byte of `x ^ c` below 1.
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let word = u64::from_le_bytes(*chunk);
        let special =
            below(word ^ (ONES * u64::from(b'"')), 1) | below(word ^ (ONES * u64::from(b'\\')), 1) | below(word, 0x20);
        if special != 0 {
            return at + (special.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&byte) = bytes.get(at) {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

fn literal_end(bytes: &[u8], at: usize, literal: &[u8]) -> Option<usize> {
    let end = at + literal.len();
    (bytes.get(at..end) == Some(literal)).then_some(end)
}

/// The position after a number starting at `at`: `-`, then `0` or a digit run not starting
/// with `0`, then an optional fraction, then an optional exponent.
fn number_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    match *bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at = digits_end(bytes, at + 1),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        let end = digits_end(bytes, at + 1);
        if end == at + 1 {
            return None;
        }
        at = end;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        let end = digits_end(bytes, at);
        if end == at {
            return None;
        }
        at = end;
    }
    Some(at)
}

fn digits_end(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_json_accepts(text: &str) -> bool {
        serde_json::from_str::<&serde_json::value::RawValue>(text).is_ok()
    }

    const VALID: &[&str] = &[
        "{}",
        "[]",
        "0",
        "-0",
        "-12.5e+3",
        "1E9",
        "0.0",
        "true",
        "false",
        "null",
        r#""""#,
        r#""a\"b\\c\/d\b\f\n\r\t\u00e9\uD800 é""#,
        r#"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"k:{\"name\":\"auth\"}":{}}"#,
        " { \"a\" : [ 1 , { } , [ ] , \"x\" , null ] } ",
        "[[[[[[[[[[1]]]]]]]]]]",
        "{\"a\":{\"b\":{\"c\":[true,false,null,-1.0e-2]}}}",
    ];

    const INVALID: &[&str] = &[
        "",
        " ",
        "{",
        "}",
        "[1,]",
        "{\"a\":1,}",
        "{\"a\"}",
        "{\"a\" 1}",
        "{1:2}",
        "{,}",
        "[,1]",
        "01",
        "-",
        "1.",
        ".5",
        "1e",
        "1e+",
        "+1",
        "tru",
        "nul",
        "True",
        "\"abc",
        "\"a\\x\"",
        "\"\\u12g4\"",
        "\"\\u12\"",
        "\"a\tb\"",
        "[1] [2]",
        "{} x",
        "[1}",
        "{\"a\":1]",
        "NaN",
    ];

    #[test]
    fn the_scan_vouches_for_valid_json_and_for_nothing_else() {
        for text in VALID {
            assert!(is_one_value(trim(text).as_bytes()), "scan rejects {text:?}");
            assert!(serde_json_accepts(text), "serde_json rejects {text:?}");
        }
        for text in INVALID {
            assert!(!is_one_value(trim(text).as_bytes()), "scan accepts {text:?}");
            assert!(!serde_json_accepts(text), "serde_json accepts {text:?}");
            assert!(check(text).is_err(), "check accepts {text:?}");
        }
    }

    #[test]
    fn check_trims_whitespace_as_raw_value_does() {
        for text in VALID {
            let raw = serde_json::value::RawValue::from_string((*text).to_owned()).expect("valid");
            assert_eq!(check(text).expect("valid"), raw.get(), "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_goes_to_serde_json() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(!is_one_value(deep.as_bytes()));
        assert_eq!(check(&deep).expect("serde_json accepts it"), deep);
        let at_the_limit = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(is_one_value(at_the_limit.as_bytes()));
    }

    #[test]
    fn an_error_names_the_place() {
        let error = check(r#"{"f:a":{},}"#).expect_err("a trailing comma");
        assert_eq!(error.column(), 11, "{error}");
    }

    /// Mutations of valid texts: whenever the scan vouches for one, serde_json accepts it.
    #[test]
    fn the_scan_never_vouches_for_what_serde_json_rejects() {
        let alphabet = b"{}[]\",:\\ u0123456789abcdefABCDEF-+.eEtrunlsx\t\n\x01\x7f";
        let mut rng = fastrand::Rng::with_seed(1);
        let mut vouched = 0usize;
        for _ in 0..20_000 {
            let mut bytes = VALID[rng.usize(..VALID.len())].as_bytes().to_vec();
            for _ in 0..rng.usize(1..4) {
                let byte = alphabet[rng.usize(..alphabet.len())];
                match rng.u8(..3) {
                    0 if !bytes.is_empty() => {
                        let index = rng.usize(..bytes.len());
                        bytes[index] = byte;
                    }
                    1 if !bytes.is_empty() => {
                        bytes.remove(rng.usize(..bytes.len()));
                    }
                    _ => bytes.insert(rng.usize(..=bytes.len()), byte),
                }
            }
            let Ok(text) = std::str::from_utf8(&bytes) else { continue };
            let scanned = is_one_value(trim(text).as_bytes());
            if scanned {
                vouched += 1;
                assert!(serde_json_accepts(text), "scan vouches for {text:?}, serde_json rejects it");
            }
            assert_eq!(check(text).is_ok(), serde_json_accepts(text), "{text:?}");
        }
        assert!(vouched > 1_000, "only {vouched} mutations were valid");
    }
}
