//! Report workbooks (the monthly service-level report): several data sheets, each optionally with
//! a native Excel chart over its own columns, so the client can re-cut the figures. Text cells
//! are always strings (never formulas); numbers are numbers.

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
