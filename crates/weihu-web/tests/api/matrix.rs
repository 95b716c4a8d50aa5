//! The role × endpoint authorization matrix, table-driven: every role tries every guarded write
//! (and the guarded reads of billing); the table says who may. "May" means the request gets past
//! authorization (2xx, or 409/422 on the body); "may not" means 403 (or 404 where the record is
//! hidden from that role), never a 2xx.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp};

both_backends!(every_role_against_every_guarded_endpoint);

/// The demo's people, one per role.
const ROLES: &[(&str, &str)] = &[
    ("admin", ADMIN),
    ("dispatcher", "wang.fang"),
    ("engineer", "li.qiang"),
    ("service_level_manager", "zhao.min"),
    ("finance", "liu.yang"),
    ("client_admin", "zhou.jg"),
    ("client_user", "wu.li"),
];

/// The request body for one role.
type BodyFor = Box<dyn Fn(&str) -> Option<Value>>;

struct Row {
    what: &'static str,
    method: reqwest::Method,
    path: String,
    /// The body for one role (unique values per role where the resource is unique).
    body: BodyFor,
    may: &'static [&'static str],
}

async fn every_role_against_every_guarded_endpoint(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let last_month = {
        let t = weihu_store::contracts::today_in(weihu_store::contracts::DEFAULT_ZONE)
            .first_of_month()
            .yesterday()
            .expect("a day");
        format!("{:04}-{:02}", t.year(), t.month())
    };
    let price_list = app.get_ok("/api/v1/settings/price-list", ADMIN).await;
    use reqwest::Method as M;
    let rows: Vec<Row> = vec![
        Row {
            what: "create an organisation",
            method: M::POST,
            path: "/api/v1/organizations".into(),
            body: Box::new(|r| {
                Some(json!({"code": format!("M-{r}"), "name": format!("矩阵 {r}")}))
            }),
            may: &["admin"],
        },
        Row {
            what: "create a contract",
            method: M::POST,
            path: "/api/v1/contracts".into(),
            body: Box::new(move |r| {
                Some(
                    json!({"client_org_id": hdjm, "number": format!("HT-M-{r}"), "start_date": "2031-01-01",
                    "end_date": "2031-12-31", "terms": {"pricing": {"model": "monthly_unlimited", "monthly_fee": "1.00"},
                    "emergency_fee": "0"}}),
                )
            }),
            may: &["admin", "finance"],
        },
        Row {
            what: "generate statements",
            method: M::POST,
            path: "/api/v1/statements/generate".into(),
            body: Box::new(move |_| Some(json!({"month": last_month.clone()}))),
            may: &["admin", "finance"],
        },
        Row {
            what: "read statements",
            method: M::GET,
            path: "/api/v1/statements".into(),
            body: Box::new(|_| None),
            may: &["admin", "finance", "service_level_manager", "client_admin"],
        },
        Row {
            what: "change the price list",
            method: M::PUT,
            path: "/api/v1/settings/price-list".into(),
            body: Box::new(move |_| Some(price_list.clone())),
            may: &["admin", "finance"],
        },
        Row {
            what: "make a quote",
            method: M::POST,
            path: "/api/v1/quotes".into(),
            body: Box::new(|_| Some(json!({"prospect_name": "矩阵", "inventory": {"desktop": 3}}))),
            may: &[
                "admin",
                "dispatcher",
                "engineer",
                "service_level_manager",
                "finance",
            ],
        },
        Row {
            what: "add a catalog item",
            method: M::POST,
            path: "/api/v1/catalog-items".into(),
            body: Box::new(|r| Some(json!({"code": format!("M-{r}"), "name": "矩阵"}))),
            may: &["admin", "service_level_manager"],
        },
        Row {
            what: "change an asset type",
            method: M::POST,
            path: "/api/v1/asset-types".into(),
            body: Box::new(|r| {
                Some(
                    json!({"code": format!("m-{}", r.replace('_', "-")), "name": "矩阵", "name_en": "m",
                    "coefficient": "1", "category": "pc"}),
                )
            }),
            may: &["admin", "service_level_manager"],
        },
        Row {
            what: "register a device",
            method: M::POST,
            path: "/api/v1/assets".into(),
            body: Box::new(move |_| Some(json!({"client_org_id": hdjm, "asset_type": "desktop"}))),
            may: &["admin", "dispatcher", "engineer", "client_admin"],
        },
        Row {
            what: "list devices",
            method: M::GET,
            path: "/api/v1/assets".into(),
            body: Box::new(|_| None),
            may: &[
                "admin",
                "dispatcher",
                "engineer",
                "service_level_manager",
                "finance",
                "client_admin",
            ],
        },
        Row {
            what: "open a service order",
            method: M::POST,
            path: "/api/v1/orders".into(),
            body: Box::new(move |_| {
                Some(
                    json!({"client_org_id": hdjm, "requester_name": "矩阵", "category": "hardware",
                    "urgency": "low", "impact": "low", "subject": "权限矩阵"}),
                )
            }),
            may: &[
                "admin",
                "dispatcher",
                "engineer",
                "client_admin",
                "client_user",
            ],
        },
        Row {
            what: "list contracts",
            method: M::GET,
            path: "/api/v1/contracts".into(),
            body: Box::new(|_| None),
            may: &[
                "admin",
                "dispatcher",
                "engineer",
                "service_level_manager",
                "finance",
                "client_admin",
            ],
        },
    ];
    let mut wrong = Vec::new();
    let mut tried = 0;
    for row in &rows {
        for (role, user) in ROLES {
            let body = (row.body)(role);
            let (status, resp) = app
                .send(row.method.clone(), &row.path, Some(user), body.as_ref())
                .await;
            tried += 1;
            let allowed = row.may.contains(role);
            let ok = if allowed {
                (200..300).contains(&status) || status == 409 || status == 422
            } else {
                status == 403 || status == 404
            };
            if !ok {
                wrong.push(format!(
                    "{} as {role} ({user}): {} {} → {status} (want {}): {resp}",
                    row.what,
                    row.method,
                    row.path,
                    if allowed { "allowed" } else { "403/404" }
                ));
            }
        }
    }
    assert_eq!(tried, rows.len() * ROLES.len());
    assert!(
        wrong.is_empty(),
        "authorization matrix:\n{}",
        wrong.join("\n")
    );
}
