//! The import plan: what importing a list of people would create, merge or leave alone.

use std::collections::HashMap;

use chrono::NaiveDate;
use rapport_model::phone::{self, Region};
use rapport_model::{
    Contact, Customer, CustomerId, CustomerKind, CustomerSummary, Deal, DealStatus, Due, Edit,
    Fields, FollowUp, FollowUpKind, Interaction, InteractionKind, ItemId, NewCustomer, Timestamp,
    normalize_tag,
};
use serde::Serialize;

use crate::{Person, email_key, name_key};

/// What an import plan needs to know of the team besides its customers.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// The team's phone region: phones are matched and stored as E.164 with it.
    pub region: Option<Region>,
    /// The team's custom fields: `Person::fields` are placed by name.
    pub fields: Fields,
    /// The date sales without a date of their own are dated (the file's date).
    pub file_date: Option<NaiveDate>,
    /// Who logged the imported "last visit" interactions.
    pub by: String,
    /// The team's base currency: money field values written without one are in it.
    pub currency: Option<rapport_model::Currency>,
}

/// A stable item id from what an imported row says, so importing the same file again adds
/// no second follow-up, interaction or deal.
fn content_id(parts: &[&str]) -> ItemId {
    let h = blake3::hash(parts.join("\u{1f}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.as_bytes()[..16]);
    ItemId::from_u128(u128::from_be_bytes(b))
}

/// The customers an import may touch, loaded in full by the caller.
#[derive(Clone, Debug, Default)]
pub struct Existing {
    pub customers: Vec<Customer>,
}

impl Existing {
    /// Which existing customers could match `people`, from the summaries alone (so the
    /// caller loads only those documents): same name or organisation name, or an email of
    /// the person anywhere in the customer's search text (contacts' emails included), or the
    /// customer's first phone.
    pub fn candidates<S: std::borrow::Borrow<CustomerSummary>>(
        summaries: &[S],
        people: &[Person],
    ) -> Vec<CustomerId> {
        Self::candidates_in(summaries, people, None)
    }

    /// [`Existing::candidates`] with phones compared in `region`.
    pub fn candidates_in<S: std::borrow::Borrow<CustomerSummary>>(
        summaries: &[S],
        people: &[Person],
        region: Option<Region>,
    ) -> Vec<CustomerId> {
        let phone_key = |p: &str| phone::key(p, region);
        let mut names = std::collections::HashSet::new();
        let mut emails = std::collections::HashSet::new();
        let mut phones = std::collections::HashSet::new();
        for p in people {
            names.insert(name_key(&p.name));
            if !p.organization.is_empty() {
                names.insert(name_key(&p.organization));
            }
            emails.extend(p.emails.iter().map(|e| email_key(e)));
            phones.extend(p.phones.iter().map(|x| phone_key(x)));
        }
        summaries
            .iter()
            .map(std::borrow::Borrow::borrow)
            .filter(|s: &&CustomerSummary| !s.deleted)
            .filter(|s| {
                names.contains(&name_key(&s.name))
                    || s.phone
                        .as_deref()
                        .is_some_and(|x| phones.contains(&phone_key(x)))
                    || s.search
                        .split(char::is_whitespace)
                        .filter(|t| t.contains('@'))
                        .any(|t| emails.contains(t))
            })
            .map(|s| s.id)
            .collect()
    }
}

/// What the import does with one customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Create {
        id: CustomerId,
        name: String,
        kind: CustomerKind,
        lines: Vec<u64>,
        contacts: usize,
    },
    Merge {
        id: CustomerId,
        name: String,
        lines: Vec<u64>,
        /// What it adds, e.g. `email a@b.c`, `contact 张伟`, `tag customers`.
        adds: Vec<String>,
    },
    /// Everything in these lines is already there.
    Unchanged {
        id: CustomerId,
        name: String,
        lines: Vec<u64>,
    },
}

/// An import, worked out before anything is written.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub creates: Vec<NewCustomer>,
    pub merges: Vec<(CustomerId, Vec<Edit>)>,
    /// One entry per customer touched, in file order.
    pub actions: Vec<Action>,
    /// Custom field values kept in a customer's notes (the team has no field of that name,
    /// or the field's kind refuses the value), by line.
    pub warnings: Vec<crate::RowError>,
}

