//! Spreadsheet files in and out. Reading turns a CSV (UTF-8 with or without BOM, or GBK as
//! Excel in a Chinese locale saves it) or the first sheet of an `.xlsx` into a header row and
//! text rows; writing produces CSV and `.xlsx` where a cell that a spreadsheet would run as a
//! formula (`=cmd|' /C calc'!A0`, `+…`, `-…`, `@…`) stays text.

use std::io::Cursor;

/// At most this many data rows are read from one file.
pub const MAX_ROWS: usize = 20_000;
/// At most this many columns.
pub const MAX_COLUMNS: usize = 64;

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
    #[error("more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("more than {MAX_COLUMNS} columns")]
    TooManyColumns,
    #[error("writing failed: {0}")]
    Write(String),
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
}

/// Reads a CSV or `.xlsx` file; `name` (the uploaded file name) only breaks ties.
pub fn read(bytes: &[u8], name: &str) -> Result<Table, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    // .xlsx files are zip archives.
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if name.to_lowercase().ends_with(".xls") {
        return Err(SheetError::UnknownFormat);
    }
    read_csv(bytes)
}

fn decode(bytes: &[u8]) -> Result<String, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    let (text, _, bad) = encoding_rs::GBK.decode(bytes);
    if bad {
        return Err(SheetError::UnknownFormat);
    }
    Ok(text.into_owned())
}

fn finish(mut rows: Vec<Vec<String>>) -> Result<Table, SheetError> {
    // Blank lines (every cell empty) are not rows.
    rows.retain(|r| r.iter().any(|c| !c.trim().is_empty()));
    let mut it = rows.into_iter();
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
    for rec in reader.records() {
        let rec = rec.map_err(|e| SheetError::Csv {
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        if rec.len() > MAX_COLUMNS {
            return Err(SheetError::TooManyColumns);
        }
        rows.push(rec.iter().map(str::to_owned).collect());
        if rows.len() > MAX_ROWS + 1 {
            return Err(SheetError::TooManyRows);
        }
    }
    finish(rows)
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, SheetError> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| SheetError::Xlsx(e.to_string()))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or(SheetError::Empty)?
        .map_err(|e| SheetError::Xlsx(e.to_string()))?;
    if range.width() > MAX_COLUMNS {
        return Err(SheetError::TooManyColumns);
    }
    if range.height() > MAX_ROWS + 1 {
        return Err(SheetError::TooManyRows);
    }
    let rows = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::Bool(b) => b.to_string(),
                    Data::DateTime(d) => excel_date(d.as_f64()),
                    Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                    Data::Error(e) => format!("#{e:?}"),
                })
                .collect()
        })
        .collect();
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

    proptest! {
        /// Any bytes: an error or a table, never a panic (the fuzz target of the importers).
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = read(&bytes, "x.csv");
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend(&bytes);
            let _ = read(&zip, "x.xlsx");
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
