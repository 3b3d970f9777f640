//! `GET /version`: which Kubernetes release the API server runs.
//!
//! The reflector asks it once per client to choose how an informer's first list is paged
//! (`cache::reflector::Paging::Auto`): what the watch cache can answer depends on the release.

use reqwest::Method;
use serde::Deserialize;

use super::{Client, Error, Request};

/// The API server's answer to `GET /version` (apimachinery's `version.Info`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct ServerVersion {
    /// The major version, `"1"`.
    pub major: String,
    /// The minor version, `"35"`; some distributions append `+` (`"35+"`).
    pub minor: String,
    /// The release, `"v1.35.0"`, with a distribution's suffix if any (`"v1.35.0-gke.1"`).
    pub git_version: String,
    /// The commit the server was built from.
    pub git_commit: String,
    /// When the server was built.
    pub build_date: String,
    /// The Go version it was built with.
    pub go_version: String,
    /// `os/arch`.
    pub platform: String,
}

impl ServerVersion {
    /// The release as `(major, minor)` numbers, from `major` and `minor` (a trailing `+` and
    /// other non-digits after the number ignored), or from `gitVersion` when those are empty
    /// or not numbers (servers built without version stamps report `"0"`/`""` there).
    pub fn release(&self) -> Option<(u32, u32)> {
        match (leading_number(&self.major), leading_number(&self.minor)) {
            (Some(major), Some(minor)) if major > 0 => Some((major, minor)),
            _ => {
                let mut parts = self.git_version.strip_prefix('v')?.split('.');
                let major = parts.next().and_then(leading_number)?;
                let minor = parts.next().and_then(leading_number)?;
                (major > 0).then_some((major, minor))
            }
        }
    }

    /// Whether the release is `major.minor` or newer; false when it is unknown.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        self.release().is_some_and(|release| release >= (major, minor))
    }
}

/// The digits a text starts with, as a number.
fn leading_number(text: &str) -> Option<u32> {
    let end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    text[..end].parse().ok()
}

impl Client {
    /// Asks the server which release it runs (`GET /version`).
    pub async fn server_version(&self) -> Result<ServerVersion, Error> {
        self.request(Request::new(Method::GET, "/version".to_owned())).await
    }

    /// The server's release, asked once per client (clones share the answer); a failed
    /// request is not remembered, so the next call asks again.
    pub async fn cached_server_version(&self) -> Result<ServerVersion, Error> {
        self.inner.server_version.get_or_try_init(|| self.server_version()).await.cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(major: &str, minor: &str, git_version: &str) -> ServerVersion {
        ServerVersion {
            major: major.to_owned(),
            minor: minor.to_owned(),
            git_version: git_version.to_owned(),
            ..ServerVersion::default()
        }
    }

    #[test]
    fn release_comes_from_major_and_minor() {
        assert_eq!(version("1", "35", "v1.35.0").release(), Some((1, 35)));
        assert_eq!(version("1", "30+", "v1.30.4-eks-a737599").release(), Some((1, 30)));
    }

    #[test]
    fn release_falls_back_to_git_version() {
        // A server built from source without version stamps.
        assert_eq!(version("", "", "v1.34.1-dirty").release(), Some((1, 34)));
        assert_eq!(version("0", "0", "v1.33.0").release(), Some((1, 33)));
        assert_eq!(version("", "", "v0.0.0-master+$Format:%H$").release(), None);
        assert_eq!(version("", "", "").release(), None);
        assert_eq!(version("x", "y", "1.2").release(), None);
    }

    #[test]
    fn at_least_compares_releases() {
        let server = version("1", "34", "v1.34.2");
        assert!(server.at_least(1, 34));
        assert!(server.at_least(1, 9));
        assert!(!server.at_least(1, 35));
        assert!(!server.at_least(2, 0));
        assert!(!ServerVersion::default().at_least(1, 0));
    }

    #[test]
    fn the_servers_answer_decodes() {
        let answer = r#"{"major":"1","minor":"35","emulationMajor":"1","emulationMinor":"35",
            "gitVersion":"v1.35.0","gitCommit":"abc","gitTreeState":"clean",
            "buildDate":"2025-12-17T12:00:00Z","goVersion":"go1.25.5","compiler":"gc",
            "platform":"linux/amd64"}"#;
        let server: ServerVersion = serde_json::from_str(answer).expect("decodes");
        assert_eq!(server.release(), Some((1, 35)));
        assert_eq!(server.platform, "linux/amd64");
    }
}
