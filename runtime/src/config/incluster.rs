//! Configuration inside a Pod.

use std::path::Path;

use super::{Auth, Config, ConfigError};

/// Where Kubernetes mounts the service account's token, CA and namespace.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The in-cluster configuration from `dir` and the environment `env`.
pub fn load(dir: impl AsRef<Path>, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
    let dir = dir.as_ref();
    let host = env("KUBERNETES_SERVICE_HOST")
        .filter(|host| !host.is_empty())
        .ok_or_else(|| ConfigError::NotInCluster("KUBERNETES_SERVICE_HOST is not set".into()))?;
    let port = env("KUBERNETES_SERVICE_PORT")
        .filter(|port| !port.is_empty())
        .ok_or_else(|| ConfigError::NotInCluster("KUBERNETES_SERVICE_PORT is not set".into()))?;
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host };
    let url = format!("https://{host}:{port}");
    let cluster_url = reqwest::Url::parse(&url).map_err(|error| ConfigError::Invalid {
        what: "in-cluster server".into(),
        message: format!("{url}: {error}"),
    })?;
    let token = dir.join("token");
    if !token.exists() {
        return Err(ConfigError::NotInCluster(format!("{} does not exist", token.display())));
    }
    let mut config = Config::new(cluster_url);
    let ca = dir.join("ca.crt");
    config.root_certificates =
        Some(std::fs::read(&ca).map_err(|source| ConfigError::Read { path: ca.clone(), source })?);
    config.auth = Auth::TokenFile(token);
    if let Ok(namespace) = std::fs::read_to_string(dir.join("namespace")) {
        let namespace = namespace.trim();
        if !namespace.is_empty() {
            config.default_namespace = namespace.to_owned();
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_service_account_and_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("token"), "abc").expect("token");
        std::fs::write(dir.path().join("ca.crt"), "-----BEGIN CERTIFICATE-----\n").expect("ca");
        std::fs::write(dir.path().join("namespace"), "team-a\n").expect("namespace");
        let env = |name: &str| match name {
            "KUBERNETES_SERVICE_HOST" => Some("fd00::1".to_owned()),
            "KUBERNETES_SERVICE_PORT" => Some("443".to_owned()),
            _ => None,
        };
        let config = load(dir.path(), env).expect("loads");
        assert_eq!(config.cluster_url.as_str(), "https://[fd00::1]/");
        assert_eq!(config.default_namespace, "team-a");
        assert!(matches!(config.auth, Auth::TokenFile(ref path) if path.ends_with("token")));
    }

    #[test]
    fn outside_a_pod_says_why() {
        let error = load("/nonexistent", |_| None).expect_err("not in a cluster");
        assert_eq!(error.to_string(), "not in a cluster: KUBERNETES_SERVICE_HOST is not set");
    }
}
