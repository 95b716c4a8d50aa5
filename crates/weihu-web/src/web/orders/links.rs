//! The order page's escalation, link and merge forms: thin adapters over the store's calls.

use super::*;

#[derive(Deserialize)]
pub(super) struct EscalateForm {
    csrf: String,
    version: i64,
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    assignee_id: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
}

pub(super) async fn escalate(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<EscalateForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let e = orders::Escalation {
        kind: f.kind,
        version: f.version,
        reason: f.reason,
        assignee_id: num(&f.assignee_id),
        team_id: num(&f.team_id),
    };
    back(
        &format!("/orders/{id}#actions"),
        orders::escalate(&s.store, &session.actor, id, &e)
            .await
            .map(|_| ()),
    )
}

#[derive(Deserialize)]
pub(super) struct LinkForm {
    csrf: String,
    kind: String,
    #[serde(default)]
    other_number: String,
}

pub(super) async fn link(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<LinkForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let l = orders::NewLink {
        kind: f.kind,
        other_id: None,
        other_number: Some(f.other_number),
    };
    back(
        &format!("/orders/{id}#links"),
        orders::link(&s.store, &session.actor, id, &l)
            .await
            .map(|_| ()),
    )
}

pub(super) async fn unlink(
    State(s): State<AppState>,
    session: WebSession,
    crate::extract::Ids(id, link_id): crate::extract::Ids,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    back(
        &format!("/orders/{id}#links"),
        orders::unlink(&s.store, &session.actor, id, link_id)
            .await
            .map(|_| ()),
    )
}

#[derive(Deserialize)]
pub(super) struct MergeForm {
    csrf: String,
    version: i64,
    #[serde(default)]
    into_number: String,
    #[serde(default)]
    reason: String,
}

/// After a merge the desk continues on the original.
pub(super) async fn merge(
    State(s): State<AppState>,
    session: WebSession,
    Id(id): Id,
    Form(f): Form<MergeForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let m = orders::Merge {
        version: f.version,
        into_id: None,
        into_number: Some(f.into_number),
        reason: f.reason,
    };
    match orders::merge(&s.store, &session.actor, id, &m).await {
        Ok(original) => back(
            &format!("/orders/{}#timeline", original.id),
            Ok::<(), StoreError>(()),
        ),
        Err(e) => back(&format!("/orders/{id}"), Err(e)),
    }
}
