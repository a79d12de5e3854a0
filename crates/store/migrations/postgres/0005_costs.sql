-- Cost data (FOCUS). The detail rows live in Parquet files under the data directory; the
-- database holds what a query over the hierarchy needs: one row per day and combination of
-- the dimensions below, with the sums in nano-units of the billing currency (exact integers:
-- 1 = 0.000000001), and one row per ingested billing period of a billing account.
--
-- A load is the unit of replacement: re-ingesting (tenant, billing account, period) deletes
-- the load's daily rows and inserts the new ones in the same transaction, so costs are never
-- counted twice and an interrupted ingest leaves the previous load in place.
CREATE TABLE cost_loads (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    billing_account_id TEXT NOT NULL,
    -- `YYYY-MM` of BillingPeriodStart.
    period TEXT NOT NULL,
    load_id TEXT NOT NULL,
    -- The files the load came from (JSON array of names) and their formats.
    sources TEXT NOT NULL,
    n_rows BIGINT NOT NULL,
    -- `{currency: {"billedCost", "effectiveCost", "listCost"}}`, exact decimals as strings.
    totals TEXT NOT NULL,
    -- The Parquet file with the detail rows, relative to the cost directory.
    detail_path TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, billing_account_id, period)
);

CREATE TABLE cost_daily (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    billing_account_id TEXT NOT NULL,
    period TEXT NOT NULL,
    -- `YYYY-MM-DD` of ChargePeriodStart (UTC).
    day TEXT NOT NULL,
    -- The normalized sub-account: a subscription GUID (lowercase), a 12-digit AWS account id,
    -- `other:{id}` for another id, or '' when the row names none.
    sub_account TEXT NOT NULL,
    -- The resource group of an Azure ResourceId (lowercase), or ''.
    resource_group TEXT NOT NULL,
    service_name TEXT NOT NULL,
    service_category TEXT NOT NULL,
    region TEXT NOT NULL,
    charge_category TEXT NOT NULL,
    pricing_category TEXT NOT NULL,
    commitment_discount_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    -- A hash of the row's tags (0: no tags); the tags are in cost_tags.
    tag_set BIGINT NOT NULL,
    billed_nanos BIGINT NOT NULL,
    effective_nanos BIGINT NOT NULL,
    list_nanos BIGINT NOT NULL,
    contracted_nanos BIGINT NOT NULL,
    n_rows BIGINT NOT NULL
);
CREATE INDEX cost_daily_by_load ON cost_daily (tenant_id, billing_account_id, period);
CREATE INDEX cost_daily_by_day ON cost_daily (tenant_id, day);

-- The tags of each tag set, one row per key, for grouping and filtering by tag.
CREATE TABLE cost_tags (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    tag_set BIGINT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, tag_set, tag_key)
);
CREATE INDEX cost_tags_by_key ON cost_tags (tenant_id, tag_key);
