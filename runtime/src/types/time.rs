//! `Time` and `MicroTime`: RFC 3339 timestamps in UTC.
//!
//! `Time` prints whole seconds, as the API server does, and keeps any fractional seconds it
//! was given (Go's RFC 3339 parser accepts them); `MicroTime` always prints exactly six
//! fractional digits, as Go's `metav1.MicroTime` does: the API server parses it with a fixed
//! six-digit layout and rejects anything else, so finer precision is truncated. `now()` gives
//! each type's own precision, as the server would store it.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! timestamp_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub Timestamp);

        impl $name {
            /// The current time, at this type's precision.
            pub fn now() -> Self {
                Self::truncated(Timestamp::now())
            }
        }

        impl Default for $name {
            /// The Unix epoch, the value Go gives a zero time when it must encode one.
            fn default() -> Self {
                Self(Timestamp::UNIX_EPOCH)
            }
        }

        impl From<Timestamp> for $name {
            fn from(timestamp: Timestamp) -> Self {
                Self(timestamp)
            }
        }

        impl From<$name> for Timestamp {
            fn from(time: $name) -> Self {
                time.0
            }
        }

        impl FromStr for $name {
            type Err = jiff::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match super::rfc3339::parse_utc(text) {
                    Some(timestamp) => Ok(Self(timestamp)),
                    None => text.parse().map(Self),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct TimestampVisitor;

                impl Visitor<'_> for TimestampVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }

                    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                        text.parse().map_err(|error| {
                            E::custom(format_args!("invalid timestamp {text:?}: {error}"))
                        })
                    }
                }

                deserializer.deserialize_str(TimestampVisitor)
            }
        }
    };
}

timestamp_type!(
    /// A timestamp with second precision (`meta/v1` `Time`), encoded as RFC 3339 in UTC.
    Time,
    "an RFC 3339 timestamp"
);

timestamp_type!(
    /// A timestamp with microsecond precision (`meta/v1` `MicroTime`), encoded as RFC 3339 in
    /// UTC with six fractional digits.
    MicroTime,
    "an RFC 3339 timestamp with microseconds"
);

impl Time {
    fn truncated(timestamp: Timestamp) -> Self {
        Self(Timestamp::from_second(timestamp.as_second()).unwrap_or(timestamp))
    }
}

impl MicroTime {
    fn truncated(timestamp: Timestamp) -> Self {
        Self(Timestamp::from_microsecond(timestamp.as_microsecond()).unwrap_or(timestamp))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // jiff prints fractional seconds only when there are any.
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for MicroTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}", Self::truncated(self.0).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de>>(json: &str) -> String {
        let value: T = serde_json::from_str(json).expect("decodes");
        serde_json::to_string(&value).expect("encodes")
    }

    #[test]
    fn time_keeps_seconds_and_fractions() {
        assert_eq!(round_trip::<Time>(r#""2024-05-06T07:08:09Z""#), r#""2024-05-06T07:08:09Z""#);
        assert_eq!(round_trip::<Time>(r#""2024-05-06T07:08:09.25Z""#), r#""2024-05-06T07:08:09.25Z""#);
    }

    #[test]
    fn time_normalizes_offsets_to_utc() {
        assert_eq!(round_trip::<Time>(r#""2024-05-06T09:08:09+02:00""#), r#""2024-05-06T07:08:09Z""#);
    }

    #[test]
    fn micro_time_prints_six_digits() {
        assert_eq!(round_trip::<MicroTime>(r#""2024-05-06T07:08:09.000000Z""#), r#""2024-05-06T07:08:09.000000Z""#);
        assert_eq!(round_trip::<MicroTime>(r#""2024-05-06T07:08:09.123456Z""#), r#""2024-05-06T07:08:09.123456Z""#);
        assert_eq!(
            round_trip::<MicroTime>(r#""2024-05-06T07:08:09.123456789Z""#),
            r#""2024-05-06T07:08:09.123456Z""#,
            "the API server takes exactly six digits"
        );
    }

    #[test]
    fn now_has_the_precision_the_server_stores() {
        assert_eq!(Time::now().0.subsec_nanosecond(), 0);
        assert_eq!(MicroTime::now().0.subsec_nanosecond() % 1_000, 0);
        let text = MicroTime::now().to_string();
        let fraction = text.split('.').nth(1).expect("a fraction");
        assert_eq!(fraction.len(), "123456Z".len(), "{text}");
    }

    #[test]
    fn invalid_time_names_the_text() {
        let error = serde_json::from_str::<Time>(r#""yesterday""#).expect_err("rejects");
        assert!(error.to_string().contains("\"yesterday\""), "{error}");
    }
}
