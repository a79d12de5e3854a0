//! Tests of ABAC conditions ([`crate::condition`]): Microsoft's documented conditions parse to the expected canonical text, parse errors name their position, evaluation follows the documented examples and the MSP delegation case, parse and display round-trip on random trees, and the `StringLike` matcher agrees with a plain recursive reference model.
//!
//! Each feature has one `check_*` helper, the only code that calls the API.
//! The conditions come from Microsoft's pages "Azure role assignment condition format and syntax", "Examples to delegate Azure role assignment management with conditions" and the Blob Storage condition examples.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use proptest::prelude::*;

use crate::builtin_role_by_name;
use crate::condition::{
    evaluate, parse, string_like, Attribute, AttributeValue, Comparison, Condition, Context,
    Function, Operand, Operator, Quantifier, Source, Value, MAX_DEPTH,
};

/// Parses `text`, checks that it prints as `expected` and that the printed text parses back to the same tree.
fn check_parse(text: &str, expected: &str) {
    let condition = parse(text).unwrap_or_else(|error| panic!("{error}\nin `{text}`"));
    let printed = condition.to_string();
    assert_eq!(printed, expected, "canonical text of `{text}`");
    assert_eq!(
        parse(&printed).as_ref(),
        Ok(&condition),
        "reparse of `{printed}`"
    );
}

/// Checks that `text` does not parse, with the error message `expected`.
fn check_error(text: &str, expected: &str) {
    match parse(text) {
        Ok(condition) => panic!("`{text}` parsed as `{condition}`"),
        Err(error) => assert_eq!(error.to_string(), expected, "error for `{text}`"),
    }
}

/// A context built from a table: the action, the suboperation and the attributes.
#[derive(Default)]
struct TableContext {
    action: &'static str,
    sub_operation: Option<&'static str>,
    attributes: Vec<(Source, &'static str, AttributeValue)>,
}

impl Context for TableContext {
    fn action(&self) -> &str {
        self.action
    }

    fn sub_operation(&self) -> Option<&str> {
        self.sub_operation
    }

