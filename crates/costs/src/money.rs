//! Money as the database keeps it: integer nano-units (10⁻⁹) of the billing currency.
//!
//! Sums are exact [`Decimal`]s while a file is read; each daily aggregate is rounded once to the
//! nano-unit when it is stored (half away from zero), so a month's total is off by at most
//! half a nano-unit per daily row: far below a cent for any realistic number of rows.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// Nano-units per currency unit.
const NANOS_PER_UNIT: i64 = 1_000_000_000;

/// Converts an amount to nano-units; `None` when it does not fit an `i64` (about 9.2 billion
/// currency units).
pub fn to_nanos(amount: Decimal) -> Option<i64> {
    amount
        .checked_mul(Decimal::from(NANOS_PER_UNIT))?
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

/// Converts nano-units back to an amount (exact, normalized: no trailing zeros).
pub fn from_nanos(nanos: i64) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(nanos), 9).normalize()
}

/// The amount as a JSON number (ARM's cost query answers numbers); rounded to 9 decimals.
pub fn nanos_to_f64(nanos: i64) -> f64 {
    // i64 → f64 loses precision only above 2^53 nano-units (about 9 million units).
    #[expect(clippy::cast_precision_loss, reason = "a JSON number is an f64 anyway")]
    let value = nanos as f64;
    value / 1e9
}

/// Formats nano-units rounded to cents, as a statement shows them (`12.34`).
pub fn cents(nanos: i64) -> String {
    from_nanos(nanos)
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nanos_round_half_away_from_zero() {
        let d = |s: &str| s.parse::<Decimal>().ok();
        assert_eq!(d("1.0000000005").and_then(to_nanos), Some(1_000_000_001));
        assert_eq!(d("-1.0000000005").and_then(to_nanos), Some(-1_000_000_001));
        assert_eq!(d("0.123456789").and_then(to_nanos), Some(123_456_789));
        assert_eq!(d("10000000000").and_then(to_nanos), None);
    }

    proptest! {
        #[test]
        fn nanos_round_trip(n in -9_000_000_000_000_000_000i64..9_000_000_000_000_000_000i64) {
            prop_assert_eq!(to_nanos(from_nanos(n)), Some(n));
        }
    }
}
