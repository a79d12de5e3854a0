//! The closed list of ARM operations Leitstand serves: how a request's method and path map to
//! one, the RBAC action each performs (one exhaustive `match`), and the api-versions each
//! resource type accepts.
//!
//! Paths are matched case-insensitively, as ARM matches them; a doubled leading slash is one.

use axum::http::Method;
use leitstand_core::ids::{GroupId, ResourceGroupName, SubscriptionId};
use leitstand_core::resource_id::{ResourceRef, Scope};
use leitstand_core::ErrorCode;

use crate::error::ApiError;

/// Every ARM operation, with the parameters its path carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    ListTenants,
    ListManagementGroups,
    GetManagementGroup(GroupId),
    PutManagementGroup(GroupId),
    PatchManagementGroup(GroupId),
    DeleteManagementGroup(GroupId),
    GetDescendants(GroupId),
    PreviewMove(GroupId),
    CheckNameAvailability,
    ManagementGroupOperationResult(String),
    ListGroupSubscriptions(GroupId),
    GetGroupSubscription(GroupId, SubscriptionId),
    PutGroupSubscription(GroupId, SubscriptionId),
    DeleteGroupSubscription(GroupId, SubscriptionId),
    ListSettings(GroupId),
    GetSettings(GroupId),
    PutSettings(GroupId),
    PatchSettings(GroupId),
    DeleteSettings(GroupId),
    ListSubscriptions,
    GetSubscription(SubscriptionId),
    PutAlias(String),
    GetAlias(String),
    ListProviders(SubscriptionId),
    GetProvider(SubscriptionId, String),
    RegisterProvider(SubscriptionId, String),
    ListResourceGroups(SubscriptionId),
    GetResourceGroup(SubscriptionId, ResourceGroupName),
    CheckResourceGroup(SubscriptionId, ResourceGroupName),
    PutResourceGroup(SubscriptionId, ResourceGroupName),
    PatchResourceGroup(SubscriptionId, ResourceGroupName),
    DeleteResourceGroup(SubscriptionId, ResourceGroupName),
    ListResources(SubscriptionId),
    ListGroupResources(SubscriptionId, ResourceGroupName),
    GetResource(ResourceRef),
    CheckResource(ResourceRef),
    PutResource(ResourceRef),
    PatchResource(ResourceRef),
    DeleteResource(ResourceRef),
    ActivityLogSubscription(SubscriptionId),
    ActivityLogManagementGroup(GroupId),
    ListRoleDefinitions(Scope),
    GetRoleDefinition(Scope, String),
    PutRoleDefinition(Scope, String),
    DeleteRoleDefinition(Scope, String),
    ListProviderOperations,
    GetProviderOperations(String),
    ListRoleAssignments(Scope),
    ListPermissions(Scope),
    ElevateAccess,
    GetRoleAssignment(Scope, String),
    PutRoleAssignment(Scope, String),
    DeleteRoleAssignment(Scope, String),
    ListDenyAssignments(Scope),
    GetDenyAssignment(Scope, String),
    CheckAccess,
    WhoCan,
    CostQuery(Scope),
    UploadCosts,
    ListTagRules(Scope),
    PutTagRule(Scope, String),
    DeleteTagRule(Scope, String),
    TagCompliance(Scope),
    ListRecommendations(Scope),
    ListBudgets(Scope),
    GetBudget(Scope, String),
    PutBudget(Scope, String),
    DeleteBudget(Scope, String),
}

/// A path's `{scope}/providers/{namespace}/…`: the scope, the lowercase segments after the
/// namespace, and the segment after the first of them as sent.
type ProviderPart<'l> = (Scope, &'l [&'l str], String);

/// Which api-version allow-list applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiFamily {
    ManagementGroups,
    Subscriptions,
    Aliases,
    Resources,
    Providers,
    ActivityLog,
    Authorization,
    ElevateAccess,
    CostManagement,
    Consumption,
}

