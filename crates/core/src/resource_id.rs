//! ARM resource ids and scopes: parsing (case-insensitive keywords), validation and the
//! canonical spelling.
//!
//! It does not look anything up: whether a scope exists is the store's business.

use std::fmt;

use crate::ids::{GroupId, NameError, ResourceGroupName, ResourceName, SubscriptionId};

/// Longest resource id Leitstand accepts.
pub const MAX_RESOURCE_ID_LEN: usize = 2048;
/// Most levels of nested child resource types.
pub const MAX_TYPE_DEPTH: usize = 8;

/// Why a resource id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceIdError {
    #[error("resource id `{id}` is longer than {MAX_RESOURCE_ID_LEN} characters")]
    TooLong { id: String },
    #[error("resource id `{id}` is not valid: {reason}")]
    Malformed { id: String, reason: &'static str },
    #[error(transparent)]
    Name(#[from] NameError),
}

/// A resource type name part (`Microsoft.Storage`, `storageAccounts`): letters, digits and `.`.
fn check_type_segment(id: &str, segment: &str) -> Result<(), ResourceIdError> {
    if segment.is_empty()
        || segment.len() > 128
        || !segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(ResourceIdError::Malformed {
            id: id.to_owned(),
            reason: "a resource type segment must be letters, digits, `.` or `-`",
        });
    }
    Ok(())
}

/// A resource below a resource group: provider namespace, then type/name pairs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceRef {
    pub subscription: SubscriptionId,
    pub resource_group: ResourceGroupName,
    pub namespace: String,
    /// (type, name) pairs from the outermost resource to this one.
    pub segments: Vec<(String, ResourceName)>,
}

impl ResourceRef {
    /// Returns the full resource type, `Namespace/type/childType`.
    pub fn resource_type(&self) -> String {
        let mut out = self.namespace.clone();
        for (ty, _) in &self.segments {
            out.push('/');
            out.push_str(ty);
        }
        out
    }

    /// Returns the last name segment.
    pub fn name(&self) -> &str {
        self.segments
            .last()
            .map(|(_, n)| n.as_str())
            .unwrap_or_default()
    }

    /// Returns the parent resource, if this is a child resource.
    pub fn parent(&self) -> Option<ResourceRef> {
        if self.segments.len() < 2 {
            return None;
        }
        let mut parent = self.clone();
        parent.segments.pop();
        Some(parent)
    }
}

/// A scope in the governance hierarchy, from the tenant root down to a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `/`: the whole tenant (the scope `elevateAccess` grants at).
    Root,
    ManagementGroup(GroupId),
    Subscription(SubscriptionId),
    ResourceGroup(SubscriptionId, ResourceGroupName),
    Resource(ResourceRef),
}

