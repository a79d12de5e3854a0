//! The operator CLI: tenants, principals, memberships, tokens, service principals,
//! subscriptions, the activity log and signing keys, on the store directly. Every change is a
//! write with its activity-log event, as through the API.

use std::io::Write;

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, Duration, Utc};
use clap::Subcommand;
use leitstand_api::auth::{hash_secret, issue_token, new_secret, GENERIC_AUDIENCE};
use leitstand_api::keys::{self, KeyPurpose};
use leitstand_core::ids::{GroupId, SubscriptionId};
use leitstand_core::tree::SubscriptionKind;
use leitstand_core::{Clock, SystemClock};
use leitstand_store::{
    AuditSigner, EventDraft, EventFilter, Principal, PrincipalKind, SecretRow, Store,
};
use serde_json::{json, Value};

use crate::{Global, Output};

/// The longest a service-principal secret may live.
const MAX_SECRET_DAYS: i64 = 180;

/// Opens the store the global options name, with this data directory's audit key.
pub async fn open_store(global: &Global) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&global.data)
        .with_context(|| format!("create the data directory {}", global.data.display()))?;
    let url = match &global.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", global.data.join("leitstand.db").display()),
    };
    let now = SystemClock.now();
    let audit = keys::load_or_create(&global.data, KeyPurpose::Audit, now)?;
    let store = Store::open(
        &url,
        AuditSigner {
            kid: audit.kid.clone(),
            key: audit.key.clone(),
        },
    )
    .await
    .with_context(|| format!("open the database {}", redact(&url)))?;
    keys::publish(&store, KeyPurpose::Audit, &audit, now).await?;
    Ok(store)
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!(
            "{}://…{}",
            url.get(..scheme).unwrap_or_default(),
            url.get(at..).unwrap_or_default()
        ),
        _ => url.to_owned(),
    }
}

