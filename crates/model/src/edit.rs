//! Edits: the closed set of changes to a customer, validated before they are written.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{
    Contact, Customer, CustomerId, CustomerKind, Deal, FollowUp, Importance, Interaction, ItemId,
    LifecycleStage, Money, TierOverride, Timestamp, Urgency, ValidationError, excerpt,
};

/// The longest single text field we store (1 MiB). Larger values are refused, not truncated.
pub const MAX_FIELD_BYTES: usize = 1 << 20;

/// The years a date may have: four digits, so that stored `YYYY-MM-DD` text reads back
/// everywhere and sorts in time order (`+99999-01-01` and `0000-01-01` are typing mistakes).
pub const YEARS: std::ops::RangeInclusive<i32> = 1000..=9999;

/// Checks that a date's year is in [`YEARS`].
pub fn check_date(field: &'static str, d: NaiveDate) -> Result<(), ValidationError> {
    if YEARS.contains(&d.year()) {
        Ok(())
    } else {
        Err(ValidationError::DateOutOfRange {
            field,
            value: d.format("%Y-%m-%d").to_string(),
        })
    }
}

/// One change to a customer. A list of edits is applied atomically (one document change, one
/// store transaction).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Edit {
    Name(String),
    Kind(CustomerKind),
    Company(String),
    Industry(String),
    Address(String),
    /// The customer's website (one line; `https://` is not required).
    Website(String),
    /// Sets a custom field's value (by the field's id, see [`crate::fields`]), or with `None`
    /// clears it. The value is the field kind's canonical text ([`crate::FieldDef::parse`]).
    SetField(String, Option<String>),
    Owner(String),
    Source(String),
    /// Replaces the notes text; stored as a minimal splice so concurrent edits merge.
    Notes(String),
    Stage(Option<LifecycleStage>),
    Importance(Importance),
    Urgency(Urgency),
    ReferredBy(Option<CustomerId>),
    /// Sets (or with `None` clears) the manual value tier.
    TierOverride(Option<TierOverride>),
    AddTag(String),
    RemoveTag(String),
    AddEmail(String),
    RemoveEmail(String),
    AddPhone(String),
    RemovePhone(String),
    Archive(bool),
    /// Sets the tombstone. Wins over concurrent edits of other fields.
    Delete,
    /// Clears the tombstone (an explicit, later decision).
    Restore,
    PutContact(ItemId, Contact),
    RemoveContact(ItemId),
    PutFollowUp(ItemId, FollowUp),
    CompleteFollowUp {
        id: ItemId,
        at: Timestamp,
        outcome: String,
    },
    RemoveFollowUp(ItemId),
    LogInteraction(ItemId, Interaction),
    PutDeal(ItemId, Deal),
    RemoveDeal(ItemId),
}

/// Multi-line fields (notes, address, outcome): at most [`MAX_FIELD_BYTES`], and no control
/// characters but line breaks and tabs.
pub fn check_text(field: &'static str, s: &str) -> Result<(), ValidationError> {
    if s.len() > MAX_FIELD_BYTES {
        return Err(ValidationError::TooLong {
            field,
            len: s.len(),
            max: MAX_FIELD_BYTES,
        });
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ValidationError::ControlCharacter { field });
    }
    Ok(())
}

/// Single-line fields: no control characters.
pub fn check_line(field: &'static str, s: &str) -> Result<(), ValidationError> {
    check_text(field, s)?;
    if s.chars().any(char::is_control) {
        return Err(ValidationError::ControlCharacter { field });
    }
    Ok(())
}

fn check_nonempty(field: &'static str, s: &str) -> Result<(), ValidationError> {
    check_line(field, s)?;
    if s.trim().is_empty() {
        return Err(ValidationError::Empty { field });
    }
    Ok(())
}

/// Validates an email address (RFC 5322 via the `email_address` crate).
pub fn check_email(field: &'static str, s: &str) -> Result<(), ValidationError> {
    check_line(field, s)?;
    if !email_address::EmailAddress::is_valid(s.trim()) || !s.contains('@') {
        return Err(ValidationError::BadEmail {
            field,
            value: excerpt(s),
        });
    }
    Ok(())
}

