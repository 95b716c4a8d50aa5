//! Search tokens for Chinese and English text, computed here so that both databases index the
//! same thing. PostgreSQL's parsers keep a whole Chinese run as one token and SQLite's trigram
//! tokenizer misses two-character words, so Chinese is indexed as single characters and
//! overlapping bigrams (`打印机` → 打, 打印, 印, 印机, 机) and queried by its bigrams (or the
//! single character), which finds `打印` and `打印机` inside `打印机无法打印`. Latin words and
//! numbers are lower-cased whole words.

/// Whether `c` belongs to a script written without spaces (CJK ideographs, kana, hangul).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0x20000..=0x2FFFF) // extensions B–F
}

enum Run {
    Cjk(Vec<char>),
    Word(String),
}

fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    for c in text.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            cjk.push(c);
        } else if c.is_alphanumeric() {
            if !cjk.is_empty() {
                out.push(Run::Cjk(std::mem::take(&mut cjk)));
            }
            word.extend(c.to_lowercase());
        } else {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            if !cjk.is_empty() {
                out.push(Run::Cjk(std::mem::take(&mut cjk)));
            }
        }
    }
    if !word.is_empty() {
        out.push(Run::Word(word));
    }
    if !cjk.is_empty() {
        out.push(Run::Cjk(cjk));
    }
    out
}

/// Longest token kept: longer "words" (hashes, base64) only bloat the index.
const MAX_WORD: usize = 40;

/// The tokens under which `text` is found, without duplicates, space-separated-ready.
pub fn index_tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |t: String, out: &mut Vec<String>| {
        if seen.insert(t.clone()) {
            out.push(t);
        }
    };
    for run in runs(text) {
        match run {
            Run::Word(w) if w.chars().count() <= MAX_WORD => push(w, &mut out),
            Run::Word(_) => {}
            Run::Cjk(cs) => {
                for (i, c) in cs.iter().enumerate() {
                    push(c.to_string(), &mut out);
                    if let Some(n) = cs.get(i + 1) {
                        push(format!("{c}{n}"), &mut out);
                    }
                }
            }
        }
    }
    out
}

/// Most bytes of token text one index column of one order holds (the public and the internal
/// tokens each). PostgreSQL refuses a tsvector whose words pass 1 MB, and an order's comments
/// have no count limit, so the index keeps the first tokens in the order the texts are given
/// (subject first) up to this budget, and both backends index the same. 256 KiB is about 40,000
/// distinct Chinese bigrams: far more than any real order, and both columns together stay well
/// under PostgreSQL's limit.
pub const MAX_INDEX_BYTES: usize = 256 * 1024;

/// The distinct tokens of several texts, in order, up to a budget of bytes (separators
/// included): what one index column of one order holds.
#[derive(Debug)]
pub struct IndexTokens {
    seen: std::collections::HashSet<String>,
    out: Vec<String>,
    bytes: usize,
    budget: usize,
    full: bool,
}

impl IndexTokens {
    /// An empty set that holds at most `budget` bytes of space-separated tokens.
    pub fn new(budget: usize) -> IndexTokens {
        IndexTokens {
            seen: Default::default(),
            out: Vec::new(),
            bytes: 0,
            budget,
            full: false,
        }
    }

    /// Adds the tokens of `text` until the budget is spent; returns false once it is (later
    /// texts are then not read at all).
    pub fn add(&mut self, text: &str) -> bool {
        if self.full {
            return false;
        }
        for tok in index_tokens(text) {
            if self.seen.contains(&tok) {
                continue;
            }
            let cost = tok.len() + usize::from(!self.out.is_empty());
            if self.bytes + cost > self.budget {
                self.full = true;
                return false;
            }
            self.bytes += cost;
            self.seen.insert(tok.clone());
            self.out.push(tok);
        }
        true
    }

