//! Phone numbers: one number however it is written.
//!
//! `+86 138 1234 5678`, `13812345678` (in China) and `008613812345678` are the same phone. With
//! the team's default [`Region`] (a team setting, e.g. `CN` or `DE`) a national number is read
//! as that country's, through `phonenumber` (libphonenumber's metadata). Then:
//!
//! - [`canonical`]: what is stored: E.164 (`+8613812345678`), with ` ext. 102` for an
//!   extension; a number that cannot be read is kept exactly as written (trimmed).
//! - [`key`]: what duplicates are matched by: the canonical form when the number parses,
//!   else its digits (with `+` for an international prefix), as before regions existed.
//! - [`display`]: how it is shown: national style for the team's own country
//!   (`138 1234 5678`, `030 1234567`), international for others (`+1 418-656-9254 ext. 102`),
//!   as written when it does not parse.
//!
//! Extensions: `;ext=102` (RFC 3966, vCard 4), ` ext. 102`, `ext 102`, `x102` and `#102` are
//! all read as extension 102 ([`split_extension`]).
//!
//! Pure: libphonenumber's data is compiled into the `phonenumber` crate (loaded once, on the
//! first number parsed).

use std::str::FromStr;

use phonenumber::{Mode, country};

use crate::{ValidationError, excerpt};

/// A country whose national numbers are read without a `+` prefix (ISO 3166 alpha-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region(country::Id);

impl Region {
    /// Parses a two-letter region code (`CN`, `de`).
    pub fn parse(s: &str) -> Result<Region, ValidationError> {
        let up = s.trim().to_ascii_uppercase();
        country::Id::from_str(&up)
            .map(Region)
            .map_err(|_| ValidationError::NotOneOf {
                field: "phone region",
                value: excerpt(s),
                allowed: "a two-letter country code such as CN, DE, FR, ES, JP, US or GB",
            })
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }
}

/// Splits an extension off a written number: `(number, Some(digits))`.
pub fn split_extension(s: &str) -> (&str, Option<&str>) {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    for marker in [
        ";ext=", " ext. ", " ext.", " ext ", "ext.", "ext", " x", "x", "#",
    ] {
        if let Some(at) = lower.rfind(marker) {
            let ext = t[at + marker.len()..].trim();
            let number = t[..at].trim_end();
            if !ext.is_empty()
                && ext.len() <= 10
                && ext.chars().all(|c| c.is_ascii_digit())
                && number.chars().filter(char::is_ascii_digit).count() >= 3
            {
                return (number, Some(ext));
            }
        }
    }
    (t, None)
}

fn parsed(raw: &str, region: Option<Region>) -> Option<phonenumber::PhoneNumber> {
    let (number, ext) = split_extension(raw);
    let number = number.strip_prefix("tel:").unwrap_or(number).trim_start();
    // `(+86) 138...`: a country code in brackets.
    let unbracketed;
    let number = match number.strip_prefix("(+").and_then(|r| r.split_once(')')) {
        Some((code, rest)) => {
            unbracketed = format!("+{code} {rest}");
            unbracketed.as_str()
        }
        None => number,
    };
    // `00` is the international prefix almost everywhere.
    let intl;
    let number = match number.trim_start().strip_prefix("00") {
        Some(rest) if region.is_none() || !rest.starts_with('0') => {
            intl = format!("+{rest}");
            intl.as_str()
        }
        _ => number,
    };
    let text = match ext {
        Some(e) => format!("{number} ext. {e}"),
        None => number.to_string(),
    };
    let n = phonenumber::parse(region.map(|r| r.0), &text).ok()?;
    phonenumber::is_viable(&text).then_some(())?;
    n.is_valid().then_some(n)
}

fn with_ext(base: String, n: &phonenumber::PhoneNumber) -> String {
    match n.extension() {
        Some(e) if !e.is_empty() => format!("{base} ext. {}", &**e),
        _ => base,
    }
}

