//! Money: exact decimals, never binary floating point. A bill's lines carry
//! amounts below a millionth of a dollar (Lambda requests) and millions of
//! them must add up to the cent, so amounts are parsed once into
//! [`Decimal`], summed exactly, and rounded half-even to the cent only when
//! shown (`cents`, and the serializers below for JSON).

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::RoundingStrategy;
use serde::Serializer;
use std::str::FromStr;

pub use rust_decimal::Decimal;

/// Rounded half-even (banker's rounding) to the cent.
pub fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
}

/// An amount as text: rounded to the cent, two decimals.
pub fn show(amount: Decimal) -> String {
    format!("{:.2}", cents(amount))
}

/// An amount for people to read (the HTML report): rounded to the cent,
/// two decimals, thousands grouped with commas (`1,536.00`,
/// `-12,345,678.90`). Machine formats keep [`show`]'s plain digits.
pub fn grouped(amount: Decimal) -> String {
    let plain = show(amount);
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut out = String::with_capacity(plain.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}.{fraction}")
}

/// An amount as a bill writes it: `12.5`, `-0.0000001234`, `1.2E-7`.
/// None: not a finite decimal number (`NaN`, `inf`, text, too large).
pub fn parse(text: &str) -> Option<Decimal> {
    let text = text.trim();
    if text.contains(['e', 'E']) {
        return Decimal::from_scientific(text).ok();
    }
    Decimal::from_str(text).ok()
}

/// A binary double as the decimal it was written as (its shortest
/// round-trip form): what a Parquet `double` column or a YAML number held.
/// None when it is not finite or out of range.
pub fn from_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    if let Some(exact) = few_digits(value) {
        return Some(exact);
    }
    let mut text = Shortest::default();
    let printed = std::fmt::Write::write_fmt(&mut text, format_args!("{value}")).is_ok();
    match printed {
        true => parse(text.as_str()),
        // Longer than the buffer (|x| ≥ 1e40 prints every digit).
        false => parse(&value.to_string()),
    }
    .or_else(|| Decimal::from_f64(value))
}

/// The shortest decimal of at most 15 significant digits that reads as
/// `value`, found without printing it (a Parquet bill converts one double
/// per line, and printing is most of that): the first number of decimals
/// `s` at which `m = round(value × 10^s)` reads back as `value`.
///
/// Why this is the decimal [`from_f64`]'s printing gives: 15 digits
/// (`f64::DIGITS`) always survive a round trip through a double, so no two
/// decimals of at most 15 digits read as the same double; `m × 10^-s` is
/// then the only one of `s` decimals, and none of fewer decimals reads as
/// `value` (each smaller `s` was tried). `round(value × 10^s)` finds it:
/// `value` is within 2^-53 of `m × 10^-s` relatively, and the product
/// rounds once more, so `value × 10^s` is within `|m| × 2^-52 < 0.25` of
/// `m`. The read-back `m / 10^s` is exact arithmetic's correctly rounded
/// quotient of two doubles that are exact (`|m| < 2^53`, `10^s ≤ 10^22`),
/// which is what reading the text gives. None: more than 15 digits.
fn few_digits(value: f64) -> Option<Decimal> {
    const MAX: f64 = 1e15;
    let mut scale = 1.0;
    for s in 0..=22u32 {
        let y = value * scale;
        if y.abs() >= MAX {
            return None;
        }
        // Rounded half away from zero by truncation (`f64::round` is a
        // library call on baseline x86-64): y + 0.5 may round itself, but
        // only when y is near a half, where no decimal can read back.
        let m = (y + 0.5f64.copysign(y)) as i64;
        if m as f64 / scale == value {
            return Some(Decimal::new(m, s));
        }
        scale *= 10.0;
    }
    None
}

/// A float's shortest decimal text, on the stack: a Parquet bill converts
/// one per line.
struct Shortest {
    bytes: [u8; 48],
    len: usize,
}

impl Default for Shortest {
    fn default() -> Shortest {
        Shortest {
            bytes: [0; 48],
            len: 0,
        }
    }
}

