//! Bad input and bad credentials get ARM-shaped 4xx errors that say what is wrong and where.

use reqwest::Method;
use serde_json::json;

use crate::harness::{assert_arm_error, mg, Backend, Server};
use crate::on_both_backends;

async fn bad_requests_get_arm_errors(backend: Backend) {
    let server = Server::start(backend).await;
    // Authentication.
    let anonymous = server
        .client
        .get(format!("{}{}", server.url, mg("x")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert!(anonymous.headers().contains_key("x-ms-request-id"));
    assert_arm_error(
        &server
            .call_as("not-a-token", Method::GET, &mg("x"), None)
            .await,
        401,
        "InvalidAuthenticationToken",
    );
    let tampered = format!("{}x", server.token);
    assert_arm_error(
        &server.call_as(&tampered, Method::GET, &mg("x"), None).await,
        401,
        "InvalidAuthenticationToken",
    );
    let wrong = server
        .sign_in(&server.tenant, &server.app_id, "wrong-secret")
        .await
        .unwrap_err();
    assert_eq!(wrong.0.as_u16(), 401);
    assert_eq!(wrong.1["error"], json!("invalid_client"));
    // api-version.
    let missing = server
        .call(
            Method::GET,
            "/providers/Microsoft.Management/managementGroups",
            None,
        )
        .await;
    assert_arm_error(&missing, 400, "MissingApiVersionParameter");
    let invalid = server
        .call(
            Method::GET,
            "/providers/Microsoft.Management/managementGroups?api-version=1999-01-01",
            None,
        )
        .await;
    assert_arm_error(&invalid, 400, "InvalidApiVersionParameter");
    assert!(invalid.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("2021-04-01"));
    // Routes, ids and bodies.
    assert_arm_error(
        &server
            .call(Method::GET, "/no/such/route?api-version=2021-04-01", None)
            .await,
        404,
        "InvalidResourceType",
    );
    assert_arm_error(
        &server
            .call(Method::PUT, &mg("bad%2Fid"), Some(json!({})))
            .await,
        400,
        "InvalidResourceName",
    );
    assert_arm_error(
        &server
            .call(Method::PUT, &mg(&"a".repeat(91)), Some(json!({})))
            .await,
        400,
        "InvalidResourceName",
    );
    let wrong_type = server
        .call(
            Method::PUT,
            &mg("typed"),
            Some(json!({ "properties": { "displayName": 5 } })),
        )
        .await;
    assert_arm_error(&wrong_type, 400, "InvalidRequestContent");
    assert_eq!(
        wrong_type.1["error"]["target"],
        json!("properties.displayName")
    );
    let malformed = server
        .client
        .put(format!("{}{}", server.url, mg("broken")))
        .bearer_auth(&server.token)
        .header("content-type", "application/json")
        .body("{\"properties\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400);
    let body: serde_json::Value = malformed.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!("InvalidRequestContent"));
    let huge = "x".repeat(5 * 1024 * 1024);
    // A fresh connection: the server refuses the body before it has all arrived.
    let pem = std::fs::read(server.data.join("tls/cert.pem")).unwrap();
    let fresh = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let too_big = fresh
        .put(format!("{}{}", server.url, mg("big")))
        .bearer_auth(&server.token)
        .body(format!("{{\"properties\":{{\"displayName\":\"{huge}\"}}}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status().as_u16(), 413);
    // Nothing of the refused requests was written.
    for id in ["typed", "broken", "big"] {
        assert_eq!(
            server.call(Method::GET, &mg(id), None).await.0.as_u16(),
            404
        );
    }
    // Property names are case-insensitive on input.
    let upper = server
        .call(
            Method::PUT,
            &mg("Upper"),
            Some(json!({ "PROPERTIES": { "DisplayName": "Shout" } })),
        )
        .await;
    assert_eq!(upper.1["properties"]["displayName"], json!("Shout"));
    // The correlation id is echoed.
    let echoed = server
        .client
        .get(format!("{}{}", server.url, mg("Upper")))
        .bearer_auth(&server.token)
        .header("x-ms-correlation-request-id", "corr-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-ms-correlation-request-id"], "corr-123");
    // Metrics and OpenAPI.
    let metrics = server
        .client
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("leitstand_http_requests_total{operation=\"ManagementGroups_Get\""),
        "{metrics}"
    );
    let openapi: serde_json::Value = server
        .client
        .get(format!("{}/openapi.json", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        openapi["paths"]["/providers/Microsoft.Management/managementGroups/{groupId}"]["put"]
            .is_object()
    );
}
on_both_backends!(bad_requests_get_arm_errors);

async fn non_admin_tokens_are_refused(backend: Backend) {
    let server = Server::start(backend).await;
    let user = server.cli(&[
        "principal",
        "create",
        "--tenant",
        &server.tenant,
        "--type",
        "User",
        "--name",
        "reader",
    ]);
    let token = server.cli(&[
        "token",
        "issue",
        "--tenant",
        &server.tenant,
        "--principal",
        user["id"].as_str().unwrap(),
        "--ttl",
        "1h",
    ]);
    let token = token["accessToken"].as_str().unwrap();
    server
        .call(Method::PUT, &mg("platform"), Some(json!({})))
        .await;
    let refused = server
        .call_as(
            token,
            Method::PUT,
            &mg("nope"),
            Some(json!({ "properties": { "details": { "parent": { "id": "/providers/Microsoft.Management/managementGroups/platform" } } } })),
        )
        .await;
    assert_arm_error(&refused, 403, "AuthorizationFailed");
    assert!(refused.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Microsoft.Management/managementGroups/write"));
    let too_long = server.cli_raw(&[
        "token",
        "issue",
        "--tenant",
        &server.tenant,
        "--principal",
        user["id"].as_str().unwrap(),
        "--ttl",
        "25h",
    ]);
    assert!(!too_long.status.success());
    let export = server.cli_raw(&["audit", "export", "--tenant", &server.tenant]);
    assert!(
        String::from_utf8_lossy(&export.stdout).contains("AuthorizationFailed"),
        "refusals are logged"
    );
}
on_both_backends!(non_admin_tokens_are_refused);

async fn expired_tokens_are_refused(backend: Backend) {
    let server = Server::start(backend).await;
    let user = server.cli(&[
        "principal",
        "create",
        "--tenant",
        &server.tenant,
        "--type",
        "User",
        "--name",
        "brief",
        "--global-admin",
    ]);
    let token = server.cli(&[
        "token",
        "issue",
        "--tenant",
        &server.tenant,
        "--principal",
        user["id"].as_str().unwrap(),
        "--ttl",
        "1s",
    ]);
    let token = token["accessToken"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_arm_error(
        &server.call_as(&token, Method::GET, &mg("x"), None).await,
        401,
        "ExpiredAuthenticationToken",
    );
}
on_both_backends!(expired_tokens_are_refused);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly() {
    let mut server = Server::start(Backend::Sqlite).await;
    let created = server.call(Method::PUT, &mg("kept"), Some(json!({}))).await;
    assert_eq!(created.0.as_u16(), 200);
    let status = server.terminate();
    assert!(
        status.success(),
        "the server exited with {status} after SIGTERM"
    );
    server.restart().await;
    assert_eq!(
        server.call(Method::GET, &mg("kept"), None).await.0.as_u16(),
        200
    );
}
