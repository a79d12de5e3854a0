//! Reading FOCUS files: the plan for one header (which column is which) and the validation and conversion of one row into a [`CostRow`].
//!
//! Every FOCUS column of the file's version is checked in every row: nullability, data type, allowed values, currency codes and key-value JSON.
//! Columns that are neither FOCUS columns of that version nor `x_`-prefixed are reported once, as unknown, and otherwise ignored.
//! This module does not open files or decide what a violation does to the read; the reader does.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::error::Problem;
use crate::parse::{
    flat_key_values, is_currency_code, parse_datetime, parse_decimal, parse_json_object,
};
use crate::reader::parquet::Expected;
use crate::reader::RowCtx;
use crate::row::{
    ChargeCategory, ChargeClass, ChargeFrequency, CommitmentDiscountCategory,
    CommitmentDiscountStatus, CostRow, PricingCategory, ServiceCategory,
};
use crate::spec::{ColumnSpec, DataType, FocusVersion, ValueFormat};

/// Where each [`CostRow`] field comes from in one file: the index of its column, if present.
///
/// Each field lists its column's names, newest first; only names that are columns of the file's version count,
/// so a 0.5 file's `BilledCurrency` fills `billing_currency`, and a stray `BillingCurrency` column in a 0.5 file does not.
#[derive(Debug, Default)]
struct FieldColumns {
    availability_zone: Option<usize>,
    billed_cost: Option<usize>,
    billing_account_id: Option<usize>,
    billing_account_name: Option<usize>,
    billing_currency: Option<usize>,
    billing_period_end: Option<usize>,
    billing_period_start: Option<usize>,
    charge_category: Option<usize>,
    charge_class: Option<usize>,
    charge_description: Option<usize>,
    charge_frequency: Option<usize>,
    charge_period_end: Option<usize>,
    charge_period_start: Option<usize>,
    commitment_discount_category: Option<usize>,
    commitment_discount_id: Option<usize>,
    commitment_discount_name: Option<usize>,
    commitment_discount_status: Option<usize>,
    commitment_discount_type: Option<usize>,
    consumed_quantity: Option<usize>,
    consumed_unit: Option<usize>,
    contracted_cost: Option<usize>,
    contracted_unit_price: Option<usize>,
    effective_cost: Option<usize>,
    invoice_issuer_name: Option<usize>,
    list_cost: Option<usize>,
    list_unit_price: Option<usize>,
    pricing_category: Option<usize>,
    pricing_quantity: Option<usize>,
    pricing_unit: Option<usize>,
    provider_name: Option<usize>,
    publisher_name: Option<usize>,
    region_id: Option<usize>,
    region_name: Option<usize>,
    resource_id: Option<usize>,
    resource_name: Option<usize>,
    resource_type: Option<usize>,
    service_category: Option<usize>,
    service_name: Option<usize>,
    sku_id: Option<usize>,
    sku_price_id: Option<usize>,
    sub_account_id: Option<usize>,
    sub_account_name: Option<usize>,
    tags: Option<usize>,
}

