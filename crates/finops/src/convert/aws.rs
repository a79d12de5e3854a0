//! The AWS Cost and Usage Report converter: the rules of `focus_converters_aws_mapping_rules.csv`, one FOCUS column at a time.
//!
//! See the [module docs of `convert`](crate::convert) for what is implemented as written and what is not.
//! This module knows the CUR's column names and values; it does not open files.

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::convert::service_category::aws_service_category;
use crate::convert::{sorted_unique, Source};
use crate::error::Problem;
use crate::parse::{flat_key_values, parse_json_object};
use crate::reader::RowCtx;
use crate::row::{
    ChargeCategory, ChargeFrequency, CommitmentDiscountCategory, CostRow, PricingCategory,
};

/// The CUR columns the rules read, in the rules' (CUR 2.0) spelling.
#[derive(Debug)]
struct CurColumns {
    availability_zone: Source,
    bill_type: Source,
    billing_period_end: Source,
    billing_period_start: Source,
    currency_code: Source,
    description: Source,
    invoicing_entity: Source,
    legal_entity: Source,
    line_item_type: Source,
    net_unblended_cost: Source,
    payer_account_id: Source,
    pricing_unit: Source,
    product_code: Source,
    product_region: Source,
    product_region_code: Source,
    product_sku: Source,
    public_on_demand_cost: Source,
    public_on_demand_rate: Source,
    purchase_option: Source,
    rate_code: Source,
    rate_id: Source,
    reservation_arn: Source,
    reservation_effective_cost: Source,
    reservation_total_reserved_units: Source,
    reservation_unused_amortized_upfront_fee: Source,
    reservation_unused_recurring_fee: Source,
    resource_id: Source,
    savings_plan_arn: Source,
    savings_plan_effective_cost: Source,
    savings_plan_total_commitment_to_date: Source,
    savings_plan_used_commitment: Source,
    unblended_cost: Source,
    usage_account_id: Source,
    usage_amount: Source,
    usage_end: Source,
    usage_start: Source,
}

/// The columns without which no row can be converted.
const REQUIRED: [&str; 8] = [
    "line_item_unblended_cost",
    "bill_payer_account_id",
    "line_item_currency_code",
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "line_item_line_item_type",
];

/// Returns whether a header is a Cost and Usage Report (legacy or CUR 2.0 names).
pub(crate) fn is_cur_header<S: AsRef<str>>(header: &[S]) -> bool {
    let names: Vec<String> = header
        .iter()
        .map(|name| snake_case(name.as_ref()))
        .collect();
    [
        "line_item_unblended_cost",
        "line_item_line_item_type",
        "line_item_usage_start_date",
    ]
    .iter()
    .all(|needed| names.iter().any(|name| name == needed))
}

/// How to convert the rows of one CUR file.
#[derive(Debug)]
pub(crate) struct CurPlan {
    columns: CurColumns,
    /// Legacy `resourceTags/{key}` columns: index and tag key.
    tag_columns: Vec<(usize, String)>,
    /// The CUR 2.0 `resource_tags` JSON column.
    tags_json: Option<usize>,
}

