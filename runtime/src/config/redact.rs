//! Keeping secrets out of `Debug` output, error messages and logs.
//!
//! Configuration types hold tokens, passwords, private keys and plugin environments; their
//! `Debug` impls print `<redacted>` in their place. URLs may carry a password in their
//! userinfo (`https://user:secret@host`): wherever a URL from a kubeconfig is shown, its
//! userinfo is replaced first, also for text that does not parse as a URL.

use std::borrow::Cow;

/// What is printed in place of a secret.
pub const REDACTED: &str = "<redacted>";

/// `text` (a URL, parsed or not) with the userinfo of its authority replaced by
/// [`REDACTED`]; unchanged when it has none.
pub fn url_text(text: &str) -> Cow<'_, str> {
    let authority_start = text.find("://").map_or(0, |index| index + 3);
    let rest = &text[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}{REDACTED}{}", &text[..authority_start], &rest[at..])),
        None => Cow::Borrowed(text),
    }
}

/// A URL for display, without its userinfo's secrets.
pub fn url(url: &reqwest::Url) -> String {
    url_text(url.as_str()).into_owned()
}

/// `Some(<redacted>)` or `None`, for `Debug` impls of optional secrets.
pub fn optional<T>(value: &Option<T>) -> Option<&'static str> {
    value.as_ref().map(|_| REDACTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_replaced_in_urls_and_in_text_that_is_not_one() {
        assert_eq!(url_text("https://admin:hunter2@10.0.0.1:6443/api"), "https://<redacted>@10.0.0.1:6443/api");
        assert_eq!(url_text("socks5://user:pw@proxy:1080"), "socks5://<redacted>@proxy:1080");
        assert_eq!(url_text("https://host/api?x=a@b"), "https://host/api?x=a@b");
        assert_eq!(url_text("not a url: me:pw@host"), "<redacted>@host");
        assert_eq!(url_text("https://host:6443"), "https://host:6443");
        let parsed = reqwest::Url::parse("https://token@host/").expect("parses");
        assert_eq!(url(&parsed), "https://<redacted>@host/");
    }
}
