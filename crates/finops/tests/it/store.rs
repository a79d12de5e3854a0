//! The Parquet cost store: CSV → rows → Parquet → rows is the identity, a partition is replaced atomically, and partition names are reversible.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use leitstand_finops::store::{
    decode_segment, encode_segment, schema, AtomicWriter, BillingMonth, ParquetRowReader,
    ParquetWriter, PartitionKey, StoreError, DECIMAL_SCALE,
};
use leitstand_finops::{
    ChargeCategory, ChargeClass, ChargeFrequency, CommitmentDiscountCategory,
    CommitmentDiscountStatus, CostReader, CostRow, PricingCategory, ReadError, ServiceCategory,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::common::{collect, fixture, read_all, shared};

/// Returns a fresh directory under Cargo's temporary directory for integration tests.
fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("finops-store")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_store(path: &Path, rows: &[CostRow]) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ParquetWriter::new(path.display().to_string(), file).unwrap();
    for chunk in rows.chunks(300) {
        writer.write(chunk).unwrap();
    }
    writer.finish().unwrap();
}

fn read_store(path: &Path) -> Vec<CostRow> {
    ParquetRowReader::open(path)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Rounds a decimal to the store's scale, as the writer does.
fn stored(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(
        u32::try_from(DECIMAL_SCALE).unwrap(),
        rust_decimal::RoundingStrategy::MidpointNearestEven,
    )
}

#[test]
fn csv_samples_round_trip_through_the_store() {
    for (sample, n_rows) in [
        ("focus_1.0_sample_1000rows.csv", 1000),
        ("aws_cur_sample_anonymous.csv", 1281),
        ("azure_ea_sample_anonymous.csv", 0),
    ] {
        let (rows, _) = read_all(&shared(sample));
        if n_rows > 0 {
            assert_eq!(rows.len(), n_rows, "{sample}");
        }
        let dir = temp_dir("samples");
        let path = dir.join(format!("{sample}.parquet"));
        write_store(&path, &rows);
        let back = read_store(&path);
        // The samples have no value with more than 18 decimal places, so nothing is rounded.
        assert_eq!(back, rows, "{sample}");
    }
}

#[test]
fn a_store_file_has_the_documented_schema() {
    let schema = schema();
    let names: Vec<&str> = schema
        .fields()
        .iter()
        .map(|field| field.name().as_str())
        .collect();
    assert_eq!(names.len(), 43 + 22 + 2);
    assert_eq!(names[1], "BilledCost");
    assert_eq!(
        schema.field_with_name("BilledCost").unwrap().data_type(),
        &arrow_schema::DataType::Decimal128(38, 18)
    );
    assert_eq!(
        schema
            .field_with_name("ChargePeriodStart")
            .unwrap()
            .data_type()
            .to_string(),
        r#"Timestamp(µs, "UTC")"#
    );
    assert!(names.contains(&"ServiceSubcategory"));
    assert!(names.contains(&"HostProviderName"));
    assert_eq!(names[names.len() - 2..], ["x_TagsMap", "x_ProviderColumns"]);
}

#[test]
fn decimals_beyond_the_scale_are_rounded_and_too_large_ones_refused() {
    let (rows, _) = read_all(&shared("focus_1.0_sample_1000rows.csv"));
    let mut row = rows[0].clone();
    row.list_unit_price = Some(Decimal::from_str("0.0000000000000000012345").unwrap());
    let dir = temp_dir("rounding");
    let path = dir.join("rounded.parquet");
    write_store(&path, std::slice::from_ref(&row));
    let back = read_store(&path);
    assert_eq!(
        back[0].list_unit_price,
        Some(Decimal::from_str("0.000000000000000001").unwrap())
    );

    row.billed_cost = Decimal::from_str("100000000000000000000").unwrap();
    let mut writer = ParquetWriter::new("too_large", Vec::new()).unwrap();
    match writer.write(&[row]) {
        Err(StoreError::DecimalOutOfRange { column, .. }) => assert_eq!(column, "BilledCost"),
        other => panic!("expected out of range, got {other:?}"),
    }
}

/// A row of the FOCUS 1.0 sample, for the partition tests.
fn sample_rows() -> Vec<CostRow> {
    read_all(&shared("focus_1.0_sample_1000rows.csv")).0
}

#[test]
fn a_partition_is_replaced_and_an_interrupted_write_leaves_the_old_file() {
    let root = temp_dir("partitions");
    let rows = sample_rows();
    let key = PartitionKey::of_row("tenant/α", &rows[0]);
    assert_eq!(key.period, BillingMonth::of(rows[0].billing_period_start));
    let target = key.path(&root);
    assert!(target.starts_with(root.join("tenant=tenant%2F%CE%B1")));
    assert_eq!(target.extension().unwrap(), "parquet");

    // The first write creates the partition.
    let old_rows = &rows[..10];
    let (path, n_rows) =
        leitstand_finops::store::replace_partition(&root, &key, old_rows.iter().cloned().map(Ok))
            .unwrap();
    assert_eq!((path.as_path(), n_rows), (target.as_path(), 10));
    assert_eq!(read_store(&target), old_rows);

    // A write whose second batch fails (a decimal the store cannot hold) is abandoned: the old file stays, and no temporary file is left.
    let mut writer = AtomicWriter::create(&target).unwrap();
    writer.write(&rows[10..20]).unwrap();
    let mut bad = rows[20].clone();
    bad.effective_cost = Decimal::MAX;
    assert!(writer.write(&[bad]).is_err());
    drop(writer);
    assert_eq!(read_store(&target), old_rows);
    assert_eq!(
        files_in(target.parent().unwrap()),
        std::slice::from_ref(&target)
    );

    // An ingest whose source fails midway (a truncated gzip CSV) replaces nothing either.
    let plain = std::fs::read(shared("focus_1.0_sample_1000rows.csv")).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, &plain).unwrap();
    let compressed = encoder.finish().unwrap();
    let truncated = fixture(
        "store_truncated.csv.gz",
        &compressed[..compressed.len() / 2],
    );
    let reader = CostReader::open(&truncated, collect(100)).unwrap();
    match leitstand_finops::store::replace_partition(&root, &key, reader) {
        Err(StoreError::Read {
            source: ReadError::Io { .. },
            ..
        }) => {}
        other => panic!("expected a read error, got {other:?}"),
    }
    assert_eq!(read_store(&target), old_rows);
    assert_eq!(
        files_in(target.parent().unwrap()),
        std::slice::from_ref(&target)
    );

    // A committed write replaces the file.
    let mut writer = AtomicWriter::create(&target).unwrap();
    writer.write(&rows[100..150]).unwrap();
    assert_eq!(writer.commit().unwrap(), 50);
    assert_eq!(read_store(&target), &rows[100..150]);
    assert_eq!(files_in(target.parent().unwrap()), [target]);
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ,\"{}:/é-]{0,12}"
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=18).prop_map(|(mantissa, scale)| Decimal::new(mantissa / 100, scale))
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_102_444_800_000_000).prop_map(|micros| Utc.timestamp_micros(micros).unwrap())
}

