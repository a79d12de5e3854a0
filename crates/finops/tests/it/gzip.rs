//! Gzip input: recognized by its magic bytes, read as a stream, and a corrupt stream is an I/O error, not a panic.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use leitstand_finops::{CostReader, InputFormat, ReadError, ReadOptions};

use crate::common::{collect, fixture, read_all, shared};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn a_gzip_file_reads_the_same_rows_as_the_plain_file() {
    let plain = std::fs::read(shared("focus_1.0_sample_1000rows.csv")).unwrap();
    let path = fixture("focus_1.0_sample.csv.gz", &gzip(&plain));
    let (from_gzip, gzip_violations) = read_all(&path);
    let (from_plain, plain_violations) = read_all(&shared("focus_1.0_sample_1000rows.csv"));
    assert_eq!(from_gzip.len(), 1000);
    assert_eq!(from_gzip, from_plain);
    assert_eq!(gzip_violations.len(), plain_violations.len());
}

#[test]
fn gzip_is_recognized_by_content_not_by_name() {
    let plain = std::fs::read(shared("aws_cur_sample_anonymous.csv")).unwrap();
    let path = fixture("cur_without_gz_extension.csv", &gzip(&plain));
    let mut reader = CostReader::open(&path, ReadOptions::default()).unwrap();
    assert_eq!(reader.format(), InputFormat::AwsCur);
    assert_eq!((&mut reader).map(Result::unwrap).count(), 1281);

    // The same through `from_reader`, from memory.
    let reader = CostReader::from_reader(
        "memory.csv.gz",
        std::io::Cursor::new(gzip(&plain)),
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(reader.map(Result::unwrap).count(), 1281);
}

#[test]
fn a_truncated_gzip_stream_is_an_io_error() {
    let plain = std::fs::read(shared("focus_1.0_sample_1000rows.csv")).unwrap();
    let compressed = gzip(&plain);
    let truncated = &compressed[..compressed.len() / 2];
    let path = fixture("truncated.csv.gz", truncated);
    let mut reader = CostReader::open(&path, collect(100)).unwrap();
    let error = reader.by_ref().find_map(Result::err).unwrap();
    assert!(matches!(error, ReadError::Io { .. }), "got {error:?}");
    assert!(reader.rows_read() > 0, "the rows before the cut were read");

    let path = fixture("garbage.csv.gz", &[0x1f, 0x8b, 0, 1, 2, 3]);
    assert!(matches!(
        CostReader::open(&path, ReadOptions::default()),
        Err(ReadError::Io { .. })
    ));
}
