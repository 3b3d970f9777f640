//! Errors of the generator. Each names its input: a file, a JSON pointer, or a CRD.

use std::path::PathBuf;

use crate::location::Location;

/// Everything that can go wrong while loading specs and generating a crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A document is not valid JSON or YAML, or does not have the expected shape.
    #[error("{location}: {message}")]
    Parse {
        /// Where parsing failed, as precisely as the parser knows.
        location: Location,
        /// What the parser expected or found.
        message: String,
    },

    /// A document is well-formed but its content is not usable: a dangling `$ref`, an unknown
    /// schema type, a CRD without a schema, conflicting definitions, ...
    #[error("{location}: {message}")]
    Spec {
        /// The offending schema, path or object.
        location: Location,
        /// What is wrong with it.
        message: String,
    },

    /// Properties of built-in types have no field in the embedded protobuf field table: the
    /// bundled spec and the table disagree (regenerate the table with
    /// `scripts/protofields.sh`).
    #[error("{table}: no protobuf field for {} propert{} of the spec (the types decode as JSON only):\n{}", fields.len(), if fields.len() == 1 { "y" } else { "ies" }, fields.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    ProtobufDrift {
        /// The table's name.
        table: &'static str,
        /// `definition/property` of each.
        fields: Vec<String>,
    },

    /// A fixup of an upstream spec error no longer applies: upstream fixed the spec, and the
    /// fixup should be removed.
    #[error("fixup `{id}` ({source_url}) no longer applies: {message}")]
    StaleFixup {
        /// The fixup's identifier.
        id: &'static str,
        /// Where the upstream error is described.
        source_url: &'static str,
        /// What was found instead of the error the fixup corrects.
        message: String,
    },

    /// A live cluster could not be read: unreachable, unauthorized, or a document is broken.
    #[error("{url}: {message}")]
    Cluster {
        /// The URL (or `kubeconfig`).
        url: String,
        /// What went wrong, with the HTTP status where there is one.
        message: String,
    },

    /// `--check` found files that differ from what would be generated.
    #[error("{dir} is stale: {} file(s) differ from what kubegen would generate:\n{}", files.len(), files.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    Stale {
        /// The output directory.
        dir: PathBuf,
        /// Each differing file, with what differs (changed, missing, extra).
        files: Vec<String>,
    },

    /// `--out` holds files kubegen did not write where it would write or remove one: nothing
    /// was written.
    #[error("refusing to replace or remove files kubegen did not write (no kubegen header):\n{}\nmove them away or choose another --out", files.iter().map(|f| format!("  {}", f.display())).collect::<Vec<_>>().join("\n"))]
    NotGenerated {
        /// Each such file.
        files: Vec<PathBuf>,
    },

    /// An option's value cannot be used (a crate name that is not a package name, ...).
    #[error("{message}")]
    Usage {
        /// What is wrong, naming the option.
        message: String,
    },

    /// Rendering the generated code failed; this is a bug in kubegen.
    #[error("internal error while rendering {what}: {message}")]
    Render {
        /// The file or item being rendered.
        what: String,
        /// The renderer's message.
        message: String,
    },
}

impl Error {
    /// An [`Error::Spec`] at `location`.
    pub fn spec(location: &Location, message: impl Into<String>) -> Self {
        Self::Spec { location: location.clone(), message: message.into() }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
}

/// Result with the generator's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
