//! Loading Swagger 2.0 and OpenAPI 3 documents, and directories of OpenAPI 3 documents.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::normalize::normalize;
use super::parse;
use super::raw::{Definition, Operation, RawSpec};
use super::schema::{GroupVersionKind, Schema};
use crate::error::{Error, Result};
use crate::location::Location;

/// The parts of a Swagger 2.0 or OpenAPI 3 document that matter here; one struct reads both so
/// that each document is parsed once.
#[derive(Deserialize)]
struct Document {
    swagger: Option<String>,
    openapi: Option<String>,
    #[serde(default)]
    definitions: BTreeMap<String, Schema>,
    #[serde(default)]
    components: Components,
    #[serde(default)]
    paths: BTreeMap<String, PathItem>,
    /// Swagger 2.0's shared parameters, which operations refer to.
    #[serde(default)]
    parameters: BTreeMap<String, ParameterObject>,
}

#[derive(Default, Deserialize)]
struct Components {
    #[serde(default)]
    schemas: BTreeMap<String, Schema>,
    #[serde(default)]
    parameters: BTreeMap<String, ParameterObject>,
}

/// A parameter, inline or by reference.
#[derive(Deserialize)]
#[serde(untagged)]
enum Parameter {
    Reference {
        #[serde(rename = "$ref")]
        reference: String,
    },
    Inline(ParameterObject),
}

#[derive(Clone, Deserialize)]
struct ParameterObject {
    name: String,
    #[serde(rename = "in")]
    location: String,
    /// Swagger 2.0's body parameter: the request's schema.
    schema: Option<SchemaReference>,
}

/// A schema read only for its `$ref`: which definition a request or response is. Other
/// generators publish no `x-kubernetes-group-version-kind`; the kinds of their paths are
/// inferred from these (`spec::infer`).
#[derive(Clone, Default, Deserialize)]
struct SchemaReference {
    #[serde(rename = "$ref")]
    reference: Option<String>,
}

/// A response (Swagger 2.0: `schema`; OpenAPI 3: `content` by media type), or OpenAPI 3's
/// `requestBody`.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Body {
    schema: Option<SchemaReference>,
    content: BTreeMap<String, MediaType>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct MediaType {
    schema: Option<SchemaReference>,
}

