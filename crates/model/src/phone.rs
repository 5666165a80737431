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
//! Pure: libphonenumber's metadata is compiled in (`build.rs` reads the copy in `data/`, the
//! one the `phonenumber` crate ships). A number is read with a database of its own country
//! calling code only, built on first use and kept ([`database_for`]): the crate's own
//! database checks every pattern of every country when first used (over 100 ms, more than a
//! whole command may take), one country's takes well under a millisecond. A number one
//! country's data cannot read (a national number written with another international prefix
//! than `00`) is read again with the whole database.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};

use phonenumber::country;
use phonenumber::metadata::{Database, loader};

/// Every country's metadata records (see `build.rs`).
static RECORDS: LazyLock<Vec<loader::Metadata>> = LazyLock::new(|| {
    postcard::from_bytes(include_bytes!(concat!(
        env!("OUT_DIR"),
        "/phone-metadata.bin"
    )))
    .unwrap_or_default()
});

/// Databases built so far, by country calling code.
static DATABASES: LazyLock<Mutex<HashMap<u16, Option<Arc<Database>>>>> =
    LazyLock::new(Mutex::default);

/// The database of one country calling code's countries (`None` for a code no country has).
fn database_for(code: u16) -> Option<Arc<Database>> {
    let mut built = DATABASES.lock().unwrap_or_else(|p| p.into_inner());
    built
        .entry(code)
        .or_insert_with(|| {
            let records: Vec<loader::Metadata> = RECORDS
                .iter()
                .filter(|m| m.country_code == Some(code))
                .cloned()
                .collect();
            if records.is_empty() {
                return None;
            }
            Database::from(records).ok().map(Arc::new)
        })
        .clone()
}

/// The calling code of `region`.
fn code_of(region: Region) -> Option<u16> {
    RECORDS
        .iter()
        .find(|m| m.id.as_deref() == Some(region.as_str()))
        .and_then(|m| m.country_code)
}

/// The calling code an international number (`+` and digits) starts with: codes are
/// prefix-free, so the first of 1 to 3 digits that is one is it.
fn code_in(international: &str) -> Option<u16> {
    let digits: String = international
        .chars()
        .skip_while(|c| *c != '+')
        .skip(1)
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .take_while(char::is_ascii_digit)
        .take(3)
        .collect();
    (1..=digits.len()).find_map(|n| {
        let code: u16 = digits[..n].parse().ok()?;
        RECORDS
            .iter()
            .any(|m| m.country_code == Some(code))
            .then_some(code)
    })
}

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

fn parsed(raw: &str, region: Option<Region>) -> Option<Parsed> {
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
    phonenumber::is_viable(&text).then_some(())?;
    let code = if text.trim_start().starts_with('+') {
        code_in(&text)
    } else {
        region.and_then(code_of)
    };
    let read = |db: &Database| {
        let n = phonenumber::parse_with(db, region.map(|r| r.0), &text).ok()?;
        n.is_valid_with(db).then_some(n)
    };
    if let Some(db) = code.and_then(database_for)
        && let Some(n) = read(&db)
    {
        return Some(Parsed { number: n, db });
    }
    // A national number with another international prefix (`011 49 ...` in the US) names a
    // country the region's data does not hold: the whole database reads it.
    if region.is_some() && !text.trim_start().starts_with('+') {
        let db = &*phonenumber::metadata::DATABASE;
        let n = read(db)?;
        let own = database_for(n.code().value())?;
        return Some(Parsed { number: n, db: own });
    }
    None
}

/// A number read, with the database of its country calling code.
struct Parsed {
    number: phonenumber::PhoneNumber,
    db: Arc<Database>,
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
        Some(p) => e164(&p),
        None => raw.trim().to_string(),
    }
}

fn e164(p: &Parsed) -> String {
    // What the crate's E.164 formatter writes (not called: see [`styled`]).
    with_ext(
        format!("+{}{}", p.number.country().code(), p.number.national()),
        &p.number,
    )
}

