//! The operator's view of the activity log: `audit verify` names the first bad event and
//! exits non-zero; signing keys rotate without breaking sign-in; AWS accounts join the same
//! hierarchy as Azure subscriptions.

use reqwest::Method;
use serde_json::json;
use sqlx::Connection;

use crate::harness::{mg, Backend, Server};
use crate::on_both_backends;

async fn audit_verify_names_the_first_bad_event(backend: Backend) {
    let server = Server::start(backend).await;
    for n in 0..5 {
        assert_eq!(
            server
                .call(Method::PUT, &mg(&format!("a{n}")), Some(json!({})))
                .await
                .0
                .as_u16(),
            200
        );
    }
    let ok = server.cli_raw(&["audit", "verify", "--tenant", &server.tenant]);
    assert!(ok.status.success());
    let url = server
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", server.data.join("leitstand.db").display()));
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    // Alter the fourth event's content as an attacker with database access would.
    let altered = sqlx::query("UPDATE events SET content = REPLACE(content, '\"Succeeded\"', '\"Failed\"') WHERE tenant_id = $1 AND seq = 4")
        .bind(&server.tenant)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(altered.rows_affected(), 1);
    let bad = server.cli_raw(&["audit", "verify", "--tenant", &server.tenant]);
    assert!(
        !bad.status.success(),
        "verify must fail on an altered event"
    );
    let report: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(report[0]["firstBadEvent"], json!(4), "{report}");
    assert!(report[0]["problem"].as_str().unwrap().contains("event 4"));
}
on_both_backends!(audit_verify_names_the_first_bad_event);

async fn rotated_keys_are_in_force_at_once(backend: Backend) {
    let server = Server::start(backend).await;
    let old_token = server.token.clone();
    let rotated = server.cli(&["key", "rotate", "--purpose", "token"]);
    let kid = rotated["kid"].as_str().unwrap().to_owned();
    // The running server signs new tokens with the new key; old tokens still verify.
    let new_token = server
        .sign_in(&server.tenant, &server.app_id, &server.secret)
        .await
        .unwrap();
    let header: serde_json::Value = {
        use base64::Engine;
        let part = new_token.split('.').next().unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(header["kid"], json!(kid));
    assert_eq!(
        server
            .call_as(&new_token, Method::GET, &mg(&server.tenant), None)
            .await
            .0
            .as_u16(),
        200
    );
    assert_eq!(
        server
            .call_as(&old_token, Method::GET, &mg(&server.tenant), None)
            .await
            .0
            .as_u16(),
        200
    );
    // A reset secret replaces the old one at once.
    let reset = server.cli(&[
        "sp",
        "credential",
        "reset",
        "--tenant",
        &server.tenant,
        "--app-id",
        &server.app_id,
    ]);
    assert!(server
        .sign_in(&server.tenant, &server.app_id, &server.secret)
        .await
        .is_err());
    assert!(server
        .sign_in(
            &server.tenant,
            &server.app_id,
            reset["secret"].as_str().unwrap()
        )
        .await
        .is_ok());
}
on_both_backends!(rotated_keys_are_in_force_at_once);

async fn aws_accounts_and_azure_subscriptions_share_one_hierarchy(backend: Backend) {
    let server = Server::start(backend).await;
    assert_eq!(
        server
            .call(
                Method::PUT,
                &mg("aws-workloads"),
                Some(json!({ "properties": { "displayName": "AWS OU Workloads" } }))
            )
            .await
            .0
            .as_u16(),
        200
    );
    let account = server.cli(&[
        "subscription",
        "create",
        "--tenant",
        &server.tenant,
        "--display-name",
        "prod-account",
        "--id",
        "123456789012",
        "--kind",
        "aws",
        "--management-group",
        "aws-workloads",
    ]);
    assert_eq!(account["kind"], json!("aws"));
    let existing = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
    server.cli(&[
        "subscription",
        "create",
        "--tenant",
        &server.tenant,
        "--display-name",
        "onboarded",
        "--id",
        existing,
    ]);
    let twice = server.cli_raw(&[
        "subscription",
        "create",
        "--tenant",
        &server.tenant,
        "--display-name",
        "again",
        "--id",
        existing,
    ]);
    assert!(
        !twice.status.success(),
        "a subscription id is registered once"
    );
    let wrong = server.cli_raw(&[
        "subscription",
        "create",
        "--tenant",
        &server.tenant,
        "--display-name",
        "x",
        "--id",
        "12345",
        "--kind",
        "aws",
    ]);
    assert!(!wrong.status.success());
    let (_, ou) = server
        .call(
            Method::GET,
            &format!("{}&$expand=children", mg("aws-workloads")),
            None,
        )
        .await;
    assert_eq!(
        ou["properties"]["children"][0]["name"],
        json!("123456789012")
    );
    let (_, subs) = server
        .call(Method::GET, "/subscriptions?api-version=2022-12-01", None)
        .await;
    let ids: Vec<&str> = subs["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"123456789012") && ids.contains(&existing),
        "{ids:?}"
    );
    let rg = server
        .call(
            Method::PUT,
            "/subscriptions/123456789012/resourcegroups/vpc-main?api-version=2024-03-01",
            Some(json!({ "location": "eu-central-1" })),
        )
        .await;
    assert_eq!(rg.0.as_u16(), 201, "{}", rg.1);
}
on_both_backends!(aws_accounts_and_azure_subscriptions_share_one_hierarchy);
