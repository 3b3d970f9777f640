//! Puts the fixture ConfigMaps into the cluster, and changes them: the set-up and the update
//! traffic of the informer workload, sent with the harness's plain HTTP client so that no
//! library under test does the writing.

use std::path::Path;

use anyhow::Context as _;
use futures::{StreamExt as _, TryStreamExt as _};
use kubegen_tests::{Http, PatchType};
use serde_json::{Value, json};

use super::probe::REVISION_KEY;
use crate::fixtures::{self, Manifest};

/// Creates ConfigMaps number `from` to `to` (exclusive) in `namespace`, `concurrency` requests at
/// a time, and the namespace itself when `from` is 0; returns their names. Past the fixture's
/// count the fixtures repeat under suffixed names (`<name>-1`, `<name>-2`, ...).
pub async fn create(
    http: &Http,
    namespace: &str,
    dir: &Path,
    manifest: &Manifest,
    from: usize,
    to: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<String>> {
    if from == 0 {
        let body = json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": namespace } });
        http.post("/api/v1/namespaces", &body).await.with_context(|| format!("creating namespace {namespace}"))?;
    }
    let bytes = manifest.config_maps.read_watch(dir)?;
    let mut fixture = Vec::new();
    for (number, line) in fixtures::lines(&bytes).enumerate() {
        let event: Value = serde_json::from_slice(line)
            .with_context(|| format!("decoding line {} of {}", number + 1, manifest.config_maps.watch_file))?;
        fixture
            .push(creatable(&event["object"], namespace).with_context(|| format!("ConfigMap on line {}", number + 1))?);
    }
    if fixture.is_empty() {
        anyhow::bail!("the fixtures hold no ConfigMaps");
    }
    let objects: Vec<(String, Value)> = (from..to)
        .map(|number| {
            let (name, body) = &fixture[number % fixture.len()];
            let round = number / fixture.len();
            if round == 0 {
                return (name.clone(), body.clone());
            }
            let renamed = format!("{name}-{round}");
            let mut body = body.clone();
            body["metadata"]["name"] = Value::String(renamed.clone());
            (renamed, body)
        })
        .collect();
    let path = format!("/api/v1/namespaces/{namespace}/configmaps");
    let names = objects.iter().map(|(name, _)| name.clone()).collect();
    futures::stream::iter(objects)
        .map(|(name, body)| {
            let path = &path;
            async move { http.post(path, &body).await.with_context(|| format!("creating ConfigMap {name}")) }
        })
        .buffer_unordered(concurrency)
        .try_for_each(|_| async { Ok(()) })
        .await?;
    Ok(names)
}

/// The object without what the server sets, in `namespace`; with its name.
fn creatable(object: &Value, namespace: &str) -> anyhow::Result<(String, Value)> {
    let name = object["metadata"]["name"].as_str().context("a fixture ConfigMap has no name")?.to_owned();
    let body = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": object["metadata"]["labels"],
            "annotations": object["metadata"]["annotations"],
        },
        "data": object["data"],
    });
    Ok((name, body))
}

/// Sets `data.bench-rev` to `<token>-<n>` on `updates` ConfigMaps (cycling through `names`),
/// `concurrency` merge patches at a time.
pub async fn update(
    http: &Http,
    namespace: &str,
    names: &[String],
    updates: usize,
    token: &str,
    concurrency: usize,
) -> anyhow::Result<()> {
    futures::stream::iter(names.iter().cycle().take(updates).enumerate())
        .map(|(number, name)| async move {
            let path = format!("/api/v1/namespaces/{namespace}/configmaps/{name}");
            let patch = json!({ "data": { REVISION_KEY: format!("{token}-{number:06}") } });
            http.patch(&path, PatchType::Merge, &patch).await.with_context(|| format!("updating ConfigMap {name}"))
        })
        .buffer_unordered(concurrency)
        .try_for_each(|_| async { Ok(()) })
        .await
}
