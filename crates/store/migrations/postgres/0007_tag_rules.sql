-- Tagging rules: tag keys that cost at a scope (and below it) must carry, for the untagged-cost
-- report. Keys are kept lowercase (Azure's tag keys are case-insensitive).
CREATE TABLE tag_rules (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    scope TEXT NOT NULL,
    scope_key TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, scope_key, tag_key)
);
