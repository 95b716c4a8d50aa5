//! Mail (issue #17) without a relay: the outbox fills in the transaction of each event, in the
//! recipient's language, honouring each user's choice and showing who has no address; messages
//! that arrive become orders, comments, review items or nothing, by the domain's route.

use serde_json::{Value, json};
use weihu_mail::Limits;
use weihu_web::mail::intake::{self, Intake, Outcome};

use crate::helpers::TestApp;

both_backends!(outbox_follows_events, arriving_mail_is_routed);

const DOMAIN: &str = "desk.weihu.test";

fn intake() -> Intake {
    Intake::new(DOMAIN.into(), Limits::default())
}

async fn outbox(app: &TestApp, query: &str) -> Vec<Value> {
    let body = app
        .get_ok(&format!("/api/v1/mail/outbox?limit=200{query}"), "it.admin")
        .await;
    body["items"].as_array().cloned().unwrap_or_default()
}

async fn report(app: &TestApp, user: &str, subject: &str) -> i64 {
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some(user),
            &json!({"category": "hardware", "urgency": "medium", "impact": "medium",
                    "subject": subject, "description": "三楼打印机"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    o["id"].as_i64().expect("id")
}

async fn outbox_follows_events(app: TestApp) {
    // Only the administrator reads the outbox.
    let (status, _) = app.get("/api/v1/mail/outbox", Some("wang.fang")).await;
    assert_eq!(status, 403);
    let (status, body) = app
        .get("/api/v1/mail/outbox?state=nope", Some("it.admin"))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "state");

    // A fault report: "received" to the requester, in the same transaction as the order.
    let oid = report(&app, "wu.li", "打印机卡纸 mail").await;
    let mails = outbox(&app, &format!("&order_id={oid}")).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["kind"], "order_received");
    assert_eq!(mails[0]["to_addr"], "wu.li@example.com");
    assert_eq!(mails[0]["state"], "queued");

    // Assigned: the engineer hears of it; a public comment by the desk: the requester.
    let li = app.user_id("li.qiang").await;
    let version = app
        .get_ok(&format!("/api/v1/orders/{oid}"), "wang.fang")
        .await["version"]
        .clone();
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{oid}/transitions"),
            Some("wang.fang"),
            &json!({"action": "assign", "assignee_id": li, "version": version}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(
            &format!("/api/v1/orders/{oid}/comments"),
            Some("li.qiang"),
            &json!({"body": "明天上午到场", "public": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mails = outbox(&app, &format!("&order_id={oid}")).await;
    let kinds: Vec<(&str, &str)> = mails
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap_or(""),
                m["to_addr"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("assigned", "li.qiang@example.com")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("comment", "wu.li@example.com")),
        "{kinds:?}"
    );
    let comment = mails
        .iter()
        .find(|m| m["kind"] == "comment")
        .expect("comment mail");
    assert_eq!(comment["detail"], "明天上午到场");

    // wu.li turns comment mail off; mandatory kinds cannot be.
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/mail",
            Some("wu.li"),
            Some(&json!({"off": ["resolved"]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "off");
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/mail",
            Some("wu.li"),
            Some(&json!({"off": ["bogus"]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/mail",
            Some("wu.li"),
            Some(&json!({"off": ["comment"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["off"], json!(["comment"]));
    assert_eq!(body["has_address"], true);
    let (status, _) = app
        .post(
            &format!("/api/v1/orders/{oid}/comments"),
            Some("li.qiang"),
            &json!({"body": "第二条", "public": true}),
        )
        .await;
    assert_eq!(status, 201);
    let comments = outbox(&app, &format!("&order_id={oid}"))
        .await
        .into_iter()
        .filter(|m| m["kind"] == "comment")
        .count();
    assert_eq!(comments, 1, "no second comment mail after turning it off");

    // A user without an address: the mail is recorded as skipped, and the API says so.
    let sun = app.user_id("sun.hao").await;
    let (_, u) = app
        .get(&format!("/api/v1/users/{sun}"), Some("it.admin"))
        .await;
    let (status, body) = app
        .patch(
            &format!("/api/v1/users/{sun}"),
            Some("it.admin"),
            &json!({"version": u["version"], "email": ""}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, me) = app.get("/api/v1/me/mail", Some("sun.hao")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["has_address"], false);
    let oid2 = report(&app, "sun.hao", "没有邮箱的用户").await;
    let mails = outbox(&app, &format!("&order_id={oid2}")).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["state"], "skipped");
    assert_eq!(mails[0]["last_error"], "no e-mail address");

    // Only a failed or expired mail is sent again.
    let queued = mails[0]["id"].as_i64().expect("id");
    let (status, body) = app
        .post(
            &format!("/api/v1/mail/outbox/{queued}/retry"),
            Some("it.admin"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .post(
            "/api/v1/mail/outbox/999999/retry",
            Some("it.admin"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);

    // A breached clock: the dispatcher and the service-level manager get a mail each.
    let far = weihu_store::now_ms() + 400 * 24 * 3600 * 1000;
    weihu_store::orders::evaluate_due_clocks(&app.store, Some(far), 500)
        .await
        .expect("evaluate the clocks");
    let breached: Vec<String> = outbox(&app, &format!("&order_id={oid}"))
        .await
        .into_iter()
        .filter(|m| m["kind"] == "clock_breached")
        .filter_map(|m| m["to_addr"].as_str().map(str::to_owned))
        .collect();
    for who in [
        "wang.fang@example.com",
        "zhao.min@example.com",
        "li.qiang@example.com",
    ] {
        assert!(
            breached.iter().any(|a| a == who),
            "{who} hears of the breach: {breached:?}"
        );
    }

    // The mail page shows the administrator that mail is off, and the outbox.
    let browser = crate::helpers::signed_in(&app, "it.admin").await;
    let html = crate::helpers::page_html(&browser, &app, "/mail").await;
    assert!(html.contains("data-testid=\"mail-off\""), "mail-off banner");
    assert!(html.contains("wu.li@example.com"));
}

fn message(from: &str, subject: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: desk@{DOMAIN}\r\nSubject: {subject}\r\nMessage-ID: <{}@client.example>\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}",
        weihu_store::credentials::random_token(8).expect("random")
    )
    .into_bytes()
}

async fn arriving_mail_is_routed(app: TestApp) {
    let i = intake();
    // A known client user: a new order of that client, channel email.
    let raw = message(
        "吴丽 <WU.LI@example.com>",
        "=?UTF-8?B?5omT5Y2w5py65Z2P5LqG?=",
        "",
        "三楼的打印机不出纸",
    );
    let out = intake::receive(&app.store, &i, &raw, "test")
        .await
        .expect("receive");
    let Outcome::Order {
        order_id, number, ..
    } = out.clone()
    else {
        panic!("an order: {out:?}")
    };
    let o = app
        .get_ok(&format!("/api/v1/orders/{order_id}"), "wang.fang")
        .await;
    assert_eq!(o["subject"], "打印机坏了");
    assert_eq!(o["channel"], "email");
    assert_eq!(o["requester_id"], app.user_id("wu.li").await);

    // The same message again (fetched twice): taken once.
    assert_eq!(
        intake::receive(&app.store, &i, &raw, "test")
            .await
            .expect("receive"),
        Outcome::Duplicate
    );

    // A reply naming the number: a public comment without the quoted history.
    let reply = message(
        "wu.li@example.com",
        &format!("Re: [{number}] 已受理"),
        "",
        "换了纸还是不行\r\n\r\n-----原始邮件-----\r\n发件人: desk\r\n旧内容",
    );
    let out = intake::receive(&app.store, &i, &reply, "test")
        .await
        .expect("receive");
    assert_eq!(
        out,
        Outcome::Comment {
            inbox: match out {
                Outcome::Comment { inbox, .. } => inbox,
                _ => 0,
            },
            order_id
        }
    );
    let (_, events) = app
        .get(
            &format!("/api/v1/orders/{order_id}/events"),
            Some("wang.fang"),
        )
        .await;
    let bodies: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "comment")
        .filter_map(|e| e["body"].as_str())
        .collect();
    assert_eq!(bodies, vec!["换了纸还是不行"], "{events}");

    // A reply by In-Reply-To only (our thread id), from a user of another client: review.
    let thread = weihu_mail::order_thread_id(order_id, DOMAIN);
    let other = message(
        "he.yun@example.com",
        "Re: 打印机",
        &format!("In-Reply-To: {thread}\r\n"),
        "我们也坏了",
    );
    let out = intake::receive(&app.store, &i, &other, "test")
        .await
        .expect("receive");
    assert!(
        matches!(&out, Outcome::Review { reason, .. } if reason == "sender of another client"),
        "{out:?}"
    );

    // Auto-replies, bounces and our own mail coming back are recorded, never answered.
    for (from, extra) in [
        ("wu.li@example.com", "Auto-Submitted: auto-replied\r\n"),
        ("MAILER-DAEMON@mx.example", ""),
        ("wu.li@example.com", "Precedence: bulk\r\n"),
    ] {
        let out = intake::receive(
            &app.store,
            &i,
            &message(from, "Out of office", extra, "away"),
            "test",
        )
        .await
        .expect("receive");
        assert!(
            matches!(out, Outcome::Ignored { .. }),
            "{from} {extra}: {out:?}"
        );
    }
    let ours = format!(
        "From: wu.li@example.com\r\nSubject: loop\r\nMessage-ID: {}\r\n\r\nx",
        weihu_mail::outbox_message_id(1, 1, DOMAIN)
    );
    assert!(matches!(
        intake::receive(&app.store, &i, ours.as_bytes(), "test")
            .await
            .expect("receive"),
        Outcome::Ignored { .. }
    ));
    // Garbage and oversized messages are recorded too.
    let tiny = Intake::new(
        DOMAIN.into(),
        Limits {
            max_bytes: 10_000,
            ..Limits::default()
        },
    );
    let big = message("wu.li@example.com", "big", "", &"x".repeat(20_000));
    assert!(matches!(
        intake::receive(&app.store, &tiny, &big, "test")
            .await
            .expect("receive"),
        Outcome::Ignored { .. }
    ));
    assert!(matches!(
        intake::receive(&app.store, &i, b"\x00\x01 not mail", "test")
            .await
            .expect("receive"),
        Outcome::Ignored { .. }
    ));

    // GBK body and encoded-word subject from an unknown sender: readable in the review queue.
    let mut gbk = format!(
        "From: stranger@unknown.example\r\nSubject: =?GB2312?B?tPLTobv6?=\r\nMessage-ID: <gbk-{}@x>\r\nContent-Type: text/plain; charset=GBK\r\n\r\n",
        weihu_store::credentials::random_token(6).expect("random")
    )
    .into_bytes();
    gbk.extend([0xB4, 0xF2, 0xD3, 0xA1, 0xBB, 0xFA, 0xBB, 0xB5, 0xC1, 0xCB]);
    let out = intake::receive(&app.store, &i, &gbk, "test")
        .await
        .expect("receive");
    let Outcome::Review { inbox, .. } = out else {
        panic!("review: {out:?}")
    };
    let item = app
        .get_ok(&format!("/api/v1/mail/inbox/{inbox}"), "wang.fang")
        .await;
    assert_eq!(item["subject"], "打印机");
    assert_eq!(item["body"], "打印机坏了");
    assert_eq!(item["has_raw"], true);

    // The queue: engineers may not see it; the dispatcher accepts one for a client and rejects
    // another; a decided message cannot be decided again.
    let (status, _) = app
        .get("/api/v1/mail/inbox?state=review", Some("li.qiang"))
        .await;
    assert_eq!(status, 403);
    let queue = app
        .get_ok("/api/v1/mail/inbox?state=review", "wang.fang")
        .await;
    assert_eq!(queue["total"], 2, "{queue}");
    let client = o["client_org_id"].as_i64().expect("client");
    let (status, made) = app
        .post(
            &format!("/api/v1/mail/inbox/{inbox}/accept"),
            Some("wang.fang"),
            &json!({"client_org_id": client}),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    assert_eq!(made["channel"], "email");
    assert_eq!(made["subject"], "打印机");
    let (status, again) = app
        .post(
            &format!("/api/v1/mail/inbox/{inbox}/reject"),
            Some("wang.fang"),
            &json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(status, 422, "{again}");
    let other_id = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["id"].as_i64().unwrap_or(0))
        .find(|id| *id != inbox)
        .expect("the other");
    let (status, rejected) = app
        .post(
            &format!("/api/v1/mail/inbox/{other_id}/reject"),
            Some("wang.fang"),
            &json!({"reason": "不是报修"}),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["has_raw"], true);
    let queue = app
        .get_ok("/api/v1/mail/inbox?state=review", "wang.fang")
        .await;
    assert_eq!(queue["total"], 0, "{queue}");

    // Hostile: a flood of mail from strangers fills the queue up to its cap, then is recorded
    // without entering it.
    let capped = Intake {
        review_cap: 3,
        ..intake()
    };
    let mut outcomes = Vec::new();
    for n in 0..5 {
        let spam = message("spam@bulk.example", &format!("offer {n}"), "", "buy now");
        outcomes.push(
            intake::receive(&app.store, &capped, &spam, "test")
                .await
                .expect("receive"),
        );
    }
    let queued = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Review { .. }))
        .count();
    let dropped = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Ignored { reason, .. } if reason.contains("review queue is full")))
        .count();
    assert_eq!((queued, dropped), (3, 2), "{outcomes:?}");
    for item in app
        .get_ok("/api/v1/mail/inbox?state=review", "wang.fang")
        .await["items"]
        .as_array()
        .expect("items")
    {
        let id = item["id"].as_i64().expect("id");
        let (status, _) = app
            .post(
                &format!("/api/v1/mail/inbox/{id}/reject"),
                Some("wang.fang"),
                &json!({}),
            )
            .await;
        assert_eq!(status, 200);
    }

    // A reply to an order resolved yesterday: added, and the sender is offered reopening.
    sqlx::query("UPDATE orders SET state = 'resolved', resolved_at = $1 WHERE id = $2")
        .bind(weihu_store::now_ms() - 24 * 3600 * 1000)
        .bind(order_id)
        .execute(app.store.pool())
        .await
        .expect("resolve the order");
    let recent = message(
        "wu.li@example.com",
        &format!("Re: [{number}] 已解决"),
        "",
        "还是不出纸",
    );
    let out = intake::receive(&app.store, &i, &recent, "test")
        .await
        .expect("receive");
    assert!(
        matches!(out, Outcome::Comment { order_id: o, .. } if o == order_id),
        "{out:?}"
    );
    let offers = app
        .get_ok(
            &format!("/api/v1/mail/outbox?order_id={order_id}&limit=200"),
            "it.admin",
        )
        .await;
    let offer = offers["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["kind"] == "reopen_offer")
        .cloned()
        .unwrap_or_else(|| panic!("a reopen offer: {offers}"));
    assert_eq!(offer["to_addr"], "wu.li@example.com");
    assert_eq!(offer["detail"], "还是不出纸");

    // A reply to an order resolved long ago becomes a follow-up order linked to it.
    sqlx::query("UPDATE orders SET state = 'closed', resolved_at = 1, closed_at = 1 WHERE id = $1")
        .bind(order_id)
        .execute(app.store.pool())
        .await
        .expect("close the order");
    let late = message(
        "wu.li@example.com",
        &format!("Re: [{number}] 又坏了"),
        "",
        "又不出纸了",
    );
    let out = intake::receive(&app.store, &i, &late, "test")
        .await
        .expect("receive");
    let Outcome::Order {
        order_id: follow, ..
    } = out
    else {
        panic!("follow-up: {out:?}")
    };
    let f = app
        .get_ok(&format!("/api/v1/orders/{follow}"), "wang.fang")
        .await;
    let links = f["links"].as_array().cloned().unwrap_or_default();
    assert!(
        links
            .iter()
            .any(|l| l["relation"] == "follow_up_of" && l["order_id"] == order_id),
        "{f}"
    );
}
