//! Issue #15: inspection checklist templates. The seed's three defaults are there from the start,
//! in Chinese and English; the provider versions them, a client gets its own variant of a code;
//! hostile definitions are refused naming the field; engineers read, clients never see them.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, assert_refused};

both_backends!(checklists_are_seeded_versioned_and_varied_per_client);

const SLM: &str = "zhao.min";

fn by_code<'a>(list: &'a Value, code: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| {
            a.iter()
                .find(|t| t["code"] == code && t["client_org_id"].is_null())
        })
        .unwrap_or_else(|| panic!("the {code} template in {list}"))
}

fn items(t: &Value) -> usize {
    t["definition"]["groups"]
        .as_array()
        .map(|g| {
            g.iter()
                .map(|g| g["items"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0)
}

async fn checklists_are_seeded_versioned_and_varied_per_client(app: TestApp) {
    let hdjm = app.org_id("HDJM").await;
    let list = app.get_ok("/api/v1/checklist-templates", "li.qiang").await;
    let hardware = by_code(&list, "hardware");
    assert_eq!(items(hardware), 8, "{hardware}");
    assert_eq!(hardware["name"], "硬件巡检");
    assert_eq!(hardware["definition"]["name_en"], "Hardware inspection");
    assert_eq!(items(by_code(&list, "software")), 10);
    let room = by_code(&list, "machine_room");
    assert!(
        room["definition"]["groups"][0]["items"]
            .as_array()
            .is_some_and(|i| i.iter().all(|i| i["per"] == "visit")),
        "machine-room items are once per visit: {room}"
    );

    // Clients never see templates; engineers do not edit them.
    let (s, e) = app
        .get("/api/v1/checklist-templates", Some("zhou.jg"))
        .await;
    assert_refused(s, &e, 403, None);
    let path = format!("/api/v1/checklist-templates/{}", hardware["id"]);
    let (s, e) = app.get(&path, Some("wu.li")).await;
    assert_refused(s, &e, 404, None);
    let mut def = hardware["definition"].clone();
    def["name"] = json!("华东精密硬件巡检");
    def["groups"][1]["items"]
        .as_array_mut()
        .expect("items")
        .push(json!({"key": "ups_battery", "text": "UPS 电池检测", "text_en": "UPS battery test", "per": "visit"}));
    let variant = json!({"code": "hardware", "client_org_id": hdjm, "definition": def});
    let (s, e) = app
        .post("/api/v1/checklist-templates", Some("li.qiang"), &variant)
        .await;
    assert_refused(s, &e, 403, None);

    // Hostile definitions are refused naming the field.
    let mut dup = def.clone();
    dup["groups"][1]["items"][0]["key"] = json!("fan");
    for (body, field) in [
        (
            json!({"code": "hardware", "client_org_id": hdjm, "definition": dup}),
            "definition.groups[1].items[0].key",
        ),
        (json!({"code": "Hard Ware", "definition": def}), "code"),
        (
            json!({"code": "x", "definition": {"name": "空", "groups": []}}),
            "definition.groups",
        ),
        (json!({"code": "x", "definition": "<script>"}), "definition"),
        (
            json!({"code": "x", "client_org_id": 999_999, "definition": def}),
            "client_org_id",
        ),
    ] {
        let (s, e) = app
            .post("/api/v1/checklist-templates", Some(SLM), &body)
            .await;
        assert_refused(s, &e, 422, Some(field));
    }

    // A client's variant of the code; a second one is a duplicate.
    let (s, mine) = app
        .post("/api/v1/checklist-templates", Some(SLM), &variant)
        .await;
    assert_eq!(s, 201, "{mine}");
    assert_eq!(mine["client_org_id"], hdjm);
    assert_eq!(mine["client_name"], "华东精密制造有限公司");
    assert_eq!(items(&mine), 9);
    let r = app
        .post("/api/v1/checklist-templates", Some(SLM), &variant)
        .await;
    assert_error("a second variant", &r, 409, "duplicate", Some("code"));

    // A new version of the provider's template; the old one is kept.
    let mut v2 = hardware["definition"].clone();
    v2["groups"][0]["items"][0]["hint"] = json!("断电并佩戴防静电手环");
    let (s, e) = app
        .patch(&path, Some(SLM), &json!({"version": 0, "definition": v2}))
        .await;
    assert_refused(s, &e, 409, None);
    let (s, revised) = app
        .patch(
            &path,
            Some("wang.fang"),
            &json!({"version": hardware["version"], "definition": v2, "note": "防静电"}),
        )
        .await;
    assert_eq!(s, 200, "{revised}");
    assert_eq!(revised["current_version"], 2);
    let versions = app.get_ok(&format!("{path}/versions"), SLM).await;
    let numbers: Vec<i64> = versions
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["number"].as_i64())
        .collect();
    assert_eq!(numbers, [2, 1]);
    assert_eq!(versions[0]["note"], "防静电");
    assert_eq!(
        versions[1]["definition"]["groups"][0]["items"][0]["hint"],
        "断电后进行"
    );
}
