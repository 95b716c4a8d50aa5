//! Reading `.xlsx` without trusting it: a first pass inflates every part through a counting
//! reader and walks the XML as a stream (depth, text length, shared strings), then calamine
//! reads the first sheet cell by cell. Nothing is ever sized by what the file declares.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use quick_xml::events::Event;

use crate::{
    MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_INFLATED_BYTES, MAX_PART_BYTES, MAX_ROWS,
    MAX_SHARED_STRINGS, MAX_SHEET_ROW, MAX_XML_DEPTH, MAX_ZIP_ENTRIES, SheetError, Table,
};

/// Reads the first sheet of an `.xlsx` within the crate's limits.
pub(crate) fn read(bytes: &[u8]) -> Result<Table, SheetError> {
    check_parts(bytes)?;
    read_cells(bytes)
}

/// Inflates at most `part_left` bytes of one part and `total_left` bytes of all parts; going
/// past either sets `over` and fails the read (declared sizes in the zip are not trusted).
struct Capped<'a, R> {
    inner: R,
    part_left: u64,
    total_left: &'a mut u64,
    over: bool,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let n64 = n as u64;
        if n64 > self.part_left || n64 > *self.total_left {
            self.over = true;
            return Err(std::io::Error::other("inflated size limit"));
        }
        self.part_left -= n64;
        *self.total_left -= n64;
        Ok(n)
    }
}

fn zip_error(e: zip::result::ZipError) -> SheetError {
    SheetError::Xlsx(e.to_string())
}

/// The first pass over every part of the archive.
fn check_parts(bytes: &[u8]) -> Result<(), SheetError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(SheetError::TooManyParts);
    }
    let mut total_left = MAX_INFLATED_BYTES;
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(zip_error)?;
        if part.is_dir() {
            continue;
        }
        // A declared size over the limit is refused without inflating anything.
        if part.size() > MAX_PART_BYTES || part.size() > total_left {
            return Err(SheetError::InflatesTooMuch);
        }
        let name = part.name().to_ascii_lowercase();
        let shared_strings = name.ends_with("sharedstrings.xml");
        let mut capped = Capped {
            inner: part,
            part_left: MAX_PART_BYTES,
            total_left: &mut total_left,
            over: false,
        };
        let scanned = if name.ends_with(".xml") || name.ends_with(".rels") {
            scan_xml(&mut capped, &name, shared_strings)
        } else {
            // Not parsed by the reader (pictures, printer settings…), but inflated all the
            // same, so no part can hide a bomb.
            std::io::copy(&mut capped, &mut std::io::sink())
                .map(drop)
                .map_err(|e| SheetError::Xlsx(e.to_string()))
        };
        if capped.over {
            return Err(SheetError::InflatesTooMuch);
        }
        scanned?;
    }
    Ok(())
}

/// Walks one XML part as a stream: nesting depth, the length of each text (a cell's text is at
/// most one run of text and entity references), and in the shared-string table the number of
/// strings. Malformed XML is refused here.
fn scan_xml<R: Read>(part: R, name: &str, shared_strings: bool) -> Result<(), SheetError> {
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.trim_text(false);
    let mut buf = Vec::with_capacity(4096);
    let (mut depth, mut text_chars, mut strings) = (0usize, 0usize, 0usize);
    loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(e) => e,
            // An I/O error here is the size cap (the caller checks it) or a broken deflate
            // stream; anything else is broken XML. Either way the file is refused.
            Err(e) => return Err(SheetError::Xlsx(format!("{name}: {e}"))),
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(SheetError::TooDeep);
                }
                text_chars = 0;
                if shared_strings && e.local_name().as_ref() == b"si" {
                    strings += 1;
                }
            }
            Event::Empty(e) => {
                if depth + 1 > MAX_XML_DEPTH {
                    return Err(SheetError::TooDeep);
                }
                if shared_strings && e.local_name().as_ref() == b"si" {
                    strings += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                text_chars = 0;
            }
            Event::Text(t) => text_chars += chars(&t),
            Event::CData(t) => text_chars += chars(&t),
            Event::GeneralRef(_) => text_chars += 1,
            Event::Eof => return Ok(()),
            _ => {}
        }
        if text_chars > MAX_CELL_CHARS {
            return Err(SheetError::CellTooLong);
        }
        if strings > MAX_SHARED_STRINGS {
            return Err(SheetError::TooManySharedStrings);
        }
    }
}

/// Characters in UTF-8 bytes (every byte that does not continue a character).
fn chars(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c & 0xC0 != 0x80).count()
}

/// `A1`-style name of a 0-based position, for the error message.
fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), row + 1)
}

