//! `rapport followup add|list|done`.

use super::*;

#[derive(Subcommand, Debug)]
pub enum FollowUpCmd {
    /// Plan a follow-up; prints its id.
    Add {
        customer: String,
        /// YYYY-MM-DD or "YYYY-MM-DD HH:MM" (local time).
        #[arg(long)]
        due: String,
        /// call, visit, email, meeting or other.
        #[arg(long, default_value = "call")]
        kind: String,
        #[arg(long)]
        subject: String,
        #[arg(long, default_value = "")]
        assignee: String,
    },
    /// Open follow-ups, earliest first.
    List {
        /// Only those already overdue.
        #[arg(long, group = "window")]
        overdue: bool,
        /// Due today or overdue.
        #[arg(long, group = "window")]
        today: bool,
        /// Due this week (up to Sunday, as in the app) or overdue.
        #[arg(long, group = "window")]
        week: bool,
        /// Customers due for a revisit by their tier's cadence, most valuable first.
        #[arg(long, group = "window")]
        due_revisit: bool,
        /// At most this many rows (all by default).
        #[arg(long)]
        limit: Option<usize>,
        /// Skip this many rows first.
        #[arg(long, default_value_t = 0)]
        offset: usize,
        #[arg(long)]
        json: bool,
    },
    /// Mark a follow-up done.
    Done {
        /// The follow-up's id (or a unique prefix of at least 4 hex digits).
        followup: String,
        #[arg(long, default_value = "")]
        outcome: String,
    },
}

pub(super) fn followup(cli: &Cli, cmd: &FollowUpCmd) -> Result<()> {
    match cmd {
        FollowUpCmd::Add {
            customer,
            due,
            kind,
            subject,
            assignee,
        } => {
            let f = FollowUp {
                due: Due::parse(due, "due")?,
                kind: FollowUpKind::parse(kind)?,
                subject: subject.clone(),
                assignee: assignee.clone(),
                done_at: None,
                outcome: String::new(),
            };
            add_item(cli, "followup add", customer, |id, _| {
                Edit::PutFollowUp(id, f)
            })
        }
        FollowUpCmd::List {
            overdue,
            today: only_today,
            week,
            due_revisit,
            limit,
            offset,
            json,
        } => {
            let store = open(cli, "followup list")?;
            let page = lists::Page {
                offset: *offset,
                limit: *limit,
            };
            if *due_revisit {
                let v = values(&store)?;
                let today = v.totals().today;
                let rows: Vec<output::RevisitRow> = v
                    .due_for_revisit(|| lists::names(&store), page)?
                    .into_iter()
                    .map(|d| output::RevisitRow::new(d, today))
                    .collect();
                return if *json {
                    output::json(&rows)
                } else {
                    output::revisit_table(&rows)
                };
            }
            let now = Local::now().naive_local();
            let until = if *only_today || *overdue {
                Some(today())
            } else if *week {
                // This week ends on Sunday, as in the app's agenda.
                Some(rapport_query::end_of_week(today()))
            } else {
                None
            };
            let items = lists::agenda(&store, until, overdue.then_some(now), page)?;
            let rows: Vec<output::FollowUpRow> = items
                .iter()
                .map(|i| output::FollowUpRow::new(i, now))
                .collect();
            if *json {
                output::json(&rows)
            } else {
                output::followup_table(&rows)
            }
        }
        FollowUpCmd::Done { followup, outcome } => {
            let store = open(cli, "followup done")?;
            let hits: Vec<_> = lists::agenda(&store, None, None, lists::Page::ALL)?
                .into_iter()
                .filter(|i| id_matches(&i.followup.id, followup))
                .collect();
            let item = unique(hits, "open follow-up", followup)?;
            store.edit(
                item.customer,
                &[Edit::CompleteFollowUp {
                    id: item.followup.id,
                    at: Utc::now(),
                    outcome: outcome.clone(),
                }],
            )?;
            Ok(())
        }
    }
}
