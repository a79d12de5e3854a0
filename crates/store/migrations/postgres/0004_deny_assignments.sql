-- Deny assignments of a tenant: created by Leitstand itself (never through the API), they
-- refuse the listed actions to the listed principals at a scope (and below it unless
-- do_not_apply_to_child_scopes), whatever any role assignment allows. JSON columns hold the
-- ARM shapes: permissions `[{actions, notActions, dataActions, notDataActions}]`,
-- principals and exclude_principals `[{id, type}]`.
CREATE TABLE deny_assignments (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    scope TEXT NOT NULL,
    scope_key TEXT NOT NULL,
    permissions TEXT NOT NULL,
    principals TEXT NOT NULL,
    exclude_principals TEXT NOT NULL,
    do_not_apply_to_child_scopes INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX deny_assignments_by_scope ON deny_assignments (tenant_id, scope_key);
