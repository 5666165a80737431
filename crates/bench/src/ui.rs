//! Frame times of the real app (`rapport::gui::RapportApp`, its worker and a store of demo
//! customers) driven headless by `egui_kittest`: typing in the search box and scrolling the
//! customer table. A frame here is the UI thread's work (layout, our drawing code and the
//! AccessKit tree kittest keeps); painting on the GPU is not included.
//!
//! Naive baselines in the same run: running the search in the frame (what the worker saves
//! the UI thread), and laying out every row instead of only the visible ones.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use rapport::gui::{Clock, Options, RapportApp, Source};
use rapport_store::{OpenOptions, Store};

fn timed(h: &mut Harness<'static, RapportApp>, out: &mut Vec<f64>) {
    let t = Instant::now();
    h.step();
    out.push(t.elapsed().as_secs_f64() * 1000.0);
}

fn wait(
    h: &mut Harness<'static, RapportApp>,
    what: &str,
    done: impl Fn(&RapportApp) -> bool,
) -> Result<()> {
    let start = Instant::now();
    while !done(h.state()) {
        if start.elapsed() > Duration::from_secs(600) {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    Ok(())
}

pub fn run(sizes: &[usize]) -> Result<()> {
    let mut cols: Vec<Vec<String>> = Vec::new();
    for &n in sizes {
        cols.push(measure(n)?);
    }
    let line = crate::table(
        "App frame time (UI thread per frame; GPU painting not included)",
        sizes,
        &cols,
    );
    let labels = [
        "typing `zhang wei` / `müller`, one key per frame, until the results show: p50 / p99",
        "results shown after the last key (worker query), p50",
        "scrolling the table, 200 wheel steps: p50 / p99",
        "naive: the same search run inside the frame, per key, p50",
        "naive: one frame laying out every row (no virtualisation)",
        "naive search-in-frame / our typing frame p99",
    ];
    for (i, l) in labels.iter().enumerate() {
        line(l, &|c: &Vec<String>| c[i].clone());
    }
    Ok(())
}

fn measure(n: usize) -> Result<Vec<String>> {
    let dir = tempfile::tempdir()?;
    let store = Arc::new(Store::open(dir.path(), OpenOptions::default())?);
    crate::fill(&store, n)?;
    let now = crate::today().and_hms_opt(10, 0, 0).unwrap_or_default();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_context_setup(|ctx| {
            ctx.add_font_provider(Arc::new(
                egui_system_font_provider::SystemFontProvider::new(),
            ));
        })
        .build_eframe({
            let store = store.clone();
            move |cc| {
                RapportApp::new(
                    &cc.egui_ctx,
                    None,
                    Source::Open(store),
                    Options {
                        network: false,
                        clock: Clock(Some(now)),
                        ..Options::default()
                    },
                )
            }
        });
    wait(&mut h, "the customers", |a| {
        a.progress().is_none() && a.listed().len() >= n * 9 / 10
    })?;
    for _ in 0..10 {
        h.step();
    }

    // Typing: one key per frame, then frames until the results for the full text arrive.
    let mut typing = Vec::new();
    let mut shown_after = Vec::new();
    for round in 0..5 {
        h.state_mut().set_search_text("");
        wait(&mut h, "the full list", |a| a.listed().len() >= n * 9 / 10)?;
        h.get_by_label("Search").focus();
        h.step();
        let query = if round % 2 == 0 {
            "zhang wei"
        } else {
            "müller"
        };
        for ch in query.chars() {
            h.get_by_label("Search").type_text(&ch.to_string());
            timed(&mut h, &mut typing);
        }
        let last = Instant::now();
        let want = h.state().search_text().to_string();
        let mut frames = 0;
        while frames < 10_000 {
            let before = h.state().rows().clone();
            timed(&mut h, &mut typing);
            frames += 1;
            if !Arc::ptr_eq(&before, h.state().rows()) && h.state().search_text() == want {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        shown_after.push(last.elapsed().as_secs_f64() * 1000.0);
    }

    // Scrolling the full list.
    h.state_mut().set_search_text("");
    wait(&mut h, "the full list", |a| a.listed().len() >= n * 9 / 10)?;
    h.hover_at(egui::pos2(500.0, 400.0));
    h.step();
    let mut scrolling = Vec::new();
    for i in 0..200 {
        let dy = if i < 150 { -300.0 } else { 2000.0 };
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, dy),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        });
        timed(&mut h, &mut scrolling);
    }

    // Naive: the query in the frame.
    let snap = h.state().snapshot().clone();
    let mut naive_search = Vec::new();
    for q in [
        "z",
        "zh",
        "zha",
        "zhan",
        "zhang",
        "zhang ",
        "zhang w",
        "zhang we",
        "zhang wei",
    ] {
        let f = rapport_query::Filter {
            text: q.into(),
            ..Default::default()
        };
        let t = Instant::now();
        let r = rapport_query::select(
            &snap.summaries,
            snap.analysis.as_deref(),
            &f,
            Default::default(),
        );
        std::hint::black_box(r);
        naive_search.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // Naive: every row laid out each frame.
    let names: Vec<String> = snap.summaries.iter().map(|s| s.name.clone()).collect();
    let mut naive = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .allow_missing_glyphs()
        .build_ui(move |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                for name in &names {
                    ui.label(name);
                }
            });
        });
    let t = Instant::now();
    naive.step();
    let naive_frame = t.elapsed().as_secs_f64() * 1000.0;

    for v in [
        &mut typing,
        &mut shown_after,
        &mut scrolling,
        &mut naive_search,
    ] {
        v.sort_by(f64::total_cmp);
    }
    let typing_p99 = crate::percentile(&typing, 0.99);
    Ok(vec![
        format!(
            "{:.1} / {:.1} ms",
            crate::percentile(&typing, 0.5),
            typing_p99
        ),
        format!("{:.0} ms", crate::percentile(&shown_after, 0.5)),
        format!(
            "{:.1} / {:.1} ms",
            crate::percentile(&scrolling, 0.5),
            crate::percentile(&scrolling, 0.99)
        ),
        format!("{:.1} ms", crate::percentile(&naive_search, 0.5)),
        format!("{naive_frame:.0} ms"),
        format!(
            "{:.1}x",
            crate::percentile(&naive_search, 0.5) / typing_p99.max(0.001)
        ),
    ])
}
