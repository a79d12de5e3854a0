//! The reader, validator and converters on the shared sample files and on crafted files.
//!
//! One test binary (STYLE.md section 5): each module covers one concern.
//! The shared samples live beside the repository, in `../shared/data/focus`; the expected totals were computed from the raw files with Python, as each test says.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test panics on failure"
)]

mod common;
mod convert_aws;
mod convert_azure;
mod focus_samples;
mod generator;
mod gzip;
mod parquet_input;
mod properties;
mod store;
mod sub_account;
mod validation;
