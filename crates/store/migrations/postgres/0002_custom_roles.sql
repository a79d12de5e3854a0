-- Custom role definitions of a tenant (built-in roles are embedded in the binary).
CREATE TABLE role_definitions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    role_name TEXT NOT NULL,
    role_name_key TEXT NOT NULL,
    description TEXT NOT NULL,
    permissions TEXT NOT NULL,
    assignable_scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX role_definitions_by_name ON role_definitions (tenant_id, role_name_key);