impl ApiFamily {
    /// Returns the api-versions this family accepts: what `az` 2.91 and the SDKs send.
    pub fn versions(self) -> &'static [&'static str] {
        match self {
            ApiFamily::ManagementGroups => &["2020-05-01", "2021-04-01", "2023-04-01"],
            ApiFamily::Subscriptions => &["2016-06-01", "2020-01-01", "2022-12-01"],
            ApiFamily::Aliases => &["2021-10-01"],
            ApiFamily::Resources => &[
                "2021-04-01",
                "2022-09-01",
                "2024-03-01",
                "2024-11-01",
                "2025-04-01",
            ],
            ApiFamily::Providers => &["2021-04-01", "2024-11-01"],
            ApiFamily::ActivityLog => &["2015-04-01"],
            ApiFamily::ElevateAccess => &["2015-07-01"],
            // 2023-03-01 as Microsoft's spec has it; 2025-03-01 is what azure-mgmt-costmanagement 5.0 sends.
            ApiFamily::CostManagement => &["2023-03-01", "2025-03-01"],
            // 2023-05-01 is what `az consumption budget` sends; 2024-08-01 azure-mgmt-consumption 11.
            ApiFamily::Consumption => &["2023-05-01", "2024-08-01"],
            ApiFamily::Authorization => &[
                "2018-01-01-preview",
                "2018-09-01-preview",
                "2020-04-01-preview",
                "2022-04-01",
                "2022-05-01-preview",
            ],
        }
    }

    /// Returns the resource type named in api-version errors.
    pub fn resource_type(self) -> &'static str {
        match self {
            ApiFamily::ManagementGroups => "Microsoft.Management/managementGroups",
            ApiFamily::Subscriptions => "Microsoft.Resources/subscriptions",
            ApiFamily::Aliases => "Microsoft.Subscription/aliases",
            ApiFamily::Resources => "Microsoft.Resources/resourceGroups",
            ApiFamily::Providers => "Microsoft.Resources/providers",
            ApiFamily::ActivityLog => "microsoft.insights/eventtypes",
            ApiFamily::Authorization => "Microsoft.Authorization/roleDefinitions",
            ApiFamily::ElevateAccess => "Microsoft.Authorization/elevateAccess",
            ApiFamily::CostManagement => "Microsoft.CostManagement/query",
            ApiFamily::Consumption => "Microsoft.Consumption/budgets",
        }
    }
}

