//! Cost Management: `POST {scope}/providers/Microsoft.CostManagement/query` (api-versions
//! 2023-03-01 and 2025-03-01), in Azure's request and answer shape, so `azure-mgmt-costmanagement`
//! and `az rest` call it unchanged.
//!
//! The scope is a management group at any level, a subscription or AWS account, a resource
//! group, or the whole tenant (`/`). `type` picks the amount: `ActualCost` and `Usage` sum
//! BilledCost, `AmortizedCost` sums EffectiveCost. Besides Azure's aggregation names (`Cost`,
//! `PreTaxCost`, `CostUSD`, `PreTaxCostUSD`) the FOCUS names `BilledCost`, `EffectiveCost`,
//! `ListCost` and `ContractedCost` and Leitstand's `Savings` (ListCost − EffectiveCost) are
//! accepted. Groupings: Azure's dimension names (see [`dimension`]), `TagKey` groupings, and
//! Leitstand's `ChildScope`. Every row carries its `Currency`: amounts of different currencies
//! are never added up.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use leitstand_core::resource_id::Scope;
use leitstand_core::ErrorCode;
use leitstand_costs::filter::{dimension, dimension_error, parse_filter, FilterError};
use leitstand_costs::money::nanos_to_f64;
use leitstand_costs::query::{self, Grouping, QueryError, ScopeQuery};
use leitstand_store::{CostDim, DailySums, Granularity};
use serde_json::{json, Value};

use crate::arm::{json, Ctx};
use crate::error::ApiError;
use crate::AppState;

/// The most aggregations and groupings a query may have (Azure's limits).
const MAX_AGGREGATIONS: usize = 2;
const MAX_GROUPINGS: usize = 2;

fn bad(message: impl Into<String>, at: &str) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, message).at(at)
}

/// Which amount an aggregation sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Amount {
    /// BilledCost (actual) or EffectiveCost (amortized), by the query's type.
    Cost,
    Billed,
    Effective,
    List,
    Contracted,
    Savings,
}

fn amount(name: &str) -> Option<Amount> {
    Some(match name.to_ascii_lowercase().as_str() {
        "cost" | "pretaxcost" | "costusd" | "pretaxcostusd" => Amount::Cost,
        "billedcost" => Amount::Billed,
        "effectivecost" | "amortizedcost" => Amount::Effective,
        "listcost" => Amount::List,
        "contractedcost" => Amount::Contracted,
        "savings" => Amount::Savings,
        _ => return None,
    })
}

/// A filter or dimension refusal as ARM's 400.
fn filter_error(e: FilterError) -> ApiError {
    bad(e.message, &e.at)
}

fn parse_date(value: Option<&Value>, at: &str) -> Result<NaiveDate, ApiError> {
    let text = value
        .and_then(Value::as_str)
        .ok_or_else(|| bad("a date-time is required", at))?;
    let date_part = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d").map_err(|_| {
        bad(
            format!("`{text}` is not a date-time (2024-01-31T00:00:00Z)"),
            at,
        )
    })
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The days of a timeframe, relative to `today`.
fn timeframe(body: &Value, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let name = lookup(body, "timeframe")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("`timeframe` is required", "timeframe"))?;
    Ok(match name.to_ascii_lowercase().as_str() {
        "monthtodate" | "billingmonthtodate" => (first_of_month(today), today),
        "thelastmonth" | "thelastbillingmonth" => {
            let end = first_of_month(today) - Duration::days(1);
            (first_of_month(end), end)
        }
        "weektodate" => {
            let back = i64::from(today.weekday().num_days_from_monday());
            (today - Duration::days(back), today)
        }
        "custom" => {
            let period = lookup(body, "timePeriod").ok_or_else(|| {
                bad("a Custom timeframe needs `timePeriod`", "timePeriod")
            })?;
            let from = parse_date(lookup(period, "from"), "timePeriod.from")?;
            let to = parse_date(lookup(period, "to"), "timePeriod.to")?;
            if to < from {
                return Err(bad("`timePeriod.to` is before `timePeriod.from`", "timePeriod.to"));
            }
            if (to - from).num_days() > 366 {
                return Err(bad(
                    "a query covers at most one year (366 days)",
                    "timePeriod",
                ));
            }
            (from, to)
        }
        _ => {
            return Err(bad(
                format!("the timeframe `{name}` is not supported; use MonthToDate, BillingMonthToDate, TheLastMonth, TheLastBillingMonth, WeekToDate or Custom"),
                "timeframe",
            ))
        }
    })
}

/// Looks up a property case-insensitively.
fn lookup<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

