//! The condition parser: condition text to [`Condition`], built with `winnow`.
//!
//! Every failure is a cut error that carries what was expected, so the first mistake is reported where it is, and the parser never backtracks far.
//! It does not evaluate anything and does not check operand types against operators.

use winnow::ascii::{multispace0, Caseless};
use winnow::combinator::{alt, cut_err, fail, not, opt, terminated};
use winnow::error::{ContextError, ErrMode, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::stream::Stream;
use winnow::token::{any, literal, one_of, take_till, take_while};

use crate::condition::{
    Attribute, Comparison, Condition, Function, Operand, Operator, Quantifier, Source, Value,
};

/// How deep groups `(…)` and negations (`!`, `NOT`) may nest; a negation and the group right after it, `!(…)`, count once.
pub const MAX_DEPTH: usize = 32;

/// A condition that does not parse, with where and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid role assignment condition at line {line}, column {column}: expected {expected}, found {found}")]
pub struct ConditionError {
    /// The byte offset of the mistake in the condition text.
    pub offset: usize,
    /// The 1-based line of the mistake.
    pub line: usize,
    /// The 1-based column of the mistake, in characters.
    pub column: usize,
    /// What the parser expected there, for example "a comparison operator such as `StringEquals`".
    pub expected: String,
    /// What it found instead: a short excerpt in backticks, or "the end of the condition".
    pub found: String,
}

impl ConditionError {
    /// Returns the error for `text` at byte `offset`, with the expectations collected in `error`.
    fn new(text: &str, offset: usize, error: &ContextError) -> ConditionError {
        let expected: Vec<String> = error
            .context()
            .filter_map(|context| match context {
                StrContext::Expected(value) => Some(value.to_string()),
                _ => None,
            })
            .collect();
        let expected = if expected.is_empty() {
            "a valid condition".to_owned()
        } else {
            expected.join(" or ")
        };
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map_or(0, |line| line.chars().count())
            + 1;
        let rest = text.get(offset..).unwrap_or("");
        let excerpt: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(24)
            .collect();
        let found = if rest.is_empty() {
            "the end of the condition".to_owned()
        } else if excerpt.is_empty() {
            "whitespace".to_owned()
        } else {
            format!("`{excerpt}`")
        };
        ConditionError {
            offset,
            line,
            column,
            expected,
            found,
        }
    }
}

/// Parses condition text (`conditionVersion` "2.0") into a [`Condition`].
///
/// Leading and trailing whitespace, including line breaks, is ignored.
/// See the module documentation of [`crate::condition`] for the grammar decisions.
pub fn parse(text: &str) -> Result<Condition, ConditionError> {
    let mut input = text;
    let result = (|input: &mut &str| {
        multispace0.parse_next(input)?;
        let condition = expression(input, 0)?;
        multispace0.parse_next(input)?;
        if input.is_empty() {
            Ok(condition)
        } else {
            fail_expecting(input, "`AND`, `OR` or the end of the condition")
        }
    })(&mut input);
    match result {
        Ok(condition) => Ok(condition),
        Err(ErrMode::Backtrack(error) | ErrMode::Cut(error)) => {
            Err(ConditionError::new(text, text.len() - input.len(), &error))
        }
        Err(ErrMode::Incomplete(_)) => {
            Err(ConditionError::new(text, text.len(), &ContextError::new()))
        }
    }
}

type PResult<T> = ModalResult<T>;

/// Returns the context entry "expected `what`".
fn expected(what: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(what))
}

/// Fails at the current position, without consuming input, with a cut error expecting `what`.
fn fail_expecting<T>(input: &mut &str, what: &'static str) -> PResult<T> {
    cut_err(fail).context(expected(what)).parse_next(input)
}

/// Returns whether `c` may continue a keyword or identifier.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Parses the keyword `word` in any ASCII case, not followed by a word character.
fn keyword<'i>(word: &'static str) -> impl Parser<&'i str, &'i str, ErrMode<ContextError>> {
    terminated(literal(Caseless(word)), not(one_of(is_word_char)))
}

