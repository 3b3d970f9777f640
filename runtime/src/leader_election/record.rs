//! The leader election record in a `coordination.k8s.io/v1` Lease's spec, read from and
//! written into any Lease type that serializes as the API's (the generated one of a crate, or
//! a cluster's own): the rest of the object, fields this version does not know included, is
//! kept as it was.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::types::MicroTime;

/// Who holds a lease, since when, and for how long.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseRecord {
    /// The holder's identity; empty when the lease was released.
    pub holder: String,
    /// How long the lease is valid after its last renewal, in seconds.
    pub lease_duration_seconds: i32,
    /// When the current holder acquired it.
    pub acquire_time: Option<MicroTime>,
    /// When the holder last renewed it.
    pub renew_time: Option<MicroTime>,
    /// How many times the lease changed hands.
    pub transitions: i32,
}

/// Why a record could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("the Lease does not serialize as a coordination.k8s.io/v1 Lease: {0}")]
pub struct RecordError(String);

impl LeaseRecord {
    /// The record in `lease`'s spec.
    pub fn read<L: Serialize>(lease: &L) -> Result<Self, RecordError> {
        let value = serde_json::to_value(lease).map_err(|error| RecordError(error.to_string()))?;
        let spec = value.get("spec").cloned().unwrap_or(Value::Null);
        let text = |key: &str| spec.get(key).and_then(Value::as_str).map(str::to_owned);
        let number = |key: &str| spec.get(key).and_then(Value::as_i64).and_then(|n| i32::try_from(n).ok()).unwrap_or(0);
        let time = |key: &str| text(key).and_then(|time| time.parse::<MicroTime>().ok());
        Ok(Self {
            holder: text("holderIdentity").unwrap_or_default(),
            lease_duration_seconds: number("leaseDurationSeconds"),
            acquire_time: time("acquireTime"),
            renew_time: time("renewTime"),
            transitions: number("leaseTransitions"),
        })
    }

    /// Sets this record's fields in `spec`.
    fn fill(&self, spec: &mut Map<String, Value>) {
        spec.insert("holderIdentity".into(), json!(self.holder));
        spec.insert("leaseDurationSeconds".into(), json!(self.lease_duration_seconds));
        spec.insert("leaseTransitions".into(), json!(self.transitions));
        for (key, time) in [("acquireTime", &self.acquire_time), ("renewTime", &self.renew_time)] {
            match time.as_ref().and_then(|time| serde_json::to_value(time).ok()) {
                Some(time) => spec.insert(key.into(), time),
                None => spec.remove(key),
            };
        }
    }

    /// `lease` with this record in its spec; its other fields (metadata with the
    /// resourceVersion, the rest of the spec) are kept.
    pub fn write<L: Serialize + DeserializeOwned>(&self, lease: &L) -> Result<L, RecordError> {
        let mut value = serde_json::to_value(lease).map_err(|error| RecordError(error.to_string()))?;
        let Some(object) = value.as_object_mut() else { return Err(RecordError("not an object".into())) };
        let spec = object.entry("spec").or_insert_with(|| Value::Object(Map::new()));
        if !spec.is_object() {
            *spec = Value::Object(Map::new());
        }
        if let Some(spec) = spec.as_object_mut() {
            self.fill(spec);
        }
        serde_json::from_value(value).map_err(|error| RecordError(error.to_string()))
    }

    /// A new Lease named `name` in `namespace` holding this record.
    pub fn new_lease<L: DeserializeOwned>(&self, namespace: &str, name: &str) -> Result<L, RecordError> {
        let mut spec = Map::new();
        self.fill(&mut spec);
        let lease = json!({"metadata": {"name": name, "namespace": namespace}, "spec": spec});
        serde_json::from_value(lease).map_err(|error| RecordError(error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_a_lease_and_keep_what_they_do_not_own() {
        let lease = json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "l", "namespace": "ns", "resourceVersion": "7"},
            "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15, "leaseTransitions": 2,
                     "renewTime": "2026-01-02T03:04:05.123456Z", "strategy": "OldestEmulationVersion"}
        });
        let record = LeaseRecord::read(&lease).expect("reads");
        assert_eq!(record.holder, "a");
        assert_eq!((record.lease_duration_seconds, record.transitions), (15, 2));
        assert!(record.renew_time.is_some() && record.acquire_time.is_none());
        let taken = LeaseRecord { holder: "b".into(), transitions: 3, ..record.clone() };
        let written: Value = taken.write(&lease).expect("writes");
        assert_eq!(written["spec"]["holderIdentity"], "b");
        assert_eq!(written["spec"]["strategy"], "OldestEmulationVersion", "kept");
        assert_eq!(written["metadata"]["resourceVersion"], "7", "kept, for the optimistic update");
        assert_eq!(LeaseRecord::read(&written).expect("reads"), taken);
        let created: Value = taken.new_lease("ns", "l").expect("new");
        assert_eq!(created["metadata"]["name"], "l");
        assert_eq!(LeaseRecord::read(&created).expect("reads"), taken);
    }
}