impl CurPlan {
    /// Plans the conversion of a file with this header, or returns the required columns it lacks.
    pub(crate) fn new(names: &[Arc<str>]) -> Result<Self, Vec<&'static str>> {
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut tag_columns = Vec::new();
        for (column_idx, name) in names.iter().enumerate() {
            if let Some(key) = name.strip_prefix("resourceTags/") {
                tag_columns.push((column_idx, key.to_owned()));
            } else {
                by_name.entry(snake_case(name)).or_insert(column_idx);
            }
        }
        let missing: Vec<&'static str> = REQUIRED
            .into_iter()
            .filter(|name| !by_name.contains_key(*name))
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        let source = |name: &'static str| Source {
            idx: by_name.get(name).copied(),
            name,
        };
        let columns = CurColumns {
            availability_zone: source("line_item_availability_zone"),
            bill_type: source("bill_bill_type"),
            billing_period_end: source("bill_billing_period_end_date"),
            billing_period_start: source("bill_billing_period_start_date"),
            currency_code: source("line_item_currency_code"),
            description: source("line_item_line_item_description"),
            invoicing_entity: source("bill_invoicing_entity"),
            legal_entity: source("line_item_legal_entity"),
            line_item_type: source("line_item_line_item_type"),
            net_unblended_cost: source("line_item_net_unblended_cost"),
            payer_account_id: source("bill_payer_account_id"),
            pricing_unit: source("pricing_unit"),
            product_code: source("line_item_product_code"),
            product_region: source("product_region"),
            product_region_code: source("product_region_code"),
            product_sku: source("product_sku"),
            public_on_demand_cost: source("pricing_public_on_demand_cost"),
            public_on_demand_rate: source("pricing_public_on_demand_rate"),
            purchase_option: source("product_purchase_option"),
            rate_code: source("pricing_rate_code"),
            rate_id: source("pricing_rate_id"),
            reservation_arn: source("reservation_reservation_arn"),
            reservation_effective_cost: source("reservation_effective_cost"),
            reservation_total_reserved_units: source("reservation_total_reserved_units"),
            reservation_unused_amortized_upfront_fee: source(
                "reservation_unused_amortized_upfront_fee_for_billing_period",
            ),
            reservation_unused_recurring_fee: source("reservation_unused_recurring_fee"),
            resource_id: source("line_item_resource_id"),
            savings_plan_arn: source("savings_plan_savings_plan_arn"),
            savings_plan_effective_cost: source("savings_plan_savings_plan_effective_cost"),
            savings_plan_total_commitment_to_date: source("savings_plan_total_commitment_to_date"),
            savings_plan_used_commitment: source("savings_plan_used_commitment"),
            unblended_cost: source("line_item_unblended_cost"),
            usage_account_id: source("line_item_usage_account_id"),
            usage_amount: source("line_item_usage_amount"),
            usage_end: source("line_item_usage_end_date"),
            usage_start: source("line_item_usage_start_date"),
        };
        let tags_json = by_name.get("resource_tags").copied();
        Ok(CurPlan {
            columns,
            tag_columns,
            tags_json,
        })
    }

    /// Converts one row, or returns `None` if a value every row needs is missing or bad; the violations are in `ctx`.
    pub(crate) fn convert(&self, ctx: &mut RowCtx<'_>) -> Option<CostRow> {
        let columns = &self.columns;
        let line_item_type = ctx.source_text(columns.line_item_type);

        // BilledCost: `WHEN line_item_net_unblended_cost is not null THEN line_item_net_unblended_cost`, `default_value: line_item_unblended_cost`.
        let unblended_cost = ctx.source_decimal(columns.unblended_cost);
        let billed_cost = if ctx.source_text(columns.net_unblended_cost).is_some() {
            ctx.source_decimal(columns.net_unblended_cost)
        } else {
            ctx.require(unblended_cost, columns.unblended_cost, "BilledCost")
        };

        // EffectiveCost: the `CASE` over the line item type.
        let effective_cost = match line_item_type {
            Some("SavingsPlanCoveredUsage") => {
                let value = ctx.source_decimal(columns.savings_plan_effective_cost);
                ctx.require(value, columns.savings_plan_effective_cost, "EffectiveCost")
            }
            Some("SavingsPlanRecurringFee") => {
                let total = ctx.source_decimal(columns.savings_plan_total_commitment_to_date);
                let total = ctx.require(
                    total,
                    columns.savings_plan_total_commitment_to_date,
                    "EffectiveCost",
                );
                let used = ctx.source_decimal(columns.savings_plan_used_commitment);
                let used = ctx.require(used, columns.savings_plan_used_commitment, "EffectiveCost");
                match (total, used) {
                    (Some(total), Some(used)) => ctx.checked(
                        total.checked_sub(used),
                        columns.savings_plan_total_commitment_to_date,
                        "EffectiveCost",
                    ),
                    _ => None,
                }
            }
            Some("SavingsPlanNegation" | "SavingsPlanUpfrontFee") => Some(Decimal::ZERO),
            Some("DiscountedUsage") => {
                let value = ctx.source_decimal(columns.reservation_effective_cost);
                ctx.require(value, columns.reservation_effective_cost, "EffectiveCost")
            }
            Some("RIFee") => {
                let upfront = ctx.source_decimal(columns.reservation_unused_amortized_upfront_fee);
                let upfront = ctx.require(
                    upfront,
                    columns.reservation_unused_amortized_upfront_fee,
                    "EffectiveCost",
                );
                let recurring = ctx.source_decimal(columns.reservation_unused_recurring_fee);
                let recurring = ctx.require(
                    recurring,
                    columns.reservation_unused_recurring_fee,
                    "EffectiveCost",
                );
                match (upfront, recurring) {
                    (Some(upfront), Some(recurring)) => ctx.checked(
                        upfront.checked_add(recurring),
                        columns.reservation_unused_amortized_upfront_fee,
                        "EffectiveCost",
                    ),
                    _ => None,
                }
            }
            // `(line_item_line_item_type = 'Fee') AND (reservation_reservation_a_r_n <> '')`: a null ARN is not `<> ''`, so it falls through to ELSE.
            Some("Fee") if ctx.source_text(columns.reservation_arn).is_some() => {
                Some(Decimal::ZERO)
            }
            _ => {
                if ctx.source_text(columns.unblended_cost).is_none() {
                    ctx.require(None::<Decimal>, columns.unblended_cost, "EffectiveCost");
                }
                unblended_cost
            }
        };

        // ChargeCategory: the `WHEN line_item_line_item_type = ...` list; the default, the empty string, is no FOCUS value.
        let charge_category = match line_item_type {
            None => ctx.require(None, columns.line_item_type, "ChargeCategory"),
            Some(line_item_type) => {
                let category = charge_category(line_item_type);
                if category.is_none() {
                    if let Some(column_idx) = columns.line_item_type.idx {
                        ctx.report(
                            column_idx,
                            Some(line_item_type),
                            Problem::Unmapped {
                                target: "ChargeCategory",
                            },
                        );
                    }
                }
                category
            }
        };

        // The periods: `ASSIGN_UTC_TIMEZONE` of the four date columns.
        let billing_period_start = ctx.datetime(columns.billing_period_start.idx);
        let billing_period_start = ctx.require(
            billing_period_start,
            columns.billing_period_start,
            "BillingPeriodStart",
        );
        let billing_period_end = ctx.datetime(columns.billing_period_end.idx);
        let billing_period_end = ctx.require(
            billing_period_end,
            columns.billing_period_end,
            "BillingPeriodEnd",
        );
        let charge_period_start = ctx.datetime(columns.usage_start.idx);
        let charge_period_start = ctx.require(
            charge_period_start,
            columns.usage_start,
            "ChargePeriodStart",
        );
        let charge_period_end = ctx.datetime(columns.usage_end.idx);
        let charge_period_end =
            ctx.require(charge_period_end, columns.usage_end, "ChargePeriodEnd");

        let billing_account_id = ctx.source_text(columns.payer_account_id).map(str::to_owned);
        let billing_account_id = ctx.require(
            billing_account_id,
            columns.payer_account_id,
            "BillingAccountId",
        );
        let billing_currency = ctx.source_text(columns.currency_code).map(str::to_owned);
        let billing_currency =
            ctx.require(billing_currency, columns.currency_code, "BillingCurrency");

        // ListCost: `WHEN pricing_public_on_demand_rate is not null THEN pricing_public_on_demand_rate * line_item_usage_amount`, `default_value: pricing_public_on_demand_cost`.
        let public_on_demand_rate = ctx.source_decimal(columns.public_on_demand_rate);
        let usage_amount = ctx.source_decimal(columns.usage_amount);
        let list_cost = if ctx.source_text(columns.public_on_demand_rate).is_some() {
            match (public_on_demand_rate, usage_amount) {
                (Some(rate), Some(amount)) => ctx.checked(
                    rate.checked_mul(amount),
                    columns.public_on_demand_rate,
                    "ListCost",
                ),
                _ => None,
            }
        } else {
            ctx.source_decimal(columns.public_on_demand_cost)
        };

        // PricingQuantity: `WHEN reservation_total_reserved_units is not null THEN reservation_total_reserved_units`, `default_value: line_item_usage_amount`.
        let pricing_quantity = if ctx
            .source_text(columns.reservation_total_reserved_units)
            .is_some()
        {
            ctx.source_decimal(columns.reservation_total_reserved_units)
        } else {
            usage_amount
        };

        // The commitment discount: a savings plan ARN first, then a reservation ARN.
        let savings_plan_arn = ctx.source_text(columns.savings_plan_arn);
        let reservation_arn = ctx.source_text(columns.reservation_arn);
        let (commitment_discount_category, commitment_discount_type) =
            match (savings_plan_arn, reservation_arn) {
                (Some(_), _) => (
                    Some(CommitmentDiscountCategory::Spend),
                    Some("Savings Plan".to_owned()),
                ),
                (None, Some(_)) => (
                    Some(CommitmentDiscountCategory::Usage),
                    Some("Reserved Instances (RI)".to_owned()),
                ),
                (None, None) => (None, None),
            };

        // ResourceName and ResourceType: parts 7 and 6 of the `:`-separated resource id (an ARN).
        let resource_id = ctx.source_text(columns.resource_id);
        let (resource_name, resource_type) = match resource_id {
            Some(resource_id) => {
                let mut parts = resource_id.split(':');
                let sixth = parts.nth(5);
                let seventh = parts.next();
                (
                    seventh.map(title_case),
                    seventh.and(sixth).map(str::to_owned),
                )
            }
            None => (None, None),
        };

        let product_code = ctx.source_text(columns.product_code);
        let tags = self.tags(ctx);
        let text = |source: Source| ctx.source_text(source).map(str::to_owned);

        let row = CostRow {
            availability_zone: text(columns.availability_zone),
            billed_cost: billed_cost?,
            billing_account_id: billing_account_id?,
            billing_account_name: None,
            billing_currency: billing_currency?,
            billing_period_end: billing_period_end?,
            billing_period_start: billing_period_start?,
            charge_category: charge_category?,
            charge_class: None,
            charge_description: text(columns.description),
            charge_frequency: ctx
                .source_text(columns.bill_type)
                .and_then(charge_frequency),
            charge_period_end: charge_period_end?,
            charge_period_start: charge_period_start?,
            commitment_discount_category,
            commitment_discount_id: savings_plan_arn.or(reservation_arn).map(str::to_owned),
            commitment_discount_name: None,
            commitment_discount_status: None,
            commitment_discount_type,
            consumed_quantity: usage_amount,
            consumed_unit: text(columns.pricing_unit),
            contracted_cost: None,
            contracted_unit_price: None,
            effective_cost: effective_cost?,
            invoice_issuer_name: text(columns.invoicing_entity),
            list_cost,
            list_unit_price: public_on_demand_rate,
            pricing_category: Some(pricing_category(ctx.source_text(columns.purchase_option))),
            pricing_quantity,
            pricing_unit: text(columns.pricing_unit),
            provider_name: Some("AWS".to_owned()),
            publisher_name: text(columns.legal_entity),
            region_id: ctx
                .source_text(columns.product_region)
                .or_else(|| ctx.source_text(columns.product_region_code))
                .map(str::to_owned),
            region_name: None,
            resource_id: resource_id.map(str::to_owned),
            resource_name,
            resource_type,
            service_category: product_code.map(aws_service_category),
            service_name: product_code.map(str::to_owned),
            sku_id: text(columns.product_sku),
            sku_price_id: ctx
                .source_text(columns.rate_code)
                .or_else(|| ctx.source_text(columns.rate_id))
                .map(str::to_owned),
            sub_account_id: text(columns.usage_account_id),
            sub_account_name: None,
            tags,
            later_focus_columns: Vec::new(),
            x_columns: Vec::new(),
        };
        Some(row)
    }

    /// Reads the tags of a row: the legacy `resourceTags/{key}` columns and the CUR 2.0 `resource_tags` object.
    fn tags(&self, ctx: &mut RowCtx<'_>) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .tag_columns
            .iter()
            .filter_map(|(column_idx, key)| {
                ctx.text(Some(*column_idx))
                    .map(|value| (key.clone(), value.to_owned()))
            })
            .collect();
        if let Some(text) = ctx.text(self.tags_json) {
            let parsed =
                parse_json_object(text).map_err(|reason| Problem::NotJsonObject { reason });
            match parsed
                .and_then(|map| flat_key_values(map).map_err(|key| Problem::NestedValue { key }))
            {
                Ok(json_pairs) => pairs.extend(json_pairs),
                Err(problem) => {
                    if let Some(column_idx) = self.tags_json {
                        ctx.report(column_idx, Some(text), problem);
                    }
                }
            }
        }
        sorted_unique(pairs)
    }
}

