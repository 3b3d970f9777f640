//! Installing CustomResourceDefinitions from YAML or JSON files and waiting until they are
//! served.
//!
//! Each file may hold several YAML documents, and a document may be a `List` of CRDs. CRDs are
//! applied server-side (`fieldManager=kubegen-tests`, `force=true`), so installing the same file
//! twice, or from two tests of one binary at once, is harmless. A CRD counts as installed when its
//! `Established` condition is `True`, a list of its first served version answers 200 (the
//! condition can precede the REST handler by a moment) *and* the aggregated discovery document
//! (`/apis`) lists the resource: a discovery controller adds it there on its own schedule, and
//! a test that resolves the resource by discovery right after installing it must find it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize as _;
use serde_json::Value;

use crate::http::{Http, PatchType, query};
use crate::{Error, FIELD_MANAGER};

const CRD_PATH: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// The media type of aggregated discovery (`apidiscovery.k8s.io/v2`, GA since 1.30).
const AGGREGATED_DISCOVERY: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// One CRD read from a file.
pub(crate) struct Crd {
    file: PathBuf,
    name: String,
    /// `/apis/<group>/<first served version>/<plural>`.
    list_path: String,
    /// `<group>/<first served version>`, as aggregated discovery names it.
    group_version: (String, String),
    plural: String,
    manifest: Value,
}

/// Reads every CRD in `path`.
pub(crate) fn load(path: &Path) -> Result<Vec<Crd>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
    let mut crds = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(&text).enumerate() {
        let manifest_error = |message: String| Error::Manifest {
            path: path.to_path_buf(),
            message: format!("document {}: {message}", index + 1),
        };
        let value = Value::deserialize(document).map_err(|e| manifest_error(e.to_string()))?;
        let items = match value.get("kind").and_then(Value::as_str) {
            _ if value.is_null() => continue,
            Some("CustomResourceDefinition") => vec![value],
            Some(kind) if kind.ends_with("List") => match value.get("items") {
                Some(Value::Array(items)) => items.clone(),
                _ => return Err(manifest_error(format!("a {kind} without items"))),
            },
            Some(kind) => {
                return Err(manifest_error(format!("a {kind}, not a CustomResourceDefinition")));
            }
            None => return Err(manifest_error("no kind".to_string())),
        };
        for item in items {
            crds.push(Crd::new(path, item).map_err(manifest_error)?);
        }
    }
    if crds.is_empty() {
        return Err(Error::Manifest {
            path: path.to_path_buf(),
            message: "no CustomResourceDefinition in the file".to_string(),
        });
    }
    Ok(crds)
}

impl Crd {
    fn new(file: &Path, manifest: Value) -> Result<Self, String> {
        let text = |pointer: &str| {
            manifest.pointer(pointer).and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("no {pointer}"))
        };
        let name = text("/metadata/name")?;
        let group = text("/spec/group")?;
        let plural = text("/spec/names/plural")?;
        let version = manifest
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .and_then(|versions| versions.iter().find(|v| v.get("served").and_then(Value::as_bool) == Some(true)))
            .and_then(|v| v.get("name"))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("CRD {name} has no served version"))?;
        Ok(Crd {
            file: file.to_path_buf(),
            list_path: format!("/apis/{group}/{version}/{plural}"),
            group_version: (group, version.to_owned()),
            plural,
            name,
            manifest,
        })
    }
}

/// Applies every CRD, then waits until each is established and served.
pub(crate) async fn install(http: &Http, crds: &[Crd], timeout: Duration) -> Result<Vec<String>, Error> {
    for crd in crds {
        let path = query(&format!("{CRD_PATH}/{}", crd.name), &[("fieldManager", FIELD_MANAGER), ("force", "true")]);
        http.patch(&path, PatchType::Apply, &crd.manifest).await.map_err(|e| Error::Manifest {
            path: crd.file.clone(),
            message: format!("applying CRD {}: {e}", crd.name),
        })?;
    }
    let deadline = Instant::now() + timeout;
    for crd in crds {
        wait_served(http, crd, deadline, timeout).await?;
    }
    Ok(crds.iter().map(|crd| crd.name.clone()).collect())
}