impl Operation {
    /// Returns the ARM operation name (the RBAC action) this operation performs.
    pub fn action(&self) -> String {
        use Operation::*;
        match self {
            ListTenants => "Microsoft.Resources/tenants/read".into(),
            ListManagementGroups
            | GetManagementGroup(_)
            | GetDescendants(_)
            | ManagementGroupOperationResult(_) => {
                "Microsoft.Management/managementGroups/read".into()
            }
            PreviewMove(_) => "Microsoft.Management/managementGroups/read".into(),
            PutManagementGroup(_) | PatchManagementGroup(_) => {
                "Microsoft.Management/managementGroups/write".into()
            }
            DeleteManagementGroup(_) => "Microsoft.Management/managementGroups/delete".into(),
            CheckNameAvailability => "Microsoft.Management/checkNameAvailability/action".into(),
            ListGroupSubscriptions(_) | GetGroupSubscription(..) => {
                "Microsoft.Management/managementGroups/subscriptions/read".into()
            }
            PutGroupSubscription(..) => {
                "Microsoft.Management/managementGroups/subscriptions/write".into()
            }
            DeleteGroupSubscription(..) => {
                "Microsoft.Management/managementGroups/subscriptions/delete".into()
            }
            ListSettings(_) | GetSettings(_) => {
                "Microsoft.Management/managementGroups/settings/read".into()
            }
            PutSettings(_) | PatchSettings(_) => {
                "Microsoft.Management/managementGroups/settings/write".into()
            }
            DeleteSettings(_) => "Microsoft.Management/managementGroups/settings/delete".into(),
            ListSubscriptions | GetSubscription(_) => {
                "Microsoft.Resources/subscriptions/read".into()
            }
            PutAlias(_) => "Microsoft.Subscription/aliases/write".into(),
            GetAlias(_) => "Microsoft.Subscription/aliases/read".into(),
            ListProviders(_) | GetProvider(..) => {
                "Microsoft.Resources/subscriptions/providers/read".into()
            }
            RegisterProvider(_, ns) => format!("{ns}/register/action"),
            ListResourceGroups(_) | GetResourceGroup(..) | CheckResourceGroup(..) => {
                "Microsoft.Resources/subscriptions/resourceGroups/read".into()
            }
            PutResourceGroup(..) | PatchResourceGroup(..) => {
                "Microsoft.Resources/subscriptions/resourceGroups/write".into()
            }
            DeleteResourceGroup(..) => {
                "Microsoft.Resources/subscriptions/resourceGroups/delete".into()
            }
            ListResources(_) | ListGroupResources(..) => {
                "Microsoft.Resources/subscriptions/resources/read".into()
            }
            GetResource(r) | CheckResource(r) => format!("{}/read", r.resource_type()),
            PutResource(r) | PatchResource(r) => format!("{}/write", r.resource_type()),
            DeleteResource(r) => format!("{}/delete", r.resource_type()),
            ActivityLogSubscription(_) | ActivityLogManagementGroup(_) => {
                "Microsoft.Insights/eventtypes/values/read".into()
            }
            ListRoleDefinitions(_) | GetRoleDefinition(..) => {
                "Microsoft.Authorization/roleDefinitions/read".into()
            }
            PutRoleDefinition(..) => "Microsoft.Authorization/roleDefinitions/write".into(),
            ListRoleAssignments(_) | GetRoleAssignment(..) => {
                "Microsoft.Authorization/roleAssignments/read".into()
            }
            ListPermissions(_) => "Microsoft.Authorization/permissions/read".into(),
            ElevateAccess => "Microsoft.Authorization/elevateAccess/action".into(),
            PutRoleAssignment(..) => "Microsoft.Authorization/roleAssignments/write".into(),
            DeleteRoleAssignment(..) => "Microsoft.Authorization/roleAssignments/delete".into(),
            DeleteRoleDefinition(..) => "Microsoft.Authorization/roleDefinitions/delete".into(),
            ListProviderOperations | GetProviderOperations(_) => {
                "Microsoft.Authorization/providerOperations/read".into()
            }
            ListDenyAssignments(_) | GetDenyAssignment(..) => {
                "Microsoft.Authorization/denyAssignments/read".into()
            }
            CheckAccess => "Microsoft.Authorization/checkAccess/action".into(),
            WhoCan => "Microsoft.Authorization/roleAssignments/read".into(),
            CostQuery(_) => "Microsoft.CostManagement/query/read".into(),
            // Leitstand's own action: only roles with `*` (Owner, Contributor) hold it.
            UploadCosts => "Leitstand.Costs/loads/write".into(),
            ListTagRules(_) => "Leitstand.Costs/tagRules/read".into(),
            PutTagRule(..) => "Leitstand.Costs/tagRules/write".into(),
            DeleteTagRule(..) => "Leitstand.Costs/tagRules/delete".into(),
            TagCompliance(_) | ListRecommendations(_) => {
                "Microsoft.CostManagement/query/read".into()
            }
            ListBudgets(_) | GetBudget(..) => "Microsoft.Consumption/budgets/read".into(),
            PutBudget(..) => "Microsoft.Consumption/budgets/write".into(),
            DeleteBudget(..) => "Microsoft.Consumption/budgets/delete".into(),
        }
    }

