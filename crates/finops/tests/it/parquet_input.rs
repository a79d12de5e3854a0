//! Parquet input: the focus-validator's pyarrow sample, typed Arrow columns spelled as CSV text, columns of the wrong type, and recognition by magic bytes.

use std::str::FromStr;
use std::sync::Arc;

use arrow_array::builder::{MapBuilder, StringBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, Date32Array, Decimal128Array, DictionaryArray, Float64Array, Int64Array, RecordBatch,
    StringArray, TimestampNanosecondArray,
};
use arrow_schema::{Field, Schema};
use chrono::{TimeZone, Utc};
use leitstand_finops::{
    validate_file, ChargeCategory, CostReader, DataType, FocusVersion, InputFormat, Problem,
    ReadError, ReadOptions,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use rust_decimal::Decimal;

use crate::common::{collect, fixture, read_all, shared};

const SAMPLE: &str = "focus_validator_sample.parquet";

/// Writes one record batch as a Parquet file (the parquet crate's defaults: no compression) and returns its bytes.
fn parquet_bytes(batch: &RecordBatch) -> Vec<u8> {
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.into_inner().unwrap()
}

fn strings(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(values.iter().copied().collect::<StringArray>())
}

#[test]
fn the_validator_sample_is_decoded_but_is_not_a_complete_dataset() {
    // The file is pyarrow 12's output (snappy pages): our feature set decodes it.
    let file = std::fs::File::open(shared(SAMPLE)).unwrap();
    let batches: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let batch = &batches[0];
    let schema = batch.schema();
    let names: Vec<&str> = schema
        .fields()
        .iter()
        .map(|field| field.name().as_str())
        .collect();
    assert_eq!(names, ["InvoiceIssuer", "ResourceID", "ChargeType"]);

    // Three FOCUS 0.5 columns are not a FOCUS dataset: without `BilledCost` the format is not recognized,
    // and read as 0.5 the file lacks every other Mandatory 0.5 column. That is what validation says about it.
    assert!(matches!(
        validate_file(shared(SAMPLE), ReadOptions::default()),
        Err(ReadError::UnknownFormat { .. })
    ));
    let forced = ReadOptions {
        format: Some(InputFormat::Focus(FocusVersion::V0_5)),
        ..ReadOptions::default()
    };
    match validate_file(shared(SAMPLE), forced) {
        Err(ReadError::MissingColumns {
            format, columns, ..
        }) => {
            assert_eq!(format, InputFormat::Focus(FocusVersion::V0_5));
            assert_eq!(
                columns,
                [
                    "AmortizedCost",
                    "BilledCost",
                    "BilledCurrency",
                    "BillingAccountId",
                    "BillingAccountName",
                    "BillingPeriodEnd",
                    "BillingPeriodStart",
                    "ChargePeriodEnd",
                    "ChargePeriodStart",
                    "Provider",
                    "Publisher",
                    "ServiceCategory",
                    "ServiceName",
                ]
            );
        }
        other => panic!("expected missing columns, got {other:?}"),
    }

    // Completed with the missing Mandatory columns, the sample's values validate and convert like CSV.
    let n_rows = batch.num_rows();
    let constant = |value: &str| strings(&vec![Some(value); n_rows]);
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for (name, value) in [
        ("AmortizedCost", "1.5"),
        ("BilledCost", "2"),
        ("BilledCurrency", "USD"),
        ("BillingAccountId", "a1"),
        ("BillingAccountName", "Account 1"),
        ("BillingPeriodEnd", "2023-07-01T00:00:00Z"),
        ("BillingPeriodStart", "2023-06-01T00:00:00Z"),
        ("ChargePeriodEnd", "2023-06-02T00:00:00Z"),
        ("ChargePeriodStart", "2023-06-01T00:00:00Z"),
        ("Provider", "A"),
        ("Publisher", "B"),
        ("ServiceCategory", "Compute"),
        ("ServiceName", "S"),
    ] {
        fields.push(Field::new(name, arrow_schema::DataType::Utf8, false));
        columns.push(constant(value));
    }
    let completed = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let path = fixture(
        "validator_sample_completed.parquet",
        &parquet_bytes(&completed),
    );
    let (rows, violations) = read_all(&path);
    assert_eq!(violations, []);
    assert_eq!(rows.len(), n_rows);
    let first = &rows[0];
    assert_eq!(first.invoice_issuer_name.as_deref(), Some("test-entity-1"));
    assert_eq!(first.resource_id.as_deref(), Some("r1"));
    assert_eq!(first.charge_category, ChargeCategory::Purchase);
}

/// A FOCUS 1.0 batch with every Mandatory column, typed as a Parquet export would type them.
fn typed_batch() -> RecordBatch {
    let n_rows = 2;
    let constant = |value: &str| strings(&vec![Some(value); n_rows]);
    let micros = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    };
    let period_start = micros("2024-09-01T00:00:00Z");
    let period_end = micros("2024-10-01T00:00:00Z");
    let mut tags = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    tags.keys().append_value("env");
    tags.values().append_value("prod");
    tags.append(true).unwrap();
    tags.append(false).unwrap();
    let dictionary: DictionaryArray<Int32Type> = vec!["Usage", "Tax"]
        .into_iter()
        .collect::<DictionaryArray<Int32Type>>();
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "BilledCost",
            Arc::new(
                Decimal128Array::from(vec![123_450, -5])
                    .with_precision_and_scale(38, 4)
                    .unwrap(),
            ),
        ),
        ("BillingAccountId", constant("acct")),
        ("BillingAccountName", strings(&[Some("Name"), None])),
        ("BillingCurrency", constant("EUR")),
        (
            "BillingPeriodEnd",
            Arc::new(TimestampNanosecondArray::from(vec![period_end; n_rows])),
        ),
        (
            "BillingPeriodStart",
            Arc::new(
                TimestampNanosecondArray::from(vec![period_start; n_rows]).with_timezone("UTC"),
            ),
        ),
        ("ChargeCategory", Arc::new(dictionary)),
        ("ChargeClass", strings(&[None, None])),
        ("ChargeDescription", strings(&[None, None])),
        (
            "ChargePeriodEnd",
            Arc::new(
                TimestampNanosecondArray::from(vec![period_start + 3_600_000_000_000; n_rows])
                    .with_timezone("+02:00"),
            ),
        ),
        (
            "ChargePeriodStart",
            Arc::new(TimestampNanosecondArray::from(vec![period_start; n_rows])),
        ),
        (
            "ContractedCost",
            Arc::new(Float64Array::from(vec![0.1, 2.5e-7])),
        ),
        ("EffectiveCost", Arc::new(Int64Array::from(vec![12, -3]))),
        ("InvoiceIssuerName", constant("Issuer")),
        ("ListCost", Arc::new(Float64Array::from(vec![0.1, 1.0]))),
        ("PricingQuantity", strings(&[Some("1E3"), None])),
        ("PricingUnit", strings(&[Some("Hours"), None])),
        ("ProviderName", constant("Provider")),
        ("PublisherName", constant("Publisher")),
        ("ServiceCategory", constant("Compute")),
        ("ServiceName", constant("VMs")),
        ("Tags", Arc::new(tags.finish())),
        (
            "x_Flag",
            Arc::new(arrow_array::BooleanArray::from(vec![true, false])),
        ),
    ];
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns
        .into_iter()
        .map(|(name, array)| (Field::new(name, array.data_type().clone(), true), array))
        .unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

