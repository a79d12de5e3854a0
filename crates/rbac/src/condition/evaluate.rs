//! The condition evaluator: a [`Condition`] against a [`Context`] gives an [`Evaluation`], a result plus diagnostics.
//!
//! Semantics chosen where Microsoft's page is silent:
//!
//! - A missing attribute makes the comparison that reads it false, whatever the operator (also for `StringNotEquals` and the other negated functions), and adds a diagnostic.
//!   This fails closed for the documented pattern `!(ActionMatches{…}) OR (<comparison>)`; note that `NOT <comparison>` over a missing attribute is then true.
//!   `Exists` is the way to test for presence.
//! - A value of the wrong type for its operator (a string for `NumericEquals`, a malformed GUID or date) makes the comparison false and adds a diagnostic.
//! - Without a cross-product quantifier, a positive function (`StringEquals`) holds if it holds for some pair of left and right values, and a negated one (`StringNotEquals`) holds if the positive one holds for no pair; so `StringEquals {'a', 'b'}` means "equals one of them" and `StringNotEquals {'a', 'b'}` "equals none of them".
//! - With a quantifier the function is applied pair by pair as the page defines it; a `ForAll…` over an empty list of left values is true.
//! - `AND` and `OR` short-circuit, so diagnostics describe only the parts that decided the result.
//! - `@Request[subOperation]`, which the page uses next to `ActionMatches`, falls back to [`Context::sub_operation`] when the context has no such attribute.
//!
//! The evaluator never panics and reads no clock: `@Environment[UtcNow]` comes from the context like any attribute.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::condition::parse::is_hyphenated_guid;
use crate::condition::{
    Attribute, Comparison, Condition, Function, Operand, Quantifier, Source, Value,
};
use crate::matching::action_matches;

/// The request a condition is evaluated against: the action, the suboperation and the attributes.
pub trait Context {
    /// Returns the action being checked, for example `Microsoft.Authorization/roleAssignments/write`.
    fn action(&self) -> &str;

    /// Returns the suboperation being checked, for example `Blob.List`, if any.
    fn sub_operation(&self) -> Option<&str> {
        None
    }

    /// Returns the value of the attribute `name` from `source`, or `None` if it is missing.
    fn attribute(&self, source: Source, name: &str) -> Option<AttributeValue>;
}

/// The value of an attribute, as a [`Context`] supplies it.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    /// A string.
    String(String),
    /// A multi-valued string attribute, such as a list of tag values.
    Strings(Vec<String>),
    /// An integer.
    Number(i64),
    /// A boolean.
    Bool(bool),
    /// A GUID in its hyphenated form, such as a principal id or a role definition id.
    Guid(String),
    /// A multi-valued GUID attribute.
    Guids(Vec<String>),
    /// An instant, such as `UtcNow`.
    DateTime(DateTime<Utc>),
    /// An IP address.
    Ip(IpAddr),
}

/// The result of evaluating a condition, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// Whether the condition holds.
    pub result: bool,
    /// Notes on missing attributes and on values that do not fit their operator; empty when every comparison could be made.
    pub diagnostics: Vec<String>,
}

/// Evaluates `condition` against `context`.
///
/// It never fails: anything that keeps a comparison from being made makes that comparison false and is reported in [`Evaluation::diagnostics`].
pub fn evaluate<C: Context + ?Sized>(condition: &Condition, context: &C) -> Evaluation {
    let mut diagnostics = Vec::new();
    let result = eval(condition, context, &mut diagnostics);
    Evaluation {
        result,
        diagnostics,
    }
}

/// Evaluates `condition`, collecting diagnostics.
fn eval<C: Context + ?Sized>(
    condition: &Condition,
    context: &C,
    diagnostics: &mut Vec<String>,
) -> bool {
    match condition {
        Condition::And(operands) => operands
            .iter()
            .all(|operand| eval(operand, context, diagnostics)),
        Condition::Or(operands) => operands
            .iter()
            .any(|operand| eval(operand, context, diagnostics)),
        Condition::Not(operand) => !eval(operand, context, diagnostics),
        Condition::ActionMatches(pattern) => action_matches(pattern, context.action()),
        Condition::SubOperationMatches(pattern) => context
            .sub_operation()
            .is_some_and(|sub_operation| action_matches(pattern, sub_operation)),
        Condition::Exists(attribute) => lookup(attribute, context).is_some(),
        Condition::Comparison(comparison) => match compare_operands(comparison, context) {
            Ok(result) => result,
            Err(reason) => {
                diagnostics.push(format!("`{comparison}` is false: {reason}"));
                false
            }
        },
    }
}

