//! Signing a Cognito call with SigV4 (AWS's own `aws-sigv4` signer), and
//! correcting the clock once when AWS says it is off.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

use super::credentials::CredentialsCache;
use crate::error::{Error, Result, ServiceError};

/// The signing name of the user-pools API.
const SERVICE: &str = "cognito-idp";

/// AWS refuses a signature more than 5 minutes away from its clock; a
/// `Date` that far from ours means our clock is off, not the signature.
const SKEW_TOLERANCE: Duration = Duration::from_secs(4 * 60);

/// Signs requests for one region with cached credentials, on a clock
/// corrected by what AWS said of it.
#[derive(Debug)]
pub(crate) struct Signer {
    credentials: CredentialsCache,
    region: String,
    /// Seconds added to the local clock, learned from a clock-skew answer.
    offset: AtomicI64,
}

impl Signer {
    pub(crate) fn new(credentials: CredentialsCache, region: String) -> Self {
        Signer {
            credentials,
            region,
            offset: AtomicI64::new(0),
        }
    }

    /// The headers that sign a `POST` of `body` to `url` with `headers`
    /// (`Authorization`, `X-Amz-Date`, and `X-Amz-Security-Token` for
    /// temporary credentials).
    pub(crate) async fn sign(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>> {
        let credentials = self.credentials.get().await?;
        signature_headers(&credentials, &self.region, self.now(), url, headers, body)
    }

    fn now(&self) -> SystemTime {
        let offset = self.offset.load(Ordering::Relaxed);
        let magnitude = Duration::from_secs(offset.unsigned_abs());
        let now = SystemTime::now();
        if offset >= 0 {
            now.checked_add(magnitude).unwrap_or(now)
        } else {
            now.checked_sub(magnitude).unwrap_or(now)
        }
    }

    /// When `error` says the signature's time is off (and says, or the
    /// answer's `Date` says, what time AWS has), sets the clock offset to
    /// match and returns `true`: the call is worth signing again once.
    pub(crate) fn learn_skew(&self, error: &ServiceError, date: Option<&str>) -> bool {
        if !is_skew_name(error.name()) {
            return false;
        }
        let local = SystemTime::now();
        let server = time_in_message(error.message()).or_else(|| {
            date.and_then(|date| httpdate::parse_http_date(date).ok())
                .filter(|server| distance(*server, local) > SKEW_TOLERANCE)
        });
        let Some(server) = server else {
            return false;
        };
        let offset = match server.duration_since(local) {
            Ok(ahead) => i64::try_from(ahead.as_secs()).unwrap_or(i64::MAX),
            Err(behind) => -i64::try_from(behind.duration().as_secs()).unwrap_or(i64::MAX),
        };
        tracing::warn!(
            offset_seconds = offset,
            "the local clock is off from AWS's; signing with AWS's time"
        );
        self.offset.store(offset, Ordering::Relaxed);
        true
    }
}

/// SigV4 signature headers for a `POST` of `body` to `url`.
pub(crate) fn signature_headers(
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Vec<(String, String)>> {
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|err| Error::config(format!("cannot sign: {err}")))?
        .into();
    let request = SignableRequest::new(
        "POST",
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|err| Error::config(format!("cannot sign the request to {url}: {err}")))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|err| Error::config(format!("cannot sign the request to {url}: {err}")))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}

/// The error names AWS gives a request whose signature time is off.
fn is_skew_name(name: &str) -> bool {
    matches!(
        name,
        "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "RequestTimeTooSkewed"
            | "RequestExpired"
            | "RequestInTheFuture"
            | "AuthFailure"
    )
}

/// AWS's time in a skew message: `Signature expired: 20260101T000000Z is
/// now earlier than 20260101T001000Z (20260101T001500Z - 5 min.)` — the
/// time in parentheses.
fn time_in_message(message: &str) -> Option<SystemTime> {
    let (_, after) = message.rsplit_once('(')?;
    let stamp = after.get(..16)?;
    compact_time(stamp)
}