/// The two logical junctions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Junction {
    And,
    Or,
}

/// Parses `unary ((AND | OR) unary)*`, refusing a mix of `AND` and `OR` at one level.
fn expression(input: &mut &str, depth: usize) -> PResult<Condition> {
    let first = unary(input, depth)?;
    let mut junction = None;
    let mut rest = Vec::new();
    loop {
        let before_space = input.checkpoint();
        multispace0.parse_next(input)?;
        let before_junction = input.checkpoint();
        let next = opt(alt((
            literal("&&").value(Junction::And),
            literal("||").value(Junction::Or),
            keyword("AND").value(Junction::And),
            keyword("OR").value(Junction::Or),
        )))
        .parse_next(input)?;
        let Some(next) = next else {
            input.reset(&before_space);
            break;
        };
        match junction {
            Some(junction) if junction != next => {
                input.reset(&before_junction);
                return fail_expecting(input, "parentheses around a mix of `AND` and `OR`");
            }
            _ => junction = Some(next),
        }
        multispace0.parse_next(input)?;
        rest.push(unary(input, depth)?);
    }
    Ok(match junction {
        None => first,
        Some(junction) => {
            let operands = std::iter::once(first).chain(rest).collect();
            match junction {
                Junction::And => Condition::And(operands),
                Junction::Or => Condition::Or(operands),
            }
        }
    })
}

/// Parses `(! | NOT) unary` or a primary condition.
fn unary(input: &mut &str, depth: usize) -> PResult<Condition> {
    let negated = opt(alt((literal("!"), keyword("NOT")))).parse_next(input)?;
    if negated.is_none() {
        return primary(input, depth);
    }
    if depth >= MAX_DEPTH {
        return fail_expecting(input, "at most 32 nested groups and negations");
    }
    multispace0.parse_next(input)?;
    // A group right after the negation shares its level, so that the canonical `!(…)` nests no deeper than `!…`.
    let operand = if input.starts_with('(') {
        group(input, depth + 1)?
    } else {
        unary(input, depth + 1)?
    };
    Ok(Condition::Not(Box::new(operand)))
}

/// Parses `( expression )`, the expression at `depth`.
fn group(input: &mut &str, depth: usize) -> PResult<Condition> {
    literal("(").parse_next(input)?;
    multispace0.parse_next(input)?;
    let condition = expression(input, depth)?;
    multispace0.parse_next(input)?;
    if opt(literal(")")).parse_next(input)?.is_none() {
        return fail_expecting(input, "`AND`, `OR` or `)`");
    }
    Ok(condition)
}

/// Parses a group, a function (`ActionMatches`, `SubOperationMatches`, `Exists`) or a comparison.
fn primary(input: &mut &str, depth: usize) -> PResult<Condition> {
    if input.starts_with('(') {
        if depth >= MAX_DEPTH {
            literal("(").parse_next(input)?;
            return fail_expecting(input, "at most 32 nested groups and negations");
        }
        return group(input, depth + 1);
    }
    if opt(keyword("ActionMatches")).parse_next(input)?.is_some() {
        return Ok(Condition::ActionMatches(braced_string(input)?));
    }
    if opt(keyword("SubOperationMatches"))
        .parse_next(input)?
        .is_some()
    {
        return Ok(Condition::SubOperationMatches(braced_string(input)?));
    }
    if opt(keyword("Exists")).parse_next(input)?.is_some() {
        multispace0.parse_next(input)?;
        return match attribute(input)? {
            Some(attribute) => Ok(Condition::Exists(attribute)),
            None => fail_expecting(input, "an attribute such as `@Request[name]`"),
        };
    }
    let Some(left) = operand(input)? else {
        return fail_expecting(
            input,
            "a condition: `(`, `!`, `NOT`, `ActionMatches`, `SubOperationMatches`, `Exists`, an attribute or a value",
        );
    };
    multispace0.parse_next(input)?;
    let operator = operator(input)?;
    multispace0.parse_next(input)?;
    let Some(right) = operand(input)? else {
        return fail_expecting(input, "an attribute, a value or a set of values");
    };
    Ok(Condition::Comparison(Comparison {
        left,
        operator,
        right,
    }))
}

