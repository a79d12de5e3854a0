//! Crafted FOCUS files: each breaks one rule, and the error names the file, the row, the line, the column and the value.

use std::sync::Arc;

use leitstand_finops::{
    validate_file, ChargeCategory, CostReader, FocusVersion, InputFormat, OnError, Problem,
    ReadError, ReadOptions, Violation,
};

use crate::common::{collect, fixture};

/// The FOCUS 1.0 Mandatory columns, plus a Recommended, a Conditional and a provider column.
const HEADER: &[&str] = &[
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    "Tags",
    "x_Team",
];

/// A valid row for `HEADER`.
fn good_row() -> Vec<String> {
    [
        "12.50",
        "acct-1",
        "Contoso",
        "EUR",
        "2024-10-01T00:00:00Z",
        "2024-09-01T00:00:00Z",
        "Usage",
        "",
        "Compute hours",
        "Usage-Based",
        "2024-09-02T00:00:00Z",
        "2024-09-01T00:00:00Z",
        "12.50",
        "10.00",
        "Microsoft",
        "15.00",
        "3",
        "Hours",
        "Microsoft",
        "Microsoft",
        "Compute",
        "Virtual Machines",
        r#"{"env": "prod", "owner": "ops"}"#,
        "blue",
    ]
    .iter()
    .map(|value| (*value).to_owned())
    .collect()
}

/// Writes a CSV file with `HEADER` and the given rows.
fn focus_file(name: &str, rows: &[Vec<String>]) -> std::path::PathBuf {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    fixture(name, &writer.into_inner().unwrap())
}

/// Returns the good row with one column set to `value`.
fn row_with(column: &str, value: &str) -> Vec<String> {
    let mut row = good_row();
    let column_idx = HEADER.iter().position(|name| *name == column).unwrap();
    row[column_idx] = value.to_owned();
    row
}

