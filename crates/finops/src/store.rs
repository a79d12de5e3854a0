//! The normalized cost detail as Parquet: a writer of [`CostRow`] batches with one fixed Arrow schema, a reader that turns such files back into rows,
//! and atomic replacement of one partition file per tenant, billing month and billing account.
//!
//! # Schema (store version 1, [`STORE_VERSION`])
//!
//! One column per [`CostRow`] field, named as in FOCUS 1.2 and 1.3 (`BillingCurrency`, `InvoiceIssuerName`, `ProviderName`, `RegionId`, `ResourceId`, …), in alphabetical order;
//! then one column per FOCUS 1.1 to 1.3 column that has no field ([`CostRow::later_focus_columns`], for example `ServiceSubcategory`, `InvoiceId`), in alphabetical order;
//! then `x_TagsMap` and `x_ProviderColumns`. [`schema`] returns it.
//!
//! - Money, prices and quantities are `Decimal128(38, 18)` ([`DECIMAL_PRECISION`], [`DECIMAL_SCALE`]): summable by any Parquet reader, exact to 18 decimal places and up to ±10^20.
//!   A value with more than 18 decimal places (a float export's `1.2345678901234567E-12`) is rounded half to even to 18 places; a value of 10^20 or more cannot be written ([`StoreError::DecimalOutOfRange`]).
//! - The four periods are `Timestamp(Microsecond, "UTC")`, the unit every Parquet reader understands; a fraction of a microsecond is cut off (toward the past).
//! - The FOCUS values with fixed lists (`ChargeCategory`, `PricingCategory`, …) are `Utf8` as the specification spells them; Parquet's dictionary encoding stores each distinct value once per column chunk.
//! - `Tags` is the FOCUS Key-Value JSON text (keys sorted, every value a string), and `x_TagsMap` holds the same pairs as a `Map<Utf8, Utf8>` for queries (`x_TagsMap['costCenter']`).
//!   Both are null for a row without tags.
//! - The later FOCUS columns are `Utf8` and hold the text the source file had: they are kept, not typed (their decimals and JSON are validated when read, and the spelling is preserved).
//! - The provider's `x_` columns vary from file to file, so they go into one `Map<Utf8, Utf8>` column, `x_ProviderColumns` (null when a row has none), and the schema stays fixed.
//!
//! The extra columns carry the `x_` prefix, as FOCUS asks of custom columns, so a store file is also a FOCUS dataset in its column names.
//! The file's key-value metadata records `leitstand.finops.store_version`. The reader finds columns by name; a later FOCUS column the file lacks reads as null.
//!
//! # Partitions
//!
//! [`PartitionKey::path`] lays files out as `{root}/tenant={tenant}/period={YYYY-MM}/account={billing account}.parquet`, each name segment percent-encoded ([`encode_segment`]).
//! [`AtomicWriter`] writes a temporary file in the target's directory, syncs it, renames it over the target and syncs the directory,
//! so a reader sees the old file or the new one, and a write that fails or is abandoned leaves the old file as it was.
//!
//! This module does not validate rows (the reader does), list or merge partitions, or lock against concurrent writers of the same partition: the last rename wins.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use arrow_array::builder::{MapBuilder, MapFieldNames, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, TimestampMicrosecondType};
use arrow_array::{
    Array, ArrayRef, Decimal128Array, MapArray, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType as ArrowType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, Datelike, Utc};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::ReadError;
use crate::row::{
    ChargeCategory, ChargeClass, ChargeFrequency, CommitmentDiscountCategory,
    CommitmentDiscountStatus, CostRow, PricingCategory, ServiceCategory,
};
use crate::spec::FocusVersion;

/// The version of the store schema, written to each file's key-value metadata under [`STORE_VERSION_KEY`].
pub const STORE_VERSION: &str = "1";

/// The key-value metadata key of the store version.
pub const STORE_VERSION_KEY: &str = "leitstand.finops.store_version";

/// The precision of the decimal columns.
pub const DECIMAL_PRECISION: u8 = 38;

/// The scale of the decimal columns: values are exact to this many decimal places.
pub const DECIMAL_SCALE: i8 = 18;

/// The most rows of one Parquet row group (DuckDB's default is 122,880).
pub const ROW_GROUP_ROWS: usize = 131_072;

/// The column of the tags as a map.
pub const TAGS_MAP_COLUMN: &str = "x_TagsMap";

/// The column of the provider's `x_` columns, as a map from column name to text.
pub const PROVIDER_COLUMNS_COLUMN: &str = "x_ProviderColumns";

/// An error of writing or reading a store file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file or its directory could not be written, synced, renamed or read.
    #[error("cannot access cost store file `{file}`")]
    Io {
        /// The file.
        file: Arc<str>,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The Parquet encoder or decoder failed.
    #[error("cannot encode or decode cost store file `{file}`")]
    Parquet {
        /// The file.
        file: Arc<str>,
        /// The Parquet error.
        #[source]
        source: ParquetError,
    },
    /// A decimal does not fit `Decimal128(38, 18)`: its magnitude is 10^20 or more.
    #[error("`{value}` in column `{column}` does not fit the cost store's decimal(38, 18)")]
    DecimalOutOfRange {
        /// The column.
        column: &'static str,
        /// The value.
        value: Decimal,
    },
    /// The file lacks a column every store file has, or has it with another type.
    #[error("cost store file `{file}` has no column `{column}` of type `{expected}`")]
    Schema {
        /// The file.
        file: Arc<str>,
        /// The column.
        column: &'static str,
        /// The Arrow type the store uses for it.
        expected: String,
    },
    /// A value of the file is not one the store writes (a null in a required column, an unknown `ChargeCategory`, a decimal out of range).
    #[error("cost store file `{file}` row {row}, column `{column}`: {problem}")]
    Invalid {
        /// The file.
        file: Arc<str>,
        /// The data row, 1-based.
        row: u64,
        /// The column.
        column: &'static str,
        /// What is wrong, in words.
        problem: String,
    },
    /// Reading the rows to be stored failed; nothing was replaced.
    #[error("cannot read the rows for cost store file `{file}`")]
    Read {
        /// The file that was to be written.
        file: Arc<str>,
        /// The reader's error.
        #[source]
        source: ReadError,
    },
}

