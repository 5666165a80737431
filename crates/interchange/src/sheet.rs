//! Any spreadsheet into a grid of typed cells: CSV, TSV, XLSX, XLS and ODS.
//!
//! [`read_sheet`] takes the file's bytes and [`SheetOptions`] (the file name as a hint, an
//! encoding asked for, the sheet asked for) and returns a [`Sheet`]: the header row found, and
//! every non-empty data row with its 1-based line (the spreadsheet's row number) and its cells,
//! each typed ([`Cell`]: text, number, date, date-time, boolean, formula error).
//!
//! - **Format**: from the bytes, never the name alone: a zip (`PK\x03\x04`) is an XLSX when it
//!   has `xl/workbook.xml` and an ODS when its `mimetype` says so; a compound file
//!   (`D0 CF 11 E0`) is an XLS, or an encrypted OOXML package (an `EncryptionInfo` /
//!   `EncryptedPackage` stream: the workbook was saved with a password); anything else is
//!   text, decoded by [`crate::decode::decode`], with its delimiter found among `,` `;` tab
//!   and `|` (Excel's `sep=;` first line is obeyed).
//! - **Sheet**: the one asked for (by name, else by 1-based number), else the first visible
//!   sheet whose first rows look like a table (a header row and a data row of two or more
//!   cells), so a trailing "notes" sheet or a chart is skipped; else the first sheet with data.
//! - **Header row**: the first row whose non-empty cells are mostly header names we know
//!   (`客户名称`, `E-Mail`, `Téléphone`...); failing that, the first row of at least two text
//!   cells followed by a data row of similar width; failing that, the first row. Rows above it
//!   (a title such as `2026年客户名单`) are dropped; the first one's text is kept as
//!   [`Sheet::title`].
//! - **Merged cells** (XLSX and XLS from calamine, ODS from its `number-rows-spanned`): the
//!   value fills the merged rows, so a `销售员` cell merged over three rows gives all three
//!   rows the owner. Only the region's first column is filled: a region merged across columns
//!   is layout (a title over the table, a note spanning columns), and copying it would give
//!   one value to several fields.
//! - **Formulas**: the value Excel or LibreOffice cached. A formula error (`#DIV/0!`, `#REF!`,
//!   or the same text in a CSV) is [`Cell::Error`]; the mapping makes it a warning.
//!
//! ## Bounds
//!
//! The file may be hostile. Memory is bounded before and while reading:
//!
//! - the input is at most [`MAX_FILE_BYTES`];
//! - a zip's central directory is read first (it is small, at the end of the file): at most
//!   [`MAX_ZIP_ENTRIES`] parts, each declaring at most [`MAX_ZIP_PART_BYTES`] uncompressed
//!   ([`MAX_ZIP_HELD_BYTES`] for the parts calamine holds whole in memory: shared strings,
//!   styles, workbook, ODS content), at most [`MAX_ZIP_TOTAL_BYTES`] in all, and a part of more
//!   than 1 MiB may not expand more than [`MAX_ZIP_RATIO`] times. The `zip` crate (9.8) then
//!   refuses to inflate a part past its declared size ("File is larger than its declared
//!   uncompressed size"), so a part that lies about its size stops at that size;
//! - XLSX worksheets are streamed cell by cell (calamine's `worksheet_cells_reader`), never
//!   made into calamine's dense range (whose size is the bounding box of the cells: one cell
//!   in `A1` and one in `XFD1048576` would ask for 17 billion cells);
//! - ODS content is scanned before calamine reads it (calamine expands repeated rows and
//!   columns into a dense range per sheet): more than [`MAX_CELLS`] cells in those ranges is
//!   refused;
//! - the grid keeps at most [`MAX_ROWS`] rows, [`MAX_COLUMNS`] columns and [`MAX_CELLS`]
//!   cell slots (a row holds slots up to its last non-empty cell), and a cell's text is cut at
//!   [`MAX_CELL_BYTES`] (with a warning).
//!
//! XLS files are read whole by calamine, whose dense ranges are bounded only by the cells'
//! positions; they are limited to [`MAX_XLS_BYTES`].

use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::{Data, DataRef, Ods, Reader, SheetType, SheetVisible, Xls, Xlsx};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::RowError;
use crate::decode::{DecodeError, decode};
use crate::mapping;

/// The largest file read at all.
pub const MAX_FILE_BYTES: usize = 256 << 20;
/// The largest XLS file read (calamine reads every sheet of it into memory at once).
pub const MAX_XLS_BYTES: usize = 64 << 20;
/// Parts in a zip (XLSX, ODS).
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// The declared uncompressed size of one part that is streamed (an XLSX worksheet).
pub const MAX_ZIP_PART_BYTES: u64 = 1 << 30;
/// The declared uncompressed size of a part held whole in memory (shared strings, styles,
/// the workbook, relationships, an ODS `content.xml`'s parsed cells).
pub const MAX_ZIP_HELD_BYTES: u64 = 256 << 20;
/// The declared uncompressed size of all parts together.
pub const MAX_ZIP_TOTAL_BYTES: u64 = 2 << 30;
/// How many times a part of more than 1 MiB may expand. Real workbooks stay well below (the
/// 100,000-row test workbook's sheet expands about 8 times); zip bombs go to 1,000.
pub const MAX_ZIP_RATIO: u64 = 200;
/// Rows in a sheet (Excel's own limit).
pub const MAX_ROWS: u32 = 1_048_576;
/// Columns in a sheet (Excel's own limit, `XFD`).
pub const MAX_COLUMNS: u32 = 16_384;
/// Cell slots kept for a sheet (about 24 bytes each plus their text), and cells calamine may
/// expand an ODS into.
pub const MAX_CELLS: usize = 20_000_000;
/// Bytes of text kept from one cell (Excel holds at most 32,767 characters).
pub const MAX_CELL_BYTES: usize = 128 * 1024;
/// Sheet-level warnings kept (more are counted in the last one).
pub const MAX_WARNINGS: usize = 1_000;
/// Merged regions kept from an ODS sheet (more are not filled).
pub const MAX_MERGES: usize = 100_000;
/// Rows read from each sheet to decide whether it looks like a table.
const PREVIEW_ROWS: usize = 40;
/// Rows searched for the header.
const HEADER_SCAN_ROWS: usize = 30;

