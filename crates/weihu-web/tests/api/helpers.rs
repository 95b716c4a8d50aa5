//! `TestApp`: the real server on `127.0.0.1:0` over a fresh, demo-loaded database, with an API
//! token for every login the scenarios act as.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::Value;
use weihu_domain::role::Role;
use weihu_store::users::{self, NewUser};
use weihu_store::{Actor, Backend, Store, demo, organizations, testing, tokens};

/// The administrator every scenario may act as (the demo data has none).
pub const ADMIN: &str = "it.admin";
/// Orders in the demo data: 12 of this month in every state (one escalated, one a duplicate),
/// 10 closed ones of last month.
pub const DEMO_ORDERS: usize = 22;

/// The logins that get an API token up front.
const TOKEN_USERS: &[&str] = &[
    ADMIN,
    "wang.fang",
    "li.qiang",
    "zhang.wei",
    "zhao.min",
    "liu.yang",
    "zhou.jg",
    "wu.li",
    "sun.hao",
    "qian.min",
    "he.yun",
];

pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    pub store: Store,
    pub backend: Backend,
    pub client: reqwest::Client,
    /// Username → bearer secret.
    pub tokens: HashMap<&'static str, String>,
    /// Username → the id of the token in `tokens`.
    pub token_ids: HashMap<&'static str, i64>,
    pub system: Actor,
}