impl Body {
    /// The definition this body is, preferring JSON among OpenAPI 3's media types.
    fn reference(&self) -> Option<&str> {
        let direct = self.schema.as_ref().and_then(|schema| schema.reference.as_deref());
        let json = || self.content.get("application/json").and_then(|media| media.schema.as_ref());
        let any = || self.content.values().find_map(|media| media.schema.as_ref().filter(|s| s.reference.is_some()));
        direct.or_else(|| json().or_else(any).and_then(|schema| schema.reference.as_deref()))
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PathItem {
    parameters: Vec<Parameter>,
    get: Option<OperationObject>,
    put: Option<OperationObject>,
    post: Option<OperationObject>,
    delete: Option<OperationObject>,
    patch: Option<OperationObject>,
    head: Option<OperationObject>,
    options: Option<OperationObject>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct OperationObject {
    #[serde(rename = "x-kubernetes-action")]
    action: Option<String>,
    #[serde(rename = "x-kubernetes-group-version-kind")]
    group_version_kind: Option<GroupVersionKind>,
    parameters: Vec<Parameter>,
    responses: BTreeMap<String, Body>,
    #[serde(rename = "requestBody")]
    request_body: Option<Body>,
}

impl OperationObject {
    /// The definition of the first successful response that names one.
    fn response_reference(&self) -> Option<&str> {
        ["200", "201", "202"].iter().find_map(|code| self.responses.get(*code).and_then(Body::reference))
    }
}

/// Which dialect a document is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Swagger 2.0 (`/openapi/v2`, `api/openapi-spec/swagger.json`).
    Swagger2,
    /// OpenAPI 3.0 (`/openapi/v3/...`, one document per group/version).
    OpenApi3,
}

/// Loads one Swagger 2.0 or OpenAPI 3 document from bytes.
pub fn load_bytes(bytes: &[u8], name: &str) -> Result<(Dialect, RawSpec)> {
    let document = Location::document(name);
    let parsed: Document = parse::json(bytes, &document)?;
    let (dialect, schemas, schemas_location, prefix) = match (&parsed.swagger, &parsed.openapi) {
        (Some(version), _) if version == "2.0" => {
            (Dialect::Swagger2, parsed.definitions, document.join("definitions"), "#/definitions/")
        }
        (_, Some(version)) if version.starts_with("3.") => (
            Dialect::OpenApi3,
            parsed.components.schemas,
            document.join("components").join("schemas"),
            "#/components/schemas/",
        ),
        _ => {
            return Err(Error::spec(
                &document,
                "not a Swagger 2.0 (`swagger: \"2.0\"`) or OpenAPI 3 (`openapi: \"3.x\"`) document",
            ));
        }
    };

    let mut spec = RawSpec { documents: vec![name.to_owned()], ..RawSpec::default() };
    for (name, mut schema) in schemas {
        let location = schemas_location.join(&name);
        normalize(&mut schema, &location, prefix)?;
        spec.definitions.insert(name, Definition { schema, location, from_crd: false });
    }
    let shared_parameters: BTreeMap<String, ParameterObject> = parsed
        .parameters
        .into_iter()
        .map(|(name, parameter)| (format!("#/parameters/{name}"), parameter))
        .chain(parsed.components.parameters.into_iter().map(|(name, p)| (format!("#/components/parameters/{name}"), p)))
        .collect();
    let query_names = |parameters: &[Parameter]| -> Vec<String> {
        parameters
            .iter()
            .filter_map(|parameter| match parameter {
                Parameter::Inline(parameter) => Some(parameter),
                Parameter::Reference { reference } => shared_parameters.get(reference),
            })
            .filter(|parameter| parameter.location == "query")
            .map(|parameter| parameter.name.clone())
            .collect()
    };
    let body_reference = |parameters: &[Parameter]| -> Option<String> {
        parameters.iter().find_map(|parameter| {
            let parameter = match parameter {
                Parameter::Inline(parameter) => parameter,
                Parameter::Reference { reference } => shared_parameters.get(reference)?,
            };
            (parameter.location == "body").then_some(())?;
            parameter.schema.as_ref()?.reference.clone()
        })
    };
    // A reference outside the document's definitions says nothing about a kind: dropped.
    let definition_name = |reference: Option<String>| -> Option<String> {
        let name = reference?.strip_prefix(prefix)?.to_owned();
        (!name.is_empty()).then_some(name)
    };
    let paths_location = document.join("paths");
    for (path, item) in parsed.paths {
        let path_location = paths_location.join(&path);
        let path_queries = query_names(&item.parameters);
        let methods = [
            ("get", item.get),
            ("put", item.put),
            ("post", item.post),
            ("delete", item.delete),
            ("patch", item.patch),
            ("head", item.head),
            ("options", item.options),
        ];
        for (method, operation) in methods {
            let Some(operation) = operation else { continue };
            let mut query_parameters = path_queries.clone();
            query_parameters.extend(query_names(&operation.parameters));
            let request = operation.request_body.as_ref().and_then(|body| body.reference().map(str::to_owned));
            let request = request.or_else(|| body_reference(&operation.parameters));
            let response = operation.response_reference().map(str::to_owned);
            spec.operations.push(Operation {
                path: path.clone(),
                method: method.to_owned(),
                action: operation.action,
                group_version_kind: operation.group_version_kind,
                query_parameters,
                request_type: definition_name(request),
                response_type: definition_name(response),
                location: path_location.join(method),
            });
        }
    }
    super::normalize::go_package_names(&mut spec);
    super::infer::resources(&mut spec);
    Ok((dialect, spec))
}

/// Loads a spec file (Swagger 2.0 or one OpenAPI 3 document).
pub fn load_file(path: &Path) -> Result<RawSpec> {
    let bytes = parse::read(path)?;
    load_bytes(&bytes, &path.display().to_string()).map(|(_, spec)| spec)
}

/// Loads a directory of OpenAPI 3 documents, one per group/version as the API server serves
/// them under `/openapi/v3`, and merges them. The documents repeat shared schemas; a schema
/// defined differently by two documents is an error naming both.
pub fn load_directory(dir: &Path) -> Result<RawSpec> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|error| Error::io(dir, error))?
        .map(|entry| entry.map(|entry| entry.path()).map_err(|error| Error::io(dir, error)))
        .collect::<Result<_>>()?;
    files.retain(|path| path.extension().is_some_and(|extension| extension == "json"));
    files.sort();
    if files.is_empty() {
        return Err(Error::spec(
            &Location::document(dir.display().to_string()),
            "the directory holds no OpenAPI 3 documents (*.json)",
        ));
    }
    let mut merged = RawSpec::default();
    for file in files {
        let bytes = parse::read(&file)?;
        let name = file.display().to_string();
        let (dialect, spec) = load_bytes(&bytes, &name)?;
        if dialect != Dialect::OpenApi3 {
            return Err(Error::spec(
                &Location::document(name),
                "a spec directory must hold OpenAPI 3 documents only; this one is Swagger 2.0",
            ));
        }
        merged.merge(spec)?;
    }
    Ok(merged)
}