/// Returns the attribute's value from the context, with the `@Request[subOperation]` fallback.
fn lookup<C: Context + ?Sized>(attribute: &Attribute, context: &C) -> Option<AttributeValue> {
    context
        .attribute(attribute.source, &attribute.name)
        .or_else(|| {
            (attribute.source == Source::Request
                && attribute.name.eq_ignore_ascii_case("subOperation"))
            .then(|| context.sub_operation())
            .flatten()
            .map(|sub_operation| AttributeValue::String(sub_operation.to_owned()))
        })
}

/// One value on a side of a comparison, before it is read as the operator's type.
#[derive(Clone, Debug)]
enum Scalar {
    Text(String),
    Number(i64),
    Bool(bool),
    DateTime(DateTime<Utc>),
    Ip(IpAddr),
}

impl Scalar {
    /// Describes the value's type for diagnostics.
    fn kind(&self) -> &'static str {
        match self {
            Scalar::Text(_) => "a string",
            Scalar::Number(_) => "a number",
            Scalar::Bool(_) => "a boolean",
            Scalar::DateTime(_) => "a date",
            Scalar::Ip(_) => "an ip address",
        }
    }
}

/// Returns the values of one side, or why there are none.
fn resolve<C: Context + ?Sized>(operand: &Operand, context: &C) -> Result<Vec<Scalar>, String> {
    match operand {
        Operand::Value(value) => Ok(vec![literal(value)]),
        Operand::Set(values) => Ok(values.iter().map(literal).collect()),
        Operand::Attribute(attribute) => match lookup(attribute, context) {
            None => Err(format!("attribute `{attribute}` is missing")),
            Some(value) => Ok(match value {
                AttributeValue::String(text) | AttributeValue::Guid(text) => {
                    vec![Scalar::Text(text)]
                }
                AttributeValue::Strings(texts) | AttributeValue::Guids(texts) => {
                    texts.into_iter().map(Scalar::Text).collect()
                }
                AttributeValue::Number(number) => vec![Scalar::Number(number)],
                AttributeValue::Bool(value) => vec![Scalar::Bool(value)],
                AttributeValue::DateTime(instant) => vec![Scalar::DateTime(instant)],
                AttributeValue::Ip(ip) => vec![Scalar::Ip(ip)],
            }),
        },
    }
}

/// Returns a literal as a scalar.
fn literal(value: &Value) -> Scalar {
    match value {
        Value::String(text) | Value::Guid(text) => Scalar::Text(text.clone()),
        Value::Number(number) => Scalar::Number(*number),
        Value::Bool(value) => Scalar::Bool(*value),
    }
}

/// Evaluates a comparison, or says why it cannot be made.
fn compare_operands<C: Context + ?Sized>(
    comparison: &Comparison,
    context: &C,
) -> Result<bool, String> {
    let left = resolve(&comparison.left, context)?;
    let right = resolve(&comparison.right, context)?;
    let (positive, negated) = split_negation(comparison.operator.function);
    let function = comparison.operator.function;
    let holds = |l: &Scalar, r: &Scalar, function: Function| -> Result<bool, String> {
        let result = apply(positive, l, r)?;
        Ok(if function == positive {
            result
        } else {
            !result
        })
    };
    match comparison.operator.quantifier {
        None => {
            let mut any = false;
            for l in &left {
                for r in &right {
                    if holds(l, r, positive)? {
                        any = true;
                    }
                }
            }
            Ok(any != negated)
        }
        Some(quantifier) => {
            let mut per_left = Vec::with_capacity(left.len());
            for l in &left {
                let mut results = Vec::with_capacity(right.len());
                for r in &right {
                    results.push(holds(l, r, function)?);
                }
                per_left.push(match quantifier {
                    Quantifier::AnyOfAny | Quantifier::AllOfAny => results.iter().any(|it| *it),
                    Quantifier::AnyOfAll | Quantifier::AllOfAll => results.iter().all(|it| *it),
                });
            }
            Ok(match quantifier {
                Quantifier::AnyOfAny | Quantifier::AnyOfAll => per_left.iter().any(|it| *it),
                Quantifier::AllOfAny | Quantifier::AllOfAll => per_left.iter().all(|it| *it),
            })
        }
    }
}

