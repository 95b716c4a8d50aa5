//! Printable documents: reads what a PDF shows through the store (so tenant scoping and internal
//! notes follow the reader's role, as everywhere) and hands plain data to `weihu-pdf`. Rendering
//! is CPU work, so it runs on the blocking pool.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use weihu_store::orders::{self, Order, work};
use weihu_store::statements::Statement;
use weihu_store::{Actor, Store, StoreError};

use crate::error::ApiError;
// Documents leave the screen (printed, mailed, filed): times in the installation's zone.
use crate::format::show_time;

fn pdf_error(e: weihu_pdf::PdfError) -> ApiError {
    ApiError::internal("pdf", e)
}

/// A PDF response, shown inline (the browser's viewer) or downloaded.
pub fn pdf_response(bytes: Vec<u8>, file_name: &str, inline: bool) -> Response {
    let disposition = if inline { "inline" } else { "attachment" };
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// Documents rendered at once: one per core of a small server. Typst compiles are CPU-bound,
/// so more at once only makes every one slower.
const RENDER_PERMITS: usize = 2;
/// How long a request waits for a free renderer before it is told to come back later.
const RENDER_WAIT: Duration = Duration::from_secs(5);
/// The `Retry-After` of a refused render, in seconds.
const RENDER_RETRY_AFTER: u64 = 10;
/// Most distinct assets on one label sheet (24 per page: 100 pages).
pub const MAX_LABELS: usize = 2400;
/// Most orders in one month bundle (one page each, after the cover).
pub const MAX_BUNDLE_ORDERS: usize = 200;

/// The render permits (tests hold them all to see a busy server's 429).
pub fn renderers() -> &'static Arc<Semaphore> {
    static RENDERERS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    RENDERERS.get_or_init(|| Arc::new(Semaphore::new(RENDER_PERMITS)))
}

/// Set when the request that asked for a document is gone (timed out, disconnected): a render
/// that has not started yet is then skipped.
#[derive(Clone, Default)]
struct Cancel(Arc<AtomicBool>);

impl Cancel {
    fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Sets the flag when dropped, that is when the request future ends or is dropped.
struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.0.store(true, Ordering::Relaxed);
    }
}

/// Runs one render on the blocking pool, at most [`RENDER_PERMITS`] at once. A request waits
/// up to [`RENDER_WAIT`] for a permit, then gets 429 with `Retry-After`. The permit is held
/// inside the blocking task, so a render whose request has gone still counts until it ends, and
/// a render whose request is gone before it starts is not done at all.
async fn render<F>(f: F) -> Result<Vec<u8>, ApiError>
where
    F: FnOnce() -> Result<Vec<u8>, weihu_pdf::PdfError> + Send + 'static,
{
    render_on(renderers().clone(), RENDER_WAIT, f).await
}

async fn render_on<F>(permits: Arc<Semaphore>, wait: Duration, f: F) -> Result<Vec<u8>, ApiError>
where
    F: FnOnce() -> Result<Vec<u8>, weihu_pdf::PdfError> + Send + 'static,
{
    let busy = || ApiError::Busy {
        retry_after: RENDER_RETRY_AFTER,
    };
    let permit = tokio::time::timeout(wait, permits.acquire_owned())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let cancel = Cancel::default();
    let _on_drop = CancelOnDrop(cancel.clone());
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        if cancel.is_set() {
            return Ok(None);
        }
        f().map(Some)
    })
    .await
    .map_err(|e| ApiError::internal("pdf task", e))?
    .map_err(pdf_error)?
    .ok_or_else(busy)
}

/// `ids` without duplicates (first occurrence kept), refused when empty or past [`MAX_LABELS`].
pub fn label_ids(ids: &[i64]) -> Result<Vec<i64>, ApiError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for id in ids {
        if seen.insert(*id) {
            if out.len() == MAX_LABELS {
                return Err(ApiError::Store(StoreError::invalid(
                    "ids",
                    format!("choose 1 to {MAX_LABELS} different assets per label sheet"),
                )));
            }
            out.push(*id);
        }
    }
    if out.is_empty() {
        return Err(ApiError::Store(StoreError::invalid(
            "ids",
            format!("choose 1 to {MAX_LABELS} different assets per label sheet"),
        )));
    }
    Ok(out)
}

