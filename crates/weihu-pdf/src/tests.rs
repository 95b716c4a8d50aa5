//! Tests on the laid-out typst documents (page counts, text, glyphs, warnings).

use std::time::Instant;

use typst::layout::{Frame, FrameItem};

use crate::render::{self, Rendered};
use crate::*;

// ---------------------------------------------------------------------------
// Sample data (also used by tests/samples.rs through the same shapes).

/// A small valid PNG: a 200 x 80 "signature" stroke, made with the `png` crate.
pub(crate) fn signature_png() -> Vec<u8> {
    let (w, h) = (200u32, 80u32);
    let mut rgba = vec![255u8; (w * h * 4) as usize];
    for x in 10..190u32 {
        let t = x as f32 / 190.0;
        let y = (40.0 + 22.0 * (t * 9.0).sin() * (1.0 - t * 0.5)) as u32;
        for dy in 0..3 {
            let i = (((y + dy).min(h - 1) * w + x) * 4) as usize;
            rgba[i..i + 3].copy_from_slice(&[20, 30, 120]);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().expect("png header");
        writer.write_image_data(&rgba).expect("png data");
    }
    out
}

pub(crate) fn sample_order(n: u32) -> ServiceOrderDoc {
    ServiceOrderDoc {
        provider_name: "正信IT服务有限公司 / Zhengxin IT Services".into(),
        client_name: "华东精密机械有限公司".into(),
        contract_number: Some("HT-2026-017".into()),
        number: format!("SO-2026-{:06}", 123 + n),
        subject: "财务部打印机无法打印 / Finance printer offline".into(),
        description: "财务部 3 楼的 HP LaserJet M404dn 从周一上午开始无法打印，\
                      任务卡在队列中。已重启打印机，问题依旧。\n\
                      Jobs are stuck in the queue since Monday morning; restarting the printer did not help."
            .into(),
        category: Some("打印机 / Printer".into()),
        priority: "P2 高 / High".into(),
        state: "已关闭 / Closed".into(),
        channel: "电话 / Phone".into(),
        requester: "李娜".into(),
        requester_phone: Some("138 0013 8000".into()),
        location: Some("上海市闵行区 3 号楼 301".into()),
        asset: Some("ZX-PR-0007 HP LaserJet M404dn".into()),
        created_at: "2026-10-12 09:14".into(),
        assignee: Some("王强".into()),
        team: Some("一线支持 / L1".into()),
        resolved_at: Some("2026-10-12 15:40".into()),
        closed_at: Some("2026-10-13 10:02".into()),
        clocks: vec![
            ClockLine {
                name: "响应 / Response".into(),
                due: "2026-10-12 10:14".into(),
                stopped_at: Some("2026-10-12 09:31".into()),
                state: "达成 / Met".into(),
            },
            ClockLine {
                name: "解决 / Resolution".into(),
                due: "2026-10-12 17:14".into(),
                stopped_at: Some("2026-10-12 15:40".into()),
                state: "达成 / Met".into(),
            },
        ],
        visits: vec![VisitLine {
            kind: "上门 / On-site".into(),
            engineer: "王强".into(),
            decided_at: Some("2026-10-12 10:05".into()),
            check_in: Some("2026-10-12 13:20".into()),
            check_out: Some("2026-10-12 15:35".into()),
            travel_fee: Some("80.00".into()),
        }],
        remote_sessions: vec![RemoteLine {
            engineer: "王强".into(),
            tool: "RustDesk".into(),
            started_at: "2026-10-12 09:35".into(),
            ended_at: Some("2026-10-12 09:58".into()),
            note: "清空打印队列，重装驱动无效 / cleared spooler".into(),
        }],
        parts: vec![PartLine {
            name: "定影组件 / Fuser unit".into(),
            model: "RM2-5399".into(),
            qty: "1".into(),
            unit_price: "680.00".into(),
            total: "680.00".into(),
            supplied_by_client: false,
            state: "已安装 / Installed".into(),
        }],
        backup: Some(BackupLine {
            asked_at: "2026-10-12 13:25".into(),
            answer: "不涉及数据 / No data involved".into(),
            note: String::new(),
        }),
        time_spent: Some("2 小时 15 分 / 2 h 15 min".into()),
        work_done: Some("更换定影组件，清理进纸通道，打印测试页正常。\nReplaced fuser, cleaned paper path, test page OK.".into()),
        result: Some("已解决 / Resolved".into()),
        follow_up: Some("建议 3 个月后检查硒鼓 / Check toner in 3 months".into()),
        signature: Some(SignatureBlock {
            name: "李娜".into(),
            signed_at: "2026-10-12 15:38".into(),
            png: signature_png(),
        }),
        rating: Some(RatingBlock { score: 5, comment: "响应很快，谢谢！".into() }),
        printed_at: "2026-10-31 18:00".into(),
    }
}

pub(crate) fn sample_statement() -> StatementDoc {
    StatementDoc {
        provider_name: "正信IT服务有限公司 / Zhengxin IT Services".into(),
        provider_address: Some("上海市徐汇区漕溪北路 88 号 · 021-6400 0000".into()),
        client_name: "华东精密机械有限公司".into(),
        contract_number: "HT-2026-017".into(),
        number: "ST-2026-10-0001".into(),
        month: "2026-10".into(),
        period: "2026-10-01 – 2026-10-31".into(),
        state: "已开具 / Issued".into(),
        pricing_model: "包月 + 按次 / Retainer + per visit".into(),
        issued_at: Some("2026-11-01".into()),
        due_date: Some("2026-11-15".into()),
        lines: vec![
            StatementLine {
                kind: "月费 / Retainer".into(),
                description: "维护服务月费（50 台终端）/ Monthly retainer, 50 endpoints".into(),
                source: "HT-2026-017".into(),
                quantity: "1".into(),
                unit_price: "3980.00".into(),
                amount: "3980.00".into(),
            },
            StatementLine {
                kind: "差旅 / Travel".into(),
                description: "上门差旅费 / On-site travel fee".into(),
                source: "SO-2026-000123".into(),
                quantity: "1".into(),
                unit_price: "80.00".into(),
                amount: "80.00".into(),
            },
            StatementLine {
                kind: "备件 / Part".into(),
                description: "定影组件 RM2-5399 / Fuser unit".into(),
                source: "SO-2026-000123".into(),
                quantity: "1".into(),
                unit_price: "680.00".into(),
                amount: "680.00".into(),
            },
        ],
        subtotal: "4740.00".into(),
        total: "4740.00".into(),
        currency: "CNY".into(),
        notes: vec![
            "请于付款期限前转账至合同约定账户。/ Please pay by the due date.".into(),
            "如有疑问请联系 021-6400 0000。".into(),
        ],
        printed_at: "2026-11-01 09:00".into(),
    }
}

pub(crate) fn sample_labels(n: usize) -> LabelSheet {
    LabelSheet {
        provider_name: "正信IT服务".into(),
        labels: (0..n)
            .map(|i| AssetLabel {
                tag: format!("ZX-PC-{:04}", i + 1),
                url: format!("https://desk.example.com/a/ZX-PC-{:04}", i + 1),
                name: "财务部台式机 / Desktop".into(),
                model: "Lenovo ThinkCentre M70q".into(),
                client: "华东精密机械有限公司".into(),
            })
            .collect(),
    }
}

pub(crate) fn sample_quote() -> QuoteDoc {
    QuoteDoc {
        provider_name: "正信IT服务有限公司 / Zhengxin IT Services".into(),
        prospect_name: "苏州明德律师事务所".into(),
        prepared_at: "2026-10-20".into(),
        valid_until: "2026-11-19".into(),
        inventory: vec![
            QuoteInventoryLine {
                asset_type: "台式机 / Desktop".into(),
                count: "30".into(),
                coefficient: "1.0".into(),
                weighted: "30.0".into(),
            },
            QuoteInventoryLine {
                asset_type: "笔记本 / Laptop".into(),
                count: "10".into(),
                coefficient: "1.2".into(),
                weighted: "12.0".into(),
            },
            QuoteInventoryLine {
                asset_type: "服务器 / Server".into(),
                count: "1".into(),
                coefficient: "5.0".into(),
                weighted: "5.0".into(),
            },
        ],
        scale: "47.0".into(),
        recommended_model: "包月 / Retainer".into(),
        options: vec![
            QuoteOption {
                model: "按次 / Per visit".into(),
                monthly_price: "—".into(),
                note: "每次上门 300.00 / 300.00 per visit".into(),
                recommended: false,
            },
            QuoteOption {
                model: "包月 / Retainer".into(),
                monthly_price: "3980.00".into(),
                note: "含远程与每月 4 次上门 / remote + 4 visits".into(),
                recommended: true,
            },
        ],
        notes: vec!["报价不含备件 / Parts not included.".into()],
    }
}

/// A small hand-written bar chart: rects, a line and text (Latin and CJK).
pub(crate) fn bar_chart_svg(bars: &[u32]) -> String {
    let mut s = String::from(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"480\" height=\"200\" viewBox=\"0 0 480 200\">\
         <rect width=\"480\" height=\"200\" fill=\"#ffffff\"/>\
         <line x1=\"40\" y1=\"170\" x2=\"470\" y2=\"170\" stroke=\"#333\" stroke-width=\"1\"/>",
    );
    for (i, b) in bars.iter().enumerate() {
        let h = (*b).min(150);
        let x = 50 + i * 40;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"28\" height=\"{h}\" fill=\"#1e4e8c\"/>\
             <text x=\"{}\" y=\"186\" font-size=\"11\" text-anchor=\"middle\">{}月</text>",
            170 - h,
            x + 14,
            i + 1
        ));
    }
    s.push_str("<text x=\"40\" y=\"16\" font-size=\"12\">SLA % 达成率</text></svg>");
    s
}

