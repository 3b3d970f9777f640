//! Hostile and odd specs, class by class, through the whole pipeline in process (load, fixups,
//! model, emission): none panics, and each either generates files that parse as Rust with no
//! spec text outside comments and literals, or is rejected with an error naming its input.
//!
//! `cargo test -p kubegen --test hostile_specs -- --nocapture` prints how many inputs each
//! class tried. `generated_crates.rs` compiles a crate from the worst of them.

mod hostile;

use std::panic::{AssertUnwindSafe, catch_unwind};

use kubegen::emit::{self, CrateSettings, Files, RuntimeDependency};
use kubegen::fixups::StalePolicy;
use kubegen::generate::build_model;
use kubegen::ir::{Model, TypeKind};
use kubegen::spec::{RawSpec, crd, document};
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use serde_json::json;

use hostile::{INJECTED, names, payloads, recursive_aliases, simple_schema, swagger};

fn settings() -> CrateSettings {
    CrateSettings {
        name: "hostile".to_owned(),
        version: "0.1.0".to_owned(),
        runtime: RuntimeDependency::Version("0.1.0".to_owned()),
        inputs: vec!["`hostile.yaml`".to_owned()],
        extern_crate: None,
    }
}

/// What the pipeline made of one input.
enum Outcome {
    Generated(Model, Files),
    Rejected(String),
}

/// Runs one input through the pipeline; a panic fails the test naming the input.
fn run(label: &str, load: impl FnOnce() -> kubegen::Result<RawSpec>) -> Outcome {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let spec = load()?;
        let model = build_model(spec, StalePolicy::Warn)?;
        let files = emit::emit(&model, &settings())?;
        Ok::<_, kubegen::Error>((model, files))
    }));
    match result {
        Ok(Ok((model, files))) => Outcome::Generated(model, files),
        Ok(Err(error)) => Outcome::Rejected(error.to_string()),
        Err(_) => panic!("the generator panicked on {label}"),
    }
}

fn load_crd(text: &str) -> kubegen::Result<RawSpec> {
    crd::load_str(text, "hostile.yaml")
}

fn load_swagger(text: &str) -> kubegen::Result<RawSpec> {
    document::load_bytes(text.as_bytes(), "hostile.json").map(|(_, spec)| spec)
}

/// Every Rust file parses; no identifier `INJECTED` exists outside literals and comments;
/// no other file has a line that starts with injected text; every path component fits a
/// file system.
fn check_files(label: &str, files: &Files) {
    for (path, content) in files {
        for component in path.split('/') {
            assert!(component.len() <= 255, "{label}: path component of {} bytes in {path}", component.len());
            assert!(
                component.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
                "{label}: odd path {path:?}"
            );
        }
        if path.ends_with(".rs") {
            let file = syn::parse_file(content)
                .unwrap_or_else(|error| panic!("{label}: {path} is not Rust: {error}\n{content}"));
            assert!(!has_ident(file.into_token_stream(), "INJECTED"), "{label}: spec text became code in {path}");
        } else {
            for line in content.lines() {
                assert!(!line.trim_start().starts_with(INJECTED), "{label}: spec text became a line of {path}");
            }
        }
    }
}

fn has_ident(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == name,
        TokenTree::Group(group) => has_ident(group.stream(), name),
        _ => false,
    })
}

/// Runs one input and checks whatever it produced; returns whether it generated.
fn try_input(label: &str, load: impl FnOnce() -> kubegen::Result<RawSpec>) -> bool {
    match run(label, load) {
        Outcome::Generated(_, files) => {
            check_files(label, &files);
            true
        }
        Outcome::Rejected(message) => {
            assert!(message.contains("hostile."), "{label}: the error does not name the input: {message}");
            false
        }
    }
}

