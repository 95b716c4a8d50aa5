//! Charts drawn on the server as SVG: the same document is inlined in a page and embedded in the
//! PDF (typst reads SVG), so there is no chart script, no CDN, and a printed report looks like
//! the screen. Every label is XML-escaped; the number of bars, groups and points is capped, so a
//! hostile or enormous report still draws a bounded picture.

use std::fmt::Write;

/// At most this many bars (rows) or categories are drawn; the rest are left out.
pub const MAX_ITEMS: usize = 40;
/// At most this many series in a grouped or line chart.
pub const MAX_SERIES: usize = 6;

const FONT: &str =
    "Liberation Sans, Droid Sans Fallback, Noto Sans CJK SC, Microsoft YaHei, sans-serif";
/// Series colours, distinguishable in greyscale too (light to dark).
const COLOURS: [&str; MAX_SERIES] = [
    "#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#718096", "#c53030",
];
const MET: &str = "#38a169";
const MISSED: &str = "#c53030";
const NEUTRAL: &str = "#2b6cb0";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 has no place for most control characters.
            c if c.is_control() && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A label cut to `max` characters with "…".
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1}")
    } else {
        "0".to_owned()
    }
}

fn open(w: u32, h: u32, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         role=\"img\" aria-label=\"{t}\" font-family=\"{FONT}\" font-size=\"12\">\
         <title>{t}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>",
        t = esc(title)
    )
}

/// One horizontal bar: a label, its value, an optional target (drawn as a tick) and whether the
/// target was met (colours the bar).
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as it should read beside the bar (e.g. "99.95 %").
    pub shown: String,
    pub target: Option<f64>,
    pub met: Option<bool>,
}

/// Horizontal bars on a scale from `low` to `high` (values outside are drawn at the ends): for
/// availability against target, `low` 90 and `high` 100 make 99.0 and 99.9 differ visibly.
pub fn bars(title: &str, items: &[Bar], low: f64, high: f64) -> String {
    let items = &items[..items.len().min(MAX_ITEMS)];
    let (w, label_w, value_w, row) = (640u32, 190u32, 90u32, 26u32);
    let h = 16 + row * u32::try_from(items.len().max(1)).unwrap_or(1) + 24;
    let plot = f64::from(w - label_w - value_w - 10);
    let span = if high > low { high - low } else { 1.0 };
    let x_of = |v: f64| {
        let v = if v.is_finite() { v } else { low };
        f64::from(label_w) + ((v - low) / span).clamp(0.0, 1.0) * plot
    };
    let mut s = open(w, h, title);
    // Scale: low, middle, high.
    let axis_y = h - 18;
    for v in [low, (low + high) / 2.0, high] {
        let x = x_of(v);
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"8\" x2=\"{x:.1}\" y2=\"{axis_y}\" stroke=\"#e2e8f0\"/>\
             <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#4a5568\" font-size=\"10\">{}</text>",
            axis_y + 12,
            num(v)
        );
    }
    for (i, b) in items.iter().enumerate() {
        let y = 10 + row * u32::try_from(i).unwrap_or(0);
        let colour = match b.met {
            Some(true) => MET,
            Some(false) => MISSED,
            None => NEUTRAL,
        };
        let x1 = x_of(b.value);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#1a202c\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{:.1}\" height=\"16\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"#1a202c\">{}</text>",
            label_w - 6,
            y + 12,
            esc(&clip(&b.label, 18)),
            (x1 - f64::from(label_w)).max(0.0),
            w - value_w + 4,
            y + 12,
            esc(&clip(&b.shown, 14)),
        );
        if let Some(t) = b.target {
            let x = x_of(t);
            let _ = write!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#1a202c\" stroke-width=\"2\"/>",
                y.saturating_sub(3),
                y + 19
            );
        }
    }
    if items.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"28\" fill=\"#718096\">—</text>",
            w / 2
        );
    }
    s.push_str("</svg>");
    s
}

/// A named series of values, one per category (None: nothing to draw there).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

fn scale_max(series: &[Series], fixed: Option<f64>) -> f64 {
    if let Some(m) = fixed {
        return m;
    }
    let m = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    if m <= 0.0 {
        1.0
    } else {
        // A round top: 1, 2, 5 × 10^n.
        let mag = 10f64.powf(m.log10().floor());
        [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|k| k * mag)
            .find(|t| *t >= m)
            .unwrap_or(m)
    }
}

