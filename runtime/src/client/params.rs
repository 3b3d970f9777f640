//! Parameters of requests, as small builders.

use serde::Serialize;

use super::request::PathBuilder;

/// How a list's `resourceVersion` is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionMatch {
    /// The list is at least as new as the resourceVersion (possibly from the watch cache).
    NotOlderThan,
    /// The list is exactly at the resourceVersion (from etcd; 410 once compacted).
    Exact,
}

impl VersionMatch {
    fn as_str(self) -> &'static str {
        match self {
            VersionMatch::NotOlderThan => "NotOlderThan",
            VersionMatch::Exact => "Exact",
        }
    }
}

/// Parameters of a list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListParams {
    /// A label selector, for example `app=web,tier!=db`.
    pub label_selector: Option<String>,
    /// A field selector, for example `metadata.name=web`.
    pub field_selector: Option<String>,
    /// The resourceVersion to list at: unset for the newest, `"0"` for any (the watch cache).
    pub resource_version: Option<String>,
    /// How `resource_version` is interpreted.
    pub version_match: Option<VersionMatch>,
    /// At most this many items per page.
    pub limit: Option<u32>,
    /// The continue token of the previous page.
    pub continue_token: Option<String>,
    /// The server's timeout for the request.
    pub timeout_seconds: Option<u32>,
}

impl ListParams {
    /// Objects whose labels match `selector`.
    pub fn labels(mut self, selector: &str) -> Self {
        self.label_selector = Some(selector.to_owned());
        self
    }

    /// Objects whose fields match `selector`.
    pub fn fields(mut self, selector: &str) -> Self {
        self.field_selector = Some(selector.to_owned());
        self
    }

    /// Pages of at most `limit` items.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The page after the one that returned `token`.
    pub fn continue_token(mut self, token: &str) -> Self {
        self.continue_token = Some(token.to_owned());
        self
    }

    /// List at `version`, interpreted as `version_match`.
    pub fn at(mut self, version: &str, version_match: VersionMatch) -> Self {
        self.resource_version = Some(version.to_owned());
        self.version_match = Some(version_match);
        self
    }

    /// List from the API server's watch cache (`resourceVersion=0`): fast, possibly stale.
    pub fn any_version(mut self) -> Self {
        self.resource_version = Some("0".to_owned());
        self.version_match = None;
        self
    }

    /// The server's timeout for the request.
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout_seconds = Some(seconds);
        self
    }

    pub(crate) fn populate(&self, query: &mut PathBuilder) {
        query
            .optional("labelSelector", self.label_selector.as_deref())
            .optional("fieldSelector", self.field_selector.as_deref())
            .optional("resourceVersion", self.resource_version.as_deref())
            .optional("resourceVersionMatch", self.version_match.map(VersionMatch::as_str))
            .optional("limit", self.limit)
            .optional("continue", self.continue_token.as_deref())
            .optional("timeoutSeconds", self.timeout_seconds);
    }
}

/// Parameters of a watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchParams {
    /// A label selector.
    pub label_selector: Option<String>,
    /// A field selector.
    pub field_selector: Option<String>,
    /// The server ends the watch after this many seconds (default 290: under the API
    /// server's 5-minute limit, so that the end is a clean close).
    pub timeout_seconds: Option<u32>,
    /// Ask for BOOKMARK events, which carry a newer resourceVersion (default true).
    pub bookmarks: bool,
    /// Start with ADDED events for every existing object, ended by a bookmark annotated
    /// `k8s.io/initial-events-end` (a streaming list, KEP-3157).
    pub send_initial_events: bool,
}

impl Default for WatchParams {
    fn default() -> Self {
        Self {
            label_selector: None,
            field_selector: None,
            timeout_seconds: Some(290),
            bookmarks: true,
            send_initial_events: false,
        }
    }
}

impl WatchParams {
    /// Objects whose labels match `selector`.
    pub fn labels(mut self, selector: &str) -> Self {
        self.label_selector = Some(selector.to_owned());
        self
    }

    /// Objects whose fields match `selector`.
    pub fn fields(mut self, selector: &str) -> Self {
        self.field_selector = Some(selector.to_owned());
        self
    }