/// The second pass: the first sheet, one cell at a time, into rows of text. Empty cells (a
/// formatted but blank cell far away is common) are skipped; a non-empty cell outside the
/// accepted area is refused.
fn read_cells(bytes: &[u8]) -> Result<Table, SheetError> {
    use calamine::{DataRef, Reader, Xlsx};
    let xerr = |e: calamine::XlsxError| SheetError::Xlsx(e.to_string());
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(xerr)?;
    let name = wb
        .sheet_names()
        .into_iter()
        .next()
        .ok_or(SheetError::Empty)?;
    let mut cells = match wb.worksheet_cells_reader(&name) {
        Ok(c) => c,
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Err(SheetError::Empty),
        Err(e) => return Err(xerr(e)),
    };
    let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let (mut count, mut first_col) = (0usize, u32::MAX);
    while let Some(cell) = cells.next_cell().map_err(xerr)? {
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::SharedString(s) => (*s).to_owned(),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            DataRef::Float(f) => f.to_string(),
            DataRef::Int(i) => i.to_string(),
            DataRef::Bool(b) => b.to_string(),
            DataRef::DateTime(d) => super::excel_date(d.as_f64()),
            DataRef::Error(e) => format!("#{e:?}"),
        };
        let (row, col) = cell.get_position();
        if col as usize >= MAX_COLUMNS || row >= MAX_SHEET_ROW {
            return Err(SheetError::CellOutOfRange {
                cell: cell_name(row, col),
            });
        }
        if super::too_long(&text) {
            return Err(SheetError::CellTooLong);
        }
        count += 1;
        if count > MAX_CELLS {
            return Err(SheetError::TooManyCells);
        }
        first_col = first_col.min(col);
        let line = rows.entry(row).or_default();
        let col = col as usize;
        if line.len() <= col {
            line.resize(col + 1, String::new());
        }
        line[col] = text;
        if rows.len() > MAX_ROWS + 1 {
            return Err(SheetError::TooManyRows);
        }
    }
    // As a spreadsheet shows it: from the first column that has anything.
    let skip = first_col as usize;
    let rows = rows
        .into_values()
        .map(|mut r| {
            r.drain(..skip.min(r.len()));
            r
        })
        .collect();
    super::finish(rows)
}

/// Hostile and ordinary workbooks built byte by byte, for the tests and fuzz targets here and
/// in the crate root.
#[cfg(test)]
pub(crate) mod testbook {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

    /// A workbook whose only sheet is `sheet` (the whole worksheet XML) and, if given, `shared`
    /// as the shared-string table.
    pub fn workbook(sheet: &[u8], shared: Option<&[u8]>) -> Vec<u8> {
        let mut parts: Vec<(&str, Vec<u8>)> = vec![
            (
                "[Content_Types].xml",
                br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#.to_vec(),
            ),
            (
                "_rels/.rels",
                br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
            ),
            (
                "xl/workbook.xml",
                format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#).into_bytes(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_vec(),
            ),
            ("xl/worksheets/sheet1.xml", sheet.to_vec()),
        ];
        if let Some(sst) = shared {
            parts.push(("xl/sharedStrings.xml", sst.to_vec()));
        }
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        for (name, bytes) in parts {
            zip.start_file(name, opts).expect("a part");
            zip.write_all(&bytes).expect("write a part");
        }
        zip.finish().expect("finish the zip").into_inner()
    }

