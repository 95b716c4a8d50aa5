//! Authentication (tokens: missing, garbage, revoked, deactivated user) and the role rules of
//! the API, with the audit trail of the writes they allow.

use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, assert_error, read};

both_backends!(
    requests_without_valid_credentials_are_401,
    revoked_tokens_and_deactivated_users_fail_at_once,
    roles_decide_who_may_write,
    audit_log_is_admin_only_and_records_writes,
);

async fn requests_without_valid_credentials_are_401(app: TestApp) {
    let paths = [
        "/api/v1/me",
        "/api/v1/organizations",
        "/api/v1/users",
        "/api/v1/tokens",
        "/api/v1/audit-log",
        "/api/v1/users/1",
    ];
    let bad_headers = [
        None,
        Some("Bearer "),
        Some("Bearer nonsense"),
        Some("Bearer wh_thisisnotatokenthisisnotatoken0000"),
        Some("Basic aXQuYWRtaW46d2VpaHUtZGVtbw=="), // it.admin:weihu-demo
        Some("bearer wh_lowercase_scheme"),
    ];
    for path in paths {
        for h in bad_headers {
            let mut req = app.client.get(app.url(path));
            if let Some(h) = h {
                req = req.header(AUTHORIZATION, h);
            }
            let r = read(req.send().await.expect("send")).await;
            assert_error(
                &format!("GET {path} with {h:?}"),
                &r,
                401,
                "unauthorized",
                None,
            );
        }
    }
    // A token with a space or junk appended is a different token.
    let good = app.token("wu.li").to_owned();
    for h in [
        format!("Bearer {good}x"),
        format!("Bearer {}", &good[..good.len() - 1]),
    ] {
        let req = app
            .client
            .get(app.url("/api/v1/me"))
            .header(AUTHORIZATION, h);
        let r = read(req.send().await.expect("send")).await;
        assert_error("an altered token", &r, 401, "unauthorized", None);
    }
    // Writes too, before any body is read.
    let r = app
        .post(
            "/api/v1/organizations",
            None,
            &json!({"code": "ANON", "name": "匿名"}),
        )
        .await;
    assert_error("anonymous POST", &r, 401, "unauthorized", None);
    let me = app.get_ok("/api/v1/me", "wu.li").await;
    assert_eq!(me["username"], "wu.li", "the real token works");
}

