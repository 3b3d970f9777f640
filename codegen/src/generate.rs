//! `kubegen generate`: load the inputs, build the model, emit the crate, write or check it.

use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use std::collections::BTreeSet;

use crate::emit::{self, CrateSettings, ExternCrate, Files, RuntimeDependency};
use crate::error::{Error, Result};
use crate::fixups::{self, StalePolicy};
use crate::ir::{self, Model, TypeDef};
use crate::output::{self, WriteReport};
use crate::spec::{self, RawSpec};

/// What to generate from, and where to.
#[derive(Clone, Debug)]
pub struct Options {
    /// Spec files or directories; the bundled Kubernetes spec when empty.
    pub specs: Vec<PathBuf>,
    /// CRD manifests, added to the specs.
    pub crds: Vec<PathBuf>,
    /// The crate directory.
    pub out: PathBuf,
    /// Package name of the generated crate.
    pub crate_name: String,
    /// Package version of the generated crate.
    pub crate_version: String,
    /// How the crate depends on `kubegen-runtime`; by default a path to this kubegen's own
    /// runtime when its sources are present, else a version requirement.
    pub runtime: Option<RuntimeDependency>,
    /// Compare instead of writing.
    pub check: bool,
    /// Use the types of another generated crate instead of generating them.
    pub extern_types: Option<ExternTypes>,
    /// Read the spec from a live cluster (instead of the bundled spec).
    pub from_cluster: Option<spec::cluster::ClusterOptions>,
}

/// Another generated crate whose types a crate refers to instead of generating them: a crate
/// of custom resources on top of `kubegen-api`.
#[derive(Clone, Debug)]
pub struct ExternTypes {
    /// Its package name, for example `kubegen-api`.
    pub package: String,
    /// How the generated crate depends on it.
    pub dependency: RuntimeDependency,
    /// The specs it was generated from; the bundled spec when empty.
    pub specs: Vec<PathBuf>,
}

impl Options {
    /// Options for `out` with defaults: the bundled spec, crate `kubegen-api` 0.1.0.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            specs: Vec::new(),
            crds: Vec::new(),
            out: out.into(),
            crate_name: "kubegen-api".to_owned(),
            crate_version: "0.1.0".to_owned(),
            runtime: None,
            check: false,
            extern_types: None,
            from_cluster: None,
        }
    }
}

/// What a run produced, for the summary on stderr.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Types generated.
    pub types: usize,
    /// Resources found.
    pub resources: usize,
    /// Modules (group/versions) generated.
    pub modules: usize,
    /// Files in the crate.
    pub files: usize,
    /// What writing did (empty with `check`).
    pub write: WriteReport,
    /// Time spent loading and parsing the inputs.
    pub load_time: Duration,
    /// Time spent building the model.
    pub model_time: Duration,
    /// Time spent rendering files.
    pub emit_time: Duration,
    /// Time spent writing or comparing files.
    pub write_time: Duration,
}

/// Loads specs (the bundled one when `specs` is empty) and CRDs into one spec.
pub fn load_inputs(specs: &[PathBuf], crds: &[PathBuf]) -> Result<RawSpec> {
    let mut merged = if specs.is_empty() { spec::bundled::load()? } else { RawSpec::default() };
    add_inputs(&mut merged, specs, crds)?;
    Ok(merged)
}

fn add_inputs(merged: &mut RawSpec, specs: &[PathBuf], crds: &[PathBuf]) -> Result<()> {
    for path in specs {
        merged.merge(spec::load_spec_path(path)?)?;
    }
    for path in crds {
        merged.merge(spec::crd::load_file(path)?)?;
    }
    Ok(())
}

/// Loads the inputs of `options`: with external types, their specs are loaded too (they
/// resolve references) and the names of their definitions are returned, to be marked
/// external in the model.
fn load_options(options: &Options) -> Result<(RawSpec, BTreeSet<String>)> {
    let cluster = options.from_cluster.as_ref().map(spec::cluster::load).transpose()?;
    let Some(external) = &options.extern_types else {
        let mut merged = match cluster {
            Some(cluster) => cluster,
            None if options.specs.is_empty() => spec::bundled::load()?,
            None => RawSpec::default(),
        };
        add_inputs(&mut merged, &options.specs, &options.crds)?;
        return Ok((merged, BTreeSet::new()));
    };
    let mut merged = if external.specs.is_empty() { spec::bundled::load()? } else { RawSpec::default() };
    add_inputs(&mut merged, &external.specs, &[])?;
    let external_names: BTreeSet<String> = merged.definitions.keys().cloned().collect();
    merged.documents.clear();
    let mut local = cluster.unwrap_or_default();
    add_inputs(&mut local, &options.specs, &options.crds)?;
    // Local documents repeat the built-in definitions they refer to; the external crate's win.
    merged.merge_except(local, &external_names)?;
    Ok((merged, external_names))
}

