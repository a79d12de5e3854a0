//! Operator commands for cost data: ingest files, list loads and unmapped sub-accounts, and
//! query a scope's cost, as the API answers it.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use leitstand_core::resource_id::Scope;
use leitstand_core::{Clock, SystemClock};
use leitstand_costs::ingest::{self, DetailTarget, IngestContext, IngestError, Progress};
use leitstand_costs::money::from_nanos;
use leitstand_costs::query::{self, Grouping, ScopeQuery};
use leitstand_store::{CostDim, Granularity};
use serde_json::{json, Value};

use crate::admin::{open_store, parse_tenant, print};
use crate::Global;

#[derive(Debug, Subcommand)]
pub enum CostCommand {
    /// Ingests cost files (FOCUS 1.0–1.3, AWS CUR, Azure EA; CSV, gzip or Parquet) or folders
    /// of them. Every file is read and checked first; a bad value anywhere ingests nothing.
    /// Each billing period of each billing account in the files replaces the one stored.
    Ingest {
        #[arg(long)]
        tenant: String,
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Lists the stored loads (billing account × billing period).
    Loads {
        #[arg(long)]
        tenant: String,
    },
    /// Lists sub-accounts with cost that the hierarchy does not know (their cost counts only
    /// in the tenant's total at its root).
    Unmapped {
        #[arg(long)]
        tenant: String,
    },
    /// Answers a scope's cost.
    Query {
        #[arg(long)]
        tenant: String,
        /// `/`, a management group, a subscription or a resource group id.
        #[arg(long, default_value = "/")]
        scope: String,
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: NaiveDate,
        /// Last day (YYYY-MM-DD), inclusive.
        #[arg(long)]
        to: NaiveDate,
        #[arg(long, value_enum, default_value_t = CliGranularity::None)]
        granularity: CliGranularity,
        /// Group by: ChildScope, SubscriptionId, ResourceGroup, ServiceName, ServiceCategory,
        /// ResourceLocation, ChargeType, PricingModel, ReservationId, BillingAccountId, or
        /// `tag:KEY` (repeatable).
        #[arg(long = "group-by")]
        group_by: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CliGranularity {
    None,
    Daily,
    Monthly,
}

pub async fn cost(global: &Global, command: CostCommand) -> anyhow::Result<std::process::ExitCode> {
    let store = open_store(global).await?;
    match command {
        CostCommand::Ingest { tenant, paths } => {
            let tenant = parse_tenant(&tenant)?;
            store.snapshot(&tenant).await?;
            let files = ingest::collect_files(&paths)?;
            let named: Vec<(PathBuf, String)> = files
                .into_iter()
                .map(|p| {
                    let name = p.display().to_string();
                    (p, name)
                })
                .collect();
            let bar = indicatif::ProgressBar::new(named.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] file {pos}/{len} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let target = DetailTarget {
                cost_dir: global.data.join("costs"),
                tenant: tenant.clone(),
            };
            let parsed = tokio::task::spawn_blocking({
                let bar = bar.clone();
                move || {
                    ingest::parse_files(&named, Some(target), &mut |p: &Progress| {
                        bar.set_position(p.file_index as u64);
                        bar.set_message(format!("{} rows  {}", p.rows, p.file));
                    })
                }
            })
            .await
            .context("the ingest's reader stopped")?;
            bar.finish_and_clear();
            let parsed = match parsed {
                Ok(parsed) => parsed,
                Err(IngestError::Invalid { violations }) => {
                    for v in &violations {
                        eprintln!("{v}");
                    }
                    return Err(anyhow!(
                        "{} bad value(s) in the files; nothing was ingested",
                        violations.len()
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            let ctx = IngestContext {
                tenant,
                caller: "cli".into(),
                caller_name: Some(format!(
                    "leitstand cli ({})",
                    std::env::var("USER").unwrap_or_else(|_| "operator".into())
                )),
                correlation_id: uuid::Uuid::new_v4().to_string(),
                now: SystemClock.now(),
            };
            let report = ingest::store_parsed(&store, &ctx, parsed).await?;
            for w in &report.warnings {
                eprintln!(
                    "warning: {} ({} value(s) like it in column `{}` of `{}` were read anyway)",
                    w.example, w.count, w.column, w.file
                );
            }
            let loads: Vec<Value> = report
                .loads
                .iter()
                .map(|l| {
                    json!({
                        "billingAccountId": l.billing_account_id,
                        "billingPeriod": l.period,
                        "rows": l.rows,
                        "dailyRows": l.daily_rows,
                        "replaced": l.replaced,
                        "totals": l.totals.iter().map(|(c, t)| (c.clone(), json!({
                            "billedCost": t.billed.normalize().to_string(),
                            "effectiveCost": t.effective.normalize().to_string(),
                        }))).collect::<serde_json::Map<_, _>>(),
                    })
                })
                .collect();
            print(global.output, &Value::Array(loads))?;
        }
        CostCommand::Loads { tenant } => {
            let tenant = parse_tenant(&tenant)?;
            let loads: Vec<Value> = store
                .cost_loads(&tenant)
                .await?
                .iter()
                .map(ingest::load_json)
                .collect();
            print(global.output, &Value::Array(loads))?;
        }
        CostCommand::Unmapped { tenant } => {
            let tenant = parse_tenant(&tenant)?;
            let snapshot = store.snapshot(&tenant).await?;
            let rows: Vec<Value> = query::unmapped(&store, &snapshot)
                .await?
                .iter()
                .map(|u| {
                    json!({
                        "subAccount": if u.sub_account.is_empty() { "(none)" } else { &u.sub_account },
                        "currency": u.currency,
                        "billedCost": from_nanos(u.sums.billed_nanos).to_string(),
                        "effectiveCost": from_nanos(u.sums.effective_nanos).to_string(),
                        "rows": u.sums.n_rows,
                        "firstDay": u.first_day,
                        "lastDay": u.last_day,
                    })
                })
                .collect();
            print(global.output, &Value::Array(rows))?;
        }
        CostCommand::Query {
            tenant,
            scope,
            from,
            to,
            granularity,
            group_by,
        } => {
            let tenant = parse_tenant(&tenant)?;
            let snapshot = store.snapshot(&tenant).await?;
            let scope = Scope::parse(&scope).map_err(|e| anyhow!("{e}"))?;
            let mut grouping = Vec::new();
            for g in &group_by {
                grouping.push(match g.strip_prefix("tag:") {
                    Some(key) => Grouping::Dim(CostDim::Tag(key.to_owned())),
                    None => leitstand_api::handlers::costs::dimension(g)
                        .ok_or_else(|| anyhow!("unknown grouping `{g}`"))?,
                });
            }
            let question = ScopeQuery {
                scope,
                from,
                to,
                granularity: match granularity {
                    CliGranularity::None => Granularity::None,
                    CliGranularity::Daily => Granularity::Daily,
                    CliGranularity::Monthly => Granularity::Monthly,
                },
                grouping,
                filter: None,
            };
            let rows = query::run(&store, &snapshot, &question).await?;
            let out: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let mut obj = serde_json::Map::new();
                    if !r.bucket.is_empty() {
                        obj.insert("date".into(), json!(r.bucket));
                    }
                    for (name, value) in group_by.iter().zip(&r.groups) {
                        obj.insert(name.clone(), json!(value));
                    }
                    obj.insert("currency".into(), json!(r.currency));
                    obj.insert(
                        "billedCost".into(),
                        json!(from_nanos(r.sums.billed_nanos).to_string()),
                    );
                    obj.insert(
                        "effectiveCost".into(),
                        json!(from_nanos(r.sums.effective_nanos).to_string()),
                    );
                    obj.insert(
                        "listCost".into(),
                        json!(from_nanos(r.sums.list_nanos).to_string()),
                    );
                    Value::Object(obj)
                })
                .collect();
            print(global.output, &Value::Array(out))?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
