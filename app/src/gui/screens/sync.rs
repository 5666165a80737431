//! The sync screen: this device and its role, invite (ticket and QR code) and join, the
//! team's devices with revoke and "Undo its changes…", refused or paused peers, and what
//! just arrived. It owns what only it shows: the ticket, the typed join ticket, and the
//! join-request and undo prompts ([`crate::gui::dialogs`]).

use chrono::Local;
use egui::RichText;
use rapport_model::CustomerId;
use rapport_team::Role;

use crate::gui::dialogs::confirm_undo::ConfirmUndo;
use crate::gui::dialogs::join_request::JoinRequest;
use crate::gui::widgets::qr_texture;
use crate::gui::worker::{Backend, Request, SyncView};

/// The sync screen's own state.
#[derive(Default)]
pub struct SyncScreen {
    /// The invite ticket being shown, and its QR code.
    ticket: Option<(String, Option<egui::TextureHandle>)>,
    /// A device asking to join, until the person answers.
    join_request: Option<JoinRequest>,
    /// The ticket being pasted to join a team.
    join_text: String,
    /// A team device whose changes the user asked to undo, awaiting confirmation.
    confirm_undo: Option<ConfirmUndo>,
    /// Whether the last copy-to-clipboard happened (tests read it).
    copied: Option<String>,
}

impl SyncScreen {
    /// Shows the invite `ticket` the worker made, with its QR code.
    pub(crate) fn set_ticket(&mut self, ctx: &egui::Context, ticket: String) {
        let tex = qr_texture(ctx, &ticket);
        self.ticket = Some((ticket, tex));
    }

    /// Asks the person whether to admit a device that wants to join.
    pub(crate) fn ask_to_admit(&mut self, request: JoinRequest) {
        self.join_request = Some(request);
    }

    /// The text last copied to the clipboard from this screen.
    pub(crate) fn copied(&self) -> Option<&str> {
        self.copied.as_deref()
    }

    /// Draws the screen: this device, the team, invite / join / revoke, what arrived. Returns
    /// the customer to open when one of the arrivals was clicked.
    pub(crate) fn show(
        &mut self,
        ui: &mut egui::Ui,
        sync: Option<&SyncView>,
        backend: &Backend,
    ) -> Option<CustomerId> {
        let Some(s) = sync else {
            ui.label("Starting…");
            return None;
        };
        egui::ScrollArea::vertical()
            .id_salt("sync")
            .show(ui, |ui| self.contents(ui, s, backend))
            .inner
    }

