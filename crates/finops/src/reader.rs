//! The streaming reader: opens a cost file (plain or gzip CSV), recognizes its format from the header, and yields one [`CostRow`] per data row.
//!
//! The reader holds one CSV record at a time, never the file.
//! It recognizes three formats ([`InputFormat`]): FOCUS (0.5 to 1.3, validated column by column),
//! the AWS Cost and Usage Report, and the Azure EA usage export (both converted by [`crate::convert`]).
//! What a bad value does is the caller's choice ([`OnError`]): stop at the first, or collect up to a limit and keep reading.
//!
//! The reader does not aggregate, deduplicate or store rows, and it does not check rules that relate rows to each other.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
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

/// A streaming reader of one cost file; an iterator of rows.
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
    csv: csv::Reader<Box<dyn Read + Send>>,
    names: Vec<Arc<str>>,
    record: ByteRecord,
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
    /// Opens a cost file; gzip is recognized by its magic bytes, not by the file name.
    pub fn open(path: impl AsRef<Path>, options: ReadOptions) -> Result<CostReader, ReadError> {
        let path = path.as_ref();
        let file: Arc<str> = Arc::from(path.display().to_string());
        let handle = File::open(path).map_err(|source| ReadError::Io {
            file: Arc::clone(&file),
            source,
        })?;
        CostReader::from_reader(file, handle, options)
    }

    /// Reads a cost file from any byte source (plain or gzip CSV); `file` names it in errors.
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
        let reader = decompressed(reader).map_err(io_error)?;
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
        let format = match options.format {
            Some(format) => format,
            None => InputFormat::detect(&names).ok_or_else(|| ReadError::UnknownFormat {
                file: Arc::clone(&file),
            })?,
        };
        let missing = |columns| ReadError::MissingColumns {
            file: Arc::clone(&file),
            format,
            columns,
        };
        let plan = match format {
            InputFormat::Focus(version) => {
                Plan::Focus(Box::new(FocusPlan::new(version, &names).map_err(missing)?))
            }
            InputFormat::AwsCur => {
                Plan::AwsCur(Box::new(aws::CurPlan::new(&names).map_err(missing)?))
            }
            InputFormat::AzureEa => {
                Plan::AzureEa(Box::new(azure::EaPlan::new(&names).map_err(missing)?))
            }
        };
        Ok(CostReader {
            file,
            csv,
            names,
            record: ByteRecord::new(),
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
            match self.csv.read_byte_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Err(error) => {
                    self.finished = true;
                    return Some(Err(ReadError::Io {
                        file: Arc::clone(&self.file),
                        source: io::Error::from(error),
                    }));
                }
            }
            self.n_rows_read += 1;
            let line = self.record.position().map_or(0, |position| position.line());
            let (row, violations) = {
                let mut ctx = RowCtx::new(
                    &self.file,
                    &self.names,
                    &self.record,
                    self.n_rows_read,
                    line,
                    !matches!(self.plan, Plan::Focus(_)),
                );
                let row = if self.record.len() == self.names.len() {
                    match &self.plan {
                        Plan::Focus(plan) => plan.convert(&mut ctx),
                        Plan::AwsCur(plan) => plan.convert(&mut ctx),
                        Plan::AzureEa(plan) => plan.convert(&mut ctx),
                    }
                } else {
                    ctx.report_row(Problem::FieldCount {
                        expected: self.names.len(),
                        found: self.record.len(),
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

/// Wraps `reader` in a gzip decoder if it starts with the gzip magic bytes.
fn decompressed(mut reader: impl Read + Send + 'static) -> io::Result<Box<dyn Read + Send>> {
    let mut magic = [0u8; 2];
    let mut n_read = 0;
    while let Some(unread) = magic.get_mut(n_read..).filter(|unread| !unread.is_empty()) {
        match reader.read(unread) {
            Ok(0) => break,
            Ok(n_bytes) => n_read += n_bytes,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    let prefix = io::Cursor::new(magic.get(..n_read).unwrap_or_default().to_vec());
    let whole = prefix.chain(reader);
    if n_read == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(MultiGzDecoder::new(whole)))
    } else {
        Ok(Box::new(whole))
    }
}

/// The values of one data row, for the plans that validate and convert it; it collects their violations.
pub(crate) struct RowCtx<'r> {
    file: &'r Arc<str>,
    names: &'r [Arc<str>],
    /// The fields as text; `None` for a field that is not UTF-8 (reported when the row was read).
    fields: Vec<Option<&'r str>>,
    row: u64,
    line: u64,
    /// Whether values are trimmed of surrounding whitespace (provider exports) or taken as they are (FOCUS).
    trim: bool,
    pub(crate) violations: Vec<Violation>,
}

impl<'r> RowCtx<'r> {
    fn new(
        file: &'r Arc<str>,
        names: &'r [Arc<str>],
        record: &'r ByteRecord,
        row: u64,
        line: u64,
        trim: bool,
    ) -> Self {
        let mut ctx = RowCtx {
            file,
            names,
            fields: Vec::with_capacity(record.len()),
            row,
            line,
            trim,
            violations: Vec::new(),
        };
        for (column_idx, raw) in record.iter().enumerate() {
            let text = std::str::from_utf8(raw).ok();
            if text.is_none() {
                ctx.report(column_idx, None, Problem::NotUtf8);
            }
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
