//! kpiql's own session settings, `SET kpiql.<name> = ...` (DESIGN §5): the
//! one DataFusion config extension with the prefix `kpiql`, read where
//! each setting is used.

use datafusion::config::{ConfigExtension, ConfigField, Visit};
use datafusion::error::{DataFusionError, Result};

use crate::zone::Zone;

datafusion::common::extensions_options! {
    /// kpiql's settings (`SET kpiql.<name>`).
    pub struct Settings {
        /// A hash join whose build side is bounded below this many bytes
        /// stays a hash join, its build side collected once (0: only the
        /// ones under DataFusion's single-hash-table thresholds). 1 GiB
        /// without a memory limit, a quarter of it under one
        /// (`crate::spill`).
        pub hash_join_build_bytes: usize, default = 1 << 30
        /// The report time zone (`--time-zone`, an IANA name or UTC):
        /// reports' periods, months, weekdays and hours are cut at its
        /// midnights and hours (`crate::zone`).
        pub time_zone: Zone, default = Zone::UTC
    }
}

impl ConfigExtension for Settings {
    const PREFIX: &'static str = "kpiql";
}

impl Settings {
    /// The settings for a run under `limit` bytes of memory (`None`:
    /// unbounded) in `zone`: a quarter of the limit for one join's build
    /// side, which leaves the rest to the scans, the probe side's batches
    /// and the aggregations above.
    pub fn new(limit: Option<usize>, zone: Zone) -> Settings {
        let mut settings = Settings {
            time_zone: zone,
            ..Settings::default()
        };
        if let Some(limit) = limit {
            settings.hash_join_build_bytes = limit / 4;
        }
        settings
    }

    /// The settings of a session (the defaults where it has none).
    pub fn of(config: &datafusion::config::ConfigOptions) -> Settings {
        config
            .extensions
            .get::<Settings>()
            .cloned()
            .unwrap_or_default()
    }
}

/// `SET kpiql.time_zone = 'Europe/Warsaw'` checks the name when it is set.
impl ConfigField for Zone {
    fn visit<V: Visit>(&self, v: &mut V, key: &str, description: &'static str) {
        v.some(key, self.name(), description)
    }

    fn set(&mut self, _: &str, value: &str) -> Result<()> {
        *self = Zone::parse(value).map_err(|e| DataFusionError::Configuration(e.to_string()))?;
        Ok(())
    }

    fn reset(&mut self, _: &str) -> Result<()> {
        *self = Zone::UTC;
        Ok(())
    }
}