/// Where the sheet came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Tsv,
    Xlsx,
    Xls,
    Ods,
}

/// One cell's value, typed as the spreadsheet typed it. CSV and TSV cells are text (a phone
/// `0301234567` keeps its zero); the mapping parses them by their target.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A date cell (an Excel serial with a date format, an ODS date), without a time.
    Date(NaiveDate),
    /// A date cell with a time of day.
    DateTime(NaiveDateTime),
    Bool(bool),
    /// A formula's error (`#DIV/0!`, `#REF!`, `#N/A`...).
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    /// The cell as text: numbers without a needless `.0`, dates as `2026-12-03`.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_string(),
            Cell::Number(n) => number_text(*n),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(d) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// `1234` for 1234.0, `0.5` for 0.5, `13812345678` for a phone typed as a number.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A data row: its line (the spreadsheet's 1-based row number, or the text file's line) and
/// its cells from column A up to its last non-empty cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<Cell>,
}

impl Row {
    /// The cell in column `col` (0-based), empty past the row's end.
    pub fn get(&self, col: usize) -> &Cell {
        self.cells.get(col).unwrap_or(&Cell::Empty)
    }

    fn non_empty(&self) -> usize {
        self.cells.iter().filter(|c| !c.is_empty()).count()
    }
}

/// A sheet read into rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sheet {
    pub format: Format,
    /// Every sheet of the workbook, in order (one empty name for CSV and TSV).
    pub sheet_names: Vec<String>,
    /// The sheet read.
    pub sheet_name: String,
    /// The text's encoding (CSV, TSV).
    pub encoding: Option<&'static str>,
    /// The delimiter (CSV, TSV).
    pub delimiter: Option<char>,
    /// The first text above the header row (a title such as `2026年客户名单`).
    pub title: Option<String>,
    /// The header row's line; 0 when the sheet has no rows.
    pub header_line: u64,
    /// Column names, one per column up to the widest row; an empty header is named by its
    /// column letter (`Column F`).
    pub headers: Vec<String>,
    /// The non-empty rows below the header.
    pub rows: Vec<Row>,
    /// What was changed while reading (a cell cut short), naming the line and column.
    pub warnings: Vec<RowError>,
}

/// What to read.
#[derive(Clone, Debug, Default)]
pub struct SheetOptions {
    /// The file's name or extension, as a hint (`.tsv` prefers tabs); the bytes decide the
    /// format.
    pub file_name: Option<String>,
    /// The text encoding to use (CSV, TSV), as `--encoding` names it.
    pub encoding: Option<String>,
    /// The sheet to read: its name, or its 1-based number when no sheet has that name.
    pub sheet: Option<String>,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is too large to import: {0}")]
    TooLarge(String),
    #[error("the file is damaged or cut short ({0})")]
    Damaged(String),
    #[error("the workbook is password-protected; save it without a password and try again")]
    Password,
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("there is no sheet `{asked}` (the sheets are: {})", names.join(", "))]
    NoSuchSheet { asked: String, names: Vec<String> },
    #[error("no sheet has any data")]
    NoData,
    #[error("line {line}: {reason}")]
    Csv { line: u64, reason: String },
    #[error("line {line}: more than {} columns", MAX_COLUMNS)]
    TooManyColumns { line: u64 },
    #[error("more than {} rows", MAX_ROWS)]
    TooManyRows,
    #[error(
        "more than {} cells: split the sheet and import it in parts",
        MAX_CELLS
    )]
    TooManyCells,
}

/// Reads the sheet of `bytes` that `opts` asks for (see the module documentation).
pub fn read_sheet(bytes: &[u8], opts: &SheetOptions) -> Result<Sheet, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SheetError::TooLarge(format!(
            "{} bytes, more than the {} MiB a file may have",
            bytes.len(),
            MAX_FILE_BYTES >> 20
        )));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_zip(bytes, opts)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        read_cfb(bytes, opts)
    } else {
        read_text(bytes, opts)
    }
}

// ---------------------------------------------------------------------------------------------
// The grid: cells pushed in (row, column) order, bounded.

/// A merged region: (first row, first column), (last row, last column), 0-based.
type Region = ((u32, u32), (u32, u32));

struct Grid {
    rows: Vec<Row>,
    slots: usize,
    /// A row came before one already stored.
    unsorted: bool,
    warnings: Vec<RowError>,
    dropped_warnings: usize,
}

impl Grid {
    fn new() -> Self {
        Grid {
            rows: Vec::new(),
            slots: 0,
            unsorted: false,
            warnings: Vec::new(),
            dropped_warnings: 0,
        }
    }

