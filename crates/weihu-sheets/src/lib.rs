//! Spreadsheet files in and out. Reading turns a CSV (UTF-8 with or without BOM, or GBK as
//! Excel in a Chinese locale saves it) or the first sheet of an `.xlsx` into a header row and
//! text rows; writing produces CSV and `.xlsx` where a cell that a spreadsheet would run as a
//! formula (`=cmd|' /C calc'!A0`, `+…`, `-…`, `@…`) stays text.

//!
//! # Limits
//!
//! Every upload is untrusted, and a spreadsheet is a compressed, nested, sparse format: a 1 KB
//! `.xlsx` can declare a 16 384 × 1 048 576 grid, inflate to gigabytes, or hold a million shared
//! strings. Reading never materialises a declared dimension and refuses, with an error naming
//! the limit, any file over these bounds (the same for CSV where they apply):
//!
//! | limit | value |
//! |---|---|
//! | file size ([`MAX_FILE_BYTES`]) | 8 MiB |
//! | data rows ([`MAX_ROWS`]) | 20 000 (plus the header row) |
//! | columns ([`MAX_COLUMNS`]) | 64; in `.xlsx`, no cell right of column `BL` |
//! | `.xlsx` rows ([`MAX_SHEET_ROW`]) | no cell below row 40 000 |
//! | non-empty cells ([`MAX_CELLS`]) | 500 000 |
//! | characters in one cell ([`MAX_CELL_CHARS`]) | 32 767 (Excel's own limit) |
//! | `.xlsx` parts ([`MAX_ZIP_ENTRIES`]) | 1 000 |
//! | one inflated part ([`MAX_PART_BYTES`]) | 48 MiB |
//! | all parts inflated ([`MAX_INFLATED_BYTES`]) | 96 MiB |
//! | shared strings ([`MAX_SHARED_STRINGS`]) | 500 000 |
//! | XML nesting ([`MAX_XML_DEPTH`]) | 32 levels |
//!
//! An `.xlsx` is checked in a first pass that inflates every part through a counting reader
//! (declared sizes are not trusted) and walks its XML as a stream; only a workbook within the
//! limits is handed to calamine, and its first sheet is read cell by cell
//! (`worksheet_cells_reader`), never as a `Range` of the declared dimension.

mod report;
mod xlsx;

pub use report::{
    ChartKind, MAX_REPORT_ROWS, MAX_REPORT_SHEETS, ReportCell, ReportChartSpec, ReportSheet,
    ReportWorkbook, write_report_workbook,
};

