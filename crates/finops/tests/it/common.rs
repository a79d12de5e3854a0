//! Paths of the shared samples, fixture files, and a helper that reads a whole file.

use std::path::PathBuf;

use leitstand_finops::{CostReader, CostRow, OnError, ReadOptions, Violation};

/// Returns the path of a file in the shared FOCUS sample folder (`/work/shared/data/focus` beside the repository).
pub fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/focus")
        .join(name)
}

/// Writes `bytes` to a fixture file in Cargo's temporary directory for integration tests and returns its path.
pub fn fixture(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("finops");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Options that collect up to `max_errors` violations.
pub fn collect(max_errors: usize) -> ReadOptions {
    ReadOptions {
        format: None,
        on_error: OnError::Collect { max_errors },
    }
}

/// Reads a whole file, collecting up to 10,000 violations, and returns the rows and the violations.
pub fn read_all(path: &std::path::Path) -> (Vec<CostRow>, Vec<Violation>) {
    let mut reader = CostReader::open(path, collect(10_000)).unwrap();
    let rows: Vec<CostRow> = (&mut reader).map(Result::unwrap).collect();
    (rows, reader.violations().to_vec())
}
