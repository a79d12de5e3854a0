//! The table of error codes a client can see: each fixes its ARM code string and HTTP status.
//!
//! The codes are the ones ARM clients already expect; we do not invent synonyms.

/// An error code with its ARM `error.code` string and HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    MissingApiVersionParameter,
    InvalidApiVersionParameter,
    InvalidRequestContent,
    InvalidParameter,
    BadRequest,
    InvalidResourceId,
    InvalidResourceName,
    InvalidResourceGroupName,
    InvalidSubscriptionId,
    AuthenticationFailed,
    InvalidAuthenticationToken,
    InvalidAuthenticationTokenTenant,
    ExpiredAuthenticationToken,
    AuthorizationFailed,
    NotFound,
    ResourceNotFound,
    ResourceGroupNotFound,
    SubscriptionNotFound,
    InvalidResourceType,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    RequestEntityTooLarge,
    UnsupportedMediaType,
    ManagementGroupLimitExceeded,
    ManagementGroupDepthExceeded,
    ManagementGroupHasChildren,
    ManagementGroupCycle,
    RootManagementGroupImmutable,
    ResourceGroupNotEmpty,
    RoleDefinitionDoesNotExist,
    RoleDefinitionWithSameNameExists,
    RoleDefinitionLimitExceeded,
    InvalidRoleDefinition,
    RoleAssignmentNotFound,
    RoleAssignmentExists,
    RoleAssignmentUpdateNotPermitted,
    RoleAssignmentLimitExceeded,
    RoleDefinitionHasAssignments,
    PrincipalNotFound,
    MoveBreaksRoleAssignment,
    InternalServerError,
    ServiceUnavailable,
}

impl ErrorCode {
    /// Returns the ARM `error.code` string.
    pub fn as_str(self) -> &'static str {
        self.table().0
    }

    /// Returns the HTTP status code.
    pub fn http_status(self) -> u16 {
        self.table().1
    }

    fn table(self) -> (&'static str, u16) {
        use ErrorCode::*;
        match self {
            MissingApiVersionParameter => ("MissingApiVersionParameter", 400),
            InvalidApiVersionParameter => ("InvalidApiVersionParameter", 400),
            InvalidRequestContent => ("InvalidRequestContent", 400),
            InvalidParameter => ("InvalidParameter", 400),
            BadRequest => ("BadRequest", 400),
            InvalidResourceId => ("InvalidResourceId", 400),
            InvalidResourceName => ("InvalidResourceName", 400),
            InvalidResourceGroupName => ("InvalidResourceGroupName", 400),
            InvalidSubscriptionId => ("InvalidSubscriptionId", 400),
            AuthenticationFailed => ("AuthenticationFailed", 401),
            InvalidAuthenticationToken => ("InvalidAuthenticationToken", 401),
            InvalidAuthenticationTokenTenant => ("InvalidAuthenticationTokenTenant", 401),
            ExpiredAuthenticationToken => ("ExpiredAuthenticationToken", 401),
            AuthorizationFailed => ("AuthorizationFailed", 403),
            NotFound => ("NotFound", 404),
            ResourceNotFound => ("ResourceNotFound", 404),
            ResourceGroupNotFound => ("ResourceGroupNotFound", 404),
            SubscriptionNotFound => ("SubscriptionNotFound", 404),
            InvalidResourceType => ("InvalidResourceType", 404),
            MethodNotAllowed => ("MethodNotAllowed", 405),
            Conflict => ("Conflict", 409),
            PreconditionFailed => ("PreconditionFailed", 412),
            RequestEntityTooLarge => ("RequestEntityTooLarge", 413),
            UnsupportedMediaType => ("UnsupportedMediaType", 415),
            ManagementGroupLimitExceeded => ("ManagementGroupLimitExceeded", 400),
            ManagementGroupDepthExceeded => ("ManagementGroupDepthExceeded", 400),
            ManagementGroupHasChildren => ("ManagementGroupHasChildren", 400),
            ManagementGroupCycle => ("InvalidManagementGroupMove", 400),
            RootManagementGroupImmutable => ("RootManagementGroupImmutable", 400),
            ResourceGroupNotEmpty => ("ResourceGroupNotEmpty", 409),
            RoleDefinitionDoesNotExist => ("RoleDefinitionDoesNotExist", 404),
            RoleDefinitionWithSameNameExists => ("RoleDefinitionWithSameNameExists", 409),
            RoleDefinitionLimitExceeded => ("RoleDefinitionLimitExceeded", 400),
            InvalidRoleDefinition => ("InvalidRoleDefinition", 400),
            RoleAssignmentNotFound => ("RoleAssignmentNotFound", 404),
            RoleAssignmentExists => ("RoleAssignmentExists", 409),
            RoleAssignmentUpdateNotPermitted => ("RoleAssignmentUpdateNotPermitted", 409),
            RoleAssignmentLimitExceeded => ("RoleAssignmentLimitExceeded", 400),
            RoleDefinitionHasAssignments => ("RoleDefinitionHasAssignments", 409),
            PrincipalNotFound => ("PrincipalNotFound", 400),
            MoveBreaksRoleAssignment => ("MoveBreaksRoleAssignment", 400),
            InternalServerError => ("InternalServerError", 500),
            ServiceUnavailable => ("ServiceUnavailable", 503),
        }
    }
}
