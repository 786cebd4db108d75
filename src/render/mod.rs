//! Turning values into text: tables for people, plain text for pipes, markdown for `:doc`.

pub mod markdown;
pub mod pager;
pub mod plain;
pub mod sanitize;
pub mod table;