    fn warn(&mut self, line: u64, col: u32, reason: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(RowError {
                line,
                column: column_letter(col as usize),
                reason,
            });
        } else {
            self.dropped_warnings += 1;
        }
    }

    /// Puts `cell` at 0-based (`row`, `col`). Empty cells are not stored.
    fn put(&mut self, row: u32, col: u32, cell: Cell) -> Result<(), SheetError> {
        if cell.is_empty() {
            return Ok(());
        }
        if row >= MAX_ROWS {
            return Err(SheetError::TooManyRows);
        }
        let line = u64::from(row) + 1;
        if col >= MAX_COLUMNS {
            return Err(SheetError::TooManyColumns { line });
        }
        let cell = match cell {
            Cell::Text(s) if s.len() > MAX_CELL_BYTES => {
                let mut end = MAX_CELL_BYTES;
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                self.warn(
                    line,
                    col,
                    format!(
                        "the cell holds {} bytes; only the first {MAX_CELL_BYTES} are kept",
                        s.len()
                    ),
                );
                Cell::Text(s[..end].to_string())
            }
            c => c,
        };
        let at = match self.rows.last() {
            Some(last) if last.line == line => self.rows.len() - 1,
            last => {
                // Rows out of order (rare, but a file may do it) are sorted once at the end,
                // not inserted in place (which a hostile file could make quadratic).
                self.unsorted |= last.is_some_and(|l| l.line > line);
                self.rows.push(Row {
                    line,
                    cells: Vec::new(),
                });
                self.rows.len() - 1
            }
        };
        let cells = &mut self.rows[at].cells;
        let col = col as usize;
        if col >= cells.len() {
            let grow = col + 1 - cells.len();
            if self.slots + grow > MAX_CELLS {
                return Err(SheetError::TooManyCells);
            }
            self.slots += grow;
            cells.resize(col + 1, Cell::Empty);
        }
        cells[col] = cell;
        Ok(())
    }

    /// Sorts rows that came out of order, joining the pieces of one row (a later cell wins).
    fn sort(&mut self) {
        if !std::mem::take(&mut self.unsorted) {
            return;
        }
        self.rows.sort_by_key(|r| r.line);
        let mut joined: Vec<Row> = Vec::with_capacity(self.rows.len());
        for row in self.rows.drain(..) {
            match joined.last_mut() {
                Some(last) if last.line == row.line => {
                    if last.cells.len() < row.cells.len() {
                        last.cells.resize(row.cells.len(), Cell::Empty);
                    }
                    for (i, c) in row.cells.into_iter().enumerate() {
                        if !c.is_empty() {
                            last.cells[i] = c;
                        }
                    }
                }
                _ => joined.push(row),
            }
        }
        self.rows = joined;
    }

    /// Fills merged regions down their rows (see the module documentation).
    fn fill_merges(&mut self, regions: &[Region]) -> Result<(), SheetError> {
        self.sort();
        let mut budget = MAX_CELLS;
        for &((r1, c1), (r2, _)) in regions {
            if r2 <= r1 {
                continue;
            }
            let (first, last) = (u64::from(r1) + 1, u64::from(r2) + 1);
            let Ok(top) = self.rows.binary_search_by(|r| r.line.cmp(&first)) else {
                continue;
            };
            let value = self.rows[top].get(c1 as usize).clone();
            if value.is_empty() {
                continue;
            }
            let col = c1 as usize;
            for i in top + 1..self.rows.len() {
                if self.rows[i].line > last {
                    break;
                }
                budget = budget.checked_sub(1).ok_or(SheetError::TooManyCells)?;
                let cells = &mut self.rows[i].cells;
                if col >= cells.len() {
                    let grow = col + 1 - cells.len();
                    if self.slots + grow > MAX_CELLS {
                        return Err(SheetError::TooManyCells);
                    }
                    self.slots += grow;
                    cells.resize(col + 1, Cell::Empty);
                }
                if cells[col].is_empty() {
                    cells[col] = value.clone();
                }
            }
        }
        Ok(())
    }

    fn into_warnings(mut self) -> (Vec<Row>, Vec<RowError>) {
        self.sort();
        if self.dropped_warnings > 0 {
            self.warnings.push(RowError {
                line: 0,
                column: String::new(),
                reason: format!("{} more warnings like these", self.dropped_warnings),
            });
        }
        (self.rows, self.warnings)
    }
}

/// `A`, `Z`, `AA`, `XFD` for 0, 25, 26, 16383.
pub fn column_letter(col: usize) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// Excel's error values, as they appear in a cell or in a CSV saved from one.
pub fn is_error_literal(s: &str) -> bool {
    matches!(
        s,
        "#DIV/0!"
            | "#N/A"
            | "#NAME?"
            | "#NULL!"
            | "#NUM!"
            | "#REF!"
            | "#VALUE!"
            | "#DATA!"
            | "#SPILL!"
            | "#CALC!"
            | "#GETTING_DATA"
            | "#NV"
    ) || s
        .strip_prefix("Err:")
        .is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()))
}

fn text_cell(s: &str) -> Cell {
    let t = s.trim();
    if t.is_empty() {
        Cell::Empty
    } else if is_error_literal(t) {
        Cell::Error(t.to_string())
    } else {
        Cell::Text(s.to_string())
    }
}

/// An Excel serial date-time (days since the epoch, the time as the fraction).
fn serial_cell(serial: f64, is_1904: bool) -> Cell {
    if !(0.0..2_958_466.0).contains(&serial) {
        return Cell::Number(serial);
    }
    let days = serial.trunc();
    let secs = ((serial - days) * 86_400.0).round() as u32;
    if days < 1.0 && !is_1904 {
        // A time of day alone ("h:mm").
        return Cell::Text(format!("{:02}:{:02}", secs / 3600, secs / 60 % 60));
    }
    let Some(date) = mapping::excel_serial_date(days as i64, is_1904) else {
        return Cell::Number(serial);
    };
    if secs == 0 || secs >= 86_400 {
        Cell::Date(date)
    } else {
        date.and_hms_opt(secs / 3600, secs / 60 % 60, secs % 60)
            .map_or(Cell::Date(date), Cell::DateTime)
    }
}

/// `2026-12-03` or `2026-12-03T10:30:00` (ODS dates, XLSX `t="d"` cells).
fn iso_cell(s: &str) -> Cell {
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Cell::Date(d);
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return if d.time() == chrono::NaiveTime::MIN {
                Cell::Date(d.date())
            } else {
                Cell::DateTime(d)
            };
        }
    }
    text_cell(s)
}

