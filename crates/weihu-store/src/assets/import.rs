//! Imports with a row-by-row preview (all or nothing, or the valid rows only) and exports.

use super::*;

/// Column names understood by the importer (Chinese or English headers).
pub(super) const COLUMNS: &[(&str, &[&str])] = &[
    ("tag", &["tag", "asset tag", "资产标签", "标签", "资产编号"]),
    ("asset_type", &["type", "asset_type", "类型", "设备类型"]),
    ("serial", &["serial", "serial number", "序列号", "sn"]),
    ("model", &["model", "型号", "品牌型号"]),
    ("location", &["location", "位置", "安装位置"]),
    ("owner", &["owner", "user", "使用人", "责任人"]),
    (
        "warranty_end",
        &["warranty_end", "warranty", "保修到期", "保修截止"],
    ),
    (
        "under_contract",
        &["under_contract", "in contract", "在保", "纳入合同"],
    ),
    ("status", &["status", "状态"]),
    ("notes", &["notes", "备注"]),
];

/// What the import will do with one row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowPlan {
    /// The row's line in the file (the header is line 1).
    pub line: usize,
    /// create, update or reject.
    pub action: String,
    pub tag: String,
    /// Why a row is rejected (field: message).
    pub reason: Option<String>,
    #[serde(skip)]
    input: AssetInput,
    #[serde(skip)]
    existing: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportPlan {
    pub client_org_id: i64,
    pub rows: Vec<RowPlan>,
    pub creates: usize,
    pub updates: usize,
    pub rejects: usize,
    /// Set once written.
    pub applied: bool,
}

pub(super) fn bool_cell(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "" => None,
        "1" | "true" | "yes" | "y" | "是" | "在保" => Some(true),
        _ => Some(false),
    }
}

/// Who may import, and into which client: checked before an uploaded file is parsed, so a
/// user who may not import never makes the server read a byte of it. The client organisation
/// it returns is the one [`plan_import`] plans for.
pub async fn import_target(
    store: &Store,
    actor: &Actor,
    client_org_id: Option<i64>,
) -> Result<i64> {
    may_write(actor)?;
    let client = target_client(actor, client_org_id)?;
    crate::organizations::get(store, actor, client).await?;
    Ok(client)
}

/// Reads the table into a plan: each row created, updated (same tag, same client) or rejected
/// with the reason. Nothing is written.
pub async fn plan_import(
    store: &Store,
    actor: &Actor,
    client_org_id: Option<i64>,
    table: &weihu_sheets::Table,
) -> Result<ImportPlan> {
    let client = import_target(store, actor, client_org_id).await?;
    table
        .check_limits()
        .map_err(|e| StoreError::invalid("file", e.to_string()))?;
    let col: HashMap<&str, usize> = COLUMNS
        .iter()
        .filter_map(|(name, aliases)| table.column(aliases).map(|i| (*name, i)))
        .collect();
    if !col.contains_key("asset_type") {
        return Err(StoreError::invalid(
            "file",
            "the header row needs a type column (type / 类型)",
        ));
    }
    let known = types(store).await?;
    let existing: HashMap<String, (i64, i64)> =
        sqlx::query("SELECT tag, id, client_org_id FROM assets")
            .fetch_all(&store.pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("tag")?,
                    (r.try_get("id")?, r.try_get("client_org_id")?),
                ))
            })
            .collect::<Result<_>>()?;
    // A client-side importer gives tags under its own prefix only (see `check_client_tag`).
    let own_code = match actor.client_scope() {
        Some(_) => {
            let mut conn = store.pool.acquire().await?;
            Some(client_code(&mut conn, client).await?)
        }
        None => None,
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::new();
    for (i, r) in table.rows.iter().enumerate() {
        let line = i + 2;
        let cell = |name: &str| {
            col.get(name)
                .and_then(|c| r.get(*c))
                .map(|s| s.trim().to_owned())
        };
        let input = AssetInput {
            client_org_id: Some(client),
            asset_type: cell("asset_type").map(|t| t.to_lowercase()),
            tag: cell("tag").filter(|t| !t.is_empty()),
            serial: cell("serial"),
            model: cell("model"),
            location: cell("location"),
            owner: cell("owner"),
            warranty_end: cell("warranty_end"),
            under_contract: cell("under_contract").as_deref().and_then(bool_cell),
            status: cell("status").filter(|s| !s.is_empty()),
            notes: cell("notes"),
            custom_fields: None,
        };
        let mut plan = RowPlan {
            line,
            action: "create".into(),
            tag: input.tag.clone().unwrap_or_default().to_uppercase(),
            reason: None,
            input: input.clone(),
            existing: None,
        };
        let verdict = (|| -> Result<()> {
            fields(None, &input, &known)?;
            if let Some(t) = &input.tag {
                let tag = check_tag(t)?;
                if let Some(first) = seen.insert(tag.clone(), line) {
                    return Err(StoreError::invalid(
                        "tag",
                        format!("`{tag}` appears twice in the file (line {first})"),
                    ));
                }
                match (existing.get(&tag), &own_code) {
                    (Some((id, owner)), _) if *owner == client => {
                        plan.action = "update".into();
                        plan.existing = Some(*id);
                    }
                    // The same answer for another client's tag and a tag that does not fit.
                    (Some(_), Some(code)) => return Err(tag_refused(code, &tag)),
                    (None, Some(code)) if !fits_prefix(code, &tag) => {
                        return Err(tag_refused(code, &tag));
                    }
                    (Some(_), None) => {
                        return Err(StoreError::invalid(
                            "tag",
                            format!("`{tag}` is already used by another client"),
                        ));
                    }
                    (None, _) => {}
                }
            }
            Ok(())
        })();
        if let Err(e) = verdict {
            plan.action = "reject".into();
            plan.reason = Some(match e {
                StoreError::Invalid { field, message } => format!("{field}: {message}"),
                other => other.to_string(),
            });
        }
        rows.push(plan);
    }
    let count = |a: &str| rows.iter().filter(|r| r.action == a).count();
    Ok(ImportPlan {
        client_org_id: client,
        creates: count("create"),
        updates: count("update"),
        rejects: count("reject"),
        rows,
        applied: false,
    })
}

