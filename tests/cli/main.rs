//! One CLI test binary, one module per area. Every test runs the real
//! `burnkey` binary against real files built in temporary directories.

mod action;
mod agent;
mod agent_more;
mod baseline;
mod common;
mod composite;
mod decode;
mod git;
mod hardening;
mod help;
mod hidden;
mod hook;
mod hostile;
mod journeys;
mod mcp;
mod readme;
mod redact;
mod report;
mod revoke;
mod revoke_api;
mod rules;
mod runner;
mod scan;
mod security_doc;
mod serve;
mod server;
mod store;
mod token;
mod verify;
mod workflow;
