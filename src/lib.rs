//! kpiql: a SQL engine for customer-support analytics on a Parquet lake.
//!
//! [`Kpiql::open`] is the entry point: it gives a DataFusion
//! `SessionContext` with the lake's tables (DESIGN §1) registered; the CLI,
//! the REPL and batch jobs all start from it.

pub mod batch;
pub mod calendar;
pub mod cli;
pub mod cluster;
pub mod dates;
pub mod feedback;
pub mod functions;
pub mod generate;
pub mod help;
pub mod html;
pub mod joins;
pub mod lake;
pub mod output;
pub mod repl;
pub mod reports;
pub mod serve;
pub mod session;
pub mod settings;
pub mod source;
pub mod sql;
pub mod staffing;
pub mod store;
pub mod targets;
pub mod validate;
pub mod zone;

pub use lake::{LakeError, Location, Table};
pub use session::{Kpiql, OpenError, Options, install};
