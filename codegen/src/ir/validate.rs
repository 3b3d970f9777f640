//! The last check before emission: every identifier the model gives the emitter is a valid,
//! non-keyword Rust identifier, and every module and file name fits a file system.
//!
//! The naming rules (`names.rs`) make sure of this by construction; this pass turns a gap in
//! them into an error naming the spec location, never a panic in the emitter (`quote`'s
//! `format_ident!` panics on an invalid identifier).

use super::names::MAX_PATH_WORD;
use super::{Model, TypeKind};
use crate::error::{Error, Result};
use crate::location::Location;

/// Checks every identifier of `model`.
pub fn validate(model: &Model) -> Result<()> {
    for module in model.modules.values() {
        check_path_word(&module.name, "module", &Location::document(module.package.as_str()))?;
    }
    for ty in model.types.values() {
        let location = &ty.location;
        check_ident(&ty.name, "type", location)?;
        check_path_word(&ty.file, "file", location)?;
        match &ty.kind {
            TypeKind::Struct(body) => {
                for field in &body.fields {
                    check_ident(&field.rust_name, "field", &location.join("properties").join(&field.json_name))?;
                }
                if let Some(extra) = &body.extra {
                    check_ident(&extra.rust_name, "field", location)?;
                }
            }
            TypeKind::Enum(body) => {
                for (variant, _) in &body.variants {
                    check_ident(variant, "enum variant", &location.join("enum"))?;
                }
                check_ident(&body.other, "enum variant", &location.join("enum"))?;
            }
            TypeKind::Union(variants) => {
                for variant in variants {
                    check_ident(&variant.name, "variant", location)?;
                }
            }
            TypeKind::Alias(_) | TypeKind::Newtype(_) | TypeKind::Provided(_) => {}
        }
    }
    Ok(())
}

/// Whether `name` is an identifier Rust accepts as it is (no keyword, no `r#`).
pub fn is_ident(name: &str) -> bool {
    !name.starts_with("r#") && syn::parse_str::<syn::Ident>(name).is_ok_and(|ident| ident == name)
}

fn check_ident(name: &str, what: &str, location: &Location) -> Result<()> {
    if is_ident(name) {
        return Ok(());
    }
    Err(Error::spec(location, format!("kubegen derived the {what} name {name:?}, which is not a Rust identifier")))
}

fn check_path_word(name: &str, what: &str, location: &Location) -> Result<()> {
    check_ident(name, what, location)?;
    // The stem of a nested type's file or a module can be the limit plus a `_`-escape or a
    // counter; anything far longer is a naming bug.
    if name.len() > MAX_PATH_WORD + 8 {
        return Err(Error::spec(location, format!("the {what} name {name:?} is too long for a file name")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        for valid in ["Pod", "self_", "Self_", "_9lives", "r", "x1"] {
            assert!(is_ident(valid), "{valid}");
        }
        for invalid in ["", "_", "self", "Self", "crate", "super", "fn", "9lives", "a-b", "a b", "r#fn"] {
            assert!(!is_ident(invalid), "{invalid}");
        }
    }
}
