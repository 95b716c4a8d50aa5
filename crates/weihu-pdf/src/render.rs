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
