//! Reports (SPEC §9): the monthly service-level report of a client — its figures
//! ([`model`]), how they are built ([`build`]), and the stored drafts and published reports
//! ([`stored`]).

pub mod build;
pub mod model;
pub mod stored;

pub use build::build;
pub use model::*;
pub use stored::{
    DraftSummary, Publish, Reissue, ReportFilter, ReportItem, StoredReport, Superseded, current,
    draft, draft_all, draft_all_with, get, list, publish, reissue, run_month_reports,
};