fn opt_time(v: &Option<jiff::Timestamp>) -> Option<String> {
    v.as_ref().map(show_time)
}

fn now_text() -> String {
    show_time(jiff::Timestamp::now())
}

fn priority_label(p: &str) -> String {
    let (zh, en) = match p {
        "P1" => ("紧急", "Critical"),
        "P2" => ("高", "High"),
        "P3" => ("中", "Medium"),
        _ => ("低", "Low"),
    };
    format!("{p} {zh} / {en}")
}

fn state_label(s: &str) -> String {
    let zh = match s {
        "new" => "新建",
        "assigned" => "已派单",
        "in_progress" => "处理中",
        "waiting_client" => "等待客户",
        "waiting_parts" => "等待备件",
        "resolved" => "已解决",
        "closed" => "已关闭",
        "cancelled" => "已取消",
        "refused" => "已拒绝",
        _ => s,
    };
    format!("{zh} / {s}")
}

fn clock_label(kind: &str) -> String {
    match kind {
        "response" => "响应 / Response".into(),
        "arrival" => "到场 / Arrival".into(),
        "resolution" => "解决 / Resolution".into(),
        k => k.into(),
    }
}

fn visit_label(kind: &str) -> String {
    match kind {
        "regular" => "常规 / Regular".into(),
        "scheduled" => "例行 / Scheduled".into(),
        "emergency" => "紧急 / Emergency".into(),
        "repeat" => "返修 / Repeat".into(),
        k => k.into(),
    }
}

