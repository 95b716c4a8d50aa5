//! One message in: whoever sent it, in whatever charset (GBK, GB2312, GB18030, Big5, encoded
//! words), becomes UTF-8 text, its attachments bytes with names, and a verdict on whether a
//! program rather than a person sent it.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};

/// Bounds on one message; past them it is refused or cut, never parsed whole.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The whole raw message.
    pub max_bytes: usize,
    /// Attachments kept (more are dropped and said so).
    pub max_attachments: usize,
    /// Characters of body text kept.
    pub max_text_chars: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 25 * 1024 * 1024,
            max_attachments: 10,
            max_text_chars: 20_000,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Why a message is taken as sent by a program: recorded, never answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Automatic {
    /// `Auto-Submitted` other than `no` (RFC 3834).
    AutoSubmitted(String),
    /// `Precedence: bulk / junk / list / auto_reply`.
    Precedence(String),
    /// `X-Autoreply`, `X-Autorespond`, an out-of-office subject.
    AutoReply,
    /// A delivery status notification or a mail from the mailer daemon.
    Bounce,
}

impl Automatic {
    pub fn describe(&self) -> String {
        match self {
            Automatic::AutoSubmitted(v) => format!("Auto-Submitted: {v}"),
            Automatic::Precedence(v) => format!("Precedence: {v}"),
            Automatic::AutoReply => "auto-reply".into(),
            Automatic::Bounce => "bounce".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Incoming {
    /// The sender's address, lower case.
    pub from: String,
    pub from_name: String,
    pub subject: String,
    /// With angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The body as text (an HTML-only mail converted), cut at [`Limits::max_text_chars`].
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// Attachments past [`Limits::max_attachments`], not kept.
    pub dropped_attachments: usize,
    pub automatic: Option<Automatic>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("the message has {size} bytes, more than the {max} allowed")]
    TooBig { size: usize, max: usize },
    #[error("not an RFC 5322 message")]
    Unreadable,
    #[error("the message names no sender (From)")]
    NoSender,
}

fn bracketed(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{id}>")
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    v.as_text_list()
        .map(|l| {
            l.iter()
                .take(50)
                .map(|s| bracketed(s))
                .filter(|s| s.len() > 2 && s.len() <= 998)
                .collect()
        })
        .unwrap_or_default()
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

const AUTO_SUBJECTS: [&str; 8] = [
    "auto reply",
    "auto-reply",
    "autoreply",
    "automatic reply",
    "out of office",
    "自动回复",
    "自動回覆",
    "休假",
];

pub fn parse(raw: &[u8], limits: &Limits) -> Result<Incoming, ParseError> {
    if raw.len() > limits.max_bytes {
        return Err(ParseError::TooBig {
            size: raw.len(),
            max: limits.max_bytes,
        });
    }
    let m = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::Unreadable)?;
    if m.headers().is_empty() {
        return Err(ParseError::Unreadable);
    }
    let sender = m
        .from()
        .and_then(|a| a.first())
        .ok_or(ParseError::NoSender)?;
    let from = sender
        .address()
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@') && a.len() <= 254)
        .ok_or(ParseError::NoSender)?;
    let from_name = cut(sender.name().unwrap_or("").trim(), 100);
    let subject = cut(m.subject().unwrap_or("").trim(), 300);
    let text = m
        .body_text(0)
        .map(|t| cut(t.replace("\r\n", "\n").trim(), limits.max_text_chars))
        .unwrap_or_default();

    let header = |name: &str| m.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let ctype_report = m.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let local = from.split('@').next().unwrap_or("");
    let lower_subject = subject.to_lowercase();
    let automatic = if ctype_report || local == "mailer-daemon" || local == "postmaster" {
        Some(Automatic::Bounce)
    } else if let Some(v) = header("Auto-Submitted").filter(|v| v != "no") {
        Some(Automatic::AutoSubmitted(cut(&v, 60)))
    } else if let Some(v) = header("Precedence")
        .filter(|v| ["bulk", "junk", "list", "auto_reply"].contains(&v.as_str()))
    {
        Some(Automatic::Precedence(v))
    } else if header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("X-Auto-Response-Suppress").is_some_and(|v| v.contains("oof") || v == "all")
            && AUTO_SUBJECTS.iter().any(|s| lower_subject.contains(s))
        || AUTO_SUBJECTS.iter().any(|s| lower_subject.starts_with(s))
    {
        Some(Automatic::AutoReply)
    } else {
        None
    };

    let mut attachments = Vec::new();
    let mut dropped = 0;
    for part in m.attachments() {
        if attachments.len() == limits.max_attachments {
            dropped += 1;
            continue;
        }
        let ct = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(s) => format!("{}/{}", c.ctype(), s),
                None => c.ctype().to_owned(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        let name = part
            .attachment_name()
            .map(|n| cut(n.trim(), 120))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("attachment-{}", attachments.len() + 1));
        attachments.push(Attachment {
            name,
            content_type: cut(&ct, 100),
            bytes: part.contents().to_vec(),
        });
    }
    Ok(Incoming {
        from,
        from_name,
        subject,
        message_id: m.message_id().map(bracketed).filter(|s| s.len() <= 998),
        in_reply_to: ids(m.in_reply_to()),
        references: ids(m.references()),
        text,
        attachments,
        dropped_attachments: dropped,
        automatic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(s: &str) -> Vec<u8> {
        // GBK bytes of the few characters the tests use, spelled out (no encoder dependency).
        let table: &[(char, [u8; 2])] = &[
            ('打', [0xB4, 0xF2]),
            ('印', [0xD3, 0xA1]),
            ('机', [0xBB, 0xFA]),
            ('坏', [0xBB, 0xB5]),
            ('了', [0xC1, 0xCB]),
        ];
        let mut out = Vec::new();
        for c in s.chars() {
            match table.iter().find(|(k, _)| *k == c) {
                Some((_, b)) => out.extend_from_slice(b),
                None => out.push(c as u8),
            }
        }
        out
    }

    #[test]
    fn gbk_bodies_and_encoded_word_subjects_arrive_readable() {
        let mut raw = b"From: =?GBK?B?zfXA7w==?= <Wang@Client.example>\r\nTo: desk@example.com\r\nSubject: =?gb2312?B?tPLTobv6?=\r\nMessage-ID: <abc@client.example>\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
        raw.extend(gbk("打印机坏了"));
        let m = parse(&raw, &Limits::default()).expect("parses");
        assert_eq!(m.from, "wang@client.example");
        assert_eq!(m.from_name, "王里");
        assert_eq!(m.subject, "打印机");
        assert_eq!(m.text, "打印机坏了");
        assert_eq!(m.message_id.as_deref(), Some("<abc@client.example>"));
        assert_eq!(m.automatic, None);
    }

    #[test]
    fn gb18030_body_is_read() {
        let mut raw =
            b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; charset=gb18030\r\n\r\n"
                .to_vec();
        raw.extend(gbk("打印机"));
        assert_eq!(
            parse(&raw, &Limits::default()).expect("parses").text,
            "打印机"
        );
    }

    #[test]
    fn html_only_mail_becomes_text() {
        let raw = b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Printer <b>jammed</b></p><script>x()</script></body></html>";
        let m = parse(raw, &Limits::default()).expect("parses");
        assert!(m.text.contains("Printer jammed"), "{:?}", m.text);
        assert!(!m.text.contains("<b>"));
    }

    #[test]
    fn programs_are_told_apart_from_people() {
        let cases: [(&str, Option<Automatic>); 6] = [
            (
                "Auto-Submitted: auto-replied\r\n",
                Some(Automatic::AutoSubmitted("auto-replied".into())),
            ),
            ("Auto-Submitted: no\r\n", None),
            (
                "Precedence: bulk\r\n",
                Some(Automatic::Precedence("bulk".into())),
            ),
            ("X-Autoreply: yes\r\n", Some(Automatic::AutoReply)),
            (
                "Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n",
                Some(Automatic::Bounce),
            ),
            ("", None),
        ];
        for (h, want) in cases {
            let raw = format!("From: a@b.example\r\nSubject: hello\r\n{h}\r\nbody");
            assert_eq!(
                parse(raw.as_bytes(), &Limits::default())
                    .expect("parses")
                    .automatic,
                want,
                "{h}"
            );
        }
        let ooo = "From: a@b.example\r\nSubject: 自动回复: [SO-2026-000001]\r\n\r\nbody";
        assert_eq!(
            parse(ooo.as_bytes(), &Limits::default())
                .expect("parses")
                .automatic,
            Some(Automatic::AutoReply)
        );
        let daemon = "From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n\r\nbody";
        assert_eq!(
            parse(daemon.as_bytes(), &Limits::default())
                .expect("parses")
                .automatic,
            Some(Automatic::Bounce)
        );
    }

    #[test]
    fn hostile_messages_are_refused_or_bounded() {
        let limits = Limits {
            max_bytes: 1000,
            max_attachments: 2,
            max_text_chars: 10,
        };
        let big = vec![b'a'; 1001];
        assert_eq!(
            parse(&big, &limits).expect_err("refused"),
            ParseError::TooBig {
                size: 1001,
                max: 1000
            }
        );
        assert_eq!(
            parse(b"", &limits).expect_err("refused"),
            ParseError::Unreadable
        );
        assert_eq!(
            parse(b"Subject: no sender\r\n\r\nx", &limits).expect_err("refused"),
            ParseError::NoSender
        );
        assert_eq!(
            parse(b"From: not-an-address\r\n\r\nx", &limits).expect_err("refused"),
            ParseError::NoSender
        );
        let long = "From: a@b.example\r\nSubject: x\r\n\r\n打打打打打打打打打打打打打打打";
        assert_eq!(
            parse(long.as_bytes(), &limits)
                .expect("parses")
                .text
                .chars()
                .count(),
            10
        );
        let mut many = String::from(
            "From: a@b.example\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n",
        );
        for i in 0..4 {
            many.push_str(&format!("--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=f{i}.bin\r\n\r\nxx\r\n"));
        }
        many.push_str("--b--\r\n");
        let big = Limits {
            max_bytes: 100_000,
            ..limits
        };
        let m = parse(many.as_bytes(), &big).expect("parses");
        assert_eq!(m.attachments.len(), 2);
        assert_eq!(m.dropped_attachments, 2);
        // Deeply nested multiparts do not exhaust the stack.
        let mut nested = String::from("From: a@b.example\r\nSubject: x\r\n");
        for i in 0..2000 {
            nested.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"
            ));
        }
        let _ = parse(
            nested.as_bytes(),
            &Limits {
                max_bytes: 1 << 20,
                ..limits
            },
        );
    }
}
