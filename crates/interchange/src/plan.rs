//! The import plan: what importing a list of people would create, merge or leave alone.

use std::collections::HashMap;

use rapport_model::{
    Contact, Customer, CustomerId, CustomerKind, CustomerSummary, Edit, ItemId, NewCustomer,
    Timestamp, normalize_tag,
};
use serde::Serialize;

use crate::{Person, email_key, name_key, phone_key};

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
}

impl Plan {
    pub fn created(&self) -> usize {
        self.creates.len()
    }

    pub fn merged(&self) -> usize {
        self.merges.len()
    }
}

struct Work {
    customer: Customer,
    is_new: bool,
    edits: Vec<Edit>,
    adds: Vec<String>,
    lines: Vec<u64>,
    order: usize,
}

impl Work {
    fn new(customer: Customer, is_new: bool) -> Self {
        Work {
            customer,
            is_new,
            edits: Vec::new(),
            adds: Vec::new(),
            lines: Vec::new(),
            order: usize::MAX,
        }
    }

    fn push(&mut self, e: Edit, what: String, now: Timestamp) {
        e.apply(&mut self.customer, now);
        self.edits.push(e);
        self.adds.push(what);
    }
}

#[derive(Default)]
struct Index {
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
                    self.person_phone.entry(phone_key(p)).or_insert(i);
                }
                self.person_name.entry(name_key(&c.name)).or_insert(i);
            }
        }
    }
}

/// Finds the contact of `c` that is `p`: same email, else same phone, else same name.
fn find_contact(c: &Customer, p: &Person) -> Option<ItemId> {
    let emails: Vec<String> = p.emails.iter().map(|e| email_key(e)).collect();
    let phones: Vec<String> = p.phones.iter().map(|x| phone_key(x)).collect();
    let by =
        |f: &dyn Fn(&Contact) -> bool| c.contacts.iter().find(|(_, k)| f(k)).map(|(id, _)| *id);
    by(&|k| k.emails.iter().any(|e| emails.contains(&email_key(e))))
        .or_else(|| by(&|k| k.phones.iter().any(|x| phones.contains(&phone_key(x)))))
        .or_else(|| by(&|k| name_key(&k.name) == name_key(&p.name)))
}

/// Works out what importing `people` does to `existing` customers, as of `now`.
pub fn plan(people: &[Person], existing: Existing, now: Timestamp) -> Plan {
    let mut work: Vec<Work> = Vec::new();
    let mut index = Index::default();
    for c in existing.customers.into_iter().filter(|c| !c.is_deleted()) {
        index.add(work.len(), &c);
        work.push(Work::new(c, false));
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
                    work.push(Work::new(c, true));
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
                    work.push(Work::new(c, true));
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
    out
}

/// Adds what `p` brings to customer `w`: as a contact when `p` is a person with an
/// organisation, to the customer itself otherwise (a person customer, or a row that describes
/// only the organisation).
fn merge_into(w: &mut Work, p: &Person, now: Timestamp) {
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
        let existing = find_contact(&w.customer, p);
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
                contact.phones.push(x.clone());
            }
        }
        if contact.title.is_empty() {
            contact.title = p.title.clone();
        }
        if contact.notes.is_empty() {
            contact.notes = p.notes.clone();
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
            w.push(Edit::AddPhone(x.clone()), format!("phone {x}"), now);
        }
    }
    if !p.notes.is_empty() && w.customer.notes.trim().is_empty() {
        w.push(Edit::Notes(p.notes.clone()), "notes".into(), now);
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
