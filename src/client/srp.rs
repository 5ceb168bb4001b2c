//! SRP-6a as Cognito does it (`USER_SRP_AUTH` and the `PASSWORD_VERIFIER`
//! challenge): the 3072-bit group of RFC 5054 with g = 2, SHA-256, values
//! hashed in their minimal two's-complement hex form, and an HKDF-derived
//! key that signs `pool name | user id | secret block | timestamp`.
//!
//! `num-bigint` does the modular arithmetic.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigUint;

use crate::keys::crypto::{hmac_sha256, random_bytes, sha256};

/// The RFC 5054 3072-bit prime.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

const INFO: &[u8] = b"Caldera Derived Key";

/// The client's side of one SRP exchange.
pub(crate) struct SrpSession {
    n: BigUint,
    g: BigUint,
    k: BigUint,
    a: BigUint,
    big_a: BigUint,
}

/// What the server sent in the `PASSWORD_VERIFIER` challenge.
pub(crate) struct ServerChallenge<'a> {
    pub(crate) salt_hex: &'a str,
    pub(crate) b_hex: &'a str,
    pub(crate) secret_block: &'a str,
}

impl SrpSession {
    /// A session with a fresh random secret.
    pub(crate) fn new() -> Result<Self, String> {
        let secret: [u8; 128] = random_bytes()?;
        Ok(Self::with_secret(BigUint::from_bytes_be(&secret)))
    }

    /// A session with a given secret `a` (for known-answer tests).
    pub(crate) fn with_secret(a: BigUint) -> Self {
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap_or_default();
        let g = BigUint::from(2u32);
        let k = BigUint::from_bytes_be(&sha256(&[pad(&n), pad(&g)].concat()));
        let big_a = g.modpow(&a, &n);
        SrpSession { n, g, k, a, big_a }
    }

    /// `SRP_A`, as hex.
    pub(crate) fn public_hex(&self) -> String {
        self.big_a.to_str_radix(16)
    }

    /// The 16-byte key both sides derive.
    pub(crate) fn derive_key(
        &self,
        pool_name: &str,
        user_id: &str,
        password: &str,
        challenge: &ServerChallenge<'_>,
    ) -> Result<[u8; 16], String> {
        let b = parse_hex(challenge.b_hex, "SRP_B")?;
        let salt = parse_hex(challenge.salt_hex, "SALT")?;
        if (&b % &self.n) == BigUint::ZERO {
            return Err("SRP_B is a multiple of N".to_owned());
        }
        let u = BigUint::from_bytes_be(&sha256(&[pad(&self.big_a), pad(&b)].concat()));
        if u == BigUint::ZERO {
            return Err("the SRP scrambling value is zero".to_owned());
        }
        let identity = sha256(format!("{pool_name}{user_id}:{password}").as_bytes());
        let x = BigUint::from_bytes_be(&sha256(&[pad(&salt), identity.to_vec()].concat()));
        // S = (B - k * g^x) ^ (a + u * x) mod N, with the base kept in [0, N).
        let kgx = (&self.k * self.g.modpow(&x, &self.n)) % &self.n;
        let base = ((&b % &self.n) + &self.n - kgx) % &self.n;
        let s = base.modpow(&(&self.a + &u * &x), &self.n);
        Ok(hkdf(&pad(&s), &pad(&u)))
    }

    /// `PASSWORD_CLAIM_SIGNATURE`: base64 of HMAC(key, pool name | user id |
    /// secret block | timestamp).
    pub(crate) fn password_claim(
        &self,
        pool_name: &str,
        user_id: &str,
        password: &str,
        challenge: &ServerChallenge<'_>,
        timestamp: &str,
    ) -> Result<String, String> {
        let key = self.derive_key(pool_name, user_id, password, challenge)?;
        // Cognito sends base64; an emulator that does not check the proof
        // (moto) sends an opaque string, which is signed as it is.
        let secret_block = STANDARD
            .decode(challenge.secret_block)
            .unwrap_or_else(|_| challenge.secret_block.as_bytes().to_vec());
        let message = [
            pool_name.as_bytes(),
            user_id.as_bytes(),
            &secret_block,
            timestamp.as_bytes(),
        ]
        .concat();
        Ok(STANDARD.encode(hmac_sha256(&key, &message)))
    }
}

/// The minimal two's-complement big-endian bytes of a non-negative number:
/// a leading zero byte when the top bit is set (Java's `toByteArray`).
fn pad(value: &BigUint) -> Vec<u8> {
    let bytes = value.to_bytes_be();
    match bytes.first() {
        Some(&top) if top >= 0x80 => [&[0u8][..], &bytes].concat(),
        _ => bytes,
    }
}

