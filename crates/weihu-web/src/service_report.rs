//! The monthly service-level report as people read it: its charts (SVG, shared by the page and
//! the PDF), the PDF document and the Excel workbook, all from one stored report and in the
//! reader's language. The figures themselves come from the store as built or as published.

use weihu_pdf::{ReportChart, ReportDoc, ReportFigure, ReportRow, ReportSection};
use weihu_sheets::{ChartKind, ReportCell, ReportChartSpec, ReportSheet, ReportWorkbook};
use weihu_store::reports::{Count, Group, ServiceLevelReport, StoredReport};

use crate::charts::{self, Bar, Series};
use crate::format::show_time;
use crate::i18n::Tr;

fn f(v: &Option<String>) -> Option<f64> {
    v.as_deref().and_then(|s| s.parse().ok())
}

fn percent(v: &Option<String>) -> String {
    v.as_deref()
        .map_or_else(|| "—".to_owned(), |p| format!("{p} %"))
}

/// A name in the reader's language (the English one when it exists and the reader reads English).
pub fn named<'a>(tr: Tr, name: &'a str, name_en: &'a str) -> &'a str {
    if tr.0.code() == "en" && !name_en.is_empty() {
        name_en
    } else {
        name
    }
}

pub fn clock_label(tr: Tr, kind: &str) -> String {
    match kind {
        "response" | "arrival" | "resolution" => tr.t(&format!("sla.{kind}")).to_owned(),
        k => k.to_owned(),
    }
}

pub fn category_label(tr: Tr, c: &str) -> String {
    let key = format!("category.{c}");
    let t = tr.t(&key);
    if t == key { c.to_owned() } else { t.to_owned() }
}

pub fn reason_label(tr: Tr, r: &str) -> String {
    if r.is_empty() {
        return tr.t("slr.unexplained").to_owned();
    }
    let key = format!("breach_reason.{r}");
    let t = tr.t(&key);
    if t == key { r.to_owned() } else { t.to_owned() }
}

fn cause_label(tr: Tr, c: &Count) -> String {
    if c.key.is_empty() {
        tr.t("slr.cause_unnamed").to_owned()
    } else {
        let n = named(tr, &c.label, &c.label_en);
        if n.is_empty() {
            c.key.clone()
        } else {
            n.to_owned()
        }
    }
}

fn service_label(tr: Tr, g: &Group) -> String {
    if g.key.is_empty() {
        tr.t("slr.no_service").to_owned()
    } else {
        named(tr, &g.label, &g.label_en).to_owned()
    }
}

fn minutes(tr: Tr, m: i64) -> String {
    let (h, mm) = (m / 60, m % 60);
    if h > 0 {
        format!("{h} {} {mm} {}", tr.t("slr.h"), tr.t("slr.min"))
    } else {
        format!("{mm} {}", tr.t("slr.min"))
    }
}

/// The report's charts, as SVG documents.
pub struct Charts {
    pub availability: String,
    pub attainment: String,
    pub categories: String,
    pub trend: String,
}