fn report_row(cells: &[&str], flag: &str) -> ReportRow {
    ReportRow {
        cells: cells.iter().map(|c| (*c).to_owned()).collect(),
        flag: flag.into(),
    }
}

pub(crate) fn sample_report() -> ReportDoc {
    ReportDoc {
        title: "服务级别报告 Service-level report".into(),
        provider_name: "正信IT服务有限公司 / Zhengxin IT Services".into(),
        client_name: "华东精密机械有限公司".into(),
        period: "2026-11".into(),
        state: "已发布 Published 2026-12-02 by 王经理".into(),
        summary: "本月整体服务水平良好，响应达成率 96.30 %。\n\
                  One resolution breach on a P1 order (network switch), see the table below."
            .into(),
        headline: vec![
            ReportFigure {
                label: "SLA 达成率 / Attainment".into(),
                value: "96.30 %".into(),
                status: "met".into(),
            },
            ReportFigure {
                label: "可用性 / Availability".into(),
                value: "99.12 %".into(),
                status: "missed".into(),
            },
            ReportFigure {
                label: "工单数 / Orders".into(),
                value: "54".into(),
                status: String::new(),
            },
            ReportFigure {
                label: "满意度 / Satisfaction".into(),
                value: "4.8 / 5".into(),
                status: "met".into(),
            },
            ReportFigure {
                label: "停机 / Outages".into(),
                value: "2".into(),
                status: String::new(),
            },
        ],
        charts: vec![
            ReportChart {
                title: "每月达成率 / Attainment by month".into(),
                svg: bar_chart_svg(&[120, 135, 128, 140, 150, 110]),
            },
            ReportChart {
                title: "按类别工单 / Orders by category".into(),
                svg: bar_chart_svg(&[40, 90, 60, 20]),
            },
        ],
        sections: vec![
            ReportSection {
                title: "SLA 时钟 / SLA clocks".into(),
                note: "按优先级统计 / By priority.".into(),
                headers: vec![
                    "优先级 / Priority".into(),
                    "时钟 / Clock".into(),
                    "达成 / Met".into(),
                    "违约 / Breached".into(),
                    "达成率 / Rate".into(),
                ],
                rows: vec![
                    report_row(&["P1 紧急", "响应 / Response", "3", "0", "100.00 %"], ""),
                    report_row(
                        &["P1 紧急", "解决 / Resolution", "2", "1", "66.67 %"],
                        "missed",
                    ),
                    report_row(&["P2 高", "响应 / Response", "18", "0", "100.00 %"], ""),
                ],
                empty: "无数据 / No data".into(),
            },
            ReportSection {
                title: "停机 / Outages".into(),
                note: String::new(),
                headers: vec![
                    "服务 / Service".into(),
                    "开始 / Start".into(),
                    "时长 / Duration".into(),
                    "原因 / Cause".into(),
                ],
                rows: vec![
                    report_row(
                        &[
                            "邮件 / Mail",
                            "2026-11-03 09:12",
                            "42 min",
                            "交换机故障 / Switch failure",
                        ],
                        "missed",
                    ),
                    report_row(
                        &[
                            "ERP",
                            "2026-11-20 22:00",
                            "1 h 05 min",
                            "计划维护 / Planned",
                        ],
                        "",
                    ),
                ],
                empty: "本月无停机 No outages".into(),
            },
            ReportSection {
                title: "违约工单 / Breached orders".into(),
                note: "已排除不可抗力 / Force majeure excluded.".into(),
                headers: vec!["工单 / Order".into(), "原因 / Reason".into()],
                rows: vec![],
                empty: "本月无违约 No breaches".into(),
            },
        ],
        notes: vec![
            "达成率 = 达成 / (达成 + 违约)。Attainment = met / (met + breached).".into(),
            "可用性按服务日历计算 / Availability on the service's calendar.".into(),
        ],
        signature: None,
        printed_at: "2026-12-02 10:00".into(),
    }
}

