//! What each role's home page puts first (`Role::home`): the engineer's day (own open orders by
//! due time, planned visits, clocks at risk) built for a phone; the dispatcher's queue of
//! unassigned orders; finance's statements to review and overdue; the service-level manager's
//! clocks at risk; the client's orders waiting for them, to confirm, parts to approve and
//! statements to pay.

use weihu_domain::role::Home;
use weihu_store::agenda::{self, AgendaItem};
use weihu_store::orders::{self, Order, OrderFilter};
use weihu_store::statements::{self, Statement, StatementFilter};
use weihu_store::{Actor, ListParams, Result, Store};

#[derive(Default)]
pub struct RoleHome {
    /// `engineer`, `dispatch`, `finance`, `service_levels` or `client`: which sections show.
    pub kind: &'static str,
    /// The engineer's open orders (most urgent due first); the dispatcher's unassigned queue;
    /// the service-level manager's orders at risk; the client's orders waiting for them.
    pub orders: Vec<Order>,
    /// The client's resolved orders to confirm (and sign).
    pub to_confirm: Vec<Order>,
    /// The engineer's planned visits; the client administrator's parts to approve.
    pub agenda: Vec<AgendaItem>,
    /// Finance's drafts to review; the client's issued statements to pay.
    pub statements: Vec<Statement>,
    /// Finance's overdue statements.
    pub overdue: Vec<Statement>,
    /// The service-level manager's early warnings for the running month, per client.
    pub warnings: Vec<weihu_store::service_levels::ClientWarning>,
}

fn first(n: i64, sort: &str) -> ListParams {
    ListParams {
        limit: Some(n),
        sort: Some(sort.into()),
        ..Default::default()
    }
}

async fn statements_in(store: &Store, a: &Actor, state: &str) -> Result<Vec<Statement>> {
    if !a.role.can_read_statements() {
        return Ok(Vec::new());
    }
    let f = StatementFilter {
        state: Some(state.into()),
        ..Default::default()
    };
    Ok(statements::list(store, a, &f, &first(10, "month"))
        .await?
        .items)
}

pub async fn load(store: &Store, a: &Actor) -> Result<RoleHome> {
    let open = |f: OrderFilter| OrderFilter {
        open: Some(true),
        ..f
    };
    Ok(match a.role.home() {
        Home::EngineerToday => RoleHome {
            kind: "engineer",
            orders: orders::list(
                store,
                a,
                &open(OrderFilter {
                    assignee_id: Some(a.user_id),
                    ..Default::default()
                }),
                &first(20, "due"),
            )
            .await?
            .items,
            agenda: agenda::planned_visits(store, a, 20).await?,
            ..Default::default()
        },
        Home::DispatchQueue => RoleHome {
            kind: "dispatch",
            orders: orders::list(
                store,
                a,
                &open(OrderFilter {
                    unassigned: Some(true),
                    ..Default::default()
                }),
                &first(10, "priority"),
            )
            .await?
            .items,
            ..Default::default()
        },
        Home::Finance => RoleHome {
            kind: "finance",
            statements: statements_in(store, a, "draft").await?,
            overdue: statements_in(store, a, "overdue").await?,
            ..Default::default()
        },
        Home::ServiceLevels => RoleHome {
            kind: "service_levels",
            orders: orders::list(
                store,
                a,
                &open(OrderFilter {
                    at_risk: Some(true),
                    ..Default::default()
                }),
                &first(20, "due"),
            )
            .await?
            .items,
            warnings: weihu_store::service_levels::warnings(store, a, None).await?,
            ..Default::default()
        },
        Home::Client => RoleHome {
            kind: "client",
            orders: orders::list(
                store,
                a,
                &OrderFilter {
                    state: Some("waiting_client".into()),
                    ..Default::default()
                },
                &first(10, "-updated_at"),
            )
            .await?
            .items,
            to_confirm: orders::list(
                store,
                a,
                &OrderFilter {
                    state: Some("resolved".into()),
                    ..Default::default()
                },
                &first(10, "-updated_at"),
            )
            .await?
            .items,
            agenda: agenda::parts_to_approve(store, a, 20).await?,
            statements: statements_in(store, a, "issued").await?,
            ..Default::default()
        },
    })
}