/// Returns the names of the FOCUS columns of 1.1 and later that have no [`CostRow`] field, sorted; they are the store's `Utf8` text columns.
pub fn later_focus_columns() -> &'static [&'static str] {
    static LATER: OnceLock<Vec<&'static str>> = OnceLock::new();
    LATER.get_or_init(|| {
        let mut names: Vec<&'static str> = FocusVersion::V1_3
            .columns()
            .iter()
            .filter(|spec| {
                FocusVersion::V1_0.column(spec.name).is_none()
                    && FocusVersion::V0_5.column(spec.name).is_none()
            })
            .map(|spec| spec.name)
            .collect();
        names.sort_unstable();
        names
    })
}

/// The kind of a store column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Decimal,
    Time,
    Map,
}

/// The fixed columns, one per [`CostRow`] field, with their kind and whether they may be null.
const FIELD_COLUMNS: [(&str, Kind, bool); 43] = [
    ("AvailabilityZone", Kind::Text, true),
    ("BilledCost", Kind::Decimal, false),
    ("BillingAccountId", Kind::Text, false),
    ("BillingAccountName", Kind::Text, true),
    ("BillingCurrency", Kind::Text, false),
    ("BillingPeriodEnd", Kind::Time, false),
    ("BillingPeriodStart", Kind::Time, false),
    ("ChargeCategory", Kind::Text, false),
    ("ChargeClass", Kind::Text, true),
    ("ChargeDescription", Kind::Text, true),
    ("ChargeFrequency", Kind::Text, true),
    ("ChargePeriodEnd", Kind::Time, false),
    ("ChargePeriodStart", Kind::Time, false),
    ("CommitmentDiscountCategory", Kind::Text, true),
    ("CommitmentDiscountId", Kind::Text, true),
    ("CommitmentDiscountName", Kind::Text, true),
    ("CommitmentDiscountStatus", Kind::Text, true),
    ("CommitmentDiscountType", Kind::Text, true),
    ("ConsumedQuantity", Kind::Decimal, true),
    ("ConsumedUnit", Kind::Text, true),
    ("ContractedCost", Kind::Decimal, true),
    ("ContractedUnitPrice", Kind::Decimal, true),
    ("EffectiveCost", Kind::Decimal, false),
    ("InvoiceIssuerName", Kind::Text, true),
    ("ListCost", Kind::Decimal, true),
    ("ListUnitPrice", Kind::Decimal, true),
    ("PricingCategory", Kind::Text, true),
    ("PricingQuantity", Kind::Decimal, true),
    ("PricingUnit", Kind::Text, true),
    ("ProviderName", Kind::Text, true),
    ("PublisherName", Kind::Text, true),
    ("RegionId", Kind::Text, true),
    ("RegionName", Kind::Text, true),
    ("ResourceId", Kind::Text, true),
    ("ResourceName", Kind::Text, true),
    ("ResourceType", Kind::Text, true),
    ("ServiceCategory", Kind::Text, true),
    ("ServiceName", Kind::Text, true),
    ("SkuId", Kind::Text, true),
    ("SkuPriceId", Kind::Text, true),
    ("SubAccountId", Kind::Text, true),
    ("SubAccountName", Kind::Text, true),
    ("Tags", Kind::Text, true),
];

/// The map columns' entry, key and value names, as the Parquet specification names them.
fn map_field_names() -> MapFieldNames {
    MapFieldNames {
        entry: "key_value".to_owned(),
        key: "key".to_owned(),
        value: "value".to_owned(),
    }
}

fn arrow_type(kind: Kind) -> ArrowType {
    match kind {
        Kind::Text => ArrowType::Utf8,
        Kind::Decimal => ArrowType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
        Kind::Time => ArrowType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        Kind::Map => {
            let names = map_field_names();
            let entries = Field::new(
                names.entry,
                ArrowType::Struct(
                    vec![
                        Field::new(names.key, ArrowType::Utf8, false),
                        Field::new(names.value, ArrowType::Utf8, false),
                    ]
                    .into(),
                ),
                false,
            );
            ArrowType::Map(Arc::new(entries), false)
        }
    }
}

/// Returns the store's Arrow schema (see the module documentation), with the later FOCUS columns of every version.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| schema_for(FocusVersion::V1_3)))
}

/// Returns the store's Arrow schema with only the later FOCUS columns that `version` has, so that a file written with it is a dataset of that FOCUS version.
pub fn schema_for(version: FocusVersion) -> SchemaRef {
    let mut fields: Vec<Field> = FIELD_COLUMNS
        .iter()
        .map(|(name, kind, nullable)| Field::new(*name, arrow_type(*kind), *nullable))
        .collect();
    fields.extend(later_columns_of(version).map(|name| Field::new(name, ArrowType::Utf8, true)));
    {
        fields.push(Field::new(TAGS_MAP_COLUMN, arrow_type(Kind::Map), true));
        fields.push(Field::new(
            PROVIDER_COLUMNS_COLUMN,
            arrow_type(Kind::Map),
            true,
        ));
    }
    Arc::new(Schema::new(fields))
}

/// Returns the later FOCUS columns that `version` has, sorted.
fn later_columns_of(version: FocusVersion) -> impl Iterator<Item = &'static str> {
    later_focus_columns()
        .iter()
        .copied()
        .filter(move |name| version.column(name).is_some())
}

/// Returns a decimal as the unscaled `i128` of a `Decimal128(38, 18)`, rounding half to even beyond 18 places.
fn to_decimal128(column: &'static str, value: Decimal) -> Result<i128, StoreError> {
    let out_of_range = || StoreError::DecimalOutOfRange { column, value };
    let scale = u32::try_from(DECIMAL_SCALE).map_err(|_| out_of_range())?;
    let rounded = if value.scale() > scale {
        value.round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven)
    } else {
        value
    };
    let factor = 10i128
        .checked_pow(scale - rounded.scale())
        .ok_or_else(out_of_range)?;
    let unscaled = rounded
        .mantissa()
        .checked_mul(factor)
        .ok_or_else(out_of_range)?;
    if unscaled.unsigned_abs() >= 10u128.pow(u32::from(DECIMAL_PRECISION)) {
        return Err(out_of_range());
    }
    Ok(unscaled)
}

