//! Leader election on a `coordination.k8s.io/v1` Lease, for controllers that run as several
//! replicas with one active (client-go's `tools/leaderelection`; kube-rs has none, issue
//! kube-rs#485).
//!
//! - [`config`]: the Lease, the identity, the timings (client-go's defaults 15 s / 10 s / 2 s)
//!   and their validation;
//! - [`elector`]: [`LeaderElector`], generic over the Lease type of a generated crate;
//! - [`record`]: the election record in the Lease's spec.
//!
//! `Controller::run_with_leader_election` runs a controller's workers only while leading.

pub mod config;
pub mod elector;
pub mod record;

pub use config::{ConfigError, LeaderElectionConfig};
pub use elector::{LeaderElector, LeaderEvent, StopReason};
pub use record::LeaseRecord;