fn legend(s: &mut String, series: &[Series], x0: u32, y: u32) {
    let mut x = x0;
    for (i, se) in series.iter().enumerate() {
        let name = clip(&se.name, 16);
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{y}\" fill=\"#1a202c\" font-size=\"11\">{}</text>",
            y - 9,
            COLOURS[i % MAX_SERIES],
            x + 14,
            esc(&name)
        );
        x += 24 + 7 * u32::try_from(name.chars().count()).unwrap_or(0).min(40);
    }
}

fn frame(s: &mut String, left: u32, top: u32, right: u32, bottom: u32, max: f64, unit: &str) {
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        let y = f64::from(bottom) - f64::from(bottom - top) * f64::from(k) / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{right}\" y2=\"{y:.1}\" stroke=\"#e2e8f0\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#4a5568\" font-size=\"10\">{}{}</text>",
            left - 4,
            y + 3.0,
            if max >= 10.0 || (max >= 4.0 && (max / 4.0).fract() == 0.0) {
                format!("{v:.0}")
            } else {
                num(v)
            },
            esc(unit)
        );
    }
}

/// Grouped vertical columns: one group per category, one column per series.
pub fn columns(
    title: &str,
    categories: &[String],
    series: &[Series],
    max: Option<f64>,
    unit: &str,
) -> String {
    let categories = &categories[..categories.len().min(MAX_ITEMS)];
    let series = &series[..series.len().min(MAX_SERIES)];
    let (w, h) = (640u32, 260u32);
    let (left, top, right, bottom) = (44u32, 24u32, w - 10, h - 40);
    let top_v = scale_max(series, max);
    // Counts (no unit) read in whole numbers: a top the four grid lines divide evenly.
    let top_v = if unit.is_empty() && max.is_none() {
        let raw = series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        (raw / 4.0).ceil().max(1.0) * 4.0
    } else {
        top_v
    };
    let mut s = open(w, h, title);
    legend(&mut s, series, left, 14);
    frame(&mut s, left, top, right, bottom, top_v, unit);
    let n = u32::try_from(categories.len().max(1)).unwrap_or(1);
    let group_w = f64::from(right - left) / f64::from(n);
    let k = series.len().max(1) as f64;
    let col_w = (group_w * 0.8 / k).min(40.0);
    for (ci, c) in categories.iter().enumerate() {
        let gx = f64::from(left) + group_w * ci as f64;
        for (si, se) in series.iter().enumerate() {
            let Some(v) = se
                .values
                .get(ci)
                .copied()
                .flatten()
                .filter(|v| v.is_finite())
            else {
                continue;
            };
            let hgt = (v / top_v).clamp(0.0, 1.0) * f64::from(bottom - top);
            let x = gx + group_w * 0.1 + col_w * si as f64;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{col_w:.1}\" height=\"{hgt:.1}\" fill=\"{}\"><title>{}: {}</title></rect>",
                f64::from(bottom) - hgt,
                COLOURS[si % MAX_SERIES],
                esc(&se.name),
                num(v)
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#1a202c\" font-size=\"11\">{}</text>",
            gx + group_w / 2.0,
            bottom + 14,
            esc(&clip(c, if n > 12 { 6 } else { 12 }))
        );
    }
    s.push_str("</svg>");
    s
}