#[test]
fn spec_text_never_becomes_code() {
    let mut tried = 0;
    let mut generated = 0;
    for payload in payloads() {
        let crds = [
            (
                "group",
                hostile::crd(
                    &format!("x{payload}.example.com"),
                    "Widget",
                    "widgets",
                    "v1",
                    simple_schema("d", "p", "e"),
                ),
            ),
            (
                "kind",
                hostile::crd("example.com", &format!("W{payload}"), "widgets", "v1", simple_schema("d", "p", "e")),
            ),
            (
                "plural",
                hostile::crd("example.com", "Widget", &format!("w{payload}"), "v1", simple_schema("d", "p", "e")),
            ),
            (
                "version",
                hostile::crd("example.com", "Widget", "widgets", &format!("v1{payload}"), simple_schema("d", "p", "e")),
            ),
            ("description", hostile::crd("example.com", "Widget", "widgets", "v1", simple_schema(&payload, "p", "e"))),
            ("property", hostile::crd("example.com", "Widget", "widgets", "v1", simple_schema("d", &payload, "e"))),
            ("enum value", hostile::crd("example.com", "Widget", "widgets", "v1", simple_schema("d", "p", &payload))),
        ];
        for (position, text) in crds {
            tried += 1;
            generated += usize::from(try_input(&format!("CRD {position} {payload:?}"), || load_crd(&text)));
        }
        let gvk = json!([{ "group": payload, "version": "v1", "kind": payload }]);
        let object = |description: &str| {
            json!({
                "type": "object",
                "description": description,
                "x-kubernetes-group-version-kind": gvk,
                "properties": {
                    "apiVersion": { "type": "string" },
                    "kind": { "type": "string" },
                    payload.clone(): { "type": "string", "description": description, "enum": [payload, "x"] },
                },
            })
        };
        let specs = [
            ("definition name", swagger(json!({ format!("io.example.v1.{payload}"): object("d") }))),
            ("definition package", swagger(json!({ format!("io.ex{payload}.v1.Thing"): object("d") }))),
            (
                "description, property, enum, kind and group",
                swagger(json!({ "io.example.v1.Thing": object(&payload) })),
            ),
        ];
        for (position, text) in specs {
            tried += 1;
            generated += usize::from(try_input(&format!("Swagger {position} {payload:?}"), || load_swagger(&text)));
        }
    }
    eprintln!("escaping: {tried} hostile inputs ({generated} generated, the rest rejected naming the input), no panic");
    assert!(tried >= 300, "{tried}");
    assert!(generated * 10 >= tried * 9, "most inputs generate: {generated} of {tried}");
}

#[test]
fn every_derived_identifier_is_valid() {
    let mut tried = 0;
    let mut generated = 0;
    for name in names() {
        let crds = [
            (
                "group",
                hostile::crd(&format!("{name}.example.com"), "Widget", "widgets", "v1", simple_schema("d", "p", "e")),
            ),
            ("kind", hostile::crd("example.com", &name, "widgets", "v1", simple_schema("d", "p", "e"))),
            ("plural", hostile::crd("example.com", "Widget", &name, "v1", simple_schema("d", "p", "e"))),
            ("property", hostile::crd("example.com", "Widget", "widgets", "v1", simple_schema("d", &name, "e"))),
            ("enum value", hostile::crd("example.com", "Widget", "widgets", "v1", simple_schema("d", "p", &name))),
        ];
        for (position, text) in crds {
            tried += 1;
            generated += usize::from(try_input(&format!("CRD {position} {name:?}"), || load_crd(&text)));
        }
        let thing = json!({ "type": "object", "properties": { "x": { "type": "string" } } });
        let specs = [
            ("definition name", swagger(json!({ format!("io.example.v1.{name}"): thing }))),
            ("definition package", swagger(json!({ format!("{name}.v1.Thing"): thing }))),
            ("unversioned package", swagger(json!({ format!("{name}.Thing"): thing }))),
            ("whole definition", swagger(json!({ name.clone(): thing }))),
        ];
        for (position, text) in specs {
            tried += 1;
            generated += usize::from(try_input(&format!("Swagger {position} {name:?}"), || load_swagger(&text)));
        }
    }
    eprintln!(
        "identifiers: {tried} hostile inputs ({generated} generated, the rest rejected naming the input), no panic"
    );
    assert!(tried >= 500, "{tried}");
}

