//! The Azure EA usage export converter: the rules of `focus_converters_azure_mapping_rules.csv`, one FOCUS column at a time.
//!
//! See the [module docs of `convert`](crate::convert) for what is implemented as written, where we deviate, and what is not implementable.
//! This module knows the EA export's column names and values; it does not open files.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::convert::service_category::azure_service_category;
use crate::convert::{sorted_unique, Source};
use crate::error::Problem;
use crate::parse::{flat_key_values, parse_json_object, parse_month_day_year};
use crate::reader::RowCtx;
use crate::row::{
    ChargeCategory, ChargeFrequency, CommitmentDiscountCategory, CostRow, PricingCategory,
};

/// The EA columns the rules read.
#[derive(Debug)]
struct EaColumns {
    availability_zone: Source,
    benefit_id: Source,
    benefit_name: Source,
    billing_account_id: Source,
    billing_account_name: Source,
    billing_currency: Source,
    billing_period_end_date: Source,
    billing_period_start_date: Source,
    charge_type: Source,
    consumed_service: Source,
    cost: Source,
    date: Source,
    frequency: Source,
    pricing_model: Source,
    product_name: Source,
    publisher_name: Source,
    quantity: Source,
    resource_id: Source,
    resource_location: Source,
    resource_name: Source,
    subscription_id: Source,
    subscription_name: Source,
    tags: Source,
    unit_of_measure: Source,
}

/// The source columns as the rules name them, each followed by the older EA schema's name where it differs.
const COST: &[&str] = &["CostInBillingCurrency", "Cost"];
const BILLING_CURRENCY: &[&str] = &["BillingCurrencyCode", "BillingCurrency"];
const PRODUCT_NAME: &[&str] = &["ProductName", "Product"];
const SUBSCRIPTION_ID: &[&str] = &["SubscriptionId", "SubscriptionGuid"];

/// Returns whether a header is an EA usage export: a cost column, `Date`, `ConsumedService`, `BillingPeriodStartDate` and a subscription column.
pub(crate) fn is_ea_header<S: AsRef<str>>(header: &[S]) -> bool {
    let has_any = |candidates: &[&str]| {
        header.iter().any(|name| {
            candidates
                .iter()
                .any(|candidate| name.as_ref().eq_ignore_ascii_case(candidate))
        })
    };
    has_any(COST)
        && has_any(&["Date"])
        && has_any(&["ConsumedService"])
        && has_any(&["BillingPeriodStartDate"])
        && has_any(SUBSCRIPTION_ID)
}

/// How to convert the rows of one EA export.
#[derive(Debug)]
pub(crate) struct EaPlan {
    columns: EaColumns,
}

