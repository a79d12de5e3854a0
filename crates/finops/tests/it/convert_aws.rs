//! The AWS Cost and Usage Report converter on the shared CUR sample and on crafted reports that reach every branch of the rules.

use std::str::FromStr;

use chrono::{TimeZone, Utc};
use leitstand_finops::{
    sub_account_key, ChargeCategory, ChargeFrequency, CommitmentDiscountCategory, CostReader,
    InputFormat, PricingCategory, Problem, ReadError, ReadOptions, ServiceCategory, SubAccountKey,
};
use rust_decimal::Decimal;

use crate::common::{collect, fixture, read_all, shared};

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

#[test]
fn cur_sample_converts_with_the_python_totals() {
    let mut reader = CostReader::open(
        shared("aws_cur_sample_anonymous.csv"),
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(reader.format(), InputFormat::AwsCur);
    let rows: Vec<_> = (&mut reader).map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1281);

    // The sample has no lineItem/NetUnblendedCost column, so the BilledCost rule falls back to lineItem/UnblendedCost;
    // every line item type is Usage or Tax, so the EffectiveCost rule takes its ELSE branch, the unblended cost, too.
    // python3: sum(Decimal(r['lineItem/UnblendedCost']) for r in csv.DictReader(open('aws_cur_sample_anonymous.csv'))) == 1.68230869740
    let billed: Decimal = rows.iter().map(|row| row.billed_cost).sum();
    let effective: Decimal = rows.iter().map(|row| row.effective_cost).sum();
    assert_eq!(billed, dec("1.68230869740"));
    assert_eq!(effective, dec("1.68230869740"));

    // python3, the ListCost rule by hand: Decimal(rate) * Decimal(r['lineItem/UsageAmount']) if rate := r['pricing/publicOnDemandRate'] else Decimal(r['pricing/publicOnDemandCost']),
    // summed over all rows == 3.3561726977712880 (the plain sum of pricing/publicOnDemandCost is 3.35617269490; the rule multiplies out the rounding).
    let list: Decimal = rows.iter().filter_map(|row| row.list_cost).sum();
    assert_eq!(list, dec("3.3561726977712880"));
    // python3: sum(Decimal(r['lineItem/UsageAmount']) ...) == 128100.5804537469
    let consumed: Decimal = rows.iter().filter_map(|row| row.consumed_quantity).sum();
    assert_eq!(consumed, dec("128100.5804537469"));

    let taxes = rows
        .iter()
        .filter(|row| row.charge_category == ChargeCategory::Tax)
        .count();
    assert_eq!(
        taxes, 12,
        "python3: 12 rows of lineItem/LineItemType Tax, 1269 Usage"
    );
    assert!(rows
        .iter()
        .all(|row| sub_account_key(row) == SubAccountKey::AwsAccount("123412340534".to_owned())));
}

