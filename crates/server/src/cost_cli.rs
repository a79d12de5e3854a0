//! Operator commands for cost data: ingest files, list loads and unmapped sub-accounts, and
//! query a scope's cost, as the API answers it.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use leitstand_core::resource_id::Scope;
use leitstand_core::{Clock, SystemClock};
use leitstand_costs::ingest::{self, DetailTarget, IngestContext, IngestError, Progress};
use leitstand_costs::money::from_nanos;
use leitstand_costs::query::{self, Grouping, ScopeQuery};
use leitstand_costs::{anomaly, forecast};
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
    /// Prints where a load's detail rows are on this machine (a Parquet file any Parquet tool
    /// reads), downloading them from the object store first if they are only there.
    Detail {
        #[arg(long)]
        tenant: String,
        /// The billing account.
        #[arg(long)]
        account: String,
        /// The billing period, YYYY-MM.
        #[arg(long)]
        period: String,
    },
    /// Lists sub-accounts with cost that the hierarchy does not know (their cost counts only
    /// in the tenant's total at its root).
    Unmapped {
        #[arg(long)]
        tenant: String,
    },
    /// Lists the alert messages (e-mails, webhooks) budgets queued, newest first, and whether
    /// they were delivered.
    Alerts {
        #[arg(long)]
        tenant: String,
    },
    /// Forecasts a scope's month-end and next-month cost (actual cost, per currency) from its
    /// daily cost: a weekly-seasonal Holt-Winters model or the 7-day run rate, whichever a
    /// rolling backtest finds better.
    Forecast {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "/")]
        scope: String,
        /// The first day not yet complete (default: today, UTC).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// The prediction interval's level.
        #[arg(long, default_value_t = 0.9)]
        level: f64,
    },
    /// Lists cost anomalies per sub-account over the last days, each once (a run of days is one
    /// anomaly), with the services that drove it.
    Anomalies {
        #[arg(long)]
        tenant: String,
        /// The last day looked at (default: yesterday, UTC).
        #[arg(long)]
        until: Option<NaiveDate>,
        /// How many days back anomalies are reported (the baseline looks 8 weeks further).
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// Reports the cost without the tags that tagging rules require (rules are set through
    /// `PUT {scope}/providers/Leitstand.Costs/tagRules/{key}`), with its share and sources.
    Tagging {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "/")]
        scope: String,
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
    },
    /// Turns a billing month's cost into the customer's statement with its price sheet
    /// (markup or discount per service category, a management fee); the statement reconciles
    /// to the ingested total to the cent.
    Chargeback {
        #[arg(long)]
        tenant: String,
        /// The billing month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// A price sheet (JSON) instead of the customer's stored one (`cost price-sheet set`):
        /// `{"markupPercent": {"Compute": 12, "*": 8}, "managementFee": 250,
        /// "feeCurrency": "EUR"}`.
        #[arg(long)]
        price_sheet: Option<PathBuf>,
    },
    /// Sets or shows a customer's price sheet, which `cost chargeback` turns its cost into a
    /// statement with.
    PriceSheet {
        #[command(subcommand)]
        action: PriceSheetAction,
    },
    /// Lists savings recommendations at a scope, each with its estimated monthly saving and
    /// its evidence: commitment utilization and purchases, Azure Hybrid Benefit, schedules for
    /// non-production resources, idle and oversized VMs (from `leitstand metrics ingest`).
    Recommendations {
        #[arg(long)]
        tenant: String,
        /// `/`, a management group, a subscription or a resource group id.
        #[arg(long, default_value = "/")]
        scope: String,
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

/// What `cost price-sheet` does.
#[derive(Debug, Subcommand)]
pub enum PriceSheetAction {
    /// Checks and stores the customer's price sheet (JSON file), replacing the one before.
    Set {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Prints the customer's price sheet.
    Show {
        #[arg(long)]
        tenant: String,
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
                details: global.details()?,
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
            // Budgets are evaluated after every ingest (what fires is queued for delivery), and
            // anomalies are looked for; each is reported once, when first seen.
            let after = ingest::after_ingest(
                &store,
                &ctx.tenant,
                SystemClock.now(),
                "cli",
                &ctx.correlation_id,
            )
            .await?;
            for f in &after.fired {
                eprintln!(
                    "budget `{}` at `{}`: notification `{}` fired ({:.1}% of the budget)",
                    f.budget,
                    f.scope,
                    f.notification,
                    f.content["percentOfBudget"].as_f64().unwrap_or_default()
                );
            }
            for a in &after.anomalies {
                eprintln!(
                    "anomaly {}: {} cost of `{}` {:?} its baseline from {} to {} ({:.2} instead of {:.2})",
                    a.id,
                    a.key.currency,
                    a.key.sub_account,
                    a.direction,
                    a.first_day,
                    a.last_day,
                    a.actual,
                    a.expected
                );
            }
            for w in &report.warnings {
                eprintln!(
                    "warning: {} ({} value(s) like it in column `{}` of `{}` were read anyway)",
                    w.example, w.count, w.column, w.file
                );
            }
            let loads: Vec<Value> = report.loads.iter().map(|l| l.to_json()).collect();
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
        CostCommand::Detail {
            tenant,
            account,
            period,
        } => {
            let tenant = parse_tenant(&tenant)?;
            let loads = store.cost_loads(&tenant).await?;
            let load = loads
                .iter()
                .find(|l| l.billing_account_id == account && l.period == period)
                .ok_or_else(|| {
                    anyhow!(
                        "tenant {tenant} has no load of billing account `{account}` for {period}"
                    )
                })?;
            if load.detail_path.is_empty() {
                bail!("the load of `{account}` for {period} kept no detail rows");
            }
            let local = global.details()?.fetch(&load.detail_path).await?;
            let mut out = ingest::load_json(load);
            out["localPath"] = json!(local.display().to_string());
            print(global.output, &out)?;
        }
        CostCommand::Alerts { tenant } => {
            let tenant = parse_tenant(&tenant)?;
            let rows: Vec<Value> = store
                .outbox(&tenant)
                .await?
                .iter()
                .map(|m| {
                    json!({
                        "id": m.id,
                        "channel": m.channel,
                        "target": m.target,
                        "subject": m.subject,
                        "createdAt": m.created_at,
                        "deliveredAt": m.delivered_at,
                        "attempts": m.attempts,
                        "lastError": m.last_error,
                        "budget": m.body.get("budget"),
                        "notification": m.body.get("notification"),
                    })
                })
                .collect();
            print(global.output, &Value::Array(rows))?;
        }
        CostCommand::Forecast {
            tenant,
            scope,
            today,
            level,
        } => {
            let tenant = parse_tenant(&tenant)?;
            let snapshot = store.snapshot(&tenant).await?;
            let scope = Scope::parse(&scope).map_err(|e| anyhow!("{e}"))?;
            let today = today.unwrap_or_else(|| SystemClock.now().date_naive());
            let question = ScopeQuery {
                scope,
                from: today - chrono::Duration::days(forecast::MAX_HISTORY_DAYS as i64),
                to: today,
                granularity: Granularity::Daily,
                grouping: vec![],
                filter: None,
            };
            let mut by_currency: std::collections::BTreeMap<String, Vec<(NaiveDate, f64)>> =
                Default::default();
            for row in query::run(&store, &snapshot, &question).await? {
                if let Ok(day) = NaiveDate::parse_from_str(&row.bucket, "%Y-%m-%d") {
                    by_currency.entry(row.currency).or_default().push((
                        day,
                        leitstand_costs::money::nanos_to_f64(row.sums.billed_nanos),
                    ));
                }
            }
            let out: Vec<Value> = by_currency
                .iter()
                .map(|(currency, series)| {
                    let f = forecast::forecast(series, today, level);
                    json!({
                        "currency": currency,
                        "model": format!("{:?}", f.model),
                        "toDate": f.to_date,
                        "monthEnd": f.month_end,
                        "monthEndLow": f.month_end_low,
                        "monthEndHigh": f.month_end_high,
                        "nextMonth": f.next_month,
                        "nextMonthLow": f.next_month_low,
                        "nextMonthHigh": f.next_month_high,
                        "backtestOrigins": f.backtest.origins,
                        "holtWintersMape": f.backtest.holt_winters_mape,
                        "naiveMape": f.backtest.naive_mape,
                    })
                })
                .collect();
            print(global.output, &Value::Array(out))?;
        }
        CostCommand::Anomalies {
            tenant,
            until,
            days,
        } => {
            let tenant = parse_tenant(&tenant)?;
            let snapshot = store.snapshot(&tenant).await?;
            let until =
                until.unwrap_or_else(|| SystemClock.now().date_naive() - chrono::Duration::days(1));
            let days = u64::try_from(days).map_err(|_| anyhow!("--days must not be negative"))?;
            let found = leitstand_costs::anomalies::scan(
                &store,
                &snapshot,
                until,
                days,
                &anomaly::DetectOptions::default(),
            )
            .await?;
            let reported: std::collections::HashMap<String, String> = store
                .cost_anomalies(&tenant)
                .await?
                .into_iter()
                .map(|a| (a.anomaly_id, a.reported_at))
                .collect();
            let out: Vec<Value> = found
                .iter()
                .map(|a| {
                    let mut v = leitstand_costs::anomalies::to_json(a);
                    v["reportedAt"] = json!(reported.get(&a.id.to_string()));
                    v
                })
                .collect();
            print(global.output, &Value::Array(out))?;
        }
        CostCommand::Tagging {
            tenant,
            scope,
            from,
            to,
        } => {
            let tenant = parse_tenant(&tenant)?;
            let snapshot = store.snapshot(&tenant).await?;
            let scope = Scope::parse(&scope).map_err(|e| anyhow!("{e}"))?;
            let reports =
                leitstand_costs::tagging::compliance(&store, &snapshot, &scope, from, to).await?;
            let out: Vec<Value> = reports.iter().map(|r| r.to_json()).collect();
            print(global.output, &Value::Array(out))?;
        }
        CostCommand::PriceSheet { action } => match action {
            PriceSheetAction::Set { tenant, file } => {
                use leitstand_costs::chargeback::PriceSheet;
                let tenant = parse_tenant(&tenant)?;
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("read {}", file.display()))?;
                let sheet: Value = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not JSON", file.display()))?;
                PriceSheet::parse(&sheet).with_context(|| format!("{}", file.display()))?;
                let now = SystemClock.now();
                let mut tx = store.begin_write(&tenant, now).await?;
                let before = tx.put_price_sheet(&sheet, "cli").await?;
                let mut event = leitstand_store::EventDraft::new(
                    "Leitstand.Costs/priceSheets/write",
                    "/providers/Leitstand.Costs/priceSheets/default".to_owned(),
                    "cli".to_owned(),
                    uuid::Uuid::new_v4().to_string(),
                );
                event.before = before;
                event.after = Some(sheet.clone());
                tx.append_event(event).await?;
                tx.commit().await?;
                print(global.output, &sheet)?;
            }
            PriceSheetAction::Show { tenant } => {
                let tenant = parse_tenant(&tenant)?;
                match store.price_sheet(&tenant).await? {
                    Some((sheet, at, by)) => print(
                        global.output,
                        &json!({ "sheet": sheet, "updatedAt": at, "updatedBy": by }),
                    )?,
                    None => bail!("tenant {tenant} has no price sheet"),
                }
            }
        },
        CostCommand::Chargeback {
            tenant,
            month,
            price_sheet,
        } => {
            use leitstand_costs::chargeback::{statements, PriceSheet};
            use rust_decimal::Decimal;
            let tenant = parse_tenant(&tenant)?;
            let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
                .map_err(|_| anyhow!("--month `{month}` is not YYYY-MM"))?;
            let sheet = match price_sheet {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("read {}", path.display()))?;
                    PriceSheet::parse(
                        &serde_json::from_str(&text)
                            .with_context(|| format!("{} is not JSON", path.display()))?,
                    )?
                }
                None => match store.price_sheet(&tenant).await? {
                    Some((stored, _, _)) => PriceSheet::parse(&stored)
                        .context("the stored price sheet no longer parses")?,
                    None => bail!(
                        "tenant {tenant} has no price sheet: set one with `leitstand cost price-sheet set` or give --price-sheet"
                    ),
                },
            };
            // The billing month's rows: their charge days may lie a little outside it.
            let question = leitstand_store::CostQuery {
                from_day: (first - chrono::Duration::days(62)).to_string(),
                to_day: (first + chrono::Duration::days(93)).to_string(),
                sub_accounts: None,
                granularity: Granularity::Monthly,
                group_by: vec![CostDim::ServiceCategory],
                filter: None,
            };
            let mut by_category = std::collections::BTreeMap::new();
            for row in store.cost_query(&tenant, &question).await? {
                if row.bucket != month {
                    continue;
                }
                let category = row.dims.first().cloned().unwrap_or_default();
                *by_category
                    .entry((row.currency.clone(), category))
                    .or_insert(Decimal::ZERO) += from_nanos(row.sums.billed_nanos);
            }
            let mut ingested = std::collections::BTreeMap::new();
            for load in store
                .cost_loads(&tenant)
                .await?
                .iter()
                .filter(|l| l.period == month)
            {
                for (currency, totals) in load.totals.as_object().into_iter().flatten() {
                    let billed = totals["billedCost"]
                        .as_str()
                        .and_then(|s| s.parse::<Decimal>().ok())
                        .ok_or_else(|| anyhow!("load {} has a bad total", load.load_id))?;
                    *ingested.entry(currency.clone()).or_insert(Decimal::ZERO) += billed;
                }
            }
            let out: Vec<Value> = statements(&sheet, &by_category, &ingested)
                .iter()
                .flat_map(|s| {
                    let mut rows: Vec<Value> = s
                        .lines
                        .iter()
                        .map(|l| {
                            json!({
                                "month": month, "currency": s.currency, "item": l.service_category,
                                "cost": l.cost.to_string(), "markupPercent": l.markup_percent.to_string(),
                                "markup": l.markup.to_string(), "charge": l.charge.to_string(),
                            })
                        })
                        .collect();
                    if !s.management_fee.is_zero() {
                        rows.push(json!({
                            "month": month, "currency": s.currency, "item": "Management fee",
                            "cost": "0", "markupPercent": "0", "markup": "0",
                            "charge": s.management_fee.to_string(),
                        }));
                    }
                    rows.push(json!({
                        "month": month, "currency": s.currency, "item": "Total",
                        "cost": s.total_cost.to_string(), "markupPercent": "",
                        "markup": (s.total_charge - s.total_cost - s.management_fee).to_string(),
                        "charge": s.total_charge.to_string(),
                        "ingestedTotal": s.ingested_total.to_string(),
                        "reconciles": s.difference.is_zero(),
                    }));
                    rows
                })
                .collect();
            print(global.output, &Value::Array(out))?;
        }
        CostCommand::Recommendations { tenant, scope } => {
            let tenant = parse_tenant(&tenant)?;
            let snapshot = store.snapshot(&tenant).await?;
            let scope = Scope::parse(&scope).map_err(|e| anyhow!("{e}"))?;
            let found =
                leitstand_costs::recommend::run(&store, &tenant, &global.details()?).await?;
            let out: Vec<Value> = found
                .iter()
                .filter(|r| leitstand_costs::recommend::in_scope(&snapshot.tree, &scope, r))
                .map(|r| r.to_json())
                .collect();
            print(global.output, &Value::Array(out))?;
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
                    None => leitstand_costs::filter::dimension(g)
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
