//! Team settings for value analysis, read from the synced settings document's key/value map.

use std::collections::BTreeMap;

use rapport_model::{Currency, Tier};
use serde::{Deserialize, Serialize};

/// A setting that cannot be used, naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("setting `{key}`: `{value}` is not {expected}")]
    Bad {
        key: String,
        value: String,
        expected: String,
    },
    #[error("setting `{0}` is not a known setting (see `rapport settings`)")]
    Unknown(String),
    #[error(
        "settings: tier percentages must increase: vip {vip} <= major {major} <= common {common} <= 100"
    )]
    TierOrder { vip: u32, major: u32, common: u32 },
}

/// An exchange rate: how many units of the base currency one unit of a currency buys, as a
/// fixed-point integer with six decimals (`7.1` is `7_100_000`). Integer arithmetic keeps the
/// conversion identical on every device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate(pub i64);

impl Rate {
    pub const SCALE: i64 = 1_000_000;
    /// The largest rate accepted (10^9 units of the base currency per unit): larger ones are
    /// typing mistakes.
    pub const MAX: i64 = 1_000_000_000 * Self::SCALE;

    /// Parses a positive decimal such as `7.1` or `0.138`, at most [`Rate::MAX`].
    pub fn parse(s: &str) -> Option<Rate> {
        let t = s.trim();
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if int.is_empty() && frac.is_empty()
            || !int.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 6
        {
            return None;
        }
        let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let frac_val: i64 = format!("{frac:0<6}").parse().ok()?;
        let v = int.checked_mul(Self::SCALE)?.checked_add(frac_val)?;
        (v > 0 && v <= Self::MAX).then_some(Rate(v))
    }
}

/// Everything value analysis can be tuned with. Defaults follow the domain notes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueSettings {
    /// Cumulative share of ranked customers (percent) in VIP, VIP+Major, VIP+Major+Common.
    pub vip_percent: u32,
    pub major_percent: u32,
    pub common_percent: u32,
    /// Revenue window, in months before today.
    pub window_months: u32,
    /// Days between contacts per tier.
    pub cadence_days: BTreeMap<Tier, u32>,
    /// Revenue is ranked in this currency.
    pub base_currency: Currency,
    /// Rates into the base currency. The base itself needs none.
    pub rates: BTreeMap<Currency, Rate>,
    /// Lifetime value inputs.
    pub margin_percent: u32,
    pub lifetime_years: u32,
    pub discount_percent: u32,
}

impl Default for ValueSettings {
    fn default() -> Self {
        ValueSettings {
            vip_percent: 1,
            major_percent: 5,
            common_percent: 20,
            window_months: 12,
            cadence_days: [
                (Tier::Vip, 14),
                (Tier::Major, 30),
                (Tier::Common, 60),
                (Tier::Minor, 90),
            ]
            .into_iter()
            .collect(),
            #[allow(clippy::expect_used)] // a constant that is in the ISO table
            base_currency: Currency::parse("CNY", "currency").expect("CNY is ISO 4217"),
            rates: BTreeMap::new(),
            margin_percent: 30,
            lifetime_years: 3,
            discount_percent: 10,
        }
    }
}

/// Prefixes of setting keys that are not value analysis's (custom field definitions, the
/// phone region, remembered import mappings): value analysis ignores them.
pub const OTHER_KEYS: &[&str] = &["field.", "phone.", "import."];

/// The keys `rapport settings` accepts, with what each means.
pub const KEYS: &[(&str, &str)] = &[
    (
        "tier.vip_percent",
        "top share of customers (percent) that is VIP",
    ),
    ("tier.major_percent", "top share that is VIP or Major"),
    (
        "tier.common_percent",
        "top share that is VIP, Major or Common",
    ),
    (
        "value.window_months",
        "revenue window in months before today",
    ),
    (
        "cadence.vip_days",
        "days between contacts for VIP customers",
    ),
    ("cadence.major_days", "... for Major customers"),
    ("cadence.common_days", "... for Common customers"),
    ("cadence.minor_days", "... for Minor and unranked customers"),
    ("currency.base", "ISO code revenue is ranked in"),
    (
        "rate.XXX",
        "units of the base currency per unit of XXX, e.g. rate.EUR = 7.85",
    ),
    ("clv.margin_percent", "gross margin used for lifetime value"),
    (
        "clv.lifetime_years",
        "expected remaining relationship, in years",
    ),
    (
        "clv.discount_percent",
        "yearly discount rate for lifetime value",
    ),
];

