//! A fast path for the one timestamp shape the API server writes.
//!
//! Every `Time` the API server encodes is `YYYY-MM-DDTHH:MM:SSZ` and every `MicroTime`
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ` (Go's `time.RFC3339` and `RFC3339Micro` in UTC). A Pod carries a
//! dozen of them, and jiff's general RFC 3339 parser (offsets, lower-case separators, leap
//! seconds, error messages) took ~3% of decoding a Pod watch event. [`parse_utc`] reads that
//! shape with a few digit checks and builds the timestamp with jiff's own civil constructors
//! (which check the ranges); anything else (an offset, a field out of range, a year jiff cannot
//! hold) returns `None` and the caller parses the text with jiff, so the fast path never
//! accepts a text jiff would reject or read it differently.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;

/// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`; `None` for anything else.
pub(crate) fn parse_utc(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes.last() != Some(&b'Z') {
        return None;
    }
    let separators_match =
        bytes[4] == b'-' && bytes[7] == b'-' && bytes[10] == b'T' && bytes[13] == b':' && bytes[16] == b':';
    if !separators_match {
        return None;
    }
    let field = |range: std::ops::Range<usize>| digits(&bytes[range]).and_then(|value| i8::try_from(value).ok());
    let year = i16::try_from(digits(&bytes[0..4])?).ok()?;
    let nanos = fraction(&bytes[19..bytes.len() - 1])?;
    let datetime =
        DateTime::new(year, field(5..7)?, field(8..10)?, field(11..13)?, field(14..16)?, field(17..19)?, nanos).ok()?;
    Offset::UTC.to_timestamp(datetime).ok()
}

/// The value of ASCII digits; `None` if any byte is not one.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |value, &byte| {
        let digit = byte.wrapping_sub(b'0');
        (digit < 10).then(|| value * 10 + u32::from(digit))
    })
}

/// Nanoseconds of an empty text (no fraction) or of `.` and 1 to 9 digits.
fn fraction(bytes: &[u8]) -> Option<i32> {
    let Some((&dot, digits_text)) = bytes.split_first() else {
        return Some(0);
    };
    if dot != b'.' || digits_text.is_empty() || digits_text.len() > 9 {
        return None;
    }
    let value = digits(digits_text)?;
    let scale = 10u32.pow(9 - digits_text.len() as u32);
    i32::try_from(value * scale).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jiff(text: &str) -> Option<Timestamp> {
        text.parse().ok()
    }

    #[test]
    fn reads_what_the_api_server_writes() {
        for text in [
            "2026-11-14T01:25:10Z",
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "2000-02-29T12:00:00.5Z",
            "2026-11-14T01:25:10.123456Z",
            "2026-11-14T01:25:10.123456789Z",
            "0001-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999Z",
            "9999-12-30T21:59:59Z",
        ] {
            assert_eq!(parse_utc(text), jiff(text), "{text}");
            assert!(parse_utc(text).is_some(), "{text}");
        }
    }

    #[test]
    fn leaves_every_other_shape_to_jiff() {
        for text in [
            "2026-11-14T01:25:10+01:00",
            "2026-11-14t01:25:10Z",
            "2026-11-14 01:25:10Z",
            "2026-11-14T01:25:10z",
            "2026-11-14T01:25:60Z",
            "2026-11-14T24:00:00Z",
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-14T01:25:10.Z",
            "2026-11-14T01:25:10.1234567890Z",
            "2026-11-14T01:25:1xZ",
            "+2026-11-14T01:25:10Z",
            "9999-12-31T23:59:59Z",
            "2026-11-14T01:25:10",
            "",
        ] {
            assert_eq!(parse_utc(text), None, "{text}");
        }
    }

    /// Every day of four centuries and every fraction length agree with jiff.
    #[test]
    fn agrees_with_jiff_across_the_calendar() {
        let mut day = jiff("1900-01-01T00:00:00Z").expect("valid");
        let end = jiff("2300-01-01T00:00:00Z").expect("valid");
        let step = jiff::SignedDuration::from_secs(86_400 + 3_661);
        let mut count = 0u32;
        while day < end {
            let digits = count % 10;
            let text = match digits {
                0 => day.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                n => format!(
                    "{}.{:0width$}Z",
                    day.strftime("%Y-%m-%dT%H:%M:%S"),
                    count % 10u32.pow(n),
                    width = n as usize
                ),
            };
            assert_eq!(parse_utc(&text), jiff(&text), "{text}");
            day = day.checked_add(step).expect("in range");
            count += 1;
        }
    }
}
