//! Repository tests: every test runs on SQLite and on PostgreSQL.

use weihu_domain::role::Role;
use weihu_store::organizations::{self, NewOrganization, OrgFilter, OrganizationPatch};
use weihu_store::users::{self, NewUser, UserFilter, UserPatch};
use weihu_store::{
    Actor, Backend, ListParams, Store, StoreError, audit, portable, testing, tokens,
};

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { if let Some(s) = weihu_store::testing::fresh_store(weihu_store::Backend::Sqlite).await { super::$name(s).await } } )* }
        mod postgres { $( #[tokio::test] async fn $name() { if let Some(s) = weihu_store::testing::fresh_store(weihu_store::Backend::Postgres).await { super::$name(s).await } } )* }
    };
}

both_backends!(
    clients_see_only_their_own_organization,
    stale_version_is_a_conflict_and_changes_nothing,
    duplicates_name_the_field,
    tokens_authenticate_until_revoked,
    export_import_round_trip_loses_nothing,
    an_export_from_before_a_column_was_added_still_imports,
    order_lifecycle_moves_clocks_and_timeline,
    order_numbers_are_gap_free_under_concurrency,
    clients_see_only_their_orders_and_no_internal_notes,
    clock_job_notifies_once,
    chinese_and_english_search_respects_tenants_and_internal_notes,
    visits_and_parts_drive_the_clocks,
    attachments_are_checked_and_scoped,
    the_second_in_scope_refusal_flags_the_client,
    group_commit_numbers_without_gaps,
);

async fn admin(store: &Store) -> Actor {
    let (provider, _) = organizations::provider(store)
        .await
        .expect("q")
        .expect("provider");
    Actor::system(provider)
}

async fn client(store: &Store, admin: &Actor, code: &str) -> (i64, Actor) {
    let org = organizations::create(
        store,
        admin,
        &NewOrganization {
            code: code.into(),
            name: format!("客户 {code}"),
            internal_note: "secret".into(),
            ..Default::default()
        },
    )
    .await
    .expect("create org");
    let u = users::create(
        store,
        admin,
        &NewUser {
            org_id: org.id,
            username: format!("{code}.user").to_lowercase(),
            display_name: "报修人".into(),
            email: String::new(),
            phone: String::new(),
            role: Role::ClientUser,
            team_id: None,
            locale: None,
            password: "password-123".into(),
        },
    )
    .await
    .expect("create user");
    (org.id, users::actor_of(&u))
}

async fn clients_see_only_their_own_organization(store: Store) {
    let admin = admin(&store).await;
    let (a, actor_a) = client(&store, &admin, "AAA").await;
    let (b, _) = client(&store, &admin, "BBB").await;
    let page = organizations::list(
        &store,
        &actor_a,
        &OrgFilter::default(),
        &ListParams::default(),
    )
    .await
    .expect("list");
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].id, a);
    assert_eq!(
        page.items[0].internal_note, None,
        "client sees no internal note"
    );
    assert!(matches!(
        organizations::get(&store, &actor_a, b).await,
        Err(StoreError::NotFound)
    ));
    let all = organizations::list(
        &store,
        &admin,
        &OrgFilter::default(),
        &ListParams::default(),
    )
    .await
    .expect("list");
    assert_eq!(all.total, 3);
    assert_eq!(
        all.items
            .iter()
            .find(|o| o.id == a)
            .and_then(|o| o.internal_note.clone())
            .as_deref(),
        Some("secret")
    );
    let users_seen = users::list(
        &store,
        &actor_a,
        &UserFilter::default(),
        &ListParams::default(),
    )
    .await
    .expect("list");
    assert_eq!(users_seen.total, 1);
}

