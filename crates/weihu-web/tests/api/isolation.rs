//! Tenant isolation: a client user and a client admin of HDJM walk every endpoint with JNYY's
//! ids. Records of another tenant do not exist for them (404, never 403 or 200); lists hold
//! nothing of JNYY and nothing provider-internal. Two walks: a hand-written table (with the
//! reasons for each row) and every `{id}` path of the served OpenAPI document, so that an
//! endpoint added later is covered without touching this file.

use reqwest::Method;
use serde_json::{Map, Value, json};
use weihu_store::credentials::verify_password;
use weihu_store::{demo, users};

use crate::helpers::{ADMIN, TestApp, assert_error};

both_backends!(
    client_user_cannot_reach_another_tenant,
    client_admin_cannot_reach_another_tenant,
    every_openapi_id_path_hides_another_tenant,
);

/// Strings that only JNYY's records contain.
const FOREIGN_TEXT: &[&str] = &[
    "江南",
    "JNYY",
    "Jiangnan",
    "qian.min",
    "he.yun",
    "lin.tao",
    "钱敏",
    "何云",
    "林涛",
    "姑苏区",
];

/// The two tenants of the walk: HDJM (the actor's own) and JNYY (the foreign one).
struct Tenants {
    own_org: i64,
    own_users: Vec<i64>,
    foreign_org: i64,
    foreign_users: Vec<i64>,
    /// he.yun's API token.
    foreign_token: i64,
}

impl Tenants {
    async fn load(app: &TestApp) -> Tenants {
        let mut own_users = Vec::new();
        for u in ["zhou.jg", "wu.li", "sun.hao"] {
            own_users.push(app.user_id(u).await);
        }
        let mut foreign_users = Vec::new();
        for u in ["qian.min", "he.yun", "lin.tao"] {
            foreign_users.push(app.user_id(u).await);
        }
        Tenants {
            own_org: app.org_id("HDJM").await,
            own_users,
            foreign_org: app.org_id("JNYY").await,
            foreign_users,
            foreign_token: app.token_ids["he.yun"],
        }
    }
}

