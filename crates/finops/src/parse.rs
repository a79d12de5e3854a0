//! Parsers for the value formats of cost files: decimal numbers, date-times, US dates, JSON key-value objects and currency codes.
//!
//! The parsers are total: they return an error for any input and never panic.
//! They do not trim whitespace and do not know about nulls; the reader decides what is null before it calls them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// The error of [`parse_decimal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The text is not a number in the FOCUS Numeric Format.
    #[error("not a decimal number")]
    Syntax,
    /// The number's magnitude does not fit a 96-bit decimal (about 7.9e28).
    #[error("decimal number out of range")]
    OutOfRange,
}

/// The largest mantissa of a `Decimal` (2^96 - 1).
const MAX_MANTISSA: u128 = (1 << 96) - 1;

/// The largest scale of a `Decimal`.
const MAX_SCALE: i64 = 28;

/// The digits dropped from the right of a mantissa, as far as rounding needs them.
#[derive(Clone, Copy, Debug, Default)]
struct Tail {
    /// The first (most significant) dropped digit.
    first: u8,
    /// Whether any dropped digit after the first is not zero.
    sticky: bool,
}

impl Tail {
    fn is_zero(self) -> bool {
        self.first == 0 && !self.sticky
    }
}

/// Drops the `n_digits` rightmost digits of `mantissa`, folding them into the tail of earlier dropped digits.
fn shift_right(mantissa: u128, n_digits: i64, tail: Tail) -> (u128, Tail) {
    if n_digits <= 0 {
        return (mantissa, tail);
    }
    if n_digits > 39 {
        // A u128 has at most 39 digits, so every digit is dropped and the first dropped digit is a leading zero.
        return (
            0,
            Tail {
                first: 0,
                sticky: mantissa != 0 || !tail.is_zero(),
            },
        );
    }
    let below = 10u128.pow(u32::try_from(n_digits - 1).unwrap_or(0));
    let kept_and_first = mantissa / below;
    let first = u8::try_from(kept_and_first % 10).unwrap_or(0);
    let rest = mantissa % below;
    (
        kept_and_first / 10,
        Tail {
            first,
            sticky: rest != 0 || !tail.is_zero(),
        },
    )
}

/// Rounds `mantissa` half to even, given the digits dropped from its right.
fn round_half_even(mantissa: u128, tail: Tail) -> u128 {
    let up = tail.first > 5 || (tail.first == 5 && (tail.sticky || mantissa % 2 == 1));
    if up {
        mantissa.saturating_add(1)
    } else {
        mantissa
    }
}

