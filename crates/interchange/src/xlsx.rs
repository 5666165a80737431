//! XLSX out: tables of typed cells written as one workbook with `rust_xlsxwriter`, and the
//! customer table in the layout our own importer reads back.
//!
//! [`customer_table`] writes one row per customer with English headers the column mapping
//! recognises (`Customer`, `Kind`, `Company`, `Industry`, `Address`, `Website`, `Email`,
//! `Phone`, `Tags`, `Owner`, `Source`, `Notes`), then one column per custom field in use
//! (named as the field, so the mapping places it back), then the caller's derived columns,
//! whose headers end in ` (computed)`: the mapping ignores those, as derived data is never
//! imported. Several emails or phones share a cell, separated by `, `. [`contact_table`] has
//! one row per contact (`Company`, `Contact`, `Title`, `Phone`, `Email`), which imports as the
//! company's contacts. Pure: tables in, bytes out.

use chrono::NaiveDate;
use rapport_model::{Customer, CustomerKind, Fields};

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum XCell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl From<&str> for XCell {
    fn from(s: &str) -> Self {
        if s.is_empty() {
            XCell::Empty
        } else {
            XCell::Text(s.to_string())
        }
    }
}

impl From<String> for XCell {
    fn from(s: String) -> Self {
        XCell::from(s.as_str())
    }
}

/// A sheet: its name, headers and rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<XCell>>,
}

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
#[error("could not write the workbook: {0}")]
pub struct XlsxError(#[from] rust_xlsxwriter::XlsxError);

/// The suffix of derived columns' headers (the importer ignores them).
pub const COMPUTED: &str = " (computed)";

/// Writes `tables` as sheets of one workbook: bold headers, frozen header row, dates as date
/// cells, numbers as numbers.
pub fn to_xlsx(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for t in tables {
        let ws = wb.add_worksheet();
        // Sheet names: at most 31 characters, none of `[]:*?/\`.
        let name: String = t
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        ws.set_name(if name.is_empty() { "Sheet" } else { &name })?;
        for (c, h) in t.headers.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            ws.write_string_with_format(0, col, h, &bold)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (r, row) in t.rows.iter().enumerate() {
            let line = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                match cell {
                    XCell::Empty => {}
                    XCell::Text(s) => {
                        ws.write_string(line, col, s)?;
                    }
                    XCell::Number(n) => {
                        ws.write_number(line, col, *n)?;
                    }
                    XCell::Date(d) => {
                        let dt = ExcelDateTime::parse_from_str(&d.format("%Y-%m-%d").to_string())?;
                        ws.write_datetime_with_format(line, col, &dt, &date)?;
                    }
                }
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// The customers as the importer reads them back, with `extra` derived columns (each header
/// gets [`COMPUTED`]) filled per customer by `derived`.
pub fn customer_table(
    customers: &[Customer],
    fields: &Fields,
    extra: &[&str],
    derived: &dyn Fn(&Customer) -> Vec<XCell>,
) -> Table {
    let active: Vec<&rapport_model::FieldDef> = fields.active().collect();
    let mut headers: Vec<String> = [
        "Customer", "Kind", "Company", "Industry", "Address", "Website", "Email", "Phone", "Tags",
        "Owner", "Source", "Notes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    headers.extend(active.iter().map(|f| f.name.clone()));
    headers.extend(extra.iter().map(|h| format!("{h}{COMPUTED}")));
    let rows = customers
        .iter()
        .map(|c| {
            let mut row: Vec<XCell> = vec![
                c.name.as_str().into(),
                c.kind.as_str().into(),
                // A company customer's name is its company; a person's is where they work.
                match c.kind {
                    CustomerKind::Company => XCell::Empty,
                    CustomerKind::Person => c.company.as_str().into(),
                },
                c.industry.as_str().into(),
                c.address.as_str().into(),
                c.website.as_str().into(),
                c.emails.join(", ").into(),
                c.phones.join(", ").into(),
                c.tags.iter().cloned().collect::<Vec<_>>().join(", ").into(),
                c.owner.as_str().into(),
                c.source.as_str().into(),
                c.notes.as_str().into(),
            ];
            for f in &active {
                row.push(match (c.fields.get(&f.id), f.kind) {
                    (None, _) => XCell::Empty,
                    (Some(v), rapport_model::FieldKind::Date) => {
                        match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                            Ok(d) => XCell::Date(d),
                            Err(_) => v.as_str().into(),
                        }
                    }
                    (Some(v), rapport_model::FieldKind::Number) => match v.parse::<f64>() {
                        Ok(n) => XCell::Number(n),
                        Err(_) => v.as_str().into(),
                    },
                    (Some(v), _) => v.as_str().into(),
                });
            }
            row.extend(derived(c));
            row
        })
        .collect();
    Table {
        name: "Customers".into(),
        headers,
        rows,
    }
}

/// One row per contact of the company customers: company, contact, title, phones, emails.
pub fn contact_table(customers: &[Customer]) -> Table {
    let mut rows = Vec::new();
    for c in customers {
        for k in c.contacts.values() {
            rows.push(vec![
                c.name.as_str().into(),
                k.name.as_str().into(),
                k.title.as_str().into(),
                k.phones.join(", ").into(),
                k.emails.join(", ").into(),
            ]);
        }
    }
    Table {
        name: "Contacts".into(),
        headers: ["Company", "Contact", "Title", "Phone", "Email"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows,
    }
}