fn pick<T: Copy + std::fmt::Debug + 'static>(values: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(values)
}

prop_compose! {
    fn cost_row()(
        texts in proptest::collection::vec(proptest::option::of(text()), 24),
        required in proptest::collection::vec(text(), 2),
        decimals in proptest::collection::vec(proptest::option::of(decimal()), 7),
        costs in (decimal(), decimal()),
        instants in proptest::collection::vec(instant(), 4),
        charge_category in pick(ChargeCategory::ALL),
        enums in (
            proptest::option::of(pick(ChargeClass::ALL)),
            proptest::option::of(pick(ChargeFrequency::ALL)),
            proptest::option::of(pick(CommitmentDiscountCategory::ALL)),
            proptest::option::of(pick(CommitmentDiscountStatus::ALL)),
            proptest::option::of(pick(PricingCategory::ALL)),
            proptest::option::of(pick(ServiceCategory::ALL)),
        ),
        tags in proptest::collection::btree_map("[a-zA-Z:]{1,6}", text(), 0..4),
        later in proptest::collection::btree_map(
            proptest::sample::select(leitstand_finops::store::later_focus_columns()),
            text(),
            0..4,
        ),
        x_columns in proptest::collection::btree_map("x_[A-Za-z]{1,6}", text(), 0..3),
    ) -> CostRow {
        let mut texts = texts.into_iter();
        let mut text = || texts.next().unwrap();
        let mut decimals = decimals.into_iter();
        let mut decimal = || decimals.next().unwrap();
        CostRow {
            availability_zone: text(),
            billed_cost: costs.0,
            billing_account_id: required[0].clone(),
            billing_account_name: text(),
            billing_currency: required[1].clone(),
            billing_period_end: instants[0],
            billing_period_start: instants[1],
            charge_category,
            charge_class: enums.0,
            charge_description: text(),
            charge_frequency: enums.1,
            charge_period_end: instants[2],
            charge_period_start: instants[3],
            commitment_discount_category: enums.2,
            commitment_discount_id: text(),
            commitment_discount_name: text(),
            commitment_discount_status: enums.3,
            commitment_discount_type: text(),
            consumed_quantity: decimal(),
            consumed_unit: text(),
            contracted_cost: decimal(),
            contracted_unit_price: decimal(),
            effective_cost: costs.1,
            invoice_issuer_name: text(),
            list_cost: decimal(),
            list_unit_price: decimal(),
            pricing_category: enums.4,
            pricing_quantity: decimal(),
            pricing_unit: text(),
            provider_name: text(),
            publisher_name: text(),
            region_id: text(),
            region_name: text(),
            resource_id: text(),
            resource_name: text(),
            resource_type: text(),
            service_category: enums.5,
            service_name: text(),
            sku_id: text(),
            sku_price_id: text(),
            sub_account_id: text(),
            sub_account_name: text(),
            tags: tags.into_iter().collect(),
            later_focus_columns: later.into_iter().collect(),
            x_columns: x_columns.into_iter().map(|(name, value)| (Arc::from(name.as_str()), value)).collect(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rows_round_trip_through_the_store(rows in proptest::collection::vec(cost_row(), 0..40)) {
        let mut writer = ParquetWriter::new("memory", Vec::new()).unwrap();
        writer.write(&rows).unwrap();
        let bytes = writer.finish().unwrap();
        let dir = temp_dir("proptest");
        let path = dir.join("rows.parquet");
        std::fs::write(&path, bytes).unwrap();
        let back = read_store(&path);
        let expected: Vec<CostRow> = rows
            .into_iter()
            .map(|mut row| {
                row.billed_cost = stored(row.billed_cost);
                row
            })
            .collect();
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn partition_segments_are_safe_and_reversible(text in "\\PC{0,20}") {
        let encoded = encode_segment(&text);
        prop_assert!(!encoded.is_empty());
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'%'));
        prop_assert_eq!(decode_segment(&encoded), Some(text));
    }
}
