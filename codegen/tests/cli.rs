//! The `kubegen` binary: determinism, `--check`, and clear errors for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kubegen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubegen")).args(args).output().expect("runs kubegen")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn read_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("reads dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).expect("reads file")));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn generation_is_deterministic_and_check_detects_a_hand_edit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("api");
    let out = out.to_str().expect("utf-8 path");
    let first = kubegen(&["generate", "--out", out]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let before = read_tree(Path::new(out));

    let second = kubegen(&["generate", "--out", out]);
    assert!(second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("0 written"), "a second run writes nothing: {stderr}");
    assert_eq!(read_tree(Path::new(out)), before, "a second run changes no byte");

    let check = kubegen(&["generate", "--out", out, "--check"]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));

    let pod = Path::new(out).join("src/core_v1/pod.rs");
    let mut text = std::fs::read_to_string(&pod).expect("reads pod.rs");
    text.push_str("\n// a hand edit\n");
    std::fs::write(&pod, text).expect("edits pod.rs");
    let check = kubegen(&["generate", "--out", out, "--check"]);
    assert!(!check.status.success(), "--check fails after a hand edit");
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("src/core_v1/pod.rs (changed)"), "{stderr}");
    assert_eq!(
        std::fs::read(&pod).expect("reads"),
        {
            let mut edited = before.iter().find(|(path, _)| *path == pod).expect("pod.rs").1.clone();
            edited.extend_from_slice(b"\n// a hand edit\n");
            edited
        },
        "--check writes nothing"
    );
}

fn expect_error(args: &[&str], expected: &[&str]) {
    let output = kubegen(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "exit status for {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for text in expected {
        assert!(stderr.contains(text), "expected {text:?} in: {stderr}");
    }
}

#[test]
fn truncated_json_names_the_file_and_position() {
    let spec = fixture("bad/truncated.json");
    let dir = tempfile::tempdir().expect("tempdir");
    expect_error(
        &["generate", "--spec", spec.to_str().expect("utf-8"), "--out", dir.path().to_str().expect("utf-8")],
        &["truncated.json#/definitions/io.example.v1.Thing/properties/a/type", "EOF while parsing"],
    );
}

#[test]
fn a_dangling_ref_names_the_pointer_and_the_missing_definition() {
    let spec = fixture("bad/dangling-ref.json");
    let dir = tempfile::tempdir().expect("tempdir");
    expect_error(
        &["generate", "--spec", spec.to_str().expect("utf-8"), "--out", dir.path().to_str().expect("utf-8")],
        &[
            "dangling-ref.json#/definitions/io.example.v1.Thing/properties/spec/$ref",
            "`io.example.v1.Missing`, which the spec does not define",
        ],
    );
}

#[test]
fn an_unknown_schema_type_names_the_pointer() {
    let spec = fixture("bad/unknown-type.json");
    let dir = tempfile::tempdir().expect("tempdir");
    expect_error(
        &["generate", "--spec", spec.to_str().expect("utf-8"), "--out", dir.path().to_str().expect("utf-8")],
        &[
            "unknown-type.json#/components/schemas/io.example.v1.Thing/properties/size/type",
            "unknown schema type \"decimal\"",
        ],
    );
}

#[test]
fn a_crd_without_a_schema_names_the_crd_and_version() {
    let crd = fixture("bad/crd-without-schema.yaml");
    let dir = tempfile::tempdir().expect("tempdir");
    expect_error(
        &["generate", "--crd", crd.to_str().expect("utf-8"), "--out", dir.path().to_str().expect("utf-8")],
        &[
            "crd-without-schema.yaml (document 1)#/spec/versions/0/schema/openAPIV3Schema",
            "CRD \"widgets.example.com\" version v1 has no schema",
        ],
    );
}

#[test]
fn a_wrongly_shaped_value_names_its_pointer() {
    let spec = fixture("bad/wrong-shape.json");
    let dir = tempfile::tempdir().expect("tempdir");
    expect_error(
        &["generate", "--spec", spec.to_str().expect("utf-8"), "--out", dir.path().to_str().expect("utf-8")],
        &["wrong-shape.json#/definitions/io.example.v1.Thing/required", "expected a sequence"],
    );
}

#[test]
fn a_missing_file_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    expect_error(
        &["generate", "--spec", "/nonexistent/spec.json", "--out", dir.path().to_str().expect("utf-8")],
        &["/nonexistent/spec.json", "No such file"],
    );
}

/// A kubeconfig for a plain-HTTP server at `server`.
fn kubeconfig_for(dir: &Path, server: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: p\n  cluster: {{server: '{server}'}}\n\
             users:\n- name: u\n  user: {{}}\ncontexts:\n- name: c\n  context: {{cluster: p, user: u}}\n"
        ),
    )
    .expect("kubeconfig");
    path
}

