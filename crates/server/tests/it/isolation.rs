//! Nothing of another tenant is visible or changeable, on every route family.

use reqwest::Method;
use serde_json::json;

use crate::harness::{mg, Backend, Server};
use crate::on_both_backends;

async fn tenants_do_not_see_each_other(backend: Backend) {
    let server = Server::start(backend).await;
    let sub = server.subscription("A-prod");
    server
        .call(Method::PUT, &mg("platform"), Some(json!({})))
        .await;
    server
        .call(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/rg1?api-version=2024-03-01"),
            Some(json!({ "location": "westeurope" })),
        )
        .await;
    // A second customer with the same group id.
    let other = server.cli(&["tenant", "create", "--display-name", "Customer B"])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sp = server.cli(&[
        "sp",
        "create",
        "--tenant",
        &other,
        "--name",
        "b-admin",
        "--global-admin",
    ]);
    // B's administrator is Owner of everything in B: still nothing of A's.
    server.cli(&[
        "role",
        "assign",
        "--tenant",
        &other,
        "--principal",
        sp["objectId"].as_str().unwrap(),
        "--role",
        "Owner",
        "--scope",
        "/",
    ]);
    let token = server
        .sign_in(
            &other,
            sp["appId"].as_str().unwrap(),
            sp["secret"].as_str().unwrap(),
        )
        .await
        .unwrap();
    let mine = server
        .call_as(
            &token,
            Method::PUT,
            &mg("platform"),
            Some(json!({ "properties": { "displayName": "B platform" } })),
        )
        .await;
    assert_eq!(
        mine.0.as_u16(),
        200,
        "the same group id in another tenant is its own"
    );
    let (_, a_group) = server.call(Method::GET, &mg("platform"), None).await;
    assert_eq!(
        a_group["properties"]["displayName"],
        json!("platform"),
        "tenant A's group is unchanged"
    );
    // Every family of route: reads and writes on A's objects fail for B.
    let probes: Vec<(Method, String)> = vec![
        (Method::GET, mg(&server.tenant)),
        (Method::PATCH, mg(&server.tenant)),
        (Method::GET, format!("/providers/Microsoft.Management/managementGroups/{}/descendants?api-version=2021-04-01", server.tenant)),
        (Method::GET, format!("/providers/Microsoft.Management/managementGroups/{}/settings/default?api-version=2021-04-01", server.tenant)),
        (Method::PUT, format!("/providers/Microsoft.Management/managementGroups/{}/settings/default?api-version=2021-04-01", server.tenant)),
        (Method::GET, format!("/providers/Microsoft.Management/managementGroups/{}/subscriptions?api-version=2021-04-01", server.tenant)),
        (Method::GET, format!("/providers/Microsoft.Management/managementGroups/{}/subscriptions/{sub}?api-version=2021-04-01", server.tenant)),
        (Method::DELETE, format!("/providers/Microsoft.Management/managementGroups/{}/subscriptions/{sub}?api-version=2021-04-01", server.tenant)),
        (Method::POST, format!("/providers/Microsoft.Management/managementGroups/{}/previewMove?api-version=2021-04-01", server.tenant)),
        (Method::GET, format!("/providers/Microsoft.Management/managementGroups/{}/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01", server.tenant)),
        (Method::DELETE, mg(&server.tenant)),
        (Method::GET, format!("/subscriptions/{sub}?api-version=2022-12-01")),
        (Method::GET, format!("/subscriptions/{sub}/resourcegroups?api-version=2024-03-01")),
        (Method::GET, format!("/subscriptions/{sub}/resourcegroups/rg1?api-version=2024-03-01")),
        (Method::PUT, format!("/subscriptions/{sub}/resourcegroups/rg2?api-version=2024-03-01")),
        (Method::DELETE, format!("/subscriptions/{sub}/resourcegroups/rg1?api-version=2024-03-01")),
        (Method::GET, format!("/subscriptions/{sub}/resources?api-version=2024-03-01")),
        (Method::PUT, format!("/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.Web/sites/s1?api-version=2024-03-01")),
        (Method::GET, format!("/subscriptions/{sub}/providers?api-version=2024-11-01")),
        (Method::POST, format!("/subscriptions/{sub}/providers/Microsoft.Management/register?api-version=2024-11-01")),
        (Method::GET, format!("/subscriptions/{sub}/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01")),
        (Method::PUT, format!("/providers/Microsoft.Management/managementGroups/platform/subscriptions/{sub}?api-version=2021-04-01")),
        (Method::GET, format!("/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.Web/sites/s1?api-version=2024-03-01")),
        (Method::DELETE, format!("/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.Web/sites/s1?api-version=2024-03-01")),
        (Method::GET, format!("/subscriptions/{sub}/providers/Microsoft.Web?api-version=2024-11-01")),
    ];
    for (method, path) in probes {
        let got = server
            .call_as(
                &token,
                method.clone(),
                &path,
                // A body every write probe accepts, so a refusal is about the tenant, not the body.
                Some(
                    json!({ "location": "westeurope", "childId": format!("/subscriptions/{sub}") }),
                ),
            )
            .await;
        assert!(
            matches!(got.0.as_u16(), 400 | 403 | 404),
            "{method} {path} answered {} {}",
            got.0,
            got.1
        );
    }
    let (_, subs) = server
        .call_as(
            &token,
            Method::GET,
            "/subscriptions?api-version=2022-12-01",
            None,
        )
        .await;
    assert_eq!(subs["value"], json!([]));
    let (_, groups) = server
        .call_as(
            &token,
            Method::GET,
            "/providers/Microsoft.Management/managementGroups?api-version=2021-04-01",
            None,
        )
        .await;
    assert!(groups["value"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["properties"]["tenantId"] == json!(other)));
    // A's resource group survived B's attempts.
    assert_eq!(
        server
            .call(
                Method::GET,
                &format!("/subscriptions/{sub}/resourcegroups/rg1?api-version=2024-03-01"),
                None
            )
            .await
            .0
            .as_u16(),
        200
    );
}
on_both_backends!(tenants_do_not_see_each_other);