/// Parses `{'string'}`, the argument of `ActionMatches` and `SubOperationMatches`.
fn braced_string(input: &mut &str) -> PResult<String> {
    multispace0.parse_next(input)?;
    if opt(literal("{")).parse_next(input)?.is_none() {
        return fail_expecting(input, "`{`");
    }
    multispace0.parse_next(input)?;
    let Some(text) = string(input)? else {
        return fail_expecting(input, "a quoted string");
    };
    multispace0.parse_next(input)?;
    if opt(literal("}")).parse_next(input)?.is_none() {
        return fail_expecting(input, "`}`");
    }
    Ok(text)
}

/// Parses a comparison operator, `[Quantifier:]Function`.
fn operator(input: &mut &str) -> PResult<Operator> {
    let start = input.checkpoint();
    let first: &str = take_while(0.., is_word_char).parse_next(input)?;
    if opt(literal(":")).parse_next(input)?.is_some() {
        let Some(quantifier) = Quantifier::from_name(first) else {
            input.reset(&start);
            return fail_expecting(
                input,
                "a cross product quantifier such as `ForAnyOfAnyValues`",
            );
        };
        let function_start = input.checkpoint();
        let name: &str = take_while(0.., is_word_char).parse_next(input)?;
        let Some(function) = Function::from_name(name) else {
            input.reset(&function_start);
            return fail_expecting(input, "a comparison operator such as `StringEquals`");
        };
        return Ok(Operator {
            quantifier: Some(quantifier),
            function,
        });
    }
    match Function::from_name(first) {
        Some(function) => Ok(Operator {
            quantifier: None,
            function,
        }),
        None => {
            input.reset(&start);
            fail_expecting(input, "a comparison operator such as `StringEquals`")
        }
    }
}

/// Parses an attribute, a value or a set, or returns `None` without consuming input if none starts here.
fn operand(input: &mut &str) -> PResult<Option<Operand>> {
    if let Some(attribute) = attribute(input)? {
        return Ok(Some(Operand::Attribute(attribute)));
    }
    if opt(literal("{")).parse_next(input)?.is_some() {
        let mut values = Vec::new();
        loop {
            multispace0.parse_next(input)?;
            let Some(value) = value(input)? else {
                return fail_expecting(
                    input,
                    "a value: a quoted string, a number, `true`, `false` or a GUID",
                );
            };
            values.push(value);
            multispace0.parse_next(input)?;
            if opt(literal(",")).parse_next(input)?.is_some() {
                continue;
            }
            if opt(literal("}")).parse_next(input)?.is_some() {
                return Ok(Some(Operand::Set(values)));
            }
            return fail_expecting(input, "`,` or `}`");
        }
    }
    Ok(value(input)?.map(Operand::Value))
}

/// Parses `@Source[name]`, or returns `None` without consuming input if no `@` starts here.
fn attribute(input: &mut &str) -> PResult<Option<Attribute>> {
    if opt(literal("@")).parse_next(input)?.is_none() {
        return Ok(None);
    }
    let source_start = input.checkpoint();
    let source_name: &str = take_while(0.., is_word_char).parse_next(input)?;
    let Some(source) = Source::from_name(source_name) else {
        input.reset(&source_start);
        return fail_expecting(
            input,
            "an attribute source: `Request`, `Resource`, `Principal` or `Environment`",
        );
    };
    if opt(literal("[")).parse_next(input)?.is_none() {
        return fail_expecting(input, "`[`");
    }
    let name: &str = take_till(0.., ']').parse_next(input)?;
    if name.is_empty() {
        return fail_expecting(input, "an attribute name");
    }
    if opt(literal("]")).parse_next(input)?.is_none() {
        return fail_expecting(input, "`]`");
    }
    Ok(Some(Attribute {
        source,
        name: name.to_owned(),
    }))
}

