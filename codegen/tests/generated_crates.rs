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
//! - A crate from hostile specs (the corpus in `hostile/`: spec text that would end comments
//!   and strings, names that are no identifiers or collide with the crate's own items,
//!   recursive aliases) compiles, and its odd types round-trip.

mod hostile;

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

/// The golden crates' own target directory: under `$CARGO_TARGET_DIR` when it is set (so
/// that checkouts sharing one target share it), else under the workspace's `target/`. Never
/// the test's own target directory, which the running `cargo test` holds locked.
fn golden_target() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("golden"),
        None => workspace().join("target/golden/target"),
    }
}

fn cargo(manifest_dir: &Path, args: &[&str]) -> String {
    // The workspace's lock, so that the golden crates build against the dependency versions
    // the runtime is built and tested with, not whatever newer release the local registry
    // holds (`--offline` resolves a crate without a lock to the newest one cached; a newer
    // rustls deprecated an API the runtime calls and failed the warning-free check).
    std::fs::copy(workspace().join("Cargo.lock"), manifest_dir.join("Cargo.lock")).expect("copies the lock");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(args)
        .arg("--manifest-path")
        .arg(manifest_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", golden_target())
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
    String::from_utf8_lossy(&output.stderr).into_owned()
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
    let _ = cargo(&out, &["test", "--offline", "--no-default-features", "--features", FEATURES]);
}

#[test]
fn the_v1_28_spec_generates_a_crate_that_compiles() {
    let out = golden("v1_28");
    let spec = workspace().join("specs/kubernetes-v1.28-swagger.json");
    kubegen(&["generate", "--spec", path_str(&spec), "--out", path_str(&out), "--crate-name", "golden-v1-28"]);
    assert!(out.join("src/flowcontrol_v1beta3/mod.rs").exists(), "a group/version only 1.28 has");
    let _ = cargo(&out, &["check", "--offline"]);
}

#[test]
fn a_crate_from_hostile_specs_compiles_and_round_trips() {
    use serde_json::json;

    let out = golden("hostile");
    let inputs = workspace().join("target/golden/hostile-inputs");
    std::fs::create_dir_all(&inputs).expect("inputs dir");

    // Swagger: recursive aliases; every odd name as a property and an enum value; each
    // comment or string breaker in a description, a property name and an enum value; odd
    // definition names that stay distinct types.
    let mut definitions = hostile::recursive_aliases();
    let names = hostile::names();
    let properties: serde_json::Map<String, serde_json::Value> =
        names.iter().map(|name| (name.clone(), json!({ "type": "string" }))).collect();
    definitions["io.example.odd.v1.Names"] = json!({
        "type": "object",
        "properties": properties,
    });
    definitions["io.example.odd.v1.Values"] = json!({ "type": "string", "enum": names });
    for (index, payload) in hostile::payloads().iter().enumerate() {
        definitions[format!("io.example.text.v1.Text{index}")] = json!({
            "type": "object",
            "description": payload,
            "properties": {
                payload.clone(): { "type": "string", "description": payload },
                "mode": { "type": "string", "enum": [payload, "plain"], "description": payload },
            },
        });
    }
    let mut taken = std::collections::BTreeSet::new();
    for name in names.iter().filter(|name| !name.contains('.')) {
        let type_name = kubegen::ir::names::type_name(name);
        if taken.insert(type_name) {
            definitions[format!("io.example.defs.v1.{name}")] =
                json!({ "type": "object", "properties": { "x": { "type": "string" } } });
        }
    }
    let spec = inputs.join("hostile.json");
    std::fs::write(&spec, hostile::swagger(definitions)).expect("writes the spec");

    // CRDs: a group and plural starting with digits and a kind `Self`; a group with a
    // newline and code; kinds named as the module's client and informers and as prelude
    // types; a plural `new`; a very long kind; a bidirectional override in a description.
    let schema = |description: &str| hostile::simple_schema(description, "self", "Self");
    let newline = format!("x\n{}.example.com", hostile::INJECTED);
    let long_kind = "Long".repeat(100);
    let crds = [
        hostile::crd("9lives.example.com", "Self", "3things", "v1", schema("d")),
        hostile::crd(&newline, "Widget", "widgets", "v1", schema("a\n}\n*/ pub fn INJECTED() {}")),
        hostile::crd("example.com", "ExampleComV1Client", "clients", "v1", schema("d")),
        hostile::crd("example.com", "ExampleComV1Informers", "informers", "v1", schema("d")),
        hostile::crd("example.com", "String", "strings", "v1", schema("d")),
        hostile::crd("example.com", "Option", "options", "v1", schema("d")),
        hostile::crd("example.com", "New", "new", "v1", schema("d")),
        hostile::crd("example.com", &long_kind, "longs", "v1", schema("d")),
        hostile::crd("clientset.example.com", "Default", "defaults", "v1", schema("\u{202e}evil\u{2066}")),
    ];
    let crd_file = inputs.join("hostile.yaml");
    std::fs::write(&crd_file, crds.join("\n---\n")).expect("writes the CRDs");

    kubegen(&[
        "generate",
        "--spec",
        path_str(&spec),
        "--crd",
        path_str(&crd_file),
        "--out",
        path_str(&out),
        "--crate-name",
        "golden-hostile",
    ]);
    std::fs::create_dir_all(out.join("tests")).expect("tests dir");
    std::fs::write(out.join("tests/hostile.rs"), HOSTILE_TEST).expect("writes the test");
    let stderr = cargo(&out, &["test", "--offline"]);
    assert!(!stderr.contains("warning"), "the hostile crate compiles without warnings:\n{stderr}");
}

/// Uses the odd types of the hostile crate: recursive aliases, a kind `Self`, every odd name
/// as a field and an enum value.
const HOSTILE_TEST: &str = r#"//! Written by kubegen's `generated_crates` test.

use golden_hostile::*;

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(json: serde_json::Value) -> T {
    let typed: T = serde_json::from_value(json.clone()).expect("decodes");
    assert_eq!(serde_json::to_value(&typed).expect("encodes"), json);
    typed
}

#[test]
fn recursive_aliases_round_trip() {
    let tree: rec_example_io_v1::Tree = round_trip(serde_json::json!([[], [[]]]));
    assert_eq!(tree.0.len(), 2);
    round_trip::<rec_example_io_v1::Forest>(serde_json::json!({ "a": { "b": {} } }));
    round_trip::<rec_example_io_v1::A>(serde_json::json!([{ "k": [] }]));
    round_trip::<rec_example_io_v1::C>(serde_json::json!([{ "k": [[{ "j": [] }]] }]));
    round_trip::<rec_example_io_v1::Loop>(serde_json::json!([[[]]]));
    round_trip::<rec_example_io_v1::Holder>(serde_json::json!({ "tree": [[]], "loop": [] }));
}

#[test]
fn a_kind_named_self_round_trips() {
    let object: _9lives_example_com_v1::Self_ = round_trip(serde_json::json!({
        "apiVersion": "9lives.example.com/v1",
        "kind": "Self",
        "metadata": { "name": "x" },
        "spec": { "self": "a", "mode": "Self" },
    }));
    assert_eq!(object.metadata.name.as_deref(), Some("x"));
    let _ = Clientset::new;
}

#[test]
fn odd_names_round_trip() {
    let values = ["9lives", "Self", "self", "_", "", "🦀", "clientset", "new"];
    for value in values {
        round_trip::<odd_example_io_v1::Values>(serde_json::json!(value));
    }
    round_trip::<odd_example_io_v1::Names>(serde_json::json!({ "Self": "a", "self": "b", "9lives": "c", "$$": "d" }));
}
"#;

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