/// Returns the positive form of a function and whether the function negates it.
fn split_negation(function: Function) -> (Function, bool) {
    use Function as F;
    match function {
        F::StringNotEquals => (F::StringEquals, true),
        F::StringNotEqualsIgnoreCase => (F::StringEqualsIgnoreCase, true),
        F::StringNotStartsWith => (F::StringStartsWith, true),
        F::StringNotStartsWithIgnoreCase => (F::StringStartsWithIgnoreCase, true),
        F::StringNotLike => (F::StringLike, true),
        F::StringNotLikeIgnoreCase => (F::StringLikeIgnoreCase, true),
        F::NumericNotEquals => (F::NumericEquals, true),
        F::BoolNotEquals => (F::BoolEquals, true),
        F::DateTimeNotEquals => (F::DateTimeEquals, true),
        F::GuidNotEquals => (F::GuidEquals, true),
        F::IpNotMatch => (F::IpMatch, true),
        F::IpNotInRange => (F::IpInRange, true),
        other => (other, false),
    }
}

/// Applies a positive function to one pair of values.
fn apply(function: Function, left: &Scalar, right: &Scalar) -> Result<bool, String> {
    use Function as F;
    match function {
        F::StringEquals => Ok(text(function, left)? == text(function, right)?),
        F::StringEqualsIgnoreCase => {
            Ok(text(function, left)?.to_lowercase() == text(function, right)?.to_lowercase())
        }
        F::StringStartsWith => Ok(text(function, left)?.starts_with(text(function, right)?)),
        F::StringStartsWithIgnoreCase => Ok(text(function, left)?
            .to_lowercase()
            .starts_with(&text(function, right)?.to_lowercase())),
        F::StringLike => Ok(string_like(text(function, right)?, text(function, left)?)),
        F::StringLikeIgnoreCase => Ok(string_like(
            &text(function, right)?.to_lowercase(),
            &text(function, left)?.to_lowercase(),
        )),
        F::NumericEquals => Ok(number(function, left)? == number(function, right)?),
        F::NumericGreaterThan => Ok(number(function, left)? > number(function, right)?),
        F::NumericGreaterThanEquals => Ok(number(function, left)? >= number(function, right)?),
        F::NumericLessThan => Ok(number(function, left)? < number(function, right)?),
        F::NumericLessThanEquals => Ok(number(function, left)? <= number(function, right)?),
        F::BoolEquals => Ok(boolean(function, left)? == boolean(function, right)?),
        F::DateTimeEquals => Ok(date_time(function, left)? == date_time(function, right)?),
        F::DateTimeGreaterThan => Ok(date_time(function, left)? > date_time(function, right)?),
        F::DateTimeGreaterThanEquals => {
            Ok(date_time(function, left)? >= date_time(function, right)?)
        }
        F::DateTimeLessThan => Ok(date_time(function, left)? < date_time(function, right)?),
        F::DateTimeLessThanEquals => Ok(date_time(function, left)? <= date_time(function, right)?),
        F::GuidEquals => Ok(guid(function, left)?.eq_ignore_ascii_case(guid(function, right)?)),
        F::IpMatch => {
            let address = ip(function, left)?;
            match right {
                Scalar::Ip(other) => Ok(address == *other),
                Scalar::Text(text) => match text.parse::<IpAddr>() {
                    Ok(other) => Ok(address == other),
                    Err(_) => Ok(in_range(address, cidr(function, right)?)),
                },
                other => Err(mismatch(function, "an ip address or range", other)),
            }
        }
        F::IpInRange => Ok(in_range(ip(function, left)?, cidr(function, right)?)),
        // INVARIANT (positive): `split_negation` maps every negated function to its positive form first.
        negated => Err(format!("`{}` is not a positive function", negated.name())),
    }
}

/// Describes a value that does not fit its operator.
fn mismatch(function: Function, wanted: &str, found: &Scalar) -> String {
    format!(
        "`{}` expects {wanted}, found {}",
        function.name(),
        found.kind()
    )
}

/// Reads a value as a string.
fn text(function: Function, value: &Scalar) -> Result<&str, String> {
    match value {
        Scalar::Text(text) => Ok(text),
        other => Err(mismatch(function, "a string", other)),
    }
}

/// Reads a value as an integer; a string must hold one.
fn number(function: Function, value: &Scalar) -> Result<i64, String> {
    match value {
        Scalar::Number(number) => Ok(*number),
        Scalar::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("`{}` expects a number, found `{text}`", function.name())),
        other => Err(mismatch(function, "a number", other)),
    }
}

