//! The board: views with their counts (open, mine, my team, unassigned, escalated, waiting for
//! the client, at risk, done, all), filters, search, sorting by any column, pages, and the
//! current view as CSV or Excel.

use super::*;

#[derive(Deserialize, Default, Clone)]
pub(super) struct BoardQuery {
    q: Option<String>,
    client: Option<String>,
    state: Option<String>,
    priority: Option<String>,
    assignee: Option<String>,
    at_risk: Option<String>,
    /// fault or inspection.
    kind: Option<String>,
    scope: Option<String>,
    sort: Option<String>,
    offset: Option<i64>,
    /// For the export: `csv` or `xlsx`.
    format: Option<String>,
    /// After a form: what was done, or why not.
    notice: Option<String>,
    error: Option<String>,
}

pub(super) fn num(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|v| v.parse().ok())
}

pub(super) fn nonempty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|v| !v.is_empty())
}

/// The board's views: staff see the desk's working views, clients their own.
const STAFF_VIEWS: [&str; 9] = [
    "open",
    "mine",
    "team",
    "unassigned",
    "escalated",
    "waiting",
    "at_risk",
    "done",
    "all",
];
const CLIENT_VIEWS: [&str; 4] = ["open", "waiting", "done", "all"];
/// Views whose count is shown: the open ones (counting every closed order of a large desk on
/// each page view is not worth its cost).
const COUNTED: [&str; 7] = [
    "open",
    "mine",
    "team",
    "unassigned",
    "escalated",
    "waiting",
    "at_risk",
];

/// Columns the board sorts by, as the store names them.
const SORTS: [&str; 8] = [
    "number",
    "priority",
    "subject",
    "client",
    "state",
    "assignee",
    "due",
    "created_at",
];

pub(super) struct View {
    name: &'static str,
    count: Option<i64>,
}

/// Moves the board offers for picked orders (each is still checked per order).
const BULK_MOVES: [&str; 6] = [
    "assign",
    "start",
    "wait_client",
    "resume",
    "close",
    "cancel",
];

#[derive(Template)]
#[template(path = "orders.html")]
pub(super) struct Board {
    ctx: PageCtx,
    page: Page<Order>,
    clients: Vec<Organization>,
    engineers: Vec<User>,
    views: Vec<View>,
    saved: Vec<weihu_store::saved_views::SavedView>,
    teams: Vec<Team>,
    f: BoardQuery,
    query: String,
    prev: Option<i64>,
    next: Option<i64>,
}

impl Board {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref() == Some(want)
    }
    /// `text` cut into plain and matched pieces for the search's terms.
    fn hl(&self, text: &str) -> Vec<(String, bool)> {
        let terms = weihu_domain::search::highlight_terms(self.f.q.as_deref().unwrap_or(""));
        weihu_domain::search::highlight(text, &terms)
    }
    fn sel_id(&self, v: &Option<String>, id: &i64) -> bool {
        num(v) == Some(*id)
    }
    /// The link of a view: the other filters stay, the page starts again.
    fn view_href(&self, view: &str) -> String {
        self.href_with(&[("scope", view)], &["scope", "offset"])
    }
    /// A column header's link: sort by it, or reverse when it is already the sort.
    fn sort_href(&self, column: &str) -> String {
        let next = if self.f.sort.as_deref() == Some(column) {
            format!("-{column}")
        } else {
            column.to_owned()
        };
        self.href_with(&[("sort", &next)], &["sort", "offset"])
    }
    /// `▲`/`▼` on the column the board is sorted by.
    fn sort_mark(&self, column: &str) -> &'static str {
        match self.f.sort.as_deref() {
            Some(s) if s == column => " ▲",
            Some(s) if s.strip_prefix('-') == Some(column) => " ▼",
            _ => "",
        }
    }
    fn export_href(&self, format: &str) -> String {
        let q = self.href_with(&[("format", format)], &["format", "offset"]);
        format!("/orders/export{q}")
    }
    fn href_with(&self, set: &[(&str, &str)], drop: &[&str]) -> String {
        format!("?{}", requery(&self.query, drop, set))
    }
}

