//! # rapport-value: customer value management, computed
//!
//! [`analyse`] turns the store's customer summaries, the team's [`ValueSettings`] and a date
//! into an [`Analysis`]: for every active customer its value tier, RFM scores and segment,
//! lifetime value, realised / potential / influence value, lifecycle stage and next revisit
//! date, plus team-wide figures (tier counts and revenue shares, the Pareto curve, RFM segment
//! counts). It is pure and deterministic: the same summaries, settings and date give the same
//! result on every device, in any input order. Nothing here is ever stored as CRDT state.
//!
//! ## Rules
//!
//! **Who takes part.** Customers that are neither deleted nor archived.
//!
//! **Money.** Revenue is ranked in the base currency (`currency.base`, default CNY). Amounts in
//! other currencies are converted with the team's rate table in integer arithmetic (rates have
//! six decimals; results round half up to the base currency's minor unit). Amounts are never
//! added across currencies silently: a customer with a won deal inside the window in a
//! currency that has no rate is *left out* of the ranking ([`CustomerValue::left_out`] names
//! the currencies) and gets no computed tier. Outside the window such deals are skipped and
//! reported the same way.
//!
//! **Window.** Won deals dated after `today − window_months` and on or before `today`
//! (default 12 months). Won deals dated after `today` count nowhere yet.
//!
//! **Tiers** (Pareto classes). Rank the `N` ranked customers by window revenue. The cumulative
//! slot counts are `ceil(N × p / 100)` for p = VIP 1 %, Major 5 %, Common 20 % (so any
//! non-empty base has at least one VIP). A customer's rank is 1 + the number of customers with
//! strictly more revenue, so equal revenue means equal rank and **ties at a boundary all get
//! the better tier**. Tier = VIP if rank ≤ VIP slots, Major if ≤ Major slots, Common if ≤
//! Common slots, else Minor; a customer with **zero window revenue is always Minor**. Examples
//! (tested): 150 customers → 2 VIP, 6 Major, 22 Common, 120 Minor; 10 → 1, 0, 1, 8; 3 → 1, 0,
//! 0, 2; 1 → 1 VIP. A manual override ([`rapport_model::TierOverride`]) wins for display and
//! cadence; the computed tier stays visible.
//!
//! **RFM.** Among ranked customers with at least one won deal up to today: recency = days
//! since the latest won deal, frequency = won deals in the window, monetary = window revenue.
//! Each is scored 1–5 by quintile: score = 1 + ⌊5 × (customers strictly worse) / n⌋, so ties
//! score alike and the best fifth scores 5 (fewer days is better for recency). Segments, with
//! FM = ⌈(F + M) / 2⌉:
//!
//! | R \ FM | 1 | 2–3 | 4–5 |
//! |---|---|---|---|
//! | 4–5 | new | potential loyalist | champions |
//! | 3 | about to sleep | need attention | loyal |
//! | 2 | hibernating (FM 1–2) / at risk (FM 3) | | at risk |
//! | 1 | lost (FM 1–3) | | can't lose |
//!
//! Customers with no won deal are `prospect`.
//!
//! **Lifetime value.** CLV = (window revenue ÷ window years) × margin × Σₜ₌₁..ₗ 1/(1+d)ᵗ,
//! i.e. average order value × orders per year × margin, over the expected lifetime L years,
//! discounted yearly at d (defaults: margin 30 %, L = 3, d = 10 %). Inputs are reported with it.
//!
//! **Three kinds of value.** Realised: all won revenue up to today. Potential: open deals ×
//! their probability. Influence: the number of customers that name this one as `referred_by`,
//! and their realised revenue.
//!
//! **Lifecycle stage** (when not set by hand), with P = the window length: exploration = no won
//! deal yet; formation = first won deal within the last P; decline = revenue in the last P is
//! below half of the P before it (including none at all while there was some before), or the
//! last purchase is older than 2P; stability = otherwise.
//!
//! **Revisit cadence.** Next revisit = date of the last contact (latest interaction or completed
//! follow-up) + the cadence of the effective tier (VIP 14, Major 30, Common 60, Minor and
//! unranked 90 days). A customer never contacted is due from the day it was created. Due for
//! revisit = next revisit ≤ today.

