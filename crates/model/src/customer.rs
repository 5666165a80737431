//! The records: customer, contact, follow-up, interaction, deal.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::{CustomerId, ItemId, Money, Timestamp, ValidationError, excerpt};

/// Declares a closed enum with a stable lowercase text form (used in documents, CLI and JSON).
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The allowed texts, for error messages.
            pub const ALLOWED: &'static str = concat!($($text, " "),+);

            /// The stable text form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the text form (case-insensitive; `-` and ` ` count as `_`).
            pub fn parse(s: &str) -> Result<Self, ValidationError> {
                let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
                match norm.as_str() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ValidationError::NotOneOf {
                        field: $field,
                        value: excerpt(s),
                        allowed: Self::ALLOWED.trim_ascii_end(),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

text_enum!(
    /// A customer is a company or a person.
    CustomerKind, "kind" { Company = "company", Person = "person" }
);
text_enum!(
    /// 客户生命周期: exploration (考察期) → formation (形成期) → stability (稳定期) → decline (退化期).
    LifecycleStage, "stage" {
        Exploration = "exploration",
        Formation = "formation",
        Stability = "stability",
        Decline = "decline",
    }
);
text_enum!(
    /// Customer value tier by revenue rank (Pareto classes), best first.
    Tier, "tier" { Vip = "vip", Major = "major", Common = "common", Minor = "minor" }
);
text_enum!(
    /// Importance mark.
    Importance, "importance" { Important = "important", NotImportant = "not_important" }
);
text_enum!(
    /// Urgency mark.
    Urgency, "urgency" {
        Urgent = "urgent",
        Soon = "soon",
        NotUrgent = "not_urgent",
        CanWait = "can_wait",
    }
);
text_enum!(
    /// What a follow-up is.
    FollowUpKind, "kind" {
        Call = "call",
        Visit = "visit",
        Email = "email",
        Meeting = "meeting",
        Other = "other",
    }
);
text_enum!(
    /// What an interaction was.
    InteractionKind, "kind" {
        Call = "call",
        Visit = "visit",
        Email = "email",
        Meeting = "meeting",
        Message = "message",
        Other = "other",
    }
);
text_enum!(
    /// A deal is open, won or lost. Won deals are the purchase history.
    DealStatus, "status" { Open = "open", Won = "won", Lost = "lost" }
);

// The enum is declared by `text_enum!`, which cannot take `#[default]` on a variant.
#[allow(clippy::derivable_impls)]
impl Default for CustomerKind {
    fn default() -> Self {
        CustomerKind::Company
    }
}
// The enum is declared by `text_enum!`, which cannot take `#[default]` on a variant.
#[allow(clippy::derivable_impls)]
impl Default for Importance {
    fn default() -> Self {
        Importance::NotImportant
    }
}
// The enum is declared by `text_enum!`, which cannot take `#[default]` on a variant.
#[allow(clippy::derivable_impls)]
impl Default for Urgency {
    fn default() -> Self {
        Urgency::NotUrgent
    }
}

/// When a follow-up is due: a local calendar date, optionally with a wall-clock time.
/// Stored as `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, which sort in time order as text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Due {
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
}

impl Due {
    /// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM`.
    pub fn parse(s: &str, field: &'static str) -> Result<Self, ValidationError> {
        let t = s.trim();
        let bad_date = || ValidationError::BadDate {
            field,
            value: excerpt(s),
        };
        let (d, tm) = match t.split_once(['T', ' ']) {
            Some((d, tm)) => (d, Some(tm)),
            None => (t, None),
        };
        let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad_date())?;
        let time = match tm {
            None => None,
            Some(tm) => Some(
                NaiveTime::parse_from_str(tm, "%H:%M")
                    .or_else(|_| NaiveTime::parse_from_str(tm, "%H:%M:%S"))
                    .map_err(|_| ValidationError::BadTime {
                        field,
                        value: excerpt(tm),
                    })?,
            ),
        };
        Ok(Due { date, time })
    }

    /// The moment it falls due in local wall-clock terms (a date alone is due at its start).
    pub fn at(&self) -> NaiveDateTime {
        self.date.and_time(self.time.unwrap_or(NaiveTime::MIN))
    }

    /// Overdue at `now` (local wall time): a dated-only follow-up is overdue once its day has
    /// passed; a timed one once its time has passed.
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        match self.time {
            None => self.date < now.date(),
            Some(t) => self.date.and_time(t) < now,
        }
    }
}

