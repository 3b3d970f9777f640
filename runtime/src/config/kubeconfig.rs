//! The kubeconfig file format, and loading it as kubectl does.
//!
//! `KUBECONFIG` may list several files (`:`-separated, `;` on Windows); they are merged with
//! kubectl's rule: the first file to set a map entry (a cluster, a user, a context by name) or
//! a scalar (`current-context`) wins, and later files only add. Without `KUBECONFIG`,
//! `~/.kube/config` is read. Relative file paths inside a file (certificate, key, token files)
//! are relative to that file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ConfigError, redact};

/// A kubeconfig document (`kind: Config`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Kubeconfig {
    /// Named clusters.
    #[serde(default, deserialize_with = "null_as_default")]
    pub clusters: Vec<NamedCluster>,
    /// Named users (credentials).
    #[serde(default, deserialize_with = "null_as_default")]
    pub users: Vec<NamedAuthInfo>,
    /// Named contexts (a cluster, a user and a namespace).
    #[serde(default, deserialize_with = "null_as_default")]
    pub contexts: Vec<NamedContext>,
    /// The context used when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<String>,
}

/// A cluster with its name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedCluster {
    /// The cluster's name.
    pub name: String,
    /// The cluster.
    #[serde(default)]
    pub cluster: Cluster,
}

/// How to reach a cluster. `Debug` leaves out passwords in the server and proxy URLs.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Cluster {
    /// The API server's URL, for example `https://127.0.0.1:6443`.
    #[serde(default)]
    pub server: String,
    /// Do not verify the server's certificate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_skip_tls_verify: bool,
    /// File with the CA certificates (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority: Option<String>,
    /// CA certificates (PEM, base64 in the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority_data: Option<String>,
    /// The name to verify the server's certificate against, instead of the URL's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_server_name: Option<String>,
    /// Proxy for requests to this cluster (`http`, `https` or `socks5` URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
}

/// A user with its name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedAuthInfo {
    /// The user's name.
    pub name: String,
    /// The credentials.
    #[serde(default)]
    pub user: AuthInfo,
}

/// Credentials. `Debug` shows which are set, never their values.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AuthInfo {
    /// File with the client certificate (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
    /// Client certificate (PEM, base64 in the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate_data: Option<String>,
    /// File with the client key (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
    /// Client key (PEM, base64 in the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_data: Option<String>,
    /// Bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// File with a bearer token, re-read when it changes (`tokenFile`: kubectl spells this one
    /// in camel case).
    #[serde(default, rename = "tokenFile", skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
    /// Basic auth user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Basic auth password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// An exec credential plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecConfig>,
    /// A legacy auth provider (gcp, azure, oidc): not supported; kept to name it in errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_provider: Option<serde_json::Value>,
}

/// An exec credential plugin (`client.authentication.k8s.io`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecConfig {
    /// The program to run.
    pub command: String,
    /// Its arguments.
    #[serde(default, deserialize_with = "null_as_default")]
    pub args: Vec<String>,
    /// Extra environment variables.
    #[serde(default, deserialize_with = "null_as_default")]
    pub env: Vec<ExecEnvVar>,
    /// `client.authentication.k8s.io/v1` or `/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// Printed when the program is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_hint: Option<String>,
    /// Pass the cluster's details to the plugin in `KUBERNETES_EXEC_INFO`.
    #[serde(default)]
    pub provide_cluster_info: bool,
    /// `Never`, `IfAvailable` (the default) or `Always`: whether the plugin may use the
    /// terminal (standard input) to ask the user something, such as a sign-in code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive_mode: Option<String>,
}

/// An environment variable for an exec plugin (plugins take secrets this way: `Debug` shows
/// the name only).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecEnvVar {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A context with its name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedContext {
    /// The context's name.
    pub name: String,
    /// The context.
    #[serde(default)]
    pub context: Context,
}

/// A cluster, a user and a default namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// The cluster's name.
    #[serde(default)]
    pub cluster: String,
    /// The user's name.
    #[serde(default)]
    pub user: String,
    /// The default namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("server", &redact::url_text(&self.server))
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("certificate_authority", &self.certificate_authority)
            .field("certificate_authority_data", &self.certificate_authority_data.as_ref().map(String::len))
            .field("tls_server_name", &self.tls_server_name)
            .field("proxy_url", &self.proxy_url.as_deref().map(redact::url_text))
            .finish()
    }
}

impl std::fmt::Debug for AuthInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthInfo")
            .field("client_certificate", &self.client_certificate)
            .field("client_certificate_data", &self.client_certificate_data.as_ref().map(String::len))
            .field("client_key", &self.client_key)
            .field("client_key_data", &redact::optional(&self.client_key_data))
            .field("token", &redact::optional(&self.token))
            .field("token_file", &self.token_file)
            .field("username", &redact::optional(&self.username))
            .field("password", &redact::optional(&self.password))
            .field("exec", &self.exec)
            .field(
                "auth_provider",
                &self.auth_provider.as_ref().map(|provider| provider.get("name").and_then(|name| name.as_str())),
            )
            .finish()
    }
}

impl std::fmt::Debug for ExecEnvVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecEnvVar").field("name", &self.name).field("value", &redact::REDACTED).finish()
    }
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