    /// Tells whether this operation changes state (and so is logged, accepted or refused).
    pub fn is_write(&self) -> bool {
        use Operation::*;
        matches!(
            self,
            PutManagementGroup(_)
                | PatchManagementGroup(_)
                | DeleteManagementGroup(_)
                | PutGroupSubscription(..)
                | DeleteGroupSubscription(..)
                | PutSettings(_)
                | PatchSettings(_)
                | DeleteSettings(_)
                | PutAlias(_)
                | RegisterProvider(..)
                | PutResourceGroup(..)
                | PatchResourceGroup(..)
                | DeleteResourceGroup(..)
                | PutResource(_)
                | PatchResource(_)
                | DeleteResource(_)
                | PutRoleDefinition(..)
                | DeleteRoleDefinition(..)
                | PutRoleAssignment(..)
                | DeleteRoleAssignment(..)
                | ElevateAccess
                | PutBudget(..)
                | DeleteBudget(..)
                | UploadCosts
                | PutTagRule(..)
                | DeleteTagRule(..)
        )
    }

    /// Returns the api-version family.
    pub fn family(&self) -> ApiFamily {
        use Operation::*;
        match self {
            ListTenants | ListSubscriptions | GetSubscription(_) => ApiFamily::Subscriptions,
            PutAlias(_) | GetAlias(_) => ApiFamily::Aliases,
            ListProviders(_) | GetProvider(..) | RegisterProvider(..) => ApiFamily::Providers,
            ListResourceGroups(_)
            | GetResourceGroup(..)
            | CheckResourceGroup(..)
            | PutResourceGroup(..)
            | PatchResourceGroup(..)
            | DeleteResourceGroup(..)
            | ListResources(_)
            | ListGroupResources(..)
            | GetResource(_)
            | CheckResource(_)
            | PutResource(_)
            | PatchResource(_)
            | DeleteResource(_) => ApiFamily::Resources,
            ActivityLogSubscription(_) | ActivityLogManagementGroup(_) => ApiFamily::ActivityLog,
            ElevateAccess => ApiFamily::ElevateAccess,
            ListRoleDefinitions(_)
            | GetRoleDefinition(..)
            | PutRoleDefinition(..)
            | DeleteRoleDefinition(..)
            | ListRoleAssignments(_)
            | ListPermissions(_)
            | GetRoleAssignment(..)
            | PutRoleAssignment(..)
            | DeleteRoleAssignment(..)
            | ListProviderOperations
            | GetProviderOperations(_)
            | ListDenyAssignments(_)
            | GetDenyAssignment(..)
            | CheckAccess
            | WhoCan => ApiFamily::Authorization,
            CostQuery(_)
            | UploadCosts
            | ListTagRules(_)
            | PutTagRule(..)
            | DeleteTagRule(..)
            | TagCompliance(_)
            | ListRecommendations(_) => ApiFamily::CostManagement,
            ListBudgets(_) | GetBudget(..) | PutBudget(..) | DeleteBudget(..) => {
                ApiFamily::Consumption
            }
            _ => ApiFamily::ManagementGroups,
        }
    }

