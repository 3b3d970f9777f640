//! Generating from a live cluster: the committed crate `tests/cluster-crds` is what the
//! cluster's cert-manager CRDs generate (`KUBEGEN_UPDATE=1` rewrites it); the cluster's
//! built-in types equal the bundled v1.35 spec's; adding a CRD and regenerating adds its
//! module and changes nothing else; discovery agrees with `kubectl api-resources`; an
//! unauthorized cluster fails cleanly, leaving no output.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kubegen::emit::RuntimeDependency;
use kubegen::fixups::StalePolicy;
use kubegen::generate::{ExternTypes, Options, build_model, load_inputs};
use kubegen::ir::Model;
use kubegen::spec::cluster::{self, ClusterOptions};
use kubegen_runtime::dynamic::Discovery;
use kubegen_tests::ControlPlane;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("workspace")
}

fn crd(name: &str) -> PathBuf {
    workspace().join("specs/crds").join(name)
}

const CERTIFICATES: &str = "cert-manager-v1.21.1-cert-manager.io_certificates.yaml";
const ISSUERS: &str = "cert-manager-v1.21.1-cert-manager.io_issuers.yaml";
const PROMETHEUS_RULES: &str = "prometheus-operator-v0.93.0-monitoring.coreos.com_prometheusrules.yaml";

fn cluster_options(cp: &ControlPlane, groups: &[&str]) -> ClusterOptions {
    ClusterOptions {
        kubeconfig: Some(cp.kubeconfig_path().to_owned()),
        context: None,
        groups: groups.iter().map(|group| (*group).to_owned()).collect(),
    }
}

async fn plane_with_cert_manager() -> &'static ControlPlane {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    cp.install_crds(&[crd(CERTIFICATES), crd(ISSUERS)]).await.expect("CRDs");
    wait_for_openapi(cp, "cert-manager.io/v1", &["Certificate", "Issuer"]).await;
    cp
}

