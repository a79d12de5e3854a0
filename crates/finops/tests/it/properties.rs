//! Property tests: the decimal and date-time parsers against reference implementations, and the reader on arbitrary bytes.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};
use leitstand_finops::parse::{parse_datetime, parse_decimal, DecimalError};
use leitstand_finops::{CostReader, OnError, ReadOptions};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A FOCUS 1.0 header with every Mandatory column, so that arbitrary rows reach the validator.
const FOCUS_HEADER: &str = "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,\
ChargeClass,ChargeDescription,ChargePeriodEnd,ChargePeriodStart,ContractedCost,EffectiveCost,InvoiceIssuerName,ListCost,PricingQuantity,\
PricingUnit,ProviderName,PublisherName,ServiceCategory,ServiceName,Tags,x_Custom\n";

/// A CUR header with the required columns.
const CUR_HEADER: &str = "bill/PayerAccountId,bill/BillingPeriodStartDate,bill/BillingPeriodEndDate,lineItem/LineItemType,\
lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/CurrencyCode,lineItem/UnblendedCost,lineItem/ResourceId,resourceTags/user:a\n";

/// An EA header with the required columns.
const EA_HEADER: &str = "SubscriptionId,Date,BillingPeriodStartDate,BillingPeriodEndDate,CostInBillingCurrency,BillingAccountId,\
BillingCurrencyCode,ChargeType,ConsumedService,Tags,UnitOfMeasure\n";

/// Reads every row of `bytes`, collecting errors; the test is that this returns.
fn read_everything(bytes: Vec<u8>) {
    let options = ReadOptions {
        format: None,
        on_error: OnError::Collect {
            max_errors: 1_000_000,
        },
    };
    if let Ok(reader) =
        CostReader::from_reader("arbitrary.csv", std::io::Cursor::new(bytes), options)
    {
        for row in reader {
            let _ = row;
        }
    }
}

/// CSV-ish bytes: separators, quotes, newlines, digits, letters, JSON punctuation and bytes that are not UTF-8.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        Just(b','),
        Just(b'"'),
        Just(b'\n'),
        Just(b'\r'),
        Just(b'{'),
        Just(b'}'),
        Just(b':'),
        Just(b'.'),
        Just(b'-'),
        Just(b'E'),
        Just(b'T'),
        Just(b'Z'),
        b'0'..=b'9',
        b'a'..=b'z',
        0x80u8..=0xff,
    ];
    proptest::collection::vec(byte, 0..600)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decimals_round_trip_through_their_text(mantissa in any::<i64>(), scale in 0u32..=28) {
        let value = Decimal::new(mantissa, scale);
        let parsed = parse_decimal(&value.to_string()).unwrap();
        prop_assert_eq!(parsed, value);
        prop_assert_eq!(parsed.scale(), value.scale());
    }

    #[test]
    fn plain_decimals_agree_with_rust_decimal(negative in any::<bool>(), int in "[0-9]{1,15}", frac in proptest::option::of("[0-9]{0,13}")) {
        let text = match &frac {
            Some(frac) => format!("{}{int}.{frac}", if negative { "-" } else { "" }),
            None => format!("{}{int}", if negative { "-" } else { "" }),
        };
        prop_assert_eq!(parse_decimal(&text).unwrap(), Decimal::from_str_exact(&text).unwrap());
    }

    #[test]
    fn scientific_decimals_are_exact(mantissa in -1_000_000_000_000i64..1_000_000_000_000, exponent in -15i32..=12, upper in any::<bool>()) {
        let text = format!("{mantissa}{}{exponent}", if upper { "E" } else { "e" });
        let expected = if exponent <= 0 {
            Decimal::from_i128_with_scale(i128::from(mantissa), exponent.unsigned_abs())
        } else {
            Decimal::from(mantissa) * Decimal::from(10i64.pow(exponent.unsigned_abs()))
        };
        prop_assert_eq!(parse_decimal(&text).unwrap(), expected);
    }

    #[test]
    fn decimal_parsing_never_panics(text in "[-+0-9eE.]{0,80}|\\PC{0,40}") {
        match parse_decimal(&text) {
            Ok(_) | Err(DecimalError::Syntax | DecimalError::OutOfRange) => {}
        }
    }

    #[test]
    fn date_times_round_trip_in_every_accepted_form(seconds in 0i64..4_102_444_800, nanos in 0u32..1_000_000_000, offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59)) {
        let instant: DateTime<Utc> = Utc.timestamp_opt(seconds, nanos).unwrap();
        prop_assert_eq!(parse_datetime(&instant.to_rfc3339_opts(SecondsFormat::Nanos, true)).unwrap(), instant);
        prop_assert_eq!(parse_datetime(&instant.to_rfc3339_opts(SecondsFormat::Millis, false)).unwrap().timestamp_millis(), instant.timestamp_millis());
        let whole = Utc.timestamp_opt(seconds, 0).unwrap();
        prop_assert_eq!(parse_datetime(&whole.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap(), whole);
        prop_assert_eq!(parse_datetime(&whole.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap(), whole);
        let zone = FixedOffset::east_opt(offset_minutes * 60).unwrap();
        prop_assert_eq!(parse_datetime(&instant.with_timezone(&zone).to_rfc3339_opts(SecondsFormat::AutoSi, false)).unwrap(), instant);
    }

    #[test]
    fn date_time_parsing_never_panics(text in "[0-9T:Z+. -]{0,40}|\\PC{0,40}") {
        let _ = parse_datetime(&text);
    }

    #[test]
    fn the_reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
        read_everything(bytes);
    }

    #[test]
    fn the_reader_never_panics_on_arbitrary_rows(header in prop_oneof![Just(FOCUS_HEADER), Just(CUR_HEADER), Just(EA_HEADER)], rows in csvish()) {
        let mut bytes = header.as_bytes().to_vec();
        bytes.extend(rows);
        read_everything(bytes);
    }

    #[test]
    fn the_reader_never_panics_on_arbitrary_gzip(rest in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut bytes = vec![0x1f, 0x8b];
        bytes.extend(rest);
        read_everything(bytes);
    }
}

