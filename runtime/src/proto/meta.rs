//! `ObjectMeta` (with `OwnerReference` and `ManagedFieldsEntry`) and `ListMeta`, decoded into
//! the runtime's types.
//!
//! gogo writes non-pointer fields even at their zero value, where JSON's `omitempty` leaves
//! them out; such fields decode an empty string or zero as `None`, so that protobuf and JSON
//! give equal values. Pointer fields (`deletionGracePeriodSeconds`, `controller`) keep zero.

use super::error::DecodeError;
use super::map_entry::merge_string_entry;
use super::reader::{Field, Message};
use super::special;
use super::writer::{EncodeMessage, Writer};
use crate::types::{ListMeta, ManagedFieldsEntry, ObjectMeta, OwnerReference, Str};

impl Message for ObjectMeta {
    const NAME: &'static str = "ObjectMeta";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            1 => field.set_non_empty_string(&mut self.name, "name")?,
            2 => field.set_non_empty_string(&mut self.generate_name, "generateName")?,
            3 => field.set_non_empty_string(&mut self.namespace, "namespace")?,
            4 => field.set_non_empty_string(&mut self.self_link, "selfLink")?,
            5 => field.set_non_empty_string(&mut self.uid, "uid")?,
            6 => field.set_non_empty_string(&mut self.resource_version, "resourceVersion")?,
            7 => self.generation = Some(field.int64("generation")?).filter(|&generation| generation != 0),
            8 => self.creation_timestamp = special::time(&field, "creationTimestamp")?,
            9 => self.deletion_timestamp = special::time(&field, "deletionTimestamp")?,
            10 => self.deletion_grace_period_seconds = Some(field.int64("deletionGracePeriodSeconds")?),
            11 => merge_string_entry(&mut self.labels, &field, "labels")?,
            12 => merge_string_entry(&mut self.annotations, &field, "annotations")?,
            13 => field.push_message(self.owner_references.get_or_insert_default(), "ownerReferences")?,
            14 => field.push_string(self.finalizers.get_or_insert_default(), "finalizers")?,
            17 => field.push_message(self.managed_fields.get_or_insert_default(), "managedFields")?,
            _ => {}
        }
        Ok(())
    }
}

impl Message for OwnerReference {
    const NAME: &'static str = "OwnerReference";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            1 => field.set_string(&mut self.kind, "kind")?,
            3 => field.set_string(&mut self.name, "name")?,
            4 => field.set_string(&mut self.uid, "uid")?,
            5 => field.set_string(&mut self.api_version, "apiVersion")?,
            6 => self.controller = Some(field.bool("controller")?),
            7 => self.block_owner_deletion = Some(field.bool("blockOwnerDeletion")?),
            _ => {}
        }
        Ok(())
    }
}

impl Message for ManagedFieldsEntry {
    const NAME: &'static str = "ManagedFieldsEntry";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            1 => field.set_non_empty_string(&mut self.manager, "manager")?,
            2 => field.set_non_empty_string(&mut self.operation, "operation")?,
            3 => field.set_non_empty_string(&mut self.api_version, "apiVersion")?,
            4 => self.time = special::time(&field, "time")?,
            6 => field.set_non_empty_string(&mut self.fields_type, "fieldsType")?,
            7 => self.fields_v1 = Some(special::fields_v1(&field, "fieldsV1")?),
            8 => field.set_non_empty_string(&mut self.subresource, "subresource")?,
            _ => {}
        }
        Ok(())
    }
}

impl Message for ListMeta {
    const NAME: &'static str = "ListMeta";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        let text = |name| field.non_empty_string(name).map(|text| text.map(String::from));
        match field.number {
            1 => self.self_link = text("selfLink")?,
            2 => self.resource_version = text("resourceVersion")?,
            3 => self.continue_ = text("continue")?,
            4 => self.remaining_item_count = Some(field.int64("remainingItemCount")?),
            _ => {}
        }
        Ok(())
    }
}

/// Writes `value` as string field `number` when it is set.
fn optional_string(writer: &mut Writer, number: u32, value: &Option<Str>) {
    if let Some(value) = value {
        writer.string(number, value);
    }
}

impl EncodeMessage for ObjectMeta {
    fn encode_fields(&self, writer: &mut Writer) {
        optional_string(writer, 1, &self.name);
        optional_string(writer, 2, &self.generate_name);
        optional_string(writer, 3, &self.namespace);
        optional_string(writer, 4, &self.self_link);
        optional_string(writer, 5, &self.uid);
        optional_string(writer, 6, &self.resource_version);
        if let Some(generation) = self.generation {
            writer.int64(7, generation);
        }
        if let Some(time) = &self.creation_timestamp {
            writer.time(8, time);
        }
        if let Some(time) = &self.deletion_timestamp {
            writer.time(9, time);
        }
        if let Some(seconds) = self.deletion_grace_period_seconds {
            writer.int64(10, seconds);
        }
        if let Some(labels) = &self.labels {
            writer.string_map(11, labels);
        }
        if let Some(annotations) = &self.annotations {
            writer.string_map(12, annotations);
        }
        for reference in self.owner_references.iter().flatten() {
            writer.message(13, reference);
        }
        for finalizer in self.finalizers.iter().flatten() {
            writer.string(14, finalizer);
        }
        for entry in self.managed_fields.iter().flatten() {
            writer.message(17, entry);
        }
    }
}

impl EncodeMessage for OwnerReference {
    fn encode_fields(&self, writer: &mut Writer) {
        writer.string(1, &self.kind);
        writer.string(3, &self.name);
        writer.string(4, &self.uid);
        writer.string(5, &self.api_version);
        if let Some(controller) = self.controller {
            writer.bool(6, controller);
        }
        if let Some(block) = self.block_owner_deletion {
            writer.bool(7, block);
        }
    }
}

impl EncodeMessage for ManagedFieldsEntry {
    fn encode_fields(&self, writer: &mut Writer) {
        optional_string(writer, 1, &self.manager);
        optional_string(writer, 2, &self.operation);
        optional_string(writer, 3, &self.api_version);
        if let Some(time) = &self.time {
            writer.time(4, time);
        }
        optional_string(writer, 6, &self.fields_type);
        if let Some(fields) = &self.fields_v1 {
            writer.fields_v1(7, fields);
        }
        optional_string(writer, 8, &self.subresource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::decode_message;
    use crate::types::StringMap;

    #[test]
    fn object_meta_round_trips_through_protobuf() {
        let meta: ObjectMeta = serde_json::from_value(serde_json::json!({
            "name": "n", "namespace": "ns", "uid": "u", "resourceVersion": "42", "generation": 3,
            "creationTimestamp": "2024-01-02T03:04:05Z", "deletionGracePeriodSeconds": 0,
            "labels": {"a": "1", "b": ""}, "annotations": {"long": "x".repeat(300)},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r", "uid": "v", "controller": true}],
            "finalizers": ["f/one", "f/two"],
            "managedFields": [{"manager": "m", "operation": "Apply", "apiVersion": "v1", "time": "2024-01-02T03:04:05Z",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}}}]
        }))
        .expect("metadata");
        let mut writer = Writer::new();
        meta.encode_fields(&mut writer);
        let decoded: ObjectMeta = decode_message(&writer.into_bytes(), 0).expect("decodes");
        assert_eq!(decoded, meta);
        assert_eq!(decoded.labels, Some(StringMap::from([("a", "1".into()), ("b", "".into())])));
    }
}
