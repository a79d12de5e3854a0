//! The Azure EA usage export converter on the shared EA samples (the anonymized export and the FinOps toolkit's actual and amortized cost files).

use std::str::FromStr;

use chrono::{TimeZone, Utc};
use leitstand_finops::{
    sub_account_key, ChargeCategory, ChargeFrequency, CommitmentDiscountCategory, CostReader,
    CostRow, InputFormat, PricingCategory, Problem, ReadError, ReadOptions, ServiceCategory,
    SubAccountKey,
};
use rust_decimal::Decimal;

use crate::common::{fixture, read_all, shared};

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn convert(name: &str) -> Vec<CostRow> {
    let mut reader = CostReader::open(shared(name), ReadOptions::default()).unwrap();
    assert_eq!(reader.format(), InputFormat::AzureEa);
    (&mut reader).map(Result::unwrap).collect()
}

fn total(rows: &[CostRow]) -> (Decimal, Decimal) {
    (
        rows.iter().map(|row| row.billed_cost).sum(),
        rows.iter().map(|row| row.effective_cost).sum(),
    )
}

#[test]
fn ea_samples_convert_with_the_python_totals() {
    // python3: sum(Decimal(r[cost]) for r in csv.DictReader(open(name, encoding='utf-8-sig'))), with cost the rule's source column
    // (CostInBillingCurrency, or Cost in the older schema of the toolkit files). The rules map it to BilledCost and EffectiveCost alike.
    let rows = convert("azure_ea_sample_anonymous.csv");
    assert_eq!(rows.len(), 27);
    assert_eq!(
        total(&rows),
        (dec("1.26136926505726"), dec("1.26136926505726"))
    );

    let rows = convert("azure_ea_actualcost_small_finops_toolkit.csv");
    assert_eq!(rows.len(), 11);
    assert_eq!(
        total(&rows),
        (dec("8.5450077867419368"), dec("8.5450077867419368"))
    );

    let rows = convert("azure_ea_amortizedcost_small_finops_toolkit.csv");
    assert_eq!(rows.len(), 28);
    assert_eq!(
        total(&rows),
        (
            dec("16.2969321366366446274854190000"),
            dec("16.2969321366366446274854190000")
        )
    );
    // python3: sum(Decimal(r['Quantity']) ...) == 185.35816553
    assert_eq!(
        rows.iter()
            .filter_map(|row| row.consumed_quantity)
            .sum::<Decimal>(),
        dec("185.35816553")
    );
}

#[test]
fn ea_sample_rows_match_the_raw_lines_field_by_field() {
    let (rows, violations) = read_all(&shared("azure_ea_sample_anonymous.csv"));
    assert_eq!(violations, []);

    // Row 1, read off the raw line by hand.
    let row = &rows[0];
    assert_eq!(row.billed_cost, dec("0.000305367"));
    assert_eq!(row.effective_cost, dec("0.000305367"));
    assert_eq!(row.billing_account_id, "12345678");
    assert_eq!(row.billing_account_name.as_deref(), Some("Example LTD."));
    assert_eq!(row.billing_currency, "CAD");
    assert_eq!(
        row.billing_period_start,
        Utc.with_ymd_and_hms(2023, 9, 1, 0, 0, 0).unwrap(),
        "9/1/2023"
    );
    assert_eq!(
        row.billing_period_end,
        Utc.with_ymd_and_hms(2023, 10, 1, 0, 0, 0).unwrap(),
        "9/30/2023, inclusive, so the exclusive end is a day later"
    );
    assert_eq!(
        row.charge_period_start,
        Utc.with_ymd_and_hms(2023, 9, 2, 0, 0, 0).unwrap(),
        "Date 9/2/2023"
    );
    assert_eq!(
        row.charge_period_end,
        Utc.with_ymd_and_hms(2023, 9, 3, 0, 0, 0).unwrap()
    );
    assert_eq!(row.charge_category, ChargeCategory::Usage);
    assert_eq!(row.charge_frequency, Some(ChargeFrequency::UsageBased));
    assert_eq!(
        row.charge_description.as_deref(),
        Some("Virtual Network Peering - Intra-Region Ingress")
    );
    assert_eq!(row.consumed_quantity, Some(dec("0.027265128")));
    assert_eq!(row.consumed_unit.as_deref(), Some("GB"), "1 GB");
    assert_eq!(
        row.pricing_category,
        Some(PricingCategory::Standard),
        "OnDemand"
    );
    assert_eq!(row.invoice_issuer_name.as_deref(), Some("Microsoft"));
    assert_eq!(row.provider_name.as_deref(), Some("Azure"));
    assert_eq!(row.publisher_name, None);
    assert_eq!(row.region_id.as_deref(), Some("CentralUS"));
    assert_eq!(row.service_name.as_deref(), Some("microsoft.compute"));
    assert_eq!(
        row.service_category,
        Some(ServiceCategory::Compute),
        "looked up case-insensitively"
    );
    assert_eq!(
        row.sub_account_id.as_deref(),
        Some("e18e1552-c6dd-45d1-973c-999999999999")
    );
    assert_eq!(row.sub_account_name.as_deref(), Some("sub-example"));
    assert_eq!(row.resource_name.as_deref(), Some("the name or GUID"));
    assert_eq!(
        row.tags
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>(),
        ["tagA=valueA", "tagB=valueB", "tagC=valueC"]
    );
    assert_eq!(
        row.list_cost, None,
        "ListCost is `Not Defined` in the rules"
    );
    assert_eq!(
        sub_account_key(row),
        SubAccountKey::AzureSubscription("e18e1552-c6dd-45d1-973c-999999999999".to_owned())
    );

    // Row 3: a spot VM whose anonymized subscription id is no GUID (8-4-4-12 hex digits).
    let row = &rows[2];
    assert_eq!(row.pricing_category, Some(PricingCategory::Dynamic));
    assert_eq!(row.consumed_unit.as_deref(), Some("Hours"), "1 Hour");
    assert_eq!(
        sub_account_key(row),
        SubAccountKey::Other("f908573f-1142-4b3c-999999999999".to_owned())
    );
}

