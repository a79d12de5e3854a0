//! The streaming reader: opens a cost file (plain or gzip CSV, or Parquet), recognizes its format from the header, and yields one [`CostRow`] per data row.
//!
//! The reader holds one CSV record or one Parquet record batch at a time, never the file.
//! Parquet values are spelled as the text a CSV file would hold ([`parquet`]), so both containers share every rule below.
//! It recognizes three formats ([`InputFormat`]): FOCUS (0.5 to 1.3, validated column by column),
//! the AWS Cost and Usage Report, and the Azure EA usage export (both converted by [`crate::convert`]).
//! What a bad value does is the caller's choice ([`OnError`]): stop at the first, or collect up to a limit and keep reading.
//!
//! The reader does not aggregate, deduplicate or store rows, and it does not check rules that relate rows to each other.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use csv::ByteRecord;
use flate2::read::MultiGzDecoder;
use rust_decimal::Decimal;

use crate::convert::{aws, azure};
use crate::error::{Problem, ReadError, Violation};
use crate::focus::FocusPlan;
use crate::parse::{parse_datetime, parse_decimal};
use crate::row::CostRow;
use crate::spec::FocusVersion;

pub(crate) mod parquet;

use self::parquet::{Expected, Field, ParquetSource, PARQUET_MAGIC};

/// The kind of cost file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// A FOCUS cost and usage file of this version.
    Focus(FocusVersion),
    /// An AWS Cost and Usage Report (legacy `lineItem/UnblendedCost` or CUR 2.0 `line_item_unblended_cost` column names).
    AwsCur,
    /// An Azure Enterprise Agreement usage details export (actual or amortized cost).
    AzureEa,
}

impl InputFormat {
    /// Recognizes the format of a header: FOCUS first (see [`FocusVersion::detect`]), then the AWS CUR, then the Azure EA export.
    pub fn detect<S: AsRef<str>>(header: &[S]) -> Option<InputFormat> {
        if let Some(version) = FocusVersion::detect(header) {
            return Some(InputFormat::Focus(version));
        }
        if aws::is_cur_header(header) {
            return Some(InputFormat::AwsCur);
        }
        if azure::is_ea_header(header) {
            return Some(InputFormat::AzureEa);
        }
        None
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputFormat::Focus(version) => write!(f, "FOCUS {version}"),
            InputFormat::AwsCur => f.write_str("the AWS cost and usage report"),
            InputFormat::AzureEa => f.write_str("the Azure EA usage export"),
        }
    }
}

/// What the reader does with a bad value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Stop: the first violation is returned as [`ReadError::Invalid`] and the read ends.
    #[default]
    Stop,
    /// Keep reading: violations are collected (see [`CostReader::violations`]) until there are more than `max_errors`,
    /// which ends the read with [`ReadError::TooManyErrors`].
    /// A row with a bad value is still yielded, with that field empty, unless the value is one every row needs
    /// (the billed or effective cost, the currency, a period bound, the billing account or the charge category); such a row is skipped and counted.
    Collect {
        /// The most violations to collect.
        max_errors: usize,
    },
}

/// How to read a cost file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The file's format; recognized from the header when `None`.
    /// Give `Some(InputFormat::Focus(version))` to validate a FOCUS file against a version other than the detected one.
    pub format: Option<InputFormat>,
    /// What to do with bad values.
    pub on_error: OnError,
}

/// How to read the rows of one file (boxed: the plans hold one column index per rule).
#[derive(Debug)]
enum Plan {
    Focus(Box<FocusPlan>),
    AwsCur(Box<aws::CurPlan>),
    AzureEa(Box<azure::EaPlan>),
}

/// Where the rows come from.
enum Source {
    /// A CSV stream (decompressed if it was gzip) and the record being read.
    Csv {
        csv: csv::Reader<Box<dyn Read + Send>>,
        record: ByteRecord,
    },
    /// A Parquet file, one record batch at a time.
    Parquet(Box<ParquetSource>),
}