/// Validates a website loosely: one line, no spaces, and a dot or a scheme (`example.com`,
/// `https://example.com/path`, `http://intranet`); empty clears it.
pub fn check_website(field: &'static str, s: &str) -> Result<(), ValidationError> {
    check_line(field, s)?;
    let t = s.trim();
    if t.is_empty() {
        return Ok(());
    }
    if t.chars().any(char::is_whitespace) || !(t.contains('.') || t.contains("://")) {
        return Err(ValidationError::BadWebsite {
            field,
            value: excerpt(s),
        });
    }
    Ok(())
}

/// Validates a phone number loosely: at least 3 digits, only phone punctuation, and
/// optionally an extension (` ext. 102`, `;ext=102`, `x102`, `#102`; see
/// [`crate::phone::split_extension`]).
pub fn check_phone(field: &'static str, s: &str) -> Result<(), ValidationError> {
    check_line(field, s)?;
    let (number, _ext) = crate::phone::split_extension(s);
    let number = number.strip_prefix("tel:").unwrap_or(number);
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let ok_chars = number
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().//x".contains(c) || c == 'X');
    if digits < 3 || !ok_chars {
        return Err(ValidationError::BadPhone {
            field,
            value: excerpt(s),
        });
    }
    Ok(())
}

fn check_contact(c: &Contact) -> Result<(), ValidationError> {
    check_nonempty("contact.name", &c.name)?;
    check_line("contact.title", &c.title)?;
    for e in &c.emails {
        check_email("contact.email", e)?;
    }
    for p in &c.phones {
        check_phone("contact.phone", p)?;
    }
    for h in &c.handles {
        check_nonempty("contact.handle", h)?;
    }
    if let Some(b) = c.birthday {
        check_date("contact.birthday", b)?;
    }
    check_text("contact.notes", &c.notes)
}

impl Edit {
    /// Checks the edit's own values and, where it names an item, that the item exists.
    pub fn validate(&self, customer: Option<&Customer>) -> Result<(), ValidationError> {
        let need = |field: &'static str, what: &'static str, id: &ItemId, present: bool| {
            if present {
                Ok(())
            } else {
                Err(ValidationError::NoSuchItem {
                    field,
                    what,
                    id: id.to_string(),
                })
            }
        };
        match self {
            Edit::Name(s) => check_nonempty("name", s),
            Edit::Company(s) => check_line("company", s),
            Edit::Industry(s) => check_line("industry", s),
            Edit::Address(s) => check_text("address", s),
            Edit::Website(s) => check_website("website", s),
            Edit::SetField(id, v) => {
                crate::fields::check_field_id(id)?;
                match v {
                    Some(v) => check_line("field value", v),
                    None => Ok(()),
                }
            }
            Edit::Owner(s) => check_line("owner", s),
            Edit::Source(s) => check_line("source", s),
            Edit::Notes(s) => check_text("notes", s),
            Edit::AddTag(s) | Edit::RemoveTag(s) => check_nonempty("tag", s),
            Edit::AddEmail(s) => check_email("email", s),
            Edit::AddPhone(s) => check_phone("phone", s),
            Edit::RemoveEmail(s) | Edit::RemovePhone(s) => check_line("email/phone", s),
            Edit::ReferredBy(Some(r)) => match customer {
                Some(c) if c.id == *r => Err(ValidationError::SelfReferral {
                    field: "referred_by",
                }),
                _ => Ok(()),
            },
            Edit::TierOverride(Some(o)) => check_line("tier_reason", &o.reason),
            Edit::PutContact(_, c) => check_contact(c),
            Edit::PutFollowUp(_, f) => {
                check_date("followup.due", f.due.date)?;
                check_nonempty("followup.subject", &f.subject)?;
                check_line("followup.assignee", &f.assignee)?;
                check_text("followup.outcome", &f.outcome)
            }
            Edit::CompleteFollowUp { id, at, outcome } => {
                check_date("followup.done_at", at.date_naive())?;
                check_text("followup.outcome", outcome)?;
                need(
                    "followup",
                    "follow-up",
                    id,
                    customer.is_some_and(|c| c.followups.contains_key(id)),
                )
            }
            Edit::RemoveFollowUp(id) => need(
                "followup",
                "follow-up",
                id,
                customer.is_some_and(|c| c.followups.contains_key(id)),
            ),
            Edit::RemoveContact(id) => need(
                "contact",
                "contact",
                id,
                customer.is_some_and(|c| c.contacts.contains_key(id)),
            ),
            Edit::RemoveDeal(id) => need(
                "deal",
                "deal",
                id,
                customer.is_some_and(|c| c.deals.contains_key(id)),
            ),
            Edit::LogInteraction(_, i) => {
                check_date("interaction.at", i.at.date_naive())?;
                check_nonempty("interaction.summary", &i.summary)?;
                check_text("interaction.outcome", &i.outcome)?;
                check_line("interaction.by", &i.by)
            }
            Edit::PutDeal(_, d) => {
                check_line("deal.title", &d.title)?;
                check_date("deal.date", d.date)?;
                if d.amount.minor < 0 {
                    return Err(ValidationError::NegativeAmount {
                        field: "deal.amount",
                        value: d.amount.decimal(),
                    });
                }
                if d.amount.minor > Money::MAX_MINOR {
                    return Err(ValidationError::AmountTooLarge {
                        field: "deal.amount",
                        value: d.amount.decimal(),
                    });
                }
                if d.probability > 100 {
                    return Err(ValidationError::BadProbability {
                        field: "deal.probability",
                        value: d.probability,
                    });
                }
                Ok(())
            }
            Edit::Kind(_)
            | Edit::Stage(_)
            | Edit::Importance(_)
            | Edit::Urgency(_)
            | Edit::ReferredBy(None)
            | Edit::TierOverride(None)
            | Edit::Archive(_)
            | Edit::Delete
            | Edit::Restore => Ok(()),
        }
    }

