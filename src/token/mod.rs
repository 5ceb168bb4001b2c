//! Untrusted parsing of a JWS compact token.
//!
//! Nothing in this module is trusted: it splits the token, decodes the
//! segments with strict unpadded base64url, parses the header and payload as
//! JSON objects and checks that the registered claims have the right JSON
//! types. Whether any of it is true is decided later, in the verifier.

mod header;
mod json;
mod registered;
mod segments;
mod unverified;

pub(crate) use header::HeaderAlg;
#[cfg(feature = "alb")]
pub(crate) use registered::payload_text;
pub(crate) use registered::{Audience, RegisteredClaims, claims};
pub(crate) use segments::parse;
pub use unverified::{UnverifiedToken, decode_unverified};

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn b64(text: &str) -> String {
        URL_SAFE_NO_PAD.encode(text)
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(payload), b64("signature"))
    }

    #[test]
    fn parses_a_well_formed_token() {
        let token = token(
            r#"{"alg":"RS256","kid":"k"}"#,
            r#"{"exp":10,"nbf":1.5,"aud":["a","b"],"cognito:groups":["g"],"iss":"i"}"#,
        );
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.header.alg.name(), "RS256");
        assert_eq!(parsed.header.kid.as_deref(), Some("k"));
        let claims = claims(&parsed.payload).unwrap();
        assert_eq!(claims.exp, Some(10));
        assert_eq!(claims.nbf, Some(2));
        assert_eq!(
            claims.aud,
            Some(Audience::Many(vec!["a".into(), "b".into()]))
        );
        assert!(matches!(claims.iss, Some(Cow::Borrowed("i"))), "no copy");
        assert_eq!(parsed.signature.as_slice(), b"signature");
        assert!(token.starts_with(parsed.signing_input));
    }

    #[test]
    fn rejects_structural_problems() {
        let good_header = b64(r#"{"alg":"RS256","kid":"k"}"#);
        let good_payload = b64(r#"{"exp":1}"#);
        let cases = [
            String::new(),
            "a.b".to_owned(),
            "a.b.c.d".to_owned(),
            format!("{good_header}.{good_payload}."),
            format!("{good_header}=.{good_payload}.c2ln"),
            format!("{good_header}.{good_payload}.c2ln+"),
            format!("{}.{good_payload}.c2ln", b64("[1,2]")),
            format!("{}.{good_payload}.c2ln", b64("not json")),
            format!("{good_header}.{}.c2ln", b64("\"str\"")),
        ];
        for case in cases {
            let err = parse(&case)
                .and_then(|parsed| claims(&parsed.payload).map(drop))
                .err()
                .unwrap();
            assert_eq!(err.kind(), "malformed", "{case}: {err}");
        }
    }

    #[test]
    fn rejects_wrong_claim_types() {
        for payload in [
            r#"{"exp":"10"}"#,
            r#"{"nbf":true}"#,
            r#"{"iss":1}"#,
            r#"{"aud":1}"#,
            r#"{"aud":["a",1]}"#,
            r#"{"cognito:groups":"admin"}"#,
            r#"{"token_use":null}"#,
            r#"{"client_id":[]}"#,
            r#"{"scope":["a"]}"#,
            r#"{"sub":1}"#,
            r#"{"exp":1,"exp":2}"#,
            r#"{"iss":"a","iss":"a"}"#,
        ] {
            let token = token(r#"{"alg":"RS256"}"#, payload);
            let parsed = parse(&token).unwrap();
            let err = claims(&parsed.payload).err().unwrap();
            assert_eq!(err.kind(), "malformed", "{payload}");
        }
    }

    #[test]
    fn header_checks() {
        assert!(parse(&token(r#"{"kid":"k"}"#, "{}")).is_err());
        assert!(parse(&token(r#"{"alg":5}"#, "{}")).is_err());
        assert!(parse(&token(r#"{"alg":"RS256","kid":7}"#, "{}")).is_err());
        assert!(parse(&token(r#"{"alg":"RS256","crit":["b64"]}"#, "{}")).is_err());
        let token = token(r#"{"alg":"RS256","kid":""}"#, "{}");
        let empty_kid = parse(&token).unwrap();
        assert_eq!(empty_kid.header.kid, None);
    }

    #[test]
    fn non_canonical_base64_is_rejected() {
        // "QQ" decodes to "A"; "QR" has non-zero trailing bits.
        assert!(URL_SAFE_NO_PAD.decode("QR").is_err());
        let header = b64(r#"{"alg":"RS256","kid":"k"}"#);
        let err = parse(&format!("{header}.e30.QR")).err().unwrap();
        assert_eq!(err.kind(), "malformed");
    }
}