    /// Whether the budget was reached (some text is not indexed).
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// The tokens, space-separated: at most the budget in bytes.
    pub fn text(&self) -> String {
        self.out.join(" ")
    }
}

/// Longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most tokens one query may need (a Chinese run of n characters needs n − 1 bigrams).
pub const MAX_QUERY_TOKENS: usize = 32;

/// Why a search query is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the search text is too long: at most {MAX_QUERY_CHARS} characters")]
    TooLong,
    #[error("the search text has too many terms: at most {MAX_QUERY_TOKENS}")]
    TooManyTerms,
}

/// Checks a search query against the bounds before it reaches the index.
pub fn check_query(query: &str) -> Result<(), QueryError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    if query_tokens(query).len() > MAX_QUERY_TOKENS {
        return Err(QueryError::TooManyTerms);
    }
    Ok(())
}

/// The tokens a query needs, all of which must match: each Chinese run by its bigrams (a single
/// character by itself), each word whole.
pub fn query_tokens(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for run in runs(query) {
        match run {
            Run::Word(w) => out.push(w.chars().take(MAX_WORD).collect()),
            Run::Cjk(cs) if cs.len() == 1 => out.push(cs[0].to_string()),
            Run::Cjk(cs) => out.extend(cs.windows(2).map(|w| w.iter().collect::<String>())),
        }
    }
    out.dedup();
    out
}

/// The query's own terms as typed (Chinese runs and words), for highlighting matches.
pub fn highlight_terms(query: &str) -> Vec<String> {
    runs(query)
        .into_iter()
        .map(|r| match r {
            Run::Word(w) => w,
            Run::Cjk(cs) => cs.into_iter().collect(),
        })
        .collect()
}

