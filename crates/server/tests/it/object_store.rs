//! Cost detail in an S3-compatible object store (a real S3 server, s3s-fs): the ingest uploads
//! each load's Parquet file before it records the load, a re-ingest removes the replaced one,
//! and a server on another machine (its own data directory, the same PostgreSQL database)
//! reads the detail it never wrote.

use std::path::{Path, PathBuf};

use crate::harness::{Backend, S3Server, Server};
use crate::on_both_backends;

/// Every file under `dir`, relative to it, with `/` separators.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/focus/focus_1.0_sample_1000rows.csv")
}

async fn detail_lives_in_the_object_store(backend: Backend) {
    let Some(s3) = S3Server::start() else {
        return;
    };
    let server = Server::start_with_env(backend, &[], &s3.env("leitstand")).await;
    let root = server.tenant.clone();
    let sample = sample();
    let ingest = |server: &Server| {
        let out = server.cli_raw(&[
            "cost",
            "ingest",
            "--tenant",
            &root,
            sample.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ingest(&server);
    let loads = server.cli(&["cost", "loads", "--tenant", &root]);
    let loads = loads.as_array().unwrap();
    assert!(!loads.is_empty());
    let mut named: Vec<String> = loads
        .iter()
        .map(|l| l["detailPath"].as_str().unwrap().to_owned())
        .collect();
    named.sort();
    // Each load's file is in the bucket under the prefix, by its folders and load id, and only
    // there and in the cache.
    let bucket = s3.root.path().join(S3Server::BUCKET).join("leitstand");
    let key = |relative: &str| -> String {
        let (dir, file) = relative.rsplit_once('/').unwrap();
        let load = file.rsplit('.').nth(1).unwrap();
        format!("{dir}/{load}.parquet")
    };
    let keys = |files: &[String]| -> Vec<String> {
        let mut keys: Vec<String> = files.iter().map(|f| key(f)).collect();
        keys.sort();
        keys
    };
    assert_eq!(files_under(&bucket), keys(&named));
    let local = server.data.join("costs");
    let staged: Vec<String> = files_under(&local)
        .into_iter()
        .filter(|f| f.starts_with("tenant="))
        .collect();
    assert!(staged.is_empty(), "nothing left staged: {staged:?}");
    assert_eq!(files_under(&local.join("cache")), named);

    // A re-ingest replaces the loads: new files, the old ones gone from the bucket.
    ingest(&server);
    let again = server.cli(&["cost", "loads", "--tenant", &root]);
    let mut renamed: Vec<String> = again
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["detailPath"].as_str().unwrap().to_owned())
        .collect();
    renamed.sort();
    assert_eq!(renamed.len(), named.len());
    assert!(renamed.iter().all(|f| !named.contains(f)));
    assert_eq!(files_under(&bucket), keys(&renamed));
    assert_eq!(files_under(&local.join("cache")), renamed);

    if backend == Backend::Postgres {
        // Another machine: same database, its own disk. It finds the detail in the bucket.
        let other = server.start_elsewhere().await;
        let out = other.cli_raw(&["cost", "loads", "--tenant", &root]);
        assert!(out.status.success());
        let load = &again[0];
        let first = load["detailPath"].as_str().unwrap();
        let details = detail_of(
            &other,
            load["billingAccountId"].as_str().unwrap(),
            load["billingPeriod"].as_str().unwrap(),
        );
        assert!(details.starts_with(&other.data), "{}", details.display());
        assert!(details.exists(), "{}", details.display());
        assert_eq!(
            std::fs::read(&details).unwrap(),
            std::fs::read(bucket.join(key(first))).unwrap()
        );
    }
}

/// Has `server`'s CLI find the detail file of a load (downloading it into its cache) with
/// `cost detail`, and returns the local path it printed.
fn detail_of(server: &Server, account: &str, period: &str) -> PathBuf {
    let out = server.cli(&[
        "cost",
        "detail",
        "--tenant",
        &server.tenant,
        "--account",
        account,
        "--period",
        period,
    ]);
    PathBuf::from(out["localPath"].as_str().unwrap())
}

on_both_backends!(detail_lives_in_the_object_store);