/// Returns the decimal of an unscaled `i128` with `scale`, without trailing zeros, or `None` if it does not fit a [`Decimal`].
fn from_decimal128(mut unscaled: i128, scale: i8) -> Option<Decimal> {
    let mut scale = i64::from(scale);
    if scale < 0 {
        unscaled = unscaled.checked_mul(10i128.checked_pow(u32::try_from(-scale).ok()?)?)?;
        scale = 0;
    }
    while scale > 0 && unscaled % 10 == 0 {
        unscaled /= 10;
        scale -= 1;
    }
    Decimal::try_from_i128_with_scale(unscaled, u32::try_from(scale).ok()?).ok()
}

/// Spells key/value pairs as a JSON object of strings.
fn json_object(pairs: &[(String, String)]) -> String {
    let object: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(key, value)| (key.clone(), serde_json::Value::String(value.clone())))
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// Converts rows into one record batch of the store schema ([`schema`]).
pub fn to_record_batch(rows: &[CostRow]) -> Result<RecordBatch, StoreError> {
    record_batch(rows, FocusVersion::V1_3, schema())
}

/// Converts rows into one record batch of [`schema_for`]`(version)`, which is `schema`.
fn record_batch(
    rows: &[CostRow],
    version: FocusVersion,
    schema: SchemaRef,
) -> Result<RecordBatch, StoreError> {
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    let text = |get: &dyn Fn(&CostRow) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(get).collect::<StringArray>())
    };
    let decimal = |column: &'static str,
                   get: &dyn Fn(&CostRow) -> Option<Decimal>|
     -> Result<ArrayRef, StoreError> {
        let values = rows
            .iter()
            .map(|row| {
                get(row)
                    .map(|value| to_decimal128(column, value))
                    .transpose()
            })
            .collect::<Result<Decimal128Array, StoreError>>()?;
        let values = values
            .with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)
            .map_err(|_| StoreError::DecimalOutOfRange {
                column,
                value: Decimal::MAX,
            })?;
        Ok(Arc::new(values))
    };
    let time = |get: &dyn Fn(&CostRow) -> DateTime<Utc>| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(
                rows.iter().map(|row| get(row).timestamp_micros()),
            )
            .with_timezone("UTC"),
        )
    };

    columns.push(text(&|row| row.availability_zone.as_deref()));
    columns.push(decimal("BilledCost", &|row| Some(row.billed_cost))?);
    columns.push(text(&|row| Some(&row.billing_account_id)));
    columns.push(text(&|row| row.billing_account_name.as_deref()));
    columns.push(text(&|row| Some(&row.billing_currency)));
    columns.push(time(&|row| row.billing_period_end));
    columns.push(time(&|row| row.billing_period_start));
    columns.push(text(&|row| Some(row.charge_category.as_str())));
    columns.push(text(&|row| row.charge_class.map(ChargeClass::as_str)));
    columns.push(text(&|row| row.charge_description.as_deref()));
    columns.push(text(&|row| {
        row.charge_frequency.map(ChargeFrequency::as_str)
    }));
    columns.push(time(&|row| row.charge_period_end));
    columns.push(time(&|row| row.charge_period_start));
    columns.push(text(&|row| {
        row.commitment_discount_category
            .map(CommitmentDiscountCategory::as_str)
    }));
    columns.push(text(&|row| row.commitment_discount_id.as_deref()));
    columns.push(text(&|row| row.commitment_discount_name.as_deref()));
    columns.push(text(&|row| {
        row.commitment_discount_status
            .map(CommitmentDiscountStatus::as_str)
    }));
    columns.push(text(&|row| row.commitment_discount_type.as_deref()));
    columns.push(decimal("ConsumedQuantity", &|row| row.consumed_quantity)?);
    columns.push(text(&|row| row.consumed_unit.as_deref()));
    columns.push(decimal("ContractedCost", &|row| row.contracted_cost)?);
    columns.push(decimal("ContractedUnitPrice", &|row| {
        row.contracted_unit_price
    })?);
    columns.push(decimal("EffectiveCost", &|row| Some(row.effective_cost))?);
    columns.push(text(&|row| row.invoice_issuer_name.as_deref()));
    columns.push(decimal("ListCost", &|row| row.list_cost)?);
    columns.push(decimal("ListUnitPrice", &|row| row.list_unit_price)?);
    columns.push(text(&|row| {
        row.pricing_category.map(PricingCategory::as_str)
    }));
    columns.push(decimal("PricingQuantity", &|row| row.pricing_quantity)?);
    columns.push(text(&|row| row.pricing_unit.as_deref()));
    columns.push(text(&|row| row.provider_name.as_deref()));
    columns.push(text(&|row| row.publisher_name.as_deref()));
    columns.push(text(&|row| row.region_id.as_deref()));
    columns.push(text(&|row| row.region_name.as_deref()));
    columns.push(text(&|row| row.resource_id.as_deref()));
    columns.push(text(&|row| row.resource_name.as_deref()));
    columns.push(text(&|row| row.resource_type.as_deref()));
    columns.push(text(&|row| {
        row.service_category.map(ServiceCategory::as_str)
    }));
    columns.push(text(&|row| row.service_name.as_deref()));
    columns.push(text(&|row| row.sku_id.as_deref()));
    columns.push(text(&|row| row.sku_price_id.as_deref()));
    columns.push(text(&|row| row.sub_account_id.as_deref()));
    columns.push(text(&|row| row.sub_account_name.as_deref()));
    let tags_json: StringArray = rows
        .iter()
        .map(|row| (!row.tags.is_empty()).then(|| json_object(&row.tags)))
        .collect();
    columns.push(Arc::new(tags_json));
    debug_assert_eq!(columns.len(), FIELD_COLUMNS.len());

    for name in later_columns_of(version) {
        columns.push(text(&|row| row.later_focus_column(name)));
    }
    columns.push(map_column(rows.iter().map(|row| {
        row.tags
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    })));
    columns.push(map_column(rows.iter().map(|row| {
        row.x_columns
            .iter()
            .map(|(key, value)| (key.as_ref(), value.as_str()))
    })));

    // INVARIANT (schema order): the columns are pushed in the order of `schema()`; `try_new` checks the types.
    RecordBatch::try_new(schema, columns).map_err(|error| StoreError::Parquet {
        file: Arc::from("<record batch>"),
        source: ParquetError::from(error),
    })
}

