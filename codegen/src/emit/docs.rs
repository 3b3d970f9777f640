//! Text from the spec in generated files: doc comments from schema descriptions, and every
//! other name or value the spec puts in a comment.
//!
//! [`line`] is the one place such text is made safe: it escapes whatever could end a comment
//! or a line (`\n`, `\r` and every other control character, Unicode line and paragraph
//! separators) or that rustc refuses in comments (bidirectional overrides), so spec text can
//! never become code. String literals are written by `quote`, which escapes them itself.

use proc_macro2::TokenStream;
use quote::quote;

/// `text` as one line that is safe in any comment or Markdown cell: characters that could end
/// the line or that rustc rejects in comments become `\u{..}` escapes, tabs four spaces.
pub fn line(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => safe.push_str("    "),
            c if needs_escape(c) => safe.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => safe.push(c),
        }
    }
    safe
}

/// Control characters, Unicode line and paragraph separators, and the bidirectional
/// formatting characters rustc's `text_direction_codepoint_in_comment` lint rejects.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `#[doc]` attributes for a description, one per line, each made safe by [`line`]. Code fences without a language are
/// marked `text`, since descriptions are prose, not Rust (the generated crate also disables
/// doctests).
pub fn doc_attributes(text: &str) -> TokenStream {
    let mut in_fence = false;
    let lines = text.trim_end().split('\n').map(|line| {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start();
        let line = if let Some(rest) = trimmed.strip_prefix("```") {
            let opening = !in_fence;
            in_fence = !in_fence;
            if opening && rest.trim().is_empty() { "```text".to_owned() } else { line.to_owned() }
        } else {
            line.to_owned()
        };
        let line = self::line(&line);
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
