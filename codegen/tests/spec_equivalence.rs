//! Generating from the v1.35 Swagger 2.0 file and from the v1.35 OpenAPI 3 directory gives the
//! same models.
//!
//! Differences, each expected and explained:
//!
//! 1. Six definitions exist only in the Swagger file: `meta/v1` `APIGroup`, `APIGroupList`,
//!    `APIVersions`, `GroupVersionForDiscovery`, `ServerAddressByClientCIDR` and `version.Info`.
//!    They describe the discovery endpoints (`/api`, `/apis`, `/version`), whose OpenAPI 3
//!    documents are not part of the per-group/version directory.
//! 2. OpenAPI 3 gives many properties a `default` (2,636 of them), wrapped with the `$ref` in a
//!    one-element `allOf`; Swagger 2.0 has none. The loader unwraps the `allOf`, and defaults
//!    are the server's business (it applies them), so they do not reach the model.
//!
//! Everything else must be equal: every type's module, name, file, kind, fields (names, JSON
//! names, required-ness, shapes, boxing, roles) and group/version/kind, and every resource's
//! scope, plural, verbs and subresources.

use std::collections::BTreeSet;
use std::path::Path;

use kubegen::fixups::StalePolicy;
use kubegen::generate::{build_model, load_inputs};
use kubegen::ir::Model;

fn specs() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../specs"))
}

fn model(spec: &str) -> Model {
    let inputs = load_inputs(&[specs().join(spec)], &[]).expect("loads");
    build_model(inputs, StalePolicy::Fail).expect("builds")
}

#[test]
fn swagger_and_openapi3_give_the_same_models() {
    let v2 = model("kubernetes-v1.35-swagger.json");
    let v3 = model("kubernetes-v1.35-openapi-v3");

    let only_v2: BTreeSet<&str> =
        v2.types.keys().filter(|id| !v3.types.contains_key(*id)).map(String::as_str).collect();
    let expected_only_v2: BTreeSet<&str> = [
        "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup",
        "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList",
        "io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions",
        "io.k8s.apimachinery.pkg.apis.meta.v1.GroupVersionForDiscovery",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ServerAddressByClientCIDR",
        "io.k8s.apimachinery.pkg.version.Info",
    ]
    .into();
    assert_eq!(only_v2, expected_only_v2, "definitions only in the Swagger file");
    let only_v3: Vec<&String> = v3.types.keys().filter(|id| !v2.types.contains_key(*id)).collect();
    assert!(only_v3.is_empty(), "definitions only in the OpenAPI 3 directory: {only_v3:?}");

    let mut differences = Vec::new();
    for (id, ty3) in &v3.types {
        let ty2 = &v2.types[id];
        let mut ty2 = ty2.clone();
        ty2.location = ty3.location.clone();
        if ty2 != *ty3 {
            differences.push(format!("{id}:\n  v2: {ty2:?}\n  v3: {ty3:?}"));
        }
    }
    assert!(differences.is_empty(), "{} types differ:\n{}", differences.len(), differences.join("\n"));

    assert_eq!(v2.resources, v3.resources, "resources differ");
    let mut modules2 = v2.modules.clone();
    modules2.remove("version");
    assert_eq!(modules2, v3.modules, "modules differ");
}