impl Plan {
    pub fn created(&self) -> usize {
        self.creates.len()
    }

    pub fn merged(&self) -> usize {
        self.merges.len()
    }
}

struct Work<'o> {
    opts: &'o PlanOptions,
    customer: Customer,
    is_new: bool,
    edits: Vec<Edit>,
    adds: Vec<String>,
    lines: Vec<u64>,
    order: usize,
    warnings: Vec<crate::RowError>,
}

impl<'o> Work<'o> {
    fn new(customer: Customer, is_new: bool, opts: &'o PlanOptions) -> Self {
        Work {
            opts,
            customer,
            is_new,
            edits: Vec::new(),
            adds: Vec::new(),
            lines: Vec::new(),
            order: usize::MAX,
            warnings: Vec::new(),
        }
    }

    fn push(&mut self, e: Edit, what: String, now: Timestamp) {
        e.apply(&mut self.customer, now);
        self.edits.push(e);
        self.adds.push(what);
    }
}

struct Index {
    region: Option<Region>,
    company: HashMap<String, usize>,
    person_email: HashMap<String, usize>,
    person_phone: HashMap<String, usize>,
    person_name: HashMap<String, usize>,
}

impl Index {
    fn add(&mut self, i: usize, c: &Customer) {
        match c.kind {
            CustomerKind::Company => {
                self.company.entry(name_key(&c.name)).or_insert(i);
            }
            CustomerKind::Person => {
                for e in &c.emails {
                    self.person_email.entry(email_key(e)).or_insert(i);
                }
                for p in &c.phones {
                    self.person_phone
                        .entry(phone::key(p, self.region))
                        .or_insert(i);
                }
                self.person_name.entry(name_key(&c.name)).or_insert(i);
            }
        }
    }
}

/// Finds the contact of `c` that is `p`: same email, else same phone, else same name.
fn find_contact(c: &Customer, p: &Person, region: Option<Region>) -> Option<ItemId> {
    let phone_key = |x: &str| phone::key(x, region);
    let emails: Vec<String> = p.emails.iter().map(|e| email_key(e)).collect();
    let phones: Vec<String> = p.phones.iter().map(|x| phone_key(x)).collect();
    let by =
        |f: &dyn Fn(&Contact) -> bool| c.contacts.iter().find(|(_, k)| f(k)).map(|(id, _)| *id);
    by(&|k| k.emails.iter().any(|e| emails.contains(&email_key(e))))
        .or_else(|| by(&|k| k.phones.iter().any(|x| phones.contains(&phone_key(x)))))
        .or_else(|| by(&|k| name_key(&k.name) == name_key(&p.name)))
}

/// Works out what importing `people` does to `existing` customers, as of `now` (no phone
/// region, no custom fields).
pub fn plan(people: &[Person], existing: Existing, now: Timestamp) -> Plan {
    plan_with(people, existing, now, &PlanOptions::default())
}

