//! The session behind a request: read from the store (decoded once per
//! stored value and process), its tokens re-checked, refreshed through the
//! token endpoint when one is about to expire (one refresh for concurrent
//! requests), ended when it is over.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::flow::prefixed_digest;
use super::sign_in::SignIn;
use crate::claims::VerifiedToken;
use crate::client::Secret;
use crate::clock::unix_now;
use crate::error::{Error, Result};
use crate::verifier::CachedVerification;
use crate::web::{AuthRejection, Authentication, OnAnonymous, Reply, RequestHead, TokenLookup};

/// A session, kept server-side; the browser holds only its id.
#[derive(Serialize, Deserialize, Clone)]
pub(super) struct Record {
    pub(super) access_token: String,
    pub(super) id_token: String,
    pub(super) refresh_token: Option<String>,
    /// Seconds since the epoch after which the session is over, refreshes
    /// or not.
    pub(super) expires_at: i64,
}

/// A stored session as this process last decoded it: decoding (JSON, and
/// the tokens' `exp`) and hashing the id into its store key happen
/// once per stored value, not once per request. The store stays the
/// truth: an entry is used only while the store still holds the very same
/// value (an in-process store is not read again: only this sign-in
/// writes it, and it forgets an entry whenever it saves or ends it).
pub(crate) struct Decoded {
    /// The store key (a hash of the session id).
    key: String,
    json: Arc<str>,
    pub(super) record: Record,
    /// The earlier `exp` of the access and the ID token (Cognito lets
    /// their lifetimes differ): the session refreshes before either ends.
    tokens_exp: i64,
    /// The verified-token cache's entries of the access and the ID token,
    /// once known: each request re-checks them (expiry, key, revocation)
    /// without looking them up.
    verified: arc_swap::ArcSwapOption<[Arc<CachedVerification>; 2]>,
}

/// Decoded sessions by session id (in this process's memory only, like
/// the request that carried it).
pub(crate) type DecodedSessions = moka::sync::Cache<String, Arc<Decoded>>;

/// What a session layer does with a request.
pub(crate) enum Admission {
    /// Let it through with this authentication (and this `Set-Cookie` on
    /// the answer).
    Pass(Authentication, Option<String>),
    /// Answer it with this.
    Refuse(Reply),
}

/// The session behind a request.
pub(crate) enum Current {
    /// No session cookie.
    None,
    /// Signed in: the verified tokens (refreshed when they were due).
    SignedIn {
        access: VerifiedToken,
        id: VerifiedToken,
    },
    /// The session cookie named a session that is over (expired, signed
    /// out, its tokens revoked or no longer refreshable): the cookie is to
    /// be cleared.
    Ended,
    /// The session could not be read (the store or the keys are down).
    Failed(Error),
}

fn session_key(id: &str) -> String {
    prefixed_digest("session:", id)
}

impl SignIn {
    pub(super) async fn save(&self, id: &str, record: &Record) -> Result<()> {
        let settings = &*self.0;
        let json = serde_json::to_string(record)
            .map_err(|err| Error::config(format!("cannot encode the session: {err}")))?;
        let left = record.expires_at.saturating_sub(unix_now()).max(1);
        let ttl = Duration::from_secs(u64::try_from(left).unwrap_or(1));
        settings.decoded.invalidate(id);
        settings.store.save(&session_key(id), &json, ttl).await
    }