impl Charts {
    pub fn all(&self) -> [(&'static str, &String); 4] {
        [
            ("slr.chart_availability", &self.availability),
            ("slr.chart_attainment", &self.attainment),
            ("slr.chart_categories", &self.categories),
            ("slr.chart_trend", &self.trend),
        ]
    }
}

pub fn charts(r: &ServiceLevelReport, tr: Tr) -> Charts {
    let bars: Vec<Bar> = r
        .availability
        .iter()
        .map(|s| Bar {
            label: named(tr, &s.name, &s.name_en).to_owned(),
            value: s.availability_percent.parse().unwrap_or(0.0),
            shown: format!("{} %", s.availability_percent),
            target: s
                .availability_target
                .as_deref()
                .and_then(|t| t.parse().ok()),
            met: s.availability_met,
        })
        .collect();
    let low = bars
        .iter()
        .flat_map(|b| [Some(b.value), b.target])
        .flatten()
        .fold(100.0_f64, f64::min);
    // 90–100 % unless something is lower: then the scale opens to the next 10 below it.
    let low = if low >= 90.0 {
        90.0
    } else {
        (low / 10.0).floor() * 10.0
    };
    let availability = charts::bars(tr.t("slr.chart_availability"), &bars, low.max(0.0), 100.0);

    let mut groups: Vec<&Group> = r.attainment.by_priority.iter().collect();
    groups.push(&r.attainment.overall);
    let cats: Vec<String> = groups
        .iter()
        .map(|g| {
            if g.key == "all" {
                tr.t("slr.overall").to_owned()
            } else {
                g.key.clone()
            }
        })
        .collect();
    let attainment = charts::columns(
        tr.t("slr.chart_attainment"),
        &cats,
        &[Series {
            name: tr.t("slr.attainment").to_owned(),
            values: groups.iter().map(|g| f(&g.percent)).collect(),
        }],
        Some(100.0),
        "%",
    );

    let cats: Vec<String> = r
        .failures
        .by_category
        .iter()
        .map(|c| category_label(tr, &c.key))
        .collect();
    let categories = charts::columns(
        tr.t("slr.chart_categories"),
        &cats,
        &[Series {
            name: tr.t("slr.incidents").to_owned(),
            values: r
                .failures
                .by_category
                .iter()
                .map(|c| Some(c.count as f64))
                .collect(),
        }],
        None,
        "",
    );

    let months: Vec<String> = r.kpis.trend.iter().map(|m| m.month.clone()).collect();
    let trend = charts::lines(
        tr.t("slr.chart_trend"),
        &months,
        &[
            Series {
                name: tr.t("slr.attainment").to_owned(),
                values: r
                    .kpis
                    .trend
                    .iter()
                    .map(|m| f(&m.attainment_percent))
                    .collect(),
            },
            Series {
                name: tr.t("slr.satisfaction").to_owned(),
                values: r
                    .kpis
                    .trend
                    .iter()
                    .map(|m| f(&m.satisfaction_percent))
                    .collect(),
            },
        ],
        Some(100.0),
        "%",
    );
    Charts {
        availability,
        attainment,
        categories,
        trend,
    }
}

fn status(met: Option<bool>) -> String {
    match met {
        Some(true) => "met".into(),
        Some(false) => "missed".into(),
        None => String::new(),
    }
}

/// The state line of a report: draft, live, or published when and by whom.
pub fn state_line(s: &StoredReport, tr: Tr) -> String {
    match s.state.as_str() {
        "published" => {
            // A reissued report says which revision it is, on the page and in the PDF.
            let revision = if s.revision > 1 {
                format!(" · {} {}", tr.t("slr.revision"), s.revision)
            } else {
                String::new()
            };
            format!(
                "{} {} {}{revision}",
                tr.t("slr.state_published"),
                s.published_at.map(show_time).unwrap_or_default(),
                s.published_by.clone().unwrap_or_default()
            )
            .trim()
            .to_owned()
        }
        "draft" => tr.t("slr.state_draft").to_owned(),
        _ => tr.t("slr.state_live").to_owned(),
    }
}

/// The headline figures: attainment, availability targets met, satisfaction, incidents.
pub fn headline(r: &ServiceLevelReport, tr: Tr) -> Vec<ReportFigure> {
    let services_met = r.availability.iter().filter(|s| s.all_met).count();
    vec![
        ReportFigure {
            label: tr.t("slr.attainment").to_owned(),
            value: percent(&r.attainment.overall.percent),
            status: String::new(),
        },
        ReportFigure {
            label: tr.t("slr.services_met").to_owned(),
            value: format!("{services_met} / {}", r.availability.len()),
            status: status(
                (!r.availability.is_empty()).then_some(services_met == r.availability.len()),
            ),
        },
        ReportFigure {
            label: tr.t("slr.satisfaction").to_owned(),
            value: percent(&r.satisfaction.percent),
            status: status(r.satisfaction.met),
        },
        ReportFigure {
            label: tr.t("slr.incidents").to_owned(),
            value: r.failures.total.to_string(),
            status: String::new(),
        },
        ReportFigure {
            label: tr.t("slr.breaches").to_owned(),
            value: r.attainment.breached.to_string(),
            status: status(Some(r.attainment.breached == 0)),
        },
        ReportFigure {
            label: tr.t("slr.mttr").to_owned(),
            value: r
                .failures
                .mttr_minutes
                .map_or_else(|| "—".to_owned(), |m| minutes(tr, m)),
            status: String::new(),
        },
    ]
}

fn row(cells: Vec<String>, missed: bool) -> ReportRow {
    ReportRow {
        cells,
        flag: if missed {
            "missed".into()
        } else {
            String::new()
        },
    }
}

fn group_rows(groups: &[Group], label: impl Fn(&Group) -> String) -> Vec<ReportRow> {
    groups
        .iter()
        .map(|g| {
            row(
                vec![
                    label(g),
                    g.total.to_string(),
                    g.met.to_string(),
                    g.breached.to_string(),
                    percent(&g.percent),
                ],
                g.breached > 0,
            )
        })
        .collect()
}

/// Every table of the report, titled and in the reader's language (the PDF's sections, the
/// workbook's sheets).
pub fn sections(r: &ServiceLevelReport, tr: Tr) -> Vec<ReportSection> {
    let t = |k: &str| tr.t(k).to_owned();
    let group_headers = vec![
        t("slr.group"),
        t("slr.clocks"),
        t("slm.met"),
        t("slm.breached"),
        t("slr.attainment"),
    ];
    let mut out = vec![ReportSection {
        title: t("slr.section_availability"),
        note: t("slm.help"),
        headers: vec![
            t("slm.service"),
            t("slr.target"),
            t("slm.availability"),
            t("slm.downtime"),
            t("slm.interruptions_year"),
            t("slm.longest_restore"),
            t("slr.result"),
        ],
        rows: r
            .availability
            .iter()
            .map(|s| {
                row(
                    vec![
                        named(tr, &s.name, &s.name_en).to_owned(),
                        s.availability_target
                            .as_deref()
                            .map_or_else(|| "—".to_owned(), |p| format!("{p} %")),
                        format!("{} %", s.availability_percent),
                        format!(
                            "{} / {}",
                            minutes(tr, s.downtime_minutes),
                            minutes(tr, s.agreed_minutes)
                        ),
                        match s.max_interruptions {
                            Some(m) => {
                                format!("{} · {} / {m}", s.interruptions, s.interruptions_year)
                            }
                            None => format!("{} · {}", s.interruptions, s.interruptions_year),
                        },
                        match s.max_restore_minutes {
                            Some(m) => format!(
                                "{} / {}",
                                minutes(tr, s.longest_restore_minutes),
                                minutes(tr, m)
                            ),
                            None => minutes(tr, s.longest_restore_minutes),
                        },
                        if s.all_met {
                            t("slm.met")
                        } else {
                            t("slm.breached")
                        },
                    ],
                    !s.all_met,
                )
            })
            .collect(),
        empty: t("slm.no_services"),
    }];
    out.push(ReportSection {
        title: t("slr.section_attainment_priority"),
        note: t("slr.attainment_help"),
        headers: group_headers.clone(),
        rows: group_rows(&r.attainment.by_priority, |g| g.key.clone()),
        empty: t("slr.no_clocks"),
    });
    out.push(ReportSection {
        title: t("slr.section_attainment_clock"),
        note: String::new(),
        headers: group_headers.clone(),
        rows: group_rows(&r.attainment.by_clock, |g| clock_label(tr, &g.key)),
        empty: t("slr.no_clocks"),
    });
    out.push(ReportSection {
        title: t("slr.section_attainment_service"),
        note: String::new(),
        headers: group_headers,
        rows: group_rows(&r.attainment.by_service, |g| service_label(tr, g)),
        empty: t("slr.no_clocks"),
    });
    out.push(ReportSection {
        title: t("slr.section_breaches"),
        note: if r.attainment.unexplained > 0 {
            format!("{}: {}", t("slr.unexplained"), r.attainment.unexplained)
        } else {
            String::new()
        },
        headers: vec![
            t("slr.order"),
            t("sla.priority"),
            t("slr.clock"),
            t("slr.due"),
            t("slr.overrun"),
            t("slr.reason"),
            t("slr.note"),
        ],
        rows: r
            .breaches
            .iter()
            .map(|b| {
                row(
                    vec![
                        format!("{} {}", b.number, b.subject),
                        b.priority.clone(),
                        clock_label(tr, &b.clock),
                        b.due_at.map(show_time).unwrap_or_default(),
                        minutes(tr, b.overrun_minutes),
                        reason_label(tr, &b.reason),
                        b.note.clone(),
                    ],
                    b.reason.is_empty(),
                )
            })
            .collect(),
        empty: t("slr.no_breaches"),
    });
    let s = &r.satisfaction;
    out.push(ReportSection {
        title: t("slr.section_satisfaction"),
        note: format!(
            "{}: {} · {}: {} · {}: {} % · {}: {}",
            t("slr.rated"),
            s.rated,
            t("slr.satisfied"),
            s.satisfied,
            t("slr.target"),
            s.target_percent,
            t("slr.mean"),
            s.mean.clone().unwrap_or_else(|| "—".into())
        ),
        headers: vec![t("slr.order"), t("slr.rating"), t("slr.comment")],
        rows: s
            .comments
            .iter()
            .map(|c| {
                row(
                    vec![
                        format!("{} {}", c.number, c.subject),
                        "★".repeat(c.rating.clamp(0, 5) as usize),
                        c.comment.clone(),
                    ],
                    c.rating < 4,
                )
            })
            .collect(),
        empty: t("slr.no_comments"),
    });
    let fl = &r.failures;
    let counts = |list: &[Count], label: &dyn Fn(&Count) -> String| -> Vec<ReportRow> {
        list.iter()
            .map(|c| row(vec![label(c), c.count.to_string()], false))
            .collect()
    };
    out.push(ReportSection {
        title: t("slr.section_categories"),
        note: format!("{}: {}", t("slr.incidents"), fl.total),
        headers: vec![t("slr.category"), t("slr.count")],
        rows: counts(&fl.by_category, &|c| category_label(tr, &c.key)),
        empty: t("slr.no_incidents"),
    });
    out.push(ReportSection {
        title: t("slr.section_causes"),
        note: String::new(),
        headers: vec![t("slr.cause"), t("slr.count")],
        rows: counts(&fl.by_cause, &|c| cause_label(tr, c)),
        empty: t("slr.no_incidents"),
    });
    out.push(ReportSection {
        title: t("slr.section_asset_types"),
        note: String::new(),
        headers: vec![
            t("slr.asset_type"),
            t("slr.count"),
            t("slr.units"),
            t("slr.mtbf"),
        ],
        rows: fl
            .by_asset_type
            .iter()
            .map(|c| {
                let m = fl.mtbf.iter().find(|m| m.asset_type == c.key);
                row(
                    vec![
                        named(tr, &c.label, &c.label_en).to_owned(),
                        c.count.to_string(),
                        m.map(|m| m.units.to_string()).unwrap_or_else(|| "—".into()),
                        m.and_then(|m| m.mtbf_hours)
                            .map(|h| format!("{h} {}", t("slr.h")))
                            .unwrap_or_else(|| "—".into()),
                    ],
                    false,
                )
            })
            .collect(),
        empty: t("slr.no_incidents"),
    });
    out.push(ReportSection {
        title: t("slr.section_repeats"),
        note: t("slr.repeats_help"),
        headers: vec![
            t("slr.order"),
            t("slr.asset"),
            t("slr.category"),
            t("slr.repeats_of"),
            t("slr.why"),
        ],
        rows: fl
            .repeats
            .iter()
            .map(|x| {
                row(
                    vec![
                        format!("{} {}", x.number, x.subject),
                        x.asset_tag.clone().unwrap_or_default(),
                        category_label(tr, &x.category),
                        x.repeats_number.clone(),
                        t(&format!("slr.why_{}", x.why)),
                    ],
                    true,
                )
            })
            .collect(),
        empty: t("slr.no_repeats"),
    });
    let k = &r.kpis;
    let opt = |v: Option<u64>| v.map_or_else(|| "—".to_owned(), |n| n.to_string());
    out.push(ReportSection {
        title: t("slr.section_kpis"),
        note: String::new(),
        headers: vec![t("slr.kpi"), t("slr.value")],
        rows: vec![
            row(
                vec![t("slr.kpi_services"), k.catalog_services.to_string()],
                false,
            ),
            row(
                vec![t("slr.kpi_monitored"), k.monitored_services.to_string()],
                false,
            ),
            row(
                vec![t("slr.kpi_ucs"), k.underpinning_contracts.to_string()],
                false,
            ),
            row(vec![t("slr.kpi_reviews"), opt(k.reviews_held)], false),
            row(
                vec![t("slr.attainment"), percent(&k.attainment_percent)],
                false,
            ),
            row(
                vec![t("slr.satisfaction"), percent(&k.satisfaction_percent)],
                false,
            ),
            row(vec![t("slr.incidents"), k.incidents.to_string()], false),
            row(vec![t("slr.kpi_problems"), opt(k.problems)], false),
            row(vec![t("slr.kpi_changes"), opt(k.changes)], false),
        ],
        empty: String::new(),
    });
    out.push(ReportSection {
        title: t("slr.section_trend"),
        note: String::new(),
        headers: vec![
            t("slr.month"),
            t("slr.incidents"),
            t("slr.attainment"),
            t("slr.satisfaction"),
        ],
        rows: k
            .trend
            .iter()
            .map(|m| {
                row(
                    vec![
                        m.month.clone(),
                        m.incidents.to_string(),
                        percent(&m.attainment_percent),
                        percent(&m.satisfaction_percent),
                    ],
                    false,
                )
            })
            .collect(),
        empty: String::new(),
    });
    let m = &r.maintenance;
    let mut summary = format!(
        "{} {} · {} {} · {} {} · {} {} · {} {}",
        t("maintenance.planned"),
        m.planned,
        t("maintenance.done"),
        m.done,
        t("maintenance.overdue"),
        m.overdue,
        t("maintenance.issues"),
        m.issues,
        t("maintenance.follow_ups"),
        m.follow_ups
    );
    if m.never_inspected > 0 {
        summary.push_str(&format!(
            " · {} {} ({})",
            t("maintenance.never_inspected"),
            m.never_inspected,
            m.never_inspected_tags.join(", ")
        ));
    }
    out.push(ReportSection {
        title: t("maintenance.month"),
        note: summary,
        headers: vec![
            t("maintenance.due_on"),
            t("maintenance.order"),
            t("maintenance.plan"),
            t("maintenance.state"),
        ],
        rows: m
            .inspections
            .iter()
            .map(|i| {
                let state = if i.overdue {
                    t("maintenance.state_overdue")
                } else {
                    t(&format!("state.{}", i.state))
                };
                row(
                    vec![
                        i.due_on.clone(),
                        i.number.clone(),
                        i.plan_name.clone(),
                        state,
                    ],
                    i.overdue,
                )
            })
            .collect(),
        empty: t("maintenance.none"),
    });
    let ss = &r.self_service;
    out.push(ReportSection {
        title: t("slr.self_service"),
        note: String::new(),
        headers: vec![
            t("slr.self_solved"),
            t("slr.self_reported"),
            t("slr.self_rate"),
        ],
        rows: if ss.solved + ss.reported == 0 {
            Vec::new()
        } else {
            vec![row(
                vec![
                    ss.solved.to_string(),
                    ss.reported.to_string(),
                    percent(&ss.percent),
                ],
                false,
            )]
        },
        empty: "—".into(),
    });
    out.push(ReportSection {
        title: t("slr.section_reviews"),
        note: String::new(),
        headers: vec![t("slr.held_on"), t("slr.attendees"), t("slr.findings")],
        rows: r
            .reviews
            .iter()
            .map(|v| {
                row(
                    vec![v.held_on.clone(), v.attendees.clone(), v.findings.clone()],
                    false,
                )
            })
            .collect(),
        empty: t("slr.no_reviews"),
    });
    out.push(ReportSection {
        title: t("slr.section_plan"),
        note: t("slr.plan_help"),
        headers: vec![
            t("slr.action"),
            t("slr.owner"),
            t("slr.due_on"),
            t("slr.state"),
        ],
        rows: r
            .improvement_plan
            .iter()
            .map(|i| {
                row(
                    vec![
                        i.action.clone(),
                        i.owner.clone(),
                        i.due_on.clone().unwrap_or_default(),
                        t(&format!("slr.item_{}", i.state)),
                    ],
                    false,
                )
            })
            .collect(),
        empty: t("slr.no_plan"),
    });
    out
}

/// The report as a PDF document.
pub fn pdf_doc(s: &StoredReport, tr: Tr, provider: String) -> ReportDoc {
    let r = &s.report;
    let c = charts(r, tr);
    let mut notes = vec![
        tr.t("slm.help").to_owned(),
        tr.t("slr.attainment_help").to_owned(),
    ];
    if r.running {
        notes.push(tr.t("slm.running").to_owned());
    }
    if !s.changed_since.is_empty() {
        notes.push(format!(
            "{} ({})",
            tr.t("slr.changed_since"),
            s.changed_since.len()
        ));
    }
    ReportDoc {
        title: tr.t("slr.title").to_owned(),
        provider_name: provider,
        client_name: r.client_name.clone(),
        period: r.month.clone(),
        state: state_line(s, tr),
        summary: s.summary.clone(),
        headline: headline(r, tr),
        charts: c
            .all()
            .into_iter()
            .map(|(k, svg)| ReportChart {
                title: tr.t(k).to_owned(),
                svg: svg.clone(),
            })
            .collect(),
        sections: sections(r, tr),
        signature: None,
        notes,
        printed_at: show_time(jiff::Timestamp::now()),
    }
}

fn cell(v: &str) -> ReportCell {
    // Figures that read as numbers ("99.95 %", "12") become numbers, so the client can chart
    // and sum them; everything else stays text.
    let trimmed = v.trim().trim_end_matches('%').trim();
    match trimmed.parse::<f64>() {
        Ok(n) if !trimmed.is_empty() && n.is_finite() => ReportCell::Number(n),
        _ if v.is_empty() || v == "—" => ReportCell::Empty,
        _ => ReportCell::Text(v.to_owned()),
    }
}

/// The report as an Excel workbook: one sheet per table, native charts where the page has one.
pub fn workbook(s: &StoredReport, tr: Tr) -> ReportWorkbook {
    let r = &s.report;
    let mut sheets = vec![ReportSheet {
        name: tr.t("slr.sheet_summary").to_owned(),
        title: format!("{} · {} · {}", tr.t("slr.title"), r.client_name, r.month),
        headers: vec![tr.t("slr.kpi").to_owned(), tr.t("slr.value").to_owned()],
        rows: std::iter::once(vec![
            ReportCell::Text(tr.t("slr.state").to_owned()),
            ReportCell::Text(state_line(s, tr)),
        ])
        .chain(
            headline(r, tr)
                .into_iter()
                .map(|h| vec![ReportCell::Text(h.label), cell(&h.value)]),
        )
        .chain((!s.summary.is_empty()).then(|| {
            vec![
                ReportCell::Text(tr.t("slr.summary").to_owned()),
                ReportCell::Text(s.summary.clone()),
            ]
        }))
        .collect(),
        chart: None,
    }];
    for (i, sec) in sections(r, tr).into_iter().enumerate() {
        // Charts over the sheets the page charts: availability (col 2), attainment by
        // priority (col 4), categories (col 1), the trend (cols 2 and 3).
        let chart = match i {
            0 => Some(ReportChartSpec {
                kind: ChartKind::Column,
                title: tr.t("slr.chart_availability").to_owned(),
                category_column: 0,
                value_columns: vec![1, 2],
                value_axis: "%".into(),
            }),
            1 => Some(ReportChartSpec {
                kind: ChartKind::Column,
                title: tr.t("slr.chart_attainment").to_owned(),
                category_column: 0,
                value_columns: vec![4],
                value_axis: "%".into(),
            }),
            6 => Some(ReportChartSpec {
                kind: ChartKind::Column,
                title: tr.t("slr.chart_categories").to_owned(),
                category_column: 0,
                value_columns: vec![1],
                value_axis: String::new(),
            }),
            11 => Some(ReportChartSpec {
                kind: ChartKind::Line,
                title: tr.t("slr.chart_trend").to_owned(),
                category_column: 0,
                value_columns: vec![2, 3],
                value_axis: "%".into(),
            }),
            _ => None,
        };
        sheets.push(ReportSheet {
            name: sec.title.clone(),
            title: sec.title,
            headers: sec.headers,
            rows: sec
                .rows
                .into_iter()
                .map(|r| {
                    r.cells
                        .iter()
                        .enumerate()
                        .map(|(c, v)| {
                            // The month column of the trend and order numbers stay text.
                            if c == 0 {
                                ReportCell::Text(v.clone())
                            } else {
                                cell(v)
                            }
                        })
                        .collect()
                })
                .collect(),
            chart,
        });
    }
    ReportWorkbook { sheets }
}
