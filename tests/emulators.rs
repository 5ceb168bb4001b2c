//! End to end against the two Cognito emulators on loopback: the crate's
//! own client signs in, refreshes, revokes and signs out; the crate's own
//! verifier checks what the emulators issue against their served JWKS.
//!
//! `scripts/test.sh` (the README's test command, also run by `.ci/run`)
//! starts the emulators and sets `COGNITO_AUTH_MOTO_URL` and
//! `COGNITO_AUTH_COGNITO_LOCAL_URL`. Without them the tests are skipped,
//! except under `CI=true` (which `scripts/test.sh` sets), where a missing
//! emulator is a failure.

mod cli_run;
mod emulator_env;

use std::collections::BTreeMap;
use std::time::Duration;

use cognito_auth::client::{
    AppClient, AuthOutcome, ChallengeName, CognitoClient, RetryPolicy, Secret, Tokens,
};
use cognito_auth::{CognitoPool, TokenUse, Verifier};
use serde_json::{Value, json};

const PASSWORD: &str = "Correct#Horse7";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Emulator {
    Moto,
    CognitoLocal,
}

impl Emulator {
    fn variable(self) -> &'static str {
        match self {
            Emulator::Moto => "COGNITO_AUTH_MOTO_URL",
            Emulator::CognitoLocal => "COGNITO_AUTH_COGNITO_LOCAL_URL",
        }
    }

    /// The emulator's URL, or `None` (skip) when it is not set up outside CI.
    fn url(self) -> Option<String> {
        emulator_env::url(self.variable())
    }
}

/// A user pool seeded through the emulator's admin API.
struct Fixture {
    emulator: Emulator,
    url: String,
    cognito: CognitoClient,
    pool_id: String,
    public_client: String,
    secret_client: (String, String),
}

use emulator_env::unique;

impl Fixture {
    async fn seed(emulator: Emulator) -> Option<Fixture> {
        Self::seed_with(emulator, json!({})).await
    }

