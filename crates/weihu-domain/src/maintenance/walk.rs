//! Walking an inspection: which (asset, item) pairs its checklist asks for, how many are still
//! open, and what an answer must carry. Items checked once per visit are asked once, under asset
//! 0; items checked per asset are asked for every asset the inspection covers.

use std::collections::HashSet;

use super::checklist::{Answer, Item, Per, Template};

/// The asset key of an item checked once per visit.
pub const VISIT: i64 = 0;
/// Longest note on one answer.
pub const MAX_NOTE: usize = 2_000;
/// Most photos on one answer.
pub const MAX_PHOTOS: usize = 10;
/// Most assets one inspection covers (a plan selecting more is refused): a site visit is a day's
/// work, and the phone page lists them all.
pub const MAX_ASSETS: usize = 500;

/// One question of the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot<'a> {
    /// [`VISIT`] for an item checked once per visit.
    pub asset_id: i64,
    pub item: &'a Item,
}

/// Every question, in walking order: the visit's items first, then asset by asset.
pub fn slots<'a>(t: &'a Template, assets: &[i64]) -> Vec<Slot<'a>> {
    let visit = t.items().filter(|i| i.per == Per::Visit).map(|item| Slot {
        asset_id: VISIT,
        item,
    });
    let per_asset = assets.iter().flat_map(|a| {
        t.items()
            .filter(|i| i.per == Per::Asset)
            .map(|item| Slot { asset_id: *a, item })
    });
    visit.chain(per_asset).collect()
}

/// How many questions have no answer among `answered` (pairs of asset key and item key).
pub fn unanswered(t: &Template, assets: &[i64], answered: &HashSet<(i64, String)>) -> u32 {
    let open = slots(t, assets)
        .into_iter()
        .filter(|s| !answered.contains(&(s.asset_id, s.item.key.clone())))
        .count();
    u32::try_from(open).unwrap_or(u32::MAX)
}

/// Why an answer is refused: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct AnswerError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> AnswerError {
    AnswerError {
        field,
        message: message.into(),
    }
}

/// Checks one answer against the checklist and the inspection's assets: the item exists, it is
/// asked of that asset (or of the visit), an issue says what is wrong.
pub fn check_answer(
    t: &Template,
    assets: &[i64],
    asset_id: i64,
    item: &str,
    answer: Answer,
    note: &str,
    photos: usize,
) -> Result<(), AnswerError> {
    let Some(it) = t.items().find(|i| i.key == item) else {
        return Err(refuse(
            "item",
            "is not an item of this inspection's checklist",
        ));
    };
    match (it.per, asset_id) {
        (Per::Visit, VISIT) => {}
        (Per::Visit, _) => {
            return Err(refuse(
                "asset_id",
                "this item is checked once per visit: leave asset_id out",
            ));
        }
        (Per::Asset, VISIT) => {
            return Err(refuse(
                "asset_id",
                "this item is checked on every asset: name the asset",
            ));
        }
        (Per::Asset, a) if !assets.contains(&a) => {
            return Err(refuse("asset_id", "is not an asset of this inspection"));
        }
        (Per::Asset, _) => {}
    }
    if note.chars().count() > MAX_NOTE {
        return Err(refuse(
            "note",
            format!("must have at most {MAX_NOTE} characters"),
        ));
    }
    if answer == Answer::Issue && note.trim().is_empty() {
        return Err(refuse("note", "say what the issue is"));
    }
    if photos > MAX_PHOTOS {
        return Err(refuse("photos", format!("at most {MAX_PHOTOS} photos")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maintenance::checklist::defaults;

    fn machine_room() -> Template {
        defaults()
            .into_iter()
            .find(|(c, _)| *c == "machine_room")
            .map(|(_, t)| t)
            .expect("present")
    }

    fn hardware() -> Template {
        defaults()
            .into_iter()
            .find(|(c, _)| *c == "hardware")
            .map(|(_, t)| t)
            .expect("present")
    }

    #[test]
    fn visit_items_come_once_and_asset_items_once_per_asset() {
        let t = hardware();
        let per_asset = t.items().filter(|i| i.per == Per::Asset).count();
        let per_visit = t.items().filter(|i| i.per == Per::Visit).count();
        let s = slots(&t, &[7, 9]);
        assert_eq!(s.len(), per_visit + 2 * per_asset);
        assert!(s[..per_visit].iter().all(|x| x.asset_id == VISIT));
        assert_eq!(s[per_visit].asset_id, 7);
        assert_eq!(s.last().map(|x| x.asset_id), Some(9));
        // No assets: only the visit's items.
        assert_eq!(slots(&t, &[]).len(), per_visit);
    }

    #[test]
    fn unanswered_counts_what_is_left() {
        let t = machine_room();
        let all = slots(&t, &[3]);
        let mut done: HashSet<(i64, String)> = HashSet::new();
        assert_eq!(unanswered(&t, &[3], &done) as usize, all.len());
        for s in &all {
            done.insert((s.asset_id, s.item.key.clone()));
        }
        assert_eq!(unanswered(&t, &[3], &done), 0);
        // An answer for an asset no longer covered does not count.
        done.clear();
        done.insert((99, all.last().expect("present").item.key.clone()));
        assert_eq!(unanswered(&t, &[3], &done) as usize, all.len());
    }

    #[test]
    fn answers_are_checked_against_the_checklist() {
        let t = hardware();
        let asset_item = t
            .items()
            .find(|i| i.per == Per::Asset)
            .expect("present")
            .key
            .clone();
        let ok = |a, item: &str, ans, note: &str| check_answer(&t, &[5], a, item, ans, note, 0);
        assert!(ok(5, &asset_item, Answer::Ok, "").is_ok());
        assert_eq!(
            ok(5, "nope", Answer::Ok, "").expect_err("refused").field,
            "item"
        );
        assert_eq!(
            ok(6, &asset_item, Answer::Ok, "")
                .expect_err("refused")
                .field,
            "asset_id"
        );
        assert_eq!(
            ok(VISIT, &asset_item, Answer::Ok, "")
                .expect_err("refused")
                .field,
            "asset_id"
        );
        assert_eq!(
            ok(5, &asset_item, Answer::Issue, " ")
                .expect_err("refused")
                .field,
            "note"
        );
        assert!(ok(5, &asset_item, Answer::Issue, "风扇异响").is_ok());
        let long = "x".repeat(MAX_NOTE + 1);
        assert_eq!(
            ok(5, &asset_item, Answer::Ok, &long)
                .expect_err("refused")
                .field,
            "note"
        );
        assert_eq!(
            check_answer(&t, &[5], 5, &asset_item, Answer::Ok, "", MAX_PHOTOS + 1)
                .expect_err("refused")
                .field,
            "photos"
        );
        if let Some(v) = t.items().find(|i| i.per == Per::Visit) {
            assert!(ok(VISIT, &v.key, Answer::NotApplicable, "").is_ok());
            assert_eq!(
                ok(5, &v.key, Answer::Ok, "").expect_err("refused").field,
                "asset_id"
            );
        }
    }
}
