//! Idle and oversized VMs from utilization metrics, with Azure Advisor's published thresholds.
//!
//! The metrics window ends at the tenant's latest sample: the last [`WINDOW_DAYS`] days, and
//! the last [`RECENT_DAYS`] of them for the average CPU. A VM (any resource with `Percentage
//! CPU` samples) whose samples cover fewer than [`MIN_DAYS_WITH_SAMPLES`] days is not judged.
//!
//! - Shut down ([`Kind::IdleVirtualMachine`]) when all of: the P95 of its `Maximum` CPU samples
//!   is below [`IDLE_P95_MAX_CPU`]%; the P100 of its `Average` CPU samples of the last 3 days is
//!   at most [`IDLE_P100_AVG_CPU`]%; its outbound traffic (`Network Out Total`, bytes) averaged
//!   over the span of its samples is below [`IDLE_NETWORK_OUT`]% of its expected bandwidth
//!   (`Expected Network Bandwidth`, Mbit/s). Without any of these metrics it is not judged idle.
//!   The saving is its whole monthly cost.
//! - Resize ([`Kind::RightsizeVirtualMachine`]) one size down in its family (half the vCPUs and
//!   memory, so twice the utilization) when, after the step, the P95 of its CPU (the `Maximum`
//!   samples, else `Average`) stays at most [`RESIZE_MAX_CPU`]% and the P95 of its memory used
//!   (100 − `Available Memory Percentage`, the `Minimum` samples, else `Average`) at most
//!   [`RESIZE_MAX_MEMORY`]%. Without a price sheet the saving is assumed to be half its monthly
//!   cost (the next size down in a family costs about half); the evidence says so.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use leitstand_store::MetricSampleRow;
use rust_decimal::Decimal;
use serde_json::json;

use crate::metrics::{
    AVAILABLE_MEMORY_PERCENTAGE, EXPECTED_NETWORK_BANDWIDTH, NETWORK_OUT_TOTAL, PERCENTAGE_CPU,
};
use crate::recommend::{
    percentile, sub_account_of_resource, to_f64, Kind, Recommendation, ResourceCost, Window,
};

/// The metrics window, in days.
pub const WINDOW_DAYS: i64 = 7;
/// The window of the average-CPU criterion, in days.
pub const RECENT_DAYS: i64 = 3;
/// The fewest distinct days with CPU samples for a VM to be judged.
pub const MIN_DAYS_WITH_SAMPLES: usize = 3;
/// Shutdown: P95 of maximum CPU below this (percent).
pub const IDLE_P95_MAX_CPU: f64 = 3.0;
/// Shutdown: P100 of average CPU over the last 3 days at most this (percent).
pub const IDLE_P100_AVG_CPU: f64 = 2.0;
/// Shutdown: outbound network below this share of the expected bandwidth (percent).
pub const IDLE_NETWORK_OUT: f64 = 2.0;
/// Resize: the P95 CPU after the step at most this (percent).
pub const RESIZE_MAX_CPU: f64 = 40.0;
/// Resize: the P95 memory used after the step at most this (percent).
pub const RESIZE_MAX_MEMORY: f64 = 60.0;
/// Resize: one size down halves the capacity, so utilization doubles.
pub const RESIZE_FACTOR: f64 = 2.0;

/// Samples in time order: (time, value).
type Samples = Vec<(DateTime<Utc>, f64)>;

#[derive(Debug, Default)]
struct Series {
    resource_id: String,
    /// (metric, aggregation) → (time, value), in time order.
    by_metric: BTreeMap<(String, String), Samples>,
}

impl Series {
    fn values(&self, metric: &str, aggregation: &str, since: DateTime<Utc>) -> Vec<f64> {
        self.samples(metric, aggregation)
            .iter()
            .filter(|(t, _)| *t > since)
            .map(|(_, v)| *v)
            .collect()
    }

