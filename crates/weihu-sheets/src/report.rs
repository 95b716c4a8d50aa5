//! Report workbooks (the monthly service-level report): several data sheets, each optionally with
//! a native Excel chart over its own columns, so the client can re-cut the figures. Text cells
//! are always strings (never formulas); numbers are numbers.
//!
//! [`write_report_workbook`] refuses a workbook over [`MAX_REPORT_SHEETS`] sheets,
//! [`MAX_REPORT_ROWS`] rows in a sheet, [`MAX_COLUMNS`] columns or a cell over
//! [`MAX_CELL_CHARS`](crate::MAX_CELL_CHARS) characters, so a hostile model cannot make it
//! allocate without bound.

use std::collections::HashSet;

use rust_xlsxwriter::{Chart, ChartMarker, ChartType, Format, Workbook, XlsxError};

use crate::{MAX_COLUMNS, SheetError, too_long};

/// At most this many sheets in a report workbook.
pub const MAX_REPORT_SHEETS: usize = 40;
/// At most this many data rows in one report sheet.
pub const MAX_REPORT_ROWS: usize = 100_000;

/// One cell of a report sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportCell {
    Text(String),
    /// A number written as a number (percentages as e.g. 99.95, not 0.9995).
    Number(f64),
    Empty,
}

/// How a sheet's chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Vertical bars, one cluster per row.
    Column,
    /// One line per series over the rows (trends).
    Line,
}

/// A native chart over a sheet's own data: categories from one column, one series per value
/// column, rows 1..=n of the data (row 0 is the header, whose cells name the series).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportChartSpec {
    pub kind: ChartKind,
    pub title: String,
    pub category_column: usize,
    pub value_columns: Vec<usize>,
    /// Axis title for the values, e.g. "%".
    pub value_axis: String,
}

/// One sheet: a title row above the table, the table (headers, rows) and an optional chart
/// placed to the right of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSheet {
    /// Sheet name (Excel allows 31 characters, no `[]:*?/\`); the writer shortens and cleans it.
    pub name: String,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<ReportCell>>,
    pub chart: Option<ReportChartSpec>,
}

/// A report workbook.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportWorkbook {
    pub sheets: Vec<ReportSheet>,
}

/// Excel's limit on a sheet name, in UTF-16 units (one per Chinese character).
const MAX_SHEET_NAME: usize = 31;
/// The row of the title, of the headers and of the first data row.
const TITLE_ROW: u32 = 0;
const HEADER_ROW: u32 = 2;
const FIRST_DATA_ROW: u32 = 3;
/// Column widths, in characters (a CJK character counts two).
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 50;
/// Chart size in pixels.
const CHART_WIDTH: u32 = 640;
const CHART_HEIGHT: u32 = 320;
/// Chart and axis titles are cut to this many characters (Excel's limit for a title).
const MAX_CHART_TITLE: usize = 255;

