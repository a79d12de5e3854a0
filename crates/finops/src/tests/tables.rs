//! The column tables against the shared FOCUS files: the 1.2 column list, the 1.3 synthetic header, the 1.0 sample header and Microsoft's FocusCost metadata.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::spec::{DataType, FeatureLevel, FocusVersion};

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/focus")
        .join(name)
}

fn names(version: FocusVersion) -> BTreeSet<&'static str> {
    version.columns().iter().map(|column| column.name).collect()
}

#[test]
fn each_version_has_its_column_count_and_unique_names() {
    let counts: Vec<usize> = FocusVersion::ALL
        .iter()
        .map(|version| version.columns().len())
        .collect();
    assert_eq!(counts, [21, 43, 50, 57, 65]);
    for version in FocusVersion::ALL {
        assert_eq!(names(version).len(), version.columns().len(), "{version}");
    }
}

#[test]
fn later_versions_only_add_columns() {
    for pair in [
        FocusVersion::V1_0,
        FocusVersion::V1_1,
        FocusVersion::V1_2,
        FocusVersion::V1_3,
    ]
    .windows(2)
    {
        let (older, newer) = (pair[0], pair[1]);
        for column in older.columns() {
            assert_eq!(
                newer.column(column.name),
                Some(column),
                "{} changed from {older} to {newer}",
                column.name
            );
        }
        for column in newer
            .columns()
            .iter()
            .filter(|column| older.column(column.name).is_none())
        {
            assert_eq!(column.introduced, newer, "{}", column.name);
        }
    }
}

#[test]
fn the_1_2_table_is_the_shared_1_2_column_list() {
    // Lines are `name|feature level|type|nullable`.
    let text = std::fs::read_to_string(shared("focus_1.2_columns_featurelevel_type_nullable.txt"))
        .unwrap();
    let mut n_lines = 0;
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        // The shared file has a stray carriage return inside one line, so every field is trimmed.
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let column = FocusVersion::V1_2
            .column(fields[0])
            .unwrap_or_else(|| panic!("{} is missing", fields[0]));
        let level = match fields[1] {
            "Mandatory" => FeatureLevel::Mandatory,
            "Recommended" => FeatureLevel::Recommended,
            "Conditional" => FeatureLevel::Conditional,
            other => panic!("unknown level {other}"),
        };
        let data_type = match fields[2] {
            "String" => DataType::String,
            "Decimal" => DataType::Decimal,
            "Date/Time" => DataType::DateTime,
            "JSON" => DataType::Json,
            other => panic!("unknown type {other}"),
        };
        assert_eq!(
            (column.feature_level, column.data_type, column.nullable),
            (level, data_type, fields[3] == "True"),
            "{}",
            fields[0]
        );
        n_lines += 1;
    }
    assert_eq!(n_lines, FocusVersion::V1_2.columns().len());
}

#[test]
fn the_1_3_table_is_the_synthetic_1_3_header() {
    let text = std::fs::read_to_string(shared(
        "focus_1.3_costandusage_header_from_synthetic_sample.txt",
    ))
    .unwrap();
    let header = text.lines().find(|line| !line.starts_with('#')).unwrap();
    let columns: Vec<&str> = header.split(',').collect();
    assert_eq!(columns.len(), 65);
    assert_eq!(
        columns.iter().copied().collect::<BTreeSet<_>>(),
        names(FocusVersion::V1_3)
    );
    assert_eq!(FocusVersion::detect(&columns), Some(FocusVersion::V1_3));
}

#[test]
fn the_1_0_table_is_the_1_0_sample_header() {
    let text = std::fs::read_to_string(shared("focus_1.0_sample_1000rows.csv")).unwrap();
    let header: BTreeSet<&str> = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(|name| name.trim_matches('"'))
        .filter(|name| *name != "Id")
        .collect();
    assert_eq!(header, names(FocusVersion::V1_0));
}

#[test]
fn microsofts_focus_cost_1_2_preview_uses_our_1_2_columns_and_types() {
    let text =
        std::fs::read_to_string(shared("azure_FocusCost_1.2-preview_metadata.json")).unwrap();
    let metadata: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut n_focus = 0;
    let mut mismatches = Vec::new();
    for column in metadata["Columns"].as_array().unwrap() {
        let name = column["ColumnName"].as_str().unwrap();
        if name.starts_with("x_") {
            continue;
        }
        let spec = FocusVersion::V1_2
            .column(name)
            .unwrap_or_else(|| panic!("{name} is not a 1.2 column"));
        let data_type = match column["DataType"].as_str().unwrap() {
            "String" => DataType::String,
            "Decimal" => DataType::Decimal,
            "DateTime" => DataType::DateTime,
            "JSON" => DataType::Json,
            other => panic!("unknown type {other}"),
        };
        if spec.data_type != data_type {
            mismatches.push(name);
        }
        n_focus += 1;
    }
    // Microsoft types ConsumedUnit as Decimal (the specification and its own export schema say String)
    // and SkuPriceDetails as String (a JSON object serialized as text).
    assert_eq!(mismatches, ["ConsumedUnit", "SkuPriceDetails"]);
    assert_eq!(
        n_focus, 53,
        "Microsoft leaves out four columns it does not support"
    );
}

#[test]
fn detection_finds_each_version_from_its_own_columns() {
    for version in FocusVersion::ALL {
        let header: Vec<&str> = version.columns().iter().map(|column| column.name).collect();
        assert_eq!(FocusVersion::detect(&header), Some(version), "{version}");
        assert_eq!(version.as_str().parse::<FocusVersion>(), Ok(version));
    }
    assert_eq!(
        FocusVersion::detect(&["BilledCost", "ChargeCategory"]),
        Some(FocusVersion::V1_0)
    );
    assert_eq!(
        FocusVersion::detect(&["BilledCost", "ChargeCategory", "SkuMeter"]),
        Some(FocusVersion::V1_1)
    );
    assert_eq!(FocusVersion::detect(&["ChargeCategory"]), None);
    assert!("2.0".parse::<FocusVersion>().is_err());
}
