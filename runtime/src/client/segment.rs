//! Request paths built from checked segments, never by pasting text.
//!
//! Object names, namespaces and subresource names come from users, and groups, versions and
//! plurals may come from a server's discovery documents: all of them are untrusted. A name
//! such as `../../../namespaces/kube-system` pasted into `/api/v1/namespaces/{ns}/pods/{name}`
//! addresses another resource once the URL is normalised; `x?dryRun=All` starts a query;
//! `x#y` is cut at the `#`. Every segment therefore goes through [`segment`]:
//!
//! - What the API server itself refuses as a name in a path is refused here, before anything
//!   is sent (apimachinery `path.IsValidPathSegmentName`): the empty string, `.`, `..`, and
//!   anything containing `/` or `%`.
//! - Everything else is percent-encoded where a path segment needs it (`?`, `#`, spaces,
//!   control characters, non-ASCII), so it stays inside its segment.
//!
//! [`check_request_path`] is the same guard for a whole path handed to `Client::send`: it must
//! start with `/` (so it cannot turn into a host: `https://server` + `@evil.example/` would),
//! and it may not contain `.` or `..` segments or their percent-encoded forms.

use std::borrow::Cow;
use std::fmt::Write;

use super::Error;

/// Checks one segment of a request path and percent-encodes what a path segment cannot hold
/// as is. `what` names the segment in the error (`name`, `namespace`, `subresource`, ...).
pub fn segment<'a>(what: &'static str, value: &'a str) -> Result<Cow<'a, str>, Error> {
    let reason = if value.is_empty() {
        Some("it is empty")
    } else if value == "." || value == ".." {
        Some("`.` and `..` are not names")
    } else if value.contains('/') {
        Some("it contains `/`")
    } else if value.contains('%') {
        Some("it contains `%`")
    } else {
        None
    };
    if let Some(reason) = reason {
        return Err(Error::InvalidPathSegment { what, value: value.to_owned(), reason });
    }
    if value.bytes().all(is_path_safe) {
        return Ok(Cow::Borrowed(value));
    }
    let mut encoded = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if is_path_safe(byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    Ok(Cow::Owned(encoded))
}

/// Bytes a path segment holds unencoded: RFC 3986 `pchar` without `%` (unreserved,
/// sub-delims, `:` and `@`).
fn is_path_safe(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// Checks a request path (with its query) before it is joined to the server's URL: it starts
/// with `/` but not `//`, and has no `.` or `..` segment, written plainly or percent-encoded.
pub fn check_request_path(path: &str) -> Result<(), Error> {
    let invalid =
        |reason: &'static str| Error::InvalidPathSegment { what: "request path", value: path.to_owned(), reason };
    if !path.starts_with('/') {
        return Err(invalid("it does not start with `/`"));
    }
    if path.starts_with("//") {
        return Err(invalid("it starts with `//`"));
    }
    let path_only = path.split(['?', '#']).next().unwrap_or_default();
    for part in path_only.split('/') {
        let decoded = part.to_ascii_lowercase().replace("%2e", ".");
        if decoded == "." || decoded == ".." {
            return Err(invalid("it has a `.` or `..` segment"));
        }
        if decoded.contains("%2f") || decoded.contains("%5c") {
            return Err(invalid("it has an encoded `/` or `\\`"));
        }
        if part.contains('\\') {
            return Err(invalid("it contains `\\`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names that must never reach a URL: each one, as a name, would address something else.
    pub(crate) const REFUSED: &[&str] = &[
        "",
        ".",
        "..",
        "../../../namespaces/kube-system",
        "x/../../secrets/admin-token",
        "a/b",
        "/",
        "%2e%2e",
        "%2E%2E%2Fsecrets",
        "..%2f..%2fsecrets",
        "name%00",
        "%",
        "100%",
    ];

    #[test]
    fn names_the_server_refuses_are_refused_before_sending() {
        for value in REFUSED {
            let error = segment("name", value).expect_err(value);
            let text = error.to_string();
            assert!(text.starts_with("invalid name "), "{text}");
        }
    }

    #[test]
    fn everything_else_stays_inside_its_segment() {
        let cases = [
            ("web-0", "web-0"),
            ("system:controller:job-controller", "system:controller:job-controller"),
            ("x?dryRun=All", "x%3FdryRun=All"),
            ("x#fragment", "x%23fragment"),
            ("a b", "a%20b"),
            ("line\nbreak", "line%0Abreak"),
            ("café", "caf%C3%A9"),
            ("...", "..."),
            ("back\\slash", "back%5Cslash"),
            ("tab\tand\u{1b}[31mred", "tab%09and%1B%5B31mred"),
        ];
        for (value, encoded) in cases {
            assert_eq!(segment("name", value).expect(value), encoded, "{value:?}");
        }
    }

    #[test]
    fn errors_show_the_value_escaped() {
        let text = segment("namespace", "a/\n/b").expect_err("slash").to_string();
        assert_eq!(text, "invalid namespace \"a/\\n/b\": it contains `/`");
    }

    #[test]
    fn request_paths_cannot_change_the_host_or_climb() {
        for path in [
            "@evil.example/api",
            "evil.example/api",
            "//evil.example/api",
            "",
            "/api/v1/namespaces/a/pods/../../kube-system/secrets",
            "/api/v1/%2e%2e/secrets",
            "/api/v1/namespaces/a%2Fb",
            "/api/./v1",
            "/api\\..\\secrets",
        ] {
            assert!(check_request_path(path).is_err(), "{path:?}");
        }
        for path in [
            "/api",
            "/apis/apps/v1/deployments?limit=5&continue=a..b",
            "/version",
            "/openapi/v3/apis/apps/v1?hash=ab.cd",
        ] {
            check_request_path(path).expect(path);
        }
    }
}
