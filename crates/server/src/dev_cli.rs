//! Developer commands: synthetic data for tests and benchmarks.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use chrono::{Duration, NaiveDate};
use clap::{Subcommand, ValueEnum};
use leitstand_finops::synth::{
    self, Accounts, BillingAccount, Cloud, GenConfig, GenTotals, Generator, Granularity, SubAccount,
};
use serde_json::{json, Value};

use crate::admin::print;
use crate::Global;

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Writes realistic synthetic FOCUS 1.2 cost data (CSV or Parquet): many customers
    /// (billing accounts), Azure subscriptions and AWS accounts, services, regions, tags,
    /// commitments, a weekly rhythm. The same options always give the same rows.
    GenFocus {
        /// How many rows.
        #[arg(long)]
        rows: u64,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// csv or parquet (default: from the file name).
        #[arg(long, value_enum)]
        format: Option<GenFormat>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The first day (UTC).
        #[arg(long, default_value = "2026-01-01")]
        start: NaiveDate,
        /// How many days the data spans at most (the rows stop at `--rows`).
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// Hourly charge periods instead of daily ones.
        #[arg(long)]
        hourly: bool,
        /// Billing accounts (customers) to generate.
        #[arg(long, default_value_t = 50)]
        billing_accounts: usize,
        /// Sub-accounts per billing account.
        #[arg(long, default_value_t = 4)]
        sub_accounts: usize,
        /// Resources per sub-account.
        #[arg(long, default_value_t = 150)]
        resources: usize,
        /// Use these sub-account ids (repeatable; GUIDs become one Azure billing account,
        /// 12-digit ids one AWS billing account) instead of generated ones.
        #[arg(long = "sub-account")]
        given: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenFormat {
    Csv,
    Parquet,
}

fn given_accounts(ids: &[String]) -> anyhow::Result<Vec<BillingAccount>> {
    let mut azure = Vec::new();
    let mut aws = Vec::new();
    for id in ids {
        let sub = SubAccount {
            id: id.clone(),
            name: format!("sub-{id}"),
        };
        if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
            aws.push(sub);
        } else if leitstand_core::ids::parse_guid("sub-account", id).is_ok() {
            azure.push(sub);
        } else {
            bail!("`{id}` is neither a subscription GUID nor a 12-digit AWS account id");
        }
    }
    let mut out = Vec::new();
    if !azure.is_empty() {
        out.push(BillingAccount {
            id: "synthetic-azure-billing-account".into(),
            name: "Synthetic Azure customer".into(),
            cloud: Cloud::Azure,
            currency: "EUR".into(),
            sub_accounts: azure,
        });
    }
    if !aws.is_empty() {
        out.push(BillingAccount {
            id: "999999999999".into(),
            name: "Synthetic AWS customer".into(),
            cloud: Cloud::Aws,
            currency: "USD".into(),
            sub_accounts: aws,
        });
    }
    Ok(out)
}

fn totals_json(totals: &GenTotals) -> Value {
    let by_sub_account: serde_json::Map<String, Value> = totals
        .by_sub_account
        .iter()
        .map(|(id, t)| {
            (
                id.clone(),
                json!({
                    "rows": t.n_rows,
                    "billedCost": t.billed_cost.normalize().to_string(),
                    "effectiveCost": t.effective_cost.normalize().to_string(),
                }),
            )
        })
        .collect();
    json!({
        "rows": totals.n_rows,
        "billedCost": totals.billed_cost().normalize().to_string(),
        "effectiveCost": totals.effective_cost().normalize().to_string(),
        "bySubAccount": by_sub_account,
    })
}

pub fn dev(global: &Global, command: DevCommand) -> anyhow::Result<std::process::ExitCode> {
    let DevCommand::GenFocus {
        rows,
        out,
        format,
        seed,
        start,
        days,
        hourly,
        billing_accounts,
        sub_accounts,
        resources,
        given,
    } = command;
    if days < 1 {
        bail!("--days must be at least 1");
    }
    let accounts = if given.is_empty() {
        Accounts::Generate {
            n_billing_accounts: billing_accounts,
            sub_accounts_per_billing_account: sub_accounts,
        }
    } else {
        Accounts::Given(given_accounts(&given)?)
    };
    let config = GenConfig {
        seed,
        start,
        end: start + Duration::days(days),
        granularity: if hourly {
            Granularity::Hourly
        } else {
            Granularity::Daily
        },
        accounts,
        resources_per_sub_account: resources,
        max_rows: Some(rows),
    };
    let generator = Generator::new(config);
    if generator.rows_planned() < rows {
        eprintln!(
            "warning: these options give only {} rows; raise --days, --resources or --billing-accounts for more",
            generator.rows_planned()
        );
    }
    let format = match format {
        Some(f) => f,
        None if out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet")) =>
        {
            GenFormat::Parquet
        }
        None => GenFormat::Csv,
    };
    let totals = match format {
        GenFormat::Csv => {
            let file =
                std::fs::File::create(&out).with_context(|| format!("create {}", out.display()))?;
            synth::write_csv(generator, std::io::BufWriter::new(file))
                .map_err(|e| anyhow!("write {}: {e}", out.display()))?
        }
        GenFormat::Parquet => synth::write_parquet(generator, &out)
            .map_err(|e| anyhow!("write {}: {e}", out.display()))?,
    };
    print(global.output, &totals_json(&totals))?;
    Ok(std::process::ExitCode::SUCCESS)
}