/// Lines over categories (months): one polyline with point marks per series; gaps where a
/// value is missing.
pub fn lines(
    title: &str,
    categories: &[String],
    series: &[Series],
    max: Option<f64>,
    unit: &str,
) -> String {
    let categories = &categories[..categories.len().min(MAX_ITEMS)];
    let series = &series[..series.len().min(MAX_SERIES)];
    let (w, h) = (640u32, 260u32);
    let (left, top, right, bottom) = (44u32, 24u32, w - 16, h - 40);
    let top_v = scale_max(series, max);
    let mut s = open(w, h, title);
    legend(&mut s, series, left, 14);
    frame(&mut s, left, top, right, bottom, top_v, unit);
    let n = categories.len().max(2);
    let x_of = |i: usize| f64::from(left) + f64::from(right - left) * i as f64 / (n - 1) as f64;
    let y_of = |v: f64| f64::from(bottom) - (v / top_v).clamp(0.0, 1.0) * f64::from(bottom - top);
    for (si, se) in series.iter().enumerate() {
        let colour = COLOURS[si % MAX_SERIES];
        let mut run: Vec<(f64, f64)> = Vec::new();
        let flush = |run: &mut Vec<(f64, f64)>, s: &mut String| {
            if run.len() > 1 {
                let pts: Vec<String> = run.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                let _ = write!(
                    s,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
                    pts.join(" ")
                );
            }
            run.clear();
        };
        for i in 0..categories.len() {
            match se
                .values
                .get(i)
                .copied()
                .flatten()
                .filter(|v| v.is_finite())
            {
                Some(v) => {
                    let (x, y) = (x_of(i), y_of(v));
                    let _ = write!(
                        s,
                        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\"><title>{}: {}</title></circle>",
                        esc(&se.name),
                        num(v)
                    );
                    run.push((x, y));
                }
                None => flush(&mut run, &mut s),
            }
        }
        flush(&mut run, &mut s);
    }
    for (i, c) in categories.iter().enumerate() {
        // Every month label when there is room, else every other one.
        if categories.len() > 12 && i % 2 == 1 {
            continue;
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#1a202c\" font-size=\"10\">{}</text>",
            x_of(i),
            bottom + 14,
            esc(&clip(c, 8))
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn well_formed(svg: &str) {
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
        // Every tag opened is closed or self-closed: count the simple way.
        let opens = svg.matches("<text").count();
        assert_eq!(opens, svg.matches("</text>").count(), "{svg}");
    }

    #[test]
    fn bars_colour_met_and_missed_and_mark_the_target() {
        let svg = bars(
            "可用性",
            &[
                Bar {
                    label: "网络".into(),
                    value: 99.95,
                    shown: "99.95 %".into(),
                    target: Some(99.9),
                    met: Some(true),
                },
                Bar {
                    label: "桌面".into(),
                    value: 97.0,
                    shown: "97.00 %".into(),
                    target: Some(99.0),
                    met: Some(false),
                },
            ],
            90.0,
            100.0,
        );
        well_formed(&svg);
        assert!(svg.contains(MET) && svg.contains(MISSED));
        assert!(svg.contains("99.95 %") && svg.contains("网络"));
        assert_eq!(
            svg.matches("stroke-width=\"2\"").count(),
            2,
            "two target ticks"
        );
    }

    #[test]
    fn hostile_labels_are_escaped_and_counts_capped() {
        let evil = "<script>alert('x')</script>&\u{7}";
        let many: Vec<Bar> = (0..500)
            .map(|i| Bar {
                label: format!("{evil}{i}"),
                value: f64::NAN,
                shown: evil.into(),
                target: Some(f64::INFINITY),
                met: None,
            })
            .collect();
        let svg = bars(evil, &many, 90.0, 100.0);
        well_formed(&svg);
        assert!(!svg.contains("<script"), "escaped");
        assert!(svg.contains("&lt;script"));
        assert!(!svg.contains('\u{7}'));
        assert!(svg.matches("<rect").count() <= MAX_ITEMS + 1);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));

        let cats: Vec<String> = (0..1000).map(|i| format!("{evil}{i}")).collect();
        let series: Vec<Series> = (0..50)
            .map(|i| Series {
                name: format!("s{i}{evil}"),
                values: vec![Some(f64::NAN), Some(-5.0), None, Some(1e308)],
            })
            .collect();
        for svg in [
            columns(evil, &cats, &series, None, "%"),
            lines(evil, &cats, &series, Some(100.0), "%"),
        ] {
            well_formed(&svg);
            assert!(!svg.contains("<script") && !svg.contains("NaN"));
            assert!(svg.len() < 200_000, "bounded: {}", svg.len());
        }
    }

    #[test]
    fn lines_break_where_a_month_has_no_value() {
        let months: Vec<String> = (1..=4).map(|m| format!("2026-{m:02}")).collect();
        let svg = lines(
            "趋势",
            &months,
            &[Series {
                name: "SLA".into(),
                values: vec![Some(95.0), Some(96.0), None, Some(99.0)],
            }],
            Some(100.0),
            "%",
        );
        well_formed(&svg);
        assert_eq!(
            svg.matches("<polyline").count(),
            1,
            "one run of two points, one single point"
        );
        assert_eq!(svg.matches("<circle").count(), 3);
    }

    #[test]
    fn columns_scale_to_a_round_top() {
        let svg = columns(
            "工单",
            &["P1".into(), "P2".into()],
            &[Series {
                name: "n".into(),
                values: vec![Some(7.0), Some(3.0)],
            }],
            None,
            "",
        );
        well_formed(&svg);
        assert!(
            svg.contains(">8<"),
            "counts: the top of the scale is 8, read in whole numbers: {svg}"
        );
        assert!(!svg.contains(">2.5<"), "{svg}");
    }
}
