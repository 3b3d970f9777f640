//! Doc comments from schema descriptions.

use proc_macro2::TokenStream;
use quote::quote;

/// `#[doc]` attributes for a description, one per line. Code fences without a language are
/// marked `text`, since descriptions are prose, not Rust (the generated crate also disables
/// doctests).
pub fn doc_attributes(text: &str) -> TokenStream {
    let mut in_fence = false;
    let lines = text.trim_end().lines().map(|line| {
        let trimmed = line.trim_start();
        let line = if let Some(rest) = trimmed.strip_prefix("```") {
            let opening = !in_fence;
            in_fence = !in_fence;
            if opening && rest.trim().is_empty() { "```text".to_owned() } else { line.to_owned() }
        } else {
            line.replace('\t', "    ")
        };
        let line = if line.is_empty() { String::new() } else { format!(" {line}") };
        quote! { #[doc = #line] }
    });
    let mut tokens: TokenStream = lines.collect();
    if in_fence {
        tokens.extend(quote! { #[doc = " ```"] });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_fences_as_text_and_closes_them() {
        let tokens = doc_attributes("Grammar:\n```\n<a> ::= b\n").to_string();
        assert!(tokens.contains("\" ```text\""), "{tokens}");
        assert!(tokens.ends_with("# [doc = \" ```\"]"), "{tokens}");
    }
}
