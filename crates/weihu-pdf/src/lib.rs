//! Weihu's printable documents rendered to PDF with typst.
//!
//! * Inputs are plain data structs ([`model`]); all text is already formatted.
//! * User text reaches typst only as JSON data (`/data.json`) and images as
//!   virtual files, never spliced into template source, so it cannot be
//!   interpreted as typst markup or code.
//! * Fonts (Liberation Sans + Droid Sans Fallback for CJK) and templates are
//!   embedded; rendering needs no file system, network or system fonts.
//!
//! All functions are synchronous and CPU-bound (tens of milliseconds);
//! call them from `spawn_blocking` in async code.

#![forbid(unsafe_code)]

mod model;
mod qr;
mod render;
mod world;

#[cfg(test)]
mod tests;

pub use model::*;

/// Why a PDF could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// The typst template failed to compile or lay out (a bug in a template or
    /// unexpected data, e.g. a corrupt image that has a valid PNG header).
    #[error("PDF template compilation failed: {0}")]
    Compile(String),
    /// The laid-out document could not be written as PDF.
    #[error("PDF export failed: {0}")]
    Export(String),
    /// An input image is not a PNG, or a QR code could not be built.
    #[error("invalid image: {0}")]
    Image(String),
}

/// One service order on one A4 page. Long text is cut with "…", lists longer
/// than 8 rows show the first 8 and "… +N", and the page is scaled down if it
/// would still overflow, so the result is always exactly one page.
pub fn service_order(doc: &ServiceOrderDoc) -> Result<Vec<u8>, PdfError> {
    render::export(&render::service_order(doc)?)
}

/// A cover page listing the orders (number, date, subject, signed by, rating),
/// then one page per order in the same layout as [`service_order`].
pub fn service_order_bundle(
    cover: &BundleCover,
    docs: &[ServiceOrderDoc],
) -> Result<Vec<u8>, PdfError> {
    render::export(&render::service_order_bundle(cover, docs)?)
}

/// A monthly statement; the lines table flows over as many pages as needed,
/// with its header repeated.
pub fn statement(doc: &StatementDoc) -> Result<Vec<u8>, PdfError> {
    render::export(&render::statement(doc)?)
}

/// A4 sheets of 3 x 8 labels (70 x 37 mm, no gaps), each with a QR code of
/// `url`, the tag in large text, name/model and client.
pub fn asset_labels(sheet: &LabelSheet) -> Result<Vec<u8>, PdfError> {
    render::export(&render::asset_labels(sheet)?)
}

/// A quotation with the prospect's inventory and the pricing options.
pub fn quote(doc: &QuoteDoc) -> Result<Vec<u8>, PdfError> {
    render::export(&render::quote(doc)?)
}

/// A report of figures (the monthly service-level report), A4 portrait: a cover block
/// (title, provider, client, period, state), the summary, the headline figures as tiles
/// ("met" green with ✓, "missed" red with ✗, readable in greyscale too), the charts (full text
/// width, at most 8 cm tall), then each section's table (header repeated on every page,
/// "missed" rows bold on a red tint) or its `empty` text, the client's signature when
/// [`ReportDoc::signature`] is set ("客户签字 / Client signature": the PNG about 5 cm wide,
/// the signer's name and the time), the notes as footnotes, and "printed at" and
/// "page X / Y" in the footer.
///
/// Bounds, so hostile input cannot blow up the renderer: at most 12 headline figures, 12
/// charts, 40 sections, 12 columns, 2000 rows per section and 5000 rows in all (the rest is
/// counted in a "… +N" line); long texts and cells are cut with "…".
///
/// Charts: each SVG is passed to typst as a virtual file (`/chart-N.svg`), never as markup.
/// A chart is shown as "图表无法显示 / Chart unavailable" (the rest of the report renders
/// normally) when its text does not start with `<svg` (or `<?xml`), is larger than 2 MiB,
/// does not parse as SVG with a positive size, or still makes typst fail while laying out
/// (e.g. it links an external image); an unusable chart is never an error.
///
/// Signature: its PNG is passed as a virtual file like a service order's; bytes that are not
/// a PNG are [`PdfError::Image`].
pub fn report(doc: &ReportDoc) -> Result<Vec<u8>, PdfError> {
    render::export(&render::report(doc)?)
}

/// Parses the embedded fonts and templates now (about 0.1 s in a debug build)
/// instead of during the first render. Optional.
pub fn warm_up() {
    world::warm_up();
}

/// Labels per A4 label sheet page (3 columns x 8 rows).
pub const LABELS_PER_PAGE: usize = 24;