fn data_ref_cell(d: &DataRef<'_>, is_1904: bool) -> Cell {
    match d {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => text_cell(s),
        DataRef::SharedString(s) => text_cell(s),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) if dt.is_duration() => Cell::Number(dt.as_f64()),
        DataRef::DateTime(dt) => serial_cell(dt.as_f64(), is_1904),
        DataRef::DateTimeIso(s) => iso_cell(s),
        DataRef::DurationIso(s) => text_cell(s),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

fn data_cell(d: &Data, is_1904: bool) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => text_cell(s),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_duration() => Cell::Number(dt.as_f64()),
        Data::DateTime(dt) => serial_cell(dt.as_f64(), is_1904),
        Data::DateTimeIso(s) => iso_cell(s),
        Data::DurationIso(s) => text_cell(s),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Header detection and the finished sheet.

/// Which row is the header (an index into `rows`), per the module documentation.
fn header_index(rows: &[Row]) -> Option<usize> {
    let scan = &rows[..rows.len().min(HEADER_SCAN_ROWS)];
    let texts = |r: &Row| {
        r.cells
            .iter()
            .filter(|c| matches!(c, Cell::Text(_)))
            .count()
    };
    for (i, r) in scan.iter().enumerate() {
        let n = r.non_empty();
        let known = r
            .cells
            .iter()
            .filter(|c| match c {
                Cell::Text(t) => mapping::builtin_target(t).is_some(),
                _ => false,
            })
            .count();
        if known >= 2 && known * 2 >= n {
            return Some(i);
        }
    }
    for (i, r) in scan.iter().enumerate() {
        let n = r.non_empty();
        let t = texts(r);
        if t < 2 || t * 2 < n {
            continue;
        }
        match rows.get(i + 1) {
            None => return Some(i),
            Some(next) => {
                let m = next.non_empty();
                if m >= 2 && m * 2 >= n {
                    return Some(i);
                }
            }
        }
    }
    if rows.is_empty() { None } else { Some(0) }
}

/// Whether the first rows look like a table: a header and a data row of 2 or more cells.
fn looks_like_table(rows: &[Row]) -> bool {
    header_index(rows).is_some_and(|h| {
        rows[h].non_empty() >= 2 && rows[h + 1..].iter().any(|r| r.non_empty() >= 2)
    })
}

struct Source {
    format: Format,
    sheet_names: Vec<String>,
    sheet_name: String,
    encoding: Option<&'static str>,
    delimiter: Option<char>,
}

fn finish(src: Source, grid: Grid) -> Sheet {
    let (mut rows, warnings) = grid.into_warnings();
    let Some(h) = header_index(&rows) else {
        return Sheet {
            format: src.format,
            sheet_names: src.sheet_names,
            sheet_name: src.sheet_name,
            encoding: src.encoding,
            delimiter: src.delimiter,
            title: None,
            header_line: 0,
            headers: Vec::new(),
            rows: Vec::new(),
            warnings,
        };
    };
    let title = rows[..h]
        .iter()
        .flat_map(|r| r.cells.iter())
        .map(Cell::text)
        .find(|t| !t.is_empty());
    let data = rows.split_off(h + 1);
    let header = rows.pop();
    let header_line = header.as_ref().map_or(0, |r| r.line);
    let header_cells = header.map(|r| r.cells).unwrap_or_default();
    let width = data
        .iter()
        .map(|r| r.cells.len())
        .chain(std::iter::once(header_cells.len()))
        .max()
        .unwrap_or(0);
    let headers = (0..width)
        .map(|i| {
            let t = header_cells
                .get(i)
                .map(|c| c.text().replace(['\n', '\r'], " "))
                .unwrap_or_default();
            if t.trim().is_empty() {
                format!("Column {}", column_letter(i))
            } else {
                t.trim().to_string()
            }
        })
        .collect();
    Sheet {
        format: src.format,
        sheet_names: src.sheet_names,
        sheet_name: src.sheet_name,
        encoding: src.encoding,
        delimiter: src.delimiter,
        title,
        header_line,
        headers,
        rows: data,
        warnings,
    }
}

/// The sheet asked for: by name, else by 1-based number.
fn asked_sheet(asked: &str, names: &[String]) -> Result<usize, SheetError> {
    if let Some(i) = names.iter().position(|n| n == asked) {
        return Ok(i);
    }
    let folded = rapport_model::text::fold(asked);
    if let Some(i) = names
        .iter()
        .position(|n| rapport_model::text::fold(n) == folded)
    {
        return Ok(i);
    }
    match asked.trim().parse::<usize>() {
        Ok(n) if n >= 1 && n <= names.len() => Ok(n - 1),
        _ => Err(SheetError::NoSuchSheet {
            asked: asked.to_string(),
            names: names.to_vec(),
        }),
    }
}

/// Picks among sheets: the asked one, else the first candidate whose preview looks like a
/// table, else the first candidate with data.
fn pick_sheet(
    opts: &SheetOptions,
    names: &[String],
    candidates: &[usize],
    mut preview: impl FnMut(usize) -> Result<Vec<Row>, SheetError>,
) -> Result<usize, SheetError> {
    if let Some(asked) = &opts.sheet {
        return asked_sheet(asked, names);
    }
    let mut first_with_data = None;
    for &i in candidates {
        let rows = preview(i)?;
        if rows.is_empty() {
            continue;
        }
        if looks_like_table(&rows) {
            return Ok(i);
        }
        first_with_data.get_or_insert(i);
    }
    first_with_data.ok_or(SheetError::NoData)
}

// ---------------------------------------------------------------------------------------------
// Zip: XLSX and ODS.

/// Parts calamine reads whole into memory (everything but the worksheets it streams).
fn held_whole(name: &str, ods: bool) -> bool {
    ods || !(name.starts_with("xl/worksheets/") && name.ends_with(".xml"))
}

/// Checks the zip's declared sizes before anything is inflated (see the module docs).
fn check_zip(bytes: &[u8]) -> Result<zip::ZipArchive<Cursor<&[u8]>>, SheetError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(SheetError::TooLarge(format!(
            "{} parts in the zip, more than {MAX_ZIP_ENTRIES}",
            zip.len()
        )));
    }
    let ods = zip.index_for_name("mimetype").is_some();
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(zip_error)?;
        let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
        let (size, packed) = (f.size(), f.compressed_size());
        let limit = if held_whole(&name, ods) {
            MAX_ZIP_HELD_BYTES
        } else {
            MAX_ZIP_PART_BYTES
        };
        if size > limit {
            return Err(SheetError::TooLarge(format!(
                "`{name}` expands to {size} bytes, more than {} MiB",
                limit >> 20
            )));
        }
        if size > (1 << 20) && size / packed.max(1) > MAX_ZIP_RATIO {
            return Err(SheetError::TooLarge(format!(
                "`{name}` expands {} times ({packed} bytes to {size}), more than the {MAX_ZIP_RATIO} a spreadsheet does: it may be a zip bomb",
                size / packed.max(1)
            )));
        }
        total = total.saturating_add(size);
        if total > MAX_ZIP_TOTAL_BYTES {
            return Err(SheetError::TooLarge(format!(
                "the zip expands to more than {} MiB",
                MAX_ZIP_TOTAL_BYTES >> 20
            )));
        }
    }
    Ok(zip)
}

