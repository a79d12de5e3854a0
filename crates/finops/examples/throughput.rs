//! Measures the reader's throughput on generated FOCUS 1.2 files: writes N rows (default 1,000,000) as CSV and as Parquet, then reads and validates each.
//!
//! Run with `cargo run --release -p leitstand-finops --example throughput -- [rows] [dir]`.
//! It prints rows per second; it asserts nothing, and absolute numbers on a shared machine mean little (compare the ratios).

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use leitstand_finops::store::ParquetRowReader;
use leitstand_finops::synth::{self, Accounts, GenConfig, Generator, Granularity};
use leitstand_finops::{CostReader, OnError, ReadOptions};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let n_rows: u64 = args
        .next()
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir)?;
    let config = GenConfig {
        seed: 1,
        start: NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("bad date")?,
        end: NaiveDate::from_ymd_opt(2025, 12, 31).ok_or("bad date")?,
        granularity: Granularity::Hourly,
        accounts: Accounts::Generate {
            n_billing_accounts: 20,
            sub_accounts_per_billing_account: 5,
        },
        resources_per_sub_account: 10,
        max_rows: Some(n_rows),
    };

    let started = Instant::now();
    let n_generated = Generator::new(config.clone()).count();
    report("generate", n_generated, started);

    let csv_path = dir.join("throughput.csv");
    let started = Instant::now();
    let written = synth::write_csv(
        Generator::new(config.clone()),
        std::io::BufWriter::new(std::fs::File::create(&csv_path)?),
    )?;
    report("write csv", written.n_rows, started);

    let parquet_path = dir.join("throughput.parquet");
    let started = Instant::now();
    let written = synth::write_parquet(Generator::new(config), &parquet_path)?;
    report("write parquet", written.n_rows, started);

    for (label, path) in [("read csv", &csv_path), ("read parquet", &parquet_path)] {
        let options = ReadOptions {
            format: None,
            on_error: OnError::Collect { max_errors: 0 },
        };
        let started = Instant::now();
        let validation = CostReader::open(path, options)?.validate()?;
        report(label, validation.rows_read, started);
        println!(
            "    {} bytes, {} violations",
            std::fs::metadata(path)?.len(),
            validation.violations.len()
        );
    }

    let started = Instant::now();
    let mut n_read = 0u64;
    for row in ParquetRowReader::open(&parquet_path)? {
        row?;
        n_read += 1;
    }
    report("read store rows", n_read, started);
    Ok(())
}

fn report(label: &str, n_rows: impl TryInto<u64>, started: Instant) {
    let n_rows: u64 = n_rows.try_into().unwrap_or(0);
    let seconds = started.elapsed().as_secs_f64();
    let per_second = if seconds > 0.0 {
        n_rows as f64 / seconds
    } else {
        0.0
    };
    println!("{label:>16}: {n_rows} rows in {seconds:.2} s = {per_second:.0} rows/s");
}