#[test]
fn cur_sample_rows_match_the_raw_lines_field_by_field() {
    let (rows, violations) = read_all(&shared("aws_cur_sample_anonymous.csv"));
    assert_eq!(violations, []);

    // Row 2: a Tax line for AWSDataTransfer; every value below was read off the raw CSV line by hand.
    let row = &rows[1];
    assert_eq!(row.billed_cost, Decimal::ZERO);
    assert_eq!(row.billing_account_id, "123412340534");
    assert_eq!(row.billing_currency, "USD");
    assert_eq!(
        row.billing_period_start,
        Utc.with_ymd_and_hms(2023, 11, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        row.billing_period_end,
        Utc.with_ymd_and_hms(2023, 12, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        row.charge_period_start,
        Utc.with_ymd_and_hms(2023, 11, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        row.charge_period_end,
        Utc.with_ymd_and_hms(2023, 12, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(row.charge_category, ChargeCategory::Tax);
    assert_eq!(
        row.charge_description.as_deref(),
        Some("Tax for product code AWSDataTransfer")
    );
    assert_eq!(
        row.charge_frequency,
        Some(ChargeFrequency::Recurring),
        "bill type Anniversary"
    );
    assert_eq!(row.consumed_quantity, Some(dec("1.0")));
    assert_eq!(row.consumed_unit, None);
    assert_eq!(
        row.list_cost,
        Some(Decimal::ZERO),
        "no public on-demand rate: the public on-demand cost"
    );
    assert_eq!(row.list_unit_price, None);
    assert_eq!(
        row.invoice_issuer_name.as_deref(),
        Some("Amazon Web Services Canada, Inc.")
    );
    assert_eq!(
        row.publisher_name.as_deref(),
        Some("Amazon Web Services Canada, Inc.")
    );
    assert_eq!(row.provider_name.as_deref(), Some("AWS"));
    assert_eq!(
        row.pricing_category,
        Some(PricingCategory::Other),
        "no product/purchaseOption column: the CASE's ELSE"
    );
    assert_eq!(row.region_id, None);
    assert_eq!(row.service_name.as_deref(), Some("AWSDataTransfer"));
    assert_eq!(row.service_category, Some(ServiceCategory::Networking));
    assert_eq!(row.sub_account_id.as_deref(), Some("123412340534"));
    assert_eq!(
        (row.sku_id.as_deref(), row.sku_price_id.as_deref()),
        (None, None)
    );
    assert_eq!(
        (
            row.commitment_discount_id.as_deref(),
            row.commitment_discount_category
        ),
        (None, None)
    );

    // Row 501: S3 GET requests in us-west-2, with costs in scientific notation.
    let row = &rows[500];
    assert_eq!(row.billed_cost, dec("0.0000008"), "8.0E-7");
    assert_eq!(row.effective_cost, dec("0.0000008"));
    assert_eq!(row.list_unit_price, Some(dec("0.0000004")), "4.0E-7");
    assert_eq!(row.list_cost, Some(dec("0.0000008")), "4.0E-7 × 2.0");
    assert_eq!(row.pricing_quantity, Some(dec("2")));
    assert_eq!(row.consumed_unit.as_deref(), Some("Requests"));
    assert_eq!(row.pricing_unit.as_deref(), Some("Requests"));
    assert_eq!(row.charge_category, ChargeCategory::Usage);
    assert_eq!(
        row.charge_period_start,
        Utc.with_ymd_and_hms(2023, 11, 1, 17, 0, 0).unwrap()
    );
    assert_eq!(
        row.charge_period_end,
        Utc.with_ymd_and_hms(2023, 11, 1, 18, 0, 0).unwrap()
    );
    assert_eq!(row.region_id.as_deref(), Some("us-west-2"));
    assert_eq!(row.sku_id.as_deref(), Some("E77AQxxxxxxVV3FC"));
    assert_eq!(
        row.sku_price_id.as_deref(),
        Some("E77AQEM2DC4VVxxx.xxxxxxxxxx.xxx6EN2CT7"),
        "pricing/RateCode before pricing/RateId"
    );
    assert_eq!(row.service_name.as_deref(), Some("AmazonS3"));
    assert_eq!(row.service_category, Some(ServiceCategory::Storage));
}

/// The columns of the crafted reports, in the legacy CUR spelling.
const CUR_HEADER: &[&str] = &[
    "bill/PayerAccountId",
    "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate",
    "lineItem/UsageAccountId",
    "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/ProductCode",
    "lineItem/ResourceId",
    "lineItem/UsageAmount",
    "lineItem/CurrencyCode",
    "lineItem/UnblendedCost",
    "lineItem/NetUnblendedCost",
    "pricing/publicOnDemandRate",
    "product/purchaseOption",
    "reservation/ReservationARN",
    "reservation/EffectiveCost",
    "reservation/TotalReservedUnits",
    "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "reservation/UnusedRecurringFee",
    "savingsPlan/SavingsPlanARN",
    "savingsPlan/SavingsPlanEffectiveCost",
    "savingsPlan/TotalCommitmentToDate",
    "savingsPlan/UsedCommitment",
    "resourceTags/user:env",
];

const RI_ARN: &str = "arn:aws:ec2:eu-central-1:123456789012:reserved-instances/1234abcd";
const SP_ARN: &str = "arn:aws:savingsplans::123456789012:savingsplan/5678ef";

/// A crafted line: type, resource id, unblended and net unblended cost, purchase option, and the commitment columns.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per CUR column the rules read; the call sites read as a table"
)]
fn cur_line(
    line_item_type: &str,
    resource_id: &str,
    unblended: &str,
    net_unblended: &str,
    purchase_option: &str,
    reservation: [&str; 5],
    savings_plan: [&str; 4],
    env: &str,
) -> Vec<String> {
    let mut line = vec![
        "123456789012",
        "2024-09-01T00:00:00Z",
        "2024-10-01T00:00:00Z",
        "210987654321",
        line_item_type,
        "2024-09-05T10:00:00Z",
        "2024-09-05T11:00:00Z",
        "AmazonEC2",
        resource_id,
        "2",
        "EUR",
        unblended,
        net_unblended,
        "0.5",
        purchase_option,
    ];
    line.extend(reservation);
    line.extend(savings_plan);
    line.push(env);
    line.into_iter().map(str::to_owned).collect()
}

fn cur_file(name: &str, lines: &[Vec<String>]) -> std::path::PathBuf {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CUR_HEADER).unwrap();
    for line in lines {
        writer.write_record(line).unwrap();
    }
    fixture(name, &writer.into_inner().unwrap())
}

#[test]
fn every_branch_of_the_effective_cost_rule() {
    let no_ri = ["", "", "", "", ""];
    let no_sp = ["", "", "", ""];
    let lines = [
        // 1: plain usage: EffectiveCost is the unblended cost, BilledCost the net unblended cost.
        cur_line(
            "Usage",
            "arn:aws:lambda:eu-central-1:210987654321:function:my-func_v2",
            "1.00",
            "0.90",
            "On-Demand",
            no_ri,
            no_sp,
            "prod",
        ),
        // 2: covered by a savings plan: the savings plan's effective cost.
        cur_line(
            "SavingsPlanCoveredUsage",
            "i-0abc",
            "1.00",
            "",
            "Spot Instances",
            no_ri,
            [SP_ARN, "0.40", "", ""],
            "",
        ),
        // 3: the savings plan's recurring fee: total commitment to date minus used commitment.
        cur_line(
            "SavingsPlanRecurringFee",
            "",
            "5.00",
            "",
            "",
            no_ri,
            [SP_ARN, "", "5.00", "3.25"],
            "",
        ),
        // 4: a savings plan negation: zero.
        cur_line(
            "SavingsPlanNegation",
            "",
            "-1.00",
            "",
            "",
            no_ri,
            [SP_ARN, "", "", ""],
            "",
        ),
        // 5: covered by a reservation: the reservation's effective cost; PricingQuantity is the reserved units.
        cur_line(
            "DiscountedUsage",
            "",
            "0.00",
            "",
            "Reserved Instances",
            [RI_ARN, "0.30", "4", "", ""],
            no_sp,
            "",
        ),
        // 6: the reservation fee: unused amortized upfront fee plus unused recurring fee.
        cur_line(
            "RIFee",
            "",
            "10.00",
            "",
            "",
            [RI_ARN, "", "", "1.50", "0.25"],
            no_sp,
            "",
        ),
        // 7: a fee with a reservation ARN: zero.
        cur_line(
            "Fee",
            "",
            "100.00",
            "",
            "",
            [RI_ARN, "", "", "", ""],
            no_sp,
            "",
        ),
        // 8: a fee without one: the unblended cost.
        cur_line("Fee", "", "7.00", "", "Dedicated Hosts", no_ri, no_sp, ""),
    ];
    let path = cur_file("cur_branches.csv", &lines);
    let (rows, violations) = read_all(&path);
    assert_eq!(violations, []);
    let effective: Vec<Decimal> = rows.iter().map(|row| row.effective_cost).collect();
    assert_eq!(
        effective,
        ["1.00", "0.40", "1.75", "0", "0.30", "1.75", "0", "7.00"].map(dec)
    );
    let billed: Vec<Decimal> = rows.iter().map(|row| row.billed_cost).collect();
    assert_eq!(
        billed,
        ["0.90", "1.00", "5.00", "-1.00", "0.00", "10.00", "100.00", "7.00"].map(dec)
    );
    let categories: Vec<ChargeCategory> = rows.iter().map(|row| row.charge_category).collect();
    use ChargeCategory::{Purchase, Usage};
    assert_eq!(
        categories,
        [Usage, Usage, Purchase, Usage, Usage, Purchase, Purchase, Purchase]
    );

    let first = &rows[0];
    assert_eq!(
        first.resource_name.as_deref(),
        Some("My-Func_V2"),
        "the seventh ARN part, title-cased like Python's str.title"
    );
    assert_eq!(first.resource_type.as_deref(), Some("function"));
    assert_eq!(first.pricing_category, Some(PricingCategory::Standard));
    assert_eq!(first.tags, [("user:env".to_owned(), "prod".to_owned())]);
    assert_eq!(first.list_cost, Some(dec("1.0")), "0.5 × 2");
    assert_eq!(first.billing_currency, "EUR");
    assert_eq!(
        sub_account_key(first),
        SubAccountKey::AwsAccount("210987654321".to_owned())
    );

    let covered = &rows[1];
    assert_eq!(covered.commitment_discount_id.as_deref(), Some(SP_ARN));
    assert_eq!(
        covered.commitment_discount_category,
        Some(CommitmentDiscountCategory::Spend)
    );
    assert_eq!(
        covered.commitment_discount_type.as_deref(),
        Some("Savings Plan")
    );
    assert_eq!(covered.pricing_category, Some(PricingCategory::Dynamic));
    assert_eq!(
        (
            covered.resource_name.as_deref(),
            covered.resource_type.as_deref()
        ),
        (None, None),
        "not an ARN"
    );

    let reserved = &rows[4];
    assert_eq!(reserved.commitment_discount_id.as_deref(), Some(RI_ARN));
    assert_eq!(
        reserved.commitment_discount_category,
        Some(CommitmentDiscountCategory::Usage)
    );
    assert_eq!(
        reserved.commitment_discount_type.as_deref(),
        Some("Reserved Instances (RI)")
    );
    assert_eq!(reserved.pricing_category, Some(PricingCategory::Committed));
    assert_eq!(reserved.pricing_quantity, Some(dec("4")));
    assert_eq!(reserved.consumed_quantity, Some(dec("2")));
    assert_eq!(
        rows[7].pricing_category,
        Some(PricingCategory::Standard),
        "Dedicated Hosts"
    );
}

#[test]
fn unmapped_line_item_types_and_missing_rule_inputs_are_named() {
    let no_ri = ["", "", "", "", ""];
    let lines = [
        cur_line("Mystery", "", "1.00", "", "", no_ri, ["", "", "", ""], ""),
        cur_line(
            "SavingsPlanCoveredUsage",
            "",
            "1.00",
            "",
            "",
            no_ri,
            [SP_ARN, "", "", ""],
            "",
        ),
        cur_line("Usage", "", "1,00", "", "", no_ri, ["", "", "", ""], ""),
    ];
    let path = cur_file("cur_bad.csv", &lines);
    let mut reader = CostReader::open(&path, collect(10)).unwrap();
    assert_eq!((&mut reader).map(Result::unwrap).count(), 0);
    assert_eq!(reader.rows_rejected(), 3);
    let found: Vec<(u64, &str, Option<&str>, &Problem)> = reader
        .violations()
        .iter()
        .map(|violation| {
            (
                violation.row,
                violation.column.as_deref().unwrap(),
                violation.value.as_deref(),
                &violation.problem,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                1,
                "lineItem/LineItemType",
                Some("Mystery"),
                &Problem::Unmapped {
                    target: "ChargeCategory"
                }
            ),
            (
                2,
                "savingsPlan/SavingsPlanEffectiveCost",
                None,
                &Problem::NullInRule {
                    target: "EffectiveCost"
                }
            ),
            (
                3,
                "lineItem/UnblendedCost",
                Some("1,00"),
                &Problem::NotDecimal
            ),
        ]
    );
    assert!(reader.violations()[0].to_string().ends_with("row 1 (line 2), column `lineItem/LineItemType`: `Mystery` has no mapping to a `ChargeCategory` value"));
}

#[test]
fn cur_2_0_column_names_are_recognized() {
    let csv = "bill_payer_account_id,bill_billing_period_start_date,bill_billing_period_end_date,line_item_line_item_type,\
               line_item_usage_start_date,line_item_usage_end_date,line_item_currency_code,line_item_unblended_cost,line_item_product_code,\
               product_region_code,resource_tags\n\
               123456789012,2024-09-01 00:00:00.000,2024-10-01 00:00:00.000,Usage,2024-09-02 00:00:00.000,2024-09-02 01:00:00.000,USD,0.25,AWSLambda,\
               eu-west-1,\"{\"\"user_team\"\": \"\"web\"\"}\"\n";
    let path = fixture("cur2.csv", csv.as_bytes());
    let mut reader = CostReader::open(&path, ReadOptions::default()).unwrap();
    assert_eq!(reader.format(), InputFormat::AwsCur);
    let row = reader.next().unwrap().unwrap();
    assert_eq!(row.billed_cost, dec("0.25"));
    assert_eq!(
        row.charge_period_start,
        Utc.with_ymd_and_hms(2024, 9, 2, 0, 0, 0).unwrap()
    );
    assert_eq!(
        row.region_id.as_deref(),
        Some("eu-west-1"),
        "product_region is absent: product_region_code"
    );
    assert_eq!(row.service_category, Some(ServiceCategory::Compute));
    assert_eq!(row.tags, [("user_team".to_owned(), "web".to_owned())]);
}

#[test]
fn a_report_without_a_cost_column_is_refused() {
    let path = fixture("cur_missing.csv", b"lineItem/UnblendedCost,lineItem/LineItemType,lineItem/UsageStartDate\n1,Usage,2024-09-01T00:00:00Z\n");
    let error = CostReader::open(&path, ReadOptions::default()).unwrap_err();
    let ReadError::MissingColumns {
        format, columns, ..
    } = error
    else {
        panic!("expected missing columns")
    };
    assert_eq!(format, InputFormat::AwsCur);
    assert_eq!(
        columns,
        [
            "bill_payer_account_id",
            "line_item_currency_code",
            "bill_billing_period_start_date",
            "bill_billing_period_end_date",
            "line_item_usage_end_date"
        ]
    );
}