/// `YYYYMMDDTHHMMSSZ`, the form of `X-Amz-Date`.
fn compact_time(stamp: &str) -> Option<SystemTime> {
    let bytes = stamp.as_bytes();
    if bytes.len() != 16 || bytes.get(8) != Some(&b'T') || bytes.get(15) != Some(&b'Z') {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = stamp.get(range)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let seconds = crate::clock::unix_from_civil(
        number(0..4)?,
        number(4..6)?,
        number(6..8)?,
        number(9..11)? * 3600 + number(11..13)? * 60 + number(13..15)?,
    )?;
    UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(seconds).ok()?))
}

fn distance(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b)
        .or_else(|_| b.duration_since(a))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signer wired as botocore signs: the same request, credentials
    /// and time give the signature botocore 1.x computed
    /// (`botocore.auth.SigV4Auth(credentials, "cognito-idp", "us-east-1")`
    /// over this request at 2026-01-01T00:00:00Z).
    #[test]
    fn the_signature_botocore_computes() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        );
        let time = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let headers = signature_headers(
            &credentials,
            "us-east-1",
            time,
            "https://cognito-idp.us-east-1.amazonaws.com/",
            &[
                ("content-type", "application/x-amz-json-1.1"),
                (
                    "x-amz-target",
                    "AWSCognitoIdentityProviderService.ListUsers",
                ),
            ],
            br#"{"UserPoolId":"us-east-1_example"}"#,
        )
        .unwrap();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(header("x-amz-date"), Some("20260101T000000Z"));
        assert_eq!(
            header("authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/cognito-idp/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
                 Signature=35517164a5c294f93a1915806ac9cd9f65ec64304c568bf3a4bc3a2732a4c8dd"
            )
        );
        assert_eq!(header("x-amz-security-token"), None);
    }

    #[test]
    fn temporary_credentials_send_their_token() {
        let credentials = Credentials::new(
            "ASIAEXAMPLE",
            "secret",
            Some("session-token".into()),
            None,
            "test",
        );
        let headers = signature_headers(
            &credentials,
            "eu-west-1",
            SystemTime::now(),
            "http://127.0.0.1:5000/",
            &[],
            b"{}",
        )
        .unwrap();
        assert!(headers.iter().any(
            |(name, value)| name.eq_ignore_ascii_case("x-amz-security-token")
                && value == "session-token"
        ));
    }

    #[test]
    fn skew_messages_name_aws_time() {
        let expired = "Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T001500Z - 5 min.)";
        assert_eq!(
            time_in_message(expired),
            Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600 + 900))
        );
        let future = "Signature not yet current: 20260101T003000Z is still later than 20260101T002000Z (20260101T001500Z + 5 min.)";
        assert_eq!(time_in_message(future), time_in_message(expired));
        for not_a_time in [
            "The request signature we calculated does not match the signature you provided.",
            "(2026",
            "(20261301T000000Z)",
            "(2026010xT000000Z)",
            "(+0260101T000000Z)",
            "(20260101 000000Z)",
        ] {
            assert_eq!(time_in_message(not_a_time), None, "{not_a_time}");
        }
    }

    #[test]
    fn a_skew_answer_moves_the_clock_a_wrong_key_does_not() {
        let cache = CredentialsCache::new(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "AKID", "secret", None, None, "test",
            )),
            Duration::from_secs(300),
        );
        let signer = Signer::new(cache, "us-east-1".into());
        let wrong_key = ServiceError::new(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            403,
        );
        assert!(!signer.learn_skew(&wrong_key, None));
        let now = httpdate::fmt_http_date(SystemTime::now());
        assert!(
            !signer.learn_skew(&wrong_key, Some(&now)),
            "a Date close to ours"
        );
        let ahead = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(1200));
        assert!(signer.learn_skew(&wrong_key, Some(&ahead)));
        let offset = signer.offset.load(Ordering::Relaxed);
        assert!((1195..=1205).contains(&offset), "{offset}");
        let unrelated =
            ServiceError::new("NotAuthorizedException", "(20260101T001500Z + 5 min.)", 400);
        assert!(!signer.learn_skew(&unrelated, Some(&ahead)));
    }
}
