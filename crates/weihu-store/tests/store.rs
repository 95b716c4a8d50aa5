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