    /// The server ends the watch after `seconds`.
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout_seconds = Some(seconds);
        self
    }

    /// Without bookmarks.
    pub fn disable_bookmarks(mut self) -> Self {
        self.bookmarks = false;
        self
    }

    /// As a streaming list: initial ADDED events, then the end bookmark, then changes.
    pub fn streaming_list(mut self) -> Self {
        self.send_initial_events = true;
        self.bookmarks = true;
        self
    }

    pub(crate) fn populate(&self, query: &mut PathBuilder, resource_version: &str) {
        query.param("watch", "true");
        if !resource_version.is_empty() {
            query.param("resourceVersion", resource_version);
        }
        query
            .optional("labelSelector", self.label_selector.as_deref())
            .optional("fieldSelector", self.field_selector.as_deref())
            .optional("timeoutSeconds", self.timeout_seconds);
        if self.bookmarks {
            query.param("allowWatchBookmarks", "true");
        }
        if self.send_initial_events {
            query.param("sendInitialEvents", "true").param("resourceVersionMatch", "NotOlderThan");
        }
    }
}

/// Parameters of a get.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GetParams {
    /// Read at this resourceVersion (`"0"`: from the watch cache); unset for the newest.
    pub resource_version: Option<String>,
}

impl GetParams {
    pub(crate) fn populate(&self, query: &mut PathBuilder) {
        query.optional("resourceVersion", self.resource_version.as_deref());
    }
}

/// How the server treats fields it does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValidation {
    /// Drop them silently.
    Ignore,
    /// Drop them with a `Warning` header.
    Warn,
    /// Reject the request.
    Strict,
}

impl FieldValidation {
    fn as_str(self) -> &'static str {
        match self {
            FieldValidation::Ignore => "Ignore",
            FieldValidation::Warn => "Warn",
            FieldValidation::Strict => "Strict",
        }
    }
}

/// Parameters of a create or replace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostParams {
    /// Validate and default, but persist nothing.
    pub dry_run: bool,
    /// The field manager recorded in managedFields.
    pub field_manager: Option<String>,
    /// How unknown fields are treated.
    pub field_validation: Option<FieldValidation>,
}

impl PostParams {
    /// A dry run.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// As field manager `manager`.
    pub fn manager(mut self, manager: &str) -> Self {
        self.field_manager = Some(manager.to_owned());
        self
    }

    /// With `validation` of unknown fields.
    pub fn validation(mut self, validation: FieldValidation) -> Self {
        self.field_validation = Some(validation);
        self
    }

    pub(crate) fn populate(&self, query: &mut PathBuilder) {
        if self.dry_run {
            query.param("dryRun", "All");
        }
        query
            .optional("fieldManager", self.field_manager.as_deref())
            .optional("fieldValidation", self.field_validation.map(FieldValidation::as_str));
    }
}

/// A patch and its type.
#[derive(Clone, Debug, PartialEq)]
pub enum Patch<P: Serialize> {
    /// Server-side apply (`application/apply-patch+yaml`, sent as JSON): the fields this
    /// field manager owns. Needs [`PatchParams::field_manager`].
    Apply(P),
    /// An RFC 6902 JSON patch: an array of operations.
    Json(serde_json::Value),
    /// An RFC 7386 merge patch.
    Merge(P),
    /// A strategic merge patch (built-in types only; not CRDs).
    Strategic(P),
}

impl<P: Serialize> Patch<P> {
    pub(crate) fn content_type(&self) -> &'static str {
        match self {
            Patch::Apply(_) => "application/apply-patch+yaml",
            Patch::Json(_) => "application/json-patch+json",
            Patch::Merge(_) => "application/merge-patch+json",
            Patch::Strategic(_) => "application/strategic-merge-patch+json",
        }
    }

    pub(crate) fn to_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            Patch::Apply(patch) | Patch::Merge(patch) | Patch::Strategic(patch) => serde_json::to_vec(patch),
            Patch::Json(operations) => serde_json::to_vec(operations),
        }
    }

    pub(crate) fn is_apply(&self) -> bool {
        matches!(self, Patch::Apply(_))
    }
}

