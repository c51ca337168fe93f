//! `occupancy(state, seconds)`: agent time spent handling contacts.

use std::sync::LazyLock;

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{AggregateUDF, Documentation, Signature};

use super::common::{Arg, DOC_SECTION, Forms, coerce, handling_share, signature};
use super::kernels::ratio::{RatioOfSums, RatioUdaf, Terms};

const SYNTAX: &str = "occupancy(state, seconds)";
/// The accepted argument lists.
const FORMS: Forms = &[&[("state", Arg::String), ("seconds", Arg::Numeric)]];

/// Time handling contacts as a share of time handling or available.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Occupancy {
    signature: Signature,
}

/// The `occupancy` aggregate.
pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(RatioUdaf(Occupancy {
        signature: signature(FORMS),
    }))
}

impl RatioOfSums for Occupancy {
    fn name(&self) -> &'static str {
        "occupancy"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn check_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce(SYNTAX, arg_types, FORMS)
    }

    fn scale(&self) -> f64 {
        100.0
    }

    fn terms(&self, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<Terms> {
        handling_share(SYNTAX, args, filter, Some(&["handling", "available"]))
    }

    fn documentation(&self) -> &Documentation {
        static DOC: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION,
                "Occupancy in percent: 100 x seconds in handling / seconds in handling or available. Rows in other states are not counted. Rows with a NULL argument are not counted; NULL when \
                 no row is counted or the counted seconds add up to 0. Negative or NaN seconds are \
                 an error.",
                SYNTAX,
            )
            .with_argument("state", "String: handling, available, break, lunch, meeting, training, other.")
            .with_argument("seconds", "Number: length of the span in seconds, >= 0.")
            .with_sql_example(
                "SELECT occupancy(state, seconds) FROM (VALUES ('handling', 300.0), ('available', 100.0), ('break', 100.0)) AS t(state, seconds);\n-- 75.0: 300 of the 400 seconds handling or available",
            )
            .with_related_udf("utilization")
            .build()
        });
        &DOC
    }
}
