//! Chinese first, English too. Texts live in `locales/*.toml` (embedded); the language is the
//! switcher's cookie, else the user's setting, else the browser's Accept-Language.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

use crate::auth::{LANG_COOKIE, cookie};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        let c = code.trim().to_ascii_lowercase();
        if c.starts_with("zh") {
            Some(Lang::Zh)
        } else if c.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Picks the language for a request.
    pub fn negotiate(headers: &HeaderMap, user_locale: Option<&str>) -> Lang {
        if let Some(l) = cookie(headers, LANG_COOKIE)
            .as_deref()
            .and_then(Lang::parse)
        {
            return l;
        }
        if let Some(l) = user_locale.and_then(Lang::parse) {
            return l;
        }
        let accept = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // The first language the browser lists that we have; Chinese when it lists none.
        accept
            .split(',')
            .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
            .next()
            .unwrap_or(Lang::Zh)
    }
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut HashMap<String, &'static str>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_owned(), Box::leak(s.clone().into_boxed_str()));
        }
        _ => {}
    }
}

fn load(src: &str) -> HashMap<String, &'static str> {
    let mut out = HashMap::new();
    // The files are ours and checked by a test; a broken one yields an empty table, never a panic.
    if let Ok(t) = toml::from_str::<toml::Table>(src) {
        flatten("", &toml::Value::Table(t), &mut out);
    }
    out
}

static ZH: LazyLock<HashMap<String, &'static str>> =
    LazyLock::new(|| load(include_str!("../locales/zh-CN.toml")));
static EN: LazyLock<HashMap<String, &'static str>> =
    LazyLock::new(|| load(include_str!("../locales/en.toml")));

/// The translator of one request.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// The text for `key`, falling back to English, then to the key itself.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        let table = match self.0 {
            Lang::Zh => &*ZH,
            Lang::En => &*EN,
        };
        table
            .get(key)
            .or_else(|| EN.get(key))
            .copied()
            .unwrap_or(key)
    }
}

/// The shapes of the store's refusal messages that pages translate: the English text with at
/// most one `{}` hole, and the key of its translation (whose `{}` takes what filled the hole).
/// The API keeps the English text; a page reads it in the user's language.
const REFUSALS: [(&str, &str); 38] = [
    ("must have at most {} characters", "refusal.too_long"),
    ("must have at most {} bytes", "refusal.too_long_bytes"),
    ("must have {} characters", "refusal.length_between"),
    ("must be at most {} MB", "refusal.too_big"),
    ("is required", "refusal.required"),
    ("must not be empty", "refusal.required"),
    ("must not be negative", "refusal.negative"),
    ("must not contain spaces", "refusal.no_spaces"),
    ("is not an e-mail address", "refusal.email"),
    ("must be in the future", "refusal.future"),
    ("must be provider staff", "refusal.staff"),
    ("must be one of: {}", "refusal.one_of"),
    ("already taken", "refusal.taken"),
    (
        "no such order of this client",
        "refusal.no_such_order_of_client",
    ),
    ("no such order", "refusal.no_such_order"),
    ("no such client", "refusal.no_such_client"),
    ("no such engineer", "refusal.no_such_engineer"),
    ("no such team", "refusal.no_such_team"),
    ("no such calendar", "refusal.no_such_calendar"),
    ("no such SLA policy", "refusal.no_such_policy"),
    ("no such organisation", "refusal.no_such_org"),
    ("not found", "error.not_found"),
    (
        weihu_store::calendars::POLICY_IN_FORCE,
        "refusal.policy_in_force",
    ),
    (
        weihu_store::contracts::CONTRACT_IN_FORCE,
        "refusal.contract_in_force",
    ),
    (
        "the record was changed by someone else (current version {})",
        "refusal.conflict",
    ),
    ("the request body is too large", "refusal.body_too_large"),
    ("is empty", "refusal.empty"),
    (
        "only images (PNG, JPEG, GIF, WebP), PDF, ZIP and text files are accepted",
        "refusal.file_type",
    ),
    ("at most {} files", "refusal.too_many_files"),
    ("must be positive", "refusal.positive"),
    (
        "write the hours as 09:00-12:00, 13:30-17:30",
        "refusal.hours_format",
    ),
    (
        "write minutes (240) or hours (4h, 1h30m)",
        "refusal.duration_format",
    ),
    ("must be between 1 and 100", "refusal.between_1_100"),
    ("must not be in the future", "refusal.not_future"),
    ("must not be before the start", "refusal.not_before_start"),
    (
        "not a service this client uses",
        "refusal.not_client_service",
    ),
    ("must be between 2000 and 2200", "refusal.years"),
    ("must not contain control characters", "refusal.control"),
];

impl Tr {
    /// A refusal as the reader reads it: `field: message` becomes the field's label and the
    /// message's translation; a message of an unknown shape stays as it came (English).
    pub fn refusal(&self, text: &str) -> String {
        let (field, message) = match text.split_once(": ") {
            Some((f, m)) if is_field_path(f) => (Some(f), m),
            _ => (None, text),
        };
        let said = self.message(message);
        match field {
            Some(f) => format!("{}{}{said}", self.field(f), self.t("refusal.colon")),
            None => said,
        }
    }

    /// A field's label: `field.<last segment>` (`lines[2].price` reads as the price's label),
    /// else the path as it came.
    pub fn field(&self, path: &str) -> String {
        let last = path
            .rsplit('.')
            .next()
            .unwrap_or(path)
            .split('[')
            .next()
            .unwrap_or(path);
        let key = format!("field.{last}");
        match self.t(&key) {
            k if k == key => path.to_owned(),
            label => label.to_owned(),
        }
    }

