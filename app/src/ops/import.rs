//! Importing a file: read it (orders, a vCard file or a contacts CSV, detected or as asked),
//! plan it against the store (which customers each row creates, merges into or leaves as they
//! are; which customer each order's deal goes to), and write the plan in one transaction.
//!
//! Invariants: reading and planning write nothing; [`apply`] writes all of a plan or, on an
//! error, nothing (one `write_batch`). Which rows are bad is decided here (by the reader and
//! by [`plan_orders`]); whether a bad row refuses the import is the caller's (`--skip-bad`,
//! the app's "skip bad rows"), as is the wording of the preview and the report.

use rapport_model::{CustomerId, Edit};
use rapport_store::Store;

/// An import file, read and checked against nothing yet (nothing written).
pub enum ImportRead {
    /// Orders or deals, one per row.
    Orders {
        orders: Vec<rapport_interchange::Order>,
        bad: Vec<rapport_interchange::RowError>,
    },
    /// People from a contacts CSV or a vCard file.
    Contacts {
        layout: rapport_interchange::Layout,
        people: Vec<rapport_interchange::Person>,
        bad: Vec<rapport_interchange::RowError>,
    },
}

/// A contacts layout's name, as `--format` and the app's import preview say it.
pub fn layout_name(layout: rapport_interchange::Layout) -> &'static str {
    use rapport_interchange::Layout;
    match layout {
        Layout::Google | Layout::GoogleOld => "google",
        Layout::Outlook => "outlook",
        Layout::VCard => "vcard",
    }
}

/// Reads an import file: orders, a vCard file or a contacts CSV, as detected from its first
/// bytes or as `format` insists (a CSV whose header is another layout than the one asked for
/// is refused). The error says what is wrong with the file, without its name.
pub fn read_import(bytes: &[u8], format: crate::cli::ImportFormat) -> Result<ImportRead, String> {
    use crate::cli::ImportFormat;
    use rapport_interchange::{FileKind, Layout};
    let kind = rapport_interchange::detect(bytes);
    if format == ImportFormat::Orders || (format == ImportFormat::Auto && kind == FileKind::Orders)
    {
        let (orders, bad) =
            rapport_interchange::read_orders_csv(bytes).map_err(|e| e.to_string())?;
        return Ok(ImportRead::Orders { orders, bad });
    }
    let (layout, people, bad) = if kind == FileKind::VCard || format == ImportFormat::Vcard {
        let (people, bad) = rapport_interchange::read_vcards(bytes).map_err(|e| e.to_string())?;
        (Layout::VCard, people, bad)
    } else {
        rapport_interchange::read_contacts_csv(bytes).map_err(|e| e.to_string())?
    };
    let wanted = match format {
        ImportFormat::Google => Some("google"),
        ImportFormat::Outlook => Some("outlook"),
        ImportFormat::Vcard => Some("vcard"),
        ImportFormat::Auto | ImportFormat::Orders => None,
    };
    let found = layout_name(layout);
    if let Some(w) = wanted
        && w != found
    {
        return Err(format!(
            "--format {w} was asked for, but the header is a {found} CSV"
        ));
    }
    Ok(ImportRead::Contacts {
        layout,
        people,
        bad,
    })
}

/// What importing `people` would do to the store: match each against the customers they may
/// be (by the summaries), merge into those, create the rest. Writes nothing.
pub fn plan_contacts<S: std::borrow::Borrow<rapport_model::CustomerSummary>>(
    store: &Store,
    summaries: &[S],
    people: &[rapport_interchange::Person],
    now: rapport_model::Timestamp,
) -> anyhow::Result<rapport_interchange::Plan> {
    let candidates = rapport_interchange::Existing::candidates(summaries, people);
    let mut customers = Vec::with_capacity(candidates.len());
    for id in candidates {
        customers.push(store.customer(id)?);
    }
    Ok(rapport_interchange::plan(
        people,
        rapport_interchange::Existing { customers },
        now,
    ))
}

/// The deal edits importing `orders` would make, and every row that cannot be placed (bad in
/// the file, or naming no known customer), by line.
pub fn plan_orders<S: std::borrow::Borrow<rapport_model::CustomerSummary>>(
    orders: &[rapport_interchange::Order],
    mut bad: Vec<rapport_interchange::RowError>,
    summaries: &[S],
) -> (
    Vec<(rapport_model::CustomerId, Vec<rapport_model::Edit>)>,
    Vec<rapport_interchange::RowError>,
) {
    let (edits, unmatched) = rapport_interchange::plan_orders(orders, summaries);
    bad.extend(unmatched);
    bad.sort_by_key(|e| e.line);
    (edits, bad)
}

/// A planned import, ready to write.
pub enum Planned {
    /// Contacts: customers to create and merges into existing ones.
    Contacts(rapport_interchange::Plan),
    /// Orders: deal edits per existing customer.
    Orders(Vec<(CustomerId, Vec<Edit>)>),
}

/// What [`apply`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    /// Customers created.
    pub created: usize,
    /// Existing customers changed (merged into, or given deals).
    pub changed: usize,
}

/// Writes a planned import in one transaction: all of it, or on an error nothing.
pub fn apply(store: &Store, planned: &Planned) -> anyhow::Result<Written> {
    match planned {
        Planned::Contacts(plan) => apply_contacts(store, plan),
        Planned::Orders(edits) => apply_orders(store, edits),
    }
}

/// Writes a contacts plan: its new customers and its merges, in one transaction.
pub fn apply_contacts(store: &Store, plan: &rapport_interchange::Plan) -> anyhow::Result<Written> {
    let (_, changed) = store.write_batch(plan.creates.clone(), plan.merges.clone())?;
    Ok(Written {
        created: plan.creates.len(),
        changed,
    })
}

/// Writes an orders plan: each customer's deal edits, in one transaction.
pub fn apply_orders(store: &Store, edits: &[(CustomerId, Vec<Edit>)]) -> anyhow::Result<Written> {
    let (_, changed) = store.write_batch(Vec::new(), edits.to_vec())?;
    Ok(Written {
        created: 0,
        changed,
    })
}

/// How many of the deals in `edits` are new or different (`.0`) and how many the store has
/// already, exactly so (`.1`): what an orders import adds.
pub fn deal_changes(
    store: &Store,
    edits: &[(CustomerId, Vec<Edit>)],
) -> anyhow::Result<(usize, usize)> {
    let (mut added, mut same) = (0usize, 0usize);
    for (id, es) in edits {
        let c = store.customer(*id)?;
        for e in es {
            if let Edit::PutDeal(did, d) = e {
                if c.deals.get(did) == Some(d) {
                    same += 1;
                } else {
                    added += 1;
                }
            }
        }
    }
    Ok((added, same))
}
