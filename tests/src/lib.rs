//! Test harness: a real kube-apiserver + etcd on loopback, like controller-runtime's envtest.
//!
//! ```no_run
//! # async fn demo() -> Result<(), kubegen_tests::Error> {
//! use kubegen_tests::ControlPlane;
//!
//! // One control plane per test binary, started on first use, shared by its tests.
//! let cp = ControlPlane::shared()?;
//! let ns = cp.fresh_namespace("demo").await?;
//! let http = cp.http()?; // admin client; build one per test
//! let list = http.get(&format!("/api/v1/namespaces/{ns}/configmaps")).await?;
//! # let _ = list; Ok(()) }
//! ```
//!
//! Binaries come from `$KUBEGEN_CONTROL_PLANE_BIN`, else from
//! `${KUBEGEN_CACHE:-$HOME/.cache/kubegen}/control-plane/bin`, built there by
//! `tests/control-plane/build.sh` when missing. Each process's output goes to a log file in the
//! plane's temporary directory; start-up errors quote the tail of each log.
//!
//! Module map, one concept each:
//! - [`control_plane`]: [`ControlPlane`] and its operations;
//! - [`builder`]: [`ControlPlaneBuilder`] (extra flags, timeout);
//! - `etcd`, `apiserver`: flags and readiness probes of each process;
//! - `process`, `supervisor`: running children that cannot outlive the test binary;
//! - `pki`, `kubeconfig`, `user`: certificates, kubeconfig files, extra users;
//! - [`proxy`]: a TCP proxy a test can cut, to partition one client from the server;
//!   [`socks`]: a SOCKS5 proxy, for clients configured with one;
//! - [`kubelet`]: [`Kubelet`], a fake node serving exec, attach, port-forward and logs of its
//!   Pods with the kubelet's own streaming handlers ([`ControlPlane::start_kubelet`]);
//! - [`typed`]: kubegen clients for the plane's users; [`round_trip`]: checks that objects the
//!   server returns survive decoding into the generated types and encoding back;
//! - [`http`], [`watch`]: plain HTTP and watch access, to see what the server sends as it is;
//! - `crds`, `binaries`, `ports`, `workdir`, `wait`: the rest.

mod apiserver;
mod binaries;
pub mod builder;
pub mod control_plane;
mod crds;
mod error;
mod etcd;
pub mod http;
mod kubeconfig;
pub mod kubelet;
pub mod mutation;
mod pki;
mod ports;
mod process;
pub mod proxy;
pub mod round_trip;
pub mod socks;
mod supervisor;
pub mod typed;
mod user;
mod wait;
pub mod watch;
mod workdir;

pub use binaries::{BIN_DIR_ENV, CACHE_ENV};
pub use builder::{ControlPlaneBuilder, DEFAULT_START_TIMEOUT, TIMEOUT_ENV};
pub use control_plane::ControlPlane;
pub use error::Error;
pub use http::{Http, PatchType, query};
pub use kubeconfig::CONTEXT as KUBECONFIG_CONTEXT;
pub use kubelet::Kubelet;
pub use user::User;
pub use wait::wait_until;
pub use watch::{WatchEvent, WatchStream};

/// The field manager the harness uses for server-side apply.
pub const FIELD_MANAGER: &str = "kubegen-tests";

/// Sends `tracing` output of the harness (and anything else) to the test's captured output.
/// `RUST_LOG` filters; default `kubegen_tests=info`. Safe to call from every test.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("kubegen_tests=info"));
    // Fails when a subscriber is already set (another test called this first): fine.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}
