//! Role definitions and their permission blocks, and whether a definition grants an action.
//!
//! A [`RoleDefinition`] has one or more [`Permission`] blocks.
//! A block grants a control-plane action when one of its `actions` patterns matches and none of its `not_actions` patterns does, and a data action likewise with `data_actions` and `not_data_actions`; the two kinds never mix.
//! NotActions subtract only inside their own block: a definition grants whatever any one of its blocks grants.
//! NotActions are not deny rules either: another role assignment can still grant what one role's NotActions leave out.
//!
//! This module does not evaluate a block's [`Condition`] (ABAC): [`Permission::allows`] and [`RoleDefinition::allows`] look at patterns only, and [`RoleDefinition::allows_unconditionally`] ignores conditional blocks altogether.
//! It does not validate custom roles (assignable scopes, limits), and it knows nothing of assignments, scopes or deny assignments.

use crate::matching::action_matches;

/// Whether a role definition is one of Azure's built-in roles or a tenant's custom role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoleType {
    /// One of the embedded Azure built-in roles.
    BuiltIn,
    /// A role defined by a tenant.
    Custom,
}

/// A role definition: a named set of permission blocks, assignable at the listed scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleDefinition {
    /// The definition's id, a GUID in lowercase (for built-in roles the same in every tenant).
    pub id: String,
    /// The display name, unique among built-in roles when compared case-insensitively.
    pub role_name: String,
    /// The description; empty when the definition has none.
    pub description: String,
    /// Built-in or custom.
    pub role_type: RoleType,
    /// The permission blocks; the definition grants what any one of them grants.
    pub permissions: Vec<Permission>,
    /// The scopes at which the definition may be assigned, as ARM scope strings (`/` for every built-in role).
    pub assignable_scopes: Vec<String>,
}

/// One permission block of a role definition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permission {
    /// Patterns of the control-plane actions the block grants.
    pub actions: Vec<String>,
    /// Patterns of control-plane actions subtracted from `actions`.
    pub not_actions: Vec<String>,
    /// Patterns of the data actions the block grants.
    pub data_actions: Vec<String>,
    /// Patterns of data actions subtracted from `data_actions`.
    pub not_data_actions: Vec<String>,
    /// The ABAC condition that restricts the block, carried but not evaluated by this crate.
    pub condition: Option<Condition>,
}

/// An ABAC condition on a permission block, as Azure writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The condition expression, for example `(!(ActionMatches{'…'})) OR @Resource[…] ForAnyOfAnyValues:GuidEquals{…}`.
    pub expression: String,
    /// The condition language version, `2.0` for all but one built-in role.
    pub version: String,
}

impl Permission {
    /// Returns whether this block's patterns grant `action`: some pattern of `actions` matches it and no pattern of `not_actions` does, or, for a data action, the same with `data_actions` and `not_data_actions`.
    ///
    /// The block's [`Condition`], if any, is not evaluated.
    pub fn allows(&self, action: &str, is_data_action: bool) -> bool {
        let (granted, subtracted) = if is_data_action {
            (&self.data_actions, &self.not_data_actions)
        } else {
            (&self.actions, &self.not_actions)
        };
        granted
            .iter()
            .any(|pattern| action_matches(pattern, action))
            && !subtracted
                .iter()
                .any(|pattern| action_matches(pattern, action))
    }
}

impl RoleDefinition {
    /// Returns whether some permission block of the definition grants `action` (see [`Permission::allows`]).
    ///
    /// Conditions are not evaluated: a block with a condition counts as if the condition held.
    /// Use [`RoleDefinition::allows_unconditionally`] where conditions cannot be checked.
    pub fn allows(&self, action: &str, is_data_action: bool) -> bool {
        self.permissions
            .iter()
            .any(|permission| permission.allows(action, is_data_action))
    }

    /// Returns whether some permission block without a condition grants `action`.
    ///
    /// This is the safe answer while conditions are not evaluated: a conditional grant counts as no grant.
    pub fn allows_unconditionally(&self, action: &str, is_data_action: bool) -> bool {
        self.permissions
            .iter()
            .filter(|permission| permission.condition.is_none())
            .any(|permission| permission.allows(action, is_data_action))
    }
}
