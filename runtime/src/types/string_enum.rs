//! `string_enum!`: the string enums `kubegen` generates from `enum` schemas.
//!
//! A schema's `enum` lists the values its version knows; a newer server may send others. The
//! generated enum therefore has one variant per listed value plus a catch-all that keeps any
//! other string, so decoding never fails on a new value and encoding gives it back unchanged.

/// Defines a string enum with a catch-all variant.
///
/// ```
/// kubegen_runtime::string_enum! {
///     /// How a container's image is pulled.
///     pub enum PullPolicy {
///         /// Always pull.
///         Always = "Always",
///         IfNotPresent = "IfNotPresent",
///     }
///     /// A value this schema does not list.
///     other Other
/// }
///
/// let policy: PullPolicy = serde_json::from_str(r#""Never""#).unwrap();
/// assert_eq!(policy, PullPolicy::Other("Never".into()));
/// assert_eq!(policy.as_str(), "Never");
/// ```
#[macro_export]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $value:literal ),* $(,)?
        }
        $(#[$other_meta:meta])*
        other $other:ident
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )*
            $(#[$other_meta])*
            $other(::std::string::String),
        }

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
    crate::string_enum! {
        /// A test enum.
        pub enum Protocol {
            /// TCP.
            Tcp = "TCP",
            /// UDP.
            Udp = "UDP",
            /// No protocol.
            Empty = "",
        }
        /// Another value.
        other Other
    }

    #[test]
    fn unknown_values_survive_a_round_trip() {
        let values: Vec<Protocol> = serde_json::from_str(r#"["TCP","SCTP",""]"#).expect("decodes");
        assert_eq!(
            values,
            [
                Protocol::Tcp,
                Protocol::Other("SCTP".into()),
                Protocol::Empty
            ]
        );
        assert_eq!(
            serde_json::to_string(&values).expect("encodes"),
            r#"["TCP","SCTP",""]"#
        );
        assert_eq!(Protocol::default(), Protocol::Empty);
    }
}