/// Works out what importing `people` does to `existing` customers, as of `now`, with the
/// team's phone region and custom fields.
pub fn plan_with(
    people: &[Person],
    existing: Existing,
    now: Timestamp,
    opts: &PlanOptions,
) -> Plan {
    let region = opts.region;
    let phone_key = |x: &str| phone::key(x, region);
    let mut work: Vec<Work> = Vec::new();
    let mut index = Index {
        region,
        company: HashMap::new(),
        person_email: HashMap::new(),
        person_phone: HashMap::new(),
        person_name: HashMap::new(),
    };
    for c in existing.customers.into_iter().filter(|c| !c.is_deleted()) {
        index.add(work.len(), &c);
        work.push(Work::new(c, false, opts));
    }
    let mut order = 0;
    for p in people {
        let i = if p.organization.is_empty() {
            let emails = p.emails.iter().map(|e| email_key(e));
            let phones = p.phones.iter().map(|x| phone_key(x));
            let found = emails
                .filter_map(|e| index.person_email.get(&e))
                .chain(phones.filter_map(|x| index.person_phone.get(&x)))
                .chain(index.person_name.get(&name_key(&p.name)))
                .next()
                .copied();
            match found {
                Some(i) => i,
                None => {
                    let c =
                        Customer::new(CustomerId::new(), p.name.trim(), CustomerKind::Person, now);
                    work.push(Work::new(c, true, opts));
                    work.len() - 1
                }
            }
        } else {
            match index.company.get(&name_key(&p.organization)) {
                Some(&i) => i,
                None => {
                    let c = Customer::new(
                        CustomerId::new(),
                        p.organization.trim(),
                        CustomerKind::Company,
                        now,
                    );
                    work.push(Work::new(c, true, opts));
                    index.add(work.len() - 1, &work[work.len() - 1].customer);
                    work.len() - 1
                }
            }
        };
        let w = &mut work[i];
        if w.order == usize::MAX {
            w.order = order;
            order += 1;
        }
        w.lines.push(p.line);
        merge_into(w, p, now);
        if p.organization.is_empty() {
            let c = w.customer.clone();
            index.add(i, &c);
        }
    }
    let mut touched: Vec<&Work> = work.iter().filter(|w| w.order != usize::MAX).collect();
    touched.sort_by_key(|w| w.order);
    let mut out = Plan::default();
    for w in touched {
        out.warnings.extend(w.warnings.iter().cloned());
        let c = &w.customer;
        if w.is_new {
            out.actions.push(Action::Create {
                id: c.id,
                name: c.name.clone(),
                kind: c.kind,
                lines: w.lines.clone(),
                contacts: c.contacts.len(),
            });
            out.creates.push(NewCustomer {
                id: c.id,
                name: c.name.clone(),
                kind: c.kind,
                edits: w.edits.clone(),
            });
        } else if w.edits.is_empty() {
            out.actions.push(Action::Unchanged {
                id: c.id,
                name: c.name.clone(),
                lines: w.lines.clone(),
            });
        } else {
            out.actions.push(Action::Merge {
                id: c.id,
                name: c.name.clone(),
                lines: w.lines.clone(),
                adds: w.adds.clone(),
            });
            out.merges.push((c.id, w.edits.clone()));
        }
    }
    out.warnings.sort_by_key(|w| w.line);
    out
}

/// Adds what `p` brings to customer `w`: as a contact when `p` is a person with an
/// organisation, to the customer itself otherwise (a person customer, or a row that describes
/// only the organisation).
fn merge_into(w: &mut Work, p: &Person, now: Timestamp) {
    let region = w.opts.region;
    let phone_key = |x: &str| phone::key(x, region);
    merge_customer_fields(w, p, now);
    for l in &p.labels {
        let t = normalize_tag(l);
        if !t.is_empty() && !w.customer.tags.contains(&t) {
            w.push(Edit::AddTag(l.clone()), format!("tag {t}"), now);
        }
    }
    if !p.address.is_empty() && w.customer.address.trim().is_empty() {
        w.push(Edit::Address(p.address.clone()), "address".into(), now);
    }
    if !p.organization.is_empty() && !p.name.is_empty() {
        let existing = find_contact(&w.customer, p, region);
        let mut contact = existing
            .and_then(|id| w.customer.contacts.get(&id).cloned())
            .unwrap_or_else(|| Contact {
                name: p.name.clone(),
                ..Contact::default()
            });
        let before = contact.clone();
        for e in &p.emails {
            if !contact.emails.iter().any(|x| email_key(x) == email_key(e)) {
                contact.emails.push(e.clone());
            }
        }
        for x in &p.phones {
            if !contact.phones.iter().any(|y| phone_key(y) == phone_key(x)) {
                contact.phones.push(phone::canonical(x, region));
            }
        }
        if contact.title.is_empty() {
            contact.title = if p.title.is_empty() {
                p.role.clone()
            } else {
                p.title.clone()
            };
        }
        if contact.notes.is_empty() {
            contact.notes = p.notes.clone();
        }
        // What has no field of its own is kept in the contact's notes, once.
        for line in kept_lines(p, true) {
            if !contact.notes.lines().any(|l| l == line) {
                if !contact.notes.is_empty() {
                    contact.notes.push('\n');
                }
                contact.notes.push_str(&line);
            }
        }
        if contact.birthday.is_none() {
            contact.birthday = p.birthday;
        }
        match existing {
            None => w.push(
                Edit::PutContact(ItemId::new(), contact),
                format!("contact {}", p.name),
                now,
            ),
            Some(id) if contact != before => w.push(
                Edit::PutContact(id, contact),
                format!("details of contact {}", p.name),
                now,
            ),
            Some(_) => {}
        }
        return;
    }
    for e in &p.emails {
        if !w
            .customer
            .emails
            .iter()
            .any(|x| email_key(x) == email_key(e))
        {
            w.push(Edit::AddEmail(e.clone()), format!("email {e}"), now);
        }
    }
    for x in &p.phones {
        if !w
            .customer
            .phones
            .iter()
            .any(|y| phone_key(y) == phone_key(x))
        {
            let stored = phone::canonical(x, region);
            w.push(Edit::AddPhone(stored), format!("phone {x}"), now);
        }
    }
    if !p.notes.is_empty() && w.customer.notes.trim().is_empty() {
        w.push(Edit::Notes(p.notes.clone()), "notes".into(), now);
    }
    let lines: Vec<String> = kept_lines(p, false)
        .into_iter()
        .filter(|l| !w.customer.notes.lines().any(|n| n == l))
        .collect();
    if !lines.is_empty() {
        let mut notes = w.customer.notes.clone();
        for l in &lines {
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(l);
        }
        w.push(
            Edit::Notes(notes),
            format!("{} kept in notes", lines.len()),
            now,
        );
    }
    if !p.title.is_empty() && w.customer.kind == CustomerKind::Person && w.is_new {
        // A person's job title has no field of its own on a person customer: keep it in
        // the notes rather than lose it.
        let notes = if w.customer.notes.is_empty() {
            format!("Title: {}", p.title)
        } else {
            format!("{}\nTitle: {}", w.customer.notes, p.title)
        };
        w.push(Edit::Notes(notes), "title (in notes)".into(), now);
    }
}

