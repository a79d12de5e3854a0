//! Operator commands for utilization metrics: `leitstand metrics ingest` reads CSV files of
//! samples (the format is in `leitstand_costs::metrics`) for the idle and oversized VM
//! recommendations, until a monitoring pipeline brings them.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Subcommand;
use leitstand_core::{Clock, SystemClock};
use leitstand_costs::metrics::{self, MetricsContext};

use crate::admin::{open_store, parse_tenant, print};
use crate::Global;

#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// Ingests utilization samples from CSV files with the header
    /// `resource_id,metric,timestamp,value[,aggregation]` (Azure Monitor's metric names:
    /// `Percentage CPU`, `Available Memory Percentage`, `Network Out Total`, and
    /// `Expected Network Bandwidth` in Mbit/s; aggregation `Average` (default), `Maximum`,
    /// `Minimum` or `Total`). Every file is checked first; a bad value anywhere ingests
    /// nothing. A sample already stored (same resource, metric, aggregation and time) is
    /// replaced.
    Ingest {
        #[arg(long)]
        tenant: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub async fn metrics(
    global: &Global,
    command: MetricsCommand,
) -> anyhow::Result<std::process::ExitCode> {
    match command {
        MetricsCommand::Ingest { tenant, files } => {
            let tenant = parse_tenant(&tenant)?;
            let mut samples = Vec::new();
            let mut violations = Vec::new();
            let mut names = Vec::new();
            for path in &files {
                let name = path.display().to_string();
                let file = std::fs::File::open(path).with_context(|| format!("open {name}"))?;
                match metrics::parse(&name, std::io::BufReader::new(file)) {
                    Ok(mut parsed) => samples.append(&mut parsed),
                    Err(mut bad) => violations.append(&mut bad),
                }
                names.push(name);
            }
            if !violations.is_empty() {
                for v in &violations {
                    eprintln!("{v}");
                }
                return Err(anyhow!(
                    "{} bad value(s) in the metrics files; nothing was ingested",
                    violations.len()
                ));
            }
            let store = open_store(global).await?;
            store.snapshot(&tenant).await?;
            let ctx = MetricsContext {
                tenant,
                caller: "cli".into(),
                caller_name: Some(format!(
                    "leitstand cli ({})",
                    std::env::var("USER").unwrap_or_else(|_| "operator".into())
                )),
                correlation_id: uuid::Uuid::new_v4().to_string(),
                now: SystemClock.now(),
            };
            let report = metrics::ingest(&store, &ctx, &names, samples).await?;
            print(global.output, &report.to_json())?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