// ---------------------------------------------------------------------------
// Helpers

fn walk<'a>(frame: &'a Frame, f: &mut impl FnMut(&'a FrameItem)) {
    for (_, item) in frame.items() {
        f(item);
        if let FrameItem::Group(g) = item {
            walk(&g.frame, f);
        }
    }
}

/// All text of all pages, in layout order.
fn text_of(r: &Rendered) -> String {
    let mut s = String::new();
    for page in r.doc.pages() {
        walk(&page.frame, &mut |item| {
            if let FrameItem::Text(t) = item {
                s.push_str(&t.text);
            }
        });
        s.push('\n');
    }
    s
}

/// Text runs that contain a .notdef glyph (id 0) — i.e. tofu boxes.
fn missing_glyphs(r: &Rendered) -> Vec<String> {
    let mut bad = Vec::new();
    for page in r.doc.pages() {
        walk(&page.frame, &mut |item| {
            if let FrameItem::Text(t) = item
                && t.glyphs.iter().any(|g| g.id == 0)
            {
                bad.push(t.text.to_string());
            }
        });
    }
    bad
}

fn assert_clean(r: &Rendered) {
    assert!(r.warnings.is_empty(), "typst warnings: {:?}", r.warnings);
    let bad = missing_glyphs(r);
    assert!(bad.is_empty(), "missing glyphs (tofu) in: {bad:?}");
}

