//! netstep-sim: the deterministic simulator.
//!
//! One event queue ordered by (virtual time, insertion order); randomness
//! only from ChaCha streams derived from the scenario's seed; a topology
//! of hosts, routers, NATs and firewalls joined by links, routed along
//! shortest paths computed when first needed; and a
//! recorder that writes every segment's fate into a `Trace`. Nothing here
//! reads a wall clock.

pub mod build;
pub mod bulk;
pub mod ftp_app;
pub mod link;
pub mod middlebox;
pub mod net;
pub mod queue;
pub mod record;
pub mod rng;
pub mod routing;
pub mod tcphost;

pub use build::run_scenario;
pub use link::LinkParams;
pub use net::{
    Fault, FaultAction, HostCx, HostStack, Middlebox, Network, NetworkBuilder, RunLimits,
};
pub use record::{Recorder, SegMeta};
