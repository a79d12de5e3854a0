//! Cost data: the loads (one per tenant, billing account and billing period) and their daily
//! aggregates, and the queries over them.
//!
//! The detail rows live in Parquet files; the database keeps one row per day and combination of
//! the dimensions a hierarchy query groups by ([`DailyKey`]), with the sums as exact integers
//! in nano-units of the billing currency. Grouping and summing happen in SQL.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{get_i64, get_json, get_str, Backend, Store, StoreError, WriteTx};

/// How many daily rows one INSERT statement carries (19 parameters each on SQLite, 18 on
/// PostgreSQL; SQLite allows 32,766).
const INSERT_BATCH: usize = 500;

/// One ingested billing period of one billing account.
#[derive(Debug, Clone, PartialEq)]
pub struct CostLoadRow {
    pub billing_account_id: String,
    /// `YYYY-MM` of BillingPeriodStart.
    pub period: String,
    /// A GUID, new for every load.
    pub load_id: String,
    /// `[{"file", "format"}]`.
    pub sources: Value,
    pub n_rows: i64,
    /// `{currency: {"billedCost", "effectiveCost", "listCost"}}`, exact decimals as strings.
    pub totals: Value,
    /// The Parquet file of the detail rows, relative to the cost directory.
    pub detail_path: String,
    pub loaded_at: String,
    pub loaded_by: String,
}

/// The dimensions of one daily aggregate row. Empty strings stand for "none".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DailyKey {
    pub billing_account_id: String,
    pub period: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// A subscription GUID (lowercase), a 12-digit AWS account id, `other:{id}`, or ''.
    pub sub_account: String,
    /// Lowercase, or ''.
    pub resource_group: String,
    pub service_name: String,
    pub service_category: String,
    pub region: String,
    pub charge_category: String,
    pub pricing_category: String,
    pub commitment_discount_id: String,
    pub currency: String,
    /// [`tag_set_id`] of the row's tags.
    pub tag_set: i64,
}

/// The sums of one daily aggregate row, in nano-units of its currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DailySums {
    pub billed_nanos: i64,
    pub effective_nanos: i64,
    pub list_nanos: i64,
    pub contracted_nanos: i64,
    pub n_rows: i64,
}

/// Returns the id of a tag set: 0 for no tags, else a stable 63-bit FNV-1a hash of the sorted
/// `(lowercase key, value)` pairs. The same tags give the same id in every process and release.
pub fn tag_set_id(tags: &[(String, String)]) -> i64 {
    if tags.is_empty() {
        return 0;
    }
    let mut pairs: Vec<(String, &str)> = tags
        .iter()
        .map(|(k, v)| (k.to_lowercase(), v.as_str()))
        .collect();
    pairs.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (key, value) in &pairs {
        for byte in key.bytes().chain([0xff]).chain(value.bytes()).chain([0xfe]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    // Keep it positive and never 0 (0 is "no tags").
    let id = i64::try_from(hash >> 1).unwrap_or(i64::MAX);
    id.max(1)
}

/// A dimension a cost query groups or filters by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostDim {
    BillingAccount,
    SubAccount,
    ResourceGroup,
    ServiceName,
    ServiceCategory,
    Region,
    ChargeCategory,
    PricingCategory,
    CommitmentDiscountId,
    Currency,
    /// The value of a tag key (case-insensitive); '' where the tag is missing.
    Tag(String),
}

impl CostDim {
    fn column(&self) -> Option<&'static str> {
        Some(match self {
            CostDim::BillingAccount => "d.billing_account_id",
            CostDim::SubAccount => "d.sub_account",
            CostDim::ResourceGroup => "d.resource_group",
            CostDim::ServiceName => "d.service_name",
            CostDim::ServiceCategory => "d.service_category",
            CostDim::Region => "d.region",
            CostDim::ChargeCategory => "d.charge_category",
            CostDim::PricingCategory => "d.pricing_category",
            CostDim::CommitmentDiscountId => "d.commitment_discount_id",
            CostDim::Currency => "d.currency",
            CostDim::Tag(_) => return None,
        })
    }
}

/// A filter over the daily rows: dimension values (case-insensitive), combined with and/or/not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostFilter {
    And(Vec<CostFilter>),
    Or(Vec<CostFilter>),
    Not(Box<CostFilter>),
    In(CostDim, Vec<String>),
    /// Rows whose tags lack this key (case-insensitive).
    MissingTag(String),
}