    /// The meaning of the edit on a plain customer value. `now` stamps deletions.
    pub fn apply(&self, c: &mut Customer, now: Timestamp) {
        match self {
            Edit::Name(s) => c.name = s.trim().to_string(),
            Edit::Kind(k) => c.kind = *k,
            Edit::Company(s) => c.company = s.trim().to_string(),
            Edit::Industry(s) => c.industry = s.trim().to_string(),
            Edit::Address(s) => c.address = s.clone(),
            Edit::Website(s) => c.website = s.trim().to_string(),
            Edit::SetField(id, v) => match v {
                Some(v) => {
                    c.fields.insert(id.clone(), v.trim().to_string());
                }
                None => {
                    c.fields.remove(id);
                }
            },
            Edit::Owner(s) => c.owner = s.trim().to_string(),
            Edit::Source(s) => c.source = s.trim().to_string(),
            Edit::Notes(s) => c.notes = s.clone(),
            Edit::Stage(s) => c.stage = *s,
            Edit::Importance(i) => c.importance = *i,
            Edit::Urgency(u) => c.urgency = *u,
            Edit::ReferredBy(r) => c.referred_by = *r,
            Edit::TierOverride(o) => {
                c.tier_override = o.clone().map(|o| TierOverride {
                    tier: o.tier,
                    reason: o.reason.trim().to_string(),
                })
            }
            Edit::AddTag(t) => {
                c.tags.insert(normalize_tag(t));
            }
            Edit::RemoveTag(t) => {
                c.tags.remove(&normalize_tag(t));
            }
            Edit::AddEmail(e) => push_unique(&mut c.emails, e.trim()),
            Edit::RemoveEmail(e) => c.emails.retain(|x| x != e.trim()),
            Edit::AddPhone(p) => push_unique(&mut c.phones, p.trim()),
            Edit::RemovePhone(p) => c.phones.retain(|x| x != p.trim()),
            Edit::Archive(a) => c.archived = *a,
            Edit::Delete => {
                if c.deleted_at.is_none() {
                    c.deleted_at = Some(now);
                }
            }
            Edit::Restore => c.deleted_at = None,
            Edit::PutContact(id, contact) => {
                c.contacts.insert(*id, contact.clone());
            }
            Edit::RemoveContact(id) => {
                c.contacts.remove(id);
            }
            Edit::PutFollowUp(id, f) => {
                c.followups.insert(*id, f.clone());
            }
            Edit::CompleteFollowUp { id, at, outcome } => {
                if let Some(f) = c.followups.get_mut(id) {
                    f.done_at = Some(*at);
                    f.outcome = outcome.clone();
                }
            }
            Edit::RemoveFollowUp(id) => {
                c.followups.remove(id);
            }
            Edit::LogInteraction(id, i) => {
                c.interactions.insert(*id, i.clone());
            }
            Edit::PutDeal(id, d) => {
                c.deals.insert(*id, d.clone());
            }
            Edit::RemoveDeal(id) => {
                c.deals.remove(id);
            }
        }
    }

