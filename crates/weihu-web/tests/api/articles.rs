//! The knowledge base (issue #18): an article is drafted, reviewed and published; search is
//! Chinese-aware (打印 inside 打印机), ranked with highlights; internal articles and drafts never
//! reach a client; an order is offered matching articles, an article goes on the order, a
//! resolution becomes a draft; client self-service outcomes reach the service-level report.

use serde_json::{Value, json};

use crate::helpers::TestApp;

both_backends!(
    articles_are_reviewed_found_and_kept_from_clients,
    orders_suggest_articles_and_resolutions_become_drafts,
    hostile_articles_are_refused_or_rendered_inert,
    article_images_follow_their_article,
    a_common_word_lists_title_matches_first_then_the_newest,
    the_demo_knowledge_base_is_published_scoped_and_loaded_once,
    a_suggestion_finds_an_old_article_behind_hundreds_of_newer_ones,
);

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("an id: {v}"))
}

async fn write(app: &TestApp, who: &str, body: Value) -> Value {
    let (status, a) = app.post("/api/v1/articles", Some(who), &body).await;
    assert_eq!(status, 201, "{a}");
    a
}

async fn publish(app: &TestApp, who: &str, a: &Value) -> Value {
    let (status, p) = app
        .patch(
            &format!("/api/v1/articles/{}", id(a)),
            Some(who),
            &json!({"version": a["version"], "state": "published"}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    p
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items: {page}"))
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .collect()
}

async fn articles_are_reviewed_found_and_kept_from_clients(app: TestApp) {
    // An engineer writes; the draft is not theirs to publish.
    let jam = write(
        &app,
        "li.qiang",
        json!({"title": "HP 打印机卡纸的处理", "body": "## 步骤\n\n1. 打开后盖\n2. 取出**卡住的纸**\n",
               "category": "打印", "tags": ["HP", "卡纸", "hp"], "asset_types": ["printer"],
               "audience": "clients"}),
    )
    .await;
    assert_eq!(jam["state"], "draft");
    assert_eq!(jam["tags"], json!(["hp", "卡纸"]));
    assert!(
        jam["body_html"]
            .as_str()
            .is_some_and(|h| h.contains("<strong>卡住的纸</strong>")),
        "{jam}"
    );
    let (status, r) = app
        .patch(
            &format!("/api/v1/articles/{}", id(&jam)),
            Some("li.qiang"),
            &json!({"version": jam["version"], "state": "published"}),
        )
        .await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(r["error"]["field"], "state");
    // The desk reviews and publishes; the reviewer is recorded.
    let jam = publish(&app, "wang.fang", &jam).await;
    assert_eq!(jam["state"], "published");
    assert_eq!(jam["reviewer_name"], "王芳");
    let internal = write(
        &app,
        "zhang.wei",
        json!({"title": "打印服务器后台队列清理", "body": "内部：登录 print-srv-01 清空队列。", "audience": "internal"}),
    )
    .await;
    let internal = publish(&app, "zhao.min", &internal).await;
    let draft = write(
        &app,
        "li.qiang",
        json!({"title": "打印机缺粉的判断", "body": "看指示灯", "audience": "clients"}),
    )
    .await;

    // 打印 is found inside 打印机 and 打印服务器; the title match comes first; highlights mark it.
    let staff = app
        .get_ok("/api/v1/articles?q=%E6%89%93%E5%8D%B0", "wang.fang")
        .await;
    let found = ids(&staff);
    for a in [&jam, &internal, &draft] {
        assert!(found.contains(&id(a)), "{} in {staff}", a["title"]);
    }
    let hit = &staff["items"][0];
    assert!(
        hit["title_highlight"]
            .as_array()
            .is_some_and(|s| s.iter().any(|g| g["hit"] == true && g["text"] == "打印")),
        "{hit}"
    );
    // A body word ranks below a title word.
    let q = app
        .get_ok("/api/v1/articles?q=%E5%8D%A1%E7%BA%B8", "wang.fang")
        .await; // 卡纸
    assert_eq!(ids(&q).first(), Some(&id(&jam)), "{q}");
    // A client sees the published client-visible article only: never the internal one, never a draft.
    let client = app
        .get_ok("/api/v1/articles?q=%E6%89%93%E5%8D%B0", "wu.li")
        .await;
    assert_eq!(ids(&client), vec![id(&jam)], "{client}");
    let all = app.get_ok("/api/v1/articles", "wu.li").await;
    assert_eq!(ids(&all), vec![id(&jam)], "{all}");
    for hidden in [&internal, &draft] {
        let (status, _) = app
            .get(&format!("/api/v1/articles/{}", id(hidden)), Some("wu.li"))
            .await;
        assert_eq!(status, 404, "{} is not found by a client", hidden["title"]);
    }
    let (status, _) = app
        .get(
            &format!("/api/v1/articles/{}/revisions", id(&jam)),
            Some("wu.li"),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post("/api/v1/articles", Some("wu.li"), &json!({"title": "x"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .post("/api/v1/articles", Some("liu.yang"), &json!({"title": "x"}))
        .await;
    assert_eq!(status, 403, "finance does not write articles");
    // Suggestions while typing: any word, published only; clients get client-visible ones.
    let s = app.get_ok("/api/v1/article-suggestions?q=%E4%B8%89%E6%A5%BC%E6%89%93%E5%8D%B0%E6%9C%BA%E5%8D%A1%E7%BA%B8%E4%BA%86", "wu.li").await; // 三楼打印机卡纸了
    let sids: Vec<i64> = s
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .collect();
    assert_eq!(sids, vec![id(&jam)], "{s}");
    let s = app
        .get_ok(
            "/api/v1/article-suggestions?q=%E6%89%93%E5%8D%B0%E9%98%9F%E5%88%97",
            "wang.fang",
        )
        .await; // 打印队列
    assert_eq!(s[0]["id"].as_i64(), Some(id(&internal)), "{s}");

    // Every save is a revision; a stale version is refused; archiving hides it from clients.
    let (status, edited) = app
        .patch(
            &format!("/api/v1/articles/{}", id(&jam)),
            Some("zhao.min"),
            &json!({"version": jam["version"], "body": "## 步骤\n\n先关机，再打开后盖。"}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    let (status, _) = app
        .patch(
            &format!("/api/v1/articles/{}", id(&jam)),
            Some("zhao.min"),
            &json!({"version": jam["version"], "title": "y"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, r) = app
        .patch(
            &format!("/api/v1/articles/{}", id(&jam)),
            Some("li.qiang"),
            &json!({"version": edited["version"], "title": "改个标题"}),
        )
        .await;
    assert_eq!(
        status, 403,
        "an engineer does not change a published article: {r}"
    );
    let revs = app
        .get_ok(
            &format!("/api/v1/articles/{}/revisions", id(&jam)),
            "li.qiang",
        )
        .await;
    let versions: Vec<i64> = revs
        .as_array()
        .expect("revisions")
        .iter()
        .filter_map(|r| r["version"].as_i64())
        .collect();
    assert_eq!(versions, vec![3, 2, 1], "{revs}");
    assert!(
        revs[2]["body"].as_str().is_some_and(|b| b.contains("取出")),
        "the first text is kept: {revs}"
    );
    let (status, archived) = app
        .patch(
            &format!("/api/v1/articles/{}", id(&jam)),
            Some("wang.fang"),
            &json!({"version": edited["version"], "state": "archived"}),
        )
        .await;
    assert_eq!(status, 200, "{archived}");
    let (status, _) = app
        .get(&format!("/api/v1/articles/{}", id(&jam)), Some("wu.li"))
        .await;
    assert_eq!(status, 404);
    let (status, r) = app
        .patch(
            &format!("/api/v1/articles/{}", id(&jam)),
            Some("wang.fang"),
            &json!({"version": archived["version"], "state": "published"}),
        )
        .await;
    assert_eq!(
        status, 422,
        "an archived article is reviewed again as a draft: {r}"
    );
    // Filters.
    let f = app
        .get_ok("/api/v1/articles?state=draft&audience=clients", "wang.fang")
        .await;
    assert_eq!(ids(&f), vec![id(&draft)], "{f}");
    let (status, r) = app
        .get("/api/v1/articles?state=nonsense", Some("wang.fang"))
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("state")),
        "{r}"
    );
}

async fn orders_suggest_articles_and_resolutions_become_drafts(app: TestApp) {
    let jam = write(
        &app,
        "li.qiang",
        json!({"title": "打印机卡纸怎么办", "body": "打开后盖取出纸张。", "audience": "clients", "asset_types": ["printer"]}),
    )
    .await;
    let jam = publish(&app, "wang.fang", &jam).await;
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "peripheral", "urgency": "medium", "impact": "low",
                    "subject": "财务部打印机卡纸", "description": "一直亮红灯"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    let oid = id(&o);
    let client = o["client_org_id"].as_i64().expect("client");
    let s = app
        .get_ok(&format!("/api/v1/orders/{oid}/articles"), "wang.fang")
        .await;
    assert_eq!(s[0]["id"].as_i64(), Some(id(&jam)), "{s}");
    // Put on the order: a public comment with its link, which the client reads.
    let (status, after) = app
        .post(
            &format!("/api/v1/orders/{oid}/articles"),
            Some("wang.fang"),
            &json!({"article_id": id(&jam)}),
        )
        .await;
    assert_eq!(status, 200, "{after}");
    let events = app
        .get_ok(&format!("/api/v1/orders/{oid}/events"), "wu.li")
        .await;
    assert!(
        events.to_string().contains(&format!("/kb/{}", id(&jam))),
        "{events}"
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/orders/{oid}/articles"),
            Some("wu.li"),
            &json!({"article_id": id(&jam)}),
        )
        .await;
    assert_eq!(status, 403, "clients do not attach articles");

    // No resolution yet: nothing to write up.
    let (status, r) = app
        .post(
            &format!("/api/v1/orders/{oid}/article-draft"),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("resolution")),
        "{r}"
    );
    let li = app.user_id("li.qiang").await;
    let mut v = app
        .get_ok(&format!("/api/v1/orders/{oid}"), "wang.fang")
        .await["version"]
        .clone();
    for (who, body) in [
        ("wang.fang", json!({"action": "assign", "assignee_id": li})),
        ("li.qiang", json!({"action": "start"})),
        (
            "li.qiang",
            json!({"action": "resolve", "resolution": "更换搓纸轮后恢复"}),
        ),
    ] {
        let mut b = body.clone();
        b["version"] = v.clone();
        let (status, after) = app
            .post(&format!("/api/v1/orders/{oid}/transitions"), Some(who), &b)
            .await;
        assert_eq!(status, 200, "{after}");
        v = after["version"].clone();
    }
    let (status, d) = app
        .post(
            &format!("/api/v1/orders/{oid}/article-draft"),
            Some("li.qiang"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{d}");
    assert_eq!(d["state"], "draft");
    assert_eq!(d["audience"], "internal");
    assert_eq!(d["source_order_id"].as_i64(), Some(oid));
    assert!(
        d["body"]
            .as_str()
            .is_some_and(|b| b.contains("更换搓纸轮后恢复") && b.contains("一直亮红灯")),
        "{d}"
    );

    // Self-service: a client says an article solved it, another reported anyway; staff may not.
    let (status, _) = app
        .post(
            "/api/v1/article-deflections",
            Some("wu.li"),
            &json!({"article_id": id(&jam), "outcome": "solved"}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .post(
            "/api/v1/article-deflections",
            Some("sun.hao"),
            &json!({"outcome": "reported"}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, r) = app
        .post(
            "/api/v1/article-deflections",
            Some("wu.li"),
            &json!({"outcome": "maybe"}),
        )
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("outcome"))
    );
    let (status, _) = app
        .post(
            "/api/v1/article-deflections",
            Some("wang.fang"),
            &json!({"outcome": "solved"}),
        )
        .await;
    assert_eq!(status, 403);
    // A script cannot fill the table: a user's outcomes past the day's cap are not kept.
    for _ in 0..60 {
        let (status, _) = app
            .post(
                "/api/v1/article-deflections",
                Some("zhou.jg"),
                &json!({"outcome": "solved"}),
            )
            .await;
        assert_eq!(status, 204);
    }
    let month = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone"))
        .strftime("%Y-%m")
        .to_string();
    let report = app
        .get_ok(
            &format!("/api/v1/reports/service-level?client_org_id={client}&month={month}"),
            "zhao.min",
        )
        .await;
    assert_eq!(
        report["self_service"]["solved"], 51,
        "{}",
        report["self_service"]
    );
    assert_eq!(report["self_service"]["reported"], 1);
    assert_eq!(report["self_service"]["percent"], "98.08");
}

async fn hostile_articles_are_refused_or_rendered_inert(app: TestApp) {
    let a = write(
        &app,
        "wang.fang",
        json!({"title": "<script>alert(1)</script>", "audience": "clients",
               "body": "<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1)) ![t](https://tracker.example/p.gif)"}),
    )
    .await;
    let h = a["body_html"].as_str().expect("html");
    assert!(
        !h.contains("<img")
            && !h.to_lowercase().contains("javascript:")
            && !h.contains("tracker.example"),
        "{h}"
    );
    let (status, r) = app
        .post(
            "/api/v1/articles",
            Some("wang.fang"),
            &json!({"title": "x", "body": "长".repeat(100_001)}),
        )
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("body")),
        "{r}"
    );
    let (status, r) = app
        .post(
            "/api/v1/articles",
            Some("wang.fang"),
            &json!({"title": "x", "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("tags")),
        "{r}"
    );
    let (status, r) = app
        .post(
            "/api/v1/articles",
            Some("wang.fang"),
            &json!({"title": "x", "asset_types": ["toaster"]}),
        )
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("asset_types")),
        "{r}"
    );
    let (status, r) = app
        .post(
            "/api/v1/articles",
            Some("wang.fang"),
            &json!({"title": "x", "lang": "fr"}),
        )
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("lang")),
        "{r}"
    );
    let (status, r) = app
        .post(
            "/api/v1/articles",
            Some("wang.fang"),
            &json!({"title": "   "}),
        )
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("title")),
        "{r}"
    );
    // Search text past the bounds names q; FTS syntax is only text.
    let (status, r) = app
        .get(
            &format!(
                "/api/v1/articles?q={}",
                (0..40)
                    .map(|i| format!("w{i}"))
                    .collect::<Vec<_>>()
                    .join("%20")
            ),
            Some("wang.fang"),
        )
        .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("q")),
        "{r}"
    );
    for q in [
        "%22",
        "NEAR(a%20b)",
        "a%20OR%20b",
        "*",
        "%27%3B%20DROP%20TABLE%20articles%3B--",
        "%5C",
    ] {
        let (status, r) = app
            .get(&format!("/api/v1/articles?q={q}"), Some("wang.fang"))
            .await;
        assert_eq!(status, 200, "{q}: {r}");
        let (status, r) = app
            .get(&format!("/api/v1/article-suggestions?q={q}"), Some("wu.li"))
            .await;
        assert_eq!(status, 200, "{q}: {r}");
    }
    // The page shows the title as text.
    let browser = crate::helpers::signed_in(&app, "wang.fang").await;
    let html = crate::helpers::page_html(&browser, &app, &format!("/kb/{}", id(&a))).await;
    assert!(
        !html.contains("<script>alert(1)</script>") && html.contains("&#60;script&#62;alert(1)"),
        "the title is escaped: {}",
        html.lines()
            .filter(|l| l.contains("alert"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The suggestions fragment escapes too, and a client's search never sees the staff's words.
    publish(&app, "wang.fang", &a).await;
    let client = crate::helpers::signed_in(&app, "wu.li").await;
    let frag = crate::helpers::page_html(&client, &app, "/kb/suggest?q=alert%20script").await;
    assert!(
        !frag.contains("<script>") && frag.contains("&#60;<mark>script</mark>&#62;"),
        "{frag}"
    );
}

async fn upload(app: &TestApp, user: &str, article: i64, body: Vec<u8>) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/articles/{article}/images")))
        .bearer_auth(app.token(user))
        .header(
            reqwest::header::CONTENT_TYPE,
            format!(
                "multipart/form-data; boundary={}",
                crate::order_work::BOUNDARY
            ),
        )
        .body(body)
        .send()
        .await
        .expect("upload");
    crate::helpers::read(resp).await
}

async fn article_images_follow_their_article(app: TestApp) {
    use crate::order_work::{multipart, png};
    let open = write(
        &app,
        "li.qiang",
        json!({"title": "后盖位置", "body": "见图", "audience": "clients"}),
    )
    .await;
    let internal = write(
        &app,
        "li.qiang",
        json!({"title": "机房布线", "body": "见图"}),
    )
    .await;
    let (status, img) = upload(
        &app,
        "li.qiang",
        id(&open),
        multipart("后盖.png", "image/png", &png(), None),
    )
    .await;
    assert_eq!(status, 201, "{img}");
    let path = img["path"].as_str().expect("path").to_owned();
    assert_eq!(path, format!("/kb/{}/images/{}", id(&open), id(&img)));
    // The Markdown shows it (a path on this site is allowed).
    let (status, a) = app
        .patch(
            &format!("/api/v1/articles/{}", id(&open)),
            Some("li.qiang"),
            &json!({"version": open["version"], "body": format!("见图\n\n![后盖]({path})")}),
        )
        .await;
    assert_eq!(status, 200, "{a}");
    assert!(
        a["body_html"]
            .as_str()
            .is_some_and(|h| h.contains(&format!("<img src=\"{path}\""))),
        "{a}"
    );
    let (status, _) = upload(
        &app,
        "li.qiang",
        id(&internal),
        multipart("x.png", "image/png", &png(), None),
    )
    .await;
    assert_eq!(status, 201);
    // Not an image, or a lie about the type: refused, naming the file.
    let (status, r) = upload(
        &app,
        "li.qiang",
        id(&open),
        multipart("a.txt", "text/plain", b"plain text", None),
    )
    .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("file")),
        "{r}"
    );
    let (status, r) = upload(
        &app,
        "li.qiang",
        id(&open),
        multipart("a.png", "image/png", b"GIF89a....", None),
    )
    .await;
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("file")),
        "{r}"
    );
    // A client reads the image once the article is published for clients, never before, never
    // an internal article's; nor may a client upload.
    let api = format!("/api/v1/articles/{}/images/{}", id(&open), id(&img));
    let (status, _) = app.get(&api, Some("wu.li")).await;
    assert_eq!(status, 404, "a draft's image is not shown to a client");
    publish(&app, "wang.fang", &a).await;
    let resp = app
        .client
        .get(app.url(&api))
        .bearer_auth(app.token("wu.li"))
        .send()
        .await
        .expect("GET image");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert_eq!(resp.bytes().await.expect("bytes").to_vec(), png());
    let (status, _) = app
        .get(
            &format!("/api/v1/articles/{}/images", id(&internal)),
            Some("wu.li"),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = upload(
        &app,
        "wu.li",
        id(&open),
        multipart("x.png", "image/png", &png(), None),
    )
    .await;
    assert_eq!(
        status, 404,
        "a client cannot write to an article (told it does not exist)"
    );
}

async fn a_common_word_lists_title_matches_first_then_the_newest(app: TestApp) {
    let system = weihu_store::Actor::system(0);
    let new = |title: String, body: &str| weihu_store::articles::NewArticle {
        title,
        body: body.to_owned(),
        ..Default::default()
    };
    let mut titled = Vec::new();
    for n in 0..3 {
        let a = weihu_store::articles::create(
            &app.store,
            &system,
            &new(format!("打印机故障 {n}"), "步骤"),
        )
        .await
        .expect("article");
        titled.push(a.id);
    }
    for n in 0..(weihu_store::articles::COUNT_CAP + 10) {
        weihu_store::articles::create(
            &app.store,
            &system,
            &new(format!("文章 {n}"), "检查打印队列"),
        )
        .await
        .expect("article");
    }
    let first = app
        .get_ok(
            "/api/v1/articles?q=%E6%89%93%E5%8D%B0&limit=20",
            "wang.fang",
        )
        .await;
    assert_eq!(first["total_capped"], true, "{}", first["total"]);
    let page1 = ids(&first);
    assert_eq!(page1.len(), 20);
    let mut head = page1[..3].to_vec();
    head.sort_unstable();
    assert_eq!(head, titled, "title matches come first");
    assert!(
        page1[3..].windows(2).all(|w| w[0] > w[1]),
        "then the newest: {page1:?}"
    );
    let mut seen = page1.clone();
    for offset in [20, 40] {
        let p = app
            .get_ok(
                &format!("/api/v1/articles?q=%E6%89%93%E5%8D%B0&limit=20&offset={offset}"),
                "wang.fang",
            )
            .await;
        let more = ids(&p);
        assert_eq!(more.len(), 20);
        assert!(
            more.iter().all(|i| !seen.contains(i)),
            "no article twice across pages"
        );
        seen.extend(more);
    }
    // A client never gets drafts, even on this path.
    let client = app
        .get_ok("/api/v1/articles?q=%E6%89%93%E5%8D%B0", "wu.li")
        .await;
    assert_eq!(ids(&client), Vec::<i64>::new(), "{client}");
}

/// `weihu demo` shows a knowledge base and a known error: client self-help and internal
/// procedures (one a draft) and the finance printer's problem with its workaround on the order.
async fn the_demo_knowledge_base_is_published_scoped_and_loaded_once(app: TestApp) {
    weihu_store::demo::load_knowledge(&app.store)
        .await
        .expect("demo knowledge");
    let staff = app.get_ok("/api/v1/articles?limit=100", "wang.fang").await;
    let all = staff["items"].as_array().expect("items").clone();
    assert!(all.len() >= 6, "{staff}");
    assert!(all.iter().any(|a| a["state"] == "draft"), "{staff}");
    assert!(all.iter().any(|a| a["audience"] == "internal"), "{staff}");
    assert!(all.iter().any(|a| a["lang"] == "en"), "{staff}");
    // A client finds only published client-visible ones, by a word inside a longer one.
    let client = app.get_ok("/api/v1/articles?limit=100", "wu.li").await;
    let theirs = client["items"].as_array().expect("items");
    assert!(!theirs.is_empty(), "{client}");
    assert!(
        theirs
            .iter()
            .all(|a| a["state"] == "published" && a["audience"] == "clients"),
        "{client}"
    );
    let found = app
        .get_ok("/api/v1/articles?q=%E5%8D%A1%E7%BA%B8", "wu.li") // 卡纸
        .await;
    assert_eq!(
        found["items"][0]["title"], "打印机提示卡纸的自助处理",
        "{found}"
    );
    // The printer order shows the known error's workaround.
    let problems = app.get_ok("/api/v1/problems?open=true", "wang.fang").await;
    let p = problems["items"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["title"] == "财务部 HP 打印机反复卡纸"))
        .cloned()
        .unwrap_or_else(|| panic!("the demo problem: {problems}"));
    assert_eq!(p["state"], "known_error");
    let p = app
        .get_ok(&format!("/api/v1/problems/{}", id(&p)), "wang.fang")
        .await;
    let order = p["orders"][0]["order_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a linked order: {p}"));
    let on_order = app
        .get_ok(&format!("/api/v1/orders/{order}/problems"), "wu.li")
        .await;
    assert!(
        on_order[0]["workaround"]
            .as_str()
            .is_some_and(|w| w.contains("70 克纸")),
        "{on_order}"
    );
    // Loading it again adds nothing.
    weihu_store::demo::load_knowledge(&app.store)
        .await
        .expect("demo knowledge again");
    let again = app.get_ok("/api/v1/articles?limit=100", "wang.fang").await;
    assert_eq!(again["total"], staff["total"]);
    let problems_again = app.get_ok("/api/v1/problems?open=true", "wang.fang").await;
    assert_eq!(problems_again["total"], problems["total"]);
}

