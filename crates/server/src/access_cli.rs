//! Operator commands for access: role assignments made by the operator (the way in before
//! anyone holds a role, beside `elevateAccess`) and deny assignments, which only Leitstand
//! itself creates. Each is a write with its activity-log event, as through the API.

use anyhow::{anyhow, bail};
use clap::Subcommand;
use leitstand_core::resource_id::Scope;
use leitstand_core::{Clock, SystemClock};
use leitstand_store::{DenyAssignmentRow, RoleAssignmentRow};
use serde_json::{json, Value};

use crate::admin::{cli_event, open_store, parse_tenant, print};
use crate::Global;

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Assigns a role (built-in by name or id, or a custom role's id) to a principal at a scope.
    Assign {
        #[arg(long)]
        tenant: String,
        /// The principal's object id.
        #[arg(long)]
        principal: String,
        /// A role name such as `Owner`, or a role definition id.
        #[arg(long)]
        role: String,
        /// A scope id: `/`, a management group, a subscription, a resource group, a resource.
        #[arg(long)]
        scope: String,
    },
}

#[derive(Debug, Subcommand)]
#[expect(clippy::large_enum_variant, reason = "parsed once per CLI run")]
pub enum DenyCommand {
    /// Creates (or replaces) a deny assignment.
    Create {
        #[arg(long)]
        tenant: String,
        /// The deny assignment's id (a GUID); a new one when left out.
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        scope: String,
        /// Actions refused (repeatable; wildcards as in role definitions).
        #[arg(long = "action")]
        actions: Vec<String>,
        /// Actions left open among the refused ones.
        #[arg(long = "not-action")]
        not_actions: Vec<String>,
        /// Data actions refused.
        #[arg(long = "data-action")]
        data_actions: Vec<String>,
        /// Data actions left open.
        #[arg(long = "not-data-action")]
        not_data_actions: Vec<String>,
        /// Principals refused; `everyone` for all.
        #[arg(long = "principal", required = true)]
        principals: Vec<String>,
        /// Principals left alone.
        #[arg(long = "exclude")]
        exclude: Vec<String>,
        /// Applies at the scope only, not below it.
        #[arg(long)]
        do_not_apply_to_child_scopes: bool,
    },
    /// Deletes a deny assignment.
    Delete {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        id: String,
    },
}

fn parse_scope(text: &str) -> anyhow::Result<Scope> {
    Scope::parse(text).map_err(|e| anyhow!("scope `{text}`: {e}"))
}

