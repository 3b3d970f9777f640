//! The corpus of hostile and odd inputs the generator is tried on, shared by
//! `hostile_specs.rs` (every input through the pipeline, in process) and
//! `generated_crates.rs` (a crate generated from the worst of them, compiled).

#![allow(dead_code)]

use serde_json::{Value, json};

/// Code that must never become code: each text payload ends with it.
pub const INJECTED: &str = "pub fn INJECTED() {} //";

/// Text that could end a comment, a line or a string literal, or that rustc refuses in
/// comments and literals.
pub const BREAKERS: &[&str] = &[
    "\n",
    "\r",
    "\r\n",
    "\u{0}",
    "\u{b}",
    "\u{c}",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{202e}",
    "\u{2066}",
    "\u{feff}",
    "*/",
    "*/\n",
    "/*",
    "\"",
    "\\",
    "\\\"",
    "\";\n",
    "'",
    "`",
    "```\n",
    "]\n",
    "}}\n",
    "#[doc = \"",
    "\t",
    "\n//",
    "\n#![",
    "\n//! ",
    "\n/// ",
];

/// Each breaker followed by [`INJECTED`].
pub fn payloads() -> Vec<String> {
    BREAKERS.iter().map(|breaker| format!("a{breaker}{INJECTED}")).collect()
}

/// Rust keywords (strict, reserved, 2024), `Self` and `_` included.
pub const KEYWORDS: &[&str] = &[
    "Self", "_", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do",
    "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
    "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super",
    "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Names that are no identifier as they are, or that the generated crate already uses.
pub const ODD_NAMES: &[&str] = &[
    "9lives",
    "3things",
    "0",
    "007",
    "__",
    "-",
    "$$",
    "%",
    "...",
    "",
    " ",
    "ñandú",
    "日本語",
    "🦀",
    "a-b",
    "a_b",
    "A-B",
    "aB",
    "Ab",
    "clientset",
    "informers",
    "default",
    "new",
    "client",
    "with_options",
    "from",
    "deref",
    "clone",
    "Option",
    "Vec",
    "String",
    "Box",
    "Result",
    "Some",
    "None",
    "Ok",
    "Err",
    "Default",
    "Clone",
    "Debug",
    "Self_",
    "self_",
    "Type",
    "Clientset",
    "SharedInformerFactory",
    "ExampleComV1Client",
    "ExampleComV1Informers",
    "List",
];

/// Every name the identifier tests try: [`ODD_NAMES`], [`KEYWORDS`] and long names.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = ODD_NAMES.iter().chain(KEYWORDS).map(|name| (*name).to_owned()).collect();
    names.push("a".repeat(300));
    names.push("Long".repeat(1500));
    names.push("x.".repeat(200));
    names.push(format!("{}-{}", "9".repeat(260), "z".repeat(260)));
    names
}

/// A CRD manifest as YAML text (JSON, which YAML reads, with every non-ASCII character
/// escaped, since YAML would fold some of them as line breaks).
pub fn crd(group: &str, kind: &str, plural: &str, version: &str, schema: Value) -> String {
    let manifest = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": format!("{plural}.{group}") },
        "spec": {
            "group": group,
            "names": { "kind": kind, "plural": plural },
            "scope": "Namespaced",
            "versions": [{
                "name": version,
                "served": true,
                "storage": true,
                "schema": { "openAPIV3Schema": schema },
                "subresources": { "status": {} },
            }],
        },
    });
    yaml_safe(&manifest.to_string())
}

/// A simple object schema with a spec of one string property and one enum.
pub fn simple_schema(description: &str, property: &str, enum_value: &str) -> Value {
    json!({
        "type": "object",
        "description": description,
        "properties": {
            "spec": {
                "type": "object",
                "description": description,
                "properties": {
                    property: { "type": "string", "description": description },
                    "mode": { "type": "string", "enum": [enum_value, "plain"] },
                },
            },
        },
    })
}

/// JSON text with every character outside printable ASCII as a YAML escape.
pub fn yaml_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match u32::from(c) {
            0x20..=0x7e => out.push(c),
            code @ 0..=0xffff => out.push_str(&format!("\\u{code:04x}")),
            code => out.push_str(&format!("\\U{code:08x}")),
        }
    }
    out
}

/// A Swagger 2.0 document of `definitions`.
pub fn swagger(definitions: Value) -> String {
    json!({ "swagger": "2.0", "info": { "title": "hostile", "version": "v1" }, "paths": {}, "definitions": definitions })
        .to_string()
}

/// Recursive aliases, in every shape: directly through an array or a map, through another
/// alias, through a chain of three, by value (an alias of an alias of itself), and a struct
/// that uses them.
pub fn recursive_aliases() -> Value {
    let array_of = |target: &str| json!({ "type": "array", "items": { "$ref": format!("#/definitions/{target}") } });
    let map_of = |target: &str| json!({ "type": "object", "additionalProperties": { "$ref": format!("#/definitions/{target}") } });
    let reference = |target: &str| json!({ "$ref": format!("#/definitions/{target}") });
    json!({
        "io.example.rec.v1.Tree": array_of("io.example.rec.v1.Tree"),
        "io.example.rec.v1.Forest": map_of("io.example.rec.v1.Forest"),
        "io.example.rec.v1.A": array_of("io.example.rec.v1.B"),
        "io.example.rec.v1.B": map_of("io.example.rec.v1.A"),
        "io.example.rec.v1.C": array_of("io.example.rec.v1.D"),
        "io.example.rec.v1.D": map_of("io.example.rec.v1.E"),
        "io.example.rec.v1.E": array_of("io.example.rec.v1.C"),
        "io.example.rec.v1.Loop": reference("io.example.rec.v1.Pool"),
        "io.example.rec.v1.Pool": array_of("io.example.rec.v1.Loop"),
        "io.example.rec.v1.Holder": {
            "type": "object",
            "properties": {
                "tree": reference("io.example.rec.v1.Tree"),
                "forest": reference("io.example.rec.v1.Forest"),
                "a": reference("io.example.rec.v1.A"),
                "loop": reference("io.example.rec.v1.Loop"),
                "trees": array_of("io.example.rec.v1.Tree"),
            },
        },
    })
}