/// Parses a literal value, or returns `None` without consuming input if none starts here.
fn value(input: &mut &str) -> PResult<Option<Value>> {
    if let Some(text) = string(input)? {
        return Ok(Some(Value::String(text)));
    }
    if let Some(guid) = guid(input)? {
        return Ok(Some(Value::Guid(guid)));
    }
    if let Some(number) = number(input)? {
        return Ok(Some(Value::Number(number)));
    }
    if opt(keyword("true")).parse_next(input)?.is_some() {
        return Ok(Some(Value::Bool(true)));
    }
    if opt(keyword("false")).parse_next(input)?.is_some() {
        return Ok(Some(Value::Bool(false)));
    }
    Ok(None)
}

/// Parses a single-quoted string, or returns `None` without consuming input if no `'` starts here.
///
/// `\'` is a quote and `\\` a backslash; any other backslash is kept with the character after it.
fn string(input: &mut &str) -> PResult<Option<String>> {
    if opt(literal("'")).parse_next(input)?.is_none() {
        return Ok(None);
    }
    let mut text = String::new();
    loop {
        let Some(c) = opt(any).parse_next(input)? else {
            return fail_expecting(input, "a closing `'`");
        };
        match c {
            '\'' => return Ok(Some(text)),
            '\\' => match opt(any).parse_next(input)? {
                Some(escaped @ ('\'' | '\\')) => text.push(escaped),
                Some(other) => {
                    text.push('\\');
                    text.push(other);
                }
                None => return fail_expecting(input, "a closing `'`"),
            },
            c => text.push(c),
        }
    }
}

/// The length of a hyphenated GUID.
const GUID_LEN: usize = 36;

/// Returns whether `text` is a GUID in its 36-character hyphenated form.
pub(crate) fn is_hyphenated_guid(text: &str) -> bool {
    text.len() == GUID_LEN
        && text.bytes().enumerate().all(|(idx, b)| match idx {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Parses a bare GUID, or returns `None` without consuming input if none starts here.
fn guid(input: &mut &str) -> PResult<Option<String>> {
    let Some(candidate) = input.get(..GUID_LEN) else {
        return Ok(None);
    };
    let after = input.get(GUID_LEN..).unwrap_or("");
    if !is_hyphenated_guid(candidate) || after.starts_with(|c: char| is_word_char(c) || c == '-') {
        return Ok(None);
    }
    let candidate = candidate.to_owned();
    *input = after;
    Ok(Some(candidate))
}

/// Parses an integer, `-?[0-9]+`, or returns `None` without consuming input if none starts here.
fn number(input: &mut &str) -> PResult<Option<i64>> {
    let start = input.checkpoint();
    let digits_start = input.trim_start_matches('-');
    if input.len() - digits_start.len() > 1
        || !digits_start.starts_with(|c: char| c.is_ascii_digit())
    {
        return Ok(None);
    }
    let sign: Option<&str> = opt(literal("-")).parse_next(input)?;
    let digits: &str = take_while(1.., |c: char| c.is_ascii_digit()).parse_next(input)?;
    if input.starts_with(is_word_char) {
        input.reset(&start);
        return fail_expecting(
            input,
            "a value: a quoted string, a number, `true`, `false` or a GUID",
        );
    }
    let text = format!("{}{digits}", sign.unwrap_or(""));
    match text.parse::<i64>() {
        Ok(number) => Ok(Some(number)),
        Err(_) => {
            input.reset(&start);
            fail_expecting(input, "an integer that fits in 64 bits")
        }
    }
}