async fn revoked_tokens_and_deactivated_users_fail_at_once(app: TestApp) {
    let li = app.user_id("li.qiang").await;
    // An administrator makes a token for li.qiang; the secret is shown once.
    let (status, created) = app
        .post(
            "/api/v1/tokens",
            Some(ADMIN),
            &json!({"name": "脚本", "user_id": li}),
        )
        .await;
    assert_eq!(status, 201, "create a token: {created}");
    let secret = created["secret"].as_str().expect("the secret").to_owned();
    assert!(secret.starts_with("wh_"), "token prefix: {secret}");
    assert!(secret.starts_with(created["prefix"].as_str().expect("prefix")));
    let id = created["id"].as_i64().expect("id");
    let shown = app.get_ok(&format!("/api/v1/tokens/{id}"), ADMIN).await;
    assert!(
        shown.get("secret").is_none(),
        "the secret is not shown again: {shown}"
    );
    assert!(
        !shown.to_string().contains(&secret),
        "no part of the response holds the secret: {shown}"
    );

    let me = |secret: String| {
        let app = &app;
        async move {
            let req = app.client.get(app.url("/api/v1/me")).bearer_auth(secret);
            read(req.send().await.expect("send")).await
        }
    };
    let (status, body) = me(secret.clone()).await;
    assert_eq!((status, body["id"].as_i64()), (200, Some(li)), "{body}");

    let (status, revoked) = app
        .delete(&format!("/api/v1/tokens/{id}"), Some(ADMIN))
        .await;
    assert_eq!(status, 200, "revoke: {revoked}");
    assert!(
        revoked["revoked_at"].is_string(),
        "revoked_at is set: {revoked}"
    );
    let r = me(secret.clone()).await;
    assert_error("the revoked token", &r, 401, "unauthorized", None);
    // Revoking again changes nothing.
    let (status, again) = app
        .delete(&format!("/api/v1/tokens/{id}"), Some(ADMIN))
        .await;
    assert_eq!(
        (status, &again["revoked_at"]),
        (200, &revoked["revoked_at"])
    );

    // A user revokes their own token with that very token: the next request fails.
    let own = app.token_ids["li.qiang"];
    let (status, body) = app
        .delete(&format!("/api/v1/tokens/{own}"), Some("li.qiang"))
        .await;
    assert_eq!(status, 200, "self-revoke: {body}");
    let r = app.get("/api/v1/me", Some("li.qiang")).await;
    assert_error("the self-revoked token", &r, 401, "unauthorized", None);

    // Deactivating a user stops their tokens at once; reactivating restores them.
    let sun = app.user_id("sun.hao").await;
    let path = format!("/api/v1/users/{sun}");
    let v = app.get_ok(&path, ADMIN).await["version"].clone();
    let (status, body) = app
        .patch(&path, Some(ADMIN), &json!({"version": v, "active": false}))
        .await;
    assert_eq!(status, 200, "deactivate: {body}");
    let r = app.get("/api/v1/me", Some("sun.hao")).await;
    assert_error("a deactivated user's token", &r, 401, "unauthorized", None);
    let (status, body) = app
        .patch(
            &path,
            Some(ADMIN),
            &json!({"version": body["version"], "active": true}),
        )
        .await;
    assert_eq!(status, 200, "reactivate: {body}");
    let (status, _) = app.get("/api/v1/me", Some("sun.hao")).await;
    assert_eq!(status, 200, "reactivated user's token works again");

    // Non-administrators see only their own tokens and cannot mint tokens for others.
    let toks = app.get_ok("/api/v1/tokens?limit=500", "wang.fang").await;
    let wang = app.user_id("wang.fang").await;
    let items = toks["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|t| t["user_id"] == wang),
        "a dispatcher lists only their own tokens: {toks}"
    );
    assert_eq!(
        toks["total"],
        items.len(),
        "total counts only their own: {toks}"
    );
    let r = app
        .post(
            "/api/v1/tokens",
            Some("wang.fang"),
            &json!({"name": "x", "user_id": li}),
        )
        .await;
    assert_error(
        "a dispatcher minting for an engineer",
        &r,
        403,
        "forbidden",
        None,
    );
    let r = app
        .get(
            &format!("/api/v1/tokens/{}", app.token_ids[ADMIN]),
            Some("wang.fang"),
        )
        .await;
    assert_error(
        "a dispatcher reading the admin's token",
        &r,
        404,
        "not_found",
        None,
    );
    let r = app
        .delete(
            &format!("/api/v1/tokens/{}", app.token_ids[ADMIN]),
            Some("wang.fang"),
        )
        .await;
    assert_error(
        "a dispatcher revoking the admin's token",
        &r,
        404,
        "not_found",
        None,
    );
    let (status, _) = app.get("/api/v1/me", Some(ADMIN)).await;
    assert_eq!(status, 200, "the admin's token survived");
}

