//! The provider operation catalogue: every operation name Azure's resource providers publish, compiled in from `data/provider-operations.json`.
//!
//! Wildcards in role definitions expand over this catalogue, and [`unknown_actions`] uses it to find patterns that match no known operation, so that a custom role with such a pattern can be warned about.
//! A name can appear twice, once as a control-plane action and once as a data action (23 names, App Configuration's `configurationStores/keyValues/write` among them); the catalogue keeps both, so each entry is a (name, is data action) pair.
//!
//! This module keeps only each operation's name, display name and data-action flag: not its description, origin or provider and resource-type grouping, so it cannot serve `providerOperations` in full.
//! It does not read files at run time.

use std::sync::LazyLock;

use serde::Deserialize;

use crate::error::EmbeddedDataError;
use crate::matching::action_matches;

/// The generated, minified operation catalogue.
const OPERATIONS_JSON: &str = include_str!("../data/provider-operations.json");

/// The catalogue, parsed on first use.
static OPERATIONS: LazyLock<Result<Vec<Operation>, EmbeddedDataError>> =
    LazyLock::new(|| parse_operations(OPERATIONS_JSON));

/// One operation of a resource provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The operation name, for example `Microsoft.Management/managementGroups/write`.
    pub name: String,
    /// The provider's display name for the operation, where it has one.
    pub display_name: Option<String>,
    /// Whether the operation is a data action (granted by DataActions) rather than a control-plane action (granted by Actions).
    pub is_data_action: bool,
}

/// One operation as `data/provider-operations.json` stores it: `[name, displayName, isDataAction]`.
#[derive(Deserialize)]
struct OperationRecord(String, Option<String>, bool);

/// Parses a catalogue in the format of `data/provider-operations.json`.
pub(crate) fn parse_operations(json: &str) -> Result<Vec<Operation>, EmbeddedDataError> {
    let records: Vec<OperationRecord> = serde_json::from_str(json)
        .map_err(|source| EmbeddedDataError::OperationsJson { source })?;
    Ok(records
        .into_iter()
        .map(
            |OperationRecord(name, display_name, is_data_action)| Operation {
                name,
                display_name,
                is_data_action,
            },
        )
        .collect())
}

/// Returns the catalogue, or why the embedded data could not be loaded.
///
/// The server calls this at startup to fail fast; the crate's tests guarantee it is `Ok`.
pub fn try_operations() -> Result<&'static [Operation], &'static EmbeddedDataError> {
    match &*OPERATIONS {
        Ok(operations) => Ok(operations),
        Err(error) => Err(error),
    }
}

/// Returns every catalogued operation, sorted by lowercased name and then control-plane before data action.
///
/// Returns an empty slice if the embedded data could not be loaded, which [`try_operations`] reports and the tests rule out.
pub fn operations() -> &'static [Operation] {
    try_operations().unwrap_or(&[])
}

/// Returns the catalogued operations of the given kind (data actions or control-plane actions) that the action pattern `pattern` matches.
pub fn operations_matching(
    pattern: &str,
    is_data_action: bool,
) -> impl Iterator<Item = &'static Operation> + '_ {
    operations().iter().filter(move |operation| {
        operation.is_data_action == is_data_action && action_matches(pattern, &operation.name)
    })
}

/// Returns, in order, the patterns that match no catalogued operation of the given kind.
///
/// Pass a permission block's `actions` or `not_actions` with `is_data_action` false, and its `data_actions` or `not_data_actions` with true: a data action listed under Actions is reported, because there it grants nothing.
/// The result is advice for a warning, not a refusal: Azure's own built-in roles contain such patterns.
pub fn unknown_actions<S: AsRef<str>>(patterns: &[S], is_data_action: bool) -> Vec<String> {
    patterns
        .iter()
        .map(AsRef::as_ref)
        .filter(|pattern| {
            operations_matching(pattern, is_data_action)
                .next()
                .is_none()
        })
        .map(str::to_owned)
        .collect()
}
