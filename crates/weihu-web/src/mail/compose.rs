//! What one outbox row says: subject, text and HTML in the recipient's language, the link to
//! what it is about, and the threading headers that keep an order's mails together.

use askama::Template;
use weihu_domain::mail::MailKind;
use weihu_mail::Outgoing;
use weihu_store::mail::outbox::OutboxMail;

use crate::i18n::{Lang, Tr};

/// The HTML body (escaped by askama, like every page).
#[derive(Template)]
#[template(path = "mail_message.html")]
struct MailHtml<'a> {
    lang: &'a str,
    title: &'a str,
    greeting: &'a str,
    lead: &'a str,
    facts: &'a [(String, String)],
    detail: &'a str,
    detail_label: &'a str,
    link: &'a str,
    link_label: &'a str,
    footer: &'a [String],
}

/// Where the mail points and what it names.
pub struct Composed {
    pub mail: Outgoing,
    pub kind: MailKind,
}

pub struct Identity<'a> {
    pub from: &'a str,
    pub domain: &'a str,
    /// The public base URL, without the trailing slash.
    pub base: &'a str,
}

fn tr_of(m: &OutboxMail) -> Tr {
    Tr(m.locale
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or(Lang::Zh))
}

pub fn compose(m: &OutboxMail, id: &Identity<'_>) -> Result<Composed, String> {
    let kind = MailKind::parse(&m.kind).ok_or_else(|| format!("unknown mail kind {:?}", m.kind))?;
    let tr = tr_of(m);
    let t = |k: &str| tr.t(k).to_owned();
    let name = if m.to_name.trim().is_empty() {
        m.to_addr.clone()
    } else {
        m.to_name.clone()
    };
    let number = m.order_number.clone().unwrap_or_default();
    let subject_of_order = m.order_subject.clone().unwrap_or_default();
    let (subject, link, facts) = match (m.order_id, kind) {
        (Some(order), _) => (
            format!(
                "[{number}] {}: {subject_of_order}",
                t(&format!("mail.subject.{}", kind.as_str()))
            ),
            format!("{}/orders/{order}", id.base),
            vec![
                (t("mail.order_number"), number.clone()),
                (t("mail.order_subject"), subject_of_order.clone()),
            ],
        ),
        (None, MailKind::StatementIssued) => (
            format!("{} {}", t("mail.subject.statement_issued"), m.detail),
            format!("{}/statements/{}", id.base, m.ref_id.unwrap_or_default()),
            vec![(t("mail.statement_number"), m.detail.clone())],
        ),
        (None, MailKind::ReportPublished) => (
            format!("{} {}", t("mail.subject.report_published"), m.detail),
            format!("{}/reports/{}", id.base, m.ref_id.unwrap_or_default()),
            vec![(t("mail.report"), m.detail.clone())],
        ),
        (None, _) => return Err(format!("a {} mail needs an order", kind.as_str())),
    };
    let detail = match kind {
        // The statement number and the report's month are in the facts already.
        MailKind::StatementIssued | MailKind::ReportPublished => String::new(),
        MailKind::ClockAtRisk | MailKind::ClockBreached => t(&format!("mail.clock.{}", m.detail)),
        _ => m.detail.clone(),
    };
    let detail_label = t(&format!("mail.detail.{}", kind.as_str()));
    let greeting = t("mail.greeting").replace("{}", &name);
    let lead = t(&format!("mail.lead.{}", kind.as_str()));
    let link_label = t(&format!("mail.link.{}", kind.as_str()));
    let mut footer = Vec::new();
    if m.order_id.is_some() {
        footer.push(t("mail.footer.reply"));
    }
    if !kind.mandatory() {
        footer.push(t("mail.footer.optional").replace("{}", &format!("{}/account", id.base)));
    }
    footer.push(t("mail.footer.sent_by"));

    let mut text = format!("{greeting}\n\n{lead}\n\n");
    for (k, v) in &facts {
        text.push_str(&format!("{k}: {v}\n"));
    }
    if !detail.is_empty() {
        text.push_str(&format!("\n{detail_label}:\n{detail}\n"));
    }
    text.push_str(&format!(
        "\n{link_label}: {link}\n\n-- \n{}\n",
        footer.join("\n")
    ));
    let html = MailHtml {
        lang: tr.0.code(),
        title: &subject,
        greeting: &greeting,
        lead: &lead,
        facts: &facts,
        detail: &detail,
        detail_label: &detail_label,
        link: &link,
        link_label: &link_label,
        footer: &footer,
    }
    .render()
    .map_err(|e| format!("mail template: {e}"))?;

    let thread = m
        .order_id
        .map(|o| weihu_mail::order_thread_id(o, id.domain));
    Ok(Composed {
        kind,
        mail: Outgoing {
            from: id.from.to_owned(),
            to: m.to_addr.clone(),
            to_name: m.to_name.clone(),
            subject,
            text,
            html,
            message_id: weihu_mail::outbox_message_id(m.id, m.created_ms, id.domain),
            in_reply_to: thread.clone(),
            references: thread.into_iter().collect(),
            attachments: Vec::new(),
            language: tr.0.code().to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, locale: Option<&str>, detail: &str) -> OutboxMail {
        OutboxMail {
            id: 7,
            kind: kind.into(),
            user_id: Some(3),
            to_addr: "wu.li@example.com".into(),
            to_name: "吴丽 <b>".into(),
            locale: locale.map(str::to_owned),
            order_id: Some(42),
            order_number: Some("SO-2026-000042".into()),
            order_subject: Some("打印机 <script>alert(1)</script>".into()),
            ref_id: None,
            detail: detail.into(),
            state: "sending".into(),
            attempts: 1,
            next_attempt_at: jiff::Timestamp::UNIX_EPOCH,
            last_error: String::new(),
            sent_at: None,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            created_ms: 1_700_000_000_000,
        }
    }

    const ID: Identity<'static> = Identity {
        from: "Weihu <desk@example.com>",
        domain: "example.com",
        base: "https://desk.example.com",
    };

    #[test]
    fn user_text_is_escaped_in_html_and_kept_in_text() {
        let c = compose(
            &row("comment", Some("en"), "<img src=x onerror=alert(1)>"),
            &ID,
        )
        .expect("composes");
        assert!(!c.mail.html.contains("<script>"), "{}", c.mail.html);
        assert!(!c.mail.html.contains("<img src=x"), "{}", c.mail.html);
        assert!(c.mail.html.contains("&#60;img src=x"), "{}", c.mail.html);
        assert!(c.mail.text.contains("<img src=x onerror=alert(1)>"));
        assert_eq!(
            c.mail.subject,
            "[SO-2026-000042] New comment: 打印机 <script>alert(1)</script>"
        );
        assert!(c.mail.text.contains("https://desk.example.com/orders/42"));
        assert_eq!(c.mail.message_id, "<weihu.m7.1700000000000@example.com>");
        assert_eq!(
            c.mail.in_reply_to.as_deref(),
            Some("<weihu.so42@example.com>")
        );
    }

    #[test]
    fn every_kind_reads_in_both_languages_without_missing_texts() {
        for kind in MailKind::ALL {
            for locale in [None, Some("en")] {
                let mut r = row(kind.as_str(), locale, "response");
                if matches!(kind, MailKind::StatementIssued | MailKind::ReportPublished) {
                    r.order_id = None;
                    r.ref_id = Some(5);
                    r.detail = "ST-2026-000001".into();
                }
                let c = compose(&r, &ID).expect("composes");
                for text in [&c.mail.subject, &c.mail.text, &c.mail.html] {
                    assert!(
                        !text.contains("mail."),
                        "{kind:?} {locale:?}: a missing text in {text}"
                    );
                }
            }
        }
        let zh = compose(&row("resolved", None, ""), &ID).expect("composes");
        assert!(zh.mail.subject.contains("已解决"), "{}", zh.mail.subject);
        assert_eq!(zh.mail.language, "zh-CN");
        assert!(compose(&row("nope", None, ""), &ID).is_err());
    }
}
