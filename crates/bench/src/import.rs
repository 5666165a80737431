//! Importing a Google Contacts CSV: read, plan against the store, write in one transaction;
//! then the same file again (everything already there). Baseline: the same people written
//! one durable transaction per person, as a naive importer would.

use std::time::Instant;

use anyhow::Result;
use rapport_interchange::{Existing, plan, read_contacts_csv};
use rapport_model::{CustomerKind, Edit, NewCustomer};
use rapport_store::{OpenOptions, Store};

/// A Google Contacts CSV of `n` people at about `n / 5` organisations.
fn google_csv(n: usize) -> String {
    let given = [
        "伟", "Anna", "María", "Jürgen", "Aiko", "Tom", "芳", "Lukas", "Sofia", "健",
    ];
    let family = [
        "张", "Schmidt", "García", "Müller", "Tanaka", "O'Neil", "王", "Weber", "Rossi", "李",
    ];
    let mut out = String::from(
        "First Name,Last Name,Organization Name,Organization Title,Notes,Labels,E-mail 1 - Value,Phone 1 - Value\n",
    );
    for i in 0..n {
        let org = if i % 4 == 0 {
            String::new()
        } else {
            format!("Company {} GmbH", i / 5)
        };
        out.push_str(&format!(
            "{},{} {i},{org},Buyer,\"Met at fair {i}, hall 3\",Customers ::: Fair,p{i}@example.com,+49 30 {i:07}\n",
            given[i % given.len()],
            family[(i / 7) % family.len()],
        ));
    }
    out
}

fn import(store: &Store, csv: &str) -> Result<(usize, usize, f64, f64, f64)> {
    let t = Instant::now();
    let read = read_contacts_csv(csv.as_bytes(), None)?;
    let (people, bad) = (read.people, read.bad);
    anyhow::ensure!(bad.is_empty(), "bad rows in generated CSV: {}", bad.len());
    let read_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let summaries = store.summaries()?;
    let ids = Existing::candidates(&summaries, &people);
    let mut customers = Vec::with_capacity(ids.len());
    for id in ids {
        customers.push(store.customer(id)?);
    }
    let p = plan(&people, Existing { customers }, chrono::Utc::now());
    let plan_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let (created, merged) = (p.creates.len(), p.merges.len());
    store.write_batch(p.creates, p.merges)?;
    let write_ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok((created, merged, read_ms, plan_ms, write_ms))
}

pub fn run(sizes: &[usize]) -> Result<()> {
    struct Row {
        rows: usize,
        created: usize,
        first: (f64, f64, f64),
        again_ms: f64,
        again_created: usize,
        naive_ms: f64,
    }
    let mut rows = Vec::new();
    for &n in sizes {
        let csv = google_csv(n);
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path(), OpenOptions::default())?;
        let (created, _, r, p, w) = import(&store, &csv)?;
        let t = Instant::now();
        let (again_created, ..) = import(&store, &csv)?;
        let again_ms = t.elapsed().as_secs_f64() * 1000.0;
        // Naive: one durable transaction per person (no plan, no merging).
        let naive_dir = tempfile::tempdir()?;
        let naive = Store::open(naive_dir.path(), OpenOptions::default())?;
        let people = read_contacts_csv(csv.as_bytes(), None)?.people;
        let t = Instant::now();
        for person in &people {
            let mut c = NewCustomer::new(person.name.clone(), CustomerKind::Person);
            c.edits
                .extend(person.emails.iter().cloned().map(Edit::AddEmail));
            c.edits
                .extend(person.phones.iter().cloned().map(Edit::AddPhone));
            naive.create(c)?;
        }
        let naive_ms = t.elapsed().as_secs_f64() * 1000.0;
        rows.push(Row {
            rows: n,
            created,
            first: (r, p, w),
            again_ms,
            again_created,
            naive_ms,
        });
    }
    let line = crate::table(
        "Import a Google Contacts CSV (people at organisations: companies with contacts)",
        sizes,
        &rows,
    );
    line("rows / customers created", &|r: &Row| {
        format!("{} / {}", r.rows, r.created)
    });
    line(
        "first import: read + plan + write (one transaction)",
        &|r: &Row| {
            let (a, b, c) = r.first;
            format!(
                "{:.0} + {:.0} + {:.0} = {:.2} s",
                a,
                b,
                c,
                (a + b + c) / 1000.0
            )
        },
    );
    line(
        "same file again (nothing new): total, created",
        &|r: &Row| format!("{:.2} s, {}", r.again_ms / 1000.0, r.again_created),
    );
    line("naive: one durable transaction per person", &|r: &Row| {
        format!("{:.2} s", r.naive_ms / 1000.0)
    });
    line("naive / first import", &|r: &Row| {
        let (a, b, c) = r.first;
        format!("{:.1}x", r.naive_ms / (a + b + c))
    });
    Ok(())
}