    /// The history label of what this edit touches (`name`, `tags`, `deals`, ...).
    pub fn label(&self) -> &'static str {
        match self {
            Edit::Name(_) => "name",
            Edit::Kind(_) => "kind",
            Edit::Company(_) => "company",
            Edit::Industry(_) => "industry",
            Edit::Address(_) => "address",
            Edit::Website(_) => "website",
            Edit::SetField(..) => "fields",
            Edit::Owner(_) => "owner",
            Edit::Source(_) => "source",
            Edit::Notes(_) => "notes",
            Edit::Stage(_) => "stage",
            Edit::Importance(_) => "importance",
            Edit::Urgency(_) => "urgency",
            Edit::ReferredBy(_) => "referred_by",
            Edit::TierOverride(_) => "tier_override",
            Edit::AddTag(_) | Edit::RemoveTag(_) => "tags",
            Edit::AddEmail(_) | Edit::RemoveEmail(_) => "emails",
            Edit::AddPhone(_) | Edit::RemovePhone(_) => "phones",
            Edit::Archive(_) => "archived",
            Edit::Delete | Edit::Restore => "deleted",
            Edit::PutContact(..) | Edit::RemoveContact(_) => "contacts",
            Edit::PutFollowUp(..) | Edit::CompleteFollowUp { .. } | Edit::RemoveFollowUp(_) => {
                "followups"
            }
            Edit::LogInteraction(..) => "interactions",
            Edit::PutDeal(..) | Edit::RemoveDeal(_) => "deals",
        }
    }
}

/// A customer to create: its id (chosen by the creator, so a batch can refer to its own
/// members), name, kind and the edits that fill it in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCustomer {
    pub id: CustomerId,
    pub name: String,
    pub kind: CustomerKind,
    pub edits: Vec<Edit>,
}

impl NewCustomer {
    /// A new customer with a fresh id and no further edits.
    pub fn new(name: impl Into<String>, kind: CustomerKind) -> Self {
        NewCustomer {
            id: CustomerId::new(),
            name: name.into(),
            kind,
            edits: Vec::new(),
        }
    }
}