fn pdf_ok(bytes: &[u8]) {
    assert!(
        bytes.starts_with(b"%PDF-"),
        "not a PDF: {:?}",
        &bytes[..bytes.len().min(16)]
    );
    assert!(bytes.len() > 1000);
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn fonts_are_embedded_latin_first() {
    let fams = crate::world::font_families();
    assert_eq!(
        fams,
        ["Liberation Sans", "Liberation Sans", "Droid Sans Fallback"]
    );
}

#[test]
fn service_order_is_one_clean_page_with_chinese() {
    let r = render::service_order(&sample_order(0)).expect("render");
    assert_eq!(r.doc.pages().len(), 1);
    assert_clean(&r);
    let text = text_of(&r);
    assert!(text.contains("维护服务单"), "{text}");
    assert!(text.contains("财务部打印机无法打印"), "{text}");
    assert!(text.contains("SO-2026-000123"));
    assert!(text.contains("李娜"));
    assert!(text.contains("第 1 / 1 页"), "{text}");
    // The signature image is placed.
    let mut images = 0;
    walk(&r.doc.pages()[0].frame, &mut |item| {
        if let FrameItem::Image(..) = item {
            images += 1;
        }
    });
    assert_eq!(images, 1);
    pdf_ok(&render::export(&r).expect("export"));
}

#[test]
fn service_order_without_signature_shows_empty_box() {
    let mut d = sample_order(0);
    d.signature = None;
    d.rating = None;
    d.clocks.clear();
    d.visits.clear();
    d.remote_sessions.clear();
    d.parts.clear();
    d.backup = None;
    d.contract_number = None;
    let r = render::service_order(&d).expect("render");
    assert_eq!(r.doc.pages().len(), 1);
    assert_clean(&r);
    let text = text_of(&r);
    assert!(text.contains("客户签字 / Client signature"), "{text}");
    assert!(!text.contains("备件"), "empty sections are omitted");
}

#[test]
fn huge_service_order_still_fits_one_page() {
    let mut d = sample_order(0);
    d.description = "很长的描述 long description ".repeat(200);
    d.work_done = Some("处理步骤 step\n".repeat(50));
    d.result = Some("结果 ".repeat(300));
    d.follow_up = Some("后续 ".repeat(300));
    d.clocks = (0..20).map(|_| d.clocks[0].clone()).collect();
    d.visits = (0..15).map(|_| d.visits[0].clone()).collect();
    d.remote_sessions = (0..12).map(|_| d.remote_sessions[0].clone()).collect();
    d.parts = (0..30).map(|_| d.parts[0].clone()).collect();
    let r = render::service_order(&d).expect("render");
    assert_eq!(r.doc.pages().len(), 1);
    assert_clean(&r);
    let text = text_of(&r);
    assert!(text.contains("… +12"), "clocks beyond 8 summarised: {text}");
    assert!(text.contains("… +22"), "parts beyond 8 summarised");
    assert!(text.contains('…'));
    assert!(
        !text.contains(&"很长的描述 long description ".repeat(40)),
        "description was cut"
    );
}

#[test]
fn user_text_is_never_markup() {
    let evil = r#"#panic("x") *bold* $x$ ] [ \ _u_ @ref <lbl> // c /* = H ```raw``` #{"a"} #import "/data.json" \u{1F600}"#;
    let mut d = sample_order(0);
    d.subject = evil.into();
    d.description = format!("{evil}\n{evil}");
    d.requester = "#let x = 1".into();
    d.parts[0].name = "]) #panic(\"y\") ([".into();
    d.rating = Some(RatingBlock {
        score: 9,
        comment: "$ \\ #".into(),
    });
    let r = render::service_order(&d).expect("markup in user text must not break the template");
    assert_eq!(r.doc.pages().len(), 1);
    let text = text_of(&r);
    // The markup is printed literally.
    assert!(text.contains("#panic(\"x\")"), "{text}");
    assert!(text.contains("*bold*"));
    assert!(text.contains("$x$"));
    assert!(text.contains("#let x = 1"));
    pdf_ok(&render::export(&r).expect("export"));

    let mut st = sample_statement();
    st.lines[0].description = evil.into();
    st.notes.push(evil.into());
    st.client_name = "#panic(\"st\")".into();
    let r = render::statement(&st).expect("statement with markup");
    assert!(text_of(&r).contains("#panic(\"st\")"));

    let mut q = sample_quote();
    q.prospect_name = evil.into();
    q.options[0].note = evil.into();
    render::quote(&q).expect("quote with markup");

    let mut l = sample_labels(2);
    l.labels[0].tag = evil.into();
    l.labels[1].url = evil.into();
    render::asset_labels(&l).expect("labels with markup");
}

#[test]
fn bundle_of_three_is_four_pages() {
    let cover = BundleCover {
        provider_name: "正信IT服务有限公司".into(),
        client_name: "华东精密机械有限公司".into(),
        month: "2026-10".into(),
        printed_at: "2026-10-31 18:00".into(),
    };
    let mut docs: Vec<_> = (0..3).map(sample_order).collect();
    docs[1].signature = None;
    docs[2].rating = None;
    let r = render::service_order_bundle(&cover, &docs).expect("bundle");
    assert_eq!(r.doc.pages().len(), 4);
    assert_clean(&r);
    let text = text_of(&r);
    assert!(text.contains("服务单汇总"));
    assert!(text.contains("SO-2026-000125"));
    assert!(text.contains("第 4 / 4 页"), "{text}");
    pdf_ok(&render::export(&r).expect("export"));

    let empty = render::service_order_bundle(&cover, &[]).expect("empty bundle");
    assert_eq!(empty.doc.pages().len(), 1);
}

#[test]
fn statement_renders() {
    let r = render::statement(&sample_statement()).expect("statement");
    assert_eq!(r.doc.pages().len(), 1);
    assert_clean(&r);
    let text = text_of(&r);
    assert!(text.contains("对账单"));
    assert!(text.contains("4740.00"));
    assert!(text.contains("SO-2026-000123"));

    // Long statements flow onto more pages.
    let mut long = sample_statement();
    long.lines = (0..120).map(|_| long.lines[1].clone()).collect();
    let r = render::statement(&long).expect("long statement");
    assert!(r.doc.pages().len() >= 3, "pages: {}", r.doc.pages().len());
    assert_clean(&r);
}

/// A statement whose lines list many orders (issue #11): one line with 20 order numbers and a
/// long bilingual description, another with a long type label.
pub(crate) fn long_line_statement() -> (StatementDoc, Vec<String>) {
    let mut st = sample_statement();
    let orders: Vec<String> = (0..20).map(|i| format!("SO-2026-{:06}", 200 + i)).collect();
    st.lines[1] = StatementLine {
        kind: "上门服务 / On-site visits".into(),
        description: "上门服务：财务部、人事部与仓库的打印机、网络交换机和门禁读卡器巡检及故障处理，含周末加班 / \
                      On-site service: inspection and repair of printers, network switches and door \
                      card readers in finance, HR and the warehouse, including weekend overtime"
            .into(),
        source: orders.join(", "),
        quantity: "20".into(),
        unit_price: "300.00".into(),
        amount: "6000.00".into(),
    };
    st.lines[2].source = orders[..7].join(", ");
    (st, orders)
}

/// Whitespace-separated words of a text, with list punctuation trimmed.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| matches!(c, ',' | '·' | ':' | '：'))
                .to_owned()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The text runs of all pages (one per laid-out line of a cell), as typst placed them.
fn runs(r: &Rendered) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for page in r.doc.pages() {
        walk(&page.frame, &mut |item| {
            if let FrameItem::Text(t) = item {
                out.push(t.text.to_string());
            }
        });
    }
    out
}