fn zip_error(e: zip::result::ZipError) -> SheetError {
    SheetError::Damaged(e.to_string())
}

fn read_zip(bytes: &[u8], opts: &SheetOptions) -> Result<Sheet, SheetError> {
    let mut zip = check_zip(bytes)?;
    let mimetype = match zip.by_name("mimetype") {
        Ok(mut m) => {
            let mut head = Vec::new();
            m.by_ref()
                .take(100)
                .read_to_end(&mut head)
                .map_err(|e| SheetError::Damaged(e.to_string()))?;
            Some(head)
        }
        Err(_) => None,
    };
    if let Some(head) = mimetype {
        return if head.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
            read_ods(bytes, opts, &mut zip)
        } else {
            Err(SheetError::Unsupported(format!(
                "an OpenDocument file that is not a spreadsheet (`{}`): save it as .ods or .xlsx",
                String::from_utf8_lossy(&head)
            )))
        };
    }
    if zip.index_for_name("xl/workbook.xml").is_some() {
        read_xlsx(bytes, opts)
    } else if zip.index_for_name("xl/workbook.bin").is_some() {
        Err(SheetError::Unsupported(
            "an Excel binary workbook (.xlsb): save it as .xlsx and try again".into(),
        ))
    } else {
        Err(SheetError::Unsupported(
            "a zip file that is not a spreadsheet (no xl/workbook.xml, no OpenDocument mimetype)"
                .into(),
        ))
    }
}

fn xlsx_error(e: calamine::XlsxError) -> SheetError {
    use calamine::XlsxError as E;
    match e {
        E::Password => SheetError::Password,
        E::Zip(z) => zip_error(z),
        other => SheetError::Damaged(other.to_string()),
    }
}

/// Streams `name`'s cells into `grid`, up to `max_rows` distinct rows when given.
fn stream_xlsx(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    is_1904: bool,
    grid: &mut Grid,
    max_rows: Option<usize>,
) -> Result<(), SheetError> {
    let mut reader = match wb.worksheet_cells_reader(name) {
        Ok(r) => r,
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(()),
        Err(e) => return Err(xlsx_error(e)),
    };
    while let Some(cell) = reader.next_cell().map_err(xlsx_error)? {
        let (r, c) = cell.get_position();
        if max_rows.is_some_and(|m| {
            grid.rows.len() >= m && grid.rows.last().is_some_and(|l| l.line <= u64::from(r))
        }) {
            break;
        }
        grid.put(r, c, data_ref_cell(cell.get_value(), is_1904))?;
    }
    Ok(())
}

/// The workbook's visible worksheets (hidden sheets and chart sheets are not candidates when
/// the sheet is chosen for the person), by index.
fn visible_worksheets(sheets: &[calamine::Sheet]) -> Vec<usize> {
    sheets
        .iter()
        .enumerate()
        .filter(|(_, s)| s.visible == SheetVisible::Visible && s.typ == SheetType::WorkSheet)
        .map(|(i, _)| i)
        .collect()
}

fn read_xlsx(bytes: &[u8], opts: &SheetOptions) -> Result<Sheet, SheetError> {
    let mut wb: Xlsx<Cursor<&[u8]>> = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let is_1904 = wb.has_1904_epoch();
    let names = wb.sheet_names();
    let candidates = visible_worksheets(wb.sheets_metadata());
    let chosen = pick_sheet(opts, &names, &candidates, |i| {
        let mut g = Grid::new();
        stream_xlsx(&mut wb, &names[i], is_1904, &mut g, Some(PREVIEW_ROWS))?;
        Ok(g.rows)
    })?;
    let name = names[chosen].clone();
    let mut grid = Grid::new();
    stream_xlsx(&mut wb, &name, is_1904, &mut grid, None)?;
    let merges: Vec<_> = wb
        .merge_cells_by_sheet_name(&name)
        .map_err(xlsx_error)?
        .into_iter()
        .map(|d| (d.start, d.end))
        .collect();
    grid.fill_merges(&merges)?;
    Ok(finish(
        Source {
            format: Format::Xlsx,
            sheet_names: names,
            sheet_name: name,
            encoding: None,
            delimiter: None,
        },
        grid,
    ))
}

/// What the scan of an ODS `content.xml` found about one table.
#[derive(Default)]
struct OdsTable {
    name: String,
    /// Merged regions ((first row, first col), (last row, last col)), 0-based.
    merges: Vec<Region>,
}

