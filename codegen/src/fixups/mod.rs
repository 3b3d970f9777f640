//! Corrections of known errors in upstream specs, as data.
//!
//! Each fixup names where the error is described and corrects one thing. Applying it has three
//! outcomes: the error is there and is corrected; the fixup's target is absent (another API
//! version, a CRD-only spec), which is fine; or the target is there but already right, which
//! means upstream fixed the spec: generation then fails (for files) so that the fixup is
//! removed, or warns (for a live cluster, whose patch level we do not choose).

use crate::error::{Error, Result};
use crate::spec::RawSpec;

/// One correction of an upstream spec error.
#[derive(Debug)]
pub struct Fixup {
    /// Short identifier.
    pub id: &'static str,
    /// Where the upstream error is described.
    pub source: &'static str,
    /// What it corrects.
    pub correction: Correction,
}

/// What a fixup changes.
#[derive(Debug)]
pub enum Correction {
    /// A property the spec marks required but the server omits or sends as `null`.
    MakeOptional {
        /// The definition.
        definition: &'static str,
        /// The property.
        property: &'static str,
    },
    /// Operations whose `x-kubernetes-group-version-kind` names an options kind that no
    /// definition has (`PodExecOptions` for `pods/exec`): they serve the parent kind.
    ConnectOptionsKind {
        /// The kind the spec names.
        options_kind: &'static str,
        /// The kind of the resource whose subresource it is.
        resource_kind: &'static str,
    },
    /// A list operation that declares the `watch` query parameter although the server cannot
    /// watch the resource: the parameter is dropped so that no watch verb is inferred from it.
    ListWithoutWatch {
        /// The list operation's path.
        path: &'static str,
    },
}

/// Every fixup, in the order they are applied.
pub const FIXUPS: &[Fixup] = &[
    Fixup {
        id: "events-v1-event-time-optional",
        source: "https://github.com/kubernetes-client/python/issues/1616 (also Arnavion/k8s-openapi#137)",
        correction: Correction::MakeOptional { definition: "io.k8s.api.events.v1.Event", property: "eventTime" },
    },
    Fixup {
        id: "connect-pod-exec-options",
        source: "https://github.com/kubernetes/kubernetes/pull/66807",
        correction: Correction::ConnectOptionsKind { options_kind: "PodExecOptions", resource_kind: "Pod" },
    },
    Fixup {
        id: "connect-pod-attach-options",
        source: "https://github.com/kubernetes/kubernetes/pull/66807",
        correction: Correction::ConnectOptionsKind { options_kind: "PodAttachOptions", resource_kind: "Pod" },
    },
    Fixup {
        id: "connect-pod-portforward-options",
        source: "https://github.com/kubernetes/kubernetes/pull/66807",
        correction: Correction::ConnectOptionsKind { options_kind: "PodPortForwardOptions", resource_kind: "Pod" },
    },
    Fixup {
        id: "connect-pod-proxy-options",
        source: "https://github.com/kubernetes/kubernetes/pull/66807",
        correction: Correction::ConnectOptionsKind { options_kind: "PodProxyOptions", resource_kind: "Pod" },
    },
    Fixup {
        id: "connect-node-proxy-options",
        source: "https://github.com/kubernetes/kubernetes/pull/66807",
        correction: Correction::ConnectOptionsKind { options_kind: "NodeProxyOptions", resource_kind: "Node" },
    },
    Fixup {
        id: "connect-service-proxy-options",
        source: "https://github.com/kubernetes/kubernetes/pull/66807",
        correction: Correction::ConnectOptionsKind { options_kind: "ServiceProxyOptions", resource_kind: "Service" },
    },
    Fixup {
        id: "componentstatuses-cannot-watch",
        source: "https://github.com/kubernetes/kubernetes/blob/v1.35.0/pkg/registry/core/componentstatus/rest.go \
                 (the storage implements get and list only; discovery lists verbs [get list])",
        correction: Correction::ListWithoutWatch { path: "/api/v1/componentstatuses" },
    },
];

/// What applying one fixup did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The error was there and is corrected, this many times.
    Applied(usize),
    /// The spec does not have what the fixup is about.
    NotApplicable,
    /// The spec already has it right: upstream fixed it.
    Stale(String),
}

/// How to treat a fixup that no longer applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StalePolicy {
    /// Fail generation (spec files, whose version we choose).
    Fail,
    /// Warn and go on (a live cluster).
    Warn,
}

/// Applies every fixup to `spec`; returns each fixup's outcome.
pub fn apply(spec: &mut RawSpec, policy: StalePolicy) -> Result<Vec<(&'static Fixup, Outcome)>> {
    let mut outcomes = Vec::new();
    for fixup in FIXUPS {
        let outcome = apply_one(spec, &fixup.correction);
        if let Outcome::Stale(message) = &outcome {
            match policy {
                StalePolicy::Fail => {
                    return Err(Error::StaleFixup { id: fixup.id, source_url: fixup.source, message: message.clone() });
                }
                StalePolicy::Warn => {
                    tracing::warn!(fixup = fixup.id, source = fixup.source, "{message}; fixup not needed");
                }
            }
        }
        outcomes.push((fixup, outcome));
    }
    Ok(outcomes)
}

