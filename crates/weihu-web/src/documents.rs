//! Printable documents: reads what a PDF shows through the store (so tenant scoping and internal
//! notes follow the reader's role, as everywhere) and hands plain data to `weihu-pdf`. Rendering
//! is CPU work, so it runs on the blocking pool.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use weihu_store::orders::{self, Order, work};
use weihu_store::statements::Statement;
use weihu_store::{Actor, Store, StoreError};

use crate::error::ApiError;
use crate::web::show_time;

fn pdf_error(e: weihu_pdf::PdfError) -> ApiError {
    ApiError::Store(StoreError::Format(format!("pdf: {e}")))
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

async fn render<F>(f: F) -> Result<Vec<u8>, ApiError>
where
    F: FnOnce() -> Result<Vec<u8>, weihu_pdf::PdfError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Store(StoreError::Format(format!("pdf task: {e}"))))?
        .map_err(pdf_error)
}

fn opt_time(v: &Option<String>) -> Option<String> {
    v.as_deref().map(show_time)
}

fn now_text() -> String {
    show_time(&jiff::Timestamp::now().to_string())
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
        created_at: show_time(&order.created_at),
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
                decided_at: Some(show_time(&v.decided_at)),
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
                started_at: show_time(&r.started_at),
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
            asked_at: show_time(&b.asked_at),
            answer: b.answer.clone(),
            note: b.change.clone(),
        }),
        time_spent: (minutes > 0).then(|| format!("{} h {:02} min", minutes / 60, minutes % 60)),
        work_done: Some(work_done).filter(|w| !w.is_empty()),
        result: Some(result).filter(|r| !r.is_empty()),
        follow_up: None,
        signature: signature.map(|(sig, png)| weihu_pdf::SignatureBlock {
            name: sig.signer_name,
            signed_at: show_time(&sig.signed_at),
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
    let mut docs = Vec::new();
    for o in work::signed_in_month(store, actor, client_org_id, ym).await? {
        docs.push(order_doc(store, actor, &o).await?);
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
    if ids.is_empty() || ids.len() > 2400 {
        return Err(ApiError::Store(StoreError::invalid(
            "ids",
            "choose 1 to 2400 assets",
        )));
    }
    let mut labels = Vec::with_capacity(ids.len());
    for id in ids {
        let a = weihu_store::assets::get(store, actor, *id).await?;
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