/// Builds a map column from each row's pairs; a row without pairs is null.
fn map_column<'a, R, P>(rows: R) -> ArrayRef
where
    R: Iterator<Item = P>,
    P: Iterator<Item = (&'a str, &'a str)>,
{
    let names = map_field_names();
    let mut builder = MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new())
        .with_values_field(Field::new("value", ArrowType::Utf8, false));
    for pairs in rows {
        let mut n_pairs = 0;
        for (key, value) in pairs {
            builder.keys().append_value(key);
            builder.values().append_value(value);
            n_pairs += 1;
        }
        // Note on panic safety: `append` fails only when the key and value counts differ, and every key above got one value.
        let appended = builder.append(n_pairs > 0);
        debug_assert!(appended.is_ok());
    }
    Arc::new(builder.finish())
}

/// Writes [`CostRow`] batches to a Parquet stream in the store schema; call [`ParquetWriter::finish`] to write the footer.
pub struct ParquetWriter<W: Write + Send> {
    file: Arc<str>,
    version: FocusVersion,
    schema: SchemaRef,
    writer: ArrowWriter<W>,
    n_rows_written: u64,
}

impl<W: Write + Send> fmt::Debug for ParquetWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParquetWriter")
            .field("file", &self.file)
            .field("n_rows_written", &self.n_rows_written)
            .finish_non_exhaustive()
    }
}

/// Returns the writer properties of store files: snappy compression, [`ROW_GROUP_ROWS`] rows per row group, and the store version.
fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            STORE_VERSION_KEY.to_owned(),
            STORE_VERSION.to_owned(),
        )]))
        .build()
}

impl<W: Write + Send> ParquetWriter<W> {
    /// Starts a store file on `sink`; `file` names it in errors.
    pub fn new(file: impl Into<Arc<str>>, sink: W) -> Result<Self, StoreError> {
        ParquetWriter::for_version(file, sink, FocusVersion::V1_3)
    }

    /// Starts a store file on `sink` with [`schema_for`]`(version)`: the later FOCUS columns `version` lacks are left out (and their values dropped).
    /// With `V1_2`, the file is a FOCUS 1.2 dataset in Parquet, which the reader recognizes as such.
    pub fn for_version(
        file: impl Into<Arc<str>>,
        sink: W,
        version: FocusVersion,
    ) -> Result<Self, StoreError> {
        let file = file.into();
        let schema = schema_for(version);
        let writer = ArrowWriter::try_new(sink, Arc::clone(&schema), Some(writer_properties()))
            .map_err(|source| StoreError::Parquet {
                file: Arc::clone(&file),
                source,
            })?;
        Ok(ParquetWriter {
            file,
            version,
            schema,
            writer,
            n_rows_written: 0,
        })
    }

    /// Writes a batch of rows (any number; row groups are cut at [`ROW_GROUP_ROWS`]).
    pub fn write(&mut self, rows: &[CostRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let batch = record_batch(rows, self.version, Arc::clone(&self.schema))?;
        self.writer
            .write(&batch)
            .map_err(|source| StoreError::Parquet {
                file: Arc::clone(&self.file),
                source,
            })?;
        self.n_rows_written += u64::try_from(rows.len()).unwrap_or(u64::MAX);
        Ok(())
    }

    /// Returns the number of rows written so far.
    pub fn rows_written(&self) -> u64 {
        self.n_rows_written
    }

    /// Returns the bytes of the row group being written that are held in memory.
    pub fn in_progress_size(&self) -> usize {
        self.writer.in_progress_size()
    }

    /// Ends the row group being written (a smaller one than [`ROW_GROUP_ROWS`]), so that
    /// its bytes leave memory for the sink.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        self.writer.flush().map_err(|source| StoreError::Parquet {
            file: Arc::clone(&self.file),
            source,
        })
    }

    /// Writes the last row group and the footer and returns the sink.
    pub fn finish(self) -> Result<W, StoreError> {
        let file = self.file;
        self.writer
            .into_inner()
            .map_err(|source| StoreError::Parquet { file, source })
    }
}

/// Reads a store file back into [`CostRow`]s, one record batch at a time; an iterator of rows.
pub struct ParquetRowReader {
    file: Arc<str>,
    batches: ParquetRecordBatchReader,
    /// The rows of the current batch, in reverse order (the next row is last).
    pending: Vec<CostRow>,
    n_rows_read: u64,
    /// The `x_` column names seen so far, shared between rows.
    names: HashMap<String, Arc<str>>,
    failed: bool,
}

impl fmt::Debug for ParquetRowReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParquetRowReader")
            .field("file", &self.file)
            .field("n_rows_read", &self.n_rows_read)
            .finish_non_exhaustive()
    }
}

impl ParquetRowReader {
    /// Opens a store file, checking that it has every fixed column with the store's type.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let file: Arc<str> = Arc::from(path.display().to_string());
        let handle = File::open(path).map_err(|source| StoreError::Io {
            file: Arc::clone(&file),
            source,
        })?;
        let parquet_error = |source| StoreError::Parquet {
            file: Arc::clone(&file),
            source,
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(handle).map_err(parquet_error)?;
        let file_schema = Arc::clone(builder.schema());
        for (name, kind, _) in FIELD_COLUMNS {
            let expected = arrow_type(kind);
            let matches = file_schema
                .field_with_name(name)
                .is_ok_and(|field| same_type(field.data_type(), &expected));
            if !matches {
                return Err(StoreError::Schema {
                    file,
                    column: name,
                    expected: expected.to_string(),
                });
            }
        }
        let batches = builder
            .with_batch_size(crate::reader::parquet::BATCH_ROWS)
            .build()
            .map_err(parquet_error)?;
        Ok(ParquetRowReader {
            file,
            batches,
            pending: Vec::new(),
            n_rows_read: 0,
            names: HashMap::new(),
            failed: false,
        })
    }

