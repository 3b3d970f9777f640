//! Extra users of a control plane: a client certificate signed by the plane's CA and a
//! kubeconfig for it. RBAC grants such a user nothing until a test binds roles to it, which is
//! what 403 tests need.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::http::{self, Http};

/// A user authenticated by a client certificate (CN = name, O = groups).
#[derive(Debug, Clone)]
pub struct User {
    name: String,
    groups: Vec<String>,
    kubeconfig: PathBuf,
    server: String,
    cert_pem: String,
    key_pem: String,
    tls: rustls::ClientConfig,
}

impl User {
    pub(crate) fn new(
        name: &str,
        groups: &[&str],
        kubeconfig: PathBuf,
        server: &str,
        ca_pem: &str,
        cert_pem: String,
        key_pem: String,
    ) -> Result<Self, Error> {
        let tls = http::tls_config(ca_pem, &cert_pem, &key_pem)?;
        Ok(User {
            name: name.to_string(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            kubeconfig,
            server: server.to_string(),
            cert_pem,
            key_pem,
            tls,
        })
    }

    /// The user name (the certificate's CN).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The groups (the certificate's O attributes).
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// A kubeconfig that authenticates as this user.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The client certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The client key, PEM (PKCS#8).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// A new HTTP client that authenticates as this user (build one per test runtime).
    pub fn http(&self) -> Result<Http, Error> {
        Http::new(&self.tls, &self.server)
    }
}

/// A file name for a user's kubeconfig: user names may contain `:` (service accounts) or `/`.
pub(crate) fn kubeconfig_file_name(user: &str) -> String {
    let safe: String =
        user.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    format!("{safe}.kubeconfig")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(kubeconfig_file_name("system:serviceaccount:ns/x"), "system_serviceaccount_ns_x.kubeconfig");
    }
}
