//! What every outgoing HTTP request of the crate shares: the retry loop
//! and its policy, the body-size cap, and the URL policy (HTTPS, or plain
//! HTTP to loopback only). Used by the key fetcher and the client helpers.

pub(crate) mod body;
pub(crate) mod retry;
pub(crate) mod url_policy;
