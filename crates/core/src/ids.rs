//! Identifier newtypes and ARM's naming rules for them.
//!
//! Names compare case-insensitively, as ARM compares them: each newtype keeps the spelling it
//! was created with for display and offers `key()` (lowercase) for lookups and storage keys.

use std::fmt;

use uuid::Uuid;

/// Longest management-group id ARM accepts.
pub const MAX_GROUP_ID_LEN: usize = 90;
/// Longest resource-group name ARM accepts.
pub const MAX_RESOURCE_GROUP_NAME_LEN: usize = 90;
/// Longest resource name Leitstand accepts (ARM's generic limit for a name segment).
pub const MAX_RESOURCE_NAME_LEN: usize = 260;
/// Longest display name of a management group or subscription.
pub const MAX_DISPLAY_NAME_LEN: usize = 90;
/// Most tags on one resource, resource group or subscription.
pub const MAX_TAGS: usize = 50;
/// Longest tag name.
pub const MAX_TAG_NAME_LEN: usize = 512;
/// Longest tag value.
pub const MAX_TAG_VALUE_LEN: usize = 256;

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} `{name}` is longer than {max} characters")]
    TooLong {
        what: &'static str,
        name: String,
        max: usize,
    },
    #[error("{what} `{name}` contains the character `{ch}`, which is not allowed")]
    ForbiddenChar {
        what: &'static str,
        name: String,
        ch: char,
    },
    #[error("{what} `{name}` must not end with a period")]
    TrailingPeriod { what: &'static str, name: String },
    #[error("{what} `{name}` is not a valid GUID")]
    NotAGuid { what: &'static str, name: String },
    #[error("subscription id `{name}` is neither a GUID nor a 12-digit AWS account id")]
    BadSubscriptionId { name: String },
}

fn check_len(what: &'static str, name: &str, max: usize) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty { what });
    }
    if name.chars().count() > max {
        return Err(NameError::TooLong {
            what,
            name: name.to_owned(),
            max,
        });
    }
    Ok(())
}

fn check_chars(
    what: &'static str,
    name: &str,
    allowed: impl Fn(char) -> bool,
) -> Result<(), NameError> {
    if let Some(ch) = name.chars().find(|c| !allowed(*c)) {
        return Err(NameError::ForbiddenChar {
            what,
            name: name.to_owned(),
            ch,
        });
    }
    if name.ends_with('.') {
        return Err(NameError::TrailingPeriod {
            what,
            name: name.to_owned(),
        });
    }
    Ok(())
}

macro_rules! case_insensitive_name {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Eq)]
        pub struct $name(String);

        impl $name {
            /// Returns the name as it was spelled when created.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Returns the lowercase key used for comparison and storage.
            pub fn key(&self) -> String {
                self.0.to_lowercase()
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.eq_ignore_ascii_case(&other.0) || self.key() == other.key()
            }
        }

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.key().hash(state)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

case_insensitive_name!(
    /// A management-group id: unique within a tenant, up to 90 characters of letters, digits,
    /// `-`, `_`, `(`, `)` and `.`, not ending in a period.
    GroupId
);

impl GroupId {
    /// Parses and checks a management-group id.
    pub fn parse(name: &str) -> Result<Self, NameError> {
        const WHAT: &str = "management group id";
        check_len(WHAT, name, MAX_GROUP_ID_LEN)?;
        check_chars(WHAT, name, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '(' | ')' | '.')
        })?;
        Ok(Self(name.to_owned()))
    }
}

case_insensitive_name!(
    /// A resource-group name: up to 90 characters of letters, digits, `_`, `(`, `)`, `-` and
    /// `.`, not ending in a period.
    ResourceGroupName
);

impl ResourceGroupName {
    /// Parses and checks a resource-group name.
    pub fn parse(name: &str) -> Result<Self, NameError> {
        const WHAT: &str = "resource group name";
        check_len(WHAT, name, MAX_RESOURCE_GROUP_NAME_LEN)?;
        check_chars(WHAT, name, |c| {
            c.is_alphanumeric() || matches!(c, '-' | '_' | '(' | ')' | '.')
        })?;
        Ok(Self(name.to_owned()))
    }
}

case_insensitive_name!(
    /// A resource name segment: up to 260 characters, none of `<>*%&:\?/#+` or control
    /// characters, not ending in a period or a space.
    ResourceName
);

