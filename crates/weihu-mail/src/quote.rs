//! The new part of a reply: mail clients quote the whole history under (or, rarely, above) the
//! answer; a comment on the order keeps only what the sender wrote now.

/// Lines that open the quoted history in the clients our users' clients use: Outlook (English and
/// Chinese), Foxmail, QQ Mail, NetEase, Gmail, Apple Mail, Thunderbird.
fn opens_history(line: &str) -> bool {
    let l = line.trim();
    let lower = l.to_lowercase();
    lower.starts_with("-----original message-----")
        || lower.starts_with("----- original message -----")
        || l.starts_with("-----原始邮件-----")
        || l.starts_with("------------------ 原始邮件 ------------------")
        || l.starts_with("------------------&nbsp;原始邮件&nbsp;------------------")
        || l.starts_with("----- 原始邮件 -----")
        || l.starts_with("---- 回复的原邮件 ----")
        || (lower.starts_with("on ") && lower.ends_with("wrote:"))
        || (l.starts_with('在') && (l.ends_with("写道：") || l.ends_with("写道:")))
        || l.starts_with("发件人:") && l.len() > 10
        || l.starts_with("发件人：")
        || l.starts_with("From: ") && l.contains('@')
        || lower.starts_with("________________________________")
}

/// The reply without its quoted history and trailing `>` lines; the whole text when cutting
/// would leave nothing (a mail that is only a forward).
pub fn cut_history(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for line in text.lines() {
        if opens_history(line) {
            break;
        }
        kept.push(line);
    }
    // A bottom-posted quote: drop the `>` lines and the blank lines around them at the end.
    while kept
        .last()
        .is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('>'))
    {
        kept.pop();
    }
    let out = kept.join("\n").trim().to_owned();
    if out.is_empty() {
        text.trim().to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_lose_their_history() {
        let cases = [
            (
                "已经好了，谢谢\n\n-----原始邮件-----\n发件人: desk@example.com\n旧内容",
                "已经好了，谢谢",
            ),
            (
                "Fixed, thanks.\n\nOn Mon, 1 Dec 2026 at 10:00, Desk <desk@example.com> wrote:\n> old",
                "Fixed, thanks.",
            ),
            (
                "好的\n\n在 2026年12月1日 10:00，desk@example.com 写道：\n> 旧",
                "好的",
            ),
            (
                "OK\r\n\r\nFrom: Desk <desk@example.com>\r\nSent: Monday\r\nold",
                "OK",
            ),
            (
                "收到\n\n------------------ 原始邮件 ------------------\n发件人: \"desk\"",
                "收到",
            ),
            ("Answer\n> quoted\n> more\n", "Answer"),
            ("> only a quote", "> only a quote"),
            ("Plain text\nwith two lines", "Plain text\nwith two lines"),
        ];
        for (input, want) in cases {
            assert_eq!(cut_history(input), want, "{input:?}");
        }
    }
}
