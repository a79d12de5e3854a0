//! Leitstand's FinOps service: cost files in, answers over the hierarchy out.
//!
//! - [`ingest`]: reads FOCUS, AWS CUR and Azure EA files (CSV, gzip, Parquet) with
//!   `leitstand-finops`, splits them into loads (billing account × billing period), sums them
//!   into daily aggregates and replaces each load in one write transaction with its
//!   activity-log event.
//! - [`query`]: a scope's cost (management group, subscription, resource group, the whole
//!   tenant), by day or month, grouped by child scope or by any stored dimension or tag.
//! - [`money`]: exact amounts and the integer nano-units the database keeps.
//! - [`recommend`]: savings recommendations (commitments, Azure Hybrid Benefit, non-production
//!   schedules, idle and oversized VMs) from the stored detail and the utilization metrics
//!   [`metrics`] ingests.
//!
//! Used by the HTTP API (`Microsoft.CostManagement/query`, uploads) and by the CLI
//! (`leitstand cost …`).

pub mod anomalies;
pub mod anomaly;
pub mod budgets;
pub mod chargeback;
pub mod filter;
pub mod forecast;
pub mod ingest;
pub mod metrics;
pub mod money;
pub mod objects;
pub mod query;
pub mod recommend;
pub mod tagging;