/// Words of phone and email labels that say nothing a phone book would not (`work`,
/// `Mobiltelefon`, `Téléphone domicile`): such labels are not worth a line in the notes.
const PLAIN_LABEL_WORDS: &[&str] = &[
    "home",
    "work",
    "cell",
    "mobile",
    "voice",
    "pref",
    "internet",
    "other",
    "main",
    "x400",
    "phone",
    "business",
    "primary",
    "email",
    "e-mail",
    "fax",
    "mobil",
    "telefon",
    "privat",
    "geschäft",
    "téléphone",
    "portable",
    "domicile",
    "bureau",
    "travail",
    "móvil",
    "casa",
    "trabajo",
    "teléfono",
    "correo",
    "courriel",
];

/// Whether a label is one of the usual kinds (see [`PLAIN_LABEL_WORDS`]).
fn plain_label(label: &str) -> bool {
    let l = label.to_lowercase();
    l.split([',', ';', ' ', '-', '_'])
        .filter(|w| !w.is_empty())
        .all(|w| {
            PLAIN_LABEL_WORDS.iter().any(|p| w.contains(p)) || w.chars().all(|c| c.is_ascii_digit())
        })
}

/// The lines a person's unplaced values are kept as (`label: value`), in the notes of the
/// contact (`contact`) or of the customer. Stable, so a second import finds them there.
fn kept_lines(p: &Person, contact: bool) -> Vec<String> {
    let mut out = Vec::new();
    if !p.nickname.is_empty() {
        out.push(format!("Nickname: {}", p.nickname));
    }
    // A contact without a title has the role as its title already.
    let role_is_title = contact && p.title.is_empty();
    if !p.role.is_empty() && !role_is_title {
        out.push(format!("Role: {}", p.role));
    }
    for (label, value) in &p.other {
        out.push(format!("{label}: {value}"));
    }
    for (value, label) in &p.value_labels {
        if !plain_label(label) {
            out.push(format!("{label}: {value}"));
        }
    }
    if contact {
        for w in &p.websites {
            out.push(format!("Website: {w}"));
        }
    }
    out
}