impl TestApp {
    /// A served app over a fresh database with the demo data, or `None` when the backend is
    /// unavailable outside CI.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let store = testing::fresh_store(backend).await?;
        demo::load(&store).await.expect("load the demo data");
        let (provider_id, _) = organizations::provider(&store)
            .await
            .expect("query the provider")
            .expect("the provider exists");
        let system = Actor::system(provider_id);
        users::create(
            &store,
            &system,
            &NewUser {
                org_id: provider_id,
                username: ADMIN.into(),
                display_name: "集成测试管理员".into(),
                email: String::new(),
                phone: String::new(),
                role: Role::Admin,
                team_id: None,
                locale: None,
                password: demo::DEMO_PASSWORD.into(),
            },
        )
        .await
        .expect("create the test administrator");
        let mut secrets = HashMap::new();
        let mut token_ids = HashMap::new();
        for name in TOKEN_USERS {
            let (user, _) = users::find_by_username(&store, name)
                .await
                .expect("query a user")
                .unwrap_or_else(|| panic!("demo user {name} exists"));
            let (token, secret) = tokens::create(&store, &system, user.id, "test", None)
                .await
                .expect("create a token");
            secrets.insert(*name, secret);
            token_ids.insert(*name, token.id);
        }

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = weihu_web::AppState::new(store.clone(), weihu_web::WebConfig::default());
        tokio::spawn(async move {
            weihu_web::serve(listener, state, std::future::pending())
                .await
                .expect("serve");
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client");
        let app = TestApp {
            base: format!("http://{addr}"),
            store,
            backend,
            client,
            tokens: secrets,
            token_ids,
            system,
        };
        // The socket is listening already; one request proves the router answers.
        let (status, _) = app.get("/healthz", None).await;
        assert_eq!(status, 200, "the server answers /healthz");
        Some(app)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Gives a user created during a test a token, so `send` can act as them.
    pub async fn add_token(&mut self, user: &'static str) {
        let id = self.user_id(user).await;
        let (token, secret) = tokens::create(&self.store, &self.system, id, "test", None)
            .await
            .expect("create a token");
        self.tokens.insert(user, secret);
        self.token_ids.insert(user, token.id);
    }

    /// The bearer secret of `user` (one of the logins that got a token up front).
    pub fn token(&self, user: &str) -> &str {
        self.tokens
            .get(user)
            .unwrap_or_else(|| panic!("no token for {user}"))
    }

    /// Sends one request as `user` (None: anonymous) with an optional JSON body; returns the
    /// status and the body as JSON (a non-JSON body comes back as a JSON string).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        user: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method.clone(), self.url(path));
        if let Some(u) = user {
            req = req.bearer_auth(self.token(u));
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        read(resp).await
    }

    pub async fn get(&self, path: &str, user: Option<&str>) -> (u16, Value) {
        self.send(Method::GET, path, user, None).await
    }

    pub async fn post(&self, path: &str, user: Option<&str>, body: &Value) -> (u16, Value) {
        self.send(Method::POST, path, user, Some(body)).await
    }

    pub async fn patch(&self, path: &str, user: Option<&str>, body: &Value) -> (u16, Value) {
        self.send(Method::PATCH, path, user, Some(body)).await
    }

    pub async fn delete(&self, path: &str, user: Option<&str>) -> (u16, Value) {
        self.send(Method::DELETE, path, user, None).await
    }

    /// GET that must answer 200; returns the body.
    pub async fn get_ok(&self, path: &str, user: &str) -> Value {
        let (status, body) = self.get(path, Some(user)).await;
        assert_eq!(status, 200, "GET {path} as {user}: {body}");
        body
    }

    /// The id of a user, by login name.
    pub async fn user_id(&self, username: &str) -> i64 {
        users::find_by_username(&self.store, username)
            .await
            .expect("query a user")
            .unwrap_or_else(|| panic!("user {username} exists"))
            .0
            .id
    }

    /// The id of an organisation, by code.
    pub async fn org_id(&self, code: &str) -> i64 {
        let page = organizations::list(
            &self.store,
            &self.system,
            &Default::default(),
            &weihu_store::ListParams {
                q: Some(code.into()),
                ..Default::default()
            },
        )
        .await
        .expect("list organisations");
        page.items
            .iter()
            .find(|o| o.code == code)
            .unwrap_or_else(|| panic!("organisation {code} exists"))
            .id
    }
}

/// Status and JSON body of a response.
pub async fn read(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Asserts an error answer by its status alone: the code follows from it (403 forbidden, 404
/// not_found, 409 conflict, anything else invalid), and the field when one is expected.
#[track_caller]
pub fn assert_refused(status: u16, body: &Value, want: u16, field: Option<&str>) {
    let code = match want {
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        _ => "invalid",
    };
    assert_error("refused", &(status, body.clone()), want, code, field);
}

/// Asserts an error response: `status`, the `{"error": {"code", "message", "field"?}}` shape,
/// the code, and the field when one is expected.
#[track_caller]
pub fn assert_error(
    what: &str,
    (status, body): &(u16, Value),
    want_status: u16,
    want_code: &str,
    want_field: Option<&str>,
) {
    assert_eq!(*status, want_status, "{what}: status; body {body}");
    let err = &body["error"];
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: error.message is a non-empty string: {body}"
    );
    assert_eq!(err["code"], want_code, "{what}: error.code; body {body}");
    if let Some(f) = want_field {
        assert_eq!(err["field"], f, "{what}: error.field; body {body}");
    }
}

/// A browser signed in as `user` through the login form: keeps its cookies, does not follow
/// redirects.
pub async fn signed_in(app: &TestApp, user: &str) -> reqwest::Client {
    let b = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client");
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .expect("GET /login")
        .text()
        .await
        .expect("body");
    let csrf = form_csrf(&html);
    let resp = b
        .post(app.url("/login"))
        .form(&[
            ("username", user),
            ("password", demo::DEMO_PASSWORD),
            ("csrf", csrf.as_str()),
            ("next", ""),
        ])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(resp.status(), 303, "{user} signs in");
    b
}

/// The first CSRF token of a page's forms.
pub fn form_csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no csrf field in the page: {html}"))
        + marker.len();
    let end = start + html[start..].find('"').expect("closing quote");
    html[start..end].to_owned()
}

/// The HTML of `path` for a browser from [`signed_in`]; any answer but 200 fails the test.
pub async fn page_html(browser: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let resp = browser.get(app.url(path)).send().await.expect("GET a page");
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.text().await.expect("page body")
}

/// Posts a page's form as the browser would (same-site `Origin`): the status and the
/// `Location` it redirects to (empty when none).
pub async fn post_form(
    browser: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let resp = browser
        .post(app.url(path))
        .header("origin", app.base.as_str())
        .form(form)
        .send()
        .await
        .expect("POST a form");
    let to = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (resp.status().as_u16(), to)
}
