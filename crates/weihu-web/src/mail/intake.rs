//! One arriving message, whichever way it came (`weihu mail receive`, the IMAP poller): read,
//! recorded in the inbox under its `Message-ID`, routed by the domain's rule
//! (`weihu_domain::mail::route`), and made into what the route says, acting as the sender.
//! Nothing is dropped silently: every message has an inbox row saying what became of it.

use base64::Engine;
use weihu_domain::mail::{Route, Target};
use weihu_domain::priority::Level;
use weihu_mail::{Incoming, Limits, OurId};
use weihu_store::mail::inbox::{self, Arrived};
use weihu_store::orders::{self, NewOrder};
use weihu_store::{Actor, Store, StoreError};

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Order {
        inbox: i64,
        order_id: i64,
        number: String,
    },
    Comment {
        inbox: i64,
        order_id: i64,
    },
    Review {
        inbox: i64,
        reason: String,
    },
    Ignored {
        inbox: i64,
        reason: String,
    },
    /// A message with this `Message-ID` was taken before.
    Duplicate,
}

impl Outcome {
    pub fn describe(&self) -> String {
        match self {
            Outcome::Order { number, .. } => format!("new order {number}"),
            Outcome::Comment { order_id, .. } => format!("comment on order {order_id}"),
            Outcome::Review { reason, .. } => format!("waiting for review ({reason})"),
            Outcome::Ignored { reason, .. } => format!("recorded, not answered ({reason})"),
            Outcome::Duplicate => "already taken".into(),
        }
    }
}

/// The intake's settings.
#[derive(Debug, Clone)]
pub struct Intake {
    /// The domain of our `Message-ID`s (the mail-from address's): replies name it, loops carry it.
    pub domain: String,
    pub limits: Limits,
    /// Messages waiting for review at most: anyone can send mail, so past this a message from
    /// an unknown sender is recorded without entering the queue (spam cannot bury the desk).
    pub review_cap: i64,
}

impl Intake {
    pub fn new(domain: String, limits: Limits) -> Intake {
        Intake {
            domain,
            limits,
            review_cap: REVIEW_CAP,
        }
    }
}

/// The default [`Intake::review_cap`].
pub const REVIEW_CAP: i64 = 5_000;

