//! A minimal, fully in-memory `typst::World`.
//!
//! * fonts: embedded with `include_bytes!`, parsed once (`OnceLock`);
//! * standard library: built once;
//! * files: the embedded templates plus per-render virtual files
//!   (`/data.json`, images). Nothing is read from disk or the network.

use std::collections::HashMap;
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult, SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt};
use typst_layout::PagedDocument;

use crate::PdfError;

/// Latin font first, CJK fallback second (see `fonts/LICENSES.md`).
static FONT_FILES: [&[u8]; 3] = [
    include_bytes!("../fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../fonts/LiberationSans-Bold.ttf"),
    include_bytes!("../fonts/DroidSansFallbackFull.ttf"),
];

/// The templates, addressable from typst by their file name.
static TEMPLATES: [(&str, &str); 8] = [
    ("/common.typ", include_str!("../templates/common.typ")),
    (
        "/service_order.typ",
        include_str!("../templates/service_order.typ"),
    ),
    (
        "/service_order_main.typ",
        include_str!("../templates/service_order_main.typ"),
    ),
    (
        "/bundle_main.typ",
        include_str!("../templates/bundle_main.typ"),
    ),
    (
        "/statement_main.typ",
        include_str!("../templates/statement_main.typ"),
    ),
    (
        "/labels_main.typ",
        include_str!("../templates/labels_main.typ"),
    ),
    (
        "/quote_main.typ",
        include_str!("../templates/quote_main.typ"),
    ),
    (
        "/report_main.typ",
        include_str!("../templates/report_main.typ"),
    ),
];

struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    templates: HashMap<FileId, Source>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts: Vec<Font> = FONT_FILES
            .iter()
            .flat_map(|data| Font::iter(Bytes::new(*data)))
            .collect();
        let book = FontBook::from_fonts(&fonts);
        let templates = TEMPLATES
            .iter()
            .map(|(path, text)| {
                let id = file_id(path);
                (id, Source::new(id, (*text).to_owned()))
            })
            .collect();
        Shared {
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(book),
            fonts,
            templates,
        }
    })
}

/// Parses the embedded fonts and templates now instead of on the first render.
pub fn warm_up() {
    let _ = shared();
}

/// Family names of the embedded fonts (for tests and diagnostics).
#[cfg(test)]
pub fn font_families() -> Vec<String> {
    shared()
        .fonts
        .iter()
        .map(|f| f.info().family.clone())
        .collect()
}

fn file_id(path: &str) -> FileId {
    // Only called with the constant paths above and names built by this crate.
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| panic!("bad virtual path {path}"));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// A world for one render: the shared fonts/templates plus this render's files.
pub struct RenderWorld {
    main: FileId,
    files: HashMap<FileId, Bytes>,
}

impl RenderWorld {
    /// `main` is one of the template paths, e.g. "/statement_main.typ".
    pub fn new(main: &str) -> Self {
        Self {
            main: file_id(main),
            files: HashMap::new(),
        }
    }

    /// Adds a virtual file, e.g. ("/data.json", json bytes) or ("/img/sig-0.png", png).
    pub fn add_file(&mut self, path: &str, data: Vec<u8>) {
        self.files.insert(file_id(path), Bytes::new(data));
    }

    /// Compiles to a laid-out document. Warnings are returned alongside.
    pub fn compile(&self) -> Result<(PagedDocument, Vec<String>), PdfError> {
        let Warned { output, warnings } = typst::compile::<PagedDocument>(self);
        // Keep the memoization cache from growing without bound in a long-running server.
        typst::comemo::evict(10);
        let warnings: Vec<String> = warnings.iter().map(describe).collect();
        match output {
            Ok(doc) => Ok((doc, warnings)),
            Err(errors) => Err(PdfError::Compile(
                errors.iter().map(describe).collect::<Vec<_>>().join("; "),
            )),
        }
    }
}

fn describe(d: &SourceDiagnostic) -> String {
    let mut s = d.message.to_string();
    for hint in &d.hints {
        s.push_str(" (hint: ");
        s.push_str(&hint.v);
        s.push(')');
    }
    s
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.get().vpath().get_without_slash().into())
}

impl typst::World for RenderWorld {
    fn library(&self) -> &LazyHash<Library> {
        &shared().library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &shared().book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        shared()
            .templates
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if let Some(bytes) = self.files.get(&id) {
            return Ok(bytes.clone());
        }
        match shared().templates.get(&id) {
            Some(source) => Ok(Bytes::from_string(source.text().to_owned())),
            None => Err(not_found(id)),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        shared().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Documents carry their own preformatted dates; `datetime.today()` is not used.
        None
    }
}
