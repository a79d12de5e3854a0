//! The synthetic FOCUS generator: deterministic, valid against our own validator in CSV and Parquet, totals that match an ingest, and the shapes the analyses need.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::{NaiveDate, Timelike};
use leitstand_finops::synth::{
    self, Accounts, BillingAccount, Cloud, GenConfig, GenTotals, Generator, Granularity, SubAccount,
};
use leitstand_finops::{
    sub_account_key, validate_file, ChargeCategory, CommitmentDiscountStatus, CostReader,
    FocusVersion, InputFormat, PricingCategory, SubAccountKey,
};
use rust_decimal::Decimal;

use crate::common::collect;

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

fn temp_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("finops-gen");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Two months of daily rows for 6 billing accounts: about 12,000 rows.
fn config() -> GenConfig {
    GenConfig::daily(7, date(2025, 1, 15), date(2025, 3, 10), 6)
}

/// Sums what a reader reads back, per sub-account.
fn totals_read_back(path: &std::path::Path) -> (GenTotals, u64) {
    let mut reader = CostReader::open(path, collect(0)).unwrap();
    assert_eq!(reader.format(), InputFormat::Focus(FocusVersion::V1_2));
    let mut totals = GenTotals::default();
    for row in &mut reader {
        totals.add(&row.unwrap());
    }
    assert_eq!(reader.violations(), []);
    (totals, reader.rows_read())
}

#[test]
fn the_generator_is_deterministic_and_streams() {
    let first: Vec<_> = Generator::new(config()).take(2000).collect();
    let again: Vec<_> = Generator::new(config()).take(2000).collect();
    assert_eq!(first, again);
    let other: Vec<_> = Generator::new(GenConfig {
        seed: 8,
        ..config()
    })
    .take(2000)
    .collect();
    assert_ne!(first, other);

    let generator = Generator::new(config());
    let planned = generator.rows_planned();
    let mut generator = generator;
    let n_rows = generator.by_ref().count();
    assert_eq!(u64::try_from(n_rows).unwrap(), planned);
    assert_eq!(generator.totals().n_rows, planned);

    let capped = Generator::new(GenConfig {
        max_rows: Some(123),
        ..config()
    });
    assert_eq!(capped.count(), 123);
}

#[test]
fn csv_output_is_valid_focus_1_2_and_its_totals_match_the_ingest() {
    let path = temp_path("generated.csv");
    let mut generator = Generator::new(config());
    let written = synth::write_csv(&mut generator, std::fs::File::create(&path).unwrap()).unwrap();
    assert_eq!(&written, generator.totals());
    let validation = validate_file(&path, collect(100)).unwrap();
    assert_eq!(validation.format, InputFormat::Focus(FocusVersion::V1_2));
    assert_eq!(validation.violations, []);
    assert_eq!(validation.unknown_columns, []);
    let (read_back, n_rows) = totals_read_back(&path);
    assert_eq!(n_rows, written.n_rows);
    assert_eq!(read_back, written);
}

#[test]
fn parquet_output_is_valid_focus_1_2_and_its_totals_match_the_ingest() {
    let path = temp_path("generated.parquet");
    let mut generator = Generator::new(config());
    let written = synth::write_parquet(&mut generator, &path).unwrap();
    assert_eq!(&written, generator.totals());
    let (read_back, n_rows) = totals_read_back(&path);
    assert_eq!(n_rows, written.n_rows);
    assert_eq!(read_back, written);

    // The same rows as the CSV writer's, read back from either file.
    let csv_path = temp_path("generated_for_parquet.csv");
    synth::write_csv(
        Generator::new(config()),
        std::fs::File::create(&csv_path).unwrap(),
    )
    .unwrap();
    let from_csv: Vec<_> = CostReader::open(&csv_path, collect(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let from_parquet: Vec<_> = leitstand_finops::store::ParquetRowReader::open(&path)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(from_parquet, from_csv);
}

#[test]
fn rows_have_the_shapes_the_analyses_need() {
    let generator = Generator::new(GenConfig {
        granularity: Granularity::Hourly,
        end: date(2025, 1, 22),
        ..config()
    });
    let accounts = generator.accounts().to_vec();
    let rows: Vec<_> = generator.collect();
    let clouds: BTreeSet<String> = accounts
        .iter()
        .map(|account| format!("{:?}", account.cloud))
        .collect();
    assert_eq!(clouds.len(), 2, "both clouds: {clouds:?}");

    let mut by_category: BTreeMap<ChargeCategory, usize> = BTreeMap::new();
    let mut statuses = BTreeSet::new();
    let mut n_untagged = 0;
    let mut hours = BTreeSet::new();
    for row in &rows {
        *by_category.entry(row.charge_category).or_default() += 1;
        assert!(row.list_cost.unwrap() >= row.effective_cost, "{row:?}");
        assert!(
            row.contracted_cost.unwrap() >= row.effective_cost,
            "{row:?}"
        );
        match sub_account_key(row) {
            SubAccountKey::AzureSubscription(_) | SubAccountKey::AwsAccount(_) => {}
            other => panic!("unexpected sub-account {other:?}"),
        }
        if row.pricing_category == Some(PricingCategory::Committed) {
            assert!(row.commitment_discount_id.is_some());
            statuses.insert(row.commitment_discount_status.unwrap());
        }
        if row.charge_category == ChargeCategory::Usage && row.tags.is_empty() {
            n_untagged += 1;
        }
        hours.insert(row.charge_period_start.hour());
    }
    assert!(by_category[&ChargeCategory::Usage] > rows.len() * 9 / 10);
    for category in [ChargeCategory::Purchase, ChargeCategory::Tax] {
        assert!(by_category.contains_key(&category), "{category}");
    }
    assert_eq!(
        statuses,
        BTreeSet::from([
            CommitmentDiscountStatus::Used,
            CommitmentDiscountStatus::Unused
        ])
    );
    assert!(n_untagged > 0);
    assert_eq!(hours.len(), 24);
}

#[test]
fn given_sub_accounts_are_used() {
    let accounts = vec![
        BillingAccount {
            id: "ea-1".to_owned(),
            name: "Customer One".to_owned(),
            cloud: Cloud::Azure,
            currency: "EUR".to_owned(),
            sub_accounts: vec![SubAccount {
                id: "0f8fad5b-d9cb-469f-a165-70867728950e".to_owned(),
                name: "prod".to_owned(),
            }],
        },
        BillingAccount {
            id: "111122223333".to_owned(),
            name: "Customer Two".to_owned(),
            cloud: Cloud::Aws,
            currency: "USD".to_owned(),
            sub_accounts: vec![SubAccount {
                id: "444455556666".to_owned(),
                name: "dev".to_owned(),
            }],
        },
    ];
    let mut generator = Generator::new(GenConfig {
        accounts: Accounts::Given(accounts.clone()),
        ..config()
    });
    assert_eq!(generator.accounts(), accounts);
    let keys: BTreeSet<SubAccountKey> = generator
        .by_ref()
        .map(|row| sub_account_key(&row))
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            SubAccountKey::AzureSubscription("0f8fad5b-d9cb-469f-a165-70867728950e".to_owned()),
            SubAccountKey::AwsAccount("444455556666".to_owned()),
        ])
    );
    let totals = generator.totals();
    assert_eq!(
        totals.by_sub_account.keys().collect::<Vec<_>>(),
        ["0f8fad5b-d9cb-469f-a165-70867728950e", "444455556666"]
    );
    assert!(totals.billed_cost() > Decimal::ZERO);
}