mod settings;

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, Months, NaiveDate};
use rapport_model::{
    Currency, CustomerId, CustomerSummary, DealStatus, LifecycleStage, Tier, TierOverride,
};
use serde::{Deserialize, Serialize};

pub use settings::{KEYS, OTHER_KEYS, Rate, SettingsError, ValueSettings};

/// RFM segment names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Champions,
    Loyal,
    PotentialLoyalist,
    New,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLose,
    Hibernating,
    Lost,
    Prospect,
}

impl Segment {
    pub const ALL: [Segment; 11] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::PotentialLoyalist,
        Segment::New,
        Segment::NeedAttention,
        Segment::AboutToSleep,
        Segment::AtRisk,
        Segment::CantLose,
        Segment::Hibernating,
        Segment::Lost,
        Segment::Prospect,
    ];

    /// The segment of RFM scores (each 1–5), per the table in the crate docs.
    pub fn of(r: u8, f: u8, m: u8) -> Segment {
        let fm = (f + m).div_ceil(2);
        match (r, fm) {
            (4..=5, 4..=5) => Segment::Champions,
            (4..=5, 2..=3) => Segment::PotentialLoyalist,
            (4..=5, _) => Segment::New,
            (3, 4..=5) => Segment::Loyal,
            (3, 2..=3) => Segment::NeedAttention,
            (3, _) => Segment::AboutToSleep,
            (2, 3..=5) => Segment::AtRisk,
            (2, _) => Segment::Hibernating,
            (_, 4..=5) => Segment::CantLose,
            _ => Segment::Lost,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::PotentialLoyalist => "potential_loyalist",
            Segment::New => "new",
            Segment::NeedAttention => "need_attention",
            Segment::AboutToSleep => "about_to_sleep",
            Segment::AtRisk => "at_risk",
            Segment::CantLose => "cant_lose",
            Segment::Hibernating => "hibernating",
            Segment::Lost => "lost",
            Segment::Prospect => "prospect",
        }
    }
}

/// RFM inputs and scores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rfm {
    pub recency_days: i64,
    pub frequency: u32,
    /// Window revenue in base minor units.
    pub monetary: i64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

/// Lifetime value and the inputs it was computed from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clv {
    /// Base minor units.
    pub value: i64,
    pub average_order: i64,
    pub orders_per_year: f64,
    pub margin_percent: u32,
    pub lifetime_years: u32,
    pub discount_percent: u32,
}

/// Referrals brought by a customer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Influence {
    pub referrals: u32,
    /// Realised revenue of the referred customers, base minor units.
    pub revenue: i64,
}

/// Everything computed for one customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerValue {
    pub id: CustomerId,
    /// The computed tier; `None` when left out of the ranking.
    pub tier: Option<Tier>,
    pub tier_override: Option<TierOverride>,
    /// Override if any, else the computed tier.
    pub effective_tier: Option<Tier>,
    /// Competition rank by window revenue (1 = best), among ranked customers.
    pub rank: Option<u32>,
    /// Won revenue in the window, base minor units.
    pub window_revenue: i64,
    pub rfm: Option<Rfm>,
    pub segment: Segment,
    pub clv: Clv,
    /// Won revenue up to today, base minor units.
    pub realised: i64,
    /// Open deals weighted by probability, base minor units.
    pub potential: i64,
    pub influence: Influence,
    pub stage_inferred: LifecycleStage,
    /// The manual stage if set, else the inferred one.
    pub stage: LifecycleStage,
    pub last_contact: Option<NaiveDate>,
    pub next_revisit: NaiveDate,
    pub due_for_revisit: bool,
    /// Currencies without a rate that kept this customer out of the ranking or out of a sum.
    pub left_out: Vec<Currency>,
}

/// Count and revenue of one tier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TierStat {
    pub tier: Tier,
    pub customers: u32,
    pub revenue: i64,
    pub revenue_share: f64,
    pub customer_share: f64,
}

/// A point of the Pareto curve: the top `customer_share` of ranked customers bring
/// `revenue_share` of window revenue.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParetoPoint {
    pub customer_share: f64,
    pub revenue_share: f64,
}