/// Everything one printed service order shows, read as `actor` may see it.
pub async fn order_doc(
    store: &Store,
    actor: &Actor,
    order: &Order,
) -> Result<weihu_pdf::ServiceOrderDoc, ApiError> {
    let id = order.id;
    let visits = work::visits(store, actor, id).await?;
    let parts = work::parts(store, actor, id).await?;
    let remote = work::remote_sessions(store, actor, id).await?;
    let backups = work::backup_checks(store, actor, id).await?;
    let signature = work::signature(store, actor, id).await?;
    let minutes: i64 = if actor.is_client() {
        0
    } else {
        work::time_entries(store, actor, id)
            .await?
            .iter()
            .map(|t| t.minutes)
            .sum()
    };
    let provider = weihu_store::organizations::provider(store)
        .await?
        .map(|(_, name)| name)
        .unwrap_or_default();
    let (work_done, result) = match order.resolution.split_once('\n') {
        Some((a, b)) if !b.trim().is_empty() => (a.trim().to_owned(), b.trim().to_owned()),
        _ => (order.resolution.clone(), String::new()),
    };
    Ok(weihu_pdf::ServiceOrderDoc {
        provider_name: provider,
        client_name: order.client_name.clone(),
        contract_number: order.contract_number.clone(),
        number: order.number.clone(),
        subject: order.subject.clone(),
        description: order.description.clone(),
        category: Some(order.category.clone()),
        priority: priority_label(&order.priority),
        state: state_label(order.state.as_str()),
        channel: order.channel.clone(),
        requester: order.requester_name.clone(),
        requester_phone: Some(order.requester_phone.clone()).filter(|p| !p.is_empty()),
        location: Some(order.site.clone()).filter(|s| !s.is_empty()),
        asset: None,
        created_at: show_time(order.created_at),
        assignee: order.assignee_name.clone(),
        team: order.team_name.clone(),
        resolved_at: opt_time(&order.resolved_at),
        closed_at: opt_time(&order.closed_at),
        clocks: order
            .clocks
            .iter()
            .map(|c| weihu_pdf::ClockLine {
                name: clock_label(&c.kind),
                due: opt_time(&c.due_at).unwrap_or_else(|| "—".into()),
                stopped_at: opt_time(&c.stopped_at),
                state: c.state.clone(),
            })
            .collect(),
        visits: visits
            .iter()
            .map(|v| weihu_pdf::VisitLine {
                kind: visit_label(&v.kind),
                engineer: v.engineer_name.clone().unwrap_or_default(),
                decided_at: Some(show_time(v.decided_at)),
                check_in: opt_time(&v.check_in_at),
                check_out: opt_time(&v.check_out_at),
                travel_fee: Some(v.travel_fee.clone()).filter(|f| f != "0.00"),
            })
            .collect(),
        remote_sessions: remote
            .iter()
            .map(|r| weihu_pdf::RemoteLine {
                engineer: String::new(),
                tool: r.tool.clone(),
                started_at: show_time(r.started_at),
                ended_at: opt_time(&r.ended_at),
                note: r.note.clone(),
            })
            .collect(),
        parts: parts
            .iter()
            .map(|p| {
                let total = weihu_domain::money::Money::parse(&p.unit_price)
                    .ok()
                    .and_then(|m| m.checked_mul_qty(u32::try_from(p.quantity).unwrap_or(0)))
                    .map(|m| m.round_cent().to_string())
                    .unwrap_or_default();
                weihu_pdf::PartLine {
                    name: p.name.clone(),
                    model: p.model.clone(),
                    qty: p.quantity.to_string(),
                    unit_price: p.unit_price.clone(),
                    total,
                    supplied_by_client: p.client_supplied,
                    state: p.state.clone(),
                }
            })
            .collect(),
        backup: backups.last().map(|b| weihu_pdf::BackupLine {
            asked_at: show_time(b.asked_at),
            answer: b.answer.clone(),
            note: b.change.clone(),
        }),
        time_spent: (minutes > 0).then(|| format!("{} h {:02} min", minutes / 60, minutes % 60)),
        work_done: Some(work_done).filter(|w| !w.is_empty()),
        result: Some(result).filter(|r| !r.is_empty()),
        follow_up: None,
        signature: signature.map(|(sig, png)| weihu_pdf::SignatureBlock {
            name: sig.signer_name,
            signed_at: show_time(sig.signed_at),
            png,
        }),
        rating: order.rating.map(|score| weihu_pdf::RatingBlock {
            score: u8::try_from(score).unwrap_or(0),
            comment: order.rating_comment.clone(),
        }),
        printed_at: now_text(),
    })
}

/// One order as a one-page A4 PDF.
pub async fn order_pdf(
    store: &Store,
    actor: &Actor,
    id: i64,
) -> Result<(Vec<u8>, String), ApiError> {
    let order = orders::get(store, actor, id).await?;
    let doc = order_doc(store, actor, &order).await?;
    let bytes = render(move || weihu_pdf::service_order(&doc)).await?;
    Ok((bytes, format!("{}.pdf", order.number)))
}

/// The signed orders of one client in one month (by signature date), as one PDF: a cover page
/// listing them, then one page per order.
pub async fn month_bundle(
    store: &Store,
    actor: &Actor,
    client_org_id: i64,
    month: &str,
) -> Result<(Vec<u8>, String), ApiError> {
    let ym = weihu_store::statements::parse_month("month", month)?;
    let client = weihu_store::organizations::get(store, actor, client_org_id).await?;
    let signed = work::signed_in_month(store, actor, client_org_id, ym).await?;
    if signed.len() > MAX_BUNDLE_ORDERS {
        return Err(ApiError::OverLimit {
            field: "month".into(),
            message: format!(
                "{} has {} signed orders in {month}; one bundle holds at most {MAX_BUNDLE_ORDERS} \
                 (one page each): print the orders one by one or ask for them in parts",
                client.name,
                signed.len()
            ),
        });
    }
    let mut docs = Vec::with_capacity(signed.len());
    for o in &signed {
        docs.push(order_doc(store, actor, o).await?);
    }
    if docs.is_empty() {
        return Err(ApiError::Store(StoreError::invalid(
            "month",
            format!("{} has no signed orders in {month}", client.name),
        )));
    }
    let cover = weihu_pdf::BundleCover {
        provider_name: weihu_store::organizations::provider(store)
            .await?
            .map(|(_, n)| n)
            .unwrap_or_default(),
        client_name: client.name.clone(),
        month: ym.to_string(),
        printed_at: now_text(),
    };
    let bytes = render(move || weihu_pdf::service_order_bundle(&cover, &docs)).await?;
    Ok((bytes, format!("{}-{}-orders.pdf", client.code, ym)))
}