/// A streaming reader of one cost file; an iterator of rows.
///
/// A file is Parquet if it starts with the Parquet magic bytes `PAR1`, gzip if it starts with the gzip magic bytes, and plain CSV otherwise;
/// the file name does not matter. A Parquet file's header is its top-level column names.
///
/// ```no_run
/// use leitstand_finops::{CostReader, OnError, ReadOptions};
///
/// let options = ReadOptions { format: None, on_error: OnError::Collect { max_errors: 100 } };
/// let mut reader = CostReader::open("focus.csv.gz", options)?;
/// let mut total = rust_decimal::Decimal::ZERO;
/// for row in &mut reader {
///     total += row?.billed_cost;
/// }
/// for violation in reader.violations() {
///     eprintln!("{violation}");
/// }
/// # Ok::<(), leitstand_finops::ReadError>(())
/// ```
pub struct CostReader {
    file: Arc<str>,
    source: Source,
    names: Vec<Arc<str>>,
    format: InputFormat,
    plan: Plan,
    on_error: OnError,
    violations: Vec<Violation>,
    n_rows_read: u64,
    n_rows_rejected: u64,
    finished: bool,
}

impl fmt::Debug for CostReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CostReader")
            .field("file", &self.file)
            .field("format", &self.format)
            .field("n_rows_read", &self.n_rows_read)
            .field("n_violations", &self.violations.len())
            .finish_non_exhaustive()
    }
}

impl CostReader {
    /// Opens a cost file; Parquet and gzip are recognized by their magic bytes, not by the file name.
    /// A Parquet file is read from disk one record batch at a time.
    pub fn open(path: impl AsRef<Path>, options: ReadOptions) -> Result<CostReader, ReadError> {
        let path = path.as_ref();
        CostReader::open_as(path, path.display().to_string(), options)
    }

    /// Like [`CostReader::open`], naming the file `name` in errors and violations (an upload's
    /// name, say, rather than the temporary file it was kept in).
    pub fn open_as(
        path: impl AsRef<Path>,
        name: impl Into<Arc<str>>,
        options: ReadOptions,
    ) -> Result<CostReader, ReadError> {
        let path = path.as_ref();
        let file: Arc<str> = name.into();
        let io_error = |source| ReadError::Io {
            file: Arc::clone(&file),
            source,
        };
        let mut handle = File::open(path).map_err(io_error)?;
        let mut magic = [0u8; 4];
        let n_read = read_prefix(&mut handle, &mut magic).map_err(io_error)?;
        handle.seek(SeekFrom::Start(0)).map_err(io_error)?;
        if n_read == magic.len() && magic == PARQUET_MAGIC {
            return CostReader::from_parquet(file, handle, options);
        }
        CostReader::from_reader(file, handle, options)
    }

    /// Reads a cost file from any byte source (plain or gzip CSV, or Parquet); `file` names it in errors.
    ///
    /// Parquet keeps its index at the end of the file, so a Parquet stream is read into memory first; [`CostReader::open`] does not need to.
    pub fn from_reader(
        file: impl Into<Arc<str>>,
        reader: impl Read + Send + 'static,
        options: ReadOptions,
    ) -> Result<CostReader, ReadError> {
        let file = file.into();
        let io_error = |source| ReadError::Io {
            file: Arc::clone(&file),
            source,
        };
        let reader = match decompressed(reader).map_err(io_error)? {
            Stream::Text(reader) => reader,
            Stream::Parquet(mut reader) => {
                let mut bytes = Vec::new();
                reader.read_to_end(&mut bytes).map_err(io_error)?;
                return CostReader::from_parquet(file, bytes::Bytes::from(bytes), options);
            }
        };
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(reader);
        let header = csv
            .byte_headers()
            .map_err(|error| io_error(io::Error::from(error)))?
            .clone();
        let names: Vec<Arc<str>> = header
            .iter()
            .enumerate()
            .map(|(column_idx, raw)| {
                let name = String::from_utf8_lossy(raw);
                let name = if column_idx == 0 {
                    name.trim_start_matches('\u{feff}')
                } else {
                    &name
                };
                Arc::from(name.trim())
            })
            .collect();
        if names.iter().all(|name| name.is_empty()) {
            return Err(ReadError::Empty { file });
        }
        let (format, plan) = plan(&file, &names, options)?;
        Ok(CostReader {
            file,
            source: Source::Csv {
                csv,
                record: ByteRecord::new(),
            },
            names,
            format,
            plan,
            on_error: options.on_error,
            violations: Vec::new(),
            n_rows_read: 0,
            n_rows_rejected: 0,
            finished: false,
        })
    }

