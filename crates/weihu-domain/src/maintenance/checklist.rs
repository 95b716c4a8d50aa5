//! Inspection checklists (SPEC §8): a template is groups of items, each checked once per asset or
//! once per visit, and each answered ok, issue or not applicable with a note. The three default
//! templates of the seed's service sheet (hardware; software; what a machine room adds) are here
//! in Chinese and English; a provider edits and versions its own, a client may have a variant.

use serde::{Deserialize, Serialize};

/// Most groups in a template, and items in all.
pub const MAX_GROUPS: usize = 30;
pub const MAX_ITEMS: usize = 300;
/// Longest item text or hint, and group title (characters).
pub const MAX_TEXT: usize = 300;
/// Longest item key.
pub const MAX_KEY: usize = 40;

/// Whether an item is checked on every asset of the visit or once for the visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    #[default]
    Asset,
    Visit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Stable within the template (answers refer to it across versions).
    pub key: String,
    pub text: String,
    #[serde(default)]
    pub text_en: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint_en: String,
    #[serde(default)]
    pub per: Per,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub title: String,
    #[serde(default)]
    pub title_en: String,
    pub items: Vec<Item>,
}

/// A checklist template's definition (what a version stores).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub groups: Vec<Group>,
}

/// The answer to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Ok,
    Issue,
    NotApplicable,
}

impl Answer {
    pub fn parse(s: &str) -> Option<Answer> {
        match s.trim() {
            "ok" => Some(Answer::Ok),
            "issue" => Some(Answer::Issue),
            "n/a" | "na" | "not_applicable" => Some(Answer::NotApplicable),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Ok => "ok",
            Answer::Issue => "issue",
            Answer::NotApplicable => "not_applicable",
        }
    }
}

/// What is wrong with a template: the field (`groups[1].items[0].key`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ChecklistError {
    pub field: String,
    pub message: String,
}

fn text(field: String, v: &str, required: bool) -> Result<(), ChecklistError> {
    let bad = |message: String| {
        Err(ChecklistError {
            field: field.clone(),
            message,
        })
    };
    if required && v.trim().is_empty() {
        return bad("is required".into());
    }
    if v.chars().count() > MAX_TEXT {
        return bad(format!("must have at most {MAX_TEXT} characters"));
    }
    if v.chars().any(|c| c.is_control() && c != '\n') {
        return bad("must not contain control characters".into());
    }
    Ok(())
}

impl Template {
    /// Checks the limits and that item keys are unique and plain (`a-z`, `0-9`, `_`, `-`).
    pub fn validate(&self) -> Result<(), ChecklistError> {
        text("name".into(), &self.name, true)?;
        text("name_en".into(), &self.name_en, false)?;
        if self.groups.is_empty() || self.groups.len() > MAX_GROUPS {
            return Err(ChecklistError {
                field: "groups".into(),
                message: format!("1 to {MAX_GROUPS} groups"),
            });
        }
        let mut keys = std::collections::BTreeSet::new();
        let mut count = 0usize;
        for (g, group) in self.groups.iter().enumerate() {
            text(format!("groups[{g}].title"), &group.title, true)?;
            text(format!("groups[{g}].title_en"), &group.title_en, false)?;
            if group.items.is_empty() {
                return Err(ChecklistError {
                    field: format!("groups[{g}].items"),
                    message: "a group has at least one item".into(),
                });
            }
            for (i, item) in group.items.iter().enumerate() {
                let at = format!("groups[{g}].items[{i}]");
                count += 1;
                if count > MAX_ITEMS {
                    return Err(ChecklistError {
                        field: "groups".into(),
                        message: format!("at most {MAX_ITEMS} items in all"),
                    });
                }
                let key_ok = !item.key.is_empty()
                    && item.key.len() <= MAX_KEY
                    && item.key.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                    });
                if !key_ok {
                    return Err(ChecklistError {
                        field: format!("{at}.key"),
                        message: format!("1 to {MAX_KEY} of a-z, 0-9, _ and -"),
                    });
                }
                if !keys.insert(item.key.as_str()) {
                    return Err(ChecklistError {
                        field: format!("{at}.key"),
                        message: format!("{} is used twice", item.key),
                    });
                }
                text(format!("{at}.text"), &item.text, true)?;
                text(format!("{at}.text_en"), &item.text_en, false)?;
                text(format!("{at}.hint"), &item.hint, false)?;
                text(format!("{at}.hint_en"), &item.hint_en, false)?;
            }
        }
        Ok(())
    }

    /// Every item, in order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.groups.iter().flat_map(|g| g.items.iter())
    }
}

fn item(key: &str, text: &str, text_en: &str, hint: &str, per: Per) -> Item {
    Item {
        key: key.into(),
        text: text.into(),
        text_en: text_en.into(),
        hint: hint.into(),
        hint_en: String::new(),
        per,
    }
}

fn group(title: &str, title_en: &str, items: Vec<Item>) -> Group {
    Group {
        title: title.into(),
        title_en: title_en.into(),
        items,
    }
}