/// What list filters read of a customer's value: its effective tier, segment, whether it is
/// due for a revisit, and its lifecycle stage (manual, else inferred). Small and `Copy`, so a
/// store can keep it at the front of a cached row and filters need not decode the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueFacts {
    pub effective_tier: Option<Tier>,
    pub segment: Segment,
    pub due_for_revisit: bool,
    pub stage: LifecycleStage,
}

impl CustomerValue {
    /// The parts of this value that list filters read.
    pub fn facts(&self) -> ValueFacts {
        ValueFacts {
            effective_tier: self.effective_tier,
            segment: self.segment,
            due_for_revisit: self.due_for_revisit,
            stage: self.stage,
        }
    }
}

/// The whole computation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub today: NaiveDate,
    /// First day inside the window.
    pub window_start: NaiveDate,
    pub settings: ValueSettings,
    /// Per customer, in id order.
    pub customers: Vec<CustomerValue>,
    pub ranked: u32,
    pub total_revenue: i64,
    pub tiers: Vec<TierStat>,
    /// At most 101 points, from (0, 0) to (1, 1).
    pub pareto: Vec<ParetoPoint>,
    pub segments: BTreeMap<Segment, u32>,
    #[serde(skip)]
    index: HashMap<CustomerId, usize>,
}

impl Analysis {
    /// The value of one customer.
    pub fn get(&self, id: CustomerId) -> Option<&CustomerValue> {
        self.index.get(&id).and_then(|i| self.customers.get(*i))
    }

    /// Customers due for a revisit, most valuable first (effective tier, then window revenue).
    pub fn due_for_revisit(&self) -> Vec<&CustomerValue> {
        let mut v: Vec<&CustomerValue> = self
            .customers
            .iter()
            .filter(|c| c.due_for_revisit)
            .collect();
        v.sort_by_key(|c| {
            (
                tier_order(c.effective_tier),
                std::cmp::Reverse(c.window_revenue),
                c.id,
            )
        });
        v
    }

    /// Customers left out of the ranking for want of an exchange rate.
    pub fn left_out(&self) -> impl Iterator<Item = &CustomerValue> {
        self.customers.iter().filter(|c| c.tier.is_none())
    }
}

fn tier_order(t: Option<Tier>) -> u8 {
    match t {
        Some(Tier::Vip) => 0,
        Some(Tier::Major) => 1,
        Some(Tier::Common) => 2,
        Some(Tier::Minor) => 3,
        None => 4,
    }
}

/// Converts `minor` units of `cur` into base minor units, or `None` without a rate.
/// Results too large for an `i64` saturate (an absurd amount or rate must not overflow).
fn to_base(minor: i64, cur: Currency, s: &ValueSettings) -> Option<i64> {
    if cur == s.base_currency {
        return Some(minor);
    }
    let rate = s.rates.get(&cur)?;
    let num = i128::from(minor)
        .saturating_mul(i128::from(rate.0))
        .saturating_mul(10i128.pow(u32::from(s.base_currency.exponent())));
    let den = i128::from(Rate::SCALE) * 10i128.pow(u32::from(cur.exponent()));
    let v = num.saturating_add(den / 2) / den;
    Some(i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX }))
}

/// Scores `values` 1–5 by quintile; `better_high` says whether larger is better.
fn quintile_scores(values: &[i64], better_high: bool) -> Vec<u8> {
    let n = values.len();
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    values
        .iter()
        .map(|v| {
            let worse = if better_high {
                sorted.partition_point(|x| x < v)
            } else {
                n - sorted.partition_point(|x| x <= v)
            };
            (1 + (5 * worse) / n.max(1)).min(5) as u8
        })
        .collect()
}

struct Work<'a> {
    s: &'a CustomerSummary,
    window_revenue: i64,
    realised: i64,
    potential: i64,
    frequency: u32,
    last_purchase: Option<NaiveDate>,
    first_purchase: Option<NaiveDate>,
    prev_period: i64,
    left_out: Vec<Currency>,
    window_blocked: bool,
}

