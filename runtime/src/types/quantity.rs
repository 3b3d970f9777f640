//! `Quantity`: a fixed-point number with an optional unit suffix, such as `500m` or `1Gi`.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Str;

/// A Kubernetes resource quantity (`resource.Quantity`), kept as the text the server sent so
/// that it round-trips unchanged.
///
/// The spec types it as a string in Swagger 2.0 and as `string | number` in OpenAPI 3; both
/// decode here, numbers being kept in their decimal text.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(pub Str);

impl Quantity {
    /// The quantity's text, for example `100Mi`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The quantity as a floating-point number of base units (`1500m` is `1.5`, `1Ki` is
    /// `1024.0`), or `None` if the text is not a valid quantity.
    pub fn to_f64(&self) -> Option<f64> {
        let text = self.0.trim();
        let split =
            text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-')).unwrap_or(text.len());
        let (number, suffix) = text.split_at(split);
        let number: f64 = number.parse().ok()?;
        let multiplier = match suffix {
            "" => 1.0,
            "n" => 1e-9,
            "u" => 1e-6,
            "m" => 1e-3,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            "P" => 1e15,
            "E" => 1e18,
            "Ki" => 1024.0,
            "Mi" => 1024.0_f64.powi(2),
            "Gi" => 1024.0_f64.powi(3),
            "Ti" => 1024.0_f64.powi(4),
            "Pi" => 1024.0_f64.powi(5),
            "Ei" => 1024.0_f64.powi(6),
            exponent if exponent.starts_with(['e', 'E']) => 10f64.powi(exponent[1..].parse::<i32>().ok()?),
            _ => return None,
        };
        Some(number * multiplier)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Quantity {
    fn from(text: &str) -> Self {
        Self(Str::from(text))
    }
}

impl From<String> for Quantity {
    fn from(text: String) -> Self {
        Self(Str::from(text))
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuantityVisitor;

        impl Visitor<'_> for QuantityVisitor {
            type Value = Quantity;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity as a string or a number")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Quantity, E> {
                Ok(Quantity(Str::from(text)))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Quantity, E> {
                Ok(Quantity(Str::from(text)))
            }

            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Quantity, E> {
                Ok(Quantity(Str::from(number.to_string())))
            }

            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Quantity, E> {
                Ok(Quantity(Str::from(number.to_string())))
            }

            fn visit_f64<E: de::Error>(self, number: f64) -> Result<Quantity, E> {
                Ok(Quantity(Str::from(number.to_string())))
            }
        }

        deserializer.deserialize_any(QuantityVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_strings_and_numbers() {
        let values: Vec<Quantity> = serde_json::from_str(r#"["100Mi", 2, 0.5, "1500m"]"#).expect("decodes");
        let texts: Vec<&str> = values.iter().map(Quantity::as_str).collect();
        assert_eq!(texts, ["100Mi", "2", "0.5", "1500m"]);
        assert_eq!(serde_json::to_string(&values).expect("encodes"), r#"["100Mi","2","0.5","1500m"]"#);
    }

    #[test]
    fn converts_to_numbers() {
        assert_eq!(Quantity::from("1500m").to_f64(), Some(1.5));
        assert_eq!(Quantity::from("1Ki").to_f64(), Some(1024.0));
        assert_eq!(Quantity::from("2e3").to_f64(), Some(2000.0));
        assert_eq!(Quantity::from("5").to_f64(), Some(5.0));
        assert_eq!(Quantity::from("lots").to_f64(), None);
    }
}