/// One request that names a foreign record.
struct Probe {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn probe(method: Method, path: String, body: Option<Value>) -> Probe {
    Probe { method, path, body }
}

/// Every id-bearing endpoint with a foreign id and a body that would be accepted for an own
/// record, so that only the tenant check can refuse it. Add a row per new endpoint.
fn id_probes(t: &Tenants) -> Vec<Probe> {
    let org = t.foreign_org;
    let mut v = vec![
        probe(Method::GET, format!("/api/v1/organizations/{org}"), None),
        probe(
            Method::PATCH,
            format!("/api/v1/organizations/{org}"),
            Some(json!({"version": 1, "name": "被改了"})),
        ),
    ];
    for u in &t.foreign_users {
        v.push(probe(Method::GET, format!("/api/v1/users/{u}"), None));
        v.push(probe(
            Method::PATCH,
            format!("/api/v1/users/{u}"),
            Some(json!({"version": 1, "display_name": "被改了"})),
        ));
        v.push(probe(
            Method::POST,
            format!("/api/v1/users/{u}/password"),
            Some(json!({"password": "hijacked-password-1"})),
        ));
    }
    let tok = t.foreign_token;
    v.push(probe(Method::GET, format!("/api/v1/tokens/{tok}"), None));
    v.push(probe(Method::DELETE, format!("/api/v1/tokens/{tok}"), None));
    v
}

/// A list request and the foreign ids its items' `id` must not take.
struct ListProbe {
    path: String,
    foreign_item_ids: Vec<i64>,
}

fn list_probes(t: &Tenants) -> Vec<ListProbe> {
    let orgs = vec![t.foreign_org];
    let users = t.foreign_users.clone();
    let toks = vec![t.foreign_token];
    let l = |path: String, ids: &Vec<i64>| ListProbe {
        path,
        foreign_item_ids: ids.clone(),
    };
    vec![
        l("/api/v1/organizations".into(), &orgs),
        l("/api/v1/organizations?kind=client".into(), &orgs),
        l("/api/v1/organizations?q=JNYY".into(), &orgs),
        l("/api/v1/organizations?q=%E6%B1%9F%E5%8D%97".into(), &orgs), // q=江南
        l("/api/v1/organizations?limit=500&sort=-code".into(), &orgs),
        l("/api/v1/users".into(), &users),
        l(format!("/api/v1/users?org_id={}", t.foreign_org), &users),
        l("/api/v1/users?q=he.yun".into(), &users),
        l("/api/v1/users?role=client_admin".into(), &users),
        l("/api/v1/users?limit=500&sort=-username".into(), &users),
        l("/api/v1/tokens".into(), &toks),
        l("/api/v1/tokens?limit=500".into(), &toks),
        l("/api/v1/me".into(), &users),
        l("/api/v1/teams".into(), &vec![]),
        l("/api/v1/audit-log".into(), &vec![]),
    ]
}

async fn client_user_cannot_reach_another_tenant(app: TestApp) {
    walk(&app, "wu.li").await;
}

async fn client_admin_cannot_reach_another_tenant(app: TestApp) {
    walk(&app, "zhou.jg").await;
}

async fn walk(app: &TestApp, actor: &str) {
    let t = Tenants::load(app).await;
    let before = foreign_snapshot(app, &t).await;

    for p in id_probes(&t) {
        let what = format!("{actor}: {} {}", p.method, p.path);
        let r = app
            .send(p.method.clone(), &p.path, Some(actor), p.body.as_ref())
            .await;
        assert_error(&what, &r, 404, "not_found", None);
    }

    // Ids of another tenant in a body are refused too (403 is fine here: the answer is the same
    // whether or not the record exists).
    let body_refs = [
        (
            "/api/v1/users",
            json!({"org_id": t.foreign_org, "username": "intruder", "display_name": "x",
                   "role": "client_user", "password": "password-123"}),
        ),
        (
            "/api/v1/tokens",
            json!({"name": "steal", "user_id": t.foreign_users[1]}),
        ),
    ];
    for (path, body) in body_refs {
        let (status, resp) = app.post(path, Some(actor), &body).await;
        assert!(
            status == 403 || status == 404,
            "{actor}: POST {path} naming JNYY: want 403/404, got {status}: {resp}"
        );
    }

    for p in list_probes(&t) {
        let what = format!("{actor}: GET {}", p.path);
        let (status, body) = app.get(&p.path, Some(actor)).await;
        match status {
            200 => assert_nothing_foreign(&what, &body, &t, &p.foreign_item_ids),
            403 => assert_error(&what, &(status, body), 403, "forbidden", None),
            s => panic!("{what}: want 200 or 403, got {s}: {body}"),
        }
    }

    // The lists are not empty by accident: the actor sees their own tenant, exactly.
    let orgs = app.get_ok("/api/v1/organizations", actor).await;
    assert_eq!(
        ids(&orgs),
        vec![t.own_org],
        "{actor}: own organisation only"
    );
    let own = app
        .get_ok(&format!("/api/v1/organizations/{}", t.own_org), actor)
        .await;
    assert_eq!(own["code"], "HDJM");
    assert!(
        own.get("internal_note").is_none(),
        "{actor}: internal_note of own organisation is hidden: {own}"
    );
    let seen_users = ids(&app.get_ok("/api/v1/users?limit=500", actor).await);
    let me = app.user_id(actor).await;
    let want_users = if actor == "zhou.jg" {
        let mut v = t.own_users.clone();
        v.sort_unstable();
        v
    } else {
        vec![me]
    };
    let mut seen_sorted = seen_users.clone();
    seen_sorted.sort_unstable();
    assert_eq!(seen_sorted, want_users, "{actor}: the users they may see");
    let toks = app.get_ok("/api/v1/tokens", actor).await;
    assert!(
        ids(&toks).contains(&app.token_ids[actor]),
        "{actor}: sees own token: {toks}"
    );

    // Nothing of JNYY changed, and the provider does see internal notes.
    let after = foreign_snapshot(app, &t).await;
    assert_eq!(before, after, "{actor}: JNYY's records are unchanged");
    let (hash_ok, token_ok) = foreign_credentials_intact(app).await;
    assert!(hash_ok, "{actor}: he.yun's password was not reset");
    assert!(token_ok, "{actor}: he.yun's token still works");
}

/// What an attacker could have changed in JNYY, read as the administrator.
async fn foreign_snapshot(app: &TestApp, t: &Tenants) -> Vec<Value> {
    let mut v = vec![
        app.get_ok(&format!("/api/v1/organizations/{}", t.foreign_org), ADMIN)
            .await,
    ];
    assert!(
        v[0]["internal_note"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "the administrator sees JNYY's internal note: {}",
        v[0]
    );
    for u in &t.foreign_users {
        v.push(app.get_ok(&format!("/api/v1/users/{u}"), ADMIN).await);
    }
    let mut tok = app
        .get_ok(&format!("/api/v1/tokens/{}", t.foreign_token), ADMIN)
        .await;
    // Using the token (as the check below does) moves last_used_at; that is not a change.
    if let Some(o) = tok.as_object_mut() {
        o.remove("last_used_at");
    }
    v.push(tok);
    v
}

async fn foreign_credentials_intact(app: &TestApp) -> (bool, bool) {
    let (_, hash) = users::find_by_username(&app.store, "he.yun")
        .await
        .expect("query he.yun")
        .expect("he.yun exists");
    let (status, me) = app.get("/api/v1/me", Some("he.yun")).await;
    (
        verify_password(demo::DEMO_PASSWORD, &hash),
        status == 200 && me["username"] == "he.yun",
    )
}

/// The `id`s of a list's items.
fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list has items: {page}"))
        .iter()
        .map(|i| i["id"].as_i64().expect("an item has a numeric id"))
        .collect()
}

/// No JNYY text, no JNYY id under `org_id`/`user_id`, no foreign item id, no internal note.
#[track_caller]
fn assert_nothing_foreign(what: &str, body: &Value, t: &Tenants, foreign_item_ids: &[i64]) {
    let text = body.to_string();
    for s in FOREIGN_TEXT {
        assert!(!text.contains(s), "{what}: leaks {s:?}: {text}");
    }
    walk_json(body, &mut |key, v| {
        assert_ne!(key, "internal_note", "{what}: leaks internal_note: {text}");
        if key == "org_id" {
            assert_ne!(
                v.as_i64(),
                Some(t.foreign_org),
                "{what}: leaks JNYY's org_id: {text}"
            );
        }
        if key == "user_id" {
            let id = v.as_i64().unwrap_or(0);
            assert!(
                !t.foreign_users.contains(&id),
                "{what}: leaks a JNYY user_id: {text}"
            );
        }
    });
    let items: Vec<&Value> = match body["items"].as_array() {
        Some(items) => items.iter().collect(),
        None => vec![body],
    };
    for item in items {
        if let Some(id) = item["id"].as_i64() {
            assert!(
                !foreign_item_ids.contains(&id),
                "{what}: lists JNYY record {id}: {text}"
            );
        }
    }
}

fn walk_json(v: &Value, f: &mut impl FnMut(&str, &Value)) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                f(k, x);
                walk_json(x, f);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk_json(x, f)),
        _ => {}
    }
}