impl Scope {
    /// Parses an ARM scope or resource id, case-insensitively.
    pub fn parse(id: &str) -> Result<Scope, ResourceIdError> {
        if id.len() > MAX_RESOURCE_ID_LEN {
            return Err(ResourceIdError::TooLong {
                id: id.chars().take(64).collect::<String>() + "…",
            });
        }
        let malformed = |reason| ResourceIdError::Malformed {
            id: id.to_owned(),
            reason,
        };
        if id == "/" {
            return Ok(Scope::Root);
        }
        let rest = id
            .strip_prefix('/')
            .ok_or_else(|| malformed("it must start with `/`"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(malformed("it has an empty segment"));
        }
        match parts.as_slice() {
            [p, ns, mg, group]
                if eq(p, "providers")
                    && eq(ns, "Microsoft.Management")
                    && eq(mg, "managementGroups") =>
            {
                Ok(Scope::ManagementGroup(GroupId::parse(group)?))
            }
            [s, sub] if eq(s, "subscriptions") => {
                Ok(Scope::Subscription(SubscriptionId::parse(sub)?))
            }
            [s, sub, r, rg] if eq(s, "subscriptions") && eq(r, "resourceGroups") => Ok(
                Scope::ResourceGroup(SubscriptionId::parse(sub)?, ResourceGroupName::parse(rg)?),
            ),
            [s, sub, r, rg, p, ns, pairs @ ..]
                if eq(s, "subscriptions") && eq(r, "resourceGroups") && eq(p, "providers") =>
            {
                if pairs.is_empty() || pairs.len() % 2 != 0 {
                    return Err(malformed(
                        "a resource needs type/name pairs after the provider namespace",
                    ));
                }
                if pairs.len() / 2 > MAX_TYPE_DEPTH {
                    return Err(malformed("too many nested resource types"));
                }
                check_type_segment(id, ns)?;
                let mut segments = Vec::with_capacity(pairs.len() / 2);
                for pair in pairs.chunks(2) {
                    if let [ty, name] = pair {
                        check_type_segment(id, ty)?;
                        segments.push(((*ty).to_owned(), ResourceName::parse(name)?));
                    }
                }
                Ok(Scope::Resource(ResourceRef {
                    subscription: SubscriptionId::parse(sub)?,
                    resource_group: ResourceGroupName::parse(rg)?,
                    namespace: (*ns).to_owned(),
                    segments,
                }))
            }
            _ => Err(malformed(
                "it names no management group, subscription, resource group or resource",
            )),
        }
    }

    /// Returns the subscription this scope lies in, if any.
    pub fn subscription(&self) -> Option<&SubscriptionId> {
        match self {
            Scope::Root | Scope::ManagementGroup(_) => None,
            Scope::Subscription(s) | Scope::ResourceGroup(s, _) => Some(s),
            Scope::Resource(r) => Some(&r.subscription),
        }
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl fmt::Display for Scope {
    /// Writes the canonical id: ARM's keyword casing, names as spelled.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Root => f.write_str("/"),
            Scope::ManagementGroup(g) => {
                write!(f, "/providers/Microsoft.Management/managementGroups/{g}")
            }
            Scope::Subscription(s) => write!(f, "/subscriptions/{s}"),
            Scope::ResourceGroup(s, rg) => write!(f, "/subscriptions/{s}/resourceGroups/{rg}"),
            Scope::Resource(r) => {
                write!(
                    f,
                    "/subscriptions/{}/resourceGroups/{}/providers/{}",
                    r.subscription, r.resource_group, r.namespace
                )?;
                for (ty, name) in &r.segments {
                    write!(f, "/{ty}/{name}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_scope_kind_case_insensitively() {
        assert_eq!(Scope::parse("/").unwrap(), Scope::Root);
        let mg = Scope::parse("/PROVIDERS/microsoft.management/MANAGEMENTGROUPS/Corp").unwrap();
        assert_eq!(
            mg.to_string(),
            "/providers/Microsoft.Management/managementGroups/Corp"
        );
        let rg =
            Scope::parse("/subscriptions/AAAAAAAA-0000-0000-0000-000000000001/resourcegroups/rg1")
                .unwrap();
        assert_eq!(
            rg.to_string(),
            "/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg1"
        );
        let res = Scope::parse(
            "/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Sql/servers/s1/databases/d1",
        )
        .unwrap();
        let Scope::Resource(r) = &res else {
            panic!("not a resource")
        };
        assert_eq!(r.resource_type(), "Microsoft.Sql/servers/databases");
        assert_eq!(r.name(), "d1");
        assert_eq!(r.parent().unwrap().name(), "s1");
    }

    #[test]
    fn refuses_malformed_ids() {
        for bad in [
            "",
            "subscriptions/x",
            "/subscriptions/not-a-guid",
            "/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg./",
            "/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg/providers/Ns/type",
            "/subscriptions//resourceGroups/rg",
            "/foo",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad} should fail");
        }
        assert!(matches!(
            Scope::parse(&format!("/{}", "a".repeat(3000))),
            Err(ResourceIdError::TooLong { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,300}") {
            let _ = Scope::parse(&s);
        }

        #[test]
        fn canonical_form_round_trips(
            sub in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            rg in "[A-Za-z0-9_()-]{1,20}",
            name in "[A-Za-z0-9_-]{1,20}",
        ) {
            let id = format!("/SUBSCRIPTIONS/{sub}/resourcegroups/{rg}/providers/Microsoft.Web/sites/{name}");
            let scope = Scope::parse(&id).unwrap();
            let canonical = scope.to_string();
            proptest::prop_assert_eq!(Scope::parse(&canonical).unwrap(), scope);
            proptest::prop_assert!(canonical.starts_with("/subscriptions/"));
        }
    }
}