/// The seed's default templates, by code: `hardware`, `software`, `machine_room`.
pub fn defaults() -> Vec<(&'static str, Template)> {
    use Per::{Asset, Visit};
    vec![
        (
            "hardware",
            Template {
                name: "硬件巡检".into(),
                name_en: "Hardware inspection".into(),
                groups: vec![
                    group(
                        "清洁",
                        "Cleaning",
                        vec![
                            item(
                                "case_dust",
                                "机箱除尘",
                                "Case dust removal",
                                "断电后进行",
                                Asset,
                            ),
                            item("fan", "风扇清洁", "Fan cleaning", "", Asset),
                            item("keyboard", "键盘清洁", "Keyboard cleaning", "", Asset),
                            item("psu", "电源清洁", "Power-supply cleaning", "", Asset),
                            item(
                                "memory_slot",
                                "内存插槽清洁",
                                "Memory-slot cleaning",
                                "",
                                Asset,
                            ),
                        ],
                    ),
                    group(
                        "检测",
                        "Checks",
                        vec![
                            item(
                                "ports",
                                "网络端口及模块检查",
                                "Network-port and module check",
                                "",
                                Asset,
                            ),
                            item(
                                "disk_health",
                                "硬盘健康检测",
                                "Disk health check",
                                "SMART 状态、坏道",
                                Asset,
                            ),
                            item(
                                "network_stability",
                                "网络设备稳定性测试",
                                "Network-device stability test",
                                "丢包、延迟、端口错误计数",
                                Asset,
                            ),
                        ],
                    ),
                ],
            },
        ),
        (
            "software",
            Template {
                name: "软件巡检".into(),
                name_en: "Software inspection".into(),
                groups: vec![
                    group(
                        "系统",
                        "System",
                        vec![
                            item(
                                "server_logs",
                                "服务器日志分析",
                                "Server log analysis",
                                "",
                                Asset,
                            ),
                            item(
                                "startup_services",
                                "启动服务检查",
                                "Start-up services check",
                                "",
                                Asset,
                            ),
                            item(
                                "startup_items",
                                "启动项检查",
                                "Start-up items check",
                                "",
                                Asset,
                            ),
                            item("patches", "安全补丁", "Security patches", "", Asset),
                        ],
                    ),
                    group(
                        "安全",
                        "Security",
                        vec![
                            item(
                                "virus_scan",
                                "病毒木马查杀",
                                "Virus and trojan scan",
                                "",
                                Asset,
                            ),
                            item(
                                "browser_security",
                                "浏览器安全设置",
                                "Browser security settings",
                                "",
                                Asset,
                            ),
                            item(
                                "firewall",
                                "防火墙配置",
                                "Firewall configuration",
                                "",
                                Asset,
                            ),
                        ],
                    ),
                    group(
                        "优化",
                        "Optimisation",
                        vec![
                            item(
                                "junk_files",
                                "垃圾文件清理",
                                "Junk-file clean-up",
                                "",
                                Asset,
                            ),
                            item(
                                "defragment",
                                "磁盘碎片整理",
                                "Disk defragmentation",
                                "机械硬盘",
                                Asset,
                            ),
                            item(
                                "memory_optimise",
                                "内存优化",
                                "Memory optimisation",
                                "",
                                Asset,
                            ),
                        ],
                    ),
                ],
            },
        ),
        (
            "machine_room",
            Template {
                name: "机房巡检".into(),
                name_en: "Machine-room inspection".into(),
                groups: vec![group(
                    "机房",
                    "Machine room",
                    vec![
                        item(
                            "operating_parameters",
                            "记录设备运行参数",
                            "Record equipment operating parameters",
                            "温度、湿度、UPS 负载",
                            Visit,
                        ),
                        item("hazards", "报告安全隐患", "Report hazards", "", Visit),
                        item(
                            "data_backup",
                            "定期数据备份",
                            "Periodic data backup",
                            "核对最近一次备份",
                            Visit,
                        ),
                    ],
                )],
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_complete() {
        let all = defaults();
        assert_eq!(
            all.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            ["hardware", "software", "machine_room"]
        );
        for (code, t) in &all {
            t.validate().unwrap_or_else(|e| panic!("{code}: {e}"));
            assert!(
                t.items().all(|i| !i.text_en.is_empty()),
                "{code} in English too"
            );
            let json = serde_json::to_string(t).expect("json");
            assert_eq!(&serde_json::from_str::<Template>(&json).expect("back"), t);
        }
        assert_eq!(
            all[0].1.items().count(),
            8,
            "the seed's eight hardware items"
        );
        assert_eq!(
            all[1].1.items().count(),
            10,
            "the seed's ten software items"
        );
        assert!(all[2].1.items().all(|i| i.per == Per::Visit));
    }

    #[test]
    fn hostile_templates_are_refused_naming_the_field() {
        let base = defaults().remove(0).1;
        let mut t = base.clone();
        t.groups[1].items[0].key = "fan".into();
        assert_eq!(
            t.validate().expect_err("dup").field,
            "groups[1].items[0].key"
        );
        let mut t = base.clone();
        t.groups[0].items[2].key = "Fan Clean!".into();
        assert_eq!(
            t.validate().expect_err("key").field,
            "groups[0].items[2].key"
        );
        let mut t = base.clone();
        t.groups[0].items[0].text = "x".repeat(MAX_TEXT + 1);
        assert_eq!(
            t.validate().expect_err("long").field,
            "groups[0].items[0].text"
        );
        let mut t = base.clone();
        t.groups[0].title = "a\u{0007}b".into();
        assert_eq!(t.validate().expect_err("control").field, "groups[0].title");
        let mut t = base.clone();
        t.groups.clear();
        assert_eq!(t.validate().expect_err("empty").field, "groups");
        let mut t = base.clone();
        t.groups[0].items = (0..MAX_ITEMS + 1)
            .map(|i| item(&format!("k{i}"), "x", "x", "", Per::Asset))
            .collect();
        assert_eq!(t.validate().expect_err("many").field, "groups");
        assert_eq!(Answer::parse("n/a"), Some(Answer::NotApplicable));
        assert_eq!(Answer::parse("maybe"), None);
    }
}
