//! Contract and statement pages: the contract list and form (every pricing model), one contract
//! with its terms, engineers, devices, invoicing schedule, termination quote and this month's
//! preview; the month's statements with review → issue → paid, and their PDF and Excel.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use weihu_store::calendars::{self, StoredCalendar, StoredPolicy};
use weihu_store::contracts::{
    self, Contract, ContractDevice, ContractEngineer, ContractFilter, NewBillableItem, NewContract,
    NewContractEngineer, NewResidentDay, TerminationQuote, TerminationRequest,
};
use weihu_store::organizations::{self, OrgFilter, OrgKind, Organization};
use weihu_store::statements::{self, Preview, Statement, StatementFilter};
use weihu_store::users::{self, User, UserFilter};
use weihu_store::{Page, StoreError};

use super::{PageCtx, back, page_error, render};
use crate::AppState;
use crate::app::invoicing::{InvoiceOut, schedule};
use crate::auth::WebSession;
use crate::extract::Id;

mod contract_pages;
mod statement_pages;

use contract_pages::*;
pub use statement_pages::statement_file_name;
use statement_pages::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(contract_list).post(contract_create))
        .route("/contracts/{id}", get(contract_detail))
        .route("/contracts/{id}/{what}", post(contract_action))
        .route("/statements", get(statement_list).post(statement_generate))
        .route("/statements/{id}", get(statement_detail))
        .route("/statements/{id}/action", post(statement_action))
        .route("/statements/{id}/xlsx", get(statement_xlsx))
        .route("/statements/{id}/pdf", get(statement_pdf))
}

#[derive(Deserialize, Default)]
struct Flash {
    error: Option<String>,
    ok: Option<String>,
    status: Option<String>,
    client: Option<String>,
    month: Option<String>,
    state: Option<String>,
    notice_date: Option<String>,
}

impl Flash {
    fn apply(&self, ctx: &mut PageCtx) -> Option<String> {
        if self.ok.is_some() {
            ctx.flash = Some(ctx.t("flash.saved").to_owned());
        }
        self.error.clone()
    }
}

use crate::web::all;

/// The contract's terms as label/value rows in the page's language.
pub fn terms_rows(ctx: &PageCtx, terms: &Value) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let money = |v: &Value| v.as_str().map(|s| format!("¥{s}")).unwrap_or_default();
    let p = &terms["pricing"];
    let model = p["model"].as_str().unwrap_or("");
    rows.push((ctx.t("contract.model").to_owned(), ctx.tk("model", model)));
    match model {
        "per_visit" => {
            for c in ["pc", "network", "peripheral", "server"] {
                if let Some(v) = p["rates"][c].as_str() {
                    rows.push((
                        format!(
                            "{} · {}",
                            ctx.t("contract.rate"),
                            ctx.tk("visit_category", c)
                        ),
                        format!("¥{v}"),
                    ));
                }
            }
        }
        "monthly_capped" => {
            rows.push((
                ctx.t("contract.monthly_fee").into(),
                money(&p["monthly_fee"]),
            ));
            rows.push((
                ctx.t("contract.visit_cap").into(),
                p["visit_cap"].to_string(),
            ));
            rows.push((
                ctx.t("contract.over_cap_fee").into(),
                money(&p["over_cap_fee"]),
            ));
        }
        "monthly_unlimited" => {
            rows.push((
                ctx.t("contract.monthly_fee").into(),
                money(&p["monthly_fee"]),
            ));
        }
        "resident" => rows.push((ctx.t("contract.day_rate").into(), money(&p["day_rate"]))),
        "per_device" => {
            if let Some(m) = p["monthly_prices"].as_object() {
                for (k, v) in m {
                    rows.push((
                        format!("{} · {k}", ctx.t("contract.device_price")),
                        money(v),
                    ));
                }
            }
        }
        _ => {}
    }
    rows.push((
        ctx.t("contract.emergency_fee").into(),
        money(&terms["emergency_fee"]),
    ));
    if let Some(c) = terms["committed_monthly_fee"].as_str() {
        rows.push((ctx.t("contract.committed").into(), format!("¥{c}")));
    }
    rows.push((
        ctx.t("contract.trial_months").into(),
        terms["trial_months"].to_string(),
    ));
    rows.push((
        ctx.t("contract.penalty_rate").into(),
        terms["penalty_rate"]
            .as_str()
            .and_then(|r| r.parse::<rust_decimal::Decimal>().ok())
            .map(|r| format!("{}%", (r * rust_decimal::Decimal::ONE_HUNDRED).normalize()))
            .unwrap_or_default(),
    ));
    let pay = &terms["payment"];
    rows.push((
        ctx.t("contract.payment").into(),
        ctx.t("contract.payment_text")
            .replace("{first}", &pay["first_invoice_months"].to_string())
            .replace("{every}", &pay["then_every_months"].to_string())
            .replace("{days}", &pay["due_working_days"].to_string()),
    ));
    rows
}