/// Walks the served OpenAPI document: every operation on a path with a `{param}` answers 404
/// to both client roles when the parameter names another tenant's (or the provider's
/// internal) record; every collection GET answers 200 with nothing foreign, or 403.
async fn every_openapi_id_path_hides_another_tenant(app: TestApp) {
    let t = Tenants::load(&app).await;
    let doc = app.get_ok("/api/v1/openapi.json", "wu.li").await;
    let paths = doc["paths"].as_object().expect("paths").clone();
    let mut probed = 0;
    let mut probed_lists = 0;
    for (template, item) in &paths {
        let ops = item.as_object().expect("a path item is an object");
        if template.contains('{') {
            let resource = template
                .trim_start_matches("/api/v1/")
                .split('/')
                .next()
                .unwrap_or_default();
            let id = foreign_id(&app, &t, resource).await;
            let path = fill(template, id);
            for (method, op) in ops {
                let Some(m) = http_method(method) else {
                    continue;
                };
                let body = request_example(&doc, op);
                for actor in ["wu.li", "zhou.jg"] {
                    let what = format!("{actor}: {m} {path} (from {template})");
                    let r = app.send(m.clone(), &path, Some(actor), body.as_ref()).await;
                    assert_error(&what, &r, 404, "not_found", None);
                    probed += 1;
                }
            }
        } else if ops.contains_key("get") {
            for actor in ["wu.li", "zhou.jg"] {
                let what = format!("{actor}: GET {template}");
                let (status, body) = app.get(template, Some(actor)).await;
                match status {
                    200 => assert_nothing_foreign(&what, &body, &t, &[]),
                    403 => assert_error(&what, &(status, body), 403, "forbidden", None),
                    // A month's report is one record, not a list: unpublished, it is not found.
                    404 if template.starts_with("/api/v1/reports/") => {
                        assert_error(&what, &(status, body), 404, "not_found", None)
                    }
                    s => panic!("{what}: want 200 or 403, got {s}: {body}"),
                }
                probed_lists += 1;
            }
        }
    }
    // The document is the one we think it is: the known id paths are in it.
    for known in [
        "/api/v1/organizations/{id}",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/password",
        "/api/v1/teams/{id}",
        "/api/v1/tokens/{id}",
    ] {
        assert!(
            paths.contains_key(known),
            "the OpenAPI document has {known}"
        );
    }
    assert!(probed >= 16, "probed {probed} operations");
    assert!(probed_lists >= 12, "probed {probed_lists} lists");
    let (hash_ok, token_ok) = foreign_credentials_intact(&app).await;
    assert!(hash_ok && token_ok, "he.yun's credentials are intact");
}

