//! One order: the page, rendered from the store's answer of what the user may do, and its forms.

use super::*;

#[derive(Template)]
#[template(path = "order.html")]
pub(super) struct Detail {
    ctx: PageCtx,
    order: Order,
    events: Vec<Event>,
    visits: Vec<weihu_store::orders::work::Visit>,
    parts: Vec<weihu_store::orders::work::Part>,
    remote: Vec<weihu_store::orders::work::RemoteSession>,
    take_aways: Vec<weihu_store::orders::work::TakeAway>,
    time: Vec<weihu_store::orders::work::TimeEntry>,
    attachments: Vec<weihu_store::orders::attachments::Attachment>,
    signature: Option<weihu_store::orders::work::Signature>,
    /// Visits on site and parts awaiting approval: a resolve must close them out or is refused.
    open_work: weihu_store::orders::work::OpenWork,
    engineers: Vec<User>,
    teams: Vec<Team>,
    /// The failure causes a resolution may name (active ones), for staff.
    causes: Vec<weihu_store::failure_causes::FailureCause>,
    /// The problems this order is linked to, with their workarounds.
    problems: Vec<weihu_store::problems::OrderProblem>,
    /// Open problems it may be linked to (for staff who work problems; empty otherwise).
    open_problems: Vec<weihu_store::problems::Problem>,
    /// Of those, the ones whose text this order's resembles (offered first, marked).
    similar_problems: Vec<i64>,
    /// Published articles matching the order (client users: client-visible ones).
    articles: Vec<weihu_store::articles::ArticleHit>,
    /// Staff who may put an article on the order or write one from its resolution.
    can_write_articles: bool,
    error: Option<String>,
}

