-- Leitstand schema, SQLite flavour. Keep in step with migrations/postgres/0001_init.sql.
-- Timestamps are RFC 3339 text in UTC with microseconds (fixed width, so text order is time order).
-- Names that ARM compares case-insensitively are stored twice: as spelled, and lowercase in *_key.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    default_group_key TEXT NOT NULL,
    require_authorization_for_group_creation BIGINT NOT NULL DEFAULT 0,
    settings_updated_at TEXT,
    settings_updated_by TEXT,
    audit_size BIGINT NOT NULL DEFAULT 0,
    audit_frontier BLOB NOT NULL,
    audit_root BLOB,
    audit_signature BLOB,
    audit_key_id TEXT
);

CREATE TABLE management_groups (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id_key TEXT NOT NULL,
    id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    parent_key TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id_key)
);

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    display_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    parent_key TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX subscriptions_by_tenant ON subscriptions (tenant_id);

CREATE TABLE subscription_aliases (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    workload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name_key)
);

CREATE TABLE resource_groups (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    tags TEXT NOT NULL,
    managed_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (subscription_id, name_key)
);

CREATE TABLE resources (
    id_key TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    resource_group_key TEXT NOT NULL,
    type_key TEXT NOT NULL,
    parent_key TEXT,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX resources_by_group ON resources (subscription_id, resource_group_key);
CREATE INDEX resources_by_parent ON resources (parent_key);

CREATE TABLE provider_registrations (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    namespace_key TEXT NOT NULL,
    namespace TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (subscription_id, namespace_key)
);

CREATE TABLE principals (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    display_name TEXT NOT NULL,
    global_admin BIGINT NOT NULL DEFAULT 0,
    app_id TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX principals_by_tenant ON principals (tenant_id);

CREATE TABLE group_members (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    group_id TEXT NOT NULL REFERENCES principals (id),
    member_id TEXT NOT NULL REFERENCES principals (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_by_member ON group_members (member_id);

CREATE TABLE sp_secrets (
    id TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL REFERENCES principals (id),
    secret_hash TEXT NOT NULL,
    hint TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX sp_secrets_by_principal ON sp_secrets (principal_id);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    public_key BLOB NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE events (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    seq BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    at TEXT NOT NULL,
    operation TEXT NOT NULL,
    scope_key TEXT NOT NULL,
    subscription_id TEXT,
    resource_group_key TEXT,
    correlation_id TEXT NOT NULL,
    status TEXT NOT NULL,
    content TEXT NOT NULL,
    leaf BLOB NOT NULL,
    root BLOB NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX events_by_time ON events (tenant_id, at);
CREATE INDEX events_by_subscription ON events (subscription_id, at);
