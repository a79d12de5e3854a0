//! Chargeback: a customer's price sheet (markup or discount per service category, a fixed
//! management fee) turns a billing month's cost into the customer's statement.
//!
//! Amounts are exact decimals. Each line is the month's BilledCost of one service category
//! (and currency), rounded to the cent; the markup is a percentage of the rounded cost, rounded
//! to the cent. The statement reconciles: its cost lines add up to the ingested total of the
//! month, rounded to the cent, or it says by how much they differ.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// A price sheet: `{"markupPercent": {"Compute": 12, "*": 8}, "managementFee": 250,
/// "feeCurrency": "EUR"}`. A negative percentage is a discount; `*` applies to every category
/// not named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceSheet {
    pub markup_percent: BTreeMap<String, Decimal>,
    pub default_markup_percent: Decimal,
    pub management_fee: Decimal,
    /// The fee's currency; it is charged only on a statement in that currency.
    pub fee_currency: Option<String>,
}

/// Why a price sheet was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("price sheet: {0}")]
pub struct SheetError(pub String);

fn decimal(value: &Value, what: &str) -> Result<Decimal, SheetError> {
    match value {
        Value::Number(n) => n
            .to_string()
            .parse::<Decimal>()
            .map_err(|_| SheetError(format!("{what} `{n}` is not a decimal number"))),
        Value::String(s) => s
            .parse::<Decimal>()
            .map_err(|_| SheetError(format!("{what} `{s}` is not a decimal number"))),
        other => Err(SheetError(format!("{what} must be a number, not {other}"))),
    }
}

impl PriceSheet {
    /// Parses a price sheet's JSON.
    pub fn parse(value: &Value) -> Result<PriceSheet, SheetError> {
        let obj = value
            .as_object()
            .ok_or_else(|| SheetError("must be a JSON object".into()))?;
        let mut markup_percent = BTreeMap::new();
        let mut default_markup_percent = Decimal::ZERO;
        if let Some(markups) = obj.get("markupPercent") {
            let markups = markups
                .as_object()
                .ok_or_else(|| SheetError("`markupPercent` must be an object".into()))?;
            for (category, p) in markups {
                let p = decimal(p, &format!("markupPercent.{category}"))?;
                if p < Decimal::from(-100) {
                    return Err(SheetError(format!(
                        "markupPercent.{category}: a discount cannot exceed 100%"
                    )));
                }
                if category == "*" {
                    default_markup_percent = p;
                } else {
                    markup_percent.insert(category.to_lowercase(), p);
                }
            }
        }
        let management_fee = match obj.get("managementFee") {
            Some(v) => decimal(v, "managementFee")?,
            None => Decimal::ZERO,
        };
        if management_fee < Decimal::ZERO {
            return Err(SheetError("`managementFee` cannot be negative".into()));
        }
        let fee_currency = obj
            .get("feeCurrency")
            .and_then(Value::as_str)
            .map(str::to_uppercase);
        if management_fee > Decimal::ZERO && fee_currency.is_none() {
            return Err(SheetError(
                "`feeCurrency` is required with a management fee".into(),
            ));
        }
        Ok(PriceSheet {
            markup_percent,
            default_markup_percent,
            management_fee,
            fee_currency,
        })
    }

    fn markup_for(&self, category: &str) -> Decimal {
        self.markup_percent
            .get(&category.to_lowercase())
            .copied()
            .unwrap_or(self.default_markup_percent)
    }
}

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub service_category: String,
    /// The cost, rounded to the cent.
    pub cost: Decimal,
    pub markup_percent: Decimal,
    pub markup: Decimal,
    pub charge: Decimal,
}

