//! The settings a session shows through `current_setting(...)` and
//! `pg_settings`: the PostgreSQL settings clients read, with the values
//! kpiql serves by, and DataFusion's options under their own names.

use datafusion::config::ConfigOptions;

/// PostgreSQL settings and the values every kpiql session has (SQLAlchemy
/// reads `default_table_access_method`, pgjdbc `max_index_keys`).
const PG_SETTINGS: [(&str, &str); 14] = [
    ("default_table_access_method", "heap"),
    ("server_encoding", "UTF8"),
    ("client_encoding", "UTF8"),
    ("standard_conforming_strings", "on"),
    ("datestyle", "ISO, MDY"),
    ("integer_datetimes", "on"),
    ("search_path", "\"$user\", public"),
    ("transaction_isolation", "read committed"),
    ("transaction_read_only", "on"),
    ("default_transaction_read_only", "on"),
    ("max_identifier_length", "63"),
    ("max_index_keys", "32"),
    ("lc_collate", "C"),
    ("lc_ctype", "C"),
];

/// Every setting: (name, value).
pub fn all(options: &ConfigOptions) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = PG_SETTINGS
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    out.push((
        "server_version".into(),
        super::super::auth::SERVER_VERSION.to_string(),
    ));
    out.push(("timezone".into(), time_zone(options)));
    out.extend(
        options
            .entries()
            .into_iter()
            .map(|e| (e.key, e.value.unwrap_or_default())),
    );
    out
}

/// The session's report time zone (`--time-zone`, which `SET TIME ZONE`
/// sets for the session).
fn time_zone(options: &ConfigOptions) -> String {
    crate::settings::Settings::of(options)
        .time_zone
        .name()
        .to_string()
}

/// One setting by name (case-insensitive, as PostgreSQL reads it).
pub fn get(options: &ConfigOptions, name: &str) -> Option<String> {
    let name = name.to_ascii_lowercase();
    all(options)
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}