/// The fill-up of a suggestion (no title matches) finds a body match however old: PostgreSQL
/// checks the newest few hundred articles one by one, then asks the index for older ones.
async fn a_suggestion_finds_an_old_article_behind_hundreds_of_newer_ones(app: TestApp) {
    use weihu_store::articles::{self, ArticlePatch, NewArticle};
    let system = weihu_store::Actor::system(0);
    let publish = |a: weihu_store::articles::Article| {
        let system = system.clone();
        let store = app.store.clone();
        async move {
            articles::update(
                &store,
                &system,
                a.id,
                &ArticlePatch {
                    version: a.version,
                    state: Some("published".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("publish")
        }
    };
    let old = |title: &str, audience: &str| NewArticle {
        title: title.into(),
        body: "蓝牙键盘没有反应时，先更换电池，再重新配对。".into(),
        audience: Some(audience.into()),
        ..Default::default()
    };
    let shared = publish(
        articles::create(&app.store, &system, &old("外设排障记录", "clients"))
            .await
            .expect("article"),
    )
    .await;
    let internal = publish(
        articles::create(&app.store, &system, &old("内部排障记录", "internal"))
            .await
            .expect("article"),
    )
    .await;
    for n in 0..320 {
        let a = articles::create(
            &app.store,
            &system,
            &NewArticle {
                title: format!("巡检记录 {n}"),
                body: format!("机房温度正常 {n}"),
                audience: Some("clients".into()),
                ..Default::default()
            },
        )
        .await
        .expect("article");
        publish(a).await;
    }
    let path = "/api/v1/article-suggestions?q=%E8%93%9D%E7%89%99%E9%94%AE%E7%9B%98%E6%B2%A1%E5%8F%8D%E5%BA%94"; // 蓝牙键盘没反应
    let staff = app.get_ok(path, "wang.fang").await;
    let found: Vec<i64> = staff
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .collect();
    assert_eq!(found, vec![internal.id, shared.id], "newest first: {staff}");
    let client = app.get_ok(path, "wu.li").await;
    let found: Vec<i64> = client
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .collect();
    assert_eq!(
        found,
        vec![shared.id],
        "a client: client-visible only: {client}"
    );
}