/// What a row says of the customer itself (whichever person or company it became): website,
/// industry, owner, source and custom fields where the customer has none yet; the next
/// revisit as an open follow-up, the last visit as an interaction, sales as a won deal.
fn merge_customer_fields(w: &mut Work, p: &Person, now: Timestamp) {
    // A contact's own website goes to the contact's notes; a company row's or a person's to
    // the customer.
    let own = p.organization.is_empty() || p.name.is_empty();
    if own
        && w.customer.website.is_empty()
        && let Some(site) = p
            .websites
            .iter()
            .find(|s| rapport_model::check_website("website", s).is_ok())
    {
        w.push(Edit::Website(site.clone()), "website".into(), now);
    }
    for (value, field, edit) in [
        (
            &p.employer,
            w.customer.company.clone(),
            Edit::Company as fn(String) -> Edit,
        ),
        (&p.industry, w.customer.industry.clone(), Edit::Industry),
        (&p.owner, w.customer.owner.clone(), Edit::Owner),
        (&p.source, w.customer.source.clone(), Edit::Source),
    ] {
        if !value.trim().is_empty() && field.trim().is_empty() {
            let e = edit(value.trim().to_string());
            let label = e.label();
            w.push(e, label.to_string(), now);
        }
    }
    // A value whose field the team does not have, or that its field's kind refuses, is kept
    // in the notes (`name: value`), never dropped.
    let mut kept = Vec::new();
    for (name, value) in &p.fields {
        let Some(def) = w.opts.fields.find(name) else {
            kept.push((
                format!("{name}: {value}"),
                name,
                "the team has no custom field of this name (rapport field add)".to_string(),
            ));
            continue;
        };
        if w.customer.fields.contains_key(&def.id) {
            continue;
        }
        let cur = w.opts.currency.or(p.sales.map(|m| m.currency));
        match cur.map(|cur| def.parse(value, cur)) {
            Some(Ok(Some(v))) => w.push(
                Edit::SetField(def.id.clone(), Some(v)),
                format!("field {}", def.name),
                now,
            ),
            Some(Ok(None)) => {}
            Some(Err(e)) => kept.push((
                format!("{}: {value}", def.name),
                name,
                format!("a {} field: {e}", def.kind),
            )),
            None => kept.push((
                format!("{}: {value}", def.name),
                name,
                format!("a {} field: no currency to read it in", def.kind),
            )),
        }
    }
    kept.retain(|(l, ..)| !w.customer.notes.lines().any(|n| n == l));
    if !kept.is_empty() {
        let mut notes = w.customer.notes.clone();
        for (l, name, why) in &kept {
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(l);
            w.warnings.push(crate::RowError {
                line: p.line,
                column: (*name).clone(),
                reason: format!("{why}; kept as \"{l}\" in the notes"),
            });
        }
        w.push(
            Edit::Notes(notes),
            format!("{} field value(s) kept in notes", kept.len()),
            now,
        );
    }
    let who = if p.name.is_empty() {
        &p.organization
    } else {
        &p.name
    };
    if let Some(due) = p.next_followup {
        let open_then = w
            .customer
            .followups
            .values()
            .any(|f| f.done_at.is_none() && f.due.date == due);
        if !open_then {
            let id = content_id(&[&w.customer.name, who, &due.to_string(), "next"]);
            w.push(
                Edit::PutFollowUp(
                    id,
                    FollowUp {
                        due: Due {
                            date: due,
                            time: None,
                        },
                        kind: FollowUpKind::Visit,
                        subject: format!("Revisit {who}"),
                        assignee: p.owner.trim().to_string(),
                        done_at: None,
                        outcome: String::new(),
                    },
                ),
                format!("follow-up {due}"),
                now,
            );
        }
    }
    if let Some(day) = p.last_contact {
        let id = content_id(&[&w.customer.name, who, &day.to_string(), "last"]);
        if !w.customer.interactions.contains_key(&id) {
            let at = day
                .and_hms_opt(12, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or(now);
            w.push(
                Edit::LogInteraction(
                    id,
                    Interaction {
                        at,
                        kind: InteractionKind::Visit,
                        summary: format!("Visit {who} (from the imported sheet)"),
                        outcome: String::new(),
                        by: w.opts.by.clone(),
                    },
                ),
                format!("visit {day}"),
                now,
            );
        }
    }
    if let Some(amount) = p.sales
        && amount.minor > 0
        && let Some(date) = p.sales_date.or(w.opts.file_date)
    {
        let id = content_id(&[
            &w.customer.name,
            who,
            &date.to_string(),
            &amount.to_string(),
            "sales",
        ]);
        if !w.customer.deals.contains_key(&id) {
            w.push(
                Edit::PutDeal(
                    id,
                    Deal {
                        title: format!("Sales {date} (imported)"),
                        amount,
                        status: DealStatus::Won,
                        date,
                        probability: 100,
                    },
                ),
                format!("won deal {amount}"),
                now,
            );
        }
    }
}
