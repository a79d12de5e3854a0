//! The converters against the rules files they implement: every FOCUS dimension of each file is accounted for,
//! and every value list of the rules is the one the code uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::convert::service_category::{aws_service_category, azure_service_category, AWS, AZURE};
use crate::convert::{aws, azure};
use crate::row::{ChargeCategory, ChargeFrequency, PricingCategory, ServiceCategory};

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/focus")
        .join(name)
}

/// One rule: FOCUS dimension, transform step, source column, transform type, and the rule's text.
struct Rule {
    dimension: String,
    source: String,
    transform: String,
    text: String,
}

fn rules(name: &str) -> Vec<Rule> {
    let mut reader = csv::Reader::from_path(shared(name)).unwrap();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            Rule {
                dimension: record[0].to_owned(),
                source: record[2].to_owned(),
                transform: record[4].to_owned(),
                text: record[5].split_whitespace().collect::<Vec<_>>().join(" "),
            }
        })
        .collect()
}

fn rule<'a>(rules: &'a [Rule], dimension: &str) -> &'a Rule {
    rules
        .iter()
        .find(|rule| rule.dimension == dimension)
        .unwrap()
}

/// Returns the `(value, result)` pairs of `WHEN {column} = 'value' [OR {column} = 'value'] THEN 'result'` conditions.
fn when_pairs(text: &str, column: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for condition in text.split("- WHEN ").skip(1) {
        let (tests, result) = condition.split_once(" THEN ").unwrap();
        // The result is the first quoted string after THEN.
        let result = result
            .trim()
            .strip_prefix('\'')
            .unwrap()
            .split('\'')
            .next()
            .unwrap()
            .to_owned();
        for test in tests.split(" OR ") {
            let value = test
                .trim()
                .strip_prefix(column)
                .unwrap()
                .trim()
                .strip_prefix("= ")
                .unwrap()
                .trim_matches('\'');
            pairs.push((value.to_owned(), result.clone()));
        }
    }
    pairs
}

/// Returns the `key`/`value` pairs of a `MAP_VALUES` rule.
fn value_list(text: &str) -> Vec<(String, String)> {
    text.split("- key: ")
        .skip(1)
        .map(|entry| {
            let (key, value) = entry.split_once(" value: ").unwrap();
            (key.trim().to_owned(), value.trim().to_owned())
        })
        .collect()
}

#[test]
fn every_aws_dimension_is_accounted_for() {
    let dimensions: BTreeSet<String> = rules("focus_converters_aws_mapping_rules.csv")
        .into_iter()
        .map(|rule| rule.dimension)
        .collect();
    // Implemented: 33 dimensions. `Not Defined`: BillingAccountName, CommitmentDiscountName, SubAccountName (see the `convert` module docs).
    let expected = [
        "AvailabilityZone",
        "BilledCost",
        "BillingAccountId",
        "BillingAccountName",
        "BillingCurrency",
        "BillingPeriodEnd",
        "BillingPeriodStart",
        "ChargeCategory",
        "ChargeDescription",
        "ChargeFrequency",
        "ChargePeriodEnd",
        "ChargePeriodStart",
        "CommitmentDiscountCategory",
        "CommitmentDiscountId",
        "CommitmentDiscountName",
        "CommitmentDiscountType",
        "ConsumedQuantity",
        "ConsumedUnit",
        "EffectiveCost",
        "InvoiceIssuer",
        "ListCost",
        "ListUnitPrice",
        "PricingCategory",
        "PricingQuantity",
        "PricingUnit",
        "Provider",
        "Publisher",
        "RegionId",
        "ResourceId",
        "ResourceName",
        "ResourceType",
        "ServiceCategory",
        "ServiceName",
        "SkuId",
        "SkuPriceId",
        "SubAccountId",
        "SubAccountName",
    ];
    assert_eq!(
        dimensions,
        expected.iter().map(|name| (*name).to_owned()).collect()
    );
}