/// Reads a value as a boolean; a string must be `true` or `false` in any case.
fn boolean(function: Function, value: &Scalar) -> Result<bool, String> {
    match value {
        Scalar::Bool(value) => Ok(*value),
        Scalar::Text(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        Scalar::Text(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        Scalar::Text(text) => Err(format!(
            "`{}` expects a boolean, found `{text}`",
            function.name()
        )),
        other => Err(mismatch(function, "a boolean", other)),
    }
}

/// Reads a value as an instant; a string must be RFC 3339, such as `2023-05-01T00:00:00.0Z`.
fn date_time(function: Function, value: &Scalar) -> Result<DateTime<Utc>, String> {
    match value {
        Scalar::DateTime(instant) => Ok(*instant),
        Scalar::Text(text) => DateTime::parse_from_rfc3339(text)
            .map(|instant| instant.with_timezone(&Utc))
            .map_err(|_| {
                format!(
                    "`{}` expects a date such as `2023-05-01T00:00:00.0Z`, found `{text}`",
                    function.name()
                )
            }),
        other => Err(mismatch(function, "a date", other)),
    }
}

/// Reads a value as a GUID in its hyphenated form.
fn guid(function: Function, value: &Scalar) -> Result<&str, String> {
    match value {
        Scalar::Text(text) if is_hyphenated_guid(text) => Ok(text),
        Scalar::Text(text) => Err(format!(
            "`{}` expects a guid, found `{text}`",
            function.name()
        )),
        other => Err(mismatch(function, "a guid", other)),
    }
}

/// Reads a value as an IP address.
fn ip(function: Function, value: &Scalar) -> Result<IpAddr, String> {
    match value {
        Scalar::Ip(ip) => Ok(*ip),
        Scalar::Text(text) => text.parse().map_err(|_| {
            format!(
                "`{}` expects an ip address, found `{text}`",
                function.name()
            )
        }),
        other => Err(mismatch(function, "an ip address", other)),
    }
}

/// Reads a value as a CIDR range, such as `10.0.0.0/24`.
fn cidr(function: Function, value: &Scalar) -> Result<(IpAddr, u8), String> {
    let error = || {
        format!(
            "`{}` expects an ip range such as `10.0.0.0/24`, found {}",
            function.name(),
            match value {
                Scalar::Text(text) => format!("`{text}`"),
                other => other.kind().to_owned(),
            }
        )
    };
    let Scalar::Text(text) = value else {
        return Err(error());
    };
    let (address, prefix) = text.split_once('/').ok_or_else(error)?;
    let address: IpAddr = address.parse().map_err(|_| error())?;
    let prefix: u8 = prefix.parse().map_err(|_| error())?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(error());
    }
    Ok((address, prefix))
}

/// Returns whether `address` lies in the CIDR range; addresses of the other family never do.
fn in_range(address: IpAddr, (network, prefix): (IpAddr, u8)) -> bool {
    match (address, network) {
        (IpAddr::V4(address), IpAddr::V4(network)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(address) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(address), IpAddr::V6(network)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(address) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

/// One element of a `StringLike` pattern.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Glob {
    /// `*`: any run of characters, possibly empty.
    Many,
    /// `?`: exactly one character.
    One,
    /// A character matched as itself (including `\*` and `\?`).
    Char(char),
}

/// Returns whether `text` matches the `StringLike` `pattern`: `*` any run, `?` one character, `\*` and `\?` themselves.
pub(crate) fn string_like(pattern: &str, text: &str) -> bool {
    let mut globs = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => globs.push(Glob::Many),
            '?' => globs.push(Glob::One),
            '\\' if matches!(chars.peek(), Some('*' | '?')) => {
                if let Some(escaped) = chars.next() {
                    globs.push(Glob::Char(escaped));
                }
            }
            c => globs.push(Glob::Char(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Greedy matching with one backtrack point, the last `*` seen: linear in practice, quadratic at worst.
    let (mut glob_idx, mut text_idx) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while text_idx < text.len() {
        match (globs.get(glob_idx), text.get(text_idx)) {
            (Some(Glob::Many), _) => {
                star = Some((glob_idx, text_idx));
                glob_idx += 1;
            }
            (Some(Glob::One), Some(_)) => {
                glob_idx += 1;
                text_idx += 1;
            }
            (Some(Glob::Char(expected)), Some(found)) if expected == found => {
                glob_idx += 1;
                text_idx += 1;
            }
            _ => match star {
                Some((star_glob, star_text)) => {
                    glob_idx = star_glob + 1;
                    text_idx = star_text + 1;
                    star = Some((star_glob, star_text + 1));
                }
                None => return false,
            },
        }
    }
    globs
        .get(glob_idx..)
        .is_some_and(|rest| rest.iter().all(|glob| *glob == Glob::Many))
}
