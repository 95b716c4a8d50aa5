//! Optimistic concurrency: an update carries the version it read; a stale one is a 409
//! `conflict` that changes nothing.

use serde_json::json;

use crate::helpers::{ADMIN, TestApp, assert_error};

both_backends!(
    stale_organization_update_is_a_conflict,
    stale_user_update_is_a_conflict,
    stale_profile_update_is_a_conflict,
);

async fn stale_organization_update_is_a_conflict(app: TestApp) {
    let path = format!("/api/v1/organizations/{}", app.org_id("HDJM").await);
    stale_update_is_a_conflict(&app, ADMIN, &path, "name", "华东精密（第一次修改）").await;
}

async fn stale_user_update_is_a_conflict(app: TestApp) {
    let path = format!("/api/v1/users/{}", app.user_id("wu.li").await);
    stale_update_is_a_conflict(&app, ADMIN, &path, "display_name", "吴丽（改）").await;
    // A client admin editing their own people goes through the same check.
    stale_update_is_a_conflict(&app, "zhou.jg", &path, "phone", "021-1234 5678").await;
}

/// `/me` carries the version too.
async fn stale_profile_update_is_a_conflict(app: TestApp) {
    stale_update_is_a_conflict(&app, "wu.li", "/api/v1/me", "display_name", "吴丽 Li").await;
}

/// Reads `path`, changes `field` with the version read (200, version + 1), then tries a second
/// change with the same, now stale, version (409) and reads again: only the first change is
/// there.
async fn stale_update_is_a_conflict(
    app: &TestApp,
    actor: &str,
    path: &str,
    field: &str,
    new: &str,
) {
    let before = app.get_ok(path, actor).await;
    let v = before["version"].as_i64().expect("a version");
    assert_ne!(
        before[field], new,
        "the test changes {field} to a new value"
    );

    let (status, first) = app
        .patch(path, Some(actor), &json!({"version": v, field: new}))
        .await;
    assert_eq!(
        status, 200,
        "PATCH {path} with the current version: {first}"
    );
    assert_eq!(first["version"], v + 1, "the version moves on: {first}");
    assert_eq!(first[field], new, "the change is returned: {first}");
    assert_ne!(
        first["updated_at"], before["updated_at"],
        "updated_at moves on: {first}"
    );

    let r = app
        .patch(
            path,
            Some(actor),
            &json!({"version": v, field: "第二次修改"}),
        )
        .await;
    assert_error(
        &format!("stale PATCH {path}"),
        &r,
        409,
        "conflict",
        Some("version"),
    );

    // A version from the future is just as stale.
    let r = app
        .patch(
            path,
            Some(actor),
            &json!({"version": v + 5, field: "未来的版本"}),
        )
        .await;
    assert_error(
        &format!("future PATCH {path}"),
        &r,
        409,
        "conflict",
        Some("version"),
    );

    let after = app.get_ok(path, actor).await;
    assert_eq!(after, first, "GET shows the first change only");
}