fn line_kind(kind: &str) -> &'static str {
    match kind {
        "monthly_fee" => "月费 / Monthly fee",
        "over_cap_visits" => "超次上门 / Over cap",
        "visits" => "上门 / Visits",
        "resident_days" => "驻场 / Resident",
        "devices" => "设备 / Devices",
        "emergency_fee" => "紧急服务 / Emergency",
        "emergency_travel" => "交通费 / Travel",
        "part" => "备件 / Part",
        "take_away_repair" => "带回维修 / Take-away",
        "other" => "其他 / Other",
        "repeat_visits" => "返修上门 / Repeat",
        "reversal" => "冲销 / Reversal",
        _ => "—",
    }
}

/// A statement as PDF.
pub async fn statement_pdf(store: &Store, st: &Statement) -> Result<(Vec<u8>, String), ApiError> {
    let provider = weihu_store::organizations::provider(store).await?;
    let model = match st.pricing_model.as_str() {
        "per_visit" => "按次收费 / Per visit",
        "monthly_capped" => "包月限次 / Monthly with visit cap",
        "monthly_unlimited" => "包月不限次 / Monthly unlimited",
        "resident" => "驻场 / Resident",
        "per_device" => "按台收费 / Per device",
        _ => "—",
    };
    let state = match st.state.as_str() {
        "draft" => "草稿 / Draft",
        "reviewed" => "已审核 / Reviewed",
        "issued" => "已开具 / Issued",
        "paid" => "已付款 / Paid",
        "overdue" => "逾期 / Overdue",
        _ => "—",
    };
    let mut notes = vec![format!("计次上门 / Counted visits: {}", st.counted_visits)];
    if st.kind == "adjustment" {
        notes.push("调整单：按当前记录重新计算该月，并冲销已开具的对账单。/ Adjustment: the month priced again, minus what was issued.".into());
    }
    let doc = weihu_pdf::StatementDoc {
        provider_name: provider.map(|(_, n)| n).unwrap_or_default(),
        provider_address: None,
        client_name: st.client_name.clone(),
        contract_number: st.contract_number.clone(),
        number: st.number.clone().unwrap_or_else(|| "草稿 / DRAFT".into()),
        month: st.month.clone(),
        period: format!("{} – {}", st.covered_start, st.covered_end),
        state: state.into(),
        pricing_model: model.into(),
        issued_at: opt_time(&st.issued_at),
        due_date: st.due_date.clone(),
        lines: st
            .lines
            .iter()
            .map(|l| weihu_pdf::StatementLine {
                kind: line_kind(&l.kind).into(),
                description: match &l.proration {
                    Some(p) => format!("{} ({p})", l.description),
                    None => l.description.clone(),
                },
                source: l.source_text(),
                quantity: l.quantity.to_string(),
                unit_price: l.unit_price.clone(),
                amount: l.amount.clone(),
            })
            .collect(),
        subtotal: st.total.clone(),
        total: st.total.clone(),
        currency: st.currency.clone(),
        notes,
        printed_at: now_text(),
    };
    let bytes = render(move || weihu_pdf::statement(&doc)).await?;
    Ok((
        bytes,
        format!("{}.pdf", crate::web::statement_file_name(st)),
    ))
}