async fn roles_decide_who_may_write(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let jnyy = app.org_id("JNYY").await;
    let new_org = json!({"code": "ROLE1", "name": "权限测试"});
    for who in [
        "wang.fang",
        "li.qiang",
        "zhao.min",
        "liu.yang",
        "zhou.jg",
        "wu.li",
    ] {
        let r = app.post("/api/v1/organizations", Some(who), &new_org).await;
        assert_error(
            &format!("{who} creates an organisation"),
            &r,
            403,
            "forbidden",
            None,
        );
    }
    let (status, body) = app
        .post("/api/v1/organizations", Some(ADMIN), &new_org)
        .await;
    assert_eq!(status, 201, "admin creates an organisation: {body}");
    assert_eq!(body["kind"], "client");

    // Provider staff other than the admin cannot change an organisation either.
    let path = format!("/api/v1/organizations/{hdjm}");
    let v = app.get_ok(&path, ADMIN).await["version"].clone();
    for who in ["wang.fang", "li.qiang", "zhou.jg"] {
        let r = app
            .patch(&path, Some(who), &json!({"version": v, "name": "改名"}))
            .await;
        assert_error(&format!("{who} renames HDJM"), &r, 403, "forbidden", None);
    }

    let user = |org: i64, username: &str, role: &str| {
        json!({"org_id": org, "username": username, "display_name": "新同事",
               "role": role, "password": "password-123"})
    };
    // A client admin manages their own organisation's client users...
    let (status, created) = app
        .post(
            "/api/v1/users",
            Some("zhou.jg"),
            &user(hdjm, "new.colleague", "client_user"),
        )
        .await;
    assert_eq!(status, 201, "client admin creates a client user: {created}");
    assert_eq!(
        (created["org_id"].as_i64(), &created["role"]),
        (Some(hdjm), &json!("client_user"))
    );
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());
    let seen = app
        .get_ok(&format!("/api/v1/users/{}", created["id"]), "zhou.jg")
        .await;
    assert_eq!(seen["username"], "new.colleague");
    // ...but not in another organisation, and not with a provider role.
    let r = app
        .post(
            "/api/v1/users",
            Some("zhou.jg"),
            &user(jnyy, "planted.user", "client_user"),
        )
        .await;
    assert!(
        r.0 == 403 || r.0 == 404,
        "client admin creates a user in JNYY: want 403/404, got {} {}",
        r.0,
        r.1
    );
    for role in ["engineer", "admin", "dispatcher"] {
        let r = app
            .post(
                "/api/v1/users",
                Some("zhou.jg"),
                &user(hdjm, "promoted.user", role),
            )
            .await;
        assert!(
            r.0 == 403 || r.0 == 422,
            "client admin creates a {role}: want 403/422, got {} {}",
            r.0,
            r.1
        );
    }
    // A client admin cannot promote one of their users to a provider role.
    let wu = app.user_id("wu.li").await;
    let wv = app.get_ok(&format!("/api/v1/users/{wu}"), "zhou.jg").await["version"].clone();
    let r = app
        .patch(
            &format!("/api/v1/users/{wu}"),
            Some("zhou.jg"),
            &json!({"version": wv, "role": "admin"}),
        )
        .await;
    assert_error("client admin promotes to admin", &r, 403, "forbidden", None);
    // A client user creates nobody and changes nobody else.
    let r = app
        .post(
            "/api/v1/users",
            Some("wu.li"),
            &user(hdjm, "friend.of.wu", "client_user"),
        )
        .await;
    assert_error("client user creates a user", &r, 403, "forbidden", None);
    // Nobody changes their own role.
    let me = app.get_ok("/api/v1/me", "wu.li").await;
    let r = app
        .patch(
            &format!("/api/v1/users/{wu}"),
            Some("wu.li"),
            &json!({"version": me["version"], "role": "client_admin"}),
        )
        .await;
    assert!(r.0 == 403 || r.0 == 422, "self-promotion: {} {}", r.0, r.1);
    let r = app
        .patch(
            "/api/v1/me",
            Some("wu.li"),
            &json!({"version": me["version"], "role": "client_admin"}),
        )
        .await;
    let after = app.get_ok("/api/v1/me", "wu.li").await;
    assert_eq!(
        after["role"], "client_user",
        "PATCH /me cannot change the role: {} {}",
        r.0, r.1
    );
    // Engineers neither create users nor teams; dispatchers create teams.
    let r = app
        .post(
            "/api/v1/users",
            Some("li.qiang"),
            &user(hdjm, "eng.made", "client_user"),
        )
        .await;
    assert_error("engineer creates a user", &r, 403, "forbidden", None);
    let r = app
        .post(
            "/api/v1/teams",
            Some("li.qiang"),
            &json!({"name": "工程师自建组"}),
        )
        .await;
    assert_error("engineer creates a team", &r, 403, "forbidden", None);
    let (status, body) = app
        .post(
            "/api/v1/teams",
            Some("wang.fang"),
            &json!({"name": "调度新建组"}),
        )
        .await;
    assert_eq!(status, 201, "dispatcher creates a team: {body}");
    // Teams are provider-internal.
    let r = app.get("/api/v1/teams", Some("zhou.jg")).await;
    assert_error("client admin lists teams", &r, 403, "forbidden", None);
    let r = app
        .get(&format!("/api/v1/teams/{}", body["id"]), Some("zhou.jg"))
        .await;
    assert_error("client admin reads a team", &r, 404, "not_found", None);
}