/// The time buckets of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    None,
    Daily,
    Monthly,
}

/// A query over one tenant's daily rows.
#[derive(Debug, Clone)]
pub struct CostQuery {
    /// First day, `YYYY-MM-DD`, inclusive.
    pub from_day: String,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub to_day: String,
    /// Only these sub-accounts (already normalized); `None` for all of the tenant's rows.
    pub sub_accounts: Option<Vec<String>>,
    pub granularity: Granularity,
    pub group_by: Vec<CostDim>,
    pub filter: Option<CostFilter>,
}

/// One group of a query's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostQueryRow {
    /// `YYYY-MM-DD` (daily: the charge day), `YYYY-MM` (monthly: the billing period) or '' (none).
    pub bucket: String,
    /// The values of `group_by`, in order.
    pub dims: Vec<String>,
    pub currency: String,
    pub sums: DailySums,
}

/// A sub-account's cost in the tenant's daily rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAccountCost {
    pub sub_account: String,
    pub currency: String,
    pub first_day: String,
    pub last_day: String,
    pub sums: DailySums,
}

const LOAD_COLUMNS: &str = "billing_account_id, period, load_id, sources, n_rows, totals, \
                            detail_path, loaded_at, loaded_by";

fn load_row(row: &AnyRow) -> Result<CostLoadRow, StoreError> {
    Ok(CostLoadRow {
        billing_account_id: get_str(row, "billing_account_id")?,
        period: get_str(row, "period")?,
        load_id: get_str(row, "load_id")?,
        sources: get_json(row, "sources")?,
        n_rows: get_i64(row, "n_rows")?,
        totals: get_json(row, "totals")?,
        detail_path: get_str(row, "detail_path")?,
        loaded_at: get_str(row, "loaded_at")?,
        loaded_by: get_str(row, "loaded_by")?,
    })
}

fn sums(row: &AnyRow) -> Result<DailySums, StoreError> {
    Ok(DailySums {
        billed_nanos: get_i64(row, "billed")?,
        effective_nanos: get_i64(row, "effective")?,
        list_nanos: get_i64(row, "list")?,
        contracted_nanos: get_i64(row, "contracted")?,
        n_rows: get_i64(row, "n")?,
    })
}

/// Appends `$n` to `sql` and pushes the value to bind.
fn param(sql: &mut String, binds: &mut Vec<String>, value: impl Into<String>) {
    binds.push(value.into());
    let _ = write!(sql, "${}", binds.len());
}

/// Writes the SQL of a filter; tag filters become `EXISTS` over `cost_tags`.
fn filter_sql(filter: &CostFilter, sql: &mut String, binds: &mut Vec<String>) {
    match filter {
        CostFilter::And(parts) | CostFilter::Or(parts) => {
            let joiner = if matches!(filter, CostFilter::And(_)) {
                " AND "
            } else {
                " OR "
            };
            if parts.is_empty() {
                sql.push_str(if matches!(filter, CostFilter::And(_)) {
                    "1 = 1"
                } else {
                    "1 = 0"
                });
                return;
            }
            sql.push('(');
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    sql.push_str(joiner);
                }
                filter_sql(part, sql, binds);
            }
            sql.push(')');
        }
        CostFilter::Not(inner) => {
            sql.push_str("NOT (");
            filter_sql(inner, sql, binds);
            sql.push(')');
        }
        CostFilter::MissingTag(key) => {
            sql.push_str(
                "NOT EXISTS (SELECT 1 FROM cost_tags m WHERE m.tenant_id = d.tenant_id \
                 AND m.tag_set = d.tag_set AND m.tag_key = ",
            );
            param(sql, binds, key.to_lowercase());
            sql.push(')');
        }
        CostFilter::In(dim, values) => {
            if values.is_empty() {
                sql.push_str("1 = 0");
                return;
            }
            let values: Vec<String> = values.iter().map(|v| v.to_lowercase()).collect();
            match dim.column() {
                Some(column) => {
                    let _ = write!(sql, "LOWER({column}) IN (");
                    for (i, v) in values.into_iter().enumerate() {
                        if i > 0 {
                            sql.push_str(", ");
                        }
                        param(sql, binds, v);
                    }
                    sql.push(')');
                }
                None => {
                    let CostDim::Tag(key) = dim else { return };
                    sql.push_str(
                        "EXISTS (SELECT 1 FROM cost_tags f WHERE f.tenant_id = d.tenant_id \
                         AND f.tag_set = d.tag_set AND f.tag_key = ",
                    );
                    param(sql, binds, key.to_lowercase());
                    sql.push_str(" AND LOWER(f.tag_value) IN (");
                    for (i, v) in values.into_iter().enumerate() {
                        if i > 0 {
                            sql.push_str(", ");
                        }
                        param(sql, binds, v);
                    }
                    sql.push_str("))");
                }
            }
        }
    }
}