fn apply_one(spec: &mut RawSpec, correction: &Correction) -> Outcome {
    match correction {
        Correction::MakeOptional { definition, property } => {
            let Some(found) = spec.definitions.get_mut(*definition) else {
                return Outcome::NotApplicable;
            };
            if !found.schema.properties.contains_key(*property) {
                return Outcome::Stale(format!("`{definition}` has no property `{property}`"));
            }
            let before = found.schema.required.len();
            found.schema.required.retain(|name| name != property);
            if found.schema.required.len() == before {
                Outcome::Stale(format!("`{definition}.{property}` is already optional"))
            } else {
                Outcome::Applied(1)
            }
        }
        Correction::ConnectOptionsKind { options_kind, resource_kind } => {
            let mut count = 0;
            let mut seen_correct = false;
            for operation in &mut spec.operations {
                if operation.action.as_deref() != Some("connect") {
                    continue;
                }
                let Some(gvk) = &mut operation.group_version_kind else {
                    continue;
                };
                if gvk.group.is_empty() && gvk.version == "v1" && gvk.kind == *options_kind {
                    gvk.kind = (*resource_kind).to_owned();
                    count += 1;
                } else if gvk.group.is_empty() && gvk.kind == *resource_kind {
                    seen_correct = true;
                }
            }
            match (count, seen_correct) {
                (0, true) => Outcome::Stale(format!(
                    "connect operations already name kind {resource_kind} instead of {options_kind}"
                )),
                (0, false) => Outcome::NotApplicable,
                (count, _) => Outcome::Applied(count),
            }
        }
        Correction::ListWithoutWatch { path } => {
            let mut count = 0;
            let mut seen_list = false;
            for operation in &mut spec.operations {
                if operation.path != *path || operation.action.as_deref() != Some("list") {
                    continue;
                }
                seen_list = true;
                let before = operation.query_parameters.len();
                operation.query_parameters.retain(|name| name != "watch");
                count += before - operation.query_parameters.len();
            }
            match (count, seen_list) {
                (0, true) => Outcome::Stale(format!("the list at {path} no longer declares `watch`")),
                (0, false) => Outcome::NotApplicable,
                (count, _) => Outcome::Applied(count),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::Location;
    use crate::spec::{Definition, Schema};

    fn spec_with_event(required: &[&str]) -> RawSpec {
        let mut schema = Schema::default();
        schema.properties.insert("eventTime".into(), Schema::default());
        schema.required = required.iter().map(|name| (*name).to_owned()).collect();
        let mut spec = RawSpec::default();
        spec.definitions.insert(
            "io.k8s.api.events.v1.Event".into(),
            Definition { schema, location: Location::document("test"), from_crd: false },
        );
        spec
    }

    #[test]
    fn applies_and_detects_a_stale_fixup() {
        let mut spec = spec_with_event(&["eventTime"]);
        let outcomes = apply(&mut spec, StalePolicy::Fail).expect("applies");
        assert_eq!(outcomes[0].1, Outcome::Applied(1));
        assert!(spec.definitions["io.k8s.api.events.v1.Event"].schema.required.is_empty());

        let mut fixed_upstream = spec_with_event(&[]);
        let error = apply(&mut fixed_upstream, StalePolicy::Fail).expect_err("stale");
        assert!(error.to_string().contains("events-v1-event-time-optional"), "{error}");
        assert!(error.to_string().contains("already optional"), "{error}");
        apply(&mut spec_with_event(&[]), StalePolicy::Warn).expect("warns only");
    }

    fn spec_with_list(query_parameters: &[&str]) -> RawSpec {
        let mut spec = RawSpec::default();
        spec.operations.push(crate::spec::Operation {
            path: "/api/v1/componentstatuses".into(),
            method: "get".into(),
            action: Some("list".into()),
            group_version_kind: None,
            query_parameters: query_parameters.iter().map(|name| (*name).to_owned()).collect(),
            request_type: None,
            response_type: None,
            location: Location::document("test"),
        });
        spec
    }

    #[test]
    fn drops_the_watch_parameter_of_a_list_that_cannot_watch() {
        let mut spec = spec_with_list(&["limit", "watch"]);
        let outcomes = apply(&mut spec, StalePolicy::Fail).expect("applies");
        let (_, outcome) =
            outcomes.iter().find(|(fixup, _)| fixup.id == "componentstatuses-cannot-watch").expect("fixup");
        assert_eq!(*outcome, Outcome::Applied(1));
        assert_eq!(spec.operations[0].query_parameters, ["limit"]);

        let error = apply(&mut spec_with_list(&["limit"]), StalePolicy::Fail).expect_err("stale");
        assert!(error.to_string().contains("componentstatuses-cannot-watch"), "{error}");
    }

    #[test]
    fn absent_targets_are_not_applicable() {
        let outcomes = apply(&mut RawSpec::default(), StalePolicy::Fail).expect("applies");
        assert!(outcomes.iter().all(|(_, outcome)| *outcome == Outcome::NotApplicable));
    }
}