#[test]
fn typed_arrow_columns_read_as_their_csv_spelling() {
    let path = fixture("typed.parquet", &parquet_bytes(&typed_batch()));
    let (rows, violations) = read_all(&path);
    assert_eq!(violations, []);
    assert_eq!(rows.len(), 2);
    let dec = |text: &str| Decimal::from_str(text).unwrap();
    assert_eq!(rows[0].billed_cost, dec("12.345"));
    assert_eq!(rows[1].billed_cost, dec("-0.0005"));
    assert_eq!(rows[0].contracted_cost, Some(dec("0.1")));
    assert_eq!(rows[1].contracted_cost, Some(dec("0.00000025")));
    assert_eq!(rows[1].effective_cost, dec("-3"));
    assert_eq!(rows[0].pricing_quantity, Some(dec("1000")));
    assert_eq!(rows[1].billing_account_name, None);
    assert_eq!(rows[0].charge_category, ChargeCategory::Usage);
    assert_eq!(rows[1].charge_category, ChargeCategory::Tax);
    // A time zone on a timestamp column does not move the instant: Arrow stores UTC.
    assert_eq!(
        rows[0].charge_period_end,
        Utc.with_ymd_and_hms(2024, 9, 1, 1, 0, 0).unwrap()
    );
    assert_eq!(
        rows[0].billing_period_end,
        Utc.with_ymd_and_hms(2024, 10, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(rows[0].tags, [("env".to_owned(), "prod".to_owned())]);
    assert_eq!(rows[1].tags, []);
    assert_eq!(rows[0].x_column("x_Flag"), Some("true"));
}

#[test]
fn a_column_of_the_wrong_type_is_a_violation_naming_file_row_and_column() {
    let batch = typed_batch();
    let schema = batch.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns = batch.columns().to_vec();
    // A date is not a FOCUS date-time, and an integer is not a FOCUS string.
    let start_idx = schema.index_of("ChargePeriodStart").unwrap();
    columns[start_idx] = Arc::new(Date32Array::from(vec![19967, 19968]));
    fields[start_idx] = Field::new("ChargePeriodStart", arrow_schema::DataType::Date32, true);
    let account_idx = schema.index_of("BillingAccountName").unwrap();
    columns[account_idx] = Arc::new(Int64Array::from(vec![Some(7), None]));
    fields[account_idx] = Field::new("BillingAccountName", arrow_schema::DataType::Int64, true);
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let path = fixture("wrong_types.parquet", &parquet_bytes(&batch));

    let mut reader = CostReader::open(&path, collect(100)).unwrap();
    let rows: Vec<_> = (&mut reader).map(Result::unwrap).collect();
    // ChargePeriodStart is needed by every row, so both rows are rejected.
    assert_eq!((rows.len(), reader.rows_rejected()), (0, 2));
    let found: Vec<(u64, u64, &str, &Problem)> = reader
        .violations()
        .iter()
        .map(|violation| {
            assert_eq!(violation.file.as_ref(), path.display().to_string());
            (
                violation.row,
                violation.line,
                violation.column.as_deref().unwrap(),
                &violation.problem,
            )
        })
        .collect();
    let date = Problem::UnsupportedType {
        expected: Some(DataType::DateTime),
        found: "Date32".to_owned(),
    };
    let int = Problem::UnsupportedType {
        expected: Some(DataType::String),
        found: "Int64".to_owned(),
    };
    assert_eq!(
        found,
        [
            (1, 0, "BillingAccountName", &int),
            (1, 0, "ChargePeriodStart", &date),
            (2, 0, "ChargePeriodStart", &date),
        ]
    );
    assert_eq!(
        reader.violations()[0].to_string(),
        format!(
            "`{}` row 1, column `BillingAccountName`: the Parquet column has type `Int64`, which cannot hold String values",
            path.display()
        )
    );
}

#[test]
fn parquet_is_recognized_by_content_and_a_truncated_file_is_a_parquet_error() {
    let bytes = parquet_bytes(&typed_batch());
    let misnamed = fixture("typed_but_named.csv", &bytes);
    let reader = CostReader::open(&misnamed, ReadOptions::default()).unwrap();
    assert_eq!(reader.format(), InputFormat::Focus(FocusVersion::V1_0));
    assert_eq!(reader.map(Result::unwrap).count(), 2);

    let in_memory = CostReader::from_reader(
        "memory.parquet",
        std::io::Cursor::new(bytes.clone()),
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(in_memory.map(Result::unwrap).count(), 2);

    let truncated = fixture("truncated.parquet", &bytes[..bytes.len() - 20]);
    assert!(matches!(
        CostReader::open(&truncated, ReadOptions::default()),
        Err(ReadError::Parquet { .. })
    ));
}
