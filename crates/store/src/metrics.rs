//! Utilization metrics of resources: one row per resource, metric, aggregation and sample time
//! (`metric_samples`), written by `leitstand metrics ingest` and read by the VM
//! recommendations.
//!
//! The store keeps the samples as given; it does not know which metrics exist or what their
//! thresholds are (that is `leitstand-costs`).

use std::fmt::Write as _;

use sqlx::Row;

use crate::{get_str, Store, StoreError, WriteTx};

/// How many samples one INSERT statement carries (6 parameters each, plus the tenant).
const INSERT_BATCH: usize = 500;

/// One utilization sample.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSampleRow {
    /// The resource id as sent (it is compared in lowercase).
    pub resource_id: String,
    /// Azure Monitor's metric name, e.g. `Percentage CPU`.
    pub metric: String,
    /// `Average`, `Maximum`, `Minimum` or `Total`.
    pub aggregation: String,
    /// RFC 3339, UTC, as [`crate::format_time`] writes it.
    pub sampled_at: String,
    pub value: f64,
}

impl Store {
    /// Returns the time of a tenant's latest sample, if it has any.
    pub async fn latest_metric_sample(&self, tenant: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT MAX(sampled_at) AS latest FROM metric_samples WHERE tenant_id = $1",
        )
        .bind(tenant)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<Option<String>, _>("latest")?)
    }

    /// Lists a tenant's samples taken at or after `since` (a [`crate::format_time`] text), by
    /// resource, metric, aggregation and time.
    pub async fn metric_samples(
        &self,
        tenant: &str,
        since: &str,
    ) -> Result<Vec<MetricSampleRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT resource_id, metric, aggregation, sampled_at, value FROM metric_samples \
             WHERE tenant_id = $1 AND sampled_at >= $2 \
             ORDER BY resource_key, metric, aggregation, sampled_at",
        )
        .bind(tenant)
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(MetricSampleRow {
                    resource_id: get_str(row, "resource_id")?,
                    metric: get_str(row, "metric")?,
                    aggregation: get_str(row, "aggregation")?,
                    sampled_at: get_str(row, "sampled_at")?,
                    value: row.try_get::<f64, _>("value")?,
                })
            })
            .collect()
    }
}

impl WriteTx<'_> {
    /// Writes samples; a sample of the same resource, metric, aggregation and time replaces
    /// the stored one. Returns how many rows were written.
    pub async fn put_metric_samples(
        &mut self,
        samples: &[MetricSampleRow],
    ) -> Result<u64, StoreError> {
        let tenant = self.tenant().to_owned();
        let mut written = 0;
        for chunk in samples.chunks(INSERT_BATCH) {
            let mut sql = String::from(
                "INSERT INTO metric_samples (tenant_id, resource_key, resource_id, metric, \
                 aggregation, sampled_at, value) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let base = i * 6 + 2;
                let _ = write!(
                    sql,
                    "($1, ${base}, ${}, ${}, ${}, ${}, ${})",
                    base + 1,
                    base + 2,
                    base + 3,
                    base + 4,
                    base + 5
                );
            }
            sql.push_str(
                " ON CONFLICT (tenant_id, resource_key, metric, aggregation, sampled_at) \
                 DO UPDATE SET value = excluded.value, resource_id = excluded.resource_id",
            );
            let mut q = sqlx::query(&sql).bind(&tenant);
            for sample in chunk {
                q = q
                    .bind(sample.resource_id.to_lowercase())
                    .bind(&sample.resource_id)
                    .bind(&sample.metric)
                    .bind(&sample.aggregation)
                    .bind(&sample.sampled_at)
                    .bind(sample.value);
            }
            written += q.execute(self.conn()).await?.rows_affected();
        }
        Ok(written)
    }
}