#[test]
fn an_unreachable_cluster_names_the_url_and_leaves_no_output() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = kubeconfig_for(dir.path(), &format!("http://127.0.0.1:{port}"));
    let out = dir.path().join("api");
    expect_error(
        &[
            "generate",
            "--from-cluster",
            "--kubeconfig",
            kubeconfig.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
        &[&format!("http://127.0.0.1:{port}/openapi/v3"), "cannot connect"],
    );
    assert!(!out.exists(), "no output directory");
}

/// Serves `/openapi/v3` with an index naming one document, and that document truncated: a
/// broken server, which a real API server cannot be made into.
fn broken_openapi_server() -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
                line.clear();
            }
            let body = if request_line.starts_with("GET /openapi/v3 ") {
                r#"{"paths":{"apis/example.com/v1":{"serverRelativeURL":"/openapi/v3/apis/example.com/v1?hash=1"}}}"#
            } else {
                r#"{"openapi":"3.0.0","components":{"schemas":{"com.example.v1.Thing":{"type":"obj"#
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn a_broken_cluster_document_names_its_url_and_leaves_no_output() {
    let port = broken_openapi_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = kubeconfig_for(dir.path(), &format!("http://127.0.0.1:{port}"));
    let out = dir.path().join("api");
    expect_error(
        &[
            "generate",
            "--from-cluster",
            "--kubeconfig",
            kubeconfig.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
        &[&format!("http://127.0.0.1:{port}/openapi/v3/apis/example.com/v1"), "EOF while parsing"],
    );
    assert!(!out.exists(), "no output directory");
}

/// A user's spec newer than a fixup (its target already right) still generates, with a
/// warning; `--check` fails on it, as generation from the bundled spec would.
#[test]
fn a_stale_fixup_only_warns_for_a_users_spec() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("newer.json");
    let event = serde_json::json!({
        "swagger": "2.0",
        "info": { "title": "newer", "version": "v1" },
        "paths": {},
        "definitions": {
            "io.k8s.api.events.v1.Event": {
                "type": "object",
                "properties": { "eventTime": { "type": "string" }, "note": { "type": "string" } },
            },
        },
    });
    std::fs::write(&spec, event.to_string()).expect("writes the spec");
    let spec = spec.to_str().expect("utf-8 path");
    let out = dir.path().join("api");
    let out = out.to_str().expect("utf-8 path");
    let output = kubegen(&["generate", "--spec", spec, "--out", out]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("events-v1-event-time-optional"), "the warning names the fixup: {stderr}");
    expect_error(&["generate", "--spec", spec, "--out", out, "--check"], &["events-v1-event-time-optional"]);
}

/// A built-in type with a property the protobuf field table lacks (a newer Kubernetes):
/// a warning naming it for a user's spec, an error naming it in `--check`.
#[test]
fn a_property_without_a_protobuf_field_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("newer.json");
    let config_map = serde_json::json!({
        "swagger": "2.0",
        "info": { "title": "newer", "version": "v1" },
        "paths": {},
        "definitions": {
            "io.k8s.api.core.v1.ConfigMap": {
                "type": "object",
                "properties": {
                    "data": { "type": "object", "additionalProperties": { "type": "string" } },
                    "dataFromTheFuture": { "type": "string" },
                },
            },
        },
    });
    std::fs::write(&spec, config_map.to_string()).expect("writes the spec");
    let spec = spec.to_str().expect("utf-8 path");
    let out = dir.path().join("api");
    let out = out.to_str().expect("utf-8 path");
    let output = kubegen(&["generate", "--spec", spec, "--out", out]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("io.k8s.api.core.v1.ConfigMap") && stderr.contains("dataFromTheFuture"),
        "the warning names the property: {stderr}"
    );
    expect_error(
        &["generate", "--spec", spec, "--out", out, "--check"],
        &["no protobuf field", "io.k8s.api.core.v1.ConfigMap/properties/dataFromTheFuture"],
    );
}

/// `--out` on a directory with files kubegen did not write: refused, naming them, and
/// nothing changes.
#[test]
fn out_never_replaces_a_hand_written_crate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("mine");
    std::fs::create_dir_all(out.join("src/core_v1")).expect("creates the crate");
    std::fs::write(out.join("Cargo.toml"), "[package]\nname = \"mine\"\n").expect("writes");
    std::fs::write(out.join("src/main.rs"), "fn main() {}\n").expect("writes");
    let before = read_tree(&out);
    expect_error(
        &["generate", "--out", out.to_str().expect("utf-8 path")],
        &["kubegen did not write", "Cargo.toml", "src/main.rs"],
    );
    assert_eq!(read_tree(&out), before, "nothing changed");
}
