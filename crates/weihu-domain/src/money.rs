//! Exact money (SPEC §7): decimal amounts, never floats, in CNY by default.
//!
//! Decisions:
//! - A [`Money`] holds any exact [`Decimal`], so intermediate results (a prorated fee, a penalty
//!   rate applied to a sum) stay exact until a statement line rounds them with
//!   [`Money::round_cent`] (half-up, i.e. midpoint away from zero). Rounding happens only there.
//! - Text input ([`Money::parse`], `FromStr`, serde) is strict: an optional `-`, digits, and at most
//!   two decimals (prices are given in whole fen); no exponent, no `+`, no spaces, no thousands
//!   separators, at most 15 integer digits (so no sum in a statement can overflow).
//! - Serde writes a string: the exact value with at least two decimals (`"3980.00"`). Amounts on
//!   statements are always rounded, so what is written can always be read back.
//! - Arithmetic operators panic on overflow like integer operators; the `checked_*` methods return
//!   `None` instead and are what the billing rules use.
//! - The currency is not carried by each amount: a contract and its statements name one
//!   [`Currency`] (CNY by default) and every amount in them is in it.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest number of integer digits accepted when parsing an amount.
pub const MAX_INTEGER_DIGITS: usize = 15;

/// Why a text could not be read as an amount or a currency code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text was empty.
    #[error("amount is empty")]
    Empty,
    /// The text is not a plain decimal number (`-`, digits, optional `.` and decimals).
    #[error("amount `{0}` is not a plain decimal number like 3980.00")]
    NotDecimal(String),
    /// The text has more than two decimals.
    #[error("amount `{0}` has more than 2 decimals")]
    TooManyDecimals(String),
    /// The text has more than [`MAX_INTEGER_DIGITS`] integer digits.
    #[error("amount `{0}` is too large")]
    TooLarge(String),
    /// A currency code must be three ASCII capital letters (ISO 4217).
    #[error("currency `{0}` is not a three-letter ISO 4217 code")]
    BadCurrency(String),
}

/// An exact amount of money (in the currency of the contract or statement holding it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Wraps an exact decimal (any scale; not rounded).
    pub fn new(amount: Decimal) -> Money {
        Money(amount)
    }

    /// An amount given in fen (hundredths), e.g. `from_cents(398000)` = 3980.00.
    pub fn from_cents(cents: i64) -> Money {
        Money(Decimal::new(cents, 2))
    }

    /// An amount in whole yuan.
    pub fn from_yuan(yuan: i64) -> Money {
        Money(Decimal::from(yuan))
    }

    /// Parses strict decimal text: optional `-`, digits, at most two decimals, no exponent.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let (int, frac) = match unsigned.split_once('.') {
            Some((int, frac)) => (int, Some(frac)),
            None => (unsigned, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
            return Err(MoneyError::NotDecimal(text.to_owned()));
        }
        if frac.is_some_and(|f| f.len() > 2) {
            return Err(MoneyError::TooManyDecimals(text.to_owned()));
        }
        if int.trim_start_matches('0').len() > MAX_INTEGER_DIGITS {
            return Err(MoneyError::TooLarge(text.to_owned()));
        }
        Decimal::from_str_exact(text)
            .map(|d| Money(normalize_zero(d)))
            .map_err(|_| MoneyError::NotDecimal(text.to_owned()))
    }

    /// The exact decimal value.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// True when the amount is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// True when the amount is below zero.
    pub fn is_negative(self) -> bool {
        self.0 < Decimal::ZERO
    }

    /// Rounds half-up (midpoint away from zero) to the cent; the result has exactly 2 decimals.
    pub fn round_cent(self) -> Money {
        let mut d = self
            .0
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        d.rescale(2);
        Money(normalize_zero(d))
    }

    /// True when the amount is a whole number of cents.
    pub fn is_whole_cents(self) -> bool {
        self.0.normalize().scale() <= 2
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self × quantity`, or `None` on overflow.
    pub fn checked_mul_qty(self, quantity: u32) -> Option<Money> {
        self.0.checked_mul(Decimal::from(quantity)).map(Money)
    }

    /// `self × ratio` exactly (not rounded), or `None` on overflow.
    pub fn checked_mul_ratio(self, ratio: Decimal) -> Option<Money> {
        self.0.checked_mul(ratio).map(Money)
    }

    /// `self × numerator ÷ denominator` (not rounded), or `None` on overflow or a zero denominator.
    pub fn checked_prorate(self, numerator: u32, denominator: u32) -> Option<Money> {
        if denominator == 0 {
            return None;
        }
        self.0
            .checked_mul(Decimal::from(numerator))?
            .checked_div(Decimal::from(denominator))
            .map(Money)
    }

    /// Sums amounts, or `None` on overflow.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(items: I) -> Option<Money> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }

    /// The value written by serde: exact, with at least two decimals.
    fn to_wire(self) -> String {
        let mut d = normalize_zero(self.0.normalize());
        if d.scale() < 2 {
            d.rescale(2);
        }
        d.to_string()
    }
}

/// Makes a negative zero positive so it prints as `0.00`.
fn normalize_zero(mut d: Decimal) -> Decimal {
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    d
}

impl fmt::Display for Money {
    /// Two decimals, rounded half-up: `3980.00`, `-0.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.round_cent().0)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let text = String::deserialize(deserializer)?;
        Money::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(normalize_zero(-self.0))
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Mul<u32> for Money {
    type Output = Money;
    /// Amount × an integer quantity.
    fn mul(self, quantity: u32) -> Money {
        Money(self.0 * Decimal::from(quantity))
    }
}

