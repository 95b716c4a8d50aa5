//! The generated clients (`GEN00001…`) and their people.

use super::*;

/// (username, display name, role) of a generated client user.
pub(super) type NewPerson = (String, String, &'static str);
/// A provider engineer: (id, name, team).
pub(super) type Engineer = (i64, String, Option<i64>);
/// (at, by, kind, public, body) of a generated timeline entry.
pub(super) type TimelineEntry<'a> = (i64, Option<&'a Engineer>, &'static str, bool, String);

pub(super) struct Person {
    pub(super) id: i64,
    pub(super) name: String,
}

pub(super) struct Client {
    pub(super) id: i64,
    pub(super) people: Vec<Person>,
}

/// Client organisations `GEN00001…` with an admin and three users each (one password hash).
pub(super) async fn ensure_clients(store: &Store, count: u64) -> Result<Vec<Client>, Failure> {
    let pool = store.pool();
    let code = |i: u64| format!("GEN{i:05}");
    let existing: Vec<String> =
        sqlx::query_scalar("SELECT code FROM organizations WHERE code LIKE 'GEN%'")
            .fetch_all(pool)
            .await
            .map_err(db)?;
    let existing: std::collections::HashSet<String> = existing.into_iter().collect();
    let missing: Vec<u64> = (1..=count)
        .filter(|i| !existing.contains(&code(*i)))
        .collect();
    if !missing.is_empty() {
        let hash = weihu_store::credentials::hash_password(demo::DEMO_PASSWORD)?;
        let now = weihu_store::now_ms();
        let mut orgs = Table::new(
            "organizations",
            &[
                "kind",
                "code",
                "name",
                "name_en",
                "contact_name",
                "contact_phone",
                "address",
                "created_at",
                "updated_at",
            ],
        );
        let mut people: Vec<(String, Vec<NewPerson>)> = Vec::new();
        for &i in &missing {
            let mut rng = Rng::new(i.wrapping_mul(7919));
            let name = format!(
                "{}{}{}有限公司",
                rng.pick(CITIES),
                rng.pick(BRANDS),
                rng.pick(TRADES)
            );
            let contact = person_name(&mut rng);
            orgs.rows.push(vec![
                Val::T("client".into()),
                Val::T(code(i)),
                Val::T(format!("{name} {i}")),
                Val::T(format!("Generated client {i}")),
                Val::T(contact.clone()),
                Val::T(format!(
                    "021-{:04} {:04}",
                    rng.below(10_000),
                    rng.below(10_000)
                )),
                Val::T(format!("{}市示范路 {} 号", rng.pick(CITIES), i)),
                Val::I(now),
                Val::I(now),
            ]);
            let mut ps = vec![(format!("gen{i:05}.admin"), contact, "client_admin")];
            for u in 1..=3 {
                ps.push((
                    format!("gen{i:05}.u{u}"),
                    person_name(&mut rng),
                    "client_user",
                ));
            }
            people.push((code(i), ps));
        }
        let mut tx = pool.begin().await.map_err(db)?;
        orgs.flush(&mut tx).await?;
        let ids: HashMap<String, i64> =
            sqlx::query("SELECT code, id FROM organizations WHERE code LIKE 'GEN%'")
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(db)?;
        let mut users = Table::new(
            "users",
            &[
                "org_id",
                "username",
                "display_name",
                "email",
                "role",
                "password_hash",
                "created_at",
                "updated_at",
            ],
        );
        for (c, ps) in people {
            for (username, display, role) in ps {
                users.rows.push(vec![
                    Val::I(ids[&c]),
                    Val::T(username.clone()),
                    Val::T(display),
                    Val::T(format!("{username}@example.com")),
                    Val::T(role.into()),
                    Val::T(hash.clone()),
                    Val::I(now),
                    Val::I(now),
                ]);
            }
        }
        users.flush(&mut tx).await?;
        tx.commit().await.map_err(db)?;
    }
    let rows = sqlx::query(
        "SELECT o.id, o.code, u.id, u.display_name FROM organizations o JOIN users u ON u.org_id = o.id \
         WHERE o.code LIKE 'GEN%' ORDER BY o.code, u.id",
    )
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut out: Vec<Client> = Vec::new();
    let wanted: std::collections::HashSet<String> = (1..=count).map(code).collect();
    for r in rows {
        let code: String = r.try_get(1).map_err(db)?;
        if !wanted.contains(&code) {
            continue;
        }
        let org: i64 = r.try_get(0).map_err(db)?;
        let person = Person {
            id: r.try_get(2).map_err(db)?,
            name: r.try_get(3).map_err(db)?,
        };
        match out.last_mut() {
            Some(c) if c.id == org => c.people.push(person),
            _ => out.push(Client {
                id: org,
                people: vec![person],
            }),
        }
    }
    Ok(out)
}
