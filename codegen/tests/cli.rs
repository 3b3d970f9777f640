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