/// How to read the rows of one FOCUS file.
#[derive(Debug)]
pub(crate) struct FocusPlan {
    /// The FOCUS columns of the file, by column index.
    checks: Vec<(usize, &'static ColumnSpec)>,
    fields: FieldColumns,
    /// FOCUS columns without a `CostRow` field, sorted by name.
    later_columns: Vec<(usize, &'static str)>,
    /// `x_` columns, sorted by name.
    x_columns: Vec<(usize, Arc<str>)>,
    /// Columns that are neither FOCUS columns of the version nor `x_` columns.
    unknown_columns: Vec<Arc<str>>,
}

impl FocusPlan {
    /// Plans the reading of a file with this header, or returns the Mandatory columns it lacks.
    pub(crate) fn new(
        version: FocusVersion,
        names: &[Arc<str>],
    ) -> Result<Self, Vec<&'static str>> {
        let missing: Vec<&'static str> = version
            .required_columns()
            .filter(|spec| !names.iter().any(|name| name.as_ref() == spec.name))
            .map(|spec| spec.name)
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }

        let mut seen = HashSet::new();
        let mut checks = Vec::new();
        let mut x_columns = Vec::new();
        let mut unknown_columns = Vec::new();
        for (column_idx, name) in names.iter().enumerate() {
            if !seen.insert(name.as_ref()) {
                // A repeated column name: the first one counts.
                continue;
            }
            if let Some(spec) = version.column(name) {
                checks.push((column_idx, spec));
            } else if name.starts_with("x_") {
                x_columns.push((column_idx, Arc::clone(name)));
            } else {
                unknown_columns.push(Arc::clone(name));
            }
        }
        x_columns.sort_by(|(_, left), (_, right)| left.cmp(right));

        let find = |candidates: &[&str]| -> Option<usize> {
            candidates.iter().find_map(|candidate| {
                checks
                    .iter()
                    .find(|(_, spec)| spec.name == *candidate)
                    .map(|(column_idx, _)| *column_idx)
            })
        };
        let fields = FieldColumns {
            availability_zone: find(&["AvailabilityZone"]),
            billed_cost: find(&["BilledCost"]),
            billing_account_id: find(&["BillingAccountId"]),
            billing_account_name: find(&["BillingAccountName"]),
            billing_currency: find(&["BillingCurrency", "BilledCurrency"]),
            billing_period_end: find(&["BillingPeriodEnd"]),
            billing_period_start: find(&["BillingPeriodStart"]),
            charge_category: find(&["ChargeCategory", "ChargeType"]),
            charge_class: find(&["ChargeClass"]),
            charge_description: find(&["ChargeDescription"]),
            charge_frequency: find(&["ChargeFrequency"]),
            charge_period_end: find(&["ChargePeriodEnd"]),
            charge_period_start: find(&["ChargePeriodStart"]),
            commitment_discount_category: find(&["CommitmentDiscountCategory"]),
            commitment_discount_id: find(&["CommitmentDiscountId"]),
            commitment_discount_name: find(&["CommitmentDiscountName"]),
            commitment_discount_status: find(&["CommitmentDiscountStatus"]),
            commitment_discount_type: find(&["CommitmentDiscountType"]),
            consumed_quantity: find(&["ConsumedQuantity"]),
            consumed_unit: find(&["ConsumedUnit"]),
            contracted_cost: find(&["ContractedCost"]),
            contracted_unit_price: find(&["ContractedUnitPrice"]),
            effective_cost: find(&["EffectiveCost", "AmortizedCost"]),
            invoice_issuer_name: find(&["InvoiceIssuerName", "InvoiceIssuer"]),
            list_cost: find(&["ListCost"]),
            list_unit_price: find(&["ListUnitPrice"]),
            pricing_category: find(&["PricingCategory"]),
            pricing_quantity: find(&["PricingQuantity"]),
            pricing_unit: find(&["PricingUnit"]),
            provider_name: find(&["ProviderName", "Provider"]),
            publisher_name: find(&["PublisherName", "Publisher"]),
            region_id: find(&["RegionId", "Region"]),
            region_name: find(&["RegionName"]),
            resource_id: find(&["ResourceId", "ResourceID"]),
            resource_name: find(&["ResourceName"]),
            resource_type: find(&["ResourceType"]),
            service_category: find(&["ServiceCategory"]),
            service_name: find(&["ServiceName"]),
            sku_id: find(&["SkuId"]),
            sku_price_id: find(&["SkuPriceId"]),
            sub_account_id: find(&["SubAccountId"]),
            sub_account_name: find(&["SubAccountName"]),
            tags: find(&["Tags"]),
        };

        // Every FOCUS column of the file that no field reads is kept as text.
        let v1_0 = FocusVersion::V1_0;
        let mut later_columns: Vec<(usize, &'static str)> = checks
            .iter()
            .filter(|(_, spec)| {
                v1_0.column(spec.name).is_none() && FocusVersion::V0_5.column(spec.name).is_none()
            })
            .map(|(column_idx, spec)| (*column_idx, spec.name))
            .collect();
        later_columns.sort_by_key(|(_, name)| *name);

        Ok(FocusPlan {
            checks,
            fields,
            later_columns,
            x_columns,
            unknown_columns,
        })
    }

    /// Returns what is read from each of the file's `n_columns` columns: the FOCUS data type of a FOCUS column, any scalar of an `x_` column, and nothing of an unknown one.
    pub(crate) fn expected(&self, n_columns: usize) -> Vec<Expected> {
        let mut expected = vec![Expected::Skip; n_columns];
        for (column_idx, spec) in &self.checks {
            if let Some(slot) = expected.get_mut(*column_idx) {
                *slot = Expected::Focus(spec.data_type);
            }
        }
        for (column_idx, _) in &self.x_columns {
            if let Some(slot) = expected.get_mut(*column_idx) {
                *slot = Expected::Any;
            }
        }
        expected
    }

    /// Returns the columns that are neither FOCUS columns of the file's version nor `x_` columns.
    pub(crate) fn unknown_columns(&self) -> &[Arc<str>] {
        &self.unknown_columns
    }

    /// Validates one row and converts it, or returns `None` if a value the row cannot do without is bad; the violations are in `ctx`.
    pub(crate) fn convert(&self, ctx: &mut RowCtx<'_>) -> Option<CostRow> {
        let mut cells = Cells {
            cells: (0..ctx.n_fields()).map(|_| Cell::Null).collect(),
        };
        for (column_idx, spec) in &self.checks {
            let cell = check(ctx, *column_idx, spec);
            if let Some(slot) = cells.cells.get_mut(*column_idx) {
                *slot = cell;
            }
        }

        let fields = &self.fields;
        let later_focus_columns = self
            .later_columns
            .iter()
            .filter(|(column_idx, _)| cells.is_good(*column_idx))
            .filter_map(|(column_idx, name)| {
                ctx.text(Some(*column_idx))
                    .map(|value| (*name, value.to_owned()))
            })
            .collect();
        let x_columns = self
            .x_columns
            .iter()
            .filter_map(|(column_idx, name)| {
                ctx.text(Some(*column_idx))
                    .map(|value| (Arc::clone(name), value.to_owned()))
            })
            .collect();

        // The fields every row has; a bad value in any of them rejects the row.
        let billed_cost = cells.decimal(fields.billed_cost);
        let billing_account_id = cells.text(fields.billing_account_id);
        let billing_currency = cells.text(fields.billing_currency);
        let billing_period_end = cells.time(fields.billing_period_end);
        let billing_period_start = cells.time(fields.billing_period_start);
        let charge_category = cells.parsed(fields.charge_category, ChargeCategory::parse);
        let charge_period_end = cells.time(fields.charge_period_end);
        let charge_period_start = cells.time(fields.charge_period_start);
        let effective_cost = cells.decimal(fields.effective_cost);
        let (
            Some(billed_cost),
            Some(billing_account_id),
            Some(billing_currency),
            Some(billing_period_end),
            Some(billing_period_start),
            Some(charge_category),
            Some(charge_period_end),
            Some(charge_period_start),
            Some(effective_cost),
        ) = (
            billed_cost,
            billing_account_id,
            billing_currency,
            billing_period_end,
            billing_period_start,
            charge_category,
            charge_period_end,
            charge_period_start,
            effective_cost,
        )
        else {
            // INVARIANT (rejected rows are explained): these columns are Mandatory and non-nullable in every version,
            // and present (checked by `FocusPlan::new`), so a missing value is a null or bad value that `check` reported.
            debug_assert!(!ctx.violations.is_empty());
            return None;
        };

        Some(CostRow {
            availability_zone: cells.text(fields.availability_zone),
            billed_cost,
            billing_account_id,
            billing_account_name: cells.text(fields.billing_account_name),
            billing_currency,
            billing_period_end,
            billing_period_start,
            charge_category,
            charge_class: cells.parsed(fields.charge_class, ChargeClass::parse),
            charge_description: cells.text(fields.charge_description),
            charge_frequency: cells.parsed(fields.charge_frequency, ChargeFrequency::parse),
            charge_period_end,
            charge_period_start,
            commitment_discount_category: cells.parsed(
                fields.commitment_discount_category,
                CommitmentDiscountCategory::parse,
            ),
            commitment_discount_id: cells.text(fields.commitment_discount_id),
            commitment_discount_name: cells.text(fields.commitment_discount_name),
            commitment_discount_status: cells.parsed(
                fields.commitment_discount_status,
                CommitmentDiscountStatus::parse,
            ),
            commitment_discount_type: cells.text(fields.commitment_discount_type),
            consumed_quantity: cells.decimal(fields.consumed_quantity),
            consumed_unit: cells.text(fields.consumed_unit),
            contracted_cost: cells.decimal(fields.contracted_cost),
            contracted_unit_price: cells.decimal(fields.contracted_unit_price),
            effective_cost,
            invoice_issuer_name: cells.text(fields.invoice_issuer_name),
            list_cost: cells.decimal(fields.list_cost),
            list_unit_price: cells.decimal(fields.list_unit_price),
            pricing_category: cells.parsed(fields.pricing_category, PricingCategory::parse),
            pricing_quantity: cells.decimal(fields.pricing_quantity),
            pricing_unit: cells.text(fields.pricing_unit),
            provider_name: cells.text(fields.provider_name),
            publisher_name: cells.text(fields.publisher_name),
            region_id: cells.text(fields.region_id),
            region_name: cells.text(fields.region_name),
            resource_id: cells.text(fields.resource_id),
            resource_name: cells.text(fields.resource_name),
            resource_type: cells.text(fields.resource_type),
            service_category: cells.parsed(fields.service_category, ServiceCategory::parse),
            service_name: cells.text(fields.service_name),
            sku_id: cells.text(fields.sku_id),
            sku_price_id: cells.text(fields.sku_price_id),
            sub_account_id: cells.text(fields.sub_account_id),
            sub_account_name: cells.text(fields.sub_account_name),
            tags: cells.tags(fields.tags),
            later_focus_columns,
            x_columns,
        })
    }
}

/// A checked value of one FOCUS column in one row.
#[derive(Debug)]
enum Cell<'r> {
    /// Null (allowed).
    Null,
    /// A value that broke a rule (reported).
    Bad,
    Text(&'r str),
    Decimal(Decimal),
    Time(DateTime<Utc>),
    KeyValues(Vec<(String, String)>),
    /// A valid JSON object that no field reads.
    Json,
}

/// The checked values of one row, by column index.
struct Cells<'r> {
    cells: Vec<Cell<'r>>,
}