#[test]
fn every_azure_dimension_is_accounted_for() {
    let dimensions: BTreeSet<String> = rules("focus_converters_azure_mapping_rules.csv")
        .into_iter()
        .map(|rule| rule.dimension)
        .collect();
    // `Not Defined`: ListCost, ListUnitPrice, PricingQuantity, PricingUnit, ResourceType, SkuId (see the `convert` module docs).
    let expected = [
        "AvailabilityZone",
        "BilledCost",
        "BillingAccountId",
        "BillingAccountName",
        "BillingCurrency",
        "BillingPeriodEnd",
        "BillingPeriodStart",
        "ChargeCategory",
        "ChargeDescription",
        "ChargeFrequency",
        "ChargePeriodEnd",
        "ChargePeriodStart",
        "CommitmentDiscountCategory",
        "CommitmentDiscountId",
        "CommitmentDiscountName",
        "CommitmentDiscountType",
        "ConsumedQuantity",
        "ConsumedUnit",
        "EffectiveCost",
        "InvoiceIssuer",
        "ListCost",
        "ListUnitPrice",
        "PricingCategory",
        "PricingQuantity",
        "PricingUnit",
        "Provider",
        "Publisher",
        "RegionId",
        "ResourceId",
        "ResourceName",
        "ResourceType",
        "ServiceCategory",
        "ServiceName",
        "SkuId",
        "SkuPriceId",
        "SubAccountId",
        "SubAccountName",
    ];
    assert_eq!(
        dimensions,
        expected.iter().map(|name| (*name).to_owned()).collect()
    );
    let rules = rules("focus_converters_azure_mapping_rules.csv");
    // The rule this converter deviates from: ChargePeriodStart comes from BillingPeriodStartDate, ChargePeriodEnd from Date.
    assert_eq!(
        rule(&rules, "ChargePeriodStart").source,
        "BillingPeriodStartDate"
    );
    assert_eq!(rule(&rules, "ChargePeriodEnd").source, "Date");
}

#[test]
fn aws_value_lists_are_the_rules() {
    let rules = rules("focus_converters_aws_mapping_rules.csv");

    let charge_category = when_pairs(
        &rule(&rules, "ChargeCategory").text,
        "line_item_line_item_type",
    );
    assert_eq!(charge_category.len(), 15);
    for (line_item_type, category) in &charge_category {
        assert_eq!(
            aws::charge_category(line_item_type),
            ChargeCategory::parse(category),
            "{line_item_type}"
        );
    }
    assert_eq!(
        aws::charge_category("Mystery"),
        None,
        "the default is the empty string"
    );

    let frequency = rule(&rules, "ChargeFrequency");
    assert_eq!(frequency.transform, "MAP_VALUES");
    let pairs = value_list(&frequency.text);
    assert_eq!(pairs.len(), 3);
    for (bill_type, value) in &pairs {
        assert_eq!(
            aws::charge_frequency(bill_type),
            ChargeFrequency::parse(value),
            "{bill_type}"
        );
    }

    let pricing = &rule(&rules, "PricingCategory").text;
    for (option, category) in when_pairs(
        &pricing
            .replace("WHEN (", "- WHEN ")
            .replace(") THEN", " THEN")
            .replace('"', ""),
        "product_purchase_option",
    ) {
        assert_eq!(
            Some(aws::pricing_category(Some(&option))),
            PricingCategory::parse(&category),
            "{option}"
        );
    }
    assert!(pricing.contains("ELSE 'Other'"));
    assert_eq!(aws::pricing_category(None), PricingCategory::Other);
}

#[test]
fn azure_value_lists_are_the_rules() {
    let rules = rules("focus_converters_azure_mapping_rules.csv");

    let charge_category = when_pairs(&rule(&rules, "ChargeCategory").text, "ChargeType");
    assert_eq!(charge_category.len(), 5);
    for (charge_type, category) in &charge_category {
        assert_eq!(
            Some(azure::charge_category(Some(charge_type))),
            ChargeCategory::parse(category),
            "{charge_type}"
        );
    }
    assert!(rule(&rules, "ChargeCategory")
        .text
        .contains("'''Adjustment'''"));
    assert_eq!(
        azure::charge_category(Some("Refund")),
        ChargeCategory::Adjustment
    );
    assert_eq!(azure::charge_category(None), ChargeCategory::Adjustment);

    for (frequency, value) in when_pairs(&rule(&rules, "ChargeFrequency").text, "Frequency") {
        assert_eq!(
            azure::charge_frequency(&frequency),
            ChargeFrequency::parse(&value),
            "{frequency}"
        );
    }
    assert_eq!(
        azure::charge_frequency("Monthly"),
        None,
        "the rule's default `Other` is no FOCUS value"
    );

    // The rule uses FOCUS 0.5 names; we produce their FOCUS 1.0 names.
    let renamed = BTreeMap::from([
        ("On-Demand", "Standard"),
        ("Dynamic", "Dynamic"),
        ("Commitment Discount", "Committed"),
    ]);
    let pricing = when_pairs(&rule(&rules, "PricingCategory").text, "PricingModel");
    assert_eq!(pricing.len(), 4);
    for (model, category) in pricing {
        assert_eq!(
            Some(azure::pricing_category(Some(&model))),
            PricingCategory::parse(renamed[category.as_str()]),
            "{model}"
        );
    }
    assert_eq!(
        azure::pricing_category(Some("SavingsPlan")),
        PricingCategory::Committed
    );
    assert_eq!(
        azure::pricing_category(Some("Other")),
        PricingCategory::Other
    );

    let units = rule(&rules, "ConsumedUnit");
    let listed: BTreeMap<String, String> = value_list(&units.text).into_iter().collect();
    assert_eq!(
        listed.len(),
        297,
        "314 entries in the rule, 17 keys repeated with the same value"
    );
    let ours: BTreeMap<String, String> = azure::UNITS_OF_MEASURE
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    assert_eq!(ours, listed);
    assert!(
        azure::UNITS_OF_MEASURE
            .windows(2)
            .all(|pair| pair[0].0 < pair[1].0),
        "sorted for binary search"
    );
    assert!(units.text.contains("default_value: Units"));
    assert_eq!(azure::consumed_unit("10 Hours"), "Hours");
    assert_eq!(azure::consumed_unit("1K"), "Units");
}