/// `POST {scope}/providers/Microsoft.CostManagement/query`.
pub async fn query(state: &AppState, ctx: &Ctx, scope: &Scope) -> Result<Response, ApiError> {
    let body = &ctx.body.0;
    let kind = lookup(body, "type")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            bad(
                "`type` is required (ActualCost, AmortizedCost or Usage)",
                "type",
            )
        })?;
    let amortized = match kind.to_ascii_lowercase().as_str() {
        "actualcost" | "usage" => false,
        "amortizedcost" => true,
        _ => {
            return Err(bad(
                format!(
                    "the type `{kind}` is not supported; use ActualCost, AmortizedCost or Usage"
                ),
                "type",
            ))
        }
    };
    let today = state.clock.now().date_naive();
    let (from, to) = timeframe(body, today)?;
    let dataset = lookup(body, "dataset").ok_or_else(|| bad("`dataset` is required", "dataset"))?;
    let granularity = match lookup(dataset, "granularity").and_then(Value::as_str) {
        None => Granularity::None,
        Some(g) => match g.to_ascii_lowercase().as_str() {
            "daily" => Granularity::Daily,
            "monthly" => Granularity::Monthly,
            "none" => Granularity::None,
            _ => {
                return Err(bad(
                    format!("the granularity `{g}` is not supported; use Daily, Monthly or None"),
                    "dataset.granularity",
                ))
            }
        },
    };
    let mut aggregations: Vec<(String, Amount)> = Vec::new();
    if let Some(aggregation) = lookup(dataset, "aggregation") {
        let Value::Object(map) = aggregation else {
            return Err(bad(
                "`aggregation` must be an object",
                "dataset.aggregation",
            ));
        };
        if map.len() > MAX_AGGREGATIONS {
            return Err(bad(
                format!("a query has at most {MAX_AGGREGATIONS} aggregations"),
                "dataset.aggregation",
            ));
        }
        for (alias, spec) in map {
            let at = format!("dataset.aggregation.{alias}");
            let name = lookup(spec, "name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("`name` is required", &format!("{at}.name")))?;
            let function = lookup(spec, "function")
                .and_then(Value::as_str)
                .unwrap_or("Sum");
            if !function.eq_ignore_ascii_case("Sum") {
                return Err(bad(
                    format!("the function `{function}` is not supported; use Sum"),
                    &format!("{at}.function"),
                ));
            }
            let which = amount(name).ok_or_else(|| {
                bad(
                    format!("the column `{name}` cannot be aggregated; use Cost, PreTaxCost, CostUSD, PreTaxCostUSD, BilledCost, EffectiveCost, ListCost, ContractedCost or Savings"),
                    &format!("{at}.name"),
                )
            })?;
            aggregations.push((name.to_owned(), which));
        }
    }
    if aggregations.is_empty() {
        aggregations.push(("Cost".to_owned(), Amount::Cost));
    }
    let mut grouping: Vec<Grouping> = Vec::new();
    let mut group_names: Vec<String> = Vec::new();
    if let Some(groups) = lookup(dataset, "grouping") {
        let Value::Array(items) = groups else {
            return Err(bad("`grouping` must be an array", "dataset.grouping"));
        };
        if items.len() > MAX_GROUPINGS {
            return Err(bad(
                format!("a query has at most {MAX_GROUPINGS} groupings"),
                "dataset.grouping",
            ));
        }
        for (i, item) in items.iter().enumerate() {
            let at = format!("dataset.grouping[{i}]");
            let name = lookup(item, "name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("`name` is required", &format!("{at}.name")))?;
            let kind = lookup(item, "type")
                .and_then(Value::as_str)
                .unwrap_or("Dimension");
            let g = if kind.eq_ignore_ascii_case("TagKey") {
                Grouping::Dim(CostDim::Tag(name.to_owned()))
            } else if kind.eq_ignore_ascii_case("Dimension") {
                dimension(name)
                    .ok_or_else(|| filter_error(dimension_error(name, &format!("{at}.name"))))?
            } else {
                return Err(bad(
                    format!("the grouping type `{kind}` is not supported; use Dimension or TagKey"),
                    &format!("{at}.type"),
                ));
            };
            grouping.push(g);
            group_names.push(name.to_owned());
        }
    }
    let cost_filter = match lookup(dataset, "filter") {
        Some(f) => Some(parse_filter(f, "dataset.filter").map_err(filter_error)?),
        None => None,
    };
    let snapshot = &ctx.caller.snapshot;
    let question = ScopeQuery {
        scope: scope.clone(),
        from,
        to,
        granularity,
        grouping,
        filter: cost_filter,
    };
    let rows = query::run(&state.store, snapshot, &question)
        .await
        .map_err(|e| match e {
            QueryError::ScopeNotFound(s) => ApiError::new(
                ErrorCode::NotFound,
                format!("the scope `{s}` was not found"),
            )
            .at("scope"),
            QueryError::Unsupported(m) => bad(m, "scope"),
            QueryError::Store(e) => ApiError::internal("query costs", &e),
        })?;
    let mut columns: Vec<Value> = aggregations
        .iter()
        .map(|(name, _)| json!({ "name": name, "type": "Number" }))
        .collect();
    match granularity {
        Granularity::Daily => columns.push(json!({ "name": "UsageDate", "type": "Number" })),
        Granularity::Monthly => {
            columns.push(json!({ "name": "BillingMonth", "type": "Datetime" }));
        }
        Granularity::None => {}
    }
    for name in &group_names {
        columns.push(json!({ "name": name, "type": "String" }));
    }
    columns.push(json!({ "name": "Currency", "type": "String" }));
    let pick = |sums: &DailySums, which: Amount| -> i64 {
        match which {
            Amount::Cost if amortized => sums.effective_nanos,
            Amount::Cost | Amount::Billed => sums.billed_nanos,
            Amount::Effective => sums.effective_nanos,
            Amount::List => sums.list_nanos,
            Amount::Contracted => sums.contracted_nanos,
            Amount::Savings => sums.list_nanos.saturating_sub(sums.effective_nanos),
        }
    };
    let out_rows: Vec<Value> = rows
        .iter()
        .map(|row| {
            let mut cells: Vec<Value> = aggregations
                .iter()
                .map(|(_, which)| json!(nanos_to_f64(pick(&row.sums, *which))))
                .collect();
            match granularity {
                Granularity::Daily => {
                    let number: i64 = row.bucket.replace('-', "").parse().unwrap_or_default();
                    cells.push(json!(number));
                }
                Granularity::Monthly => cells.push(json!(format!("{}-01T00:00:00", row.bucket))),
                Granularity::None => {}
            }
            cells.extend(row.groups.iter().map(|g| json!(g)));
            cells.push(json!(row.currency));
            Value::Array(cells)
        })
        .collect();
    let name = uuid::Uuid::new_v4().to_string();
    let at = if *scope == Scope::Root {
        String::new()
    } else {
        scope.to_string()
    };
    Ok(json(
        StatusCode::OK,
        json!({
            "id": format!("{at}/providers/Microsoft.CostManagement/query/{name}"),
            "name": name,
            "type": "Microsoft.CostManagement/query",
            "location": null,
            "sku": null,
            "eTag": null,
            "properties": {
                "nextLink": null,
                "columns": columns,
                "rows": out_rows,
            },
        }),
    ))
}

/// `POST /providers/Microsoft.CostManagement/costUploads?name=FILE`: ingests one cost file sent
/// as the request content, as `leitstand cost ingest` does, then evaluates the tenant's budgets.
pub async fn upload(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    use leitstand_costs::ingest::{self, DetailTarget, IngestContext, IngestError};

    let name = ctx
        .query("name")
        .map(str::to_owned)
        .unwrap_or_else(|| "upload".to_owned());
    if ctx.raw_body.is_empty() {
        return Err(bad("the request content must be a cost file", "$"));
    }
    let details = state.config.details.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::BadRequest,
            "this server has no data directory to keep cost files in",
        )
    })?;
    let uploads = details.cost_dir().join("uploads");
    std::fs::create_dir_all(&uploads)
        .map_err(|e| ApiError::internal("create the upload folder", &e))?;
    let file = uploads.join(format!("{}.upload", uuid::Uuid::new_v4()));
    std::fs::write(&file, &ctx.raw_body)
        .map_err(|e| ApiError::internal("keep the uploaded file", &e))?;
    let target = DetailTarget {
        details,
        tenant: ctx.caller.tenant.clone(),
    };
    let files = vec![(file.clone(), name)];
    let parsed =
        tokio::task::spawn_blocking(move || ingest::parse_files(&files, Some(target), &mut |_| {}))
            .await
            .map_err(|e| ApiError::internal("read the uploaded file", &e));
    let _ = std::fs::remove_file(&file);
    let parsed = match parsed? {
        Ok(parsed) => parsed,
        Err(IngestError::Invalid { violations }) => {
            let first = violations
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!(
                    "{} bad value(s); nothing was ingested. First: {first}",
                    violations.len()
                ),
            )
            .at("$"));
        }
        Err(
            e @ (IngestError::Read(_) | IngestError::NoFiles(_) | IngestError::TooLarge { .. }),
        ) => {
            return Err(ApiError::new(ErrorCode::BadRequest, e.to_string()).at("$"));
        }
        Err(e) => return Err(ApiError::internal("read the uploaded file", &e)),
    };
    let now = state.clock.now();
    let ingest_ctx = IngestContext {
        tenant: ctx.caller.tenant.clone(),
        caller: ctx.caller.principal.id.clone(),
        caller_name: Some(ctx.caller.principal.display_name.clone()),
        correlation_id: ctx.correlation_id.clone(),
        now,
    };
    let report = ingest::store_parsed(&state.store, &ingest_ctx, parsed)
        .await
        .map_err(|e| ApiError::internal("store the uploaded costs", &e))?;
    let after = ingest::after_ingest(
        &state.store,
        &ctx.caller.tenant,
        now,
        &ctx.caller.principal.id,
        &ctx.correlation_id,
    )
    .await
    .map_err(|e| ApiError::internal("evaluate the budgets and look for anomalies", &e))?;
    let anomalies: Vec<Value> = after
        .anomalies
        .iter()
        .map(leitstand_costs::anomalies::to_json)
        .collect();
    let loads: Vec<Value> = report.loads.iter().map(|l| l.to_json()).collect();
    let warnings: Vec<Value> = report
        .warnings
        .iter()
        .map(|w| json!({ "column": w.column, "count": w.count, "example": w.example }))
        .collect();
    let alerts: Vec<Value> = after
        .fired
        .iter()
        .map(|f| json!({ "budget": f.budget, "scope": f.scope, "notification": f.notification }))
        .collect();
    Ok(json(
        StatusCode::OK,
        json!({ "loads": loads, "warnings": warnings, "budgetAlerts": alerts, "anomalies": anomalies }),
    ))
}