/// A statement in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub currency: String,
    pub lines: Vec<Line>,
    pub management_fee: Decimal,
    pub total_cost: Decimal,
    pub total_charge: Decimal,
    /// The ingested total of the month, rounded to the cent.
    pub ingested_total: Decimal,
    /// `total_cost - ingested_total`: zero when the statement reconciles.
    pub difference: Decimal,
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Builds the statements (one per currency) from the month's cost per (currency, service
/// category) and the ingested totals per currency.
///
/// Each category's cost is rounded to the cent; if the rounded lines do not add up to the
/// rounded ingested total, the difference (at most half a cent per line) goes to the largest
/// line, so the statement reconciles to the cent.
pub fn statements(
    sheet: &PriceSheet,
    by_category: &BTreeMap<(String, String), Decimal>,
    ingested: &BTreeMap<String, Decimal>,
) -> Vec<Statement> {
    let mut currencies: Vec<String> = by_category.keys().map(|(c, _)| c.clone()).collect();
    currencies.extend(ingested.keys().cloned());
    currencies.sort();
    currencies.dedup();
    let mut out = Vec::new();
    for currency in currencies {
        let mut lines: Vec<Line> = by_category
            .iter()
            .filter(|((c, _), _)| *c == currency)
            .map(|((_, category), cost)| {
                let cost = cents(*cost);
                let markup_percent = sheet.markup_for(category);
                Line {
                    service_category: if category.is_empty() {
                        "(none)".to_owned()
                    } else {
                        category.clone()
                    },
                    cost,
                    markup_percent,
                    markup: Decimal::ZERO,
                    charge: Decimal::ZERO,
                }
            })
            .collect();
        let ingested_total = cents(ingested.get(&currency).copied().unwrap_or_default());
        let sum: Decimal = lines.iter().map(|l| l.cost).sum();
        let gap = ingested_total - sum;
        // Rounding each line can miss the rounded total by a few cents: the largest line
        // absorbs it (never more than half a cent per line).
        let max_gap = Decimal::new(5, 3) * Decimal::from(lines.len().max(1) as u64);
        if !gap.is_zero() && gap.abs() <= max_gap {
            if let Some(largest) = lines
                .iter_mut()
                .max_by(|a, b| a.cost.abs().cmp(&b.cost.abs()))
            {
                largest.cost += gap;
            }
        }
        for line in &mut lines {
            line.markup = cents(line.cost * line.markup_percent / Decimal::from(100));
            line.charge = line.cost + line.markup;
        }
        let management_fee = if sheet.fee_currency.as_deref() == Some(currency.as_str()) {
            sheet.management_fee
        } else {
            Decimal::ZERO
        };
        let total_cost: Decimal = lines.iter().map(|l| l.cost).sum();
        let total_charge: Decimal =
            lines.iter().map(|l| l.charge).sum::<Decimal>() + management_fee;
        out.push(Statement {
            currency,
            lines,
            management_fee,
            total_cost,
            total_charge,
            ingested_total,
            difference: total_cost - ingested_total,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn sheet() -> PriceSheet {
        PriceSheet::parse(&json!({
            "markupPercent": { "Compute": 12, "Storage": "-5", "*": 8 },
            "managementFee": 250, "feeCurrency": "EUR",
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn markups_discounts_and_fee() {
        let mut by = BTreeMap::new();
        by.insert(("EUR".into(), "Compute".into()), Decimal::new(100_004, 3)); // 100.004
        by.insert(("EUR".into(), "Storage".into()), Decimal::new(20_000, 3)); // 20.000
        by.insert(("EUR".into(), "Networking".into()), Decimal::new(10_000, 3));
        let mut ingested = BTreeMap::new();
        ingested.insert("EUR".into(), Decimal::new(130_004, 3));
        let s = statements(&sheet(), &by, &ingested);
        assert_eq!(s.len(), 1);
        let s = &s[0];
        let line = |c: &str| s.lines.iter().find(|l| l.service_category == c).cloned();
        assert_eq!(
            line("Compute").map(|l| l.markup),
            Some(Decimal::new(1200, 2))
        );
        assert_eq!(
            line("Storage").map(|l| l.markup),
            Some(Decimal::new(-100, 2))
        );
        assert_eq!(
            line("Networking").map(|l| l.markup),
            Some(Decimal::new(80, 2))
        );
        assert_eq!(s.management_fee, Decimal::from(250));
        assert_eq!(s.total_charge, Decimal::new(39180, 2)); // 130 + 12 - 1 + 0.8 + 250
        assert!(s.difference.is_zero());
    }

    #[test]
    fn bad_sheets_are_refused() {
        assert!(PriceSheet::parse(&json!({ "markupPercent": { "Compute": -101 } })).is_err());
        assert!(PriceSheet::parse(&json!({ "managementFee": 10 })).is_err());
        assert!(PriceSheet::parse(&json!({ "markupPercent": { "Compute": "ten" } })).is_err());
    }

    proptest! {
        /// The statement's cost lines add up to the ingested total to the cent, whatever the
        /// split of the cost into categories (sub-cent amounts included).
        #[test]
        fn statements_reconcile_to_the_cent(parts in proptest::collection::vec((0usize..6, -5_000_000i64..90_000_000), 1..40)) {
            let mut by: BTreeMap<(String, String), Decimal> = BTreeMap::new();
            let mut total = Decimal::ZERO;
            for (category, micros) in parts {
                let amount = Decimal::new(micros, 6);
                *by.entry(("USD".into(), format!("c{category}"))).or_default() += amount;
                total += amount;
            }
            let mut ingested = BTreeMap::new();
            ingested.insert("USD".to_owned(), total);
            let s = statements(&sheet(), &by, &ingested);
            prop_assert_eq!(s.len(), 1);
            prop_assert!(s[0].difference.is_zero(), "{:?}", s[0]);
            prop_assert_eq!(s[0].total_cost, cents(total));
        }
    }
}
