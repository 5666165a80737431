//! Shared widgets and formatting helpers used by several screens: money and due-date text,
//! tier names and colours, the "Any"/value combo box, table cells, the add/remove list editor,
//! plot helpers (static plots, labelled bar charts) and the invite QR code texture.

use egui::{Key, RichText};
use egui_plot::{Bar, BarChart, Plot};
use rapport_model::{Currency, Due, Edit, Money, Tier};

use super::worker::Snapshot;

/// The invite ticket as a QR code texture.
pub(crate) fn qr_texture(ctx: &egui::Context, ticket: &str) -> Option<egui::TextureHandle> {
    let code = qrcode::QrCode::new(ticket.as_bytes()).ok()?;
    let width = code.width();
    let quiet = 2;
    let size = width + 2 * quiet;
    let mut pixels = vec![255u8; size * size];
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            pixels[y * size + x] = 0;
        }
    }
    Some(ctx.load_texture(
        "invite-qr",
        egui::ColorImage::from_gray([size, size], &pixels),
        egui::TextureOptions::NEAREST,
    ))
}

/// Money in minor units of `currency`, with thousands separators.
pub(crate) fn money(minor: i64, currency: Currency) -> String {
    Money { minor, currency }.grouped()
}

/// A tier as the UI names it (`–` for none).
pub(crate) fn tier_text(t: Option<Tier>) -> &'static str {
    match t {
        Some(Tier::Vip) => "VIP",
        Some(Tier::Major) => "Major",
        Some(Tier::Common) => "Common",
        Some(Tier::Minor) => "Minor",
        None => "–",
    }
}

/// The colour a tier is drawn in.
pub(crate) fn tier_color(t: Option<Tier>) -> egui::Color32 {
    match t {
        Some(Tier::Vip) => egui::Color32::from_rgb(200, 140, 0),
        Some(Tier::Major) => egui::Color32::from_rgb(60, 120, 200),
        Some(Tier::Common) => egui::Color32::from_rgb(90, 150, 90),
        _ => egui::Color32::GRAY,
    }
}

/// The team's base currency: the analysis's, or the default before the first analysis.
pub(crate) fn base_currency(snapshot: &Snapshot) -> Currency {
    snapshot
        .analysis
        .as_ref()
        .map(|a| a.settings.base_currency)
        .unwrap_or_else(|| rapport_value::ValueSettings::default().base_currency)
}

/// A combo box over `all` with "Any" (`None`) first; whether the choice changed.
pub(crate) fn combo<T: Copy + PartialEq>(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut Option<T>,
    all: &[T],
    name: impl Fn(T) -> String,
) -> bool {
    let mut changed = false;
    let text = value.map(&name).unwrap_or_else(|| "Any".into());
    egui::ComboBox::from_label(label)
        .selected_text(text)
        .show_ui(ui, |ui| {
            changed |= ui.selectable_value(value, None, "Any").changed();
            for v in all {
                changed |= ui.selectable_value(value, Some(*v), name(*v)).changed();
            }
        });
    changed
}

/// A plain-text table cell of width `w`.
pub(crate) fn cell(ui: &mut egui::Ui, w: f32, text: &str) {
    cell_rich(ui, w, RichText::new(text));
}

/// A left-aligned table cell of width `w`, truncated with an ellipsis.
pub(crate) fn cell_rich(ui: &mut egui::Ui, w: f32, text: RichText) {
    let h = ui.available_height();
    ui.allocate_ui_with_layout(
        egui::vec2(w - 8.0, h),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_width(w - 8.0);
            ui.add(egui::Label::new(text).truncate());
        },
    );
}

/// A due time as people read it: `2026-11-24` or `2026-11-24 09:00`.
pub(crate) fn due_text(d: Due) -> String {
    d.to_string().replace('T', " ")
}

/// A list of strings as removable chips and a text field that adds one on Enter.
pub(crate) fn list_editor(
    ui: &mut egui::Ui,
    label: &str,
    items: &[String],
    draft: &mut String,
    edits: &mut Vec<Edit>,
    add: impl Fn(String) -> Edit,
    remove: impl Fn(String) -> Edit,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{label}:"));
        for it in items {
            if ui
                .small_button(format!("{it} ×"))
                .on_hover_text("Remove")
                .clicked()
            {
                edits.push(remove(it.clone()));
            }
        }
        let r = ui
            .add(egui::TextEdit::singleline(draft).desired_width(160.0))
            .accessible_name(format!("Add {}", label.to_lowercase()));
        if r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) && !draft.trim().is_empty() {
            edits.push(add(std::mem::take(draft).trim().to_string()));
        }
    });
}

/// A bar chart of `(label, minor units)` pairs, labels on the x axis, values divided by
/// `scale` (minor units per major unit).
pub(crate) fn labelled_bars(
    ui: &mut egui::Ui,
    id: &str,
    name: &str,
    data: &[(String, i64)],
    scale: f64,
    color: egui::Color32,
) {
    let bars: Vec<Bar> = data
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            Bar::new(i as f64, *v as f64 / scale)
                .name(label)
                .fill(color)
        })
        .collect();
    let labels: Vec<String> = data.iter().map(|(l, _)| l.clone()).collect();
    static_plot(id)
        .x_axis_formatter(move |m, _| label_at(&labels, m.value))
        .height(200.0)
        .show(ui, |p| p.bar_chart(BarChart::new(name, bars)));
}

/// The name of the bar at integer position `x`, for an axis label ("" between bars).
pub(crate) fn label_at(names: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    names.get(i as usize).cloned().unwrap_or_default()
}

/// A plot that shows, without zooming, dragging or scrolling (clicks still register).
pub(crate) fn static_plot<'a>(id: &str) -> Plot<'a> {
    Plot::new(id)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
}