#[test]
fn statement_lines_with_many_orders_stay_readable() {
    let (st, orders) = long_line_statement();
    let r = render::statement(&st).expect("statement");
    assert_clean(&r);
    assert_eq!(
        r.doc.pages().len(),
        1,
        "a three-line statement stays on one page"
    );
    let text = runs(&r).join("\n");
    let found = words(&text);
    for o in &orders {
        assert!(
            found.iter().any(|w| w == o),
            "order number {o} intact on one line:\n{text}"
        );
    }
    // The description is laid out in whole words (a one-character column would split each word
    // over several lines), and in full once line breaks are ignored.
    let description = &st.lines[1].description;
    for w in words(description).iter().filter(|w| w.is_ascii()) {
        assert!(
            found.iter().any(|f| f.contains(w.as_str())),
            "word {w:?} of the description intact:\n{text}"
        );
    }
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    assert!(
        squash(&text).contains(&squash(description)),
        "the whole description, in order:\n{text}"
    );
    assert!(found.iter().any(|w| w == "6000.00"), "{text}");
    // The exported PDF is well formed.
    pdf_ok(&render::export(&r).expect("pdf"));
}

/// The exported statement read back by a real PDF text extractor (poppler's `pdftotext`, installed
/// by scripts/ensure-chromium): what a client's accountant copies out of the PDF must be the
/// order numbers and the description, not one character per line. Required when `CI` is set.
#[test]
fn statement_pdf_text_extracts_whole_lines() {
    let (st, orders) = long_line_statement();
    let pdf = statement(&st).expect("statement pdf");
    let run = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut child = match run {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "pdftotext is required in CI (scripts/ensure-chromium installs poppler-utils): {e}"
            );
            eprintln!("skipped: pdftotext not installed ({e})");
            return;
        }
    };
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(&pdf).expect("pdf to pdftotext");
    }
    let out = child.wait_with_output().expect("pdftotext");
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let pages = text.trim_end_matches('\u{c}').matches('\u{c}').count() + 1;
    assert_eq!(pages, 1, "one page:\n{text}");
    let found = words(&text);
    for o in &orders {
        assert!(
            found.iter().any(|w| w == o),
            "order number {o} extracted whole:\n{text}"
        );
    }
    for w in ["inspection", "warehouse", "overtime", "switches"] {
        assert!(
            found.iter().any(|f| f.contains(w)),
            "description word {w:?} extracted whole:\n{text}"
        );
    }
    assert!(text.contains("上门服务"), "{text}");
    assert!(found.iter().any(|w| w == "6000.00"), "{text}");
}

#[test]
fn label_sheet_pages() {
    let r = render::asset_labels(&sample_labels(30)).expect("labels");
    assert_eq!(r.doc.pages().len(), 2);
    assert_clean(&r);
    let text = text_of(&r);
    assert!(text.contains("ZX-PC-0030"));
    let r = render::asset_labels(&sample_labels(24)).expect("labels");
    assert_eq!(r.doc.pages().len(), 1);
    let r = render::asset_labels(&sample_labels(0)).expect("no labels");
    assert_eq!(r.doc.pages().len(), 1);
}

#[test]
fn quote_renders() {
    let r = render::quote(&sample_quote()).expect("quote");
    assert_eq!(r.doc.pages().len(), 1);
    assert_clean(&r);
    let text = text_of(&r);
    assert!(text.contains("报价单"));
    assert!(text.contains("3980.00"));
    assert!(text.contains("推荐"));
}

/// The images placed on all pages of a document.
fn image_count(r: &Rendered) -> usize {
    let mut images = 0;
    for page in r.doc.pages() {
        walk(&page.frame, &mut |item| {
            if let FrameItem::Image(..) = item {
                images += 1;
            }
        });
    }
    images
}

