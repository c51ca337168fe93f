//! The contract in code: the canonical schema of each lake table (DESIGN §1).
//!
//! Schemas are declared, never inferred from files. Strings are declared as
//! `Utf8View`, the type DataFusion reads Parquet strings as, so no column is
//! re-encoded on every scan; files may hold `Utf8`, `LargeUtf8` or
//! `Utf8View` (see `docs/DESIGN.md` §1).
//!
//! To add a table: add a [`Table`] variant, its schema and its meaning here;
//! registration, `validate` and `\d` pick it up from [`Table::ALL`].

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The time zone every lake timestamp is normalised to.
pub const TZ: &str = "UTC";

/// `Timestamp(Microsecond, "UTC")`, the type of every lake timestamp.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(TZ.into()))
}

/// `Decimal128(18, 2)`, the type of money amounts.
pub const AMOUNT_TYPE: DataType = DataType::Decimal128(18, 2);

/// One table of the support lake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// One customer contact.
    Interactions,
    /// One survey answer (CSAT, NPS or CES).
    Surveys,
    /// One span of an agent's logged-in time in one state.
    AgentStates,
    /// The support cost of one team (or shared cost) in one month.
    Costs,
    /// One opening window of a calendar on one weekday.
    BusinessHours,
    /// One local date on which a calendar is closed.
    Holidays,
    /// One team and the calendar its service targets run on.
    Teams,
    /// One agent's answer to an employee survey (eSAT or eNPS).
    AgentSurveys,
    /// One customer: segment, since when, and when they left.
    Customers,
    /// One view of a knowledge-base article.
    KbViews,
    /// One knowledge-base article.
    KbArticles,
}

/// A column of the contract with the meaning a user reads in `\d`.
#[derive(Debug, Clone, Copy)]
pub struct ColumnDoc {
    /// Column name.
    pub name: &'static str,
    /// What the column means.
    pub meaning: &'static str,
}

impl Table {
    /// Every table, in the order the contract lists them.
    pub const ALL: [Table; 11] = [
        Table::Interactions,
        Table::Surveys,
        Table::AgentStates,
        Table::Costs,
        Table::BusinessHours,
        Table::Holidays,
        Table::Teams,
        Table::AgentSurveys,
        Table::Customers,
        Table::KbViews,
        Table::KbArticles,
    ];

