//! `/openapi.json`: the OpenAPI 3 document, built from the route table below with utoipa's
//! builders, so it cannot list a route the dispatcher does not serve (a test checks each
//! entry parses to an operation).

use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::{
    InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Required, ResponseBuilder,
};

/// Every route: method, path template, operation id, summary.
pub const ROUTES: &[(&str, &str, &str, &str)] = &[
    ("get", "/tenants", "Tenants_List", "Lists the caller's tenant."),
    ("get", "/providers/Microsoft.Management/managementGroups", "ManagementGroups_List", "Lists the tenant's management groups."),
    ("get", "/providers/Microsoft.Management/managementGroups/{groupId}", "ManagementGroups_Get", "Gets a management group; `$expand=children|path|ancestors`, `$recurse=true`."),
    ("put", "/providers/Microsoft.Management/managementGroups/{groupId}", "ManagementGroups_CreateOrUpdate", "Creates a management group, or renames and moves one."),
    ("patch", "/providers/Microsoft.Management/managementGroups/{groupId}", "ManagementGroups_Update", "Renames or moves a management group."),
    ("delete", "/providers/Microsoft.Management/managementGroups/{groupId}", "ManagementGroups_Delete", "Deletes a management group without children; answers 202 with an operation-status URL."),
    ("get", "/providers/Microsoft.Management/managementGroups/{groupId}/descendants", "ManagementGroups_GetDescendants", "Lists every group and subscription below a group."),
    ("post", "/providers/Microsoft.Management/managementGroups/{groupId}/previewMove", "ManagementGroups_PreviewMove", "Answers, without moving anything, what `childId` would leave and enter if moved under this group."),
    ("post", "/providers/Microsoft.Management/checkNameAvailability", "CheckNameAvailability", "Checks whether a management-group id is free."),
    ("get", "/providers/Microsoft.Management/operationResults/{operationId}", "ManagementGroups_OperationResult", "The status of an asynchronous management-group operation."),
    ("get", "/providers/Microsoft.Management/managementGroups/{groupId}/subscriptions", "ManagementGroupSubscriptions_List", "Lists the subscriptions directly under a group."),
    ("get", "/providers/Microsoft.Management/managementGroups/{groupId}/subscriptions/{subscriptionId}", "ManagementGroupSubscriptions_Get", "Gets a subscription under a group."),
    ("put", "/providers/Microsoft.Management/managementGroups/{groupId}/subscriptions/{subscriptionId}", "ManagementGroupSubscriptions_Create", "Moves a subscription under a group."),
    ("delete", "/providers/Microsoft.Management/managementGroups/{groupId}/subscriptions/{subscriptionId}", "ManagementGroupSubscriptions_Delete", "Moves a subscription from a group back to the root."),
    ("get", "/providers/Microsoft.Management/managementGroups/{groupId}/settings", "HierarchySettings_List", "Lists the hierarchy settings (root group only)."),
    ("get", "/providers/Microsoft.Management/managementGroups/{groupId}/settings/default", "HierarchySettings_Get", "Gets the hierarchy settings."),
    ("put", "/providers/Microsoft.Management/managementGroups/{groupId}/settings/default", "HierarchySettings_CreateOrUpdate", "Replaces the hierarchy settings."),
    ("patch", "/providers/Microsoft.Management/managementGroups/{groupId}/settings/default", "HierarchySettings_Update", "Updates the hierarchy settings."),
    ("delete", "/providers/Microsoft.Management/managementGroups/{groupId}/settings/default", "HierarchySettings_Delete", "Resets the hierarchy settings."),
    ("get", "/providers/Microsoft.Management/managementGroups/{groupId}/providers/microsoft.insights/eventtypes/management/values", "ActivityLogs_ListManagementGroup", "Lists activity-log events at and below a group."),
    ("get", "/subscriptions", "Subscriptions_List", "Lists the tenant's subscriptions and AWS accounts."),
    ("get", "/subscriptions/{subscriptionId}", "Subscriptions_Get", "Gets a subscription."),
    ("put", "/providers/Microsoft.Subscription/aliases/{aliasName}", "Alias_Create", "Creates or registers a subscription through an alias."),
    ("get", "/providers/Microsoft.Subscription/aliases/{aliasName}", "Alias_Get", "Gets a subscription alias."),
    ("get", "/subscriptions/{subscriptionId}/providers", "Providers_List", "Lists provider registrations."),
    ("get", "/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}", "Providers_Get", "Gets a provider's registration state."),
    ("post", "/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}/register", "Providers_Register", "Registers a provider."),
    ("get", "/subscriptions/{subscriptionId}/providers/microsoft.insights/eventtypes/management/values", "ActivityLogs_List", "Lists a subscription's activity-log events."),
    ("get", "/subscriptions/{subscriptionId}/resourcegroups", "ResourceGroups_List", "Lists resource groups."),
    ("get", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", "ResourceGroups_Get", "Gets a resource group."),
    ("head", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", "ResourceGroups_CheckExistence", "204 if the resource group exists, 404 if not."),
    ("put", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", "ResourceGroups_CreateOrUpdate", "Creates or replaces a resource group."),
    ("patch", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", "ResourceGroups_Update", "Updates a resource group's tags."),
    ("delete", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", "ResourceGroups_Delete", "Deletes a resource group and its resources."),
    ("get", "/subscriptions/{subscriptionId}/resources", "Resources_List", "Lists a subscription's resources; `$filter` on resourceType, tagName, tagValue."),
    ("get", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/resources", "Resources_ListByResourceGroup", "Lists a resource group's resources."),
    ("get", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{resourceProviderNamespace}/{resourceType}/{resourceName}", "Resources_Get", "Gets a resource (child types nest further type/name pairs)."),
    ("head", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{resourceProviderNamespace}/{resourceType}/{resourceName}", "Resources_CheckExistence", "204 if the resource exists, 404 if not."),
    ("put", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{resourceProviderNamespace}/{resourceType}/{resourceName}", "Resources_CreateOrUpdate", "Creates or replaces a resource."),
    ("patch", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{resourceProviderNamespace}/{resourceType}/{resourceName}", "Resources_Update", "Updates a resource."),
    ("delete", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{resourceProviderNamespace}/{resourceType}/{resourceName}", "Resources_Delete", "Deletes a resource and its children."),
    ("get", "/{scope}/providers/Microsoft.Authorization/roleDefinitions", "RoleDefinitions_List", "Lists role definitions assignable at a scope (`/`, a group, subscription, resource group or resource); `$filter` on roleName and type."),
    ("get", "/{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}", "RoleDefinitions_Get", "Gets a role definition."),
    ("put", "/{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}", "RoleDefinitions_CreateOrUpdate", "Creates or replaces a custom role (assignable scopes must exist; unknown actions are warned about in `properties.warnings`)."),
    ("delete", "/{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}", "RoleDefinitions_Delete", "Deletes a custom role."),
    ("get", "/{scope}/providers/Microsoft.Authorization/roleAssignments", "RoleAssignments_ListForScope", "Lists role assignments at, above and below a scope; `$filter=atScope()`, `principalId eq '…'`, `assignedTo('…')`."),
    ("get", "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", "RoleAssignments_Get", "Gets a role assignment (with scope `/`: by name anywhere in the tenant)."),
    ("put", "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", "RoleAssignments_Create", "Assigns a role to a principal at a scope."),
    ("delete", "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", "RoleAssignments_Delete", "Removes a role assignment."),
    ("get", "/{scope}/providers/Microsoft.Authorization/permissions", "Permissions_ListForScope", "The caller's permission blocks at a scope, from every role assigned to it or its groups at or above the scope."),
    ("get", "/{scope}/providers/Microsoft.Authorization/denyAssignments", "DenyAssignments_ListForScope", "Lists deny assignments at, above and below a scope; `$filter=atScope()`, `denyAssignmentName eq '…'`, `principalId eq '…'`. Leitstand creates them; the API only reads them."),
    ("get", "/{scope}/providers/Microsoft.Authorization/denyAssignments/{denyAssignmentId}", "DenyAssignments_Get", "Gets a deny assignment (with scope `/`: by id anywhere in the tenant)."),
    ("get", "/{scope}/providers/Leitstand.Costs/recommendations", "Recommendations_List", "Lists savings recommendations for the scope, each with `kind`, `resourceId`, `title`, `monthlySavings` (exact, in `currency`) and `evidence` (the numbers that triggered it and the thresholds): CommitmentUtilization (below 90% used), CommitmentPurchase (steady on-demand usage; reserved DB instances for Amazon RDS), HybridBenefit (Windows or SQL Server compute without Azure Hybrid Benefit), NonProductionSchedule (environment-tagged resources running around the clock), IdleVirtualMachine and RightsizeVirtualMachine (Azure Advisor's thresholds over ingested metrics). Ids are stable across runs."),
    ("get", "/{scope}/providers/Microsoft.Consumption/budgets", "Budgets_List", "Lists the budgets at a scope, each with its current period's `currentSpend` and `forecastSpend`."),
    ("get", "/{scope}/providers/Microsoft.Consumption/budgets/{budgetName}", "Budgets_Get", "Gets a budget."),
    ("put", "/{scope}/providers/Microsoft.Consumption/budgets/{budgetName}", "Budgets_CreateOrUpdate", "Creates (201) or replaces (200; `eTag` guards concurrent updates) a budget: `category` Cost, `amount`, `timeGrain` Monthly/Quarterly/Annually, `timePeriod`, `filter`, up to 5 actual and 5 forecasted `notifications` with `contactEmails` and Leitstand's `contactWebhooks` (HMAC-signed). Each notification fires once per period, evaluated after every ingest."),
    ("delete", "/{scope}/providers/Microsoft.Consumption/budgets/{budgetName}", "Budgets_Delete", "Deletes a budget (its fired alerts stay in the activity log)."),
    ("post", "/providers/Microsoft.CostManagement/costUploads", "Costs_Upload", "Leitstand's ingest by HTTP: the request content is one cost file as it comes (FOCUS 1.0–1.3 or 0.5, an AWS CUR or an Azure EA export; CSV, gzip or Parquet), `name` names it in errors; up to the server's `--max-body-bytes`. Every value is checked first (400 naming file, row and column; nothing changes); each billing period of each billing account in it replaces the stored one; budgets are evaluated. Needs `Leitstand.Costs/loads/write` at `/` (Owner or Contributor)."),
    ("get", "/{scope}/providers/Leitstand.Costs/tagRules", "TagRules_List", "Lists the tagging rules set at a scope: tag keys its cost (and the cost below it) must carry."),
    ("put", "/{scope}/providers/Leitstand.Costs/tagRules/{tagKey}", "TagRules_CreateOrUpdate", "Requires a tag key (case-insensitive) on the cost at and below a scope: 201 when new, 200 when it was already required."),
    ("delete", "/{scope}/providers/Leitstand.Costs/tagRules/{tagKey}", "TagRules_Delete", "Removes a tagging rule."),
    ("get", "/{scope}/providers/Leitstand.Costs/tagCompliance", "TagCompliance_Get", "For every tagging rule at or above the scope (evaluated at the scope) and below it (evaluated at its own scope), over `from`..`to` (YYYY-MM-DD, default: this month): the cost, the cost without the tag, their share, and the largest sources of untagged cost by sub-account and service."),
    ("post", "/{scope}/providers/Microsoft.CostManagement/query", "Query_Usage", "Answers the cost of a scope (`/`, a management group, subscription or AWS account, resource group) in Azure Cost Management's shape: `type` ActualCost/AmortizedCost/Usage, `timeframe` (MonthToDate, TheLastMonth, WeekToDate, Custom with `timePeriod`…), `dataset.granularity` Daily/Monthly, up to 2 aggregations (Cost, PreTaxCost, BilledCost, EffectiveCost, ListCost, ContractedCost, Savings) and 2 groupings (Azure's dimensions, TagKey, and Leitstand's ChildScope), `dataset.filter` (and/or/not, dimensions/tags In). Each row carries its Currency; currencies are never added up."),
    ("post", "/providers/Microsoft.Authorization/checkAccess", "CheckAccess", "Leitstand's batch check: `{\"checks\": [{\"principalId\"?, \"action\", \"dataAction\"?, \"scope\", \"attributes\"?}]}` (at most 10,000) answered in order with `allowed`, `decision` (Allowed, Denied, NotGranted) and the granting role assignment or the refusing deny assignment. Asking about another principal needs role-assignment read at the scope."),
    ("post", "/providers/Microsoft.Authorization/whoCan", "WhoCan", "Leitstand's what-if: `{\"action\", \"dataAction\"?, \"scope\"}` → the principals that can perform the action there, each with the role assignment that grants it and the group it holds it through; deny assignments applied, conditional grants marked. Needs role-assignment read at the scope."),
    ("post", "/providers/Microsoft.Authorization/elevateAccess", "GlobalAdministrator_ElevateAccess", "A global administrator takes User Access Administrator at `/` and at the root group."),
    ("get", "/providers/Microsoft.Authorization/providerOperations", "ProviderOperationsMetadata_List", "Lists every resource provider's operations."),
    ("get", "/providers/Microsoft.Authorization/providerOperations/{resourceProviderNamespace}", "ProviderOperationsMetadata_Get", "Gets one provider's operations."),
];

fn method(name: &str) -> HttpMethod {
    match name {
        "put" => HttpMethod::Put,
        "post" => HttpMethod::Post,
        "patch" => HttpMethod::Patch,
        "delete" => HttpMethod::Delete,
        "head" => HttpMethod::Head,
        _ => HttpMethod::Get,
    }
}

fn string_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .build()
}

/// Builds the OpenAPI document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for (m, path, id, summary) in ROUTES {
        let mut op = OperationBuilder::new()
            .operation_id(Some(*id))
            .summary(Some(*summary))
            .parameter(
                ParameterBuilder::new()
                    .name("api-version")
                    .parameter_in(ParameterIn::Query)
                    .required(Required::True)
                    .schema(Some(string_schema())),
            )
            .response("200", ResponseBuilder::new().description("Success."))
            .response(
                "default",
                ResponseBuilder::new().description(
                    "An ARM error: `{\"error\": {\"code\", \"message\", \"target\"}}`.",
                ),
            );
        for segment in path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(string_schema())),
                );
            }
        }
        paths = paths.path(*path, PathItem::new(method(m), op.build()));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Leitstand")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("ARM-compatible control plane for MSPs")),
        )
        .paths(paths.build())
        .build()
}

/// Serves `/openapi.json`.
pub async fn serve() -> Response {
    axum::Json(document()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_route_is_served() {
        for (m, path, id, _) in ROUTES {
            let concrete = path
                .replace("{groupId}", "g1")
                .replace("{subscriptionId}", "aaaaaaaa-0000-0000-0000-000000000001")
                .replace("{resourceGroupName}", "rg")
                .replace("{resourceProviderNamespace}", "Microsoft.Web")
                .replace("{resourceType}", "sites")
                .replace("{resourceName}", "s")
                .replace("{aliasName}", "a")
                .replace("{operationId}", "delete-g1")
                .replace(
                    "/{scope}",
                    "/subscriptions/aaaaaaaa-0000-0000-0000-000000000001",
                )
                .replace("{roleDefinitionId}", "acdd72a7-3385-48ef-bd42-f606fba81ae7")
                .replace(
                    "{roleAssignmentName}",
                    "22222222-aaaa-4bbb-8ccc-000000000001",
                );
            let method = axum::http::Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            let op = crate::ops::Operation::parse(&method, &concrete).unwrap();
            assert!(
                op.is_some(),
                "{id}: {m} {concrete} is documented but not served"
            );
        }
        let doc = serde_json::to_value(document()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    }

    /// The committed `docs/openapi.json` is what the code generates; regenerate it with
    /// `LEITSTAND_UPDATE_OPENAPI=1 cargo test -p leitstand-api openapi`.
    #[test]
    fn committed_openapi_document_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let generated = serde_json::to_string_pretty(&document()).unwrap() + "\n";
        if std::env::var("LEITSTAND_UPDATE_OPENAPI").is_ok() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == generated, "docs/openapi.json is stale: run LEITSTAND_UPDATE_OPENAPI=1 cargo test -p leitstand-api openapi");
    }
}