    /// A pool, a public client, a client with a secret and an `admin`
    /// group; `client_options` go into both CreateUserPoolClient calls.
    async fn seed_with(emulator: Emulator, client_options: Value) -> Option<Fixture> {
        let url = emulator.url()?;
        let cognito = CognitoClient::builder()
            .endpoint(&url)
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let pool: Value = cognito
            .call("CreateUserPool", &json!({"PoolName": unique("pool")}))
            .await
            .unwrap();
        let pool_id = pool["UserPool"]["Id"].as_str().unwrap().to_owned();
        let mut client_request = json!({
            "UserPoolId": pool_id,
            "ClientName": "public",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
        });
        for (key, value) in client_options.as_object().unwrap() {
            client_request[key] = value.clone();
        }
        let public: Value = cognito
            .call("CreateUserPoolClient", &client_request)
            .await
            .unwrap();
        client_request["ClientName"] = json!("confidential");
        client_request["GenerateSecret"] = json!(true);
        let confidential: Value = cognito
            .call("CreateUserPoolClient", &client_request)
            .await
            .unwrap();
        let _: Value = cognito
            .call(
                "CreateGroup",
                &json!({"UserPoolId": pool_id, "GroupName": "admin"}),
            )
            .await
            .unwrap();
        Some(Fixture {
            emulator,
            url,
            cognito,
            pool_id,
            public_client: public["UserPoolClient"]["ClientId"]
                .as_str()
                .unwrap()
                .to_owned(),
            secret_client: (
                confidential["UserPoolClient"]["ClientId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                confidential["UserPoolClient"]["ClientSecret"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
        })
    }

    /// A user with a permanent password, in the `admin` group.
    async fn user(&self, prefix: &str) -> String {
        let username = self
            .user_with_temporary_password(prefix, "Temp#Pass99")
            .await;
        let _: Value = self
            .cognito
            .call(
                "AdminSetUserPassword",
                &json!({"UserPoolId": self.pool_id, "Username": username, "Password": PASSWORD, "Permanent": true}),
            )
            .await
            .unwrap();
        let _: Value = self
            .cognito
            .call(
                "AdminAddUserToGroup",
                &json!({"UserPoolId": self.pool_id, "Username": username, "GroupName": "admin"}),
            )
            .await
            .unwrap();
        username
    }

    /// A user who must choose a new password at first sign-in.
    /// A new user signed in with the password through the public client.
    async fn signed_in_user(&self, prefix: &str) -> (String, AppClient, Tokens) {
        let username = self.user(prefix).await;
        let app = self.cognito.app_client(&self.public_client);
        let signed_in = tokens(
            app.sign_in(&username, &Secret::new(PASSWORD))
                .await
                .unwrap(),
        );
        (username, app, signed_in)
    }

    async fn user_with_temporary_password(&self, prefix: &str, temporary: &str) -> String {
        let username = unique(prefix);
        let _: Value = self
            .cognito
            .call(
                "AdminCreateUser",
                &json!({
                    "UserPoolId": self.pool_id,
                    "Username": username,
                    "TemporaryPassword": temporary,
                    "MessageAction": "SUPPRESS",
                }),
            )
            .await
            .unwrap();
        username
    }

    /// The pool as a verifier sees it.
    fn pool(&self) -> CognitoPool {
        match self.emulator {
            // moto keeps the AWS issuer but serves keys itself.
            Emulator::Moto => CognitoPool::new(&self.pool_id).jwks_uri(format!(
                "{}/{}/.well-known/jwks.json",
                self.url, self.pool_id
            )),
            // cognito-local issues with its own URL; keys are derived from it.
            Emulator::CognitoLocal => {
                CognitoPool::from_issuer(format!("{}/{}", self.url, self.pool_id))
            }
        }
    }

    fn verifier(&self, token_use: TokenUse) -> Verifier {
        Verifier::builder()
            .cognito(
                self.pool()
                    .token_use(token_use)
                    .client_ids([self.public_client.clone(), self.secret_client.0.clone()]),
            )
            .build()
            .unwrap()
    }

    async fn check_tokens(&self, tokens: &Tokens, username: &str) {
        let access = self
            .verifier(TokenUse::Access)
            .verify_access(tokens.access_token.expose())
            .await
            .unwrap_or_else(|err| panic!("{:?} access token: {err}", self.emulator));
        assert_eq!(access.username.as_deref(), Some(username));
        let id = self
            .verifier(TokenUse::Id)
            .verify_id(tokens.id_token.as_ref().unwrap().expose())
            .await
            .unwrap_or_else(|err| panic!("{:?} ID token: {err}", self.emulator));
        assert_eq!(id.username.as_deref(), Some(username));
        assert_eq!(id.sub, access.sub);
    }
}

fn tokens(outcome: AuthOutcome) -> Tokens {
    match outcome {
        AuthOutcome::Tokens(tokens) => tokens,
        other => panic!("expected tokens, got {other:?}"),
    }
}

fn service_name(err: &cognito_auth::Error) -> &str {
    err.service_error()
        .unwrap_or_else(|| panic!("not a service error: {err}"))
        .name()
}

#[tokio::test]
async fn password_sign_in_with_public_and_secret_clients() {
    for emulator in [Emulator::Moto, Emulator::CognitoLocal] {
        let Some(fixture) = Fixture::seed(emulator).await else {
            continue;
        };
        let (username, public, signed_in) = fixture.signed_in_user("alice").await;
        assert!(signed_in.refresh_token.is_some());
        fixture.check_tokens(&signed_in, &username).await;
        if emulator == Emulator::Moto {
            // moto puts the group in the token; the verifier reads it.
            let access = fixture
                .verifier(TokenUse::Access)
                .verify_access(signed_in.access_token.expose())
                .await
                .unwrap();
            assert!(access.in_group("admin"), "{:?}", access.groups);
            assert_eq!(signed_in.expires_in, Some(3600));
        }

        let (client_id, secret) = &fixture.secret_client;
        let confidential = fixture
            .cognito
            .app_client(client_id)
            .with_secret(secret.as_str());
        let signed_in = tokens(
            confidential
                .sign_in(&username, &Secret::new(PASSWORD))
                .await
                .unwrap(),
        );
        fixture.check_tokens(&signed_in, &username).await;

        let wrong = public
            .sign_in(&username, &Secret::new("Wrong#Password1"))
            .await
            .unwrap_err();
        // Cognito and moto say NotAuthorizedException; cognito-local says
        // InvalidPasswordException.
        let expected = match emulator {
            Emulator::Moto => "NotAuthorizedException",
            Emulator::CognitoLocal => "InvalidPasswordException",
        };
        assert_eq!(service_name(&wrong), expected, "{emulator:?}");
        assert!(!format!("{wrong} {wrong:?}").contains("Wrong#Password1"));
    }
}

#[tokio::test]
async fn new_password_required_challenge() {
    for emulator in [Emulator::Moto, Emulator::CognitoLocal] {
        let Some(fixture) = Fixture::seed(emulator).await else {
            continue;
        };
        let username = fixture
            .user_with_temporary_password("newbie", "Temp#Pass99")
            .await;
        let app = fixture.cognito.app_client(&fixture.public_client);
        let outcome = app
            .sign_in(&username, &Secret::new("Temp#Pass99"))
            .await
            .unwrap();
        let AuthOutcome::Challenge(challenge) = outcome else {
            panic!("{emulator:?}: expected a challenge, got {outcome:?}");
        };
        assert_eq!(challenge.name, ChallengeName::NewPasswordRequired);
        assert!(challenge.session.is_some());
        let signed_in = tokens(
            app.respond_new_password(&challenge, &Secret::new(PASSWORD))
                .await
                .unwrap(),
        );
        fixture.check_tokens(&signed_in, &username).await;
        // The new password works from now on.
        tokens(
            app.sign_in(&username, &Secret::new(PASSWORD))
                .await
                .unwrap(),
        );
    }
}

#[tokio::test]
async fn refresh_with_secret_hash_checked_by_moto() {
    let Some(fixture) = Fixture::seed(Emulator::Moto).await else {
        return;
    };
    let username = fixture.user("carol").await;
    let (client_id, secret) = &fixture.secret_client;
    let app = fixture
        .cognito
        .app_client(client_id)
        .with_secret(secret.as_str());
    let signed_in = tokens(
        app.sign_in(&username, &Secret::new(PASSWORD))
            .await
            .unwrap(),
    );
    let refresh_token = signed_in.refresh_token.unwrap();
    let refreshed = tokens(app.refresh(&refresh_token, Some(&username)).await.unwrap());
    fixture.check_tokens(&refreshed, &username).await;
    // A SECRET_HASH computed for another user name is refused.
    let wrong = app
        .refresh(&refresh_token, Some("somebody-else"))
        .await
        .unwrap_err();
    assert_eq!(service_name(&wrong), "NotAuthorizedException");
    // Without the user name the hash cannot be computed at all.
    assert_eq!(
        app.refresh(&refresh_token, None).await.unwrap_err().kind(),
        "config"
    );
}

#[tokio::test]
async fn revoke_then_refresh_is_refused_by_cognito_local() {
    let Some(fixture) = Fixture::seed(Emulator::CognitoLocal).await else {
        return;
    };
    let (_, app, signed_in) = fixture.signed_in_user("dave").await;
    let refresh_token = signed_in.refresh_token.unwrap();
    tokens(app.refresh(&refresh_token, None).await.unwrap());
    app.revoke(&refresh_token).await.unwrap();
    let refused = app.refresh(&refresh_token, None).await.unwrap_err();
    assert_eq!(service_name(&refused), "NotAuthorizedException");
    // Revocation is invisible to local verification: the access token
    // issued before still verifies until it expires.
    fixture
        .verifier(TokenUse::Access)
        .verify(signed_in.access_token.expose())
        .await
        .unwrap();
}

#[tokio::test]
async fn global_sign_out_then_get_user_is_refused_by_moto() {
    let Some(fixture) = Fixture::seed(Emulator::Moto).await else {
        return;
    };
    let (username, _, signed_in) = fixture.signed_in_user("erin").await;
    let user = fixture
        .cognito
        .get_user(&signed_in.access_token)
        .await
        .unwrap();
    assert_eq!(user.username, username);
    assert!(user.attributes.contains_key("sub"));
    fixture
        .cognito
        .global_sign_out(&signed_in.access_token)
        .await
        .unwrap();
    let refused = fixture
        .cognito
        .get_user(&signed_in.access_token)
        .await
        .unwrap_err();
    assert_eq!(service_name(&refused), "NotAuthorizedException");
}

/// The client feeds the revocation list: a revoked session (cognito-local
/// implements RevokeToken) and a global sign-out (moto implements it) stop
/// verifying locally at once, on every verifier sharing the list.
#[tokio::test]
async fn revocations_through_the_client_reach_the_verifier() {
    use cognito_auth::revocation::RevocationList;
    let list = RevocationList::in_memory().unwrap();
    let with_list = |fixture: &Fixture| {
        CognitoClient::builder()
            .endpoint(&fixture.url)
            .revocation_list(list.clone())
            .build()
            .unwrap()
    };
    let verifier = |fixture: &Fixture| {
        Verifier::builder()
            .cognito(
                fixture
                    .pool()
                    .any_token_use()
                    .client_id(&fixture.public_client),
            )
            .revocation_list(list.clone())
            .build()
            .unwrap()
    };

    let Some(local) = Fixture::seed(Emulator::CognitoLocal).await else {
        return;
    };
    let (_, _, signed_in) = local.signed_in_user("frank").await;
    let local_verifier = verifier(&local);
    let access = signed_in.access_token.clone();
    local_verifier.verify(access.expose()).await.unwrap();
    with_list(&local)
        .app_client(&local.public_client)
        .revoke_session(signed_in.refresh_token.as_ref().unwrap(), &access)
        .await
        .unwrap();
    let refused = local_verifier.verify(access.expose()).await.unwrap_err();
    assert_eq!(refused.kind(), "revoked");

    let Some(moto) = Fixture::seed(Emulator::Moto).await else {
        return;
    };
    let (_, _, signed_in) = moto.signed_in_user("grace").await;
    let moto_verifier = verifier(&moto);
    for token in [
        &signed_in.access_token,
        signed_in.id_token.as_ref().unwrap(),
    ] {
        moto_verifier.verify(token.expose()).await.unwrap();
    }
    with_list(&moto)
        .global_sign_out(&signed_in.access_token)
        .await
        .unwrap();
    for token in [
        &signed_in.access_token,
        signed_in.id_token.as_ref().unwrap(),
    ] {
        let refused = moto_verifier.verify(token.expose()).await.unwrap_err();
        assert_eq!(refused.kind(), "revoked", "every older token of the user");
    }
}

#[tokio::test]
async fn srp_sign_in_against_moto() {
    let Some(fixture) = Fixture::seed(Emulator::Moto).await else {
        return;
    };
    let username = fixture.user("frank").await;
    let app = fixture.cognito.app_client(&fixture.public_client);
    let signed_in = tokens(
        app.sign_in_srp(&fixture.pool_id, &username, &Secret::new(PASSWORD))
            .await
            .unwrap(),
    );
    fixture.check_tokens(&signed_in, &username).await;
    let (client_id, secret) = &fixture.secret_client;
    let confidential = fixture
        .cognito
        .app_client(client_id)
        .with_secret(secret.as_str());
    let signed_in = tokens(
        confidential
            .sign_in_srp(&fixture.pool_id, &username, &Secret::new(PASSWORD))
            .await
            .unwrap(),
    );
    fixture.check_tokens(&signed_in, &username).await;
}

#[tokio::test]
async fn an_expired_token_from_a_two_second_client() {
    let Some(fixture) = Fixture::seed_with(
        Emulator::CognitoLocal,
        json!({
            "AccessTokenValidity": 2,
            "IdTokenValidity": 2,
            "TokenValidityUnits": {"AccessToken": "seconds", "IdToken": "seconds"},
        }),
    )
    .await
    else {
        return;
    };
    let (_, _, signed_in) = fixture.signed_in_user("gina").await;
    let verifier = fixture.verifier(TokenUse::Access);
    verifier
        .verify(signed_in.access_token.expose())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let err = verifier
        .verify(signed_in.access_token.expose())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "expired");
}

#[tokio::test]
async fn an_html_500_is_an_error_not_a_panic() {
    let Some(fixture) = Fixture::seed(Emulator::Moto).await else {
        return;
    };
    // moto does not implement RevokeToken: it answers with an HTML 500.
    let err = fixture
        .cognito
        .app_client(&fixture.public_client)
        .revoke(&Secret::new("whatever"))
        .await
        .unwrap_err();
    let service = err.service_error().unwrap();
    assert_eq!(service.name(), "UnexpectedResponse");
    assert_eq!(service.status(), 500);
    assert!(
        service.message().contains("text/html"),
        "{}",
        service.message()
    );
}

// ---- the CLI against the emulators ----------------------------------------

async fn cli(args: &[&str], stdin: Option<&str>) -> (i32, Value, String) {
    let run = cli_run::run(args, stdin).await;
    (run.code, run.json_or_null(), run.stderr)
}

#[tokio::test]
async fn cli_login_refresh_and_revoke() {
    for emulator in [Emulator::Moto, Emulator::CognitoLocal] {
        let Some(fixture) = Fixture::seed(emulator).await else {
            continue;
        };
        let username = fixture.user("cli").await;
        let endpoint = fixture.url.as_str();
        let (code, out, stderr) = cli(
            &[
                "login",
                "--client-id",
                &fixture.public_client,
                "--username",
                &username,
                "--password-stdin",
                "--endpoint",
                endpoint,
            ],
            Some(&format!("{PASSWORD}\n")),
        )
        .await;
        assert_eq!(code, 0, "{emulator:?}: {stderr}");
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "access_token",
                "expires_in",
                "id_token",
                "refresh_token",
                "token_type"
            ]
        );
        fixture
            .verifier(TokenUse::Access)
            .verify(out["access_token"].as_str().unwrap())
            .await
            .unwrap();
        let refresh_token = out["refresh_token"].as_str().unwrap().to_owned();