/// All odd names at once, where they must be told apart: as properties of one struct, values
/// of one enum, plurals of one group, definitions of one package, and packages.
#[test]
fn odd_names_together_stay_unique() {
    let names = names();
    let properties: serde_json::Map<String, serde_json::Value> =
        names.iter().map(|name| (name.clone(), json!({ "type": "string" }))).collect();
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": { "type": "object", "properties": properties },
            "status": { "type": "object", "properties": { "mode": { "type": "string", "enum": names } } },
        },
    });
    // Swagger, not a CRD: YAML refuses keys longer than 1024 characters.
    let text = swagger(json!({ "io.example.v1.Widget": schema }));
    let (model, files) = match run("all names in one struct and enum", || load_swagger(&text)) {
        Outcome::Generated(model, files) => (model, files),
        Outcome::Rejected(message) => panic!("all names in one struct and enum are rejected: {message}"),
    };
    check_files("all names in one struct and enum", &files);
    let fields = model
        .types
        .values()
        .find_map(|ty| match &ty.kind {
            TypeKind::Struct(body) if body.fields.len() == names.len() => Some(&body.fields),
            _ => None,
        })
        .expect("the spec struct");
    let unique: std::collections::BTreeSet<&str> = fields.iter().map(|field| field.rust_name.as_str()).collect();
    assert_eq!(unique.len(), names.len(), "field names are unique");
    let variants = model
        .types
        .values()
        .find_map(|ty| match &ty.kind {
            TypeKind::Enum(body) => Some(body),
            _ => None,
        })
        .expect("the enum");
    let unique: std::collections::BTreeSet<&str> = variants.variants.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(unique.len(), variants.variants.len());
    assert!(!unique.contains(variants.other.as_str()));

    // One group whose kinds have every odd plural: the client's methods stay unique.
    // (Not the empty plural, rejected on its own, nor names YAML refuses as keys.)
    let manifests: Vec<String> = names
        .iter()
        .filter(|plural| !plural.is_empty() && plural.len() < 1000)
        .enumerate()
        .map(|(index, plural)| {
            hostile::crd("example.com", &format!("Kind{index}"), plural, "v1", simple_schema("d", "p", "e"))
        })
        .collect();
    let text = manifests.join("\n---\n");
    let files = match run("every plural in one group", || load_crd(&text)) {
        Outcome::Generated(_, files) => files,
        Outcome::Rejected(message) => panic!("every plural in one group is rejected: {message}"),
    };
    check_files("every plural in one group", &files);
    let client = files.get("src/example_com_v1/client.rs").expect("the client");
    let methods: Vec<&str> = client
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("pub fn "))
        .map(|rest| rest.split('(').next().unwrap_or_default())
        .collect();
    let unique: std::collections::BTreeSet<&str> = methods.iter().copied().collect();
    assert_eq!(unique.len(), methods.len(), "{methods:?}");
    assert!(methods.iter().filter(|method| **method == "new").count() == 1, "{methods:?}");

    // Every odd name as its own package: modules never clash with the crate's own.
    let definitions: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(index, name)| {
            (format!("{name}.v{index}.Thing"), json!({ "type": "object", "properties": { "x": { "type": "string" } } }))
        })
        .collect();
    let text = swagger(serde_json::Value::Object(definitions));
    match run("every name as a package", || load_swagger(&text)) {
        Outcome::Generated(_, files) => {
            check_files("every name as a package", &files);
            let lib = files.get("src/lib.rs").expect("lib.rs");
            for reserved in ["clientset", "informers"] {
                assert_eq!(lib.matches(&format!("mod {reserved};")).count(), 1, "{reserved}");
            }
            let cargo = files.get("Cargo.toml").expect("Cargo.toml");
            assert_eq!(cargo.lines().filter(|line| line.starts_with("default =")).count(), 1);
        }
        Outcome::Rejected(message) => panic!("every name as a package is rejected: {message}"),
    }
}

/// Collisions that cannot be resolved are reported naming both sources; the ones that can
/// are resolved the same way every time.
#[test]
fn collisions_are_resolved_or_reported_with_both_sources() {
    let mut tried = 0;
    // A kind ending in `List` beside the list type of another kind.
    let text = [
        hostile::crd("example.com", "Foo", "foos", "v1", simple_schema("d", "p", "e")),
        hostile::crd("example.com", "FooList", "foolists", "v1", simple_schema("d", "p", "e")),
    ]
    .join("\n---\n");
    let Outcome::Rejected(message) = run("FooList beside Foo", || load_crd(&text)) else {
        panic!("FooList beside Foo's list generates");
    };
    assert!(message.contains("com.example.v1.FooList") && message.matches("hostile.yaml").count() == 2, "{message}");
    tried += 1;

    // Definitions whose names differ only in what a Rust name drops.
    let thing = json!({ "type": "object", "properties": { "x": { "type": "string" } } });
    for (first, second) in [
        ("io.example.v1.foo-bar", "io.example.v1.foo_bar"),
        ("io.example.v1.FooBar", "io.example.v1.foo-Bar"),
        ("io.example.v1.$", "io.example.v1.%"),
        ("io.example.v1.9x", "io.example.v1.T9x"),
    ] {
        tried += 1;
        let text = swagger(json!({ first: thing, second: thing }));
        match run(first, || load_swagger(&text)) {
            Outcome::Rejected(message) => {
                assert!(message.contains(first) && message.contains(second), "{message}");
            }
            Outcome::Generated(model, _) => {
                // Resolved: two distinct types.
                let names: std::collections::BTreeSet<&str> = model.types.values().map(|ty| ty.name.as_str()).collect();
                assert!(names.len() >= 2, "{first} and {second}: {names:?}");
            }
        }
    }
    // Packages that become one module.
    for (first, second) in [("io.foo-bar.v1.X", "io.foo_bar.v1.Y"), ("a.b-c.v1.X", "a.b_c.v1.Y")] {
        tried += 1;
        let text = swagger(json!({ first: thing, second: thing }));
        let Outcome::Rejected(message) = run(first, || load_swagger(&text)) else {
            panic!("{first} and {second} generate");
        };
        let package = |definition: &str| definition.rsplit_once('.').map(|(package, _)| package.to_owned());
        assert!(
            message.contains(&package(first).unwrap_or_default())
                && message.contains(&package(second).unwrap_or_default()),
            "{message}"
        );
    }
    // The same CRD twice with different schemas.
    tried += 1;
    let text = [
        hostile::crd("example.com", "Foo", "foos", "v1", simple_schema("d", "p", "e")),
        hostile::crd("example.com", "Foo", "foos", "v1", simple_schema("d", "q", "e")),
    ]
    .join("\n---\n");
    let Outcome::Rejected(message) = run("Foo twice", || load_crd(&text)) else {
        panic!("two different Foos generate");
    };
    assert!(message.contains("document 1") && message.contains("document 2"), "{message}");

    // A kind named as its module's client or informers struct yields to it, the same way
    // every run.
    for kind in ["ExampleComV1Client", "ExampleComV1Informers"] {
        tried += 1;
        let text = hostile::crd("example.com", kind, "things", "v1", simple_schema("d", "p", "e"));
        let Outcome::Generated(model, files) = run(kind, || load_crd(&text)) else {
            panic!("{kind} is rejected");
        };
        check_files(kind, &files);
        let id = format!("com.example.v1.{kind}");
        assert_eq!(model.types[&id].name, format!("{kind}2"));
    }
    eprintln!("collisions: {tried} inputs, each resolved or reported naming both sources, no panic");
}

