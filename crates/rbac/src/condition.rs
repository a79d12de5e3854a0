//! Azure role-assignment conditions (ABAC, `conditionVersion` "2.0"): the syntax tree, [`parse`] and [`evaluate`].
//!
//! The language is the one of Microsoft's "Azure role assignment condition format and syntax" page:
//! `(!(ActionMatches{'…'})) OR (@Request[…] ForAnyOfAnyValues:GuidEquals {…})`.
//!
//! - [`parse`] turns condition text into a [`Condition`], or a [`ConditionError`] naming the byte offset, line and column and what was expected there.
//! - [`Condition`]'s `Display` prints canonical text that parses back to an equal tree.
//! - [`evaluate`] checks a condition against a [`Context`] (the action, the suboperation and the attributes) and returns an [`Evaluation`]: a result plus diagnostics, never an error.
//!
//! Grammar decisions where the documentation leaves room:
//!
//! - Keywords (`AND`, `OR`, `NOT`, `ActionMatches`, `SubOperationMatches`, `Exists`, `true`, `false`), attribute sources and operator names are case-insensitive; `Display` prints them in Microsoft's spelling.
//! - `NOT` and `!` bind tighter than `AND` and `OR`, and a comparison is one operand of them.
//! - The page says that `a AND b OR c` must be parenthesized, so mixing `AND` and `OR` at one level without parentheses is a parse error rather than a guess at precedence.
//! - String literals are single-quoted. Inside them `\'` is a quote and `\\` a backslash; any other backslash is kept, so that `StringLike` sees its documented `\*` and `\?` escapes.
//! - GUIDs are written bare (`{5e467623-bb1f-42f4-a55d-6e525e11384b}`), numbers are 64-bit integers (the page: "only integers are supported"), and `{…}` sets hold one or more literal values.
//! - Either side of a comparison may be an attribute, a value or a set, as in the page's `{'red', 'blue'} ForAnyOfAnyValues:StringEquals {'blue', 'green'}` and in attribute-to-attribute comparisons.
//! - Groups and negations nest at most [`MAX_DEPTH`] deep, so that hostile input cannot exhaust the stack.
//! - `IpMatch`, `IpNotMatch`, `IpInRange` and `IpNotInRange` are not on Microsoft's page; Leitstand accepts them as an extension for request addresses.
//!
//! This module does not know which attributes exist for which actions, does not check that an attribute's type suits its operator when parsing (evaluation reports mismatches as diagnostics), and does no I/O.

mod evaluate;
mod parse;

use std::fmt;

#[cfg(test)]
pub(crate) use crate::condition::evaluate::string_like;
pub use crate::condition::evaluate::{evaluate, AttributeValue, Context, Evaluation};
pub use crate::condition::parse::{parse, ConditionError, MAX_DEPTH};

/// A parsed role-assignment condition: a boolean expression over the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// All operands hold (`a AND b AND …`, or `&&`); there are at least two.
    And(Vec<Condition>),
    /// Some operand holds (`a OR b OR …`, or `||`); there are at least two.
    Or(Vec<Condition>),
    /// The operand does not hold (`!x` or `NOT x`).
    Not(Box<Condition>),
    /// `ActionMatches{'pattern'}`: the action being checked matches the pattern (see [`crate::action_matches`]).
    ActionMatches(String),
    /// `SubOperationMatches{'pattern'}`: the suboperation being checked matches the pattern.
    SubOperationMatches(String),
    /// `Exists @Source[name]`: the attribute is present.
    Exists(Attribute),
    /// `<operand> <operator> <operand>`.
    Comparison(Comparison),
}

/// A comparison `<left> <operator> <right>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// The left-hand side, usually an attribute.
    pub left: Operand,
    /// The operator, with its cross-product quantifier if any.
    pub operator: Operator,
    /// The right-hand side, usually a value or a set of values.
    pub right: Operand,
}

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// An attribute of the request, the resource, the principal or the environment.
    Attribute(Attribute),
    /// A single literal value.
    Value(Value),
    /// A `{…}` set of literal values, never empty.
    Set(Vec<Value>),
}

/// A literal value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A single-quoted string, unescaped.
    String(String),
    /// An integer.
    Number(i64),
    /// `true` or `false`.
    Bool(bool),
    /// A bare GUID in its 36-character hyphenated form, spelled as written.
    Guid(String),
}

/// Where an attribute comes from: the `@Source` of `@Source[name]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// `@Request`: part of the request, such as the role definition id of a role assignment being written.
    Request,
    /// `@Resource`: a property of the resource, such as a container name or a blob index tag.
    Resource,
    /// `@Principal`: a custom security attribute of the caller.
    Principal,
    /// `@Environment`: the circumstances of the request, such as `UtcNow` or the subnet.
    Environment,
}

/// An attribute reference `@Source[name]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute source.
    pub source: Source,
    /// The attribute name as written, for example `Microsoft.Authorization/roleAssignments:RoleDefinitionId`; never empty and never contains `]`.
    pub name: String,
}

/// A comparison operator, `[Quantifier:]Function`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operator {
    /// The cross-product quantifier, for example `ForAnyOfAnyValues`.
    pub quantifier: Option<Quantifier>,
    /// The comparison function, for example `GuidEquals`.
    pub function: Function,
}

/// How a cross-product operator combines the values of its two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quantifier {
    /// `ForAnyOfAnyValues`: some left value satisfies the function with some right value.
    AnyOfAny,
    /// `ForAllOfAnyValues`: every left value satisfies the function with some right value.
    AllOfAny,
    /// `ForAnyOfAllValues`: some left value satisfies the function with every right value.
    AnyOfAll,
    /// `ForAllOfAllValues`: every left value satisfies the function with every right value.
    AllOfAll,
}

