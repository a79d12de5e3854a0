//! Converters from provider exports to FOCUS rows, implementing the mapping rules of the FinOps Foundation's FOCUS converters in our own code.
//!
//! The rules are `focus_converters_aws_mapping_rules.csv` (AWS Cost and Usage Report) and `focus_converters_azure_mapping_rules.csv` (Azure EA usage export),
//! one row per FOCUS column and transform step: renames, static values, value maps, SQL `CASE`/`COALESCE` conditions, date parsing and lookups.
//! Each rule is a few lines in `convert/aws.rs` or `convert/azure.rs`, with the rule quoted in a comment; both converters yield [`CostRow`](crate::CostRow)s row by row.
//! A null in the rules' SQL is an empty (or `NULL`) field here, and values are trimmed of surrounding whitespace.
//!
//! # AWS Cost and Usage Report
//!
//! Column names are matched in the CUR 2.0 spelling the rules use (`line_item_unblended_cost`); legacy names (`lineItem/UnblendedCost`) are converted to it
//! (`/` becomes `_`, camel case becomes snake case, an acronym stays one word: `savingsPlan/SavingsPlanARN` is `savings_plan_savings_plan_arn`).
//! A source column the export lacks is null in every row, as in the converters, except the columns every row needs (costs, currency, periods, payer account, line item type), whose absence is an error.
//!
//! Implemented as written: AvailabilityZone, BillingAccountId, BillingCurrency, ChargeDescription, ConsumedQuantity, ConsumedUnit, InvoiceIssuer(Name),
//! ListUnitPrice, PricingUnit, Provider(Name) (`AWS`), Publisher(Name), ResourceId, ServiceName, SkuId, SubAccountId (renames and static values);
//! BilledCost (net unblended cost, else unblended cost), CommitmentDiscountCategory, CommitmentDiscountId, CommitmentDiscountType, ListCost
//! (public on-demand rate × usage amount, else public on-demand cost), PricingQuantity, RegionId, SkuPriceId (`SQL_CONDITION`s);
//! ChargeCategory (the line item type map; a type the rule does not list, whose default is the empty string, which is no ChargeCategory, is reported as unmapped and the row is skipped);
//! ChargeFrequency (`MAP_VALUES` of the bill type: `Anniversary` is `Recurring`, `Purchase` and `Refund` are `One-Time`, anything else null);
//! EffectiveCost and PricingCategory (the `SQL_QUERY` `CASE`s; a `CASE` branch whose inputs are null yields null, which for EffectiveCost is reported and skips the row);
//! BillingPeriodStart/End and ChargePeriodStart/End (`ASSIGN_UTC_TIMEZONE`: a time without a zone is UTC);
//! ResourceName (the seventh `:`-separated part of the resource id, title-cased as Python's `str.title` does) and ResourceType (the sixth part, kept only when a seventh exists, which is how we read the three-step plan with its two temporary columns).
//!
//! Not implementable as written:
//! - ServiceCategory is a `LOOKUP` in `conversion_configs/aws/mapping_files/aws_category_mapping.csv`, a file the rules reference but do not contain.
//!   We look the product code up in our own table (`service_category.rs`); a code that is not in it is `Other`.
//! - The rules spell the reservation ARN column `reservation_reservation_arn` (CommitmentDiscount rules) and `reservation_reservation_a_r_n` (EffectiveCost rule);
//!   we read both as the CUR's `reservation/ReservationARN`.
//! - BillingAccountName, CommitmentDiscountName and SubAccountName are `Not Defined` in the rules and stay empty; the CUR has no source for them.
//!
//! # Azure EA usage export
//!
//! Column names are matched case-insensitively. The older EA schema (as in the FinOps toolkit samples) names three source columns differently;
//! those names are accepted too: `Cost` for `CostInBillingCurrency`, `BillingCurrency` for `BillingCurrencyCode`, `Product` for `ProductName`, and `SubscriptionGuid` for `SubscriptionId`.
//!
//! Implemented as written: AvailabilityZone, BilledCost and EffectiveCost (both `CostInBillingCurrency`), BillingAccountId, BillingAccountName, BillingCurrency,
//! ChargeDescription (`ProductName`), CommitmentDiscountId, CommitmentDiscountName, ConsumedQuantity, InvoiceIssuer(Name) (`Microsoft`), Provider(Name) (`Azure`),
//! Publisher(Name), RegionId (`ResourceLocation`), ResourceId, ResourceName, ServiceName (`ConsumedService`), SkuPriceId (static null), SubAccountId, SubAccountName;
//! ChargeCategory (`Usage`, `Purchase`, `Tax` as they are, `UnusedReservation` and `UnusedSavingsPlan` are `Usage`, everything else, null included, `Adjustment`);
//! CommitmentDiscountCategory and CommitmentDiscountType (`benefitId` containing `/microsoft.capacity/` is `Usage`/`Reservation`, `/microsoft.billingbenefits/` is `Spend`/`Savings Plan`);
//! ConsumedUnit (the rule's 297 `UnitOfMeasure` keys, duplicates removed, and `Units` for any other value; null stays null);
//! BillingPeriodStart (`PARSE_DATETIME %m/%d/%Y` then UTC; ISO dates are accepted too).
//!
//! Deviations, because the rule as written yields values FOCUS forbids:
//! - ChargeFrequency: the rule's default is `Other`, which is not a FOCUS value; we leave the frequency empty instead.
//! - PricingCategory: the rule produces FOCUS 0.5's `On-Demand` and `Commitment Discount`; we produce their FOCUS 1.0 names `Standard` and `Committed`,
//!   and we also map `SavingsPlan`, the spelling EA exports use, besides the rule's `Savings Plans`. `Spot` is `Dynamic`, anything else `Other`, as in the rule.
//! - ChargePeriodStart/End: the rule takes the start from `BillingPeriodStartDate` (its third step renames `BillingPeriodStart`, a copy of the BillingPeriodStart plan)
//!   and the end from `Date`, so a charge on the first day of the month would have an empty period and every other charge would span the month so far.
//!   The EA `Date` is the day of usage, so we use `[Date, Date + 1 day)`.
//! - BillingPeriodEnd: `BillingPeriodEndDate` is the last day of the period (inclusive) and FOCUS's end is exclusive, so we add one day.
//!
//! Not implementable as written:
//! - ServiceCategory is a `LOOKUP` in `conversion_configs/azure/mapping_files/azure_category_mapping.csv`, which the rules do not contain;
//!   we look `ConsumedService` up in our own table, case-insensitively, and a service not in it is `Other`.
//! - ListCost, ListUnitPrice, PricingQuantity, PricingUnit, ResourceType and SkuId are `Not Defined` and stay empty.
//! - One export is either actual or amortized cost, and the rules map its cost to both BilledCost and EffectiveCost; we do the same, so one of the two is only right for one kind of export.
//!
//! # Our additions
//!
//! Neither rules file maps tags, and the analyses need them, so the converters also read them:
//! the CUR's `resourceTags/{key}` columns (legacy) and `resource_tags` JSON object (CUR 2.0), and the EA `Tags` column,
//! a JSON object written without its braces (`"env": "prod","org": "trey"`).
//! No other source column is kept: converted rows have no `x_` columns.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod service_category;