fn http_method(name: &str) -> Option<Method> {
    match name {
        "get" => Some(Method::GET),
        "post" => Some(Method::POST),
        "put" => Some(Method::PUT),
        "patch" => Some(Method::PATCH),
        "delete" => Some(Method::DELETE),
        _ => None,
    }
}

/// `template` with every `{param}` replaced by `id`.
fn fill(template: &str, id: i64) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(&id.to_string());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The record of `resource` (the first path segment after `/api/v1/`) that the client must not
/// reach: JNYY's for tenant-owned resources, any for provider-internal ones.
async fn foreign_id(app: &TestApp, t: &Tenants, resource: &str) -> i64 {
    match resource {
        "organizations" => return t.foreign_org,
        "users" => return t.foreign_users[1],
        "tokens" => return t.foreign_token,
        // A notification belongs to one user: any other user's (the demo assigns orders to
        // engineers, which notifies them) must stay hidden.
        // A catalog item belongs to no tenant: the one HDJM does not use must stay hidden.
        "catalog-items" => {
            let items = app.get_ok("/api/v1/catalog-items", ADMIN).await;
            return items
                .as_array()
                .and_then(|a| a.iter().find(|i| i["code"] == "MACHINE-ROOM"))
                .and_then(|i| i["id"].as_i64())
                .expect("the demo's machine-room service, which HDJM does not use");
        }
        // Checklist templates are the provider's: clients find none of them.
        "checklist-templates" => {
            let list = app.get_ok("/api/v1/checklist-templates", ADMIN).await;
            return list[0]["id"]
                .as_i64()
                .expect("the default checklists are seeded");
        }
        // Inspections are generated by a plan: JNYY's demo plan generates them, and their ids
        // (order ids) are listed as a bare array.
        "inspections" => {
            let plans = app
                .get_ok(
                    &format!("/api/v1/maintenance-plans?client_org_id={}", t.foreign_org),
                    ADMIN,
                )
                .await;
            let plan = plans["items"][0]["id"]
                .as_i64()
                .expect("the demo has a maintenance plan at JNYY");
            let (s, sum) = app
                .post(
                    &format!("/api/v1/maintenance-plans/{plan}/generate"),
                    Some(ADMIN),
                    &json!({}),
                )
                .await;
            assert_eq!(s, 200, "{sum}");
            let to = jiff::Timestamp::now()
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date()
                .saturating_add(jiff::Span::new().days(60));
            let list = app
                .get_ok(
                    &format!(
                        "/api/v1/inspections?client_org_id={}&to={to}",
                        t.foreign_org
                    ),
                    ADMIN,
                )
                .await;
            return list[0]["order_id"]
                .as_i64()
                .unwrap_or_else(|| panic!("JNYY's inspections: {list}"));
        }
        // `/me/views/{id}`: another user's saved view must stay hidden.
        "me" => {
            let owner = app.user_id(ADMIN).await;
            return sqlx::query_scalar(
                "INSERT INTO saved_views (user_id, name, query, created_at) \
                 VALUES ($1, 'isolation probe', 'scope=open', 0) RETURNING id",
            )
            .bind(owner)
            .fetch_one(app.store.pool())
            .await
            .expect("seed a saved view");
        }
        // A provider-internal article, published: no client reads it.
        "articles" => {
            let (s, a) = app
                .post(
                    "/api/v1/articles",
                    Some(ADMIN),
                    &json!({"title": "isolation probe", "body": "internal", "audience": "internal"}),
                )
                .await;
            assert_eq!(s, 201, "{a}");
            let (s, a) = app
                .patch(
                    &format!("/api/v1/articles/{}", a["id"]),
                    Some(ADMIN),
                    &json!({"version": a["version"], "state": "published"}),
                )
                .await;
            assert_eq!(s, 200, "{a}");
            return a["id"].as_i64().expect("article id");
        }
        // A problem linked to the foreign client's order only.
        "problems" => {
            let orders = app
                .get_ok(
                    &format!("/api/v1/orders?client_org_id={}&limit=1", t.foreign_org),
                    ADMIN,
                )
                .await;
            let order = orders["items"][0]["id"].as_i64().expect("a foreign order");
            let (s, p) = app
                .post(
                    "/api/v1/problems",
                    Some(ADMIN),
                    &json!({"title": "isolation probe", "order_ids": [order]}),
                )
                .await;
            assert_eq!(s, 201, "{p}");
            return p["id"].as_i64().expect("problem id");
        }
        // Mail is the provider's: a message waiting for review (its id also probes the outbox,
        // whose rows the demo's events queued).
        "mail" => {
            return sqlx::query_scalar(
                "INSERT INTO mail_inbox (source, from_addr, subject, state, received_at) \
                 VALUES ('isolation', 'probe@example.com', 'probe', 'review', 0) RETURNING id",
            )
            .fetch_one(app.store.pool())
            .await
            .expect("seed a received mail");
        }
        "notifications" => {
            let id: Option<i64> = sqlx::query_scalar("SELECT min(id) FROM notifications")
                .fetch_one(app.store.pool())
                .await
                .expect("notifications");
            return id.expect("the demo data has notifications to probe with");
        }
        _ => {}
    }
    let list = format!("/api/v1/{resource}?limit=500");
    let (status, page) = app.get(&list, Some(ADMIN)).await;
    assert_eq!(
        status, 200,
        "to probe /api/v1/{resource}/{{id}} the walk lists {list} as the administrator: {page}"
    );
    let items = page["items"].as_array().cloned().unwrap_or_default();
    let owner = |i: &Value| i["org_id"].as_i64().or_else(|| i["client_org_id"].as_i64());
    items
        .iter()
        .find(|i| owner(i) == Some(t.foreign_org))
        .or_else(|| items.iter().find(|i| owner(i).is_none()))
        .and_then(|i| i["id"].as_i64())
        .unwrap_or_else(|| {
            panic!(
                "no {resource} record outside HDJM to probe with: seed one (demo data or this \
                 test) so the isolation walk covers /api/v1/{resource}/{{id}}: {page}"
            )
        })
}