fn tag_key(key: &str) -> Result<String, ApiError> {
    let ok = !key.is_empty()
        && key.len() <= 512
        && !key
            .chars()
            .any(|c| matches!(c, '<' | '>' | '%' | '&' | '\\' | '?' | '/'));
    if ok {
        Ok(key.to_lowercase())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("`{key}` is not a tag key (1 to 512 characters, none of < > % & \\ ? /)"),
        )
        .at("tagKey"))
    }
}

/// Checks that a scope for cost data (budgets, tagging rules) is one of the tenant's: `/`, a
/// management group, a subscription or a resource group.
pub(crate) fn require_cost_scope(ctx: &Ctx, scope: &Scope) -> Result<(), ApiError> {
    let tree = &ctx.caller.snapshot.tree;
    let known = match scope {
        Scope::Root => true,
        Scope::ManagementGroup(g) => tree.group(&g.key()).is_some(),
        Scope::Subscription(s) | Scope::ResourceGroup(s, _) => {
            tree.subscription(&s.as_str().to_lowercase()).is_some()
        }
        Scope::Resource(_) => return Err(ApiError::new(
            ErrorCode::BadRequest,
            "cost settings are kept at `/`, a management group, a subscription or a resource group",
        )
        .at("scope")),
    };
    if known {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::NotFound,
            format!("the scope `{scope}` was not found"),
        )
        .at("scope"))
    }
}

