//! Importing a sales team's XLSX of `n` rows with `rapport import` (the release binary, as a
//! whole process: wall time and peak resident set): read the workbook, map its Chinese
//! headers, plan against the store, write one transaction; then the same file again
//! (everything already there). Baseline in the same run: the same rows read and mapped the
//! same way, then written one durable transaction per row, as a naive importer would.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use rapport_interchange::{PeopleOptions, SheetOptions, read_sheet, suggest};
use rapport_model::{Contact, CustomerKind, Edit, ItemId, NewCustomer};
use rapport_store::{OpenOptions, Store};

/// A customer sheet of `n` rows: company, contact, mobile, email, salesperson, last visit
/// (a date cell), next visit, sales, tags, notes; a title row above the headers.
fn write_xlsx(path: &Path, n: usize) -> Result<()> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("客户名单")?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    ws.write_string(0, 0, "2026年客户名单")?;
    let headers = [
        "客户名称",
        "联系人",
        "手机",
        "邮箱",
        "销售员",
        "最近拜访",
        "下次回访",
        "销售额（元）",
        "标签",
        "备注",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(2, c as u16, *h)?;
    }
    let owners = ["王芳", "李强", "张伟", "Anna Weber"];
    for i in 0..n {
        let r = (i + 3) as u32;
        ws.write_string(r, 0, format!("客户{i}贸易有限公司"))?;
        ws.write_string(r, 1, format!("联系人{i}"))?;
        ws.write_string(r, 2, format!("13{:09}", i))?;
        ws.write_string(r, 3, format!("c{i}@kehu.example"))?;
        ws.write_string(r, 4, owners[i % owners.len()])?;
        let d = ExcelDateTime::from_ymd(2026, 1 + (i % 11) as u8, 1 + (i % 28) as u8)?;
        ws.write_datetime_with_format(r, 5, &d, &date)?;
        ws.write_string(r, 6, format!("2027年{}月{}日", 1 + i % 12, 1 + i % 28))?;
        ws.write_number(r, 7, (1000 + (i * 37) % 90_000) as f64)?;
        ws.write_string(
            r,
            8,
            if i % 3 == 0 {
                "重点,华东"
            } else {
                "华南"
            },
        )?;
        ws.write_string(r, 9, format!("第{i}行"))?;
    }
    wb.save(path).context("write the workbook")?;
    Ok(())
}

/// Naive: read and map the same way, then one durable transaction per row.
fn naive(path: &Path, dir: &Path) -> Result<f64> {
    let t = Instant::now();
    let bytes = std::fs::read(path)?;
    let sheet = read_sheet(&bytes, &SheetOptions::default())?;
    let mapping = suggest(&sheet.headers, &[]);
    let (people, _) = rapport_interchange::people_from_sheet(
        &sheet,
        &mapping,
        &PeopleOptions {
            default_currency: rapport_model::Currency::parse("CNY", "currency")?,
            file_date: Some(chrono::Local::now().date_naive()),
            date_order: None,
        },
    );
    let store = Store::open(dir, OpenOptions::default())?;
    for p in &people {
        let mut c = NewCustomer::new(p.organization.clone(), CustomerKind::Company);
        c.edits.push(Edit::PutContact(
            ItemId::new(),
            Contact {
                name: p.name.clone(),
                phones: p.phones.clone(),
                emails: p.emails.clone(),
                ..Contact::default()
            },
        ));
        c.edits.extend(p.labels.iter().cloned().map(Edit::AddTag));
        store.create(c)?;
    }
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

pub fn run(sizes: &[usize]) -> Result<()> {
    struct Row {
        file_mb: f64,
        first: crate::cli::Cost,
        again: crate::cli::Cost,
        naive_ms: f64,
        customers: u64,
    }
    let bin = crate::cli::binary()?;
    let mut rows = Vec::new();
    for &n in sizes {
        let work = tempfile::tempdir()?;
        let file = work.path().join("customers.xlsx");
        write_xlsx(&file, n)?;
        let file_mb = std::fs::metadata(&file)?.len() as f64 / 1e6;
        let data = work.path().join("store");
        let args = vec!["import".to_string(), file.display().to_string()];
        let first = crate::cli::measure(&bin, &data, &args, true)?;
        let again = crate::cli::measure(&bin, &data, &args, true)?;
        let customers = Store::open(&data, OpenOptions::default())?.count()?;
        let naive_ms = naive(&file, &work.path().join("naive"))?;
        rows.push(Row {
            file_mb,
            first,
            again,
            naive_ms,
            customers,
        });
    }
    let line = crate::table(
        "Import a sales team's XLSX (`rapport import`, release, whole process)",
        sizes,
        &rows,
    );
    line("file size / customers created", &|r: &Row| {
        format!("{:.1} MB / {}", r.file_mb, r.customers)
    });
    line("first import: wall time, peak memory", &|r: &Row| {
        format!("{:.2} s, {} MiB", r.first.0 / 1000.0, r.first.1 / 1024)
    });
    line("same file again (nothing new): wall, peak", &|r: &Row| {
        format!("{:.2} s, {} MiB", r.again.0 / 1000.0, r.again.1 / 1024)
    });
    line("naive: one durable transaction per row", &|r: &Row| {
        format!("{:.2} s", r.naive_ms / 1000.0)
    });
    line("naive / first import", &|r: &Row| {
        format!("{:.1}x", r.naive_ms / r.first.0)
    });
    Ok(())
}