#[test]
fn cur_column_names_become_the_rules_spelling() {
    for (legacy, snake) in [
        ("lineItem/UnblendedCost", "line_item_unblended_cost"),
        (
            "savingsPlan/SavingsPlanARN",
            "savings_plan_savings_plan_arn",
        ),
        ("reservation/ReservationARN", "reservation_reservation_arn"),
        ("bill/BillType", "bill_bill_type"),
        (
            "pricing/publicOnDemandRate",
            "pricing_public_on_demand_rate",
        ),
        ("product/regionCode", "product_region_code"),
        (
            "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
            "reservation_unused_amortized_upfront_fee_for_billing_period",
        ),
        ("product/servicecode", "product_servicecode"),
        ("line_item_unblended_cost", "line_item_unblended_cost"),
        ("identity/LineItemId", "identity_line_item_id"),
    ] {
        assert_eq!(aws::snake_case(legacy), snake);
    }
    // Every source column of the AWS rules that the legacy-named CUR sample has is found under the rules' spelling;
    // the one it lacks is the resource id (python3: no `lineItem/ResourceId` in the sample's header).
    let header = std::fs::read_to_string(shared("aws_cur_sample_anonymous.csv")).unwrap();
    let names: BTreeSet<String> = header
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(aws::snake_case)
        .collect();
    let sources: BTreeSet<String> = rules("focus_converters_aws_mapping_rules.csv")
        .into_iter()
        .map(|rule| rule.source)
        .filter(|source| source.contains('_'))
        .collect();
    assert_eq!(sources.len(), 19);
    let absent: Vec<&String> = sources
        .iter()
        .filter(|source| !names.contains(*source))
        .collect();
    assert_eq!(absent, ["line_item_resource_id"]);
}

#[test]
fn resource_names_are_title_cased_like_python() {
    for (text, titled) in [
        ("my-func_v2", "My-Func_V2"),
        ("ALLCAPS", "Allcaps"),
        ("1st try", "1St Try"),
        ("", ""),
        ("éclair", "Éclair"),
    ] {
        assert_eq!(aws::title_case(text), titled);
    }
}

#[test]
fn service_category_tables_have_unique_keys_and_cover_the_samples() {
    for table in [AWS, AZURE] {
        let keys: BTreeSet<String> = table
            .iter()
            .map(|(key, _)| key.to_ascii_lowercase())
            .collect();
        assert_eq!(keys.len(), table.len());
    }
    // Every product code of the CUR sample has a category of its own.
    for code in [
        "AmazonS3",
        "AWSGlue",
        "AWSQueueService",
        "AmazonSNS",
        "AmazonCloudWatch",
        "awskms",
        "AWSMigrationHubRefactorSpaces",
        "AWSCloudShell",
        "AmazonEFS",
        "AWSSecretsManager",
        "AWSCloudTrail",
        "AWSIoT",
        "AmazonStates",
        "AWSDataTransfer",
    ] {
        assert_ne!(aws_service_category(code), ServiceCategory::Other, "{code}");
    }
    for service in [
        "microsoft.compute",
        "MICROSOFT.DATAFACTORY",
        "Microsoft.EventHub",
        "Microsoft.Sql",
        "MICROSOFT.KEYVAULT",
        "Microsoft.DBforMySQL",
        "Microsoft.MachineLearningServices",
        "microsoft.operationalinsights",
        "Microsoft.Network",
        "Microsoft.Storage",
    ] {
        assert_ne!(
            azure_service_category(service),
            ServiceCategory::Other,
            "{service}"
        );
    }
    assert_eq!(
        azure_service_category("Microsoft.Capacity"),
        ServiceCategory::Other
    );
}