/// The report as an `.xlsx` workbook: per sheet the title (row 1, bold, larger), the headers
/// (row 3, bold, frozen) and the data from row 4; text is always a string (never a formula),
/// numbers are numbers (a non-finite number is left blank). A sheet with a chart spec and at
/// least one data row gets a native chart to the right of its table; chart columns outside
/// the table are ignored. Sheet names are cleaned for Excel: forbidden characters become `_`,
/// at most 31 characters, never empty, unique (case-insensitively) with ` (2)`, ` (3)`… added.
pub fn write_report_workbook(book: &ReportWorkbook) -> Result<Vec<u8>, SheetError> {
    if book.sheets.len() > MAX_REPORT_SHEETS {
        return Err(SheetError::TooManySheets);
    }
    for sheet in &book.sheets {
        check_sheet(sheet)?;
    }
    let err = |e: XlsxError| SheetError::Write(e.to_string());
    let title_format = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    // "History" is reserved by Excel.
    let mut taken: HashSet<String> = HashSet::from(["history".to_owned()]);
    let mut wb = Workbook::new();
    for (i, sheet) in book.sheets.iter().enumerate() {
        let name = unique_name(&clean_sheet_name(&sheet.name, i + 1), &mut taken);
        let ws = wb.add_worksheet();
        ws.set_name(name.as_str()).map_err(err)?;
        ws.write_string_with_format(TITLE_ROW, 0, &sheet.title, &title_format)
            .map_err(err)?;
        let columns = sheet
            .rows
            .iter()
            .map(Vec::len)
            .chain([sheet.headers.len()])
            .max()
            .unwrap_or(0);
        let mut widths = vec![MIN_WIDTH; columns];
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(HEADER_ROW, col(c)?, h, &bold)
                .map_err(err)?;
            widths[c] = widths[c].max(display_width(h));
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let line =
                FIRST_DATA_ROW + u32::try_from(r).map_err(|_| SheetError::TooManyReportRows)?;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    ReportCell::Text(t) => {
                        ws.write_string(line, col(c)?, t).map_err(err)?;
                        widths[c] = widths[c].max(display_width(t));
                    }
                    ReportCell::Number(n) if n.is_finite() => {
                        ws.write_number(line, col(c)?, *n).map_err(err)?;
                        widths[c] = widths[c].max(n.to_string().len());
                    }
                    ReportCell::Number(_) | ReportCell::Empty => {}
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            // At most 50, so the conversion is exact.
            ws.set_column_width(col(c)?, (*w).min(MAX_WIDTH) as f64)
                .map_err(err)?;
        }
        ws.set_freeze_panes(FIRST_DATA_ROW, 0).map_err(err)?;
        if let Some(chart) = sheet
            .chart
            .as_ref()
            .and_then(|spec| chart(spec, sheet, &name, columns))
        {
            ws.insert_chart(TITLE_ROW, col(columns + 1)?, &chart)
                .map_err(err)?;
        }
    }
    wb.save_to_buffer().map_err(err)
}

/// Refuses a sheet over the limits before anything is written.
fn check_sheet(sheet: &ReportSheet) -> Result<(), SheetError> {
    if sheet.rows.len() > MAX_REPORT_ROWS {
        return Err(SheetError::TooManyReportRows);
    }
    if sheet.headers.len() > MAX_COLUMNS || sheet.rows.iter().any(|r| r.len() > MAX_COLUMNS) {
        return Err(SheetError::TooManyColumns);
    }
    let long_cell = |c: &ReportCell| matches!(c, ReportCell::Text(t) if too_long(t));
    if too_long(&sheet.title)
        || sheet.headers.iter().any(|h| too_long(h))
        || sheet.rows.iter().flatten().any(long_cell)
    {
        return Err(SheetError::CellTooLong);
    }
    Ok(())
}

fn col(c: usize) -> Result<u16, SheetError> {
    u16::try_from(c).map_err(|_| SheetError::TooManyColumns)
}

/// The chart of a sheet, or `None` without data rows or without a value column in the table.
fn chart(spec: &ReportChartSpec, sheet: &ReportSheet, name: &str, columns: usize) -> Option<Chart> {
    let values: Vec<u16> = spec
        .value_columns
        .iter()
        .filter(|&&c| c < columns)
        .filter_map(|&c| u16::try_from(c).ok())
        .collect();
    if sheet.rows.is_empty() || values.is_empty() {
        return None;
    }
    // At most MAX_REPORT_ROWS rows, checked before.
    let last_row = FIRST_DATA_ROW + u32::try_from(sheet.rows.len()).ok()? - 1;
    let category = (spec.category_column < columns)
        .then(|| u16::try_from(spec.category_column).ok())
        .flatten();
    let mut chart = Chart::new(match spec.kind {
        ChartKind::Column => ChartType::Column,
        ChartKind::Line => ChartType::Line,
    });
    for c in values {
        let series = chart
            .add_series()
            .set_values((name, FIRST_DATA_ROW, c, last_row, c));
        if let Some(cat) = category {
            series.set_categories((name, FIRST_DATA_ROW, cat, last_row, cat));
        }
        if sheet
            .headers
            .get(usize::from(c))
            .is_some_and(|h| !h.is_empty())
        {
            series.set_name((name, HEADER_ROW, c));
        }
        if spec.kind == ChartKind::Line {
            series.set_marker(ChartMarker::new().set_automatic());
        }
    }
    let title = chart_text(&spec.title);
    if !title.is_empty() {
        chart.title().set_name(title.as_str());
    }
    let axis = chart_text(&spec.value_axis);
    if !axis.is_empty() {
        chart.y_axis().set_name(axis.as_str());
    }
    chart.set_width(CHART_WIDTH).set_height(CHART_HEIGHT);
    Some(chart)
}

