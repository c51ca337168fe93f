-- DuckDB twin of kpiql's lake tables (docs/DESIGN.md §1) and of
-- queries/views/tickets.sql (DESIGN §3).
--
-- bench/duckdb_runner.py replaces each {table} placeholder with where the
-- table is: read_parquet('LAKE/<table>/**/*.parquet', union_by_name=true,
-- hive_partitioning=false) for a folder (`**` matches any depth, the folder
-- itself included), read_parquet('LAKE/<table>.parquet') for one file, or an
-- empty SELECT of the canonical schema for a missing optional table.
-- hive_partitioning=false: kpiql does not make `month=2026-01/` folders
-- columns (DESIGN §1), and DuckDB would.
--
-- The casts give every column its canonical type as kpiql declares it
-- (strings VARCHAR, timestamps UTC instants: the lakes kpiql writes and
-- tests store instants, which the casts leave alone whatever the session
-- TimeZone; a zone-less file column would read in that zone). A cast to the type
-- a column already has costs nothing. Not mirrored: kpiql truncates a float
-- file column that stands for an integer toward zero, where DuckDB's cast
-- rounds; the sample and generated lakes write integers as integers.

CREATE VIEW interactions AS
SELECT
    CAST(interaction_id AS VARCHAR) AS interaction_id,
    CAST(ticket_id AS VARCHAR) AS ticket_id,
    CAST(contact_seq AS INTEGER) AS contact_seq,
    CAST(customer_id AS VARCHAR) AS customer_id,
    CAST(agent_id AS VARCHAR) AS agent_id,
    CAST(team AS VARCHAR) AS team,
    CAST(channel AS VARCHAR) AS channel,
    CAST(priority AS VARCHAR) AS priority,
    CAST(created_at AS TIMESTAMPTZ) AS created_at,
    CAST(first_response_at AS TIMESTAMPTZ) AS first_response_at,
    CAST(ended_at AS TIMESTAMPTZ) AS ended_at,
    CAST(resolved_at AS TIMESTAMPTZ) AS resolved_at,
    CAST(wait_seconds AS DOUBLE) AS wait_seconds,
    CAST(hold_seconds AS DOUBLE) AS hold_seconds,
    CAST(handle_seconds AS DOUBLE) AS handle_seconds,
    CAST(resolved AS BOOLEAN) AS resolved,
    CAST(escalated AS BOOLEAN) AS escalated,
    CAST(abandoned AS BOOLEAN) AS abandoned,
    -- Optional column: the runner writes NULL when no file has it.
    CAST({interactions.bot} AS BOOLEAN) AS bot
FROM {interactions};

CREATE VIEW surveys AS
SELECT
    CAST(survey_id AS VARCHAR) AS survey_id,
    CAST(interaction_id AS VARCHAR) AS interaction_id,
    CAST(ticket_id AS VARCHAR) AS ticket_id,
    CAST(customer_id AS VARCHAR) AS customer_id,
    CAST(kind AS VARCHAR) AS kind,
    CAST(score AS INTEGER) AS score,
    CAST(submitted_at AS TIMESTAMPTZ) AS submitted_at,
    CAST(comment AS VARCHAR) AS comment
FROM {surveys};

CREATE VIEW agent_states AS
SELECT
    CAST(agent_id AS VARCHAR) AS agent_id,
    CAST(team AS VARCHAR) AS team,
    CAST(state AS VARCHAR) AS state,
    CAST(started_at AS TIMESTAMPTZ) AS started_at,
    CAST(seconds AS DOUBLE) AS seconds
FROM {agent_states};

CREATE VIEW costs AS
SELECT
    CAST(month AS DATE) AS month,
    CAST(team AS VARCHAR) AS team,
    CAST(amount AS DECIMAL(18, 2)) AS amount,
    CAST(currency AS VARCHAR) AS currency
FROM {costs};

-- Mirrors queries/views/tickets.sql. DataFusion's ordered aggregate
-- first_value(x ORDER BY ...) is DuckDB's first(x ORDER BY ...) (both keep
-- NULLs); DuckDB's first_value is a window function only.
CREATE VIEW tickets AS
SELECT
    ticket_id,
    first(customer_id ORDER BY contact_seq, created_at) AS customer_id,
    first(team ORDER BY contact_seq, created_at) AS team,
    first(channel ORDER BY contact_seq, created_at) AS channel,
    first(priority ORDER BY contact_seq, created_at) AS priority,
    first(created_at ORDER BY contact_seq, created_at) AS created_at,
    min(first_response_at) AS first_response_at,
    max(resolved_at) AS resolved_at,
    count(*) AS contacts,
    bool_or(escalated) AS escalated,
    coalesce(bool_or(contact_seq = 1 AND resolved), false) AS first_contact_resolved
