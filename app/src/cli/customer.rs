//! `rapport customer`, `contact add`, `interaction log`: customers and the items added to them.

use super::*;

#[derive(Subcommand, Debug)]
pub enum CustomerCmd {
    /// Add a customer; prints its id.
    Add(Box<CustomerAdd>),
    /// List customers (by name, or `--sort`).
    List(CustomerList),
    /// Show one customer in full.
    Show {
        customer: String,
        #[arg(long)]
        json: bool,
    },
    /// Change fields of a customer.
    Edit(Box<CustomerEdit>),
    /// Archive a customer (hidden from lists and the agenda, kept).
    Archive {
        customer: String,
        /// Un-archive instead.
        #[arg(long)]
        undo: bool,
    },
    /// Delete a customer (a tombstone on every device; restorable).
    Delete { customer: String },
    /// Restore a deleted customer.
    Restore { customer: String },
}

#[derive(Args, Debug)]
pub struct CustomerAdd {
    #[arg(long)]
    pub name: String,
    #[arg(long, default_value = "company")]
    pub kind: String,
    /// For a person: the organisation they belong to.
    #[arg(long)]
    pub company: Option<String>,
    #[arg(long)]
    pub email: Vec<String>,
    #[arg(long)]
    pub phone: Vec<String>,
    #[arg(long)]
    pub tag: Vec<String>,
    #[arg(long)]
    pub industry: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub website: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub notes: Option<String>,
    /// A custom field's value, FIELD=VALUE (repeatable; see `rapport field list`).
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CustomerList {
    /// Only customers with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Only customers of this effective tier: vip, major, common, minor or unranked.
    #[arg(long)]
    pub tier: Option<String>,
    /// Only customers matching this text (name, company, contacts, phones, emails, tags,
    /// notes; Chinese names also by pinyin).
    #[arg(long)]
    pub search: Option<String>,
    /// Only customers whose custom field passes: NAME=VALUE, NAME>=VALUE, NAME<=VALUE
    /// (number, money and date fields) or NAME=* (set); repeatable, all must hold.
    #[arg(long = "field", value_name = "TEST")]
    pub field: Vec<String>,
    /// Show this custom field's value as a column of the table (repeatable; JSON always
    /// carries every field as `fields`).
    #[arg(long = "column", value_name = "FIELD")]
    pub column: Vec<String>,
    /// The order: name, company, tier, revenue, stage, owner, next-due, updated or a custom
    /// field's name, with `:desc` to reverse (default: name). A field sorts by its kind;
    /// customers without a value come last either way.
    #[arg(long, value_name = "COLUMN[:desc]", conflicts_with = "deleted")]
    pub sort: Option<String>,
    /// Include archived customers.
    #[arg(long)]
    pub archived: bool,
    /// List deleted customers (only).
    #[arg(long, conflicts_with = "archived")]
    pub deleted: bool,
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CustomerEdit {
    pub customer: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub company: Option<String>,
    #[arg(long)]
    pub industry: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    /// The website (`example.com` or a full URL); empty clears it.
    #[arg(long)]
    pub website: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub notes: Option<String>,
    /// Set a custom field, FIELD=VALUE (repeatable; an empty VALUE clears it).
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// exploration, formation, stability, decline, or `none` to infer it.
    #[arg(long)]
    pub stage: Option<String>,
    #[arg(long)]
    pub importance: Option<String>,
    #[arg(long)]
    pub urgency: Option<String>,
    /// The customer who referred this one, or `none`.
    #[arg(long)]
    pub referred_by: Option<String>,
    /// Set the value tier by hand (vip, major, common, minor), or `none` to use the computed one.
    #[arg(long)]
    pub tier: Option<String>,
    /// Why the tier was set by hand (with --tier).
    #[arg(long, requires = "tier")]
    pub tier_reason: Option<String>,
    #[arg(long)]
    pub add_tag: Vec<String>,
    #[arg(long)]
    pub remove_tag: Vec<String>,
    #[arg(long)]
    pub add_email: Vec<String>,
    #[arg(long)]
    pub remove_email: Vec<String>,
    #[arg(long)]
    pub add_phone: Vec<String>,
    #[arg(long)]
    pub remove_phone: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum ContactCmd {
    /// Add a contact to a customer; prints its id.
    Add {
        customer: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long)]
        email: Vec<String>,
        #[arg(long)]
        phone: Vec<String>,
        /// Messaging handle, e.g. wechat:zhangwei88.
        #[arg(long)]
        handle: Vec<String>,
        /// YYYY-MM-DD.
        #[arg(long)]
        birthday: Option<String>,
        #[arg(long, default_value = "")]
        notes: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum InteractionCmd {
    /// Record something that happened; prints its id.
    Log {
        customer: String,
        #[arg(long)]
        summary: String,
        /// call, visit, email, meeting, message or other.
        #[arg(long, default_value = "call")]
        kind: String,
        #[arg(long, default_value = "")]
        outcome: String,
        /// When (RFC 3339 or "YYYY-MM-DD HH:MM" local); default now.
        #[arg(long)]
        at: Option<String>,
        /// Who; default this device's name.
        #[arg(long)]
        by: Option<String>,
    },
}

pub(super) fn customer(cli: &Cli, cmd: &CustomerCmd) -> Result<()> {
    match cmd {
        CustomerCmd::Add(a) => {
            let kind = CustomerKind::parse(&a.kind)?;
            let mut nc = NewCustomer::new(a.name.clone(), kind);
            let e = &mut nc.edits;
            item_edit(a.company.clone(), Edit::Company, e);
            item_edit(a.industry.clone(), Edit::Industry, e);
            item_edit(a.address.clone(), Edit::Address, e);
            item_edit(a.website.clone(), Edit::Website, e);
            item_edit(a.owner.clone(), Edit::Owner, e);
            item_edit(a.source.clone(), Edit::Source, e);
            item_edit(a.notes.clone(), Edit::Notes, e);
            e.extend(a.email.iter().cloned().map(Edit::AddEmail));
            e.extend(a.tag.iter().cloned().map(Edit::AddTag));
            let store = open(cli, "customer add")?;
            let region = crate::ops::fields::phone_region(&store)?;
            e.extend(
                crate::ops::fields::canonical_phones(region, &a.phone)
                    .into_iter()
                    .map(Edit::AddPhone),
            );
            e.extend(crate::ops::fields::field_edits(
                &crate::ops::fields::fields(&store)?,
                &a.set,
                value_settings(&store)?.base_currency,
            )?);
            let id = store.create(nc)?;
            if a.json {
                let s = store
                    .summary(id)?
                    .ok_or_else(|| anyhow!("customer {id} vanished"))?;
                let v = values(&store)?;
                output::json(&output::CustomerRow::new(
                    &s,
                    v.get(id)?.as_ref(),
                    v.totals().settings.base_currency,
                    &crate::ops::fields::fields(&store)?,
                ))
            } else {
                say!("{id}");
                Ok(())
            }
        }
        CustomerCmd::List(l) => {
            let store = open(cli, "customer list")?;
            let tier = l
                .tier
                .as_deref()
                .map(|t| match t.trim().to_ascii_lowercase().as_str() {
                    "unranked" => Ok(None),
                    other => Tier::parse(other).map(Some),
                })
                .transpose()?;
            let settings = value_settings(&store)?;
            let base = settings.base_currency;
            let defs = crate::ops::fields::fields(&store)?;
            let columns = l
                .column
                .iter()
                .map(|name| {
                    defs.find(name).cloned().ok_or_else(|| {
                        anyhow!(
                            "--column `{name}`: no field named `{}` (rapport field list)",
                            name.trim()
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let sort = l
                .sort
                .as_deref()
                .map(|s| lists::parse_sort(&defs, s))
                .transpose()?
                .unwrap_or_default();
            let rows: Vec<output::CustomerRow> = if l.deleted {
                // Deleted customers are listed only here (the app has a bin of its own).
                // They are never analysed: no value to show.
                lists::list_deleted(
                    &store,
                    l.tag.as_deref(),
                    l.search.as_deref(),
                    l.offset,
                    l.limit,
                )?
                .iter()
                .map(|s| output::CustomerRow::new(s, None, base, &defs))
                .collect()
            } else {
                // The app's list: the same search (fuzzy, pinyin), filters and order.
                let v = lists::values(&store, &settings, today())?;
                let field_tests = l
                    .field
                    .iter()
                    .map(|t| crate::ops::fields::field_filter(&defs, t, base))
                    .collect::<Result<Vec<_>>>()?;
                let filter = rapport_query::Filter {
                    text: l.search.clone().unwrap_or_default(),
                    tier: tier.flatten(),
                    tag: l.tag.clone(),
                    archived: l.archived,
                    fields: field_tests,
                    ..rapport_query::Filter::default()
                };
                let ask = lists::ListAsk {
                    filter: &filter,
                    unranked: tier == Some(None),
                    offset: l.offset,
                    limit: l.limit,
                    sort,
                };
                lists::list_customers(&store, &v, &ask)?
                    .iter()
                    .map(|(s, value)| output::CustomerRow::new(s, value.as_ref(), base, &defs))
                    .collect()
            };
            if l.json {
                output::json(&rows)
            } else {
                output::customer_table(&rows, crate::ops::fields::phone_region(&store)?, &columns)
            }
        }
        CustomerCmd::Show { customer, json } => {
            let store = open(cli, "customer show")?;
            let id = store.resolve(customer)?;
            let c = store.customer(id)?;
            let defs = crate::ops::fields::fields(&store)?;
            // A custom field's conflict is named by the field, not its key.
            let conflicts = store
                .conflicts(id)?
                .into_iter()
                .map(|(k, v)| {
                    let name = k
                        .strip_prefix(rapport_store::doc::FIELD_KEY)
                        .and_then(|fid| defs.by_id(fid))
                        .map_or(k, |f| f.name.clone());
                    (name, v)
                })
                .collect();
            let v = values(&store)?;
            let value = v
                .get(id)?
                .map(|value| output::ValueView::new(&value, v.totals().settings.base_currency));
            let fields = crate::ops::fields::values_by_name(&defs, &c)
                .into_iter()
                .collect();
            if *json {
                output::json(&output::CustomerDetail {
                    customer: &c,
                    fields,
                    conflicts,
                    value,
                })
            } else {
                let region = crate::ops::fields::phone_region(&store)?;
                output::customer_detail(&c, &conflicts, value.as_ref(), &fields, region)
            }
        }
        CustomerCmd::Edit(e) => {
            let store = open(cli, "customer edit")?;
            let id = store.resolve(&e.customer)?;
            let edits = edits_of(&store, id, e)?;
            if edits.is_empty() {
                bail!(
                    "nothing to change: give at least one field flag (see `rapport customer edit --help`)"
                );
            }
            store.edit(id, &edits)?;
            Ok(())
        }
        CustomerCmd::Archive { customer, undo } => {
            let store = open(cli, "customer archive")?;
            let id = store.resolve(customer)?;
            store.edit(id, &[Edit::Archive(!undo)])?;
            Ok(())
        }
        CustomerCmd::Delete { customer } => {
            let store = open(cli, "customer delete")?;
            let id = store.resolve(customer)?;
            store.edit(id, &[Edit::Delete])?;
            Ok(())
        }
        CustomerCmd::Restore { customer } => {
            let store = open(cli, "customer restore")?;
            let id = store.resolve(customer)?;
            store.edit(id, &[Edit::Restore])?;
            Ok(())
        }
    }
}

pub(super) fn none_or<T>(s: &str, f: impl FnOnce(&str) -> Result<T>) -> Result<Option<T>> {
    if s.eq_ignore_ascii_case("none") {
        Ok(None)
    } else {
        f(s).map(Some)
    }
}

pub(super) fn edits_of(
    store: &Store,
    id: rapport_model::CustomerId,
    e: &CustomerEdit,
) -> Result<Vec<Edit>> {
    let mut out = Vec::new();
    item_edit(e.name.clone(), Edit::Name, &mut out);
    if let Some(k) = &e.kind {
        out.push(Edit::Kind(CustomerKind::parse(k)?));
    }
    item_edit(e.company.clone(), Edit::Company, &mut out);
    item_edit(e.industry.clone(), Edit::Industry, &mut out);
    item_edit(e.address.clone(), Edit::Address, &mut out);
    item_edit(e.website.clone(), Edit::Website, &mut out);
    item_edit(e.owner.clone(), Edit::Owner, &mut out);
    item_edit(e.source.clone(), Edit::Source, &mut out);
    item_edit(e.notes.clone(), Edit::Notes, &mut out);
    if let Some(s) = &e.stage {
        out.push(Edit::Stage(none_or(s, |s| Ok(LifecycleStage::parse(s)?))?));
    }
    if let Some(s) = &e.importance {
        out.push(Edit::Importance(Importance::parse(s)?));
    }
    if let Some(s) = &e.urgency {
        out.push(Edit::Urgency(Urgency::parse(s)?));
    }
    if let Some(t) = &e.tier {
        let tier = none_or(t, |t| Ok(Tier::parse(t)?))?;
        out.push(Edit::TierOverride(tier.map(|tier| TierOverride {
            tier,
            reason: e.tier_reason.clone().unwrap_or_default(),
        })));
    }
    if let Some(r) = &e.referred_by {
        out.push(Edit::ReferredBy(none_or(r, |r| Ok(store.resolve(r)?))?));
    }
    out.extend(e.add_tag.iter().cloned().map(Edit::AddTag));
    out.extend(e.remove_tag.iter().cloned().map(Edit::RemoveTag));
    out.extend(e.add_email.iter().cloned().map(Edit::AddEmail));
    out.extend(e.remove_email.iter().cloned().map(Edit::RemoveEmail));
    if !e.add_phone.is_empty() || !e.remove_phone.is_empty() || !e.set.is_empty() {
        let region = crate::ops::fields::phone_region(store)?;
        let c = store.customer(id)?;
        out.extend(
            crate::ops::fields::canonical_phones(region, &e.add_phone)
                .into_iter()
                .map(Edit::AddPhone),
        );
        out.extend(
            e.remove_phone
                .iter()
                .map(|p| Edit::RemovePhone(crate::ops::fields::stored_phone(&c, region, p))),
        );
        out.extend(crate::ops::fields::field_edits(
            &crate::ops::fields::fields(store)?,
            &e.set,
            value_settings(store)?.base_currency,
        )?);
    }
    Ok(out)
}