    fn attribute(&self, source: Source, name: &str) -> Option<AttributeValue> {
        self.attributes
            .iter()
            .find(|(s, n, _)| *s == source && *n == name)
            .map(|(_, _, value)| value.clone())
    }
}

/// Parses and evaluates `text` against `context`, and checks the result and the diagnostics.
fn check_evaluate(text: &str, context: &TableContext, expected: bool, diagnostics: &[&str]) {
    let condition = parse(text).unwrap_or_else(|error| panic!("{error}\nin `{text}`"));
    let evaluation = evaluate(&condition, context);
    assert_eq!(
        evaluation.result, expected,
        "`{text}` on action `{}`: {:?}",
        context.action, evaluation.diagnostics
    );
    assert_eq!(
        evaluation.diagnostics, diagnostics,
        "diagnostics of `{text}`"
    );
}

/// Returns a string attribute value.
fn string(text: &str) -> AttributeValue {
    AttributeValue::String(text.to_owned())
}

/// Returns a GUID attribute value.
fn guid(text: &str) -> AttributeValue {
    AttributeValue::Guid(text.to_owned())
}

#[test]
fn documented_conditions_parse() {
    // "Condition format and syntax": the simple condition.
    check_parse(
        "(
    (
        !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})
    )
    OR
    (
        @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]
        StringEquals 'blobs-example-container'
    )
)",
        "!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'}) OR @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'blobs-example-container'",
    );
    // The brief's constrain-roles condition (Reader and a second role).
    check_parse(
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7, 5e0bd9bd-7b93-4f28-af87-19fc36ad61bd}))",
        "!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'}) OR @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7, 5e0bd9bd-7b93-4f28-af87-19fc36ad61bd}",
    );
    // "Delegate role assignment management": constrain roles and principal types (the PowerShell one-liner).
    check_parse(
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'User', 'Group'})) AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912} AND @Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'User', 'Group'}))",
        "(!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'}) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'User', 'Group'})) AND (!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912} AND @Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'User', 'Group'}))",
    );
    // Constrain roles and specific groups, in the page's multi-line layout.
    check_parse(
        "(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})
 )
 OR 
 (
  @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912}
  AND
  @Request[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {28c35fea-2099-4cf5-8ad9-473547bc9423, 86951b8b-723a-407b-a74a-1bca3f0c95d0}
 )
)
AND
(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})
 )
 OR 
 (
  @Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912}
  AND
  @Resource[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {28c35fea-2099-4cf5-8ad9-473547bc9423, 86951b8b-723a-407b-a74a-1bca3f0c95d0}
 )
)",
        "(!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'}) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {28c35fea-2099-4cf5-8ad9-473547bc9423, 86951b8b-723a-407b-a74a-1bca3f0c95d0})) AND (!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {5e467623-bb1f-42f4-a55d-6e525e11384b, a795c7a0-d4a2-40c1-ae25-d81f01202912} AND @Resource[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {28c35fea-2099-4cf5-8ad9-473547bc9423, 86951b8b-723a-407b-a74a-1bca3f0c95d0}))",
    );
    // Allow most roles, but not Owner, Role Based Access Control Administrator and User Access Administrator.
    check_parse(
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAllValues:GuidNotEquals {8e3af657-a8ff-443c-a75c-2fe8c4bcb635, f58310d9-a9f6-439a-9e8d-f62e7b41a168, 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9}))",
        "!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'}) OR @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAllValues:GuidNotEquals {8e3af657-a8ff-443c-a75c-2fe8c4bcb635, f58310d9-a9f6-439a-9e8d-f62e7b41a168, 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9}",
    );
    // Blob Storage: tags, requests, suboperations, custom security attributes.
    check_parse(
        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>] StringEquals 'Cascade'",
        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>] StringEquals 'Cascade'",
    );
    check_parse(
        "@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>] ForAllOfAnyValues:StringEquals {'Cascade', 'Baker', 'Skagit'}",
        "@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>] ForAllOfAnyValues:StringEquals {'Cascade', 'Baker', 'Skagit'}",
    );
    check_parse(
        "(
 (
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND NOT SubOperationMatches{'Blob.List'})
 )
 OR 
 (
  @Principal[Microsoft.Directory/CustomSecurityAttributes/Id:Engineering_Project] StringEquals @Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>]
 )
)",
        "!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND !(SubOperationMatches{'Blob.List'})) OR @Principal[Microsoft.Directory/CustomSecurityAttributes/Id:Engineering_Project] StringEquals @Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>]",
    );
    check_parse(
        "!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND @Request[subOperation] ForAnyOfAnyValues:StringEqualsIgnoreCase {'Blob.List'})",
        "!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND @Request[subOperation] ForAnyOfAnyValues:StringEqualsIgnoreCase {'Blob.List'})",
    );
    // Environment attributes.
    check_parse(
        "@Environment[UtcNow] DateTimeGreaterThan '2023-05-01T00:00:00.0Z'",
        "@Environment[UtcNow] DateTimeGreaterThan '2023-05-01T00:00:00.0Z'",
    );
    check_parse(
        "@Environment[Microsoft.Network/virtualNetworks/subnets] ForAnyOfAnyValues:StringEqualsIgnoreCase {'/subscriptions/{subscriptionId}/resourceGroups/example-group/providers/Microsoft.Network/virtualNetworks/example-vnet/subnets/default'}",
        "@Environment[Microsoft.Network/virtualNetworks/subnets] ForAnyOfAnyValues:StringEqualsIgnoreCase {'/subscriptions/{subscriptionId}/resourceGroups/example-group/providers/Microsoft.Network/virtualNetworks/example-vnet/subnets/default'}",
    );
    check_parse(
        "@Environment[isPrivateLink] BoolEquals true && @Resource[Microsoft.Storage/storageAccounts:isHnsEnabled] BoolNotEquals FALSE",
        "@Environment[isPrivateLink] BoolEquals true AND @Resource[Microsoft.Storage/storageAccounts:isHnsEnabled] BoolNotEquals false",
    );
    // The operator page's own examples: `Exists`, `NOT`, `||`, numbers, paths with wildcards.
    check_parse(
        "@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:versionId] DateTimeEquals '2022-06-01T00:00:00.0Z' || NOT Exists @Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:versionId]",
        "@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:versionId] DateTimeEquals '2022-06-01T00:00:00.0Z' OR !(Exists @Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:versionId])",
    );
    check_parse(
        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringLike 'readonly/*'",
        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringLike 'readonly/*'",
    );
    check_parse(
        "{10, 20} ForAllOfAllValues:NumericLessThan {-5, 15, 18}",
        "{10, 20} ForAllOfAllValues:NumericLessThan {-5, 15, 18}",
    );
    // Leitstand's IP extension.
    check_parse(
        "@Request[Microsoft.Network/clientIpAddress] IpInRange '10.0.0.0/24' or @Request[Microsoft.Network/clientIpAddress] ipmatch '192.0.2.7'",
        "@Request[Microsoft.Network/clientIpAddress] IpInRange '10.0.0.0/24' OR @Request[Microsoft.Network/clientIpAddress] IpMatch '192.0.2.7'",
    );
    // Escapes in strings: `\'` and `\\` decode, `\*` stays for `StringLike`.
    check_parse(
        r"@Resource[name] StringLike 'it\'s \* \\'",
        r"@Resource[name] StringLike 'it\'s \\* \\'",
    );
}

