//! A small SQL engine with PostgreSQL's behaviour for what lessons type:
//! CREATE/DROP TABLE, INSERT, SELECT (WHERE, ORDER BY, LIMIT, GROUP BY,
//! aggregates), UPDATE, DELETE, CREATE/DROP DATABASE, roles, transactions.
//! Errors carry PostgreSQL's texts, DETAIL/HINT lines and the 1-based
//! character position psql turns into its `LINE 1:` caret display.
//!
//! The engine works on an in-memory [`Database`] and [`Catalog`]; the
//! postgres module loads them from the data directory and writes back what
//! a committed query changed. mysql's client runs its statements through
//! the same engine (with its own client-side `USE`, `SHOW DATABASES`,
//! `SHOW TABLES`, `CREATE`/`DROP DATABASE`).
//!
//! The subset, in full:
//! - statements: `CREATE TABLE [IF NOT EXISTS]` (column constraints `PRIMARY
//!   KEY`, `NOT NULL`, `UNIQUE`, `DEFAULT`, `SERIAL`/`BIGSERIAL`, a table
//!   `PRIMARY KEY (...)`), `DROP TABLE [IF EXISTS]`, `TRUNCATE`, `ALTER TABLE`
//!   (`ADD`/`DROP`/`RENAME COLUMN`, `RENAME TO`; other clauses accepted
//!   without effect), `INSERT ... VALUES ... [RETURNING]`, `SELECT`
//!   (`DISTINCT`, one table with an alias, `WHERE`, `GROUP BY`, `HAVING`,
//!   `ORDER BY ... ASC|DESC NULLS FIRST|LAST`, `LIMIT`, `OFFSET`),
//!   `UPDATE ... SET ... [WHERE] [RETURNING]`, `DELETE [WHERE] [RETURNING]`,
//!   `CREATE`/`DROP DATABASE`, `CREATE`/`ALTER`/`DROP ROLE|USER` (`PASSWORD`),
//!   `BEGIN`/`START TRANSACTION`, `COMMIT`/`END`, `ROLLBACK`/`ABORT`, `SHOW`
//!   of the usual settings; `GRANT`, `REVOKE`, `SET`, `CHECKPOINT`, ...
//!   answered with their command tag. No joins, subqueries, views,
//!   indexes, sequences as objects, `COPY`, functions or triggers.
//! - types: smallint, integer, bigint, numeric/decimal(p,s), real, double
//!   precision, text, varchar(n), char(n), boolean, timestamp[tz], date,
//!   json, jsonb, uuid.
//! - expressions: literals, columns, `+ - * / %`, `||`, comparisons, `AND`
//!   `OR` `NOT`, `IS [NOT] NULL`, `[NOT] IN (...)`, `[NOT] BETWEEN`, `[NOT]
//!   LIKE`/`ILIKE`, `CAST`/`::`; functions `count`, `sum`, `avg`, `min`,
//!   `max` (with `DISTINCT`), `now()` and the other clocks, `current_date`,
//!   `version()`, `current_database()`, `current_user`, `current_schema()`,
//!   `pg_backend_pid()`, `pg_sleep`, `random()`, `inet_server_addr()`,
//!   `coalesce`, `concat`, `abs`, `upper`, `lower`, `length`,
//!   `char_length`, `trim`, `md5`, `gen_random_uuid()`,
//!   `pg_database_size`/`pg_relation_size`/`pg_total_relation_size`,
//!   `pg_size_pretty`.
//!
//! Files: `lexer` (tokens, statement splitting), `parser` (the AST:
//! [`Stmt`], [`Expr`]), `exec` (storage, [`Session`], evaluation, numeric
//! and timestamp formats); the types and errors are here.

mod exec;
mod lexer;
mod parser;

use super::text::Table as OutTable;
pub use exec::*;
pub use lexer::split_statements;
pub use parser::*;
use std::collections::BTreeMap;

// ------------------------------------------------------------------ types

#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Int2,
    Int4,
    Int8,
    Numeric,
    /// numeric(precision, scale)
    Decimal(u32, u32),
    Float4,
    Float8,
    Text,
    Varchar(Option<u32>),
    Char(u32),
    Bool,
    Timestamp,
    Timestamptz,
    Date,
    Json,
    Jsonb,
    Uuid,
    /// A string literal not yet given a type.
    Unknown,
}

