//! Spreadsheet uploads and Excel downloads (rust_xlsxwriter). Every user-supplied text is
//! written as a string cell, never as a formula, so a description such as `=cmd|' /C calc'!A0`
//! stays text. An upload is parsed on the blocking pool, at most [`PARSES`] at a time, and only
//! after the caller has checked who may import (a user who may not never makes the server
//! read the file).

use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};
use weihu_store::StoreError;
use weihu_store::statements::Statement;

use crate::error::ApiError;

/// Uploads parsed at the same time; more wait their turn. With the limits of `weihu-sheets`
/// (at most 96 MiB inflated, 500 000 cells), this bounds what imports can take from the server.
pub const PARSES: usize = 2;

static PARSING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(PARSES);

/// Reads an uploaded CSV or `.xlsx` off the async workers; a file over a limit is a 422 on the
/// `file` field whose message names the limit.
pub async fn read_upload(bytes: Vec<u8>, name: String) -> Result<weihu_sheets::Table, ApiError> {
    let internal = |m: String| ApiError::internal("spreadsheet", m);
    let _turn = PARSING
        .acquire()
        .await
        .map_err(|e| internal(format!("sheet parse queue: {e}")))?;
    tokio::task::spawn_blocking(move || weihu_sheets::read(&bytes, &name))
        .await
        .map_err(|e| internal(format!("sheet parse task: {e}")))?
        .map_err(|e| ApiError::Store(StoreError::invalid("file", e.to_string())))
}

fn xlsx_error(e: XlsxError) -> ApiError {
    ApiError::internal("xlsx", e)
}

/// Amounts go in as numbers (for sums in Excel) with two decimals; the exact decimal string is
/// what the statement holds, and an f64 round-trips any amount of up to 15 digits exactly to
/// the cent for display.
fn amount(v: &str) -> f64 {
    v.parse::<f64>().unwrap_or(0.0)
}

/// One statement as a workbook: a header block, then one row per line with its sources.
pub fn statement_xlsx(st: &Statement) -> Result<Vec<u8>, ApiError> {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("对账单 Statement").map_err(xlsx_error)?;
    let bold = Format::new().set_bold();
    let money = Format::new()
        .set_num_format("#,##0.00")
        .set_align(FormatAlign::Right);
    let money_bold = money.clone().set_bold();
    let head: [(&str, String); 8] = [
        (
            "对账单号 / Number",
            st.number.clone().unwrap_or_else(|| "草稿 / DRAFT".into()),
        ),
        ("客户 / Client", st.client_name.clone()),
        ("合同 / Contract", st.contract_number.clone()),
        ("月份 / Month", st.month.clone()),
        (
            "服务期间 / Covered",
            format!("{} – {}", st.covered_start, st.covered_end),
        ),
        ("状态 / State", st.state.clone()),
        ("计次上门 / Counted visits", st.counted_visits.to_string()),
        ("付款截止 / Due", st.due_date.clone().unwrap_or_default()),
    ];
    let mut row: u32 = 0;
    for (label, value) in head {
        sheet
            .write_string_with_format(row, 0, label, &bold)
            .map_err(xlsx_error)?;
        sheet.write_string(row, 1, value).map_err(xlsx_error)?;
        row += 1;
    }
    row += 1;
    let cols = [
        "类别 / Kind",
        "说明 / Description",
        "来源 / Source",
        "数量 / Qty",
        "单价 / Unit price",
        "折算 / Proration",
        "金额 / Amount",
    ];
    for (c, h) in cols.iter().enumerate() {
        sheet
            .write_string_with_format(row, c as u16, *h, &bold)
            .map_err(xlsx_error)?;
    }
    row += 1;
    for l in &st.lines {
        sheet.write_string(row, 0, &l.kind).map_err(xlsx_error)?;
        sheet
            .write_string(row, 1, &l.description)
            .map_err(xlsx_error)?;
        sheet
            .write_string(row, 2, l.source_text())
            .map_err(xlsx_error)?;
        sheet
            .write_number(row, 3, l.quantity as f64)
            .map_err(xlsx_error)?;
        sheet
            .write_number_with_format(row, 4, amount(&l.unit_price), &money)
            .map_err(xlsx_error)?;
        sheet
            .write_string(row, 5, l.proration.clone().unwrap_or_default())
            .map_err(xlsx_error)?;
        sheet
            .write_number_with_format(row, 6, amount(&l.amount), &money)
            .map_err(xlsx_error)?;
        row += 1;
    }
    sheet
        .write_string_with_format(row, 5, format!("合计 / Total ({})", st.currency), &bold)
        .map_err(xlsx_error)?;
    sheet
        .write_number_with_format(row, 6, amount(&st.total), &money_bold)
        .map_err(xlsx_error)?;
    for (c, w) in [
        (0u16, 18.0),
        (1, 48.0),
        (2, 36.0),
        (3, 8.0),
        (4, 14.0),
        (5, 12.0),
        (6, 14.0),
    ] {
        sheet.set_column_width(c, w).map_err(xlsx_error)?;
    }
    wb.save_to_buffer().map_err(xlsx_error)
}

/// A table as a download: `csv` (UTF-8) or `xlsx`, named `{name}.{ext}`; every cell is written
/// as text, so nothing a user typed becomes a formula.
pub fn download(
    table: &weihu_sheets::Table,
    name: &str,
    format: Option<&str>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let fail = |e: weihu_sheets::SheetError| ApiError::internal("spreadsheet export", e);
    let (bytes, ctype, ext) = match format.unwrap_or("csv") {
        "csv" => (
            weihu_sheets::write_csv(table).map_err(fail)?,
            "text/csv; charset=utf-8",
            "csv",
        ),
        "xlsx" => (
            weihu_sheets::write_xlsx(table, name).map_err(fail)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => {
            return Err(ApiError::Store(StoreError::invalid(
                "format",
                "must be csv or xlsx",
            )));
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A service-level report as an Excel workbook with native charts (written on the blocking
/// pool: it is CPU work).
pub async fn service_report_xlsx(
    report: &weihu_store::reports::StoredReport,
    tr: crate::i18n::Tr,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let book = crate::service_report::workbook(report, tr);
    let bytes = tokio::task::spawn_blocking(move || weihu_sheets::write_report_workbook(&book))
        .await
        .map_err(|e| ApiError::internal("spreadsheet task", e))?
        .map_err(|e| ApiError::internal("spreadsheet export", e))?;
    let name = crate::documents::report_file_name(report, "xlsx");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