#[test]
fn parse_errors_name_the_position() {
    check_error(
        "",
        "invalid role assignment condition at line 1, column 1: expected a condition: `(`, `!`, `NOT`, `ActionMatches`, `SubOperationMatches`, `Exists`, an attribute or a value, found the end of the condition",
    );
    check_error(
        "@Request[a] StringEquals 'x' AND @Request[b] StringEquals 'y' OR @Request[c] StringEquals 'z'",
        "invalid role assignment condition at line 1, column 63: expected parentheses around a mix of `AND` and `OR`, found `OR`",
    );
    check_error(
        "@Request[a] StringEqual 'x'",
        "invalid role assignment condition at line 1, column 13: expected a comparison operator such as `StringEquals`, found `StringEqual`",
    );
    check_error(
        "@Request[a] ForSomeValues:StringEquals 'x'",
        "invalid role assignment condition at line 1, column 13: expected a cross product quantifier such as `ForAnyOfAnyValues`, found `ForSomeValues:StringEqua`",
    );
    check_error(
        "@Requests[a] StringEquals 'x'",
        "invalid role assignment condition at line 1, column 2: expected an attribute source: `Request`, `Resource`, `Principal` or `Environment`, found `Requests[a]`",
    );
    check_error(
        "@Request[] StringEquals 'x'",
        "invalid role assignment condition at line 1, column 10: expected an attribute name, found `]`",
    );
    check_error(
        "@Request[a StringEquals 'x'",
        "invalid role assignment condition at line 1, column 28: expected `]`, found the end of the condition",
    );
    check_error(
        "(\n  ActionMatches{'Microsoft.Storage/*'\n",
        "invalid role assignment condition at line 3, column 1: expected `}`, found the end of the condition",
    );
    check_error(
        "ActionMatches{'a'} AND",
        "invalid role assignment condition at line 1, column 23: expected a condition: `(`, `!`, `NOT`, `ActionMatches`, `SubOperationMatches`, `Exists`, an attribute or a value, found the end of the condition",
    );
    check_error(
        "(ActionMatches{'a'}",
        "invalid role assignment condition at line 1, column 20: expected `AND`, `OR` or `)`, found the end of the condition",
    );
    check_error(
        "ActionMatches{'a'})",
        "invalid role assignment condition at line 1, column 19: expected `AND`, `OR` or the end of the condition, found `)`",
    );
    check_error(
        "@Request[a] StringEquals 'unterminated",
        "invalid role assignment condition at line 1, column 39: expected a closing `'`, found the end of the condition",
    );
    check_error(
        "@Request[a] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7,}",
        "invalid role assignment condition at line 1, column 80: expected a value: a quoted string, a number, `true`, `false` or a GUID, found `}`",
    );
    check_error(
        "@Request[a] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae}",
        "invalid role assignment condition at line 1, column 43: expected a value: a quoted string, a number, `true`, `false` or a GUID, found `acdd72a7-3385-48ef-bd42-`",
    );
    check_error(
        "@Request[a] NumericEquals 99999999999999999999",
        "invalid role assignment condition at line 1, column 27: expected an integer that fits in 64 bits, found `99999999999999999999`",
    );
    check_error(
        "Exists 'a'",
        "invalid role assignment condition at line 1, column 8: expected an attribute such as `@Request[name]`, found `'a'`",
    );
    // Groups and negations nest at most `MAX_DEPTH` deep; one more is refused, not a stack overflow.
    let nested = |depth: usize| {
        format!(
            "{}ActionMatches{{'a'}}{}",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    };
    check_parse(&nested(MAX_DEPTH), "ActionMatches{'a'}");
    check_error(
        &nested(MAX_DEPTH + 1),
        "invalid role assignment condition at line 1, column 34: expected at most 32 nested groups and negations, found `ActionMatches{'a'}))))))`",
    );
    // The canonical `!(…)` nests no deeper than `!…` (a fuzzing find: 18 bare negations printed 36 levels deep).
    check_parse(
        &format!("{}ActionMatches{{'a'}}", "!".repeat(MAX_DEPTH)),
        &format!(
            "{}ActionMatches{{'a'}}{}",
            "!(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        ),
    );
    check_parse(
        &format!(
            "{}ActionMatches{{'a'}}{}",
            "NOT (".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        ),
        &format!(
            "{}ActionMatches{{'a'}}{}",
            "!(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        ),
    );
    check_error(
        &"!".repeat(100_000),
        "invalid role assignment condition at line 1, column 34: expected at most 32 nested groups and negations, found `!!!!!!!!!!!!!!!!!!!!!!!!`",
    );
}

#[test]
fn documented_operator_examples_evaluate() {
    // The "Operators" section of "Condition format and syntax", with the results it gives.
    let context = TableContext {
        action: "Microsoft.Authorization/roleAssignments/write",
        attributes: vec![(Source::Resource, "name1", string("abcd"))],
        ..TableContext::default()
    };
    for (text, expected) in [
        (
            "ActionMatches{'Microsoft.Authorization/roleAssignments/*'}",
            true,
        ),
        (
            "ActionMatches{'Microsoft.Authorization/roleDefinitions/*'}",
            false,
        ),
        ("@Resource[name1] StringLike 'a*c?'", true),
        ("@Resource[name1] StringLike 'A*C?'", false),
        ("@Resource[name1] StringLikeIgnoreCase 'A*C?'", true),
        ("@Resource[name1] StringLike 'a*c'", false),
        ("@Resource[name1] StringNotLike 'a*c'", true),
        (
            "{'red', 'blue'} ForAnyOfAnyValues:StringEquals {'blue', 'green'}",
            true,
        ),
        (
            "{'red', 'blue'} ForAnyOfAnyValues:StringEquals {'orange', 'green'}",
            false,
        ),
        (
            "{'red', 'blue'} ForAllOfAnyValues:StringEquals {'orange', 'red', 'blue'}",
            true,
        ),
        (
            "{'red', 'blue'} ForAllOfAnyValues:StringEquals {'red', 'green'}",
            false,
        ),
        ("{10, 20} ForAnyOfAllValues:NumericLessThan {15, 18}", true),
        (
            "{10, 20} ForAllOfAllValues:NumericLessThan {5, 15, 18}",
            false,
        ),
        ("{10, 20} ForAllOfAllValues:NumericLessThan {25, 30}", true),
        (
            "{10, 20} ForAllOfAllValues:NumericLessThan {15, 25, 30}",
            false,
        ),
        // Without a quantifier a set means "one of" for positive functions and "none of" for negated ones.
        ("@Resource[name1] StringEquals {'x', 'abcd'}", true),
        ("@Resource[name1] StringNotEquals {'x', 'abcd'}", false),
        ("@Resource[name1] StringNotEquals {'x', 'y'}", true),
        ("@Resource[name1] StringStartsWith 'ab'", true),
        ("@Resource[name1] StringNotStartsWithIgnoreCase 'AB'", false),
        ("@Resource[name1] StringEqualsIgnoreCase 'ABCD'", true),
        // Escaped wildcards match themselves.
        (r"'a*c' StringLike 'a\*c'", true),
        (r"'abc' StringLike 'a\*c'", false),
        (r"'a?' StringLike 'a\?'", true),
        ("Exists @Resource[name1]", true),
        ("Exists @Resource[name2]", false),
    ] {
        check_evaluate(text, &context, expected, &[]);
    }
}

#[test]
fn typed_operators_evaluate() {
    let now: DateTime<Utc> = "2023-06-01T12:00:00Z".parse().expect("valid date");
    let context = TableContext {
        action: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
        sub_operation: Some("Blob.List"),
        attributes: vec![
            (Source::Environment, "UtcNow", AttributeValue::DateTime(now)),
            (
                Source::Environment,
                "isPrivateLink",
                AttributeValue::Bool(true),
            ),
            (Source::Request, "count", AttributeValue::Number(7)),
            (
                Source::Request,
                "clientIp",
                AttributeValue::Ip("10.0.0.42".parse::<IpAddr>().expect("valid ip")),
            ),
            (Source::Request, "clientIpV6", string("2001:db8::1")),
            (
                Source::Request,
                "principal",
                guid("28C35FEA-2099-4CF5-8AD9-473547BC9423"),
            ),
            (
                Source::Resource,
                "tags",
                AttributeValue::Strings(vec!["a".to_owned(), "b".to_owned()]),
            ),
            (
                Source::Resource,
                "noTags",
                AttributeValue::Strings(Vec::new()),
            ),
        ],
    };
    for (text, expected) in [
        ("@Environment[UtcNow] DateTimeGreaterThan '2023-05-01T00:00:00.0Z'", true),
        ("@Environment[UtcNow] DateTimeLessThan '2023-05-01T00:00:00.0000000Z'", false),
        ("@Environment[UtcNow] DateTimeEquals '2023-06-01T14:00:00+02:00'", true),
        ("@Environment[UtcNow] DateTimeGreaterThanEquals '2023-06-01T12:00:00Z'", true),
        ("@Environment[UtcNow] DateTimeLessThanEquals '2023-06-01T11:59:59Z'", false),
        ("@Environment[isPrivateLink] BoolEquals true", true),
        ("@Environment[isPrivateLink] BoolNotEquals 'True'", false),
        ("@Request[count] NumericGreaterThan 5 AND @Request[count] NumericLessThanEquals 7", true),
        ("@Request[count] NumericEquals '7'", true),
        ("@Request[count] NumericNotEquals 7", false),
        ("@Request[clientIp] IpInRange '10.0.0.0/24'", true),
        ("@Request[clientIp] IpNotInRange '10.0.1.0/24'", true),
        ("@Request[clientIp] IpMatch '10.0.0.42'", true),
        ("@Request[clientIp] IpMatch '10.0.0.0/8'", true),
        ("@Request[clientIp] IpInRange '0.0.0.0/0'", true),
        ("@Request[clientIpV6] IpInRange '2001:db8::/32'", true),
        ("@Request[clientIpV6] IpInRange '10.0.0.0/8'", false),
        ("@Request[clientIpV6] IpNotMatch '2001:db8::2'", true),
        ("@Request[principal] GuidEquals 28c35fea-2099-4cf5-8ad9-473547bc9423", true),
        ("@Request[principal] ForAnyOfAllValues:GuidNotEquals {86951b8b-723a-407b-a74a-1bca3f0c95d0}", true),
        ("@Resource[tags] ForAllOfAnyValues:StringEquals {'a', 'b', 'c'}", true),
        ("@Resource[tags] ForAllOfAllValues:StringNotEquals {'c'}", true),
        ("@Resource[tags] ForAnyOfAnyValues:StringEquals {'c'}", false),
        ("@Resource[noTags] ForAllOfAnyValues:StringEquals {'c'}", true),
        ("@Resource[noTags] ForAnyOfAnyValues:StringEquals {'c'}", false),
        ("SubOperationMatches{'Blob.List'}", true),
        ("SubOperationMatches{'Blob.Read.WithTagConditions'}", false),
        ("@Request[subOperation] ForAnyOfAnyValues:StringEqualsIgnoreCase {'blob.list'}", true),
        ("!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND NOT SubOperationMatches{'Blob.List'})", true),
    ] {
        check_evaluate(text, &context, expected, &[]);
    }

    // Missing attributes and values of the wrong type make the comparison false, with a diagnostic.
    check_evaluate(
        "@Request[missing] StringNotEquals 'x'",
        &context,
        false,
        &["`@Request[missing] StringNotEquals 'x'` is false: attribute `@Request[missing]` is missing"],
    );
    check_evaluate(
        "NOT @Request[missing] StringEquals 'x'",
        &context,
        true,
        &["`@Request[missing] StringEquals 'x'` is false: attribute `@Request[missing]` is missing"],
    );
    check_evaluate(
        "@Request[count] StringEquals '7'",
        &context,
        false,
        &["`@Request[count] StringEquals '7'` is false: `StringEquals` expects a string, found a number"],
    );
    check_evaluate(
        "@Environment[UtcNow] DateTimeGreaterThan 'yesterday'",
        &context,
        false,
        &["`@Environment[UtcNow] DateTimeGreaterThan 'yesterday'` is false: `DateTimeGreaterThan` expects a date such as `2023-05-01T00:00:00.0Z`, found `yesterday`"],
    );
    check_evaluate(
        "@Request[principal] GuidEquals 'not-a-guid'",
        &context,
        false,
        &["`@Request[principal] GuidEquals 'not-a-guid'` is false: `GuidEquals` expects a guid, found `not-a-guid`"],
    );
    check_evaluate(
        "@Request[clientIp] IpInRange '10.0.0.0/33'",
        &context,
        false,
        &["`@Request[clientIp] IpInRange '10.0.0.0/33'` is false: `IpInRange` expects an ip range such as `10.0.0.0/24`, found `10.0.0.0/33`"],
    );
}

#[test]
fn msp_delegation_allows_only_reader_and_backup_operator_for_named_groups() {
    // The MSP case of the RBAC issue: a customer admin may assign only Reader and Backup Operator, and only to two named groups.
    let reader = builtin_role_by_name("Reader")
        .expect("built-in Reader")
        .id
        .as_str();
    let backup_operator = builtin_role_by_name("Backup Operator")
        .expect("built-in Backup Operator")
        .id
        .as_str();
    let owner = builtin_role_by_name("Owner")
        .expect("built-in Owner")
        .id
        .as_str();
    assert_eq!(reader, "acdd72a7-3385-48ef-bd42-f606fba81ae7");
    assert_eq!(backup_operator, "00c29273-979b-4161-815c-10b084fb9324");
    let marketing = "28c35fea-2099-4cf5-8ad9-473547bc9423";
    let sales = "86951b8b-723a-407b-a74a-1bca3f0c95d0";
    let condition = format!(
        "((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/write'}})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{reader}, {backup_operator}}} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {{{marketing}, {sales}}})) AND ((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/delete'}})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{reader}, {backup_operator}}} AND @Resource[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {{{marketing}, {sales}}}))"
    );
    let write = |role: &str, principal: &str| TableContext {
        action: "Microsoft.Authorization/roleAssignments/write",
        attributes: vec![
            (
                Source::Request,
                "Microsoft.Authorization/roleAssignments:RoleDefinitionId",
                guid(role),
            ),
            (
                Source::Request,
                "Microsoft.Authorization/roleAssignments:PrincipalId",
                guid(principal),
            ),
        ],
        ..TableContext::default()
    };
    check_evaluate(&condition, &write(backup_operator, sales), true, &[]);
    check_evaluate(
        &condition,
        &write(&reader.to_uppercase(), marketing),
        true,
        &[],
    );
    check_evaluate(&condition, &write(owner, marketing), false, &[]);
    check_evaluate(
        &condition,
        &write(reader, "0b4b8f36-8a43-4fd1-a3b1-4a0a2e1b4e9d"),
        false,
        &[],
    );
    // Deleting is constrained by the resource's attributes.
    let delete = TableContext {
        action: "Microsoft.Authorization/roleAssignments/delete",
        attributes: vec![
            (
                Source::Resource,
                "Microsoft.Authorization/roleAssignments:RoleDefinitionId",
                guid(owner),
            ),
            (
                Source::Resource,
                "Microsoft.Authorization/roleAssignments:PrincipalId",
                guid(sales),
            ),
        ],
        ..TableContext::default()
    };
    check_evaluate(&condition, &delete, false, &[]);
    // Any other action passes the condition untouched.
    let read = TableContext {
        action: "Microsoft.Authorization/roleAssignments/read",
        ..TableContext::default()
    };
    check_evaluate(&condition, &read, true, &[]);
    // A write whose request lacks the role definition id is refused, and the diagnostic says why.
    let incomplete = TableContext {
        action: "Microsoft.Authorization/roleAssignments/write",
        ..TableContext::default()
    };
    check_evaluate(
        &condition,
        &incomplete,
        false,
        &[&format!("`@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{reader}, {backup_operator}}}` is false: attribute `@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]` is missing")],
    );
}

/// Generates a literal value.
fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::String),
        "[ -~]{0,12}".prop_map(Value::String),
        any::<i64>().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Bool),
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
            .prop_map(Value::Guid),
    ]
}