#[test]
fn report_renders_with_charts_and_sections() {
    let r = render::report(&sample_report()).expect("report");
    assert_clean(&r);
    assert_eq!(image_count(&r), 2, "both charts placed");
    let text = text_of(&r);
    for want in [
        "服务级别报告",
        "华东精密机械有限公司",
        "96.30 %",
        "达标 / Met",
        "未达标 / Missed",
        "SLA 时钟 / SLA clocks",
        "交换机故障 / Switch failure",
        "66.67 %",
        "本月无违约 No breaches",
        "Attainment = met",
        "每月达成率 / Attainment by month",
        "打印时间 / Printed: 2026-12-02 10:00",
    ] {
        assert!(text.contains(want), "{want:?} missing in:\n{text}");
    }
    assert!(text.contains("第 1 / "), "page numbers: {text}");
    pdf_ok(&render::export(&r).expect("export"));
    pdf_ok(&report(&sample_report()).expect("public report"));
}

#[test]
fn report_long_table_repeats_its_header_over_pages() {
    let mut doc = sample_report();
    doc.charts.clear();
    doc.sections[0].rows = (0..300)
        .map(|i| {
            report_row(
                &[
                    &format!("SO-2026-{i:06}"),
                    "解决 / Resolution",
                    "1",
                    "0",
                    "100.00 %",
                ],
                if i % 50 == 0 { "missed" } else { "" },
            )
        })
        .collect();
    let r = render::report(&doc).expect("long report");
    assert_clean(&r);
    let pages = r.doc.pages().len();
    assert!(pages >= 3, "300 rows span several pages: {pages}");
    // `text_of` ends each page with a newline, and typst text runs hold none.
    let text = text_of(&r);
    let page_texts: Vec<&str> = text.split('\n').filter(|p| !p.is_empty()).collect();
    assert_eq!(page_texts.len(), pages);
    let with_header = page_texts
        .iter()
        .filter(|p| p.contains("达成率 / Rate"))
        .count();
    assert!(
        with_header >= 2,
        "header repeated ({with_header} of {pages} pages)"
    );
    assert!(text.contains("SO-2026-000299"), "the last row is printed");
    assert!(text.contains(&format!("第 {pages} / {pages} 页")), "{text}");
}

#[test]
fn report_caps_rows_and_counts_the_rest() {
    let mut doc = ReportDoc::default();
    doc.sections.push(ReportSection {
        title: "大表 / Big".into(),
        rows: (0..2100)
            .map(|i| report_row(&[&format!("r{i}")], ""))
            .collect(),
        ..Default::default()
    });
    let r = render::report(&doc).expect("capped report");
    let text = text_of(&r);
    assert!(text.contains("r1999"));
    assert!(!text.contains("r2000"), "rows beyond 2000 are cut");
    assert!(text.contains("… +100"), "and counted");
}

/// Well-formed SVG that links a file: it parses, but typst fails on it while laying out.
const LINKED_IMAGE_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" \
    height=\"10\"><image href=\"data.json\" width=\"5\" height=\"5\"/></svg>";

#[test]
fn report_chart_checks() {
    let svg = bar_chart_svg(&[1, 2]);
    let (kept, ratio) = render::chart_svg(&svg).expect("valid chart");
    assert_eq!(kept, svg);
    assert!((ratio - 200.0 / 480.0).abs() < 1e-6, "{ratio}");
    let xml = format!("\u{feff}\n <?xml version=\"1.0\"?>\n{svg}");
    let (kept, _) = render::chart_svg(&xml).expect("BOM, blank line and XML declaration");
    assert!(
        kept.starts_with("<?xml"),
        "embedded without the BOM: {kept:?}"
    );
    for bad in [
        "",
        "not svg",
        "<svg><<<",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"0\" height=\"10\"/>",
        "<html><svg/></html>",
    ] {
        assert!(render::chart_svg(bad).is_none(), "{bad:?}");
    }
    let big = bar_chart_svg(&[1]).replace(
        "</svg>",
        &format!(
            "<!-- {} --></svg>",
            "x".repeat(render::REPORT_MAX_SVG_BYTES)
        ),
    );
    assert!(render::chart_svg(&big).is_none(), "over 2 MiB");
    // Only the layout-time fallback in `render::report` catches this one.
    assert!(render::chart_svg(LINKED_IMAGE_SVG).is_some());
}