/// A label sheet for assets: a QR code per tag that opens the asset's page at `base_url`.
pub async fn labels(
    store: &Store,
    actor: &Actor,
    ids: &[i64],
    base_url: &str,
) -> Result<Vec<u8>, ApiError> {
    let ids = label_ids(ids)?;
    let mut labels = Vec::with_capacity(ids.len());
    for id in ids {
        let a = weihu_store::assets::get(store, actor, id).await?;
        labels.push(weihu_pdf::AssetLabel {
            tag: a.tag.clone(),
            url: format!("{}/assets/{}", base_url.trim_end_matches('/'), a.id),
            name: a.asset_type.clone(),
            model: a.model.clone(),
            client: a.client_name.clone(),
        });
    }
    let sheet = weihu_pdf::LabelSheet {
        provider_name: weihu_store::organizations::provider(store)
            .await?
            .map(|(_, n)| n)
            .unwrap_or_default(),
        labels,
    };
    render(move || weihu_pdf::asset_labels(&sheet)).await
}

/// A quote as PDF.
pub async fn quote_pdf(
    store: &Store,
    q: &crate::api::assets::QuoteOut,
) -> Result<Vec<u8>, ApiError> {
    let today = weihu_store::contracts::today_in(weihu_store::contracts::DEFAULT_ZONE);
    let model_label = |m: &str| -> String {
        match m {
            "per_visit" => "按次收费 / Per visit",
            "monthly_capped" => "包月限次 / Monthly with visit cap",
            "monthly_unlimited" => "包月不限次 / Monthly unlimited",
            "resident" => "驻场 / Resident",
            "per_device" => "按台收费 / Per device",
            _ => m,
        }
        .to_owned()
    };
    let doc = weihu_pdf::QuoteDoc {
        provider_name: weihu_store::organizations::provider(store)
            .await?
            .map(|(_, n)| n)
            .unwrap_or_default(),
        prospect_name: q.prospect_name.clone(),
        prepared_at: today.to_string(),
        valid_until: today
            .checked_add(jiff::Span::new().days(30))
            .map(|d| d.to_string())
            .unwrap_or_default(),
        inventory: q
            .scale
            .by_type
            .iter()
            .map(|t| weihu_pdf::QuoteInventoryLine {
                asset_type: t.asset_type.clone(),
                count: t.count.to_string(),
                coefficient: t.coefficient.clone(),
                weighted: t.weighted.clone(),
            })
            .collect(),
        scale: q.scale.scale.clone(),
        recommended_model: model_label(&q.recommended_model),
        options: q
            .options
            .iter()
            .map(|o| weihu_pdf::QuoteOption {
                model: model_label(&o.model),
                monthly_price: o.monthly_price.to_string(),
                note: o.note.clone(),
                recommended: o.recommended,
            })
            .collect(),
        notes: vec![
            format!(
                "应用规模 = 台式机/笔记本 × 1 + Σ 其他设备 × 系数 / Application scale = PCs × 1 + Σ other devices × coefficient"
            ),
            format!(
                "建议驻场工程师 {} 人 / Resident engineers needed: {}",
                q.residents_needed, q.residents_needed
            ),
        ],
    };
    render(move || weihu_pdf::quote(&doc)).await
}

fn answer_label(a: &str) -> String {
    match a {
        "ok" => "正常 / OK".into(),
        "issue" => "问题 / Issue".into(),
        "not_applicable" => "不适用 / N/A".into(),
        "" => "—".into(),
        a => a.into(),
    }
}

