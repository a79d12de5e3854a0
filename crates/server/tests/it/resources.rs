//! Resource groups and generic resources: create, read, update, filter, delete.

use reqwest::Method;
use serde_json::json;

use crate::harness::{assert_arm_error, Backend, Server};
use crate::on_both_backends;

async fn resource_groups_and_resources(backend: Backend) {
    let server = Server::start(backend).await;
    let sub = server.subscription("Apps");
    let rg = format!("/subscriptions/{sub}/resourcegroups/Web-RG?api-version=2024-03-01");
    let created = server
        .call(
            Method::PUT,
            &rg,
            Some(json!({ "location": "westeurope", "tags": { "env": "prod" } })),
        )
        .await;
    assert_eq!(created.0.as_u16(), 201, "{}", created.1);
    assert_eq!(
        created.1["id"],
        json!(format!("/subscriptions/{sub}/resourceGroups/Web-RG"))
    );
    assert_eq!(
        server
            .call(Method::PUT, &rg, Some(json!({ "location": "westeurope" })))
            .await
            .0
            .as_u16(),
        200
    );
    assert_arm_error(
        &server
            .call(Method::PUT, &rg, Some(json!({ "location": "eastus" })))
            .await,
        400,
        "InvalidRequestContent",
    );
    let no_location = server
        .call(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/x?api-version=2024-03-01"),
            Some(json!({})),
        )
        .await;
    assert_arm_error(&no_location, 400, "InvalidRequestContent");
    assert_eq!(no_location.1["error"]["target"], json!("location"));
    let site = format!("/subscriptions/{sub}/resourceGroups/web-rg/providers/Microsoft.Web/sites/shop?api-version=2024-03-01");
    let body = json!({ "location": "westeurope", "kind": "app", "tags": { "costCenter": "42" }, "properties": { "httpsOnly": true } });
    let put = server.call(Method::PUT, &site, Some(body)).await;
    assert_eq!(put.0.as_u16(), 201, "{}", put.1);
    assert_eq!(put.1["type"], json!("Microsoft.Web/sites"));
    assert_eq!(put.1["properties"]["httpsOnly"], json!(true));
    // A child resource needs its parent.
    let slot = format!("/subscriptions/{sub}/resourceGroups/web-rg/providers/Microsoft.Web/sites/shop/slots/staging?api-version=2024-03-01");
    assert_eq!(
        server
            .call(
                Method::PUT,
                &slot,
                Some(json!({ "location": "westeurope" }))
            )
            .await
            .0
            .as_u16(),
        201
    );
    let orphan = format!("/subscriptions/{sub}/resourceGroups/web-rg/providers/Microsoft.Web/sites/none/slots/x?api-version=2024-03-01");
    assert_arm_error(
        &server.call(Method::PUT, &orphan, Some(json!({}))).await,
        404,
        "ResourceNotFound",
    );
    // Reads are case-insensitive and return the canonical id.
    let upper = site
        .replace("shop", "SHOP")
        .replace("resourceGroups/web-rg", "RESOURCEGROUPS/WEB-RG");
    let (status, got) = server.call(Method::GET, &upper, None).await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(
        got["id"],
        json!(format!(
            "/subscriptions/{sub}/resourceGroups/web-rg/providers/Microsoft.Web/sites/shop"
        ))
    );
    // Filters.
    let (_, tagged) = server
        .call(Method::GET, &format!("/subscriptions/{sub}/resources?api-version=2024-03-01&$filter=tagName eq 'costCenter' and tagValue eq '42'"), None)
        .await;
    assert_eq!(tagged["value"].as_array().unwrap().len(), 1);
    let (_, typed) = server
        .call(Method::GET, &format!("/subscriptions/{sub}/resourcegroups/web-rg/resources?api-version=2024-03-01&$filter=resourceType eq 'Microsoft.Web/sites/slots'"), None)
        .await;
    assert_eq!(typed["value"].as_array().unwrap().len(), 1);
    // PATCH merges.
    let patched = server
        .call(
            Method::PATCH,
            &site,
            Some(json!({ "tags": { "costCenter": "43" } })),
        )
        .await;
    assert_eq!(patched.1["tags"]["costCenter"], json!("43"));
    assert_eq!(patched.1["kind"], json!("app"));
    // Deleting the group deletes its resources.
    assert_eq!(server.call(Method::DELETE, &rg, None).await.0.as_u16(), 200);
    assert_arm_error(
        &server.call(Method::GET, &site, None).await,
        404,
        "ResourceGroupNotFound",
    );
    let (status, _) = server.call(Method::HEAD, &rg, None).await;
    assert_eq!(status.as_u16(), 404);
}
on_both_backends!(resource_groups_and_resources);