impl EaPlan {
    /// Plans the conversion of a file with this header, or returns the required columns it lacks.
    pub(crate) fn new(names: &[Arc<str>]) -> Result<Self, Vec<&'static str>> {
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (column_idx, name) in names.iter().enumerate() {
            by_name
                .entry(name.to_ascii_lowercase())
                .or_insert(column_idx);
        }
        let source = |candidates: &[&'static str]| -> Source {
            let idx = candidates
                .iter()
                .find_map(|candidate| by_name.get(&candidate.to_ascii_lowercase()).copied());
            Source {
                idx,
                name: candidates.first().copied().unwrap_or_default(),
            }
        };
        let columns = EaColumns {
            availability_zone: source(&["AvailabilityZone"]),
            benefit_id: source(&["benefitId"]),
            benefit_name: source(&["benefitName"]),
            billing_account_id: source(&["BillingAccountId"]),
            billing_account_name: source(&["BillingAccountName"]),
            billing_currency: source(BILLING_CURRENCY),
            billing_period_end_date: source(&["BillingPeriodEndDate"]),
            billing_period_start_date: source(&["BillingPeriodStartDate"]),
            charge_type: source(&["ChargeType"]),
            consumed_service: source(&["ConsumedService"]),
            cost: source(COST),
            date: source(&["Date"]),
            frequency: source(&["Frequency"]),
            pricing_model: source(&["PricingModel"]),
            product_name: source(PRODUCT_NAME),
            publisher_name: source(&["PublisherName"]),
            quantity: source(&["Quantity"]),
            resource_id: source(&["ResourceId"]),
            resource_location: source(&["ResourceLocation"]),
            resource_name: source(&["ResourceName"]),
            subscription_id: source(SUBSCRIPTION_ID),
            subscription_name: source(&["SubscriptionName"]),
            tags: source(&["Tags"]),
            unit_of_measure: source(&["UnitOfMeasure"]),
        };
        let required = [
            columns.cost,
            columns.billing_account_id,
            columns.billing_currency,
            columns.billing_period_start_date,
            columns.billing_period_end_date,
            columns.date,
            columns.charge_type,
        ];
        let missing: Vec<&'static str> = required
            .iter()
            .filter(|source| source.idx.is_none())
            .map(|source| source.name)
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        Ok(EaPlan { columns })
    }

    /// Converts one row, or returns `None` if a value every row needs is missing or bad; the violations are in `ctx`.
    pub(crate) fn convert(&self, ctx: &mut RowCtx<'_>) -> Option<CostRow> {
        let columns = &self.columns;

        // BilledCost and EffectiveCost: both rename `CostInBillingCurrency`.
        let cost = ctx.source_decimal(columns.cost);
        let cost = ctx.require(cost, columns.cost, "BilledCost");

        // BillingPeriodStart: `PARSE_DATETIME %m/%d/%Y`, then UTC. BillingPeriodEnd: the same, plus one day (the EA date is inclusive, FOCUS's end exclusive).
        let billing_period_start =
            date(ctx, columns.billing_period_start_date, "BillingPeriodStart").map(start_of_day);
        let billing_period_end = date(ctx, columns.billing_period_end_date, "BillingPeriodEnd")
            .and_then(start_of_next_day);
        // ChargePeriodStart and ChargePeriodEnd: the usage day `Date`, as `[Date, Date + 1 day)` (see the module docs for why not the rule's columns).
        let usage_date = date(ctx, columns.date, "ChargePeriodStart");
        let charge_period_start = usage_date.map(start_of_day);
        let charge_period_end = usage_date.and_then(start_of_next_day);

        let billing_account_id = ctx
            .source_text(columns.billing_account_id)
            .map(str::to_owned);
        let billing_account_id = ctx.require(
            billing_account_id,
            columns.billing_account_id,
            "BillingAccountId",
        );
        let billing_currency = ctx.source_text(columns.billing_currency).map(str::to_owned);
        let billing_currency = ctx.require(
            billing_currency,
            columns.billing_currency,
            "BillingCurrency",
        );

        // CommitmentDiscountCategory and CommitmentDiscountType: `LOWER(benefitId) LIKE '%/microsoft.capacity/%'` or `'%/microsoft.billingbenefits/%'`.
        let benefit_id = ctx.source_text(columns.benefit_id);
        let benefit_id_lower = benefit_id.map(str::to_ascii_lowercase).unwrap_or_default();
        let (commitment_discount_category, commitment_discount_type) =
            if benefit_id_lower.contains("/microsoft.capacity/") {
                (
                    Some(CommitmentDiscountCategory::Usage),
                    Some("Reservation".to_owned()),
                )
            } else if benefit_id_lower.contains("/microsoft.billingbenefits/") {
                (
                    Some(CommitmentDiscountCategory::Spend),
                    Some("Savings Plan".to_owned()),
                )
            } else {
                (None, None)
            };

        let consumed_service = ctx.source_text(columns.consumed_service);
        let consumed_quantity = ctx.source_decimal(columns.quantity);
        let tags = tags(ctx, columns.tags);
        let text = |source: Source| ctx.source_text(source).map(str::to_owned);

        Some(CostRow {
            availability_zone: text(columns.availability_zone),
            billed_cost: cost?,
            billing_account_id: billing_account_id?,
            billing_account_name: text(columns.billing_account_name),
            billing_currency: billing_currency?,
            billing_period_end: billing_period_end?,
            billing_period_start: billing_period_start?,
            charge_category: charge_category(ctx.source_text(columns.charge_type)),
            charge_class: None,
            charge_description: text(columns.product_name),
            charge_frequency: ctx
                .source_text(columns.frequency)
                .and_then(charge_frequency),
            charge_period_end: charge_period_end?,
            charge_period_start: charge_period_start?,
            commitment_discount_category,
            commitment_discount_id: benefit_id.map(str::to_owned),
            commitment_discount_name: text(columns.benefit_name),
            commitment_discount_status: None,
            commitment_discount_type,
            consumed_quantity,
            consumed_unit: ctx
                .source_text(columns.unit_of_measure)
                .map(|unit| consumed_unit(unit).to_owned()),
            contracted_cost: None,
            contracted_unit_price: None,
            effective_cost: cost?,
            invoice_issuer_name: Some("Microsoft".to_owned()),
            list_cost: None,
            list_unit_price: None,
            pricing_category: Some(pricing_category(ctx.source_text(columns.pricing_model))),
            pricing_quantity: None,
            pricing_unit: None,
            provider_name: Some("Azure".to_owned()),
            publisher_name: text(columns.publisher_name),
            region_id: text(columns.resource_location),
            region_name: None,
            resource_id: text(columns.resource_id),
            resource_name: text(columns.resource_name),
            resource_type: None,
            service_category: consumed_service.map(azure_service_category),
            service_name: consumed_service.map(str::to_owned),
            sku_id: None,
            sku_price_id: None,
            sub_account_id: text(columns.subscription_id),
            sub_account_name: text(columns.subscription_name),
            tags,
            later_focus_columns: Vec::new(),
            x_columns: Vec::new(),
        })
    }
}