/// Up to this many sub-accounts, a query lists them inline, one parameter each.
const INLINE_SUB_ACCOUNTS: usize = 256;

impl Store {
    /// Lists a tenant's loads, by billing account and period.
    pub async fn cost_loads(&self, tenant: &str) -> Result<Vec<CostLoadRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {LOAD_COLUMNS} FROM cost_loads WHERE tenant_id = $1 \
             ORDER BY billing_account_id, period"
        ))
        .bind(tenant)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(load_row).collect()
    }

    /// Runs a cost query over one tenant's daily rows. A query over many sub-accounts (a
    /// management group high in a large hierarchy) passes them as one parameter.
    pub async fn cost_query(
        &self,
        tenant: &str,
        query: &CostQuery,
    ) -> Result<Vec<CostQueryRow>, StoreError> {
        let mut binds: Vec<String> = Vec::new();
        let mut select: Vec<String> = Vec::new();
        let mut joins = String::new();
        let bucket = match query.granularity {
            Granularity::None => "''".to_owned(),
            Granularity::Daily => "d.day".to_owned(),
            // The billing month, as Azure's `BillingMonth` column is.
            Granularity::Monthly => "d.period".to_owned(),
        };
        select.push(format!("{bucket} AS bucket"));
        let mut tail = String::new();
        for (i, dim) in query.group_by.iter().enumerate() {
            match (dim.column(), dim) {
                (Some(column), _) => select.push(format!("{column} AS g{i}")),
                (None, CostDim::Tag(key)) => {
                    let _ = write!(
                        joins,
                        " LEFT JOIN cost_tags t{i} ON t{i}.tenant_id = d.tenant_id \
                         AND t{i}.tag_set = d.tag_set AND t{i}.tag_key = "
                    );
                    param(&mut joins, &mut binds, key.to_lowercase());
                    select.push(format!("COALESCE(t{i}.tag_value, '') AS g{i}"));
                }
                (None, _) => {}
            }
        }
        let mut sql = format!(
            "SELECT {}, d.currency AS currency, \
             CAST(SUM(d.billed_nanos) AS BIGINT) AS billed, \
             CAST(SUM(d.effective_nanos) AS BIGINT) AS effective, \
             CAST(SUM(d.list_nanos) AS BIGINT) AS list, \
             CAST(SUM(d.contracted_nanos) AS BIGINT) AS contracted, \
             CAST(SUM(d.n_rows) AS BIGINT) AS n \
             FROM cost_daily d{joins} WHERE d.tenant_id = ",
            select.join(", ")
        );
        param(&mut sql, &mut binds, tenant);
        sql.push_str(" AND d.day >= ");
        param(&mut sql, &mut binds, query.from_day.clone());
        sql.push_str(" AND d.day <= ");
        param(&mut sql, &mut binds, query.to_day.clone());
        if let Some(sub_accounts) = &query.sub_accounts {
            if sub_accounts.is_empty() {
                return Ok(Vec::new());
            }
            if sub_accounts.len() <= INLINE_SUB_ACCOUNTS {
                sql.push_str(" AND d.sub_account IN (");
                for (i, s) in sub_accounts.iter().enumerate() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    param(&mut sql, &mut binds, s.clone());
                }
                sql.push(')');
            } else {
                // A large group's subscriptions travel as one JSON array: one parameter each
                // would pass SQLite's limit of 32,766 (and PostgreSQL's of 65,535).
                let list = serde_json::to_string(sub_accounts).unwrap_or_else(|_| "[]".into());
                match self.backend {
                    crate::Backend::Sqlite => {
                        sql.push_str(" AND d.sub_account IN (SELECT value FROM json_each(");
                        param(&mut sql, &mut binds, list);
                        sql.push_str("))");
                    }
                    crate::Backend::Postgres => {
                        sql.push_str(
                            " AND d.sub_account IN (SELECT jsonb_array_elements_text(CAST(",
                        );
                        param(&mut sql, &mut binds, list);
                        sql.push_str(" AS jsonb)))");
                    }
                }
            }
        }
        if let Some(filter) = &query.filter {
            sql.push_str(" AND ");
            filter_sql(filter, &mut sql, &mut binds);
        }
        let groups: Vec<String> = (0..query.group_by.len()).map(|i| format!("g{i}")).collect();
        let _ = write!(
            tail,
            " GROUP BY bucket{}{}, currency ORDER BY bucket{}{}, currency",
            if groups.is_empty() { "" } else { ", " },
            groups.join(", "),
            if groups.is_empty() { "" } else { ", " },
            groups.join(", ")
        );
        sql.push_str(&tail);
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b.as_str());
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                let dims = (0..query.group_by.len())
                    .map(|i| row.try_get::<String, _>(format!("g{i}").as_str()))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(CostQueryRow {
                    bucket: get_str(row, "bucket")?,
                    dims,
                    currency: get_str(row, "currency")?,
                    sums: sums(row)?,
                })
            })
            .collect()
    }

    /// Returns the cost of every sub-account in the tenant's daily rows (all days), so the
    /// caller can tell which of them the hierarchy does not know.
    pub async fn cost_by_sub_account(
        &self,
        tenant: &str,
    ) -> Result<Vec<SubAccountCost>, StoreError> {
        let rows = sqlx::query(
            "SELECT sub_account, currency, MIN(day) AS first_day, MAX(day) AS last_day, \
             CAST(SUM(billed_nanos) AS BIGINT) AS billed, \
             CAST(SUM(effective_nanos) AS BIGINT) AS effective, \
             CAST(SUM(list_nanos) AS BIGINT) AS list, \
             CAST(SUM(contracted_nanos) AS BIGINT) AS contracted, \
             CAST(SUM(n_rows) AS BIGINT) AS n \
             FROM cost_daily WHERE tenant_id = $1 GROUP BY sub_account, currency \
             ORDER BY sub_account, currency",
        )
        .bind(tenant)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SubAccountCost {
                    sub_account: get_str(row, "sub_account")?,
                    currency: get_str(row, "currency")?,
                    first_day: get_str(row, "first_day")?,
                    last_day: get_str(row, "last_day")?,
                    sums: sums(row)?,
                })
            })
            .collect()
    }

    /// Returns the tags seen in the tenant's cost data: key → number of tag sets with it.
    pub async fn cost_tag_keys(&self, tenant: &str) -> Result<BTreeMap<String, i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT tag_key, CAST(COUNT(*) AS BIGINT) AS n FROM cost_tags WHERE tenant_id = $1 \
             GROUP BY tag_key ORDER BY tag_key",
        )
        .bind(tenant)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((get_str(row, "tag_key")?, get_i64(row, "n")?)))
            .collect()
    }
}