/// Runs the whole analysis over `summaries` (any order) as of `today`.
pub fn analyse<S: std::borrow::Borrow<CustomerSummary>>(
    summaries: &[S],
    settings: &ValueSettings,
    today: NaiveDate,
) -> Analysis {
    let months = Months::new(settings.window_months);
    let window_start = today
        .checked_sub_months(months)
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .unwrap_or(NaiveDate::MIN);
    let prev_start = window_start
        .checked_sub_months(months)
        .unwrap_or(NaiveDate::MIN);
    let stale_before = prev_start;

    let mut work: Vec<Work<'_>> = summaries
        .iter()
        .map(std::borrow::Borrow::borrow)
        .filter(|s: &&CustomerSummary| !s.deleted && !s.archived)
        .map(|s| {
            let mut w = Work {
                s,
                window_revenue: 0,
                realised: 0,
                potential: 0,
                frequency: 0,
                last_purchase: None,
                first_purchase: None,
                prev_period: 0,
                left_out: Vec::new(),
                window_blocked: false,
            };
            for d in &s.deals {
                let conv = to_base(d.minor, d.currency, settings);
                if conv.is_none() && !w.left_out.contains(&d.currency) {
                    w.left_out.push(d.currency);
                }
                match d.status {
                    DealStatus::Won if d.date <= today => {
                        let in_window = d.date >= window_start;
                        w.last_purchase = w.last_purchase.max(Some(d.date));
                        w.first_purchase = Some(w.first_purchase.map_or(d.date, |f| f.min(d.date)));
                        if in_window {
                            w.frequency += 1;
                        }
                        match conv {
                            Some(v) => {
                                w.realised = w.realised.saturating_add(v);
                                if in_window {
                                    w.window_revenue = w.window_revenue.saturating_add(v);
                                } else if d.date >= prev_start {
                                    w.prev_period = w.prev_period.saturating_add(v);
                                }
                            }
                            None if in_window => w.window_blocked = true,
                            None => {}
                        }
                    }
                    DealStatus::Open => {
                        if let Some(v) = conv {
                            w.potential = w.potential.saturating_add(
                                v.saturating_mul(i64::from(d.probability.min(100))) / 100,
                            );
                        }
                    }
                    _ => {}
                }
            }
            w.left_out.sort();
            w
        })
        .collect();
    work.sort_by_key(|w| w.s.id);

    // Ranking.
    let mut order: Vec<usize> = (0..work.len())
        .filter(|i| !work[*i].window_blocked)
        .collect();
    order.sort_by_key(|i| (std::cmp::Reverse(work[*i].window_revenue), work[*i].s.id));
    let n = order.len();
    let slots = |p: u32| (n * p as usize).div_ceil(100);
    let (vip, major, common) = (
        slots(settings.vip_percent),
        slots(settings.major_percent),
        slots(settings.common_percent),
    );
    let mut tier: Vec<Option<Tier>> = vec![None; work.len()];
    let mut rank: Vec<Option<u32>> = vec![None; work.len()];
    let mut current_rank = 0usize;
    for (pos, &i) in order.iter().enumerate() {
        if pos == 0 || work[order[pos - 1]].window_revenue != work[i].window_revenue {
            current_rank = pos + 1;
        }
        rank[i] = u32::try_from(current_rank).ok();
        tier[i] = Some(if work[i].window_revenue <= 0 {
            Tier::Minor
        } else if current_rank <= vip {
            Tier::Vip
        } else if current_rank <= major {
            Tier::Major
        } else if current_rank <= common {
            Tier::Common
        } else {
            Tier::Minor
        });
    }
    let total_revenue: i64 = order
        .iter()
        .fold(0i64, |t, i| t.saturating_add(work[*i].window_revenue));

    // Pareto curve.
    let mut pareto = vec![ParetoPoint {
        customer_share: 0.0,
        revenue_share: 0.0,
    }];
    if n > 0 {
        let mut cum = Vec::with_capacity(n);
        let mut acc = 0i64;
        for &i in &order {
            acc = acc.saturating_add(work[i].window_revenue);
            cum.push(acc);
        }
        let steps = n.min(100);
        for k in 1..=steps {
            let top = (k * n).div_ceil(steps);
            let rev = cum.get(top - 1).copied().unwrap_or(acc);
            pareto.push(ParetoPoint {
                customer_share: top as f64 / n as f64,
                revenue_share: if total_revenue > 0 {
                    rev as f64 / total_revenue as f64
                } else {
                    0.0
                },
            });
        }
    }

    // RFM among ranked customers who ever bought.
    let buyers: Vec<usize> = order
        .iter()
        .copied()
        .filter(|i| work[*i].last_purchase.is_some())
        .collect();
    let rec: Vec<i64> = buyers
        .iter()
        .map(|i| work[*i].last_purchase.map_or(0, |d| (today - d).num_days()))
        .collect();
    let freq: Vec<i64> = buyers
        .iter()
        .map(|i| i64::from(work[*i].frequency))
        .collect();
    let mon: Vec<i64> = buyers.iter().map(|i| work[*i].window_revenue).collect();
    let (rs, fs, ms) = (
        quintile_scores(&rec, false),
        quintile_scores(&freq, true),
        quintile_scores(&mon, true),
    );
    let mut rfm: Vec<Option<Rfm>> = vec![None; work.len()];
    for (k, &i) in buyers.iter().enumerate() {
        rfm[i] = Some(Rfm {
            recency_days: rec[k],
            frequency: work[i].frequency,
            monetary: mon[k],
            r: rs[k],
            f: fs[k],
            m: ms[k],
        });
    }

    // Influence.
    let index: HashMap<CustomerId, usize> =
        work.iter().enumerate().map(|(i, w)| (w.s.id, i)).collect();
    let mut influence: Vec<Influence> = vec![Influence::default(); work.len()];
    for w in &work {
        if let Some(j) = w.s.referred_by.and_then(|r| index.get(&r))
            && let Some(inf) = influence.get_mut(*j)
        {
            inf.referrals += 1;
            inf.revenue = inf.revenue.saturating_add(w.realised);
        }
    }

    let years = f64::from(settings.window_months) / 12.0;
    let d = f64::from(settings.discount_percent) / 100.0;
    let annuity: f64 = (1..=settings.lifetime_years)
        .map(|t| 1.0 / (1.0 + d).powi(t as i32))
        .sum();
    let margin = f64::from(settings.margin_percent) / 100.0;

    let mut customers = Vec::with_capacity(work.len());
    let mut segments: BTreeMap<Segment, u32> = Segment::ALL.iter().map(|s| (*s, 0)).collect();
    for (i, w) in work.iter().enumerate() {
        let s = w.s;
        let segment = rfm[i]
            .as_ref()
            .map_or(Segment::Prospect, |r| Segment::of(r.r, r.f, r.m));
        if tier[i].is_some() {
            *segments.entry(segment).or_default() += 1;
        }
        let stage_inferred = match (w.first_purchase, w.last_purchase) {
            (None, _) => LifecycleStage::Exploration,
            (Some(first), _) if first >= window_start => LifecycleStage::Formation,
            (_, Some(last)) if last < stale_before => LifecycleStage::Decline,
            _ if w.prev_period > 0 && w.window_revenue.saturating_mul(2) < w.prev_period => {
                LifecycleStage::Decline
            }
            _ => LifecycleStage::Stability,
        };
        let effective_tier = s.tier_override.as_ref().map(|o| o.tier).or(tier[i]);
        let last_contact = s.last_contact.map(|t| t.date_naive());
        let base_day = last_contact.unwrap_or_else(|| s.created_at.date_naive());
        let next_revisit = if last_contact.is_some() {
            base_day
                .checked_add_days(Days::new(u64::from(settings.cadence(effective_tier))))
                .unwrap_or(NaiveDate::MAX)
        } else {
            base_day
        };
        let average_order = if w.frequency > 0 {
            w.window_revenue / i64::from(w.frequency)
        } else {
            0
        };
        let orders_per_year = f64::from(w.frequency) / years;
        let clv_value = (w.window_revenue as f64 / years * margin * annuity).round() as i64;
        customers.push(CustomerValue {
            id: s.id,
            tier: tier[i],
            tier_override: s.tier_override.clone(),
            effective_tier,
            rank: rank[i],
            window_revenue: w.window_revenue,
            rfm: rfm[i].clone(),
            segment,
            clv: Clv {
                value: clv_value,
                average_order,
                orders_per_year,
                margin_percent: settings.margin_percent,
                lifetime_years: settings.lifetime_years,
                discount_percent: settings.discount_percent,
            },
            realised: w.realised,
            potential: w.potential,
            influence: influence[i].clone(),
            stage_inferred,
            stage: s.stage.unwrap_or(stage_inferred),
            last_contact,
            next_revisit,
            due_for_revisit: next_revisit <= today,
            left_out: w.left_out.clone(),
        });
    }

    let tiers = [Tier::Vip, Tier::Major, Tier::Common, Tier::Minor]
        .into_iter()
        .map(|t| {
            let members: Vec<&CustomerValue> =
                customers.iter().filter(|c| c.tier == Some(t)).collect();
            let revenue: i64 = members
                .iter()
                .fold(0i64, |t, c| t.saturating_add(c.window_revenue));
            TierStat {
                tier: t,
                customers: members.len() as u32,
                revenue,
                revenue_share: if total_revenue > 0 {
                    revenue as f64 / total_revenue as f64
                } else {
                    0.0
                },
                customer_share: if n > 0 {
                    members.len() as f64 / n as f64
                } else {
                    0.0
                },
            }
        })
        .collect();

    Analysis {
        today,
        window_start,
        settings: settings.clone(),
        index: customers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect(),
        customers,
        ranked: n as u32,
        total_revenue,
        tiers,
        pareto,
        segments,
    }
}

