//! Placeholder until the generator lands (same API).
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::lake::Table;

#[derive(Debug)]
pub struct GenerateOptions { pub out: PathBuf, pub rows: u64, pub seed: u64, pub start: chrono::NaiveDate, pub months: u32, pub threads: usize }
#[derive(Debug)]
pub struct GenerateSummary { pub rows: BTreeMap<Table, u64>, pub files: usize, pub bytes: u64, pub elapsed: std::time::Duration }
#[derive(Debug, thiserror::Error)]
pub enum GenerateError { #[error("not yet")] NotYet }
pub fn generate(_opts: &GenerateOptions) -> Result<GenerateSummary, GenerateError> { Err(GenerateError::NotYet) }