        let (code, out, stderr) = cli(
            &[
                "refresh",
                "--client-id",
                &fixture.public_client,
                "--refresh-token",
                &refresh_token,
                "--endpoint",
                endpoint,
            ],
            None,
        )
        .await;
        assert_eq!(code, 0, "{emulator:?}: {stderr}");
        assert!(out["access_token"].is_string());
        assert!(
            out.get("refresh_token").is_some(),
            "absent fields are null, not missing"
        );

        let (client_id, secret) = &fixture.secret_client;
        let (code, out, stderr) = cli(
            &[
                "login",
                "--client-id",
                client_id,
                "--client-secret",
                secret,
                "--username",
                &username,
                "--password",
                PASSWORD,
                "--srp",
                "--user-pool-id",
                &fixture.pool_id,
                "--endpoint",
                endpoint,
            ],
            None,
        )
        .await;
        if emulator == Emulator::Moto {
            assert_eq!(code, 0, "{emulator:?}: {stderr}");
            assert!(out["access_token"].is_string());
        }

        let (code, out, _) = cli(
            &[
                "login",
                "--client-id",
                &fixture.public_client,
                "--username",
                &username,
                "--password",
                "Wrong#Password1",
                "--endpoint",
                endpoint,
            ],
            None,
        )
        .await;
        assert_eq!(code, 1);
        let expected = match emulator {
            Emulator::Moto => "NotAuthorizedException",
            Emulator::CognitoLocal => "InvalidPasswordException",
        };
        assert_eq!(out["error"]["kind"], expected);
        assert!(out["error"]["message"].is_string());