    /// Returns a stable, low-cardinality label for metrics.
    pub fn label(&self) -> &'static str {
        use Operation::*;
        match self {
            ListTenants => "Tenants_List",
            ListManagementGroups => "ManagementGroups_List",
            GetManagementGroup(_) => "ManagementGroups_Get",
            PutManagementGroup(_) => "ManagementGroups_CreateOrUpdate",
            PatchManagementGroup(_) => "ManagementGroups_Update",
            DeleteManagementGroup(_) => "ManagementGroups_Delete",
            GetDescendants(_) => "ManagementGroups_GetDescendants",
            PreviewMove(_) => "ManagementGroups_PreviewMove",
            CheckNameAvailability => "CheckNameAvailability",
            ManagementGroupOperationResult(_) => "ManagementGroups_OperationResult",
            ListGroupSubscriptions(_) => "ManagementGroupSubscriptions_List",
            GetGroupSubscription(..) => "ManagementGroupSubscriptions_Get",
            PutGroupSubscription(..) => "ManagementGroupSubscriptions_Create",
            DeleteGroupSubscription(..) => "ManagementGroupSubscriptions_Delete",
            ListSettings(_) => "HierarchySettings_List",
            GetSettings(_) => "HierarchySettings_Get",
            PutSettings(_) => "HierarchySettings_CreateOrUpdate",
            PatchSettings(_) => "HierarchySettings_Update",
            DeleteSettings(_) => "HierarchySettings_Delete",
            ListSubscriptions => "Subscriptions_List",
            GetSubscription(_) => "Subscriptions_Get",
            PutAlias(_) => "Alias_Create",
            GetAlias(_) => "Alias_Get",
            ListProviders(_) => "Providers_List",
            GetProvider(..) => "Providers_Get",
            RegisterProvider(..) => "Providers_Register",
            ListResourceGroups(_) => "ResourceGroups_List",
            GetResourceGroup(..) => "ResourceGroups_Get",
            CheckResourceGroup(..) => "ResourceGroups_CheckExistence",
            PutResourceGroup(..) => "ResourceGroups_CreateOrUpdate",
            PatchResourceGroup(..) => "ResourceGroups_Update",
            DeleteResourceGroup(..) => "ResourceGroups_Delete",
            ListResources(_) => "Resources_List",
            ListGroupResources(..) => "Resources_ListByResourceGroup",
            GetResource(_) => "Resources_GetById",
            CheckResource(_) => "Resources_CheckExistenceById",
            PutResource(_) => "Resources_CreateOrUpdateById",
            PatchResource(_) => "Resources_UpdateById",
            DeleteResource(_) => "Resources_DeleteById",
            ActivityLogSubscription(_) => "ActivityLogs_List",
            ActivityLogManagementGroup(_) => "ActivityLogs_ListManagementGroup",
            ListRoleDefinitions(_) => "RoleDefinitions_List",
            GetRoleDefinition(..) => "RoleDefinitions_Get",
            PutRoleDefinition(..) => "RoleDefinitions_CreateOrUpdate",
            DeleteRoleDefinition(..) => "RoleDefinitions_Delete",
            ListRoleAssignments(_) => "RoleAssignments_ListForScope",
            ListPermissions(_) => "Permissions_ListForScope",
            ElevateAccess => "GlobalAdministrator_ElevateAccess",
            GetRoleAssignment(..) => "RoleAssignments_Get",
            PutRoleAssignment(..) => "RoleAssignments_Create",
            DeleteRoleAssignment(..) => "RoleAssignments_Delete",
            ListDenyAssignments(_) => "DenyAssignments_ListForScope",
            GetDenyAssignment(..) => "DenyAssignments_Get",
            CheckAccess => "CheckAccess",
            WhoCan => "WhoCan",
            CostQuery(_) => "Query_Usage",
            UploadCosts => "Costs_Upload",
            ListTagRules(_) => "TagRules_List",
            PutTagRule(..) => "TagRules_CreateOrUpdate",
            DeleteTagRule(..) => "TagRules_Delete",
            TagCompliance(_) => "TagCompliance_Get",
            ListRecommendations(_) => "Recommendations_List",
            ListBudgets(_) => "Budgets_List",
            GetBudget(..) => "Budgets_Get",
            PutBudget(..) => "Budgets_CreateOrUpdate",
            DeleteBudget(..) => "Budgets_Delete",
            ListProviderOperations => "ProviderOperationsMetadata_List",
            GetProviderOperations(_) => "ProviderOperationsMetadata_Get",
        }
    }

    /// Splits `{scope}/providers/{namespace}/…` (the last such `providers` segment): the scope,
    /// the lowercase segments after the namespace, and the segment after the first of those (as
    /// sent), or `None` when the path has no such part.
    fn provider_part<'l>(
        segs: &[&str],
        lower: &'l [&'l str],
        namespace: &str,
    ) -> Result<Option<ProviderPart<'l>>, ApiError> {
        let Some(at) = lower
            .windows(2)
            .rposition(|w| w == ["providers", namespace])
        else {
            return Ok(None);
        };
        let scope_path = format!("/{}", segs.get(..at).unwrap_or_default().join("/"));
        let scope = Scope::parse(&scope_path)
            .map_err(|e| ApiError::new(ErrorCode::InvalidResourceId, e.to_string()).at("scope"))?;
        let rest = lower.get(at + 2..).unwrap_or_default();
        let name = segs.get(at + 3).map(|s| s.to_string()).unwrap_or_default();
        Ok(Some((scope, rest, name)))
    }

    /// Maps a method and path to an operation; `None` for an unknown route.
    pub fn parse(method: &Method, path: &str) -> Result<Option<Operation>, ApiError> {
        use Operation::*;
        let trimmed = path.trim_start_matches('/').trim_end_matches('/');
        let raw: Vec<String> = trimmed
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let segs: Vec<&str> = raw.iter().map(String::as_str).collect();
        let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
        let l: Vec<&str> = lower.iter().map(String::as_str).collect();
        let m = method.as_str();
        let group = |s: &str| {
            GroupId::parse(s).map_err(|e| {
                ApiError::new(ErrorCode::InvalidResourceName, e.to_string()).at("groupId")
            })
        };
        let sub = |s: &str| {
            SubscriptionId::parse(s).map_err(|e| {
                ApiError::new(ErrorCode::InvalidSubscriptionId, e.to_string()).at("subscriptionId")
            })
        };
        let rg = |s: &str| {
            ResourceGroupName::parse(s).map_err(|e| {
                ApiError::new(ErrorCode::InvalidResourceGroupName, e.to_string())
                    .at("resourceGroupName")
            })
        };
        // `{scope}/providers/Leitstand.Costs/tagRules[/{tagKey}]`, `…/tagCompliance` and
        // `…/recommendations`.
        if let Some((scope, rest, name)) = Self::provider_part(&segs, &l, "leitstand.costs")? {
            return Ok(match (m, rest) {
                ("GET", ["tagrules"]) => Some(ListTagRules(scope)),
                ("PUT", ["tagrules", _]) => Some(PutTagRule(scope, name)),
                ("DELETE", ["tagrules", _]) => Some(DeleteTagRule(scope, name)),
                ("GET", ["tagcompliance"]) => Some(TagCompliance(scope)),
                ("GET", ["recommendations"]) => Some(ListRecommendations(scope)),
                _ => None,
            });
        }
        // `{scope}/providers/Microsoft.Consumption/budgets[/{name}]`.
        if let Some((scope, rest, name)) = Self::provider_part(&segs, &l, "microsoft.consumption")?
        {
            return Ok(match (m, rest) {
                ("GET", ["budgets"]) => Some(ListBudgets(scope)),
                ("GET", ["budgets", _]) => Some(GetBudget(scope, name)),
                ("PUT", ["budgets", _]) => Some(PutBudget(scope, name)),
                ("DELETE", ["budgets", _]) => Some(DeleteBudget(scope, name)),
                _ => None,
            });
        }
        // `{scope}/providers/Microsoft.CostManagement/query`.
        if let Some((scope, rest, _)) = Self::provider_part(&segs, &l, "microsoft.costmanagement")?
        {
            return Ok(match (m, rest) {
                ("POST", ["query"]) => Some(CostQuery(scope)),
                ("POST", ["costuploads"]) if scope == Scope::Root => Some(UploadCosts),
                _ => None,
            });
        }
        // `{scope}/providers/Microsoft.Authorization/…`: any scope, then the authorization part.
        if let Some((scope, rest, name)) =
            Self::provider_part(&segs, &l, "microsoft.authorization")?
        {
            let op = match (m, rest) {
                ("GET", ["roledefinitions"]) => ListRoleDefinitions(scope),
                ("GET", ["roledefinitions", _]) => GetRoleDefinition(scope, name),
                ("PUT", ["roledefinitions", _]) => PutRoleDefinition(scope, name),
                ("DELETE", ["roledefinitions", _]) => DeleteRoleDefinition(scope, name),
                ("GET", ["roleassignments"]) => ListRoleAssignments(scope),
                ("GET", ["permissions"]) => ListPermissions(scope),
                ("POST", ["elevateaccess"]) if scope == Scope::Root => ElevateAccess,
                ("GET", ["roleassignments", _]) => GetRoleAssignment(scope, name),
                ("PUT", ["roleassignments", _]) => PutRoleAssignment(scope, name),
                ("DELETE", ["roleassignments", _]) => DeleteRoleAssignment(scope, name),
                ("GET", ["denyassignments"]) => ListDenyAssignments(scope),
                ("GET", ["denyassignments", _]) => GetDenyAssignment(scope, name),
                ("POST", ["checkaccess"]) if scope == Scope::Root => CheckAccess,
                ("POST", ["whocan"]) if scope == Scope::Root => WhoCan,
                ("GET", ["provideroperations"]) if scope == Scope::Root => ListProviderOperations,
                ("GET", ["provideroperations", _]) if scope == Scope::Root => {
                    GetProviderOperations(name)
                }
                _ => return Ok(None),
            };
            return Ok(Some(op));
        }
        let op = match (m, l.as_slice()) {
            ("GET", ["tenants"]) => ListTenants,
            ("GET", ["providers", "microsoft.management", "managementgroups"]) => {
                ListManagementGroups
            }
            ("POST", ["providers", "microsoft.management", "checknameavailability"]) => {
                CheckNameAvailability
            }
            ("GET", ["providers", "microsoft.management", "operationresults", _]) => {
                ManagementGroupOperationResult(
                    segs.get(3).map(|s| s.to_string()).unwrap_or_default(),
                )
            }
            (_, ["providers", "microsoft.management", "managementgroups", _, rest @ ..]) => {
                let g = group(segs.get(3).copied().unwrap_or_default())?;
                match (m, rest) {
                    ("GET", []) => GetManagementGroup(g),
                    ("PUT", []) => PutManagementGroup(g),
                    ("PATCH", []) => PatchManagementGroup(g),
                    ("DELETE", []) => DeleteManagementGroup(g),
                    ("GET", ["descendants"]) => GetDescendants(g),
                    ("POST", ["previewmove"]) => PreviewMove(g),
                    ("GET", ["subscriptions"]) => ListGroupSubscriptions(g),
                    (_, ["subscriptions", _]) => {
                        let s = sub(segs.get(5).copied().unwrap_or_default())?;
                        match m {
                            "GET" => GetGroupSubscription(g, s),
                            "PUT" => PutGroupSubscription(g, s),
                            "DELETE" => DeleteGroupSubscription(g, s),
                            _ => return Err(method_not_allowed(m, path)),
                        }
                    }
                    ("GET", ["settings"]) => ListSettings(g),
                    ("GET", ["settings", "default"]) => GetSettings(g),
                    ("PUT", ["settings", "default"]) => PutSettings(g),
                    ("PATCH", ["settings", "default"]) => PatchSettings(g),
                    ("DELETE", ["settings", "default"]) => DeleteSettings(g),
                    (
                        "GET",
                        ["providers", "microsoft.insights", "eventtypes", "management", "values"],
                    ) => ActivityLogManagementGroup(g),
                    _ => return Ok(None),
                }
            }
            ("PUT", ["providers", "microsoft.subscription", "aliases", _]) => {
                PutAlias(segs[3].to_owned())
            }
            ("GET", ["providers", "microsoft.subscription", "aliases", _]) => {
                GetAlias(segs[3].to_owned())
            }
            ("GET", ["subscriptions"]) => ListSubscriptions,
            (_, ["subscriptions", _, rest @ ..]) => {
                let s = sub(segs.get(1).copied().unwrap_or_default())?;
                match (m, rest) {
                    ("GET", []) => GetSubscription(s),
                    ("GET", ["providers"]) => ListProviders(s),
                    ("GET", ["providers", _]) => GetProvider(s, segs[3].to_owned()),
                    ("POST", ["providers", _, "register"]) => {
                        RegisterProvider(s, segs[3].to_owned())
                    }
                    (
                        "GET",
                        ["providers", "microsoft.insights", "eventtypes", "management", "values"],
                    ) => ActivityLogSubscription(s),
                    ("GET", ["resourcegroups"]) => ListResourceGroups(s),
                    ("GET", ["resources"]) => ListResources(s),
                    (_, ["resourcegroups", _]) => {
                        let r = rg(segs.get(3).copied().unwrap_or_default())?;
                        match m {
                            "GET" => GetResourceGroup(s, r),
                            "HEAD" => CheckResourceGroup(s, r),
                            "PUT" => PutResourceGroup(s, r),
                            "PATCH" => PatchResourceGroup(s, r),
                            "DELETE" => DeleteResourceGroup(s, r),
                            _ => return Err(method_not_allowed(m, path)),
                        }
                    }
                    ("GET", ["resourcegroups", _, "resources"]) => {
                        ListGroupResources(s, rg(segs.get(3).copied().unwrap_or_default())?)
                    }
                    (_, ["resourcegroups", _, "providers", ..]) => {
                        let id = format!("/{}", segs.join("/"));
                        let scope = Scope::parse(&id).map_err(|e| {
                            ApiError::new(ErrorCode::InvalidResourceId, e.to_string())
                                .at("resourceId")
                        })?;
                        let Scope::Resource(r) = scope else {
                            return Ok(None);
                        };
                        match m {
                            "GET" => GetResource(r),
                            "HEAD" => CheckResource(r),
                            "PUT" => PutResource(r),
                            "PATCH" => PatchResource(r),
                            "DELETE" => DeleteResource(r),
                            _ => return Err(method_not_allowed(m, path)),
                        }
                    }
                    _ => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(op))
    }
}

fn method_not_allowed(method: &str, path: &str) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("the method `{method}` is not allowed on `{path}`"),
    )
}