/// Scans `content.xml` (streamed, attributes only) for each table's merged regions, and
/// refuses a document whose repeated rows and columns would expand, in calamine's dense
/// ranges, to more than [`MAX_CELLS`] cells.
fn scan_ods(zip: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<Vec<OdsTable>, SheetError> {
    use quick_xml::events::Event;
    let f = zip.by_name("content.xml").map_err(zip_error)?;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(f));
    let mut buf = Vec::new();
    let mut tables: Vec<OdsTable> = Vec::new();
    let too_big =
        || SheetError::TooLarge(format!("the sheets expand to more than {MAX_CELLS} cells"));
    let attr = |e: &quick_xml::events::BytesStart<'_>, key: &str| -> Option<u64> {
        e.try_get_attribute(key)
            .ok()
            .flatten()
            .and_then(|a| a.value.trim().parse::<u64>().ok())
    };
    // Per table: the row position, and the dense extent calamine will allocate.
    let (mut row, mut col) = (0u64, 0u64);
    let (mut row_repeat, mut row_width, mut row_raw) = (1u64, 0u64, 0u64);
    let mut in_row = false;
    let mut raw_cells: u64 = 0;
    let (mut first_row, mut last_row, mut max_width): (Option<u64>, u64, u64) = (None, 0, 0);
    let mut dense_total: u64 = 0;
    loop {
        buf.clear();
        let ev = xml
            .read_event_into(&mut buf)
            .map_err(|e| SheetError::Damaged(e.to_string()))?;
        let (e, is_empty_elem) = match &ev {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(end) => {
                match end.name().as_ref() {
                    "table:table-row" if in_row => {
                        in_row = false;
                        if row_width > 0 {
                            first_row.get_or_insert(row);
                            last_row = row + row_repeat - 1;
                            max_width = max_width.max(row_width);
                        }
                        raw_cells = raw_cells.saturating_add(row_raw);
                        row = row.saturating_add(row_repeat).min(u64::from(MAX_ROWS));
                    }
                    "table:table" => {
                        if let Some(f) = first_row {
                            dense_total = dense_total
                                .saturating_add((last_row + 1 - f).saturating_mul(max_width));
                        }
                        if dense_total > MAX_CELLS as u64 || raw_cells > MAX_CELLS as u64 {
                            return Err(too_big());
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let Some(e) = e else { continue };
        match e.name().as_ref() {
            "table:table" if !is_empty_elem => {
                let name = e
                    .try_get_attribute("table:name")
                    .ok()
                    .flatten()
                    .and_then(|a| {
                        quick_xml::escape::unescape(&a.value)
                            .ok()
                            .map(|v| v.into_owned())
                    })
                    .unwrap_or_default();
                tables.push(OdsTable {
                    name,
                    merges: Vec::new(),
                });
                (row, first_row, last_row, max_width) = (0, None, 0, 0);
            }
            "table:table-row" => {
                row_repeat = attr(&e, "table:number-rows-repeated").unwrap_or(1).max(1);
                row_repeat = row_repeat
                    .min(u64::from(MAX_ROWS).saturating_sub(row))
                    .max(1);
                (col, row_width, row_raw) = (0, 0, 0);
                in_row = !is_empty_elem;
                if is_empty_elem {
                    row = row.saturating_add(row_repeat).min(u64::from(MAX_ROWS));
                }
            }
            "table:table-cell" | "table:covered-table-cell" if in_row => {
                let repeat = attr(&e, "table:number-columns-repeated")
                    .unwrap_or(1)
                    .clamp(1, u64::from(MAX_COLUMNS));
                let valued = !is_empty_elem
                    || e.try_get_attribute("office:value-type")
                        .ok()
                        .flatten()
                        .is_some()
                    || e.try_get_attribute("table:formula")
                        .ok()
                        .flatten()
                        .is_some();
                if valued {
                    let end = col.saturating_add(repeat).min(u64::from(MAX_COLUMNS));
                    row_width = row_width.max(end);
                    row_raw = end;
                }
                let rows_spanned = attr(&e, "table:number-rows-spanned").unwrap_or(1).max(1);
                let cols_spanned = attr(&e, "table:number-columns-spanned").unwrap_or(1).max(1);
                if (rows_spanned > 1 || cols_spanned > 1)
                    && let Some(t) = tables.last_mut()
                    && t.merges.len() < MAX_MERGES
                {
                    let r2 = (row.saturating_add(rows_spanned) - 1).min(u64::from(MAX_ROWS) - 1);
                    let c2 = (col.saturating_add(cols_spanned) - 1).min(u64::from(MAX_COLUMNS) - 1);
                    t.merges
                        .push(((row as u32, col as u32), (r2 as u32, c2 as u32)));
                }
                col = col.saturating_add(repeat).min(u64::from(MAX_COLUMNS));
                if raw_cells.saturating_add(row_raw.saturating_mul(row_repeat))
                    > MAX_CELLS as u64 * 4
                {
                    return Err(too_big());
                }
            }
            _ => {}
        }
    }
    Ok(tables)
}

fn ods_error(e: calamine::OdsError) -> SheetError {
    match e {
        calamine::OdsError::Password => SheetError::Password,
        calamine::OdsError::Zip(z) => zip_error(z),
        calamine::OdsError::CellLimitExceeded { .. } => SheetError::TooManyCells,
        other => SheetError::Damaged(other.to_string()),
    }
}

fn range_rows(
    range: &calamine::Range<Data>,
    is_1904: bool,
    grid: &mut Grid,
) -> Result<(), SheetError> {
    let Some((r0, c0)) = range.start() else {
        return Ok(());
    };
    for (r, c, d) in range.used_cells() {
        let (Ok(r), Ok(c)) = (u32::try_from(r), u32::try_from(c)) else {
            return Err(SheetError::TooManyCells);
        };
        grid.put(
            r0.saturating_add(r),
            c0.saturating_add(c),
            data_cell(d, is_1904),
        )?;
    }
    Ok(())
}

fn range_preview(range: &calamine::Range<Data>, is_1904: bool) -> Result<Vec<Row>, SheetError> {
    let Some((r0, c0)) = range.start() else {
        return Ok(Vec::new());
    };
    let mut g = Grid::new();
    for (r, row) in range.rows().enumerate() {
        for (c, d) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r), u32::try_from(c));
            let (Ok(r), Ok(c)) = (r, c) else {
                return Err(SheetError::TooManyCells);
            };
            g.put(
                r0.saturating_add(r),
                c0.saturating_add(c),
                data_cell(d, is_1904),
            )?;
        }
        if g.rows.len() >= PREVIEW_ROWS {
            break;
        }
    }
    Ok(g.rows)
}

fn read_ods(
    bytes: &[u8],
    opts: &SheetOptions,
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
) -> Result<Sheet, SheetError> {
    let scanned = scan_ods(zip)?;
    let mut wb: Ods<Cursor<&[u8]>> = Ods::new(Cursor::new(bytes)).map_err(ods_error)?;
    let names = wb.sheet_names();
    let candidates: Vec<usize> = wb
        .sheets_metadata()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.visible == SheetVisible::Visible)
        .map(|(i, _)| i)
        .collect();
    let mut ranges: HashMap<usize, calamine::Range<Data>> = HashMap::new();
    let chosen = pick_sheet(opts, &names, &candidates, |i| {
        let range = wb.worksheet_range(&names[i]).map_err(ods_error)?;
        let rows = range_preview(&range, false)?;
        ranges.insert(i, range);
        Ok(rows)
    })?;
    let name = names[chosen].clone();
    let range = match ranges.remove(&chosen) {
        Some(r) => r,
        None => wb.worksheet_range(&name).map_err(ods_error)?,
    };
    drop(ranges);
    let mut grid = Grid::new();
    range_rows(&range, false, &mut grid)?;
    drop(range);
    if let Some(t) = scanned.iter().find(|t| t.name == name) {
        grid.fill_merges(&t.merges)?;
    }
    Ok(finish(
        Source {
            format: Format::Ods,
            sheet_names: names,
            sheet_name: name,
            encoding: None,
            delimiter: None,
        },
        grid,
    ))
}

