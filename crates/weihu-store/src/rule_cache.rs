//! Parsed SLA policy versions and calendars, kept per process by what makes them immutable: a
//! policy version by (policy, version number) — versions are never rewritten — and a stored
//! calendar by (id, version) — every edit bumps the version and calendars are never deleted. So a
//! cached entry can never be stale, and several app servers need no invalidation between them:
//! a reader still asks the database which version is current (one cheap column), only the
//! parsing and the second read are saved. Built-in presets are code and cached by name.
//!
//! Bounded: a map that reaches [`MAX_ENTRIES`] is emptied before the next insert (old versions
//! pile up only through edits, so this is rare, and a refill costs one read per entry).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use weihu_domain::calendar::Calendar;
use weihu_domain::sla::SlaPolicy;

/// Entries per map before it is emptied.
pub(crate) const MAX_ENTRIES: usize = 512;

#[derive(Default, Debug)]
pub(crate) struct RuleCache {
    policies: Mutex<HashMap<(i64, i64), Arc<SlaPolicy>>>,
    calendars: Mutex<HashMap<(i64, i64), Arc<Calendar>>>,
    presets: Mutex<HashMap<String, Arc<Calendar>>>,
}

fn get<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, Arc<V>>>, key: &K) -> Option<Arc<V>> {
    map.lock().ok().and_then(|m| m.get(key).cloned())
}

fn put<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, Arc<V>>>, key: K, value: Arc<V>) {
    // A poisoned lock only means another thread panicked mid-insert: the cache is an
    // optimisation, so it is skipped rather than trusted.
    if let Ok(mut m) = map.lock() {
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(key, value);
    }
}

impl RuleCache {
    /// The parsed policy `version` of policy `id`, if cached.
    pub(crate) fn policy(&self, id: i64, version: i64) -> Option<Arc<SlaPolicy>> {
        get(&self.policies, &(id, version))
    }

    pub(crate) fn put_policy(&self, id: i64, version: i64, policy: Arc<SlaPolicy>) {
        put(&self.policies, (id, version), policy);
    }

    /// The stored calendar `id` at `version`, if cached.
    pub(crate) fn calendar(&self, id: i64, version: i64) -> Option<Arc<Calendar>> {
        get(&self.calendars, &(id, version))
    }

    pub(crate) fn put_calendar(&self, id: i64, version: i64, calendar: Arc<Calendar>) {
        put(&self.calendars, (id, version), calendar);
    }

    /// A built-in calendar by name (None: no such preset).
    pub(crate) fn preset(&self, name: &str) -> Option<Arc<Calendar>> {
        if let Some(c) = get(&self.presets, &name.to_owned()) {
            return Some(c);
        }
        let c = Arc::new(Calendar::preset(name)?);
        put(&self.presets, name.to_owned(), c.clone());
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_built_once_and_unknown_names_are_none() {
        let c = RuleCache::default();
        let a = c.preset("5x8").expect("5x8 is a preset");
        let b = c.preset("5x8").expect("5x8 is a preset");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(c.preset("no such calendar").is_none());
    }

    #[test]
    fn a_full_map_is_emptied_not_grown() {
        let map: Mutex<HashMap<(i64, i64), Arc<i64>>> = Mutex::default();
        for v in 0..(MAX_ENTRIES as i64 + 10) {
            put(&map, (1, v), Arc::new(v));
        }
        let len = map.lock().map(|m| m.len()).unwrap_or(usize::MAX);
        assert!(len <= MAX_ENTRIES, "{len} entries");
        assert_eq!(
            get(&map, &(1, MAX_ENTRIES as i64 + 9)).as_deref(),
            Some(&(MAX_ENTRIES as i64 + 9))
        );
        assert!(get(&map, &(2, 0)).is_none());
    }
}