fn number(key: &str, value: &str, min: u32, max: u32) -> Result<u32, SettingsError> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| SettingsError::Bad {
            key: key.to_string(),
            value: rapport_model::excerpt(value),
            expected: format!("a whole number from {min} to {max}"),
        })
}

impl ValueSettings {
    /// Reads settings from the settings document's map: unknown keys and bad values are
    /// errors naming the key, missing keys take their defaults. This is the strict reading a
    /// change made here must pass ([`ValueSettings::check_change`]); what the team's merged
    /// document holds is read with [`ValueSettings::from_map_tolerant`].
    pub fn from_map(map: &BTreeMap<String, String>) -> Result<Self, SettingsError> {
        let mut s = ValueSettings::default();
        for (key, value) in map {
            s.apply(key, value)?;
        }
        s.check_tier_order()?;
        Ok(s)
    }

    /// Reads the merged settings document as every command must be able to: a value that is
    /// bad (a peer running other code, or two honest concurrent edits whose combination
    /// breaks the tier order) never makes the reading fail. Each bad or unknown key is left
    /// at its default and reported; tier percentages out of order are raised to the one
    /// before (`major >= vip`, `common >= major`) and reported. The settings returned are
    /// always ones [`ValueSettings::from_map`] accepts.
    pub fn from_map_tolerant(map: &BTreeMap<String, String>) -> (Self, Vec<SettingsError>) {
        let mut s = ValueSettings::default();
        let mut problems = Vec::new();
        for (key, value) in map {
            // `apply` changes nothing when it refuses a value.
            if let Err(e) = s.apply(key, value) {
                problems.push(e);
            }
        }
        if let Err(e) = s.check_tier_order() {
            problems.push(e);
            s.major_percent = s.major_percent.max(s.vip_percent);
            s.common_percent = s.common_percent.max(s.major_percent);
        }
        (s, problems)
    }

    /// Checks a change to one key (`None` removes it) strictly, against the settings in
    /// effect: the new value must be valid and keep the tier order with the others. A bad
    /// value merged from a peer under another key does not block the change (it is ignored
    /// as [`ValueSettings::from_map_tolerant`] ignores it). Returns the settings after it.
    pub fn check_change(
        map: &BTreeMap<String, String>,
        key: &str,
        value: Option<&str>,
    ) -> Result<Self, SettingsError> {
        let (current, _) = Self::from_map_tolerant(map);
        let mut m = current.to_map();
        // Rates have no default: keep only those set.
        match value {
            Some(v) => {
                m.insert(key.to_string(), v.to_string());
            }
            None => {
                m.remove(key);
            }
        }
        Self::from_map(&m)
    }

    fn check_tier_order(&self) -> Result<(), SettingsError> {
        if self.vip_percent <= self.major_percent && self.major_percent <= self.common_percent {
            Ok(())
        } else {
            Err(SettingsError::TierOrder {
                vip: self.vip_percent,
                major: self.major_percent,
                common: self.common_percent,
            })
        }
    }