// ---------------------------------------------------------------------------------------------
// Compound files: XLS, or an encrypted OOXML package.

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Whether a compound file holds an encrypted OOXML package: its directory (UTF-16 names in
/// 128-byte entries) names an `EncryptionInfo` or `EncryptedPackage` stream.
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    let contains = |needle: Vec<u8>| bytes.windows(needle.len()).any(|w| w == needle.as_slice());
    contains(utf16("EncryptionInfo")) || contains(utf16("EncryptedPackage"))
}

fn xls_error(e: calamine::XlsError) -> SheetError {
    match e {
        calamine::XlsError::Password => SheetError::Password,
        other => SheetError::Damaged(other.to_string()),
    }
}

fn read_cfb(bytes: &[u8], opts: &SheetOptions) -> Result<Sheet, SheetError> {
    if is_encrypted_ooxml(bytes) {
        return Err(SheetError::Password);
    }
    if bytes.len() > MAX_XLS_BYTES {
        return Err(SheetError::TooLarge(format!(
            "an XLS file of {} bytes, more than {} MiB (save it as .xlsx)",
            bytes.len(),
            MAX_XLS_BYTES >> 20
        )));
    }
    let mut wb: Xls<Cursor<&[u8]>> = Xls::new(Cursor::new(bytes)).map_err(xls_error)?;
    let is_1904 = wb.has_1904_epoch();
    let names = wb.sheet_names();
    let candidates = visible_worksheets(wb.sheets_metadata());
    let chosen = pick_sheet(opts, &names, &candidates, |i| {
        let range = wb.worksheet_range(&names[i]).map_err(xls_error)?;
        range_preview(&range, is_1904)
    })?;
    let name = names[chosen].clone();
    let range = wb.worksheet_range(&name).map_err(xls_error)?;
    let mut grid = Grid::new();
    range_rows(&range, is_1904, &mut grid)?;
    drop(range);
    let merges: Vec<_> = wb
        .merge_cells_by_sheet_name(&name)
        .map_err(xls_error)?
        .into_iter()
        .map(|d| (d.start, d.end))
        .collect();
    grid.fill_merges(&merges)?;
    Ok(finish(
        Source {
            format: Format::Xls,
            sheet_names: names,
            sheet_name: name,
            encoding: None,
            delimiter: None,
        },
        grid,
    ))
}

