//! `Status`, the body of every error response, decoded into the runtime's type.

use super::error::DecodeError;
use super::reader::{Field, Message};
use crate::types::{Status, StatusCause, StatusDetails};

fn text(field: &Field<'_>, name: &'static str) -> Result<Option<String>, DecodeError> {
    field.non_empty_string(name).map(|text| text.map(String::from))
}

impl Message for Status {
    const NAME: &'static str = "Status";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            // Non-pointer and so always written; JSON writes it too (`"metadata": {}`).
            1 => self.metadata = Some(field.message("metadata")?),
            2 => self.status = text(&field, "status")?,
            3 => self.message = text(&field, "message")?,
            4 => self.reason = text(&field, "reason")?,
            5 => self.details = Some(field.message("details")?),
            6 => self.code = Some(field.int32("code")?).filter(|&code| code != 0),
            _ => {}
        }
        Ok(())
    }
}

impl Message for StatusDetails {
    const NAME: &'static str = "StatusDetails";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            1 => self.name = text(&field, "name")?,
            2 => self.group = text(&field, "group")?,
            3 => self.kind = text(&field, "kind")?,
            4 => self.causes.get_or_insert_default().push(field.message("causes")?),
            5 => self.retry_after_seconds = Some(field.int32("retryAfterSeconds")?).filter(|&seconds| seconds != 0),
            6 => self.uid = text(&field, "uid")?,
            _ => {}
        }
        Ok(())
    }
}

impl Message for StatusCause {
    const NAME: &'static str = "StatusCause";

    fn merge_field(&mut self, field: Field<'_>) -> Result<(), DecodeError> {
        match field.number {
            1 => self.reason = text(&field, "reason")?,
            2 => self.message = text(&field, "message")?,
            3 => self.field = text(&field, "field")?,
            _ => {}
        }
        Ok(())
    }
}