/// Waits until the server publishes the schemas of `kinds` in `/openapi/v3`: the OpenAPI
/// controller does so a moment after a CRD is established.
async fn wait_for_openapi(cp: &ControlPlane, group_version: &str, kinds: &[&str]) {
    let http = cp.http().expect("http");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let index = http.get("/openapi/v3").await.expect("index");
        let url = index["paths"][format!("apis/{group_version}")]["serverRelativeURL"].as_str().map(str::to_owned);
        if let Some(url) = url {
            let document = http.get_text(&url).await.expect("document");
            if kinds
                .iter()
                .all(|kind| document.contains(&format!(".{kind}\"")) || document.contains(&format!(".{kind}List\"")))
            {
                return;
            }
        }
        assert!(std::time::Instant::now() < deadline, "{group_version} is not published in /openapi/v3");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Tests that read every group the cluster serves hold this for reading; the test that adds a
/// CRD holds it for writing, so that no test sees the CRD appear half-way through (the
/// built-in type comparison would find a type only the cluster has; discovery would differ
/// from kubectl's listing taken a moment later).
static CLUSTER_GROUPS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// `kubegen generate` run on a blocking thread (it runs its own runtime for the fetch).
async fn generate(options: Options) -> kubegen::Result<kubegen::Report> {
    tokio::task::spawn_blocking(move || kubegen::generate(&options)).await.expect("joins")
}

#[tokio::test]
async fn the_committed_cluster_crate_is_what_the_cluster_generates() {
    let cp = plane_with_cert_manager().await;
    let update = std::env::var_os("KUBEGEN_UPDATE").is_some();
    let mut options = Options::new(workspace().join("tests/cluster-crds"));
    options.crate_name = "kubegen-cluster-crds".into();
    options.check = !update;
    options.from_cluster = Some(cluster_options(cp, &["cert-manager.io"]));
    options.extern_types = Some(ExternTypes {
        package: "kubegen-api".into(),
        dependency: RuntimeDependency::Path("../../generated".into()),
        specs: Vec::new(),
    });
    let report = generate(options).await.unwrap_or_else(|error| {
        panic!("{error}\n(if the cluster's CRDs or the generator changed on purpose, rerun with KUBEGEN_UPDATE=1)")
    });
    assert_eq!(report.resources, 2, "certificates and issuers");
}

fn model(spec: kubegen::spec::RawSpec) -> Model {
    build_model(spec, StalePolicy::Warn).expect("builds")
}

#[tokio::test]
async fn the_clusters_builtin_types_equal_the_bundled_specs() {
    let cp = plane_with_cert_manager().await;
    let _groups = CLUSTER_GROUPS.read().await;
    let options = cluster_options(cp, &[]);
    let from_cluster =
        model(tokio::task::spawn_blocking(move || cluster::load(&options)).await.expect("joins").expect("loads"));
    let bundled = model(load_inputs(&[workspace().join("specs/kubernetes-v1.35-openapi-v3")], &[]).expect("loads"));

    // The cluster also serves the CRDs this binary installed (cert-manager's, and the
    // Prometheus rules of `adding_a_crd_...` if it ran first); the bundled files do not.
    let from_crds = |id: &str| {
        ["io.cert-manager.", "cert_manager_io_", "com.coreos.monitoring.", "monitoring_coreos_com_"]
            .iter()
            .any(|prefix| id.starts_with(prefix))
    };
    let only_cluster: BTreeSet<&str> = from_cluster
        .types
        .keys()
        .filter(|id| !bundled.types.contains_key(*id) && !from_crds(id))
        .map(String::as_str)
        .collect();
    assert!(only_cluster.is_empty(), "types only the cluster has: {only_cluster:?}");
    // The bundled files describe every group/version; a server serves alpha and beta ones
    // only when told to (`--runtime-config`, feature gates). So the cluster must have every
    // type that its own group/versions' types refer to (transitively); types only the
    // unserved group/versions use (such as `meta/v1` `GroupResource`) may be missing. Types
    // both have are compared below.
    let served: BTreeSet<&str> = bundled
        .types
        .values()
        .filter(|ty| !(ty.module.contains("alpha") || ty.module.contains("beta")))
        .map(|ty| ty.id.as_str())
        .collect();
    let needed = reachable(&bundled, served.iter().copied().filter(|id| !id.contains(".meta.v1.")).collect());
    let only_bundled: Vec<&String> = needed.iter().filter(|id| !from_cluster.types.contains_key(id.as_str())).collect();
    assert!(
        only_bundled.is_empty(),
        "types the served group/versions need that only the bundled spec has: {only_bundled:?}"
    );

    // Descriptions may differ between the patch release the cluster runs (v1.35.8) and the
    // release-1.35 branch the bundled files were taken from; everything else must be equal.
    let mut differences = Vec::new();
    for (id, expected) in &bundled.types {
        let Some(found) = from_cluster.types.get(id) else { continue };
        let mut found = found.clone();
        found.location = expected.location.clone();
        found.doc = expected.doc.clone();
        if let (kubegen::ir::TypeKind::Struct(found), kubegen::ir::TypeKind::Struct(expected)) =
            (&mut found.kind, &expected.kind)
        {
            for (field, expected_field) in found.fields.iter_mut().zip(&expected.fields) {
                field.doc = expected_field.doc.clone();
            }
        }
        if found != *expected {
            differences.push(format!("{id}:\n  cluster: {found:?}\n  bundled: {expected:?}"));
        }
    }
    assert!(differences.is_empty(), "{} types differ:\n{}", differences.len(), differences.join("\n"));
    let builtin: BTreeMap<&String, &kubegen::ir::Resource> =
        from_cluster.resources.iter().filter(|(id, _)| bundled.types.contains_key(*id)).collect();
    let expected: BTreeMap<&String, &kubegen::ir::Resource> =
        bundled.resources.iter().filter(|(id, _)| from_cluster.types.contains_key(*id)).collect();
    assert_eq!(builtin, expected, "resources differ");
}

#[tokio::test]
async fn a_crd_file_and_the_cluster_serving_it_give_the_same_types() {
    let cp = plane_with_cert_manager().await;
    let options = cluster_options(cp, &["cert-manager.io"]);
    let from_cluster =
        model(tokio::task::spawn_blocking(move || cluster::load(&options)).await.expect("joins").expect("loads"));
    let mut from_files = kubegen::spec::RawSpec::default();
    for file in [CERTIFICATES, ISSUERS] {
        from_files.merge(kubegen::spec::crd::load_file(&crd(file)).expect("CRD")).expect("merges");
    }
    let from_files = model(from_files);
    let mut compared = 0;
    for (id, ty) in from_files.types.iter().filter(|(_, ty)| ty.module == "cert_manager_io_v1") {
        let mut found = from_cluster.types.get(id).unwrap_or_else(|| panic!("the cluster has no {id}")).clone();
        found.location = ty.location.clone();
        assert_eq!(&found, ty, "{id}");
        compared += 1;
    }
    assert!(compared > 50, "compared {compared} types");
    let resources = |model: &Model| -> Vec<kubegen::ir::Resource> {
        model.resources.values().filter(|r| r.group_version_kind.group == "cert-manager.io").cloned().collect()
    };
    assert_eq!(resources(&from_files), resources(&from_cluster));
}

/// Every type `roots` refer to, transitively, roots included.
fn reachable(model: &Model, roots: Vec<&str>) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = roots.into_iter().map(str::to_owned).collect();
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(ty) = model.types.get(&id) else { continue };
        let shapes: Vec<&kubegen::ir::Shape> = match &ty.kind {
            kubegen::ir::TypeKind::Struct(body) => body.fields.iter().map(|field| &field.shape).collect(),
            kubegen::ir::TypeKind::Union(variants) => variants.iter().map(|variant| &variant.shape).collect(),
            kubegen::ir::TypeKind::Alias(shape) => vec![shape],
            _ => Vec::new(),
        };
        stack.extend(shapes.iter().flat_map(|shape| shape.references()).map(str::to_owned));
    }
    seen
}