#[test]
fn decimal_edge_cases() {
    let ok = |text: &str, expected: &str| {
        assert_eq!(
            parse_decimal(text).unwrap(),
            Decimal::from_str(expected).unwrap(),
            "{text}"
        )
    };
    ok("0.00000080000", "0.0000008");
    ok("4.566E-6", "0.000004566");
    ok("1.38657E-4", "0.000138657");
    ok(".5", "0.5");
    ok("5.", "5");
    ok("+7", "7");
    ok("-0", "0");
    ok("1e0", "1");
    ok(
        "79228162514264337593543950335",
        "79228162514264337593543950335",
    );
    // 30 decimal places round half to even at 28.
    ok(
        "0.000000000000000000000000000150",
        "0.0000000000000000000000000002",
    );
    ok(
        "0.000000000000000000000000000250",
        "0.0000000000000000000000000002",
    );
    ok("1e-40", "0");
    for bad in [
        "", "-", ".", "e5", "1e", "1.2.3", "1,000", " 1", "1 ", "$1", "NaN", "inf", "0x10", "1e+",
        "--1",
    ] {
        assert_eq!(parse_decimal(bad), Err(DecimalError::Syntax), "{bad:?}");
    }
    assert_eq!(
        parse_decimal("79228162514264337593543950336"),
        Err(DecimalError::OutOfRange)
    );
    assert_eq!(parse_decimal("1e29"), Err(DecimalError::OutOfRange));
    assert_eq!(
        parse_decimal("1e999999999999"),
        Err(DecimalError::OutOfRange)
    );
}

#[test]
fn date_time_edge_cases() {
    let utc = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
    assert_eq!(
        parse_datetime("2024-09-01T00:00:00Z").unwrap(),
        utc(2024, 9, 1, 0, 0, 0)
    );
    assert_eq!(
        parse_datetime("2024-09-01 00:00:00").unwrap(),
        utc(2024, 9, 1, 0, 0, 0)
    );
    assert_eq!(
        parse_datetime("2023-11-01T00:00:00.000Z").unwrap(),
        utc(2023, 11, 1, 0, 0, 0)
    );
    assert_eq!(
        parse_datetime("2024-09-01T02:00:00+02:00").unwrap(),
        utc(2024, 9, 1, 0, 0, 0)
    );
    assert_eq!(
        parse_datetime("2024-09-01T00:00-0130").unwrap(),
        utc(2024, 9, 1, 1, 30, 0)
    );
    for bad in [
        "",
        "2024-09-01",
        "2024-9-01T00:00:00Z",
        "2024-09-31T00:00:00Z",
        "2024-09-01T24:00:00Z",
        "2024-09-01T00:00:60Z",
        "2024-09-01T00:00:00ZZ",
        "2024-09-01T00:00:00.Z",
        "2024-09-01T00:00:00.1234567890Z",
        "2024-09-01T00:00:00+24:00",
    ] {
        assert!(parse_datetime(bad).is_err(), "{bad:?}");
    }
}