/// Marks the modules whose definitions all come from the external crate's specs.
fn mark_external(model: &mut Model, external_names: &BTreeSet<String>, crate_ident: &str) -> Result<()> {
    for module in model.modules.values_mut() {
        let (external, local): (Vec<&TypeDef>, Vec<&TypeDef>) =
            model.types.values().filter(|ty| ty.module == module.name).partition(|ty| external_names.contains(&ty.id));
        match (external.is_empty(), local.first()) {
            (false, None) => module.external = Some(crate_ident.to_owned()),
            (false, Some(local)) => {
                return Err(Error::spec(
                    &local.location,
                    format!(
                        "`{}` would be generated into module `{}`, which the external crate already has",
                        local.id, module.name
                    ),
                ));
            }
            (true, _) => {}
        }
    }
    Ok(())
}

/// Applies the fixups and builds the model of a loaded spec.
pub fn build_model(mut spec: RawSpec, policy: StalePolicy) -> Result<Model> {
    fixups::apply(&mut spec, policy)?;
    ir::build(&spec)
}

/// Properties of built-in types the protobuf field table has no field for: their types (and
/// every type holding them) decode as JSON only. An error where kubegen chose the spec (the
/// bundled one, whose table must match it) and in `--check`; a warning naming each property for
/// a user's spec or a cluster, which may be newer than the table.
fn check_protobuf_table(model: &crate::ir::Model, policy: StalePolicy) -> Result<()> {
    let table = crate::spec::protobuf::load()?;
    let missing = crate::emit::missing_fields(model, &table);
    if missing.is_empty() {
        return Ok(());
    }
    if policy == StalePolicy::Fail {
        let fields =
            missing.iter().map(|field| format!("{}/properties/{}", field.definition, field.property)).collect();
        return Err(Error::ProtobufDrift { table: crate::spec::protobuf::NAME, fields });
    }
    for field in &missing {
        tracing::warn!(
            definition = %field.definition,
            property = %field.property,
            "no protobuf field in {} for this property: the type decodes as JSON only",
            crate::spec::protobuf::NAME
        );
    }
    Ok(())
}

/// Runs `kubegen generate`.
pub fn generate(options: &Options) -> Result<Report> {
    let mut report = Report::default();
    let started = Instant::now();
    let (spec, external_names) = load_options(options)?;
    report.load_time = started.elapsed();
    tracing::info!(
        definitions = spec.definitions.len(),
        operations = spec.operations.len(),
        documents = spec.documents.len(),
        "loaded inputs in {:.0?}",
        report.load_time
    );

    let started = Instant::now();
    let inputs = spec.documents.clone();
    // A fixup that is no longer needed fails only where kubegen chose the spec (the bundled
    // one) and in `--check`; a user's spec or a live cluster may be newer than the fixup
    // list, so it only warns there.
    let bundled = options.specs.is_empty() && options.from_cluster.is_none();
    let policy = if bundled || options.check { StalePolicy::Fail } else { StalePolicy::Warn };
    let mut model = build_model(spec, policy)?;
    check_protobuf_table(&model, policy)?;
    let extern_crate = options
        .extern_types
        .as_ref()
        .map(|external| ExternCrate { package: external.package.clone(), dependency: external.dependency.clone() });
    if let Some(external) = &extern_crate {
        mark_external(&mut model, &external_names, &external.package.replace('-', "_"))?;
    }
    report.model_time = started.elapsed();
    let local = |module: &str| model.modules.get(module).is_some_and(|module| module.external.is_none());
    report.types = model.types.values().filter(|ty| local(&ty.module)).count();
    report.resources = model
        .resources
        .values()
        .filter(|resource| model.types.get(&resource.type_id).is_some_and(|ty| local(&ty.module)))
        .count();
    report.modules = model.modules.values().filter(|module| module.external.is_none()).count();

    let started = Instant::now();
    let settings = CrateSettings {
        name: options.crate_name.clone(),
        version: options.crate_version.clone(),
        runtime: match &options.runtime {
            Some(runtime) => runtime.clone(),
            None => default_runtime(&options.out),
        },
        inputs: describe_inputs(&inputs),
        extern_crate,
    };
    let files = emit::emit(&model, &settings)?;
    report.emit_time = started.elapsed();
    report.files = files.len();

    let started = Instant::now();
    write_or_check(&options.out, &files, options.check, &mut report)?;
    report.write_time = started.elapsed();
    Ok(report)
}