/// A raw message larger than this is not kept for review (its text is); accepting it then makes
/// the order without its attachments.
pub const MAX_KEPT_RAW: usize = 5 * 1024 * 1024;

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The order a message names: the number in its subject first, then our ids in `In-Reply-To`
/// and `References`.
async fn target_of(
    store: &Store,
    m: &Incoming,
    domain: &str,
) -> Result<Option<Target>, StoreError> {
    if let Some(number) = weihu_mail::order_number_in(&m.subject)
        && let Some(t) = inbox::target_by_number(store, &number).await?
    {
        return Ok(Some(t));
    }
    for id in m.in_reply_to.iter().chain(m.references.iter().rev()) {
        let order = match weihu_mail::our_id(id, domain) {
            Some(OurId::Order(o)) => Some(o),
            Some(OurId::Outbox(b)) => inbox::order_of_outbox(store, b).await?,
            None => None,
        };
        if let Some(o) = order
            && let Some(t) = inbox::target_by_id(store, o).await?
        {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

/// Takes one raw message.
pub async fn receive(
    store: &Store,
    intake: &Intake,
    raw: &[u8],
    source: &str,
) -> Result<Outcome, StoreError> {
    let m = match weihu_mail::parse(raw, &intake.limits) {
        Ok(m) => m,
        Err(e) => {
            // Recorded (without the message) so the administrator sees it arrived.
            let a = Arrived {
                message_id: None,
                source: source.to_owned(),
                from_addr: String::new(),
                from_name: String::new(),
                subject: String::new(),
                body: String::new(),
                raw: None,
            };
            let reason = e.to_string();
            let id = inbox::record(store, &a, "ignored", &reason)
                .await?
                .unwrap_or(0);
            return Ok(Outcome::Ignored { inbox: id, reason });
        }
    };
    let ours = m
        .message_id
        .as_deref()
        .is_some_and(|id| weihu_mail::our_id(id, &intake.domain).is_some());
    let (sender, user_id) = inbox::sender(store, &m.from).await?;
    let target = target_of(store, &m, &intake.domain).await?;
    let route = weihu_domain::mail::route(
        m.automatic.is_some(),
        ours,
        sender,
        target,
        weihu_store::now_ms(),
    );
    let route = match route {
        Route::Review(_) if inbox::waiting_count(store).await? >= intake.review_cap => {
            Route::Ignore("the review queue is full")
        }
        r => r,
    };
    let keep_raw = matches!(route, Route::Review(_)) && raw.len() <= MAX_KEPT_RAW;
    let arrived = Arrived {
        message_id: m.message_id.clone(),
        source: cut(source, 100),
        from_addr: m.from.clone(),
        from_name: m.from_name.clone(),
        subject: m.subject.clone(),
        body: m.text.clone(),
        raw: keep_raw.then(|| base64::engine::general_purpose::STANDARD.encode(raw)),
    };
    let (first_state, first_reason) = match &route {
        Route::Ignore(r) => (
            "ignored",
            match &m.automatic {
                Some(a) => format!("{r}: {}", a.describe()),
                None => (*r).to_owned(),
            },
        ),
        Route::Review(r) => ("review", (*r).to_owned()),
        // Until it is done: a crash in between leaves it in the queue, not lost.
        _ => (
            "review",
            "interrupted while being taken; check and accept or reject".to_owned(),
        ),
    };
    let Some(inbox_id) = inbox::record(store, &arrived, first_state, &first_reason).await? else {
        return Ok(Outcome::Duplicate);
    };
    match route {
        Route::Ignore(_) => Ok(Outcome::Ignored {
            inbox: inbox_id,
            reason: first_reason,
        }),
        Route::Review(_) => Ok(Outcome::Review {
            inbox: inbox_id,
            reason: first_reason,
        }),
        Route::NewOrder { client_org_id } => {
            new_order(store, inbox_id, &m, user_id, client_org_id, None).await
        }
        Route::FollowUp {
            previous,
            client_org_id,
        } => new_order(store, inbox_id, &m, user_id, client_org_id, Some(previous)).await,
        Route::Comment { order_id } => comment(store, inbox_id, &m, user_id, order_id, false).await,
        Route::CommentOfferReopen { order_id } => {
            comment(store, inbox_id, &m, user_id, order_id, true).await
        }
    }
}

async fn actor(store: &Store, user_id: Option<i64>) -> Result<Option<Actor>, StoreError> {
    match user_id {
        Some(u) => weihu_store::users::actor_for(store, u).await,
        None => Ok(None),
    }
}

/// The store said no (to this user, this text, this file), as opposed to failing.
fn refusal(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::NotFound
            | StoreError::Forbidden(_)
            | StoreError::Conflict { .. }
            | StoreError::Invalid { .. }
            | StoreError::Duplicate { .. }
    )
}

/// A refusal by the store becomes a review item naming it; a database failure is an error.
async fn to_review(
    store: &Store,
    inbox_id: i64,
    user_id: Option<i64>,
    e: StoreError,
) -> Result<Outcome, StoreError> {
    if !refusal(&e) {
        return Err(e);
    }
    let reason = format!("refused: {e}");
    inbox::settle(store, inbox_id, "review", &reason, user_id, None, None).await?;
    Ok(Outcome::Review {
        inbox: inbox_id,
        reason,
    })
}

/// The subject of an order made from a mail: the mail's, or its first line when it has none.
fn subject_of(m: &Incoming) -> String {
    let s = m.subject.trim();
    let s = if s.is_empty() {
        m.text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("(邮件 / e-mail)")
    } else {
        s
    };
    cut(s, 200)
}

pub(crate) fn order_from_mail(
    m: &Incoming,
    client_org_id: i64,
    requester_id: Option<i64>,
) -> NewOrder {
    NewOrder {
        client_org_id: Some(client_org_id),
        requester_id,
        requester_name: requester_id.is_none().then(|| {
            if m.from_name.is_empty() {
                m.from.clone()
            } else {
                format!("{} <{}>", m.from_name, m.from)
            }
        }),
        requester_phone: String::new(),
        site: String::new(),
        channel: Some("email".into()),
        category: "other".into(),
        urgency: Level::Medium,
        impact: Level::Medium,
        subject: subject_of(m),
        description: cut(&m.text, 10_000),
        service_mode: None,
        asset_id: None,
        catalog_item_id: None,
    }
}

async fn new_order(
    store: &Store,
    inbox_id: i64,
    m: &Incoming,
    user_id: Option<i64>,
    client_org_id: i64,
    previous: Option<i64>,
) -> Result<Outcome, StoreError> {
    let Some(a) = actor(store, user_id).await? else {
        return to_review(store, inbox_id, user_id, StoreError::NotFound).await;
    };
    let order = match orders::create(store, &a, &order_from_mail(m, client_org_id, None)).await {
        Ok(o) => o,
        Err(e) => return to_review(store, inbox_id, user_id, e).await,
    };
    let mut notes = attach_all(store, &a, order.id, m).await?;
    if let Some(prev) = previous {
        let system = system_actor(store).await?;
        let link = weihu_store::orders::NewLink {
            kind: "follow_up_of".into(),
            other_id: Some(prev),
            other_number: None,
        };
        if let Err(e) = weihu_store::orders::link(store, &system, order.id, &link).await {
            notes.push(format!("not linked to the earlier order: {e}"));
        }
    }
    inbox::settle(
        store,
        inbox_id,
        "order",
        &notes.join("; "),
        user_id,
        Some(order.id),
        Some(client_org_id),
    )
    .await?;
    Ok(Outcome::Order {
        inbox: inbox_id,
        order_id: order.id,
        number: order.number,
    })
}

async fn comment(
    store: &Store,
    inbox_id: i64,
    m: &Incoming,
    user_id: Option<i64>,
    order_id: i64,
    offer_reopen: bool,
) -> Result<Outcome, StoreError> {
    let Some(a) = actor(store, user_id).await? else {
        return to_review(store, inbox_id, user_id, StoreError::NotFound).await;
    };
    let mut body = weihu_mail::quote::cut_history(&m.text);
    if body.trim().is_empty() {
        body = subject_of(m);
    }
    let c = weihu_store::orders::Comment {
        body: cut(&body, 20_000),
        public: true,
    };
    if let Err(e) = weihu_store::orders::comment(store, &a, order_id, &c).await {
        return to_review(store, inbox_id, user_id, e).await;
    }
    let notes = attach_all(store, &a, order_id, m).await?;
    if offer_reopen && let Some(u) = user_id {
        weihu_store::mail::outbox::offer_reopen(store, u, order_id, &cut(&body, 2000)).await?;
    }
    let client = a.client_scope();
    inbox::settle(
        store,
        inbox_id,
        "comment",
        &notes.join("; "),
        user_id,
        Some(order_id),
        client,
    )
    .await?;
    Ok(Outcome::Comment {
        inbox: inbox_id,
        order_id,
    })
}

/// Each attachment through the same checks as an upload; a refused one is named, not fatal.
pub(crate) async fn attach_all(
    store: &Store,
    a: &Actor,
    order_id: i64,
    m: &Incoming,
) -> Result<Vec<String>, StoreError> {
    let mut notes = Vec::new();
    for f in &m.attachments {
        match weihu_store::orders::attachments::add(
            store,
            a,
            order_id,
            &f.name,
            &f.content_type,
            &f.bytes,
            true,
        )
        .await
        {
            Ok(_) => {}
            Err(e) if !refusal(&e) => return Err(e),
            Err(e) => notes.push(format!("attachment {} refused: {e}", f.name)),
        }
    }
    if m.dropped_attachments > 0 {
        notes.push(format!(
            "{} more attachments not taken (at most {} per mail)",
            m.dropped_attachments,
            m.attachments.len()
        ));
    }
    Ok(notes)
}

pub(crate) async fn system_actor(store: &Store) -> Result<Actor, StoreError> {
    let provider = weihu_store::organizations::provider(store)
        .await?
        .map(|(id, _)| id)
        .unwrap_or(0);
    Ok(Actor::system(provider))
}

/// The dispatcher accepts a reviewed message as an order of `client`: made on the client's
/// behalf (the sender as the requester's name), with the message's attachments.
pub async fn accept(
    store: &Store,
    actor: &Actor,
    inbox_id: i64,
    client: i64,
    limits: &Limits,
) -> Result<orders::Order, StoreError> {
    let raw = inbox::raw(store, actor, inbox_id).await?;
    let item = inbox::get(store, actor, inbox_id).await?;
    inbox::decide(store, actor, inbox_id, "accepted", "", Some(client)).await?;
    let parsed = raw
        .and_then(|r| base64::engine::general_purpose::STANDARD.decode(r).ok())
        .and_then(|bytes| weihu_mail::parse(&bytes, limits).ok());
    let m = parsed.unwrap_or_else(|| Incoming {
        from: item.from_addr.clone(),
        from_name: item.from_name.clone(),
        subject: item.subject.clone(),
        message_id: item.message_id.clone(),
        in_reply_to: Vec::new(),
        references: Vec::new(),
        text: item.body.clone(),
        attachments: Vec::new(),
        dropped_attachments: 0,
        automatic: None,
    });
    let order = match orders::create(store, actor, &order_from_mail(&m, client, None)).await {
        Ok(o) => o,
        Err(e) => {
            inbox::undecide(store, inbox_id, &format!("accepting failed: {e}")).await?;
            return Err(e);
        }
    };
    attach_all(store, actor, order.id, &m).await?;
    inbox::accepted(store, inbox_id, order.id).await?;
    Ok(order)
}
