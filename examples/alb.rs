//! A service behind an Application Load Balancer with Cognito
//! authentication: the `AlbLayer` verifies the `x-amzn-oidc-data` the ALB
//! forwards. `cargo run --example alb --features alb,testing,axum` starts a
//! mock ALB key endpoint and the service on loopback, sends it a request
//! as the ALB would (and one the ALB did not sign), prints the answers,
//! and prints a curl command to try more.

use axum::Router;
use axum::routing::get;
use cognito_auth::alb::{AlbIdentity, AlbVerifier};
use cognito_auth::testing::MockAlb;
use cognito_auth::tower::AlbLayer;

async fn me(identity: AlbIdentity) -> String {
    let claims = identity.user.claims().claims();
    format!(
        "hello {} (sub {}), signed by {}\n",
        claims["email"].as_str().unwrap_or("?"),
        claims["sub"].as_str().unwrap_or("?"),
        identity.user.signer()
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let alb = MockAlb::start().await?;
    let verifier = AlbVerifier::builder()
        .alb_arn(alb.arn())
        .keys_url(alb.keys_url())
        .issuer(alb.issuer())
        .client_id(alb.client_id())
        .build()?;
    let app = Router::new()
        .route("/me", get(me))
        .route_layer(AlbLayer::new(verifier));
    let port = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(3002);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let token = alb.token().claim("email", "alice@example.com").sign()?;
    let forged = alb
        .token()
        .header(
            "signer",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/evil/1",
        )
        .sign()?;
    let http = reqwest::Client::new();
    for (what, value) in [
        ("as the ALB sends it", Some(&token)),
        ("another ALB's", Some(&forged)),
        ("no header", None),
    ] {
        let mut request = http.get(format!("{base}/me"));
        if let Some(value) = value {
            request = request.header("x-amzn-oidc-data", value);
        }
        let response = request.send().await?;
        println!(
            "{what:<22} {} {}",
            response.status(),
            response.text().await?.trim()
        );
    }
    println!();
    println!("export ALB_DATA='{token}'");
    println!("curl -i -H \"x-amzn-oidc-data: $ALB_DATA\" {base}/me");
    if std::env::var("ALB_SERVE").is_ok() {
        println!("serving until interrupted (ALB_SERVE is set)");
        tokio::signal::ctrl_c().await?;
    }
    Ok(())
}
