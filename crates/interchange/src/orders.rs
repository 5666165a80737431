//! Orders and deals from a CSV file, attached to existing customers (they feed value tiers).
//!
//! Columns (header names, any order, case-insensitive): `customer` (an id, an email or an
//! exact name; `customer_id`, `email` and `name` work too), `date` (`YYYY-MM-DD`), `amount`
//! (decimal text), `currency` (ISO 4217), `status` (`won`, `open`, `lost`; default `won`) and
//! `title` (optional), `probability` (optional, 0-100).
//!
//! Each order becomes a deal whose id is derived from the row's content (customer, date,
//! amount, currency, title), so importing the same file again adds nothing.
//!
//! The file is decoded first ([`crate::decode`]: an encoding asked for, byte order marks,
//! UTF-16, UTF-8, a guess); the delimiter (`,` `;` tab `|`) is the one the header line uses
//! most.

use std::collections::HashMap;

use chrono::NaiveDate;
use rapport_model::{
    Currency, CustomerId, CustomerSummary, Deal, DealStatus, Edit, ItemId, Money, check_date,
    check_line, excerpt,
};

use crate::csv_contacts::{csv_reader, each_record};
use crate::{ReadError, RowError, decode, email_key, name_key};

/// One order row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub line: u64,
    /// The customer as the file names it.
    pub customer: String,
    pub deal: Deal,
}

/// What [`read_orders_csv`] found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrdersRead {
    pub orders: Vec<Order>,
    /// Rows that could not be read, each naming its line and column.
    pub bad: Vec<RowError>,
    /// How the bytes were decoded ([`crate::decode::Decoded::describe`]).
    pub decoded_as: String,
}

/// Whether a CSV header looks like an orders file (any encoding [`crate::decode`] finds).
pub fn is_orders_header(bytes: &[u8]) -> bool {
    match decode::decode(bytes, None) {
        Ok(d) => is_orders_text(&d.text),
        Err(_) => is_orders_text(&String::from_utf8_lossy(bytes)),
    }
}

/// Whether the first line of `text` is an orders header (`amount` and `date` columns,
/// separated by `,` `;` tab or `|`).
pub(crate) fn is_orders_text(text: &str) -> bool {
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or_default()
        .to_lowercase();
    let cols: Vec<&str> = first
        .split([',', ';', '\t', '|'])
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    cols.contains(&"amount") && cols.contains(&"date")
}

/// Reads an orders CSV, in the encoding `encoding` names or else the one found.
pub fn read_orders_csv(bytes: &[u8], encoding: Option<&str>) -> Result<OrdersRead, ReadError> {
    let decoded = decode::decode(bytes, encoding)?;
    let text = decoded.text.as_str();
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    let (mut reader, delim) = csv_reader(text);
    let headers = reader
        .headers()
        .map_err(|e| crate::csv_contacts::csv_error(&e))?
        .clone();
    let col: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_lowercase(), i))
        .collect();
    let customer_col = ["customer", "customer_id", "email", "name"]
        .iter()
        .find(|c| col.contains_key(**c))
        .copied();
    let Some(customer_col) = customer_col else {
        return Err(ReadError::Csv {
            line: 1,
            reason: "an orders file needs a `customer` column (an id, an email or a name)".into(),
        });
    };
    let mut orders = Vec::new();
    let mut bad = Vec::new();
    each_record(&mut reader, text.as_bytes(), delim, |row, line| {
        let get = |name: &str| {
            col.get(name)
                .and_then(|&i| row.get(i))
                .map(str::trim)
                .unwrap_or("")
        };
        let err = |column: &str, reason: String| RowError {
            line,
            column: column.to_string(),
            reason,
        };
        let parsed = (|| {
            let customer = get(customer_col);
            if customer.is_empty() {
                return Err(err(customer_col, "empty".into()));
            }
            // No customer has a name this long or with control characters: say so here
            // rather than after matching (slowly) against every customer.
            check_line(customer_col, customer).map_err(|e| err(customer_col, e.to_string()))?;
            let date = NaiveDate::parse_from_str(get("date"), "%Y-%m-%d").map_err(|_| {
                err(
                    "date",
                    format!("`{}` is not a date (YYYY-MM-DD)", excerpt(get("date"))),
                )
            })?;
            check_date("date", date).map_err(|e| err("date", e.to_string()))?;
            let currency = Currency::parse(get("currency"), "currency")
                .map_err(|e| err("currency", e.to_string()))?;
            let amount = Money::parse(get("amount"), currency, "amount")
                .map_err(|e| err("amount", e.to_string()))?;
            let status = match get("status") {
                "" => DealStatus::Won,
                s => DealStatus::parse(s).map_err(|e| err("status", e.to_string()))?,
            };
            let probability =
                match get("probability") {
                    "" => match status {
                        DealStatus::Won => 100,
                        DealStatus::Lost => 0,
                        DealStatus::Open => 50,
                    },
                    p => p.parse::<u8>().ok().filter(|p| *p <= 100).ok_or_else(|| {
                        err("probability", format!("`{}` is not 0-100", excerpt(p)))
                    })?,
                };
            let title = get("title");
            check_line("title", title).map_err(|e| err("title", e.to_string()))?;
            Ok(Order {
                line,
                customer: customer.to_string(),
                deal: Deal {
                    title: title.to_string(),
                    amount,
                    status,
                    date,
                    probability,
                },
            })
        })();
        match parsed {
            Ok(o) => orders.push(o),
            Err(e) => bad.push(e),
        }
    })?;
    Ok(OrdersRead {
        orders,
        bad,
        decoded_as: decoded.describe(),
    })
}

