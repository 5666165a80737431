//! `rapport field`: the team's custom fields (define, list, rename, remove, restore). The
//! rules are [`crate::ops::fields`]'s; values are set with `customer edit --set FIELD=VALUE`.

use super::*;

#[derive(Subcommand, Debug)]
pub enum FieldCmd {
    /// Define a custom field for the whole team.
    Add {
        name: String,
        /// text, number, money, date, choice or yes_no.
        #[arg(long)]
        kind: String,
        /// An option of a choice field (repeat for each, in order).
        #[arg(long = "option")]
        options: Vec<String>,
    },
    /// List the custom fields.
    List {
        /// Removed fields too.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Rename a field; every value stays.
    Rename { name: String, new_name: String },
    /// Hide a field everywhere; its values are kept and come back with `field restore`.
    Remove { name: String },
    /// Show a removed field again, with its values.
    Restore { name: String },
}

pub(super) fn field(cli: &Cli, cmd: &FieldCmd) -> Result<()> {
    use crate::ops::fields as f;
    let store = open(cli, "field")?;
    match cmd {
        FieldCmd::Add {
            name,
            kind,
            options,
        } => {
            let def = f::add_field(
                &store,
                name,
                rapport_model::FieldKind::parse(kind)?,
                options.clone(),
            )?;
            say!("{}", def.id);
            Ok(())
        }
        FieldCmd::List { all, json } => {
            let defs = f::fields(&store)?;
            let shown: Vec<&rapport_model::FieldDef> =
                defs.0.iter().filter(|d| *all || !d.removed).collect();
            if *json {
                return output::json(&shown);
            }
            let mut out = String::new();
            for d in shown {
                out.push_str(&format!("{:<24} {:<8}", d.name, d.kind.as_str()));
                if !d.options.is_empty() {
                    out.push_str(&format!(" {}", d.options.join(" | ")));
                }
                if d.removed {
                    out.push_str("  (removed)");
                }
                out.push('\n');
            }
            if !out.is_empty() {
                say!("{}", out.trim_end_matches('\n'));
            }
            Ok(())
        }
        FieldCmd::Rename { name, new_name } => {
            f::rename_field(&store, name, new_name)?;
            Ok(())
        }
        FieldCmd::Remove { name } => {
            f::remove_field(&store, name, false)?;
            Ok(())
        }
        FieldCmd::Restore { name } => {
            f::remove_field(&store, name, true)?;
            Ok(())
        }
    }
}
