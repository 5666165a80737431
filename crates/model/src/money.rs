//! Money as integer minor units plus an ISO 4217 currency (the `iso_currency` crate's table).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{ValidationError, excerpt};

/// An ISO 4217 currency, e.g. CNY, EUR, JPY.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Parses a three-letter code (case-insensitive) for `field`'s error message.
    pub fn parse(code: &str, field: &'static str) -> Result<Self, ValidationError> {
        iso_currency::Currency::from_code(&code.trim().to_ascii_uppercase())
            .map(Currency)
            .ok_or_else(|| ValidationError::UnknownCurrency {
                field,
                value: excerpt(code),
            })
    }

    /// The three-letter code.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point (2 for CNY, 0 for JPY). Currencies without one
    /// (precious metals, funds) are treated as having none.
    pub fn exponent(self) -> u16 {
        self.0.exponent().unwrap_or(0)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s, "currency")
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::parse(&code, "currency").map_err(serde::de::Error::custom)
    }
}

/// An amount of money: `minor` units (cents, fen) of `currency`. Never negative in Rapport.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Debug)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// The largest amount Rapport accepts, in minor units (10^15: ten trillion yuan, a
    /// quadrillion yen). Larger ones are typing mistakes, and sums of them overflow.
    pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

    /// Parses decimal text such as `1234.50` or `1,234.5` exactly (no floating point) into
    /// minor units of `currency`. Rejects negatives, more decimals than the currency has, and
    /// amounts above [`Money::MAX_MINOR`].
    pub fn parse(
        text: &str,
        currency: Currency,
        field: &'static str,
    ) -> Result<Self, ValidationError> {
        let raw = text.trim();
        let bad = || ValidationError::BadAmount {
            field,
            value: excerpt(text),
        };
        if raw.starts_with('-') {
            return Err(ValidationError::NegativeAmount {
                field,
                value: excerpt(text),
            });
        }
        let cleaned: String = raw
            .trim_start_matches('+')
            .chars()
            .filter(|c| *c != ',' && *c != '_' && *c != ' ')
            .collect();
        let (int_part, frac_part) = match cleaned.split_once('.') {
            Some((i, f)) => (i, f),
            None => (cleaned.as_str(), ""),
        };
        if (int_part.is_empty() && frac_part.is_empty())
            || !int_part.chars().all(|c| c.is_ascii_digit())
            || !frac_part.chars().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let exp = currency.exponent();
        let frac_trimmed = frac_part.trim_end_matches('0');
        if frac_trimmed.len() > usize::from(exp) {
            return Err(ValidationError::TooPrecise {
                field,
                value: excerpt(text),
                currency: currency.code().to_string(),
                allowed: exp,
            });
        }
        let too_large = || ValidationError::AmountTooLarge {
            field,
            value: excerpt(text),
        };
        let mut minor: i64 = 0;
        for c in int_part.chars() {
            let d = i64::from(c as u8 - b'0');
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(d))
                .ok_or_else(too_large)?;
        }
        for i in 0..usize::from(exp) {
            let d = frac_trimmed
                .as_bytes()
                .get(i)
                .map(|b| i64::from(b - b'0'))
                .unwrap_or(0);
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(d))
                .ok_or_else(too_large)?;
        }
        if minor > Self::MAX_MINOR {
            return Err(too_large());
        }
        Ok(Money { minor, currency })
    }

    /// The amount as decimal text in the currency's own precision, e.g. `1234.50`.
    pub fn decimal(&self) -> String {
        let exp = u32::from(self.currency.exponent());
        if exp == 0 {
            return self.minor.to_string();
        }
        let scale = 10i64.pow(exp);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let scale = scale.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exp as usize
        )
    }
}

impl Money {
    /// The amount as people read it: the currency, then the amount with thousands
    /// separators, e.g. `CNY 1,234.50` (the app's tables and a custom money field's column).
    pub fn grouped(&self) -> String {
        let dec = self.decimal();
        let (int, frac) = dec.split_once('.').unwrap_or((dec.as_str(), ""));
        let (sign, digits) = match int.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", int),
        };
        let mut grouped = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        let frac = if frac.is_empty() {
            String::new()
        } else {
            format!(".{frac}")
        };
        format!("{} {sign}{grouped}{frac}", self.currency.code())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny() -> Currency {
        Currency::parse("cny", "currency").unwrap()
    }

    #[test]
    fn grouped_has_thousands_separators_and_the_currency_first() {
        let m = |t: &str| Money::parse(t, cny(), "amount").unwrap();
        assert_eq!(m("1234567.5").grouped(), "CNY 1,234,567.50");
        assert_eq!(m("999").grouped(), "CNY 999.00");
        let neg = Money {
            minor: -123_456,
            currency: cny(),
        };
        assert_eq!(neg.grouped(), "CNY -1,234.56");
        let jpy = Currency::parse("JPY", "currency").unwrap();
        assert_eq!(
            Money::parse("1000", jpy, "a").unwrap().grouped(),
            "JPY 1,000"
        );
    }

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(
            Money::parse("1234.50", cny(), "amount").unwrap().minor,
            123_450
        );
        assert_eq!(
            Money::parse("1,234.5", cny(), "amount").unwrap().minor,
            123_450
        );
        assert_eq!(Money::parse("7", cny(), "amount").unwrap().minor, 700);
        assert_eq!(Money::parse(".25", cny(), "amount").unwrap().minor, 25);
        let jpy = Currency::parse("JPY", "currency").unwrap();
        assert_eq!(Money::parse("1500", jpy, "amount").unwrap().minor, 1500);
        assert_eq!(Money::parse("1500.00", jpy, "amount").unwrap().minor, 1500);
    }

    #[test]
    fn rejects_bad_amounts() {
        assert!(matches!(
            Money::parse("-5", cny(), "amount"),
            Err(ValidationError::NegativeAmount { .. })
        ));
        assert!(matches!(
            Money::parse("1.234", cny(), "amount"),
            Err(ValidationError::TooPrecise { .. })
        ));
        assert!(matches!(
            Money::parse("12a", cny(), "amount"),
            Err(ValidationError::BadAmount { .. })
        ));
        assert!(matches!(
            Money::parse("", cny(), "amount"),
            Err(ValidationError::BadAmount { .. })
        ));
        assert!(matches!(
            Money::parse("99999999999999999999", cny(), "amount"),
            Err(ValidationError::AmountTooLarge { .. })
        ));
        assert!(matches!(
            Money::parse("92233720368547758.07", cny(), "amount"),
            Err(ValidationError::AmountTooLarge { .. })
        ));
        assert_eq!(
            Money::parse("10000000000000", cny(), "amount").map(|m| m.minor),
            Ok(Money::MAX_MINOR)
        );
        assert!(matches!(
            Currency::parse("XYZ", "currency"),
            Err(ValidationError::UnknownCurrency { .. })
        ));
    }

    #[test]
    fn decimal_round_trips() {
        let m = Money::parse("1234.05", cny(), "amount").unwrap();
        assert_eq!(m.decimal(), "1234.05");
        assert_eq!(m.to_string(), "1234.05 CNY");
        assert_eq!(Money::parse(&m.decimal(), cny(), "amount").unwrap(), m);
    }
}
