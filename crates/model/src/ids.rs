//! Identifiers: UUIDs, shown as 32 lowercase hex digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a text is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an id (expected 32 hexadecimal digits)")]
pub struct IdParseError(pub String);

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub Uuid);

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl $name {
            /// A new random id (UUIDv4): random from the first digit, so a short prefix
            /// (as lists show) is almost always unique.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
            /// The id as a 128-bit integer (the store's key).
            pub fn as_u128(self) -> u128 {
                self.0.as_u128()
            }
            /// The id from the store's 128-bit key.
            pub fn from_u128(v: u128) -> Self {
                Self(Uuid::from_u128(v))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0.simple())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.simple())
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s.trim())
                    .map(Self)
                    .map_err(|_| IdParseError(s.to_string()))
            }
        }
    };
}

id_type!(
    /// Identifies a customer (and its automerge document) on every device.
    CustomerId
);
id_type!(
    /// Identifies a contact, follow-up, interaction or deal inside a customer.
    ItemId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_parses_back() {
        let id = CustomerId::new();
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<CustomerId>().unwrap(), id);
        assert_eq!(CustomerId::from_u128(id.as_u128()), id);
        assert!("not-an-id".parse::<CustomerId>().is_err());
    }
}