impl Ty {
    pub fn name(&self) -> String {
        match self {
            Ty::Int2 => "smallint".into(),
            Ty::Int4 => "integer".into(),
            Ty::Int8 => "bigint".into(),
            Ty::Numeric => "numeric".into(),
            Ty::Decimal(p, s) => format!("numeric({p},{s})"),
            Ty::Float4 => "real".into(),
            Ty::Float8 => "double precision".into(),
            Ty::Text => "text".into(),
            Ty::Varchar(Some(n)) => format!("character varying({n})"),
            Ty::Varchar(None) => "character varying".into(),
            Ty::Char(n) => format!("character({n})"),
            Ty::Bool => "boolean".into(),
            Ty::Timestamp => "timestamp without time zone".into(),
            Ty::Timestamptz => "timestamp with time zone".into(),
            Ty::Date => "date".into(),
            Ty::Json => "json".into(),
            Ty::Jsonb => "jsonb".into(),
            Ty::Uuid => "uuid".into(),
            Ty::Unknown => "unknown".into(),
        }
    }
    /// The name without its modifier (`character varying`), as operator
    /// and function signatures show it.
    pub fn base_name(&self) -> String {
        match self {
            Ty::Varchar(_) => "character varying".into(),
            Ty::Char(_) => "character".into(),
            Ty::Decimal(..) => "numeric".into(),
            t => t.name(),
        }
    }
    /// The name in `invalid input syntax for type X` messages.
    fn input_name(&self) -> String {
        match self {
            Ty::Varchar(_) | Ty::Char(_) => "character varying".into(),
            t => t.base_name(),
        }
    }
    pub fn numeric(&self) -> bool {
        matches!(self, Ty::Int2 | Ty::Int4 | Ty::Int8 | Ty::Numeric | Ty::Decimal(..) | Ty::Float4 | Ty::Float8)
    }
    fn integer(&self) -> bool {
        matches!(self, Ty::Int2 | Ty::Int4 | Ty::Int8)
    }
    fn stringy(&self) -> bool {
        matches!(self, Ty::Text | Ty::Varchar(_) | Ty::Char(_) | Ty::Unknown | Ty::Json | Ty::Jsonb | Ty::Uuid)
    }
    fn category(&self) -> u8 {
        match self {
            t if t.numeric() => 1,
            Ty::Text | Ty::Varchar(_) | Ty::Char(_) => 2,
            Ty::Bool => 3,
            Ty::Timestamp | Ty::Timestamptz | Ty::Date => 4,
            Ty::Unknown => 0,
            _ => 5,
        }
    }
    /// How the type is stored in our table files.
    pub fn storage_name(&self) -> String {
        self.name()
    }
    pub fn parse_storage(s: &str) -> Option<Ty> {
        parse_type_name(s)
    }
}

fn parse_type_name(s: &str) -> Option<Ty> {
    let s = s.trim().to_lowercase();
    let (base, arg, arg2) = match s.find('(') {
        Some(i) => {
            let mut it = s[i + 1..].trim_end_matches(')').split(',').map(|a| a.trim().parse::<u32>().ok());
            (s[..i].trim().to_string(), it.next().flatten(), it.next().flatten())
        }
        None => (s.clone(), None, None),
    };
    Some(match base.as_str() {
        "numeric" | "decimal" if arg.is_some() => Ty::Decimal(arg.unwrap_or(0), arg2.unwrap_or(0)),
        "smallint" | "int2" | "smallserial" | "serial2" => Ty::Int2,
        "integer" | "int" | "int4" | "serial" | "serial4" => Ty::Int4,
        "bigint" | "int8" | "bigserial" | "serial8" => Ty::Int8,
        "numeric" | "decimal" => Ty::Numeric,
        "real" | "float4" => Ty::Float4,
        "double precision" | "float8" | "float" => Ty::Float8,
        "text" => Ty::Text,
        "character varying" | "varchar" => Ty::Varchar(arg),
        "character" | "char" | "bpchar" => Ty::Char(arg.unwrap_or(1)),
        "boolean" | "bool" => Ty::Bool,
        "timestamp" | "timestamp without time zone" => Ty::Timestamp,
        "timestamptz" | "timestamp with time zone" => Ty::Timestamptz,
        "date" => Ty::Date,
        "json" => Ty::Json,
        "jsonb" => Ty::Jsonb,
        "uuid" => Ty::Uuid,
        _ => return None,
    })
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    /// Numeric kept as its decimal text.
    Num(String),
    Text(String),
    Bool(bool),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Num(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// Formats a value as PostgreSQL's output function does.
pub fn format_value(v: &Value, ty: &Ty) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_float(*f, ty == &Ty::Float4),
        Value::Num(s) => s.clone(),
        Value::Bool(b) => if *b { "t" } else { "f" }.into(),
        Value::Text(s) => match ty {
            Ty::Char(n) => format!("{s:<width$}", width = *n as usize),
            _ => s.clone(),
        },
    })
}

fn format_float(f: f64, single: bool) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let s = if single { format!("{}", f as f32) } else { format!("{f}") };
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e15).contains(&a) {
        let e = if single { format!("{:e}", f as f32) } else { format!("{f:e}") };
        // Rust: 1e21, 1.5e-5; PostgreSQL: 1e+21, 1.5e-05.
        if let Some((m, x)) = e.split_once('e') {
            let (sign, digits) = if let Some(d) = x.strip_prefix('-') { ('-', d) } else { ('+', x) };
            return format!("{m}e{sign}{:0>2}", digits);
        }
    }
    s
}

// ------------------------------------------------------------------ errors

#[derive(Clone, Debug, PartialEq)]
pub struct SqlError {
    pub severity: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based character position in the query string.
    pub position: Option<usize>,
}

impl SqlError {
    pub fn new(msg: impl Into<String>) -> SqlError {
        SqlError { severity: "ERROR".into(), message: msg.into(), detail: None, hint: None, position: None }
    }
    pub fn at(msg: impl Into<String>, pos: usize) -> SqlError {
        SqlError { position: Some(pos + 1), ..SqlError::new(msg) }
    }
    fn detail(mut self, d: impl Into<String>) -> SqlError {
        self.detail = Some(d.into());
        self
    }
    fn hint(mut self, h: impl Into<String>) -> SqlError {
        self.hint = Some(h.into());
        self
    }
}

type R<T> = Result<T, SqlError>;

#[cfg(test)]
mod tests;