fn rule_json(scope: &Scope, rule: &leitstand_store::TagRuleRow) -> Value {
    let at = if *scope == Scope::Root {
        String::new()
    } else {
        scope.to_string()
    };
    json!({
        "id": format!("{at}/providers/Leitstand.Costs/tagRules/{}", rule.tag_key),
        "name": rule.tag_key,
        "type": "Leitstand.Costs/tagRules",
        "properties": { "scope": rule.scope, "tagKey": rule.tag_key, "createdOn": rule.created_at, "createdBy": rule.created_by },
    })
}

/// `GET {scope}/providers/Leitstand.Costs/tagRules`.
pub async fn list_tag_rules(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
) -> Result<Response, ApiError> {
    require_cost_scope(ctx, scope)?;
    let key = scope.to_string().to_lowercase();
    let value: Vec<Value> = state
        .store
        .tag_rules(&ctx.caller.tenant)
        .await?
        .iter()
        .filter(|r| r.scope.to_lowercase() == key)
        .map(|r| rule_json(scope, r))
        .collect();
    Ok(json(StatusCode::OK, json!({ "value": value })))
}

/// `PUT {scope}/providers/Leitstand.Costs/tagRules/{tagKey}`.
pub async fn put_tag_rule(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    key: &str,
) -> Result<Response, ApiError> {
    let key = tag_key(key)?;
    require_cost_scope(ctx, scope)?;
    let rule = leitstand_store::TagRuleRow {
        scope: scope.to_string(),
        tag_key: key.clone(),
        created_at: leitstand_store::format_time(state.clock.now()),
        created_by: ctx.caller.principal.id.clone(),
    };
    let at = rule_json(scope, &rule)["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let added = crate::write::run_write(state, ctx, crate::write::Target::scope(at), async |tx| {
        let added = tx.put_tag_rule(&rule).await?;
        Ok(crate::write::Outcome {
            value: added,
            http_status: if added { 201 } else { 200 },
            before: None,
            after: Some(json!({ "scope": rule.scope, "tagKey": rule.tag_key })),
        })
    })
    .await?;
    let stored = state
        .store
        .tag_rules(&ctx.caller.tenant)
        .await?
        .into_iter()
        .find(|r| r.scope.eq_ignore_ascii_case(&rule.scope) && r.tag_key == key)
        .unwrap_or(rule);
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(status, rule_json(scope, &stored)))
}

