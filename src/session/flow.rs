//! The sign-in flow, framework-neutral: what `/login`, the callback and
//! `/logout` answer (the session behind a request is `resume.rs`'s). The
//! adapters turn requests into [`RequestHead`]s and [`Reply`]s into their
//! framework's responses.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::resume::Record;
use super::return_to::local_path;
use super::sign_in::{Settings, SignIn};
use crate::client::{Pkce, Secret, Tokens};
use crate::clock::unix_now;
use crate::error::{Error, Result};
use crate::keys::crypto::{random_bytes, sha256};
use crate::web::{Reply, RequestHead, TokenLookup};

/// A sign-in in progress, kept until the browser comes back.
#[derive(Serialize, Deserialize)]
struct Pending {
    nonce: String,
    verifier: String,
    return_to: String,
    /// SHA-256 of the value of the sign-in cookie of the browser that
    /// started it.
    binding: String,
}

/// What the callback reads of its request.
struct Arrival {
    params: std::collections::HashMap<String, String>,
    binding: TokenLookup,
    old_session: TokenLookup,
}

fn random_value() -> Result<String> {
    let bytes: [u8; 32] = random_bytes().map_err(Error::config)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn digest(value: &str) -> String {
    prefixed_digest("", value)
}

/// `prefix` followed by the SHA-256 of `value` in lowercase hex.
pub(super) fn prefixed_digest(prefix: &str, value: &str) -> String {
    let mut text = String::with_capacity(prefix.len() + 64);
    text.push_str(prefix);
    for byte in sha256(value.as_bytes()) {
        for nibble in [byte >> 4, byte & 0x0f] {
            text.extend(char::from_digit(u32::from(nibble), 16));
        }
    }
    text
}

fn pending_key(state: &str) -> String {
    prefixed_digest("sign-in:", state)
}

/// `name=value; HttpOnly; SameSite=Lax; Path=/[; Secure]; Max-Age=…`.
fn cookie(settings: &Settings, name: &str, value: &str, max_age: Duration) -> String {
    let secure = if settings.secure { "; Secure" } else { "" };
    format!(
        "{name}={value}; HttpOnly; SameSite=Lax; Path=/{secure}; Max-Age={}",
        max_age.as_secs()
    )
}

fn clear_cookie(settings: &Settings, name: &str) -> String {
    cookie(settings, name, "", Duration::ZERO)
}

/// An HTML page for the browser (a failed sign-in, a refused sign-out).
pub(crate) fn page(status: u16, title: &str, message: &str) -> Reply {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    Reply::html(
        status,
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
             <body><h1>{}</h1><p>{}</p><p><a href=\"/\">Back to the start page</a></p></body></html>",
            escape(title),
            escape(title),
            escape(message)
        ),
    )
}

