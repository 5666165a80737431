//! Custom fields: the team's own columns (contract expiry, machine model, territory, credit
//! limit, WeChat group).
//!
//! A field is defined once for the team ([`FieldDef`]: a stable id, a name, a [`FieldKind`]
//! and, for a choice, its options) and stored in the team settings document under the key
//! `field.<id>` ([`FIELD_KEY_PREFIX`]), so definitions sync and, in a signed team, only admins
//! change them. Values live in each customer's document (`fields: { id: text }`, see
//! [`crate::Customer::fields`]), so two devices editing different fields of one customer both
//! keep their edit, and the same field edited twice shows a conflict like any other field.
//!
//! Invariants:
//! - Values are keyed by the id, never the name: renaming a field keeps every value.
//! - Removing a field marks it `removed`; values stay in the documents and come back when the
//!   field is restored.
//! - A value is stored as its kind's canonical text ([`FieldDef::parse`]): a number as a
//!   plain decimal (`1234.5`), money as `1234.56 CNY`, a date as `YYYY-MM-DD`, yes/no as
//!   `yes` or `no`, a choice as one of its options exactly as defined.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Money, ValidationError, check_line, excerpt};

/// Settings keys of field definitions start with this.
pub const FIELD_KEY_PREFIX: &str = "field.";

/// Most options a choice field may have.
pub const MAX_OPTIONS: usize = 100;

/// What a custom field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Money,
    Date,
    /// One of a list of options.
    Choice,
    /// Yes or no.
    YesNo,
}

impl FieldKind {
    /// Every kind, as the CLI names them.
    pub const ALL: &'static [FieldKind] = &[
        FieldKind::Text,
        FieldKind::Number,
        FieldKind::Money,
        FieldKind::Date,
        FieldKind::Choice,
        FieldKind::YesNo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Money => "money",
            FieldKind::Date => "date",
            FieldKind::Choice => "choice",
            FieldKind::YesNo => "yes_no",
        }
    }

    pub fn parse(s: &str) -> Result<FieldKind, ValidationError> {
        let n = s.trim().to_ascii_lowercase().replace(['-', ' ', '/'], "_");
        Ok(match n.as_str() {
            "text" => FieldKind::Text,
            "number" => FieldKind::Number,
            "money" => FieldKind::Money,
            "date" => FieldKind::Date,
            "choice" => FieldKind::Choice,
            "yes_no" | "yesno" | "bool" | "boolean" => FieldKind::YesNo,
            _ => {
                return Err(ValidationError::NotOneOf {
                    field: "kind",
                    value: excerpt(s),
                    allowed: "text number money date choice yes_no",
                });
            }
        })
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One custom field, as the team defined it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldDef {
    /// Stable id (the settings key's suffix and the key of values in documents).
    pub id: String,
    pub name: String,
    pub kind: FieldKind,
    /// The options of a choice field, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Removed fields are hidden everywhere and can be restored.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

/// Checks a field id: 1 to 64 ASCII letters, digits, `-` or `_`.
pub fn check_field_id(id: &str) -> Result<(), ValidationError> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ValidationError::NotOneOf {
            field: "field id",
            value: excerpt(id),
            allowed: "1 to 64 letters, digits, - or _",
        });
    }
    Ok(())
}

impl FieldDef {
    /// A new definition with a checked name and options.
    pub fn new(
        id: impl Into<String>,
        name: &str,
        kind: FieldKind,
        options: Vec<String>,
    ) -> Result<FieldDef, ValidationError> {
        let def = FieldDef {
            id: id.into(),
            name: name.trim().to_string(),
            kind,
            options: options.iter().map(|o| o.trim().to_string()).collect(),
            removed: false,
        };
        def.check()?;
        Ok(def)
    }

    /// Checks the definition (also one read from a peer's settings).
    pub fn check(&self) -> Result<(), ValidationError> {
        check_field_id(&self.id)?;
        check_line("field name", &self.name)?;
        if self.name.trim().is_empty() {
            return Err(ValidationError::Empty {
                field: "field name",
            });
        }
        if self.kind == FieldKind::Choice && self.options.is_empty() {
            return Err(ValidationError::NotOneOf {
                field: "options",
                value: String::new(),
                allowed: "at least one --option for a choice field",
            });
        }
        if self.options.len() > MAX_OPTIONS {
            return Err(ValidationError::NotOneOf {
                field: "options",
                value: self.options.len().to_string(),
                allowed: "at most 100 options",
            });
        }
        for o in &self.options {
            check_line("option", o)?;
            if o.is_empty() {
                return Err(ValidationError::Empty { field: "option" });
            }
        }
        Ok(())
    }

    /// The settings key this definition is stored under.
    pub fn key(&self) -> String {
        format!("{FIELD_KEY_PREFIX}{}", self.id)
    }