/// Generates an attribute reference.
fn arb_attribute() -> impl Strategy<Value = Attribute> {
    (proptest::sample::select(Source::ALL), "[^\\]]{1,40}")
        .prop_map(|(source, name)| Attribute { source, name })
}

/// Generates one side of a comparison.
fn arb_operand() -> impl Strategy<Value = Operand> {
    prop_oneof![
        arb_attribute().prop_map(Operand::Attribute),
        arb_value().prop_map(Operand::Value),
        proptest::collection::vec(arb_value(), 1..4).prop_map(Operand::Set),
    ]
}

/// Generates a leaf condition.
fn arb_leaf() -> impl Strategy<Value = Condition> {
    prop_oneof![
        any::<String>().prop_map(Condition::ActionMatches),
        "[A-Za-z./*]{0,20}".prop_map(Condition::SubOperationMatches),
        arb_attribute().prop_map(Condition::Exists),
        (
            arb_operand(),
            proptest::option::of(proptest::sample::select(Quantifier::ALL)),
            proptest::sample::select(Function::ALL),
            arb_operand(),
        )
            .prop_map(|(left, quantifier, function, right)| {
                Condition::Comparison(Comparison {
                    left,
                    operator: Operator {
                        quantifier,
                        function,
                    },
                    right,
                })
            }),
    ]
}

