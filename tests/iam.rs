//! IAM-authorized calls, end to end: against moto with its IAM checks on
//! (it recomputes every request's SigV4 signature with botocore and
//! refuses a bad one), against cognito-local where it has the operation,
//! and against a loopback front end that holds AWS's clock rules (a
//! signature more than 5 minutes off is refused) and counts requests.
//!
//! `scripts/test.sh` starts the emulators and sets
//! `COGNITO_AUTH_MOTO_IAM_URL` (moto with `INITIAL_NO_AUTH_ACTION_COUNT=0`)
//! and `COGNITO_AUTH_COGNITO_LOCAL_URL`; under `CI=true` a missing one is
//! a failure, elsewhere the emulator tests are skipped.

mod cli_run;
mod emulator_env;
mod log_capture;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use cognito_auth::client::{
    AuthOutcome, ChallengeName, CognitoClient, Credentials, NewUser, RetryPolicy, Secret,
    UserQuery, UserStatus,
};
use cognito_auth::revocation::RevocationList;
use cognito_auth::{CognitoPool, TokenUse, Verifier};
use futures_util::TryStreamExt;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

const PASSWORD: &str = "Correct#Horse7";
const REGION: &str = "us-east-1";

use emulator_env::{unique, url as emulator};

/// An IAM user's keys on the moto with IAM checks, made once per test
/// binary through moto's IAM API.
#[derive(Clone)]
struct Keys {
    url: String,
    access_key_id: String,
    secret_access_key: String,
}

static KEYS: OnceCell<Option<Keys>> = OnceCell::const_new();

/// The text of the first `<element>` of an XML answer.
fn xml(text: &str, element: &str) -> String {
    let start = text
        .find(&format!("<{element}>"))
        .unwrap_or_else(|| panic!("no {element} in {text}"))
        + element.len()
        + 2;
    let end = start + text[start..].find(&format!("</{element}>")).unwrap();
    text[start..end].to_owned()
}

async fn keys() -> Option<Keys> {
    KEYS.get_or_init(|| async {
        let url = emulator("COGNITO_AUTH_MOTO_IAM_URL")?;
        let http = reqwest::Client::new();
        // Every request is checked from the first (the server started
        // with INITIAL_NO_AUTH_ACTION_COUNT=0), so no IAM user could ever
        // be made: moto's own switch lets the next three actions through.
        let reset = http
            .post(format!("{url}/moto-api/reset-auth"))
            .header("content-type", "text/plain")
            .body("3")
            .send()
            .await
            .unwrap();
        assert!(reset.status().is_success(), "{}", reset.text().await.unwrap());
        let user = unique("tester");
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let mut answers = Vec::new();
        for form in [
            vec![("Action", "CreateUser"), ("UserName", user.as_str())],
            vec![
                ("Action", "PutUserPolicy"),
                ("UserName", user.as_str()),
                ("PolicyName", "everything"),
                ("PolicyDocument", policy),
            ],
            vec![("Action", "CreateAccessKey"), ("UserName", user.as_str())],
        ] {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .append_pair("Version", "2010-05-08")
                .finish();
            // The credential scope routes the request to moto's IAM; the
            // signature is not checked for these three.
            let answer = http
                .post(format!("{url}/"))
                .header(
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIABOOTSTRAP/20260101/us-east-1/iam/aws4_request, \
                     SignedHeaders=host, Signature=0",
                )
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = answer.status();
            let text = answer.text().await.unwrap();
            assert!(status.is_success(), "{status}: {text}");
            answers.push(text);
        }
        Some(Keys {
            url,
            access_key_id: xml(&answers[2], "AccessKeyId"),
            secret_access_key: xml(&answers[2], "SecretAccessKey"),
        })
    })
    .await
    .clone()
}

impl Keys {
    fn credentials(&self) -> Credentials {
        Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            None,
            None,
            "moto-iam",
        )
    }

    fn client(&self, revocations: Option<&RevocationList>) -> CognitoClient {
        let mut builder = CognitoClient::builder()
            .endpoint(&self.url)
            .signing_region(REGION)
            .credentials(self.credentials());
        if let Some(list) = revocations {
            builder = builder.revocation_list(list.clone());
        }
        builder.build().unwrap()
    }

    fn env(&self) -> [(&'static str, &str); 3] {
        [
            ("AWS_ACCESS_KEY_ID", &self.access_key_id),
            ("AWS_SECRET_ACCESS_KEY", &self.secret_access_key),
            ("AWS_REGION", REGION),
        ]
    }
}

