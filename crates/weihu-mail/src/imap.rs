//! A support mailbox over IMAP: the unseen messages, fetched without marking them (`BODY.PEEK`),
//! then flagged `\Seen` once the desk has stored them, so a crash in between fetches them again
//! (and the store, which knows every `Message-ID` it took, takes each once).

use futures_util::TryStreamExt;
use tokio::net::TcpStream;

/// Where the mailbox is: `imap://user:pass@host:143` (plain, for a local server) or
/// `imaps://user:pass@host:993` (TLS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
}

fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or("a bad %-escape")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| "a bad %-escape")?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a %-escape that is not UTF-8".into())
}

impl ImapUrl {
    pub fn parse(url: &str) -> Result<ImapUrl, String> {
        let expected = "expected imaps://user:password@host:993 or imap://user:password@host:143";
        let (tls, rest) = if let Some(r) = url.strip_prefix("imaps://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("imap://") {
            (false, r)
        } else {
            return Err(expected.into());
        };
        let rest = rest.trim_end_matches('/');
        let (cred, hostport) = rest.rsplit_once('@').ok_or(expected)?;
        let (user, password) = cred.split_once(':').ok_or(expected)?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| expected)?),
            None => (hostport, if tls { 993 } else { 143 }),
        };
        if host.is_empty() || user.is_empty() || host.contains(['/', '?', '#']) {
            return Err(expected.into());
        }
        Ok(ImapUrl {
            tls,
            host: host.to_owned(),
            port,
            user: unescape(user)?,
            password: unescape(password)?,
        })
    }
}

/// One fetched message: its UID in the mailbox and its raw bytes.
pub struct Fetched {
    pub uid: u32,
    pub raw: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
#[error("IMAP: {0}")]
pub struct ImapError(pub String);

fn err(e: impl std::fmt::Display) -> ImapError {
    ImapError(e.to_string())
}

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug> Stream
    for T
{
}

/// TLS with the Mozilla roots (as lettre's SMTP over rustls uses), so `imaps://` works offline of
/// the host's certificate store.
async fn tls_connect(
    host: &str,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name =
        rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())
}

/// A signed-in session on one mailbox.
pub struct Mailbox {
    session: async_imap::Session<Box<dyn Stream>>,
}

impl Mailbox {
    pub async fn open(url: &ImapUrl, mailbox: &str) -> Result<Mailbox, ImapError> {
        let tcp = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            TcpStream::connect((url.host.as_str(), url.port)),
        )
        .await
        .map_err(|_| ImapError("connection timed out".into()))?
        .map_err(err)?;
        let stream: Box<dyn Stream> = if url.tls {
            Box::new(tls_connect(&url.host, tcp).await.map_err(err)?)
        } else {
            Box::new(tcp)
        };
        let mut client = async_imap::Client::new(stream);
        // The server's greeting comes first.
        client.read_response().await.map_err(err)?;
        let mut session = client
            .login(&url.user, &url.password)
            .await
            .map_err(|(e, _)| err(e))?;
        session.select(mailbox).await.map_err(err)?;
        Ok(Mailbox { session })
    }

    /// Up to `max` unseen messages, oldest first, each at most `max_bytes` (larger ones are
    /// returned empty, so the caller records and skips them).
    pub async fn unseen(&mut self, max: usize, max_bytes: u32) -> Result<Vec<Fetched>, ImapError> {
        let mut uids: Vec<u32> = self
            .session
            .uid_search("UNSEEN")
            .await
            .map_err(err)?
            .into_iter()
            .collect();
        uids.sort_unstable();
        uids.truncate(max);
        let mut out = Vec::with_capacity(uids.len());
        for uid in uids {
            let sizes: Vec<_> = self
                .session
                .uid_fetch(uid.to_string(), "RFC822.SIZE")
                .await
                .map_err(err)?
                .try_collect()
                .await
                .map_err(err)?;
            let size = sizes.first().and_then(|f| f.size).unwrap_or(0);
            if size > max_bytes {
                out.push(Fetched {
                    uid,
                    raw: Vec::new(),
                });
                continue;
            }
            if let Some(raw) = self.body(uid).await? {
                out.push(Fetched { uid, raw });
            }
        }
        Ok(out)
    }

    /// One message's bytes, without marking it seen.
    async fn body(&mut self, uid: u32) -> Result<Option<Vec<u8>>, ImapError> {
        let bodies: Vec<_> = self
            .session
            .uid_fetch(uid.to_string(), "BODY.PEEK[]")
            .await
            .map_err(err)?
            .try_collect()
            .await
            .map_err(err)?;
        Ok(bodies.first().and_then(|f| f.body()).map(<[u8]>::to_vec))
    }

    pub async fn mark_seen(&mut self, uid: u32) -> Result<(), ImapError> {
        let _: Vec<_> = self
            .session
            .uid_store(uid.to_string(), "+FLAGS (\\Seen)")
            .await
            .map_err(err)?
            .try_collect()
            .await
            .map_err(err)?;
        Ok(())
    }

    /// Every message in the mailbox (for tests and the admin's look at a mailbox).
    pub async fn all(&mut self) -> Result<Vec<Fetched>, ImapError> {
        let mut uids: Vec<u32> = self
            .session
            .uid_search("ALL")
            .await
            .map_err(err)?
            .into_iter()
            .collect();
        uids.sort_unstable();
        let mut out = Vec::new();
        for uid in uids {
            if let Some(raw) = self.body(uid).await? {
                out.push(Fetched { uid, raw });
            }
        }
        Ok(out)
    }

    pub async fn logout(mut self) {
        let _ = self.session.logout().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u =
            ImapUrl::parse("imaps://desk%40example.com:p%3Ass@mail.example.com").expect("parses");
        assert_eq!(
            u,
            ImapUrl {
                tls: true,
                host: "mail.example.com".into(),
                port: 993,
                user: "desk@example.com".into(),
                password: "p:ss".into()
            }
        );
        let u = ImapUrl::parse("imap://u:p@127.0.0.1:1143").expect("parses");
        assert!(!u.tls);
        assert_eq!(u.port, 1143);
        for bad in [
            "http://u:p@h",
            "imap://h",
            "imap://u:p@h:99999",
            "imap://u:p@",
            "imap://u:p@h:1/x?y",
            "imap://u%zz:p@h",
        ] {
            assert!(ImapUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