fn write_or_check(out: &Path, files: &Files, check: bool, report: &mut Report) -> Result<()> {
    if check {
        return output::check(out, files);
    }
    if out.exists() {
        report.write = output::write(out, files)?;
        return Ok(());
    }
    // A new crate is written beside its place and moved there whole, so a failure never
    // leaves a directory that looks complete.
    let file_name = out.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = out.with_file_name(format!(".{file_name}.kubegen-{}", std::process::id()));
    let written = output::write(&staging, files).and_then(|written| {
        std::fs::rename(&staging, out).map_err(|error| Error::io(out, error))?;
        Ok(written)
    });
    match written {
        Ok(written) => {
            report.write = written;
            Ok(())
        }
        Err(error) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(error)
        }
    }
}

/// Input names for the generated crate's docs: file names, not machine-specific paths.
fn describe_inputs(documents: &[String]) -> Vec<String> {
    let mut names: Vec<String> = documents
        .iter()
        .map(|document| {
            let path = Path::new(document);
            let file = path.file_name().map(|name| name.to_string_lossy().into_owned());
            match (file, path.parent().and_then(Path::file_name)) {
                (Some(file), Some(parent)) if file.ends_with("_openapi.json") => parent.to_string_lossy().into_owned(),
                (Some(file), _) => file,
                (None, _) => document.clone(),
            }
        })
        .map(|name| format!("`{}`", name.trim_start_matches("bundled:")))
        .collect();
    names.dedup();
    names
}

/// The runtime of this kubegen's source tree, by a path relative to `out`, when it exists;
/// else the runtime version matching this kubegen.
fn default_runtime(out: &Path) -> RuntimeDependency {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("runtime");
    let (Ok(runtime), Some(out)) = (runtime.canonicalize(), absolute(out)) else {
        return RuntimeDependency::Version(env!("CARGO_PKG_VERSION").to_owned());
    };
    if !runtime.join("Cargo.toml").is_file() {
        return RuntimeDependency::Version(env!("CARGO_PKG_VERSION").to_owned());
    }
    RuntimeDependency::Path(relative_path(&out, &runtime))
}

/// `path` made absolute and normalized, also when it does not exist yet.
fn absolute(path: &Path) -> Option<PathBuf> {
    if let Ok(canonical) = path.canonicalize() {
        return Some(canonical);
    }
    let parent = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(absolute(parent)?.join(path.file_name()?))
}

/// The relative path from directory `from` to `to`, both absolute, with `/` separators.
fn relative_path(from: &Path, to: &Path) -> String {
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(to[common..].iter().map(|part| part.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() { ".".to_owned() } else { parts.join("/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(relative_path(Path::new("/w/main/generated"), Path::new("/w/main/runtime")), "../runtime");
        assert_eq!(relative_path(Path::new("/tmp/x"), Path::new("/w/runtime")), "../../w/runtime");
    }

    #[test]
    fn input_names() {
        let documents = [
            "bundled:kubernetes-v1.35-swagger.json".to_owned(),
            "/x/specs/kubernetes-v1.35-openapi-v3/api__v1_openapi.json".to_owned(),
            "/x/specs/kubernetes-v1.35-openapi-v3/apis__apps__v1_openapi.json".to_owned(),
            "crds/certificates.yaml".to_owned(),
        ];
        assert_eq!(
            describe_inputs(&documents),
            ["`kubernetes-v1.35-swagger.json`", "`kubernetes-v1.35-openapi-v3`", "`certificates.yaml`"]
        );
    }
}