async fn audit_log_is_admin_only_and_records_writes(app: TestApp) {
    for who in [
        "wang.fang",
        "li.qiang",
        "zhao.min",
        "liu.yang",
        "zhou.jg",
        "wu.li",
    ] {
        let r = app.get("/api/v1/audit-log", Some(who)).await;
        assert_error(
            &format!("{who} reads the audit log"),
            &r,
            403,
            "forbidden",
            None,
        );
    }
    let admin_id = app.user_id(ADMIN).await;
    let zhou_id = app.user_id("zhou.jg").await;

    let (_, org) = app
        .post(
            "/api/v1/organizations",
            Some(ADMIN),
            &json!({"code": "AUD1", "name": "审计测试"}),
        )
        .await;
    let org_id = org["id"].as_i64().expect("created");
    let (status, _) = app
        .patch(
            &format!("/api/v1/organizations/{org_id}"),
            Some(ADMIN),
            &json!({"version": org["version"], "address": "上海市"}),
        )
        .await;
    assert_eq!(status, 200);
    let hdjm = app.org_id("HDJM").await;
    let (status, user) = app
        .post(
            "/api/v1/users",
            Some("zhou.jg"),
            &json!({"org_id": hdjm, "username": "audited.user", "display_name": "审计",
                    "role": "client_user", "password": "password-123"}),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let user_id = user["id"].as_i64().expect("created");
    let tok = app.token_ids["liu.yang"];
    let (status, _) = app
        .delete(&format!("/api/v1/tokens/{tok}"), Some(ADMIN))
        .await;
    assert_eq!(status, 200);
    // A refused write leaves no trace.
    let r = app
        .post(
            "/api/v1/organizations",
            Some("li.qiang"),
            &json!({"code": "NOPE", "name": "拒绝"}),
        )
        .await;
    assert_eq!(r.0, 403);

    let entries = |query: String| {
        let app = &app;
        async move {
            let page = app
                .get_ok(&format!("/api/v1/audit-log?{query}"), ADMIN)
                .await;
            page["items"].as_array().expect("items").clone()
        }
    };
    let org_entries = entries(format!("entity=organization&entity_id={org_id}")).await;
    let actions: Vec<&str> = org_entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        vec!["update", "create"],
        "newest first: {org_entries:?}"
    );
    for e in &org_entries {
        assert_eq!(e["actor_id"], admin_id, "{e}");
        assert_eq!(e["actor_name"], ADMIN, "{e}");
    }
    let change = &org_entries[0]["changes"];
    assert!(
        change.to_string().contains("上海市"),
        "the update records what changed: {change}"
    );

    let user_entries = entries(format!("entity=user&entity_id={user_id}")).await;
    assert_eq!(user_entries.len(), 1, "{user_entries:?}");
    let e = &user_entries[0];
    assert_eq!(
        (&e["action"], &e["actor_id"], &e["actor_name"], &e["org_id"]),
        (
            &json!("create"),
            &json!(zhou_id),
            &json!("zhou.jg"),
            &json!(hdjm)
        ),
        "{e}"
    );
    assert!(
        !e.to_string().contains("password-123"),
        "no password in the audit log: {e}"
    );

    let tok_entries = entries(format!("entity=token&entity_id={tok}")).await;
    let revoke: Vec<&Value> = tok_entries
        .iter()
        .filter(|e| e["action"] == "revoke")
        .collect();
    assert_eq!(revoke.len(), 1, "{tok_entries:?}");
    assert_eq!(revoke[0]["actor_id"], admin_id);

    let all_orgs = entries("entity=organization&limit=500".into()).await;
    assert!(
        !all_orgs
            .iter()
            .any(|e| e["changes"].to_string().contains("NOPE")),
        "the refused write is not audited: {all_orgs:?}"
    );
    let by_admin = entries(format!("actor_id={admin_id}&limit=500")).await;
    assert!(
        by_admin.iter().all(|e| e["actor_id"] == admin_id),
        "actor filter: {by_admin:?}"
    );
    assert!(by_admin.len() >= 3, "the admin's writes: {by_admin:?}");
}