/// One inspection's report: a table of findings for the visit and per asset, the issues with
/// their follow-up orders, and the client's signature; read as `actor` may see it.
pub async fn inspection_pdf(
    store: &Store,
    actor: &Actor,
    order_id: i64,
) -> Result<(Vec<u8>, String), ApiError> {
    use weihu_store::maintenance::inspections;
    let i = inspections::get(store, actor, order_id).await?;
    let signature = work::signature(store, actor, order_id).await?;
    let provider = weihu_store::organizations::provider(store)
        .await?
        .map(|(_, n)| n)
        .unwrap_or_default();
    let findings = inspections::findings(&i);
    let mut sections: Vec<weihu_pdf::ReportSection> = Vec::new();
    let headers = vec![
        "检查项 / Item".to_owned(),
        "结果 / Result".to_owned(),
        "备注 / Note".to_owned(),
        "后续工单 / Follow-up".to_owned(),
    ];
    let mut by_asset: Vec<(String, Vec<weihu_pdf::ReportRow>)> = Vec::new();
    for (tag, item, answer, note, follow) in &findings {
        let row = weihu_pdf::ReportRow {
            cells: vec![
                item.clone(),
                answer_label(answer),
                note.clone(),
                follow.clone(),
            ],
            flag: if answer == "issue" {
                "missed".into()
            } else {
                String::new()
            },
        };
        match by_asset.last_mut() {
            Some((t, rows)) if t == tag => rows.push(row),
            _ => by_asset.push((tag.clone(), vec![row])),
        }
    }
    for (tag, rows) in by_asset {
        let title = if tag.is_empty() {
            "本次巡检 / The visit".to_owned()
        } else {
            let a = i.assets.iter().find(|a| a.tag == tag);
            match a {
                Some(a) => format!("{} · {} · {}", a.tag, a.model, a.location)
                    .trim_end_matches(" · ")
                    .to_owned(),
                None => tag,
            }
        };
        sections.push(weihu_pdf::ReportSection {
            title,
            note: String::new(),
            headers: headers.clone(),
            rows,
            empty: String::new(),
        });
    }
    let issues: Vec<weihu_pdf::ReportRow> = findings
        .iter()
        .filter(|f| f.2 == "issue")
        .map(|(tag, item, _, note, follow)| weihu_pdf::ReportRow {
            cells: vec![tag.clone(), item.clone(), note.clone(), follow.clone()],
            flag: String::new(),
        })
        .collect();
    sections.push(weihu_pdf::ReportSection {
        title: "发现的问题 / Issues found".into(),
        note: String::new(),
        headers: vec![
            "资产 / Asset".into(),
            "检查项 / Item".into(),
            "备注 / Note".into(),
            "后续工单 / Follow-up".into(),
        ],
        rows: issues,
        empty: "未发现问题 / No issues".into(),
    });
    let answered = findings.iter().filter(|f| !f.2.is_empty()).count();
    let follow_ups = findings.iter().filter(|f| !f.4.is_empty()).count();
    let doc = weihu_pdf::ReportDoc {
        title: "巡检报告 / Inspection report".into(),
        provider_name: provider,
        client_name: i.row.client_name.clone(),
        period: format!("{} · {}", i.row.due_on, i.row.number),
        state: format!(
            "{} · {} · {}",
            state_label(&i.row.state),
            i.row.plan_name,
            i.row.assignee_name.clone().unwrap_or_default()
        ),
        summary: String::new(),
        headline: vec![
            weihu_pdf::ReportFigure {
                label: "资产 / Assets".into(),
                value: i.assets.len().to_string(),
                status: String::new(),
            },
            weihu_pdf::ReportFigure {
                label: "已检查 / Checked".into(),
                value: format!("{answered} / {}", findings.len()),
                status: if i.unanswered == 0 {
                    "met".into()
                } else {
                    "missed".into()
                },
            },
            weihu_pdf::ReportFigure {
                label: "问题 / Issues".into(),
                value: i.issues.to_string(),
                status: String::new(),
            },
            weihu_pdf::ReportFigure {
                label: "后续工单 / Follow-ups".into(),
                value: follow_ups.to_string(),
                status: String::new(),
            },
        ],
        charts: Vec::new(),
        sections,
        signature: signature.map(|(sig, png)| weihu_pdf::SignatureBlock {
            name: sig.signer_name,
            signed_at: show_time(sig.signed_at),
            png,
        }),
        notes: vec![format!(
            "检查表 / Checklist: {} (v{})",
            i.checklist.name, i.template_version
        )],
        printed_at: now_text(),
    };
    let bytes = render(move || weihu_pdf::report(&doc)).await?;
    Ok((bytes, format!("inspection-{}.pdf", i.row.number)))
}