/// Generates a condition tree no deeper than the parser allows.
fn arb_condition() -> impl Strategy<Value = Condition> {
    arb_leaf().prop_recursive(8, 48, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Condition::And),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Condition::Or),
            inner.prop_map(|operand| Condition::Not(Box::new(operand))),
        ]
    })
}

/// Checks that `condition` prints as text that parses back to it.
fn check_round_trip(condition: &Condition) {
    let printed = condition.to_string();
    assert_eq!(
        parse(&printed).as_ref(),
        Ok(condition),
        "reparse of `{printed}`"
    );
}

/// Checks that parsing `text` does not panic, and that what parses prints as a fixed point.
fn check_total(text: &str) {
    if let Ok(condition) = parse(text) {
        check_round_trip(&condition);
    }
}

/// Returns whether `text` matches the `StringLike` `pattern`, written as plainly as possible to serve as the reference model.
///
/// It recurses over characters: `\*` and `\?` match themselves, `*` tries every split of the rest of the text, `?` takes one character.
fn reference_like(pattern: &[char], text: &[char]) -> bool {
    match pattern {
        [] => text.is_empty(),
        ['\\', escaped @ ('*' | '?'), rest @ ..] => {
            text.first() == Some(escaped) && reference_like(rest, &text[1..])
        }
        ['*', rest @ ..] => (0..=text.len()).any(|taken| reference_like(rest, &text[taken..])),
        ['?', rest @ ..] => !text.is_empty() && reference_like(rest, &text[1..]),
        [c, rest @ ..] => text.first() == Some(c) && reference_like(rest, &text[1..]),
    }
}