/// Checks the `api-version` query parameter against the family's allow-list.
pub fn check_api_version(family: ApiFamily, version: Option<&str>) -> Result<String, ApiError> {
    let supported = family.versions();
    match version {
        None => Err(ApiError::new(
            ErrorCode::MissingApiVersionParameter,
            format!("the api-version query parameter (?api-version=) is required for all requests; supported versions for `{}`: {}", family.resource_type(), supported.join(", ")),
        )
        .at("api-version")),
        Some(v) if supported.contains(&v) => Ok(v.to_owned()),
        Some(v) => Err(ApiError::new(
            ErrorCode::InvalidApiVersionParameter,
            format!(
                "the api-version `{v}` is invalid; the supported versions for resource type `{}` are '{}'",
                family.resource_type(),
                supported.join(", ")
            ),
        )
        .at("api-version")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_case_insensitive() {
        let op = Operation::parse(
            &Method::PUT,
            "//PROVIDERS/microsoft.management/managementgroups/Corp",
        )
        .unwrap();
        assert_eq!(
            op,
            Some(Operation::PutManagementGroup(
                GroupId::parse("Corp").unwrap()
            ))
        );
        let op = Operation::parse(
            &Method::GET,
            "/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourcegroups/rg1",
        )
        .unwrap();
        assert!(matches!(op, Some(Operation::GetResourceGroup(..))));
        assert!(Operation::parse(&Method::GET, "/nothing/here")
            .unwrap()
            .is_none());
        assert!(Operation::parse(&Method::GET, "/subscriptions/not-a-guid").is_err());
    }

    #[test]
    fn unknown_api_versions_list_the_supported_ones() {
        let err = check_api_version(ApiFamily::ManagementGroups, Some("1999-01-01")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidApiVersionParameter);
        assert!(err.message.contains("2021-04-01"));
        assert!(check_api_version(ApiFamily::ManagementGroups, Some("2023-04-01")).is_ok());
    }
}
