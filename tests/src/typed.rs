//! kubegen clients for the control plane's users.

use std::path::Path;

use kubegen_runtime::Client;
use kubegen_runtime::config::{Config, Kubeconfig, KubeconfigOptions};

use crate::{ControlPlane, Error, User};

/// A kubegen client from a kubeconfig file, through the same loading path a user's
/// `~/.kube/config` takes.
pub fn client_from_kubeconfig(path: &Path) -> Result<Client, Error> {
    Ok(Client::new(config_from_kubeconfig(path)?)?)
}

/// A kubegen configuration from a kubeconfig file, for tests that change it (a proxy, a
/// timeout, metrics) before building their client.
pub fn config_from_kubeconfig(path: &Path) -> Result<Config, Error> {
    let kubeconfig = Kubeconfig::read(path)?;
    Ok(Config::from_custom_kubeconfig(&kubeconfig, &KubeconfigOptions::default())?)
}

impl ControlPlane {
    /// A kubegen client as the admin (`system:masters`). Build one per test: a client's
    /// connections belong to the tokio runtime that made them.
    pub fn kube_client(&self) -> Result<Client, Error> {
        client_from_kubeconfig(self.kubeconfig_path())
    }

    /// The admin's configuration, to adjust before building a client.
    pub fn kube_config(&self) -> Result<Config, Error> {
        config_from_kubeconfig(self.kubeconfig_path())
    }

    /// A kubegen client as the admin that speaks JSON only (`Config::protobuf` off), to
    /// compare with what [`kube_client`](Self::kube_client) reads in protobuf.
    pub fn json_client(&self) -> Result<Client, Error> {
        let mut config = self.kube_config()?;
        config.protobuf = false;
        Ok(Client::new(config)?)
    }
}

impl User {
    /// A kubegen client as this user.
    pub fn kube_client(&self) -> Result<Client, Error> {
        client_from_kubeconfig(self.kubeconfig_path())
    }
}