    /// Reads a Parquet file from any random-access source; `file` names it in errors.
    fn from_parquet<R: ::parquet::file::reader::ChunkReader + 'static>(
        file: Arc<str>,
        reader: R,
        options: ReadOptions,
    ) -> Result<CostReader, ReadError> {
        let parquet_error = |source| ReadError::Parquet {
            file: Arc::clone(&file),
            source,
        };
        let (builder, names) = parquet::open(reader).map_err(parquet_error)?;
        if names.is_empty() {
            return Err(ReadError::Empty { file });
        }
        let (format, plan) = plan(&file, &names, options)?;
        let expected = match &plan {
            Plan::Focus(plan) => plan.expected(names.len()),
            Plan::AwsCur(_) | Plan::AzureEa(_) => vec![Expected::Any; names.len()],
        };
        let source = ParquetSource::new(builder, expected).map_err(parquet_error)?;
        Ok(CostReader {
            file,
            source: Source::Parquet(Box::new(source)),
            names,
            format,
            plan,
            on_error: options.on_error,
            violations: Vec::new(),
            n_rows_read: 0,
            n_rows_rejected: 0,
            finished: false,
        })
    }

    /// Returns the format the file is read as.
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// Returns the header's column names.
    pub fn columns(&self) -> &[Arc<str>] {
        &self.names
    }

    /// Returns the columns of a FOCUS file that are neither FOCUS columns of its version nor `x_` columns (the spec asks custom columns to carry the `x_` prefix).
    /// They are not read. Empty for converted exports.
    pub fn unknown_columns(&self) -> &[Arc<str>] {
        match &self.plan {
            Plan::Focus(plan) => plan.unknown_columns(),
            Plan::AwsCur(_) | Plan::AzureEa(_) => &[],
        }
    }

    /// Returns the violations collected so far (only with [`OnError::Collect`]).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Takes the violations collected so far (only with [`OnError::Collect`]), so a long read can handle them batch by batch;
    /// `max_errors` then counts the violations not yet taken.
    pub fn take_violations(&mut self) -> Vec<Violation> {
        std::mem::take(&mut self.violations)
    }

    /// Returns the number of data rows read so far, good or bad.
    pub fn rows_read(&self) -> u64 {
        self.n_rows_read
    }

    /// Returns the number of rows skipped because a value every row needs was bad (only with [`OnError::Collect`]).
    pub fn rows_rejected(&self) -> u64 {
        self.n_rows_rejected
    }

    /// Returns the next batch of up to `max_rows` rows (at least one), or `None` at the end of the file.
    /// On an error the rows read into the unfinished batch are dropped.
    pub fn next_batch(&mut self, max_rows: usize) -> Result<Option<Vec<CostRow>>, ReadError> {
        let max_rows = max_rows.max(1);
        let mut batch = Vec::with_capacity(max_rows.min(8192));
        while batch.len() < max_rows {
            match self.next() {
                Some(Ok(row)) => batch.push(row),
                Some(Err(error)) => return Err(error),
                None => break,
            }
        }
        Ok((!batch.is_empty()).then_some(batch))
    }

    /// Reads the rest of the file and returns the summary, without keeping the rows.
    pub fn validate(mut self) -> Result<Validation, ReadError> {
        for row in &mut self {
            row?;
        }
        Ok(Validation {
            format: self.format,
            rows_read: self.n_rows_read,
            rows_rejected: self.n_rows_rejected,
            unknown_columns: self.unknown_columns().to_vec(),
            violations: self.violations,
        })
    }
}

