//! Utilization metrics in: the CSV files of `leitstand metrics ingest`, checked whole before
//! anything is written, and stored in one write transaction with its activity-log event.
//!
//! The format, one sample per line (header names case-insensitive, any column order):
//!
//! ```text
//! resource_id,metric,timestamp,value,aggregation
//! /subscriptions/…/virtualMachines/vm1,Percentage CPU,2026-11-20T10:00:00Z,2.5,Maximum
//! ```
//!
//! - `metric` is Azure Monitor's metric name; the recommendations read [`PERCENTAGE_CPU`],
//!   [`AVAILABLE_MEMORY_PERCENTAGE`], [`NETWORK_OUT_TOTAL`] (bytes sent in the sample's
//!   interval) and [`EXPECTED_NETWORK_BANDWIDTH`] (the VM size's expected bandwidth in Mbit/s, as
//!   Azure's VM size tables list it). Other metric names are stored as given.
//! - `aggregation` (optional column) is Azure Monitor's aggregation of the sample: `Average`
//!   (the default), `Maximum`, `Minimum` or `Total` (the default for `Network Out Total`).
//! - `timestamp` is RFC 3339 (`2026-11-20T10:00:00Z`, any offset) or `YYYY-MM-DD HH:MM:SS` in
//!   UTC: the start of the sample's interval.
//! - `value` is a finite number; percentages lie in 0..=100, the other known metrics are not
//!   negative.
//!
//! It does not decide anything from the samples; that is [`crate::recommend`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;

use chrono::{DateTime, NaiveDateTime, Utc};
use leitstand_store::{EventDraft, MetricSampleRow, Store, StoreError};
use serde_json::json;

/// Azure Monitor's CPU metric of a VM (percent of all cores).
pub const PERCENTAGE_CPU: &str = "Percentage CPU";
/// Azure Monitor's available-memory metric of a VM (percent); memory used is 100 minus it.
pub const AVAILABLE_MEMORY_PERCENTAGE: &str = "Available Memory Percentage";
/// Azure Monitor's outbound traffic of a VM: bytes sent in the sample's interval.
pub const NETWORK_OUT_TOTAL: &str = "Network Out Total";
/// The VM size's expected network bandwidth in Mbit/s (Leitstand's name: Azure publishes it
/// per size, not as a metric); outbound utilization is measured against it.
pub const EXPECTED_NETWORK_BANDWIDTH: &str = "Expected Network Bandwidth";

/// The aggregations a sample may have.
pub const AGGREGATIONS: &[&str] = &["Average", "Maximum", "Minimum", "Total"];

/// The metrics Leitstand knows: name, whether the value is a percentage, default aggregation.
const KNOWN: &[(&str, bool, &str)] = &[
    (PERCENTAGE_CPU, true, "Average"),
    (AVAILABLE_MEMORY_PERCENTAGE, true, "Average"),
    (NETWORK_OUT_TOTAL, false, "Total"),
    (EXPECTED_NETWORK_BANDWIDTH, false, "Average"),
];

/// A bad value in a metrics file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricViolation {
    pub file: String,
    /// The 1-based data row (the header is row 0), or 0 for the header.
    pub row: u64,
    pub column: String,
    pub message: String,
}

