//! Where something came from: a file (or URL) and a JSON pointer into it.
//!
//! Every error about spec content carries a [`Location`], so a user can find the offending
//! schema: `specs/x.json#/definitions/io.k8s.api.core.v1.Pod/properties/spec`.

use std::fmt;
use std::sync::Arc;

/// A position in an input document: its name and a JSON pointer (RFC 6901).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The document: a file path, a URL, or `bundled:<name>` for the embedded spec.
    pub document: Arc<str>,
    /// JSON pointer into the document, empty for the whole document.
    pub pointer: String,
}

impl Location {
    /// The root of a document.
    pub fn document(document: impl Into<Arc<str>>) -> Self {
        Self { document: document.into(), pointer: String::new() }
    }

    /// This location extended by one reference token (escaped per RFC 6901).
    pub fn join(&self, token: &str) -> Self {
        let mut pointer = String::with_capacity(self.pointer.len() + token.len() + 1);
        pointer.push_str(&self.pointer);
        pointer.push('/');
        for c in token.chars() {
            match c {
                '~' => pointer.push_str("~0"),
                '/' => pointer.push_str("~1"),
                c => pointer.push(c),
            }
        }
        Self { document: self.document.clone(), pointer }
    }

    /// This location extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        self.join(&index.to_string())
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.document, self.pointer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_reference_tokens() {
        let location = Location::document("spec.json").join("paths").join("/api/v1/{name}").join("a~b");
        assert_eq!(location.to_string(), "spec.json#/paths/~1api~1v1~1{name}/a~0b");
    }
}