#[test]
fn toolkit_rows_with_commitment_discounts_match_field_by_field() {
    // The actual-cost file's row 1 is a reservation purchase.
    let rows = convert("azure_ea_actualcost_small_finops_toolkit.csv");
    let row = &rows[0];
    assert_eq!(row.billed_cost, dec("3.25"));
    assert_eq!(row.charge_category, ChargeCategory::Purchase);
    assert_eq!(row.charge_frequency, Some(ChargeFrequency::Recurring));
    assert_eq!(
        row.charge_description.as_deref(),
        Some("Virtual Machines BS Series - B1s - UK South"),
        "the older schema's `Product`"
    );
    assert_eq!(
        row.commitment_discount_category,
        Some(CommitmentDiscountCategory::Usage)
    );
    assert_eq!(row.commitment_discount_type.as_deref(), Some("Reservation"));
    assert_eq!(
        row.commitment_discount_name.as_deref(),
        Some("VM_RI_06-21-2023_18-56")
    );
    assert_eq!(
        row.pricing_category,
        Some(PricingCategory::Committed),
        "Reservation"
    );
    assert_eq!(
        row.service_category,
        Some(ServiceCategory::Other),
        "Microsoft.Capacity is not in our table"
    );
    assert_eq!(
        row.charge_period_start,
        Utc.with_ymd_and_hms(2023, 9, 21, 0, 0, 0).unwrap(),
        "09/21/2023"
    );

    // The amortized-cost file's rows 1 and 2 are covered by a reservation and a savings plan.
    let rows = convert("azure_ea_amortizedcost_small_finops_toolkit.csv");
    let row = &rows[0];
    assert_eq!(row.billed_cost, dec("0.493152"));
    assert_eq!(row.consumed_quantity, Some(dec("8")));
    assert_eq!(
        row.commitment_discount_id.as_deref(),
        Some("/providers/Microsoft.Capacity/reservationOrders/a965d46f-aedf-4176-8ff1-2617943b8960/reservations/f39d1c73-af74-4308-9083-fbf5efab37d1")
    );
    assert_eq!(
        row.commitment_discount_category,
        Some(CommitmentDiscountCategory::Usage)
    );
    assert_eq!(row.tag("env"), Some("prod"));
    assert_eq!(row.tag("aks-managed-createOperationID"), Some(""));
    assert_eq!(row.tags.len(), 11);
    assert_eq!(
        sub_account_key(row),
        SubAccountKey::AzureSubscription("9ec51cfd-5ca7-4d76-8101-dd0a4abc5674".to_owned())
    );
    let row = &rows[1];
    assert_eq!(row.billed_cost, dec("0.006000000468"));
    assert_eq!(
        row.commitment_discount_category,
        Some(CommitmentDiscountCategory::Spend)
    );
    assert_eq!(
        row.commitment_discount_type.as_deref(),
        Some("Savings Plan")
    );
    assert_eq!(
        row.commitment_discount_name.as_deref(),
        Some("Compute_SavingsPlan_11-07-2022_09-55")
    );
    assert_eq!(
        row.pricing_category,
        Some(PricingCategory::Committed),
        "SavingsPlan, as EA writes it"
    );
    assert_eq!(row.publisher_name.as_deref(), Some("Microsoft"));
}

#[test]
fn a_bad_date_in_an_export_is_named() {
    let csv = "SubscriptionId,Date,BillingPeriodStartDate,BillingPeriodEndDate,CostInBillingCurrency,BillingAccountId,BillingCurrencyCode,\
               ChargeType,ConsumedService,Tags\n\
               1caaa5a3-2b66-438e-8ab4-bce37d518c5d,13/2/2023,9/1/2023,9/30/2023,1.5,42,EUR,Refund,Microsoft.Sql,\"\"\"env\"\": [1]\"\n";
    let path = fixture("ea_bad_date.csv", csv.as_bytes());
    let mut reader = CostReader::open(&path, crate::common::collect(10)).unwrap();
    assert_eq!(reader.format(), InputFormat::AzureEa);
    assert!(reader.next().is_none(), "the only row has no charge period");
    let found: Vec<(&str, Option<&str>, &Problem)> = reader
        .violations()
        .iter()
        .map(|violation| {
            (
                violation.column.as_deref().unwrap(),
                violation.value.as_deref(),
                &violation.problem,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("Date", Some("13/2/2023"), &Problem::NotDateTime),
            (
                "Tags",
                Some(r#""env": [1]"#),
                &Problem::NestedValue {
                    key: "env".to_owned()
                }
            )
        ]
    );

    let path = fixture(
        "ea_missing.csv",
        b"SubscriptionId,Date,BillingPeriodStartDate,Cost,ConsumedService\n",
    );
    let error = CostReader::open(&path, ReadOptions::default()).unwrap_err();
    assert!(matches!(error, ReadError::MissingColumns { columns, .. }
        if columns == ["BillingAccountId", "BillingCurrencyCode", "BillingPeriodEndDate", "ChargeType"]));
}