/// Parses a source column as a US (or ISO) date, reporting a bad or null value against `target`.
fn date(ctx: &mut RowCtx<'_>, source: Source, target: &'static str) -> Option<NaiveDate> {
    let text = ctx.source_text(source);
    let parsed = text.and_then(|text| parse_month_day_year(text).ok());
    if let (Some(text), None, Some(column_idx)) = (text, parsed, source.idx) {
        ctx.report(column_idx, Some(text), Problem::NotDateTime);
        return None;
    }
    ctx.require(parsed, source, target)
}

fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

fn start_of_next_day(day: NaiveDate) -> Option<DateTime<Utc>> {
    day.succ_opt().map(start_of_day)
}

/// Reads the EA `Tags` column: a JSON object, usually written without its braces.
fn tags(ctx: &mut RowCtx<'_>, source: Source) -> Vec<(String, String)> {
    let Some(text) = ctx.source_text(source) else {
        return Vec::new();
    };
    let object = if text.starts_with('{') {
        text.to_owned()
    } else {
        format!("{{{text}}}")
    };
    let parsed = parse_json_object(&object).map_err(|reason| Problem::NotJsonObject { reason });
    match parsed.and_then(|map| flat_key_values(map).map_err(|key| Problem::NestedValue { key })) {
        Ok(pairs) => sorted_unique(pairs),
        Err(problem) => {
            if let Some(column_idx) = source.idx {
                ctx.report(column_idx, Some(text), problem);
            }
            Vec::new()
        }
    }
}

/// ChargeCategory of a charge type; the rule's default, for any other value and for null, is `Adjustment`.
pub(crate) fn charge_category(charge_type: Option<&str>) -> ChargeCategory {
    match charge_type {
        Some("Usage" | "UnusedReservation" | "UnusedSavingsPlan") => ChargeCategory::Usage,
        Some("Purchase") => ChargeCategory::Purchase,
        Some("Tax") => ChargeCategory::Tax,
        _ => ChargeCategory::Adjustment,
    }
}

/// ChargeFrequency of a frequency; the rule's default `Other` is no FOCUS value, so anything else is null.
pub(crate) fn charge_frequency(frequency: &str) -> Option<ChargeFrequency> {
    match frequency {
        "OneTime" => Some(ChargeFrequency::OneTime),
        "Recurring" => Some(ChargeFrequency::Recurring),
        "UsageBased" => Some(ChargeFrequency::UsageBased),
        _ => None,
    }
}

/// PricingCategory of a pricing model, with FOCUS 1.0 names (the rule's `On-Demand` is `Standard`, `Commitment Discount` is `Committed`).
pub(crate) fn pricing_category(pricing_model: Option<&str>) -> PricingCategory {
    match pricing_model {
        Some("OnDemand") => PricingCategory::Standard,
        Some("Spot") => PricingCategory::Dynamic,
        Some("Reservation" | "Savings Plans" | "SavingsPlan") => PricingCategory::Committed,
        _ => PricingCategory::Other,
    }
}

/// ConsumedUnit of a unit of measure: the rule's `MAP_VALUES`, with `Units` for a unit it does not list.
pub(crate) fn consumed_unit(unit_of_measure: &str) -> &'static str {
    UNITS_OF_MEASURE
        .binary_search_by(|(key, _)| (*key).cmp(unit_of_measure))
        .ok()
        .and_then(|unit_idx| UNITS_OF_MEASURE.get(unit_idx))
        .map_or("Units", |(_, unit)| *unit)
}