    /// Returns the next batch of rows (one record batch of the file), or `None` at the end.
    pub fn next_batch(&mut self) -> Result<Option<Vec<CostRow>>, StoreError> {
        if !self.pending.is_empty() {
            let mut rows = std::mem::take(&mut self.pending);
            rows.reverse();
            return Ok(Some(rows));
        }
        loop {
            let Some(batch) = self.batches.next() else {
                return Ok(None);
            };
            let batch = batch.map_err(|error| StoreError::Parquet {
                file: Arc::clone(&self.file),
                source: ParquetError::from(error),
            })?;
            if batch.num_rows() == 0 {
                continue;
            }
            let rows = self.rows_of(&batch)?;
            self.n_rows_read += u64::try_from(rows.len()).unwrap_or(u64::MAX);
            return Ok(Some(rows));
        }
    }

    /// Converts one record batch into rows.
    fn rows_of(&mut self, batch: &RecordBatch) -> Result<Vec<CostRow>, StoreError> {
        let cols = BatchColumns {
            file: &self.file,
            batch,
            first_row: self.n_rows_read + 1,
        };
        let n_rows = batch.num_rows();
        let mut availability_zone = cols.text("AvailabilityZone")?.into_iter();
        let mut billed_cost = cols.required(cols.decimal("BilledCost")?, "BilledCost")?;
        let mut billing_account_id =
            cols.required(cols.text("BillingAccountId")?, "BillingAccountId")?;
        let mut billing_account_name = cols.text("BillingAccountName")?.into_iter();
        let mut billing_currency =
            cols.required(cols.text("BillingCurrency")?, "BillingCurrency")?;
        let mut billing_period_end =
            cols.required(cols.time("BillingPeriodEnd")?, "BillingPeriodEnd")?;
        let mut billing_period_start =
            cols.required(cols.time("BillingPeriodStart")?, "BillingPeriodStart")?;
        let mut charge_category = cols.required(
            cols.parsed("ChargeCategory", ChargeCategory::parse)?,
            "ChargeCategory",
        )?;
        let mut charge_class = cols.parsed("ChargeClass", ChargeClass::parse)?.into_iter();
        let mut charge_description = cols.text("ChargeDescription")?.into_iter();
        let mut charge_frequency = cols
            .parsed("ChargeFrequency", ChargeFrequency::parse)?
            .into_iter();
        let mut charge_period_end =
            cols.required(cols.time("ChargePeriodEnd")?, "ChargePeriodEnd")?;
        let mut charge_period_start =
            cols.required(cols.time("ChargePeriodStart")?, "ChargePeriodStart")?;
        let mut commitment_discount_category = cols
            .parsed(
                "CommitmentDiscountCategory",
                CommitmentDiscountCategory::parse,
            )?
            .into_iter();
        let mut commitment_discount_id = cols.text("CommitmentDiscountId")?.into_iter();
        let mut commitment_discount_name = cols.text("CommitmentDiscountName")?.into_iter();
        let mut commitment_discount_status = cols
            .parsed("CommitmentDiscountStatus", CommitmentDiscountStatus::parse)?
            .into_iter();
        let mut commitment_discount_type = cols.text("CommitmentDiscountType")?.into_iter();
        let mut consumed_quantity = cols.decimal("ConsumedQuantity")?.into_iter();
        let mut consumed_unit = cols.text("ConsumedUnit")?.into_iter();
        let mut contracted_cost = cols.decimal("ContractedCost")?.into_iter();
        let mut contracted_unit_price = cols.decimal("ContractedUnitPrice")?.into_iter();
        let mut effective_cost = cols.required(cols.decimal("EffectiveCost")?, "EffectiveCost")?;
        let mut invoice_issuer_name = cols.text("InvoiceIssuerName")?.into_iter();
        let mut list_cost = cols.decimal("ListCost")?.into_iter();
        let mut list_unit_price = cols.decimal("ListUnitPrice")?.into_iter();
        let mut pricing_category = cols
            .parsed("PricingCategory", PricingCategory::parse)?
            .into_iter();
        let mut pricing_quantity = cols.decimal("PricingQuantity")?.into_iter();
        let mut pricing_unit = cols.text("PricingUnit")?.into_iter();
        let mut provider_name = cols.text("ProviderName")?.into_iter();
        let mut publisher_name = cols.text("PublisherName")?.into_iter();
        let mut region_id = cols.text("RegionId")?.into_iter();
        let mut region_name = cols.text("RegionName")?.into_iter();
        let mut resource_id = cols.text("ResourceId")?.into_iter();
        let mut resource_name = cols.text("ResourceName")?.into_iter();
        let mut resource_type = cols.text("ResourceType")?.into_iter();
        let mut service_category = cols
            .parsed("ServiceCategory", ServiceCategory::parse)?
            .into_iter();
        let mut service_name = cols.text("ServiceName")?.into_iter();
        let mut sku_id = cols.text("SkuId")?.into_iter();
        let mut sku_price_id = cols.text("SkuPriceId")?.into_iter();
        let mut sub_account_id = cols.text("SubAccountId")?.into_iter();
        let mut sub_account_name = cols.text("SubAccountName")?.into_iter();
        let mut tags = cols.pairs(TAGS_MAP_COLUMN, "Tags")?.into_iter();
        let mut later: Vec<(&'static str, std::vec::IntoIter<Option<String>>)> =
            Vec::with_capacity(later_focus_columns().len());
        for name in later_focus_columns() {
            if batch.schema().field_with_name(name).is_ok() {
                later.push((*name, cols.text(name)?.into_iter()));
            }
        }
        let mut x_columns = cols
            .pairs(PROVIDER_COLUMNS_COLUMN, PROVIDER_COLUMNS_COLUMN)?
            .into_iter();

        let mut rows = Vec::with_capacity(n_rows);
        for _ in 0..n_rows {
            let later_focus_columns = later
                .iter_mut()
                .filter_map(|(name, values)| values.next().flatten().map(|value| (*name, value)))
                .collect();
            let x_columns = x_columns
                .next()
                .unwrap_or_default()
                .into_iter()
                .map(|(name, value)| {
                    let name = match self.names.get(&name) {
                        Some(shared) => Arc::clone(shared),
                        None => {
                            let shared: Arc<str> = Arc::from(name.as_str());
                            self.names.insert(name, Arc::clone(&shared));
                            shared
                        }
                    };
                    (name, value)
                })
                .collect();
            // The required columns were checked for nulls above, so each `next()` yields a value until the batch ends.
            let (
                Some(billed_cost),
                Some(billing_account_id),
                Some(billing_currency),
                Some(billing_period_end),
                Some(billing_period_start),
                Some(charge_category),
                Some(charge_period_end),
                Some(charge_period_start),
                Some(effective_cost),
            ) = (
                billed_cost.next(),
                billing_account_id.next(),
                billing_currency.next(),
                billing_period_end.next(),
                billing_period_start.next(),
                charge_category.next(),
                charge_period_end.next(),
                charge_period_start.next(),
                effective_cost.next(),
            )
            else {
                break;
            };
            rows.push(CostRow {
                availability_zone: availability_zone.next().flatten(),
                billed_cost,
                billing_account_id,
                billing_account_name: billing_account_name.next().flatten(),
                billing_currency,
                billing_period_end,
                billing_period_start,
                charge_category,
                charge_class: charge_class.next().flatten(),
                charge_description: charge_description.next().flatten(),
                charge_frequency: charge_frequency.next().flatten(),
                charge_period_end,
                charge_period_start,
                commitment_discount_category: commitment_discount_category.next().flatten(),
                commitment_discount_id: commitment_discount_id.next().flatten(),
                commitment_discount_name: commitment_discount_name.next().flatten(),
                commitment_discount_status: commitment_discount_status.next().flatten(),
                commitment_discount_type: commitment_discount_type.next().flatten(),
                consumed_quantity: consumed_quantity.next().flatten(),
                consumed_unit: consumed_unit.next().flatten(),
                contracted_cost: contracted_cost.next().flatten(),
                contracted_unit_price: contracted_unit_price.next().flatten(),
                effective_cost,
                invoice_issuer_name: invoice_issuer_name.next().flatten(),
                list_cost: list_cost.next().flatten(),
                list_unit_price: list_unit_price.next().flatten(),
                pricing_category: pricing_category.next().flatten(),
                pricing_quantity: pricing_quantity.next().flatten(),
                pricing_unit: pricing_unit.next().flatten(),
                provider_name: provider_name.next().flatten(),
                publisher_name: publisher_name.next().flatten(),
                region_id: region_id.next().flatten(),
                region_name: region_name.next().flatten(),
                resource_id: resource_id.next().flatten(),
                resource_name: resource_name.next().flatten(),
                resource_type: resource_type.next().flatten(),
                service_category: service_category.next().flatten(),
                service_name: service_name.next().flatten(),
                sku_id: sku_id.next().flatten(),
                sku_price_id: sku_price_id.next().flatten(),
                sub_account_id: sub_account_id.next().flatten(),
                sub_account_name: sub_account_name.next().flatten(),
                tags: tags.next().unwrap_or_default(),
                later_focus_columns,
                x_columns,
            });
        }
        Ok(rows)
    }
}

impl Iterator for ParquetRowReader {
    type Item = Result<CostRow, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if let Some(row) = self.pending.pop() {
            return Some(Ok(row));
        }
        match self.next_batch() {
            Ok(Some(mut rows)) => {
                rows.reverse();
                self.pending = rows;
                self.pending.pop().map(Ok)
            }
            Ok(None) => None,
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

/// Whether two Arrow types are the same for the store, ignoring the names of a map's entries (other writers name them differently).
fn same_type(found: &ArrowType, expected: &ArrowType) -> bool {
    match (found, expected) {
        (ArrowType::Map(..), ArrowType::Map(..)) => true,
        (ArrowType::Timestamp(found_unit, found_zone), ArrowType::Timestamp(unit, _)) => {
            found_unit == unit && found_zone.is_some()
        }
        _ => found == expected,
    }
}

/// The columns of one record batch of a store file, read column by column.
struct BatchColumns<'a> {
    file: &'a Arc<str>,
    batch: &'a RecordBatch,
    /// The 1-based number of the batch's first row in the file.
    first_row: u64,
}

impl BatchColumns<'_> {
    fn invalid(&self, row_idx: usize, column: &'static str, problem: String) -> StoreError {
        StoreError::Invalid {
            file: Arc::clone(self.file),
            row: self.first_row + u64::try_from(row_idx).unwrap_or(u64::MAX),
            column,
            problem,
        }
    }

