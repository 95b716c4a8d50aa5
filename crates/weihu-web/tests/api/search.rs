//! Text search at scale: a search counts its matches only up to a cap (the API says so with
//! `total_capped`, the board shows "N+"), and with more matches than it ranks it lists the
//! newest first. The limits (10,000 and 1,000) are lowered for this test process with
//! `testing::search_limits`, so a handful of orders reaches both.

use serde_json::{Value, json};
use weihu_store::testing;

use crate::helpers::{TestApp, page_html, read, signed_in};

both_backends!(search_counts_up_to_the_cap_and_lists_many_matches_newest_first);

const DESK: &str = "wang.fang";

fn enc(q: &str) -> String {
    url::form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// Every page of `path` (which has `q` and no limit) with page size `limit`, following `next`.
async fn all_pages(app: &TestApp, user: &str, path: &str, limit: i64) -> (Vec<Value>, Vec<i64>) {
    let mut pages = Vec::new();
    let mut ids = Vec::new();
    let mut offset = Some(0);
    while let Some(o) = offset {
        assert!(pages.len() < 20, "paging does not end: {path}");
        let page = app
            .get_ok(&format!("{path}&limit={limit}&offset={o}"), user)
            .await;
        ids.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|o| o["id"].as_i64().expect("id")),
        );
        offset = page["next"].as_i64();
        pages.push(page);
    }
    (pages, ids)
}

