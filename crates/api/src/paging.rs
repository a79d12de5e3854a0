//! `nextLink` paging for every list: `$top` (or a default page) and an opaque `$skiptoken`.

use base64::Engine;
use serde_json::{json, Value};

use crate::arm::Ctx;

/// The page size when the client gives no `$top`.
pub const DEFAULT_PAGE: usize = 500;
/// The largest page served.
pub const MAX_PAGE: usize = 5000;

/// Returns the requested window: (index of the first item, page size).
pub fn window(ctx: &Ctx) -> (usize, usize) {
    let top = ctx
        .query("$top")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, MAX_PAGE);
    let start = ctx
        .query("$skiptoken")
        .and_then(|t| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    (start, top)
}

/// Returns one page of `items` as `{"value": [...], "nextLink": ...}`. `items` may stop
/// early: one item past the window is enough to know that a next page exists.
pub fn page(ctx: &Ctx, items: Vec<Value>) -> Value {
    // A list the caller may not read whole shows what it may read, item by item.
    let items = crate::access::visible(ctx, items);
    let (start, top) = window(ctx);
    let total = items.len();
    let value: Vec<Value> = items.into_iter().skip(start).take(top).collect();
    let end = start.saturating_add(value.len());
    if end < total {
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(end.to_string());
        let mut pairs: Vec<(String, String)> = ctx
            .raw_query
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
            .cloned()
            .collect();
        pairs.push(("$skiptoken".into(), token));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        json!({ "value": value, "nextLink": format!("{}{}?{}", ctx.base_url, ctx.path, query) })
    } else {
        json!({ "value": value })
    }
}
