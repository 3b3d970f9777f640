//! `kubegen-bench`: kubegen beside kube-rs and client-go on the same work. `bench/run.sh`
//! calls the subcommands of its binaries (and the Go binary's) and renders `BENCHMARKS.md`;
//! each subcommand writes JSON result records (see [`results`]).
//!
//! Two binaries run the same command line ([`cli`]): `kubegen-bench`, with the system
//! allocator as a user's program has it, for every timed workload; and `kubegen-bench-heap`,
//! with the counting allocator of [`alloc`], for the heap workload only (the counting costs
//! every allocation a call and a load, about 2% of a protobuf watch decode).
//!
//! Module map, one concept each: [`fixtures`] (the seeded objects), [`models`] (the two Rust
//! libraries behind one trait), [`decode`], [`heap`], [`sizes`], [`generation`],
//! [`build_time`], [`cluster`] (control plane, informers, requests, streams, controllers;
//! kubegen's slots in `cluster/kubegen.rs`), [`env`], [`report`].

pub mod alloc;
mod build_time;
pub mod cli;
mod cluster;
mod decode;
mod decode_protobuf;
mod env;
mod fixtures;
mod generation;
mod heap;
mod models;
mod report;
mod results;
mod sizes;
mod stats;
