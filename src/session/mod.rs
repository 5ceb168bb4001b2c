//! Browser sign-in with Cognito's managed login (feature `sessions`):
//! redirect, callback, a session behind an opaque cookie, silent refresh,
//! sign-out — one core for axum and actix-web.
//!
//! | file | job |
//! |---|---|
//! | `sign_in.rs` | [`SignIn`] and its builder: the domain, the app client, paths, cookie, lifetimes, store |
//! | `flow.rs` | `/login`, the callback, `/logout` |
//! | `resume.rs` | the session behind a request: decoded once, re-checked, refreshed, ended |
//! | `store.rs` | [`SessionStore`]: in memory, or on Redis ([`RedisSessionStore`]) |
//! | `return_to.rs` | where to go after signing in: local paths only |
//!
//! The adapters: [`tower::SessionLayer`](crate::tower::SessionLayer) (axum)
//! and [`actix::BrowserSession`](crate::actix::BrowserSession) put the
//! signed-in user's verified tokens into the request the way the bearer
//! middleware does, so the same extractors and guards work on sessions;
//! [`axum::sign_in_routes`](crate::axum::sign_in_routes) and
//! [`actix::sign_in_routes`](crate::actix::sign_in_routes) serve the three
//! routes.
//!
//! **What the browser holds** is a random session id in an `HttpOnly`,
//! `SameSite=Lax`, `Path=/` cookie (`Secure` with the `__Host-` prefix over
//! HTTPS); the tokens stay in the store, under a hash of that id. A sign-in
//! gets a new id (no fixation); sign-out revokes the refresh token, puts
//! the session's `origin_jti` on the revocation list, deletes the session
//! and sends the browser through Cognito's own `/logout`.
//!
//! **Why not tower-sessions or actix-session**: the session here holds the
//! crate's own data (three tokens and an expiry), must refresh once for
//! concurrent requests and end when its tokens are revoked — logic that
//! belongs next to the verifier, once, for both frameworks; and their Redis
//! stores bring another Redis client (fred, or another version of
//! redis-rs) where the crate keeps one. Your app can still use either for
//! its own session data beside this one.

mod flow;
mod resume;
mod return_to;
mod sign_in;
mod store;

pub(crate) use resume::Admission;
pub use sign_in::{
    DEFAULT_COOKIE_NAME, DEFAULT_DECODED_SESSIONS, DEFAULT_REFRESH_MARGIN,
    DEFAULT_SESSION_LIFETIME, DEFAULT_SIGN_IN_TIMEOUT, SignIn, SignInBuilder,
};
#[cfg(feature = "redis")]
pub use store::RedisSessionStore;
pub use store::{DEFAULT_MAX_SESSIONS, MemorySessionStore, SessionStore};