/// The largest file read, in bytes (CSV or `.xlsx`).
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;
/// At most this many data rows are read from one file (the header row comes on top).
pub const MAX_ROWS: usize = 20_000;
/// At most this many columns.
pub const MAX_COLUMNS: usize = 64;
/// In an `.xlsx`, no non-empty cell below this row (1-based; blank rows between data are
/// allowed, up to this line).
pub const MAX_SHEET_ROW: u32 = 40_000;
/// At most this many non-empty cells (CSV: fields) in one file.
pub const MAX_CELLS: usize = 500_000;
/// At most this many characters in one cell (Excel's own limit).
pub const MAX_CELL_CHARS: usize = 32_767;
/// At most this many parts (zip entries) in one `.xlsx`.
pub const MAX_ZIP_ENTRIES: usize = 1_000;
/// At most this many bytes in one inflated `.xlsx` part.
pub const MAX_PART_BYTES: u64 = 48 * 1024 * 1024;
/// At most this many bytes in all inflated `.xlsx` parts together.
pub const MAX_INFLATED_BYTES: u64 = 96 * 1024 * 1024;
/// At most this many entries in the shared-string table of an `.xlsx`.
pub const MAX_SHARED_STRINGS: usize = 500_000;
/// At most this many levels of XML elements in an `.xlsx` part.
pub const MAX_XML_DEPTH: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    #[error("the file is empty")]
    Empty,
    #[error("not a CSV or Excel (.xlsx) file")]
    UnknownFormat,
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("the Excel file cannot be read: {0}")]
    Xlsx(String),
    #[error("the file is larger than the limit of {} bytes", MAX_FILE_BYTES)]
    FileTooLarge,
    #[error("more than {MAX_ROWS} rows (the limit of rows)")]
    TooManyRows,
    #[error("more than {MAX_COLUMNS} columns (the limit of columns)")]
    TooManyColumns,
    #[error(
        "cell {cell} is outside the limits of columns A–BL ({MAX_COLUMNS} columns) and rows 1–{MAX_SHEET_ROW}"
    )]
    CellOutOfRange { cell: String },
    #[error("more than {MAX_CELLS} non-empty cells (the limit of cells)")]
    TooManyCells,
    #[error("a cell is longer than the limit of {MAX_CELL_CHARS} characters")]
    CellTooLong,
    #[error("the Excel file has more than the limit of {MAX_ZIP_ENTRIES} parts")]
    TooManyParts,
    #[error(
        "the Excel file inflates to more than the limit of {} MiB in one part or {} MiB in all (the uncompressed size limit)",
        MAX_PART_BYTES / 1024 / 1024,
        MAX_INFLATED_BYTES / 1024 / 1024
    )]
    InflatesTooMuch,
    #[error("the Excel file has more than the limit of {MAX_SHARED_STRINGS} shared strings")]
    TooManySharedStrings,
    #[error("the Excel file nests XML deeper than the limit of {MAX_XML_DEPTH} levels")]
    TooDeep,
    #[error("a report has more than {MAX_REPORT_SHEETS} sheets (the limit of sheets)")]
    TooManySheets,
    #[error("a report sheet has more than {MAX_REPORT_ROWS} rows (the limit of report rows)")]
    TooManyReportRows,
    #[error("writing failed: {0}")]
    Write(String),
}

impl SheetError {
    /// The name of the limit this error reports, if it is one.
    pub fn limit(&self) -> Option<&'static str> {
        Some(match self {
            SheetError::FileTooLarge => "file_bytes",
            SheetError::TooManyRows => "rows",
            SheetError::TooManyColumns => "columns",
            SheetError::CellOutOfRange { .. } => "cell_position",
            SheetError::TooManyCells => "cells",
            SheetError::CellTooLong => "cell_chars",
            SheetError::TooManyParts => "parts",
            SheetError::InflatesTooMuch => "uncompressed_bytes",
            SheetError::TooManySharedStrings => "shared_strings",
            SheetError::TooDeep => "xml_depth",
            SheetError::TooManySheets => "sheets",
            SheetError::TooManyReportRows => "report_rows",
            _ => return None,
        })
    }
}

/// A sheet as text: the header row and the data rows (each padded to the header's width).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The column index of the first header equal to any of `names` (trimmed, case-insensitive).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.headers.iter().position(|h| {
            let h = h.trim().to_lowercase();
            names.iter().any(|n| h == n.to_lowercase())
        })
    }

    /// Checks a table that did not come from [`read`] (a preview carried in a form, say)
    /// against the same limits of rows, columns, cells and cell length.
    pub fn check_limits(&self) -> Result<(), SheetError> {
        if self.headers.len() > MAX_COLUMNS || self.rows.iter().any(|r| r.len() > MAX_COLUMNS) {
            return Err(SheetError::TooManyColumns);
        }
        if self.rows.len() > MAX_ROWS {
            return Err(SheetError::TooManyRows);
        }
        let cells = self.headers.len() + self.rows.iter().map(Vec::len).sum::<usize>();
        if cells > MAX_CELLS {
            return Err(SheetError::TooManyCells);
        }
        let long = |c: &String| c.len() > MAX_CELL_CHARS && c.chars().count() > MAX_CELL_CHARS;
        if self.headers.iter().any(long) || self.rows.iter().flatten().any(long) {
            return Err(SheetError::CellTooLong);
        }
        Ok(())
    }
}

