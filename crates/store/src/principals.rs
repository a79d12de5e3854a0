//! Principals (users, groups, service principals), group memberships, service-principal
//! secrets (argon2 hashes only) and the public halves of signing keys.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{format_time, get_i64, get_opt_str, get_str, Store, StoreError, WriteTx};

/// What kind of principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    Group,
    ServicePrincipal,
}

impl PrincipalKind {
    /// Returns the name ARM uses for `principalType`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "User",
            PrincipalKind::Group => "Group",
            PrincipalKind::ServicePrincipal => "ServicePrincipal",
        }
    }

    /// Parses a principal type, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "user" => Some(PrincipalKind::User),
            "group" => Some(PrincipalKind::Group),
            "serviceprincipal" => Some(PrincipalKind::ServicePrincipal),
            _ => None,
        }
    }
}

/// A principal of a tenant.
#[derive(Debug, Clone)]
pub struct Principal {
    pub id: String,
    pub tenant_id: String,
    pub kind: PrincipalKind,
    pub display_name: String,
    pub global_admin: bool,
    /// The application (client) id of a service principal.
    pub app_id: Option<String>,
    pub created_at: String,
}

/// A service-principal secret: only its argon2 hash is kept.
#[derive(Debug, Clone)]
pub struct SecretRow {
    pub id: String,
    pub principal_id: String,
    pub secret_hash: String,
    pub hint: String,
    pub expires_at: String,
}

/// The public half of a signing key.
#[derive(Debug, Clone)]
pub struct SigningKeyRow {
    pub kid: String,
    pub purpose: String,
    pub public_key: Vec<u8>,
    pub created_at: String,
}

fn principal(row: &AnyRow) -> Result<Principal, StoreError> {
    let kind = get_str(row, "kind")?;
    Ok(Principal {
        id: get_str(row, "id")?,
        tenant_id: get_str(row, "tenant_id")?,
        kind: PrincipalKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("principal kind `{kind}`")))?,
        display_name: get_str(row, "display_name")?,
        global_admin: get_i64(row, "global_admin")? != 0,
        app_id: get_opt_str(row, "app_id")?,
        created_at: get_str(row, "created_at")?,
    })
}

const PRINCIPAL_COLUMNS: &str =
    "id, tenant_id, kind, display_name, global_admin, app_id, created_at";

impl Store {
    /// Returns a principal of `tenant` by object id.
    pub async fn get_principal(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<Principal>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant)
        .bind(id.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(principal).transpose()
    }

    /// Returns the service principal with this application (client) id.
    pub async fn principal_by_app_id(&self, app_id: &str) -> Result<Option<Principal>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE app_id = $1"
        ))
        .bind(app_id.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(principal).transpose()
    }

    /// Lists a tenant's principals.
    pub async fn list_principals(&self, tenant: &str) -> Result<Vec<Principal>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE tenant_id = $1 ORDER BY created_at, id"
        ))
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(principal).collect()
    }

    /// Returns every group the principal belongs to, through nested groups too.
    pub async fn transitive_groups(
        &self,
        tenant: &str,
        principal: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut seen: Vec<String> = Vec::new();
        let mut frontier = vec![principal.to_lowercase()];
        while let Some(member) = frontier.pop() {
            let groups: Vec<String> = sqlx::query_scalar(
                "SELECT group_id FROM group_members WHERE tenant_id = $1 AND member_id = $2",
            )
            .bind(tenant)
            .bind(&member)
            .fetch_all(&self.pool)
            .await?;
            for group in groups {
                if !seen.contains(&group) {
                    seen.push(group.clone());
                    frontier.push(group);
                }
            }
        }
        Ok(seen)
    }

    /// Returns the secrets of a service principal, newest first.
    pub async fn secrets_of(&self, principal: &str) -> Result<Vec<SecretRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, principal_id, secret_hash, hint, expires_at FROM sp_secrets WHERE principal_id = $1 ORDER BY created_at DESC",
        )
        .bind(principal)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SecretRow {
                    id: get_str(row, "id")?,
                    principal_id: get_str(row, "principal_id")?,
                    secret_hash: get_str(row, "secret_hash")?,
                    hint: get_str(row, "hint")?,
                    expires_at: get_str(row, "expires_at")?,
                })
            })
            .collect()
    }

    /// Records the public half of a signing key (idempotent).
    pub async fn register_public_key(&self, row: &SigningKeyRow) -> Result<(), StoreError> {
        let existing: Option<String> =
            sqlx::query_scalar("SELECT kid FROM signing_keys WHERE kid = $1")
                .bind(&row.kid)
                .fetch_optional(&self.pool)
                .await?;
        if existing.is_none() {
            sqlx::query("INSERT INTO signing_keys (kid, purpose, public_key, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&row.kid)
                .bind(&row.purpose)
                .bind(&row.public_key)
                .bind(&row.created_at)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Lists the public keys for a purpose (`token` or `audit`), oldest first.
    pub async fn public_keys(&self, purpose: &str) -> Result<Vec<SigningKeyRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, purpose, public_key, created_at FROM signing_keys WHERE purpose = $1 ORDER BY created_at, kid",
        )
        .bind(purpose)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SigningKeyRow {
                    kid: get_str(row, "kid")?,
                    purpose: get_str(row, "purpose")?,
                    public_key: row.try_get("public_key")?,
                    created_at: get_str(row, "created_at")?,
                })
            })
            .collect()
    }

    /// Returns one public key by id.
    pub async fn public_key(&self, kid: &str) -> Result<Option<SigningKeyRow>, StoreError> {
        let row = sqlx::query(
            "SELECT kid, purpose, public_key, created_at FROM signing_keys WHERE kid = $1",
        )
        .bind(kid)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(SigningKeyRow {
                kid: get_str(&row, "kid")?,
                purpose: get_str(&row, "purpose")?,
                public_key: row.try_get("public_key")?,
                created_at: get_str(&row, "created_at")?,
            })),
            None => Ok(None),
        }
    }
}