#[test]
fn recursive_aliases_become_newtypes() {
    let text = swagger(recursive_aliases());
    let Outcome::Generated(model, files) = run("recursive aliases", || load_swagger(&text)) else {
        panic!("recursive aliases are rejected");
    };
    check_files("recursive aliases", &files);
    let mut count = 0;
    for name in ["Tree", "Forest", "A", "B", "C", "D", "E", "Loop", "Pool"] {
        let ty = &model.types[&format!("io.example.rec.v1.{name}")];
        assert!(matches!(ty.kind, TypeKind::Newtype(_)), "{name}: {:?}", ty.kind);
        count += 1;
    }
    assert!(matches!(model.types["io.example.rec.v1.Holder"].kind, TypeKind::Struct(_)));
    eprintln!("recursive aliases: {count} recursive aliases in 5 cycles, each a newtype, no panic");
}

/// A spec in another generator's style (no extensions): the group, version and plural come
/// from its paths and the kind from a definition's name, so each of them is tried hostile.
fn foreign_spec(group: &str, version: &str, plural: &str, kind: &str) -> String {
    let reference = |name: &str| json!({ "$ref": format!("#/definitions/{name}") });
    let collection = format!("/apis/{group}/{version}/namespaces/{{namespace}}/{plural}");
    json!({
        "swagger": "2.0",
        "paths": {
            collection.clone(): {
                "get": { "responses": { "200": { "schema": reference(&format!("v1.{kind}List")) } } },
                "post": { "responses": { "201": { "schema": reference(&format!("v1.{kind}")) } } },
            },
            format!("{collection}/{{name}}/status"): {
                "get": { "responses": { "200": { "schema": reference(&format!("v1.{kind}")) } } },
            },
        },
        "definitions": {
            format!("v1.{kind}"): { "type": "object", "properties": {
                "apiVersion": { "type": "string" }, "kind": { "type": "string" },
                "metadata": reference("v1.ObjectMeta"), "spec": reference("v1.Spec"),
            } },
            format!("v1.{kind}List"): { "type": "object", "properties": {
                "items": { "type": "array", "items": reference(&format!("v1.{kind}")) },
            } },
            "v1.Spec": { "type": "object", "properties": { "size": { "type": ["integer", "null"] } } },
            "v1.ObjectMeta": { "type": "object", "properties": {
                "name": { "type": "string" }, "namespace": { "type": "string" },
            } },
        },
    })
    .to_string()
}

#[test]
fn specs_without_extensions_take_names_from_paths_safely() {
    let mut tried = 0;
    let mut generated = 0;
    for text in payloads().into_iter().chain(names()) {
        let inputs = [
            ("group", foreign_spec(&format!("x{text}.example.com"), "v1", "widgets", "Widget")),
            ("version", foreign_spec("example.com", &format!("v1{text}"), "widgets", "Widget")),
            ("plural", foreign_spec("example.com", "v1", &text, "Widget")),
            ("kind", foreign_spec("example.com", "v1", "widgets", &text)),
        ];
        for (position, spec) in inputs {
            tried += 1;
            generated += usize::from(try_input(&format!("foreign {position} {text:?}"), || load_swagger(&spec)));
        }
    }
    eprintln!(
        "specs without extensions: {tried} hostile inputs ({generated} generated, the rest rejected naming the input), no panic"
    );
    assert!(tried >= 400, "{tried}");
}