/// Reads a CSV or `.xlsx` file; `name` (the uploaded file name) only breaks ties. Refuses a
/// file over the limits in the module documentation.
pub fn read(bytes: &[u8], name: &str) -> Result<Table, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SheetError::FileTooLarge);
    }
    // .xlsx files are zip archives.
    if bytes.starts_with(b"PK\x03\x04") {
        return xlsx::read(bytes);
    }
    if name.to_lowercase().ends_with(".xls") {
        return Err(SheetError::UnknownFormat);
    }
    read_csv(bytes)
}

/// UTF-8 (BOM or not) or GBK. The text is at most 1.5 times the input (a two-byte GBK
/// character becomes three UTF-8 bytes), and the input is at most [`MAX_FILE_BYTES`].
fn decode(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(std::borrow::Cow::Borrowed(s));
    }
    let (text, _, bad) = encoding_rs::GBK.decode(bytes);
    if bad {
        return Err(SheetError::UnknownFormat);
    }
    Ok(text)
}

/// Characters in a cell, counted only when its bytes could exceed the limit.
fn too_long(cell: &str) -> bool {
    cell.len() > MAX_CELL_CHARS && cell.chars().count() > MAX_CELL_CHARS
}

fn finish(rows: Vec<Vec<String>>) -> Result<Table, SheetError> {
    // Blank lines (every cell empty) are not rows.
    let mut it = rows
        .into_iter()
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()));
    let headers: Vec<String> = it
        .next()
        .ok_or(SheetError::Empty)?
        .into_iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if headers.len() > MAX_COLUMNS {
        return Err(SheetError::TooManyColumns);
    }
    let mut out = Vec::new();
    for mut r in it {
        if out.len() >= MAX_ROWS {
            return Err(SheetError::TooManyRows);
        }
        r.resize(headers.len().max(r.len()).min(MAX_COLUMNS), String::new());
        r.truncate(headers.len());
        out.push(r);
    }
    Ok(Table { headers, rows: out })
}

fn read_csv(bytes: &[u8]) -> Result<Table, SheetError> {
    let text = decode(bytes)?;
    if text.contains('\0') {
        return Err(SheetError::UnknownFormat);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut cells = 0usize;
    let mut rec = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(SheetError::Csv {
                    line: e.position().map_or(0, |p| p.line()),
                    message: e.to_string(),
                });
            }
        }
        if rec.len() > MAX_COLUMNS {
            return Err(SheetError::TooManyColumns);
        }
        if rec.iter().any(too_long) {
            return Err(SheetError::CellTooLong);
        }
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        cells += rec.len();
        if cells > MAX_CELLS {
            return Err(SheetError::TooManyCells);
        }
        rows.push(rec.iter().map(str::to_owned).collect());
        if rows.len() > MAX_ROWS + 1 {
            return Err(SheetError::TooManyRows);
        }
    }
    finish(rows)
}

/// An Excel date serial (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> String {
    let days = serial.floor();
    if !(0.0..=2_958_465.0).contains(&days) {
        return serial.to_string();
    }
    jiff::civil::date(1899, 12, 30)
        .checked_add(jiff::Span::new().days(days as i64))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| serial.to_string())
}

/// A cell a spreadsheet would evaluate as a formula or DDE command.
pub fn looks_like_formula(cell: &str) -> bool {
    matches!(
        cell.trim_start().chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    ) && cell.parse::<f64>().is_err()
}

/// A cell made safe for CSV: formula-looking text gets a leading apostrophe.
pub fn safe_cell(cell: &str) -> String {
    if looks_like_formula(cell) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// The table as CSV (UTF-8 with a BOM, so Excel opens Chinese text correctly).
pub fn write_csv(table: &Table) -> Result<Vec<u8>, SheetError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(table.headers.iter().map(|c| safe_cell(c)))
            .map_err(|e| SheetError::Write(e.to_string()))?;
        for r in &table.rows {
            w.write_record(r.iter().map(|c| safe_cell(c)))
                .map_err(|e| SheetError::Write(e.to_string()))?;
        }
        w.flush().map_err(|e| SheetError::Write(e.to_string()))?;
    }
    Ok(out)
}