FROM interactions
GROUP BY ticket_id;

-- DataFusion's round(x, d) on a DOUBLE is (x * 10^d).round() / 10^d in f64,
-- halves away from zero (datafusion-functions 55, math/round.rs); DuckDB's
-- round(x, d) rounds the double's exact value, so it differs where x * 10^d
-- comes out as an exact half: round(4.425, 2) (4.425 is 177/40, the mean of
-- 40 CSAT scores) is 4.43 in kpiql and 4.42 in DuckDB, whose double 4.425 is
-- 4.42499999.... The twins round with this macro to compute what kpiql
-- computes; every value they round is a DOUBLE.
CREATE MACRO df_round(x, d) AS round(x * pow(10, d)) / pow(10, d);

-- Business hours (issue 13). The runner expands the calendars itself with
-- Python's zoneinfo (an implementation independent of kpiql's chrono-tz
-- code) into biz_intervals(calendar_id, s, e, before): each calendar's open
-- intervals in µs since 1970 UTC, merged, with the open time before each.
CREATE VIEW business_hours AS
SELECT
    CAST(calendar_id AS VARCHAR) AS calendar_id,
    CAST(time_zone AS VARCHAR) AS time_zone,
    CAST(weekday AS INTEGER) AS weekday,
    CAST(open_minute AS INTEGER) AS open_minute,
    CAST(close_minute AS INTEGER) AS close_minute,
    CAST(valid_from AS DATE) AS valid_from
FROM {business_hours};

CREATE VIEW holidays AS
SELECT CAST(calendar_id AS VARCHAR) AS calendar_id, CAST(date AS DATE) AS date
FROM {holidays};

CREATE VIEW teams AS
SELECT CAST(team AS VARCHAR) AS team, CAST(calendar_id AS VARCHAR) AS calendar_id
FROM {teams};

CREATE VIEW agent_surveys AS
SELECT
    CAST(survey_id AS VARCHAR) AS survey_id,
    CAST(agent_id AS VARCHAR) AS agent_id,
    CAST(team AS VARCHAR) AS team,
    CAST(kind AS VARCHAR) AS kind,
    CAST(score AS INTEGER) AS score,
    CAST(submitted_at AS TIMESTAMPTZ) AS submitted_at,
    CAST(comment AS VARCHAR) AS comment
FROM {agent_surveys};

CREATE VIEW customers AS
SELECT
    CAST(customer_id AS VARCHAR) AS customer_id,
    CAST(segment AS VARCHAR) AS segment,
    CAST(since AS DATE) AS since,
    CAST(churned_at AS DATE) AS churned_at
FROM {customers};

CREATE VIEW kb_views AS
SELECT
    CAST(view_id AS VARCHAR) AS view_id,
    CAST(article_id AS VARCHAR) AS article_id,
    CAST(customer_id AS VARCHAR) AS customer_id,
    CAST(session_id AS VARCHAR) AS session_id,
    CAST(viewed_at AS TIMESTAMPTZ) AS viewed_at,
    CAST(read_seconds AS DOUBLE) AS read_seconds,
    CAST(helpful AS BOOLEAN) AS helpful
FROM {kb_views};

CREATE VIEW kb_articles AS
SELECT
    CAST(article_id AS VARCHAR) AS article_id,
    CAST(title AS VARCHAR) AS title,
    CAST(category AS VARCHAR) AS category
FROM {kb_articles};

-- queries/views/team_calendars.sql
CREATE VIEW team_calendars AS
SELECT team, min(calendar_id) AS calendar_id FROM teams GROUP BY team;

-- business_seconds(a, b, calendar) = (open(b) - open(a)) / 1e6, where
-- open(t) is the open time before instant t: the twins find the last
-- interval starting at or before t with an ASOF LEFT JOIN on biz_intervals
-- (b.calendar_id = calendar AND epoch_us(t) >= b.s) and pass its columns
-- here. NULL for a NULL instant or calendar; 0 before the first interval.
CREATE MACRO open_at(cal, t, before, s, e) AS
    CASE WHEN t IS NULL OR cal IS NULL THEN NULL
         ELSE coalesce(before + least(epoch_us(t), e) - s, 0) END;