/// A stored or live service-level report as PDF, in the reader's language; and its file name.
pub async fn service_report_pdf(
    store: &Store,
    report: &weihu_store::reports::StoredReport,
    tr: crate::i18n::Tr,
) -> Result<(Vec<u8>, String), ApiError> {
    let provider = weihu_store::organizations::provider(store)
        .await?
        .map(|(_, n)| n)
        .unwrap_or_default();
    let doc = crate::service_report::pdf_doc(report, tr, provider);
    let name = report_file_name(report, "pdf");
    Ok((render(move || weihu_pdf::report(&doc)).await?, name))
}

/// A service-level report's file name: ASCII only (the client's name is in the document).
pub fn report_file_name(report: &weihu_store::reports::StoredReport, ext: &str) -> String {
    format!(
        "service-level-{}-{}.{ext}",
        report.report.client_org_id, report.report.month
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_renderer_answers_busy_after_a_short_wait() {
        let none = Arc::new(Semaphore::new(0));
        let r = render_on(none, Duration::from_millis(20), || Ok(vec![1])).await;
        assert!(matches!(r, Err(ApiError::Busy { retry_after }) if retry_after > 0));
    }

    #[tokio::test]
    async fn a_render_keeps_its_permit_until_it_ends_even_when_the_request_is_gone() {
        let one = Arc::new(Semaphore::new(1));
        let slow = render_on(one.clone(), Duration::from_secs(1), || {
            std::thread::sleep(Duration::from_millis(400));
            Ok(vec![1])
        });
        // The request times out while the render runs: the future is dropped.
        assert!(
            tokio::time::timeout(Duration::from_millis(100), slow)
                .await
                .is_err()
        );
        assert_eq!(
            one.available_permits(),
            0,
            "the render still holds its permit"
        );
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(one.available_permits(), 1, "released when the render ended");
    }

    #[test]
    fn a_render_whose_request_is_gone_before_it_starts_is_skipped() {
        // One blocking thread, taken: the render's task waits in the queue.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .max_blocking_threads(1)
            .build()
            .expect("a runtime");
        rt.block_on(async {
            let (release, wait) = std::sync::mpsc::channel::<()>();
            let blocker = tokio::task::spawn_blocking(move || {
                let _ = wait.recv();
            });
            let one = Arc::new(Semaphore::new(1));
            let ran = Arc::new(AtomicBool::new(false));
            let flag = ran.clone();
            let render = render_on(one.clone(), Duration::from_secs(1), move || {
                flag.store(true, Ordering::Relaxed);
                Ok(vec![1])
            });
            // The request gives up while its render is queued.
            assert!(
                tokio::time::timeout(Duration::from_millis(50), render)
                    .await
                    .is_err()
            );
            let _ = release.send(());
            let _ = blocker.await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(!ran.load(Ordering::Relaxed), "the render was skipped");
            assert_eq!(one.available_permits(), 1, "and its permit released");
        });
    }

    #[test]
    fn label_ids_are_deduplicated_and_capped() {
        assert_eq!(label_ids(&[3, 1, 3, 3, 2, 1]).ok(), Some(vec![3, 1, 2]));
        let copies: Vec<i64> = std::iter::repeat_n(7, 100_000).collect();
        assert_eq!(label_ids(&copies).ok(), Some(vec![7]));
        let all: Vec<i64> = (0..=i64::try_from(MAX_LABELS).unwrap_or(0)).collect();
        assert!(label_ids(&all).is_err());
        assert!(label_ids(&all[..MAX_LABELS]).is_ok());
        assert!(label_ids(&[]).is_err());
    }
}