/// The table as an `.xlsx` workbook; every cell is written as a string (never a formula).
pub fn write_xlsx(table: &Table, sheet_name: &str) -> Result<Vec<u8>, SheetError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| SheetError::Write(e.to_string());
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name(sheet_name).map_err(err)?;
    let bold = Format::new().set_bold();
    for (c, h) in table.headers.iter().enumerate() {
        let col = u16::try_from(c).map_err(|_| SheetError::TooManyColumns)?;
        sheet
            .write_string_with_format(0, col, h, &bold)
            .map_err(err)?;
        sheet.set_column_width(col, 16).map_err(err)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let line = u32::try_from(r + 1).map_err(|_| SheetError::TooManyRows)?;
        for (c, cell) in row.iter().enumerate() {
            let col = u16::try_from(c).map_err(|_| SheetError::TooManyColumns)?;
            sheet.write_string(line, col, cell).map_err(err)?;
        }
    }
    wb.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn csv_with_bom_and_blank_lines() {
        let t = read(
            "\u{feff}类型,标签\r\ndesktop,HD-001\r\n\r\nprinter,HD-002\r\n".as_bytes(),
            "a.csv",
        )
        .expect("reads");
        assert_eq!(t.headers, ["类型", "标签"]);
        assert_eq!(t.rows, [["desktop", "HD-001"], ["printer", "HD-002"]]);
        assert_eq!(t.column(&["标签", "tag"]), Some(1));
    }

    #[test]
    fn gbk_csv_is_decoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode("类型,位置\ndesktop,财务部\n");
        let t = read(&bytes, "gbk.csv").expect("reads");
        assert_eq!(t.rows[0][1], "财务部");
    }

    #[test]
    fn xlsx_round_trip_keeps_formulas_as_text() {
        let table = Table {
            headers: vec!["tag".into(), "notes".into()],
            rows: vec![vec!["HD-1".into(), "=cmd|' /C calc'!A0".into()]],
        };
        let bytes = write_xlsx(&table, "assets").expect("writes");
        let back = read(&bytes, "x.xlsx").expect("reads back");
        assert_eq!(back, table);
        let csv = String::from_utf8(write_csv(&table).expect("csv")).expect("utf8");
        assert!(csv.contains("\nHD-1,'=cmd|' /C calc'!A0"), "{csv}");
    }

    #[test]
    fn bad_files() {
        assert_eq!(read(b"", "a.csv"), Err(SheetError::Empty));
        assert!(read(b"PK\x03\x04garbage", "a.xlsx").is_err());
        assert!(read(b"\xff\xfe\x00\x00", "a.csv").is_err());
        assert!(looks_like_formula("=1+1"));
        assert!(looks_like_formula("@SUM(A1)"));
        assert!(!looks_like_formula("-12.5"));
        assert!(!looks_like_formula("财务部"));
    }

    #[test]
    fn csv_limits() {
        let wide = (0..=MAX_COLUMNS)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            read(wide.as_bytes(), "a.csv"),
            Err(SheetError::TooManyColumns)
        );
        let long = format!("type,notes\ndesktop,{}\n", "长".repeat(MAX_CELL_CHARS + 1));
        assert_eq!(read(long.as_bytes(), "a.csv"), Err(SheetError::CellTooLong));
        let fits = format!("type,notes\ndesktop,{}\n", "长".repeat(MAX_CELL_CHARS));
        assert!(read(fits.as_bytes(), "a.csv").is_ok());
        let mut tall = String::from("type\n");
        for _ in 0..=MAX_ROWS {
            tall.push_str("desktop\n");
        }
        assert_eq!(read(tall.as_bytes(), "a.csv"), Err(SheetError::TooManyRows));
        // Blank lines do not count as rows.
        let mut airy = String::from("type\n");
        for _ in 0..MAX_ROWS {
            airy.push_str("desktop\n,\n");
        }
        assert_eq!(
            read(airy.as_bytes(), "a.csv").map(|t| t.rows.len()),
            Ok(MAX_ROWS)
        );
        // 26 columns × 20 000 rows = 520 000 cells.
        let line = format!("{}\n", vec!["x"; 26].join(","));
        let cells = line.repeat(MAX_ROWS);
        assert_eq!(
            read(cells.as_bytes(), "a.csv"),
            Err(SheetError::TooManyCells)
        );
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert_eq!(read(&big, "a.csv"), Err(SheetError::FileTooLarge));
        assert_eq!(read(&big, "a.xlsx"), Err(SheetError::FileTooLarge));
    }

    #[test]
    fn gbk_is_decoded_within_bounds() {
        // A large GBK file: every two bytes become at most three.
        let text = format!(
            "类型,位置\n{}",
            "desktop,财务部一楼东侧机房\n".repeat(100_000)
        );
        let (bytes, _, _) = encoding_rs::GBK.encode(&text);
        assert!(bytes.len() <= MAX_FILE_BYTES);
        assert_eq!(read(&bytes, "gbk.csv"), Err(SheetError::TooManyRows));
        let (bytes, _, _) = encoding_rs::GBK.encode("类型,位置\ndesktop,财务部\n");
        let mut broken = bytes.into_owned();
        broken.push(0x81);
        assert_eq!(read(&broken, "gbk.csv"), Err(SheetError::UnknownFormat));
    }

    #[test]
    fn tables_from_elsewhere_are_checked_against_the_same_limits() {
        let ok = Table {
            headers: vec!["type".into()],
            rows: vec![vec!["desktop".into()]],
        };
        assert_eq!(ok.check_limits(), Ok(()));
        let tall = Table {
            headers: vec!["type".into()],
            rows: vec![vec![String::new()]; MAX_ROWS + 1],
        };
        assert_eq!(tall.check_limits(), Err(SheetError::TooManyRows));
        let wide = Table {
            headers: vec!["type".into()],
            rows: vec![vec![String::new(); MAX_COLUMNS + 1]],
        };
        assert_eq!(wide.check_limits(), Err(SheetError::TooManyColumns));
        let long = Table {
            headers: vec!["type".into()],
            rows: vec![vec!["x".repeat(MAX_CELL_CHARS + 1)]],
        };
        assert_eq!(long.check_limits(), Err(SheetError::CellTooLong));
    }

    proptest! {
        /// Any bytes: an error or a table, never a panic (the fuzz target of the importers).
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = read(&bytes, "x.csv");
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend(&bytes);
            let _ = read(&zip, "x.xlsx");
        }

        /// CSV of any shape: a table within the limits or a refusal naming one, never a panic.
        #[test]
        fn csv_of_any_shape(cols in 1usize..100, rows in 0usize..50, cell in "[a-z,\"中\n]{0,40}") {
            let line = vec![cell.as_str(); cols].join(",");
            let text = format!("{}\n", vec![line; rows + 1].join("\n"));
            match read(text.as_bytes(), "p.csv") {
                Ok(t) => {
                    prop_assert!(t.headers.len() <= MAX_COLUMNS);
                    prop_assert!(t.rows.len() <= MAX_ROWS);
                }
                Err(e) => prop_assert!(
                    e.limit().is_some() || matches!(e, SheetError::Empty | SheetError::Csv { .. }),
                    "{e:?}"
                ),
            }
        }

        /// Whatever text goes out as CSV comes back the same (apart from the formula guard).
        #[test]
        fn csv_round_trip(rows in proptest::collection::vec(proptest::collection::vec("[a-z0-9 ,\"\n中文]{0,12}", 2), 1..20)) {
            let table = Table { headers: vec!["a".into(), "b".into()], rows: rows.clone() };
            let bytes = write_csv(&table).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back = read(&bytes, "r.csv").map_err(|e| TestCaseError::fail(e.to_string()))?;
            let kept: Vec<Vec<String>> = rows.into_iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
            prop_assert_eq!(back.rows, kept);
        }
    }
}
