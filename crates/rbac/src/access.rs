//! The access decision for one request: given the role assignments and deny assignments that
//! apply at the request's scope (the caller works out which apply: the principal, its groups,
//! the scope chain), decides whether the action is allowed, and says why.
//!
//! A deny always wins over an allow. An assignment whose condition does not hold grants
//! nothing. It does no I/O and evaluates no condition itself: the caller passes each
//! assignment's condition outcome.

use crate::definition::{Permission, RoleDefinition};

/// A role assignment that applies to the request.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    /// The assignment's name, for the decision's reason.
    pub assignment: &'a str,
    pub role: &'a RoleDefinition,
    /// Whether the assignment's condition holds (true when it has none).
    pub condition_holds: bool,
}

/// A deny assignment that applies to the request.
#[derive(Debug, Clone, Copy)]
pub struct Deny<'a> {
    /// The deny assignment's id, for the decision's reason.
    pub id: &'a str,
    /// What it denies: Actions and DataActions it blocks, minus the NotActions and
    /// NotDataActions it leaves open.
    pub permissions: &'a [Permission],
}

/// What was asked.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub action: &'a str,
    pub is_data_action: bool,
}

/// Why a request was decided the way it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed by this assignment's role.
    Allowed { assignment: String, role: String },
    /// Refused by a deny assignment, whatever allowed it.
    Denied { deny_assignment: String },
    /// No applicable assignment grants the action.
    NotGranted,
}

impl Decision {
    /// Tells whether the request may go ahead.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
}

/// Decides one request.
pub fn decide(request: &Request<'_>, grants: &[Grant<'_>], denies: &[Deny<'_>]) -> Decision {
    for deny in denies {
        if deny
            .permissions
            .iter()
            .any(|p| p.allows(request.action, request.is_data_action))
        {
            return Decision::Denied {
                deny_assignment: deny.id.to_owned(),
            };
        }
    }
    for grant in grants.iter().filter(|g| g.condition_holds) {
        if grant
            .role
            .permissions
            .iter()
            .any(|p| p.allows(request.action, request.is_data_action))
        {
            return Decision::Allowed {
                assignment: grant.assignment.to_owned(),
                role: grant.role.role_name.clone(),
            };
        }
    }
    Decision::NotGranted
}
