//! Ballista's plan codecs with one addition: the business-time functions
//! travel with the calendars they compute with. A plan names a function
//! and executors look it up by name, but `business_seconds` and
//! `business_deadline` hold the client's lake's calendars, which no
//! executor has; encoded here, the executors compute what the client would.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

use crate::calendar::Calendars;
use crate::calendar::functions::{NAMES, calendars_of, functions};

fn encode_udf(node: &ScalarUDF, buf: &mut Vec<u8>) {
    if let Some(calendars) = calendars_of(node) {
        buf.extend(calendars.to_bytes());
    }
}

/// The error for a function this process does not know.
pub fn unknown(kind: &str, name: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "this kpiql process does not know the {kind} function {name}: every scheduler and \
         executor must run a kpiql of the same version as the client"
    ))
}

fn decode_udf(name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
    if !NAMES.contains(&name) {
        return Err(unknown("scalar", name));
    }
    let calendars = Calendars::from_bytes(buf).map_err(|e| {
        DataFusionError::Internal(format!("the calendars sent with {name} do not read: {e}"))
    })?;
    functions(Arc::new(calendars))
        .into_iter()
        .find(|f| f.name() == name)
        .map(Arc::new)
        .ok_or_else(|| DataFusionError::Internal(format!("no function {name}")))
}

/// Ballista's logical codec, with the calendars of the business-time
/// functions.
#[derive(Debug)]
pub struct Logical {
    inner: Arc<dyn LogicalExtensionCodec>,
}

impl Default for Logical {
    fn default() -> Self {
        Logical {
            inner: Arc::new(ballista_core::serde::BallistaLogicalExtensionCodec::default()),
        }
    }
}

impl LogicalExtensionCodec for Logical {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.inner
            .try_decode_table_provider(buf, table_ref, schema, ctx)
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udf(node, buf);
        Ok(())
    }

    fn try_decode_udaf(&self, name: &str, _buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        Err(unknown("aggregate", name))
    }
}

/// Ballista's physical codec, with the calendars of the business-time
/// functions.
#[derive(Debug)]
pub struct Physical {
    inner: Arc<dyn PhysicalExtensionCodec>,
}

impl Default for Physical {
    fn default() -> Self {
        Physical {
            inner: Arc::new(ballista_core::serde::BallistaPhysicalExtensionCodec::default()),
        }
    }
}

impl PhysicalExtensionCodec for Physical {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.try_decode(buf, inputs, ctx, converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.inner.try_encode(node, buf, converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udf(node, buf);
        Ok(())
    }

    fn try_decode_udaf(&self, name: &str, _buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        Err(unknown("aggregate", name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // guards: a function a process lacks is named in the error, not a hang
    // or a generic "not provided".
    #[test]
    fn an_unknown_function_is_named() {
        let codec = Physical::default();
        let err = codec.try_decode_udaf("fcr", &[]).expect_err("unknown");
        assert!(
            err.to_string()
                .contains("does not know the aggregate function fcr"),
            "{err}"
        );
        let err = codec.try_decode_udf("no_such", &[]).expect_err("unknown");
        assert!(
            err.to_string()
                .contains("does not know the scalar function no_such"),
            "{err}"
        );
    }

    // guards: a plan naming a kpiql function, sent to a process whose
    // registry lacks it (an executor of another build), fails naming the
    // function, at decoding, before any task runs.
    #[tokio::test]
    async fn a_registry_without_the_function_names_it() {
        use datafusion::prelude::SessionContext;
        use datafusion_proto::bytes::{
            physical_plan_from_bytes_with_extension_codec,
            physical_plan_to_bytes_with_extension_codec,
        };
        let client = SessionContext::new();
        let mut state = client.state();
        crate::functions::register_every(&mut state, Arc::new(Calendars::default()))
            .expect("functions");
        let client = SessionContext::new_with_state(state);
        let plan = client
            .sql(
                "SELECT fcr(seq, resolved) AS fcr FROM (VALUES (1, true), (2, false)) \
                 AS t(seq, resolved)",
            )
            .await
            .expect("plans")
            .create_physical_plan()
            .await
            .expect("physical plan");
        let bytes = physical_plan_to_bytes_with_extension_codec(plan, &Physical::default())
            .expect("encodes");
        // DataFusion's functions only: fcr is missing.
        let executor = SessionContext::new();
        let err = physical_plan_from_bytes_with_extension_codec(
            &bytes,
            &executor.task_ctx(),
            &Physical::default(),
        )
        .expect_err("fcr is unknown there");
        assert!(
            err.to_string()
                .contains("does not know the aggregate function fcr"),
            "{err}"
        );
    }

    // guards: business_seconds travels with its calendars and computes
    // with them on the other side.
    #[test]
    fn calendars_travel_with_the_function() {
        use crate::calendar::{HolidayRow, TeamRow, WindowRow};
        let windows = vec![WindowRow {
            calendar_id: "office".into(),
            time_zone: "Europe/Warsaw".into(),
            weekday: 1,
            open_minute: 540,
            close_minute: 1020,
            valid_from: None,
        }];
        let holidays = vec![HolidayRow {
            calendar_id: "office".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
        }];
        let teams = vec![TeamRow {
            team: "red".into(),
            calendar_id: Some("office".into()),
        }];
        let calendars = Arc::new(Calendars::build(&windows, &holidays, &teams));
        let udf = functions(Arc::clone(&calendars))
            .into_iter()
            .find(|f| f.name() == "business_seconds")
            .expect("business_seconds");
        let mut buf = Vec::new();
        let codec = Physical::default();
        codec.try_encode_udf(&udf, &mut buf).expect("encodes");
        let back = codec
            .try_decode_udf("business_seconds", &buf)
            .expect("decodes");
        let shipped = calendars_of(&back).expect("calendars");
        assert_eq!(*shipped, *calendars);
        assert!(shipped.problems.is_empty());
    }
}
