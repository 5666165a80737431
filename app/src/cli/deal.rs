//! `rapport deal add|edit`.

use super::*;

#[derive(Subcommand, Debug)]
pub enum DealCmd {
    /// Record a deal, order or payment; prints its id.
    Add {
        customer: String,
        /// Decimal amount, e.g. 1234.50.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// ISO 4217 code, e.g. CNY.
        #[arg(long)]
        currency: String,
        /// open, won or lost.
        #[arg(long)]
        status: String,
        /// YYYY-MM-DD: close date (won/lost) or expected close (open).
        #[arg(long)]
        date: String,
        #[arg(long, default_value = "")]
        title: String,
        /// 0-100; default 100 for won, 0 for lost, 50 for open.
        #[arg(long)]
        probability: Option<u8>,
    },
    /// Change a deal.
    Edit {
        /// The deal's id (or a unique prefix of at least 4 hex digits).
        deal: String,
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
        #[arg(long)]
        currency: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        probability: Option<u8>,
    },
}

pub(super) fn deal(cli: &Cli, cmd: &DealCmd) -> Result<()> {
    match cmd {
        DealCmd::Add {
            customer,
            amount,
            currency,
            status,
            date,
            title,
            probability,
        } => {
            let currency = Currency::parse(currency, "currency")?;
            let status = DealStatus::parse(status)?;
            let d = Deal {
                title: title.clone(),
                amount: Money::parse(amount, currency, "amount")?,
                status,
                date: Due::parse(date, "date")?.date,
                probability: probability.unwrap_or(match status {
                    DealStatus::Won => 100,
                    DealStatus::Lost => 0,
                    DealStatus::Open => 50,
                }),
            };
            add_item(cli, "deal add", customer, |id, _| Edit::PutDeal(id, d))
        }
        DealCmd::Edit {
            deal,
            amount,
            currency,
            status,
            date,
            title,
            probability,
        } => {
            let store = open(cli, "deal edit")?;
            let mut hits = Vec::new();
            for s in store.summaries()? {
                for d in &s.deals {
                    if id_matches(&d.id, deal) {
                        hits.push((s.id, d.id));
                    }
                }
            }
            let (cid, did) = unique(hits, "deal", deal)?;
            let c = store.customer(cid)?;
            let mut d = c
                .deals
                .get(&did)
                .cloned()
                .ok_or_else(|| anyhow!("deal {did} vanished"))?;
            if let Some(cur) = currency {
                d.amount.currency = Currency::parse(cur, "currency")?;
            }
            if let Some(a) = amount {
                d.amount = Money::parse(a, d.amount.currency, "amount")?;
            } else if currency.is_some() {
                // Re-check the stored amount against the new currency's precision.
                d.amount = Money::parse(&d.amount.decimal(), d.amount.currency, "amount")?;
            }
            if let Some(s) = status {
                d.status = DealStatus::parse(s)?;
            }
            if let Some(dt) = date {
                d.date = Due::parse(dt, "date")?.date;
            }
            if let Some(t) = title {
                d.title = t.clone();
            }
            if let Some(p) = probability {
                d.probability = *p;
            }
            store.edit(cid, &[Edit::PutDeal(did, d)])?;
            Ok(())
        }
    }
}