/// Checks the `StringLike` matcher against the reference model on one pair.
fn check_like(pattern: &str, text: &str) {
    let pattern_chars: Vec<char> = pattern.chars().collect();
    let text_chars: Vec<char> = text.chars().collect();
    assert_eq!(
        string_like(pattern, text),
        reference_like(&pattern_chars, &text_chars),
        "`{text}` StringLike `{pattern}`"
    );
}

proptest! {
    #[test]
    fn string_like_agrees_with_reference(pattern in "[ab*?\\\\]{0,8}", text in "[ab*?\\\\]{0,8}") {
        check_like(&pattern, &text);
    }

    #[test]
    fn display_round_trips(condition in arb_condition()) {
        check_round_trip(&condition);
    }

    #[test]
    fn parse_is_total_on_arbitrary_strings(text in any::<String>()) {
        check_total(&text);
    }

    #[test]
    fn parse_is_total_on_condition_like_strings(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("("), Just(")"), Just("!"), Just(" NOT "), Just(" AND "), Just(" || "),
                Just("ActionMatches{'a/*'}"), Just("SubOperationMatches"), Just("{"), Just("}"),
                Just("@Request[x]"), Just("@Resource["), Just(" StringEquals "), Just("ForAnyOfAnyValues:"),
                Just("GuidEquals"), Just("'s'"), Just("'"), Just("\\"), Just(","), Just(" 12"), Just("-"),
                Just("true"), Just("acdd72a7-3385-48ef-bd42-f606fba81ae7"), Just(" "), Just("\n"), Just("Exists "),
            ],
            0..24,
        )
    ) {
        check_total(&parts.concat());
    }
}
