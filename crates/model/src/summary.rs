//! The per-customer summary row: everything lists, filters, the agenda and value analysis need,
//! derived from a customer alone.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    Currency, Customer, CustomerId, CustomerKind, DealStatus, Due, FollowUpKind, Importance,
    ItemId, LifecycleStage, TierOverride, Timestamp, Urgency, text,
};

/// Notes beyond this many bytes are not indexed for search (the document keeps them all).
const NOTES_SEARCH_BYTES: usize = 4096;

/// A deal as value analysis sees it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct DealFact {
    pub id: ItemId,
    pub date: NaiveDate,
    pub minor: i64,
    pub currency: Currency,
    pub status: DealStatus,
    pub probability: u8,
}

/// An open (not done) follow-up, for the agenda.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct OpenFollowUp {
    pub id: ItemId,
    pub due: Due,
    pub kind: FollowUpKind,
    pub subject: String,
    pub assignee: String,
}

/// The derived row kept per customer in the store's summary table.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CustomerSummary {
    pub id: CustomerId,
    /// Custom field values by field id (lists filter by them without opening documents).
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, String>,
    pub name: String,
    /// Collation key (see [`text::sort_key`]).
    pub sort_key: String,
    pub kind: CustomerKind,
    pub company: String,
    pub tags: BTreeSet<String>,
    pub owner: String,
    pub stage: Option<LifecycleStage>,
    pub importance: Importance,
    pub urgency: Urgency,
    pub archived: bool,
    pub deleted: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub contact_count: u32,
    /// Every deal, oldest first: the tier, RFM and lifetime-value inputs.
    pub deals: Vec<DealFact>,
    /// Date of the latest won deal.
    pub last_purchase: Option<NaiveDate>,
    /// Latest interaction or completed follow-up (for revisit cadence).
    pub last_contact: Option<Timestamp>,
    /// Open follow-ups, earliest due first.
    pub open_followups: Vec<OpenFollowUp>,
    pub referred_by: Option<CustomerId>,
    pub tier_override: Option<TierOverride>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Folded text of name, company, contacts, phones (also as bare digits), emails, tags,
    /// website, custom field values and notes, with pinyin.
    pub search: String,
}

impl CustomerSummary {
    /// Derives the summary of `c`. Pure and deterministic.
    pub fn of(c: &Customer) -> Self {
        let mut deals: Vec<DealFact> = c
            .deals
            .iter()
            .map(|(id, d)| DealFact {
                id: *id,
                date: d.date,
                minor: d.amount.minor,
                currency: d.amount.currency,
                status: d.status,
                probability: d.probability,
            })
            .collect();
        deals.sort_by_key(|d| (d.date, d.id));
        let last_purchase = deals
            .iter()
            .filter(|d| d.status == DealStatus::Won)
            .map(|d| d.date)
            .max();
        let last_interaction = c.interactions.values().map(|i| i.at).max();
        let last_done = c.followups.values().filter_map(|f| f.done_at).max();
        let last_contact = last_interaction.max(last_done);
        let mut open_followups: Vec<OpenFollowUp> = c
            .followups
            .iter()
            .filter(|(_, f)| f.done_at.is_none())
            .map(|(id, f)| OpenFollowUp {
                id: *id,
                due: f.due,
                kind: f.kind,
                subject: f.subject.clone(),
                assignee: f.assignee.clone(),
            })
            .collect();
        open_followups.sort_by_key(|f| (f.due, f.id));

        let email = c
            .emails
            .first()
            .or_else(|| c.contacts.values().flat_map(|k| k.emails.iter()).next())
            .cloned();
        let phone = c
            .phones
            .first()
            .or_else(|| c.contacts.values().flat_map(|k| k.phones.iter()).next())
            .cloned();

        let mut search_src = String::new();
        let mut add = |s: &str| {
            if !s.is_empty() {
                search_src.push_str(s);
                search_src.push('\n');
            }
        };
        add(&c.name);
        add(&c.company);
        add(&c.industry);
        c.emails.iter().for_each(|e| add(e));
        // A phone is found by its digits however it was written (`+8613812345678` by
        // `138 1234 5678` too, which is a substring of the digits).
        let add_phone = |p: &str, add: &mut dyn FnMut(&str)| {
            add(p);
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            if digits != p {
                add(&digits);
            }
        };
        c.phones.iter().for_each(|p| add_phone(p, &mut add));
        c.tags.iter().for_each(|t| add(t));
        add(&c.website);
        // Custom field values (text, choices, dates, amounts) are searchable.
        c.fields.values().for_each(|v| add(v));
        for k in c.contacts.values() {
            add(&k.name);
            k.emails.iter().for_each(|e| add(e));
            k.phones.iter().for_each(|p| add_phone(p, &mut add));
        }
        let notes_cut = c.notes.floor_char_boundary(NOTES_SEARCH_BYTES);
        add(&c.notes[..notes_cut]);
        let search = search_src
            .lines()
            .map(text::search_terms)
            .collect::<Vec<_>>()
            .join("\n");

        CustomerSummary {
            id: c.id,
            fields: c.fields.clone(),
            name: c.name.clone(),
            sort_key: text::sort_key(&c.name),
            kind: c.kind,
            company: c.company.clone(),
            tags: c.tags.clone(),
            owner: c.owner.clone(),
            stage: c.stage,
            importance: c.importance,
            urgency: c.urgency,
            archived: c.archived,
            deleted: c.deleted_at.is_some(),
            email,
            phone,
            contact_count: u32::try_from(c.contacts.len()).unwrap_or(u32::MAX),
            deals,
            last_purchase,
            last_contact,
            open_followups,
            referred_by: c.referred_by,
            tier_override: c.tier_override.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            search,
        }
    }

    /// The earliest open follow-up's due time.
    pub fn next_due(&self) -> Option<Due> {
        self.open_followups.first().map(|f| f.due)
    }

    /// Whether every whitespace-separated word of `query` (folded) occurs in the search text.
    pub fn matches(&self, query: &str) -> bool {
        let q = text::fold(query);
        q.split(' ').all(|w| self.search.contains(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Contact, Edit, ItemId, timestamp_from_millis};

    #[test]
    fn summary_collects_search_and_deals() {
        let now = timestamp_from_millis(1_790_000_000_000);
        let mut c = Customer::new(CustomerId::new(), "華創商務", CustomerKind::Company, now);
        Edit::PutContact(
            ItemId::new(),
            Contact {
                name: "张伟".into(),
                emails: vec!["zhang.wei@huachuang.cn".into()],
                ..Contact::default()
            },
        )
        .apply(&mut c, now);
        Edit::AddTag("Key Account".into()).apply(&mut c, now);
        let s = CustomerSummary::of(&c);
        assert_eq!(s.email.as_deref(), Some("zhang.wei@huachuang.cn"));
        assert!(s.matches("张伟"));
        assert!(s.matches("zhang"));
        assert!(s.matches("key acc"));
        assert!(s.matches("华创") || s.matches("華創"));
        assert!(!s.matches("siemens"));
        assert_eq!(s.contact_count, 1);
    }
}
