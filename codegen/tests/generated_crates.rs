//! Generated crates compile, and real objects round-trip through them.
//!
//! Each test generates a crate under `target/golden/` and runs `cargo` on it with its own
//! target directory (`target/golden/target`, kept between runs so that only changes rebuild).
//!
//! - The bundled spec plus the six CRDs in `specs/crds` and a test CRD whose objects keep
//!   properties their schema does not list: realistic objects of each custom
//!   resource, and a Pod, Deployment, Service, Node and CustomResourceDefinition, decode and
//!   encode back to equal JSON.
//! - The v1.28 Swagger spec generates a crate that compiles.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("workspace")
}

fn golden(name: &str) -> PathBuf {
    workspace().join("target/golden").join(name)
}

fn kubegen(args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_kubegen")).args(args).output().expect("runs kubegen");
    assert!(output.status.success(), "kubegen {args:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
}

fn cargo(manifest_dir: &Path, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(args)
        .arg("--manifest-path")
        .arg(manifest_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", workspace().join("target/golden/target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("runs cargo");
    assert!(
        output.status.success(),
        "cargo {args:?} in {} failed:\n{}\n{}",
        manifest_dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// (fixture, Rust type) for every object that must round-trip.
const OBJECTS: &[(&str, &str)] = &[
    ("pod", "core_v1::Pod"),
    ("deployment", "apps_v1::Deployment"),
    ("service", "core_v1::Service"),
    ("node", "core_v1::Node"),
    ("customresourcedefinition", "apiextensions_v1::CustomResourceDefinition"),
    ("certificate", "cert_manager_io_v1::Certificate"),
    ("issuer", "cert_manager_io_v1::Issuer"),
    ("servicemonitor", "monitoring_coreos_com_v1::ServiceMonitor"),
    ("prometheusrule", "monitoring_coreos_com_v1::PrometheusRule"),
    ("httproute", "gateway_networking_k8s_io_v1::HTTPRoute"),
    ("workflow", "argoproj_io_v1alpha1::Workflow"),
    ("widget", "example_io_v1::Widget"),
];

const FEATURES: &str = "core_v1,apps_v1,apiextensions_v1,cert_manager_io_v1,monitoring_coreos_com_v1,\
gateway_networking_k8s_io_v1,gateway_networking_k8s_io_v1beta1,argoproj_io_v1alpha1,example_io_v1";

#[test]
fn crds_and_builtin_objects_round_trip() {
    let out = golden("crds");
    let mut args = vec!["generate".to_owned(), "--out".to_owned(), path_str(&out).to_owned()];
    args.extend(["--crate-name".to_owned(), "golden-crds".to_owned()]);
    let mut crds: Vec<PathBuf> = std::fs::read_dir(workspace().join("specs/crds"))
        .expect("specs/crds")
        .map(|entry| entry.expect("entry").path())
        .collect();
    crds.sort();
    assert_eq!(crds.len(), 6, "the six CRDs");
    // Ours: structs that keep unknown properties, which none of the six has.
    crds.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crds/widgets.example.io.yaml"));
    for crd in &crds {
        args.extend(["--crd".to_owned(), path_str(crd).to_owned()]);
    }
    kubegen(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/objects");
    let mut test = String::from(ROUND_TRIP_PRELUDE);
    for (fixture, rust_type) in OBJECTS {
        let path = fixtures.join(format!("{fixture}.json"));
        test.push_str(&format!(
            "\n#[test]\nfn {fixture}() {{\n    round_trip::<golden_crds::{rust_type}>({fixture:?}, include_str!({:?}));\n}}\n",
            path_str(&path)
        ));
    }
    std::fs::create_dir_all(out.join("tests")).expect("tests dir");
    std::fs::write(out.join("tests/round_trip.rs"), test).expect("writes the test");
    cargo(&out, &["test", "--offline", "--no-default-features", "--features", FEATURES]);
}

#[test]
fn the_v1_28_spec_generates_a_crate_that_compiles() {
    let out = golden("v1_28");
    let spec = workspace().join("specs/kubernetes-v1.28-swagger.json");
    kubegen(&["generate", "--spec", path_str(&spec), "--out", path_str(&out), "--crate-name", "golden-v1-28"]);
    assert!(out.join("src/flowcontrol_v1beta3/mod.rs").exists(), "a group/version only 1.28 has");
    cargo(&out, &["check", "--offline"]);
}

/// The helper the generated round-trip test uses: decode, encode, compare as JSON values
/// (with `null` treated as absent and numbers compared by value, as JSON defines them).
const ROUND_TRIP_PRELUDE: &str = r#"//! Written by kubegen's `generated_crates` test.

use serde_json::Value;

fn normalize(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, normalize(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize).collect()),
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 9.0e15 => {
                Value::from(float as i64)
            }
            _ => Value::Number(number),
        },
        other => other,
    }
}

fn first_difference(path: &str, left: &Value, right: &Value) -> Option<String> {
    match (left, right) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys()) {
                let child = format!("{path}/{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => {
                        if let Some(found) = first_difference(&child, x, y) {
                            return Some(found);
                        }
                    }
                    (x, y) => return Some(format!("{child}: {x:?} vs {y:?}")),
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(index, (x, y))| first_difference(&format!("{path}/{index}"), x, y)),
        (a, b) if a == b => None,
        (a, b) => Some(format!("{path}: {a} vs {b}")),
    }
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(name: &str, json: &str) {
    let original = normalize(serde_json::from_str(json).expect("fixture is JSON"));
    let typed: T = serde_json::from_str(json).unwrap_or_else(|error| panic!("{name} does not decode: {error}"));
    let encoded = normalize(serde_json::to_value(&typed).expect("encodes"));
    if let Some(difference) = first_difference("", &original, &encoded) {
        panic!("{name} does not round-trip: {difference}");
    }
}
"#;