#[test]
fn report_survives_hostile_input() {
    let evil = r#"#panic("x") $x$ ] [ *b* \ #{"a"} #import "/data.json" // c"#;
    let huge = "长".repeat(50_000) + &"x".repeat(50_000);
    let mut doc = sample_report();
    doc.title = evil.into();
    doc.provider_name = evil.into();
    doc.client_name = evil.into();
    doc.period = evil.into();
    doc.state = evil.into();
    doc.summary = format!("{evil}\n{huge}");
    doc.printed_at = evil.into();
    doc.notes = vec![evil.into(), huge.clone()];
    for f in &mut doc.headline {
        f.label = evil.into();
        f.value = evil.into();
        f.status = evil.into();
    }
    doc.charts = vec![
        ReportChart {
            title: evil.into(),
            svg: "<svg><<<".into(),
        },
        ReportChart {
            title: evil.into(),
            svg: "not svg".into(),
        },
        ReportChart {
            title: evil.into(),
            svg: String::new(),
        },
        // Passes the checks, but typst refuses a linked (non-data) image while laying out.
        ReportChart {
            title: evil.into(),
            svg: LINKED_IMAGE_SVG.into(),
        },
        // Larger than 2 MiB.
        ReportChart {
            title: evil.into(),
            svg: bar_chart_svg(&[1]).replace(
                "</svg>",
                &format!("<!-- {} --></svg>", "x".repeat(2 * 1024 * 1024)),
            ),
        },
        // One good chart survives among the bad ones.
        ReportChart {
            title: evil.into(),
            svg: bar_chart_svg(&[10, 20]),
        },
    ];
    for s in &mut doc.sections {
        s.title = evil.into();
        s.note = evil.into();
        s.empty = evil.into();
        for h in &mut s.headers {
            *h = evil.into();
        }
        for row in &mut s.rows {
            for c in &mut row.cells {
                *c = evil.into();
            }
            row.flag = evil.into();
        }
    }
    doc.sections[0].rows[0].cells[0] = huge.clone();
    // Rows longer than the header and far too many columns.
    doc.sections[1].rows[0].cells = (0..500).map(|i| format!("c{i}")).collect();
    // Far too many headline figures and sections.
    doc.headline = (0..100).map(|_| doc.headline[0].clone()).collect();
    let extra = doc.sections[2].clone();
    doc.sections.extend(std::iter::repeat_n(extra, 60));

    let r = render::report(&doc).expect("hostile input must still render");
    let text = text_of(&r);
    assert!(text.contains("#panic"), "{text}");
    assert!(text.contains("$x$"), "markup printed literally");
    assert!(text.contains("#import"), "markup printed literally");
    assert!(
        text.matches("图表无法显示 / Chart unavailable").count() == 5,
        "the five bad charts are replaced by a line: {text}"
    );
    assert_eq!(image_count(&r), 1, "the good chart is kept");
    assert!(!text.contains(&"x".repeat(1000)), "the huge cell is cut");
    assert!(!text.contains("c12"), "columns beyond 12 are dropped");
    assert!(text.contains("… +88"), "headline figures beyond 12 counted");
    assert!(text.contains("… +23"), "sections beyond 40 counted");
    pdf_ok(&render::export(&r).expect("export"));
}

#[test]
fn empty_report_renders() {
    let r = render::report(&ReportDoc::default()).expect("empty report");
    assert_eq!(r.doc.pages().len(), 1);
    assert_clean(&r);
    assert!(text_of(&r).contains("报告 / Report"));
    pdf_ok(&report(&ReportDoc::default()).expect("public empty report"));

    // Sections without rows or headers, and rows without cells.
    let mut doc = ReportDoc::default();
    doc.sections.push(ReportSection::default());
    doc.sections.push(ReportSection {
        rows: vec![ReportRow::default(); 3],
        ..Default::default()
    });
    let r = render::report(&doc).expect("empty sections");
    assert_clean(&r);
}

#[test]
fn bad_signature_is_an_image_error() {
    let mut d = sample_order(0);
    if let Some(s) = d.signature.as_mut() {
        s.png = b"GIF89a not a png".to_vec();
    }
    assert!(matches!(service_order(&d), Err(PdfError::Image(_))));
}

/// The sample report signed by the client (as an inspection report would be).
fn signed_report() -> ReportDoc {
    ReportDoc {
        signature: Some(SignatureBlock {
            name: "陈静 Chen Jing".into(),
            signed_at: "2026-12-03 16:45".into(),
            png: signature_png(),
        }),
        ..sample_report()
    }
}

#[test]
fn report_with_signature_prints_it_after_the_sections() {
    let unsigned = render::report(&sample_report()).expect("unsigned report");
    assert!(
        !text_of(&unsigned).contains("客户签字"),
        "no signature block"
    );

    let r = render::report(&signed_report()).expect("signed report");
    assert_clean(&r);
    assert_eq!(
        image_count(&r),
        image_count(&unsigned) + 1,
        "the signature image is placed besides the charts"
    );
    let text = text_of(&r);
    let at = |want: &str| {
        text.find(want)
            .unwrap_or_else(|| panic!("{want:?} missing in:\n{text}"))
    };
    let block = at("客户签字 / Client signature");
    assert!(at("陈静 Chen Jing") > block);
    assert!(at("2026-12-03 16:45") > block);
    assert!(block > at("本月无违约 No breaches"), "after the sections");
    assert!(block < at("Attainment = met"), "before the notes");

    let signed = render::export(&r).expect("export");
    pdf_ok(&signed);
    let plain = render::export(&unsigned).expect("export");
    assert!(
        signed.len() > plain.len(),
        "{} vs {}",
        signed.len(),
        plain.len()
    );
    // Image XObjects in the PDF: the signature (and its alpha mask); the charts are SVG,
    // drawn as vectors.
    let images = |pdf: &[u8]| {
        pdf.windows(b"/Subtype/Image".len())
            .filter(|w| *w == b"/Subtype/Image")
            .count()
    };
    assert!(images(&signed) > images(&plain));
    pdf_ok(&report(&signed_report()).expect("public signed report"));

    // Markup in the name and time is printed literally; an otherwise empty report still signs.
    let doc = ReportDoc {
        signature: Some(SignatureBlock {
            name: "#panic(\"x\") *b*".into(),
            signed_at: "$x$ ".repeat(100),
            png: signature_png(),
        }),
        ..Default::default()
    };
    let r = render::report(&doc).expect("signed empty report");
    let text = text_of(&r);
    assert!(text.contains("#panic"), "{text}");
    assert!(text.contains("$x$"), "{text}");
    assert_eq!(image_count(&r), 1);
}