impl fmt::Display for Due {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::{Datelike, Timelike};
        let y = self.date.year();
        // Digits written directly (what `%Y-%m-%d` gives for years 0 to 9999): the agenda
        // formats tens of thousands of these per command. Other years go through chrono.
        if (0..=9999).contains(&y) {
            write!(f, "{y:04}-{:02}-{:02}", self.date.month(), self.date.day())?;
        } else {
            write!(f, "{}", self.date.format("%Y-%m-%d"))?;
        }
        match self.time {
            None => Ok(()),
            Some(t) => write!(f, "T{:02}:{:02}", t.hour(), t.minute()),
        }
    }
}

impl Serialize for Due {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Due {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Due::parse(&s, "due").map_err(serde::de::Error::custom)
    }
}

/// A tier set by hand, with the reason; it wins over the computed tier for display and
/// revisit cadence, while the computed tier stays visible beside it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TierOverride {
    pub tier: Tier,
    pub reason: String,
}

/// A person at a customer (联系人).
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub title: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// Messaging handles, e.g. `wechat:zhangwei88`.
    pub handles: Vec<String>,
    pub birthday: Option<NaiveDate>,
    pub notes: String,
}

/// A planned next action (跟进).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct FollowUp {
    pub due: Due,
    pub kind: FollowUpKind,
    pub subject: String,
    pub assignee: String,
    pub done_at: Option<Timestamp>,
    pub outcome: String,
}

/// Something that happened (联系记录).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Interaction {
    pub at: Timestamp,
    pub kind: InteractionKind,
    pub summary: String,
    pub outcome: String,
    /// Who (salesperson or device name) logged it.
    pub by: String,
}

/// A deal, order or payment (合同 / 订单 / 回款).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Deal {
    pub title: String,
    pub amount: Money,
    pub status: DealStatus,
    /// Expected close date for open deals, close date for won or lost ones.
    pub date: NaiveDate,
    /// Probability of winning, 0–100 (meaningful for open deals).
    pub probability: u8,
}

/// A customer (客户) with everything recorded about it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub name: String,
    pub kind: CustomerKind,
    /// For a person customer, the organisation they belong to (may be empty).
    pub company: String,
    pub industry: String,
    pub address: String,
    /// Website (`example.com` or a full URL).
    #[serde(default)]
    pub website: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub tags: BTreeSet<String>,
    /// The salesperson who owns the relationship.
    pub owner: String,
    /// How we met (referral, fair, web, cold call, ...).
    pub source: String,
    /// Free text; merges character by character across devices.
    pub notes: String,
    /// Lifecycle stage set by hand (the value crate infers one when this is `None`).
    pub stage: Option<LifecycleStage>,
    pub importance: Importance,
    pub urgency: Urgency,
    /// The customer who referred this one (influence value).
    pub referred_by: Option<CustomerId>,
    /// A value tier set by hand.
    pub tier_override: Option<TierOverride>,
    pub archived: bool,
    /// Tombstone: set when deleted. A deleted customer is hidden everywhere but kept.
    pub deleted_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub contacts: BTreeMap<ItemId, Contact>,
    pub followups: BTreeMap<ItemId, FollowUp>,
    pub interactions: BTreeMap<ItemId, Interaction>,
    pub deals: BTreeMap<ItemId, Deal>,
    /// Custom field values by field id (the team's definitions are in its settings; see
    /// [`crate::fields`]). Each value is its kind's canonical text. In JSON `fields_by_id`
    /// (`customer show --json` has `fields` by name beside it).
    #[serde(default, rename = "fields_by_id")]
    pub fields: BTreeMap<String, String>,
}

impl Customer {
    /// A new, empty customer named `name`, created at `now`.
    pub fn new(
        id: CustomerId,
        name: impl Into<String>,
        kind: CustomerKind,
        now: Timestamp,
    ) -> Self {
        Customer {
            id,
            name: name.into(),
            kind,
            company: String::new(),
            industry: String::new(),
            address: String::new(),
            website: String::new(),
            emails: Vec::new(),
            phones: Vec::new(),
            tags: BTreeSet::new(),
            owner: String::new(),
            source: String::new(),
            notes: String::new(),
            stage: None,
            importance: Importance::default(),
            urgency: Urgency::default(),
            referred_by: None,
            tier_override: None,
            archived: false,
            deleted_at: None,
            created_at: now,
            updated_at: now,
            contacts: BTreeMap::new(),
            followups: BTreeMap::new(),
            interactions: BTreeMap::new(),
            deals: BTreeMap::new(),
            fields: BTreeMap::new(),
        }
    }

    /// Deleted customers are tombstones.
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}