impl Mul<Decimal> for Money {
    type Output = Money;
    /// Amount × an exact ratio (not rounded).
    fn mul(self, ratio: Decimal) -> Money {
        Money(self.0 * ratio)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

/// An ISO 4217 currency code (three ASCII capital letters); CNY by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Chinese yuan (renminbi), the default.
    pub const CNY: Currency = Currency(*b"CNY");

    /// Parses a three-letter capital code such as `CNY` or `USD`.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                Ok(Currency([*a, *b, *c]))
            }
            _ => Err(MoneyError::BadCurrency(code.to_owned())),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII capitals by construction.
        std::str::from_utf8(&self.0).unwrap_or("CNY")
    }
}

impl Default for Currency {
    fn default() -> Currency {
        Currency::CNY
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Currency, MoneyError> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Currency, D::Error> {
        let text = String::deserialize(deserializer)?;
        Currency::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).expect("valid amount")
    }

    #[test]
    fn money_parses_strict_decimal_text() {
        assert_eq!(m("3980"), Money::from_yuan(3980));
        assert_eq!(m("3980.5"), Money::from_cents(398050));
        assert_eq!(m("-0.01"), Money::from_cents(-1));
        assert_eq!(m("-0"), Money::ZERO);
        assert_eq!(Money::parse(""), Err(MoneyError::Empty));
        for bad in [
            "1e3", "1E3", "+1", " 1", "1 ", "1,000", ".5", "5.", "--1", "1.2.3", "NaN", "inf", "１",
        ] {
            assert!(
                matches!(Money::parse(bad), Err(MoneyError::NotDecimal(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Money::parse("0.125"),
            Err(MoneyError::TooManyDecimals(_))
        ));
        assert!(Money::parse("999999999999999.99").is_ok());
        assert!(matches!(
            Money::parse("1000000000000000"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn money_rounds_half_up_away_from_zero() {
        assert_eq!(Money::new(Decimal::new(12345, 3)).round_cent(), m("12.35"));
        assert_eq!(Money::new(Decimal::new(12355, 3)).round_cent(), m("12.36"));
        assert_eq!(
            Money::new(Decimal::new(-12345, 3)).round_cent(),
            m("-12.35")
        );
        assert_eq!(Money::new(Decimal::new(12344, 3)).round_cent(), m("12.34"));
        assert_eq!(
            Money::new(Decimal::new(-4, 3)).round_cent().to_string(),
            "0.00"
        );
    }

    #[test]
    fn money_displays_two_decimals() {
        assert_eq!(m("3980").to_string(), "3980.00");
        assert_eq!(m("-0.5").to_string(), "-0.50");
        assert_eq!(Money::new(Decimal::new(96774, 3)).to_string(), "96.77");
    }

    #[test]
    fn money_arithmetic() {
        assert_eq!(m("1.10") + m("2.20"), m("3.30"));
        assert_eq!(m("1.10") - m("2.20"), m("-1.10"));
        assert_eq!(m("200") * 2u32, m("400"));
        assert_eq!(m("3000") * Decimal::new(5, 1), m("1500"));
        assert_eq!([m("1"), m("2.5")].iter().sum::<Money>(), m("3.5"));
        assert_eq!(
            m("3000").checked_prorate(15, 30).map(Money::round_cent),
            Some(m("1500.00"))
        );
        assert_eq!(m("3000").checked_prorate(1, 0), None);
        assert_eq!(Money::new(Decimal::MAX).checked_add(m("1")), None);
    }

    #[test]
    fn money_serde_is_a_string() {
        let json = serde_json::to_string(&m("3980")).expect("serialize");
        assert_eq!(json, "\"3980.00\"");
        let back: Money = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, m("3980"));
        assert!(serde_json::from_str::<Money>("3980").is_err());
        assert!(serde_json::from_str::<Money>("\"3.14159\"").is_err());
        assert!(serde_json::from_str::<Money>("\"1e3\"").is_err());
    }

    #[test]
    fn money_currency_codes() {
        assert_eq!(Currency::default().to_string(), "CNY");
        assert_eq!(
            Currency::parse("USD").map(|c| c.to_string()),
            Ok("USD".into())
        );
        assert!(Currency::parse("cny").is_err());
        assert!(Currency::parse("CN").is_err());
        assert!(Currency::parse("人民币").is_err());
        let c: Currency = serde_json::from_str("\"EUR\"").expect("currency");
        assert_eq!(serde_json::to_string(&c).expect("ser"), "\"EUR\"");
    }
}
