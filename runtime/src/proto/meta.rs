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
use crate::types::{ListMeta, ManagedFieldsEntry, ObjectMeta, OwnerReference};

impl Message for ObjectMeta {
    const NAME: &'static str = "ObjectMeta";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            1 => self.name = field.non_empty_string("name")?,
            2 => self.generate_name = field.non_empty_string("generateName")?,
            3 => self.namespace = field.non_empty_string("namespace")?,
            4 => self.self_link = field.non_empty_string("selfLink")?,
            5 => self.uid = field.non_empty_string("uid")?,
            6 => self.resource_version = field.non_empty_string("resourceVersion")?,
            7 => self.generation = Some(field.int64("generation")?).filter(|&generation| generation != 0),
            8 => self.creation_timestamp = special::time(&field, "creationTimestamp")?,
            9 => self.deletion_timestamp = special::time(&field, "deletionTimestamp")?,
            10 => self.deletion_grace_period_seconds = Some(field.int64("deletionGracePeriodSeconds")?),
            11 => merge_string_entry(&mut self.labels, &field, "labels")?,
            12 => merge_string_entry(&mut self.annotations, &field, "annotations")?,
            13 => field.push_message(self.owner_references.get_or_insert_default(), "ownerReferences")?,
            14 => self.finalizers.get_or_insert_default().push(field.string("finalizers")?),
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
            1 => self.kind = field.string("kind")?,
            3 => self.name = field.string("name")?,
            4 => self.uid = field.string("uid")?,
            5 => self.api_version = field.string("apiVersion")?,
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
            1 => self.manager = field.non_empty_string("manager")?,
            2 => self.operation = field.non_empty_string("operation")?,
            3 => self.api_version = field.non_empty_string("apiVersion")?,
            4 => self.time = special::time(&field, "time")?,
            6 => self.fields_type = field.non_empty_string("fieldsType")?,
            7 => self.fields_v1 = Some(special::fields_v1(&field, "fieldsV1")?),
            8 => self.subresource = field.non_empty_string("subresource")?,
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