/// A tagging rule: cost at `scope` and below must carry `tag_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRuleRow {
    pub scope: String,
    /// Lowercase.
    pub tag_key: String,
    pub created_at: String,
    pub created_by: String,
}

impl Store {
    /// Lists a tenant's tagging rules, by scope and key.
    pub async fn tag_rules(&self, tenant: &str) -> Result<Vec<TagRuleRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT scope, tag_key, created_at, created_by FROM tag_rules WHERE tenant_id = $1 \
             ORDER BY scope_key, tag_key",
        )
        .bind(tenant)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TagRuleRow {
                    scope: get_str(row, "scope")?,
                    tag_key: get_str(row, "tag_key")?,
                    created_at: get_str(row, "created_at")?,
                    created_by: get_str(row, "created_by")?,
                })
            })
            .collect()
    }
}

impl WriteTx<'_> {
    /// Adds a tagging rule (idempotent); returns whether it is new.
    pub async fn put_tag_rule(&mut self, rule: &TagRuleRow) -> Result<bool, StoreError> {
        let tenant = self.tenant().to_owned();
        let added = sqlx::query(
            "INSERT INTO tag_rules (tenant_id, scope, scope_key, tag_key, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(&tenant)
        .bind(&rule.scope)
        .bind(rule.scope.to_lowercase())
        .bind(rule.tag_key.to_lowercase())
        .bind(&rule.created_at)
        .bind(&rule.created_by)
        .execute(self.conn())
        .await?
        .rows_affected()
            > 0;
        Ok(added)
    }

    /// Removes a tagging rule; returns whether it existed.
    pub async fn delete_tag_rule(
        &mut self,
        scope: &str,
        tag_key: &str,
    ) -> Result<bool, StoreError> {
        let tenant = self.tenant().to_owned();
        let gone = sqlx::query(
            "DELETE FROM tag_rules WHERE tenant_id = $1 AND scope_key = $2 AND tag_key = $3",
        )
        .bind(&tenant)
        .bind(scope.to_lowercase())
        .bind(tag_key.to_lowercase())
        .execute(self.conn())
        .await?
        .rows_affected()
            > 0;
        Ok(gone)
    }
}

