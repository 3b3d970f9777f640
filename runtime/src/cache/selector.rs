//! Label selectors, parsed as the API server parses them (`app=web,tier!=db`,
//! `env in (prod,staging)`, `!legacy`, `replicas>2`), to filter the cache as a list request
//! would filter the server.

use crate::types::{Str, StringMap};

/// A parsed label selector: every requirement must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
    GreaterThan(String, i64),
    LessThan(String, i64),
}

/// Why a selector does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid label selector {selector:?}: {message}")]
pub struct SelectorError {
    /// The selector.
    pub selector: String,
    /// What is wrong.
    pub message: String,
}

impl LabelSelector {
    /// The selector that matches everything.
    pub fn everything() -> Self {
        Self::default()
    }

    /// Parses a selector.
    pub fn parse(selector: &str) -> Result<Self, SelectorError> {
        let error = |message: String| SelectorError { selector: selector.to_owned(), message };
        let mut requirements = Vec::new();
        for part in split_outside_parentheses(selector) {
            let part = part.trim();
            if part.is_empty() {
                if selector.trim().is_empty() {
                    continue;
                }
                return Err(error("empty requirement".into()));
            }
            requirements.push(parse_requirement(part).map_err(error)?);
        }
        Ok(Self { requirements })
    }

    /// The selector of an API `LabelSelector` (`matchLabels` and `matchExpressions`), of any
    /// type that serializes as one: the generated `meta/v1` type, or a CRD's own copy of it.
    /// An unknown operator, or `In`/`NotIn` without values, is an error, as the API server's
    /// `LabelSelectorAsSelector` makes it; an empty selector matches everything.
    pub fn from_api<T: serde::Serialize>(selector: &T) -> Result<Self, SelectorError> {
        let value = serde_json::to_value(selector)
            .map_err(|error| SelectorError { selector: String::from("<LabelSelector>"), message: error.to_string() })?;
        let error = |message: String| SelectorError { selector: value.to_string(), message };
        let mut requirements = Vec::new();
        if let Some(labels) = value.get("matchLabels").and_then(serde_json::Value::as_object) {
            for (key, label) in labels {
                let label = label.as_str().ok_or_else(|| error(format!("matchLabels[{key:?}] is not a string")))?;
                requirements.push(Requirement::Equals(key.clone(), label.to_owned()));
            }
        }
        for expression in value.get("matchExpressions").and_then(serde_json::Value::as_array).into_iter().flatten() {
            let key = expression.get("key").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
            let values: Vec<String> = expression
                .get("values")
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|value| value.as_str().map(str::to_owned))
                .collect();
            let operator = expression.get("operator").and_then(serde_json::Value::as_str).unwrap_or_default();
            requirements.push(match operator {
                "In" | "NotIn" if values.is_empty() => {
                    return Err(error(format!("{operator} on {key:?} needs values")));
                }
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::DoesNotExist(key),
                other => return Err(error(format!("unknown operator {other:?} on {key:?}"))),
            });
        }
        Ok(Self { requirements })
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: Option<&StringMap<Str>>) -> bool {
        let get = |key: &str| labels.and_then(|labels| labels.get(key)).map(Str::as_str);
        self.requirements.iter().all(|requirement| match requirement {
            Requirement::Equals(key, value) => get(key) == Some(value.as_str()),
            Requirement::NotEquals(key, value) => get(key) != Some(value.as_str()),
            Requirement::In(key, values) => get(key).is_some_and(|found| values.iter().any(|value| value == found)),
            Requirement::NotIn(key, values) => get(key).is_none_or(|found| values.iter().all(|value| value != found)),
            Requirement::Exists(key) => get(key).is_some(),
            Requirement::DoesNotExist(key) => get(key).is_none(),
            Requirement::GreaterThan(key, bound) => {
                get(key).and_then(|found| found.parse::<i64>().ok()).is_some_and(|found| found > *bound)
            }
            Requirement::LessThan(key, bound) => {
                get(key).and_then(|found| found.parse::<i64>().ok()).is_some_and(|found| found < *bound)
            }
        })
    }

    /// Whether the selector matches everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