/// Parses a number in the FOCUS Numeric Format into an exact decimal.
///
/// Accepted: an optional sign, digits with an optional decimal point (`12`, `-0.5`, `.5`, `5.`), and an optional exponent (`4.566E-6`, `1e3`).
/// Rejected: empty text, whitespace, thousands separators, currency symbols, `NaN` and infinities.
///
/// The result is exact when the number has at most 28 digits after the point and fits 96 bits, which covers every cost and price we have met.
/// Beyond that the number is rounded half to even: to 28 decimal places, and then to as many places as keep the mantissa within 96 bits.
/// A number whose integer part does not fit 96 bits is [`DecimalError::OutOfRange`].
pub fn parse_decimal(text: &str) -> Result<Decimal, DecimalError> {
    let bytes = text.as_bytes();
    let (negative, mut rest) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };

    // The value is mantissa * 10^exponent, plus the dropped digits in `tail`.
    let mut mantissa: u128 = 0;
    let mut n_kept: u32 = 0;
    let mut exponent: i64 = 0;
    let mut tail = Tail::default();
    let mut n_dropped: u64 = 0;
    let mut saw_digit = false;
    let mut in_fraction = false;

    while let Some((&byte, after)) = rest.split_first() {
        match byte {
            b'0'..=b'9' => {
                saw_digit = true;
                let digit = byte - b'0';
                if n_kept == 0 && digit == 0 {
                    // A leading zero: it only moves the point.
                    if in_fraction {
                        exponent -= 1;
                    }
                } else if n_kept < 38 {
                    mantissa = mantissa * 10 + u128::from(digit);
                    n_kept += 1;
                    if in_fraction {
                        exponent -= 1;
                    }
                } else {
                    // More than 38 significant digits: remember the dropped ones for rounding.
                    if n_dropped == 0 {
                        tail.first = digit;
                    } else if digit != 0 {
                        tail.sticky = true;
                    }
                    n_dropped += 1;
                    if !in_fraction {
                        exponent += 1;
                    }
                }
            }
            b'.' if !in_fraction => in_fraction = true,
            b'e' | b'E' => {
                exponent = exponent.saturating_add(parse_exponent(after)?);
                rest = &[];
                break;
            }
            _ => return Err(DecimalError::Syntax),
        }
        rest = after;
    }
    debug_assert!(rest.is_empty());
    if !saw_digit {
        return Err(DecimalError::Syntax);
    }

    let (mantissa, scale) = if exponent >= 0 {
        let mantissa = round_half_even(mantissa, tail);
        if mantissa == 0 {
            (0, 0)
        } else {
            let factor = u32::try_from(exponent)
                .ok()
                .and_then(|exponent| 10u128.checked_pow(exponent));
            let scaled = factor
                .and_then(|factor| mantissa.checked_mul(factor))
                .ok_or(DecimalError::OutOfRange)?;
            (scaled, 0)
        }
    } else {
        let mut scale = exponent.saturating_neg();
        let (mut mantissa, mut tail) = shift_right(mantissa, scale - MAX_SCALE, tail);
        scale = scale.min(MAX_SCALE);
        loop {
            let rounded = round_half_even(mantissa, tail);
            if rounded <= MAX_MANTISSA {
                break (rounded, scale);
            }
            if scale == 0 {
                return Err(DecimalError::OutOfRange);
            }
            (mantissa, tail) = shift_right(mantissa, 1, tail);
            scale -= 1;
        }
    };
    if mantissa > MAX_MANTISSA {
        return Err(DecimalError::OutOfRange);
    }
    let signed = i128::try_from(mantissa).map_err(|_| DecimalError::OutOfRange)?;
    let signed = if negative { -signed } else { signed };
    let scale = u32::try_from(scale).map_err(|_| DecimalError::OutOfRange)?;
    Decimal::try_from_i128_with_scale(signed, scale).map_err(|_| DecimalError::OutOfRange)
}

/// Parses the digits of an exponent (after the `e`), saturating far beyond any meaningful size.
fn parse_exponent(bytes: &[u8]) -> Result<i64, DecimalError> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(DecimalError::Syntax);
    }
    let magnitude = digits.iter().fold(0i64, |acc, digit| {
        (acc * 10 + i64::from(digit - b'0')).min(1_000_000)
    });
    Ok(if negative { -magnitude } else { magnitude })
}

/// The error of [`parse_datetime`] and [`parse_month_day_year`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a date-time")]
pub struct DateTimeError;

/// Parses an ISO 8601 / RFC 3339 date-time into a UTC instant.
///
/// The form is `YYYY-MM-DD`, a separator (`T`, `t` or a space), `hh:mm`, optionally `:ss` and a fraction of up to nine digits,
/// and optionally a zone: `Z`, `z`, `±hh:mm` or `±hhmm`.
/// Without a zone the time is taken as UTC, as in the FOCUS samples (`2024-09-01 00:00:00`) and AWS CUR 2.0 exports.
/// Leap seconds (`:60`) and date-only values are rejected.
pub fn parse_datetime(text: &str) -> Result<DateTime<Utc>, DateTimeError> {
    let mut cursor = Cursor {
        rest: text.as_bytes(),
    };
    let year = cursor.digits(4)?;
    cursor.expect(b'-')?;
    let month = cursor.digits(2)?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2)?;
    match cursor.next() {
        Some(b'T' | b't' | b' ') => {}
        _ => return Err(DateTimeError),
    }
    let hour = cursor.digits(2)?;
    cursor.expect(b':')?;
    let minute = cursor.digits(2)?;
    let mut second = 0;
    let mut nanosecond = 0;
    if cursor.peek() == Some(b':') {
        cursor.next();
        second = cursor.digits(2)?;
        if cursor.peek() == Some(b'.') {
            cursor.next();
            let mut n_digits = 0;
            while let Some(digit @ b'0'..=b'9') = cursor.peek() {
                if n_digits == 9 {
                    return Err(DateTimeError);
                }
                nanosecond = nanosecond * 10 + u32::from(digit - b'0');
                n_digits += 1;
                cursor.next();
            }
            if n_digits == 0 {
                return Err(DateTimeError);
            }
            nanosecond *= 10u32.pow(9 - n_digits);
        }
    }
    let offset_seconds: i64 = match cursor.next() {
        None => 0,
        Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let offset_hours = cursor.digits(2)?;
            if cursor.peek() == Some(b':') {
                cursor.next();
            }
            let offset_minutes = cursor.digits(2)?;
            if offset_hours > 23 || offset_minutes > 59 {
                return Err(DateTimeError);
            }
            let seconds = i64::from(offset_hours * 3600 + offset_minutes * 60);
            if sign == b'-' {
                -seconds
            } else {
                seconds
            }
        }
        Some(_) => return Err(DateTimeError),
    };
    if cursor.peek().is_some() || second > 59 {
        return Err(DateTimeError);
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).map_err(|_| DateTimeError)?, month, day)
        .ok_or(DateTimeError)?;
    let time =
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanosecond).ok_or(DateTimeError)?;
    let local = NaiveDateTime::new(date, time);
    let offset = TimeDelta::try_seconds(offset_seconds).ok_or(DateTimeError)?;
    let utc = local.checked_sub_signed(offset).ok_or(DateTimeError)?;
    Ok(utc.and_utc())
}