/// Reads a file that has one bad value in its second row and returns the violation the reader stops at.
fn first_violation(name: &str, column: &str, value: &str) -> (std::path::PathBuf, Violation) {
    let path = focus_file(name, &[good_row(), row_with(column, value)]);
    let mut reader = CostReader::open(&path, ReadOptions::default()).unwrap();
    assert!(reader.next().unwrap().is_ok(), "row 1 is good");
    match reader.next().unwrap() {
        Err(ReadError::Invalid(violation)) => (path, *violation),
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[test]
fn a_good_file_passes_and_keeps_tags_and_provider_columns() {
    let path = focus_file("good.csv", &[good_row(), good_row()]);
    let validation = validate_file(&path, ReadOptions::default()).unwrap();
    assert_eq!(validation.format, InputFormat::Focus(FocusVersion::V1_0));
    assert_eq!((validation.rows_read, validation.violations.len()), (2, 0));
    let row = CostReader::open(&path, ReadOptions::default())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        row.tags,
        [
            ("env".to_owned(), "prod".to_owned()),
            ("owner".to_owned(), "ops".to_owned())
        ]
    );
    assert_eq!(row.x_columns, [(Arc::from("x_Team"), "blue".to_owned())]);
    assert_eq!(row.x_column("x_Team"), Some("blue"));
}

#[test]
fn a_bad_decimal_names_file_row_line_column_and_value() {
    let (path, violation) = first_violation("bad_decimal.csv", "BilledCost", "12,50");
    assert_eq!(violation.file.as_ref(), path.display().to_string());
    assert_eq!((violation.row, violation.line), (2, 3));
    assert_eq!(violation.column.as_deref(), Some("BilledCost"));
    assert_eq!(violation.value.as_deref(), Some("12,50"));
    assert_eq!(violation.problem, Problem::NotDecimal);
    assert_eq!(
        violation.to_string(),
        format!(
            "`{}` row 2 (line 3), column `BilledCost`: `12,50` is not a decimal number",
            path.display()
        )
    );
}

#[test]
fn a_bad_date_is_named() {
    let (_, violation) =
        first_violation("bad_date.csv", "ChargePeriodStart", "2024-13-01T00:00:00Z");
    assert_eq!(
        (
            violation.row,
            violation.column.as_deref(),
            violation.problem
        ),
        (2, Some("ChargePeriodStart"), Problem::NotDateTime)
    );
    let (_, violation) = first_violation("bad_date_format.csv", "BillingPeriodEnd", "10/01/2024");
    assert_eq!(
        (violation.column.as_deref(), violation.value.as_deref()),
        (Some("BillingPeriodEnd"), Some("10/01/2024"))
    );
}

#[test]
fn a_value_outside_the_allowed_values_is_named() {
    let (_, violation) = first_violation("bad_category.csv", "ChargeCategory", "Usages");
    assert_eq!(
        violation.problem,
        Problem::NotAllowed {
            allowed: ChargeCategory::VALUES
        }
    );
    assert!(violation.to_string().ends_with("column `ChargeCategory`: `Usages` is not one of `Usage`, `Purchase`, `Tax`, `Credit`, `Adjustment`"));
    // A value that differs only in case is reported, and read as the allowed value.
    let (_, violation) = first_violation("case_category.csv", "ChargeCategory", "usage");
    assert_eq!(
        violation.problem,
        Problem::CaseMismatch { canonical: "Usage" }
    );
    let (_, violation) = first_violation("bad_class.csv", "ChargeClass", "Refund");
    assert_eq!(violation.column.as_deref(), Some("ChargeClass"));
    let (_, violation) =
        first_violation("bad_service_category.csv", "ServiceCategory", "Container");
    assert_eq!(violation.column.as_deref(), Some("ServiceCategory"));
}

#[test]
fn a_null_in_a_non_nullable_column_is_named() {
    let (_, violation) = first_violation("null_service.csv", "ServiceName", "");
    assert_eq!(
        (
            violation.column.as_deref(),
            violation.value,
            violation.problem
        ),
        (Some("ServiceName"), None, Problem::Null)
    );
    let (_, violation) = first_violation("null_literal.csv", "ContractedCost", "NULL");
    assert_eq!(
        (violation.column.as_deref(), violation.problem),
        (Some("ContractedCost"), Problem::Null)
    );
}

#[test]
fn a_bad_currency_code_is_named() {
    let (_, violation) = first_violation("bad_currency.csv", "BillingCurrency", "eur");
    assert_eq!(
        (violation.column.as_deref(), violation.problem),
        (Some("BillingCurrency"), Problem::NotCurrencyCode)
    );
}

#[test]
fn bad_tags_are_named() {
    let (_, violation) = first_violation("bad_tags.csv", "Tags", r#"{"env": "prod""#);
    assert_eq!(violation.column.as_deref(), Some("Tags"));
    assert!(matches!(violation.problem, Problem::NotJsonObject { .. }));
    let (_, violation) =
        first_violation("nested_tags.csv", "Tags", r#"{"env": {"stage": "prod"}}"#);
    assert_eq!(
        violation.problem,
        Problem::NestedValue {
            key: "env".to_owned()
        }
    );
    let (_, violation) = first_violation("array_tags.csv", "Tags", r#"["env"]"#);
    assert!(matches!(violation.problem, Problem::NotJsonObject { .. }));
}

#[test]
fn a_missing_mandatory_column_fails_at_the_header() {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = HEADER
        .iter()
        .copied()
        .filter(|name| !matches!(*name, "ListCost" | "PublisherName"))
        .collect();
    writer.write_record(&header).unwrap();
    let path = fixture("missing_columns.csv", &writer.into_inner().unwrap());
    let error = CostReader::open(&path, ReadOptions::default()).unwrap_err();
    assert!(
        matches!(&error, ReadError::MissingColumns { columns, .. } if columns == &["ListCost", "PublisherName"])
    );
    assert_eq!(
        error.to_string(),
        format!(
            "cost file `{}` lacks columns that FOCUS 1.0 requires: `ListCost`, `PublisherName`",
            path.display()
        )
    );
}

#[test]
fn a_row_with_the_wrong_number_of_fields_is_named() {
    let mut short = good_row();
    short.pop();
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    writer.write_record(HEADER).unwrap();
    writer.write_record(good_row()).unwrap();
    writer.write_record(&short).unwrap();
    let path = fixture("short_row.csv", &writer.into_inner().unwrap());
    let error = CostReader::open(&path, ReadOptions::default())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    let ReadError::Invalid(violation) = error else {
        panic!("expected a violation")
    };
    assert_eq!((violation.row, violation.column.clone()), (2, None));
    assert_eq!(
        violation.problem,
        Problem::FieldCount {
            expected: 24,
            found: 23
        }
    );
}

#[test]
fn lines_count_the_newlines_inside_quoted_fields() {
    let path = focus_file(
        "multiline.csv",
        &[
            row_with("ChargeDescription", "two\nlines"),
            row_with("ServiceCategory", "Cloud"),
        ],
    );
    let error = CostReader::open(&path, ReadOptions::default())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    let ReadError::Invalid(violation) = error else {
        panic!("expected a violation")
    };
    assert_eq!((violation.row, violation.line), (2, 4));
}

#[test]
fn a_value_that_is_not_utf8_is_named() {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).unwrap();
    writer.write_record(good_row()).unwrap();
    let mut bytes = writer.into_inner().unwrap();
    let at = bytes
        .windows(7)
        .position(|window| window == b"Virtual")
        .unwrap();
    bytes[at] = 0xff;
    let path = fixture("not_utf8.csv", &bytes);
    let error = CostReader::open(&path, ReadOptions::default())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    let ReadError::Invalid(violation) = error else {
        panic!("expected a violation")
    };
    assert_eq!(
        (
            violation.row,
            violation.column.as_deref(),
            violation.problem
        ),
        (1, Some("ServiceName"), Problem::NotUtf8)
    );
}

#[test]
fn collecting_keeps_reading_up_to_the_limit() {
    let rows = vec![
        row_with("ChargeFrequency", "Monthly"),
        row_with("BilledCost", "abc"),
        good_row(),
        row_with("ServiceCategory", "Cloud"),
        row_with("PricingQuantity", "3 hours"),
    ];
    let path = focus_file("collect.csv", &rows);

    let mut reader = CostReader::open(&path, collect(10)).unwrap();
    let yielded: Vec<_> = (&mut reader).map(Result::unwrap).collect();
    // A bad BilledCost rejects its row; the other bad values leave the field empty and keep the row.
    assert_eq!(yielded.len(), 4);
    assert_eq!(reader.rows_rejected(), 1);
    assert_eq!(yielded[0].charge_frequency, None);
    assert_eq!(yielded[2].service_category, None);
    assert_eq!(yielded[3].pricing_quantity, None);
    let named: Vec<(u64, &str)> = reader
        .violations()
        .iter()
        .map(|violation| (violation.row, violation.column.as_deref().unwrap()))
        .collect();
    assert_eq!(
        named,
        [
            (1, "ChargeFrequency"),
            (2, "BilledCost"),
            (4, "ServiceCategory"),
            (5, "PricingQuantity")
        ]
    );

    let mut reader = CostReader::open(
        &path,
        ReadOptions {
            format: None,
            on_error: OnError::Collect { max_errors: 2 },
        },
    )
    .unwrap();
    let results: Vec<_> = (&mut reader).collect();
    assert!(matches!(
        results.last(),
        Some(Err(ReadError::TooManyErrors { max_errors: 2, .. }))
    ));
    assert_eq!(reader.violations().len(), 2);
    assert_eq!(
        reader.rows_read(),
        4,
        "the read ends at the third violation, in row 4"
    );
}

#[test]
fn a_version_can_be_forced() {
    let path = focus_file("forced.csv", &[good_row()]);
    let options = ReadOptions {
        format: Some(InputFormat::Focus(FocusVersion::V1_3)),
        on_error: OnError::Stop,
    };
    let error = CostReader::open(&path, options).unwrap_err();
    assert!(
        matches!(error, ReadError::MissingColumns { columns, .. } if columns == ["HostProviderName", "ServiceProviderName"])
    );
}

#[test]
fn unknown_and_empty_files_are_refused() {
    let path = fixture("not_cost.csv", b"name,age\nada,36\n");
    assert!(matches!(
        CostReader::open(&path, ReadOptions::default()),
        Err(ReadError::UnknownFormat { .. })
    ));
    let path = fixture("empty.csv", b"");
    assert!(matches!(
        CostReader::open(&path, ReadOptions::default()),
        Err(ReadError::Empty { .. })
    ));
    let missing =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("finops/does_not_exist.csv");
    assert!(matches!(
        CostReader::open(missing, ReadOptions::default()),
        Err(ReadError::Io { .. })
    ));
}

#[test]
fn batches_cover_every_row_once() {
    let rows: Vec<Vec<String>> = (0..7).map(|_| good_row()).collect();
    let path = focus_file("batches.csv", &rows);
    let mut reader = CostReader::open(&path, ReadOptions::default()).unwrap();
    let mut sizes = Vec::new();
    while let Some(batch) = reader.next_batch(3).unwrap() {
        sizes.push(batch.len());
    }
    assert_eq!(sizes, [3, 3, 1]);
}
