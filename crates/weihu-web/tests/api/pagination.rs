//! Lists page with `limit`/`offset`, count everything in `total`, point at the next page with
//! `next`, and sort on request.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp};

both_backends!(
    organization_pages_cover_everything_once,
    user_pages_follow_sort_and_filter
);

/// Follows `next` from offset 0 with page size `limit`; returns the pages.
async fn pages(app: &TestApp, query: &str, limit: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut offset = Some(0);
    while let Some(o) = offset {
        assert!(out.len() < 100, "paging does not end: {query}");
        let sep = if query.contains('?') { '&' } else { '?' };
        let page = app
            .get_ok(&format!("{query}{sep}limit={limit}&offset={o}"), ADMIN)
            .await;
        offset = page["next"].as_i64();
        out.push(page);
    }
    out
}

fn codes(pages: &[Value]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["items"].as_array().expect("items").iter())
        .map(|o| o["code"].as_str().expect("code").to_owned())
        .collect()
}

async fn organization_pages_cover_everything_once(app: TestApp) {
    let before = app.get_ok("/api/v1/organizations", ADMIN).await["total"]
        .as_i64()
        .expect("total");
    assert_eq!(before, 5, "the provider and four demo clients");
    for i in 1..=7 {
        let (status, body) = app
            .post(
                "/api/v1/organizations",
                Some(ADMIN),
                &json!({"code": format!("PAGE{i:02}"), "name": format!("分页客户 {i}")}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let total = before + 7;

    let first = app
        .get_ok("/api/v1/organizations?limit=3&sort=code", ADMIN)
        .await;
    assert_eq!(first["total"], total, "{first}");
    assert_eq!(first["next"], 3, "{first}");
    assert_eq!(first["items"].as_array().map(Vec::len), Some(3));

    let asc = pages(&app, "/api/v1/organizations?sort=code", 3).await;
    assert_eq!(asc.len(), 4, "12 rows in pages of 3");
    for (i, p) in asc.iter().enumerate() {
        assert_eq!(p["total"], total, "page {i}: total on every page");
        let want_next = if i < 3 {
            json!((i as i64 + 1) * 3)
        } else {
            Value::Null
        };
        assert_eq!(p["next"], want_next, "page {i}: next");
    }
    let asc_codes = codes(&asc);
    let mut sorted = asc_codes.clone();
    sorted.sort();
    assert_eq!(asc_codes, sorted, "sort=code ascends");
    sorted.dedup();
    assert_eq!(sorted.len() as i64, total, "pages neither overlap nor skip");
    for i in 1..=7 {
        assert!(asc_codes.contains(&format!("PAGE{i:02}")));
    }

    let desc = codes(&pages(&app, "/api/v1/organizations?sort=-code", 3).await);
    let mut reversed = asc_codes.clone();
    reversed.reverse();
    assert_eq!(desc, reversed, "sort=-code reverses sort=code");

    // Other page sizes see the same sequence.
    assert_eq!(
        codes(&pages(&app, "/api/v1/organizations?sort=code", 5).await),
        asc_codes
    );
    assert_eq!(
        codes(&pages(&app, "/api/v1/organizations?sort=code", 500).await),
        asc_codes
    );

    // Past the end: empty, total intact, no next.
    let past = app
        .get_ok("/api/v1/organizations?limit=3&offset=50", ADMIN)
        .await;
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["total"], total);
    assert_eq!(past["next"], Value::Null);

    // A filter counts only what it matches.
    let q = pages(&app, "/api/v1/organizations?q=page&sort=-code", 3).await;
    assert_eq!(q[0]["total"], 7, "q filters the total: {}", q[0]);
    assert_eq!(
        codes(&q),
        (1..=7)
            .rev()
            .map(|i| format!("PAGE{i:02}"))
            .collect::<Vec<_>>()
    );
    let kind = app
        .get_ok("/api/v1/organizations?kind=provider", ADMIN)
        .await;
    assert_eq!(kind["total"], 1, "{kind}");
}

async fn user_pages_follow_sort_and_filter(app: TestApp) {
    let all = pages(&app, "/api/v1/users?sort=username", 4).await;
    let names: Vec<String> = all
        .iter()
        .flat_map(|p| p["items"].as_array().expect("items").iter())
        .map(|u| u["username"].as_str().expect("username").to_owned())
        .collect();
    let total = all[0]["total"].as_i64().expect("total");
    assert_eq!(names.len() as i64, total);
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted, "ascending, no repeats");
    let desc = app
        .get_ok("/api/v1/users?sort=-username&limit=1", ADMIN)
        .await;
    assert_eq!(
        desc["items"][0]["username"].as_str(),
        names.last().map(String::as_str)
    );
    assert_eq!(desc["next"], 1);

    let hdjm = app.org_id("HDJM").await;
    let org = app
        .get_ok(&format!("/api/v1/users?org_id={hdjm}&sort=username"), ADMIN)
        .await;
    let in_org: Vec<&str> = org["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(in_org, vec!["sun.hao", "wu.li", "zhou.jg"]);
    let engineers = app.get_ok("/api/v1/users?role=engineer", ADMIN).await;
    assert_eq!(engineers["total"], 4, "{engineers}");
    // LIKE wildcards in q are literal characters.
    for wild in ["%25", "_", "%5C"] {
        let page = app.get_ok(&format!("/api/v1/users?q={wild}"), ADMIN).await;
        assert_eq!(page["total"], 0, "q={wild} is literal: {page}");
    }
    let q = app.get_ok("/api/v1/users?q=%E6%9D%8E", ADMIN).await; // q=李
    assert_eq!(q["items"][0]["username"], "li.qiang", "{q}");
}
