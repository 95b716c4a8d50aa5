//! Builds the JSON data and virtual files for each document, compiles the
//! matching template and exports the PDF.

use serde_json::{Map, Value, json};
use typst::foundations::Smart;
use typst_layout::PagedDocument;

use crate::model::*;
use crate::world::RenderWorld;
use crate::{PdfError, qr};

/// A compiled, laid-out document (before PDF export).
pub struct Rendered {
    pub doc: PagedDocument,
    /// typst warnings (checked by the tests; ignored in production).
    #[cfg_attr(not(test), allow(dead_code))]
    pub warnings: Vec<String>,
    /// Stable PDF identifier (document number).
    pub ident: String,
}

pub fn export(r: &Rendered) -> Result<Vec<u8>, PdfError> {
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(r.ident.clone()),
        creator: Smart::Custom(Some("Weihu".to_owned())),
        ..Default::default()
    };
    typst_pdf::pdf(&r.doc, &options).map_err(|errors| {
        PdfError::Export(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

fn compile(mut world: RenderWorld, data: Value, ident: String) -> Result<Rendered, PdfError> {
    let json = serde_json::to_vec(&data).map_err(|e| PdfError::Compile(format!("data: {e}")))?;
    world.add_file("/data.json", json);
    let (doc, warnings) = world.compile()?;
    Ok(Rendered {
        doc,
        warnings,
        ident,
    })
}

// ---------------------------------------------------------------------------
// Limits that keep a service order on one page.

/// Rows shown per list on a service order; the rest is summarised as "… +N".
pub const MAX_ROWS: usize = 8;
const MAX_SUBJECT: usize = 160;
const MAX_DESCRIPTION: usize = 800;
const MAX_DESCRIPTION_LINES: usize = 12;
const MAX_WORK: usize = 600;
const MAX_WORK_LINES: usize = 8;
const MAX_NOTE: usize = 300;
const MAX_NOTE_LINES: usize = 4;
/// Any other string on a service order (table cells, names …).
const MAX_CELL: usize = 120;

/// Cuts `s` to at most `max_chars` characters (adding "…"), and joins lines
/// beyond `max_lines` into the last kept line.
pub fn clip(s: &str, max_chars: usize, max_lines: usize) -> String {
    let s = s.trim();
    let mut lines: Vec<&str> = s.lines().collect();
    let mut out = if lines.len() > max_lines {
        let rest = lines.split_off(max_lines.saturating_sub(1));
        let mut kept = lines.join("\n");
        if !kept.is_empty() {
            kept.push('\n');
        }
        kept.push_str(
            &rest
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        );
        kept
    } else {
        s.to_owned()
    };
    if out.chars().count() > max_chars {
        out = out
            .chars()
            .take(max_chars.saturating_sub(1))
            .collect::<String>()
            .trim_end()
            .to_owned();
        out.push('…');
    }
    out
}

fn clip_opt(s: &mut Option<String>, max_chars: usize, max_lines: usize) {
    if let Some(v) = s.as_mut() {
        *v = clip(v, max_chars, max_lines);
    }
}

/// Keeps the first `MAX_ROWS` items; returns how many were dropped.
fn clip_rows<T>(v: &mut Vec<T>) -> usize {
    let more = v.len().saturating_sub(MAX_ROWS);
    v.truncate(MAX_ROWS);
    more
}

/// Clips every string in a JSON tree that is longer than `max` characters.
fn clip_all_strings(v: &mut Value, max: usize, max_lines: usize) {
    match v {
        Value::String(s) if s.chars().count() > max || s.lines().count() > max_lines => {
            *s = clip(s, max, max_lines);
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| clip_all_strings(i, max, max_lines)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|i| clip_all_strings(i, max, max_lines)),
        _ => {}
    }
}

fn to_value<T: serde::Serialize>(t: &T) -> Result<Value, PdfError> {
    serde_json::to_value(t).map_err(|e| PdfError::Compile(format!("data: {e}")))
}

fn check_png(bytes: &[u8], what: &str) -> Result<(), PdfError> {
    const MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() > MAGIC.len() && bytes.starts_with(MAGIC) {
        Ok(())
    } else {
        Err(PdfError::Image(format!("{what} is not a PNG image")))
    }
}

/// The JSON view of one service order (clipped to fit one page). If it has a
/// signature, its PNG is added to `world` under a name derived from `index`.
fn service_order_value(
    doc: &ServiceOrderDoc,
    index: usize,
    world: &mut RenderWorld,
) -> Result<Value, PdfError> {
    let mut d = doc.clone();
    let more = json!({
        "clocks": clip_rows(&mut d.clocks),
        "visits": clip_rows(&mut d.visits),
        "remote_sessions": clip_rows(&mut d.remote_sessions),
        "parts": clip_rows(&mut d.parts),
    });
    d.subject = clip(&d.subject, MAX_SUBJECT, 2);
    d.description = clip(&d.description, MAX_DESCRIPTION, MAX_DESCRIPTION_LINES);
    clip_opt(&mut d.work_done, MAX_WORK, MAX_WORK_LINES);
    clip_opt(&mut d.result, MAX_NOTE, MAX_NOTE_LINES);
    clip_opt(&mut d.follow_up, MAX_NOTE, MAX_NOTE_LINES);
    if let Some(r) = d.rating.as_mut() {
        r.score = r.score.min(5);
    }
    let signature_image = match &doc.signature {
        Some(sig) => {
            check_png(&sig.png, "signature")?;
            let path = format!("/img/signature-{index}.png");
            world.add_file(&path, sig.png.clone());
            Value::String(path)
        }
        None => Value::Null,
    };
    let mut v = to_value(&d)?;
    if let Value::Object(map) = &mut v {
        // Table cells and short fields get the tighter limit; long texts keep theirs.
        for (key, value) in map.iter_mut() {
            if !matches!(
                key.as_str(),
                "description" | "work_done" | "result" | "follow_up" | "subject"
            ) {
                clip_all_strings(value, MAX_CELL, MAX_NOTE_LINES);
            }
        }
        map.insert("more".into(), more);
        map.insert("signature_image".into(), signature_image);
    }
    Ok(v)
}

pub fn service_order(doc: &ServiceOrderDoc) -> Result<Rendered, PdfError> {
    let mut world = RenderWorld::new("/service_order_main.typ");
    let data = service_order_value(doc, 0, &mut world)?;
    compile(world, data, doc.number.clone())
}

pub fn service_order_bundle(
    cover: &BundleCover,
    docs: &[ServiceOrderDoc],
) -> Result<Rendered, PdfError> {
    let mut world = RenderWorld::new("/bundle_main.typ");
    let orders = docs
        .iter()
        .enumerate()
        .map(|(i, d)| service_order_value(d, i, &mut world))
        .collect::<Result<Vec<_>, _>>()?;
    let mut cover_v = to_value(cover)?;
    clip_all_strings(&mut cover_v, 200, 2);
    let data = json!({ "cover": cover_v, "orders": orders });
    compile(
        world,
        data,
        format!("bundle-{}-{}", cover.client_name, cover.month),
    )
}

pub fn statement(doc: &StatementDoc) -> Result<Rendered, PdfError> {
    let world = RenderWorld::new("/statement_main.typ");
    let mut v = to_value(doc)?;
    clip_all_strings(&mut v, 1000, 20);
    compile(world, v, doc.number.clone())
}

pub fn asset_labels(sheet: &LabelSheet) -> Result<Rendered, PdfError> {
    let mut world = RenderWorld::new("/labels_main.typ");
    let mut labels = Vec::with_capacity(sheet.labels.len());
    for (i, label) in sheet.labels.iter().enumerate() {
        let path = format!("/qr/{i}.svg");
        world.add_file(&path, qr::svg(&label.url)?.into_bytes());
        let mut v = to_value(label)?;
        clip_all_strings(&mut v, 60, 2);
        if let Value::Object(map) = &mut v {
            map.insert("qr".into(), Value::String(path));
        }
        labels.push(v);
    }
    let mut data = Map::new();
    data.insert(
        "provider_name".into(),
        Value::String(clip(&sheet.provider_name, 60, 1)),
    );
    data.insert("labels".into(), Value::Array(labels));
    compile(
        world,
        Value::Object(data),
        format!("labels-{}", sheet.provider_name),
    )
}

pub fn quote(doc: &QuoteDoc) -> Result<Rendered, PdfError> {
    let world = RenderWorld::new("/quote_main.typ");
    let mut v = to_value(doc)?;
    clip_all_strings(&mut v, 1000, 20);
    compile(
        world,
        v,
        format!("quote-{}-{}", doc.prospect_name, doc.prepared_at),
    )
}

// ---------------------------------------------------------------------------
// Report of figures (the monthly service-level report).

/// Headline tiles kept; the rest is summarised as "… +N".
pub const REPORT_MAX_HEADLINE: usize = 12;
/// Charts kept; the rest is summarised as "… +N".
pub const REPORT_MAX_CHARTS: usize = 12;
/// Sections kept; the rest is summarised as "… +N".
pub const REPORT_MAX_SECTIONS: usize = 40;
/// Table rows kept per section; the rest is a "… +N" row.
pub const REPORT_MAX_ROWS: usize = 2000;
/// Table rows kept in the whole report (a budget shared by the sections, so 40 sections of
/// 2000 rows cannot make one render take minutes).
pub const REPORT_MAX_TOTAL_ROWS: usize = 5000;
/// Table columns kept per section (extra headers and cells are dropped).
pub const REPORT_MAX_COLUMNS: usize = 12;
/// Footnotes kept; the rest is summarised as "… +N".
const REPORT_MAX_NOTES: usize = 40;
/// Largest chart SVG accepted, in bytes; larger charts are shown as "chart unavailable".
pub const REPORT_MAX_SVG_BYTES: usize = 2 * 1024 * 1024;

/// A chart that passed the checks in [`chart_svg`]: its virtual file and its SVG bytes.
struct ChartFile {
    /// Index into the JSON `charts` array.
    index: usize,
    path: String,
    svg: Vec<u8>,
}

/// Checks a chart's SVG before handing it to typst: it must start with `<svg` (or an XML
/// declaration) after any whitespace and byte-order mark, be at most [`REPORT_MAX_SVG_BYTES`],
/// and parse as SVG with a positive, finite size (typst's own SVG decoder, without fonts or
/// linked files). Returns the SVG to embed (leading whitespace and BOM removed) and its
/// height/width ratio, or `None` when the chart cannot be shown.
pub fn chart_svg(svg: &str) -> Option<(&str, f64)> {
    if svg.len() > REPORT_MAX_SVG_BYTES {
        return None;
    }
    let svg = svg.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if !(svg.starts_with("<svg") || svg.starts_with("<?xml")) {
        return None;
    }
    let image =
        typst::visualize::SvgImage::new(typst::foundations::Bytes::new(svg.as_bytes().to_vec()))
            .ok()?;
    let (w, h) = (image.width(), image.height());
    (w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0).then(|| (svg, (h / w).clamp(0.02, 50.0)))
}

/// Virtual file of a report's signature PNG (the same name a single service order uses).
const REPORT_SIGNATURE_PATH: &str = "/img/signature-0.png";

/// The JSON view of a report (clipped and capped) and the charts to add as virtual files.
/// `signature` and `signature_image` are `null` when the report carries no signature; the
/// caller adds the PNG at `signature_image` (after checking it with [`check_png`]).
fn report_value(doc: &ReportDoc) -> (Value, Vec<ChartFile>) {
    let short = |s: &str| clip(s, 200, 2);
    let headline: Vec<Value> = doc
        .headline
        .iter()
        .take(REPORT_MAX_HEADLINE)
        .map(|f| {
            let status = match f.status.trim() {
                "met" => "met",
                "missed" => "missed",
                _ => "",
            };
            json!({
                "label": clip(&f.label, 80, 2),
                "value": clip(&f.value, 40, 1),
                "status": status,
            })
        })
        .collect();

    let mut files = Vec::new();
    let charts: Vec<Value> = doc
        .charts
        .iter()
        .take(REPORT_MAX_CHARTS)
        .enumerate()
        .map(|(index, c)| {
            let (path, ratio) = match chart_svg(&c.svg) {
                Some((svg, ratio)) => {
                    let path = format!("/chart-{index}.svg");
                    files.push(ChartFile {
                        index,
                        path: path.clone(),
                        svg: svg.as_bytes().to_vec(),
                    });
                    (Value::String(path), ratio)
                }
                None => (Value::Null, 0.5),
            };
            json!({ "title": short(&c.title), "path": path, "ratio": ratio })
        })
        .collect();

    let mut row_budget = REPORT_MAX_TOTAL_ROWS;
    let sections: Vec<Value> = doc
        .sections
        .iter()
        .take(REPORT_MAX_SECTIONS)
        .map(|s| {
            let keep = s.rows.len().min(REPORT_MAX_ROWS).min(row_budget);
            row_budget -= keep;
            let rows = &s.rows[..keep];
            let columns = rows
                .iter()
                .map(|r| r.cells.len())
                .chain([s.headers.len()])
                .max()
                .unwrap_or(0)
                .clamp(1, REPORT_MAX_COLUMNS);
            // Every row gets exactly `columns` cells, or typst would shift the following rows.
            let fit = |cells: &[String], max_chars, max_lines| -> Vec<Value> {
                (0..columns)
                    .map(|i| {
                        let c = cells.get(i).map_or("", String::as_str);
                        Value::String(clip(c, max_chars, max_lines))
                    })
                    .collect()
            };
            let headers = if s.headers.iter().all(|h| h.trim().is_empty()) {
                Vec::new()
            } else {
                fit(&s.headers, 100, 2)
            };
            let rows: Vec<Value> = rows
                .iter()
                .map(|r| {
                    json!({
                        "cells": fit(&r.cells, 400, 8),
                        "missed": r.flag.trim() == "missed",
                    })
                })
                .collect();
            json!({
                "title": short(&s.title),
                "note": clip(&s.note, 1000, 6),
                "empty": clip(&s.empty, 300, 3),
                "columns": columns,
                "headers": headers,
                "rows": rows,
                "more": s.rows.len() - keep,
            })
        })
        .collect();

    let notes: Vec<Value> = doc
        .notes
        .iter()
        .take(REPORT_MAX_NOTES)
        .map(|n| Value::String(clip(n, 1000, 10)))
        .collect();

    let (signature, signature_image) = match &doc.signature {
        Some(sig) => (
            json!({
                "name": short(&sig.name),
                "signed_at": clip(&sig.signed_at, 100, 1),
            }),
            Value::String(REPORT_SIGNATURE_PATH.to_owned()),
        ),
        None => (Value::Null, Value::Null),
    };

    let data = json!({
        "title": clip(&doc.title, 120, 2),
        "provider_name": short(&doc.provider_name),
        "client_name": short(&doc.client_name),
        "period": clip(&doc.period, 100, 1),
        "state": short(&doc.state),
        "summary": clip(&doc.summary, 4000, 60),
        "printed_at": clip(&doc.printed_at, 100, 1),
        "headline": headline,
        "charts": charts,
        "sections": sections,
        "signature": signature,
        "signature_image": signature_image,
        "notes": notes,
        "more": {
            "headline": doc.headline.len().saturating_sub(REPORT_MAX_HEADLINE),
            "charts": doc.charts.len().saturating_sub(REPORT_MAX_CHARTS),
            "sections": doc.sections.len().saturating_sub(REPORT_MAX_SECTIONS),
            "notes": doc.notes.len().saturating_sub(REPORT_MAX_NOTES),
        },
    });
    (data, files)
}

/// Compiles the report template with `data`, the chart files and, when given, the signature
/// PNG (added at [`REPORT_SIGNATURE_PATH`]).
fn compile_report(
    data: &Value,
    charts: &[ChartFile],
    signature_png: Option<&[u8]>,
    ident: &str,
) -> Result<Rendered, PdfError> {
    let mut world = RenderWorld::new("/report_main.typ");
    for c in charts {
        world.add_file(&c.path, c.svg.clone());
    }
    if let Some(png) = signature_png {
        world.add_file(REPORT_SIGNATURE_PATH, png.to_vec());
    }
    compile(world, data.clone(), ident.to_owned())
}

/// Marks chart `index` of the JSON data as unavailable (no image, placeholder text).
fn drop_chart(data: &mut Value, index: usize) {
    if let Some(chart) = data
        .get_mut("charts")
        .and_then(|c| c.get_mut(index))
        .and_then(Value::as_object_mut)
    {
        chart.insert("path".into(), Value::Null);
    }
}

/// Renders a report. Charts are checked with [`chart_svg`] first; if the document still fails
/// to compile while it holds charts (an SVG that parses but that typst refuses while laying
/// out, e.g. one linking an external image), each chart is compiled on its own in the same
/// template, the failing ones are replaced by a "chart unavailable" line and the report is
/// compiled once more (all charts are dropped if none fails on its own).
///
/// A signature whose bytes are not a PNG is [`PdfError::Image`], as for a service order.
pub fn report(doc: &ReportDoc) -> Result<Rendered, PdfError> {
    let signature_png = match &doc.signature {
        Some(sig) => {
            check_png(&sig.png, "signature")?;
            Some(sig.png.as_slice())
        }
        None => None,
    };
    let ident = format!("report-{}-{}", doc.client_name, doc.period);
    let (mut data, mut charts) = report_value(doc);
    let err = match compile_report(&data, &charts, signature_png, &ident) {
        Ok(r) => return Ok(r),
        Err(e) if charts.is_empty() => return Err(e),
        Err(e) => e,
    };
    let mut bad: Vec<usize> = Vec::new();
    for c in &charts {
        let mut probe = json!({
            "title": "", "provider_name": "", "client_name": "", "period": "", "state": "",
            "summary": "", "printed_at": "", "headline": [], "sections": [], "notes": [],
            "signature": null, "signature_image": null,
            "more": { "headline": 0, "charts": 0, "sections": 0, "notes": 0 },
        });
        if let (Some(map), Some(chart)) = (
            probe.as_object_mut(),
            data.get("charts").and_then(|v| v.get(c.index)),
        ) {
            map.insert("charts".into(), Value::Array(vec![chart.clone()]));
        }
        if compile_report(&probe, std::slice::from_ref(c), None, &ident).is_err() {
            bad.push(c.index);
        }
    }
    if bad.is_empty() {
        bad = charts.iter().map(|c| c.index).collect();
    }
    for &i in &bad {
        drop_chart(&mut data, i);
    }
    charts.retain(|c| !bad.contains(&c.index));
    compile_report(&data, &charts, signature_png, &ident).map_err(|e| match e {
        PdfError::Compile(m) => PdfError::Compile(format!("{m} (first attempt: {err})")),
        other => other,
    })
}