/// A chart or axis title as literal text: rust_xlsxwriter reads `=(…)`, `=…[…]` and
/// `Sheet!A1` as references to cells, so such text is nudged (a leading space; a trailing
/// space after a final digit) and control characters are dropped.
fn chart_text(text: &str) -> String {
    let mut out: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_CHART_TITLE)
        .collect();
    if out.starts_with('=') {
        out.insert(0, ' ');
    }
    if out.contains('!') && out.ends_with(|c: char| c.is_ascii_digit()) {
        out.push(' ');
    }
    out
}

/// A name Excel accepts: no `[]:*?/\` (each becomes `_`) or control characters, no
/// apostrophe or space at either end, at most 31 UTF-16 units, and `Sheet<n>` when nothing
/// is left.
fn clean_sheet_name(name: &str, n: usize) -> String {
    let edge = |c: char| c == '\'' || c.is_whitespace();
    let replaced: String = name
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            c => c,
        })
        .collect();
    let cleaned = truncate_utf16(replaced.trim_matches(edge), MAX_SHEET_NAME).trim_matches(edge);
    if cleaned.is_empty() {
        format!("Sheet{n}")
    } else {
        cleaned.to_owned()
    }
}

/// `name`, or `name (2)`, `name (3)`… (shortened to fit 31 units) if taken; Excel compares
/// sheet names without regard to case.
fn unique_name(name: &str, taken: &mut HashSet<String>) -> String {
    let mut candidate = name.to_owned();
    let mut k = 1usize;
    while !taken.insert(candidate.to_lowercase()) {
        k += 1;
        let suffix = format!(" ({k})");
        let base = truncate_utf16(name, MAX_SHEET_NAME - suffix.len()).trim_end();
        candidate = format!("{base}{suffix}");
    }
    candidate
}

/// The longest prefix of `s` of at most `max` UTF-16 units.
fn truncate_utf16(s: &str, max: usize) -> &str {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &s[..i];
        }
    }
    s
}

/// The width of text in a cell, in characters, a wide (CJK) character counting two; counting
/// stops past the widest column.
fn display_width(text: &str) -> usize {
    let mut width = 0;
    for c in text.chars() {
        width += if is_wide(c) { 2 } else { 1 };
        if width > MAX_WIDTH {
            break;
        }
    }
    width
}