fn split_outside_parentheses(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (index, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_requirement(part: &str) -> Result<Requirement, String> {
    if let Some(key) = part.strip_prefix('!') {
        return Ok(Requirement::DoesNotExist(valid_key(key.trim())?));
    }
    for (operator, build) in [
        ("!=", Requirement::NotEquals as fn(String, String) -> Requirement),
        ("==", Requirement::Equals),
        ("=", Requirement::Equals),
    ] {
        if let Some((key, value)) = part.split_once(operator) {
            return Ok(build(valid_key(key.trim())?, value.trim().to_owned()));
        }
    }
    for (operator, greater) in [(">", true), ("<", false)] {
        if let Some((key, value)) = part.split_once(operator) {
            let bound: i64 = value.trim().parse().map_err(|_| format!("{:?} is not an integer", value.trim()))?;
            let key = valid_key(key.trim())?;
            return Ok(if greater { Requirement::GreaterThan(key, bound) } else { Requirement::LessThan(key, bound) });
        }
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if let [key, rest] = words.as_slice() {
        let rest = rest.trim();
        let (negated, list) = if let Some(list) = rest.strip_prefix("notin") {
            (true, list)
        } else if let Some(list) = rest.strip_prefix("in") {
            (false, list)
        } else {
            return Err(format!("unknown operator in {part:?}"));
        };
        let list = list.trim();
        let inner = list
            .strip_prefix('(')
            .and_then(|list| list.strip_suffix(')'))
            .ok_or_else(|| format!("expected a parenthesized list in {part:?}"))?;
        let values: Vec<String> = inner.split(',').map(|value| value.trim().to_owned()).collect();
        let key = valid_key(key)?;
        return Ok(if negated { Requirement::NotIn(key, values) } else { Requirement::In(key, values) });
    }
    Ok(Requirement::Exists(valid_key(part)?))
}

fn valid_key(key: &str) -> Result<String, String> {
    if key.is_empty() || key.chars().any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))) {
        return Err(format!("invalid label key {key:?}"));
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_label_selectors_convert() {
        let api = serde_json::json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["front", "edge"]},
                {"key": "legacy", "operator": "DoesNotExist"}
            ]
        });
        let selector = LabelSelector::from_api(&api).expect("converts");
        let labels = |pairs: &[(&str, &str)]| StringMap::from_iter(pairs.iter().map(|(k, v)| (*k, Str::from(*v))));
        assert!(selector.matches(Some(&labels(&[("app", "web"), ("tier", "edge")]))));
        assert!(!selector.matches(Some(&labels(&[("app", "web"), ("tier", "back")]))));
        assert!(!selector.matches(Some(&labels(&[("app", "web"), ("tier", "edge"), ("legacy", "1")]))));
        assert!(LabelSelector::from_api(&serde_json::json!({})).expect("empty").is_empty());
        let bad = serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Near", "values": ["b"]}]});
        assert!(LabelSelector::from_api(&bad).expect_err("unknown operator").to_string().contains("Near"));
        let empty_in = serde_json::json!({"matchExpressions": [{"key": "a", "operator": "In"}]});
        assert!(LabelSelector::from_api(&empty_in).is_err());
    }

    fn labels(pairs: &[(&str, &str)]) -> StringMap<Str> {
        pairs.iter().map(|(k, v)| (*k, Str::from(*v))).collect()
    }

    #[test]
    fn parses_and_matches_every_operator() {
        let web = labels(&[("app", "web"), ("tier", "front"), ("replicas", "3")]);
        let cases = [
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("app in (web, api)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!legacy", true),
            ("!app", false),
            ("replicas>2", true),
            ("replicas<2", false),
            ("app in (api),tier", false),
            ("", true),
        ];
        for (selector, expected) in cases {
            let parsed = LabelSelector::parse(selector).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed.matches(Some(&web)), expected, "{selector}");
        }
        assert!(LabelSelector::parse("!legacy").expect("parses").matches(None));
        assert!(!LabelSelector::parse("app=web").expect("parses").matches(None));
    }

    #[test]
    fn rejects_malformed_selectors() {
        for selector in ["app in web", "app ~ web", "a b=c", "app,,tier", "x>y"] {
            assert!(LabelSelector::parse(selector).is_err(), "{selector}");
        }
    }
}
