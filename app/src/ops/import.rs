//! Importing a file: read it (orders, a vCard file, a contacts CSV, or any spreadsheet through
//! a column mapping remembered per header layout; detected or as asked, in any encoding),
//! plan it against the store (which customers each row creates, merges into or leaves as they
//! are; which customer each order's deal goes to), and write the plan in one transaction.
//!
//! Invariants: reading and planning write nothing; [`apply`] writes all of a plan or, on an
//! error, nothing (one `write_batch`). Which rows are bad is decided here (by the reader and
//! by [`plan_orders`]); whether a bad row refuses the import is the caller's (`--skip-bad`,
//! the app's "skip bad rows"), as is the wording of the preview and the report.

use rapport_model::{CustomerId, Edit};
use rapport_store::Store;

/// What the person asked of an import besides the file's bytes (the CLI's flags, the app's
/// import window).
#[derive(Clone, Debug)]
pub struct ImportAsk {
    pub format: crate::cli::ImportFormat,
    /// `--encoding NAME`: overrides the guess.
    pub encoding: Option<String>,
    /// `--sheet NAME|N`: the workbook sheet to read.
    pub sheet: Option<String>,
    /// `--map COLUMN=FIELD` pairs, applied over the remembered or suggested mapping.
    pub maps: Vec<String>,
    /// `--mapping NAME`: a mapping remembered under a name (used, and with `--map` saved).
    pub mapping: Option<String>,
    /// The file's name (a hint for its format: `.tsv`).
    pub file_name: String,
    /// The file's date: sales without a date of their own are dated by it.
    pub file_date: Option<chrono::NaiveDate>,
}

impl ImportAsk {
    /// Everything detected, nothing mapped by hand.
    pub fn auto(file_name: &str) -> Self {
        ImportAsk {
            format: crate::cli::ImportFormat::Auto,
            encoding: None,
            sheet: None,
            maps: Vec::new(),
            mapping: None,
            file_name: file_name.to_string(),
            file_date: None,
        }
    }
}

/// An import file, read and checked against nothing yet (nothing written).
pub enum ImportRead {
    /// Orders or deals, one per row.
    Orders {
        orders: Vec<rapport_interchange::Order>,
        bad: Vec<rapport_interchange::RowError>,
        decoded_as: String,
    },
    /// People from a contacts CSV or a vCard file.
    Contacts {
        layout: rapport_interchange::Layout,
        people: Vec<rapport_interchange::Person>,
        bad: Vec<rapport_interchange::RowError>,
        decoded_as: String,
    },
    /// People from a spreadsheet, through a column mapping.
    Sheet(Box<SheetRead>),
}

/// A spreadsheet read through its mapping.
pub struct SheetRead {
    pub sheet: rapport_interchange::Sheet,
    pub mapping: rapport_interchange::Mapping,
    /// Where the mapping came from: `suggested from the headers`, `remembered for this
    /// layout`, `remembered as NAME`, each `with N --map`.
    pub mapping_from: String,
    /// Columns with values that no field takes (the import waits for a `--map` for each).
    pub unplaced: Vec<String>,
    pub people: Vec<rapport_interchange::Person>,
    pub bad: Vec<rapport_interchange::RowError>,
    /// `GB18030 (guessed)`, `xlsx`.
    pub decoded_as: String,
    /// What the import does with what, in words (a sales column, the date order).
    pub notes: Vec<String>,
}

impl ImportRead {
    /// How the bytes were decoded, for previews.
    pub fn decoded_as(&self) -> &str {
        match self {
            ImportRead::Orders { decoded_as, .. } | ImportRead::Contacts { decoded_as, .. } => {
                decoded_as
            }
            ImportRead::Sheet(s) => &s.decoded_as,
        }
    }
}

/// A contacts layout's name, as `--format` and the app's import preview say it.
pub fn layout_name(layout: rapport_interchange::Layout) -> &'static str {
    use rapport_interchange::Layout;
    match layout {
        Layout::Google | Layout::GoogleOld => "google",
        Layout::Outlook(_) => "outlook",
        Layout::Thunderbird => "thunderbird",
        Layout::VCard => "vcard",
    }
}

/// Settings keys of remembered mappings: by header signature, and by name.
const MAPPING_KEY: &str = "import.mapping.";
const NAMED_MAPPING_KEY: &str = "import.mapping.name.";

