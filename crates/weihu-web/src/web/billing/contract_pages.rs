//! Contract pages: list, detail with terms, engineers, devices, resident days and items, the invoicing schedule, termination.

use super::*;

#[derive(Template)]
#[template(path = "contracts.html")]
pub(super) struct ContractList {
    ctx: PageCtx,
    page: Page<Contract>,
    clients: Vec<Organization>,
    policies: Vec<StoredPolicy>,
    calendars: Vec<StoredCalendar>,
    status: String,
    client: Option<i64>,
    can_edit: bool,
    error: Option<String>,
}

impl ContractList {
    fn selected(&self, id: &i64) -> bool {
        self.client == Some(*id)
    }
}

pub(super) async fn contract_list(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = f.apply(&mut ctx);
    let a = &session.actor;
    let status = f.status.clone().filter(|s| !s.is_empty());
    let client = f.client.as_deref().and_then(|c| c.parse().ok());
    let filter = ContractFilter {
        client_org_id: client,
        status: status.clone(),
    };
    let page = match contracts::list(&s.store, a, &filter, &all()).await {
        Ok(p) => p,
        Err(e) => return page_error(ctx, e.into()),
    };
    let clients = if a.is_client() {
        Vec::new()
    } else {
        organizations::list(
            &s.store,
            a,
            &OrgFilter {
                kind: Some(OrgKind::Client),
                active: Some(true),
            },
            &all(),
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default()
    };
    let can_edit = a.role.can_manage_contracts();
    let (policies, cals) = if can_edit {
        (
            calendars::list_policies(&s.store, a, &all())
                .await
                .map(|p| p.items)
                .unwrap_or_default(),
            calendars::list(&s.store, a, &all())
                .await
                .map(|p| p.items)
                .unwrap_or_default(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    render(&ContractList {
        ctx,
        page,
        clients,
        policies,
        calendars: cals,
        status: status.unwrap_or_default(),
        client,
        can_edit,
        error,
    })
}

/// The contract form: every pricing model's fields; only the chosen model's are read.
#[derive(Deserialize, Default)]
pub(super) struct ContractForm {
    csrf: String,
    client_org_id: Option<String>,
    #[serde(default)]
    number: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    monthly_fee: String,
    #[serde(default)]
    visit_cap: String,
    #[serde(default)]
    over_cap_fee: String,
    #[serde(default)]
    rate_pc: String,
    #[serde(default)]
    rate_network: String,
    #[serde(default)]
    rate_peripheral: String,
    #[serde(default)]
    rate_server: String,
    #[serde(default)]
    day_rate: String,
    #[serde(default)]
    device_prices: String,
    #[serde(default)]
    emergency_fee: String,
    #[serde(default)]
    committed_monthly_fee: String,
    #[serde(default)]
    trial_months: String,
    #[serde(default)]
    penalty_percent: String,
    #[serde(default)]
    first_invoice_months: String,
    #[serde(default)]
    then_every_months: String,
    #[serde(default)]
    due_working_days: String,
    policy_id: Option<String>,
    calendar_id: Option<String>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    resident_slot: String,
    #[serde(default)]
    notice_days: String,
    #[serde(default)]
    auto_renew: Option<String>,
}

pub(super) fn int(field: &str, v: &str, default: i64) -> Result<i64, StoreError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(default);
    }
    v.parse()
        .map_err(|_| StoreError::invalid(field, "must be a whole number"))
}

pub(super) fn opt_id(v: &Option<String>) -> Option<i64> {
    v.as_deref().and_then(|s| s.parse().ok()).filter(|i| *i > 0)
}

/// Builds the `terms` document of the API from the form's fields.
pub(super) fn terms_of(f: &ContractForm) -> Result<Value, StoreError> {
    let amount = |v: &str| -> Value {
        let v = v.trim();
        if v.is_empty() { json!("0") } else { json!(v) }
    };
    let pricing = match f.model.as_str() {
        "per_visit" => {
            let mut rates = Map::new();
            for (k, v) in [
                ("pc", &f.rate_pc),
                ("network", &f.rate_network),
                ("peripheral", &f.rate_peripheral),
                ("server", &f.rate_server),
            ] {
                if !v.trim().is_empty() {
                    rates.insert(k.into(), json!(v.trim()));
                }
            }
            json!({"model": "per_visit", "rates": rates})
        }
        "monthly_capped" => json!({
            "model": "monthly_capped",
            "monthly_fee": amount(&f.monthly_fee),
            "visit_cap": int("pricing.visit_cap", &f.visit_cap, 0)?,
            "over_cap_fee": amount(&f.over_cap_fee),
        }),
        "monthly_unlimited" => {
            json!({"model": "monthly_unlimited", "monthly_fee": amount(&f.monthly_fee)})
        }
        "resident" => json!({"model": "resident", "day_rate": amount(&f.day_rate)}),
        "per_device" => {
            let mut prices = Map::new();
            for (i, line) in f.device_prices.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let (k, v) = line.split_once(['=', ':', '：']).ok_or_else(|| {
                    StoreError::invalid(
                        "device_prices",
                        format!("line {}: write type=price, e.g. pc=30.00", i + 1),
                    )
                })?;
                prices.insert(k.trim().to_owned(), json!(v.trim()));
            }
            json!({"model": "per_device", "monthly_prices": prices})
        }
        _ => {
            return Err(StoreError::invalid("model", "choose a pricing model"));
        }
    };
    let percent = f.penalty_percent.trim();
    let rate = if percent.is_empty() {
        "0.5".to_owned()
    } else {
        let p: rust_decimal::Decimal = percent
            .parse()
            .map_err(|_| StoreError::invalid("penalty_rate", "must be a percentage"))?;
        (p / rust_decimal::Decimal::ONE_HUNDRED)
            .normalize()
            .to_string()
    };
    let mut terms = json!({
        "pricing": pricing,
        "emergency_fee": amount(&f.emergency_fee),
        "trial_months": int("trial_months", &f.trial_months, 1)?,
        "penalty_rate": rate,
        "payment": {
            "first_invoice_months": int("payment.first_invoice_months", &f.first_invoice_months, 3)?,
            "then_every_months": int("payment.then_every_months", &f.then_every_months, 3)?,
            "due_working_days": int("payment.due_working_days", &f.due_working_days, 5)?,
        },
    });
    if !f.committed_monthly_fee.trim().is_empty() {
        terms["committed_monthly_fee"] = json!(f.committed_monthly_fee.trim());
    }
    Ok(terms)
}

pub(super) async fn contract_create(
    State(s): State<AppState>,
    session: WebSession,
    Form(f): Form<ContractForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let r = async {
        let client = opt_id(&f.client_org_id)
            .ok_or_else(|| StoreError::invalid("client_org_id", "choose the client"))?;
        let new = NewContract {
            client_org_id: client,
            number: f.number.clone(),
            title: f.title.clone(),
            start_date: f.start_date.clone(),
            end_date: f.end_date.clone(),
            terms: terms_of(&f)?,
            policy_id: opt_id(&f.policy_id),
            calendar_id: opt_id(&f.calendar_id),
            scope: f.scope.clone(),
            resident_slot: f.resident_slot.clone(),
            notice_days: Some(int("notice_days", &f.notice_days, 30)?),
            auto_renew: f.auto_renew.is_some(),
            internal_note: String::new(),
        };
        contracts::create(&s.store, &session.actor, &new).await
    }
    .await;
    match r {
        Ok(c) => Redirect::to(&format!("/contracts/{}?ok=1", c.id)).into_response(),
        Err(e) => back("/contracts", Err(e)),
    }
}

#[derive(Template)]
#[template(path = "contract.html")]
pub(super) struct ContractDetail {
    ctx: PageCtx,
    c: Contract,
    terms: Vec<(String, String)>,
    engineers: Vec<ContractEngineer>,
    devices: Vec<ContractDevice>,
    invoices: Vec<InvoiceOut>,
    statements: Vec<Statement>,
    preview: Option<Preview>,
    preview_error: Option<String>,
    quote: Option<TerminationQuote>,
    staff: Vec<User>,
    can_edit: bool,
    month: String,
    notice_date: String,
    error: Option<String>,
}

impl ContractDetail {
    fn termination_text(&self) -> Vec<(String, String)> {
        let Some(t) = &self.c.termination else {
            return Vec::new();
        };
        let s = |k: &str| t[k].as_str().unwrap_or("").to_owned();
        vec![
            (self.ctx.t("contract.notice_date").into(), s("notice_date")),
            (
                self.ctx.t("contract.effective_date").into(),
                s("effective_date"),
            ),
            (
                self.ctx.t("contract.by").into(),
                self.ctx.tk("party", &s("by")),
            ),
            (self.ctx.t("contract.reason").into(), s("reason")),
            (
                self.ctx.t("contract.penalty").into(),
                if t["penalty_waived"].as_bool() == Some(true) {
                    self.ctx.t("contract.penalty_waived").to_owned()
                } else {
                    format!("¥{}", t["quote"]["penalty"].as_str().unwrap_or("0.00"))
                },
            ),
            (
                self.ctx.t("contract.refund").into(),
                format!("¥{}", t["quote"]["refund"].as_str().unwrap_or("0.00")),
            ),
        ]
    }
}

pub(super) async fn contract_detail(
    State(s): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    session: WebSession,
    Id(id): Id,
    Query(f): Query<Flash>,
) -> Response {
    let mut ctx = PageCtx::new(&headers, &session, uri.path());
    let error = f.apply(&mut ctx);
    let a = &session.actor;
    let c = match contracts::get(&s.store, a, id).await {
        Ok(c) => c,
        Err(e) => return page_error(ctx, e.into()),
    };
    let engineers = contracts::engineers(&s.store, a, id)
        .await
        .unwrap_or_default();
    let devices = contracts::devices(&s.store, a, id)
        .await
        .unwrap_or_default();
    let invoices = schedule(&s, a, id).await.unwrap_or_default();
    let statements = statements::list(
        &s.store,
        a,
        &StatementFilter {
            contract_id: Some(id),
            ..Default::default()
        },
        &all(),
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default();
    let month = f
        .month
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(statements::current_month);
    let (preview, preview_error) = if a.is_client() || c.status == "draft" {
        (None, None)
    } else {
        match statements::preview(&s.store, a, id, &month).await {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e.to_string())),
        }
    };
    let notice_date = f.notice_date.clone().filter(|d| !d.is_empty());
    let quote = match &notice_date {
        Some(d) => match contracts::termination_quote(&s.store, a, id, d, None).await {
            Ok(q) => Some(q),
            Err(e) => return back(&format!("/contracts/{id}"), Err::<(), _>(e)),
        },
        None => None,
    };
    let can_edit = a.role.can_manage_contracts();
    let staff = if a.role.can_record_resident_days() {
        users::list(&s.store, a, &UserFilter::default(), &all())
            .await
            .map(|p| {
                p.items
                    .into_iter()
                    .filter(|u| u.role.is_field_staff() && u.active)
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let terms = terms_rows(&ctx, &c.terms);
    render(&ContractDetail {
        ctx,
        c,
        terms,
        engineers,
        devices,
        invoices,
        statements,
        preview,
        preview_error,
        quote,
        staff,
        can_edit,
        month,
        notice_date: notice_date
            .unwrap_or_else(|| contracts::today_in(contracts::DEFAULT_ZONE).to_string()),
        error,
    })
}

/// Every form on the contract page posts here; `what` names the form.
#[derive(Deserialize)]
pub(super) struct ContractActionForm {
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    notice_date: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    reason: String,
    user_id: Option<String>,
    replaces_user_id: Option<String>,
    #[serde(default)]
    from_date: String,
    #[serde(default)]
    until_date: String,
    #[serde(default)]
    device_type: String,
    #[serde(default)]
    asset_tag: String,
    #[serde(default)]
    work_date: String,
    #[serde(default)]
    item_date: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    unit_price: String,
    #[serde(default)]
    order_number: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn contract_action(
    State(s): State<AppState>,
    session: WebSession,
    axum::extract::Path((id, what)): axum::extract::Path<(i64, String)>,
    Form(f): Form<ContractActionForm>,
) -> Response {
    if let Err(e) = session.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let (st, a) = (&s.store, &session.actor);
    let to = format!("/contracts/{id}");
    let r: Result<Option<String>, StoreError> = async {
        match what.as_str() {
            "activate" => contracts::activate(st, a, id, f.version)
                .await
                .map(|_| None),
            "renew" => contracts::renew(st, a, id)
                .await
                .map(|c| Some(format!("/contracts/{}?ok=1", c.id))),
            "terminate" => contracts::terminate(
                st,
                a,
                id,
                f.version,
                &TerminationRequest {
                    notice_date: f.notice_date.clone(),
                    by: f.by.clone(),
                    reason: f.reason.clone(),
                    paid_through: None,
                },
            )
            .await
            .map(|_| None),
            "engineer" => contracts::add_engineer(
                st,
                a,
                id,
                &NewContractEngineer {
                    user_id: opt_id(&f.user_id)
                        .ok_or_else(|| StoreError::invalid("user_id", "choose the engineer"))?,
                    from_date: f.from_date.clone(),
                    replaces_user_id: opt_id(&f.replaces_user_id),
                    note: f.note.clone(),
                },
            )
            .await
            .map(|_| None),
            "device" => contracts::put_device(
                st,
                a,
                id,
                &ContractDevice {
                    id: 0,
                    device_type: f.device_type.clone(),
                    asset_tag: f.asset_tag.clone(),
                    from_date: f.from_date.clone(),
                    until_date: Some(f.until_date.clone()).filter(|u| !u.trim().is_empty()),
                },
            )
            .await
            .map(|_| None),
            "resident-day" => contracts::add_resident_day(
                st,
                a,
                id,
                &NewResidentDay {
                    user_id: opt_id(&f.user_id)
                        .ok_or_else(|| StoreError::invalid("user_id", "choose the engineer"))?,
                    work_date: f.work_date.clone(),
                    note: f.note.clone(),
                },
            )
            .await
            .map(|_| None),
            "item" => contracts::add_item(
                st,
                a,
                id,
                &NewBillableItem {
                    item_date: f.item_date.clone(),
                    description: f.description.clone(),
                    quantity: Some(int("quantity", &f.quantity, 1)?),
                    unit_price: f.unit_price.clone(),
                    order_number: Some(f.order_number.clone()).filter(|n| !n.trim().is_empty()),
                },
            )
            .await
            .map(|_| None),
            "generate" => {
                let month = if f.month.trim().is_empty() {
                    statements::current_month()
                } else {
                    f.month.clone()
                };
                statements::generate(st, a, &month, Some(id))
                    .await
                    .map(|_| Some(format!("/statements?month={month}&ok=1")))
            }
            _ => Err(StoreError::NotFound),
        }
    }
    .await;
    match r {
        Ok(Some(next)) => Redirect::to(&next).into_response(),
        Ok(None) => back(&to, Ok::<(), StoreError>(())),
        Err(e) => back(&to, Err(e)),
    }
}