/// Writes the plan in one transaction. With rejected rows nothing is written unless
/// `valid_rows_only` is set, which writes the valid rows and skips the rejected ones.
pub async fn apply_import(
    store: &Store,
    actor: &Actor,
    client_org_id: Option<i64>,
    table: &weihu_sheets::Table,
    valid_rows_only: bool,
) -> Result<ImportPlan> {
    let mut plan = plan_import(store, actor, client_org_id, table).await?;
    if plan.rejects > 0 && !valid_rows_only {
        let first = plan
            .rows
            .iter()
            .find(|r| r.action == "reject")
            .and_then(|r| r.reason.clone().map(|m| format!("line {}: {m}", r.line)))
            .unwrap_or_default();
        return Err(StoreError::invalid(
            "file",
            format!(
                "{} rows are invalid, nothing was imported ({first}); fix them or import the valid rows only",
                plan.rejects
            ),
        ));
    }
    let known = types(store).await?;
    // Read everything before the transaction opens: it must never wait for a second connection.
    let mut currents: HashMap<i64, Asset> = HashMap::new();
    for id in plan.rows.iter().filter_map(|r| r.existing) {
        currents.insert(id, get(store, actor, id).await?);
    }
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let code = client_code(&mut tx, plan.client_org_id).await?;
    for r in plan.rows.iter_mut().filter(|r| r.action != "reject") {
        match r.existing.and_then(|id| currents.get(&id)) {
            Some(current) => {
                let f = fields(Some(current), &r.input, &known)?;
                write_update(&mut tx, actor, current, None, &f, &current.tag).await?;
            }
            None => {
                let f = fields(None, &r.input, &known)?;
                let tag = match &r.input.tag {
                    Some(t) => check_tag(t)?,
                    None => next_tag(&mut tx, &code, &f.asset_type).await?,
                };
                r.tag = tag.clone();
                insert(&mut tx, actor, plan.client_org_id, &tag, &f, now).await?;
            }
        }
    }
    audit::record(
        &mut tx,
        actor,
        Some(plan.client_org_id),
        "asset_registry",
        plan.client_org_id,
        "import",
        json!({"created": plan.creates, "updated": plan.updates, "skipped": plan.rejects}),
    )
    .await?;
    tx.commit().await?;
    plan.applied = true;
    Ok(plan)
}

/// The registry (as filtered) as a table for CSV or Excel, with the importer's headers.
pub async fn export_table(
    store: &Store,
    actor: &Actor,
    filter: &AssetFilter,
) -> Result<weihu_sheets::Table> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let page = list(
            store,
            actor,
            filter,
            &ListParams {
                limit: Some(crate::page::MAX_LIMIT),
                offset: Some(offset),
                sort: Some("tag".into()),
                q: None,
            },
        )
        .await?;
        for a in &page.items {
            rows.push(vec![
                a.client_name.clone(),
                a.tag.clone(),
                a.asset_type.clone(),
                a.serial.clone(),
                a.model.clone(),
                a.location.clone(),
                a.owner.clone(),
                a.warranty_end.clone().unwrap_or_default(),
                if a.under_contract { "yes" } else { "no" }.to_owned(),
                a.status.clone(),
                a.notes.clone(),
            ]);
        }
        offset += crate::page::MAX_LIMIT;
        if offset >= page.total {
            break;
        }
    }
    Ok(weihu_sheets::Table {
        headers: [
            "client",
            "tag",
            "type",
            "serial",
            "model",
            "location",
            "owner",
            "warranty_end",
            "under_contract",
            "status",
            "notes",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
        rows,
    })
}