    /// The settings value (JSON).
    pub fn to_setting(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A definition from its settings entry; `None` for other keys or a damaged value.
    pub fn from_setting(key: &str, value: &str) -> Option<FieldDef> {
        let id = key.strip_prefix(FIELD_KEY_PREFIX)?;
        let def: FieldDef = serde_json::from_str(value).ok()?;
        (def.id == id && def.check().is_ok()).then_some(def)
    }

    /// Reads a value typed by a person or a file into its canonical text. Empty is `None`
    /// (clear the field). `default_currency` is used for money written without one.
    pub fn parse(
        &self,
        input: &str,
        default_currency: crate::Currency,
    ) -> Result<Option<String>, ValidationError> {
        let t = input.trim();
        if t.is_empty() {
            return Ok(None);
        }
        check_line("field value", t)?;
        let bad = |allowed: &'static str| ValidationError::NotOneOf {
            field: "field value",
            value: excerpt(t),
            allowed,
        };
        Ok(Some(match self.kind {
            FieldKind::Text => t.to_string(),
            FieldKind::Number => {
                let cleaned: String = t.chars().filter(|c| *c != ',' && *c != '_').collect();
                let n: f64 = cleaned
                    .parse()
                    .map_err(|_| bad("a number such as 12 or 3.5"))?;
                if !n.is_finite() {
                    return Err(bad("a number such as 12 or 3.5"));
                }
                // Canonical: the decimal as typed, without grouping or a leading `+`.
                cleaned.trim_start_matches('+').to_string()
            }
            FieldKind::Money => {
                // `1200`, `1200.50 EUR`, `EUR 1200.50`.
                let mut currency = default_currency;
                let mut amount = String::new();
                for part in t.split_whitespace() {
                    if part.len() == 3 && part.chars().all(|c| c.is_ascii_alphabetic()) {
                        currency = crate::Currency::parse(part, "field value")?;
                    } else {
                        amount.push_str(part);
                    }
                }
                Money::parse(&amount, currency, "field value")
                    .map_err(|_| bad("an amount such as 1200 or 1200.50 EUR"))?
                    .to_string()
            }
            FieldKind::Date => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| bad("a date YYYY-MM-DD"))?
                .format("%Y-%m-%d")
                .to_string(),
            FieldKind::YesNo => match t.to_lowercase().as_str() {
                "yes" | "y" | "true" | "1" | "ja" | "oui" | "sí" | "si" | "是" | "はい" => {
                    "yes".into()
                }
                "no" | "n" | "false" | "0" | "nein" | "non" | "否" | "いいえ" => "no".into(),
                _ => return Err(bad("yes or no")),
            },
            FieldKind::Choice => {
                let folded = crate::text::fold(t);
                self.options
                    .iter()
                    .find(|o| crate::text::fold(o) == folded)
                    .cloned()
                    .ok_or(ValidationError::NotOneOf {
                        field: "field value",
                        value: excerpt(t),
                        allowed: "one of the field's options (rapport field list)",
                    })?
            }
        }))
    }

    /// A stored value as people read it: money as `CNY 50,000.00` (as the app shows
    /// amounts), yes/no as `Yes` or `No`; other kinds, and a value its kind cannot read, as
    /// stored.
    pub fn display(&self, value: &str) -> String {
        match self.kind {
            FieldKind::YesNo => match value {
                "yes" => "Yes".into(),
                "no" => "No".into(),
                other => other.into(),
            },
            FieldKind::Money => {
                let mut parts = value.split_whitespace();
                let (Some(amount), Some(code), None) = (parts.next(), parts.next(), parts.next())
                else {
                    return value.into();
                };
                crate::Currency::parse(code, "field value")
                    .and_then(|c| Money::parse(amount, c, "field value"))
                    .map_or_else(|_| value.into(), |m| m.grouped())
            }
            _ => value.into(),
        }
    }

    /// A number to sort and filter by: the number, the money amount, or the date's day
    /// number; `None` for the other kinds or a value that does not read.
    pub fn numeric(&self, value: &str) -> Option<f64> {
        match self.kind {
            FieldKind::Number => value.parse().ok(),
            FieldKind::Money => value
                .split_whitespace()
                .find_map(|p| p.replace(',', "").parse::<f64>().ok()),
            FieldKind::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .ok()
                .map(|d| f64::from(chrono::Datelike::num_days_from_ce(&d))),
            _ => None,
        }
    }
}

/// The team's field definitions, from its settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields(pub Vec<FieldDef>);