impl WriteTx<'_> {
    /// Creates a principal in this transaction's tenant.
    pub async fn insert_principal(&mut self, p: &Principal) -> Result<(), StoreError> {
        let tenant = self.tenant().to_owned();
        sqlx::query(
            "INSERT INTO principals (id, tenant_id, kind, display_name, global_admin, app_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(p.id.to_lowercase())
        .bind(&tenant)
        .bind(p.kind.as_str())
        .bind(&p.display_name)
        .bind(i64::from(p.global_admin))
        .bind(p.app_id.as_ref().map(|a| a.to_lowercase()))
        .bind(&p.created_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Adds `member` to `group`.
    pub async fn add_member(&mut self, group: &str, member: &str) -> Result<(), StoreError> {
        let tenant = self.tenant().to_owned();
        let at = format_time(self.now());
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT group_id FROM group_members WHERE group_id = $1 AND member_id = $2",
        )
        .bind(group)
        .bind(member)
        .fetch_optional(self.conn())
        .await?;
        if existing.is_some() {
            return Err(StoreError::Conflict(format!(
                "`{member}` is already a member of group `{group}`"
            )));
        }
        sqlx::query("INSERT INTO group_members (tenant_id, group_id, member_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&tenant)
            .bind(group)
            .bind(member)
            .bind(&at)
            .execute(self.conn())
            .await?;
        self.snapshot_mut().access.add_membership(group, member);
        Ok(())
    }

    /// Removes `member` from `group`; returns whether it was a member.
    pub async fn remove_member(&mut self, group: &str, member: &str) -> Result<bool, StoreError> {
        let tenant = self.tenant().to_owned();
        let gone = sqlx::query(
            "DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND member_id = $3",
        )
        .bind(&tenant)
        .bind(group)
        .bind(member)
        .execute(self.conn())
        .await?
        .rows_affected()
            > 0;
        self.snapshot_mut().access.remove_membership(group, member);
        Ok(gone)
    }

    /// Replaces every secret of a service principal with `secret`.
    pub async fn replace_secrets(&mut self, secret: &SecretRow) -> Result<(), StoreError> {
        let at = format_time(self.now());
        sqlx::query("DELETE FROM sp_secrets WHERE principal_id = $1")
            .bind(&secret.principal_id)
            .execute(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO sp_secrets (id, principal_id, secret_hash, hint, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&secret.id)
        .bind(&secret.principal_id)
        .bind(&secret.secret_hash)
        .bind(&secret.hint)
        .bind(&secret.expires_at)
        .bind(&at)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