/// Converts `minor` units of `cur` into the base currency's minor units with the team's
/// rates (`None` without a rate).
pub fn to_base_currency(minor: i64, cur: Currency, settings: &ValueSettings) -> Option<i64> {
    to_base(minor, cur, settings)
}

/// Won revenue per calendar month for the `months` months up to `today` (oldest first), in
/// the base currency's minor units; deals in a currency without a rate are left out.
pub fn revenue_by_month<S: std::borrow::Borrow<CustomerSummary>>(
    summaries: &[S],
    settings: &ValueSettings,
    today: NaiveDate,
    months: u32,
) -> Vec<((i32, u32), i64)> {
    use chrono::Datelike;
    let mut keys: Vec<(i32, u32)> = Vec::new();
    let (mut y, mut m) = (today.year(), today.month());
    for _ in 0..months {
        keys.push((y, m));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    keys.reverse();
    let mut totals: BTreeMap<(i32, u32), i64> = keys.iter().map(|k| (*k, 0)).collect();
    for s in summaries.iter().map(std::borrow::Borrow::borrow) {
        let s: &CustomerSummary = s;
        if s.deleted || s.archived {
            continue;
        }
        for d in s.deals.iter().filter(|d| d.status == DealStatus::Won) {
            if let Some(t) = totals.get_mut(&(d.date.year(), d.date.month()))
                && let Some(v) = to_base(d.minor, d.currency, settings)
            {
                *t = t.saturating_add(v);
            }
        }
    }
    totals.into_iter().collect()
}

/// Open deals weighted by their probability, per lifecycle stage (the effective stage from
/// `analysis`), in the base currency's minor units.
pub fn pipeline_by_stage<S: std::borrow::Borrow<CustomerSummary>>(
    summaries: &[S],
    analysis: &Analysis,
) -> Vec<(LifecycleStage, i64)> {
    let settings = &analysis.settings;
    let mut out: Vec<(LifecycleStage, i64)> = LifecycleStage::ALL.iter().map(|s| (*s, 0)).collect();
    for s in summaries.iter().map(std::borrow::Borrow::borrow) {
        let s: &CustomerSummary = s;
        let Some(v) = analysis.get(s.id) else {
            continue;
        };
        let Some(slot) = out.iter_mut().find(|(st, _)| *st == v.stage) else {
            continue;
        };
        for d in s.deals.iter().filter(|d| d.status == DealStatus::Open) {
            if let Some(b) = to_base(d.minor, d.currency, settings) {
                slot.1 = slot
                    .1
                    .saturating_add(b.saturating_mul(i64::from(d.probability)) / 100);
            }
        }
    }
    out
}