/// A request body that satisfies the operation's JSON schema (its required fields with
/// plausible values), or None when it takes no body.
fn request_example(doc: &Value, op: &Value) -> Option<Value> {
    let schema = op
        .pointer("/requestBody/content/application~1json/schema")?
        .clone();
    Some(example(doc, &schema, 0))
}

fn example(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 8 {
        return json!({});
    }
    if let Some(r) = schema["$ref"].as_str() {
        let target = doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("unresolvable $ref {r}"));
        return example(doc, target, depth + 1);
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for p in parts {
            if let Value::Object(o) = example(doc, p, depth + 1) {
                merged.extend(o);
            }
        }
        return Value::Object(merged);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema[key].as_array()
            && let Some(first) = alts.iter().find(|a| a["type"] != "null")
        {
            return example(doc, first, depth + 1);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let ty = match &schema["type"] {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("object")
            .to_owned(),
        _ => "object".to_owned(),
    };
    match ty.as_str() {
        "string" => json!("probe-value-123"),
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        "array" => json!([]),
        _ => {
            let mut o = Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                if let Some(n) = name.as_str() {
                    let prop = &schema["properties"][n];
                    o.insert(n.to_owned(), example(doc, prop, depth + 1));
                }
            }
            Value::Object(o)
        }
    }
}