async fn wait_served(http: &Http, crd: &Crd, deadline: Instant, timeout: Duration) -> Result<(), Error> {
    let list = query(&crd.list_path, &[("limit", "1")]);
    loop {
        let last = match http.get(&format!("{CRD_PATH}/{}", crd.name)).await {
            Ok(current) if is_established(&current) => match http.get(&list).await {
                Ok(_) => match http.get_as("/apis", AGGREGATED_DISCOVERY).await {
                    Ok(discovery) if discovers(&discovery, crd) => return Ok(()),
                    Ok(_) => "not yet in the aggregated discovery document".to_owned(),
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            },
            Ok(current) => format!("conditions: {}", current.pointer("/status/conditions").unwrap_or(&Value::Null)),
            Err(e) => e.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: format!(
                    "CRD {} from {} to be established and served (last: {last})",
                    crd.name,
                    crd.file.display()
                ),
                timeout,
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Whether an aggregated discovery document (`APIGroupDiscoveryList`) lists `crd`'s resource
/// in its first served version.
fn discovers(discovery: &Value, crd: &Crd) -> bool {
    let (group, version) = &crd.group_version;
    let named = |value: &Value, key: &str, name: &str| value.get(key).and_then(Value::as_str) == Some(name);
    array(discovery, "items")
        .filter(|item| item.pointer("/metadata/name").and_then(Value::as_str) == Some(group.as_str()))
        .flat_map(|item| array(item, "versions"))
        .filter(|entry| named(entry, "version", version))
        .flat_map(|entry| array(entry, "resources"))
        .any(|resource| named(resource, "resource", &crd.plural))
}

/// The elements of the array under `key`; none when it is missing or not an array.
fn array<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn is_established(crd: &Value) -> bool {
    crd.pointer("/status/conditions").and_then(Value::as_array).is_some_and(|conditions| {
        conditions.iter().any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Established")
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("crds.yaml");
        std::fs::write(&path, text).expect("write");
        path
    }

    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {plural: widgets, kind: Widget}
  scope: Namespaced
  versions:
  - {name: v1alpha1, served: false, storage: false}
  - {name: v1, served: true, storage: true}
";

    #[test]
    fn loads_multi_document_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), &format!("---\n{CRD}---\n{CRD}"));
        let crds = load(&path).expect("load");
        assert_eq!(crds.len(), 2);
        assert_eq!(crds[0].name, "widgets.example.com");
        assert_eq!(crds[0].list_path, "/apis/example.com/v1/widgets");
    }

    #[test]
    fn rejects_other_kinds_naming_the_document() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), &format!("{CRD}---\nkind: ConfigMap\n"));
        let message = load(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("document 2: a ConfigMap"), "{message}");
    }

    #[test]
    fn established_condition() {
        let yes = serde_json::json!({"status": {"conditions": [
            {"type": "NamesAccepted", "status": "True"},
            {"type": "Established", "status": "True"}]}});
        let no = serde_json::json!({"status": {"conditions": [
            {"type": "Established", "status": "False"}]}});
        assert!(is_established(&yes));
        assert!(!is_established(&no));
        assert!(!is_established(&serde_json::json!({})));
    }

    #[test]
    fn aggregated_discovery_must_list_the_resource_in_its_served_version() {
        let dir = tempfile::tempdir().expect("temp dir");
        let crds = load(&write(dir.path(), CRD)).expect("load");
        let document = |version: &str, resource: &str| {
            serde_json::json!({"kind": "APIGroupDiscoveryList", "items": [
                {"metadata": {"name": "other.io"}, "versions": [{"version": "v1", "resources": [{"resource": "widgets"}]}]},
                {"metadata": {"name": "example.com"}, "versions": [{"version": version, "resources": [{"resource": resource}]}]},
            ]})
        };
        assert!(discovers(&document("v1", "widgets"), &crds[0]));
        assert!(!discovers(&document("v1alpha1", "widgets"), &crds[0]), "not served in that version");
        assert!(!discovers(&document("v1", "gadgets"), &crds[0]));
        assert!(!discovers(&serde_json::json!({}), &crds[0]));
    }
}