#[tokio::test]
async fn adding_a_crd_adds_its_module_and_changes_nothing_else() {
    let cp = plane_with_cert_manager().await;
    let _groups = CLUSTER_GROUPS.write().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("api");
    let options = || {
        let mut options = Options::new(&out);
        options.from_cluster = Some(cluster_options(cp, &[]));
        options.runtime = Some(RuntimeDependency::Version("0.1".into()));
        options
    };
    generate(options()).await.expect("first generation");
    cp.install_crds(&[crd(PROMETHEUS_RULES)]).await.expect("CRD");
    wait_for_openapi(cp, "monitoring.coreos.com/v1", &["PrometheusRule"]).await;
    let report = generate(options()).await.expect("second generation");
    let written: BTreeSet<&str> = report.write.written.iter().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "Cargo.toml",
        "README.md",
        "src/lib.rs",
        "src/clientset.rs",
        "src/informers.rs",
        "src/monitoring_coreos_com_v1/mod.rs",
        "src/monitoring_coreos_com_v1/apply.rs",
        "src/monitoring_coreos_com_v1/client.rs",
        "src/monitoring_coreos_com_v1/informers.rs",
        "src/monitoring_coreos_com_v1/prometheus_rule.rs",
        "src/monitoring_coreos_com_v1/prometheus_rule_list.rs",
    ]
    .into();
    assert_eq!(written, expected, "only the new module and the files that list modules change");
    assert!(report.write.removed.is_empty());
    let third = generate(options()).await.expect("third generation");
    assert!(third.write.written.is_empty(), "an unchanged cluster changes nothing");
    let mut check = options();
    check.check = true;
    generate(check).await.expect("--check agrees");
}

#[tokio::test]
async fn discovery_agrees_with_kubectl_api_resources() {
    let cp = plane_with_cert_manager().await;
    let _groups = CLUSTER_GROUPS.read().await;
    let discovery = Discovery::run(&cp.kube_client().expect("client")).await.expect("discovery");
    assert!(discovery.is_aggregated(), "a 1.35 server offers aggregated discovery");
    assert!(discovery.failed().is_empty());
    let pods = discovery.resolve("po").expect("pods by short name");
    assert_eq!((pods.kind.as_str(), pods.namespaced), ("Pod", true));
    assert!(pods.subresources.iter().any(|sub| sub == "log"));
    let certificates = discovery.resolve("certificates.cert-manager.io").expect("the CRD");
    assert_eq!(certificates.short_names, ["cert", "certs"]);
    assert!(certificates.subresources.iter().any(|sub| sub == "status"));

    let Some(kubectl) = which("kubectl") else {
        eprintln!("skipping the comparison with kubectl api-resources: kubectl is not on PATH");
        return;
    };
    let output = std::process::Command::new(kubectl)
        .args(["api-resources", "-o", "wide", "--no-headers", "--kubeconfig"])
        .arg(cp.kubeconfig_path())
        .output()
        .expect("runs kubectl");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // NAME SHORTNAMES APIVERSION NAMESPACED KIND VERBS CATEGORIES, where short names and
    // categories may be empty: find the NAMESPACED column and read around it.
    let mut from_kubectl = BTreeSet::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let columns: Vec<&str> = line.split_whitespace().collect();
        let Some(at) = columns.iter().skip(2).position(|column| matches!(*column, "true" | "false")).map(|at| at + 2)
        else {
            continue;
        };
        let verbs: BTreeSet<String> =
            columns.get(at + 2).map(|verbs| verbs.split(',').map(str::to_owned).collect()).unwrap_or_default();
        from_kubectl.insert((
            columns[0].to_owned(),
            columns[at - 1].to_owned(),
            columns[at] == "true",
            columns[at + 1].to_owned(),
            verbs,
        ));
    }
    // kubectl lists each group's preferred version only.
    let ours: BTreeSet<(String, String, bool, String, BTreeSet<String>)> = discovery
        .groups()
        .iter()
        .flat_map(|group| {
            let preferred = group.preferred_version().unwrap_or_default().to_owned();
            group.resources.iter().filter(move |resource| resource.version == preferred)
        })
        .map(|resource| {
            (
                resource.plural.clone(),
                resource.api_version(),
                resource.namespaced,
                resource.kind.clone(),
                resource.verbs.iter().cloned().collect(),
            )
        })
        .collect();
    assert_eq!(ours, from_kubectl);
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join(program)).find(|path| path.is_file())
}

#[tokio::test]
async fn an_unauthorized_cluster_fails_cleanly_and_leaves_no_output() {
    let cp = plane_with_cert_manager().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: p\n  cluster: {{server: '{}', insecure-skip-tls-verify: true}}\n\
             users:\n- name: u\n  user: {{token: not-a-token}}\ncontexts:\n- name: c\n  context: {{cluster: p, user: u}}\n",
            cp.server_url()
        ),
    )
    .expect("kubeconfig");
    let out = dir.path().join("api");
    let mut options = Options::new(&out);
    options.from_cluster = Some(ClusterOptions { kubeconfig: Some(kubeconfig), ..ClusterOptions::default() });
    let error = generate(options).await.expect_err("unauthorized").to_string();
    assert!(error.contains(&format!("{}/openapi/v3", cp.server_url())), "{error}");
    assert!(error.contains("401"), "{error}");
    assert!(!out.exists(), "no output directory");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1, "nothing but the kubeconfig");
}