    fn contents(
        &mut self,
        ui: &mut egui::Ui,
        s: &SyncView,
        backend: &Backend,
    ) -> Option<CustomerId> {
        ui.heading("This device");
        ui.label(format!("{} — {}", s.device_name, s.device_id));
        match s.role {
            Some(role) => ui.label(format!("Role in the team: {role}")),
            None if s.peers.is_empty() => ui.weak(
                "Not in a team yet: “Invite a device” starts one, with this device as its owner.",
            ),
            None => ui.weak(
                "The team has no owner yet (`rapport team create` on the device that should own it).",
            ),
        };
        ui.weak(&s.status);
        let may_admin = s.role.is_none_or(|r| r >= Role::Admin);
        ui.horizontal(|ui| {
            if ui.button("Sync now").clicked() {
                backend.send(Request::SyncNow);
            }
            if may_admin && ui.button("Invite a device").clicked() {
                backend.send(Request::Invite);
            }
        });
        if let Some(request) = &self.join_request
            && let Some(admit) = request.show(ui)
        {
            backend.send(Request::Admit(admit));
            self.join_request = None;
        }
        let mut cancel = false;
        if let Some((ticket, tex)) = self.ticket.clone() {
            ui.group(|ui| {
                ui.label(
                    "On the new device: Sync → Join, paste this ticket (valid 10 minutes, once; you will be asked to admit it):",
                );
                ui.horizontal(|ui| {
                    ui.add(egui::Label::new(RichText::new(&ticket).monospace()).wrap());
                });
                ui.horizontal(|ui| {
                    if ui.button("Copy ticket").clicked() {
                        ui.ctx().copy_text(ticket.clone());
                        self.copied = Some(ticket.clone());
                    }
                    if ui.button("Cancel invite").clicked() {
                        backend.send(Request::CancelInvite);
                        cancel = true;
                    }
                });
                if let Some(t) = &tex {
                    ui.add(
                        egui::Image::new(t)
                            .fit_to_exact_size(egui::vec2(220.0, 220.0))
                            .alt_text("Invite QR code"),
                    );
                }
            });
        }
        if cancel {
            self.ticket = None;
        }
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.join_text)
                    .hint_text("paste a ticket (rapport1…)")
                    .desired_width(320.0),
            )
            .accessible_name("Ticket");
            if ui.button("Join").clicked() && !self.join_text.trim().is_empty() {
                let ticket = std::mem::take(&mut self.join_text).trim().to_string();
                backend.send(Request::Join(ticket));
            }
        });
        ui.separator();
        ui.heading(format!("Team devices ({})", s.peers.len()));
        if s.peers.is_empty() {
            ui.weak("No other device yet: invite one.");
        }
        egui::Grid::new("peers")
            .striped(true)
            .num_columns(7)
            .show(ui, |ui| {
                for h in [
                    "Device",
                    "Role",
                    "State",
                    "Reached by",
                    "Last sync",
                    "Pending",
                    "",
                ] {
                    ui.strong(h);
                }
                ui.end_row();
                for p in &s.peers {
                    ui.label(&p.name).on_hover_text(&p.id);
                    ui.label(p.role.map(|r| r.as_str()).unwrap_or("—"));
                    // Only what this device's role allows.
                    let may_revoke = may_revoke(s.role, p.role);
                    ui.label(if p.revoked {
                        "revoked"
                    } else if p.online {
                        "online"
                    } else {
                        "offline"
                    });
                    ui.label(&p.address_kind).on_hover_text(p.addrs.join(", "));
                    ui.label(
                        p.last_synced
                            .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_else(|| "never".into()),
                    )
                    .on_hover_text(p.last_error.clone().unwrap_or_default());
                    ui.label(p.pending.to_string());
                    ui.horizontal(|ui| {
                        if !p.revoked && may_revoke && ui.small_button("Revoke").clicked() {
                            backend.send(Request::Revoke(p.id.clone()));
                        }
                        if ui
                            .small_button("Undo its changes…")
                            .on_hover_text(
                                "Restore every customer this device deleted or overwrote",
                            )
                            .clicked()
                        {
                            self.confirm_undo = Some(ConfirmUndo {
                                device: p.name.clone(),
                            });
                        }
                    });
                    ui.end_row();
                }
            });
        for p in s.peers.iter().filter(|p| !p.revoked) {
            if let Some(reason) = &p.paused {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "{} sent data that was refused; sync with {} is paused ({reason}).",
                            p.name, p.name
                        ),
                    );
                    if ui
                        .button("Resume sync")
                        .on_hover_text(
                            "After you asked its person: what it sends next is checked again",
                        )
                        .clicked()
                    {
                        backend.send(Request::ResumePeer(p.id.clone()));
                    }
                    if may_revoke(s.role, p.role) && ui.button("Revoke it").clicked() {
                        backend.send(Request::Revoke(p.id.clone()));
                    }
                });
            } else if let Some((n, reason)) = &p.refused {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "{} sent data that was refused ({n} documents kept aside; last: {reason}). Ask its person; if it is not theirs, revoke it.",
                        p.name
                    ),
                );
            }
        }
        if let Some(confirm) = &self.confirm_undo
            && let Some(undo) = confirm.show(ui)
        {
            if undo {
                backend.send(Request::UndoDevice(confirm.device.clone()));
            }
            self.confirm_undo = None;
        }
        ui.separator();
        ui.heading("Just arrived from peers");
        if s.arrivals.is_empty() {
            ui.weak("Nothing yet.");
        }
        let mut open = None;
        for a in s.arrivals.iter().take(20) {
            ui.horizontal(|ui| {
                ui.weak(a.at.format("%H:%M:%S").to_string());
                if ui.link(&a.name).clicked() {
                    open = Some(a.customer);
                }
            });
        }
        open
    }
}

/// Whether a device with role `me` may revoke one with role `them`, as the team's rules
/// allow: the owner revokes anyone, an admin members, a member nobody (a team without an
/// owner: as version 1 did).
fn may_revoke(me: Option<Role>, them: Option<Role>) -> bool {
    match (me, them) {
        (None, _) => true,
        (Some(Role::Owner), _) => them != Some(Role::Owner),
        (Some(Role::Admin), Some(Role::Member)) => true,
        _ => false,
    }
}
