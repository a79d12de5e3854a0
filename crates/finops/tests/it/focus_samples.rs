//! The FOCUS samples: the 1.0 sample export (1,000 rows) and the focus-validator's all-pass file (FOCUS 0.5).

use std::str::FromStr;

use chrono::{TimeZone, Utc};
use leitstand_finops::{
    sub_account_key, validate_file, ChargeCategory, ChargeFrequency, CommitmentDiscountCategory,
    CommitmentDiscountStatus, CostReader, FocusVersion, InputFormat, PricingCategory, Problem,
    ReadError, ReadOptions, ServiceCategory, SubAccountKey,
};
use rust_decimal::Decimal;

use crate::common::{collect, read_all, shared};

const SAMPLE_1_0: &str = "focus_1.0_sample_1000rows.csv";

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

#[test]
fn focus_1_0_sample_reads_1000_rows_and_sums_to_the_cent_and_beyond() {
    let mut reader = CostReader::open(shared(SAMPLE_1_0), collect(100)).unwrap();
    assert_eq!(reader.format(), InputFormat::Focus(FocusVersion::V1_0));
    // `Id` is a provider column without the `x_` prefix: reported, not read.
    assert_eq!(
        reader
            .unknown_columns()
            .iter()
            .map(|name| name.as_ref())
            .collect::<Vec<_>>(),
        ["Id"]
    );
    let rows: Vec<_> = (&mut reader).map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1000);
    assert_eq!(reader.rows_read(), 1000);
    assert_eq!(reader.rows_rejected(), 0);

    // Expected totals from python3, summing the raw columns exactly:
    //   sum(decimal.Decimal(r['BilledCost']) for r in csv.DictReader(open('focus_1.0_sample_1000rows.csv')))    == 20.52022672899
    //   sum(decimal.Decimal(r['EffectiveCost']) for r in csv.DictReader(open('focus_1.0_sample_1000rows.csv'))) == 14.97651418586
    let billed: Decimal = rows.iter().map(|row| row.billed_cost).sum();
    let effective: Decimal = rows.iter().map(|row| row.effective_cost).sum();
    assert_eq!(billed, dec("20.52022672899"));
    assert_eq!(effective, dec("14.97651418586"));
}

#[test]
fn focus_1_0_sample_has_exactly_the_fourteen_violations_python_finds() {
    // python3: the rows (1-based) whose ChargeFrequency is not an allowed value, and those whose ContractedCost is NULL,
    // are both [926, 927, 942, 945, 948, 949, 951] (all seven are ProviderName `Oracle`, ChargeFrequency `Usage-based`).
    let (_, violations) = read_all(&shared(SAMPLE_1_0));
    let found: Vec<(u64, u64, &str, Option<&str>, &Problem)> = violations
        .iter()
        .map(|violation| {
            (
                violation.row,
                violation.line,
                violation.column.as_deref().unwrap(),
                violation.value.as_deref(),
                &violation.problem,
            )
        })
        .collect();
    // `Usage-based` differs from `Usage-Based` only in case: still a violation of the
    // specification, but one that is read as the allowed value.
    let allowed = &Problem::CaseMismatch {
        canonical: "Usage-Based",
    };
    let mut expected = Vec::new();
    for row in [926, 927, 942, 945, 948, 949, 951] {
        expected.push((
            row,
            row + 1,
            "ChargeFrequency",
            Some("Usage-based"),
            allowed,
        ));
        expected.push((row, row + 1, "ContractedCost", None, &Problem::Null));
    }
    assert_eq!(found, expected);
    assert!(violations
        .iter()
        .all(|violation| violation.file.ends_with("focus_1.0_sample_1000rows.csv")));
}

#[test]
fn focus_1_0_sample_stops_at_the_first_violation_by_default() {
    let mut reader = CostReader::open(shared(SAMPLE_1_0), ReadOptions::default()).unwrap();
    let good = (&mut reader).take_while(Result::is_ok).count();
    assert_eq!(good, 925);
    let mut reader = CostReader::open(shared(SAMPLE_1_0), ReadOptions::default()).unwrap();
    let error = reader.by_ref().find_map(Result::err).unwrap();
    let ReadError::Invalid(violation) = &error else {
        panic!("expected a violation, got {error:?}")
    };
    assert_eq!((violation.row, violation.line), (926, 927));
    assert_eq!(violation.column.as_deref(), Some("ChargeFrequency"));
    assert!(error.to_string().ends_with(
        "focus_1.0_sample_1000rows.csv` row 926 (line 927), column `ChargeFrequency`: `Usage-based` differs from the allowed value `Usage-Based` only in case (read as `Usage-Based`)"
    ));
    assert!(reader.next().is_none(), "the read ends after the error");
}

