//! The handlers, one module per resource family, and the one `match` that routes each
//! [`Operation`] to its handler.

pub mod access_checks;
pub mod activity;
pub mod assignments;
pub mod authorization;
pub mod budgets;
pub mod costs;
pub mod health;
pub mod mg;
pub mod resources;
pub mod role_body;
#[cfg(test)]
mod role_body_test;
pub mod subscriptions;

use axum::response::Response;

use crate::arm::Ctx;
use crate::error::ApiError;
use crate::ops::Operation;
use crate::AppState;

/// Runs the handler of the request's operation.
pub async fn handle(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    use Operation::*;
    match &ctx.op {
        ListTenants => subscriptions::list_tenants(ctx).await,
        ListManagementGroups => mg::list(ctx).await,
        GetManagementGroup(g) => mg::get(state, ctx, g).await,
        PutManagementGroup(g) => mg::put(state, ctx, g).await,
        PatchManagementGroup(g) => mg::patch(state, ctx, g).await,
        DeleteManagementGroup(g) => mg::delete(state, ctx, g).await,
        GetDescendants(g) => mg::descendants(ctx, g).await,
        PreviewMove(g) => mg::preview_move(state, ctx, g).await,
        CheckNameAvailability => mg::check_name(ctx).await,
        ManagementGroupOperationResult(id) => mg::operation_result(ctx, id).await,
        ListGroupSubscriptions(g) => mg::list_subscriptions(ctx, g).await,
        GetGroupSubscription(g, s) => mg::get_subscription(ctx, g, s).await,
        PutGroupSubscription(g, s) => mg::put_subscription(state, ctx, g, s).await,
        DeleteGroupSubscription(g, s) => mg::delete_subscription(state, ctx, g, s).await,
        ListSettings(g) | GetSettings(g) | PutSettings(g) | PatchSettings(g)
        | DeleteSettings(g) => mg::settings(state, ctx, g).await,
        ListSubscriptions => subscriptions::list(state, ctx).await,
        GetSubscription(s) => subscriptions::get(state, ctx, s).await,
        PutAlias(name) => subscriptions::put_alias(state, ctx, name).await,
        GetAlias(name) => subscriptions::get_alias(state, ctx, name).await,
        ListProviders(s) => subscriptions::list_providers(state, ctx, s).await,
        GetProvider(s, ns) => subscriptions::get_provider(state, ctx, s, ns).await,
        RegisterProvider(s, ns) => subscriptions::register_provider(state, ctx, s, ns).await,
        ListResourceGroups(s) => resources::list_groups(state, ctx, s).await,
        GetResourceGroup(s, rg) | CheckResourceGroup(s, rg) => {
            resources::get_group(state, ctx, s, rg).await
        }
        PutResourceGroup(s, rg) | PatchResourceGroup(s, rg) => {
            resources::put_group(state, ctx, s, rg).await
        }
        DeleteResourceGroup(s, rg) => resources::delete_group(state, ctx, s, rg).await,
        ListResources(s) => resources::list(state, ctx, s, None).await,
        ListGroupResources(s, rg) => resources::list(state, ctx, s, Some(rg)).await,
        GetResource(r) | CheckResource(r) => resources::get(state, ctx, r).await,
        PutResource(r) | PatchResource(r) => resources::put(state, ctx, r).await,
        DeleteResource(r) => resources::delete(state, ctx, r).await,
        ActivityLogSubscription(s) => activity::list_subscription(state, ctx, s).await,
        ActivityLogManagementGroup(g) => activity::list_group(state, ctx, g).await,
        ListRoleDefinitions(scope) => authorization::list_role_definitions(state, ctx, scope).await,
        GetRoleDefinition(scope, id) => {
            authorization::get_role_definition(state, ctx, scope, id).await
        }
        PutRoleDefinition(scope, id) => {
            authorization::put_role_definition(state, ctx, scope, id).await
        }
        DeleteRoleDefinition(scope, id) => {
            authorization::delete_role_definition(state, ctx, scope, id).await
        }
        ListProviderOperations => authorization::list_provider_operations(ctx),
        ListRoleAssignments(scope) => assignments::list(state, ctx, scope).await,
        ListPermissions(scope) => assignments::permissions(state, ctx, scope).await,
        ElevateAccess => assignments::elevate_access(state, ctx).await,
        GetRoleAssignment(scope, id) => assignments::get(state, ctx, scope, id).await,
        PutRoleAssignment(scope, id) => assignments::put(state, ctx, scope, id).await,
        DeleteRoleAssignment(scope, id) => assignments::delete(state, ctx, scope, id).await,
        ListDenyAssignments(scope) => access_checks::list_deny(state, ctx, scope).await,
        GetDenyAssignment(scope, id) => access_checks::get_deny(state, ctx, scope, id).await,
        CheckAccess => access_checks::check_access(ctx).await,
        WhoCan => access_checks::who_can(state, ctx).await,
        CostQuery(scope) => costs::query(state, ctx, scope).await,
        UploadCosts => costs::upload(state, ctx).await,
        ListTagRules(scope) => costs::list_tag_rules(state, ctx, scope).await,
        PutTagRule(scope, key) => costs::put_tag_rule(state, ctx, scope, key).await,
        DeleteTagRule(scope, key) => costs::delete_tag_rule(state, ctx, scope, key).await,
        TagCompliance(scope) => costs::tag_compliance(state, ctx, scope).await,
        ListRecommendations(scope) => costs::recommendations(state, ctx, scope).await,
        ListBudgets(scope) => budgets::list(state, ctx, scope).await,
        GetBudget(scope, name) => budgets::get(state, ctx, scope, name).await,
        PutBudget(scope, name) => budgets::put(state, ctx, scope, name).await,
        DeleteBudget(scope, name) => budgets::delete(state, ctx, scope, name).await,
        GetProviderOperations(ns) => authorization::get_provider_operations(ns),
    }
}