use rust_decimal::Decimal;

use crate::error::Problem;
use crate::reader::RowCtx;

/// A source column of a rule: where the export has it (if it does) and how the rule names it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Source {
    idx: Option<usize>,
    name: &'static str,
}

impl<'r> RowCtx<'r> {
    /// Returns a source column's value, or `None` if it is null or the export lacks the column.
    fn source_text(&self, source: Source) -> Option<&'r str> {
        self.text(source.idx)
    }

    /// Parses a source column as a decimal, reporting a value that is not one.
    fn source_decimal(&mut self, source: Source) -> Option<Decimal> {
        self.decimal(source.idx)
    }

    /// Passes `value` through, reporting a null source that the rule for `target` needs.
    /// A source whose value was present but bad has been reported already and is not reported again.
    fn require<T>(&mut self, value: Option<T>, source: Source, target: &'static str) -> Option<T> {
        if value.is_none() {
            match source.idx {
                None => self.report_absent(source.name, Problem::NullInRule { target }),
                Some(column_idx)
                    if self.is_text(column_idx) && self.text(Some(column_idx)).is_none() =>
                {
                    self.report(column_idx, None, Problem::NullInRule { target });
                }
                Some(_) => {}
            }
        }
        value
    }

    /// Returns `left op right`, reporting an overflow against `target` on the `left` source.
    fn checked(
        &mut self,
        result: Option<Decimal>,
        left: Source,
        target: &'static str,
    ) -> Option<Decimal> {
        if result.is_none() {
            let value = self.source_text(left);
            match left.idx {
                Some(column_idx) => self.report(column_idx, value, Problem::Overflow { target }),
                None => self.report_absent(left.name, Problem::Overflow { target }),
            }
        }
        result
    }
}

/// Sorts key/value pairs by key and keeps the first of each key.
fn sorted_unique(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort_by(|(left, _), (right, _)| left.cmp(right));
    pairs.dedup_by(|later, earlier| later.0 == earlier.0);
    pairs
}