    fn samples(&self, metric: &str, aggregation: &str) -> &[(DateTime<Utc>, f64)] {
        self.by_metric
            .get(&(metric.to_owned(), aggregation.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// Outbound utilization in percent of `bandwidth_mbps`: the bytes of the samples over the span
/// they cover (first to last sample plus one sampling interval).
pub fn network_utilization(samples: &[(DateTime<Utc>, f64)], bandwidth_mbps: f64) -> Option<f64> {
    let first = samples.first()?.0;
    let last = samples.last()?.0;
    if bandwidth_mbps <= 0.0 {
        return None;
    }
    let n = samples.len();
    #[expect(clippy::cast_precision_loss, reason = "a count of samples")]
    let seconds = (last - first).num_seconds() as f64;
    #[expect(clippy::cast_precision_loss, reason = "a count of samples")]
    let interval = if n > 1 {
        seconds / (n - 1) as f64
    } else {
        3600.0
    };
    let span = seconds + interval;
    let bytes: f64 = samples.iter().map(|(_, v)| v.max(0.0)).sum();
    let mbps = bytes * 8.0 / span / 1e6;
    Some(mbps / bandwidth_mbps * 100.0)
}

/// Returns the idle and resize recommendations of the VMs in `samples`.
pub(crate) fn recommend(
    samples: &[MetricSampleRow],
    resources: &HashMap<String, ResourceCost>,
    cost_window: Option<Window>,
) -> Vec<Recommendation> {
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    let mut end: Option<DateTime<Utc>> = None;
    for sample in samples {
        let Ok(at) = leitstand_store::parse_time(&sample.sampled_at) else {
            continue;
        };
        end = Some(end.map_or(at, |e| e.max(at)));
        let entry = series
            .entry(sample.resource_id.to_lowercase())
            .or_insert_with(|| Series {
                resource_id: sample.resource_id.clone(),
                by_metric: BTreeMap::new(),
            });
        entry
            .by_metric
            .entry((sample.metric.clone(), sample.aggregation.clone()))
            .or_default()
            .push((at, sample.value));
    }
    let Some(end) = end else {
        return Vec::new();
    };
    for s in series.values_mut() {
        for values in s.by_metric.values_mut() {
            values.sort_by_key(|(t, _)| *t);
        }
    }
    let since = end - Duration::days(WINDOW_DAYS);
    let recent = end - Duration::days(RECENT_DAYS);
    let mut out = Vec::new();
    for (key, vm) in &series {
        let max_cpu = vm.values(PERCENTAGE_CPU, "Maximum", since);
        let avg_cpu = vm.values(PERCENTAGE_CPU, "Average", since);
        let cpu_days: BTreeSet<_> = vm
            .samples(PERCENTAGE_CPU, "Maximum")
            .iter()
            .chain(vm.samples(PERCENTAGE_CPU, "Average"))
            .filter(|(t, _)| *t > since)
            .map(|(t, _)| t.date_naive())
            .collect();
        if cpu_days.len() < MIN_DAYS_WITH_SAMPLES {
            continue;
        }
        let cost = resources.get(key);
        let monthly = match (cost, cost_window) {
            (Some(c), Some(w)) => c.monthly(&w),
            _ => Decimal::ZERO,
        };
        let currency = cost.map(|c| c.currency.clone()).unwrap_or_default();
        let sub_account = cost
            .map(|c| c.sub_account.clone())
            .unwrap_or_else(|| sub_account_of_resource(&vm.resource_id));
        let resource_group = cost
            .and_then(|c| c.resource_group.clone())
            .or_else(|| crate::ingest::resource_group_of(&vm.resource_id));
        let window =
            json!({ "from": since.to_rfc3339(), "to": end.to_rfc3339(), "days": WINDOW_DAYS });

        // Shutdown.
        let p95_max_cpu = percentile(&max_cpu, 95.0);
        let p100_avg_cpu = percentile(&vm.values(PERCENTAGE_CPU, "Average", recent), 100.0);
        let network: Vec<(DateTime<Utc>, f64)> = vm
            .samples(NETWORK_OUT_TOTAL, "Total")
            .iter()
            .filter(|(t, _)| *t > since)
            .copied()
            .collect();
        let bandwidth = ["Average", "Maximum", "Minimum", "Total"]
            .iter()
            .flat_map(|a| vm.samples(EXPECTED_NETWORK_BANDWIDTH, a))
            .max_by_key(|(t, _)| *t)
            .map(|(_, v)| *v);
        let network_out = bandwidth.and_then(|b| network_utilization(&network, b));
        let idle = matches!(
            (p95_max_cpu, p100_avg_cpu, network_out),
            (Some(cpu), Some(avg), Some(net))
                if cpu < IDLE_P95_MAX_CPU && avg <= IDLE_P100_AVG_CPU && net < IDLE_NETWORK_OUT
        );
        if idle {
            let evidence = json!({
                "p95MaxCpu": p95_max_cpu,
                "p95MaxCpuThreshold": IDLE_P95_MAX_CPU,
                "maxCpuSamples": max_cpu.len(),
                "p100AvgCpuLast3Days": p100_avg_cpu,
                "p100AvgCpuThreshold": IDLE_P100_AVG_CPU,
                "networkOutPercentOfBandwidth": network_out,
                "networkOutThreshold": IDLE_NETWORK_OUT,
                "expectedNetworkBandwidthMbps": bandwidth,
                "monthlyCost": to_f64(monthly),
                "window": window,
            });
            out.push(Recommendation::new(
                Kind::IdleVirtualMachine,
                &vm.resource_id,
                &sub_account,
                format!(
                    "Shut down `{}`: idle for the last {WINDOW_DAYS} days",
                    vm.resource_id
                ),
                &currency,
                monthly,
                evidence,
                resource_group,
            ));
            continue;
        }

        // Resize.
        let (cpu_values, cpu_aggregation) = if max_cpu.is_empty() {
            (avg_cpu, "Average")
        } else {
            (max_cpu, "Maximum")
        };
        let memory_samples = {
            let minimum = vm.values(AVAILABLE_MEMORY_PERCENTAGE, "Minimum", since);
            if minimum.is_empty() {
                vm.values(AVAILABLE_MEMORY_PERCENTAGE, "Average", since)
            } else {
                minimum
            }
        };
        let memory_used: Vec<f64> = memory_samples.iter().map(|a| 100.0 - a).collect();
        let (Some(p95_cpu), Some(p95_memory)) = (
            percentile(&cpu_values, 95.0),
            percentile(&memory_used, 95.0),
        ) else {
            continue;
        };
        let cpu_after = p95_cpu * RESIZE_FACTOR;
        let memory_after = p95_memory * RESIZE_FACTOR;
        if cpu_after > RESIZE_MAX_CPU || memory_after > RESIZE_MAX_MEMORY {
            continue;
        }
        let saving = monthly
            .checked_div(Decimal::from(2))
            .unwrap_or(Decimal::ZERO);
        let evidence = json!({
            "p95Cpu": p95_cpu,
            "cpuAggregation": cpu_aggregation,
            "p95CpuAfterResize": cpu_after,
            "cpuThreshold": RESIZE_MAX_CPU,
            "p95MemoryUsed": p95_memory,
            "p95MemoryUsedAfterResize": memory_after,
            "memoryThreshold": RESIZE_MAX_MEMORY,
            "monthlyCost": to_f64(monthly),
            "assumption": "one size down in the same family: half the vCPUs and memory at half the price (no price sheet)",
            "window": window,
        });
        out.push(Recommendation::new(
            Kind::RightsizeVirtualMachine,
            &vm.resource_id,
            &sub_account,
            format!(
                "Resize `{}` one size down: P95 CPU {p95_cpu:.1}%, memory {p95_memory:.1}%",
                vm.resource_id
            ),
            &currency,
            saving,
            evidence,
            resource_group,
        ));
    }
    out
}