    /// The SQL name of the table (also its folder and file name in a lake).
    pub fn name(self) -> &'static str {
        match self {
            Table::Interactions => "interactions",
            Table::Surveys => "surveys",
            Table::AgentStates => "agent_states",
            Table::Costs => "costs",
            Table::BusinessHours => "business_hours",
            Table::Holidays => "holidays",
            Table::Teams => "teams",
            Table::AgentSurveys => "agent_surveys",
            Table::Customers => "customers",
            Table::KbViews => "kb_views",
            Table::KbArticles => "kb_articles",
        }
    }

    /// Looks a table up by its SQL name.
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// A required table missing from a lake is an error; an optional one is
    /// registered empty with a warning.
    pub fn required(self) -> bool {
        matches!(self, Table::Interactions | Table::Surveys)
    }

    /// What one row of the table is.
    pub fn grain(self) -> &'static str {
        match self {
            Table::Interactions => {
                "one customer contact (a call, chat, email thread, message thread)"
            }
            Table::Surveys => "one survey answer (CSAT, NPS or CES)",
            Table::AgentStates => "one span of an agent's logged-in time in one state",
            Table::Costs => "the support cost of one team (or shared cost) in one month",
            Table::BusinessHours => "one opening window of a calendar on one weekday",
            Table::Holidays => "one local date on which a calendar is closed all day",
            Table::Teams => "one team and the calendar its service targets run on",
            Table::AgentSurveys => "one agent's answer to an employee survey (eSAT or eNPS)",
            Table::Customers => "one customer: segment, since when, and when they left",
            Table::KbViews => "one view of a knowledge-base article",
            Table::KbArticles => "one knowledge-base article",
        }
    }

    /// The declared (canonical) schema of the table.
    pub fn schema(self) -> SchemaRef {
        static SCHEMAS: LazyLock<[SchemaRef; Table::ALL.len()]> = LazyLock::new(|| {
            Table::ALL.map(|t| {
                Arc::new(Schema::new(
                    t.columns()
                        .iter()
                        .map(|(name, ty, nullable, _)| Field::new(*name, ty.clone(), *nullable))
                        .collect::<Vec<_>>(),
                ))
            })
        });
        Arc::clone(&SCHEMAS[self as usize])
    }

    /// The meaning of each column, in schema order.
    pub fn column_docs(self) -> Vec<ColumnDoc> {
        self.columns()
            .into_iter()
            .map(|(name, _, _, meaning)| ColumnDoc { name, meaning })
            .collect()
    }

    fn columns(self) -> Vec<(&'static str, DataType, bool, &'static str)> {
        let s = DataType::Utf8View;
        let ts = timestamp_type();
        let f = DataType::Float64;
        let b = DataType::Boolean;
        match self {
            Table::Interactions => vec![
                (
                    "interaction_id",
                    s.clone(),
                    false,
                    "unique id of this contact",
                ),
                (
                    "ticket_id",
                    s.clone(),
                    false,
                    "the case this contact is about; repeat contacts share it",
                ),
                (
                    "contact_seq",
                    DataType::Int32,
                    false,
                    "1 for the first contact of the ticket, 2 for the next, ...",
                ),
                (
                    "customer_id",
                    s.clone(),
                    false,
                    "the customer who reached out",
                ),
                (
                    "agent_id",
                    s.clone(),
                    true,
                    "NULL when no agent took the contact (abandoned)",
                ),
                ("team", s.clone(), true, "team that owned the contact"),
                (
                    "channel",
                    s.clone(),
                    false,
                    "phone, chat, email, messaging, social (others allowed)",
                ),
                ("priority", s.clone(), true, "low, normal, high, urgent"),
                (
                    "created_at",
                    ts.clone(),
                    false,
                    "the customer reached out / entered the queue",
                ),
                (
                    "first_response_at",
                    ts.clone(),
                    true,
                    "first agent response (call answered, first reply); NULL if none",
                ),
                ("ended_at", ts.clone(), true, "the contact ended"),
                (
                    "resolved_at",
                    ts.clone(),
                    true,
                    "the ticket was resolved by this contact at this time; NULL otherwise",
                ),
                (
                    "wait_seconds",
                    f.clone(),
                    true,
                    "seconds in queue before reaching an agent",
                ),
                (
                    "hold_seconds",
                    f.clone(),
                    true,
                    "seconds on hold during the contact",
                ),
                (
                    "handle_seconds",
                    f.clone(),
                    true,
                    "agent handle time in seconds: talk + hold + after-contact work",
                ),
                (
                    "resolved",
                    b.clone(),
                    false,
                    "this contact resolved the ticket (and it was not reopened)",
                ),
                (
                    "escalated",
                    b.clone(),
                    false,
                    "this contact was escalated to a higher support tier",
                ),
                (
                    "abandoned",
                    b.clone(),
                    false,
                    "the customer left before reaching an agent",
                ),
                (
                    "bot",
                    b,
                    true,
                    "an automated agent (chatbot, voice self-service) handled the contact, not a person; NULL reads as a person",
                ),
                (
                    "ticket_created_at",
                    ts.clone(),
                    true,
                    "when the ticket was opened: created_at of its first contact, the same on every contact of the ticket; NULL (or absent) if not known",
                ),
            ],
            Table::Surveys => vec![
                ("survey_id", s.clone(), false, "unique id of this answer"),
                (
                    "interaction_id",
                    s.clone(),
                    true,
                    "the rated contact; NULL for relationship surveys",
                ),
                ("ticket_id", s.clone(), true, "the rated ticket"),
                ("customer_id", s.clone(), false, "the customer who answered"),
                (
                    "kind",
                    s.clone(),
                    false,
                    "csat (score 1-5), nps (0-10), ces (1-7)",
                ),
                (
                    "score",
                    DataType::Int32,
                    false,
                    "the answer's score, in the domain of its kind",
                ),
                ("submitted_at", ts, false, "when the answer was submitted"),
                ("comment", s, true, "free text"),
            ],
            Table::AgentStates => vec![
                ("agent_id", s.clone(), false, "the agent"),
                ("team", s.clone(), true, "the agent's team"),
                (
                    "state",
                    s,
                    false,
                    "handling, available, or an unavailable state: break, lunch, meeting, training, other",
                ),
                ("started_at", ts, false, "start of the span"),
                ("seconds", f, false, "length of the span in seconds, >= 0"),
            ],
            Table::Costs => vec![
                ("month", DataType::Date32, false, "first day of the month"),
                ("team", s.clone(), true, "NULL for cost shared by all teams"),
                ("amount", AMOUNT_TYPE, false, "the cost in the month"),
                ("currency", s, false, "ISO 4217 code"),
            ],
            Table::BusinessHours => vec![
                ("calendar_id", s.clone(), false, "a calendar's name"),
                (
                    "time_zone",
                    s,
                    false,
                    "IANA time zone of the calendar, e.g. Europe/Warsaw",
                ),
                (
                    "weekday",
                    DataType::Int32,
                    false,
                    "ISO day of week, 1 = Monday ... 7 = Sunday",
                ),
                (
                    "open_minute",
                    DataType::Int32,
                    false,
                    "local minute of the day the window opens, 0-1439",
                ),
                (
                    "close_minute",
                    DataType::Int32,
                    false,
                    "local minute it closes, exclusive, open_minute < close_minute <= 1440",
                ),
                (
                    "valid_from",
                    DataType::Date32,
                    true,
                    "the schedule in force from this local date on; NULL: from the start",
                ),
            ],
            Table::Holidays => vec![
                (
                    "calendar_id",
                    s.clone(),
                    false,
                    "the calendar closed that day",
                ),
                (
                    "date",
                    DataType::Date32,
                    false,
                    "a local date on which the calendar is closed all day",
                ),
                ("name", s, true, "the holiday's name"),
            ],
            Table::Teams => vec![
                (
                    "team",
                    s.clone(),
                    false,
                    "the team, as in interactions.team",
                ),
                (
                    "calendar_id",
                    s,
                    true,
                    "the calendar its service targets run on; NULL: calendar time",
                ),
            ],
            Table::AgentSurveys => vec![
                ("survey_id", s.clone(), false, "unique id of this answer"),
                ("agent_id", s.clone(), false, "the agent who answered"),
                ("team", s.clone(), true, "the agent's team"),
                ("kind", s.clone(), false, "esat (score 1-5) or enps (0-10)"),
                (
                    "score",
                    DataType::Int32,
                    false,
                    "the answer's score, in the domain of its kind",
                ),
                ("submitted_at", ts, false, "when the answer was submitted"),
                ("comment", s, true, "free text"),
            ],
            Table::Customers => vec![
                (
                    "customer_id",
                    s.clone(),
                    false,
                    "the customer, as in interactions",
                ),
                (
                    "segment",
                    s,
                    true,
                    "the customer's segment; NULL when unknown",
                ),
                (
                    "since",
                    DataType::Date32,
                    false,
                    "the date they became a customer",
                ),
                (
                    "churned_at",
                    DataType::Date32,
                    true,
                    "the date they stopped being one; NULL while a customer",
                ),
            ],
            Table::KbViews => vec![
                ("view_id", s.clone(), false, "unique id of this view"),
                ("article_id", s.clone(), false, "the article viewed"),
                (
                    "customer_id",
                    s.clone(),
                    true,
                    "the customer who viewed it; NULL when anonymous",
                ),
                ("session_id", s, false, "the visit the view belongs to"),
                ("viewed_at", ts, false, "when the article was opened"),
                ("read_seconds", f, true, "time spent reading, seconds"),
                (
                    "helpful",
                    b,
                    true,
                    "the reader's helpful vote; NULL when none",
                ),
            ],
            Table::KbArticles => vec![
                ("article_id", s.clone(), false, "the article"),
                ("title", s.clone(), true, "its title"),
                ("category", s, true, "its category"),
            ],
        }
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
