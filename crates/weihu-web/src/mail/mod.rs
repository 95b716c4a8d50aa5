//! Mail as a channel: the sender job that drains the outbox through SMTP ([`send`]), what each
//! mail says ([`compose`]), and the intake that turns an arriving message into an order, a
//! comment or a review item ([`intake`]), fed by `weihu mail receive` and the IMAP poller
//! ([`poll`]).

pub mod compose;
pub mod intake;
pub mod poll;
pub mod send;

/// How mail is set up, for the pages that say so (the administrator's outbox page).
#[derive(Debug, Clone, Default)]
pub struct MailStatus {
    /// The SMTP relay, without credentials (`smtp://host:port`); `None`: mail is off.
    pub relay: Option<String>,
    pub from: String,
    /// The polled mailbox, without credentials.
    pub imap: Option<String>,
}

/// A URL with its user and password removed, for display and logs.
pub fn without_credentials(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://{host}"),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_never_show() {
        assert_eq!(
            super::without_credentials("smtps://desk%40x.com:s3cret@mail.x.com:465"),
            "smtps://mail.x.com:465"
        );
        assert_eq!(
            super::without_credentials("smtp://127.0.0.1:2525"),
            "smtp://127.0.0.1:2525"
        );
    }
}
