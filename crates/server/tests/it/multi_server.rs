//! Several server processes on one PostgreSQL database are one system: what one
//! acknowledges, the other reads at once, and the CLI's writes are in force for both.

use reqwest::Method;
use serde_json::json;

use crate::harness::{mg, postgres_admin_url, Backend, Server, READER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_agree_at_once() {
    if postgres_admin_url().is_none() {
        return;
    }
    let a = Server::start(Backend::Postgres).await;
    let b = a.start_peer().await;
    for round in 0..20 {
        let id = format!("g{round}");
        let parent = if round % 5 == 0 {
            a.tenant.clone()
        } else {
            format!("g{}", round - 1)
        };
        let (writer, reader) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let body = json!({ "properties": { "displayName": format!("round {round}"), "details": { "parent": { "id": parent } } } });
        let put = writer.call(Method::PUT, &mg(&id), Some(body)).await;
        assert_eq!(put.0.as_u16(), 200, "{}", put.1);
        let (status, got) = reader.call(Method::GET, &mg(&id), None).await;
        assert_eq!(
            status.as_u16(),
            200,
            "round {round}: the other server does not see the write yet"
        );
        assert_eq!(
            got["properties"]["displayName"],
            json!(format!("round {round}"))
        );
    }
    // A rename on one server is what the other's expand shows.
    a.call(
        Method::PATCH,
        &mg("g0"),
        Some(json!({ "displayName": "renamed" })),
    )
    .await;
    let (_, root) = b
        .call(
            Method::GET,
            &format!("{}&$expand=children", mg(&a.tenant)),
            None,
        )
        .await;
    assert!(root["properties"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["displayName"] == "renamed"));
    // A principal the CLI creates can sign in on either server at once.
    let sp = a.cli(&[
        "sp",
        "create",
        "--tenant",
        &a.tenant,
        "--name",
        "late",
        "--global-admin",
    ]);
    let mut tokens = Vec::new();
    for server in [&a, &b] {
        let token = server
            .sign_in(
                &a.tenant,
                sp["appId"].as_str().unwrap(),
                sp["secret"].as_str().unwrap(),
            )
            .await
            .unwrap();
        // Nobody has access by default, global administrators included.
        assert_eq!(
            server
                .call_as(&token, Method::GET, &mg("g0"), None)
                .await
                .0
                .as_u16(),
            403
        );
        tokens.push(token);
    }
    // A grant through one server is in force on the other for its next request.
    let granted = a
        .call(
            Method::PUT,
            &format!(
                "{}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
                mg("g0").split('?').next().unwrap(),
                uuid::Uuid::new_v4()
            ),
            Some(json!({ "properties": {
                "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{READER}"),
                "principalId": sp["objectId"],
            }})),
        )
        .await;
    assert_eq!(granted.0.as_u16(), 201, "{granted:?}");
    for (server, token) in [&b, &a].into_iter().zip(tokens.iter().rev()) {
        let token = token.clone();
        assert_eq!(
            server
                .call_as(&token, Method::GET, &mg("g0"), None)
                .await
                .0
                .as_u16(),
            200
        );
    }
    let verify = a.cli(&["audit", "verify", "--tenant", &a.tenant]);
    assert_eq!(verify[0]["ok"], json!(true), "{verify}");
}