    /// A refusal's message alone (shown next to the field it names).
    pub fn message(&self, message: &str) -> String {
        for (shape, key) in REFUSALS {
            let hole = match shape.split_once("{}") {
                None if message == shape => Some(""),
                None => None,
                Some((pre, post)) => message
                    .strip_prefix(pre)
                    .and_then(|m| m.strip_suffix(post))
                    .filter(|m| !m.is_empty()),
            };
            if let Some(hole) = hole {
                return self.t(key).replace("{}", &hole.replace(" to ", "–"));
            }
        }
        // "forbidden: …" and the like keep their English detail behind a translated lead.
        if let Some(rest) = message.strip_prefix("forbidden: ") {
            return format!("{} ({rest})", self.t("error.forbidden"));
        }
        message.to_owned()
    }
}

/// Whether `s` looks like a field path the store names (`subject`, `lines[2].price`), not prose.
fn is_field_path(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'[' | b']')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        assert!(ZH.len() > 20, "zh-CN.toml parses");
        let mut missing: Vec<_> = ZH.keys().filter(|k| !EN.contains_key(*k)).collect();
        missing.extend(EN.keys().filter(|k| !ZH.contains_key(*k)));
        assert!(missing.is_empty(), "keys in one language only: {missing:?}");
    }

    /// Every value a page shows through `ctx.tk(prefix, value)` has a label in both languages:
    /// no raw code (`peripheral`, `portal`, `met`, `approved`) reaches a page.
    #[test]
    fn every_enum_value_has_a_label_in_both_languages() {
        use weihu_domain::order::{Action, OrderState};
        use weihu_domain::priority::Level;
        use weihu_domain::sla::ClockKind;
        let mut sets: Vec<(&str, Vec<String>)> = vec![
            (
                "state",
                OrderState::ALL.iter().map(|s| s.as_str().into()).collect(),
            ),
            (
                "action",
                Action::ALL.iter().map(|a| a.as_str().into()).collect(),
            ),
            (
                "level",
                [Level::High, Level::Medium, Level::Low]
                    .iter()
                    .map(|l| l.as_str().into())
                    .collect(),
            ),
            (
                "sla",
                ClockKind::ALL.iter().map(|k| k.as_str().into()).collect(),
            ),
        ];
        let strs = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        sets.push(("category", strs(&weihu_store::orders::CATEGORIES)));
        sets.push(("channel", strs(&weihu_store::orders::CHANNELS)));
        sets.push(("visit", strs(&weihu_store::orders::work::VISIT_KINDS)));
        sets.push((
            "visit_category",
            strs(&weihu_store::orders::work::VISIT_CATEGORIES),
        ));
        sets.push((
            "clock",
            strs(&["running", "paused", "met", "breached", "stopped"]),
        ));
        sets.push((
            "part",
            strs(&["proposed", "approved", "rejected", "installed", "withdrawn"]),
        ));
        sets.push(("statement_state", strs(&weihu_store::statements::STATES)));
        sets.push(("contract_status", strs(&weihu_store::contracts::STATUSES)));
        sets.push(("asset_status", strs(&weihu_store::assets::STATUSES)));
        sets.push((
            "model",
            strs(&[
                "per_visit",
                "monthly_capped",
                "monthly_unlimited",
                "resident",
                "per_device",
            ]),
        ));
        let mut missing = Vec::new();
        for (prefix, values) in &sets {
            for v in values {
                let key = format!("{prefix}.{v}");
                for (lang, table) in [("zh-CN", &*ZH), ("en", &*EN)] {
                    if !table.contains_key(&key) {
                        missing.push(format!("{lang}: {key}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "values without a label: {missing:?}");
    }

    /// A refusal reads in the page's language with the field's label; the shapes the store uses
    /// most are translated, and each translation differs from the English text.
    #[test]
    fn refusals_read_in_the_users_language() {
        let zh = Tr(Lang::Zh);
        let en = Tr(Lang::En);
        assert_eq!(
            zh.refusal("description: must have at most 20000 characters"),
            "描述：最多 20000 个字符"
        );
        assert_eq!(
            en.refusal("description: must have at most 20000 characters"),
            "Description: at most 20000 characters"
        );
        assert_eq!(zh.refusal("subject: is required"), "主题：必填");
        assert_eq!(
            zh.refusal("lines[2].price: must not be negative"),
            "价格：不能为负数"
        );
        // Unknown shapes and prose with a colon stay as they came.
        assert_eq!(zh.refusal("odd: something new"), "odd：something new");
        assert_eq!(zh.refusal("Note: see the log"), "Note: see the log");
        assert_eq!(
            zh.refusal("the record was changed by someone else (current version 7)"),
            "记录已被他人修改（当前版本 7），请刷新后再试"
        );
        for (shape, key) in REFUSALS {
            let sample = shape.replace("{}", "9");
            assert_ne!(zh.message(&sample), sample, "{key} is translated");
            assert!(!zh.t(key).is_empty() && zh.t(key) != key, "{key} exists");
        }
    }

    #[test]
    fn negotiation_prefers_cookie_then_user_then_browser() {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_LANGUAGE, "en-US,en;q=0.9".parse().expect("header"));
        assert_eq!(Lang::negotiate(&h, None), Lang::En);
        assert_eq!(Lang::negotiate(&h, Some("zh-CN")), Lang::Zh);
        h.insert("cookie", "weihu_lang=en".parse().expect("header"));
        assert_eq!(Lang::negotiate(&h, Some("zh-CN")), Lang::En);
        assert_eq!(Lang::negotiate(&HeaderMap::new(), None), Lang::Zh);
    }
}
