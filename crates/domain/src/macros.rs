//! Shared trait plumbing for the validated string identifiers.

/// Implements `Display`, `FromStr`, `AsRef<str>`, `TryFrom<String>`, `TryFrom<&str>` and
/// `From<Self> for String` for a validated string newtype that has
/// `fn parse(&str) -> Result<Self, $err>` and `fn as_str(&self) -> &str`.
///
/// With those, `#[serde(try_from = "String", into = "String")]` makes serde go through
/// `parse`, so a deserialized value is as valid as a parsed one.
macro_rules! string_identifier {
    ($ty:ident, $err:ty) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = $err;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.as_str().to_owned()
            }
        }
    };
}

pub(crate) use string_identifier;