/// ChargeCategory of a line item type, as the rule lists them.
pub(crate) fn charge_category(line_item_type: &str) -> Option<ChargeCategory> {
    match line_item_type {
        "Tax" => Some(ChargeCategory::Tax),
        "Fee" | "SavingsPlanUpfrontFee" | "RIFee" | "SavingsPlanRecurringFee" => {
            Some(ChargeCategory::Purchase)
        }
        "Usage"
        | "SavingsPlanCoveredUsage"
        | "SavingsPlanNegation"
        | "DiscountedUsage"
        | "BundledDiscount"
        | "Discount"
        | "PrivateRateDiscount"
        | "EdpDiscount" => Some(ChargeCategory::Usage),
        "Credit" | "Refund" => Some(ChargeCategory::Adjustment),
        _ => None,
    }
}

/// ChargeFrequency of a bill type (`MAP_VALUES` with default `''`, which is null).
pub(crate) fn charge_frequency(bill_type: &str) -> Option<ChargeFrequency> {
    match bill_type {
        "Refund" | "Purchase" => Some(ChargeFrequency::OneTime),
        "Anniversary" => Some(ChargeFrequency::Recurring),
        _ => None,
    }
}

/// PricingCategory of a purchase option (`CASE` with `ELSE 'Other'`; a null option is `Other` too).
pub(crate) fn pricing_category(purchase_option: Option<&str>) -> PricingCategory {
    match purchase_option {
        Some("On-Demand" | "Dedicated Hosts") => PricingCategory::Standard,
        Some("Reserved Instances") => PricingCategory::Committed,
        Some("Spot Instances") => PricingCategory::Dynamic,
        _ => PricingCategory::Other,
    }
}