impl fmt::Display for MetricViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` row {}, column `{}`: {}",
            self.file, self.row, self.column, self.message
        )
    }
}

/// Why metrics were not ingested.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("{} bad value(s) in the metrics files; nothing was ingested", .0.len())]
    Invalid(Vec<MetricViolation>),
    #[error("the metrics files hold no samples")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parses a timestamp: RFC 3339, or `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DDTHH:MM:SS` in UTC.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|at| at.and_utc())
}

/// Reads one metrics file: its samples, or every bad value in it.
pub fn parse(file: &str, source: impl Read) -> Result<Vec<MetricSampleRow>, Vec<MetricViolation>> {
    let violation = |row: u64, column: &str, message: String| MetricViolation {
        file: file.to_owned(),
        row,
        column: column.to_owned(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(source);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![violation(0, "", format!("unreadable header: {e}"))]),
    };
    let at = |name: &str| header.iter().position(|c| c == name);
    let mut missing = Vec::new();
    let mut columns = [0usize; 4];
    for (slot, name) in ["resource_id", "metric", "timestamp", "value"]
        .iter()
        .enumerate()
    {
        match (at(name), columns.get_mut(slot)) {
            (Some(i), Some(column)) => *column = i,
            _ => missing.push(violation(0, name, "the header lacks this column".into())),
        }
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    let [resource_at, metric_at, time_at, value_at] = columns;
    let aggregation_at = at("aggregation");
    let mut samples = Vec::new();
    let mut violations = Vec::new();
    for (row_idx, record) in reader.records().enumerate() {
        let row = u64::try_from(row_idx).unwrap_or(u64::MAX).saturating_add(1);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                violations.push(violation(row, "", format!("unreadable line: {e}")));
                continue;
            }
        };
        let cell = |i: usize| record.get(i).unwrap_or_default();
        let resource_id = cell(resource_at);
        if resource_id.is_empty() {
            violations.push(violation(row, "resource_id", "is empty".into()));
        }
        let metric_text = cell(metric_at);
        let known = KNOWN
            .iter()
            .find(|(name, _, _)| name.eq_ignore_ascii_case(metric_text));
        let metric = known.map_or(metric_text, |(name, _, _)| *name);
        if metric.is_empty() {
            violations.push(violation(row, "metric", "is empty".into()));
        }
        let aggregation_text = aggregation_at.map(cell).unwrap_or_default();
        let aggregation = if aggregation_text.is_empty() {
            Some(known.map_or("Average", |(_, _, default)| *default))
        } else {
            AGGREGATIONS
                .iter()
                .find(|a| a.eq_ignore_ascii_case(aggregation_text))
                .copied()
        };
        if aggregation.is_none() {
            violations.push(violation(
                row,
                "aggregation",
                format!(
                    "`{aggregation_text}` is not one of {}",
                    AGGREGATIONS.join(", ")
                ),
            ));
        }
        let time_text = cell(time_at);
        let sampled_at = parse_timestamp(time_text);
        if sampled_at.is_none() {
            violations.push(violation(
                row,
                "timestamp",
                format!("`{time_text}` is not a time (RFC 3339 or YYYY-MM-DD HH:MM:SS, UTC)"),
            ));
        }
        let value_text = cell(value_at);
        let value = value_text.parse::<f64>().ok().filter(|v| v.is_finite());
        match (value, known) {
            (None, _) => violations.push(violation(
                row,
                "value",
                format!("`{value_text}` is not a number"),
            )),
            (Some(v), Some((name, true, _))) if !(0.0..=100.0).contains(&v) => {
                violations.push(violation(
                    row,
                    "value",
                    format!("`{value_text}` is not a percentage (0 to 100) for `{name}`"),
                ));
            }
            (Some(v), Some((name, false, _))) if v < 0.0 => violations.push(violation(
                row,
                "value",
                format!("`{value_text}` is negative for `{name}`"),
            )),
            _ => {}
        }
        if let (Some(aggregation), Some(sampled_at), Some(value)) = (aggregation, sampled_at, value)
        {
            samples.push(MetricSampleRow {
                resource_id: resource_id.to_owned(),
                metric: metric.to_owned(),
                aggregation: aggregation.to_owned(),
                sampled_at: leitstand_store::format_time(sampled_at),
                value,
            });
        }
    }
    if violations.is_empty() {
        Ok(samples)
    } else {
        Err(violations)
    }
}

/// Keeps the last of samples that share resource (case-insensitive), metric, aggregation and
/// time, as the database would.
pub fn dedupe(samples: Vec<MetricSampleRow>) -> Vec<MetricSampleRow> {
    let mut by_key: BTreeMap<(String, String, String, String), MetricSampleRow> = BTreeMap::new();
    for sample in samples {
        let key = (
            sample.resource_id.to_lowercase(),
            sample.metric.clone(),
            sample.aggregation.clone(),
            sample.sampled_at.clone(),
        );
        by_key.insert(key, sample);
    }
    by_key.into_values().collect()
}

/// Who ingests, and when.
#[derive(Debug, Clone)]
pub struct MetricsContext {
    pub tenant: String,
    pub caller: String,
    pub caller_name: Option<String>,
    pub correlation_id: String,
    pub now: DateTime<Utc>,
}

/// What an ingest wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsReport {
    pub samples: usize,
    pub resources: usize,
    pub metrics: Vec<String>,
    pub first: String,
    pub last: String,
}

impl MetricsReport {
    /// The report as the CLI prints it.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "samples": self.samples,
            "resources": self.resources,
            "metrics": self.metrics,
            "first": self.first,
            "last": self.last,
        })
    }
}

/// Writes parsed samples in one transaction with an activity-log event
/// (`Leitstand.Costs/metrics/write` at `/`); a sample already stored is replaced, not doubled.
pub async fn ingest(
    store: &Store,
    ctx: &MetricsContext,
    files: &[String],
    samples: Vec<MetricSampleRow>,
) -> Result<MetricsReport, MetricsError> {
    let samples = dedupe(samples);
    if samples.is_empty() {
        return Err(MetricsError::Empty);
    }
    let resources: BTreeSet<String> = samples
        .iter()
        .map(|s| s.resource_id.to_lowercase())
        .collect();
    let metrics: BTreeSet<String> = samples.iter().map(|s| s.metric.clone()).collect();
    let first = samples
        .iter()
        .map(|s| s.sampled_at.as_str())
        .min()
        .unwrap_or_default()
        .to_owned();
    let last = samples
        .iter()
        .map(|s| s.sampled_at.as_str())
        .max()
        .unwrap_or_default()
        .to_owned();
    let report = MetricsReport {
        samples: samples.len(),
        resources: resources.len(),
        metrics: metrics.into_iter().collect(),
        first,
        last,
    };
    let mut tx = store.begin_write(&ctx.tenant, ctx.now).await?;
    tx.put_metric_samples(&samples).await?;
    let mut event = EventDraft::new(
        "Leitstand.Costs/metrics/write",
        "/",
        ctx.caller.clone(),
        ctx.correlation_id.clone(),
    );
    event.caller_name = ctx.caller_name.clone();
    let mut after = report.to_json();
    after["files"] = json!(files);
    event.after = Some(after);
    tx.append_event(event).await?;
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_parses_with_defaults_and_canonical_names() {
        let text = "Resource_Id,Metric,Timestamp,Value\n\
                    /subscriptions/s/vm1,percentage cpu,2026-11-20T10:00:00Z,2.5\n\
                    /subscriptions/s/vm1,Network Out Total,2026-11-20 10:00:00,1024\n";
        let samples = parse("m.csv", text.as_bytes()).unwrap();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].metric, PERCENTAGE_CPU);
        assert_eq!(samples[0].aggregation, "Average");
        assert_eq!(samples[1].aggregation, "Total");
        assert_eq!(samples[1].sampled_at, "2026-11-20T10:00:00.000000Z");
    }

    #[test]
    fn bad_values_name_file_row_and_column() {
        let text = "resource_id,metric,timestamp,value,aggregation\n\
                    /s/vm1,Percentage CPU,2026-11-20T10:00:00Z,2.5,Maximum\n\
                    /s/vm1,Percentage CPU,yesterday,101,Median\n";
        let errors = parse("m.csv", text.as_bytes()).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 3, "{text:?}");
        assert!(text
            .iter()
            .all(|t| t.starts_with("`m.csv` row 2, column `")));
        assert!(text.iter().any(|t| t.contains("`timestamp`")));
        assert!(text
            .iter()
            .any(|t| t.contains("`value`") && t.contains("101")));
        assert!(text.iter().any(|t| t.contains("`aggregation`")));
    }

    #[test]
    fn a_missing_column_is_reported_at_the_header() {
        let errors = parse("m.csv", "resource_id,metric,value\n".as_bytes()).unwrap_err();
        assert_eq!(errors[0].row, 0);
        assert_eq!(errors[0].column, "timestamp");
    }

    #[test]
    fn dedupe_keeps_the_last_sample_of_a_key() {
        let sample = |id: &str, value: f64| MetricSampleRow {
            resource_id: id.into(),
            metric: PERCENTAGE_CPU.into(),
            aggregation: "Average".into(),
            sampled_at: "2026-11-20T10:00:00.000000Z".into(),
            value,
        };
        let kept = dedupe(vec![sample("/S/VM1", 1.0), sample("/s/vm1", 2.0)]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].value, 2.0);
    }
}
