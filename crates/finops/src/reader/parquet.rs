//! Parquet input for the reader: decodes a Parquet file record batch by record batch and hands each row to the same plans as a CSV row.
//!
//! Every value becomes the text the CSV reader would have seen, so that validation and conversion are exactly those of CSV:
//! strings (Utf8, LargeUtf8, Utf8View, UTF-8 binary and their dictionaries) are taken as they are, decimals and integers in their exact decimal spelling,
//! floats in their shortest round-trip spelling, timestamps as RFC 3339 in UTC (a timestamp without a time zone is taken as UTC, as a CSV date-time without a zone is),
//! booleans as `true` and `false`, and a map column as a JSON object.
//! A column whose Arrow type cannot hold its FOCUS column's values (an integer in a String column, a date in a Date/Time column, a list anywhere)
//! makes each non-null value a [`Problem::UnsupportedType`] violation.
//!
//! Only the columns the plan reads are decoded: a FOCUS file's unknown columns are projected away.
//! Memory is bounded by one record batch ([`BATCH_ROWS`] rows) and the pages it spans, never the file.
//! This module does not validate values; the plans do.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BinaryViewArray, LargeBinaryArray, LargeStringArray,
    PrimitiveArray, RecordBatch, StringArray, StringViewArray,
};
use arrow_schema::{DataType as ArrowType, TimeUnit};
use chrono::{DateTime, SecondsFormat, Utc};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::errors::ParquetError;
use parquet::file::reader::ChunkReader;

use crate::error::Problem;
use crate::spec::DataType;

/// The four bytes every Parquet file starts (and ends) with.
pub(crate) const PARQUET_MAGIC: [u8; 4] = *b"PAR1";

/// The rows of one record batch.
pub(crate) const BATCH_ROWS: usize = 8192;

/// What a plan reads from a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expected {
    /// Nothing: the column is not decoded.
    Skip,
    /// Any scalar value as text (provider columns, converted exports).
    Any,
    /// A value of this FOCUS data type.
    Focus(DataType),
}

/// One value of a row, as the plans see it.
#[derive(Debug)]
pub(crate) enum Field<'a> {
    /// A text value (it may still be one of the spellings of null, like `NULL`).
    Text(&'a str),
    /// A null.
    Null,
    /// A value that cannot be read as text; reported when the row is read.
    Bad(Problem),
}

/// Opens a Parquet file and returns the builder and the names of its top-level columns.
pub(crate) fn open<R: ChunkReader + 'static>(
    reader: R,
) -> Result<(ParquetRecordBatchReaderBuilder<R>, Vec<Arc<str>>), ParquetError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(reader)?;
    let names = builder
        .schema()
        .fields()
        .iter()
        .map(|field| Arc::from(field.name().as_str()))
        .collect();
    Ok((builder, names))
}

/// A Parquet file being read batch by batch; the current batch is kept as one [`Column`] per file column.
pub(crate) struct ParquetSource {
    batches: ParquetRecordBatchReader,
    /// What the plan reads from each file column.
    expected: Vec<Expected>,
    /// The file column of each batch column (the projection).
    projected: Vec<usize>,
    /// The current batch, by file column.
    columns: Vec<Column>,
    n_rows: usize,
    /// The index of the current row in the batch; `n_rows` when the batch is used up.
    row_idx: usize,
    next_row_idx: usize,
}

impl ParquetSource {
    /// Builds the batch reader, decoding only the columns the plan reads.
    pub(crate) fn new<R: ChunkReader + 'static>(
        builder: ParquetRecordBatchReaderBuilder<R>,
        expected: Vec<Expected>,
    ) -> Result<Self, ParquetError> {
        let projected: Vec<usize> = expected
            .iter()
            .enumerate()
            .filter(|(_, expected)| **expected != Expected::Skip)
            .map(|(column_idx, _)| column_idx)
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), projected.iter().copied());
        let batches = builder
            .with_projection(mask)
            .with_batch_size(BATCH_ROWS)
            .build()?;
        let columns = expected.iter().map(|_| Column::Skipped).collect();
        Ok(ParquetSource {
            batches,
            expected,
            projected,
            columns,
            n_rows: 0,
            row_idx: 0,
            next_row_idx: 0,
        })
    }

    /// Moves to the next row; `Ok(false)` at the end of the file.
    pub(crate) fn advance(&mut self) -> Result<bool, ParquetError> {
        while self.next_row_idx >= self.n_rows {
            match self.batches.next() {
                None => return Ok(false),
                Some(Err(error)) => return Err(ParquetError::from(error)),
                Some(Ok(batch)) => self.load(&batch),
            }
        }
        self.row_idx = self.next_row_idx;
        self.next_row_idx += 1;
        Ok(true)
    }

    fn load(&mut self, batch: &RecordBatch) {
        for column in &mut self.columns {
            *column = Column::Skipped;
        }
        for (batch_column_idx, column_idx) in self.projected.iter().enumerate() {
            let (Some(array), Some(expected), Some(slot)) = (
                batch.columns().get(batch_column_idx),
                self.expected.get(*column_idx),
                self.columns.get_mut(*column_idx),
            ) else {
                continue;
            };
            *slot = Column::new(array, *expected);
        }
        self.n_rows = batch.num_rows();
        self.next_row_idx = 0;
    }

    /// Returns the values of the current row, one per file column.
    pub(crate) fn fields(&self) -> impl Iterator<Item = Field<'_>> {
        self.columns.iter().map(|column| column.get(self.row_idx))
    }
}

