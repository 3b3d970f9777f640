//! The streaming subresources on [`Api`]: `exec`, `attach` and `portforward`, each only where
//! the spec declares it (the marker traits of [`subresource`]).

use super::connect::Connection;
use super::local::LocalForward;
use super::portforward::{self, PortForwarder};
use super::process::{AttachParams, AttachedProcess};
use super::protocol::ChannelProtocol;
use super::session::Keepalive;
use crate::client::request::PathBuilder;
use crate::client::{Api, Error};
use crate::resource::subresource;

impl<K: subresource::Exec> Api<K> {
    /// Runs `command` (the program and its arguments, no shell) in a container of Pod `name`,
    /// with the streams `params` asks for.
    ///
    /// ```no_run
    /// # async fn demo(pods: kubegen_runtime::Api<impl kubegen_runtime::resource::subresource::Exec>) -> Result<(), kubegen_runtime::Error> {
    /// use kubegen_runtime::client::AttachParams;
    /// let output = pods.exec("web-0", ["cat", "/etc/hostname"], &AttachParams::default()).await?.output().await?;
    /// assert!(output.status.success());
    /// # Ok(()) }
    /// ```
    pub async fn exec<I, S>(&self, name: &str, command: I, params: &AttachParams) -> Result<AttachedProcess, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        params.validate()?;
        let mut query = PathBuilder::new(self.path.subresource(name, "exec")?);
        let mut empty = true;
        for argument in command {
            query.param("command", argument.as_ref());
            empty = false;
        }
        if empty {
            return Err(Error::InvalidRequest(format!("exec in {name}: the command is empty")));
        }
        params.populate(&mut query);
        let connection: Connection = self.client.upgrade(query.build(), &params.protocols).await?;
        Ok(AttachedProcess::start(connection, params))
    }
}

impl<K: subresource::Attach> Api<K> {
    /// Attaches to the main process of a container of Pod `name`: its stdin, stdout and stderr
    /// or its terminal, as `params` asks.
    pub async fn attach(&self, name: &str, params: &AttachParams) -> Result<AttachedProcess, Error> {
        params.validate()?;
        let mut query = PathBuilder::new(self.path.subresource(name, "attach")?);
        params.populate(&mut query);
        let connection = self.client.upgrade(query.build(), &params.protocols).await?;
        Ok(AttachedProcess::start(connection, params))
    }
}

impl<K: subresource::PortForward> Api<K> {
    /// Forwards `ports` of Pod `name` over one connection: one [`PortStream`]
    /// (`AsyncRead + AsyncWrite`) per port, each one TCP connection to that port in the Pod.
    ///
    /// [`PortStream`]: super::PortStream
    pub async fn portforward(&self, name: &str, ports: &[u16]) -> Result<PortForwarder, Error> {
        self.portforward_with(name, ports, Keepalive::default()).await
    }

    /// [`portforward`](Self::portforward) with other keepalive settings.
    pub async fn portforward_with(
        &self,
        name: &str,
        ports: &[u16],
        keepalive: Keepalive,
    ) -> Result<PortForwarder, Error> {
        portforward::validate_ports(ports)?;
        let mut query = PathBuilder::new(self.path.subresource(name, "portforward")?);
        for port in ports {
            query.param("ports", &port.to_string());
        }
        // Port-forward over websockets is v4 only: kube-apiserver passes it through to the
        // kubelet, whose handler offers no other channel protocol.
        let connection = self.client.upgrade(query.build(), &[ChannelProtocol::V4]).await?;
        Ok(PortForwarder::start(connection, ports, keepalive))
    }

    /// Listens on `local` (`127.0.0.1:0` for any free port) and forwards each connection to
    /// `port` of Pod `name` over a port-forward of its own, as `kubectl port-forward` does.
    /// Stops when the returned value is dropped.
    pub async fn forward_local(
        &self,
        name: &str,
        port: u16,
        local: std::net::SocketAddr,
    ) -> Result<LocalForward, Error> {
        LocalForward::start(self.clone(), name, port, local).await
    }
}