impl Cells<'_> {
    fn is_good(&self, column_idx: usize) -> bool {
        !matches!(
            self.cells.get(column_idx),
            None | Some(Cell::Null | Cell::Bad)
        )
    }

    fn get(&self, column_idx: Option<usize>) -> Option<&Cell<'_>> {
        self.cells.get(column_idx?)
    }

    fn text(&self, column_idx: Option<usize>) -> Option<String> {
        match self.get(column_idx)? {
            Cell::Text(text) => Some((*text).to_owned()),
            _ => None,
        }
    }

    fn parsed<T>(&self, column_idx: Option<usize>, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
        match self.get(column_idx)? {
            Cell::Text(text) => parse(text),
            _ => None,
        }
    }

    fn decimal(&self, column_idx: Option<usize>) -> Option<Decimal> {
        match self.get(column_idx)? {
            Cell::Decimal(value) => Some(*value),
            _ => None,
        }
    }

    fn time(&self, column_idx: Option<usize>) -> Option<DateTime<Utc>> {
        match self.get(column_idx)? {
            Cell::Time(value) => Some(*value),
            _ => None,
        }
    }

    fn tags(&mut self, column_idx: Option<usize>) -> Vec<(String, String)> {
        match column_idx.and_then(|column_idx| self.cells.get_mut(column_idx)) {
            Some(Cell::KeyValues(pairs)) => std::mem::take(pairs),
            _ => Vec::new(),
        }
    }
}