impl Iterator for CostReader {
    type Item = Result<CostRow, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.finished {
                return None;
            }
            let advanced = match &mut self.source {
                Source::Csv { csv, record } => {
                    csv.read_byte_record(record).map_err(|error| ReadError::Io {
                        file: Arc::clone(&self.file),
                        source: io::Error::from(error),
                    })
                }
                Source::Parquet(parquet) => {
                    parquet.advance().map_err(|source| ReadError::Parquet {
                        file: Arc::clone(&self.file),
                        source,
                    })
                }
            };
            match advanced {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            }
            self.n_rows_read += 1;
            let trim = !matches!(self.plan, Plan::Focus(_));
            let (row, violations) = {
                let (mut ctx, n_fields) = match &self.source {
                    Source::Csv { record, .. } => {
                        let line = record.position().map_or(0, |position| position.line());
                        let fields = record.iter().map(|raw| match std::str::from_utf8(raw) {
                            Ok(text) => Field::Text(text),
                            Err(_) => Field::Bad(Problem::NotUtf8),
                        });
                        let ctx = RowCtx::new(
                            &self.file,
                            &self.names,
                            fields,
                            self.n_rows_read,
                            line,
                            trim,
                        );
                        (ctx, record.len())
                    }
                    Source::Parquet(parquet) => {
                        // Parquet has no lines: violations name the row and line 0.
                        let ctx = RowCtx::new(
                            &self.file,
                            &self.names,
                            parquet.fields(),
                            self.n_rows_read,
                            0,
                            trim,
                        );
                        (ctx, self.names.len())
                    }
                };
                let row = if n_fields == self.names.len() {
                    match &self.plan {
                        Plan::Focus(plan) => plan.convert(&mut ctx),
                        Plan::AwsCur(plan) => plan.convert(&mut ctx),
                        Plan::AzureEa(plan) => plan.convert(&mut ctx),
                    }
                } else {
                    ctx.report_row(Problem::FieldCount {
                        expected: self.names.len(),
                        found: n_fields,
                    });
                    None
                };
                (row, ctx.violations)
            };
            for violation in violations {
                match self.on_error {
                    OnError::Stop => {
                        self.finished = true;
                        return Some(Err(ReadError::Invalid(Box::new(violation))));
                    }
                    OnError::Collect { max_errors } => {
                        if self.violations.len() >= max_errors {
                            self.finished = true;
                            return Some(Err(ReadError::TooManyErrors {
                                file: Arc::clone(&self.file),
                                max_errors,
                            }));
                        }
                        self.violations.push(violation);
                    }
                }
            }
            match row {
                Some(row) => return Some(Ok(row)),
                None => self.n_rows_rejected += 1,
            }
        }
    }
}

/// The summary of reading a whole file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validation {
    /// The format the file was read as.
    pub format: InputFormat,
    /// The number of data rows.
    pub rows_read: u64,
    /// The number of rows skipped because a value every row needs was bad.
    pub rows_rejected: u64,
    /// The violations, in file order.
    pub violations: Vec<Violation>,
    /// The columns that were neither FOCUS nor `x_` columns.
    pub unknown_columns: Vec<Arc<str>>,
}

/// Opens and reads a whole cost file and returns its summary; see [`CostReader::validate`].
pub fn validate_file(
    path: impl AsRef<Path>,
    options: ReadOptions,
) -> Result<Validation, ReadError> {
    CostReader::open(path, options)?.validate()
}

/// Recognizes the format of a header (unless `options` fixes it) and plans the reading of its rows.
fn plan(
    file: &Arc<str>,
    names: &[Arc<str>],
    options: ReadOptions,
) -> Result<(InputFormat, Plan), ReadError> {
    let format = match options.format {
        Some(format) => format,
        None => InputFormat::detect(names).ok_or_else(|| ReadError::UnknownFormat {
            file: Arc::clone(file),
        })?,
    };
    let missing = |columns| ReadError::MissingColumns {
        file: Arc::clone(file),
        format,
        columns,
    };
    let plan = match format {
        InputFormat::Focus(version) => {
            Plan::Focus(Box::new(FocusPlan::new(version, names).map_err(missing)?))
        }
        InputFormat::AwsCur => Plan::AwsCur(Box::new(aws::CurPlan::new(names).map_err(missing)?)),
        InputFormat::AzureEa => {
            Plan::AzureEa(Box::new(azure::EaPlan::new(names).map_err(missing)?))
        }
    };
    Ok((format, plan))
}

