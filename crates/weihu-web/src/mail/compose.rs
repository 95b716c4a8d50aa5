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
