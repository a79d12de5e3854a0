//! Reading ARM request bodies: JSON parsed once, property names matched case-insensitively
//! (as ARM does), and every refusal naming the JSON path of the bad property.

use leitstand_core::ErrorCode;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A parsed JSON request body.
#[derive(Debug, Clone)]
pub struct Body(pub Value);

impl Body {
    /// Parses a request body; an empty body is an empty object.
    pub fn parse(bytes: &[u8]) -> Result<Body, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body(Value::Object(Map::new())));
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidRequestContent,
                format!(
                    "the request content is not valid JSON: {e} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if !value.is_object() {
            return Err(ApiError::new(
                ErrorCode::InvalidRequestContent,
                "the request content must be a JSON object",
            )
            .at("$"));
        }
        Ok(Body(value))
    }

    /// Returns the value at a dotted path (`properties.details.parent.id`), matching each
    /// property name case-insensitively; `Ok(None)` if absent or null.
    pub fn get(&self, path: &str) -> Result<Option<&Value>, ApiError> {
        let mut cursor = &self.0;
        let mut walked = String::new();
        for part in path.split('.') {
            let Value::Object(map) = cursor else {
                return Err(type_error(&walked, "an object"));
            };
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(part);
            match lookup(map, part) {
                Some(Value::Null) | None => return Ok(None),
                Some(v) => cursor = v,
            }
        }
        Ok(Some(cursor))
    }

    /// Returns the string at `path`, if present.
    pub fn str(&self, path: &str) -> Result<Option<String>, ApiError> {
        match self.get(path)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(type_error(path, "a string")),
        }
    }

    /// Returns the boolean at `path`, if present.
    pub fn bool(&self, path: &str) -> Result<Option<bool>, ApiError> {
        match self.get(path)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(type_error(path, "a boolean")),
        }
    }

    /// Returns the object at `path`, if present.
    pub fn object(&self, path: &str) -> Result<Option<&Map<String, Value>>, ApiError> {
        match self.get(path)? {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(type_error(path, "an object")),
        }
    }

    /// Returns the tags object at `path` as string pairs, checked against ARM's limits.
    pub fn tags(&self, path: &str) -> Result<Option<Map<String, Value>>, ApiError> {
        let Some(map) = self.object(path)? else {
            return Ok(None);
        };
        if map.len() > leitstand_core::ids::MAX_TAGS {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!(
                    "at most {} tags are allowed, found {}",
                    leitstand_core::ids::MAX_TAGS,
                    map.len()
                ),
            )
            .at(path));
        }
        for (name, value) in map {
            let Value::String(value) = value else {
                return Err(type_error(&format!("{path}.{name}"), "a string"));
            };
            leitstand_core::ids::check_tag(name, value).map_err(|e| {
                ApiError::new(ErrorCode::InvalidParameter, e.to_string())
                    .at(format!("{path}.{name}"))
            })?;
        }
        Ok(Some(map.clone()))
    }
}

pub(crate) fn lookup<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn type_error(path: &str, expected: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequestContent,
        format!("`{path}` must be {expected}"),
    )
    .at(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_names_are_case_insensitive_and_errors_name_the_path() {
        let body =
            Body::parse(br#"{"Properties":{"DISPLAYNAME":"x","details":{"parent":{"id":5}}}}"#)
                .unwrap();
        assert_eq!(
            body.str("properties.displayName").unwrap().as_deref(),
            Some("x")
        );
        let err = body.str("properties.details.parent.id").unwrap_err();
        assert_eq!(err.target.as_deref(), Some("properties.details.parent.id"));
        assert!(Body::parse(b"[1]").is_err());
        assert!(Body::parse(b"{").is_err());
        assert!(Body::parse(b"").is_ok());
    }
}