impl Detail {
    /// The breach reasons of the short list, in order.
    fn breach_reasons(&self) -> Vec<&'static str> {
        weihu_domain::attainment::BreachReason::ALL
            .iter()
            .map(|r| r.as_str())
            .collect()
    }
    /// Some clock of the order is breached and not yet explained: the resolve form asks why.
    fn unexplained_breach(&self) -> bool {
        self.order
            .clocks
            .iter()
            .any(|c| c.state == "breached" && c.breach_reason.is_empty())
    }
    fn cause_name<'a>(&self, c: &'a weihu_store::failure_causes::FailureCause) -> &'a str {
        if self.ctx.lang == "en" && !c.name_en.is_empty() {
            &c.name_en
        } else {
            &c.name
        }
    }
    /// The order's cause, named in the reader's language.
    fn order_cause(&self) -> String {
        self.causes
            .iter()
            .find(|c| c.code == self.order.cause)
            .map(|c| self.cause_name(c).to_owned())
            .unwrap_or_else(|| self.order.cause.clone())
    }
    /// Whether the store's answer for this user lists `action` (`weihu_domain::order_access`):
    /// the page shows a control exactly when the store would accept it.
    fn can(&self, action: &str) -> bool {
        self.order.actions.iter().any(|a| a.as_str() == action)
    }
    /// Any move of the state machine, for the actions card.
    fn any_move(&self) -> bool {
        self.order.actions.iter().any(|a| a.as_move().is_some())
    }
    /// The signature pad shows until the order is signed.
    fn can_sign(&self) -> bool {
        self.signature.is_none() && self.can("sign")
    }
    fn can_rate(&self) -> bool {
        self.can("rate")
    }
    fn assigned_to(&self, id: &i64) -> bool {
        self.order.assignee_id == Some(*id)
    }
    /// What a timeline entry changed, from what to what, read from its data: who an order went
    /// to (and from), the fields an edit changed, the order a link or merge names.
    fn event_detail(&self, e: &Event) -> String {
        let d = &e.data;
        let text = |k: &str| d[k].as_str().unwrap_or("").to_owned();
        let ctx = &self.ctx;
        match e.kind.as_str() {
            "assign" | "escalated" => {
                let mut parts = Vec::new();
                if e.kind == "escalated"
                    && let Some(k) = d["kind"].as_str()
                {
                    parts.push(ctx.tk("escalation", k));
                }
                let to: Vec<String> = [text("assignee"), text("team")]
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect();
                let from: Vec<String> = [text("from_assignee"), text("from_team")]
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect();
                if !to.is_empty() {
                    let mut s = format!("→ {}", to.join(" · "));
                    if !from.is_empty() {
                        s.push_str(&format!(
                            " ({} {})",
                            ctx.t("order.escalated_from"),
                            from.join(" · ")
                        ));
                    }
                    parts.push(s);
                }
                parts.join(" ")
            }
            "edited" => d["changes"]
                .as_object()
                .map(|c| {
                    c.iter()
                        .map(|(field, v)| {
                            // Coded values read in the user's language, never as codes.
                            let prefix = match field.as_str() {
                                "category" => Some("category"),
                                "urgency" | "impact" => Some("level"),
                                "service_mode" => Some("service_mode"),
                                _ => None,
                            };
                            let show = |x: &serde_json::Value| {
                                let s = match (prefix, x.as_str()) {
                                    (Some(p), Some(code)) => ctx.tk(p, code),
                                    (None, Some(s)) => s.to_owned(),
                                    _ if x.is_null() => "—".to_owned(),
                                    _ => x.to_string(),
                                };
                                let cut: String = s.chars().take(60).collect();
                                if cut.len() < s.len() {
                                    format!("{cut}…")
                                } else {
                                    cut
                                }
                            };
                            let name = match field.as_str() {
                                "urgency" | "impact" => ctx.tk("sla", field),
                                _ => ctx.tk("order", field),
                            };
                            format!("{name}: {} → {}", show(&v[0]), show(&v[1]))
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default(),
            "linked" => format!("{} {}", ctx.tk("link", &text("relation")), text("number")),
            "unlinked" => text("number"),
            "merged" => format!("→ {}", text("into")),
            "merged_in" => format!("← {}", text("from")),
            _ => String::new(),
        }
    }
}

pub(super) async fn detail(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    if f.ok.is_some() {
        ctx.flash = Some(ctx.t("flash.saved").to_owned());
    }
    let a = &session.actor;
    let (order, events) = match async {
        Ok::<_, StoreError>((
            orders::read(&s.store, a, id).await?,
            orders::events(&s.store, a, id).await?,
        ))
    }
    .await
    {
        Ok(x) => x,
        Err(e) => return page_error(ctx, e.into()),
    };
    if f.created.is_some() {
        ctx.flash = Some(format!("{}{}", ctx.t("flash.reported"), order.number));
    }
    let (engineers, teams) = if a.is_client() {
        (Vec::new(), Vec::new())
    } else {
        (
            users::list(
                &s.store,
                a,
                &UserFilter {
                    role: Some(Role::Engineer),
                    active: Some(true),
                    ..Default::default()
                },
                &all(),
            )
            .await
            .map(|p| p.items)
            .unwrap_or_default(),
            teams::list(&s.store, a, &all())
                .await
                .map(|p| p.items)
                .unwrap_or_default(),
        )
    };
    use weihu_store::orders::work;
    let visits = work::visits(&s.store, a, id).await.unwrap_or_default();
    let parts = work::parts(&s.store, a, id).await.unwrap_or_default();
    let remote = work::remote_sessions(&s.store, a, id)
        .await
        .unwrap_or_default();
    let take_aways = work::take_aways(&s.store, a, id).await.unwrap_or_default();
    let time = if a.is_client() {
        Vec::new()
    } else {
        work::time_entries(&s.store, a, id)
            .await
            .unwrap_or_default()
    };
    let attachments = weihu_store::orders::attachments::list(&s.store, a, id)
        .await
        .unwrap_or_default();
    let signature = work::signature(&s.store, a, id)
        .await
        .ok()
        .flatten()
        .map(|(sig, _)| sig);
    let open_work = work::OpenWork::of(&visits, &parts);
    let causes = if a.is_client() {
        Vec::new()
    } else {
        weihu_store::failure_causes::list(&s.store)
            .await
            .unwrap_or_default()
    };
    let problems = weihu_store::problems::for_order(&s.store, a, id)
        .await
        .unwrap_or_default();
    let open_problems = if !a.is_client() && a.role.can_manage_problems() {
        let open = weihu_store::problems::ProblemFilter {
            open: Some(true),
            ..Default::default()
        };
        weihu_store::problems::list(&s.store, a, &open, 100, 0)
            .await
            .map(|p| p.items)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !problems.iter().any(|x| x.id == p.id))
            .collect()
    } else {
        Vec::new()
    };
    // Problems whose text the order's resembles come first: a suggestion, never a silent link.
    let order_text = format!("{} {}", order.subject, order.description);
    let mut scored: Vec<(u32, weihu_store::problems::Problem)> = open_problems
        .into_iter()
        .map(|p| {
            let score = weihu_domain::search::overlap_percent(
                &format!("{} {}", p.title, p.description),
                &order_text,
            );
            (score, p)
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.id.cmp(&a.1.id)));
    let similar_problems = scored
        .iter()
        .filter(|(score, _)| *score >= 50)
        .map(|(_, p)| p.id)
        .collect();
    let open_problems = scored.into_iter().map(|(_, p)| p).collect();
    let articles = weihu_store::articles::for_loaded_order(&s.store, a, &order)
        .await
        .unwrap_or_default();
    let can_write_articles = !a.is_client() && a.role.can_write_articles();
    render(&Detail {
        problems,
        open_problems,
        similar_problems,
        articles,
        can_write_articles,
        causes,
        open_work,
        ctx,
        order,
        events,
        attachments,
        signature,
        visits,
        parts,
        remote,
        take_aways,
        time,
        engineers,
        teams,
        error: f.error,
    })
}

#[derive(Deserialize)]
pub(super) struct CommentForm {
    csrf: String,
    body: String,
    #[serde(default)]
    internal: Option<String>,
}

pub(super) async fn comment(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<CommentForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let c = Comment {
        body: f.body,
        public: f.internal.is_none(),
    };
    back(
        &format!("/orders/{id}#timeline"),
        orders::comment(&s.store, &session.actor, id, &c)
            .await
            .map(|_| ()),
    )
}

#[derive(Deserialize)]
pub(super) struct TransitionForm {
    csrf: String,
    action: String,
    version: i64,
    #[serde(default)]
    assignee_id: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    in_scope: Option<String>,
    /// For `resolve`: close out open visits and pending parts (the checkbox the form shows when
    /// there is open work).
    #[serde(default)]
    close_out: Option<String>,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    breach_reason: String,
    #[serde(default)]
    breach_note: String,
}

pub(super) async fn transition(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<TransitionForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let t = Transition {
        in_scope: if f.action == "refuse" {
            Some(f.in_scope.as_deref() == Some("1"))
        } else {
            None
        },
        action: f.action,
        version: f.version,
        assignee_id: num(&f.assignee_id),
        team_id: num(&f.team_id),
        reason: f.reason,
        resolution: f.resolution,
        cause: f.cause,
        breach_reason: f.breach_reason,
        breach_note: f.breach_note,
    };
    back(
        &format!("/orders/{id}"),
        orders::transition_with(
            &s.store,
            &session.actor,
            id,
            &t,
            f.close_out.as_deref() == Some("1"),
        )
        .await
        .map(|_| ()),
    )
}

#[derive(Deserialize)]
pub(super) struct RatingForm {
    csrf: String,
    score: i64,
    #[serde(default)]
    comment: String,
}

pub(super) async fn rate(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<RatingForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = Rating {
        score: f.score,
        comment: f.comment,
    };
    back(
        &format!("/orders/{id}#rating"),
        orders::rate(&s.store, &session.actor, id, &r)
            .await
            .map(|_| ()),
    )
}

/// Every work form on the order page posts here: `what` names the form.
#[derive(Deserialize)]
pub(super) struct WorkForm {
    csrf: String,
    /// With the signature: confirm and close the order in the same step (the client's way).
    #[serde(default)]
    close: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    travel_fee: Option<String>,
    #[serde(default)]
    visit_id: Option<i64>,
    #[serde(default)]
    part_id: Option<i64>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    quantity: Option<i64>,
    #[serde(default)]
    unit_price: String,
    #[serde(default)]
    authorized_price: Option<String>,
    #[serde(default)]
    client_supplied: Option<String>,
    #[serde(default)]
    approve: Option<String>,
    #[serde(default)]
    tool: String,
    #[serde(default)]
    change: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    minutes: Option<i64>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    repair_id: Option<i64>,
    #[serde(default)]
    asset: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    cost: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    signer_name: String,
    #[serde(default)]
    image: String,
}

pub(super) async fn work_form(
    State(s): State<AppState>,
    session: WebSession,
    axum::extract::Path((id, what)): axum::extract::Path<(i64, String)>,
    Form(f): Form<WorkForm>,
) -> Response {
    use weihu_store::orders::work;
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let (st, a) = (&s.store, &session.actor);
    let need =
        |v: Option<i64>, field: &str| v.ok_or_else(|| StoreError::invalid(field, "is required"));
    let r: Result<(), StoreError> = async {
        match what.as_str() {
            "visit" => work::decide_visit(
                st,
                a,
                id,
                &work::NewVisit {
                    kind: f.kind.clone().filter(|k| !k.is_empty()),
                    engineer_id: None,
                    travel_fee: f.travel_fee.clone().filter(|t| !t.is_empty()),
                    category: f.category.clone().filter(|c| !c.is_empty()),
                    note: f.note.clone(),
                },
            )
            .await
            .map(|_| ()),
            "check-in" => work::visit_check(st, a, id, need(f.visit_id, "visit_id")?, true)
                .await
                .map(|_| ()),
            "check-out" => work::visit_check(st, a, id, need(f.visit_id, "visit_id")?, false)
                .await
                .map(|_| ()),
            "part" => work::propose_part(
                st,
                a,
                id,
                &work::NewPart {
                    name: f.name.clone(),
                    model: f.model.clone(),
                    quantity: f.quantity.unwrap_or(1),
                    unit_price: f.unit_price.clone(),
                    authorized_price: f.authorized_price.clone(),
                    client_supplied: f.client_supplied.is_some(),
                    note: f.note.clone(),
                },
            )
            .await
            .map(|_| ()),
            "decide" => work::decide_part(
                st,
                a,
                id,
                need(f.part_id, "part_id")?,
                &work::PartDecision {
                    approve: f.approve.as_deref() == Some("1"),
                    note: f.note.clone(),
                },
            )
            .await
            .map(|_| ()),
            "install" => work::install_part(st, a, id, need(f.part_id, "part_id")?)
                .await
                .map(|_| ()),
            "remote" => work::add_remote_session(
                st,
                a,
                id,
                &work::NewRemoteSession {
                    tool: f.tool.clone(),
                    started_at: None,
                    ended_at: None,
                    note: f.note.clone(),
                },
            )
            .await
            .map(|_| ()),
            "backup" => work::record_backup_check(
                st,
                a,
                id,
                &work::BackupCheck {
                    change: f.change.clone(),
                    answer: f.answer.clone(),
                },
            )
            .await
            .map(|_| ()),
            "sign" => {
                let png = crate::api::order_work::decode_png(&f.image)
                    .map_err(|_| StoreError::invalid("image", "draw the signature first"))?;
                work::sign(st, a, id, &f.signer_name, &png).await?;
                // Signing and confirming are one step for the client: the close follows in its
                // own transaction, and is offered only when the store would take it.
                if f.close.as_deref() == Some("1") {
                    let order = orders::get(st, a, id).await?;
                    if order.actions.contains(&orders::OrderAction::Close) {
                        let t = Transition {
                            action: "close".into(),
                            version: order.version,
                            assignee_id: None,
                            team_id: None,
                            reason: String::new(),
                            resolution: String::new(),
                            in_scope: None,
                            cause: String::new(),
                            breach_reason: String::new(),
                            breach_note: String::new(),
                        };
                        orders::transition(st, a, id, &t).await?;
                    }
                }
                Ok(())
            }
            "take-away" => work::take_away(
                st,
                a,
                id,
                &work::NewTakeAway {
                    asset: f.asset.clone(),
                    description: f.description.clone(),
                    note: f.note.clone(),
                },
            )
            .await
            .map(|_| ()),
            "take-away-return" => work::return_take_away(
                st,
                a,
                id,
                need(f.repair_id, "repair_id")?,
                &work::TakeAwayReturn {
                    cost: f.cost.clone().filter(|c| !c.is_empty()),
                    note: f.note.clone(),
                },
            )
            .await
            .map(|_| ()),
            "time" => work::log_time(
                st,
                a,
                id,
                &work::NewTimeEntry {
                    work_date: None,
                    minutes: f.minutes.unwrap_or(0),
                    note: f.note.clone(),
                },
            )
            .await
            .map(|_| ()),
            _ => Err(StoreError::NotFound),
        }
    }
    .await;
    let section = if what == "sign" { "signature" } else { "work" };
    back(&format!("/orders/{id}#{section}"), r)
}

pub(super) async fn signature_png(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Id(id): Id,
) -> Response {
    match weihu_store::orders::work::signature(&s.store, &session.actor, id).await {
        Ok(Some((_, png))) => (
            [
                (axum::http::header::CONTENT_TYPE, "image/png"),
                (axum::http::header::CACHE_CONTROL, "private, max-age=300"),
            ],
            png,
        )
            .into_response(),
        Ok(None) => page_error(
            PageCtx::new(&headers, &session, "/"),
            ApiError::Store(StoreError::NotFound),
        ),
        Err(e) => page_error(PageCtx::new(&headers, &session, "/"), e.into()),
    }
}

/// A file from the order page: the multipart form carries the CSRF token, the file and `internal`.
pub(super) async fn upload(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    m: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Ok(mut m) = m else {
        return back(
            &format!("/orders/{id}"),
            Err(StoreError::invalid("file", "the upload could not be read")),
        );
    };
    let limit = weihu_store::orders::attachments::MAX_ATTACHMENT_BYTES;
    let mut csrf = String::new();
    let mut file: Option<(String, String, Vec<u8>)> = None;
    let mut public = true;
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return back(
                    &format!("/orders/{id}"),
                    Err(StoreError::invalid("file", "the upload could not be read")),
                );
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("internal") => public = false,
            Some("file") => {
                let name = field.file_name().unwrap_or("attachment").to_owned();
                let declared = field.content_type().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(b) if b.len() <= limit => file = Some((name, declared, b.to_vec())),
                    _ => {
                        return back(
                            &format!("/orders/{id}"),
                            Err(StoreError::invalid("file", "must be at most 10 MB")),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    if let Err(e) = session.check_csrf(&csrf) {
        return e.into_response();
    }
    let Some((name, declared, bytes)) = file.filter(|(_, _, b)| !b.is_empty()) else {
        return back(
            &format!("/orders/{id}"),
            Err(StoreError::invalid("file", "choose a file")),
        );
    };
    let r = weihu_store::orders::attachments::add(
        &s.store,
        &session.actor,
        id,
        &name,
        &declared,
        &bytes,
        public,
    )
    .await
    .map(|_| ());
    back(&format!("/orders/{id}#attachments"), r)
}

pub(super) async fn attachment(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    crate::extract::Ids(id, aid): crate::extract::Ids,
) -> Response {
    match weihu_store::orders::attachments::download(&s.store, &session.actor, id, aid).await {
        Ok((meta, bytes)) => crate::api::order_work::attachment_response(&meta, bytes),
        Err(e) => page_error(PageCtx::new(&headers, &session, "/"), e.into()),
    }
}

pub(super) async fn order_pdf(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Id(id): Id,
) -> Response {
    match crate::documents::order_pdf(&s.store, &session.actor, id).await {
        Ok((bytes, name)) => crate::documents::pdf_response(bytes, &name, false),
        Err(e) => page_error(PageCtx::new(&headers, &session, "/"), e),
    }
}

#[derive(Deserialize)]
pub(super) struct MonthForm {
    month: Option<String>,
}

pub(super) async fn month_bundle(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Query(q): Query<MonthForm>,
) -> Response {
    let month = q
        .month
        .filter(|m| !m.is_empty())
        .unwrap_or_else(weihu_store::statements::previous_month);
    match crate::documents::month_bundle(&s.store, &session.actor, id, &month).await {
        Ok((bytes, name)) => crate::documents::pdf_response(bytes, &name, false),
        Err(e) => super::back(&format!("/organizations/{id}"), Err::<(), _>(e)),
    }
}

#[derive(Deserialize)]
pub(super) struct EditForm {
    csrf: String,
    version: i64,
    subject: String,
    #[serde(default)]
    description: String,
    category: String,
    urgency: String,
    impact: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    reason: String,
}

/// The page's "change the order" form: the same store call as `PATCH /api/v1/orders/{id}`.
pub(super) async fn edit_form(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<EditForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let level = |field: &str, v: &str| {
        Level::parse(v).ok_or_else(|| StoreError::invalid(field, "must be high, medium or low"))
    };
    let r = async {
        let patch = weihu_store::orders::OrderPatch {
            version: f.version,
            subject: Some(f.subject),
            description: Some(f.description),
            category: Some(f.category),
            urgency: Some(level("urgency", &f.urgency)?),
            impact: Some(level("impact", &f.impact)?),
            site: Some(f.site),
            reason: f.reason,
            ..Default::default()
        };
        orders::update(&s.store, &session.actor, id, &patch)
            .await
            .map(|_| ())
    }
    .await;
    back(&format!("/orders/{id}"), r)
}

#[derive(Deserialize)]
pub(super) struct BreachForm {
    csrf: String,
    kind: String,
    reason: String,
    #[serde(default)]
    note: String,
}

/// Explains a breached clock from the order page.
pub(super) async fn explain_breach(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<BreachForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        &format!("/orders/{id}"),
        orders::explain_breach(
            &s.store,
            &session.actor,
            id,
            &f.kind,
            &orders::BreachExplanation {
                reason: f.reason,
                note: f.note,
            },
        )
        .await
        .map(|_| ()),
    )
}
