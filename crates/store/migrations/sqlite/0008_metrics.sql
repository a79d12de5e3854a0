-- Utilization metrics of resources (virtual machines), as Azure Monitor names them, for the
-- idle and oversized VM recommendations. They come in through `leitstand metrics ingest` until
-- a monitoring pipeline brings them. One row per resource, metric, aggregation and sample time:
-- ingesting the same samples again replaces their values instead of adding rows.
CREATE TABLE metric_samples (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    -- The resource id in lowercase (ARM ids compare case-insensitively), and as sent.
    resource_key TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    -- Azure Monitor's metric name (`Percentage CPU`, `Available Memory Percentage`,
    -- `Network Out Total`) and the aggregation of the sample (Average, Maximum, Minimum, Total).
    metric TEXT NOT NULL,
    aggregation TEXT NOT NULL,
    -- The start of the sample's interval, RFC 3339 UTC with microseconds (sorts as text).
    sampled_at TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant_id, resource_key, metric, aggregation, sampled_at)
);