/// Parameters of a patch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatchParams {
    /// Validate and default, but persist nothing.
    pub dry_run: bool,
    /// The field manager (required for server-side apply).
    pub field_manager: Option<String>,
    /// Take ownership of fields other managers own (server-side apply only).
    pub force: bool,
    /// How unknown fields are treated.
    pub field_validation: Option<FieldValidation>,
}

impl PatchParams {
    /// Parameters for server-side apply as `manager`.
    pub fn apply(manager: &str) -> Self {
        Self { field_manager: Some(manager.to_owned()), ..Self::default() }
    }

    /// Take ownership of conflicting fields.
    pub fn force(mut self) -> Self {
        self.force = true;
        self
    }

    /// A dry run.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// With `validation` of unknown fields.
    pub fn validation(mut self, validation: FieldValidation) -> Self {
        self.field_validation = Some(validation);
        self
    }

    pub(crate) fn populate(&self, query: &mut PathBuilder) {
        if self.dry_run {
            query.param("dryRun", "All");
        }
        if self.force {
            query.param("force", "true");
        }
        query
            .optional("fieldManager", self.field_manager.as_deref())
            .optional("fieldValidation", self.field_validation.map(FieldValidation::as_str));
    }
}

/// What happens to an object's dependents when it is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PropagationPolicy {
    /// Leave them.
    Orphan,
    /// Delete the object now and the dependents in the background.
    Background,
    /// Delete the dependents first, then the object.
    Foreground,
}

/// Conditions a delete must meet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preconditions {
    /// The object's UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// The object's resourceVersion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
}

/// Parameters of a delete, sent as a `DeleteOptions` body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteParams {
    /// Validate, but delete nothing.
    #[serde(rename = "dryRun", serialize_with = "dry_run", skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Seconds of graceful termination; 0 deletes at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_period_seconds: Option<u32>,
    /// What happens to dependents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagation_policy: Option<PropagationPolicy>,
    /// Conditions the object must meet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preconditions: Option<Preconditions>,
}

fn dry_run<S: serde::Serializer>(_: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    ["All"].serialize(serializer)
}

impl DeleteParams {
    /// Delete the dependents in the background.
    pub fn background() -> Self {
        Self { propagation_policy: Some(PropagationPolicy::Background), ..Self::default() }
    }

    /// Delete the dependents first.
    pub fn foreground() -> Self {
        Self { propagation_policy: Some(PropagationPolicy::Foreground), ..Self::default() }
    }

    /// Leave the dependents.
    pub fn orphan() -> Self {
        Self { propagation_policy: Some(PropagationPolicy::Orphan), ..Self::default() }
    }

    /// With `seconds` of graceful termination.
    pub fn grace_period(mut self, seconds: u32) -> Self {
        self.grace_period_seconds = Some(seconds);
        self
    }

    /// Only if the object still has this UID.
    pub fn uid(mut self, uid: &str) -> Self {
        self.preconditions.get_or_insert_with(Preconditions::default).uid = Some(uid.to_owned());
        self
    }

    /// Only if the object is still at this resourceVersion.
    pub fn resource_version(mut self, version: &str) -> Self {
        self.preconditions.get_or_insert_with(Preconditions::default).resource_version = Some(version.to_owned());
        self
    }

    /// A dry run.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_params_encode_as_delete_options() {
        let params = DeleteParams::foreground().grace_period(0).uid("u1").dry_run();
        assert_eq!(
            serde_json::to_value(&params).expect("encodes"),
            serde_json::json!({"dryRun": ["All"], "gracePeriodSeconds": 0,
                "propagationPolicy": "Foreground", "preconditions": {"uid": "u1"}})
        );
        assert_eq!(serde_json::to_value(DeleteParams::default()).expect("encodes"), serde_json::json!({}));
    }

    #[test]
    fn watch_params_ask_for_bookmarks_and_streaming_lists() {
        let mut query = PathBuilder::new("/api/v1/pods".into());
        WatchParams::default().streaming_list().populate(&mut query, "");
        assert_eq!(
            query.build(),
            "/api/v1/pods?watch=true&timeoutSeconds=290&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
        );
    }
}
