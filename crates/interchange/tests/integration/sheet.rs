//! Spreadsheets read into sheets: every format, the header row, merged cells, formulas, and
//! hostile files (zip bombs, a million rows, 16,384 columns, truncated and encrypted
//! workbooks). The binary fixtures are in `tests/corpus/sheets/` (its README says how each
//! was made); text files are built here.

use std::cell::Cell as StdCell;
use std::io::Write;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rapport_interchange::sheet::{
    Cell, Format, MAX_COLUMNS, Sheet, SheetError, SheetOptions, read_sheet,
};

pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/sheets");

pub fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!("{CORPUS}/{name}")).unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

pub fn opts() -> SheetOptions {
    SheetOptions::default()
}

// ---- Allocation counting: bytes this thread allocated while a closure ran. ----------------

#[allow(unsafe_code)] // a counting allocator: the only way to measure what a call allocates
mod counting {
    use super::StdCell;
    use std::alloc::{GlobalAlloc, Layout, System};

    thread_local! {
        pub static ALLOCATED: StdCell<usize> = const { StdCell::new(0) };
    }

    pub struct Counting;

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let _ = ALLOCATED.try_with(|a| a.set(a.get().saturating_add(layout.size())));
            // SAFETY: forwarded unchanged to the system allocator.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: forwarded unchanged to the system allocator.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let _ = ALLOCATED.try_with(|a| a.set(a.get().saturating_add(new_size)));
            // SAFETY: forwarded unchanged to the system allocator.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;
}

/// What `f` returns, the bytes this thread allocated meanwhile (a sum, so at least the
/// peak), and the time it took.
fn measured<T>(f: impl FnOnce() -> T) -> (T, usize, Duration) {
    let before = counting::ALLOCATED.with(StdCell::get);
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    let after = counting::ALLOCATED.with(StdCell::get);
    (out, after - before, took)
}

// ---- The Chinese sales team's workbook. ------------------------------------------------------