/// Checks one value against its column's rules, reporting what is wrong to `ctx`.
fn check<'r>(ctx: &mut RowCtx<'r>, column_idx: usize, spec: &ColumnSpec) -> Cell<'r> {
    if !ctx.is_text(column_idx) {
        // Not UTF-8: already reported.
        return Cell::Bad;
    }
    let Some(text) = ctx.text(Some(column_idx)) else {
        if spec.nullable {
            return Cell::Null;
        }
        ctx.report(column_idx, None, Problem::Null);
        return Cell::Bad;
    };
    let problem = match spec.data_type {
        DataType::Decimal => match parse_decimal(text) {
            Ok(value) => return Cell::Decimal(value),
            Err(_) => Problem::NotDecimal,
        },
        DataType::DateTime => match parse_datetime(text) {
            Ok(value) => return Cell::Time(value),
            Err(_) => Problem::NotDateTime,
        },
        DataType::Json => match parse_json_object(text) {
            Ok(map) if spec.format == ValueFormat::FlatKeyValue => match flat_key_values(map) {
                Ok(pairs) => return Cell::KeyValues(pairs),
                Err(key) => Problem::NestedValue { key },
            },
            Ok(_) => return Cell::Json,
            Err(reason) => Problem::NotJsonObject { reason },
        },
        DataType::String => match spec.format {
            ValueFormat::Allowed(allowed) if !allowed.contains(&text) => {
                match allowed.iter().find(|a| a.eq_ignore_ascii_case(text)) {
                    // Reported, but read as the allowed value: nothing is lost.
                    Some(canonical) => {
                        ctx.report(column_idx, Some(text), Problem::CaseMismatch { canonical });
                        return Cell::Text(canonical);
                    }
                    None => Problem::NotAllowed { allowed },
                }
            }
            ValueFormat::CurrencyCode if !is_currency_code(text) => Problem::NotCurrencyCode,
            ValueFormat::Any
            | ValueFormat::Allowed(_)
            | ValueFormat::CurrencyCode
            | ValueFormat::FlatKeyValue => return Cell::Text(text),
        },
    };
    ctx.report(column_idx, Some(text), problem);
    Cell::Bad
}
