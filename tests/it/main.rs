//! The one integration-test binary (every extra test binary links DataFusion
//! again). One module per concern.

mod batch;
mod cli;
mod cluster;
mod drift;
mod duckdb;
mod fixtures;
mod functions;
mod generate;
mod html;
mod lake;
mod layout;
mod repl;
mod reports;
mod serve;
mod validate;
mod zendesk;
mod zone;
