//! The `leitstand` binary: `serve` runs the server; the other commands are the operator CLI,
//! working directly on the data directory and database (so they work while servers run, and
//! what they write is in force for every server at once).

mod access_cli;
mod admin;
mod bench;
mod cost_cli;
mod dev_cli;
mod metrics_cli;
mod notify;
mod serve;
mod tls;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Leitstand: one control plane for an MSP's Azure and AWS estates.
#[derive(Debug, Parser)]
#[command(name = "leitstand", version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// The data directory (SQLite file, keys, certificates).
    #[arg(
        long,
        global = true,
        env = "LEITSTAND_DATA",
        default_value = "./leitstand-data"
    )]
    pub data: PathBuf,
    /// A database URL (`postgres://…` or `sqlite://…`); default: SQLite in the data directory.
    #[arg(long, global = true, env = "LEITSTAND_DATABASE_URL")]
    pub database_url: Option<String>,
    /// An S3-compatible object store for the cost loads' detail files, `s3://bucket[/prefix]`
    /// (endpoint, region and credentials from the environment as AWS's tools read them:
    /// AWS_ENDPOINT_URL, AWS_REGION, web identity, instance role…); default: the data directory.
    /// Every server and CLI on one database must use the same one.
    #[arg(long, global = true, env = "LEITSTAND_COST_STORE")]
    pub cost_store: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

impl Global {
    /// Where the cost loads' detail files live.
    pub fn details(&self) -> anyhow::Result<leitstand_costs::objects::DetailStore> {
        let cost_dir = self.data.join("costs");
        match &self.cost_store {
            Some(url) => Ok(leitstand_costs::objects::DetailStore::open(url, cost_dir)?),
            None => Ok(leitstand_costs::objects::DetailStore::local(cost_dir)),
        }
    }
}

/// How CLI results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Json,
    Table,
    /// Comma-separated values with a header row (lists of objects).
    Csv,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the server.
    Serve(serve::ServeArgs),
    /// Manages tenants (customer directories).
    #[command(subcommand)]
    Tenant(admin::TenantCommand),
    /// Manages principals (users, groups, service principals).
    #[command(subcommand)]
    Principal(admin::PrincipalCommand),
    /// Manages group memberships.
    #[command(subcommand)]
    Group(admin::GroupCommand),
    /// Assigns roles as the operator (the way in before anyone holds a role).
    #[command(subcommand)]
    Role(access_cli::RoleCommand),
    /// Manages deny assignments (only Leitstand and its operator create them).
    #[command(subcommand)]
    Deny(access_cli::DenyCommand),
    /// Issues bearer tokens.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Manages service principals and their secrets.
    #[command(subcommand)]
    Sp(admin::SpCommand),
    /// Registers subscriptions and AWS accounts.
    #[command(subcommand)]
    Subscription(admin::SubscriptionCommand),
    /// Verifies and exports the activity log.
    #[command(subcommand)]
    Audit(admin::AuditCommand),
    /// Manages signing keys.
    #[command(subcommand)]
    Key(admin::KeyCommand),
    /// Cost data: ingest FOCUS and provider exports, query costs over the hierarchy.
    #[command(subcommand)]
    Cost(cost_cli::CostCommand),
    /// Utilization metrics of resources, for the VM recommendations.
    #[command(subcommand)]
    Metrics(metrics_cli::MetricsCommand),
    /// Developer tools: synthetic data.
    #[command(subcommand)]
    Dev(dev_cli::DevCommand),
    /// Builds a tenant at Azure's limits through HTTP and measures throughput and latency.
    Bench(bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LEITSTAND_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new(if matches!(cli.command, Command::Serve(_)) {
                    "info"
                } else {
                    "warn"
                })
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(&cli.global, args).await,
            Command::Tenant(c) => admin::tenant(&cli.global, c).await,
            Command::Principal(c) => admin::principal(&cli.global, c).await,
            Command::Group(c) => admin::group(&cli.global, c).await,
            Command::Token(c) => admin::token(&cli.global, c).await,
            Command::Sp(c) => admin::sp(&cli.global, c).await,
            Command::Subscription(c) => admin::subscription(&cli.global, c).await,
            Command::Audit(c) => admin::audit(&cli.global, c).await,
            Command::Key(c) => admin::key(&cli.global, c).await,
            Command::Role(c) => access_cli::role(&cli.global, c).await,
            Command::Deny(c) => access_cli::deny(&cli.global, c).await,
            Command::Cost(c) => cost_cli::cost(&cli.global, c).await,
            Command::Metrics(c) => metrics_cli::metrics(&cli.global, c).await,
            Command::Dev(c) => dev_cli::dev(&cli.global, c),
            Command::Bench(args) => bench::run(&cli.global, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