    fn column(&self, column: &'static str) -> Result<&ArrayRef, StoreError> {
        self.batch
            .column_by_name(column)
            .ok_or_else(|| StoreError::Schema {
                file: Arc::clone(self.file),
                column,
                expected: "present".to_owned(),
            })
    }

    fn schema_error(&self, column: &'static str, expected: ArrowType) -> StoreError {
        StoreError::Schema {
            file: Arc::clone(self.file),
            column,
            expected: expected.to_string(),
        }
    }

    /// Unwraps a column that must not hold nulls.
    fn required<T>(
        &self,
        values: Vec<Option<T>>,
        column: &'static str,
    ) -> Result<std::vec::IntoIter<T>, StoreError> {
        let mut present = Vec::with_capacity(values.len());
        for (row_idx, value) in values.into_iter().enumerate() {
            match value {
                Some(value) => present.push(value),
                None => return Err(self.invalid(row_idx, column, "null".to_owned())),
            }
        }
        Ok(present.into_iter())
    }

    fn strings(&self, column: &'static str) -> Result<&StringArray, StoreError> {
        self.column(column)?
            .as_string_opt::<i32>()
            .ok_or_else(|| self.schema_error(column, ArrowType::Utf8))
    }

    fn text(&self, column: &'static str) -> Result<Vec<Option<String>>, StoreError> {
        Ok(self
            .strings(column)?
            .iter()
            .map(|value| value.map(str::to_owned))
            .collect())
    }