    pub(super) async fn load(&self, id: &str) -> Result<Option<Arc<Decoded>>> {
        let settings = &*self.0;
        let known = settings.decoded.get(id);
        // An in-process store changes only through this sign-in, which
        // forgets what it decoded whenever it saves or ends a session.
        if let Some(known) = &known
            && settings.store.is_local()
        {
            return Ok(Some(Arc::clone(known)));
        }
        let new_key;
        let key = match &known {
            Some(known) => known.key.as_str(),
            None => {
                new_key = session_key(id);
                new_key.as_str()
            }
        };
        let Some(json) = settings.store.load(key).await? else {
            settings.decoded.invalidate(id);
            return Ok(None);
        };
        if let Some(known) = &known
            && (Arc::ptr_eq(&known.json, &json) || known.json == json)
        {
            return Ok(Some(Arc::clone(known)));
        }
        let record: Record = serde_json::from_str(&json).map_err(|err| {
            Error::SessionUnavailable(format!("a stored session is unreadable: {err}"))
        })?;
        let exp = |token: &str| {
            crate::token::decode_unverified(token)
                .ok()
                .and_then(|token| token.payload.get("exp").and_then(serde_json::Value::as_i64))
                .unwrap_or(0)
        };
        let tokens_exp = exp(&record.access_token).min(exp(&record.id_token));
        let decoded = Arc::new(Decoded {
            key: key.to_owned(),
            json,
            record,
            tokens_exp,
            verified: arc_swap::ArcSwapOption::empty(),
        });
        settings.decoded.insert(id.to_owned(), Arc::clone(&decoded));
        Ok(Some(decoded))
    }

    /// The session of a request: its verified tokens, refreshed through
    /// the token endpoint when the access or the ID token is within the
    /// margin of its `exp` (concurrent requests of one session share one refresh).
    /// The cookie is read at once; the future does not borrow the request.
    pub(crate) fn current(
        &self,
        request: &dyn RequestHead,
    ) -> impl Future<Output = Current> + Send + use<> {
        let cookie = crate::web::cookie(request, &self.0.cookie_name);
        let sign_in = self.clone();
        async move {
            let id = match cookie {
                TokenLookup::Found(id) => id,
                TokenLookup::Missing => return Current::None,
                TokenLookup::Malformed(why) => {
                    tracing::info!(%why, "ignoring a malformed session cookie");
                    return Current::Ended;
                }
            };
            match sign_in.resume(&id).await {
                Ok(Some((access, id))) => Current::SignedIn { access, id },
                Ok(None) => Current::Ended,
                Err(err) => Current::Failed(err),
            }
        }
    }

    /// What the session layers put into a request: the session's
    /// [`Authentication`] (anonymous when there is none, with a redirect to
    /// sign in for browsers), and a `Set-Cookie` that clears a cookie whose
    /// session is over; or the `503` when sessions cannot be read.
    pub(crate) fn admit(
        &self,
        request: &dyn RequestHead,
    ) -> impl Future<Output = Admission> + Send + use<> {
        let current = self.current(request);
        let sign_in = self.clone();
        async move {
            let on_anonymous = sign_in.on_anonymous();
            let authenticator = sign_in.0.authenticator.clone();
            match current.await {
                Current::SignedIn { access, id } => Admission::Pass(
                    Authentication::session(Some((access, id)), authenticator, on_anonymous),
                    None,
                ),
                Current::None => Admission::Pass(
                    Authentication::session(None, authenticator, on_anonymous),
                    None,
                ),
                Current::Ended => Admission::Pass(
                    Authentication::session(None, authenticator, on_anonymous),
                    Some(sign_in.clear_session_cookie()),
                ),
                Current::Failed(err) => {
                    tracing::error!(error = %err, "the session could not be read");
                    Admission::Refuse(
                        sign_in
                            .0
                            .authenticator
                            .render(&AuthRejection::from_error(err)),
                    )
                }
            }
        }
    }

    /// A browser (a request that accepts HTML) without a session is sent to
    /// sign in; other requests keep the `401`.
    fn on_anonymous(&self) -> OnAnonymous {
        let sign_in = self.clone();
        Arc::new(move |request: &dyn RequestHead| {
            let browser = request
                .header_values("accept")
                .into_iter()
                .flatten()
                .any(|accept| accept.contains("text/html"));
            browser.then(|| sign_in.login_redirect(request))
        })
    }

