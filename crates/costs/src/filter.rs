//! The filters and dimension names of cost queries and budgets, in Azure Cost Management's
//! JSON shape, parsed into what the store filters and groups by.

use leitstand_store::{CostDim, CostFilter};
use serde_json::Value;

use crate::query::Grouping;

/// A refusal of a filter or dimension: what is wrong, and the JSON path of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at `{at}`)")]
pub struct FilterError {
    pub message: String,
    pub at: String,
}

fn bad(message: impl Into<String>, at: &str) -> FilterError {
    FilterError {
        message: message.into(),
        at: at.to_owned(),
    }
}

/// Maps a dimension name (Azure's or FOCUS's, any case) to what the store groups by.
pub fn dimension(name: &str) -> Option<Grouping> {
    let dim = match name.to_ascii_lowercase().as_str() {
        "childscope" => return Some(Grouping::ChildScope),
        "subscriptionid" | "subscriptionguid" | "subaccountid" | "accountid" => CostDim::SubAccount,
        "resourcegroup" | "resourcegroupname" => CostDim::ResourceGroup,
        "servicename" | "metercategory" => CostDim::ServiceName,
        "servicecategory" | "servicefamily" => CostDim::ServiceCategory,
        "resourcelocation" | "region" | "regionid" | "regionname" => CostDim::Region,
        "chargetype" | "chargecategory" => CostDim::ChargeCategory,
        "pricingmodel" | "pricingcategory" => CostDim::PricingCategory,
        "reservationid" | "benefitid" | "commitmentdiscountid" => CostDim::CommitmentDiscountId,
        "billingaccountid" => CostDim::BillingAccount,
        "currency" | "billingcurrency" => CostDim::Currency,
        _ => return None,
    };
    Some(Grouping::Dim(dim))
}

pub fn dimension_error(name: &str, at: &str) -> FilterError {
    let hint = if name.eq_ignore_ascii_case("resourceid") {
        " (resource-level cost is not kept in the daily aggregates this API answers from)"
    } else {
        ""
    };
    bad(
        format!(
            "the dimension `{name}` is not supported{hint}; use ChildScope, SubscriptionId, \
             ResourceGroup, ServiceName, ServiceCategory, ResourceLocation, ChargeType, \
             PricingModel, ReservationId, BillingAccountId or a TagKey grouping"
        ),
        at,
    )
}

/// Parses a filter (`dataset.filter` of a query, `filter` of a budget): and/or/not of dimension
/// and tag `In` comparisons; `at` is the JSON path errors name.
pub fn parse_filter(value: &Value, at: &str) -> Result<CostFilter, FilterError> {
    let Value::Object(map) = value else {
        return Err(bad("a filter must be an object", at));
    };
    let mut parts: Vec<CostFilter> = Vec::new();
    for (key, v) in map {
        let here = format!("{at}.{key}");
        match key.to_ascii_lowercase().as_str() {
            "and" | "or" => {
                let Value::Array(items) = v else {
                    return Err(bad(format!("`{key}` must be an array of filters"), &here));
                };
                if items.len() < 2 {
                    return Err(bad(format!("`{key}` must have at least 2 items"), &here));
                }
                let inner = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| parse_filter(item, &format!("{here}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                parts.push(if key.eq_ignore_ascii_case("and") {
                    CostFilter::And(inner)
                } else {
                    CostFilter::Or(inner)
                });
            }
            "not" => parts.push(CostFilter::Not(Box::new(parse_filter(v, &here)?))),
            "dimensions" | "tags" => {
                let name = v
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("`name` is required", &format!("{here}.name")))?;
                let operator = v.get("operator").and_then(Value::as_str).unwrap_or("In");
                if !operator.eq_ignore_ascii_case("In") {
                    return Err(bad(
                        format!("the operator `{operator}` is not supported; use In"),
                        &format!("{here}.operator"),
                    ));
                }
                let values: Vec<String> = match v.get("values") {
                    Some(Value::Array(items)) if !items.is_empty() => items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            item.as_str().map(str::to_owned).ok_or_else(|| {
                                bad("values must be strings", &format!("{here}.values[{i}]"))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                    _ => {
                        return Err(bad(
                            "`values` must be a non-empty array of strings",
                            &format!("{here}.values"),
                        ))
                    }
                };
                let dim = if key.eq_ignore_ascii_case("tags") {
                    CostDim::Tag(name.to_owned())
                } else {
                    match dimension(name) {
                        Some(Grouping::Dim(d)) => d,
                        _ => return Err(dimension_error(name, &format!("{here}.name"))),
                    }
                };
                // Subscription ids are kept lowercase; AWS ids are digits.
                parts.push(CostFilter::In(dim, values));
            }
            _ => {
                return Err(bad(
                    format!(
                        "unknown filter property `{key}`; use and, or, not, dimensions or tags"
                    ),
                    &here,
                ))
            }
        }
    }
    match parts.len() {
        0 => Err(bad("a filter needs and, or, not, dimensions or tags", at)),
        1 => Ok(parts.remove(0)),
        _ => Ok(CostFilter::And(parts)),
    }
}