impl Kubeconfig {
    /// Parses a kubeconfig file, making its relative paths relative to the file's directory.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let mut config: Kubeconfig = serde_yaml_ng::from_str(&text)
            .map_err(|error| ConfigError::Parse { path: path.to_owned(), message: error.to_string() })?;
        if let Some(dir) = path.parent() {
            config.resolve_paths(dir);
        }
        Ok(config)
    }

    fn resolve_paths(&mut self, dir: &Path) {
        let resolve = |file: &mut Option<String>| {
            if let Some(name) = file
                && Path::new(name).is_relative()
            {
                *name = dir.join(&*name).to_string_lossy().into_owned();
            }
        };
        for cluster in &mut self.clusters {
            resolve(&mut cluster.cluster.certificate_authority);
        }
        for user in &mut self.users {
            resolve(&mut user.user.client_certificate);
            resolve(&mut user.user.client_key);
            resolve(&mut user.user.token_file);
            if let Some(exec) = &mut user.user.exec
                && exec.command.contains('/')
                && Path::new(&exec.command).is_relative()
            {
                exec.command = dir.join(&exec.command).to_string_lossy().into_owned();
            }
        }
    }

    /// Merges `other` into `self` with kubectl's rule: what `self` already has wins.
    pub fn merge(&mut self, other: Kubeconfig) {
        fn add<T>(into: &mut Vec<T>, from: Vec<T>, name: impl Fn(&T) -> &str) {
            for item in from {
                if !into.iter().any(|existing| name(existing) == name(&item)) {
                    into.push(item);
                }
            }
        }
        add(&mut self.clusters, other.clusters, |c| &c.name);
        add(&mut self.users, other.users, |u| &u.name);
        add(&mut self.contexts, other.contexts, |c| &c.name);
        if self.current_context.as_deref().is_none_or(str::is_empty) {
            self.current_context = other.current_context;
        }
    }

    /// The files kubectl would read: those listed in `KUBECONFIG` that exist, else
    /// `~/.kube/config`.
    pub fn default_paths() -> Vec<PathBuf> {
        if let Some(list) = std::env::var_os("KUBECONFIG").filter(|list| !list.is_empty()) {
            return std::env::split_paths(&list).filter(|path| !path.as_os_str().is_empty()).collect();
        }
        home_dir().map(|home| vec![home.join(".kube").join("config")]).unwrap_or_default()
    }

    /// Reads and merges the default files. Missing files listed in `KUBECONFIG` are skipped,
    /// as kubectl does; `None` when there is no file at all.
    pub fn read_default() -> Result<Option<Self>, ConfigError> {
        Self::read_all(&Self::default_paths())
    }

    /// Reads and merges `paths` in order (the first to define an entry wins), skipping files
    /// that do not exist; `None` when none exists.
    pub fn read_all(paths: &[PathBuf]) -> Result<Option<Self>, ConfigError> {
        let mut merged: Option<Kubeconfig> = None;
        for path in paths.iter().filter(|path| path.exists()) {
            let config = Self::read(path)?;
            match &mut merged {
                Some(merged) => merged.merge(config),
                None => merged = Some(config),
            }
        }
        Ok(merged)
    }

    /// The context, cluster and user to use: `context` if given, else the current context.
    pub fn resolve(&self, context: Option<&str>) -> Result<(&str, &Context, &Cluster, &AuthInfo), ConfigError> {
        let name = match context {
            Some(name) => name,
            None => {
                self.current_context.as_deref().filter(|name| !name.is_empty()).ok_or(ConfigError::NoCurrentContext)?
            }
        };
        let context = self
            .contexts
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ConfigError::Missing { what: "context", name: name.to_owned() })?;
        let cluster = self
            .clusters
            .iter()
            .find(|c| c.name == context.context.cluster)
            .ok_or_else(|| ConfigError::Missing { what: "cluster", name: context.context.cluster.clone() })?;
        let empty = &DEFAULT_AUTH;
        let user = if context.context.user.is_empty() {
            empty
        } else {
            &self
                .users
                .iter()
                .find(|u| u.name == context.context.user)
                .ok_or_else(|| ConfigError::Missing { what: "user", name: context.context.user.clone() })?
                .user
        };
        Ok((&context.name, &context.context, &cluster.cluster, user))
    }
}

static DEFAULT_AUTH: AuthInfo = AuthInfo {
    client_certificate: None,
    client_certificate_data: None,
    client_key: None,
    client_key_data: None,
    token: None,
    token_file: None,
    username: None,
    password: None,
    exec: None,
    auth_provider: None,
};

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Kubeconfig {
        serde_yaml_ng::from_str(text).expect("parses")
    }

    #[test]
    fn merging_keeps_the_first_definition() {
        let mut first = parse(
            "current-context: a\nclusters:\n- name: c1\n  cluster: {server: https://one}\ncontexts:\n- name: a\n  context: {cluster: c1, user: u1}\n",
        );
        let second = parse(
            "current-context: b\nclusters:\n- name: c1\n  cluster: {server: https://other}\n- name: c2\n  cluster: {server: https://two}\nusers:\n- name: u1\n  user: {token: t}\ncontexts:\n- name: b\n  context: {cluster: c2, user: u1}\n",
        );
        first.merge(second);
        assert_eq!(first.current_context.as_deref(), Some("a"));
        assert_eq!(first.clusters.len(), 2);
        assert_eq!(first.clusters[0].cluster.server, "https://one");
        let (_, _, cluster, user) = first.resolve(Some("b")).expect("resolves b");
        assert_eq!(cluster.server, "https://two");
        assert_eq!(user.token.as_deref(), Some("t"));
    }

    #[test]
    fn missing_pieces_are_named() {
        let config = parse("contexts:\n- name: a\n  context: {cluster: nowhere}\n");
        assert_eq!(
            config.resolve(None).expect_err("no current").to_string(),
            "the kubeconfig has no current-context and none was named"
        );
        assert_eq!(
            config.resolve(Some("a")).expect_err("no cluster").to_string(),
            "the kubeconfig has no cluster named \"nowhere\""
        );
    }
}
