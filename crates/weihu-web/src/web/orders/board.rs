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
    scope: Option<String>,
    sort: Option<String>,
    offset: Option<i64>,
    /// For the export: `csv` or `xlsx`.
    format: Option<String>,
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

#[derive(Template)]
#[template(path = "orders.html")]
pub(super) struct Board {
    ctx: PageCtx,
    page: Page<Order>,
    clients: Vec<Organization>,
    engineers: Vec<User>,
    views: Vec<View>,
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
        let mut out = form_urlencoded::Serializer::new(String::new());
        for kv in self.query.split('&').filter(|kv| !kv.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            if !drop.contains(&k) {
                let v: String = form_urlencoded::parse(format!("x={v}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                out.append_pair(k, &v);
            }
        }
        for (k, v) in set {
            out.append_pair(k, v);
        }
        format!("?{}", out.finish())
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
        "all" | "mine" | "waiting" => None,
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
        .filter(|kv| !kv.starts_with("offset="))
        .collect::<Vec<_>>()
        .join("&");
    render(&Board {
        ctx,
        page,
        clients,
        engineers,
        views,
        f: BoardQuery {
            scope: Some(scope.to_owned()),
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