/// Splits `text` into (segment, matched) pieces where any of `terms` occurs (case-insensitive
/// for Latin letters), for rendering highlights with escaping intact.
pub fn highlight(text: &str, terms: &[String]) -> Vec<(String, bool)> {
    let lower: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let chars: Vec<char> = text.chars().collect();
    // Lower-casing can change lengths for a few letters; then highlight nothing rather than misalign.
    if lower.len() != chars.len() || terms.is_empty() {
        return vec![(text.to_owned(), false)];
    }
    let terms: Vec<Vec<char>> = terms
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().collect())
        .collect();
    let mut marked = vec![false; chars.len()];
    for t in &terms {
        let mut i = 0;
        while i + t.len() <= lower.len() {
            if lower[i..i + t.len()] == t[..] {
                marked[i..i + t.len()].iter_mut().for_each(|m| *m = true);
                i += t.len();
            } else {
                i += 1;
            }
        }
    }
    let mut out: Vec<(String, bool)> = Vec::new();
    for (c, m) in chars.into_iter().zip(marked) {
        match out.last_mut() {
            Some((s, lm)) if *lm == m => s.push(c),
            _ => out.push((c.to_string(), m)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn found(text: &str, query: &str) -> bool {
        let idx = index_tokens(text);
        let q = query_tokens(query);
        !q.is_empty() && q.iter().all(|t| idx.contains(t))
    }

    #[test]
    fn chinese_words_inside_text_without_spaces() {
        let text = "打印机无法打印 printer offline, HP M404";
        assert!(found(text, "打印机"));
        assert!(found(text, "打印"));
        assert!(found(text, "印"));
        assert!(found(text, "无法"));
        assert!(found(text, "Printer"));
        assert!(found(text, "m404"));
        assert!(found(text, "打印 offline"));
        assert!(!found(text, "扫描仪"));
        assert!(!found(text, "print"), "words are whole words");
        assert!(!found(text, ""));
    }

    #[test]
    fn tokens_are_unique_and_lowercase() {
        let t = index_tokens("打印 打印 VPN vpn");
        assert_eq!(t, vec!["打", "打印", "印", "vpn"]);
    }

    #[test]
    fn highlights_keep_every_character() {
        let parts = highlight("财务部打印机无法打印", &highlight_terms("打印"));
        let joined: String = parts.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(joined, "财务部打印机无法打印");
        assert_eq!(parts.iter().filter(|(_, m)| *m).count(), 2);
        assert_eq!(
            highlight("VPN drops", &highlight_terms("vpn"))[0],
            ("VPN".to_string(), true)
        );
    }

    #[test]
    fn the_index_stops_at_its_budget_and_keeps_the_first_texts() {
        // Five comments of 20,000 pseudo-random Chinese characters: far past the budget.
        let mut x: u64 = 1;
        let mut noise = || -> String {
            (0..20_000)
                .map(|_| {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let off = u32::try_from((x >> 33) % 20_900).unwrap_or(0);
                    char::from_u32(0x4E00 + off).unwrap_or('字')
                })
                .collect()
        };
        let mut idx = IndexTokens::new(MAX_INDEX_BYTES);
        assert!(idx.add("打印机无法打印 printer"));
        for _ in 0..5 {
            idx.add(&noise());
        }
        assert!(idx.is_full());
        let text = idx.text();
        assert!(text.len() <= MAX_INDEX_BYTES, "{} bytes", text.len());
        let toks: Vec<&str> = text.split(' ').collect();
        assert!(toks.contains(&"打印") && toks.contains(&"printer"));
        let distinct: std::collections::HashSet<&&str> = toks.iter().collect();
        assert_eq!(distinct.len(), toks.len(), "no duplicates");
        assert!(!idx.add("later text"), "a full index reads nothing more");
    }

    #[test]
    fn queries_are_bounded() {
        assert_eq!(check_query("打印机 VPN"), Ok(()));
        assert_eq!(
            check_query(&"a".repeat(MAX_QUERY_CHARS + 1)),
            Err(QueryError::TooLong)
        );
        let many = (0..40)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(check_query(&many), Err(QueryError::TooManyTerms));
    }

    proptest! {
        #[test]
        fn any_substring_of_a_chinese_run_is_found(s in "[打印机无法网络服务器故障]{1,12}", a in 0usize..12, len in 1usize..6) {
            let chars: Vec<char> = s.chars().collect();
            let a = a % chars.len();
            let b = (a + len).min(chars.len());
            let q: String = chars[a..b].iter().collect();
            prop_assert!(found(&s, &q), "{q} in {s}");
        }

        #[test]
        fn highlight_never_loses_text(s in "\\PC{0,40}", q in "\\PC{0,6}") {
            let joined: String = highlight(&s, &highlight_terms(&q)).into_iter().map(|(p, _)| p).collect();
            prop_assert_eq!(joined, s);
        }
    }
}

/// How much of `reference` (a problem's title and description) `text` (an order's subject and
/// description) shares, in percent of the reference's bigrams and words: 100 when every one of
/// them occurs. Single Chinese characters do not count (they match nearly anything).
pub fn overlap_percent(reference: &str, text: &str) -> u32 {
    let pieces = |s: &str| -> Vec<String> {
        let head: String = s.chars().take(2_000).collect();
        let mut v: Vec<String> = query_tokens(&head)
            .into_iter()
            .filter(|t| t.chars().count() >= 2)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let want = pieces(reference);
    if want.is_empty() {
        return 0;
    }
    let have = pieces(text);
    let shared = want
        .iter()
        .filter(|t| have.binary_search(t).is_ok())
        .count();
    u32::try_from(shared * 100 / want.len()).unwrap_or(100)
}

#[cfg(test)]
mod overlap_tests {
    use super::overlap_percent;

    #[test]
    fn similar_faults_overlap() {
        assert_eq!(overlap_percent("打印机卡纸", "财务部打印机又卡纸了"), 75);
        assert_eq!(overlap_percent("打印机卡纸", "网络断了"), 0);
        assert_eq!(overlap_percent("", "x"), 0);
        assert_eq!(overlap_percent("VPN down", "vpn is down again"), 100);
    }
}
