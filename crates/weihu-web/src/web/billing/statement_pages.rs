//! Statement pages: list, preview, generate, review, issue, payments, downloads.

use super::*;

#[derive(Template)]
#[template(path = "statements.html")]
pub(super) struct StatementList {
    ctx: PageCtx,
    page: Page<Statement>,
    month: String,
    state: String,
    can_edit: bool,
    default_month: String,
    total: String,
    error: Option<String>,
}

pub(super) async fn statement_list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = f.apply(&mut ctx);
    let a = &session.actor;
    let month = f.month.clone().filter(|m| !m.is_empty());
    let state = f.state.clone().filter(|m| !m.is_empty());
    let filter = StatementFilter {
        month: month.clone(),
        state: state.clone(),
        ..Default::default()
    };
    let page = match statements::list(&s.store, a, &filter, &all()).await {
        Ok(p) => p,
        Err(e) => return page_error(ctx, e.into()),
    };
    let total = weihu_domain::money::Money::checked_sum(
        page.items
            .iter()
            .filter_map(|s| weihu_domain::money::Money::parse(&s.total).ok()),
    )
    .map(|m| m.to_string())
    .unwrap_or_default();
    render(&StatementList {
        ctx,
        page,
        month: month.unwrap_or_default(),
        state: state.unwrap_or_default(),
        can_edit: a.role.can_manage_statements(),
        default_month: statements::previous_month(),
        total,
        error,
    })
}

#[derive(Deserialize)]
pub(super) struct GenerateForm {
    csrf: String,
    month: String,
}

pub(super) async fn statement_generate(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<GenerateForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    match statements::generate(&s.store, &session.actor, &f.month, None).await {
        Ok(sum) if sum.failed.is_empty() => {
            Redirect::to(&format!("/statements?month={}&ok=1", sum.month)).into_response()
        }
        Ok(sum) => back(
            &format!("/statements?month={}", sum.month),
            Err::<(), _>(StoreError::invalid("month", sum.failed.join("; "))),
        ),
        Err(e) => back("/statements", Err::<(), _>(e)),
    }
}

#[derive(Template)]
#[template(path = "statement.html")]
pub(super) struct StatementDetail {
    ctx: PageCtx,
    st: Statement,
    can_edit: bool,
    error: Option<String>,
}

pub(super) async fn statement_detail(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = f.apply(&mut ctx);
    match statements::get(&s.store, &session.actor, id).await {
        Ok(st) => render(&StatementDetail {
            ctx,
            st,
            can_edit: session.actor.role.can_manage_statements(),
            error,
        }),
        Err(e) => page_error(ctx, e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct StatementActionForm {
    csrf: String,
    action: String,
    #[serde(default)]
    version: i64,
}

pub(super) async fn statement_action(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<StatementActionForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let (st, a) = (&s.store, &session.actor);
    let r = match f.action.as_str() {
        "review" => statements::review(st, a, id, f.version).await,
        "issue" => statements::issue(st, a, id, f.version).await,
        "paid" => statements::mark_paid(st, a, id, f.version).await,
        "adjust" => statements::adjust(st, a, id).await,
        _ => Err(StoreError::invalid("action", "unknown action")),
    };
    match r {
        Ok(next) => Redirect::to(&format!("/statements/{}?ok=1", next.id)).into_response(),
        Err(e) => back(&format!("/statements/{id}"), Err::<(), _>(e)),
    }
}

pub(super) async fn statement_xlsx(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Id(id): Id,
) -> Response {
    match statements::get(&s.store, &session.actor, id).await {
        Ok(st) => match crate::sheets::statement_xlsx(&st) {
            Ok(bytes) => (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_owned(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{}.xlsx\"", statement_file_name(&st)),
                    ),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => page_error(PageCtx::new(&headers, &session, "/"), e),
        },
        Err(e) => page_error(PageCtx::new(&headers, &session, "/"), e.into()),
    }
}

/// A safe ASCII file name for a statement's downloads.
pub fn statement_file_name(st: &Statement) -> String {
    let base = st
        .number
        .clone()
        .unwrap_or_else(|| format!("draft-{}-{}", st.month, st.id));
    base.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

pub(super) async fn statement_pdf(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Id(id): Id,
) -> Response {
    let r = async {
        let st = statements::get(&s.store, &session.actor, id).await?;
        crate::documents::statement_pdf(&s.store, &st).await
    }
    .await;
    match r {
        Ok((bytes, name)) => crate::documents::pdf_response(bytes, &name, false),
        Err(e) => page_error(PageCtx::new(&headers, &session, "/"), e),
    }
}