/// A deal id from the row's content, so the same row always lands on the same deal.
fn deal_id(customer: CustomerId, d: &Deal) -> ItemId {
    let key = format!(
        "{}|{}|{}|{}|{}",
        customer,
        d.date,
        d.amount.minor,
        d.amount.currency.code(),
        d.title
    );
    let h = blake3::hash(key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.as_bytes()[..16]);
    ItemId::from_u128(u128::from_be_bytes(b))
}

/// Attaches each order to its customer: by full id, else by email, else by exact name (an
/// ambiguous or unknown customer is a bad row). Returns the edits per customer (one change
/// each) and the bad rows.
pub fn plan_orders<S: std::borrow::Borrow<CustomerSummary>>(
    orders: &[Order],
    summaries: &[S],
) -> (Vec<(CustomerId, Vec<Edit>)>, Vec<RowError>) {
    let mut by_id: HashMap<String, CustomerId> = HashMap::new();
    let mut by_email: HashMap<String, Vec<CustomerId>> = HashMap::new();
    let mut by_name: HashMap<String, Vec<CustomerId>> = HashMap::new();
    for s in summaries
        .iter()
        .map(std::borrow::Borrow::borrow)
        .filter(|s: &&CustomerSummary| !s.deleted)
    {
        by_id.insert(s.id.to_string(), s.id);
        for t in s
            .search
            .split(char::is_whitespace)
            .filter(|t| t.contains('@'))
        {
            by_email.entry(t.to_string()).or_default().push(s.id);
        }
        by_name.entry(name_key(&s.name)).or_default().push(s.id);
    }
    let mut edits: Vec<(CustomerId, Vec<Edit>)> = Vec::new();
    let mut slot: HashMap<CustomerId, usize> = HashMap::new();
    let mut bad = Vec::new();
    for o in orders {
        let key = o.customer.trim();
        let found: Result<CustomerId, String> = if let Some(id) = by_id.get(&key.to_lowercase()) {
            Ok(*id)
        } else {
            let mut hits = by_email
                .get(&email_key(key))
                .or_else(|| by_name.get(&name_key(key)))
                .cloned()
                .unwrap_or_default();
            hits.sort();
            hits.dedup();
            match hits.as_slice() {
                [one] => Ok(*one),
                [] => Err(format!("no customer matches `{}`", excerpt(key))),
                many => Err(format!(
                    "`{}` matches {} customers; use the customer's id",
                    excerpt(key),
                    many.len()
                )),
            }
        };
        match found {
            Ok(id) => {
                let e = Edit::PutDeal(deal_id(id, &o.deal), o.deal.clone());
                match slot.get(&id) {
                    Some(&i) => edits[i].1.push(e),
                    None => {
                        slot.insert(id, edits.len());
                        edits.push((id, vec![e]));
                    }
                }
            }
            Err(reason) => bad.push(RowError {
                line: o.line,
                column: "customer".into(),
                reason,
            }),
        }
    }
    (edits, bad)
}