impl Fields {
    /// Every definition among `settings` (damaged entries are skipped), by name.
    pub fn from_settings<'a>(settings: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        let mut v: Vec<FieldDef> = settings
            .into_iter()
            .filter_map(|(k, v)| FieldDef::from_setting(k, v))
            .collect();
        v.sort_by(|a, b| {
            crate::text::sort_key(&a.name)
                .cmp(&crate::text::sort_key(&b.name))
                .then(a.id.cmp(&b.id))
        });
        Fields(v)
    }

    /// The fields in use (not removed).
    pub fn active(&self) -> impl Iterator<Item = &FieldDef> {
        self.0.iter().filter(|f| !f.removed)
    }

    /// A field in use by its name (folded: case, width and spaces do not matter) or its id.
    pub fn find(&self, name_or_id: &str) -> Option<&FieldDef> {
        let folded = crate::text::fold(name_or_id);
        self.active()
            .find(|f| crate::text::fold(&f.name) == folded)
            .or_else(|| self.active().find(|f| f.id == name_or_id.trim()))
    }

    /// Any field (removed ones too) by name or id.
    pub fn find_any(&self, name_or_id: &str) -> Option<&FieldDef> {
        let folded = crate::text::fold(name_or_id);
        self.0
            .iter()
            .find(|f| crate::text::fold(&f.name) == folded || f.id == name_or_id.trim())
    }

    /// By id (removed ones too).
    pub fn by_id(&self, id: &str) -> Option<&FieldDef> {
        self.0.iter().find(|f| f.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: FieldKind, options: &[&str]) -> FieldDef {
        FieldDef::new(
            "f1",
            "Field",
            kind,
            options.iter().map(|s| s.to_string()).collect(),
        )
        .unwrap()
    }

    #[test]
    fn values_read_into_their_canonical_text() {
        let eur = crate::Currency::parse("EUR", "currency").unwrap();
        let p = |k, o: &[&str], v: &str| def(k, o).parse(v, eur);
        assert_eq!(
            p(FieldKind::Text, &[], " WeChat 群 ").unwrap().unwrap(),
            "WeChat 群"
        );
        assert_eq!(
            p(FieldKind::Number, &[], "1,250.5").unwrap().unwrap(),
            "1250.5"
        );
        assert!(p(FieldKind::Number, &[], "lots").is_err());
        assert_eq!(
            p(FieldKind::Money, &[], "1200").unwrap().unwrap(),
            "1200.00 EUR"
        );
        assert_eq!(
            p(FieldKind::Money, &[], "CNY 88.5").unwrap().unwrap(),
            "88.50 CNY"
        );
        assert_eq!(
            p(FieldKind::Date, &[], "2027-03-31").unwrap().unwrap(),
            "2027-03-31"
        );
        assert!(p(FieldKind::Date, &[], "31.3.2027").is_err());
        assert_eq!(p(FieldKind::YesNo, &[], "Ja").unwrap().unwrap(), "yes");
        assert_eq!(p(FieldKind::YesNo, &[], "否").unwrap().unwrap(), "no");
        assert_eq!(
            p(FieldKind::Choice, &["North", "South"], "north")
                .unwrap()
                .unwrap(),
            "North"
        );
        assert!(p(FieldKind::Choice, &["North", "South"], "East").is_err());
        assert_eq!(p(FieldKind::Text, &[], "  ").unwrap(), None);
        assert!(FieldDef::new("f2", "Region", FieldKind::Choice, vec![]).is_err());
        assert!(FieldDef::new("bad id", "Region", FieldKind::Text, vec![]).is_err());
    }

    #[test]
    fn values_display_readably() {
        assert_eq!(
            def(FieldKind::Money, &[]).display("50000.00 CNY"),
            "CNY 50,000.00"
        );
        assert_eq!(def(FieldKind::Money, &[]).display("odd"), "odd");
        assert_eq!(def(FieldKind::YesNo, &[]).display("yes"), "Yes");
        assert_eq!(def(FieldKind::YesNo, &[]).display("no"), "No");
        assert_eq!(
            def(FieldKind::Date, &[]).display("2027-03-31"),
            "2027-03-31"
        );
        assert_eq!(def(FieldKind::Text, &[]).display("yes"), "yes");
    }

    #[test]
    fn definitions_round_trip_through_settings_and_are_found_by_name() {
        let a = FieldDef::new("a1", "Contract expiry", FieldKind::Date, vec![]).unwrap();
        let mut b = FieldDef::new(
            "b2",
            "Territory",
            FieldKind::Choice,
            vec!["North".into(), "South".into()],
        )
        .unwrap();
        b.removed = true;
        let settings: std::collections::BTreeMap<String, String> = [
            (a.key(), a.to_setting()),
            (b.key(), b.to_setting()),
            ("field.x".into(), "not json".into()),
            ("currency".into(), "EUR".into()),
        ]
        .into_iter()
        .collect();
        let fields = Fields::from_settings(&settings);
        assert_eq!(fields.0, vec![a.clone(), b.clone()]);
        assert_eq!(fields.find("contract  EXPIRY"), Some(&a));
        assert_eq!(
            fields.find("Territory"),
            None,
            "removed fields are not in use"
        );
        assert_eq!(fields.find_any("Territory"), Some(&b));
        assert_eq!(fields.active().count(), 1);
        assert_eq!(
            def(FieldKind::Date, &[]).numeric("1970-01-02"),
            Some(719164.0)
        );
        assert_eq!(
            def(FieldKind::Money, &[]).numeric("1200.50 EUR"),
            Some(1200.5)
        );
    }
}
