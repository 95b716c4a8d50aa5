//! Mail as plumbing, with no database: composing a message and sending it over SMTP
//! ([`outgoing`]), reading one RFC 5322 message in any charset Chinese mail arrives in
//! ([`incoming`]), cutting the quoted history off a reply ([`quote`]), and fetching a support
//! mailbox over IMAP ([`imap`]). What a mail says and who gets it is decided elsewhere
//! (`weihu-web`'s `mail` module and the store's outbox). Its own crate so the SMTP, TLS and IMAP
//! dependencies build once and app edits never rebuild them.

pub mod imap;
pub mod incoming;
pub mod outgoing;
pub mod quote;

pub use incoming::{Attachment, Automatic, Incoming, Limits, ParseError, parse};
pub use outgoing::{Outgoing, SendError, Smtp};

/// The `Message-ID` of the thread an order's mails belong to: mail clients thread every mail
/// about the order under it (`In-Reply-To`, `References`), and a reply naming it finds the order.
pub fn order_thread_id(order_id: i64, domain: &str) -> String {
    format!("<weihu.so{order_id}@{domain}>")
}

/// The `Message-ID` of one outbox mail: stable across retries, so a receiver that sees a
/// message twice can tell.
pub fn outbox_message_id(outbox_id: i64, created_at_ms: i64, domain: &str) -> String {
    format!("<weihu.m{outbox_id}.{created_at_ms}@{domain}>")
}

/// What one of our `Message-ID`s says: the order's thread or an outbox row. `None` for ids
/// not of this installation's form or domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OurId {
    Order(i64),
    Outbox(i64),
}

pub fn our_id(id: &str, domain: &str) -> Option<OurId> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, host) = id.rsplit_once('@')?;
    if !host.eq_ignore_ascii_case(domain) {
        return None;
    }
    let rest = local.strip_prefix("weihu.")?;
    if let Some(n) = rest.strip_prefix("so") {
        return n.parse().ok().map(OurId::Order);
    }
    let m = rest.strip_prefix('m')?;
    let (n, _) = m.split_once('.')?;
    n.parse().ok().map(OurId::Outbox)
}

/// The domain part of an address (`desk@example.com` → `example.com`), for our `Message-ID`s.
pub fn domain_of(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("weihu.invalid")
}

/// The first order number (`SO-2026-000123`) in a subject, wherever it stands (`Re: [SO-…]`,
/// `回复：SO-…`).
pub fn order_number_in(subject: &str) -> Option<String> {
    let b = subject.as_bytes();
    let mut i = 0;
    while i + 14 <= b.len() {
        if b[i..].starts_with(b"SO-")
            && b[i + 3..i + 7].iter().all(u8::is_ascii_digit)
            && b[i + 7] == b'-'
            && b[i + 8..i + 14].iter().all(u8::is_ascii_digit)
            && b.get(i + 14).is_none_or(|c| !c.is_ascii_digit())
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
        {
            return Some(subject[i..i + 14].to_owned());
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_ids_round_trip_and_other_domains_are_not_ours() {
        let t = order_thread_id(42, "desk.example.com");
        assert_eq!(our_id(&t, "desk.example.com"), Some(OurId::Order(42)));
        assert_eq!(our_id(&t, "DESK.example.com"), Some(OurId::Order(42)));
        assert_eq!(our_id(&t, "evil.example.com"), None);
        let m = outbox_message_id(7, 1_700_000_000_000, "desk.example.com");
        assert_eq!(our_id(&m, "desk.example.com"), Some(OurId::Outbox(7)));
        assert_eq!(our_id("<abc@desk.example.com>", "desk.example.com"), None);
        assert_eq!(
            our_id("<weihu.so99999999999999999999@d>", "d"),
            None,
            "overflow is not an id"
        );
    }

    #[test]
    fn order_numbers_are_found_in_reply_subjects() {
        assert_eq!(
            order_number_in("Re: [SO-2026-000123] 打印机卡纸").as_deref(),
            Some("SO-2026-000123")
        );
        assert_eq!(
            order_number_in("回复：SO-2026-000007").as_deref(),
            Some("SO-2026-000007")
        );
        assert_eq!(order_number_in("XSO-2026-000123"), None);
        assert_eq!(order_number_in("SO-2026-0001234"), None);
        assert_eq!(order_number_in("SO-2026-00012"), None);
        assert_eq!(order_number_in("打印机 SO-"), None);
        assert_eq!(domain_of("Desk <desk@example.com>"), "example.com");
        assert_eq!(domain_of("nobody"), "weihu.invalid");
    }
}
