//! Secrets: argon2id password hashes, random session and API tokens, and the SHA-256 digests
//! under which tokens are stored (a token is high-entropy, so a fast hash is enough at rest).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::{Result, StoreError, now_ms};

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 256;

/// An argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String> {
    check_password(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Hashing(e.to_string()))
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// How many argon2 computations run at once, on the blocking pool. Each takes tens of
/// milliseconds of one core and 19 MiB: a burst of sign-ins queues here instead of stalling the
/// async workers or exhausting memory.
pub const HASHING_PERMITS: usize = 2;
/// How long a request waits for a hashing slot before it is told to come back later.
pub const HASHING_WAIT: Duration = Duration::from_secs(5);
/// The `Retry-After` given when no hashing slot came free in time.
pub const HASHING_RETRY_MS: i64 = 2_000;

static HASHING: Semaphore = Semaphore::const_new(HASHING_PERMITS);

/// Runs `f` (an argon2 computation) on the blocking pool behind the hashing semaphore. When no
/// slot comes free within [`HASHING_WAIT`] the caller gets `Throttled` (429 with Retry-After).
async fn on_hashing_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    on_pool(&HASHING, HASHING_WAIT, f).await
}

async fn on_pool<T: Send + 'static>(
    slots: &Semaphore,
    wait: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let permit = match tokio::time::timeout(wait, slots.acquire()).await {
        Ok(Ok(p)) => p,
        Ok(Err(_)) => return Err(StoreError::Hashing("the hashing pool is closed".into())),
        Err(_) => {
            return Err(StoreError::Throttled {
                until_ms: now_ms() + HASHING_RETRY_MS,
            });
        }
    };
    let out = tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Hashing(format!("the hashing task failed: {e}")));
    drop(permit);
    out
}

/// [`hash_password`] on the blocking pool, at most [`HASHING_PERMITS`] at a time.
pub async fn hash_password_pooled(password: &str) -> Result<String> {
    check_password(password)?;
    let password = password.to_owned();
    on_hashing_pool(move || hash_password(&password)).await?
}

/// A hash of a password nobody knows, with the same parameters as real ones: verified when the
/// user is unknown or inactive, so the answer takes as long as for a real user.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let secret = random_token(24).unwrap_or_else(|_| "weihu-dummy-password".into());
        Argon2::default()
            .hash_password(secret.as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// [`verify_password`] on the blocking pool, at most [`HASHING_PERMITS`] at a time. `None` (no
/// such user, or one that may not sign in) verifies a dummy hash and answers `false`, in the
/// same time as a wrong password for a real user.
pub async fn verify_password_pooled(password: &str, phc: Option<&str>) -> Result<bool> {
    // Over-long input is refused without hashing it (argon2 would read all of it).
    let too_long = password.len() > MAX_PASSWORD_LEN;
    let password = password.to_owned();
    let phc = phc.map(str::to_owned);
    on_hashing_pool(move || match phc {
        Some(phc) if !too_long => verify_password(&password, &phc),
        _ => {
            let dummy = dummy_hash();
            let _ = verify_password(if too_long { "" } else { &password }, dummy);
            false
        }
    })
    .await
}

/// The password rules, named by field.
pub fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(StoreError::invalid(
            "password",
            format!("must have at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(StoreError::invalid(
            "password",
            format!("must have at most {MAX_PASSWORD_LEN} bytes"),
        ));
    }
    Ok(())
}

/// `n` random bytes as URL-safe base64.
pub fn random_token(n: usize) -> Result<String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Format(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// A readable random password for first-start admins and demo resets.
pub fn random_password() -> Result<String> {
    random_token(12)
}

/// Hex SHA-256 of a token, the form in which tokens and session ids are stored (and the hash of
/// a statement's body).
pub fn token_digest(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip_and_rules() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a phc string"));
        assert!(matches!(
            hash_password("short"),
            Err(StoreError::Invalid { field, .. }) if field == "password"
        ));
    }

    #[tokio::test]
    async fn pooled_hashing_verifies_and_hides_unknown_users() {
        let h = hash_password_pooled("correct horse").await.expect("hash");
        assert!(
            verify_password_pooled("correct horse", Some(&h))
                .await
                .expect("verify")
        );
        assert!(
            !verify_password_pooled("wrong horse", Some(&h))
                .await
                .expect("verify")
        );
        assert!(
            !verify_password_pooled("correct horse", None)
                .await
                .expect("verify")
        );
        let long = "x".repeat(MAX_PASSWORD_LEN + 1);
        assert!(
            !verify_password_pooled(&long, Some(&h))
                .await
                .expect("verify")
        );
        assert!(matches!(
            hash_password_pooled("short").await,
            Err(StoreError::Invalid { field, .. }) if field == "password"
        ));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hashing_leaves_the_async_thread_free() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let h = hash_password("correct horse").expect("hash");
        let ticks = Arc::new(AtomicUsize::new(0));
        let t = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                t.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        for _ in 0..3 {
            assert!(
                !verify_password_pooled("wrong horse", Some(&h))
                    .await
                    .expect("verify")
            );
        }
        ticker.abort();
        // On the one async thread, the ticker runs only while the hashing is elsewhere.
        assert!(
            ticks.load(Ordering::Relaxed) >= 3,
            "the async thread was blocked during hashing"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_is_bounded_and_sheds_load() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let slots = Arc::new(Semaphore::new(2));
        let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut jobs = Vec::new();
        for _ in 0..6 {
            let (slots, now, max) = (slots.clone(), now.clone(), max.clone());
            jobs.push(tokio::spawn(async move {
                on_pool(&slots, Duration::from_secs(30), move || {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(30));
                    now.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        for j in jobs {
            j.await.expect("join").expect("ran");
        }
        assert!(max.load(Ordering::SeqCst) <= 2, "at most two at a time");
        // No slot within the wait: Throttled (429 with Retry-After), not a hang or a 500.
        let _held = slots.acquire_many(2).await.expect("permits");
        let r = on_pool(&slots, Duration::from_millis(50), || ()).await;
        assert!(matches!(r, Err(StoreError::Throttled { .. })), "{r:?}");
    }

    #[test]
    fn tokens_are_random_and_digests_stable() {
        let a = random_token(32).expect("token");
        let b = random_token(32).expect("token");
        assert_ne!(a, b);
        assert_eq!(token_digest("abc").len(), 64);
        assert_eq!(token_digest("abc"), token_digest("abc"));
    }
}