#[test]
fn focus_1_0_sample_rows_match_the_file_field_by_field() {
    let (rows, _) = read_all(&shared(SAMPLE_1_0));

    // Row 2, an AWS load balancer charge with tags, checked against the raw line by hand.
    let row = &rows[1];
    assert_eq!(row.billed_cost, dec("0.00001605990"));
    assert_eq!(row.billing_account_id, "1234567890123");
    assert_eq!(row.billing_account_name.as_deref(), Some("SunBird"));
    assert_eq!(
        row.billing_period_start,
        Utc.with_ymd_and_hms(2024, 9, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        row.billing_period_end,
        Utc.with_ymd_and_hms(2024, 10, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        row.charge_period_start,
        Utc.with_ymd_and_hms(2024, 9, 30, 22, 0, 0).unwrap()
    );
    assert_eq!(
        row.charge_period_end,
        Utc.with_ymd_and_hms(2024, 9, 30, 23, 0, 0).unwrap()
    );
    assert_eq!(row.charge_category, ChargeCategory::Usage);
    assert_eq!(row.charge_class, None);
    assert_eq!(row.charge_frequency, Some(ChargeFrequency::UsageBased));
    assert_eq!(row.consumed_quantity, Some(dec("0.002007490000000")));
    assert_eq!(row.consumed_unit.as_deref(), Some("LCU-Hours"));
    assert_eq!(row.list_unit_price, Some(dec("0.008")));
    assert_eq!(row.pricing_category, Some(PricingCategory::Standard));
    assert_eq!(row.region_id.as_deref(), Some("us-west-2"));
    assert_eq!(row.region_name.as_deref(), Some("US West (Oregon)"));
    assert_eq!(row.service_category, Some(ServiceCategory::Networking));
    assert_eq!(row.service_name.as_deref(), Some("Elastic Load Balancing"));
    assert_eq!(
        row.sku_price_id.as_deref(),
        Some("2ETY8Y426S4237JU.JRTCKXETXF.6YS6EN2CT7")
    );
    assert_eq!(row.sub_account_id.as_deref(), Some("43883916739"));
    assert_eq!(
        row.tags,
        pairs(&[
            ("application", "BrightLensMatrix"),
            ("business_unit", "ViennaAI"),
            ("environment", "dev")
        ])
    );
    assert_eq!(row.tag("environment"), Some("dev"));
    // An 11-digit AWS account id lost its leading zero; the key puts it back.
    assert_eq!(
        sub_account_key(row),
        SubAccountKey::AwsAccount("043883916739".to_owned())
    );

    // Row 24, the first charge covered by a savings plan.
    let row = &rows[23];
    assert_eq!(
        row.commitment_discount_id.as_deref(),
        Some("arn:aws:savingsplans::961082193871:savingsplan/493f5705-db1c-4867-8e5c-ee9a66fa6d3f")
    );
    assert_eq!(
        row.commitment_discount_type.as_deref(),
        Some("Savings Plan")
    );
    assert_eq!(
        row.commitment_discount_category,
        Some(CommitmentDiscountCategory::Spend)
    );
    assert_eq!(
        row.commitment_discount_status,
        Some(CommitmentDiscountStatus::Used)
    );
    assert_eq!(row.pricing_category, Some(PricingCategory::Committed));
    assert_eq!(
        row.charge_period_start,
        Utc.with_ymd_and_hms(2024, 9, 4, 4, 0, 0).unwrap()
    );

    // Row 947, the first Azure charge: a storage account with a tag key that starts with a space.
    let row = &rows[946];
    assert_eq!(
        row.billing_account_id,
        "/providers/Microsoft.Billing/billingAccounts/8611537"
    );
    assert_eq!(row.contracted_cost, Some(dec("0.00000000150")));
    assert_eq!(row.pricing_quantity, Some(dec("0.00000003000")));
    assert_eq!(row.resource_type.as_deref(), Some("Storage account"));
    assert_eq!(
        row.sub_account_id.as_deref(),
        Some("/subscriptions/64e355d7-997c-491d-b0c1-8414dccfcf42")
    );
    assert_eq!(
        row.tags,
        pairs(&[
            (" org", "trey"),
            ("CostAllocationTest", "Sameer"),
            ("CostCenter", "1234"),
            ("Project", "Foo"),
            ("env", "prod"),
            ("org", "trey")
        ])
    );
    assert_eq!(
        sub_account_key(row),
        SubAccountKey::AzureSubscription("64e355d7-997c-491d-b0c1-8414dccfcf42".to_owned())
    );
}

#[test]
fn focus_validator_all_pass_file_passes() {
    // The focus-validator's all-pass fixture is FOCUS 0.5 (ChargeType, AmortizedCost, BilledCurrency); it also carries two columns 0.5 does not define.
    let validation = validate_file(
        shared("focus_validator_all_pass_0.5.csv"),
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(validation.format, InputFormat::Focus(FocusVersion::V0_5));
    assert_eq!(validation.rows_read, 2);
    assert_eq!(validation.rows_rejected, 0);
    assert_eq!(validation.violations, []);
    assert_eq!(
        validation
            .unknown_columns
            .iter()
            .map(|name| name.as_ref())
            .collect::<Vec<_>>(),
        ["BillingCurrency", "BillingAccountType"]
    );

    let (rows, _) = read_all(&shared("focus_validator_all_pass_0.5.csv"));
    assert_eq!(rows[0].charge_category, ChargeCategory::Purchase);
    assert_eq!(
        rows[0].billing_currency, "AUD",
        "0.5's BilledCurrency, not the stray BillingCurrency column"
    );
    assert_eq!(rows[0].effective_cost, dec("0.01"), "0.5's AmortizedCost");
    assert_eq!(rows[0].provider_name.as_deref(), Some("A"));
    assert_eq!(
        rows[0].invoice_issuer_name.as_deref(),
        Some("test-entity-1")
    );
    assert_eq!(rows[1].charge_category, ChargeCategory::Adjustment);
    assert_eq!(rows[1].billing_account_name, None);
    assert_eq!(rows[1].resource_id.as_deref(), Some("r2"));
    assert_eq!(rows[1].region_id.as_deref(), Some("B"));
    assert_eq!(
        sub_account_key(&rows[1]),
        SubAccountKey::Other("a123456789098".to_owned())
    );
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}