impl WriteTx<'_> {
    /// Replaces the load of `(billing account, period)`: deletes its daily rows and inserts
    /// `daily`, stores the tag sets `daily` refers to, and records the load. Returns the load
    /// it replaced, if any (its detail file is the caller's to remove after commit).
    pub async fn replace_cost_load(
        &mut self,
        load: &CostLoadRow,
        daily: &[(DailyKey, DailySums)],
        tag_sets: &[(i64, Vec<(String, String)>)],
    ) -> Result<Option<CostLoadRow>, StoreError> {
        let tenant = self.tenant().to_owned();
        let previous = sqlx::query(&format!(
            "SELECT {LOAD_COLUMNS} FROM cost_loads \
             WHERE tenant_id = $1 AND billing_account_id = $2 AND period = $3"
        ))
        .bind(&tenant)
        .bind(&load.billing_account_id)
        .bind(&load.period)
        .fetch_optional(self.conn())
        .await?
        .as_ref()
        .map(load_row)
        .transpose()?;
        sqlx::query(
            "DELETE FROM cost_daily WHERE tenant_id = $1 AND billing_account_id = $2 AND period = $3",
        )
        .bind(&tenant)
        .bind(&load.billing_account_id)
        .bind(&load.period)
        .execute(self.conn())
        .await?;
        sqlx::query(
            "DELETE FROM cost_loads WHERE tenant_id = $1 AND billing_account_id = $2 AND period = $3",
        )
        .bind(&tenant)
        .bind(&load.billing_account_id)
        .bind(&load.period)
        .execute(self.conn())
        .await?;
        sqlx::query(&format!(
            "INSERT INTO cost_loads (tenant_id, {LOAD_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&tenant)
        .bind(&load.billing_account_id)
        .bind(&load.period)
        .bind(&load.load_id)
        .bind(load.sources.to_string())
        .bind(load.n_rows)
        .bind(load.totals.to_string())
        .bind(&load.detail_path)
        .bind(&load.loaded_at)
        .bind(&load.loaded_by)
        .execute(self.conn())
        .await?;
        // SQLite gets anonymous `?` parameters: sqlx finds the index of each numbered one
        // (`$N`) with sqlite3_bind_parameter_name, a linear search, which made a statement of
        // 500 rows cost 9,000² steps (77% of an ingest's time). The tenant is bound per row.
        let anonymous = self.backend() == Backend::Sqlite;
        for chunk in daily.chunks(INSERT_BATCH) {
            let mut sql = String::from(
                "INSERT INTO cost_daily (tenant_id, billing_account_id, period, day, sub_account, \
                 resource_group, service_name, service_category, region, charge_category, \
                 pricing_category, commitment_discount_id, currency, tag_set, billed_nanos, \
                 effective_nanos, list_nanos, contracted_nanos, n_rows) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                if anonymous {
                    sql.push_str("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                    continue;
                }
                let base = i * 18 + 1;
                sql.push_str("($1");
                for p in base..base + 18 {
                    let _ = write!(sql, ", ${}", p + 1);
                }
                sql.push(')');
            }
            let mut q = sqlx::query(&sql);
            if !anonymous {
                q = q.bind(&tenant);
            }
            for (key, sums) in chunk {
                if anonymous {
                    q = q.bind(&tenant);
                }
                q = q
                    .bind(&key.billing_account_id)
                    .bind(&key.period)
                    .bind(&key.day)
                    .bind(&key.sub_account)
                    .bind(&key.resource_group)
                    .bind(&key.service_name)
                    .bind(&key.service_category)
                    .bind(&key.region)
                    .bind(&key.charge_category)
                    .bind(&key.pricing_category)
                    .bind(&key.commitment_discount_id)
                    .bind(&key.currency)
                    .bind(key.tag_set)
                    .bind(sums.billed_nanos)
                    .bind(sums.effective_nanos)
                    .bind(sums.list_nanos)
                    .bind(sums.contracted_nanos)
                    .bind(sums.n_rows);
            }
            q.execute(self.conn()).await?;
        }
        // Tags in statements of many rows too (one statement per tag was half of a large
        // ingest's write transaction).
        let mut tag_rows: Vec<(i64, String, &str)> = Vec::new();
        for (id, tags) in tag_sets {
            let mut seen: Vec<String> = Vec::with_capacity(tags.len());
            for (key, value) in tags {
                let key = key.to_lowercase();
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key.clone());
                tag_rows.push((*id, key, value.as_str()));
            }
        }
        for chunk in tag_rows.chunks(INSERT_BATCH) {
            let mut sql = String::from(
                "INSERT INTO cost_tags (tenant_id, tag_set, tag_key, tag_value) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                if anonymous {
                    sql.push_str("(?, ?, ?, ?)");
                } else {
                    let base = i * 3 + 1;
                    let _ = write!(sql, "($1, ${}, ${}, ${})", base + 1, base + 2, base + 3);
                }
            }
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(&sql);
            if !anonymous {
                q = q.bind(&tenant);
            }
            for (id, key, value) in chunk {
                if anonymous {
                    q = q.bind(&tenant);
                }
                q = q.bind(*id).bind(key).bind(*value);
            }
            q.execute(self.conn()).await?;
        }
        Ok(previous)
    }
}