#[test]
fn bad_report_signature_is_an_image_error() {
    let mut doc = signed_report();
    if let Some(s) = doc.signature.as_mut() {
        s.png = b"GIF89a not a png".to_vec();
    }
    assert!(matches!(report(&doc), Err(PdfError::Image(_))));
    assert!(matches!(render::report(&doc), Err(PdfError::Image(_))));
    if let Some(s) = doc.signature.as_mut() {
        s.png.clear();
    }
    assert!(
        matches!(report(&doc), Err(PdfError::Image(_))),
        "empty bytes"
    );
}

#[test]
fn renders_concurrently() {
    let handles: Vec<_> = (0..3)
        .map(|i| std::thread::spawn(move || service_order(&sample_order(i))))
        .collect();
    for h in handles {
        pdf_ok(&h.join().expect("thread").expect("render"));
    }
}

#[test]
fn clip_cuts_chars_and_lines() {
    assert_eq!(render::clip("abc", 10, 3), "abc");
    assert_eq!(render::clip("abcdefghij", 5, 3), "abcd…");
    assert_eq!(render::clip("a\nb\nc\nd", 100, 2), "a\nb c d");
    assert_eq!(render::clip("中文中文中文", 3, 1), "中文…");
}

#[test]
fn public_functions_return_pdf_bytes() {
    pdf_ok(&service_order(&sample_order(0)).expect("so"));
    pdf_ok(&statement(&sample_statement()).expect("st"));
    pdf_ok(&asset_labels(&sample_labels(3)).expect("labels"));
    pdf_ok(&quote(&sample_quote()).expect("quote"));
    pdf_ok(&report(&sample_report()).expect("report"));
    let cover = BundleCover::default();
    pdf_ok(&service_order_bundle(&cover, &[sample_order(1)]).expect("bundle"));
}

/// Writes sample PDFs to /tmp/weihu-pdf-samples and prints render timings.
/// `cargo test -- --ignored --nocapture write_samples`
#[test]
#[ignore = "writes files to /tmp; run by hand to look at the layout"]
fn write_samples() {
    let dir = std::path::Path::new("/tmp/weihu-pdf-samples");
    std::fs::create_dir_all(dir).expect("mkdir");
    warm_up();
    let t = Instant::now();
    let so = service_order(&sample_order(0)).expect("so");
    println!(
        "service_order first render: {:?} ({} bytes)",
        t.elapsed(),
        so.len()
    );
    let t = Instant::now();
    let n = 10;
    for i in 0..n {
        service_order(&sample_order(i)).expect("so");
    }
    println!("service_order avg of {n} more: {:?}", t.elapsed() / n);
    std::fs::write(dir.join("service_order.pdf"), &so).expect("write");

    let mut minimal = sample_order(7);
    minimal.signature = None;
    minimal.rating = None;
    minimal.visits.clear();
    minimal.parts.clear();
    minimal.backup = None;
    std::fs::write(
        dir.join("service_order_unsigned.pdf"),
        service_order(&minimal).expect("so"),
    )
    .expect("write");

    let mut huge = sample_order(9);
    huge.description = "很长的描述 long description text ".repeat(60);
    huge.clocks = (0..12).map(|_| huge.clocks[0].clone()).collect();
    huge.parts = (0..12).map(|_| huge.parts[0].clone()).collect();
    huge.visits = (0..10).map(|_| huge.visits[0].clone()).collect();
    huge.remote_sessions = (0..10).map(|_| huge.remote_sessions[0].clone()).collect();
    std::fs::write(
        dir.join("service_order_huge.pdf"),
        service_order(&huge).expect("so"),
    )
    .expect("write");

    let t = Instant::now();
    let st = statement(&sample_statement()).expect("st");
    println!("statement: {:?}", t.elapsed());
    std::fs::write(dir.join("statement.pdf"), st).expect("write");
    std::fs::write(
        dir.join("statement_long_lines.pdf"),
        statement(&long_line_statement().0).expect("st"),
    )
    .expect("write");
    let t = Instant::now();
    let labels = asset_labels(&sample_labels(30)).expect("labels");
    println!("labels (30): {:?}", t.elapsed());
    std::fs::write(dir.join("labels.pdf"), labels).expect("write");
    std::fs::write(
        dir.join("quote.pdf"),
        quote(&sample_quote()).expect("quote"),
    )
    .expect("write");
    let t = Instant::now();
    let rep = report(&sample_report()).expect("report");
    println!("report: {:?}", t.elapsed());
    std::fs::write(dir.join("report.pdf"), rep).expect("write");
    std::fs::write(
        dir.join("report_signed.pdf"),
        report(&signed_report()).expect("signed report"),
    )
    .expect("write");
    let cover = BundleCover {
        provider_name: "正信IT服务有限公司".into(),
        client_name: "华东精密机械有限公司".into(),
        month: "2026-10".into(),
        printed_at: "2026-10-31 18:00".into(),
    };
    let docs: Vec<_> = (0..3).map(sample_order).collect();
    std::fs::write(
        dir.join("bundle.pdf"),
        service_order_bundle(&cover, &docs).expect("bundle"),
    )
    .expect("write");
}