/// Defines [`Function`] together with its spelling, in one table.
macro_rules! functions {
    ($($variant:ident,)*) => {
        /// A comparison function, named as Azure names it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Function {
            $(
                #[doc = concat!("`", stringify!($variant), "`.")]
                $variant,
            )*
        }

        impl Function {
            /// Every function, in the order of Microsoft's page.
            pub const ALL: &'static [Function] = &[$(Function::$variant,)*];

            /// Returns the function's name as Azure spells it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Function::$variant => stringify!($variant),)*
                }
            }
        }
    };
}

functions! {
    StringEquals,
    StringEqualsIgnoreCase,
    StringNotEquals,
    StringNotEqualsIgnoreCase,
    StringStartsWith,
    StringStartsWithIgnoreCase,
    StringNotStartsWith,
    StringNotStartsWithIgnoreCase,
    StringLike,
    StringLikeIgnoreCase,
    StringNotLike,
    StringNotLikeIgnoreCase,
    NumericEquals,
    NumericNotEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    NumericLessThan,
    NumericLessThanEquals,
    BoolEquals,
    BoolNotEquals,
    DateTimeEquals,
    DateTimeNotEquals,
    DateTimeGreaterThan,
    DateTimeGreaterThanEquals,
    DateTimeLessThan,
    DateTimeLessThanEquals,
    GuidEquals,
    GuidNotEquals,
    IpMatch,
    IpNotMatch,
    IpInRange,
    IpNotInRange,
}

impl Function {
    /// Returns the function by its name, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL
            .iter()
            .copied()
            .find(|function| function.name().eq_ignore_ascii_case(name))
    }
}

impl Quantifier {
    /// Every quantifier.
    pub const ALL: &'static [Quantifier] = &[
        Quantifier::AnyOfAny,
        Quantifier::AllOfAny,
        Quantifier::AnyOfAll,
        Quantifier::AllOfAll,
    ];

    /// Returns the quantifier's name as Azure spells it.
    pub fn name(self) -> &'static str {
        match self {
            Quantifier::AnyOfAny => "ForAnyOfAnyValues",
            Quantifier::AllOfAny => "ForAllOfAnyValues",
            Quantifier::AnyOfAll => "ForAnyOfAllValues",
            Quantifier::AllOfAll => "ForAllOfAllValues",
        }
    }

    /// Returns the quantifier by its name, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Quantifier> {
        Quantifier::ALL
            .iter()
            .copied()
            .find(|quantifier| quantifier.name().eq_ignore_ascii_case(name))
    }
}

impl Source {
    /// Every source.
    pub const ALL: &'static [Source] = &[
        Source::Request,
        Source::Resource,
        Source::Principal,
        Source::Environment,
    ];

    /// Returns the source's name without the `@`, as Azure spells it.
    pub fn name(self) -> &'static str {
        match self {
            Source::Request => "Request",
            Source::Resource => "Resource",
            Source::Principal => "Principal",
            Source::Environment => "Environment",
        }
    }

    /// Returns the source by its name without the `@`, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL
            .iter()
            .copied()
            .find(|source| source.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Condition {
    /// Prints canonical condition text: operands of `AND` and `OR` that are themselves `AND` or `OR` are parenthesized, and a negation prints as `!(…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::And(operands) => fmt_junction(f, operands, " AND "),
            Condition::Or(operands) => fmt_junction(f, operands, " OR "),
            Condition::Not(operand) => write!(f, "!({operand})"),
            Condition::ActionMatches(pattern) => {
                write!(f, "ActionMatches{{{}}}", Quoted(pattern))
            }
            Condition::SubOperationMatches(pattern) => {
                write!(f, "SubOperationMatches{{{}}}", Quoted(pattern))
            }
            Condition::Exists(attribute) => write!(f, "Exists {attribute}"),
            Condition::Comparison(comparison) => write!(f, "{comparison}"),
        }
    }
}

/// Prints the operands of an `AND` or `OR`, parenthesizing nested junctions.
fn fmt_junction(
    f: &mut fmt::Formatter<'_>,
    operands: &[Condition],
    separator: &str,
) -> fmt::Result {
    for (idx, operand) in operands.iter().enumerate() {
        if idx > 0 {
            f.write_str(separator)?;
        }
        match operand {
            Condition::And(_) | Condition::Or(_) => write!(f, "({operand})")?,
            _ => write!(f, "{operand}")?,
        }
    }
    Ok(())
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.operator, self.right)
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Attribute(attribute) => write!(f, "{attribute}"),
            Operand::Value(value) => write!(f, "{value}"),
            Operand::Set(values) => {
                f.write_str("{")?;
                for (idx, value) in values.iter().enumerate() {
                    if idx > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(text) => write!(f, "{}", Quoted(text)),
            Value::Number(number) => write!(f, "{number}"),
            Value::Bool(value) => write!(f, "{value}"),
            Value::Guid(guid) => f.write_str(guid),
        }
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}[{}]", self.source.name(), self.name)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.quantifier {
            Some(quantifier) => write!(f, "{}:{}", quantifier.name(), self.function.name()),
            None => f.write_str(self.function.name()),
        }
    }
}

/// Prints a string as a single-quoted literal, escaping `'` and `\` with a backslash.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("'")?;
        for c in self.0.chars() {
            match c {
                '\'' => f.write_str("\\'")?,
                '\\' => f.write_str("\\\\")?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("'")
    }
}
