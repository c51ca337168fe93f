//! kpiql's own session settings, `SET kpiql.<name> = ...` (DESIGN §5): the
//! one DataFusion config extension with the prefix `kpiql`, read where
//! each setting is used.

use datafusion::config::{ConfigExtension, ConfigField, Visit};
use datafusion::error::{DataFusionError, Result};

use crate::zone::Zone;

datafusion::common::extensions_options! {
    /// kpiql's settings (`SET kpiql.<name>`).
    pub struct Settings {
        /// The hash joins of a query whose build sides are bounded
        /// within this many bytes together stay hash joins, their build
        /// sides collected once (0: only the ones under DataFusion's
        /// single-hash-table thresholds). 2 GiB without a memory limit,
        /// half of it under one (`crate::spill`).
        pub hash_join_build_bytes: usize, default = 2 << 30
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
    /// unbounded) in `zone`: half of the limit for the build sides a
    /// query collects, which leaves the rest to the scans, the probe
    /// sides' batches and the sorts and aggregations, which spill.
    pub fn new(limit: Option<usize>, zone: Zone) -> Settings {
        let mut settings = Settings {
            time_zone: zone,
            ..Settings::default()
        };
        if let Some(limit) = limit {
            settings.hash_join_build_bytes = limit / 2;
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
