-- Budgets (Microsoft.Consumption/budgets): the ARM body as JSON, per scope and name.
CREATE TABLE budgets (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    scope TEXT NOT NULL,
    scope_key TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    etag TEXT NOT NULL,
    -- The budget's `properties` as stored (amount, timeGrain, timePeriod, filter, notifications).
    properties TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, scope_key, name_key)
);

-- Each notification of a budget fires at most once per budget period: this row is the proof.
CREATE TABLE budget_alerts (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    scope_key TEXT NOT NULL,
    name_key TEXT NOT NULL,
    -- `YYYY-MM-DD`, the first day of the budget period.
    period_start TEXT NOT NULL,
    notification TEXT NOT NULL,
    fired_at TEXT NOT NULL,
    -- The alert as sent: budget, period, threshold, kind, spend, amount (JSON).
    content TEXT NOT NULL,
    PRIMARY KEY (tenant_id, scope_key, name_key, period_start, notification)
);

-- Messages to deliver (e-mail, webhook), written in the transaction that decided to send them
-- and delivered afterwards by a server, with retries: an alert is never lost and never
-- decided twice.
CREATE TABLE outbox (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    -- `email` or `webhook`.
    channel TEXT NOT NULL,
    -- An e-mail address or a URL.
    target TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- The message (JSON).
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);