/// A cost anomaly as first reported.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyRow {
    pub anomaly_id: String,
    pub key: String,
    pub first_day: String,
    pub reported_at: String,
    pub content: Value,
}

impl Store {
    /// Lists the anomalies reported for a tenant, newest first.
    pub async fn cost_anomalies(&self, tenant: &str) -> Result<Vec<AnomalyRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT anomaly_id, anomaly_key, first_day, reported_at, content FROM cost_anomalies \
             WHERE tenant_id = $1 ORDER BY reported_at DESC, first_day DESC, anomaly_id",
        )
        .bind(tenant)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AnomalyRow {
                    anomaly_id: get_str(row, "anomaly_id")?,
                    key: get_str(row, "anomaly_key")?,
                    first_day: get_str(row, "first_day")?,
                    reported_at: get_str(row, "reported_at")?,
                    content: get_json(row, "content")?,
                })
            })
            .collect()
    }

    /// Returns the tenant's price sheet (JSON) with when and by whom it was set.
    pub async fn price_sheet(
        &self,
        tenant: &str,
    ) -> Result<Option<(Value, String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT sheet, updated_at, updated_by FROM price_sheets WHERE tenant_id = $1",
        )
        .bind(tenant)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok((
                get_json(&row, "sheet")?,
                get_str(&row, "updated_at")?,
                get_str(&row, "updated_by")?,
            ))
        })
        .transpose()
    }
}

impl WriteTx<'_> {
    /// Records an anomaly as reported, unless it already was; returns whether it is new.
    pub async fn report_anomaly(
        &mut self,
        anomaly_id: &str,
        key: &str,
        first_day: &str,
        content: &Value,
    ) -> Result<bool, StoreError> {
        let tenant = self.tenant().to_owned();
        let at = crate::format_time(self.now());
        let inserted = sqlx::query(
            "INSERT INTO cost_anomalies (tenant_id, anomaly_id, anomaly_key, first_day, \
             reported_at, content) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(&tenant)
        .bind(anomaly_id)
        .bind(key)
        .bind(first_day)
        .bind(&at)
        .bind(content.to_string())
        .execute(self.conn())
        .await?
        .rows_affected()
            > 0;
        Ok(inserted)
    }

    /// Sets the tenant's price sheet; returns the one it replaced.
    pub async fn put_price_sheet(
        &mut self,
        sheet: &Value,
        by: &str,
    ) -> Result<Option<Value>, StoreError> {
        let tenant = self.tenant().to_owned();
        let before = sqlx::query("SELECT sheet FROM price_sheets WHERE tenant_id = $1")
            .bind(&tenant)
            .fetch_optional(self.conn())
            .await?
            .map(|row| get_json(&row, "sheet"))
            .transpose()?;
        let at = crate::format_time(self.now());
        sqlx::query(
            "INSERT INTO price_sheets (tenant_id, sheet, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE \
             SET sheet = excluded.sheet, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(&tenant)
        .bind(sheet.to_string())
        .bind(&at)
        .bind(by)
        .execute(self.conn())
        .await?;
        Ok(before)
    }
}