/// HKDF-SHA-256 with one output block, cut to 16 bytes.
fn hkdf(input_key: &[u8], salt: &[u8]) -> [u8; 16] {
    let pseudo_random_key = hmac_sha256(salt, input_key);
    let block = hmac_sha256(&pseudo_random_key, &[INFO, &[1u8]].concat());
    let mut key = [0u8; 16];
    key.copy_from_slice(block.get(..16).unwrap_or(&[0u8; 16]));
    key
}

fn parse_hex(text: &str, what: &str) -> Result<BigUint, String> {
    BigUint::parse_bytes(text.as_bytes(), 16).ok_or_else(|| format!("{what} is not hex"))
}

/// Cognito's `TIMESTAMP`: `Tue Sep 3 05:03:01 UTC 2024` (English names,
/// day of month unpadded), for seconds since the Unix epoch.
pub(crate) fn timestamp(unix_seconds: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_seconds.div_euclid(86_400);
    let second_of_day = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = DAYS
        .get(usize::try_from(days.rem_euclid(7)).unwrap_or(0))
        .copied()
        .unwrap_or("Thu");
    let month_name = MONTHS
        .get(usize::try_from(month - 1).unwrap_or(0))
        .copied()
        .unwrap_or("Jan");
    format!(
        "{weekday} {month_name} {day} {:02}:{:02}:{:02} UTC {year}",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Computed with amazon-cognito-identity-js 6 (`AuthenticationHelper`
    /// with a fixed small-a), the reference client of Cognito's SRP.
    #[test]
    fn known_answer_from_the_reference_client() {
        let a = BigUint::parse_bytes(
            b"a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00aa55",
            16,
        )
        .unwrap();
        let session = SrpSession::with_secret(a);
        assert_eq!(
            session.k.to_str_radix(16),
            "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
        );
        assert!(
            session
                .public_hex()
                .starts_with("4b740024593e8a0415f460c9919696b4")
        );
        assert!(session.public_hex().ends_with("c86fde9703b17a2d5433975fb30be329769b892d87a51d23632e27dee825478682684e004e3cb4ca3f07e34383b471f5f041f20a3e97106625bd8de5828ab363b3e454d8a1fba6949ed09dd5b4dd755aa30108766466dc2608c16aba3ec6e73f0878aea405fa0d74b37555004301f73f0526224c28785b829cd67b1bdedf9c0a4cd74d076fa536f2f8"));
        let b_hex = format!(
            "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f{}",
            "0123456789abcdef".repeat(32)
        );
        let challenge = ServerChallenge {
            salt_hex: "c3a5e8f1029b4d6e",
            b_hex: &b_hex,
            secret_block: "c2VjcmV0IGJsb2NrIGZyb20gdGhlIHNlcnZlcg==",
        };
        let key = session
            .derive_key("AbCdEf123", "alice", "Secret#Pass1", &challenge)
            .unwrap();
        assert_eq!(hex(&key), "df928f10b770edc07b9e5572d7a238fa");
        let signature = session
            .password_claim(
                "AbCdEf123",
                "alice",
                "Secret#Pass1",
                &challenge,
                "Thu Nov 26 11:40:00 UTC 2026",
            )
            .unwrap();
        assert_eq!(signature, "I3b9jOgOeS5YnGWYMRlEHIElgWUE3y/AhH89/EpwH4I=");
    }

    #[test]
    fn a_wrong_password_gives_another_claim() {
        let session = SrpSession::new().unwrap();
        let b_hex = "ab".repeat(384);
        let challenge = ServerChallenge {
            salt_hex: "01",
            b_hex: &b_hex,
            secret_block: "AAAA",
        };
        let right = session
            .password_claim("P", "u", "right", &challenge, "t")
            .unwrap();
        let wrong = session
            .password_claim("P", "u", "wrong", &challenge, "t")
            .unwrap();
        assert_ne!(right, wrong);
        let zero = ServerChallenge {
            b_hex: "0",
            ..challenge
        };
        assert!(session.derive_key("P", "u", "p", &zero).is_err());
    }

    #[test]
    fn padding_follows_twos_complement() {
        assert_eq!(pad(&BigUint::from(0x14u32)), vec![0x14]);
        assert_eq!(pad(&BigUint::from(0xECu32)), vec![0x00, 0xEC]);
        assert_eq!(pad(&BigUint::from(0x0100u32)), vec![0x01, 0x00]);
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "Thu Jan 1 00:00:00 UTC 1970");
        assert_eq!(timestamp(1_725_339_781), "Tue Sep 3 05:03:01 UTC 2024");
        assert_eq!(timestamp(1_795_693_200), "Thu Nov 26 11:40:00 UTC 2026");
        assert_eq!(timestamp(951_782_400), "Tue Feb 29 00:00:00 UTC 2000");
    }
}