        if emulator == Emulator::CognitoLocal {
            let (code, out, stderr) = cli(
                &[
                    "revoke",
                    "--client-id",
                    &fixture.public_client,
                    "--refresh-token",
                    &refresh_token,
                    "--endpoint",
                    endpoint,
                ],
                None,
            )
            .await;
            assert_eq!((code, out), (0, json!({"revoked": true})), "{stderr}");
            let (code, out, _) = cli(
                &[
                    "refresh",
                    "--client-id",
                    &fixture.public_client,
                    "--refresh-token",
                    &refresh_token,
                    "--endpoint",
                    endpoint,
                ],
                None,
            )
            .await;
            assert_eq!(code, 1);
            assert_eq!(out["error"]["kind"], "NotAuthorizedException");
        }
    }
}

#[tokio::test]
async fn cli_new_password_challenge_output() {
    let Some(fixture) = Fixture::seed(Emulator::Moto).await else {
        return;
    };
    let username = fixture
        .user_with_temporary_password("cli-new", "Temp#Pass99")
        .await;
    let (code, out, stderr) = cli(
        &[
            "login",
            "--client-id",
            &fixture.public_client,
            "--username",
            &username,
            "--password",
            "Temp#Pass99",
            "--endpoint",
            &fixture.url,
        ],
        None,
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(out["challenge"], "NEW_PASSWORD_REQUIRED");
    assert!(out["session"].is_string());
    let parameters: BTreeMap<String, Value> =
        serde_json::from_value(out["parameters"].clone()).unwrap();
    // moto names the user in USERNAME (Cognito also sends USER_ID_FOR_SRP).
    assert!(
        parameters.contains_key("USERNAME") || parameters.contains_key("USER_ID_FOR_SRP"),
        "{parameters:?}"
    );
}
