//! `impl_string_enum!`: the string enums `kubegen` generates from `enum` schemas.
//!
//! A schema's `enum` lists the values its version knows; a newer server may send others. The
//! generated enum therefore has one variant per listed value plus a catch-all that keeps any
//! other string, so decoding never fails on a new value and encoding gives it back unchanged.

/// Implements a string enum's conversions and serde: the enum has one unit variant per listed
/// value and a catch-all variant holding any other string.
///
/// ```
/// /// How a container's image is pulled.
/// #[derive(Clone, Debug, PartialEq, Eq)]
/// pub enum PullPolicy {
///     /// Always pull.
///     Always,
///     /// Pull when missing.
///     IfNotPresent,
///     /// A value this schema does not list.
///     Other(String),
/// }
/// kubegen_runtime::impl_string_enum!(PullPolicy { Always = "Always", IfNotPresent = "IfNotPresent" } other Other);
///
/// let policy: PullPolicy = serde_json::from_str(r#""Never""#).unwrap();
/// assert_eq!(policy, PullPolicy::Other("Never".into()));
/// assert_eq!(policy.as_str(), "Never");
/// ```
#[macro_export]
macro_rules! impl_string_enum {
    ($name:ident { $( $variant:ident = $value:literal ),* $(,)? } other $other:ident) => {
        impl $name {
            /// The value as it travels in JSON.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )*
                    Self::$other(value) => value,
                }
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $value => Self::$variant, )*
                    other => Self::$other(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    $( $value => Self::$variant, )*
                    _ => Self::$other(value),
                }
            }
        }

        impl ::std::default::Default for $name {
            /// The empty string, as Go decodes a missing value.
            fn default() -> Self {
                Self::from("")
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                struct EnumVisitor;

                impl $crate::__private::serde::de::Visitor<'_> for EnumVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }

                    fn visit_str<E>(self, value: &str) -> ::std::result::Result<$name, E>
                    where
                        E: $crate::__private::serde::de::Error,
                    {
                        Ok($name::from(value))
                    }

                    fn visit_string<E>(
                        self,
                        value: ::std::string::String,
                    ) -> ::std::result::Result<$name, E>
                    where
                        E: $crate::__private::serde::de::Error,
                    {
                        Ok($name::from(value))
                    }
                }

                deserializer.deserialize_str(EnumVisitor)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    /// A test enum.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Protocol {
        /// TCP.
        Tcp,
        /// UDP.
        Udp,
        /// No protocol.
        Empty,
        /// Another value.
        Other(String),
    }

    crate::impl_string_enum!(Protocol { Tcp = "TCP", Udp = "UDP", Empty = "" } other Other);

    #[test]
    fn unknown_values_survive_a_round_trip() {
        let values: Vec<Protocol> = serde_json::from_str(r#"["TCP","SCTP",""]"#).expect("decodes");
        assert_eq!(values, [Protocol::Tcp, Protocol::Other("SCTP".into()), Protocol::Empty]);
        assert_eq!(serde_json::to_string(&values).expect("encodes"), r#"["TCP","SCTP",""]"#);
        assert_eq!(Protocol::default(), Protocol::Empty);
    }
}
