//! Objects from the server survive decoding into the generated types and encoding back.

use kubegen_runtime::{Resource, proto};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes `raw` (an object as the server sent it) into `K`, encodes it back and asserts the
/// two are equal as JSON: `null` is treated as absent, numbers compare by value. Panics with
/// the first differing JSON pointer.
pub fn assert_round_trip<K: DeserializeOwned + Serialize>(raw: &Value) {
    let typed: K = serde_json::from_value(raw.clone())
        .unwrap_or_else(|error| panic!("{} does not decode: {error}", std::any::type_name::<K>()));
    let encoded = serde_json::to_value(&typed).expect("encodes");
    if let Some(difference) = first_difference("", &normalize(raw.clone()), &normalize(encoded)) {
        panic!("{} does not round-trip: {difference}", std::any::type_name::<K>());
    }
}

/// `object` encoded as a protobuf request body and decoded back. Panics, naming the type,
/// when it has no encoder, when the envelope names another type, or when the body does not
/// decode.
pub fn through_protobuf<K: Resource>(object: &K) -> K {
    let what = std::any::type_name::<K>();
    let body = object.to_protobuf().unwrap_or_else(|| panic!("{what} has a protobuf encoder"));
    let envelope = proto::decode_envelope(&body).unwrap_or_else(|e| panic!("{what}: envelope: {e}"));
    assert_eq!((&*envelope.api_version, &*envelope.kind), (K::API_VERSION, K::KIND), "{what}: envelope type");
    K::from_protobuf(envelope.raw).unwrap_or_else(|e| panic!("{what}: decoding the encoded body: {e}"))
}

fn normalize(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, normalize(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(normalize).collect()),
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 9.0e15 => Value::from(float as i64),
            _ => Value::Number(number),
        },
        other => other,
    }
}

fn first_difference(path: &str, left: &Value, right: &Value) -> Option<String> {
    match (left, right) {
        (Value::Object(a), Value::Object(b)) => a.keys().chain(b.keys()).find_map(|key| {
            let child = format!("{path}/{key}");
            match (a.get(key), b.get(key)) {
                (Some(x), Some(y)) => first_difference(&child, x, y),
                (x, y) => Some(format!("{child}: server sent {x:?}, re-encoded {y:?}")),
            }
        }),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).enumerate().find_map(|(index, (x, y))| first_difference(&format!("{path}/{index}"), x, y))
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!("{path}: server sent {a}, re-encoded {b}")),
    }
}
