//! The zendesk source (issue 29): hand-worked tickets (`hand`), generated lakes, errors and a source of one's own (`lakes`).
mod hand;
mod lakes;