    fn parsed<T>(
        &self,
        column: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<Option<T>>, StoreError> {
        self.strings(column)?
            .iter()
            .enumerate()
            .map(|(row_idx, value)| match value {
                None => Ok(None),
                Some(text) => parse(text).map(Some).ok_or_else(|| {
                    self.invalid(row_idx, column, format!("`{text}` is not an allowed value"))
                }),
            })
            .collect()
    }

    fn decimal(&self, column: &'static str) -> Result<Vec<Option<Decimal>>, StoreError> {
        let array = self.column(column)?;
        let ArrowType::Decimal128(_, scale) = array.data_type() else {
            return Err(self.schema_error(
                column,
                ArrowType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
            ));
        };
        let scale = *scale;
        let values = array.as_primitive_opt::<Decimal128Type>().ok_or_else(|| {
            self.schema_error(
                column,
                ArrowType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
            )
        })?;
        values
            .iter()
            .enumerate()
            .map(|(row_idx, value)| match value {
                None => Ok(None),
                Some(unscaled) => from_decimal128(unscaled, scale).map(Some).ok_or_else(|| {
                    self.invalid(row_idx, column, "the decimal is out of range".to_owned())
                }),
            })
            .collect()
    }

    fn time(&self, column: &'static str) -> Result<Vec<Option<DateTime<Utc>>>, StoreError> {
        let values = self
            .column(column)?
            .as_primitive_opt::<TimestampMicrosecondType>()
            .ok_or_else(|| self.schema_error(column, arrow_type(Kind::Time)))?;
        values
            .iter()
            .enumerate()
            .map(|(row_idx, value)| match value {
                None => Ok(None),
                Some(micros) => DateTime::<Utc>::from_timestamp_micros(micros)
                    .map(Some)
                    .ok_or_else(|| {
                        self.invalid(row_idx, column, "the timestamp is out of range".to_owned())
                    }),
            })
            .collect()
    }

    /// Reads a map column's pairs (sorted by key); without the map column, the JSON text column `fallback` (if any).
    fn pairs(
        &self,
        column: &'static str,
        fallback: &'static str,
    ) -> Result<Vec<Vec<(String, String)>>, StoreError> {
        let n_rows = self.batch.num_rows();
        let Some(array) = self.batch.column_by_name(column) else {
            if fallback == column || self.batch.column_by_name(fallback).is_none() {
                return Ok(vec![Vec::new(); n_rows]);
            }
            return self
                .strings(fallback)?
                .iter()
                .enumerate()
                .map(|(row_idx, value)| match value {
                    None => Ok(Vec::new()),
                    Some(text) => crate::parse::parse_json_object(text)
                        .and_then(|map| {
                            crate::parse::flat_key_values(map)
                                .map_err(|key| format!("key `{key}` holds an array or object"))
                        })
                        .map_err(|reason| self.invalid(row_idx, fallback, reason)),
                })
                .collect();
        };
        let map: &MapArray = array
            .as_map_opt()
            .ok_or_else(|| self.schema_error(column, arrow_type(Kind::Map)))?;
        let keys = map
            .keys()
            .as_string_opt::<i32>()
            .ok_or_else(|| self.schema_error(column, arrow_type(Kind::Map)))?;
        let values = map
            .values()
            .as_string_opt::<i32>()
            .ok_or_else(|| self.schema_error(column, arrow_type(Kind::Map)))?;
        let offsets = map.value_offsets();
        let mut all = Vec::with_capacity(n_rows);
        for row_idx in 0..n_rows {
            let mut pairs = Vec::new();
            if map.is_valid(row_idx) {
                let start = offsets.get(row_idx).copied().unwrap_or(0);
                let end = offsets.get(row_idx + 1).copied().unwrap_or(start);
                let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
                    return Err(self.invalid(row_idx, column, "bad map offsets".to_owned()));
                };
                for entry_idx in start..end {
                    if entry_idx >= keys.len() || keys.is_null(entry_idx) {
                        continue;
                    }
                    let value = if entry_idx < values.len() && values.is_valid(entry_idx) {
                        values.value(entry_idx).to_owned()
                    } else {
                        String::new()
                    };
                    pairs.push((keys.value(entry_idx).to_owned(), value));
                }
            }
            pairs.sort_by(|(left, _), (right, _)| left.cmp(right));
            all.push(pairs);
        }
        Ok(all)
    }
}

/// A billing month, the period of a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BillingMonth {
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
}

impl BillingMonth {
    /// Returns the month an instant falls in, in UTC.
    pub fn of(instant: DateTime<Utc>) -> BillingMonth {
        BillingMonth {
            year: instant.year(),
            month: instant.month(),
        }
    }
}

impl fmt::Display for BillingMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The key of one partition file: a tenant's rows of one billing account in one billing month.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionKey {
    /// The tenant (the managed service provider's customer) the rows belong to.
    pub tenant: String,
    /// The billing month: the month of the rows' `BillingPeriodStart`.
    pub period: BillingMonth,
    /// The `BillingAccountId`.
    pub billing_account_id: String,
}

impl PartitionKey {
    /// Returns the partition of a row for `tenant`: its billing account and the month its billing period starts in.
    pub fn of_row(tenant: &str, row: &CostRow) -> PartitionKey {
        PartitionKey {
            tenant: tenant.to_owned(),
            period: BillingMonth::of(row.billing_period_start),
            billing_account_id: row.billing_account_id.clone(),
        }
    }