/// Parses a US date, `M/D/YYYY` with one or two digits for month and day (`9/2/2023`, `09/02/2023`), as the Azure EA export writes it.
/// ISO dates (`2023-09-02`), as newer exports write them, are accepted too.
pub fn parse_month_day_year(text: &str) -> Result<NaiveDate, DateTimeError> {
    let mut parts = text.split('/');
    let (Some(month), Some(day), Some(year), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return parse_iso_date(text);
    };
    let small = |part: &str| -> Result<u32, DateTimeError> {
        if (1..=2).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().map_err(|_| DateTimeError)
        } else {
            Err(DateTimeError)
        }
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DateTimeError);
    }
    let year: i32 = year.parse().map_err(|_| DateTimeError)?;
    NaiveDate::from_ymd_opt(year, small(month)?, small(day)?).ok_or(DateTimeError)
}

fn parse_iso_date(text: &str) -> Result<NaiveDate, DateTimeError> {
    let mut cursor = Cursor {
        rest: text.as_bytes(),
    };
    let year = cursor.digits(4)?;
    cursor.expect(b'-')?;
    let month = cursor.digits(2)?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2)?;
    if cursor.peek().is_some() {
        return Err(DateTimeError);
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).map_err(|_| DateTimeError)?, month, day)
        .ok_or(DateTimeError)
}

/// A forward-only reader over ASCII bytes for the date parsers.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    fn expect(&mut self, byte: u8) -> Result<(), DateTimeError> {
        if self.next() == Some(byte) {
            Ok(())
        } else {
            Err(DateTimeError)
        }
    }

    /// Reads exactly `n_digits` ASCII digits.
    fn digits(&mut self, n_digits: usize) -> Result<u32, DateTimeError> {
        let mut value = 0u32;
        for _ in 0..n_digits {
            match self.next() {
                Some(digit @ b'0'..=b'9') => value = value * 10 + u32::from(digit - b'0'),
                _ => return Err(DateTimeError),
            }
        }
        Ok(value)
    }
}

/// Parses a JSON object (the FOCUS Key-Value Format), or says why the text is not one.
pub fn parse_json_object(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("not an object".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

/// Turns a parsed key-value object into sorted key/value text pairs, or returns the first key whose value is an array or an object.
///
/// Strings stay as they are, numbers and booleans keep their JSON spelling, and null becomes the empty string.
pub fn flat_key_values(map: Map<String, Value>) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::with_capacity(map.len());
    for (key, value) in map {
        let text = match value {
            Value::String(text) => text,
            Value::Null => String::new(),
            Value::Bool(flag) => flag.to_string(),
            Value::Number(number) => number.to_string(),
            Value::Array(_) | Value::Object(_) => return Err(key),
        };
        pairs.push((key, text));
    }
    pairs.sort_by(|(left, _), (right, _)| left.cmp(right));
    Ok(pairs)
}

/// Returns whether `text` looks like an ISO 4217 currency code: three uppercase ASCII letters.
pub fn is_currency_code(text: &str) -> bool {
    text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase())
}