    /// Sets one key from its text; on an error nothing changes.
    fn apply(&mut self, key: &str, value: &str) -> Result<(), SettingsError> {
        // Keys other parts of Rapport own share the settings document.
        if OTHER_KEYS.iter().any(|p| key.starts_with(p)) {
            return Ok(());
        }
        let s = self;
        let k = key;
        match k {
            "tier.vip_percent" => s.vip_percent = number(k, value, 0, 100)?,
            "tier.major_percent" => s.major_percent = number(k, value, 0, 100)?,
            "tier.common_percent" => s.common_percent = number(k, value, 0, 100)?,
            "value.window_months" => s.window_months = number(k, value, 1, 120)?,
            "cadence.vip_days"
            | "cadence.major_days"
            | "cadence.common_days"
            | "cadence.minor_days" => {
                let tier = match k {
                    "cadence.vip_days" => Tier::Vip,
                    "cadence.major_days" => Tier::Major,
                    "cadence.common_days" => Tier::Common,
                    _ => Tier::Minor,
                };
                s.cadence_days.insert(tier, number(k, value, 1, 3650)?);
            }
            "currency.base" => {
                s.base_currency =
                    Currency::parse(value, "currency.base").map_err(|_| SettingsError::Bad {
                        key: rapport_model::excerpt(key),
                        value: rapport_model::excerpt(value),
                        expected: "an ISO 4217 currency code".into(),
                    })?;
            }
            "clv.margin_percent" => s.margin_percent = number(k, value, 0, 100)?,
            "clv.lifetime_years" => s.lifetime_years = number(k, value, 0, 50)?,
            "clv.discount_percent" => s.discount_percent = number(k, value, 0, 100)?,
            _ => {
                let Some(code) = k.strip_prefix("rate.") else {
                    return Err(SettingsError::Unknown(rapport_model::excerpt(key)));
                };
                let bad = || SettingsError::Bad {
                    key: rapport_model::excerpt(key),
                    value: rapport_model::excerpt(value),
                    expected: "a positive decimal rate with at most 6 decimals, up to 1000000000"
                        .into(),
                };
                let cur = Currency::parse(code, "rate").map_err(|_| SettingsError::Bad {
                    key: rapport_model::excerpt(key),
                    value: rapport_model::excerpt(code),
                    expected: "an ISO 4217 currency code".into(),
                })?;
                s.rates.insert(cur, Rate::parse(value).ok_or_else(bad)?);
            }
        }
        Ok(())
    }

    /// The key a settings problem is about (`tier.*` for the tier order).
    pub fn problem_key(e: &SettingsError) -> &str {
        match e {
            SettingsError::Bad { key, .. } | SettingsError::Unknown(key) => key,
            SettingsError::TierOrder { .. } => "tier.*_percent",
        }
    }

    /// Whether `key` is a setting [`ValueSettings::from_map`] knows (`rate.XXX` with an ISO
    /// 4217 code), so that removing an unknown one can be refused as a typing mistake.
    pub fn is_known_key(key: &str) -> bool {
        match key.strip_prefix("rate.") {
            Some(code) => Currency::parse(code, "rate").is_ok(),
            None => KEYS.iter().any(|(k, _)| *k == key),
        }
    }

