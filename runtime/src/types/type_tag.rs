//! Zero-sized `apiVersion` and `kind` fields.
//!
//! A generated type with one group/version/kind has fields of these types instead of
//! `Option<String>`: they take no memory, serialize the type's constants, and accept whatever
//! the server sends (list items, for example, arrive without them).

use std::fmt;
use std::marker::PhantomData;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::resource::ApiType;

macro_rules! type_tag {
    ($(#[$doc:meta])* $name:ident, $constant:ident) => {
        $(#[$doc])*
        pub struct $name<T>(PhantomData<fn() -> T>);

        impl<T> $name<T> {
            /// The tag; it has no state.
            pub const fn new() -> Self {
                Self(PhantomData)
            }
        }

        impl<T: ApiType> $name<T> {
            /// The value this field serializes to.
            pub const fn value(&self) -> &'static str {
                T::$constant
            }
        }

        impl<T> Default for $name<T> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<T> Copy for $name<T> {}

        impl<T> PartialEq for $name<T> {
            fn eq(&self, _: &Self) -> bool {
                true
            }
        }

        impl<T> Eq for $name<T> {}

        impl<T: ApiType> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(T::$constant, f)
            }
        }

        impl<T: ApiType> Serialize for $name<T> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(T::$constant)
            }
        }

        impl<'de, T> Deserialize<'de> for $name<T> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                IgnoredAny::deserialize(deserializer)?;
                Ok(Self::new())
            }
        }
    };
}

type_tag!(
    /// The `apiVersion` field of a type `T`: serializes `T::API_VERSION`.
    ApiVersion,
    API_VERSION
);

type_tag!(
    /// The `kind` field of a type `T`: serializes `T::KIND`.
    Kind,
    KIND
);