/// A user pool and an app client made with signed calls.
async fn pool_and_client(cognito: &CognitoClient) -> (String, String) {
    let created: Value = cognito
        .call_signed("CreateUserPool", &json!({"PoolName": unique("pool")}))
        .await
        .unwrap();
    let pool_id = created["UserPool"]["Id"].as_str().unwrap().to_owned();
    let client: Value = cognito
        .call_signed(
            "CreateUserPoolClient",
            &json!({
                "UserPoolId": pool_id,
                "ClientName": "server",
                "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            }),
        )
        .await
        .unwrap();
    let client_id = client["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    (pool_id, client_id)
}

fn tokens(outcome: AuthOutcome) -> cognito_auth::client::Tokens {
    match outcome {
        AuthOutcome::Tokens(tokens) => tokens,
        other => panic!("tokens expected, got {other:?}"),
    }
}

#[tokio::test]
async fn users_groups_and_server_side_sign_in_through_signed_calls() {
    let Some(keys) = keys().await else { return };
    let cognito = keys.client(None);
    let (pool_id, client_id) = pool_and_client(&cognito).await;
    let pool = cognito.user_pool(&pool_id);

    // Created with a temporary password: the first sign-in is a
    // NEW_PASSWORD_REQUIRED challenge, answered through the signed
    // AdminRespondToAuthChallenge.
    let created = pool
        .create_user(
            NewUser::new("alice")
                .attribute("email", "alice@example.com")
                .temporary_password(Secret::new("Temp#Passw0rd1"))
                .suppress_invitation(),
        )
        .await
        .unwrap();
    assert_eq!(created.username, "alice");
    assert_eq!(created.status, Some(UserStatus::ForceChangePassword));
    let app = cognito.app_client(&client_id);
    let AuthOutcome::Challenge(challenge) = app
        .admin_sign_in(&pool_id, "alice", &Secret::new("Temp#Passw0rd1"))
        .await
        .unwrap()
    else {
        panic!("a new password is required first")
    };
    assert_eq!(challenge.name, ChallengeName::NewPasswordRequired);
    assert_eq!(challenge.user_pool_id.as_deref(), Some(pool_id.as_str()));
    let first = tokens(
        app.respond_new_password(&challenge, &Secret::new(PASSWORD))
            .await
            .unwrap(),
    );
    assert!(first.refresh_token.is_some());

    // An administrator sets a password for good.
    pool.set_password("alice", &Secret::new("Another#Passw0rd2"), true)
        .await
        .unwrap();
    let user = pool.get_user("alice").await.unwrap();
    assert_eq!(user.status, Some(UserStatus::Confirmed));
    assert_eq!(user.enabled, Some(true));
    assert_eq!(user.attributes["email"], "alice@example.com");
    assert!(user.sub().is_some() && user.created_at.is_some());
    let signed_in = tokens(
        app.admin_sign_in(&pool_id, "alice", &Secret::new("Another#Passw0rd2"))
            .await
            .unwrap(),
    );
    let verifier = Verifier::builder()
        .cognito(
            CognitoPool::new(&pool_id)
                .jwks_uri(format!("{}/{pool_id}/.well-known/jwks.json", keys.url))
                .token_use(TokenUse::Access)
                .client_id(&client_id),
        )
        .build()
        .unwrap();
    let claims = verifier
        .verify_access(signed_in.access_token.expose())
        .await
        .unwrap();
    assert_eq!(Some(claims.sub.as_str()), user.sub());

    // Disabled: no sign-in; enabled again: signs in.
    pool.disable_user("alice").await.unwrap();
    assert_eq!(pool.get_user("alice").await.unwrap().enabled, Some(false));
    let refused = app
        .admin_sign_in(&pool_id, "alice", &Secret::new("Another#Passw0rd2"))
        .await
        .unwrap_err();
    assert_eq!(
        refused.service_error().map(|e| e.name()),
        Some("NotAuthorizedException"),
        "{refused}"
    );
    pool.enable_user("alice").await.unwrap();
    assert_eq!(pool.get_user("alice").await.unwrap().enabled, Some(true));

    // Groups.
    for group in ["admin", "ops"] {
        let _: Value = cognito
            .call_signed(
                "CreateGroup",
                &json!({"UserPoolId": pool_id, "GroupName": group}),
            )
            .await
            .unwrap();
        pool.add_user_to_group("alice", group).await.unwrap();
    }
    let mut names: Vec<String> = pool
        .list_groups_for_user("alice")
        .map_ok(|group| group.name)
        .try_collect()
        .await
        .unwrap();
    names.sort();
    assert_eq!(names, ["admin", "ops"]);
    let members: Vec<_> = pool
        .list_users_in_group("admin")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
    pool.remove_user_from_group("alice", "ops").await.unwrap();
    let left: Vec<_> = pool
        .list_groups_for_user("alice")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].name, "admin");
    let all: Vec<_> = pool.list_groups().try_collect().await.unwrap();
    assert_eq!(all.len(), 2);

    // Deleted: gone.
    pool.delete_user("alice").await.unwrap();
    let gone = pool.get_user("alice").await.unwrap_err();
    assert_eq!(
        gone.service_error().map(|e| e.name()),
        Some("UserNotFoundException")
    );
}

#[tokio::test]
async fn list_users_follows_the_pagination_token_across_pages() {
    let Some(keys) = keys().await else { return };
    let cognito = keys.client(None);
    let (pool_id, _) = pool_and_client(&cognito).await;
    let pool = cognito.user_pool(&pool_id);
    let mut expected = Vec::new();
    for number in 0..7 {
        let name = format!("user{number}");
        pool.create_user(NewUser::new(&name).suppress_invitation())
            .await
            .unwrap();
        expected.push(name);
    }
    // Pages of 2: four requests, one stream.
    let mut listed: Vec<String> = pool
        .list_users(UserQuery::new().page_size(2))
        .map_ok(|user| user.username)
        .try_collect()
        .await
        .unwrap();
    listed.sort();
    assert_eq!(listed, expected);
    // Any other listing through the generic stream.
    let pools: Vec<Value> = cognito
        .paginate_signed(
            "ListUserPools",
            json!({"MaxResults": 1}),
            "UserPools",
            "NextToken",
        )
        .try_collect()
        .await
        .unwrap();
    assert!(
        pools.iter().any(|pool| pool["Id"] == pool_id.as_str()),
        "{pools:?}"
    );
    // One page of a few is the first few: the stream can stop early.
    let mut stream = Box::pin(pool.list_users(UserQuery::new().page_size(3)));
    let first = stream.try_next().await.unwrap().unwrap();
    assert!(expected.contains(&first.username));
}

#[tokio::test]
async fn a_global_sign_out_refuses_the_users_tokens_on_every_verifier() {
    let Some(keys) = keys().await else { return };
    let revocations = RevocationList::in_memory().unwrap();
    let cognito = keys.client(Some(&revocations));
    let (pool_id, client_id) = pool_and_client(&cognito).await;
    let issuer = format!("https://cognito-idp.{REGION}.amazonaws.com/{pool_id}");
    let pool = cognito.user_pool(&pool_id).issuer(&issuer);
    pool.create_user(NewUser::new("bob").suppress_invitation())
        .await
        .unwrap();
    pool.set_password("bob", &Secret::new(PASSWORD), true)
        .await
        .unwrap();
    let app = cognito.app_client(&client_id);
    let before = tokens(
        app.admin_sign_in(&pool_id, "bob", &Secret::new(PASSWORD))
            .await
            .unwrap(),
    );
    let verifier = Verifier::builder()
        .cognito(
            CognitoPool::new(&pool_id)
                .issuer(&issuer)
                .jwks_uri(format!("{}/{pool_id}/.well-known/jwks.json", keys.url))
                .token_use(TokenUse::Access)
                .client_id(&client_id),
        )
        .revocation_list(revocations.clone())
        .build()
        .unwrap();
    verifier
        .verify(before.access_token.expose())
        .await
        .expect("verifies before the sign-out");
    pool.global_sign_out("bob").await.unwrap();
    let refused = verifier
        .verify(before.access_token.expose())
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), "revoked", "{refused}");
    // The refresh token is revoked at Cognito too.
    let refresh = app
        .refresh(before.refresh_token.as_ref().unwrap(), None)
        .await
        .unwrap_err();
    assert!(refresh.service_error().is_some(), "{refresh}");

    // A disabled user's tokens are refused the same way.
    pool.create_user(NewUser::new("carol").suppress_invitation())
        .await
        .unwrap();
    pool.set_password("carol", &Secret::new(PASSWORD), true)
        .await
        .unwrap();
    // Tokens issued in the same second as the cut-off count as before it.
    let carol = tokens(
        app.admin_sign_in(&pool_id, "carol", &Secret::new(PASSWORD))
            .await
            .unwrap(),
    );
    verifier.verify(carol.access_token.expose()).await.unwrap();
    pool.disable_user("carol").await.unwrap();
    assert_eq!(
        verifier
            .verify(carol.access_token.expose())
            .await
            .unwrap_err()
            .kind(),
        "revoked"
    );
}