/// The stored form: E.164 with ` ext. N`, or the number as written when it cannot be read.
pub fn canonical(raw: &str, region: Option<Region>) -> String {
    match parsed(raw, region) {
        Some(n) => with_ext(n.format().mode(Mode::E164).to_string(), &n),
        None => raw.trim().to_string(),
    }
}

/// What duplicates are matched by: the canonical form of a valid number, else its digits
/// (`+` kept for an international one, `00` read as `+`).
pub fn key(raw: &str, region: Option<Region>) -> String {
    if let Some(n) = parsed(raw, region) {
        return with_ext(n.format().mode(Mode::E164).to_string(), &n);
    }
    let t = raw.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    if t.starts_with('+') {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else {
        digits
    }
}

/// Loads libphonenumber's metadata now (about 80 ms on a laptop: every pattern is checked as
/// it is loaded), so that a caller can do it on another thread while it does other work; the
/// first [`display`], [`canonical`] or [`key`] otherwise pays it.
pub fn load_metadata() {
    let _ = phonenumber::parse(None, "+1 202 555 0100");
}

/// How a number is shown: national style in the team's own country, international for the
/// others, as written when it does not parse.
pub fn display(raw: &str, region: Option<Region>) -> String {
    let Some(n) = parsed(raw, region) else {
        return raw.trim().to_string();
    };
    let home = region.is_some_and(|r| n.country().id() == Some(r.0));
    // The formatter writes the extension itself (` ext. 102`).
    n.format()
        .mode(if home {
            Mode::National
        } else {
            Mode::International
        })
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn() -> Option<Region> {
        Some(Region::parse("cn").unwrap())
    }

    #[test]
    fn one_number_however_written() {
        for raw in [
            "+86 138 1234 5678",
            "13812345678",
            "008613812345678",
            "+86-138-1234-5678",
            "(+86) 13812345678",
        ] {
            assert_eq!(canonical(raw, cn()), "+8613812345678", "{raw}");
            assert_eq!(key(raw, cn()), "+8613812345678", "{raw}");
        }
        assert_eq!(display("+8613812345678", cn()), "138 1234 5678");
        let de = Some(Region::parse("DE").unwrap());
        assert_eq!(canonical("030 1234567", de), "+49301234567");
        assert_eq!(display("+49301234567", de), "030 1234567");
        assert_eq!(display("+49301234567", cn()), "+49 30 1234567");
        // Without a region a national number stays as it is, and keys by its digits.
        assert_eq!(canonical("030 1234567", None), "030 1234567");
        assert_eq!(key("030 1234567", None), "0301234567");
    }

    #[test]
    fn extensions_are_kept() {
        for raw in [
            "tel:+1-418-656-9254;ext=102",
            "+1-418-656-9254 ext. 102",
            "+1 418 656 9254 x102",
            "+1 (418) 656-9254 ext 102",
            "+1 418 656 9254 #102",
        ] {
            assert_eq!(
                split_extension(raw.strip_prefix("tel:").unwrap_or(raw)).1,
                Some("102"),
                "{raw}"
            );
            assert_eq!(canonical(raw, cn()), "+14186569254 ext. 102", "{raw}");
            assert_eq!(display(raw, cn()), "+1 418-656-9254 ext. 102", "{raw}");
        }
        assert_ne!(
            key("+1 418 656 9254", None),
            key("+1 418 656 9254 ext. 102", None)
        );
    }

    #[test]
    fn what_does_not_parse_is_kept_as_written() {
        for raw in ["pager", "123", "  +12 ", "call the office"] {
            assert_eq!(canonical(raw, cn()), raw.trim());
            assert_eq!(display(raw, cn()), raw.trim());
        }
        assert!(Region::parse("XX").is_err());
        assert!(Region::parse("china").is_err());
        assert_eq!(Region::parse(" jp ").unwrap().as_str(), "JP");
    }
}