    /// Returns the partition's file: `{root}/tenant={tenant}/period={YYYY-MM}/account={billing account}.parquet`, tenant and account percent-encoded.
    pub fn path(&self, root: &Path) -> PathBuf {
        root.join(format!("tenant={}", encode_segment(&self.tenant)))
            .join(format!("period={}", self.period))
            .join(format!(
                "account={}.parquet",
                encode_segment(&self.billing_account_id)
            ))
    }
}

/// Percent-encodes text for one path segment: ASCII letters, digits, `-` and `_` stay, every other byte (including `.`, `/`, `=` and `%`) becomes `%XX`.
///
/// The result is never empty (the empty text is `%`), never `.` or `..`, and [`decode_segment`] reverses it.
pub fn encode_segment(text: &str) -> String {
    if text.is_empty() {
        return "%".to_owned();
    }
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Reverses [`encode_segment`], or returns `None` for text it cannot have produced.
pub fn decode_segment(encoded: &str) -> Option<String> {
    if encoded == "%" {
        return Some(String::new());
    }
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut rest = encoded.as_bytes();
    while let Some((&byte, after)) = rest.split_first() {
        if byte == b'%' {
            let hex = after.get(..2)?;
            let hex = std::str::from_utf8(hex).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = after.get(2..)?;
        } else {
            bytes.push(byte);
            rest = after;
        }
    }
    String::from_utf8(bytes).ok()
}

/// Writes a store file under a temporary name in the target's directory and renames it over the target on [`AtomicWriter::commit`].
///
/// Dropping the writer without committing (after an error, say) deletes the temporary file and leaves the target as it was.
pub struct AtomicWriter {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<ParquetWriter<BufWriter<File>>>,
}

impl fmt::Debug for AtomicWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWriter")
            .field("target", &self.target)
            .field("temp", &self.temp)
            .finish_non_exhaustive()
    }
}

/// Distinguishes the temporary files of one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl AtomicWriter {
    /// Creates the target's directory if needed and starts a temporary file beside the target, in the store schema ([`schema`]).
    pub fn create(target: impl AsRef<Path>) -> Result<Self, StoreError> {
        AtomicWriter::create_for_version(target, FocusVersion::V1_3)
    }

    /// Like [`AtomicWriter::create`], with [`schema_for`]`(version)` (see [`ParquetWriter::for_version`]).
    pub fn create_for_version(
        target: impl AsRef<Path>,
        version: FocusVersion,
    ) -> Result<Self, StoreError> {
        let target = target.as_ref().to_path_buf();
        let file: Arc<str> = Arc::from(target.display().to_string());
        let io_error = |source| StoreError::Io {
            file: Arc::clone(&file),
            source,
        };
        let dir = parent_dir(&target);
        fs::create_dir_all(&dir).map_err(io_error)?;
        let target_name = target
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(
            ".{target_name}.{}-{}.tmp",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let handle = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(io_error)?;
        let writer =
            match ParquetWriter::for_version(Arc::clone(&file), BufWriter::new(handle), version) {
                Ok(writer) => writer,
                Err(error) => {
                    let _ = fs::remove_file(&temp);
                    return Err(error);
                }
            };
        Ok(AtomicWriter {
            target,
            temp,
            writer: Some(writer),
        })
    }

    /// Returns the file the writer replaces.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes a batch of rows to the temporary file.
    pub fn write(&mut self, rows: &[CostRow]) -> Result<(), StoreError> {
        match &mut self.writer {
            Some(writer) => writer.write(rows),
            None => Ok(()),
        }
    }

    /// Returns the bytes of the row group being written that are held in memory.
    pub fn in_progress_size(&self) -> usize {
        self.writer
            .as_ref()
            .map_or(0, ParquetWriter::in_progress_size)
    }

    /// Ends the row group being written, so that its bytes leave memory for the file.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        match &mut self.writer {
            Some(writer) => writer.flush(),
            None => Ok(()),
        }
    }

    /// Finishes the file, syncs it, renames it over the target and syncs the directory; returns the number of rows written.
    pub fn commit(mut self) -> Result<u64, StoreError> {
        let file: Arc<str> = Arc::from(self.target.display().to_string());
        let io_error = |source| StoreError::Io {
            file: Arc::clone(&file),
            source,
        };
        let Some(writer) = self.writer.take() else {
            return Ok(0);
        };
        let n_rows = writer.rows_written();
        let buffered = writer.finish()?;
        let handle = buffered
            .into_inner()
            .map_err(|error| io_error(error.into_error()))?;
        handle.sync_all().map_err(io_error)?;
        drop(handle);
        fs::rename(&self.temp, &self.target).map_err(io_error)?;
        sync_dir(&parent_dir(&self.target)).map_err(io_error)?;
        Ok(n_rows)
    }
}

impl Drop for AtomicWriter {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            // Not committed: the temporary file goes, the target stays. A failure to delete leaves a `.tmp` file, which no reader opens.
            let _ = fs::remove_file(&self.temp);
        }
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Syncs a directory, so that a rename in it survives a crash (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The number of rows [`replace_partition`] buffers before it writes them.
const WRITE_BATCH_ROWS: usize = 8192;

/// Replaces the partition file of `key` under `root` with `rows`, atomically; returns the file and the number of rows written.
///
/// Every row is written as given: the caller decides which rows belong to the partition (see [`PartitionKey::of_row`]).
/// If a row is an error, nothing is replaced and the error is returned as [`StoreError::Read`].
pub fn replace_partition(
    root: &Path,
    key: &PartitionKey,
    rows: impl IntoIterator<Item = Result<CostRow, ReadError>>,
) -> Result<(PathBuf, u64), StoreError> {
    let target = key.path(root);
    let mut writer = AtomicWriter::create(&target)?;
    let mut batch = Vec::with_capacity(WRITE_BATCH_ROWS);
    for row in rows {
        let row = row.map_err(|source| StoreError::Read {
            file: Arc::from(target.display().to_string()),
            source,
        })?;
        batch.push(row);
        if batch.len() == WRITE_BATCH_ROWS {
            writer.write(&batch)?;
            batch.clear();
        }
    }
    writer.write(&batch)?;
    let n_rows = writer.commit()?;
    Ok((target, n_rows))
}