/// A string array of any of Arrow's string and binary layouts.
#[derive(Debug)]
enum TextArray {
    Utf8(StringArray),
    LargeUtf8(LargeStringArray),
    Utf8View(StringViewArray),
    Binary(BinaryArray),
    LargeBinary(LargeBinaryArray),
    BinaryView(BinaryViewArray),
}

impl TextArray {
    fn of(array: &dyn Array) -> Option<TextArray> {
        Some(match array.data_type() {
            ArrowType::Utf8 => TextArray::Utf8(array.as_string_opt::<i32>()?.clone()),
            ArrowType::LargeUtf8 => TextArray::LargeUtf8(array.as_string_opt::<i64>()?.clone()),
            ArrowType::Utf8View => TextArray::Utf8View(array.as_string_view_opt()?.clone()),
            ArrowType::Binary => TextArray::Binary(array.as_binary_opt::<i32>()?.clone()),
            ArrowType::LargeBinary => TextArray::LargeBinary(array.as_binary_opt::<i64>()?.clone()),
            ArrowType::BinaryView => TextArray::BinaryView(array.as_binary_view_opt()?.clone()),
            _ => return None,
        })
    }

    fn len(&self) -> usize {
        match self {
            TextArray::Utf8(array) => array.len(),
            TextArray::LargeUtf8(array) => array.len(),
            TextArray::Utf8View(array) => array.len(),
            TextArray::Binary(array) => array.len(),
            TextArray::LargeBinary(array) => array.len(),
            TextArray::BinaryView(array) => array.len(),
        }
    }

    fn get(&self, row_idx: usize) -> Field<'_> {
        if row_idx >= self.len() {
            return Field::Null;
        }
        match self {
            TextArray::Utf8(array) if array.is_valid(row_idx) => Field::Text(array.value(row_idx)),
            TextArray::LargeUtf8(array) if array.is_valid(row_idx) => {
                Field::Text(array.value(row_idx))
            }
            TextArray::Utf8View(array) if array.is_valid(row_idx) => {
                Field::Text(array.value(row_idx))
            }
            TextArray::Binary(array) if array.is_valid(row_idx) => utf8(array.value(row_idx)),
            TextArray::LargeBinary(array) if array.is_valid(row_idx) => utf8(array.value(row_idx)),
            TextArray::BinaryView(array) if array.is_valid(row_idx) => utf8(array.value(row_idx)),
            _ => Field::Null,
        }
    }
}

/// Reads binary as UTF-8 text.
fn utf8(bytes: &[u8]) -> Field<'_> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Field::Text(text),
        Err(_) => Field::Bad(Problem::NotUtf8),
    }
}

/// One column of the current batch, ready to hand out one row's value.
#[derive(Debug)]
enum Column {
    /// Not decoded: every value is null.
    Skipped,
    /// Strings, read in place.
    Text(TextArray),
    /// A dictionary of strings: the value index of each row (`None` for a null row) and the values.
    Dictionary {
        keys: Vec<Option<usize>>,
        values: TextArray,
    },
    /// Values of another type, spelled as text.
    Rendered(Vec<Option<String>>),
    /// A type the FOCUS column cannot hold: each non-null value is this problem.
    Unsupported { array: ArrayRef, problem: Problem },
}

