//! Input data for the printable documents.
//!
//! Everything is plain, already formatted text: the caller formats money
//! (`"3980.00"`), times (`"2026-10-08 14:30"`) and enum labels (`"P2 高 / High"`)
//! the way it wants them printed. Images are PNG bytes.
//!
//! The structs derive `Serialize` because they are handed to the typst
//! templates as JSON data (never spliced into template source). Image bytes are
//! skipped from the JSON and handed over as separate virtual files.

use serde::Serialize;

/// One service order (工单) printed as a single A4 page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceOrderDoc {
    pub provider_name: String,
    pub client_name: String,
    pub contract_number: Option<String>,
    /// e.g. "SO-2026-000123"
    pub number: String,
    pub subject: String,
    pub description: String,
    pub category: Option<String>,
    /// e.g. "P2 高 / High"
    pub priority: String,
    pub state: String,
    pub channel: String,
    pub requester: String,
    pub requester_phone: Option<String>,
    pub location: Option<String>,
    pub asset: Option<String>,
    pub created_at: String,
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub clocks: Vec<ClockLine>,
    pub visits: Vec<VisitLine>,
    pub remote_sessions: Vec<RemoteLine>,
    pub parts: Vec<PartLine>,
    pub backup: Option<BackupLine>,
    pub time_spent: Option<String>,
    pub work_done: Option<String>,
    pub result: Option<String>,
    pub follow_up: Option<String>,
    pub signature: Option<SignatureBlock>,
    pub rating: Option<RatingBlock>,
    pub printed_at: String,
}

/// An SLA clock (response / on-site / resolution …).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClockLine {
    pub name: String,
    pub due: String,
    pub stopped_at: Option<String>,
    pub state: String,
}

/// An on-site visit (上门).
#[derive(Debug, Clone, Default, Serialize)]
pub struct VisitLine {
    pub kind: String,
    pub engineer: String,
    pub decided_at: Option<String>,
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    /// Preformatted money, e.g. "80.00".
    pub travel_fee: Option<String>,
}

/// A remote-support session.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RemoteLine {
    pub engineer: String,
    pub tool: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub note: String,
}

/// A spare part used on the order. Money fields are preformatted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PartLine {
    pub name: String,
    pub model: String,
    pub qty: String,
    pub unit_price: String,
    pub total: String,
    pub supplied_by_client: bool,
    pub state: String,
}

/// The "did the client confirm a backup?" question before risky work.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BackupLine {
    pub asked_at: String,
    pub answer: String,
    pub note: String,
}

/// The client's signature: a PNG image (any size; printed ~5 cm wide).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SignatureBlock {
    pub name: String,
    pub signed_at: String,
    /// PNG bytes. Must start with the PNG signature, otherwise
    /// [`crate::PdfError::Image`] is returned.
    #[serde(skip)]
    pub png: Vec<u8>,
}

/// The client's satisfaction rating.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RatingBlock {
    /// 1..=5 (values above 5 are printed as 5 stars).
    pub score: u8,
    pub comment: String,
}

/// Cover page of a monthly bundle of service orders.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BundleCover {
    pub provider_name: String,
    pub client_name: String,
    /// e.g. "2026-10"
    pub month: String,
    pub printed_at: String,
}

/// A monthly statement (对账单) for a client.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StatementDoc {
    pub provider_name: String,
    pub provider_address: Option<String>,
    pub client_name: String,
    pub contract_number: String,
    /// e.g. "ST-2026-10-0001" or "草稿 / DRAFT"
    pub number: String,
    pub month: String,
    /// e.g. "2026-10-01 – 2026-10-31"
    pub period: String,
    pub state: String,
    pub pricing_model: String,
    pub issued_at: Option<String>,
    pub due_date: Option<String>,
    pub lines: Vec<StatementLine>,
    pub subtotal: String,
    pub total: String,
    /// e.g. "CNY"
    pub currency: String,
    pub notes: Vec<String>,
    pub printed_at: String,
}

/// One line of a statement. Money and quantity are preformatted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StatementLine {
    pub kind: String,
    pub description: String,
    /// e.g. "SO-2026-000123"
    pub source: String,
    pub quantity: String,
    pub unit_price: String,
    pub amount: String,
}

/// A sheet of asset labels (A4, 3 x 8 labels of 70 x 37 mm per page).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LabelSheet {
    pub provider_name: String,
    pub labels: Vec<AssetLabel>,
}

/// One asset label with a QR code that encodes `url`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AssetLabel {
    /// e.g. "ZX-PC-0042", printed large.
    pub tag: String,
    /// Encoded in the QR code.
    pub url: String,
    pub name: String,
    pub model: String,
    pub client: String,
}

/// A quotation (报价单) for a prospect.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuoteDoc {
    pub provider_name: String,
    pub prospect_name: String,
    pub prepared_at: String,
    pub valid_until: String,
    pub inventory: Vec<QuoteInventoryLine>,
    /// e.g. "42.5 加权点 / weighted points"
    pub scale: String,
    pub recommended_model: String,
    pub options: Vec<QuoteOption>,
    pub notes: Vec<String>,
}

/// One asset type in the prospect's inventory.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuoteInventoryLine {
    pub asset_type: String,
    pub count: String,
    pub coefficient: String,
    pub weighted: String,
}

/// One pricing option of a quotation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuoteOption {
    pub model: String,
    /// Preformatted money, e.g. "3980.00"
    pub monthly_price: String,
    pub note: String,
    pub recommended: bool,
}

/// A report of figures (the monthly service-level report): a cover block, headline figures,
/// charts (SVG drawn by the caller, the same the web page shows) and sections of tables. All
/// text is already formatted and localized by the caller.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportDoc {
    /// e.g. "服务级别报告 Service-level report"
    pub title: String,
    pub provider_name: String,
    pub client_name: String,
    /// e.g. "2026-11"
    pub period: String,
    /// e.g. "已发布 Published 2026-12-02 by 王经理" or "草稿 Draft"
    pub state: String,
    /// The service-level manager's words for the client (may be empty; may hold newlines).
    pub summary: String,
    /// Key figures shown as tiles at the top.
    pub headline: Vec<ReportFigure>,
    /// Charts, each an SVG document (`<svg …>…</svg>`, with width/height or a viewBox).
    pub charts: Vec<ReportChart>,
    pub sections: Vec<ReportSection>,
    /// Printed at the end, after the sections (before the notes): the client's drawn signature,
    /// name and time, e.g. for an inspection report the client signed. `None` prints nothing.
    /// The PNG is checked like a service order's: bytes that are not a PNG make
    /// [`crate::report`] return [`crate::PdfError::Image`].
    pub signature: Option<SignatureBlock>,
    /// Footnotes (how figures are computed).
    pub notes: Vec<String>,
    pub printed_at: String,
}

/// One headline figure, e.g. label "SLA 达成率", value "96.30 %", status "met".
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportFigure {
    pub label: String,
    pub value: String,
    /// "met", "missed" or "" (no target).
    pub status: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportChart {
    pub title: String,
    pub svg: String,
}

/// A titled table; long tables flow over pages with their header repeated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportSection {
    pub title: String,
    /// A sentence under the title (may be empty).
    pub note: String,
    pub headers: Vec<String>,
    pub rows: Vec<ReportRow>,
    /// Shown instead of the table when there are no rows, e.g. "本月无停机 No outages".
    pub empty: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportRow {
    pub cells: Vec<String>,
    /// "missed" rows are marked (a target missed, a breach); "" otherwise.
    pub flag: String,
}
