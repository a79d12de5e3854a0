-- Role assignments of a tenant: a principal, a role definition (built-in or custom, by GUID)
-- and a scope (canonical id; scope_key lowercase), with an optional ABAC condition.
CREATE TABLE role_assignments (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    scope TEXT NOT NULL,
    scope_key TEXT NOT NULL,
    role_definition_id TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    description TEXT NOT NULL,
    condition TEXT,
    condition_version TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX role_assignments_unique ON role_assignments (tenant_id, scope_key, role_definition_id, principal_id);
CREATE INDEX role_assignments_by_role ON role_assignments (tenant_id, role_definition_id);