impl Shortest {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for Shortest {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A ratio of two amounts (coverage), as a float: None without a divisor.
pub fn ratio(part: Decimal, whole: Decimal) -> Option<f64> {
    (!whole.is_zero())
        .then(|| part.checked_div(whole))
        .flatten()
        .and_then(|r| r.to_f64())
}

/// For charts: the amount as a float (exactness does not matter there).
pub fn to_f64(amount: Decimal) -> f64 {
    amount.to_f64().unwrap_or(0.0)
}

/// JSON: the amount rounded to the cent, as a number.
pub fn serialize<S: Serializer>(amount: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(to_f64(cents(*amount)))
}

/// JSON: a rate (0.25) as a number, unrounded.
pub fn serialize_rate<S: Serializer>(rate: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(to_f64(*rate))
}

/// JSON: an optional amount, rounded to the cent (null when absent).
pub fn serialize_opt<S: Serializer>(amount: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match amount {
        Some(a) => serialize(a, s),
        None => s.serialize_none(),
    }
}

/// For tests: a float literal as the exact amount it reads as.
#[cfg(test)]
pub(crate) fn lit(x: f64) -> Decimal {
    from_f64(x).expect("a finite literal")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn grouped_amounts_have_two_decimals_and_commas() {
        for (amount, text) in [
            ("0", "0.00"),
            ("1536", "1,536.00"),
            ("999.995", "1,000.00"),
            ("100.005", "100.00"),
            ("-12345678.9", "-12,345,678.90"),
            ("123456", "123,456.00"),
            ("-0.5", "-0.50"),
            ("1000000000", "1,000,000,000.00"),
        ] {
            assert_eq!(grouped(d(amount)), text, "{amount}");
        }
    }

    #[test]
    fn amounts_parse_exactly_in_every_form_a_bill_writes() {
        assert_eq!(parse("12.5"), Some(d("12.5")));
        assert_eq!(parse(" -0.0000001234 "), Some(d("-0.0000001234")));
        assert_eq!(parse("1.2E-7"), Some(d("0.00000012")));
        assert_eq!(parse("3e2"), Some(d("300")));
        for bad in ["NaN", "inf", "-inf", "", "12,5", "1e999", "abc"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn doubles_become_the_decimal_they_were_written_as() {
        assert_eq!(from_f64(0.1), Some(d("0.1")));
        assert_eq!(from_f64(1.2e-7), Some(d("0.00000012")));
        assert_eq!(from_f64(-2.5), Some(d("-2.5")));
        // Beyond a decimal's range, printed in the buffer (1e39) or not.
        assert_eq!((from_f64(1e39), from_f64(1e50)), (None, None));
        assert_eq!(
            from_f64(123_456_789.123_456_79),
            Some(d("123456789.12345679"))
        );
        assert_eq!(from_f64(f64::NAN), None);
        assert_eq!(from_f64(f64::INFINITY), None);
    }

    /// The decimal a double prints as, the slow way.
    fn printed(x: f64) -> Option<Decimal> {
        parse(&x.to_string())
    }

    #[test]
    fn the_fast_conversion_finds_the_printed_decimal_or_declines() {
        // Amounts as bills write them, from 0 to 16 significant digits and
        // 0 to 12 decimals, both signs; and doubles of every bit pattern.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut fast, mut declined) = (0, 0);
        for i in 0..400_000 {
            let x = if i % 4 == 3 {
                f64::from_bits(next())
            } else {
                let digits = next() % 17;
                let m = (next() % 10u64.pow(digits as u32)) as f64;
                let sign = if next() % 2 == 0 { 1.0 } else { -1.0 };
                sign * m / 10f64.powi((next() % 13) as i32)
            };
            if !x.is_finite() {
                continue;
            }
            match few_digits(x) {
                Some(d) => {
                    assert_eq!(Some(d), printed(x), "{x:e}");
                    assert_eq!(d.scale(), printed(x).unwrap().scale(), "{x:e}");
                    fast += 1;
                }
                None => declined += 1,
            }
        }
        // Most amounts take the fast way; long ones and huge or tiny
        // doubles are printed.
        assert!(fast > 250_000 && declined > 90_000, "{fast} {declined}");
        assert_eq!(few_digits(0.1), Some(d("0.1")));
        assert_eq!(few_digits(1.2e-7), Some(d("0.00000012")));
        assert_eq!(few_digits(123_456_789.123_456_79), None);
        assert_eq!(few_digits(1e20), None);
        assert_eq!(few_digits(0.0), Some(Decimal::ZERO));
    }

    #[test]
    fn rounding_is_half_even_to_the_cent_and_only_on_output() {
        assert_eq!(cents(d("0.125")), d("0.12"));
        assert_eq!(cents(d("0.135")), d("0.14"));
        assert_eq!(cents(d("-0.125")), d("-0.12"));
        assert_eq!(show(d("1234.5")), "1234.50");
        // A million amounts of a tenth of a cent: exact, where f64 drifts.
        let sum: Decimal = (0..1_000_000).map(|_| d("0.001")).sum();
        assert_eq!(sum, d("1000"));
        let json = serde_json::to_string(&Wrapper(d("0.125"))).unwrap();
        assert_eq!(json, "0.12");
        assert_eq!(ratio(d("1"), d("4")), Some(0.25));
        assert_eq!(ratio(d("1"), Decimal::ZERO), None);
    }

    struct Wrapper(Decimal);
    impl serde::Serialize for Wrapper {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(&self.0, s)
        }
    }
}
