//! `ListMeta`: metadata of a list response.

use serde::Serialize;

use super::struct_decode::impl_decode_fields;

/// Metadata of a list (`meta/v1` `ListMeta`): its resourceVersion and paging state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMeta {
    /// Token to fetch the next page, when the list was limited.
    #[serde(default, rename = "continue", skip_serializing_if = "Option::is_none")]
    pub continue_: Option<String>,
    /// Number of items after this page, an estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_item_count: Option<i64>,
    /// resourceVersion the list was read at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    /// Deprecated; not set by current servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<String>,
}

// As generated types: a repeated key's last value wins.
impl_decode_fields!(ListMeta {
    0 "continue" => continue_: optional,
    1 "remainingItemCount" => remaining_item_count: optional,
    2 "resourceVersion" => resource_version: optional,
    3 "selfLink" => self_link: optional,
});