pub(crate) fn print(output: Output, value: &Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match output {
        Output::Json => writeln!(out, "{}", serde_json::to_string_pretty(value)?)?,
        Output::Csv => {
            let rows: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            let mut header: Vec<&str> = Vec::new();
            for row in &rows {
                for key in row.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !header.contains(&key.as_str()) {
                        header.push(key);
                    }
                }
            }
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(&header)?;
            for row in &rows {
                let cells: Vec<String> = header
                    .iter()
                    .map(|k| match row.get(*k) {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                    })
                    .collect();
                writer.write_record(&cells)?;
            }
            writer.flush()?;
        }
        Output::Table => {
            let rows: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for row in rows {
                if let Some(obj) = row.as_object() {
                    let line: Vec<String> = obj
                        .iter()
                        .map(|(k, v)| {
                            format!(
                                "{k}={}",
                                v.as_str()
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| v.to_string())
                            )
                        })
                        .collect();
                    writeln!(out, "{}", line.join("  "))?;
                } else {
                    writeln!(out, "{row}")?;
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn cli_event(operation: &str, scope: impl Into<String>) -> EventDraft {
    let mut event = EventDraft::new(operation, scope, "cli", uuid::Uuid::new_v4().to_string());
    event.caller_name = Some(format!(
        "leitstand cli ({})",
        std::env::var("USER").unwrap_or_else(|_| "operator".into())
    ));
    event.method = Some("CLI".into());
    event
}

pub(crate) fn parse_tenant(text: &str) -> anyhow::Result<String> {
    leitstand_core::ids::parse_guid("tenant id", text)
        .map(|u| u.to_string())
        .map_err(|e| anyhow!("{e}"))
}

/// Creates a tenant; returns its id.
pub async fn create_tenant(
    store: &Store,
    display_name: &str,
    id: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    leitstand_core::ids::check_display_name("display name", display_name)
        .map_err(|e| anyhow!("{e}"))?;
    let id = match id {
        Some(id) => parse_tenant(id)?,
        None => uuid::Uuid::new_v4().to_string(),
    };
    let mut event = cli_event(
        "Microsoft.Management/managementGroups/write",
        format!("/providers/Microsoft.Management/managementGroups/{id}"),
    );
    event.after = Some(
        json!({ "tenantId": id, "displayName": display_name, "rootManagementGroup": "Tenant Root Group" }),
    );
    store.create_tenant(&id, display_name, now, event).await?;
    Ok(id)
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Creates a tenant with its root management group.
    Create {
        #[arg(long)]
        display_name: String,
        /// The tenant's GUID (default: a new one).
        #[arg(long)]
        id: Option<String>,
    },
    /// Lists tenants.
    List,
}

pub async fn tenant(
    global: &Global,
    command: TenantCommand,
) -> anyhow::Result<std::process::ExitCode> {
    let store = open_store(global).await?;
    match command {
        TenantCommand::Create { display_name, id } => {
            let id = create_tenant(&store, &display_name, id.as_deref(), SystemClock.now()).await?;
            print(
                global.output,
                &json!({ "id": id, "displayName": display_name, "rootManagementGroupId": id }),
            )?;
        }
        TenantCommand::List => {
            let tenants: Vec<Value> = store
                .list_tenants()
                .await?
                .into_iter()
                .map(|t| json!({ "id": t.id, "displayName": t.display_name, "createdAt": t.created_at }))
                .collect();
            print(global.output, &Value::Array(tenants))?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum PrincipalCommand {
    /// Creates a principal.
    Create {
        #[arg(long)]
        tenant: String,
        /// User, Group or ServicePrincipal.
        #[arg(long = "type")]
        kind: String,
        #[arg(long)]
        name: String,
        /// Makes the principal a global administrator of the tenant.
        #[arg(long)]
        global_admin: bool,
    },
    /// Lists a tenant's principals.
    List {
        #[arg(long)]
        tenant: String,
    },
}

fn principal_json(p: &Principal) -> Value {
    json!({ "id": p.id, "tenantId": p.tenant_id, "type": p.kind.as_str(), "displayName": p.display_name, "globalAdmin": p.global_admin, "appId": p.app_id })
}

async fn insert_principal(
    store: &Store,
    principal: &Principal,
    secret: Option<&SecretRow>,
) -> anyhow::Result<()> {
    let mut tx = store
        .begin_write(&principal.tenant_id, SystemClock.now())
        .await?;
    tx.insert_principal(principal).await?;
    if let Some(secret) = secret {
        tx.replace_secrets(secret).await?;
    }
    let mut event = cli_event(
        "Microsoft.Directory/principals/write",
        format!(
            "/tenants/{}/principals/{}",
            principal.tenant_id, principal.id
        ),
    );
    event.after = Some(principal_json(principal));
    tx.append_event(event).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn principal(
    global: &Global,
    command: PrincipalCommand,
) -> anyhow::Result<std::process::ExitCode> {
    let store = open_store(global).await?;
    match command {
        PrincipalCommand::Create {
            tenant,
            kind,
            name,
            global_admin,
        } => {
            let tenant = parse_tenant(&tenant)?;
            let kind = PrincipalKind::parse(&kind)
                .ok_or_else(|| anyhow!("`--type {kind}`: use User, Group or ServicePrincipal"))?;
            leitstand_core::ids::check_display_name("principal name", &name)
                .map_err(|e| anyhow!("{e}"))?;
            let principal = Principal {
                id: uuid::Uuid::new_v4().to_string(),
                tenant_id: tenant,
                kind,
                display_name: name,
                global_admin,
                app_id: (kind == PrincipalKind::ServicePrincipal)
                    .then(|| uuid::Uuid::new_v4().to_string()),
                created_at: leitstand_store::format_time(SystemClock.now()),
            };
            insert_principal(&store, &principal, None).await?;
            print(global.output, &principal_json(&principal))?;
        }
        PrincipalCommand::List { tenant } => {
            let tenant = parse_tenant(&tenant)?;
            let list: Vec<Value> = store
                .list_principals(&tenant)
                .await?
                .iter()
                .map(principal_json)
                .collect();
            print(global.output, &Value::Array(list))?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Adds a principal (or a nested group) to a group.
    AddMember {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        group: String,
        #[arg(long)]
        member: String,
    },
    /// Removes a principal (or a nested group) from a group.
    RemoveMember {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        group: String,
        #[arg(long)]
        member: String,
    },
}

pub async fn group(
    global: &Global,
    command: GroupCommand,
) -> anyhow::Result<std::process::ExitCode> {
    let store = open_store(global).await?;
    let (tenant, group, member) = match command {
        GroupCommand::AddMember {
            tenant,
            group,
            member,
        } => (tenant, group, member),
        GroupCommand::RemoveMember {
            tenant,
            group,
            member,
        } => {
            let tenant = parse_tenant(&tenant)?;
            let (group, member) = (group.to_lowercase(), member.to_lowercase());
            let mut tx = store.begin_write(&tenant, SystemClock.now()).await?;
            if !tx.remove_member(&group, &member).await? {
                bail!("`{member}` is not a direct member of group `{group}` in tenant `{tenant}`");
            }
            let mut event = cli_event(
                "Microsoft.Directory/groups/members/delete",
                format!("/tenants/{tenant}/principals/{group}"),
            );
            event.before = Some(json!({ "group": group, "member": member }));
            tx.append_event(event).await?;
            tx.commit().await?;
            print(
                global.output,
                &json!({ "group": group, "member": member, "removed": true }),
            )?;
            return Ok(std::process::ExitCode::SUCCESS);
        }
    };
    let tenant = parse_tenant(&tenant)?;
    let group_p = store
        .get_principal(&tenant, &group)
        .await?
        .ok_or_else(|| anyhow!("group `{group}` is not a principal of tenant `{tenant}`"))?;
    if group_p.kind != PrincipalKind::Group {
        bail!("`{group}` is a {}, not a group", group_p.kind.as_str());
    }
    let member_p = store
        .get_principal(&tenant, &member)
        .await?
        .ok_or_else(|| anyhow!("member `{member}` is not a principal of tenant `{tenant}`"))?;
    if member_p.id == group_p.id
        || store
            .transitive_groups(&tenant, &group_p.id)
            .await?
            .contains(&member_p.id)
    {
        bail!("adding `{member}` to `{group}` would make a membership cycle");
    }
    let mut tx = store.begin_write(&tenant, SystemClock.now()).await?;
    tx.add_member(&group_p.id, &member_p.id).await?;
    let mut event = cli_event(
        "Microsoft.Directory/groups/members/write",
        format!("/tenants/{tenant}/principals/{}", group_p.id),
    );
    event.after = Some(json!({ "group": group_p.id, "member": member_p.id }));
    tx.append_event(event).await?;
    tx.commit().await?;
    print(
        global.output,
        &json!({ "group": group_p.id, "member": member_p.id }),
    )?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Parses a duration such as `90s`, `30m`, `1h` or `2d`.
pub fn parse_ttl(text: &str) -> anyhow::Result<Duration> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| anyhow!("`{text}` is not a duration like 90s, 30m, 1h or 2d"))?;
    Ok(match unit {
        "s" => Duration::seconds(n),
        "m" => Duration::minutes(n),
        "h" | "" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => bail!("`{text}` is not a duration like 90s, 30m, 1h or 2d"),
    })
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Prints a signed bearer token for a principal.
    Issue {
        #[arg(long)]
        tenant: String,
        /// The principal's object id.
        #[arg(long)]
        principal: String,
        /// Lifetime, at most 24h.
        #[arg(long, default_value = "1h")]
        ttl: String,
        /// The audience (default: any Leitstand server).
        #[arg(long, default_value = GENERIC_AUDIENCE)]
        audience: String,
    },
}

pub async fn token(
    global: &Global,
    command: TokenCommand,
) -> anyhow::Result<std::process::ExitCode> {
    let TokenCommand::Issue {
        tenant,
        principal,
        ttl,
        audience,
    } = command;
    let ttl = parse_ttl(&ttl)?;
    if ttl > leitstand_api::auth::MAX_TOKEN_TTL || ttl <= Duration::zero() {
        bail!("a token lives at most 24h and more than 0s");
    }
    let store = open_store(global).await?;
    let tenant = parse_tenant(&tenant)?;
    let p = store
        .get_principal(&tenant, &principal)
        .await?
        .ok_or_else(|| anyhow!("principal `{principal}` is not in tenant `{tenant}`"))?;
    let now = SystemClock.now();
    let key = keys::load_or_create(&global.data, KeyPurpose::Token, now)?;
    keys::publish(&store, KeyPurpose::Token, &key, now).await?;
    let token = issue_token(
        &key,
        &format!("leitstand://{tenant}/v2.0"),
        &audience,
        &p,
        ttl,
        now,
    )
    .map_err(|e| anyhow!("{}", e.message))?;
    match global.output {
        Output::Json | Output::Csv => print(
            global.output,
            &json!({ "accessToken": token, "expiresOn": (now + ttl).to_rfc3339(), "tenant": tenant }),
        )?,
        Output::Table => println!("{token}"),
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum SpCommand {
    /// Creates a service principal with a secret that expires.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        global_admin: bool,
        /// Days the secret is valid (at most 180).
        #[arg(long, default_value_t = 90)]
        days_valid: i64,
    },
    /// Manages a service principal's secret.
    #[command(subcommand)]
    Credential(CredentialCommand),
}

#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Replaces the secret; the old one stops working at once.
    Reset {
        #[arg(long)]
        tenant: String,
        /// The application (client) id.
        #[arg(long)]
        app_id: String,
        #[arg(long, default_value_t = 90)]
        days_valid: i64,
    },
}

fn new_secret_row(
    principal: &str,
    days: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, SecretRow)> {
    if !(1..=MAX_SECRET_DAYS).contains(&days) {
        bail!("`--days-valid {days}`: a secret is valid for 1 to {MAX_SECRET_DAYS} days");
    }
    let secret = new_secret();
    let hash = hash_secret(&secret).map_err(|e| anyhow!("{}", e.message))?;
    let row = SecretRow {
        id: uuid::Uuid::new_v4().to_string(),
        principal_id: principal.to_owned(),
        secret_hash: hash,
        hint: secret.chars().take(3).collect(),
        expires_at: leitstand_store::format_time(now + Duration::days(days)),
    };
    Ok((secret, row))
}

pub async fn sp(global: &Global, command: SpCommand) -> anyhow::Result<std::process::ExitCode> {
    let store = open_store(global).await?;
    let now = SystemClock.now();
    match command {
        SpCommand::Create {
            tenant,
            name,
            global_admin,
            days_valid,
        } => {
            let tenant = parse_tenant(&tenant)?;
            leitstand_core::ids::check_display_name("service principal name", &name)
                .map_err(|e| anyhow!("{e}"))?;
            let principal = Principal {
                id: uuid::Uuid::new_v4().to_string(),
                tenant_id: tenant.clone(),
                kind: PrincipalKind::ServicePrincipal,
                display_name: name,
                global_admin,
                app_id: Some(uuid::Uuid::new_v4().to_string()),
                created_at: leitstand_store::format_time(now),
            };
            let (secret, row) = new_secret_row(&principal.id, days_valid, now)?;
            insert_principal(&store, &principal, Some(&row)).await?;
            print(
                global.output,
                &json!({
                    "appId": principal.app_id, "objectId": principal.id, "tenantId": tenant,
                    "displayName": principal.display_name, "secret": secret, "secretExpiresAt": row.expires_at,
                    "globalAdmin": global_admin,
                }),
            )?;
        }
        SpCommand::Credential(CredentialCommand::Reset {
            tenant,
            app_id,
            days_valid,
        }) => {
            let tenant = parse_tenant(&tenant)?;
            let principal = store
                .principal_by_app_id(&app_id)
                .await?
                .filter(|p| p.tenant_id == tenant)
                .ok_or_else(|| {
                    anyhow!("no service principal with app id `{app_id}` in tenant `{tenant}`")
                })?;
            let (secret, row) = new_secret_row(&principal.id, days_valid, now)?;
            let mut tx = store.begin_write(&tenant, now).await?;
            tx.replace_secrets(&row).await?;
            let mut event = cli_event(
                "Microsoft.Directory/servicePrincipals/credentials/write",
                format!("/tenants/{tenant}/principals/{}", principal.id),
            );
            event.after = Some(json!({ "secretHint": row.hint, "expiresAt": row.expires_at }));
            tx.append_event(event).await?;
            tx.commit().await?;
            print(
                global.output,
                &json!({ "appId": app_id, "objectId": principal.id, "tenantId": tenant, "secret": secret, "secretExpiresAt": row.expires_at }),
            )?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionCommand {
    /// Creates a subscription, or registers an existing Azure subscription or AWS account.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        display_name: String,
        /// An existing subscription GUID or 12-digit AWS account id.
        #[arg(long)]
        id: Option<String>,
        /// azure or aws (default: from the id).
        #[arg(long)]
        kind: Option<String>,
        /// The parent management group (default: the default group).
        #[arg(long)]
        management_group: Option<String>,
    },
}

pub async fn subscription(
    global: &Global,
    command: SubscriptionCommand,
) -> anyhow::Result<std::process::ExitCode> {
    let SubscriptionCommand::Create {
        tenant,
        display_name,
        id,
        kind,
        management_group,
    } = command;
    let tenant = parse_tenant(&tenant)?;
    leitstand_core::ids::check_display_name("display name", &display_name)
        .map_err(|e| anyhow!("{e}"))?;
    let id = match id {
        Some(id) => SubscriptionId::parse(&id).map_err(|e| anyhow!("{e}"))?,
        None if kind.as_deref() == Some("aws") => bail!("an AWS account needs its 12-digit `--id`"),
        None => SubscriptionId::new_random(),
    };
    let kind = match kind {
        Some(k) => {
            SubscriptionKind::parse(&k).ok_or_else(|| anyhow!("`--kind {k}`: use azure or aws"))?
        }
        None if id.is_aws_account() => SubscriptionKind::Aws,
        None => SubscriptionKind::Azure,
    };
    if (kind == SubscriptionKind::Aws) != id.is_aws_account() {
        bail!("an AWS account id has 12 digits and an Azure subscription id is a GUID; `{id}` does not fit `--kind {}`", kind.as_str());
    }
    let store = open_store(global).await?;
    let mut tx = store.begin_write(&tenant, SystemClock.now()).await?;
    let parent = match &management_group {
        Some(g) => {
            let g = GroupId::parse(g).map_err(|e| anyhow!("{e}"))?;
            if !tx.snapshot().tree.contains_group(&g.key()) {
                bail!("management group `{g}` was not found in tenant `{tenant}`");
            }
            g.key()
        }
        None => tx.snapshot().settings.default_group_key.clone(),
    };
    tx.insert_subscription(&id, &display_name, kind, &parent)
        .await?;
    let parent_id = tx
        .snapshot()
        .tree
        .group(&parent)
        .map(|g| g.id.to_string())
        .unwrap_or(parent.clone());
    let mut event = cli_event(
        "Microsoft.Subscription/aliases/write",
        format!("/subscriptions/{id}"),
    );
    event.subscription_id = Some(id.to_string());
    let after = json!({ "subscriptionId": id.as_str(), "id": format!("/subscriptions/{id}"), "displayName": display_name, "kind": kind.as_str(), "managementGroup": parent_id });
    event.after = Some(after.clone());
    tx.append_event(event).await?;
    tx.commit().await?;
    print(global.output, &after)?;
    Ok(std::process::ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Checks every event against the hashes and the signed head; exits non-zero on the
    /// first bad event.
    Verify {
        /// Only this tenant (default: all).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Writes a tenant's events as JSON lines.
    Export {
        #[arg(long)]
        tenant: String,
        /// RFC 3339 time; events at or after it.
        #[arg(long)]
        since: Option<String>,
        /// RFC 3339 time; events at or before it.
        #[arg(long)]
        until: Option<String>,
    },
}

fn parse_time_arg(text: &str) -> anyhow::Result<String> {
    let t = DateTime::parse_from_rfc3339(text)
        .map_err(|_| anyhow!("`{text}` is not an RFC 3339 time"))?;
    Ok(leitstand_store::format_time(t.with_timezone(&Utc)))
}

pub async fn audit(
    global: &Global,
    command: AuditCommand,
) -> anyhow::Result<std::process::ExitCode> {
    let store = open_store(global).await?;
    match command {
        AuditCommand::Verify { tenant } => {
            let tenants = match tenant {
                Some(t) => vec![parse_tenant(&t)?],
                None => store
                    .list_tenants()
                    .await?
                    .into_iter()
                    .map(|t| t.id)
                    .collect(),
            };
            let mut failed = false;
            let mut results = Vec::new();
            for t in tenants {
                let report = store.verify_audit(&t).await?;
                let ok = report.failure.is_none();
                failed |= !ok;
                results.push(json!({
                    "tenant": t,
                    "events": report.n_events,
                    "ok": ok,
                    "root": report.root.map(|r| r.to_hex()),
                    "firstBadEvent": report.failure.as_ref().and_then(|f| f.seq),
                    "problem": report.failure.as_ref().map(|f| f.to_string()),
                }));
            }
            print(global.output, &Value::Array(results))?;
            Ok(if failed {
                std::process::ExitCode::from(2)
            } else {
                std::process::ExitCode::SUCCESS
            })
        }
        AuditCommand::Export {
            tenant,
            since,
            until,
        } => {
            let tenant = parse_tenant(&tenant)?;
            let filter = EventFilter {
                since: since.as_deref().map(parse_time_arg).transpose()?,
                until: until.as_deref().map(parse_time_arg).transpose()?,
                ..EventFilter::default()
            };
            let mut out = std::io::stdout().lock();
            for event in store.query_events(&tenant, &filter).await? {
                writeln!(out, "{}", event.raw)?;
            }
            Ok(std::process::ExitCode::SUCCESS)
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Makes a new signing key the one in use; older keys still verify.
    Rotate {
        /// token or audit.
        #[arg(long, default_value = "token")]
        purpose: String,
    },
}

pub async fn key(global: &Global, command: KeyCommand) -> anyhow::Result<std::process::ExitCode> {
    let KeyCommand::Rotate { purpose } = command;
    let purpose = match purpose.as_str() {
        "token" => KeyPurpose::Token,
        "audit" => KeyPurpose::Audit,
        other => bail!("`--purpose {other}`: use token or audit"),
    };
    let store = open_store(global).await?;
    let now = SystemClock.now();
    let key = keys::create(&global.data, purpose, now)?;
    keys::publish(&store, purpose, &key, now).await?;
    print(
        global.output,
        &json!({ "purpose": purpose.as_str(), "kid": key.kid }),
    )?;
    Ok(std::process::ExitCode::SUCCESS)
}