/// The filter a view and the form's fields make together.
async fn filter_for(
    s: &AppState,
    a: &weihu_store::Actor,
    f: &BoardQuery,
    scope: &str,
) -> Result<OrderFilter, StoreError> {
    let open = match scope {
        "done" => Some(false),
        "all" | "waiting" => None,
        _ => Some(true),
    };
    let team_id = if scope == "team" {
        // No team: the view is empty rather than everyone's.
        Some(
            users::get(&s.store, a, a.user_id)
                .await?
                .team_id
                .unwrap_or(-1),
        )
    } else {
        None
    };
    Ok(OrderFilter {
        client_org_id: num(&f.client),
        state: if scope == "waiting" {
            Some("waiting_client".into())
        } else {
            nonempty(&f.state)
        },
        open,
        priority: nonempty(&f.priority),
        assignee_id: if scope == "mine" {
            Some(a.user_id)
        } else {
            num(&f.assignee)
        },
        team_id,
        at_risk: (scope == "at_risk" || f.at_risk.as_deref() == Some("1")).then_some(true),
        unassigned: (scope == "unassigned").then_some(true),
        escalated: (scope == "escalated").then_some(true),
        kind: nonempty(&f.kind),
        ..Default::default()
    })
}

fn scope_of<'a>(a: &weihu_store::Actor, f: &'a BoardQuery) -> &'a str {
    let views: &[&str] = if a.is_client() {
        &CLIENT_VIEWS
    } else {
        &STAFF_VIEWS
    };
    f.scope
        .as_deref()
        .filter(|s| views.contains(s))
        .unwrap_or(if a.is_client() { "all" } else { "open" })
}

fn sort_of(a: &weihu_store::Actor, f: &BoardQuery) -> String {
    f.sort
        .as_deref()
        .filter(|s| SORTS.contains(&s.trim_start_matches('-')))
        .map(str::to_owned)
        // The dispatcher's board: most urgent first; the client's: newest first.
        .unwrap_or_else(|| {
            if a.is_client() {
                "-created_at".into()
            } else {
                "priority".into()
            }
        })
}

pub(super) async fn board(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<BoardQuery>,
) -> Response {
    let ctx = PageCtx::new(&headers, &session, uri.path());
    let a = &session.actor;
    let scope = scope_of(a, &f);
    let filter = match filter_for(&s, a, &f, scope).await {
        Ok(filter) => filter,
        Err(e) => return page_error(ctx, e.into()),
    };
    let params = ListParams {
        q: nonempty(&f.q),
        offset: f.offset,
        limit: Some(50),
        sort: Some(sort_of(a, &f)),
    };
    let page = match orders::list(&s.store, a, &filter, &params).await {
        Ok(p) => p,
        Err(e) => return page_error(ctx, e.into()),
    };
    // Counts of the working views, without the search or the other filters.
    let names: &[&'static str] = if a.is_client() {
        &CLIENT_VIEWS
    } else {
        &STAFF_VIEWS
    };
    let mut views = Vec::with_capacity(names.len());
    for name in names {
        let count = if COUNTED.contains(name) {
            let bare = BoardQuery::default();
            match filter_for(&s, a, &bare, name).await {
                Ok(vf) => orders::count(&s.store, a, &vf).await.ok(),
                Err(_) => None,
            }
        } else {
            None
        };
        views.push(View { name, count });
    }
    let (clients, engineers) = if a.is_client() {
        (Vec::new(), Vec::new())
    } else {
        let clients = organizations::list(
            &s.store,
            a,
            &OrgFilter {
                kind: Some(OrgKind::Client),
                active: None,
            },
            &all(),
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default();
        let engineers = users::list(
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
        .unwrap_or_default();
        (clients, engineers)
    };
    let o = f.offset.unwrap_or(0);
    let prev = (o > 0).then(|| (o - 50).max(0));
    let next = page.next;
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| {
            !kv.starts_with("offset=") && !kv.starts_with("notice=") && !kv.starts_with("error=")
        })
        .collect::<Vec<_>>()
        .join("&");
    let saved = weihu_store::saved_views::list(&s.store, a)
        .await
        .unwrap_or_default();
    let teams = if a.is_client() {
        Vec::new()
    } else {
        teams::list(&s.store, a, &all())
            .await
            .map(|p| p.items)
            .unwrap_or_default()
    };
    render(&Board {
        ctx,
        page,
        clients,
        engineers,
        views,
        saved,
        teams,
        f: BoardQuery {
            scope: Some(scope.to_owned()),
            sort: Some(sort_of(a, &f)),
            ..f
        },
        query,
        prev,
        next,
    })
}

/// The board's current view (same view, filters, search and sort) as CSV or Excel.
pub(super) async fn export(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    Query(f): Query<BoardQuery>,
) -> Response {
    let a = &session.actor;
    let scope = scope_of(a, &f);
    let tr = crate::i18n::Tr(crate::i18n::Lang::negotiate(&headers, a.locale.as_deref()));
    let zone = crate::format::zone_for(a.time_zone.as_deref());
    let result = async {
        let filter = filter_for(&s, a, &f, scope).await?;
        let table = crate::app::order_export::table(
            &s.store,
            a,
            &filter,
            nonempty(&f.q),
            Some(sort_of(a, &f)),
            tr,
            &zone,
        )
        .await?;
        crate::sheets::download(&table, "orders", f.format.as_deref())
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) => back("/orders", Err::<(), _>(e)),
    }
}