/// Reads up to `prefix.len()` bytes (fewer only at the end of the stream) and returns how many were read.
fn read_prefix(reader: &mut impl Read, prefix: &mut [u8]) -> io::Result<usize> {
    let mut n_read = 0;
    while let Some(unread) = prefix.get_mut(n_read..).filter(|unread| !unread.is_empty()) {
        match reader.read(unread) {
            Ok(0) => break,
            Ok(n_bytes) => n_read += n_bytes,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(n_read)
}

/// A byte stream, recognized by its first bytes.
enum Stream {
    /// CSV text (decompressed if it was gzip).
    Text(Box<dyn Read + Send>),
    /// A Parquet file.
    Parquet(Box<dyn Read + Send>),
}

/// Wraps `reader` in a gzip decoder if it starts with the gzip magic bytes, and recognizes Parquet by its magic bytes.
fn decompressed(mut reader: impl Read + Send + 'static) -> io::Result<Stream> {
    let mut magic = [0u8; 4];
    let n_read = read_prefix(&mut reader, &mut magic)?;
    let prefix = io::Cursor::new(magic.get(..n_read).unwrap_or_default().to_vec());
    let whole = prefix.chain(reader);
    if n_read >= 2 && magic.starts_with(&[0x1f, 0x8b]) {
        Ok(Stream::Text(Box::new(MultiGzDecoder::new(whole))))
    } else if n_read == magic.len() && magic == PARQUET_MAGIC {
        Ok(Stream::Parquet(Box::new(whole)))
    } else {
        Ok(Stream::Text(Box::new(whole)))
    }
}

/// The values of one data row, for the plans that validate and convert it; it collects their violations.
pub(crate) struct RowCtx<'r> {
    file: &'r Arc<str>,
    names: &'r [Arc<str>],
    /// The fields as text (a null is the empty string); `None` for a field that cannot be read as text (reported when the row was read).
    fields: Vec<Option<&'r str>>,
    row: u64,
    line: u64,
    /// Whether values are trimmed of surrounding whitespace (provider exports) or taken as they are (FOCUS).
    trim: bool,
    pub(crate) violations: Vec<Violation>,
}

impl<'r> RowCtx<'r> {
    /// Takes the values of one row; a value that cannot be read as text is reported now and is null to the plans.
    fn new(
        file: &'r Arc<str>,
        names: &'r [Arc<str>],
        fields: impl Iterator<Item = Field<'r>>,
        row: u64,
        line: u64,
        trim: bool,
    ) -> Self {
        let mut ctx = RowCtx {
            file,
            names,
            fields: Vec::with_capacity(names.len()),
            row,
            line,
            trim,
            violations: Vec::new(),
        };
        for (column_idx, field) in fields.enumerate() {
            let text = match field {
                Field::Text(text) => Some(text),
                Field::Null => Some(""),
                Field::Bad(problem) => {
                    ctx.report(column_idx, None, problem);
                    None
                }
            };
            ctx.fields.push(text);
        }
        ctx
    }

    /// Returns the number of fields in the row.
    pub(crate) fn n_fields(&self) -> usize {
        self.fields.len()
    }

    /// Returns whether the field exists and is UTF-8.
    pub(crate) fn is_text(&self, column_idx: usize) -> bool {
        matches!(self.fields.get(column_idx), Some(Some(_)))
    }

    /// Returns the value of a column, or `None` when the column is absent, not UTF-8, or null (empty, `NULL` or `null`).
    pub(crate) fn text(&self, column_idx: Option<usize>) -> Option<&'r str> {
        let raw = (*self.fields.get(column_idx?)?)?;
        let value = if self.trim { raw.trim() } else { raw };
        (!matches!(value, "" | "NULL" | "null")).then_some(value)
    }

    /// Parses a column as a decimal, reporting a value that is not one; null stays `None`.
    pub(crate) fn decimal(&mut self, column_idx: Option<usize>) -> Option<Decimal> {
        let text = self.text(column_idx)?;
        match parse_decimal(text) {
            Ok(value) => Some(value),
            Err(_) => {
                self.report(column_idx?, Some(text), Problem::NotDecimal);
                None
            }
        }
    }

    /// Parses a column as a date-time, reporting a value that is not one; null stays `None`.
    pub(crate) fn datetime(&mut self, column_idx: Option<usize>) -> Option<DateTime<Utc>> {
        let text = self.text(column_idx)?;
        match parse_datetime(text) {
            Ok(value) => Some(value),
            Err(_) => {
                self.report(column_idx?, Some(text), Problem::NotDateTime);
                None
            }
        }
    }

    /// Reports a problem with a value of a column.
    pub(crate) fn report(&mut self, column_idx: usize, value: Option<&str>, problem: Problem) {
        let column = self.names.get(column_idx).cloned();
        self.violations.push(Violation::new(
            self.file, self.row, self.line, column, value, problem,
        ));
    }

    /// Reports a problem with a column the header does not have (a converter's source column), naming it as the rule does.
    pub(crate) fn report_absent(&mut self, column: &'static str, problem: Problem) {
        self.violations.push(Violation::new(
            self.file,
            self.row,
            self.line,
            Some(Arc::from(column)),
            None,
            problem,
        ));
    }

    /// Reports a problem with the row as a whole.
    pub(crate) fn report_row(&mut self, problem: Problem) {
        self.violations.push(Violation::new(
            self.file, self.row, self.line, None, None, problem,
        ));
    }
}
