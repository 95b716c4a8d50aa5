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