// ---------------------------------------------------------------------------------------------
// Text: CSV and TSV.

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The delimiter that splits the first records into the most rows of one width (2 or more
/// fields); ties go to the wider split, then to `preferred`, then to the order `,` `;` tab `|`.
pub fn detect_delimiter(text: &str, preferred: Option<u8>) -> u8 {
    let mut end = text.len().min(64 * 1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = &text[..end];
    let mut best = (0usize, 0usize, false, b',');
    for d in DELIMITERS {
        let mut counts: HashMap<usize, usize> = HashMap::new();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(d)
            .from_reader(sample.as_bytes());
        for rec in reader.records().take(50) {
            let Ok(rec) = rec else { break };
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            *counts.entry(rec.len()).or_default() += 1;
        }
        let Some((&width, &rows)) = counts
            .iter()
            .filter(|(w, _)| **w >= 2)
            .max_by_key(|(w, n)| (**n, **w))
        else {
            continue;
        };
        let key = (rows, width, preferred == Some(d), d);
        if (key.0, key.1, key.2) > (best.0, best.1, best.2) {
            best = key;
        }
    }
    best.3
}

fn read_text(bytes: &[u8], opts: &SheetOptions) -> Result<Sheet, SheetError> {
    let decoded = decode(bytes, opts.encoding.as_deref())?;
    let text = decoded.text.as_str();
    if text.trim().is_empty() {
        return Err(SheetError::Empty);
    }
    // Excel's `sep=;` first line names the delimiter.
    let first_line = text.lines().next().unwrap_or("");
    let sep = first_line
        .trim()
        .strip_prefix("sep=")
        .and_then(|s| s.bytes().next())
        .filter(|_| first_line.trim().len() == 5);
    let (body, skipped) = match sep {
        Some(_) => (text.split_once('\n').map_or("", |(_, rest)| rest), 1u64),
        None => (text, 0),
    };
    let tsv_name = opts.file_name.as_deref().is_some_and(|n| {
        n.to_ascii_lowercase().ends_with(".tsv") || n.to_ascii_lowercase().ends_with(".tab")
    });
    let delimiter = sep.unwrap_or_else(|| detect_delimiter(body, tsv_name.then_some(b'\t')));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body.as_bytes());
    let mut grid = Grid::new();
    let (mut seen_byte, mut seen_line) = (0usize, 1 + skipped);
    let mut last_start = 0usize;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(seen_line, |p| p.line() + skipped);
                return Err(SheetError::Csv {
                    line,
                    reason: e.to_string(),
                });
            }
        }
        let mut start = record
            .position()
            .map_or(0, |p| p.byte() as usize)
            .min(body.len());
        // A record never starts with a line end: the csv crate may place it at the end of the
        // line before (CRLF) or of a blank line it skipped.
        while matches!(body.as_bytes().get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        last_start = start;
        let from = seen_byte.min(start);
        seen_line += body.as_bytes()[from..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        seen_byte = start;
        if record.len() > MAX_COLUMNS as usize
            && record
                .iter()
                .skip(MAX_COLUMNS as usize)
                .any(|f| !f.trim().is_empty())
        {
            return Err(SheetError::TooManyColumns { line: seen_line });
        }
        let row = u32::try_from(seen_line - 1).map_err(|_| SheetError::TooManyRows)?;
        for (c, field) in record.iter().enumerate().take(MAX_COLUMNS as usize) {
            grid.put(row, c as u32, text_cell(field))?;
        }
    }
    if let Some(open) = crate::csv_contacts::unclosed_quote(body.as_bytes(), last_start, delimiter)
    {
        let line = skipped
            + 1
            + body.as_bytes()[..open]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
        return Err(SheetError::Csv {
            line,
            reason: "a quoted field starts here and is never closed (a `\"` is missing)".into(),
        });
    }
    Ok(finish(
        Source {
            format: if delimiter == b'\t' {
                Format::Tsv
            } else {
                Format::Csv
            },
            sheet_names: vec![String::new()],
            sheet_name: String::new(),
            encoding: Some(decoded.encoding.name()),
            delimiter: Some(char::from(delimiter)),
        },
        grid,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(column_letter(16_383), "XFD");
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter("a,b,c\n1,2,3\n", None), b',');
        assert_eq!(
            detect_delimiter("Firma;Umsatz;Ort\nMüller GmbH;1.234,56;Köln\n", None),
            b';'
        );
        assert_eq!(detect_delimiter("a\tb\n1\t2\n", None), b'\t');
        assert_eq!(detect_delimiter("a|b|c\n\"x|y\"|2|3\n", None), b'|');
        // One column: nothing splits; a comma.
        assert_eq!(detect_delimiter("name\nZhang\n", None), b',');
        // Equal splits: the preferred one.
        assert_eq!(detect_delimiter("a,b\tc\n", Some(b'\t')), b'\t');
    }

    #[test]
    fn serials_and_iso_cells() {
        assert_eq!(
            serial_cell(46359.0, false),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap())
        );
        assert_eq!(
            serial_cell(46359.5, false),
            Cell::DateTime(
                NaiveDate::from_ymd_opt(2026, 12, 3)
                    .unwrap()
                    .and_hms_opt(12, 0, 0)
                    .unwrap()
            )
        );
        assert_eq!(serial_cell(0.75, false), Cell::Text("18:00".into()));
        assert_eq!(serial_cell(60.0, false), Cell::Number(60.0));
        assert_eq!(
            iso_cell("2026-12-03"),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap())
        );
        assert_eq!(
            iso_cell("2026-12-03T00:00:00"),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap())
        );
        assert_eq!(text_cell(" #REF! "), Cell::Error("#REF!".into()));
        assert_eq!(text_cell("Err:502"), Cell::Error("Err:502".into()));
        assert_eq!(text_cell("  "), Cell::Empty);
        assert_eq!(number_text(13812345678.0), "13812345678");
        assert_eq!(number_text(1234.5), "1234.5");
    }

    #[test]
    fn grid_bounds_and_merges() {
        let mut g = Grid::new();
        g.put(0, 0, Cell::Text("a".into())).unwrap();
        g.put(2, 1, Cell::Text("b".into())).unwrap();
        g.put(1, 0, Cell::Text("c".into())).unwrap();
        g.put(2, 0, Cell::Text("d".into())).unwrap();
        g.sort();
        assert_eq!(
            g.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        // The two pieces of row 3 are one row.
        assert_eq!(
            g.rows[2].cells,
            vec![Cell::Text("d".into()), Cell::Text("b".into())]
        );
        assert!(matches!(
            g.put(0, MAX_COLUMNS, Cell::Text("x".into())),
            Err(SheetError::TooManyColumns { line: 1 })
        ));
        assert!(matches!(
            g.put(MAX_ROWS, 0, Cell::Text("x".into())),
            Err(SheetError::TooManyRows)
        ));
        // A region A1:B3 fills A2 (empty: filled) and A3 (created), not column B.
        let mut g = Grid::new();
        g.put(0, 0, Cell::Text("王芳".into())).unwrap();
        g.put(1, 1, Cell::Text("x".into())).unwrap();
        g.put(2, 1, Cell::Text("y".into())).unwrap();
        g.fill_merges(&[((0, 0), (2, 1))]).unwrap();
        assert_eq!(
            g.rows[1].cells,
            vec![Cell::Text("王芳".into()), Cell::Text("x".into())]
        );
        assert_eq!(g.rows[2].cells[0], Cell::Text("王芳".into()));
        assert_eq!(g.rows[0].cells.len(), 1);
        let long = "长".repeat(MAX_CELL_BYTES);
        let mut g = Grid::new();
        g.put(4, 2, Cell::Text(long)).unwrap();
        let Cell::Text(kept) = &g.rows[0].cells[2] else {
            panic!()
        };
        assert!(kept.len() <= MAX_CELL_BYTES && kept.len() > MAX_CELL_BYTES - 3);
        assert_eq!(g.warnings[0].line, 5);
        assert_eq!(g.warnings[0].column, "C");
    }

    fn rows(lines: &[&[&str]]) -> Vec<Row> {
        lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.iter().any(|c| !c.is_empty()))
            .map(|(i, l)| Row {
                line: i as u64 + 1,
                cells: l.iter().map(|c| text_cell(c)).collect(),
            })
            .collect()
    }

    #[test]
    fn header_rows() {
        // A title, a blank row, then known headers.
        let r = rows(&[
            &["2026年客户名单", "", ""],
            &["", "", ""],
            &["客户名称", "联系人", "手机"],
            &["华东贸易", "张伟", "13812345678"],
        ]);
        assert_eq!(header_index(&r), Some(1));
        // Unknown headers: the first row of 2+ text cells followed by a data row as wide.
        let r = rows(&[
            &["Report", "", ""],
            &["Foo", "Bar", "Baz"],
            &["1", "2", "3"],
        ]);
        assert_eq!(header_index(&r), Some(1));
        // A notes sheet: one column of lines is not a table.
        let r = rows(&[&["注意事项"], &["每周一更新"], &["不要删除"]]);
        assert!(!looks_like_table(&r));
        assert!(looks_like_table(&rows(&[
            &["Name", "Email"],
            &["Ana", "a@x.es"]
        ])));
    }
}