/// What duplicates are matched by: the canonical form of a valid number, else its digits
/// (`+` kept for an international one, `00` read as `+`).
pub fn key(raw: &str, region: Option<Region>) -> String {
    if let Some(p) = parsed(raw, region) {
        return e164(&p);
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

/// How a number is shown: national style in the team's own country, international for the
/// others, as written when it does not parse.
pub fn display(raw: &str, region: Option<Region>) -> String {
    let Some(Parsed { number: n, db }) = parsed(raw, region) else {
        return raw.trim().to_string();
    };
    let country = n
        .metadata(&db)
        .and_then(|m| country::Id::from_str(m.id()).ok());
    let home = region.is_some_and(|r| country == Some(r.0));
    styled(&n, &db, home).unwrap_or_else(|| raw.trim().to_string())
}

/// `n` in national (`home`) or international style, with its extension (` ext. 102`).
///
/// This is `phonenumber`'s own formatter (`formatter.rs`, its `Display`), step for step, over
/// the database `n` was read with: the crate's `Display` evaluates `unwrap_or(&DATABASE)`
/// eagerly, which loads its whole database (every pattern of every country checked) even
/// when it is given another, and that load alone is over 100 ms per process. The test
/// `one_countrys_data_reads_numbers_as_the_whole_database_does` holds the two to the same
/// output.
fn styled(n: &phonenumber::PhoneNumber, db: &Database, home: bool) -> Option<String> {
    static FIRST_GROUP: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| regex::Regex::new(r"(\$\d)").ok());
    let code = n.country().code();
    let meta = db.by_code(&code)?.into_iter().next()?;
    let national = n.national().to_string();
    let formats = if meta.international_formats().is_empty() || home {
        meta.formats()
    } else {
        meta.international_formats()
    };
    let format = formats.iter().find(|f| {
        let leading = f.leading_digits();
        leading.is_empty()
            || leading
                .last()
                .and_then(|l| l.find(&national))
                .is_some_and(|m| m.start() == 0)
                && f.pattern()
                    .find(&national)
                    .is_some_and(|m| m.start() == 0 && m.end() == national.len())
    });
    let body = match format {
        None => national.clone(),
        Some(f) => {
            let rule = if home { f.national_prefix() } else { None };
            // National style puts the national prefix into the first group (`0$1`,
            // `($1)`) as the format's rule says.
            let template: String = match (rule, FIRST_GROUP.as_ref()) {
                (Some(rule), Some(first_group)) => {
                    let first = first_group
                        .captures(f.format())
                        .and_then(|c| c.get(1))
                        .map_or("", |m| m.as_str());
                    let with = rule
                        .replace("$NP", meta.national_prefix().unwrap_or(""))
                        .replace("$FG", &format!("${first}"))
                        .replace("$CC", "");
                    first_group.replace(f.format(), with.as_str()).into_owned()
                }
                _ => f.format().to_string(),
            };
            f.pattern()
                .replace(&national, template.as_str())
                .into_owned()
        }
    };
    let ext = match n.extension() {
        Some(e) => format!(
            "{}{}",
            meta.preferred_extension_prefix().unwrap_or(" ext. "),
            &**e
        ),
        None => String::new(),
    };
    Some(if home {
        format!("{body}{ext}")
    } else {
        format!("+{code} {body}{ext}")
    })
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
    fn numbers_of_other_countries_and_prefixes_are_read_with_their_own_data() {
        let us = Some(Region::parse("US").unwrap());
        // A US number dialled from the US with its international prefix `011`: the region's
        // own data does not hold Germany, the whole database reads it.
        assert_eq!(canonical("011 49 30 1234567", us), "+49301234567");
        assert_eq!(display("011 49 30 1234567", us), "+49 30 1234567");
        // Code 1 is shared by the US and Canada: each is home only to itself.
        assert_eq!(display("+1 416 555 0199", us), "+1 416-555-0199");
        let ca = Some(Region::parse("CA").unwrap());
        assert_eq!(display("+1 416 555 0199", ca), "(416) 555-0199");
        // Japan, Germany, France from China, and a code no country has.
        assert_eq!(display("+81 3-1234-5678", cn()), "+81 3-1234-5678");
        assert_eq!(display("+33 1 23 45 67 89", cn()), "+33 1 23 45 67 89");
        assert_eq!(canonical("+999 1234 5678", cn()), "+999 1234 5678");
        assert_eq!(key("pager", cn()), "");
        // `00` is the international prefix when no region says otherwise.
        assert_eq!(canonical("0049 30 1234567", None), "+49301234567");
    }

    use phonenumber::Mode;

    /// What the `phonenumber` crate's whole database says (the way this module read numbers
    /// before it built one country's database at a time): canonical and displayed forms.
    fn whole(raw: &str, region: Option<Region>) -> Option<(String, String)> {
        let (number, ext) = split_extension(raw);
        let number = number.strip_prefix("tel:").unwrap_or(number).trim_start();
        let number = match number.strip_prefix("(+").and_then(|r| r.split_once(')')) {
            Some((code, rest)) => format!("+{code} {rest}"),
            None => number.to_string(),
        };
        let number = match number.trim_start().strip_prefix("00") {
            Some(rest) if region.is_none() || !rest.starts_with('0') => format!("+{rest}"),
            _ => number,
        };
        let text = match ext {
            Some(e) => format!("{number} ext. {e}"),
            None => number,
        };
        let n = phonenumber::parse(region.map(|r| r.0), &text).ok()?;
        (phonenumber::is_viable(&text) && n.is_valid()).then_some(())?;
        let home = region.is_some_and(|r| n.country().id() == Some(r.0));
        let mode = if home {
            Mode::National
        } else {
            Mode::International
        };
        Some((
            with_ext(n.format().mode(Mode::E164).to_string(), &n),
            n.format().mode(mode).to_string(),
        ))
    }

    #[test]
    fn one_countrys_data_reads_numbers_as_the_whole_database_does() {
        let numbers = [
            "+86 138 1234 5678",
            "13812345678",
            "008613812345678",
            "(+86) 13812345678",
            "010 6552 9988",
            "+49 30 1234567",
            "030 1234567",
            "0049 89 123456",
            "0049 30 1234567",
            "+1-418-656-9254;ext=102",
            "+1 416 555 0199",
            "202 555 0100",
            "+44 20 7946 0958",
            "020 7946 0958",
            "+33 1 23 45 67 89",
            "01 23 45 67 89",
            "+81 3-1234-5678",
            "03-1234-5678",
            "+34 912 34 56 78",
            "+852 2123 4567",
            "+886 2 2345 6789",
            "+7 495 123-45-67",
            "+61 2 9876 5432",
            "+999 1234 5678",
            "pager",
            "12",
        ];
        let regions: Vec<Option<Region>> = std::iter::once(None)
            .chain(
                ["CN", "DE", "US", "CA", "GB", "FR", "JP", "ES", "HK", "TW"]
                    .iter()
                    .map(|r| Some(Region::parse(r).unwrap())),
            )
            .collect();
        let mut differ = Vec::new();
        for raw in numbers {
            for &region in &regions {
                let ours =
                    parsed(raw, region).map(|_| (canonical(raw, region), display(raw, region)));
                let theirs = whole(raw, region);
                // The whole database refuses some international numbers under some regions
                // (`+33 1 ...` with CN); one country's data reads them as it does with no
                // region at all: abroad, so in international style.
                let abroad = theirs.is_none() && ours.is_some() && ours == whole(raw, None);
                if ours != theirs && !abroad {
                    differ.push(format!("{raw} in {region:?}: {ours:?} / {theirs:?}"));
                }
            }
        }
        assert!(differ.is_empty(), "{}", differ.join("\n"));
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