/// The Chinese sales team's workbook: a merged title row, a blank row, headers in row 3, an
/// owner merged over three rows, real date cells and text dates, amounts as text and
/// numbers, a formula column (one `#DIV/0!`), a total row, and a trailing notes sheet.
pub fn chinese_team_xlsx() -> Vec<u8> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as XFormat, Formula, Workbook};
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 12, 1).unwrap();
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let date_fmt = XFormat::new().set_num_format("yyyy-mm-dd");
    let plain = XFormat::new();
    let ws = wb.add_worksheet();
    ws.set_name("客户名单").unwrap();
    ws.merge_range(0, 0, 0, 10, "2026年客户名单", &plain)
        .unwrap();
    let headers = [
        "客户名称",
        "联系人",
        "手机",
        "邮箱",
        "销售员",
        "最近拜访",
        "下次回访",
        "销售额（元）",
        "提成",
        "标签",
        "备注",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    // Row 4 (index 3).
    ws.write_string(3, 0, "上海华东贸易有限公司").unwrap();
    ws.write_string(3, 1, "张伟").unwrap();
    ws.write_number(3, 2, 13812345678.0).unwrap();
    ws.write_string(3, 3, "zhangwei@huadong.cn").unwrap();
    ws.merge_range(3, 4, 5, 4, "王芳", &plain).unwrap();
    ws.write_datetime_with_format(
        3,
        5,
        ExcelDateTime::from_ymd(2026, 11, 20).unwrap(),
        &date_fmt,
    )
    .unwrap();
    ws.write_string(3, 6, "2026年12月3日").unwrap();
    ws.write_string(3, 7, "¥1,234").unwrap();
    ws.write_formula(3, 8, Formula::new("=ROUND(1234*0.05,2)").set_result("61.7"))
        .unwrap();
    ws.write_string(3, 9, "重点,华东").unwrap();
    ws.write_string(3, 10, "老客户").unwrap();
    // Row 5.
    ws.write_string(4, 0, "北京新科技术有限公司").unwrap();
    ws.write_string(4, 1, "李娜").unwrap();
    ws.write_string(4, 2, "139-9876-5432").unwrap();
    ws.write_string(4, 3, "lina.xinke.com").unwrap();
    ws.write_datetime_with_format(
        4,
        5,
        ExcelDateTime::from_ymd(2026, 10, 8).unwrap(),
        &date_fmt,
    )
    .unwrap();
    ws.write_string(4, 6, "2026年12月10日").unwrap();
    ws.write_number(4, 7, 25800.0).unwrap();
    ws.write_formula(4, 8, Formula::new("=ROUND(H5*0.05,2)").set_result("1290"))
        .unwrap();
    ws.write_string(4, 9, "新客户；北京").unwrap();
    // Row 6.
    ws.write_string(5, 0, "深圳明达电子厂").unwrap();
    ws.write_string(5, 1, "陈明").unwrap();
    ws.write_string(5, 2, "0755-8888 6666").unwrap();
    ws.write_string(5, 3, "chenming@mingda.com; sales@mingda.com")
        .unwrap();
    ws.write_datetime_with_format(
        5,
        5,
        ExcelDateTime::from_ymd(2026, 9, 15).unwrap(),
        &date_fmt,
    )
    .unwrap();
    ws.write_string(5, 6, "下周").unwrap();
    ws.write_string(5, 7, "¥3,000.50").unwrap();
    ws.write_formula(5, 8, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    ws.write_string(5, 10, "备注：需要报价").unwrap();
    // Row 7.
    ws.write_string(6, 0, "广州云帆科技有限公司").unwrap();
    ws.write_string(6, 1, "周杰").unwrap();
    ws.write_number(6, 2, 13600001111.0).unwrap();
    ws.write_string(6, 4, "刘强").unwrap();
    // Row 8 blank; row 9 the total.
    ws.write_string(8, 0, "合计").unwrap();
    ws.write_formula(8, 7, Formula::new("=SUM(H4:H7)").set_result("25800"))
        .unwrap();
    let notes = wb.add_worksheet();
    notes.set_name("说明").unwrap();
    notes.write_string(0, 0, "填表说明").unwrap();
    notes.write_string(1, 0, "1. 每周一更新").unwrap();
    notes.write_string(2, 0, "2. 金额单位：元").unwrap();
    wb.save_to_buffer().unwrap()
}

/// Rewrites the committed workbook (`cargo test -- --ignored write_corpus`); the other
/// fixtures are made from it by `make_fixtures.py`.
#[test]
#[ignore = "writes tests/corpus/sheets/chinese-team.xlsx"]
fn write_corpus() {
    std::fs::write(format!("{CORPUS}/chinese-team.xlsx"), chinese_team_xlsx()).unwrap();
}

#[test]
fn chinese_xlsx_title_merges_formulas_dates_and_notes_sheet() {
    let bytes = corpus("chinese-team.xlsx");
    let s = read_sheet(&bytes, &opts()).unwrap();
    assert_eq!(s.format, Format::Xlsx);
    assert_eq!(s.sheet_names, vec!["客户名单", "说明"]);
    assert_eq!(s.sheet_name, "客户名单");
    assert_eq!(s.title.as_deref(), Some("2026年客户名单"));
    assert_eq!(s.header_line, 3);
    assert_eq!(s.headers[0], "客户名称");
    assert_eq!(s.headers[10], "备注");
    assert_eq!(s.headers.len(), 11);
    assert_eq!(
        s.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![4, 5, 6, 7, 9]
    );
    let r4 = &s.rows[0];
    assert_eq!(r4.get(2), &Cell::Number(13812345678.0));
    assert_eq!(r4.get(5), &Cell::Date(date(2026, 11, 20)));
    assert_eq!(r4.get(6), &text("2026年12月3日"));
    assert_eq!(r4.get(8), &Cell::Number(61.7));
    // The owner merged over rows 4 to 6 fills all three; row 7 has its own.
    for (i, owner) in ["王芳", "王芳", "王芳", "刘强"].iter().enumerate() {
        assert_eq!(s.rows[i].get(4), &text(owner), "row {}", s.rows[i].line);
    }
    assert_eq!(s.rows[2].get(8), &Cell::Error("#DIV/0!".into()));
    // The title merged across the columns stays in its first cell.
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    // Asking for the notes sheet by name or by number.
    for asked in ["说明", "2"] {
        let n = read_sheet(
            &bytes,
            &SheetOptions {
                sheet: Some(asked.into()),
                ..opts()
            },
        )
        .unwrap();
        assert_eq!(n.sheet_name, "说明");
        assert_eq!(n.headers, vec!["填表说明"]);
        assert_eq!(n.rows.len(), 2);
    }
    let e = read_sheet(
        &bytes,
        &SheetOptions {
            sheet: Some("Sheet9".into()),
            ..opts()
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "there is no sheet `Sheet9` (the sheets are: 客户名单, 说明)"
    );
}

#[test]
fn a_leading_notes_sheet_is_skipped() {
    use rust_xlsxwriter::Workbook;
    let mut wb = Workbook::new();
    let n = wb.add_worksheet();
    n.set_name("Read me").unwrap();
    n.write_string(0, 0, "Updated every Monday").unwrap();
    n.write_string(1, 0, "Do not sort").unwrap();
    let t = wb.add_worksheet();
    t.set_name("Kunden").unwrap();
    for (c, h) in ["Firma", "Ansprechpartner", "E-Mail"].iter().enumerate() {
        t.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["Müller GmbH", "Hans Müller", "hans@mueller.de"]
        .iter()
        .enumerate()
    {
        t.write_string(1, c as u16, *v).unwrap();
    }
    let s = read_sheet(&wb.save_to_buffer().unwrap(), &opts()).unwrap();
    assert_eq!(s.sheet_name, "Kunden");
    assert_eq!(s.header_line, 1);
    assert_eq!(s.rows[0].get(2), &text("hans@mueller.de"));
}

#[test]
fn ods_with_merges_dates_currency_and_repeats() {
    let s = read_sheet(&corpus("spanish-team.ods"), &opts()).unwrap();
    assert_eq!(s.format, Format::Ods);
    assert_eq!(s.sheet_names, vec!["Clientes", "Notas"]);
    assert_eq!(s.sheet_name, "Clientes");
    assert_eq!(s.title.as_deref(), Some("Clientes 2026"));
    assert_eq!(s.header_line, 3);
    assert_eq!(
        s.headers,
        vec![
            "Empresa",
            "Contacto",
            "Teléfono",
            "Correo",
            "Vendedor",
            "Última visita",
            "Próxima visita",
            "Ventas",
            "Etiquetas",
            "Notas"
        ]
    );
    assert_eq!(
        s.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![4, 5, 6]
    );
    assert_eq!(s.rows[0].get(0), &text("Distribuciones Ibéricas S.L."));
    assert_eq!(s.rows[0].get(5), &Cell::Date(date(2026, 11, 20)));
    assert_eq!(s.rows[0].get(7), &Cell::Number(1234.56));
    // "Marta Ruiz" is merged over rows 4 and 5.
    assert_eq!(s.rows[0].get(4), &text("Marta Ruiz"));
    assert_eq!(s.rows[1].get(4), &text("Marta Ruiz"));
    assert_eq!(s.rows[2].get(4), &text("Pablo Gómez"));
    assert_eq!(s.rows[1].get(7), &text("1.234,56 €"));
    assert_eq!(s.rows[2].get(7), &Cell::Error("#DIV/0!".into()));
}

#[test]
fn xls_with_title_merges_and_dates() {
    let s = read_sheet(&corpus("french-team.xls"), &opts()).unwrap();
    assert_eq!(s.format, Format::Xls);
    assert_eq!(s.sheet_names, vec!["Clients"]);
    assert_eq!(s.title.as_deref(), Some("Liste des clients"));
    assert_eq!(s.header_line, 3);
    assert_eq!(s.headers[0], "Société");
    assert_eq!(s.headers[7], "Chiffre d'affaires");
    assert_eq!(s.rows.len(), 3);
    assert_eq!(s.rows[0].get(0), &text("Dupont SARL"));
    assert_eq!(s.rows[0].get(5), &Cell::Date(date(2026, 11, 20)));
    assert_eq!(s.rows[0].get(7), &Cell::Number(125000.0));
    assert_eq!(s.rows[0].get(4), &text("Claire Martin"));
    assert_eq!(s.rows[1].get(4), &text("Claire Martin"));
    assert_eq!(s.rows[2].get(4), &text("Luc Bernard"));
}

// ---- Text files. ---------------------------------------------------------------------------

#[test]
fn german_excel_csv_in_windows_1252_with_semicolons() {
    let csv = "Kundenliste Vertrieb Süd;;;;;\r\n\r\nFirma;Ansprechpartner;Telefon;E-Mail;Letzter Besuch;Umsatz\r\nBäckerei Müller GmbH;Jürgen Weiß;0711 1234567;j.weiss@mueller-baeckerei.de;3.12.2026;1.234,56\r\n\"Schäfer & Söhne KG\";\"Anna Schäfer\";+49 89 555;anna@schaefer.de;15.11.2026;\"125.000,00 €\"\r\n";
    let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(csv);
    assert!(!bad);
    let s = read_sheet(&bytes, &opts()).unwrap();
    assert_eq!(s.format, Format::Csv);
    assert_eq!(s.delimiter, Some(';'));
    assert_eq!(s.encoding, Some("windows-1252"));
    assert_eq!(s.title.as_deref(), Some("Kundenliste Vertrieb Süd"));
    assert_eq!(s.header_line, 3);
    assert_eq!(
        s.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![4, 5]
    );
    assert_eq!(s.rows[0].get(0), &text("Bäckerei Müller GmbH"));
    assert_eq!(s.rows[0].get(1), &text("Jürgen Weiß"));
    assert_eq!(s.rows[0].get(5), &text("1.234,56"));
    assert_eq!(s.rows[1].get(0), &text("Schäfer & Söhne KG"));
    assert_eq!(s.rows[1].get(5), &text("125.000,00 €"));
}

#[test]
fn tsv_pipe_and_sep_line() {
    let tsv = "会社名\t担当者\t電話番号\tメール\n株式会社山田製作所\t山田太郎\t03-1234-5678\tyamada@yamada.co.jp\n";
    let s = read_sheet(tsv.as_bytes(), &opts()).unwrap();
    assert_eq!((s.format, s.delimiter), (Format::Tsv, Some('\t')));
    assert_eq!(s.rows[0].get(1), &text("山田太郎"));
    let pipe = "Company|Contact|Email\n\"Acme | Co\"|Sarah Lee|sarah@acme.com\n";
    let s = read_sheet(pipe.as_bytes(), &opts()).unwrap();
    assert_eq!(s.delimiter, Some('|'));
    assert_eq!(s.rows[0].get(0), &text("Acme | Co"));
    assert_eq!(s.rows[0].line, 2);
    let sep = "sep=;\nName;Email\nAna;ana@x.es\n";
    let s = read_sheet(sep.as_bytes(), &opts()).unwrap();
    assert_eq!(s.delimiter, Some(';'));
    assert_eq!(s.header_line, 2);
    assert_eq!(s.rows[0].line, 3);
    // A quoted field with a line break: the next record's line is counted right.
    let multi = "Name,Notes\r\nAna,\"line one\r\nline two\"\r\nBo,x\r\n";
    let s = read_sheet(multi.as_bytes(), &opts()).unwrap();
    assert_eq!(
        s.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![2, 4]
    );
    assert_eq!(s.rows[0].get(1), &text("line one\r\nline two"));
    // A CSV saved from a sheet with a formula error.
    let err = "Name,Phone\nAna,#REF!\n";
    assert_eq!(
        read_sheet(err.as_bytes(), &opts()).unwrap().rows[0].get(1),
        &Cell::Error("#REF!".into())
    );
}

#[test]
fn bad_text_files() {
    let e = read_sheet(b"", &opts()).unwrap_err();
    assert!(matches!(e, SheetError::Empty));
    let e = read_sheet(b"Name,Notes\nAna,\"never closed\nBo,x\n", &opts()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: a quoted field starts here and is never closed (a `\"` is missing)"
    );
    // Bytes no encoding reads as text: the error asks for --encoding.
    let bytes: Vec<u8> = (0..400u32)
        .map(|i| [0x81u8, 0x00, 0xff, 0x9f, 0x01][(i % 5) as usize])
        .collect();
    let e = read_sheet(&bytes, &opts()).unwrap_err();
    assert!(matches!(e, SheetError::Decode(_)), "{e}");
    assert!(e.to_string().contains("--encoding"), "{e}");
    // The same bytes with an encoding named are read.
    let gbk = encoding_rs::GBK
        .encode("客户名称,手机\n华东贸易,13812345678\n")
        .0;
    let s = read_sheet(
        &gbk,
        &SheetOptions {
            encoding: Some("gb18030".into()),
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(s.rows[0].get(0), &text("华东贸易"));
    assert_eq!(s.encoding, Some("gb18030"));
}

// ---- Hostile files. --------------------------------------------------------------------------

#[test]
fn a_million_rows() {
    let mut csv = String::with_capacity(40 << 20);
    csv.push_str("客户名称,联系人,手机\n");
    for i in 0..1_000_000u32 {
        csv.push_str(&format!("公司{i},联系人{i},138{i:08}\n"));
    }
    let (s, allocated, took) = measured(|| read_sheet(csv.as_bytes(), &opts()).unwrap());
    assert_eq!(s.rows.len(), 1_000_000);
    assert_eq!(s.rows[0].get(2), &text("13800000000"));
    let last = s.rows.last().unwrap();
    assert_eq!(last.line, 1_000_001);
    assert_eq!(last.get(0), &text("公司999999"));
    // The decoded text (one copy of the file) and three short cells a row.
    eprintln!("1M rows: {allocated} bytes allocated in {took:?}");
    assert!(allocated < 600 << 20, "{allocated} bytes");
}

#[test]
fn sixteen_thousand_columns_and_one_more() {
    let header: Vec<String> = (0..MAX_COLUMNS).map(|i| format!("C{i}")).collect();
    let row: Vec<String> = (0..MAX_COLUMNS).map(|i| i.to_string()).collect();
    let csv = format!("{}\n{}\n", header.join(","), row.join(","));
    let s = read_sheet(csv.as_bytes(), &opts()).unwrap();
    assert_eq!(s.headers.len(), 16_384);
    assert_eq!(s.headers[16_383], "C16383");
    assert_eq!(s.rows[0].get(16_383), &text("16383"));
    let csv = format!("{},C16384\n{},x\n", header.join(","), row.join(","));
    let e = read_sheet(csv.as_bytes(), &opts()).unwrap_err();
    assert_eq!(e.to_string(), "line 1: more than 16384 columns");
    // An XLSX with cells in A1 and XFD1048576: calamine's dense range would be 17 billion
    // cells; streamed, it is two rows.
    use rust_xlsxwriter::Workbook;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Name").unwrap();
    ws.write_string(0, 1, "Email").unwrap();
    ws.write_string(1_048_575, 16_383, "far away").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let (s, allocated, _) = measured(|| read_sheet(&bytes, &opts()).unwrap());
    assert_eq!(s.headers.len(), 16_384);
    assert_eq!(s.rows.len(), 1);
    assert_eq!(s.rows[0].line, 1_048_576);
    assert_eq!(s.rows[0].get(16_383), &text("far away"));
    assert!(allocated < 64 << 20, "{allocated} bytes");
}

/// A zip with the parts an XLSX needs and a sheet of `filler` bytes of spaces inside it.
fn xlsx_with_filler(filler: usize) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let o = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, &str); 4] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, body) in parts {
        z.start_file(name, o).unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.start_file("xl/worksheets/sheet1.xml", o).unwrap();
    z.write_all(br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>"#).unwrap();
    let chunk = vec![b' '; 1 << 20];
    let mut left = filler;
    while left > 0 {
        let n = left.min(chunk.len());
        z.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    z.write_all(b"</sheetData></worksheet>").unwrap();
    z.finish().unwrap();
    out.into_inner()
}

/// Sets the uncompressed size that the local header and the central directory declare for
/// the part `name` (what a zip bomb lies about).
fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let n = name.as_bytes();
    let mut patched = 0;
    for i in 0..zip.len().saturating_sub(46) {
        if zip[i..].starts_with(b"PK\x03\x04") && zip[i + 30..].starts_with(n) {
            zip[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
        if zip[i..].starts_with(b"PK\x01\x02") && zip[i + 46..].starts_with(n) {
            zip[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "{name}");
}

#[test]
fn zip_bombs_are_refused_within_a_memory_bound() {
    // 64 MiB of spaces packs into about 64 KB: refused from the central directory alone,
    // by its ratio, before anything is inflated.
    let bomb = xlsx_with_filler(64 << 20);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let (r, allocated, took) = measured(|| read_sheet(&bomb, &opts()));
    let e = r.unwrap_err();
    assert!(matches!(e, SheetError::TooLarge(_)), "{e}");
    assert!(e.to_string().contains("zip bomb"), "{e}");
    assert!(allocated < 4 << 20, "{allocated} bytes");
    assert!(took < Duration::from_secs(2), "{took:?}");
    // A part declaring 3 GiB: refused by size.
    let mut big = xlsx_with_filler(1 << 20);
    declare_size(&mut big, "xl/worksheets/sheet1.xml", 3 << 30);
    let e = read_sheet(&big, &opts()).unwrap_err();
    assert!(e.to_string().contains("more than 1024 MiB"), "{e}");
    // A part lying that it is small: the zip crate stops inflating it at its declared size,
    // so calamine never sees (nor holds) the 64 MiB.
    let mut liar = bomb.clone();
    declare_size(&mut liar, "xl/worksheets/sheet1.xml", 4096);
    let (r, allocated, took) = measured(|| read_sheet(&liar, &opts()));
    let e = r.unwrap_err();
    assert!(
        e.to_string()
            .starts_with("the file is damaged or cut short"),
        "{e}"
    );
    assert!(allocated < 16 << 20, "{allocated} bytes");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The honest small version of the same file reads.
    let ok = xlsx_with_filler(1000);
    let s = read_sheet(&ok, &opts()).unwrap();
    assert_eq!(s.headers, vec!["Name"]);
}

/// An ODS whose content is `rows`.
fn ods(rows: &str) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("mimetype", stored).unwrap();
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    z.start_file("META-INF/manifest.xml", stored).unwrap();
    z.write_all(br#"<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>"#).unwrap();
    z.start_file("content.xml", stored).unwrap();
    write!(z, r#"<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="S">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#).unwrap();
    z.finish().unwrap();
    out.into_inner()
}

#[test]
fn an_ods_that_repeats_into_billions_of_cells_is_refused_before_calamine() {
    // 1,000,000 rows of 16,384 repeated cells: calamine would expand them into a dense range.
    let hostile = ods(
        r#"<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string" table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell></table:table-row>"#,
    );
    assert!(hostile.len() < 4096);
    let (r, allocated, took) = measured(|| read_sheet(&hostile, &opts()));
    let e = r.unwrap_err();
    assert!(matches!(e, SheetError::TooLarge(_)), "{e}");
    assert!(allocated < 4 << 20, "{allocated} bytes");
    assert!(took < Duration::from_secs(2), "{took:?}");
    // Repeated rows that fit are read, each with its line.
    let ok = ods(
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Email</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="3"><table:table-cell office:value-type="string"><text:p>Ana</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>ana@x.es</text:p></table:table-cell></table:table-row>"#,
    );
    let s = read_sheet(&ok, &opts()).unwrap();
    assert_eq!(
        s.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert_eq!(s.rows[2].get(1), &text("ana@x.es"));
    // Absurd spans fill no more than the rows there are.
    let spans = ods(
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell><table:table-cell office:value-type="string" table:number-rows-spanned="18446744073709551615" table:number-columns-spanned="0"><text:p>Owner</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>Ana</text:p></table:table-cell></table:table-row>"#,
    );
    let s = read_sheet(&spans, &opts()).unwrap();
    assert_eq!(s.headers, vec!["Name", "Owner"]);
    assert_eq!(s.rows.len(), 1);
    assert_eq!(s.rows[0].get(1), &text("Owner"));
}

#[test]
fn truncated_and_password_protected_workbooks() {
    let whole = corpus("chinese-team.xlsx");
    for cut in [whole.len() / 2, whole.len() - 10, 100] {
        let e = read_sheet(&whole[..cut], &opts()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the file is damaged or cut short"),
            "{cut}: {e}"
        );
    }
    let e = read_sheet(&corpus("password.xlsx"), &opts()).unwrap_err();
    assert!(matches!(e, SheetError::Password));
    assert_eq!(
        e.to_string(),
        "the workbook is password-protected; save it without a password and try again"
    );
    // A zip that is no spreadsheet.
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    z.start_file("photo.jpg", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(b"not really").unwrap();
    z.finish().unwrap();
    let e = read_sheet(&out.into_inner(), &opts()).unwrap_err();
    assert!(e.to_string().contains("not a spreadsheet"), "{e}");
}

#[test]
fn a_hundred_thousand_row_xlsx_is_streamed() {
    use rust_xlsxwriter::Workbook;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["客户名称", "联系人", "手机", "销售额"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for i in 1..=100_000u32 {
        ws.write_string(i, 0, format!("公司{i}")).unwrap();
        ws.write_string(i, 1, format!("联系人{i}")).unwrap();
        ws.write_number(i, 2, 13_800_000_000.0 + f64::from(i))
            .unwrap();
        ws.write_number(i, 3, f64::from(i) * 10.5).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    // A real sheet stays far below the zip bomb ratio.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let sheet = zip.by_name("xl/worksheets/sheet1.xml").unwrap();
    let ratio = sheet.size() / sheet.compressed_size();
    assert!(ratio < 50, "{ratio}");
    drop(sheet);
    let (s, allocated, _) = measured(|| read_sheet(&bytes, &opts()).unwrap());
    assert_eq!(s.rows.len(), 100_000);
    let last = s.rows.last().unwrap();
    assert_eq!(last.line, 100_001);
    assert_eq!(last.get(0), &text("公司100000"));
    assert_eq!(last.get(2), &Cell::Number(13_800_100_000.0));
    assert_eq!(last.get(3), &Cell::Number(1_050_000.0));
    eprintln!("100k-row xlsx: ratio {ratio}, {allocated} bytes allocated");
}

/// The sheet of a CSV text, for the mapping tests.
pub fn csv_sheet(text: &str) -> Sheet {
    read_sheet(text.as_bytes(), &opts()).unwrap()
}