    /// The effective settings as the key/value pairs `rapport settings` shows.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        m.insert("tier.vip_percent".into(), self.vip_percent.to_string());
        m.insert("tier.major_percent".into(), self.major_percent.to_string());
        m.insert(
            "tier.common_percent".into(),
            self.common_percent.to_string(),
        );
        m.insert("value.window_months".into(), self.window_months.to_string());
        for (t, d) in &self.cadence_days {
            m.insert(format!("cadence.{}_days", t.as_str()), d.to_string());
        }
        m.insert(
            "currency.base".into(),
            self.base_currency.code().to_string(),
        );
        for (c, r) in &self.rates {
            let frac = format!("{:06}", r.0 % Rate::SCALE);
            let frac = frac.trim_end_matches('0');
            let v = if frac.is_empty() {
                format!("{}", r.0 / Rate::SCALE)
            } else {
                format!("{}.{frac}", r.0 / Rate::SCALE)
            };
            m.insert(format!("rate.{}", c.code()), v);
        }
        m.insert("clv.margin_percent".into(), self.margin_percent.to_string());
        m.insert("clv.lifetime_years".into(), self.lifetime_years.to_string());
        m.insert(
            "clv.discount_percent".into(),
            self.discount_percent.to_string(),
        );
        m
    }

    /// Days between contacts for a tier (unranked customers use the Minor cadence).
    pub fn cadence(&self, tier: Option<Tier>) -> u32 {
        self.cadence_days
            .get(&tier.unwrap_or(Tier::Minor))
            .copied()
            .unwrap_or(90)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_errors_name_the_key() {
        let d = ValueSettings::default();
        assert_eq!(ValueSettings::from_map(&d.to_map()).unwrap(), d);
        let mut m = BTreeMap::new();
        m.insert("rate.EUR".to_string(), "7.85".to_string());
        m.insert("tier.vip_percent".to_string(), "2".to_string());
        let s = ValueSettings::from_map(&m).unwrap();
        assert_eq!(s.vip_percent, 2);
        assert_eq!(s.rates.values().next(), Some(&Rate(7_850_000)));
        assert_eq!(s.to_map()["rate.EUR"], "7.85");
        m.insert("cadence.vip_days".into(), "soon".into());
        let e = ValueSettings::from_map(&m).unwrap_err().to_string();
        assert!(e.contains("cadence.vip_days"), "{e}");
        let mut m = BTreeMap::new();
        m.insert("tier.vip_percent".into(), "30".into());
        assert!(matches!(
            ValueSettings::from_map(&m),
            Err(SettingsError::TierOrder { .. })
        ));
        let mut m = BTreeMap::new();
        m.insert("colour".into(), "blue".into());
        assert!(matches!(
            ValueSettings::from_map(&m),
            Err(SettingsError::Unknown(_))
        ));
        assert_eq!(Rate::parse("0"), None);
        assert_eq!(Rate::parse("1000000000.000001"), None);
        assert_eq!(Rate::parse("1000000000"), Some(Rate(Rate::MAX)));
        for (k, v) in [("value.window_months", "0"), ("cadence.vip_days", "0")] {
            let m = BTreeMap::from([(k.to_string(), v.to_string())]);
            let e = ValueSettings::from_map(&m).unwrap_err().to_string();
            assert!(e.contains(k) && e.contains("from 1 to"), "{e}");
        }
        assert!(ValueSettings::is_known_key("rate.EUR"));
        assert!(ValueSettings::is_known_key("tier.vip_percent"));
        assert!(!ValueSettings::is_known_key("rate.XYZ"));
        assert!(!ValueSettings::is_known_key("colour"));
        assert_eq!(Rate::parse("1.0000001"), None);
        assert_eq!(Rate::parse(".5"), Some(Rate(500_000)));
    }

    #[test]
    fn tolerant_reading_ignores_bad_merged_values_and_keeps_the_tier_order() {
        let m = BTreeMap::from([
            ("tier.vip_percent".to_string(), "abc".to_string()),
            ("cadence.major_days".to_string(), "21".to_string()),
            ("rate.EUR".to_string(), "-1".to_string()),
            ("colour".to_string(), "blue".to_string()),
        ]);
        let (s, problems) = ValueSettings::from_map_tolerant(&m);
        // The good key applies, each bad one keeps its default and is named.
        assert_eq!(s.cadence(Some(Tier::Major)), 21);
        assert_eq!(s.vip_percent, ValueSettings::default().vip_percent);
        assert!(s.rates.is_empty());
        let keys: Vec<&str> = problems.iter().map(ValueSettings::problem_key).collect();
        assert_eq!(keys, ["colour", "rate.EUR", "tier.vip_percent"]);
        assert!(ValueSettings::from_map(&s.to_map()).is_ok());

        // Two honest concurrent edits: vip raised to 10 while major was lowered to 5.
        let m = BTreeMap::from([
            ("tier.vip_percent".to_string(), "10".to_string()),
            ("tier.major_percent".to_string(), "5".to_string()),
            ("tier.common_percent".to_string(), "8".to_string()),
        ]);
        assert!(ValueSettings::from_map(&m).is_err());
        let (s, problems) = ValueSettings::from_map_tolerant(&m);
        assert_eq!(
            (s.vip_percent, s.major_percent, s.common_percent),
            (10, 10, 10)
        );
        assert!(matches!(problems[..], [SettingsError::TierOrder { .. }]));
        assert_eq!(ValueSettings::from_map(&s.to_map()).as_ref(), Ok(&s));

        // A change is still checked strictly, but a bad merged key elsewhere does not block it.
        let merged = BTreeMap::from([("rate.EUR".to_string(), "abc".to_string())]);
        assert!(ValueSettings::check_change(&merged, "tier.vip_percent", Some("2")).is_ok());
        assert!(ValueSettings::check_change(&merged, "tier.vip_percent", Some("x")).is_err());
        assert!(ValueSettings::check_change(&merged, "tier.vip_percent", Some("30")).is_err());
        assert!(ValueSettings::check_change(&merged, "colour", Some("blue")).is_err());
        let fixed = ValueSettings::check_change(&merged, "rate.EUR", Some("7.85")).unwrap();
        assert_eq!(fixed.rates.values().next(), Some(&Rate(7_850_000)));
    }
}
