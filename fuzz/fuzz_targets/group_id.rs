//! Fuzzes the name newtypes `GroupId`, `SubscriptionId` and `ResourceGroupName` against plain
//! reference models of their documented rules, on arbitrary UTF-8.
//!
//! Each parser must accept exactly what its model accepts, keep the spelling it was given (a
//! subscription GUID lowercased) and accept its own output again.
//! It does not fuzz `ResourceName`; the `resource_id` target reaches it through `Scope::parse`.

#![no_main]

use leitstand_core::ids::{
    GroupId, ResourceGroupName, SubscriptionId, MAX_GROUP_ID_LEN, MAX_RESOURCE_GROUP_NAME_LEN,
};
use libfuzzer_sys::{fuzz_target, Corpus};

/// Returns whether `name` is a management-group id by the documented rules: 1 to 90
/// characters of ASCII letters, digits, `-`, `_`, `(`, `)` and `.`, not ending in a period.
fn is_group_id(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_GROUP_ID_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_().".contains(c))
        && !name.ends_with('.')
}

/// Returns whether `name` is a resource-group name by the documented rules: 1 to 90
/// characters of letters, digits, `_`, `(`, `)`, `-` and `.`, not ending in a period.
fn is_resource_group_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_RESOURCE_GROUP_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_().".contains(c))
        && !name.ends_with('.')
}

/// Returns whether `name` is a 12-digit AWS account id.
fn is_aws_account(name: &str) -> bool {
    name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit())
}

/// Returns whether `name` is a GUID in its 36-character hyphenated form, in either case.
fn is_hyphenated_guid(name: &str) -> bool {
    name.len() == 36
        && name.bytes().enumerate().all(|(idx, b)| match idx {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(name) = std::str::from_utf8(data) else {
        return Corpus::Reject;
    };

    let group_id = GroupId::parse(name);
    assert_eq!(
        group_id.is_ok(),
        is_group_id(name),
        "management group id `{name}`: {group_id:?}"
    );
    if let Ok(group_id) = group_id {
        assert_eq!(group_id.as_str(), name);
        assert!(group_id.as_str().len() <= MAX_GROUP_ID_LEN);
        assert!(!group_id.as_str().ends_with('.'));
        assert_eq!(group_id.key(), name.to_ascii_lowercase());
        let upper = name.to_ascii_uppercase();
        assert_eq!(GroupId::parse(&upper).ok(), Some(group_id.clone()));
        assert_eq!(GroupId::parse(&group_id.key()).ok(), Some(group_id));
    }

    let subscription_id = SubscriptionId::parse(name);
    assert_eq!(
        subscription_id.is_ok(),
        is_aws_account(name) || is_hyphenated_guid(name),
        "subscription id `{name}`: {subscription_id:?}"
    );
    if let Ok(subscription_id) = subscription_id {
        let canonical = subscription_id.as_str();
        assert_eq!(subscription_id.to_string(), canonical);
        assert_eq!(subscription_id.is_aws_account(), is_aws_account(name));
        if is_aws_account(name) {
            assert_eq!(canonical, name);
        } else {
            assert!(is_hyphenated_guid(canonical));
            assert_eq!(canonical, name.to_ascii_lowercase());
        }
        assert_eq!(
            SubscriptionId::parse(canonical).ok(),
            Some(subscription_id.clone())
        );
    }

    let resource_group = ResourceGroupName::parse(name);
    assert_eq!(
        resource_group.is_ok(),
        is_resource_group_name(name),
        "resource group name `{name}`: {resource_group:?}"
    );
    if let Ok(resource_group) = resource_group {
        assert_eq!(resource_group.as_str(), name);
        assert_eq!(
            ResourceGroupName::parse(&name.to_ascii_uppercase()).ok(),
            Some(resource_group)
        );
    }
    Corpus::Keep
});