/// Returns the CUR 2.0 spelling of a CUR column name: `lineItem/UnblendedCost` is `line_item_unblended_cost`.
///
/// Separators (`/`, `-`, `:`, space) become `_`; an uppercase letter starts a new word after a lowercase letter or a digit,
/// or after an uppercase letter when a lowercase letter follows (so `ARNs` in `SavingsPlanARN` stay together).
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut snake = String::with_capacity(name.len() + 8);
    for (char_idx, &character) in chars.iter().enumerate() {
        if matches!(character, '/' | '-' | ':' | ' ' | '_') {
            if !snake.is_empty() && !snake.ends_with('_') {
                snake.push('_');
            }
            continue;
        }
        if character.is_uppercase() {
            let previous = char_idx
                .checked_sub(1)
                .and_then(|previous_idx| chars.get(previous_idx));
            let next = chars.get(char_idx + 1);
            let word_start = match previous {
                Some(previous) if previous.is_lowercase() || previous.is_ascii_digit() => true,
                Some(previous) if previous.is_uppercase() => {
                    next.is_some_and(|next| next.is_lowercase())
                }
                _ => false,
            };
            if word_start && !snake.is_empty() && !snake.ends_with('_') {
                snake.push('_');
            }
            snake.extend(character.to_lowercase());
        } else {
            snake.push(character);
        }
    }
    snake
}

/// Title-cases text as Python's `str.title` does: the first letter of every run of letters is uppercase, the rest lowercase.
pub(crate) fn title_case(text: &str) -> String {
    let mut titled = String::with_capacity(text.len());
    let mut in_word = false;
    for character in text.chars() {
        if character.is_alphabetic() {
            if in_word {
                titled.extend(character.to_lowercase());
            } else {
                titled.extend(character.to_uppercase());
            }
            in_word = true;
        } else {
            titled.push(character);
            in_word = false;
        }
    }
    titled
}
