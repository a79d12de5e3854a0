//! The management-group hierarchy as Azure documents it: depth, single parent, no cycles,
//! the immovable root, delete rules, subscriptions, settings, the move preview, and the
//! activity log with its verification.

use reqwest::Method;
use serde_json::json;

use crate::harness::{assert_arm_error, mg, Backend, Server};
use crate::on_both_backends;

async fn put_group(
    server: &Server,
    id: &str,
    parent: Option<&str>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut body = json!({ "properties": { "displayName": format!("Group {id}") } });
    if let Some(p) = parent {
        body["properties"]["details"] = json!({ "parent": { "id": format!("/providers/Microsoft.Management/managementGroups/{p}") } });
    }
    server.call(Method::PUT, &mg(id), Some(body)).await
}

async fn hierarchy_follows_azure_rules(backend: Backend) {
    let server = Server::start(backend).await;
    let root = server.tenant.clone();
    // Six levels below the root are allowed, a seventh is not.
    let mut parent = root.clone();
    for level in 1..=6 {
        let id = format!("L{level}");
        let got = put_group(&server, &id, Some(&parent)).await;
        assert_eq!(got.0.as_u16(), 200, "{}", got.1);
        assert_eq!(
            got.1["properties"]["details"]["parent"]["name"],
            json!(parent)
        );
        parent = id;
    }
    assert_arm_error(
        &put_group(&server, "L7", Some("L6")).await,
        400,
        "ManagementGroupDepthExceeded",
    );
    // Ids compare case-insensitively and keep their spelling.
    let (status, body) = server.call(Method::GET, &mg("l3"), None).await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(body["name"], json!("L3"));
    // Cycles and the root.
    let moved = server
        .call(
            Method::PATCH,
            &mg("L2"),
            Some(json!({ "parentGroupId": "/providers/Microsoft.Management/managementGroups/L5" })),
        )
        .await;
    assert_arm_error(&moved, 400, "InvalidManagementGroupMove");
    assert_arm_error(
        &server.call(Method::DELETE, &mg(&root), None).await,
        400,
        "RootManagementGroupImmutable",
    );
    assert_arm_error(
        &put_group(&server, &root, Some("L1")).await,
        400,
        "RootManagementGroupImmutable",
    );
    assert_arm_error(
        &server.call(Method::DELETE, &mg("L5"), None).await,
        400,
        "ManagementGroupHasChildren",
    );
    // A group without a parent lands under the default group (the root).
    let (_, body) = put_group(&server, "Orphan", None).await;
    assert_eq!(body["properties"]["details"]["parent"]["name"], json!(root));
    // Moving a subtree too deep is refused: L4..L6 under L3's sibling chain would exceed six.
    assert_arm_error(
        &server
            .call(
                Method::PATCH,
                &mg("L4"),
                Some(json!({ "parentGroupId": "L6" })),
            )
            .await,
        400,
        "InvalidManagementGroupMove",
    );
    let ok = put_group(&server, "Side", Some("L3")).await;
    assert_eq!(ok.0.as_u16(), 200);
    assert_arm_error(
        &server
            .call(
                Method::PATCH,
                &mg("L4"),
                Some(json!({ "parentGroupId": "Side" })),
            )
            .await,
        400,
        "ManagementGroupDepthExceeded",
    );
    // Expand and recurse, path and ancestors.
    let (_, tree) = server
        .call(
            Method::GET,
            &format!("{}&$expand=children&$recurse=true", mg(&root)),
            None,
        )
        .await;
    let l1 = tree["properties"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "L1")
        .cloned()
        .expect("L1 under root");
    assert_eq!(l1["children"][0]["name"], json!("L2"));
    assert_eq!(
        l1["children"][0]["children"][0]["children"][0]["name"],
        json!("L4")
    );
    let (_, l3) = server
        .call(
            Method::GET,
            &format!("{}&$expand=path,ancestors", mg("L3")),
            None,
        )
        .await;
    let path: Vec<&str> = l3["properties"]["details"]["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(path, vec![root.as_str(), "L1", "L2"]);
    assert_eq!(
        l3["properties"]["details"]["managementGroupAncestors"],
        json!(["L2", "L1", root])
    );
    // Delete from the leaf up works; DELETE answers 202 with an operation to poll.
    let deleted = server
        .client
        .delete(format!("{}{}", server.url, mg("Side")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 202);
    let poll = deleted.headers()["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .to_owned();
    let status: serde_json::Value = server
        .client
        .get(poll)
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], json!("Succeeded"));
    assert_eq!(
        server.call(Method::GET, &mg("Side"), None).await.0.as_u16(),
        404
    );
    // The activity log verifies, and holds refused writes too.
    let verify = server.cli(&["audit", "verify", "--tenant", &root]);
    assert_eq!(verify[0]["ok"], json!(true), "{verify}");
    let export = server.cli_raw(&["audit", "export", "--tenant", &root]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines
        .iter()
        .any(|e| e["status"] == "Failed" && e["error"]["code"] == "ManagementGroupDepthExceeded"));
    assert!(lines.iter().any(|e| e["status"] == "Succeeded"
        && e["operation"] == "Microsoft.Management/managementGroups/delete"));
}
on_both_backends!(hierarchy_follows_azure_rules);

async fn subscriptions_move_and_show_in_the_activity_log(backend: Backend) {
    let server = Server::start(backend).await;
    let sub = server.subscription("Production");
    assert_eq!(put_group(&server, "Corp", None).await.0.as_u16(), 200);
    let moved = server
        .call(Method::PUT, &format!("/providers/Microsoft.Management/managementGroups/Corp/subscriptions/{sub}?api-version=2021-04-01"), None)
        .await;
    assert_eq!(moved.0.as_u16(), 200, "{}", moved.1);
    let (_, corp) = server
        .call(
            Method::GET,
            &format!("{}&$expand=children", mg("Corp")),
            None,
        )
        .await;
    assert_eq!(corp["properties"]["children"][0]["name"], json!(sub));
    assert_eq!(
        corp["properties"]["children"][0]["type"],
        json!("/subscriptions")
    );
    assert_arm_error(
        &server.call(Method::DELETE, &mg("Corp"), None).await,
        400,
        "ManagementGroupHasChildren",
    );
    // The move preview tells what a move would change, without moving.
    let preview = server
        .call(
            Method::POST,
            &format!("/providers/Microsoft.Management/managementGroups/{}/previewMove?api-version=2021-04-01", server.tenant),
            Some(json!({ "childId": format!("/subscriptions/{sub}") })),
        )
        .await;
    assert_eq!(preview.0.as_u16(), 200, "{}", preview.1);
    assert_eq!(preview.1["leaves"][0]["name"], json!("Corp"));
    assert_eq!(preview.1["allowed"], json!(true));
    let (_, still) = server
        .call(
            Method::GET,
            &format!("{}&$expand=children", mg("Corp")),
            None,
        )
        .await;
    assert_eq!(still["properties"]["children"].as_array().unwrap().len(), 1);
    // Removing it from the group puts it back under the root.
    let removed = server
        .call(Method::DELETE, &format!("/providers/Microsoft.Management/managementGroups/Corp/subscriptions/{sub}?api-version=2021-04-01"), None)
        .await;
    assert_eq!(removed.0.as_u16(), 200);
    let (_, log) = server
        .call(Method::GET, &format!("/subscriptions/{sub}/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01&$filter=eventTimestamp ge '2020-01-01T00:00:00Z'"), None)
        .await;
    let ops: Vec<&str> = log["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operationName"]["value"].as_str().unwrap())
        .collect();
    assert!(
        ops.contains(&"Microsoft.Management/managementGroups/subscriptions/write"),
        "{ops:?}"
    );
    assert!(
        ops.contains(&"Microsoft.Management/managementGroups/subscriptions/delete"),
        "{ops:?}"
    );
    // Paging: newest first, one event a page, following nextLink.
    let (_, first) = server
        .call(Method::GET, &format!("/subscriptions/{sub}/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01&$top=1"), None)
        .await;
    assert_eq!(first["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        first["value"][0]["operationName"]["value"],
        json!("Microsoft.Management/managementGroups/subscriptions/delete"),
        "newest first"
    );
    let next = first["nextLink"].as_str().expect("a next page").to_owned();
    let second: serde_json::Value = server
        .client
        .get(next)
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["value"].as_array().unwrap().len(), 1);
    assert_ne!(
        second["value"][0]["eventDataId"],
        first["value"][0]["eventDataId"]
    );
    // Settings: a default group for new subscriptions.
    let settings = server
        .call(
            Method::PUT,
            &format!("/providers/Microsoft.Management/managementGroups/{}/settings/default?api-version=2021-04-01", server.tenant),
            Some(json!({ "properties": { "defaultManagementGroup": "/providers/Microsoft.Management/managementGroups/Corp", "requireAuthorizationForGroupCreation": true } })),
        )
        .await;
    assert_eq!(settings.0.as_u16(), 200, "{}", settings.1);
    let sub2 = server.subscription("Landing");
    let (_, corp) = server
        .call(
            Method::GET,
            &format!("{}&$expand=children", mg("Corp")),
            None,
        )
        .await;
    assert!(corp["properties"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == json!(sub2)));
    let listed = server
        .call(Method::GET, "/subscriptions?api-version=2022-12-01", None)
        .await;
    assert_eq!(listed.1["value"].as_array().unwrap().len(), 2);
}
on_both_backends!(subscriptions_move_and_show_in_the_activity_log);