/// The rule's `UnitOfMeasure` map, sorted by key (byte order) for binary search, with its repeated keys removed.
pub(crate) static UNITS_OF_MEASURE: &[(&str, &str)] = &[
    ("1", "Units"),
    ("1 /Day", "Units/Day"),
    ("1 /Hour", "Units/Hour"),
    ("1 /Month", "Units/Month"),
    ("1 /Year", "Units/Year"),
    ("1 1 Hour", "Hours"),
    ("1 Agents", "Agents"),
    ("1 Annual Domain", "Domains/Year"),
    ("1 Annual Domains", "Domains/Year"),
    ("1 Annual Subscriptions", "Subscriptions/Year"),
    ("1 Border Routers", "Routers"),
    ("1 Certificate", "Certificates"),
    ("1 Concurrent DVC", "Configurations"),
    ("1 Connection", "Connections"),
    ("1 Connections", "Connections"),
    ("1 Content Hours", "Hours"),
    ("1 Cubic Meter/Month", "Cubic Meters/Month"),
    ("1 Daily App", "Apps/Day"),
    ("1 Daily Connection", "Connections/Day"),
    ("1 Daily Connections", "Connections/Day"),
    ("1 Daily Pack", "Packs/Day"),
    ("1 Daily Reserved Unit", "Units/Day"),
    ("1 Daily Reserved Units", "Units/Day"),
    ("1 Daily Unit", "Units/Day"),
    ("1 Daily Units", "Units/Day"),
    ("1 Daily User", "Users/Day"),
    ("1 Database Unit", "Units"),
    ("1 Database Units (DU)", "Units"),
    ("1 Day", "Days"),
    ("1 Days", "Days"),
    ("1 Device", "Devices"),
    ("1 Devices", "Devices"),
    ("1 Executions", "Executions"),
    ("1 GB", "GB"),
    ("1 GB Hour", "GB Hours"),
    ("1 GB Second", "GB Seconds"),
    ("1 GB/Hour", "GB/Hour"),
    ("1 GB/Month", "GB/Month"),
    ("1 GiB Hour", "GiB Hours"),
    ("1 GiB/Day", "GiB/Day"),
    ("1 GiB/Hour", "GiB/Hour"),
    ("1 GiB/Month", "GiB/Month"),
    ("1 Hour", "Hours"),
    ("1 Hourly Connection", "Connections/Hour"),
    ("1 Hourly Unit", "Units/Hour"),
    ("1 Hourly Units", "Units/Hour"),
    ("1 Hours", "Hours"),
    ("1 Key", "Keys"),
    ("1 Key Use", "Keys"),
    ("1 MB", "MB"),
    ("1 Maps", "Maps"),
    ("1 Messaging Unit", "Units"),
    ("1 Minute", "Minutes"),
    ("1 Month", "Months"),
    ("1 Named Users", "Users"),
    ("1 Node", "Nodes"),
    ("1 Nodes", "Nodes"),
    ("1 PB/Hour", "PB/Hour"),
    ("1 PiB/Hour", "PiB/Hour"),
    ("1 Pipeline", "Pipelines"),
    ("1 Plan", "Plans"),
    ("1 Plans", "Plans"),
    ("1 Policies", "Policies"),
    ("1 Resource", "Resources"),
    ("1 Sites", "Sites"),
    ("1 Subscription", "Subscriptions"),
    ("1 Subscriptions", "Subscriptions"),
    ("1 TB", "TB"),
    ("1 TB Hour", "TB Hours"),
    ("1 TB Second", "TB Seconds"),
    ("1 TB/Hour", "TB/Hour"),
    ("1 TB/Month", "TB/Month"),
    ("1 TiB", "TiB"),
    ("1 TiB Hour", "TiB Hours"),
    ("1 TiB/Hour", "TiB/Hour"),
    ("1 TiB/Month", "TiB/Month"),
    ("1 Unit", "Units"),
    ("1 Units", "Units"),
    ("1 User", "Users"),
    ("1 Users", "Users"),
    ("1 VM", "Virtual Machines"),
    ("1 Virtual Machine", "Virtual Machines"),
    ("1 Website", "Websites"),
    ("1 Zones", "Zones"),
    ("1 day", "Day"),
    ("1 hour", "Hour"),
    ("1 user", "User"),
    ("1/Day", "Units/Day"),
    ("1/Hour", "Units/Hour"),
    ("1/Month", "Units/Month"),
    ("10", "Units"),
    ("10 /Day", "Units/Day"),
    ("10 /Hour", "Units/Hour"),
    ("10 /Month", "Units/Month"),
    ("10 Activities", "Activities"),
    ("10 DB Hours", "DB Hours"),
    ("10 DBU Hours", "DBU Hours"),
    ("10 Database Unit", "Units"),
    ("10 Database Units (DU)", "Units"),
    ("10 Days", "Days"),
    ("10 Devices", "Devices"),
    ("10 GB", "GB"),
    ("10 GB/Day", "GB/Day"),
    ("10 GB/Month", "GB/Month"),
    ("10 GiB", "GiB"),
    ("10 GiB/Month", "GiB/Month"),
    ("10 Hour", "Hours"),
    ("10 Hourly Units", "Units/Hour"),
    ("10 Hours", "Hours"),
    ("10 Instance Hours", "Hours"),
    ("10 Minutes", "Minutes"),
    ("10 Month", "Months"),
    ("10 Months", "Months"),
    ("10 PB Seconds", "PB Seconds"),
    ("10 PB/Hour", "PB/Hour"),
    ("10 PiB Seconds", "PiB Seconds"),
    ("10 Pipelines", "Pipelines"),
    ("10 Rotations", "Rotations"),
    ("10 Service Endpoints", "Endpoints"),
    ("10 TB", "TB"),
    ("10 TB Hours", "TB Hours"),
    ("10 TB/Day", "TB/Day"),
    ("10 TB/Hour", "TB/Hour"),
    ("10 TB/Month", "TB/Month"),
    ("10 TiB", "TiB"),
    ("10 TiB Hours", "TiB Hours"),
    ("10 TiB/Hour", "TiB/Hour"),
    ("10 TiB/Month", "TiB/Month"),
    ("10 Unit", "Units"),
    ("10 Unit Hours", "Unit Hours"),
    ("10 Units", "Units"),
    ("10 day", "Day"),
    ("100", "Units"),
    ("100 /Day", "Units/Day"),
    ("100 /Hour", "Units/Hour"),
    ("100 /Month", "Units/Month"),
    ("100 API Calls", "Requests"),
    ("100 Authentications", "Authentications"),
    ("100 Connections", "Connections"),
    ("100 Core Hours", "Hours"),
    ("100 Core Hrs", "Hours"),
    ("100 Days", "Days"),
    ("100 GB", "GB"),
    ("100 GB/Day", "GB/Day"),
    ("100 GB/Month", "GB/Month"),
    ("100 GiB", "GiB"),
    ("100 GiB/Hour", "GiB/Hour"),
    ("100 GiB/Month", "GiB/Month"),
    ("100 Hour", "Hours"),
    ("100 Hourly Units", "Units/Hour"),
    ("100 Hours", "Hours"),
    ("100 IOPS/Month", "IOPS/Month"),
    ("100 MB", "MB"),
    ("100 MB/Month", "MB/Month"),
    ("100 Mbps", "Mbps"),
    ("100 Minutes", "Minutes"),
    ("100 Months", "Months"),
    ("100 TB", "TB"),
    ("100 TB/Hour", "TB/Hour"),
    ("100 TB/Month", "TB/Month"),
    ("100 TiB/Hour", "TiB/Hour"),
    ("100 Unit", "Units"),
    ("100 Units", "Units"),
    ("100 Users", "Users"),
    ("1000", "Units"),
    ("1000 /Day", "Units/Day"),
    ("1000 /Hour", "Units/Hour"),
    ("1000 /Month", "Units/Month"),
    ("1000 APIs", "APIs"),
    ("1000 Activity Runs", "Runs"),
    ("1000 Checks", "Checks"),
    ("1000 Executions", "Executions"),
    ("1000 GB", "GB"),
    ("1000 GB Hours", "GB Hours"),
    ("1000 GB/Month", "GB/Month"),
    ("1000 Hours", "Hours"),
    ("1000 IOPS/Month", "IOPS/Month"),
    ("1000 Keys", "Keys"),
    ("1000 Licenses", "Licenses"),
    ("1000 MAUS", "Users/Month"),
    ("1000 MAUs", "Users/Month"),
    ("1000 MB/Month", "MB/Month"),
    ("1000 Minutes", "Minutes"),
    ("1000 Months", "Months"),
    ("1000 Relay Hours", "Hours"),
    ("1000 Relay Hrs", "Hours"),
    ("1000 Renders", "Renders"),
    ("1000 Transactions", "Transactions"),
    ("10000", "Units"),
    ("10000 /Day", "Units/Day"),
    ("10000 /Hour", "Units/Hour"),
    ("10000 /Month", "Units/Month"),
    ("10000 1,000s", "Transactions in Thousands"),
    ("10000 Actions", "Actions"),
    ("10000 Authentications", "Authentications"),
    ("10000 Executions", "Executions"),
    ("10000 Faces", "Faces"),
    ("10000 GB", "GB"),
    ("10000 GB Hours", "GB Hours"),
    ("10000 GB/Hour", "GB/Hour"),
    ("10000 GB/Month", "GB/Month"),
    ("10000 GiB/Hour", "GiB/Hour"),
    ("10000 Hours", "Hours"),
    ("10000 Minutes", "Minutes"),
    ("10000 Operations", "Operations"),
    ("10000 Predictions", "Predictions"),
    ("10000 Seconds", "Seconds"),
    ("10000 Transactions", "Transactions"),
    ("10000 Users", "Users"),
    ("10000 Virtual User Minutes", "Minutes"),
    ("100000", "Units"),
    ("100000 /Day", "Units/Day"),
    ("100000 /Hour", "Units/Hour"),
    ("100000 Executions", "Executions"),
    ("100000 GB", "GB"),
    ("100000 GB Seconds", "GB Seconds"),
    ("100000 GB/Hour", "GB/Hour"),
    ("100000 GiB/Hour", "GiB/Hour"),
    ("100000 Hours", "Hours"),
    ("100000 Seconds", "Seconds"),
    ("100000 Transactions", "Transactions"),
    ("1000000", "Units"),
    ("1000000 /Hour", "Units/Hour"),
    ("1000000 /Month", "Units/Month"),
    ("1000000 Data Points", "Data Points"),
    ("1000000 GB Seconds", "GB Seconds"),
    ("1000000 Messages", "Messages"),
    ("1000000 Operations", "Operations"),
    ("1000000 Pushes", "Pushes"),
    ("1000000 Requests", "Requests"),
    ("1000000 Seconds", "Seconds"),
    ("1000000 Transactions", "Transactions"),
    ("10000000", "Units"),
    ("10000000 /Hour", "Units/Hour"),
    ("10000000 /Month", "Units/Month"),
    ("10000000 GB Seconds", "GB Seconds"),
    ("10000000 Operations", "Operations"),
    ("10000000 Pushes", "Pushes"),
    ("10000000 Queries", "Queries"),
    ("10000000 Seconds", "Seconds"),
    ("10000000 Transactions", "Transactions"),
    ("100000000", "Units"),
    ("100000000 /Month", "Units/Month"),
    ("100000000 Events", "Events"),
    ("100000000 Operation Units", "Units"),
    ("100000000 Operations", "Operations"),
    ("100000000 Pushes", "Pushes"),
    ("100000000 Transactions", "Transactions"),
    ("1000000000", "Units"),
    ("10000000000", "Units"),
    ("100000000000", "Units"),
    ("1024 GB", "GB"),
    ("102400 TiB/Hour", "TiB/Hour"),
    ("10K", "Units"),
    ("10K/Month", "Units/Month"),
    ("128 MB", "MB"),
    ("150 Hours", "Hours"),
    ("1M", "Units"),
    ("2", "Units"),
    ("2 Hosted Zones", "Zones"),
    ("20 GB/Month", "GB/Month"),
    ("200", "Units"),
    ("200 /Hour", "Units/Hour"),
    ("200 GB", "GB"),
    ("200 Hours", "Hours"),
    ("200 minutes", "Minutes"),
    ("2000 Hours", "Hours"),
    ("200000", "Units"),
    ("200000 Transactions", "Transactions"),
    ("2000000", "Units"),
    ("25000", "Units"),
    ("250000", "Units"),
    ("2500000", "Units"),
    ("30 /Day", "Units/Day"),
    ("30 Days", "Days"),
    ("31 Connections", "Connections"),
    ("5 Connections", "Connections"),
    ("5 GB", "GB"),
    ("5 TB", "TB"),
    ("50 Hours", "Hours"),
    ("500", "Units"),
    ("500 Hours", "Hours"),
    ("500 Minute", "Minutes"),
    ("500 Minutes", "Minutes"),
    ("50000", "Units"),
    ("50000 GB Seconds", "GB Seconds"),
    ("500000 Requests", "Requests"),
    ("5000000", "Units"),
    ("5000000 Requests", "Requests"),
    ("5000000000 Requests", "Requests"),
    ("60", "Units"),
    ("60 Minutes", "Minutes"),
    ("744 Connections", "Connections"),
    ("CallingMinutes", "Minutes"),
    ("Minute(s)", "Minutes"),
    ("Per Call", "Calls"),
    ("Unassigned", "Units"),
];