    /// A worksheet with `dimension` and these cells (`(reference, inline text)`).
    pub fn sheet(dimension: &str, cells: &[(&str, &str)]) -> Vec<u8> {
        let mut x = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><dimension ref="{dimension}"/><sheetData>"#
        );
        for (r, text) in cells {
            x.push_str(&format!(
                r#"<row><c r="{r}" t="inlineStr"><is><t>{text}</t></is></c></row>"#
            ));
        }
        x.push_str("</sheetData></worksheet>");
        x.into_bytes()
    }

    /// The spreadsheet bomb of issue #11: 1.3 KB, cells at A1 and XFD1048576 only.
    pub fn sparse() -> Vec<u8> {
        workbook(
            &sheet(
                "A1:XFD1048576",
                &[("A1", "type"), ("XFD1048576", "desktop")],
            ),
            None,
        )
    }

    /// A worksheet that inflates to `mb` MiB (blank space inside the sheet) from a tiny zip.
    pub fn zip_bomb(mb: usize) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(9));
        zip.start_file("xl/worksheets/sheet1.xml", opts)
            .expect("a part");
        zip.write_all(format!(r#"<worksheet xmlns="{NS}">"#).as_bytes())
            .expect("write");
        let blank = vec![b' '; 1024 * 1024];
        for _ in 0..mb {
            zip.write_all(&blank).expect("write");
        }
        zip.write_all(b"<sheetData/></worksheet>").expect("write");
        zip.finish().expect("finish the zip").into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::testbook::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_sparse_bomb_is_refused_without_allocating_its_grid() {
        let bytes = sparse();
        assert!(bytes.len() < 2048, "a small file: {} bytes", bytes.len());
        let err = crate::read(&bytes, "a.xlsx").expect_err("refused");
        assert_eq!(
            err,
            SheetError::CellOutOfRange {
                cell: "XFD1048576".into()
            }
        );
        assert_eq!(err.limit(), Some("cell_position"));
        assert!(err.to_string().contains("A–BL"), "{err}");
    }

    #[test]
    fn a_real_excel_file_with_a_far_cell_is_refused() {
        // As Excel writers produce it (styles, theme, shared strings), not hand-made XML.
        let mut wb = rust_xlsxwriter::Workbook::new();
        let sheet = wb.add_worksheet();
        sheet.write_string(0, 0, "type").expect("A1");
        sheet
            .write_number(1_048_575, 16_383, 1.0)
            .expect("XFD1048576");
        let bytes = wb.save_to_buffer().expect("an xlsx");
        assert_eq!(
            crate::read(&bytes, "a.xlsx"),
            Err(SheetError::CellOutOfRange {
                cell: "XFD1048576".into()
            })
        );
    }

    #[test]
    fn a_declared_dimension_larger_than_the_data_is_read() {
        let sheet = sheet(
            "A1:XFD1048576",
            &[
                ("A1", "type"),
                ("B1", "tag"),
                ("A2", "desktop"),
                ("B2", "HD-1"),
            ],
        );
        let t = crate::read(&workbook(&sheet, None), "a.xlsx").expect("reads");
        assert_eq!(t.headers, ["type", "tag"]);
        assert_eq!(t.rows, [["desktop", "HD-1"]]);
    }

    #[test]
    fn data_starting_right_of_a_is_read_from_its_first_column() {
        let sheet = sheet("B2:C3", &[("B2", "type"), ("C2", "tag"), ("B3", "x")]);
        let t = crate::read(&workbook(&sheet, None), "a.xlsx").expect("reads");
        assert_eq!(t.headers, ["type", "tag"]);
        assert_eq!(t.rows, [["x", ""]]);
    }

    #[test]
    fn a_blank_formatted_cell_far_away_is_ignored() {
        let mut x = sheet("A1:A2", &[("A1", "type"), ("A2", "desktop")]);
        let at = x.len() - "</sheetData></worksheet>".len();
        x.splice(
            at..at,
            br#"<row r="1048576"><c r="XFD1048576" s="1"/></row>"#
                .iter()
                .copied(),
        );
        let t = crate::read(&workbook(&x, None), "a.xlsx").expect("reads");
        assert_eq!(t.rows, [["desktop"]]);
    }

    #[test]
    fn cells_out_of_range() {
        let below = sheet("A1", &[("A1", "type"), ("A40001", "x")]);
        assert_eq!(
            crate::read(&workbook(&below, None), "a.xlsx"),
            Err(SheetError::CellOutOfRange {
                cell: "A40001".into()
            })
        );
        let right = sheet("A1", &[("A1", "type"), ("BM1", "x")]);
        assert_eq!(
            crate::read(&workbook(&right, None), "a.xlsx"),
            Err(SheetError::CellOutOfRange { cell: "BM1".into() })
        );
        let last = sheet("A1", &[("A1", "type"), ("BL40000", "x")]);
        assert!(crate::read(&workbook(&last, None), "a.xlsx").is_ok());
    }

    #[test]
    fn a_zip_bomb_is_refused_at_the_inflated_size_limit() {
        let bytes = zip_bomb(300);
        assert!(
            bytes.len() < 512 * 1024,
            "compressed: {} bytes",
            bytes.len()
        );
        let err = crate::read(&bytes, "a.xlsx").expect_err("refused");
        assert_eq!(err, SheetError::InflatesTooMuch);
        assert!(err.to_string().contains("48 MiB"), "{err}");
    }

    #[test]
    fn a_part_that_lies_about_its_size_is_stopped_while_inflating() {
        let mut bytes = zip_bomb(60);
        // Rewrite the declared uncompressed size (in the central directory) to 1 KB.
        let patch = |b: &mut Vec<u8>, sig: &[u8], off: usize| {
            let at = b.windows(4).position(|w| w == sig).expect("a header");
            b[at + off..at + off + 4].copy_from_slice(&1024u32.to_le_bytes());
        };
        patch(&mut bytes, b"PK\x01\x02", 24);
        assert_eq!(
            crate::read(&bytes, "a.xlsx"),
            Err(SheetError::InflatesTooMuch)
        );
    }

    #[test]
    fn a_huge_shared_string_table_is_refused() {
        let mut sst = String::from(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
        );
        for _ in 0..=MAX_SHARED_STRINGS {
            sst.push_str("<si><t>a</t></si>");
        }
        sst.push_str("</sst>");
        let bytes = workbook(&sheet("A1", &[("A1", "type")]), Some(sst.as_bytes()));
        assert_eq!(
            crate::read(&bytes, "a.xlsx"),
            Err(SheetError::TooManySharedStrings)
        );
    }

    #[test]
    fn deeply_nested_xml_is_refused() {
        let mut x = String::from(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
        );
        x.push_str(&"<extLst>".repeat(100_000));
        x.push_str(&"</extLst>".repeat(100_000));
        x.push_str("<sheetData/></worksheet>");
        assert_eq!(
            crate::read(&workbook(x.as_bytes(), None), "a.xlsx"),
            Err(SheetError::TooDeep)
        );
    }

    #[test]
    fn a_cell_longer_than_excel_allows_is_refused() {
        let long = "长".repeat(MAX_CELL_CHARS + 1);
        let bytes = workbook(&sheet("A1:A2", &[("A1", "type"), ("A2", &long)]), None);
        assert_eq!(crate::read(&bytes, "a.xlsx"), Err(SheetError::CellTooLong));
        let fits = "长".repeat(MAX_CELL_CHARS);
        let bytes = workbook(&sheet("A1:A2", &[("A1", "type"), ("A2", &fits)]), None);
        assert!(crate::read(&bytes, "a.xlsx").is_ok());
    }

    #[test]
    fn too_many_cells_and_rows() {
        // 64 columns × 8 000 rows, no references: 512 000 cells.
        let mut x = String::from(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        let row = format!("<row>{}</row>", "<c><v>1</v></c>".repeat(MAX_COLUMNS));
        for _ in 0..8_000 {
            x.push_str(&row);
        }
        x.push_str("</sheetData></worksheet>");
        assert_eq!(
            crate::read(&workbook(x.as_bytes(), None), "a.xlsx"),
            Err(SheetError::TooManyCells)
        );
        let mut x = String::from(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for _ in 0..=MAX_ROWS + 1 {
            x.push_str("<row><c><v>1</v></c></row>");
        }
        x.push_str("</sheetData></worksheet>");
        assert_eq!(
            crate::read(&workbook(x.as_bytes(), None), "a.xlsx"),
            Err(SheetError::TooManyRows)
        );
    }

    #[test]
    fn too_many_parts() {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..=MAX_ZIP_ENTRIES {
            zip.start_file(format!("p{i}.bin"), opts).expect("part");
            zip.write_all(b"x").expect("write");
        }
        let bytes = zip.finish().expect("zip").into_inner();
        assert_eq!(crate::read(&bytes, "a.xlsx"), Err(SheetError::TooManyParts));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Fuzz target: cells anywhere in the 16 384 × 1 048 576 grid under any declared
        /// dimension. Never a panic or an allocation of the grid; a table read is within the
        /// limits, and a refusal names one.
        #[test]
        fn sparse_cells_anywhere(
            cells in proptest::collection::vec((0u32..1_048_576, 0u32..16_384, "[a-z中 ]{0,8}"), 1..12),
            dim in "[A-Z]{1,3}[1-9][0-9]{0,6}",
        ) {
            let refs: Vec<(String, String)> = cells
                .iter()
                .map(|(r, c, t)| (cell_name(*r, *c), t.clone()))
                .collect();
            let refs: Vec<(&str, &str)> = refs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let bytes = workbook(&sheet(&format!("A1:{dim}"), &refs), None);
            match crate::read(&bytes, "f.xlsx") {
                Ok(t) => {
                    prop_assert!(t.headers.len() <= MAX_COLUMNS);
                    prop_assert!(t.rows.len() <= MAX_ROWS);
                }
                Err(e) => prop_assert!(e.limit().is_some() || e == SheetError::Empty, "{e:?}"),
            }
        }

        /// Fuzz target: a valid workbook with bytes overwritten anywhere. Never a panic.
        #[test]
        fn damaged_workbooks(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16)) {
            let mut bytes = workbook(&sheet("A1:B2", &[("A1", "type"), ("B2", "x")]), None);
            for (at, b) in edits {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            let _ = crate::read(&bytes, "f.xlsx");
        }
    }

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
        assert_eq!(cell_name(9, 63), "BL10");
        assert_eq!(cell_name(0, 26), "AA1");
    }
}
