//! FOCUS cost data: the FinOps Open Cost and Usage Specification's columns, a streaming reader and validator for FOCUS CSV and Parquet files,
//! and converters that turn AWS and Azure cost exports into FOCUS rows.
//!
//! - [`spec`]: the FOCUS columns of versions 0.5, 1.0, 1.1, 1.2 and 1.3 as Rust tables ([`FocusVersion::columns`]): name, data type, feature level, nullability, allowed values.
//! - [`CostReader`]: reads a plain or gzip CSV file row by row, or a Parquet file record batch by record batch (recognized by its `PAR1` magic bytes),
//!   recognizes FOCUS (and its version), an AWS Cost and Usage Report or an Azure EA usage export from the header,
//!   validates every FOCUS value and converts every row into a [`CostRow`]; bad values become [`Violation`]s that name the file, row, line and column.
//! - [`convert`]: the FOCUS converters' mapping rules for the AWS CUR and the Azure EA export, and where we could not or did not follow them.
//! - [`CostRow`] and [`sub_account_key`]: the normalized row, typed for the analyses, and the Azure subscription or AWS account a row belongs to.
//! - [`store`]: the normalized rows as Parquet with one fixed Arrow schema, read back into rows, and atomic replacement of partition files.
//! - [`synth`]: a deterministic generator of synthetic FOCUS 1.2 rows, and FOCUS 1.2 CSV and Parquet writers, for tests and benchmarks.
//! - [`parse`]: the decimal, date-time and key-value parsers.
//!
//! The crate keeps no state between files and does no network I/O.
//! It reads and writes files only where the caller asks ([`CostReader::open`], [`store::AtomicWriter`], [`synth::write_parquet`]); its tables are compiled in.
//! Money is [`rust_decimal::Decimal`], exact to 28 decimal places, and `Decimal128(38, 18)` in Parquet; nothing is ever an `f64`.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod convert;
mod error;
mod focus;
pub mod parse;
mod reader;
mod row;
pub mod spec;
pub mod store;
pub mod synth;

#[cfg(test)]
mod tests;

pub use crate::error::{Problem, ReadError, Violation};
pub use crate::reader::{validate_file, CostReader, InputFormat, OnError, ReadOptions, Validation};
pub use crate::row::{
    sub_account_key, ChargeCategory, ChargeClass, ChargeFrequency, CommitmentDiscountCategory,
    CommitmentDiscountStatus, CostRow, PricingCategory, ServiceCategory, SubAccountKey,
};
pub use crate::spec::{ColumnSpec, DataType, FeatureLevel, FocusVersion, ValueFormat};