impl Column {
    fn new(array: &ArrayRef, expected: Expected) -> Column {
        let unsupported = || Column::Unsupported {
            array: Arc::clone(array),
            problem: Problem::UnsupportedType {
                expected: match expected {
                    Expected::Focus(data_type) => Some(data_type),
                    Expected::Skip | Expected::Any => None,
                },
                found: array.data_type().to_string(),
            },
        };
        let data_type = array.data_type();
        if let Some(text) = TextArray::of(array.as_ref()) {
            return Column::Text(text);
        }
        if let ArrowType::Dictionary(_, value_type) = data_type {
            return match (array.as_any_dictionary_opt(), is_text(value_type)) {
                (Some(dictionary), true) => {
                    let Some(values) = TextArray::of(dictionary.values().as_ref()) else {
                        return unsupported();
                    };
                    let keys = dictionary
                        .normalized_keys()
                        .into_iter()
                        .enumerate()
                        .map(|(row_idx, key)| dictionary.keys().is_valid(row_idx).then_some(key))
                        .collect();
                    Column::Dictionary { keys, values }
                }
                _ => unsupported(),
            };
        }
        if matches!(data_type, ArrowType::Null) {
            return Column::Skipped;
        }
        let allowed = match expected {
            Expected::Skip => return Column::Skipped,
            Expected::Any => !data_type.is_nested() || matches!(data_type, ArrowType::Map(..)),
            Expected::Focus(DataType::String) => false,
            Expected::Focus(DataType::Decimal) => {
                data_type.is_integer() || data_type.is_floating() || is_decimal(data_type)
            }
            Expected::Focus(DataType::DateTime) => matches!(data_type, ArrowType::Timestamp(..)),
            Expected::Focus(DataType::Json) => matches!(data_type, ArrowType::Map(..)),
        };
        if !allowed {
            return unsupported();
        }
        match render(array) {
            Some(values) => Column::Rendered(values),
            None => unsupported(),
        }
    }

    fn get(&self, row_idx: usize) -> Field<'_> {
        match self {
            Column::Skipped => Field::Null,
            Column::Text(text) => text.get(row_idx),
            Column::Dictionary { keys, values } => match keys.get(row_idx) {
                Some(Some(key)) => values.get(*key),
                _ => Field::Null,
            },
            Column::Rendered(values) => match values.get(row_idx) {
                Some(Some(text)) => Field::Text(text),
                _ => Field::Null,
            },
            Column::Unsupported { array, problem } => {
                if row_idx < array.len() && array.is_valid(row_idx) {
                    Field::Bad(problem.clone())
                } else {
                    Field::Null
                }
            }
        }
    }
}

fn is_text(data_type: &ArrowType) -> bool {
    matches!(
        data_type,
        ArrowType::Utf8
            | ArrowType::LargeUtf8
            | ArrowType::Utf8View
            | ArrowType::Binary
            | ArrowType::LargeBinary
            | ArrowType::BinaryView
    )
}

fn is_decimal(data_type: &ArrowType) -> bool {
    matches!(
        data_type,
        ArrowType::Decimal128(..) | ArrowType::Decimal256(..)
    )
}