/// `DELETE {scope}/providers/Leitstand.Costs/tagRules/{tagKey}`.
pub async fn delete_tag_rule(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    key: &str,
) -> Result<Response, ApiError> {
    let key = tag_key(key)?;
    require_cost_scope(ctx, scope)?;
    let scope_text = scope.to_string();
    let exists = state
        .store
        .tag_rules(&ctx.caller.tenant)
        .await?
        .iter()
        .any(|r| r.scope.eq_ignore_ascii_case(&scope_text) && r.tag_key == key);
    if !exists {
        return Ok(json(StatusCode::NO_CONTENT, Value::Null));
    }
    crate::write::run_write(
        state,
        ctx,
        crate::write::Target::scope(scope_text.clone()),
        async |tx| {
            tx.delete_tag_rule(&scope_text, &key).await?;
            Ok(crate::write::Outcome {
                value: (),
                http_status: 200,
                before: Some(json!({ "scope": scope_text, "tagKey": key })),
                after: None,
            })
        },
    )
    .await?;
    Ok(json(StatusCode::OK, Value::Null))
}

/// `GET {scope}/providers/Leitstand.Costs/tagCompliance?from=YYYY-MM-DD&to=YYYY-MM-DD`.
pub async fn tag_compliance(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
) -> Result<Response, ApiError> {
    require_cost_scope(ctx, scope)?;
    let today = state.clock.now().date_naive();
    let day = |name: &str, default: NaiveDate| -> Result<NaiveDate, ApiError> {
        match ctx.query(name) {
            None => Ok(default),
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| bad(format!("`{text}` is not a date (YYYY-MM-DD)"), name)),
        }
    };
    let from = day("from", first_of_month(today))?;
    let to = day("to", today)?;
    if to < from {
        return Err(bad("`to` is before `from`", "to"));
    }
    let reports =
        leitstand_costs::tagging::compliance(&state.store, &ctx.caller.snapshot, scope, from, to)
            .await
            .map_err(|e| match e {
                QueryError::ScopeNotFound(s) => ApiError::new(
                    ErrorCode::NotFound,
                    format!("the scope `{s}` was not found"),
                ),
                QueryError::Unsupported(m) => bad(m, "scope"),
                QueryError::Store(e) => ApiError::internal("report untagged cost", &e),
            })?;
    let value: Vec<Value> = reports.iter().map(|r| r.to_json()).collect();
    Ok(json(
        StatusCode::OK,
        json!({ "from": from.to_string(), "to": to.to_string(), "value": value }),
    ))
}

/// `GET {scope}/providers/Leitstand.Costs/recommendations`: the tenant's savings
/// recommendations that belong to the scope, computed from its stored cost detail and metrics.
pub async fn recommendations(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
) -> Result<Response, ApiError> {
    require_cost_scope(ctx, scope)?;
    let Some(details) = state.config.details.as_ref() else {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "this server has no data directory with cost files",
        ));
    };
    let found = leitstand_costs::recommend::run(&state.store, &ctx.caller.tenant, details)
        .await
        .map_err(|e| ApiError::internal("compute recommendations", &e))?;
    let at = if *scope == Scope::Root {
        String::new()
    } else {
        scope.to_string()
    };
    let value: Vec<Value> = found
        .iter()
        .filter(|r| leitstand_costs::recommend::in_scope(&ctx.caller.snapshot.tree, scope, r))
        .map(|r| {
            json!({
                "id": format!("{at}/providers/Leitstand.Costs/recommendations/{}", r.id),
                "name": r.id,
                "type": "Leitstand.Costs/recommendations",
                "properties": r.to_json(),
            })
        })
        .collect();
    Ok(json(StatusCode::OK, json!({ "value": value })))
}