fn is_wide(c: char) -> bool {
    matches!(
        c,
        '\u{1100}'..='\u{115F}'
            | '\u{2E80}'..='\u{A4CF}'
            | '\u{AC00}'..='\u{D7A3}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FE30}'..='\u{FE4F}'
            | '\u{FF00}'..='\u{FF60}'
            | '\u{FFE0}'..='\u{FFE6}'
            | '\u{20000}'..='\u{3FFFD}'
    )
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use proptest::prelude::*;

    use super::*;

    /// Every part of an `.xlsx` by name, as text.
    fn parts(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        let mut out = std::collections::BTreeMap::new();
        for i in 0..zip.len() {
            let mut part = zip.by_index(i).expect("a part");
            let mut text = String::new();
            part.read_to_string(&mut text).expect("a text part");
            out.insert(part.name().to_owned(), text);
        }
        out
    }

    /// The sheet names in `xl/workbook.xml`, in order.
    fn sheet_names(parts: &std::collections::BTreeMap<String, String>) -> Vec<String> {
        let wb = &parts["xl/workbook.xml"];
        wb.split("<sheet name=\"")
            .skip(1)
            .map(|s| {
                s.split('"')
                    .next()
                    .unwrap_or_default()
                    .replace("&amp;", "&")
                    .replace("&apos;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
            })
            .collect()
    }

    fn text(s: &str) -> ReportCell {
        ReportCell::Text(s.to_owned())
    }

    fn sheet(name: &str, chart: Option<ReportChartSpec>) -> ReportSheet {
        ReportSheet {
            name: name.to_owned(),
            title: format!("{name} 2025年6月"),
            headers: vec!["部门".into(), "可用率".into(), "响应时间".into()],
            rows: vec![
                vec![
                    text("财务部"),
                    ReportCell::Number(99.95),
                    ReportCell::Number(12.0),
                ],
                vec![text("人事部"), ReportCell::Number(98.5), ReportCell::Empty],
            ],
            chart,
        }
    }

    fn spec(kind: ChartKind) -> ReportChartSpec {
        ReportChartSpec {
            kind,
            title: "服务可用率".into(),
            category_column: 0,
            value_columns: vec![1, 2],
            value_axis: "%".into(),
        }
    }

    #[test]
    fn report_with_two_charts_and_safe_text() {
        let mut first = sheet("服务水平", Some(spec(ChartKind::Column)));
        first.rows.push(vec![
            text("=HYPERLINK(\"http://x\")"),
            ReportCell::Number(f64::NAN),
            text("+1"),
        ]);
        let book = ReportWorkbook {
            sheets: vec![
                first,
                sheet("趋势", Some(spec(ChartKind::Line))),
                sheet("明细", None),
            ],
        };
        let bytes = write_report_workbook(&book).expect("writes");
        let parts = parts(&bytes);

        assert_eq!(sheet_names(&parts), ["服务水平", "趋势", "明细"]);
        let sheets: Vec<&String> = parts
            .keys()
            .filter(|k| k.starts_with("xl/worksheets/sheet"))
            .collect();
        assert_eq!(sheets.len(), 3, "{sheets:?}");
        let charts: Vec<&String> = parts
            .keys()
            .filter(|k| k.starts_with("xl/charts/"))
            .collect();
        assert_eq!(charts, ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]);

        let column = &parts["xl/charts/chart1.xml"];
        assert!(column.contains("<c:barChart>"), "{column}");
        assert!(column.contains("<c:barDir val=\"col\"/>"), "{column}");
        let line = &parts["xl/charts/chart2.xml"];
        assert!(line.contains("<c:lineChart>"), "{line}");
        // Automatic markers: the chart's, not turned off for any series.
        assert!(line.contains(r#"<c:marker val="1"/>"#), "{line}");
        assert!(!line.contains(r#"<c:symbol val="none"/>"#), "{line}");
        for chart in [column, line] {
            // Series named by the header cells, over the data rows (4–5, or 4–6 with the
            // formula row), categories from column A; the titles from the spec.
            assert!(chart.contains("<c:v>可用率</c:v>"), "{chart}");
            assert!(chart.contains("<c:v>响应时间</c:v>"), "{chart}");
            assert!(chart.contains("!$B$3</c:f>"), "{chart}");
            assert!(chart.contains("!$B$4:$B$"), "{chart}");
            assert!(chart.contains("!$A$4:$A$"), "{chart}");
            assert!(chart.contains("服务可用率"), "{chart}");
            assert!(chart.contains("<a:t>%</a:t>"), "{chart}");
        }
        assert!(column.contains("服务水平!$C$4:$C$6"), "{column}");
        assert!(line.contains("趋势!$C$4:$C$5"), "{line}");

        let s1 = &parts["xl/worksheets/sheet1.xml"];
        assert!(!s1.contains("<f>") && !s1.contains("<f "), "{s1}");
        // Numbers as numbers, text as shared strings, NaN and Empty left blank.
        assert!(s1.contains(r#"<c r="B4"><v>99.95</v></c>"#), "{s1}");
        assert!(s1.contains(r#"<c r="C4"><v>12</v></c>"#), "{s1}");
        assert!(s1.contains(r#"<c r="A6" t="s">"#), "{s1}");
        assert!(s1.contains(r#"<c r="C6" t="s">"#), "{s1}");
        assert!(!s1.contains(r#"r="B6""#), "{s1}");
        assert!(!s1.contains(r#"r="C5""#), "{s1}");
        // The header row frozen, the drawing (the chart) on the sheet.
        assert!(s1.contains(r#"topLeftCell="A4""#), "{s1}");
        assert!(s1.contains("<drawing "), "{s1}");
        assert!(!parts["xl/worksheets/sheet3.xml"].contains("<drawing "));
        let strings = &parts["xl/sharedStrings.xml"];
        assert!(strings.contains("HYPERLINK("), "{strings}");
        assert!(strings.contains("<t>+1</t>"), "{strings}");

        // The crate's own reader sees the formula-looking text as text (it takes the title row
        // for the header row, so only column A comes back).
        let back = crate::read(&bytes, "report.xlsx").expect("reads back");
        assert_eq!(back.headers, ["服务水平 2025年6月"]);
        assert_eq!(back.rows[0], ["部门"]);
        assert_eq!(back.rows[3], ["=HYPERLINK(\"http://x\")"]);
    }

    #[test]
    fn hostile_names_and_chart_columns_are_cleaned_not_refused() {
        let long = "报表[]:*?/\\x".repeat(10);
        assert_eq!(long.chars().count(), 100);
        let mut hostile = sheet(&long, None);
        hostile.chart = Some(ReportChartSpec {
            kind: ChartKind::Line,
            title: "=(Sheet1!A1)".into(),
            category_column: 42,
            value_columns: vec![99],
            value_axis: "x!A1".into(),
        });
        // Only column 1 is in range: a chart without categories.
        let mut partly = sheet("同名", None);
        partly.chart = Some(ReportChartSpec {
            kind: ChartKind::Column,
            title: "Sheet1!A1".into(),
            category_column: 42,
            value_columns: vec![99, 1, 64, usize::MAX],
            value_axis: "=A1[x]".into(),
        });
        let mut no_rows = sheet("空", Some(spec(ChartKind::Column)));
        no_rows.rows.clear();
        let book = ReportWorkbook {
            sheets: vec![
                hostile,
                partly,
                sheet("同名", None),
                sheet("同名", None),
                sheet(&long, None),
                sheet(" '' ", None),
                sheet("History", None),
                sheet("O'Brien 的表", Some(spec(ChartKind::Line))),
                no_rows,
            ],
        };
        let bytes = write_report_workbook(&book).expect("writes");
        let parts = parts(&bytes);
        let names = sheet_names(&parts);
        let cut: String = long
            .chars()
            .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
            .take(31)
            .collect();
        let cut_for_suffix: String = cut.chars().take(27).collect();
        assert_eq!(
            names,
            [
                cut.clone(),
                "同名".into(),
                "同名 (2)".into(),
                "同名 (3)".into(),
                format!("{cut_for_suffix} (2)"),
                "Sheet6".into(),
                "History (2)".into(),
                "O'Brien 的表".into(),
                "空".into(),
            ]
        );
        for n in &names {
            assert!(n.encode_utf16().count() <= 31, "{n}");
        }
        let charts: Vec<&String> = parts
            .keys()
            .filter(|k| k.starts_with("xl/charts/"))
            .collect();
        assert_eq!(charts, ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]);
        let partly = &parts["xl/charts/chart1.xml"];
        assert!(partly.contains("同名!$B$4:$B$5"), "{partly}");
        assert!(!partly.contains("<c:cat>"), "{partly}");
        assert!(partly.contains("Sheet1!A1 "), "{partly}");
        assert!(partly.contains(" =A1[x]"), "{partly}");
        let quoted = &parts["xl/charts/chart2.xml"];
        assert!(quoted.contains("'O''Brien 的表'!$B$4:$B$5"), "{quoted}");
    }

    #[test]
    fn report_limits() {
        let many = ReportWorkbook {
            sheets: vec![sheet("表", None); MAX_REPORT_SHEETS + 1],
        };
        assert_eq!(write_report_workbook(&many), Err(SheetError::TooManySheets));
        let most = ReportWorkbook {
            sheets: vec![sheet("表", None); MAX_REPORT_SHEETS],
        };
        let parts = parts(&write_report_workbook(&most).expect("writes 40 sheets"));
        assert_eq!(sheet_names(&parts).len(), MAX_REPORT_SHEETS);

        let mut tall = sheet("表", None);
        tall.rows = vec![Vec::new(); MAX_REPORT_ROWS + 1];
        let tall = ReportWorkbook { sheets: vec![tall] };
        assert_eq!(
            write_report_workbook(&tall),
            Err(SheetError::TooManyReportRows)
        );

        let mut wide = sheet("表", None);
        wide.headers = vec!["h".into(); MAX_COLUMNS + 1];
        let wide = ReportWorkbook { sheets: vec![wide] };
        assert_eq!(
            write_report_workbook(&wide),
            Err(SheetError::TooManyColumns)
        );
        let mut wide_row = sheet("表", None);
        wide_row.rows = vec![vec![ReportCell::Empty; MAX_COLUMNS + 1]];
        let wide_row = ReportWorkbook {
            sheets: vec![wide_row],
        };
        assert_eq!(
            write_report_workbook(&wide_row),
            Err(SheetError::TooManyColumns)
        );

        let mut long = sheet("表", None);
        long.rows[0][0] = text(&"长".repeat(crate::MAX_CELL_CHARS + 1));
        let long = ReportWorkbook { sheets: vec![long] };
        assert_eq!(write_report_workbook(&long), Err(SheetError::CellTooLong));

        assert_eq!(SheetError::TooManySheets.limit(), Some("sheets"));
        assert_eq!(SheetError::TooManyReportRows.limit(), Some("report_rows"));
        assert!(write_report_workbook(&ReportWorkbook::default()).is_ok());
    }

    #[test]
    fn column_widths_count_chinese_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("可用率"), 6);
        assert_eq!(display_width(&"长".repeat(1000)), MAX_WIDTH + 2);
        let mut s = sheet("表", None);
        s.headers[2] = "平均响应时间".into();
        s.rows.push(vec![text(&"x".repeat(200))]);
        let parts =
            parts(&write_report_workbook(&ReportWorkbook { sheets: vec![s] }).expect("writes"));
        let xml = &parts["xl/worksheets/sheet1.xml"];
        // Column A: the long text, clamped to 50; B at the least width; C 平均响应时间 is 12.
        assert!(
            xml.contains(r#"<col min="3" max="3" width="12.7109375""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<col min="1" max="1" width="50.7109375""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<col min="2" max="2" width="8.7109375""#),
            "{xml}"
        );
    }

    proptest! {
        /// Any sheet names: a workbook whose names Excel accepts, never an error or a panic.
        #[test]
        fn any_sheet_names_are_made_valid(names in proptest::collection::vec("[\\[\\]:*?/\\\\' a-zA-Z0-9()\u{1}中文😀]{0,40}", 1..6)) {
            let book = ReportWorkbook {
                sheets: names.iter().map(|n| sheet(n, Some(spec(ChartKind::Line)))).collect(),
            };
            let bytes = write_report_workbook(&book).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let written = sheet_names(&parts(&bytes));
            prop_assert_eq!(written.len(), names.len());
            let mut seen = HashSet::new();
            for n in &written {
                prop_assert!(!n.is_empty() && n.encode_utf16().count() <= 31, "{}", n);
                prop_assert!(!n.contains(['[', ']', ':', '*', '?', '/', '\\']), "{}", n);
                prop_assert!(!n.starts_with('\'') && !n.ends_with('\''), "{}", n);
                prop_assert!(seen.insert(n.to_lowercase()), "{}", n);
            }
        }
    }
}