#[tokio::test]
async fn a_wrong_key_is_a_service_error_by_its_name() {
    let Some(keys) = keys().await else { return };
    let wrong_secret = CognitoClient::builder()
        .endpoint(&keys.url)
        .signing_region(REGION)
        .credentials(Credentials::new(
            &keys.access_key_id,
            "not-the-secret-access-key",
            None,
            None,
            "test",
        ))
        .build()
        .unwrap();
    let err = wrong_secret
        .call_signed::<_, Value>("ListUserPools", &json!({"MaxResults": 1}))
        .await
        .unwrap_err();
    let service = err.service_error().expect("a service error");
    assert_eq!(service.name(), "SignatureDoesNotMatch");
    assert_eq!(service.status(), 403);

    let unknown_key = CognitoClient::builder()
        .endpoint(&keys.url)
        .signing_region(REGION)
        .credentials(Credentials::new("AKIANOSUCHKEY", "x", None, None, "test"))
        .build()
        .unwrap();
    let err = unknown_key
        .call_signed::<_, Value>("ListUserPools", &json!({"MaxResults": 1}))
        .await
        .unwrap_err();
    assert_eq!(
        err.service_error().map(|e| e.name()),
        Some("InvalidClientTokenId")
    );

    // Without credentials, nothing is sent.
    let unsigned = CognitoClient::builder()
        .endpoint(&keys.url)
        .build()
        .unwrap();
    let err = unsigned
        .call_signed::<_, Value>("ListUserPools", &json!({"MaxResults": 1}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "credentials");
}

/// `cognito-auth call OPERATION --endpoint URL --sign --json BODY`.
async fn signed_cli_call(
    url: &str,
    operation: &str,
    body: &str,
    env: &[(&str, &str)],
) -> cli_run::Run {
    cli_run::run_with_env(
        &[
            "call",
            operation,
            "--endpoint",
            url,
            "--sign",
            "--json",
            body,
        ],
        None,
        env,
    )
    .await
}

#[tokio::test]
async fn the_cli_calls_any_operation_signed_or_not() {
    let Some(keys) = keys().await else { return };
    let env = keys.env();
    let cognito = keys.client(None);
    let (pool_id, client_id) = pool_and_client(&cognito).await;
    let pool_body = json!({"UserPoolId": pool_id}).to_string();

    // A signed call prints the answer.
    let created = signed_cli_call(
        &keys.url,
        "AdminCreateUser",
        &json!({"UserPoolId": pool_id, "Username": "dave", "MessageAction": "SUPPRESS"})
            .to_string(),
        &env,
    )
    .await;
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert_eq!(created.json()["User"]["Username"], "dave");
    // The body from stdin; an empty answer prints {}.
    let set = cli_run::run_with_env(
        &["call", "AdminSetUserPassword", "--endpoint", &keys.url, "--region", REGION, "--sign", "-"],
        Some(&json!({"UserPoolId": pool_id, "Username": "dave", "Password": PASSWORD, "Permanent": true}).to_string()),
        &env,
    )
    .await;
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert_eq!(set.json(), json!({}));
    let listed = signed_cli_call(&keys.url, "ListUsers", &pool_body, &env).await;
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(listed.json()["Users"][0]["Username"], "dave");

    // login --admin: AdminInitiateAuth, the login output contract.
    let login = cli_run::run_with_env(
        &[
            "login",
            "--admin",
            "--user-pool-id",
            &pool_id,
            "--client-id",
            &client_id,
            "--username",
            "dave",
            "--password-stdin",
            "--endpoint",
            &keys.url,
        ],
        Some(PASSWORD),
        &env,
    )
    .await;
    assert_eq!(login.code, 0, "{}", login.stderr);
    let output = login.json();
    assert!(
        output["access_token"]
            .as_str()
            .is_some_and(|t| t.len() > 20),
        "{output}"
    );
    assert!(output["refresh_token"].is_string());

    // A Cognito error: its name and message, exit 1.
    let missing = signed_cli_call(
        &keys.url,
        "AdminGetUser",
        &json!({"UserPoolId": pool_id, "Username": "nobody"}).to_string(),
        &env,
    )
    .await;
    assert_eq!(missing.code, 1);
    assert_eq!(missing.json()["error"]["kind"], "UserNotFoundException");
    assert!(missing.json()["error"]["message"].is_string());
    let wrong = signed_cli_call(
        &keys.url,
        "ListUsers",
        &pool_body,
        &[
            ("AWS_ACCESS_KEY_ID", keys.access_key_id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", "wrong"),
            ("AWS_REGION", REGION),
        ],
    )
    .await;
    assert_eq!(wrong.code, 1);
    assert_eq!(wrong.json()["error"]["kind"], "SignatureDoesNotMatch");

    // --sign without credentials: nothing sent, the variables named, exit 2.
    let no_keys = cli_run::run_with_env(
        &[
            "call",
            "ListUsers",
            "--endpoint",
            &keys.url,
            "--region",
            REGION,
            "--sign",
            "--json",
            &pool_body,
        ],
        None,
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    )
    .await;
    assert_eq!(no_keys.code, 2);
    assert!(
        no_keys.stderr.contains("AWS_ACCESS_KEY_ID")
            && no_keys.stderr.contains("AWS_SECRET_ACCESS_KEY"),
        "{}",
        no_keys.stderr
    );
    // With --endpoint and no region anywhere: a usage error.
    let no_region = signed_cli_call(
        &keys.url,
        "ListUsers",
        &pool_body,
        &[
            ("AWS_ACCESS_KEY_ID", keys.access_key_id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", keys.secret_access_key.as_str()),
            ("AWS_REGION", ""),
            ("AWS_DEFAULT_REGION", ""),
        ],
    )
    .await;
    assert_eq!(no_region.code, 2, "{}", no_region.stderr);
    assert!(
        no_region.stderr.contains("AWS_REGION"),
        "{}",
        no_region.stderr
    );
    // Usage errors: exit 2.
    for args in [
        vec!["call", "ListUsers", "--sign"],
        vec![
            "call",
            "ListUsers",
            "--endpoint",
            &keys.url,
            "--json",
            "not json",
        ],
        vec!["call", "List Users", "--endpoint", &keys.url],
    ] {
        let run = cli_run::run_with_env(&args, None, &env).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
    // Without --sign nothing is signed, though credentials are there:
    // moto, checking every request, cannot accept it.
    let unsigned = cli_run::run_with_env(
        &[
            "call",
            "ListUsers",
            "--endpoint",
            &keys.url,
            "--json",
            &pool_body,
        ],
        None,
        &env,
    )
    .await;
    assert_ne!(unsigned.code, 0, "{}", unsigned.stdout);
}

/// cognito-local has no IAM checks, but takes signed calls for the
/// operations it has: the same typed helpers work there.
#[tokio::test]
async fn cognito_local_takes_the_typed_helpers() {
    let Some(url) = emulator("COGNITO_AUTH_COGNITO_LOCAL_URL") else {
        return;
    };
    let cognito = CognitoClient::builder()
        .endpoint(&url)
        .signing_region(REGION)
        .credentials(Credentials::new("AKIDLOCAL", "local", None, None, "test"))
        .build()
        .unwrap();
    let created: Value = cognito
        .call_signed("CreateUserPool", &json!({"PoolName": unique("local")}))
        .await
        .unwrap();
    let pool_id = created["UserPool"]["Id"].as_str().unwrap().to_owned();
    let pool = cognito.user_pool(&pool_id);
    pool.create_user(
        NewUser::new("erin")
            .attribute("email", "erin@example.com")
            .temporary_password(Secret::new(PASSWORD))
            .suppress_invitation(),
    )
    .await
    .unwrap();
    let erin = pool.get_user("erin").await.unwrap();
    assert_eq!(erin.attributes["email"], "erin@example.com");
    let users: Vec<_> = pool
        .list_users(UserQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert!(users.iter().any(|user| user.username == "erin"));
    pool.disable_user("erin").await.unwrap();
    pool.delete_user("erin").await.unwrap();
}

/// A loopback stand-in for AWS's front end. Counts requests.
struct FrontEnd {
    url: String,
    requests: Arc<AtomicUsize>,
}

#[derive(Clone, Copy)]
enum Mode {
    /// A signature whose `X-Amz-Date` is more than 5 minutes from its
    /// clock (which runs this far ahead of ours) is refused, as AWS
    /// refuses it.
    ClockAhead(Duration),
    /// Every request refused as a clock error, its clock jumping ahead.
    AlwaysSkewed,
    /// Every request refused as a bad signature (XML, 403).
    WrongKey,
}

async fn front_end(mode: Mode) -> FrontEnd {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;

    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    let handler = move |headers: HeaderMap| {
        let counted = Arc::clone(&counted);
        async move {
            let count = counted.fetch_add(1, Ordering::SeqCst) as u64;
            let ahead = match mode {
                Mode::ClockAhead(ahead) => ahead,
                Mode::AlwaysSkewed => Duration::from_secs(3600 * (count + 1)),
                Mode::WrongKey => Duration::ZERO,
            };
            if matches!(mode, Mode::WrongKey) {
                return (
                    StatusCode::FORBIDDEN,
                    "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request \
                     signature we calculated does not match the signature you provided.</Message>\
                     </Error></ErrorResponse>",
                )
                    .into_response();
            }
            let stamp = |time: SystemTime| {
                let seconds = time
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                let (days, rest) = (seconds / 86_400, seconds % 86_400);
                // Civil date from days (the same arithmetic any calendar uses).
                let z = days as i64 + 719_468;
                let era = z.div_euclid(146_097);
                let doe = z.rem_euclid(146_097);
                let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
                let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
                let mp = (5 * doy + 2) / 153;
                let day = doy - (153 * mp + 2) / 5 + 1;
                let month = if mp < 10 { mp + 3 } else { mp - 9 };
                let year = yoe + era * 400 + i64::from(month <= 2);
                format!(
                    "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
                    rest / 3600,
                    rest / 60 % 60,
                    rest % 60
                )
            };
            let server_now = SystemTime::now() + ahead;
            let sent = headers
                .get("x-amz-date")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let window = Duration::from_secs(300);
            let earliest = stamp(server_now - window);
            let latest = stamp(server_now + window);
            if sent < earliest || sent > latest || !headers.contains_key("authorization") {
                let message = format!(
                    "Signature expired: {sent} is now earlier than {earliest} ({} - 5 min.)",
                    stamp(server_now)
                );
                return (
                    StatusCode::BAD_REQUEST,
                    [("content-type", "application/x-amz-json-1.1")],
                    json!({"__type": "InvalidSignatureException", "message": message}).to_string(),
                )
                    .into_response();
            }
            (
                [("content-type", "application/x-amz-json-1.1")],
                json!({"Users": []}).to_string(),
            )
                .into_response()
        }
    };
    let app = axum::Router::new().route("/", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    FrontEnd { url, requests }
}

fn signed_client(url: &str, retry: RetryPolicy) -> CognitoClient {
    CognitoClient::builder()
        .endpoint(url)
        .signing_region(REGION)
        .credentials(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .retry(retry)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_clock_off_by_twenty_minutes_is_corrected_once() {
    let aws = front_end(Mode::ClockAhead(Duration::from_secs(20 * 60))).await;
    // Even without retries, a skew answer is corrected and sent again once.
    let cognito = signed_client(&aws.url, RetryPolicy::none());
    let answer: Value = cognito
        .call_signed("ListUsers", &json!({"UserPoolId": "us-east-1_x"}))
        .await
        .unwrap();
    assert_eq!(answer, json!({"Users": []}));
    assert_eq!(
        aws.requests.load(Ordering::SeqCst),
        2,
        "refused, corrected, accepted"
    );
    // The correction stays: the next call goes through at once.
    let _: Value = cognito
        .call_signed("ListUsers", &json!({"UserPoolId": "us-east-1_x"}))
        .await
        .unwrap();
    assert_eq!(aws.requests.load(Ordering::SeqCst), 3);
}

/// What a call to a front end in `mode` ends with, and how many requests
/// it took.
async fn refused(mode: Mode) -> (String, usize) {
    let aws = front_end(mode).await;
    let cognito = signed_client(
        &aws.url,
        RetryPolicy::new(5).base_delay(Duration::from_millis(1)),
    );
    let err = cognito
        .call_signed::<_, Value>("ListUsers", &json!({"UserPoolId": "us-east-1_x"}))
        .await
        .unwrap_err();
    let name = err.service_error().map(|e| e.name().to_owned());
    (
        name.unwrap_or_default(),
        aws.requests.load(Ordering::SeqCst),
    )
}

#[tokio::test]
async fn a_clock_error_is_corrected_only_once_per_call() {
    // A front end whose clock moves on every request would make a naive
    // client loop; the correction is made once per call.
    assert_eq!(
        refused(Mode::AlwaysSkewed).await,
        ("InvalidSignatureException".to_owned(), 2)
    );
}

#[tokio::test]
async fn a_wrong_key_is_not_retried() {
    // Neither retried nor taken for a clock error.
    assert_eq!(
        refused(Mode::WrongKey).await,
        ("SignatureDoesNotMatch".to_owned(), 1)
    );
}

/// Every event at TRACE while signing (a skew correction, a refused key)
/// and every `Debug` of the client: no secret key, no session token.
/// One exception, outside this crate: aws-sigv4's own TRACE events print
/// the canonical request, whose signed `x-amz-security-token` header is
/// the session token (SECURITY.md says to keep `aws_sigv4` below TRACE);
/// even those never hold the secret key.
#[tokio::test]
async fn aws_secrets_reach_no_log_line_and_no_debug_string() {
    const SECRET_KEY: &str = "aws-SECRET-key-never-logged";
    const SESSION_TOKEN: &str = "aws-SESSION-token-never-logged";
    let (capture, subscriber) = log_capture::Capture::subscriber();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut debug = Vec::new();
    for mode in [
        Mode::ClockAhead(Duration::from_secs(20 * 60)),
        Mode::WrongKey,
    ] {
        let aws = front_end(mode).await;
        let cognito = CognitoClient::builder()
            .endpoint(&aws.url)
            .signing_region(REGION)
            .credentials(Credentials::new(
                "ASIAEXAMPLE",
                SECRET_KEY,
                Some(SESSION_TOKEN.into()),
                None,
                "test",
            ))
            .build()
            .unwrap();
        let answer = cognito
            .call_signed::<_, Value>("ListUsers", &json!({"UserPoolId": "us-east-1_x"}))
            .await;
        debug.push(format!(
            "{answer:?} {cognito:?} {:?}",
            cognito.user_pool("us-east-1_x")
        ));
    }
    let logs = capture.text();
    assert!(
        logs.contains("clock"),
        "the skew correction is logged: {logs}"
    );
    for text in &debug {
        for secret in [SECRET_KEY, SESSION_TOKEN] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    for event in log_capture::events(&logs) {
        assert!(!event.contains(SECRET_KEY), "the secret key in {event}");
        if !event.contains(" TRACE aws_sigv4::") {
            assert!(
                !event.contains(SESSION_TOKEN),
                "the session token in {event}"
            );
        }
    }
}
