//! Knowledge-base articles (SPEC §9): what the desk learned, written once and found by the next
//! engineer or by the client's own staff. An article is drafted, published by a reviewer and
//! archived when it no longer holds; it is either provider-internal or visible to clients. Its
//! body is Markdown rendered here, safely: raw HTML is shown as text, links go only to the web,
//! mail or this site, and images only to this site (the product works offline, and a page must
//! not call out to hosts the reader did not choose).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// An article's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArticleState {
    Draft,
    Published,
    Archived,
}

impl ArticleState {
    pub const ALL: [ArticleState; 3] = [
        ArticleState::Draft,
        ArticleState::Published,
        ArticleState::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ArticleState::Draft => "draft",
            ArticleState::Published => "published",
            ArticleState::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<ArticleState> {
        ArticleState::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Who may read an article besides the provider's staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Provider staff only.
    Internal,
    /// Also the client users (in the portal), once published.
    Clients,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Internal => "internal",
            Audience::Clients => "clients",
        }
    }

    pub fn parse(s: &str) -> Option<Audience> {
        [Audience::Internal, Audience::Clients]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// The languages an article is written in.
pub const LANGS: [&str; 2] = ["zh", "en"];

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 100_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 40;
/// Order categories and asset types an article applies to, each.
pub const MAX_APPLIES: usize = 30;

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub message: &'static str,
}

/// Whether an article may move from `from` to `to`. Publishing and archiving are the reviewer's
/// (`may_review`); an archived article comes back as a draft to be reviewed again; a published
/// one goes back to draft only by being archived first, so a client's link never silently turns
/// into an unreviewed text.
pub fn may_move(
    from: ArticleState,
    to: ArticleState,
    may_review: bool,
    body_written: bool,
) -> Result<(), Refusal> {
    use ArticleState::*;
    if from == to {
        return Ok(());
    }
    let refuse = |field, message| Err(Refusal { field, message });
    match (from, to) {
        (Draft, Published) if !body_written => {
            refuse("body", "an article is published with its body written")
        }
        (Draft, Published) | (Published, Archived) | (Draft, Archived) if !may_review => refuse(
            "state",
            "articles are published and archived by a reviewer (the desk or a service-level manager)",
        ),
        (Draft, Published) | (Published, Archived) | (Draft, Archived) | (Archived, Draft) => {
            Ok(())
        }
        (Published, Draft) => refuse(
            "state",
            "a published article is archived, not turned back into a draft",
        ),
        (Archived, Published) => refuse(
            "state",
            "an archived article becomes a draft and is reviewed again",
        ),
        _ => refuse("state", "that move is not allowed"),
    }
}

/// Tags as stored: trimmed, lower-cased Latin, distinct, in the order given.
pub fn normalize_list(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in items {
        let t = t.trim().to_lowercase();
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn parser(markdown: &str) -> Parser<'_> {
    let mut o = Options::empty();
    o.insert(Options::ENABLE_TABLES);
    o.insert(Options::ENABLE_STRIKETHROUGH);
    o.insert(Options::ENABLE_TASKLISTS);
    Parser::new_ext(markdown, o)
}

/// A link target a reader may follow: the web, mail, or a path on this site.
fn safe_link(dest: &str) -> bool {
    let d = dest.trim().to_ascii_lowercase();
    d.starts_with("https://")
        || d.starts_with("http://")
        || d.starts_with("mailto:")
        || d.starts_with('#')
        || (d.starts_with('/') && !d.starts_with("//") && !d.starts_with("/\\"))
}

/// An image source the page may load: a path on this site only.
fn safe_image(dest: &str) -> bool {
    let d = dest.trim();
    d.starts_with('/') && !d.starts_with("//") && !d.starts_with("/\\")
}

/// The article body as HTML: Markdown with tables, strikethrough and task lists; raw HTML is
/// shown as text; a link elsewhere than the web, mail or this site loses its target, an image
/// from elsewhere is shown as its description.
pub fn render_html(markdown: &str) -> String {
    let mut in_dropped_image = 0usize;
    let events = parser(markdown).filter_map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Some(Event::Text(s)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let dest_url = if safe_link(&dest_url) {
                dest_url
            } else {
                CowStr::Borrowed("#")
            };
            Some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::Start(Tag::Image { dest_url, .. }) if !safe_image(&dest_url) => {
            in_dropped_image += 1;
            None
        }
        Event::End(TagEnd::Image) if in_dropped_image > 0 => {
            in_dropped_image -= 1;
            None
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The words of the body without its markup (for the search index and snippets): text, code
/// and raw HTML as written, one space between blocks; link targets are left out.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for e in parser(markdown) {
        match e {
            Event::Text(s) | Event::Code(s) | Event::Html(s) | Event::InlineHtml(s) => {
                out.push_str(&s)
            }
            Event::SoftBreak
            | Event::HardBreak
            | Event::Rule
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_),
            ) if !out.ends_with(' ') && !out.is_empty() => out.push(' '),
            _ => {}
        }
    }
    out.trim_end().to_owned()
}

/// Up to `width` characters of `text` around the first of `terms` found (the start when none
/// is), with an ellipsis where it was cut: the snippet a search result shows.
pub fn snippet(text: &str, terms: &[String], width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lower = text.to_lowercase();
    let at = terms
        .iter()
        .filter_map(|t| lower.find(&t.to_lowercase()))
        .min()
        .map(|byte| {
            // to_lowercase keeps CJK and ASCII lengths; count characters up to the byte offset.
            lower[..byte].chars().count()
        })
        .unwrap_or(0)
        .min(chars.len());
    let start = at.saturating_sub(width / 4);
    let end = (start + width).min(chars.len());
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.extend(&chars[start..end]);
    if end < chars.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markdown_renders_and_raw_html_is_text() {
        let h = render_html(
            "# 打印机卡纸\n\n1. 打开**后盖**\n2. 取出纸张\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>",
        );
        assert!(h.contains("<h1>打印机卡纸</h1>"), "{h}");
        assert!(h.contains("<strong>后盖</strong>"), "{h}");
        assert!(h.contains("<ol>"), "{h}");
        assert!(!h.contains("<script"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
        assert!(!h.contains("<img"), "{h}");
    }

    #[test]
    fn links_and_images_go_only_where_a_reader_expects() {
        let h = render_html(
            "[a](javascript:alert(1)) [b](JaVaScRiPt:x) [c](data:text/html,x) [d](https://example.com/x) \
             [e](/orders/1) [f](//evil.example/x) ![g](https://tracker.example/p.png) ![h](/kb/images/1)",
        );
        assert!(!h.to_lowercase().contains("javascript:"), "{h}");
        assert!(!h.contains("data:"), "{h}");
        assert!(h.contains(r#"href="https://example.com/x""#), "{h}");
        assert!(h.contains(r#"href="/orders/1""#), "{h}");
        assert!(!h.contains("//evil"), "{h}");
        assert!(!h.contains("tracker.example"), "{h}");
        assert!(
            h.contains("g"),
            "the dropped image keeps its description: {h}"
        );
        assert!(h.contains(r#"<img src="/kb/images/1""#), "{h}");
    }

    #[test]
    fn plain_text_drops_markup_and_targets() {
        let t = plain_text("## 步骤\n\n打开[说明](https://example.com/manual)，按 `F5`。");
        assert_eq!(t, "步骤 打开说明，按 F5。");
    }

    #[test]
    fn snippet_centres_on_a_term() {
        let text = "前言".repeat(100) + "打印机卡纸的处理" + &"后记".repeat(100);
        let s = snippet(&text, &["卡纸".into()], 40);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("卡纸"), "{s}");
        assert_eq!(snippet("短", &["x".into()], 40), "短");
    }

    #[test]
    fn moves_need_a_reviewer_and_a_body() {
        use ArticleState::*;
        assert!(may_move(Draft, Published, true, true).is_ok());
        assert_eq!(
            may_move(Draft, Published, false, true)
                .expect_err("no reviewer")
                .field,
            "state"
        );
        assert_eq!(
            may_move(Draft, Published, true, false)
                .expect_err("no body")
                .field,
            "body"
        );
        assert!(may_move(Published, Draft, true, true).is_err());
        assert!(may_move(Archived, Published, true, true).is_err());
        assert!(may_move(Archived, Draft, false, true).is_ok());
        assert!(may_move(Published, Published, false, true).is_ok());
    }

    #[test]
    fn deep_nesting_renders() {
        let deep = ">".repeat(50_000) + " x\n" + &"- ".repeat(20_000) + "y";
        let h = render_html(&deep);
        assert!(h.contains('x'));
    }

    const ALLOWED: &[&str] = &[
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "em",
        "strong",
        "del",
        "a",
        "img",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "hr",
        "br",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "input",
    ];

    proptest! {
        #[test]
        fn no_markdown_yields_active_html(s in "[\\PC<>\\[\\]()!:/\"'= a-z]{0,300}") {
            let h = render_html(&s).to_lowercase();
            prop_assert!(!h.contains("javascript:"));
            // Every '<' left is a tag the renderer wrote (text is escaped): an allowed element
            // with allowed attributes only.
            for tag in h.split('<').skip(1) {
                let inner = tag.split('>').next().unwrap_or("");
                let mut parts = inner.trim_start_matches('/').split_whitespace();
                let name = parts.next().unwrap_or("");
                prop_assert!(ALLOWED.contains(&name), "element {} in {}", name, h);
                for attr in parts {
                    let key = attr.split('=').next().unwrap_or("");
                    prop_assert!(["href", "src", "alt", "title", "type", "checked", "disabled", "start", "style", "/"].contains(&key)
                        || !attr.contains('='), "attribute {} in {}", attr, h);
                }
            }
        }

        #[test]
        fn snippets_never_panic(s in "\\PC{0,200}", t in "\\PC{0,5}", w in 0usize..80) {
            let _ = snippet(&s, &[t], w);
        }
    }
}