    async fn resume(&self, id: &str) -> Result<Option<(VerifiedToken, VerifiedToken)>> {
        let Some(mut session) = self.load(id).await? else {
            return Ok(None);
        };
        let now = unix_now();
        if now >= session.record.expires_at {
            self.end(id).await?;
            return Ok(None);
        }
        if self.due(&session, now) {
            // Boxed: the rare path does not grow every request's future.
            match Box::pin(self.refresh(id)).await? {
                Some(fresh) => session = fresh,
                None => return Ok(None),
            }
        }
        match self.verify_session(&session).await {
            Ok(verified) => Ok(Some(verified)),
            Err(err) if err.is_token_error() => {
                tracing::info!(
                    kind = err.kind(),
                    "a session's tokens no longer verify: it ends"
                );
                self.end(id).await?;
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    /// The session's tokens verified: the remembered cache entries
    /// re-checked, else [`verify_record`](Self::verify_record) (and the
    /// entries remembered for next time).
    async fn verify_session(&self, session: &Decoded) -> Result<(VerifiedToken, VerifiedToken)> {
        let verifier = &self.0.verifier;
        if let Some([access, id]) = session.verified.load().as_deref()
            && let (Some(access), Some(id)) =
                (verifier.still_valid(access)?, verifier.still_valid(id)?)
        {
            return Ok((access, id));
        }
        let verified = self.verify_record(&session.record).await?;
        if let (Some(access), Some(id)) = (
            verifier.cache_entry(&session.record.access_token),
            verifier.cache_entry(&session.record.id_token),
        ) {
            session.verified.store(Some(Arc::new([access, id])));
        }
        Ok(verified)
    }

    /// The record's tokens verified: from the verified-token cache when
    /// they are there (no `async` step), else in full (boxed, so that the
    /// rare path does not grow every request's future).
    async fn verify_record(&self, record: &Record) -> Result<(VerifiedToken, VerifiedToken)> {
        let verifier = &self.0.verifier;
        let access = match verifier.cached(&record.access_token)? {
            Some(verified) => verified,
            None => Box::pin(verifier.verify(&record.access_token)).await?,
        };
        let id = match verifier.cached(&record.id_token)? {
            Some(verified) => verified,
            None => Box::pin(verifier.verify(&record.id_token)).await?,
        };
        Ok((access, id))
    }

    /// Whether the access or the ID token is within the refresh margin of
    /// its `exp`.
    fn due(&self, session: &Decoded, now: i64) -> bool {
        let margin = i64::try_from(self.0.refresh_margin.as_secs()).unwrap_or(i64::MAX);
        now.saturating_add(margin) >= session.tokens_exp
    }

    /// One refresh per session at a time in this process; a request that
    /// waited for another's refresh takes its result. `None`: the session
    /// cannot be refreshed (no refresh token, or it was refused) and ends.
    async fn refresh(&self, id: &str) -> Result<Option<Arc<Decoded>>> {
        let settings = &*self.0;
        let turn = {
            let mut refreshing = settings
                .refreshing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            refreshing.retain(|_, weak| weak.strong_count() > 0);
            let key = session_key(id);
            match refreshing.get(&key).and_then(std::sync::Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    refreshing.insert(key, Arc::downgrade(&lock));
                    lock
                }
            }
        };
        let _turn = turn.lock().await;
        // Another request (or instance) may have refreshed meanwhile.
        let Some(session) = self.load(id).await? else {
            return Ok(None);
        };
        if !self.due(&session, unix_now()) {
            return Ok(Some(session));
        }
        let record = &session.record;
        let Some(refresh_token) = record.refresh_token.clone() else {
            self.end(id).await?;
            return Ok(None);
        };
        let tokens = match settings
            .endpoint
            .refresh_token(&Secret::new(refresh_token.as_str()))
            .await
        {
            Ok(tokens) => tokens,
            Err(err) if err.service_error().is_some() => {
                tracing::info!(error = %err, "a session's refresh was refused: it ends");
                self.end(id).await?;
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        let mut fresh = match self.verified_record(&tokens, None).await {
            Ok(fresh) => fresh,
            Err(err) if err.is_token_error() => {
                tracing::warn!(error = %err, "refreshed tokens did not verify: the session ends");
                self.end(id).await?;
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        fresh.expires_at = record.expires_at;
        fresh.refresh_token = fresh.refresh_token.or_else(|| record.refresh_token.clone());
        self.save(id, &fresh).await?;
        tracing::debug!("a session was refreshed");
        self.load(id).await
    }

    pub(super) async fn end(&self, id: &str) -> Result<()> {
        let key = session_key(id);
        self.0.decoded.invalidate(id);
        self.0.store.delete(&key).await
    }
}