pub async fn role(global: &Global, command: RoleCommand) -> anyhow::Result<std::process::ExitCode> {
    let RoleCommand::Assign {
        tenant,
        principal,
        role,
        scope,
    } = command;
    let tenant = parse_tenant(&tenant)?;
    let scope = parse_scope(&scope)?;
    let store = open_store(global).await?;
    let principal = store
        .get_principal(&tenant, &principal.to_lowercase())
        .await?
        .ok_or_else(|| anyhow!("`{principal}` is not a principal of tenant `{tenant}`"))?;
    let role_id = match leitstand_rbac::builtin_role_by_name(&role) {
        Some(r) => r.id.clone(),
        None => {
            let id = role.to_lowercase();
            if leitstand_rbac::builtin_role_by_id(&id).is_none()
                && store.get_custom_role(&tenant, &id).await?.is_none()
            {
                bail!("`{role}` is neither a built-in role nor a custom role of tenant `{tenant}`");
            }
            id
        }
    };
    let mut tx = store.begin_write(&tenant, SystemClock.now()).await?;
    let exists = match &scope {
        Scope::Root => true,
        Scope::ManagementGroup(g) => tx.snapshot().tree.contains_group(&g.key()),
        other => other
            .subscription()
            .is_some_and(|s| tx.snapshot().tree.subscription(s.as_str()).is_some()),
    };
    if !exists {
        bail!("scope `{scope}` does not exist in tenant `{tenant}`");
    }
    if let Some(same) = tx.role_assignments().await?.into_iter().find(|a| {
        a.principal_id == principal.id
            && a.role_definition_id == role_id
            && a.scope.eq_ignore_ascii_case(&scope.to_string())
    }) {
        print(global.output, &json!({ "id": same.id, "existed": true }))?;
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let row = RoleAssignmentRow {
        id: uuid::Uuid::new_v4().to_string(),
        scope: scope.to_string(),
        role_definition_id: role_id.clone(),
        principal_id: principal.id.clone(),
        principal_type: principal.kind.as_str().to_owned(),
        description: "assigned by the operator".into(),
        condition: None,
        condition_version: None,
        created_at: String::new(),
        updated_at: String::new(),
        created_by: "cli".into(),
        updated_by: "cli".into(),
    };
    tx.insert_role_assignment(&row, "cli").await?;
    let at = if scope == Scope::Root {
        String::new()
    } else {
        scope.to_string()
    };
    let mut event = cli_event(
        "Microsoft.Authorization/roleAssignments/write",
        format!(
            "{at}/providers/Microsoft.Authorization/roleAssignments/{}",
            row.id
        ),
    );
    let out = json!({ "id": row.id, "scope": row.scope, "roleDefinitionId": role_id, "principalId": principal.id });
    event.after = Some(out.clone());
    tx.append_event(event).await?;
    tx.commit().await?;
    print(global.output, &out)?;
    Ok(std::process::ExitCode::SUCCESS)
}

fn principal_list(ids: &[String]) -> anyhow::Result<Value> {
    ids.iter()
        .map(|p| {
            if p.eq_ignore_ascii_case("everyone") || p == leitstand_rbac::engine::EVERYONE {
                Ok(json!({ "id": leitstand_rbac::engine::EVERYONE, "type": "SystemDefined" }))
            } else {
                leitstand_core::ids::parse_guid("principal id", p)
                    .map(|g| json!({ "id": g.to_string(), "type": "" }))
                    .map_err(|e| anyhow!("{e}"))
            }
        })
        .collect::<anyhow::Result<Vec<Value>>>()
        .map(Value::Array)
}

pub async fn deny(global: &Global, command: DenyCommand) -> anyhow::Result<std::process::ExitCode> {
    let store = open_store(global).await?;
    match command {
        DenyCommand::Create {
            tenant,
            id,
            name,
            description,
            scope,
            actions,
            not_actions,
            data_actions,
            not_data_actions,
            principals,
            exclude,
            do_not_apply_to_child_scopes,
        } => {
            let tenant = parse_tenant(&tenant)?;
            let scope = parse_scope(&scope)?;
            if actions.is_empty() && data_actions.is_empty() {
                bail!("a deny assignment must refuse at least one action or data action");
            }
            let id = match id {
                Some(id) => leitstand_core::ids::parse_guid("deny assignment id", &id)
                    .map_err(|e| anyhow!("{e}"))?
                    .to_string(),
                None => uuid::Uuid::new_v4().to_string(),
            };
            let row = DenyAssignmentRow {
                id: id.clone(),
                name,
                description,
                scope: scope.to_string(),
                permissions: json!([{ "actions": actions, "notActions": not_actions, "dataActions": data_actions, "notDataActions": not_data_actions }]),
                principals: principal_list(&principals)?,
                exclude_principals: principal_list(&exclude)?,
                do_not_apply_to_child_scopes,
                created_at: String::new(),
                updated_at: String::new(),
                created_by: "cli".into(),
                updated_by: "cli".into(),
            };
            let mut tx = store.begin_write(&tenant, SystemClock.now()).await?;
            tx.upsert_deny_assignment(&row, "cli").await?;
            let at = if scope == Scope::Root {
                String::new()
            } else {
                scope.to_string()
            };
            let mut event = cli_event(
                "Microsoft.Authorization/denyAssignments/write",
                format!("{at}/providers/Microsoft.Authorization/denyAssignments/{id}"),
            );
            let out = json!({ "id": id, "scope": row.scope, "name": row.name });
            event.after = Some(out.clone());
            tx.append_event(event).await?;
            tx.commit().await?;
            print(global.output, &out)?;
        }
        DenyCommand::Delete { tenant, id } => {
            let tenant = parse_tenant(&tenant)?;
            let mut tx = store.begin_write(&tenant, SystemClock.now()).await?;
            if !tx.delete_deny_assignment(&id).await? {
                bail!("deny assignment `{id}` does not exist in tenant `{tenant}`");
            }
            let mut event = cli_event(
                "Microsoft.Authorization/denyAssignments/delete",
                format!(
                    "/providers/Microsoft.Authorization/denyAssignments/{}",
                    id.to_lowercase()
                ),
            );
            event.before = Some(json!({ "id": id.to_lowercase() }));
            tx.append_event(event).await?;
            tx.commit().await?;
            print(
                global.output,
                &json!({ "id": id.to_lowercase(), "deleted": true }),
            )?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