fn query_pairs(request: &dyn RequestHead) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(request.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

impl SignIn {
    /// `GET /login[?return_to=/local/path]`: a `302` to the managed login
    /// with a new state, nonce and PKCE challenge; the sign-in is bound to
    /// this browser by a short-lived cookie.
    /// The request is read at once; the future does not borrow it.
    pub fn login(&self, request: &dyn RequestHead) -> impl Future<Output = Reply> + Send + use<> {
        let return_to = local_path(query_pairs(request).get("return_to").map(String::as_str));
        let sign_in = self.clone();
        async move {
            match sign_in.start(return_to).await {
                Ok(reply) => reply,
                Err(err) => sign_in.failure(&err),
            }
        }
    }

    async fn start(&self, return_to: String) -> Result<Reply> {
        let settings = &*self.0;
        let (state, nonce, binding) = (random_value()?, random_value()?, random_value()?);
        let pkce = Pkce::generate()?;
        let pending = Pending {
            nonce: nonce.clone(),
            verifier: pkce.verifier().expose().to_owned(),
            return_to,
            binding: digest(&binding),
        };
        let json = serde_json::to_string(&pending)
            .map_err(|err| Error::config(format!("cannot encode the sign-in: {err}")))?;
        settings
            .store
            .save(&pending_key(&state), &json, settings.sign_in_timeout)
            .await?;
        let mut authorize = settings.domain.clone();
        authorize.set_path("/oauth2/authorize");
        authorize
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &settings.client_id)
            .append_pair("redirect_uri", &settings.callback_url)
            .append_pair("scope", &settings.scopes)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", pkce.challenge())
            .append_pair("code_challenge_method", pkce.method());
        Ok(Reply::redirect(authorize.to_string())
            .header("cache-control", "no-store")
            .header(
                "set-cookie",
                cookie(
                    settings,
                    &settings.sign_in_cookie_name,
                    &binding,
                    settings.sign_in_timeout,
                ),
            ))
    }

    /// `GET {callback}?code&state`: checks the state (single use, this
    /// browser's, not expired), exchanges the code with its PKCE verifier,
    /// verifies the ID token (and its nonce) and the access token, starts a
    /// session under a new id and sends the browser where it was going. A
    /// forged or replayed state, an `?error=` answer or a failed exchange
    /// is a `400` page and no session.
    /// The request is read at once; the future does not borrow it.
    pub fn callback(
        &self,
        request: &dyn RequestHead,
    ) -> impl Future<Output = Reply> + Send + use<> {
        let arrival = Arrival {
            params: query_pairs(request),
            binding: crate::web::cookie(request, &self.0.sign_in_cookie_name),
            old_session: crate::web::cookie(request, &self.0.cookie_name),
        };
        let sign_in = self.clone();
        async move {
            match sign_in.finish(arrival).await {
                Ok(reply) => reply,
                Err(err) => sign_in.failure(&err),
            }
        }
    }

    async fn finish(&self, arrival: Arrival) -> Result<Reply> {
        let settings = &*self.0;
        let params = arrival.params;
        if let Some(error) = params.get("error") {
            tracing::info!(error = %error, "the managed login answered with an error");
            return Ok(page(
                400,
                "Sign-in failed",
                "The sign-in was not completed. Please try again.",
            ));
        }
        let (Some(code), Some(state)) = (params.get("code"), params.get("state")) else {
            return Ok(refused("the callback carries no code or state"));
        };
        let Some(pending) = settings.store.take(&pending_key(state)).await? else {
            return Ok(refused("the sign-in state is unknown, used or expired"));
        };
        let pending: Pending = serde_json::from_str(&pending).map_err(|err| {
            Error::SessionUnavailable(format!("a stored sign-in is unreadable: {err}"))
        })?;
        let bound = match &arrival.binding {
            TokenLookup::Found(binding) => digest(binding) == pending.binding,
            _ => false,
        };
        if !bound {
            return Ok(refused(
                "the sign-in was started by another browser (or its cookie is gone)",
            ));
        }
        let pkce = Pkce::from_verifier(pending.verifier);
        let tokens = match settings
            .endpoint
            .authorization_code(
                &Secret::new(code.as_str()),
                &settings.callback_url,
                Some(&pkce),
            )
            .await
        {
            Ok(tokens) => tokens,
            Err(err) if err.service_error().is_some() => {
                tracing::info!(error = %err, "the authorization code was refused");
                return Ok(refused("the authorization code was refused"));
            }
            Err(err) => return Err(err),
        };
        let record = match self.verified_record(&tokens, Some(&pending.nonce)).await {
            Ok(record) => record,
            Err(err) if err.is_token_error() => {
                tracing::warn!(error = %err, "tokens from the token endpoint did not verify");
                return Ok(refused("the tokens of the sign-in did not verify"));
            }
            Err(err) => return Err(err),
        };
        // A new id for the new session: a cookie planted before sign-in
        // (session fixation) never becomes signed in; an old session of
        // this browser is ended.
        if let TokenLookup::Found(old) = &arrival.old_session {
            self.end(old).await?;
        }
        let id = random_value()?;
        self.save(&id, &record).await?;
        Ok(Reply::redirect(pending.return_to)
            .header("cache-control", "no-store")
            .header(
                "set-cookie",
                cookie(
                    settings,
                    &settings.cookie_name,
                    &id,
                    settings.session_lifetime,
                ),
            )
            .header(
                "set-cookie",
                clear_cookie(settings, &settings.sign_in_cookie_name),
            ))
    }

    /// Verifies the ID token (with the nonce, when one was sent) and the
    /// access token of a grant, and makes the session record.
    pub(super) async fn verified_record(
        &self,
        tokens: &Tokens,
        nonce: Option<&str>,
    ) -> Result<Record> {
        let settings = &*self.0;
        let id_token = tokens
            .id_token
            .as_ref()
            .ok_or(Error::MissingClaim("id_token"))?;
        let id = settings.verifier.verify(id_token.expose()).await?;
        id.try_id()?;
        if let Some(nonce) = nonce
            && id.claims().get("nonce").and_then(serde_json::Value::as_str) != Some(nonce)
        {
            return Err(Error::custom("the ID token's nonce is not the one sent"));
        }
        let access = settings
            .verifier
            .verify(tokens.access_token.expose())
            .await?;
        access.try_access()?;
        let lifetime = i64::try_from(settings.session_lifetime.as_secs()).unwrap_or(i64::MAX);
        Ok(Record {
            access_token: tokens.access_token.expose().to_owned(),
            id_token: id_token.expose().to_owned(),
            refresh_token: tokens.refresh_token.as_ref().map(|t| t.expose().to_owned()),
            expires_at: unix_now().saturating_add(lifetime),
        })
    }

    /// `POST /logout`: refuses a cross-site request (`Origin` or, lacking
    /// it, `Referer` must be the app's own origin); then revokes the
    /// refresh token at Cognito, writes the session's `origin_jti` to the
    /// revocation list, deletes the session, clears the cookie and sends
    /// the browser to Cognito's `/logout` (with `client_id` and
    /// `logout_uri`). When Cognito or the list cannot be reached the
    /// session is kept and a `503` page asks to try again: a sign-out that
    /// did not happen is never reported as done.
    ///
    /// The request is read at once; the future does not borrow it.
    pub fn logout(&self, request: &dyn RequestHead) -> impl Future<Output = Reply> + Send + use<> {
        let same_origin = self.same_origin(request);
        let session = crate::web::cookie(request, &self.0.cookie_name);
        let sign_in = self.clone();
        async move { sign_in.end_session(same_origin, session).await }
    }

    async fn end_session(&self, same_origin: bool, session: TokenLookup) -> Reply {
        let settings = &*self.0;
        if !same_origin {
            return page(
                403,
                "Sign-out refused",
                "The sign-out did not come from this site.",
            );
        }
        if let TokenLookup::Found(id) = session
            && let Err(err) = self.sign_out(&id).await
        {
            tracing::error!(error = %err, "sign-out failed; the session is kept");
            return page(
                503,
                "Sign-out failed",
                "The sign-out could not be completed. Please try again.",
            );
        }
        let mut cognito = settings.domain.clone();
        cognito.set_path("/logout");
        cognito
            .query_pairs_mut()
            .append_pair("client_id", &settings.client_id)
            .append_pair("logout_uri", &settings.logout_uri);
        Reply::redirect(cognito.to_string())
            .header("cache-control", "no-store")
            .header("set-cookie", clear_cookie(settings, &settings.cookie_name))
    }

    async fn sign_out(&self, id: &str) -> Result<()> {
        let settings = &*self.0;
        let Some(session) = self.load(id).await? else {
            return Ok(());
        };
        let record = &session.record;
        if let Some(refresh_token) = &record.refresh_token {
            settings
                .endpoint
                .revoke(&Secret::new(refresh_token.as_str()))
                .await?;
        }
        if let Some(list) = &settings.revocations {
            let decoded = crate::token::decode_unverified(&record.access_token)?;
            let text = |name: &str| {
                decoded
                    .payload
                    .get(name)
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            };
            match (text("iss"), text("origin_jti"), text("jti")) {
                (Some(issuer), Some(origin_jti), _) => {
                    list.revoke_session(issuer, origin_jti).await?;
                }
                (Some(issuer), None, Some(jti)) => {
                    list.revoke_token(issuer, jti).await?;
                }
                _ => {}
            }
        }
        self.end(id).await
    }

    /// Whether the request comes from the app's own pages: `Origin` (what
    /// browsers send with a `POST`), or `Referer` when there is none.
    fn same_origin(&self, request: &dyn RequestHead) -> bool {
        let origin = &self.0.app_origin;
        if let Some(sent) = request.header("origin") {
            return sent == origin;
        }
        request.header("referer").is_some_and(|referer| {
            referer == origin
                || referer
                    .strip_prefix(origin.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    /// The answer when the flow itself failed (a store or Cognito down).
    fn failure(&self, err: &Error) -> Reply {
        tracing::error!(error = %err, "browser sign-in failed");
        page(
            503,
            "Sign-in unavailable",
            "Signing in is not possible right now. Please try again in a moment.",
        )
    }

    /// The `Set-Cookie` that clears the session cookie.
    pub(crate) fn clear_session_cookie(&self) -> String {
        clear_cookie(&self.0, &self.0.cookie_name)
    }

    /// Where a browser without a session is sent: the login path with
    /// this request's path (and query) to come back to.
    pub(crate) fn login_redirect(&self, request: &dyn RequestHead) -> Reply {
        let mut here = request.path().to_owned();
        if let Some(query) = request.query() {
            here.push('?');
            here.push_str(query);
        }
        let target = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", &local_path(Some(&here)))
            .finish();
        Reply::redirect(format!("{}?{target}", self.0.login_path))
            .header("cache-control", "no-store")
    }
}

fn refused(why: &str) -> Reply {
    tracing::info!(%why, "sign-in callback refused");
    page(
        400,
        "Sign-in failed",
        "The sign-in could not be completed. Please start again.",
    )
}