/// Spells every value of a non-string scalar array (or a map of scalars) as text, or returns `None` for a type without a spelling.
fn render(array: &ArrayRef) -> Option<Vec<Option<String>>> {
    fn each<T: arrow_array::ArrowPrimitiveType>(
        array: &PrimitiveArray<T>,
        spell: impl Fn(T::Native) -> String,
    ) -> Vec<Option<String>> {
        array.iter().map(|value| value.map(&spell)).collect()
    }
    let to_string = |value: &dyn ToString| value.to_string();
    Some(match array.data_type() {
        ArrowType::Boolean => array
            .as_boolean_opt()?
            .iter()
            .map(|value| value.map(|flag| flag.to_string()))
            .collect(),
        ArrowType::Int8 => each(array.as_primitive_opt::<Int8Type>()?, |v| to_string(&v)),
        ArrowType::Int16 => each(array.as_primitive_opt::<Int16Type>()?, |v| to_string(&v)),
        ArrowType::Int32 => each(array.as_primitive_opt::<Int32Type>()?, |v| to_string(&v)),
        ArrowType::Int64 => each(array.as_primitive_opt::<Int64Type>()?, |v| to_string(&v)),
        ArrowType::UInt8 => each(array.as_primitive_opt::<UInt8Type>()?, |v| to_string(&v)),
        ArrowType::UInt16 => each(array.as_primitive_opt::<UInt16Type>()?, |v| to_string(&v)),
        ArrowType::UInt32 => each(array.as_primitive_opt::<UInt32Type>()?, |v| to_string(&v)),
        ArrowType::UInt64 => each(array.as_primitive_opt::<UInt64Type>()?, |v| to_string(&v)),
        // Rust prints floats in their shortest round-trip spelling, without an exponent; NaN and infinities become violations.
        ArrowType::Float32 => each(array.as_primitive_opt::<Float32Type>()?, |v| to_string(&v)),
        ArrowType::Float64 => each(array.as_primitive_opt::<Float64Type>()?, |v| to_string(&v)),
        ArrowType::Decimal128(_, scale) => {
            let scale = *scale;
            each(array.as_primitive_opt::<Decimal128Type>()?, |v| {
                scaled(v.to_string(), scale)
            })
        }
        ArrowType::Decimal256(_, scale) => {
            let scale = *scale;
            each(array.as_primitive_opt::<Decimal256Type>()?, |v| {
                scaled(v.to_string(), scale)
            })
        }
        ArrowType::Timestamp(unit, _) => {
            let unit = *unit;
            let spell = move |value: i64| -> String {
                let instant = match unit {
                    TimeUnit::Second => DateTime::<Utc>::from_timestamp(value, 0),
                    TimeUnit::Millisecond => DateTime::<Utc>::from_timestamp_millis(value),
                    TimeUnit::Microsecond => DateTime::<Utc>::from_timestamp_micros(value),
                    TimeUnit::Nanosecond => Some(DateTime::<Utc>::from_timestamp_nanos(value)),
                };
                // An instant chrono cannot represent keeps its raw number, which the date-time parser then rejects.
                instant.map_or_else(
                    || value.to_string(),
                    |instant| instant.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                )
            };
            match unit {
                TimeUnit::Second => each(array.as_primitive_opt::<TimestampSecondType>()?, spell),
                TimeUnit::Millisecond => {
                    each(array.as_primitive_opt::<TimestampMillisecondType>()?, spell)
                }
                TimeUnit::Microsecond => {
                    each(array.as_primitive_opt::<TimestampMicrosecondType>()?, spell)
                }
                TimeUnit::Nanosecond => {
                    each(array.as_primitive_opt::<TimestampNanosecondType>()?, spell)
                }
            }
        }
        ArrowType::Date32 => each(array.as_primitive_opt::<Date32Type>()?, |days| {
            DateTime::<Utc>::from_timestamp(i64::from(days) * 86_400, 0).map_or_else(
                || days.to_string(),
                |instant| instant.date_naive().to_string(),
            )
        }),
        ArrowType::Date64 => each(array.as_primitive_opt::<Date64Type>()?, |millis| {
            DateTime::<Utc>::from_timestamp_millis(millis).map_or_else(
                || millis.to_string(),
                |instant| instant.date_naive().to_string(),
            )
        }),
        ArrowType::Map(..) => render_map(array)?,
        _ => return None,
    })
}

/// Spells each map of a map array as a JSON object whose values are strings (or null).
fn render_map(array: &ArrayRef) -> Option<Vec<Option<String>>> {
    let map = array.as_map_opt()?;
    let keys = Column::new(map.keys(), Expected::Any);
    let values = Column::new(map.values(), Expected::Any);
    if matches!(keys, Column::Unsupported { .. }) || matches!(values, Column::Unsupported { .. }) {
        return None;
    }
    let offsets = map.value_offsets();
    let mut rendered = Vec::with_capacity(map.len());
    for row_idx in 0..map.len() {
        if map.is_null(row_idx) {
            rendered.push(None);
            continue;
        }
        let (Some(start), Some(end)) = (offsets.get(row_idx), offsets.get(row_idx + 1)) else {
            rendered.push(None);
            continue;
        };
        let (Ok(start), Ok(end)) = (usize::try_from(*start), usize::try_from(*end)) else {
            rendered.push(None);
            continue;
        };
        let mut object = serde_json::Map::new();
        for entry_idx in start..end {
            let Field::Text(key) = keys.get(entry_idx) else {
                continue;
            };
            let value = match values.get(entry_idx) {
                Field::Text(value) => serde_json::Value::String(value.to_owned()),
                Field::Null | Field::Bad(_) => serde_json::Value::Null,
            };
            object.insert(key.to_owned(), value);
        }
        rendered.push(Some(serde_json::Value::Object(object).to_string()));
    }
    Some(rendered)
}

/// Places the decimal point in the digits of an unscaled decimal (`-12345`, scale 2, is `-123.45`; scale -2 is `-1234500`).
pub(crate) fn scaled(digits: String, scale: i8) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", digits.as_str()),
    };
    let scale_digits = usize::from(scale.unsigned_abs());
    if scale < 0 {
        return format!("{sign}{digits}{}", "0".repeat(scale_digits));
    }
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale_digits + 1);
    let split_idx = padded.len().saturating_sub(scale_digits);
    match padded.split_at_checked(split_idx) {
        Some((integer, fraction)) => format!("{sign}{integer}.{fraction}"),
        None => format!("{sign}{padded}e-{scale_digits}"),
    }
}