/// Tags are folded (NFKC, lowercase, single spaces) so `VIP`, `vip` and `ｖｉｐ` are one tag.
pub fn normalize_tag(t: &str) -> String {
    crate::text::fold(t)
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Currency, DealStatus, Due, FollowUpKind, Money};

    fn now() -> Timestamp {
        crate::timestamp_from_millis(1_790_000_000_000)
    }

    #[test]
    fn validation_names_the_field() {
        let e = Edit::Name("  ".into()).validate(None).unwrap_err();
        assert_eq!(e.to_string(), "name: must not be empty");
        let e = Edit::AddEmail("zhang@".into()).validate(None).unwrap_err();
        assert!(e.to_string().starts_with("email:"), "{e}");
        assert!(
            Edit::AddEmail("zhang.wei@huachuang.cn".into())
                .validate(None)
                .is_ok()
        );
        assert!(
            Edit::AddPhone("+86 138 0013 8000".into())
                .validate(None)
                .is_ok()
        );
        assert!(Edit::AddPhone("call me".into()).validate(None).is_err());
        let big = "x".repeat(MAX_FIELD_BYTES + 1);
        assert!(matches!(
            Edit::Notes(big).validate(None),
            Err(ValidationError::TooLong { .. })
        ));
        assert!(matches!(
            Edit::Name("a\u{0}b".into()).validate(None),
            Err(ValidationError::ControlCharacter { .. })
        ));
        assert!(
            Edit::Notes("line\nline\ttab\r\n".into())
                .validate(None)
                .is_ok()
        );
        assert!(matches!(
            Edit::Address("a\u{1}b".into()).validate(None),
            Err(ValidationError::ControlCharacter { .. })
        ));
        let e = Edit::AddEmail("x".repeat(500)).validate(None).unwrap_err();
        assert!(
            e.to_string().len() < 200,
            "a long value is quoted in part: {e}"
        );
    }

    #[test]
    fn item_edits_need_the_item() {
        let c = Customer::new(CustomerId::new(), "Acme", CustomerKind::Company, now());
        let missing = ItemId::new();
        assert!(matches!(
            Edit::RemoveDeal(missing).validate(Some(&c)),
            Err(ValidationError::NoSuchItem { .. })
        ));
        assert!(matches!(
            Edit::ReferredBy(Some(c.id)).validate(Some(&c)),
            Err(ValidationError::SelfReferral { .. })
        ));
    }

    #[test]
    fn deal_rules() {
        let cny = Currency::parse("CNY", "currency").unwrap();
        let mut d = Deal {
            title: "t".into(),
            amount: Money {
                minor: -1,
                currency: cny,
            },
            status: DealStatus::Won,
            date: chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
            probability: 100,
        };
        assert!(
            Edit::PutDeal(ItemId::new(), d.clone())
                .validate(None)
                .is_err()
        );
        d.amount.minor = 5;
        d.probability = 101;
        assert!(
            Edit::PutDeal(ItemId::new(), d.clone())
                .validate(None)
                .is_err()
        );
        d.probability = 50;
        assert!(
            Edit::PutDeal(ItemId::new(), d.clone())
                .validate(None)
                .is_ok()
        );
        d.date = chrono::NaiveDate::from_ymd_opt(99999, 1, 1).unwrap();
        assert!(matches!(
            Edit::PutDeal(ItemId::new(), d.clone()).validate(None),
            Err(ValidationError::DateOutOfRange { .. })
        ));
        d.date = chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        d.amount.minor = Money::MAX_MINOR + 1;
        assert!(matches!(
            Edit::PutDeal(ItemId::new(), d).validate(None),
            Err(ValidationError::AmountTooLarge { .. })
        ));
    }

    #[test]
    fn apply_is_the_meaning() {
        let mut c = Customer::new(CustomerId::new(), "Acme", CustomerKind::Company, now());
        Edit::AddTag("VIP".into()).apply(&mut c, now());
        Edit::AddTag("ｖｉｐ".into()).apply(&mut c, now());
        assert_eq!(c.tags.len(), 1);
        let fid = ItemId::new();
        Edit::PutFollowUp(
            fid,
            FollowUp {
                due: Due::parse("2026-12-01", "due").unwrap(),
                kind: FollowUpKind::Call,
                subject: "Call back".into(),
                assignee: String::new(),
                done_at: None,
                outcome: String::new(),
            },
        )
        .apply(&mut c, now());
        Edit::CompleteFollowUp {
            id: fid,
            at: now(),
            outcome: "ok".into(),
        }
        .apply(&mut c, now());
        assert_eq!(c.followups[&fid].done_at, Some(now()));
        Edit::Delete.apply(&mut c, now());
        assert!(c.is_deleted());
        Edit::Restore.apply(&mut c, now());
        assert!(!c.is_deleted());
    }

    #[test]
    fn due_parsing_and_overdue() {
        let d = Due::parse("2026-12-01", "due").unwrap();
        assert_eq!(d.to_string(), "2026-12-01");
        let t = Due::parse("2026-12-01 09:30", "due").unwrap();
        assert_eq!(t.to_string(), "2026-12-01T09:30");
        assert!(Due::parse("2026-13-01", "due").is_err());
        assert!(Due::parse("2026-12-01T25:00", "due").is_err());
        let morning = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        assert!(!d.is_overdue(morning), "a dated follow-up is due all day");
        assert!(t.is_overdue(morning));
    }
}
