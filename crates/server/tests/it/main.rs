//! The scenario tests: each drives a real `leitstand serve` process over HTTPS, on SQLite and
//! on PostgreSQL (`LEITSTAND_TEST_DATABASE_URL`; with `CI=true` a missing database fails).
//!
//! One test binary for all of them, as STYLE.md asks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test panics on failure"
)]

mod access;
mod anomalies;
mod audit;
mod budgets;
mod costs;
mod durability;
mod errors;
mod harness;
mod hierarchy;
mod isolation;
mod multi_server;
mod object_store;
mod real_clients;
mod recommend;
mod resources;
mod roles;
