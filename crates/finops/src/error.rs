//! The errors of reading a cost file: [`ReadError`] ends a read, [`Violation`] is one bad value (or row) and names the file, the row, the line and the column.
//!
//! Nothing here decides what happens after a violation; the reader's [`OnError`](crate::OnError) does.

use std::fmt;
use std::sync::Arc;

use crate::reader::InputFormat;
use crate::spec::DataType;

/// The longest offending value a violation keeps, in characters; longer values are cut and end in `…`.
const MAX_VALUE_CHARS: usize = 200;

/// One value (or row) of a cost file that breaks a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The file, as the caller named it.
    pub file: Arc<str>,
    /// The data row, 1-based (the header is not counted).
    pub row: u64,
    /// The line where the row starts, 1-based (the header is line 1; quoted fields may span lines); 0 in a Parquet file, which has no lines.
    pub line: u64,
    /// The column, as the file names it; `None` when the problem is the row as a whole.
    pub column: Option<Arc<str>>,
    /// The offending value, cut to 200 characters; `None` for a null or a value that is not text.
    pub value: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

impl Violation {
    pub(crate) fn new(
        file: &Arc<str>,
        row: u64,
        line: u64,
        column: Option<Arc<str>>,
        value: Option<&str>,
        problem: Problem,
    ) -> Self {
        let value = value.map(|value| match value.char_indices().nth(MAX_VALUE_CHARS) {
            Some((cut_idx, _)) => format!("{}…", value.get(..cut_idx).unwrap_or(value)),
            None => value.to_owned(),
        });
        Violation {
            file: Arc::clone(file),
            row,
            line,
            column,
            value,
            problem,
        }
    }
}

/// What is wrong with a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The value is null but the column does not allow nulls.
    Null,
    /// The value is not a decimal number.
    NotDecimal,
    /// The value is not a date-time (or, in an Azure export, not a date).
    NotDateTime,
    /// The value is not one of the column's allowed values.
    NotAllowed {
        /// The allowed values.
        allowed: &'static [&'static str],
    },
    /// The value differs from one of the column's allowed values only in letter case; it is read as that value.
    CaseMismatch {
        /// The allowed value it was read as.
        canonical: &'static str,
    },
    /// The value is not an ISO 4217 currency code.
    NotCurrencyCode,
    /// The value is not a JSON object.
    NotJsonObject {
        /// The JSON parser's explanation.
        reason: String,
    },
    /// A key of a flat key-value column holds an array or an object.
    NestedValue {
        /// The key.
        key: String,
    },
    /// The value is not valid UTF-8.
    NotUtf8,
    /// The row has a different number of fields than the header.
    FieldCount {
        /// The number of header columns.
        expected: usize,
        /// The number of fields in the row.
        found: usize,
    },
    /// The Parquet column's type cannot hold values of the column (an integer in a String column, a date in a Date/Time column, a list anywhere).
    UnsupportedType {
        /// The column's FOCUS data type; `None` for a column that holds any scalar value (a provider column, or a column of a converted export).
        expected: Option<DataType>,
        /// The Arrow type of the Parquet column.
        found: String,
    },
    /// A converter has no mapping for this value to the FOCUS column `target`.
    Unmapped {
        /// The FOCUS column the mapping should produce.
        target: &'static str,
    },
    /// The value is null, but a converter needs it to compute the FOCUS column `target`.
    NullInRule {
        /// The FOCUS column being computed.
        target: &'static str,
    },
    /// Computing the FOCUS column `target` from this value overflows a decimal.
    Overflow {
        /// The FOCUS column being computed.
        target: &'static str,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` row {}", self.file, self.row)?;
        if self.line > 0 {
            write!(f, " (line {})", self.line)?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column `{column}`")?;
        }
        f.write_str(": ")?;
        let value = self.value.as_deref().unwrap_or("");
        match &self.problem {
            Problem::Null => f.write_str("null is not allowed"),
            Problem::NotDecimal => write!(f, "`{value}` is not a decimal number"),
            Problem::NotDateTime => write!(f, "`{value}` is not a date-time"),
            Problem::CaseMismatch { canonical } => {
                write!(f, "`{value}` differs from the allowed value `{canonical}` only in case (read as `{canonical}`)")
            }
            Problem::NotAllowed { allowed } => {
                write!(f, "`{value}` is not one of ")?;
                write_backticked(f, allowed)
            }
            Problem::NotCurrencyCode => write!(f, "`{value}` is not an ISO 4217 currency code"),
            Problem::NotJsonObject { reason } => {
                write!(f, "`{value}` is not a JSON object ({reason})")
            }
            Problem::NestedValue { key } => write!(
                f,
                "key `{key}` holds an array or object, but key-value columns hold only flat values"
            ),
            Problem::NotUtf8 => f.write_str("the value is not valid UTF-8"),
            Problem::UnsupportedType { expected, found } => {
                let expected = match expected {
                    Some(DataType::String) => "String",
                    Some(DataType::Decimal) => "Decimal",
                    Some(DataType::DateTime) => "Date/Time",
                    Some(DataType::Json) => "JSON",
                    None => "scalar",
                };
                write!(
                    f,
                    "the Parquet column has type `{found}`, which cannot hold {expected} values"
                )
            }
            Problem::FieldCount { expected, found } => {
                write!(f, "the row has {found} fields, the header has {expected}")
            }
            Problem::Unmapped { target } => {
                write!(f, "`{value}` has no mapping to a `{target}` value")
            }
            Problem::NullInRule { target } => {
                write!(f, "null, but the `{target}` rule needs a value")
            }
            Problem::Overflow { target } => {
                write!(f, "computing `{target}` from `{value}` overflows a decimal")
            }
        }
    }
}

fn write_backticked(f: &mut fmt::Formatter<'_>, names: &[&str]) -> fmt::Result {
    for (name_idx, name) in names.iter().enumerate() {
        if name_idx > 0 {
            f.write_str(", ")?;
        }
        write!(f, "`{name}`")?;
    }
    Ok(())
}

/// Joins names as `` `a`, `b` `` for error messages.
fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An error that ends the reading of a cost file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read (this includes a corrupt gzip stream).
    #[error("cannot read cost file `{file}`")]
    Io {
        /// The file.
        file: Arc<str>,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has no header row.
    #[error("cost file `{file}` has no header row")]
    Empty {
        /// The file.
        file: Arc<str>,
    },
    /// The file starts like Parquet but cannot be decoded (a corrupt or truncated file, or a codec this build does not include).
    #[error("cannot decode Parquet cost file `{file}`")]
    Parquet {
        /// The file.
        file: Arc<str>,
        /// The Parquet decoder's error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// The header is neither FOCUS nor an export we can convert.
    #[error("cost file `{file}` is neither FOCUS nor an AWS cost and usage report nor an Azure EA usage export")]
    UnknownFormat {
        /// The file.
        file: Arc<str>,
    },
    /// The header lacks columns the format requires.
    #[error(
        "cost file `{file}` lacks columns that {format} requires: {}",
        backticked(columns)
    )]
    MissingColumns {
        /// The file.
        file: Arc<str>,
        /// The format the file was read as.
        format: InputFormat,
        /// The missing columns.
        columns: Vec<&'static str>,
    },
    /// A value breaks a rule and the reader stops at the first violation.
    #[error("{0}")]
    Invalid(Box<Violation>),
    /// More violations than the reader was allowed to collect.
    #[error("cost file `{file}` has more than {max_errors} invalid values")]
    TooManyErrors {
        /// The file.
        file: Arc<str>,
        /// The limit.
        max_errors: usize,
    },
}
