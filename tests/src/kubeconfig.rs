//! Kubeconfig files for the control plane's users: one cluster, one user, one current context,
//! everything inline (`certificate-authority-data`, `client-certificate-data`,
//! `client-key-data`), so the file works from any directory.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::Error;

/// The name of the cluster and context in every kubeconfig the harness writes.
pub const CONTEXT: &str = "kubegen-test";

/// Renders a kubeconfig as YAML.
pub(crate) fn render(server: &str, ca_pem: &str, user: &str, cert_pem: &str, key_pem: &str) -> Result<String, Error> {
    let document = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": CONTEXT,
            "cluster": {
                "server": server,
                "certificate-authority-data": STANDARD.encode(ca_pem),
            },
        }],
        "users": [{
            "name": user,
            "user": {
                "client-certificate-data": STANDARD.encode(cert_pem),
                "client-key-data": STANDARD.encode(key_pem),
            },
        }],
        "contexts": [{
            "name": CONTEXT,
            "context": { "cluster": CONTEXT, "user": user },
        }],
        "current-context": CONTEXT,
        "preferences": {},
    });
    serde_yaml_ng::to_string(&document).map_err(|e| Error::Invalid { what: "kubeconfig", message: e.to_string() })
}

/// Renders a kubeconfig and writes it to `path`.
pub(crate) fn write(
    path: &Path,
    server: &str,
    ca_pem: &str,
    user: &str,
    cert_pem: &str,
    key_pem: &str,
) -> Result<(), Error> {
    let text = render(server, ca_pem, user, cert_pem, key_pem)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    }
    std::fs::write(path, text).map_err(|e| Error::io("writing", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_inline_credentials() {
        let text = render("https://127.0.0.1:1", "CA", "alice", "CERT", "KEY").expect("render");
        let doc: serde_json::Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
        assert_eq!(doc["current-context"], CONTEXT);
        assert_eq!(doc["clusters"][0]["cluster"]["server"], "https://127.0.0.1:1");
        assert_eq!(doc["clusters"][0]["cluster"]["certificate-authority-data"], STANDARD.encode("CA"));
        assert_eq!(doc["users"][0]["name"], "alice");
        assert_eq!(doc["users"][0]["user"]["client-key-data"], STANDARD.encode("KEY"));
        assert_eq!(doc["contexts"][0]["context"]["user"], "alice");
    }
}
