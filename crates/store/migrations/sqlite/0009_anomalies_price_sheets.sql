-- Cost anomalies as first reported: an anomaly (its id is a hash of its key and first day, the
-- same on every later run while it goes on) is reported once, when a row is first written here.
CREATE TABLE cost_anomalies (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    anomaly_id TEXT NOT NULL,
    -- The sub-account (and currency) whose daily cost departed from its baseline.
    anomaly_key TEXT NOT NULL,
    first_day TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    -- The anomaly when first reported: direction, days, expected and actual cost, drivers (JSON).
    content TEXT NOT NULL,
    PRIMARY KEY (tenant_id, anomaly_id)
);

-- Each customer's price sheet for chargeback statements (markup or discount per service
-- category, management fee), as JSON.
CREATE TABLE price_sheets (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    sheet TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id)
);