fn looks_like_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// Reads an import file: orders, a vCard file, a contacts CSV of a layout we know, or any
/// other spreadsheet through a column mapping; as detected from its bytes or as `ask.format`
/// insists (a CSV whose header is another layout than the one asked for is refused).
/// `settings` are the team's: remembered mappings, custom fields, the base currency. The error
/// says what is wrong with the file, without its name.
pub fn read_import(
    bytes: &[u8],
    ask: &ImportAsk,
    settings: &std::collections::BTreeMap<String, String>,
) -> Result<ImportRead, String> {
    use crate::cli::ImportFormat;
    use rapport_interchange::{FileKind, ReadError};
    let enc = ask.encoding.as_deref();
    if ask.format == ImportFormat::Sheet || looks_like_workbook(bytes) {
        return read_sheet(bytes, ask, settings).map(|s| ImportRead::Sheet(Box::new(s)));
    }
    let kind = rapport_interchange::detect(bytes);
    if ask.format == ImportFormat::Orders
        || (ask.format == ImportFormat::Auto && kind == FileKind::Orders)
    {
        let r = rapport_interchange::read_orders_csv(bytes, enc).map_err(|e| e.to_string())?;
        return Ok(ImportRead::Orders {
            orders: r.orders,
            bad: r.bad,
            decoded_as: r.decoded_as,
        });
    }
    let read = if kind == FileKind::VCard || ask.format == ImportFormat::Vcard {
        rapport_interchange::read_vcards(bytes, enc).map_err(|e| e.to_string())?
    } else {
        match rapport_interchange::read_contacts_csv(bytes, enc) {
            Ok(r) => r,
            // Not a contacts layout we know: a spreadsheet of the team's own.
            Err(ReadError::UnknownLayout(_)) if ask.format == ImportFormat::Auto => {
                return read_sheet(bytes, ask, settings).map(|s| ImportRead::Sheet(Box::new(s)));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let wanted = match ask.format {
        ImportFormat::Google => Some("google"),
        ImportFormat::Outlook => Some("outlook"),
        ImportFormat::Vcard => Some("vcard"),
        ImportFormat::Auto | ImportFormat::Orders | ImportFormat::Sheet => None,
    };
    let found = layout_name(read.layout);
    if let Some(w) = wanted
        && w != found
    {
        return Err(format!(
            "--format {w} was asked for, but the header is a {found} CSV"
        ));
    }
    Ok(ImportRead::Contacts {
        layout: read.layout,
        people: read.people,
        bad: read.bad,
        decoded_as: read.decoded_as,
    })
}

/// A remembered mapping's pairs, if any and if it still fits `headers`.
fn remembered(
    settings: &std::collections::BTreeMap<String, String>,
    key: &str,
    headers: &[String],
) -> Option<rapport_interchange::Mapping> {
    let pairs: Vec<String> = serde_json::from_str(settings.get(key)?).ok()?;
    rapport_interchange::Mapping::from_pairs(headers, &pairs).ok()
}

fn read_sheet(
    bytes: &[u8],
    ask: &ImportAsk,
    settings: &std::collections::BTreeMap<String, String>,
) -> Result<SheetRead, String> {
    use rapport_interchange::mapping::{self, Target};
    let sheet = rapport_interchange::read_sheet(
        bytes,
        &rapport_interchange::SheetOptions {
            file_name: Some(ask.file_name.clone()),
            encoding: ask.encoding.clone(),
            sheet: ask.sheet.clone(),
        },
    )
    .map_err(|e| e.to_string())?;
    if sheet.rows.is_empty() {
        return Err(format!(
            "line {}: the sheet has no rows below its header ({} column(s)): nothing to import",
            sheet.header_line.max(1),
            sheet.headers.len()
        ));
    }
    let fields = rapport_model::Fields::from_settings(settings);
    let names: Vec<String> = fields.active().map(|f| f.name.clone()).collect();
    let signature = mapping::header_signature(&sheet.headers);
    let (mut m, mut from) = match &ask.mapping {
        Some(name) => match remembered(
            settings,
            &format!("{NAMED_MAPPING_KEY}{name}"),
            &sheet.headers,
        ) {
            Some(m) => (m, format!("remembered as `{name}`")),
            None if ask.maps.is_empty() => {
                return Err(format!(
                    "no mapping named `{name}` for these columns (name one with --mapping {name} --map COLUMN=FIELD ...)"
                ));
            }
            None => (
                rapport_interchange::suggest(&sheet.headers, &names),
                "suggested from the headers".to_string(),
            ),
        },
        None => match remembered(
            settings,
            &format!("{MAPPING_KEY}{signature}"),
            &sheet.headers,
        ) {
            Some(m) => (m, "remembered for this layout".to_string()),
            None => (
                rapport_interchange::suggest(&sheet.headers, &names),
                "suggested from the headers".to_string(),
            ),
        },
    };
    m.apply_pairs(&ask.maps).map_err(|e| e.to_string())?;
    if !ask.maps.is_empty() {
        from.push_str(&format!(", with {} --map", ask.maps.len()));
    }
    // A custom field that is not the team's is refused before anything is read into it.
    for c in &m.columns {
        if let Some(Target::Custom(name)) = &c.target
            && fields.find(name).is_none()
        {
            return Err(format!(
                "column `{}` is mapped to custom:{name}, but the team has no such field (add it with `rapport field add`)",
                c.header
            ));
        }
    }
    let has_values = |i: usize| sheet.rows.iter().any(|r| !r.get(i).is_empty());
    let unplaced: Vec<String> = m
        .unplaced()
        .into_iter()
        .filter(|c| has_values(c.index))
        .map(|c| c.header.clone())
        .collect();
    let currency = rapport_value::ValueSettings::from_map_tolerant(settings)
        .0
        .base_currency;
    let (people, bad, totals) = rapport_interchange::mapping::read_people(
        &sheet,
        &m,
        &rapport_interchange::PeopleOptions {
            default_currency: currency,
            file_date: ask.file_date,
            date_order: None,
        },
    );
    let mut notes = Vec::new();
    let mut sheet = sheet;
    // Total rows are left out, and said so, without stopping the import.
    sheet.warnings.extend(totals);
    let column_of = |t: &Target| {
        m.columns
            .iter()
            .find(|c| c.target.as_ref() == Some(t))
            .map(|c| c.header.clone())
    };
    if let Some(sales) = column_of(&Target::Sales) {
        notes.push(match (column_of(&Target::SalesDate), ask.file_date) {
            (Some(date), _) => format!("`{sales}` becomes a won deal per row, dated by `{date}`"),
            (None, Some(d)) => format!(
                "`{sales}` becomes a won deal per row, dated {d} (the file's date; map a date column with --map 'COLUMN=sales-date')"
            ),
            (None, None) => format!("`{sales}` becomes a won deal per row"),
        });
    }
    if let Some(c) = column_of(&Target::NextVisit) {
        notes.push(format!(
            "`{c}` becomes an open follow-up (a visit) on that day"
        ));
    }
    if let Some(c) = column_of(&Target::LastContact) {
        notes.push(format!(
            "`{c}` becomes a logged visit on that day (revisit cadence counts from it)"
        ));
    }
    if column_of(&Target::Customer).is_some() {
        notes.push(if mapping::customer_is_company(&sheet, &m) {
            "each customer is a company".to_string()
        } else {
            "each customer is a person".to_string()
        });
    }
    let order = mapping::date_order_of(&sheet, &m);
    notes.push(format!("dates like 03/04/2026 are read {order:?}"));
    let decoded_as = match sheet.encoding {
        Some(e) => format!("{} ({e})", format!("{:?}", sheet.format).to_lowercase()),
        None => format!("{:?}", sheet.format).to_lowercase(),
    };
    Ok(SheetRead {
        decoded_as,
        sheet,
        mapping: m,
        mapping_from: from,
        unplaced,
        people,
        bad,
        notes,
    })
}

/// Remembers a sheet's mapping for its header layout (and under `name`), so the next import
/// of the same layout needs no `--map`. A mapping too long for one setting, or a team that
/// does not let this device change settings, is reported and not remembered.
pub fn remember_mapping(
    store: &Store,
    mapping: &rapport_interchange::Mapping,
    name: Option<&str>,
) -> anyhow::Result<()> {
    let pairs = serde_json::to_string(&mapping.to_pairs())?;
    store.set_setting(&format!("{MAPPING_KEY}{}", mapping.signature), Some(&pairs))?;
    if let Some(n) = name {
        store.set_setting(&format!("{NAMED_MAPPING_KEY}{}", n.trim()), Some(&pairs))?;
    }
    Ok(())
}

/// What importing `people` would do to the store: match each against the customers they may
/// be (by the summaries), merge into those, create the rest. Writes nothing. Phones are
/// compared and stored with the team's region; custom fields are placed by name.
pub fn plan_contacts<S: std::borrow::Borrow<rapport_model::CustomerSummary>>(
    store: &Store,
    summaries: &[S],
    people: &[rapport_interchange::Person],
    now: rapport_model::Timestamp,
    file_date: Option<chrono::NaiveDate>,
) -> anyhow::Result<rapport_interchange::Plan> {
    let settings = store.settings()?;
    let region = crate::ops::fields::region_in(&settings);
    let candidates = rapport_interchange::Existing::candidates_in(summaries, people, region);
    let mut customers = Vec::with_capacity(candidates.len());
    for id in candidates {
        customers.push(store.customer(id)?);
    }
    let opts = rapport_interchange::PlanOptions {
        region,
        fields: rapport_model::Fields::from_settings(&settings),
        file_date,
        by: store.device().name,
        currency: Some(
            rapport_value::ValueSettings::from_map_tolerant(&settings)
                .0
                .base_currency,
        ),
    };
    Ok(rapport_interchange::plan_with(
        people,
        rapport_interchange::Existing { customers },
        now,
        &opts,
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
