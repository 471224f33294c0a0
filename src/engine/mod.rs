//! The simulated cluster. See ARCHITECTURE.md for the map.

pub mod addons;
pub mod api;
pub mod apiserver;
pub mod base64;
pub mod bootstrap;
pub mod cluster;
pub mod control;
pub mod controllers;
pub mod cri;
pub mod decode;
pub mod dns;
pub mod fs;
pub mod ingressnginx;
pub mod kubelet;
pub mod metricsserver;
pub mod programs;
pub mod quantity;
pub mod rng;
pub mod scheduler;
pub mod sort;
pub mod storage;
pub mod store;
pub mod time;
pub mod timeline;
pub mod world;
pub mod yaml;

pub use cluster::{Cluster, Input};