async fn stale_version_is_a_conflict_and_changes_nothing(store: Store) {
    let admin = admin(&store).await;
    let (a, _) = client(&store, &admin, "CCC").await;
    let v1 = organizations::get(&store, &admin, a).await.expect("get");
    let v2 = organizations::update(
        &store,
        &admin,
        a,
        v1.version,
        &OrganizationPatch {
            name: Some("新名字".into()),
            ..Default::default()
        },
    )
    .await
    .expect("update");
    assert_eq!(v2.version, v1.version + 1);
    let stale = organizations::update(
        &store,
        &admin,
        a,
        v1.version,
        &OrganizationPatch {
            name: Some("旧版本".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(stale, Err(StoreError::Conflict { current }) if current == v2.version));
    assert_eq!(
        organizations::get(&store, &admin, a)
            .await
            .expect("get")
            .name,
        "新名字"
    );
    let log = audit::list(
        &store,
        &admin,
        &audit::AuditFilter {
            entity: Some("organization".into()),
            entity_id: Some(a.to_string()),
            actor_id: None,
        },
        &ListParams::default(),
    )
    .await
    .expect("audit");
    assert_eq!(log.total, 2, "create and one update");
    assert_eq!(log.items[0].changes["name"][1], "新名字");
}

async fn duplicates_name_the_field(store: Store) {
    let admin = admin(&store).await;
    client(&store, &admin, "DDD").await;
    let dup = organizations::create(
        &store,
        &admin,
        &NewOrganization {
            code: "ddd".into(),
            name: "x".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(
        matches!(dup, Err(StoreError::Duplicate { ref field }) if field == "code"),
        "{dup:?}"
    );
    let bad = organizations::create(
        &store,
        &admin,
        &NewOrganization {
            code: "E E".into(),
            name: "x".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(bad, Err(StoreError::Invalid { ref field, .. }) if field == "code"));
}

async fn tokens_authenticate_until_revoked(store: Store) {
    let admin = admin(&store).await;
    let (_, user) = client(&store, &admin, "EEE").await;
    let (tok, secret) = tokens::create(&store, &user, user.user_id, "cli", None)
        .await
        .expect("token");
    let who = tokens::authenticate(&store, &secret)
        .await
        .expect("auth")
        .expect("valid");
    assert_eq!(who.user_id, user.user_id);
    tokens::revoke(&store, &user, tok.id).await.expect("revoke");
    assert!(
        tokens::authenticate(&store, &secret)
            .await
            .expect("auth")
            .is_none()
    );
    let mut ch = users::get(&store, &user, user.user_id).await.expect("self");
    ch = users::update(
        &store,
        &user,
        ch.id,
        ch.version,
        &UserPatch {
            display_name: Some("新名".into()),
            ..Default::default()
        },
    )
    .await
    .expect("self update");
    assert_eq!(ch.display_name, "新名");
    // A time zone of one's own: an IANA name, refused otherwise, cleared with an empty one.
    let bad = users::update(
        &store,
        &user,
        ch.id,
        ch.version,
        &UserPatch {
            time_zone: Some(Some("Mars/Olympus_Mons".into())),
            ..Default::default()
        },
    )
    .await;
    assert!(
        matches!(&bad, Err(StoreError::Invalid { field, .. }) if field == "time_zone"),
        "{bad:?}"
    );
    ch = users::update(
        &store,
        &user,
        ch.id,
        ch.version,
        &UserPatch {
            time_zone: Some(Some("Europe/Berlin".into())),
            ..Default::default()
        },
    )
    .await
    .expect("a time zone");
    assert_eq!(ch.time_zone.as_deref(), Some("Europe/Berlin"));
    let me = users::actor_for(&store, ch.id)
        .await
        .expect("actor")
        .expect("active");
    assert_eq!(
        me.time_zone.as_deref(),
        Some("Europe/Berlin"),
        "the actor carries it"
    );
    ch = users::update(
        &store,
        &user,
        ch.id,
        ch.version,
        &UserPatch {
            time_zone: Some(Some(String::new())),
            ..Default::default()
        },
    )
    .await
    .expect("back to the installation's zone");
    assert_eq!(ch.time_zone, None);
    let esc = users::update(
        &store,
        &user,
        ch.id,
        ch.version,
        &UserPatch {
            role: Some(Role::ClientAdmin),
            ..Default::default()
        },
    )
    .await;
    assert!(esc.is_err(), "a client user cannot promote themselves");
}

async fn export_import_round_trip_loses_nothing(store: Store) {
    let admin = admin(&store).await;
    client(&store, &admin, "FFF").await;
    weihu_store::demo::load(&store).await.expect("demo");
    weihu_store::demo::load_knowledge(&store)
        .await
        .expect("demo knowledge");
    let mut first = Vec::new();
    let s1 = portable::export(&store, &mut first, &mut |_, _| {})
        .await
        .expect("export");
    // Into the other backend when it is there, else into a fresh one of the same.
    let other = if store.backend() == Backend::Sqlite {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let target = match testing::fresh_database(other).await {
        Some(u) => u,
        None => testing::fresh_database(store.backend()).await.expect("db"),
    };
    let target = Store::connect(&target).await.expect("connect");
    target.migrate().await.expect("migrate");
    let s2 = portable::import(&target, &mut first.as_slice(), &mut |_, _| {})
        .await
        .expect("import");
    assert_eq!(s1.rows, s2.rows);
    let mut second = Vec::new();
    portable::export(&target, &mut second, &mut |_, _| {})
        .await
        .expect("export again");
    assert_eq!(
        String::from_utf8_lossy(&first),
        String::from_utf8_lossy(&second)
    );
    // Identity sequences follow the imported rows: a new row gets a fresh id.
    let t_admin = admin_of(&target).await;
    organizations::create(
        &target,
        &t_admin,
        &NewOrganization {
            code: "NEW".into(),
            name: "新客户".into(),
            ..Default::default()
        },
    )
    .await
    .expect("insert after import");
    // A second import into a non-empty database is refused and changes nothing.
    assert!(
        portable::import(&target, &mut first.as_slice(), &mut |_, _| {})
            .await
            .is_err()
    );
}

/// Columns added since an export was written (users.time_zone) are absent from its rows and
/// import as NULL; any other short row is still refused.
async fn an_export_from_before_a_column_was_added_still_imports(store: Store) {
    let admin = admin(&store).await;
    let (_, user) = client(&store, &admin, "OLD").await;
    let me = users::get(&store, &user, user.user_id).await.expect("self");
    users::update(
        &store,
        &user,
        me.id,
        me.version,
        &UserPatch {
            time_zone: Some(Some("Europe/Berlin".into())),
            ..Default::default()
        },
    )
    .await
    .expect("a zone of one's own");
    let mut out = Vec::new();
    portable::export(&store, &mut out, &mut |_, _| {})
        .await
        .expect("export");
    let strip = |table: &str| -> Vec<u8> {
        let mut old = String::new();
        for line in String::from_utf8_lossy(&out).lines() {
            let mut v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            if v["table"] == table
                && let Some(row) = v["row"].as_array_mut()
            {
                row.pop();
                // Users gained two columns since (time_zone in 0011, mail_off in 0027).
                if table == "users" {
                    row.pop();
                }
            }
            old.push_str(&v.to_string());
            old.push('\n');
        }
        old.into_bytes()
    };
    let fresh = || async {
        let url = testing::fresh_database(store.backend()).await.expect("db");
        let target = Store::connect(&url).await.expect("connect");
        target.migrate().await.expect("migrate");
        target
    };
    let target = fresh().await;
    let old = strip("users");
    portable::import(&target, &mut old.as_slice(), &mut |_, _| {})
        .await
        .expect("an older export imports");
    let imported = users::actor_for(&target, user.user_id)
        .await
        .expect("read")
        .expect("the user came over");
    assert_eq!(imported.username, user.username);
    assert_eq!(
        imported.time_zone, None,
        "the column the export lacked is NULL"
    );
    // mail_off is NOT NULL: it takes the default (no mail turned off).
    assert!(
        weihu_store::mail::prefs::mail_off(&target, &imported)
            .await
            .expect("read the mail choice")
            .is_empty()
    );
    // A row short of a column that was always there is refused as a bad file.
    let target = fresh().await;
    let broken = strip("organizations");
    let err = portable::import(&target, &mut broken.as_slice(), &mut |_, _| {}).await;
    assert!(matches!(err, Err(StoreError::BadFile { .. })), "{err:?}");
}

async fn admin_of(store: &Store) -> Actor {
    admin(store).await
}

#[test]
fn both_backends_list_the_same_migrations() {
    let sqlite = weihu_store::backend::migration_names(Backend::Sqlite);
    let postgres = weihu_store::backend::migration_names(Backend::Postgres);
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres must list the same migrations"
    );
}

/// Every column a migration adds after the portable format was first written (0011 on) must be
/// one an older export may lack, and sit at the end of its table's columns: import matches values
/// by position and fills only a missing tail (a column added mid-list broke the import of every
/// older export with statements once).
#[test]
fn columns_added_by_later_migrations_import_from_older_exports() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    let later = portable::added_later();
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("migrations dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let number: u32 = name.get(..4).and_then(|n| n.parse().ok()).unwrap_or(0);
        if number < 11 {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let ["ALTER", "TABLE", table, "ADD", "COLUMN", column, ..] = words.as_slice() {
                assert!(
                    later.contains(&(*table, *column)),
                    "{name} adds {table}.{column}: list it in portable's ADDED_LATER"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} added columns found");
    for (table, _) in later {
        let cols = portable::columns(table).unwrap_or_else(|| panic!("table {table}"));
        let first_later = cols
            .iter()
            .position(|c| later.contains(&(*table, *c)))
            .unwrap_or(cols.len());
        for c in &cols[first_later..] {
            assert!(
                later.contains(&(*table, *c)),
                "{table}.{c} comes after a column added later: added columns go at the end"
            );
        }
    }
}

#[test]
fn the_portable_format_carries_every_table() {
    // Every CREATE TABLE of the migrations must be exported, or a backup would lose it.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    let mut created = Vec::new();
    for entry in std::fs::read_dir(dir).expect("migrations dir") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("CREATE TABLE ") {
                created.push(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    }
    let carried = portable::table_names();
    for t in &created {
        assert!(
            carried.contains(&t.as_str()),
            "table {t} is missing from the portable format"
        );
    }
}

use weihu_domain::order::OrderState;
use weihu_domain::priority::Level;
use weihu_store::orders::{self, Comment, NewOrder, OrderFilter, Transition};

fn fault(subject: &str) -> NewOrder {
    NewOrder {
        client_org_id: None,
        requester_id: None,
        requester_name: None,
        requester_phone: String::new(),
        site: String::new(),
        channel: None,
        category: "peripheral".into(),
        urgency: Level::High,
        impact: Level::Medium,
        subject: subject.into(),
        description: "打印机无法打印".into(),
        service_mode: None,
        asset_id: None,
        catalog_item_id: None,
    }
}

async fn demo_actor(store: &Store, username: &str) -> Actor {
    let (u, _) = users::find_by_username(store, username)
        .await
        .expect("q")
        .expect("user");
    users::actor_of(&u)
}

fn step(action: &str, version: i64) -> Transition {
    Transition {
        action: action.into(),
        version,
        assignee_id: None,
        team_id: None,
        reason: String::new(),
        resolution: String::new(),
        in_scope: None,
        cause: String::new(),
        breach_reason: String::new(),
        breach_note: String::new(),
    }
}

async fn order_lifecycle_moves_clocks_and_timeline(store: Store) {
    weihu_store::demo::load(&store).await.expect("demo");
    let wu = demo_actor(&store, "wu.li").await;
    let desk = demo_actor(&store, "wang.fang").await;
    let eng = demo_actor(&store, "li.qiang").await;
    let o = orders::create(&store, &wu, &fault("财务部打印机卡纸"))
        .await
        .expect("create");
    assert!(
        o.number.starts_with("SO-20") && o.number.len() == "SO-2026-000001".len(),
        "{}",
        o.number
    );
    assert_eq!(o.priority, "P2", "high × medium");
    assert_eq!(o.channel, "portal");
    let kinds: Vec<&str> = o.clocks.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["response", "resolution"]);
    // The engineer may not take an order that is not theirs.
    assert!(matches!(
        orders::transition(&store, &eng, o.id, &step("start", o.version)).await,
        Err(StoreError::Forbidden(_))
    ));
    let o = orders::transition(
        &store,
        &desk,
        o.id,
        &Transition {
            assignee_id: Some(eng.user_id),
            ..step("assign", o.version)
        },
    )
    .await
    .expect("assign");
    assert_eq!(o.state, OrderState::Assigned);
    let o = orders::transition(&store, &eng, o.id, &step("start", o.version))
        .await
        .expect("start");
    let response = o
        .clocks
        .iter()
        .find(|c| c.kind == "response")
        .expect("response clock");
    assert!(
        response.stopped_at.is_some(),
        "acceptance stops the response clock"
    );
    let stale = orders::transition(&store, &eng, o.id, &step("wait_client", o.version - 1)).await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })));
    let o = orders::transition(
        &store,
        &eng,
        o.id,
        &Transition {
            reason: "等客户开门".into(),
            ..step("wait_client", o.version)
        },
    )
    .await
    .expect("wait");
    let res = o
        .clocks
        .iter()
        .find(|c| c.kind == "resolution")
        .expect("resolution");
    assert_eq!(res.state, "paused");
    assert_eq!(res.due_at, None, "no due while waiting for the client");
    let o = orders::transition(&store, &eng, o.id, &step("resume", o.version))
        .await
        .expect("resume");
    assert!(
        o.clocks
            .iter()
            .find(|c| c.kind == "resolution")
            .expect("res")
            .due_at
            .is_some()
    );
    let o = orders::comment(
        &store,
        &eng,
        o.id,
        &Comment {
            body: "内部：硒鼓需更换".into(),
            public: false,
        },
    )
    .await
    .expect("note");
    let no_resolution = orders::transition(&store, &eng, o.id, &step("resolve", o.version)).await;
    assert!(
        matches!(no_resolution, Err(StoreError::Invalid { ref field, .. }) if field == "resolution")
    );
    let o = orders::transition(
        &store,
        &eng,
        o.id,
        &Transition {
            resolution: "更换硒鼓，打印正常".into(),
            ..step("resolve", o.version)
        },
    )
    .await
    .expect("resolve");
    assert_eq!(o.state, OrderState::Resolved);
    assert!(o.clocks.iter().all(|c| c.stopped_at.is_some()));
    assert!(
        orders::transition(&store, &desk, o.id, &step("close", o.version))
            .await
            .is_err(),
        "only the client confirms"
    );
    let o = orders::transition(
        &store,
        &wu,
        o.id,
        &Transition {
            reason: "还是卡纸".into(),
            ..step("reopen", o.version)
        },
    )
    .await
    .expect("reopen");
    assert_eq!(o.state, OrderState::InProgress);
    assert!(
        o.clocks
            .iter()
            .find(|c| c.kind == "resolution")
            .expect("res")
            .stopped_at
            .is_none(),
        "reopen restarts resolution"
    );
    let o = orders::transition(
        &store,
        &eng,
        o.id,
        &Transition {
            resolution: "更换搓纸轮".into(),
            ..step("resolve", o.version)
        },
    )
    .await
    .expect("resolve");
    let o = orders::transition(&store, &wu, o.id, &step("close", o.version))
        .await
        .expect("close");
    assert_eq!(o.state, OrderState::Closed);
    let bad = orders::rate(
        &store,
        &wu,
        o.id,
        &orders::Rating {
            score: 6,
            comment: String::new(),
        },
    )
    .await;
    assert!(matches!(bad, Err(StoreError::Invalid { ref field, .. }) if field == "score"));
    assert!(matches!(
        orders::rate(
            &store,
            &desk,
            o.id,
            &orders::Rating {
                score: 5,
                comment: String::new()
            }
        )
        .await,
        Err(StoreError::Forbidden(_))
    ));
    let o = orders::rate(
        &store,
        &wu,
        o.id,
        &orders::Rating {
            score: 5,
            comment: "很及时".into(),
        },
    )
    .await
    .expect("rate");
    assert_eq!((o.rating, o.rating_comment.as_str()), (Some(5), "很及时"));
    let staff_view: Vec<String> = orders::events(&store, &desk, o.id)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        staff_view,
        [
            "created",
            "assign",
            "start",
            "wait_client",
            "resume",
            "comment",
            "resolve",
            "reopen",
            "resolve",
            "close",
            "rating"
        ]
    );
    let client_view = orders::events(&store, &wu, o.id).await.expect("events");
    assert!(
        client_view.iter().all(|e| e.public),
        "no internal entries for the client"
    );
    assert!(!client_view.iter().any(|e| e.body.contains("内部")));
}

async fn order_numbers_are_gap_free_under_concurrency(store: Store) {
    weihu_store::demo::load(&store).await.expect("demo");
    let desk = demo_actor(&store, "wang.fang").await;
    let client = organizations::list(
        &store,
        &desk,
        &OrgFilter::default(),
        &ListParams {
            q: Some("HDJM".into()),
            ..Default::default()
        },
    )
    .await
    .expect("orgs")
    .items[0]
        .id;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(store.pool())
        .await
        .expect("count");
    let mut handles = Vec::new();
    for i in 0..24 {
        let (store, desk) = (store.clone(), desk.clone());
        handles.push(tokio::spawn(async move {
            let mut new = fault(&format!("并发报修 {i}"));
            new.client_org_id = Some(client);
            new.requester_name = Some("电话报修".into());
            orders::create(&store, &desk, &new).await.map(|o| o.number)
        }));
    }
    let mut numbers = Vec::new();
    for h in handles {
        numbers.push(h.await.expect("join").expect("create"));
    }
    numbers.sort();
    let seqs: Vec<i64> = numbers
        .iter()
        .map(|n| {
            n.rsplit('-')
                .next()
                .and_then(|s| s.parse().ok())
                .expect("seq")
        })
        .collect();
    assert_eq!(
        seqs,
        (before + 1..=before + 24).collect::<Vec<i64>>(),
        "gap-free and unique: {numbers:?}"
    );
}

async fn clients_see_only_their_orders_and_no_internal_notes(store: Store) {
    weihu_store::demo::load(&store).await.expect("demo");
    let wu = demo_actor(&store, "wu.li").await;
    let sun = demo_actor(&store, "sun.hao").await;
    let zhou = demo_actor(&store, "zhou.jg").await;
    let he = demo_actor(&store, "he.yun").await;
    let a = orders::create(&store, &wu, &fault("吴丽的电脑"))
        .await
        .expect("a");
    let b = orders::create(&store, &sun, &fault("孙浩的电脑"))
        .await
        .expect("b");
    let c = orders::create(&store, &he, &fault("医院的电脑"))
        .await
        .expect("c");
    let all = ListParams {
        limit: Some(500),
        ..Default::default()
    };
    let mine = orders::list(&store, &wu, &OrderFilter::default(), &all)
        .await
        .expect("list");
    assert!(mine.items.iter().any(|o| o.id == a.id));
    assert!(
        mine.items
            .iter()
            .all(|o| o.requester_id == Some(wu.user_id)),
        "a client user sees only their own"
    );
    let org = orders::list(&store, &zhou, &OrderFilter::default(), &all)
        .await
        .expect("list");
    assert!(org.items.iter().any(|o| o.id == a.id) && org.items.iter().any(|o| o.id == b.id));
    assert!(
        org.items.iter().all(|o| o.client_org_id == zhou.org_id),
        "a client admin sees only the organisation's"
    );
    assert!(!org.items.iter().any(|o| o.id == c.id));
    assert!(matches!(
        orders::get(&store, &wu, b.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        orders::get(&store, &zhou, c.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        orders::comment(
            &store,
            &zhou,
            c.id,
            &Comment {
                body: "x".into(),
                public: true
            }
        )
        .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        orders::events(&store, &wu, c.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn clock_job_notifies_once(store: Store) {
    weihu_store::demo::load(&store).await.expect("demo");
    let wu = demo_actor(&store, "wu.li").await;
    let o = orders::create(&store, &wu, &fault("服务器宕机"))
        .await
        .expect("create");
    // Far in the future every running clock is breached: one notification round, then silence.
    let later = weihu_store::now_ms() + 400 * 24 * 3600 * 1000;
    let first = orders::evaluate_due_clocks(&store, Some(later), 100)
        .await
        .expect("job");
    assert!(first > 0, "dispatchers are told");
    let second = orders::evaluate_due_clocks(&store, Some(later + 1000), 100)
        .await
        .expect("job");
    assert_eq!(second, 0, "never twice");
    let desk = demo_actor(&store, "wang.fang").await;
    let kinds: Vec<String> = orders::events(&store, &desk, o.id)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "clock_breached").count(),
        2,
        "response and resolution: {kinds:?}"
    );
}

#[tokio::test]
async fn an_older_binary_refuses_a_newer_schema() {
    let store = testing::fresh_store(Backend::Sqlite).await.expect("sqlite");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (9999, 'from the future', '2030-01-01 00:00:00', 1, x'00', 0)",
    )
    .execute(store.pool())
    .await
    .expect("fake a newer migration");
    match store.migrate().await {
        Err(StoreError::SchemaTooNew { found, known }) => {
            assert_eq!(found, 9999);
            assert!(known < 9999);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

async fn chinese_and_english_search_respects_tenants_and_internal_notes(store: Store) {
    weihu_store::demo::load(&store).await.expect("demo");
    let wu = demo_actor(&store, "wu.li").await;
    let desk = demo_actor(&store, "wang.fang").await;
    let he = demo_actor(&store, "he.yun").await;
    let mut new = fault("打印机无法打印");
    new.description = "HP LaserJet M404 提示卡纸".into();
    let o = orders::create(&store, &wu, &new).await.expect("create");
    orders::comment(
        &store,
        &desk,
        o.id,
        &Comment {
            body: "内部：疑似硒鼓芯片损坏".into(),
            public: false,
        },
    )
    .await
    .expect("note");
    let hits = |actor: Actor, q: &'static str| {
        let store = store.clone();
        async move {
            orders::list(
                &store,
                &actor,
                &OrderFilter::default(),
                &ListParams {
                    q: Some(q.into()),
                    limit: Some(100),
                    ..Default::default()
                },
            )
            .await
            .expect("search")
            .items
            .into_iter()
            .map(|x| x.id)
            .collect::<Vec<i64>>()
        }
    };
    for q in ["打印机", "打印", "印", "laserjet", "M404 卡纸"] {
        assert!(
            hits(desk.clone(), q).await.contains(&o.id),
            "staff finds {q}"
        );
        assert!(
            hits(wu.clone(), q).await.contains(&o.id),
            "the reporter finds {q}"
        );
    }
    assert!(
        hits(desk.clone(), "硒鼓").await.contains(&o.id),
        "staff search internal notes"
    );
    assert!(
        !hits(wu.clone(), "硒鼓").await.contains(&o.id),
        "clients never match internal notes"
    );
    assert!(
        !hits(he.clone(), "打印机").await.contains(&o.id),
        "another tenant never sees it"
    );
    assert!(hits(desk.clone(), "扫描仪").await.is_empty());
    assert!(
        hits(desk.clone(), "!!!").await.is_empty(),
        "a query without tokens finds nothing"
    );
    let by_number = hits(desk.clone(), "000012").await;
    assert!(
        by_number.iter().all(|id| *id != 0) && !by_number.is_empty(),
        "part of a number"
    );
    // The best match comes first: the order whose subject has both words.
    let ranked = hits(desk.clone(), "打印机 卡纸").await;
    assert_eq!(ranked.first(), Some(&o.id));
    // An export/import keeps search working (the index is rebuilt, not carried).
    let mut dump = Vec::new();
    portable::export(&store, &mut dump, &mut |_, _| {})
        .await
        .expect("export");
    let target = Store::connect(&testing::fresh_database(store.backend()).await.expect("db"))
        .await
        .expect("connect");
    target.migrate().await.expect("migrate");
    portable::import(&target, &mut dump.as_slice(), &mut |_, _| {})
        .await
        .expect("import");
    let found = orders::list(
        &target,
        &demo_actor(&target, "wang.fang").await,
        &OrderFilter::default(),
        &ListParams {
            q: Some("打印".into()),
            ..Default::default()
        },
    )
    .await
    .expect("search");
    assert!(found.items.iter().any(|x| x.number == o.number));
}

async fn visits_and_parts_drive_the_clocks(store: Store) {
    use weihu_store::orders::work::{self, NewPart, NewVisit, PartDecision};
    weihu_store::demo::load(&store).await.expect("demo");
    let wu = demo_actor(&store, "wu.li").await;
    let zhou = demo_actor(&store, "zhou.jg").await;
    let desk = demo_actor(&store, "wang.fang").await;
    let eng = demo_actor(&store, "li.qiang").await;
    let o = orders::create(&store, &wu, &fault("显示器无信号"))
        .await
        .expect("create");
    let o = orders::transition(
        &store,
        &desk,
        o.id,
        &Transition {
            assignee_id: Some(eng.user_id),
            ..step("assign", o.version)
        },
    )
    .await
    .expect("assign");
    let o = orders::transition(&store, &eng, o.id, &step("start", o.version))
        .await
        .expect("start");
    // A visit: the first is regular and starts the arrival clock; check-in stops it.
    let v1 = work::decide_visit(
        &store,
        &eng,
        o.id,
        &NewVisit {
            kind: None,
            engineer_id: None,
            travel_fee: Some("30".into()),
            category: None,
            note: String::new(),
        },
    )
    .await
    .expect("visit");
    assert_eq!(
        (v1.kind.as_str(), v1.travel_fee.as_str()),
        ("regular", "30.00")
    );
    let arrival = |o: &orders::Order| o.clocks.iter().find(|c| c.kind == "arrival").cloned();
    let o = orders::get(&store, &eng, o.id).await.expect("get");
    assert!(
        arrival(&o).is_some_and(|c| c.stopped_at.is_none()),
        "arrival clock runs"
    );
    work::visit_check(&store, &eng, o.id, v1.id, true)
        .await
        .expect("check in");
    assert!(
        work::visit_check(&store, &eng, o.id, v1.id, true)
            .await
            .is_err(),
        "not twice"
    );
    let o = orders::get(&store, &eng, o.id).await.expect("get");
    assert!(
        arrival(&o).is_some_and(|c| c.stopped_at.is_some()),
        "check-in stops the arrival clock"
    );
    let v2 = work::decide_visit(
        &store,
        &eng,
        o.id,
        &NewVisit {
            kind: None,
            engineer_id: None,
            travel_fee: None,
            category: None,
            note: String::new(),
        },
    )
    .await
    .expect("visit 2");
    assert_eq!(v2.kind, "repeat", "a second visit is proposed as a repeat");
    // Parts: never above the authorized price; waiting for approval pauses resolution.
    let too_dear = NewPart {
        name: "主板".into(),
        model: "B460".into(),
        quantity: 1,
        unit_price: "900".into(),
        authorized_price: Some("850".into()),
        client_supplied: false,
        note: String::new(),
    };
    assert!(
        matches!(work::propose_part(&store, &eng, o.id, &too_dear).await, Err(StoreError::Invalid { ref field, .. }) if field == "unit_price")
    );
    let p = work::propose_part(
        &store,
        &eng,
        o.id,
        &NewPart {
            unit_price: "450".into(),
            ..too_dear.clone()
        },
    )
    .await
    .expect("propose");
    assert_eq!(
        (p.state.as_str(), p.unit_price.as_str()),
        ("proposed", "450.00")
    );
    let o = orders::get(&store, &eng, o.id).await.expect("get");
    assert_eq!(o.state, OrderState::WaitingClient);
    assert_eq!(
        o.clocks
            .iter()
            .find(|c| c.kind == "resolution")
            .expect("res")
            .state,
        "paused"
    );
    assert!(matches!(
        work::decide_part(
            &store,
            &eng,
            o.id,
            p.id,
            &PartDecision {
                approve: true,
                note: String::new()
            }
        )
        .await,
        Err(StoreError::Forbidden(_))
    ));
    assert!(matches!(
        work::decide_part(
            &store,
            &wu,
            o.id,
            p.id,
            &PartDecision {
                approve: true,
                note: String::new()
            }
        )
        .await,
        Err(StoreError::Forbidden(_))
    ));
    assert!(
        matches!(
            work::install_part(&store, &eng, o.id, p.id).await,
            Err(StoreError::Invalid { .. })
        ),
        "not before approval"
    );
    let p = work::decide_part(
        &store,
        &zhou,
        o.id,
        p.id,
        &PartDecision {
            approve: true,
            note: "同意".into(),
        },
    )
    .await
    .expect("approve");
    assert_eq!(p.state, "approved");
    let o = orders::get(&store, &eng, o.id).await.expect("get");
    assert_eq!(o.state, OrderState::InProgress, "back to work once decided");
    assert_eq!(
        work::install_part(&store, &eng, o.id, p.id)
            .await
            .expect("install")
            .state,
        "installed"
    );
    let own = work::propose_part(
        &store,
        &eng,
        o.id,
        &NewPart {
            name: "内存条".into(),
            model: String::new(),
            quantity: 2,
            unit_price: "300".into(),
            authorized_price: None,
            client_supplied: true,
            note: String::new(),
        },
    )
    .await
    .expect("client part");
    assert_eq!(
        (own.state.as_str(), own.unit_price.as_str()),
        ("approved", "0.00"),
        "client-supplied parts cost nothing"
    );
    // The client sees visits and parts but not time entries.
    assert_eq!(
        work::visits(&store, &wu, o.id).await.expect("visits").len(),
        2
    );
    work::log_time(
        &store,
        &eng,
        o.id,
        &work::NewTimeEntry {
            work_date: None,
            minutes: 90,
            note: String::new(),
        },
    )
    .await
    .expect("time");
    assert!(matches!(
        work::time_entries(&store, &wu, o.id).await,
        Err(StoreError::Forbidden(_))
    ));
    // Another client sees none of it.
    let he = demo_actor(&store, "he.yun").await;
    assert!(matches!(
        work::parts(&store, &he, o.id).await,
        Err(StoreError::NotFound)
    ));
    // The client signs once the order is resolved; only a PNG is taken.
    // A real 1×1 PNG: the declared size in its header is checked.
    const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x04\x00\x00\x00\xb5\x1c\x0c\x02\x00\x00\x00\x0b\x49\x44\x41\x54\x78\xda\x63\x64\x60\x00\x00\x00\x06\x00\x02\x30\x81\xd0\x2f\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";
    assert!(
        matches!(work::sign(&store, &eng, o.id, "吴丽", PNG).await, Err(StoreError::Invalid { ref field, .. }) if field == "state")
    );
    // The visit still on site is checked out first: a resolve with open work is refused.
    work::visit_check(&store, &eng, o.id, v1.id, false)
        .await
        .expect("check out");
    let o = orders::get(&store, &eng, o.id).await.expect("get");
    let o = orders::transition(
        &store,
        &eng,
        o.id,
        &Transition {
            resolution: "更换主板".into(),
            ..step("resolve", o.version)
        },
    )
    .await
    .expect("resolve");
    assert!(
        matches!(work::sign(&store, &eng, o.id, "吴丽", b"GIF89a").await, Err(StoreError::Invalid { ref field, .. }) if field == "image")
    );
    assert!(matches!(
        work::sign(&store, &he, o.id, "何云", PNG).await,
        Err(StoreError::NotFound)
    ));
    let sig = work::sign(&store, &eng, o.id, "吴丽", PNG)
        .await
        .expect("sign");
    assert_eq!(sig.signer_name, "吴丽");
    let (_, png) = work::signature(&store, &wu, o.id)
        .await
        .expect("read")
        .expect("signed");
    assert_eq!(png, PNG, "the client reads back the same image");
}

async fn attachments_are_checked_and_scoped(store: Store) {
    use weihu_store::orders::attachments;
    weihu_store::demo::load(&store).await.expect("demo");
    let wu = demo_actor(&store, "wu.li").await;
    let desk = demo_actor(&store, "wang.fang").await;
    let he = demo_actor(&store, "he.yun").await;
    let o = orders::create(&store, &wu, &fault("打印机报错"))
        .await
        .expect("create");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRdata";
    let photo = attachments::add(&store, &wu, o.id, "../../照片.png", "image/png", png, false)
        .await
        .expect("photo");
    assert_eq!(
        (
            photo.filename.as_str(),
            photo.content_type.as_str(),
            photo.public
        ),
        ("照片.png", "image/png", true),
        "client uploads are public, names safe"
    );
    let lie = attachments::add(
        &store,
        &wu,
        o.id,
        "x.png",
        "image/png",
        b"<script>alert(1)</script>",
        true,
    )
    .await;
    assert!(
        matches!(lie, Err(StoreError::Invalid { ref field, .. }) if field == "file"),
        "a lying content type is refused"
    );
    let exe = attachments::add(
        &store,
        &wu,
        o.id,
        "x.exe",
        "application/octet-stream",
        b"MZ\x90\0\x03\0\0\0",
        true,
    )
    .await;
    assert!(matches!(exe, Err(StoreError::Invalid { .. })));
    let big = vec![b'a'; attachments::MAX_ATTACHMENT_BYTES + 1];
    assert!(matches!(
        attachments::add(&store, &wu, o.id, "big.log", "text/plain", &big, true).await,
        Err(StoreError::Invalid { .. })
    ));
    let log = attachments::add(
        &store,
        &desk,
        o.id,
        "spool.log",
        "text/plain",
        "ERROR 打印队列卡住".as_bytes(),
        false,
    )
    .await
    .expect("log");
    assert!(!log.public);
    let seen: Vec<String> = attachments::list(&store, &wu, o.id)
        .await
        .expect("list")
        .into_iter()
        .map(|a| a.filename)
        .collect();
    assert_eq!(
        seen,
        vec!["照片.png".to_string()],
        "internal attachments stay with the provider"
    );
    assert!(matches!(
        attachments::download(&store, &wu, o.id, log.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        attachments::download(&store, &he, o.id, photo.id).await,
        Err(StoreError::NotFound)
    ));
    let (_, bytes) = attachments::download(&store, &desk, o.id, photo.id)
        .await
        .expect("download");
    assert_eq!(bytes, png);
}

async fn the_second_in_scope_refusal_flags_the_client(store: Store) {
    weihu_store::demo::load(&store).await.expect("demo");
    let wu = demo_actor(&store, "wu.li").await;
    let desk = demo_actor(&store, "wang.fang").await;
    let refuse = |in_scope: bool| Transition {
        reason: "超出能力".into(),
        in_scope: Some(in_scope),
        cause: String::new(),
        breach_reason: String::new(),
        breach_note: String::new(),
        ..step("refuse", 1)
    };
    let flag = || async {
        organizations::get(&store, &desk, wu.org_id)
            .await
            .expect("org")
    };
    let a = orders::create(&store, &wu, &fault("外包系统开发"))
        .await
        .expect("a");
    let missing = orders::transition(
        &store,
        &desk,
        a.id,
        &Transition {
            in_scope: None,
            cause: String::new(),
            breach_reason: String::new(),
            breach_note: String::new(),
            ..refuse(true)
        },
    )
    .await;
    assert!(matches!(missing, Err(StoreError::Invalid { ref field, .. }) if field == "in_scope"));
    orders::transition(&store, &desk, a.id, &refuse(false))
        .await
        .expect("out of scope");
    let b = orders::create(&store, &wu, &fault("打印机"))
        .await
        .expect("b");
    orders::transition(&store, &desk, b.id, &refuse(true))
        .await
        .expect("first in scope");
    assert!(
        !flag().await.refusal_flag,
        "one in-scope refusal is not enough"
    );
    let c = orders::create(&store, &wu, &fault("网络"))
        .await
        .expect("c");
    orders::transition(&store, &desk, c.id, &refuse(true))
        .await
        .expect("second in scope");
    let org = flag().await;
    assert_eq!((org.in_scope_refusals, org.refusal_flag), (2, true));
    let zhou = demo_actor(&store, "zhou.jg").await;
    assert!(
        organizations::get(&store, &zhou, wu.org_id)
            .await
            .expect("own")
            .refusal_flag,
        "the client sees it too"
    );
}

async fn group_commit_numbers_without_gaps(store: Store) {
    weihu_store::demo::load(&store).await.expect("demo");
    let wu = demo_actor(&store, "wu.li").await;
    let writer = orders::OrderWriter::spawn(store.clone());
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(store.pool())
        .await
        .expect("count");
    let mut handles = Vec::new();
    for i in 0..40 {
        let (writer, wu) = (writer.clone(), wu.clone());
        handles.push(tokio::spawn(async move {
            writer.create(&wu, &fault(&format!("批量 {i}"))).await
        }));
    }
    let mut seqs = Vec::new();
    for h in handles {
        let o = h.await.expect("join").expect("create");
        assert_eq!(o.clocks.len(), 2, "clocks written in the batch");
        seqs.push(
            o.number
                .rsplit('-')
                .next()
                .and_then(|n| n.parse::<i64>().ok())
                .expect("seq"),
        );
    }
    seqs.sort();
    assert_eq!(seqs, (before + 1..=before + 40).collect::<Vec<_>>());
    let hits = orders::list(
        &store,
        &wu,
        &OrderFilter::default(),
        &ListParams {
            q: Some("批量".into()),
            limit: Some(100),
            ..Default::default()
        },
    )
    .await
    .expect("search");
    assert_eq!(hits.total, 40, "search rows written in the batch");
}