async fn search_counts_up_to_the_cap_and_lists_many_matches_newest_first(app: TestApp) {
    testing::search_limits(5, 3, weihu_store::orders::search::SCAN_COUNT);
    // Seven orders of one client with the word, four of them also in the meeting room, and one
    // of another client: created together, so the writer takes them in one batch.
    let mut bodies = Vec::new();
    for i in 0..7 {
        let room = if i % 2 == 0 { " 会议室" } else { "" };
        bodies.push((
            "wu.li",
            json!({"category": "peripheral", "urgency": "low", "impact": "low",
                   "subject": format!("蓝牙音箱没有声音{room} no. {i}"), "description": "搜索上限测试"}),
        ));
    }
    bodies.push((
        "he.yun",
        json!({"category": "peripheral", "urgency": "low", "impact": "low",
               "subject": "蓝牙音箱 another client", "description": ""}),
    ));
    let mut set = tokio::task::JoinSet::new();
    for (i, (user, body)) in bodies.iter().enumerate() {
        let req = app
            .client
            .post(app.url("/api/v1/orders"))
            .bearer_auth(app.token(user))
            .json(body);
        set.spawn(async move {
            (
                i,
                read(req.send().await.expect("POST /api/v1/orders")).await,
            )
        });
    }
    let mut created = Vec::new();
    while let Some(r) = set.join_next().await {
        created.push(r.expect("the request task"));
    }
    created.sort_by_key(|(i, _)| *i);
    let mut hdjm_ids = Vec::new();
    let mut all_ids = Vec::new();
    for ((user, _), (_, (status, order))) in bodies.iter().zip(&created) {
        assert_eq!(*status, 201, "{order}");
        let id = order["id"].as_i64().expect("id");
        all_ids.push(id);
        if *user == "wu.li" {
            hdjm_ids.push(id);
        }
    }
    let newest_first = |ids: &[i64]| {
        let mut v = ids.to_vec();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    };
    let q = enc("蓝牙音箱");

    // The desk, no other filter (counted and cut in the index): 8 matches, counted to 5.
    let (pages, ids) = all_pages(&app, DESK, &format!("/api/v1/orders?q={q}"), 3).await;
    assert_eq!(pages[0]["total"], 5, "{}", pages[0]);
    assert_eq!(pages[0]["total_capped"], true, "{}", pages[0]);
    assert_eq!(
        ids,
        newest_first(&all_ids),
        "every match once, newest first"
    );
    assert_eq!(pages.len(), 3, "pages go on while they come back full");

    // A count that stopped at the cap is no reason to rank, even when the cap is the ranking
    // bound: 8 matches, counted to 5 (= the most ranked), still newest first.
    testing::search_limits(5, 5, weihu_store::orders::search::SCAN_COUNT);
    let (_, ids) = all_pages(&app, DESK, &format!("/api/v1/orders?q={q}"), 8).await;
    assert_eq!(ids, newest_first(&all_ids), "a capped count is not ranked");
    testing::search_limits(5, 3, weihu_store::orders::search::SCAN_COUNT);

    // With a client filter: 7 matches, counted to 5, newest first — whether the client's few
    // orders are checked one by one (the filters leave fewer than the scan limit) or every
    // match of the word is joined to the orders (they leave more).
    let hdjm = app.org_id("HDJM").await;
    // An internal note: the desk finds it, the client does not.
    let noted = hdjm_ids[2];
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{noted}/comments"),
            Some(DESK),
            &json!({"body": "内部备注 zebrafinch", "public": false}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // Filtered searches start from the word's matches (a count cap of 100: the word is
    // countable and the client has more orders than it matches) or from the client's orders
    // (a cap of 5: too common to count). Either way the same orders, newest first.
    for cap in [100, 5] {
        testing::search_limits(cap, 3, weihu_store::orders::search::SCAN_COUNT);
        let desk = app
            .get_ok(
                &format!("/api/v1/orders?q=zebrafinch&client_org_id={hdjm}"),
                DESK,
            )
            .await;
        assert_eq!(desk["total"], 1, "cap {cap}: {desk}");
        assert_eq!(desk["items"][0]["id"], noted);
        let client = app.get_ok("/api/v1/orders?q=zebrafinch", "wu.li").await;
        assert_eq!(client["total"], 0, "cap {cap}: {client}");

        let (pages, ids) = all_pages(
            &app,
            DESK,
            &format!("/api/v1/orders?q={q}&client_org_id={hdjm}"),
            4,
        )
        .await;
        let (want_total, want_flag) = if cap == 5 {
            (json!(5), json!(true))
        } else {
            (json!(7), Value::Null)
        };
        assert_eq!(pages[0]["total"], want_total, "cap {cap}");
        assert_eq!(pages[0]["total_capped"], want_flag, "cap {cap}");
        assert_eq!(ids, newest_first(&hdjm_ids), "cap {cap}");
        // Among open orders only.
        let (_, open) = all_pages(&app, DESK, &format!("/api/v1/orders?q={q}&open=true"), 50).await;
        assert_eq!(open, newest_first(&all_ids), "cap {cap}");
    }
    // Starting from the client's orders, the count looks at the newest few only (here 2, both
    // matches): at least 2, and the pages go on to every match.
    testing::search_limits(5, 3, 2);
    let (pages, ids) = all_pages(
        &app,
        DESK,
        &format!("/api/v1/orders?q={q}&client_org_id={hdjm}"),
        3,
    )
    .await;
    assert_eq!(pages[0]["total"], 2, "{}", pages[0]);
    assert_eq!(pages[0]["total_capped"], true);
    assert_eq!(ids, newest_first(&hdjm_ids));
    testing::search_limits(5, 3, weihu_store::orders::search::SCAN_COUNT);

    // The client sees its own seven only, the same way.
    let (pages, ids) = all_pages(&app, "wu.li", &format!("/api/v1/orders?q={q}"), 10).await;
    assert_eq!(pages[0]["total_capped"], true);
    assert_eq!(ids, newest_first(&hdjm_ids));

    // Four matches: under the cap (an exact total, no flag) but more than are ranked: newest first.
    let room: Vec<i64> = hdjm_ids.iter().copied().step_by(2).collect();
    let page = app
        .get_ok(
            &format!("/api/v1/orders?q={}", enc("蓝牙音箱 会议室")),
            DESK,
        )
        .await;
    assert_eq!(page["total"], 4, "{page}");
    assert!(page.get("total_capped").is_none(), "{page}");
    let got: Vec<i64> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(got, newest_first(&room));

    // A sort still applies to a capped search.
    let (_, ids) = all_pages(
        &app,
        DESK,
        &format!("/api/v1/orders?q={q}&sort=created_at"),
        5,
    )
    .await;
    let mut oldest_first = all_ids.clone();
    oldest_first.sort_unstable();
    assert_eq!(ids, oldest_first);

    // Lists without a search count everything, without the flag.
    let page = app.get_ok("/api/v1/orders?limit=1", DESK).await;
    assert!(page.get("total_capped").is_none(), "{page}");
    assert!(page["total"].as_i64().expect("total") > 8);

    // The board says "5+".
    let browser = signed_in(&app, DESK).await;
    let html = page_html(&browser, &app, &format!("/orders?q={q}")).await;
    assert!(
        html.contains(r#"data-testid="orders-total">5+</span>"#),
        "the board shows the capped total: {html}"
    );
}