#[derive(Deserialize)]
pub(super) struct SaveViewForm {
    csrf: String,
    name: String,
    #[serde(default)]
    query: String,
}

/// A board query as typed or saved, re-encoded pair by pair: whatever it held (Chinese search
/// words, a line break), it is safe in a `Location` header and stays a query of `/orders`.
fn board_query(raw: &str) -> String {
    requery(raw, &["notice", "error", "offset"], &[])
}

/// `raw` decoded pair by pair and encoded again, without the `drop` keys and with `set` added.
fn requery(raw: &str, drop: &[&str], set: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(raw.trim_start_matches('?').as_bytes()) {
        if !drop.contains(&k.as_ref()) {
            out.append_pair(&k, &v);
        }
    }
    for (k, v) in set {
        out.append_pair(k, v);
    }
    out.finish()
}

/// Saves the board's current query under a name; the board then opens it.
pub(super) async fn save_view(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<SaveViewForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let v = weihu_store::saved_views::NewView {
        name: f.name,
        query: f.query,
    };
    match weihu_store::saved_views::create(&s.store, &session.actor, &v).await {
        Ok(view) => Redirect::to(&format!("/orders?{}", board_query(&view.query))).into_response(),
        Err(e) => back("/orders", Err(e)),
    }
}

pub(super) async fn delete_view(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        "/orders",
        weihu_store::saved_views::delete(&s.store, &session.actor, id).await,
    )
}

/// The board's bulk form: picked orders (`ids`, repeated), an action and its fields. Back to the
/// board with what was done and, order by order, why the rest was not.
pub(super) async fn bulk(
    State(s): State<AppState>,
    headers: HeaderMap,
    session: WebSession,
    body: axum::body::Bytes,
) -> Response {
    let mut ids = Vec::new();
    let mut fields = std::collections::HashMap::new();
    for (k, v) in form_urlencoded::parse(&body) {
        if k == "ids" {
            match v.parse::<i64>() {
                Ok(id) => ids.push(id),
                Err(_) => return back("/orders", Err(StoreError::invalid("ids", "not an order"))),
            }
        } else {
            fields.insert(k.into_owned(), v.into_owned());
        }
    }
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    if let Err(e) = session.check_csrf(&field("csrf")) {
        return e.into_response();
    }
    let req = crate::app::bulk::BulkRequest {
        ids,
        action: field("action"),
        assignee_id: field("assignee_id").parse().ok(),
        team_id: field("team_id").parse().ok(),
        body: field("body"),
        internal: field("internal") == "1",
        reason: field("reason"),
    };
    let return_to = board_query(&field("return_to"));
    match crate::app::bulk::run(&s.store, &session.actor, &req).await {
        Ok(result) => {
            let tr = crate::i18n::Tr(crate::i18n::Lang::negotiate(
                &headers,
                session.actor.locale.as_deref(),
            ));
            let mut text = format!("{} {}", tr.t("order.bulk_done"), result.done.len());
            for f in result.failed.iter().take(10) {
                text.push_str(&format!(" · #{}: {}", f.id, f.message));
            }
            let enc: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
            let sep = if return_to.is_empty() { "" } else { "&" };
            let key = if result.failed.is_empty() {
                "notice"
            } else {
                "error"
            };
            Redirect::to(&format!("/orders?{return_to}{sep}{key}={enc}")).into_response()
        }
        Err(e) => back("/orders", Err(e)),
    }
}