impl ResourceName {
    /// Parses and checks a resource name segment.
    pub fn parse(name: &str) -> Result<Self, NameError> {
        const WHAT: &str = "resource name";
        check_len(WHAT, name, MAX_RESOURCE_NAME_LEN)?;
        check_chars(WHAT, name, |c| {
            !c.is_control()
                && !matches!(
                    c,
                    '<' | '>' | '*' | '%' | '&' | ':' | '\\' | '?' | '/' | '#' | '+'
                )
        })?;
        if name.ends_with(' ') {
            return Err(NameError::ForbiddenChar {
                what: WHAT,
                name: name.to_owned(),
                ch: ' ',
            });
        }
        Ok(Self(name.to_owned()))
    }
}

/// A subscription id: an Azure subscription GUID (kept lowercase) or a 12-digit AWS account id.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(String);

impl SubscriptionId {
    /// Parses a subscription GUID or AWS account id.
    pub fn parse(name: &str) -> Result<Self, NameError> {
        if name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Self(name.to_owned()));
        }
        match Uuid::parse_str(name) {
            Ok(uuid) if name.len() == 36 => Ok(Self(uuid.hyphenated().to_string())),
            _ => Err(NameError::BadSubscriptionId {
                name: name.to_owned(),
            }),
        }
    }

    /// Creates a new random Azure-style subscription id.
    pub fn new_random() -> Self {
        Self(Uuid::new_v4().hyphenated().to_string())
    }

    /// Returns the canonical (lowercase) id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Tells whether this is an AWS account id rather than an Azure subscription.
    pub fn is_aws_account(&self) -> bool {
        self.0.len() == 12
    }
}

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubscriptionId({})", self.0)
    }
}

/// Parses a GUID in its canonical 36-character form and returns it lowercase.
pub fn parse_guid(what: &'static str, text: &str) -> Result<Uuid, NameError> {
    match Uuid::parse_str(text) {
        Ok(uuid) if text.len() == 36 => Ok(uuid),
        _ => Err(NameError::NotAGuid {
            what,
            name: text.to_owned(),
        }),
    }
}

/// Checks a display name: not empty, at most 90 characters, no control characters.
pub fn check_display_name(what: &'static str, name: &str) -> Result<(), NameError> {
    check_len(what, name, MAX_DISPLAY_NAME_LEN)?;
    if let Some(ch) = name.chars().find(|c| c.is_control()) {
        return Err(NameError::ForbiddenChar {
            what,
            name: name.to_owned(),
            ch,
        });
    }
    Ok(())
}

/// Checks one tag's name and value against ARM's limits.
pub fn check_tag(name: &str, value: &str) -> Result<(), NameError> {
    check_len("tag name", name, MAX_TAG_NAME_LEN)?;
    check_chars("tag name", name, |c| {
        !matches!(c, '<' | '>' | '%' | '&' | '\\' | '?' | '/') && !c.is_control()
    })?;
    if value.chars().count() > MAX_TAG_VALUE_LEN {
        return Err(NameError::TooLong {
            what: "tag value",
            name: value.to_owned(),
            max: MAX_TAG_VALUE_LEN,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_follow_arm_rules() {
        assert!(GroupId::parse("Contoso-Corp_(1).a").is_ok());
        assert!(GroupId::parse("").is_err());
        assert!(GroupId::parse("a.").is_err());
        assert!(GroupId::parse("a/b").is_err());
        assert!(GroupId::parse("ä").is_err());
        assert!(GroupId::parse(&"a".repeat(90)).is_ok());
        assert!(GroupId::parse(&"a".repeat(91)).is_err());
        assert_eq!(
            GroupId::parse("Platform").ok(),
            GroupId::parse("pLATFORM").ok()
        );
    }

    #[test]
    fn subscription_ids_are_guids_or_aws_accounts() {
        let sub = SubscriptionId::parse("AAAAAAAA-0000-0000-0000-000000000001").unwrap();
        assert_eq!(sub.as_str(), "aaaaaaaa-0000-0000-0000-000000000001");
        assert!(SubscriptionId::parse("123456789012")
            .unwrap()
            .is_aws_account());
        assert!(SubscriptionId::parse("12345678901").is_err());
        assert!(SubscriptionId::parse("aaaaaaaa000000000000000000000001").is_err());
    }

    proptest::proptest! {
        #[test]
        fn group_id_parse_never_panics_and_accepts_only_allowed(s in "\\PC{0,100}") {
            if let Ok(id) = GroupId::parse(&s) {
                proptest::prop_assert!(id.as_str().len() <= MAX_GROUP_ID_LEN);
                proptest::prop_assert!(!id.as_str().ends_with('.'));
            }
        }
    }
}
