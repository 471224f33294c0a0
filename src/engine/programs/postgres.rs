//! The postgres image's main process: docker-entrypoint.sh (initdb on an
//! empty PGDATA, the password check, the temporary server, CREATE DATABASE)
//! then `postgres` itself: the data-directory lock (`postmaster.pid`),
//! crash recovery after power loss, clean shutdown, and what happens when
//! two servers on two machines run on one shared data directory.
//!
//! The data directory holds PostgreSQL's layout (PG_VERSION, base/<db oid>,
//! global/, pg_wal/, postgresql.conf, pg_hba.conf, postmaster.pid, ...);
//! `global/pg_control` is written in pg_controldata's text form, and each
//! table is one file `base/<db oid>/<relfilenode>` in a line format of our
//! own (COPY text escaping) that says so in its first line.

use super::Runtime;
use super::image::{Image, gcc};
use super::sql::{Catalog, Column, Database, TableData, Ty, Value};
use super::{Ctx, Main, Output, Proc, ProcKey, ServerState, append_log};
use crate::engine::fs::{ContainerFs, clean};
use crate::engine::time::Time;
use crate::engine::world::{VolumeId, World};
use std::collections::BTreeMap;

/// A running postgres server (the container's PID 1).
#[derive(Clone, Debug, PartialEq)]
pub struct PgServer {
    /// PGDATA inside the container.
    pub datadir: String,
    /// Where PGDATA's bytes are.
    pub dir: (VolumeId, String),
    pub major: u32,
    pub version: String,
    pub version_string: String,
    pub started: Time,
}

pub const SOCKET: &str = "/var/run/postgresql/.s.PGSQL.5432";

// -------------------------------------------------------------- log lines

/// `2026-01-05 09:00:00.123 UTC`
pub fn ts(t: Time) -> String {
    let s = t.rfc3339();
    format!("{} {}.{:03} UTC", &s[..10], &s[11..19], t.0.rem_euclid(1000))
}

fn ts_secs(t: Time) -> String {
    let s = t.rfc3339();
    format!("{} {} UTC", &s[..10], &s[11..19])
}

fn line(t: Time, pid: u32, level: &str, msg: &str) -> String {
    format!("{} [{pid}] {level}:  {msg}\n", ts(t))
}

pub fn version_string(img: &Image) -> String {
    if img.alpine() {
        return format!("PostgreSQL {} on x86_64-pc-linux-musl, compiled by {}, 64-bit", img.version, gcc("alpine"));
    }
    let pkg = img.env.iter().find(|(k, _)| k == "PG_VERSION").map(|(_, v)| v.clone()).unwrap_or_default();
    format!("PostgreSQL {} (Debian {pkg}) on x86_64-pc-linux-gnu, compiled by {}, 64-bit", img.version, gcc(&img.distro))
}

fn lsn(n: u64) -> String {
    let v = 0x0170_8F28u64 + n * 0x1C8;
    format!("0/{v:X}")
}

// ---------------------------------------------------------- on-disk files

fn copy_escape(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\t' => o.push_str("\\t"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            c => o.push(c),
        }
    }
    o
}

fn copy_unescape(s: &str) -> String {
    let mut o = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('t') => o.push('\t'),
                Some('n') => o.push('\n'),
                Some('r') => o.push('\r'),
                Some(x) => o.push(x),
                None => {}
            }
        } else {
            o.push(c);
        }
    }
    o
}

fn value_to_field(v: &Value) -> String {
    match v {
        Value::Null => "\\N".into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Num(s) => s.clone(),
        Value::Bool(b) => if *b { "t" } else { "f" }.into(),
        Value::Text(s) => copy_escape(s),
    }
}

fn field_to_value(f: &str, ty: &Ty) -> Value {
    if f == "\\N" {
        return Value::Null;
    }
    match ty {
        Ty::Int2 | Ty::Int4 | Ty::Int8 => f.parse().map(Value::Int).unwrap_or(Value::Null),
        Ty::Float4 | Ty::Float8 => f.parse().map(Value::Float).unwrap_or(Value::Null),
        Ty::Numeric | Ty::Decimal(..) => Value::Num(f.to_string()),
        Ty::Bool => Value::Bool(f == "t"),
        _ => Value::Text(copy_unescape(f)),
    }
}

const HEAP_MAGIC: &str = "# kubarium heap v1";

pub fn table_to_text(t: &TableData) -> String {
    let mut o = format!("{HEAP_MAGIC}: table \"{}\" (one line per tuple, COPY text format)\n", t.name);
    o.push_str(&format!("relname\t{}\noid\t{}\nowner\t{}\n", copy_escape(&t.name), t.oid, t.owner));
    for c in &t.columns {
        o.push_str(&format!(
            "column\t{}\t{}\t{}\t{}\t{}\n",
            copy_escape(&c.name),
            c.ty.storage_name(),
            if c.not_null { "not null" } else { "" },
            c.default.as_deref().map(copy_escape).unwrap_or_default(),
            c.sequence.clone().unwrap_or_default()
        ));
    }
    if let Some((n, idx)) = &t.pkey {
        o.push_str(&format!("pkey\t{n}\t{}\n", idx.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")));
    }
    for (n, idx) in &t.uniques {
        o.push_str(&format!("unique\t{n}\t{}\n", idx.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")));
    }
    for (s, v) in &t.sequences {
        o.push_str(&format!("sequence\t{s}\t{v}\n"));
    }
    if t.torn {
        o.push_str("torn\tblock 0 was written by two postmasters with separate buffer caches\n");
    }
    o.push_str("data\n");
    for r in &t.rows {
        let f: Vec<String> = r.iter().map(value_to_field).collect();
        o.push_str(&f.join("\t"));
        o.push('\n');
    }
    o
}

pub fn table_from_text(text: &str, relfilenode: u32) -> Option<TableData> {
    if !text.starts_with(HEAP_MAGIC) {
        return None;
    }
    let mut t = TableData {
        name: String::new(),
        oid: relfilenode,
        relfilenode,
        columns: vec![],
        rows: vec![],
        pkey: None,
        uniques: vec![],
        sequences: BTreeMap::new(),
        torn: false,
        owner: "postgres".into(),
    };
    let mut in_data = false;
    for l in text.lines().skip(1) {
        if in_data {
            let fields: Vec<&str> = l.split('\t').collect();
            let row = t.columns.iter().enumerate().map(|(i, c)| field_to_value(fields.get(i).copied().unwrap_or("\\N"), &c.ty)).collect();
            t.rows.push(row);
            continue;
        }
        let f: Vec<&str> = l.split('\t').collect();
        match f[0] {
            "relname" => t.name = copy_unescape(f.get(1)?),
            "oid" => t.oid = f.get(1)?.parse().ok()?,
            "owner" => t.owner = f.get(1)?.to_string(),
            "column" => t.columns.push(Column {
                name: copy_unescape(f.get(1)?),
                ty: Ty::parse_storage(f.get(2)?)?,
                not_null: f.get(3).is_some_and(|s| *s == "not null"),
                default: f.get(4).filter(|s| !s.is_empty()).map(|s| copy_unescape(s)),
                sequence: f.get(5).filter(|s| !s.is_empty()).map(|s| s.to_string()),
            }),
            "pkey" | "unique" => {
                let idx: Vec<usize> = f.get(2)?.split(',').filter_map(|x| x.parse().ok()).collect();
                let c = (f.get(1)?.to_string(), idx);
                if f[0] == "pkey" {
                    t.pkey = Some(c);
                } else {
                    t.uniques.push(c);
                }
            }
            "sequence" => {
                t.sequences.insert(f.get(1)?.to_string(), f.get(2)?.parse().ok()?);
            }
            "torn" => t.torn = true,
            "data" => in_data = true,
            _ => {}
        }
    }
    Some(t)
}

/// pg_control, in `pg_controldata`'s words.
#[derive(Clone, Debug, PartialEq)]
pub struct Control {
    pub state: String,
    pub checkpoint: Time,
    pub next_oid: u32,
    pub writes: u64,
    /// WAL from two servers interleaved in pg_wal: recovery cannot replay it.
    pub wal_broken: bool,
}

fn control_version(major: u32) -> (u32, u32) {
    match major {
        18 => (1800, 202506291),
        17 => (1700, 202406281),
        16 => (1300, 202307071),
        15 => (1300, 202209061),
        14 => (1300, 202107181),
        13 => (1300, 202007201),
        12 => (1201, 201909212),
        11 => (1100, 201809051),
        _ => (1002, 201707211),
    }
}

fn ctime(t: Time) -> String {
    // "Mon Jan  5 09:00:00 2026"
    let s = t.rfc1123z();
    let p: Vec<&str> = s.split(' ').collect();
    let day: u32 = p[1].parse().unwrap_or(1);
    format!("{} {} {day:>2} {} {}", p[0].trim_end_matches(','), p[2], p[4], p[3])
}

fn control_text(c: &Control, major: u32, now: Time) -> String {
    let (v, cat) = control_version(major);
    format!(
        "pg_control version number:            {v}\nCatalog version number:               {cat}\nDatabase cluster state:               {}\npg_control last modified:             {}\nLatest checkpoint location:           {}\nTime of latest checkpoint:            {}\nLatest checkpoint's NextOID:          {}\nWAL written since checkpoint:         {}\nWAL consistent:                       {}\n",
        c.state,
        ctime(now),
        lsn(c.writes),
        ctime(c.checkpoint),
        c.next_oid,
        c.writes,
        if c.wal_broken { "no (records from two servers interleaved)" } else { "yes" }
    )
}

fn parse_control(text: &str) -> Control {
    let get = |label: &str| text.lines().find(|l| l.starts_with(label)).map(|l| l[label.len()..].trim().to_string()).unwrap_or_default();
    let checkpoint = parse_ctime(&get("Time of latest checkpoint:")).unwrap_or(Time(0));
    Control {
        state: get("Database cluster state:"),
        checkpoint,
        next_oid: get("Latest checkpoint's NextOID:").parse().unwrap_or(16384),
        writes: get("WAL written since checkpoint:").parse().unwrap_or(0),
        wal_broken: get("WAL consistent:").starts_with("no"),
    }
}

fn parse_ctime(s: &str) -> Option<Time> {
    // "Mon Jan  5 09:00:00 2026"
    let p: Vec<&str> = s.split_whitespace().collect();
    if p.len() != 5 {
        return None;
    }
    let mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].iter().position(|m| *m == p[1])? + 1;
    let us = super::sql::parse_ts(&format!("{}-{mon:02}-{:02} {}", p[4], p[2].parse::<u32>().ok()?, p[3]))?;
    Some(Time(us / 1000))
}

fn db_oids(major: u32) -> (u32, u32) {
    // (template0, postgres)
    match major {
        m if m >= 15 => (4, 5),
        14 => (13757, 13758),
        13 => (13457, 13458),
        12 => (13407, 13408),
        11 => (13090, 13091),
        _ => (12993, 12994),
    }
}

/// The data directory's files, through a container's view.
pub struct DataDir<'f, 'w> {
    pub fs: &'f mut ContainerFs<'w>,
    pub path: String,
}

impl DataDir<'_, '_> {
    fn p(&self, rel: &str) -> String {
        format!("{}/{rel}", self.path)
    }

    pub fn initialized(&self) -> bool {
        self.fs.read(&self.p("PG_VERSION")).is_ok_and(|v| !v.trim().is_empty())
    }

    pub fn control(&self) -> Control {
        parse_control(&self.fs.read(&self.p("global/pg_control")).unwrap_or_default())
    }

    pub fn set_control(&mut self, c: &Control, major: u32, now: Time) {
        let text = control_text(c, major, now);
        let p = self.p("global/pg_control");
        let _ = self.fs.write(&p, &text);
    }

    pub fn catalog(&self) -> Catalog {
        let mut cat = Catalog { next_oid: self.control().next_oid, ..Default::default() };
        for l in self.fs.read(&self.p("global/1262")).unwrap_or_default().lines() {
            if let Some((n, o)) = l.split_once('\t') {
                cat.databases.insert(copy_unescape(n), o.parse().unwrap_or(0));
            }
        }
        for l in self.fs.read(&self.p("global/1260")).unwrap_or_default().lines() {
            let (n, p) = l.split_once('\t').unwrap_or((l, ""));
            cat.roles.insert(copy_unescape(n), p.to_string());
        }
        cat
    }

    pub fn database(&self, name: &str, oid: u32) -> Database {
        let mut db = Database { name: name.to_string(), oid, ..Default::default() };
        let dir = self.p(&format!("base/{oid}"));
        for f in self.fs.list(&dir).unwrap_or_default() {
            let Ok(rel) = f.parse::<u32>() else { continue };
            if let Ok(text) = self.fs.read(&format!("{dir}/{f}"))
                && let Some(t) = table_from_text(&text, rel)
            {
                db.tables.insert(t.name.clone(), Box::new(t));
            }
        }
        db
    }

    /// Writes what a committed query changed.
    pub fn save(&mut self, cat: &mut Catalog, db: &mut Database, major: u32, now: Time, torn: bool) -> Vec<String> {
        let mut written = vec![];
        for rel in std::mem::take(&mut db.dropped) {
            let p = self.p(&format!("base/{}/{rel}", db.oid));
            let _ = self.fs.remove(&p);
        }
        for name in std::mem::take(&mut db.dirty) {
            if let Some(t) = db.tables.get_mut(&name) {
                if torn {
                    t.torn = true;
                }
                let p = self.p(&format!("base/{}/{}", db.oid, t.relfilenode));
                let _ = self.fs.write(&p, &table_to_text(t));
                written.push(format!("base/{}/{}", db.oid, t.relfilenode));
            }
        }
        if cat.dirty {
            let dbs: String = cat.databases.iter().map(|(n, o)| format!("{}\t{o}\n", copy_escape(n))).collect();
            let p = self.p("global/1262");
            let _ = self.fs.write(&p, &dbs);
            let roles: String = cat.roles.iter().map(|(n, p)| format!("{}\t{p}\n", copy_escape(n))).collect();
            let p = self.p("global/1260");
            let _ = self.fs.write(&p, &roles);
            for (_, oid) in std::mem::take(&mut cat.created_dbs) {
                let d = self.p(&format!("base/{oid}"));
                let _ = self.fs.mkdir_all(&d);
                let _ = self.fs.write(&format!("{d}/PG_VERSION"), &format!("{major}\n"));
            }
            for oid in std::mem::take(&mut cat.dropped_dbs) {
                let d = self.p(&format!("base/{oid}"));
                let _ = self.fs.remove_all(&d);
            }
            cat.dirty = false;
        }
        let mut c = self.control();
        c.next_oid = cat.next_oid.max(c.next_oid);
        c.writes += 1;
        if now.0 - c.checkpoint.0 >= 300_000 {
            c.checkpoint = now;
        }
        self.set_control(&c, major, now);
        written
    }
}

// ------------------------------------------------------------------ initdb

fn conf(major: u32) -> String {
    let mut s = String::from(
        "# -----------------------------\n# PostgreSQL configuration file\n# -----------------------------\n#\n# This file consists of lines of the form:\n#\n#   name = value\n#\n\nlisten_addresses = '*'\n\t\t\t\t\t# comma-separated list of addresses;\nmax_connections = 100\t\t\t# (change requires restart)\nshared_buffers = 128MB\t\t\t# min 128kB\ndynamic_shared_memory_type = posix\t# the default is usually the first option\nmax_wal_size = 1GB\nmin_wal_size = 80MB\nlog_timezone = 'Etc/UTC'\ndatestyle = 'iso, mdy'\ntimezone = 'Etc/UTC'\nlc_messages = 'en_US.utf8'\t\t\t# locale for system error message\nlc_monetary = 'en_US.utf8'\t\t\t# locale for monetary formatting\nlc_numeric = 'en_US.utf8'\t\t\t# locale for number formatting\nlc_time = 'en_US.utf8'\t\t\t\t# locale for time formatting\ndefault_text_search_config = 'pg_catalog.english'\n",
    );
    if major >= 15 {
        s.push_str("#log_checkpoints = on\n");
    }
    s
}

fn hba(auth_host: &str, trust_warning: bool) -> String {
    let mut s = String::from(
        "# PostgreSQL Client Authentication Configuration File\n# ===================================================\n\n# TYPE  DATABASE        USER            ADDRESS                 METHOD\n\n# \"local\" is for Unix domain socket connections only\nlocal   all             all                                     trust\n# IPv4 local connections:\nhost    all             all             127.0.0.1/32            trust\n# IPv6 local connections:\nhost    all             all             ::1/128                 trust\n# Allow replication connections from localhost, by a user with the\n# replication privilege.\nlocal   replication     all                                     trust\nhost    replication     all             127.0.0.1/32            trust\nhost    replication     all             ::1/128                 trust\n\n",
    );
    if trust_warning {
        s.push_str("# warning trust is enabled for all connections\n# see https://www.postgresql.org/docs/current/auth-trust.html\n");
    }
    s.push_str(&format!("host all all all {auth_host}\n"));
    s
}

/// The authentication method pg_hba.conf gives connections from other hosts.
pub fn host_auth(fs: &ContainerFs, datadir: &str) -> String {
    let text = fs.read(&format!("{datadir}/pg_hba.conf")).unwrap_or_default();
    text.lines().rev().find(|l| l.starts_with("host all all all")).and_then(|l| l.split_whitespace().last()).unwrap_or("scram-sha-256").to_string()
}

fn initdb_files(fs: &mut ContainerFs, pgdata: &str, img: &Image, user: &str, password: &str, auth_host: &str, now: Time, dbname: &str) {
    let major = img.major();
    let ver = if major == 9 { "9.6".to_string() } else { major.to_string() };
    let _ = fs.mkdir_all(pgdata);
    let mut dirs = vec![
        "global",
        "pg_commit_ts",
        "pg_dynshmem",
        "pg_logical/mappings",
        "pg_logical/snapshots",
        "pg_multixact/members",
        "pg_multixact/offsets",
        "pg_notify",
        "pg_replslot",
        "pg_serial",
        "pg_snapshots",
        "pg_stat",
        "pg_stat_tmp",
        "pg_subtrans",
        "pg_tblspc",
        "pg_twophase",
        "pg_wal/archive_status",
        "pg_xact",
    ];
    if major >= 17 {
        dirs.push("pg_wal/summaries");
    }
    for d in dirs {
        let _ = fs.mkdir_all(&format!("{pgdata}/{d}"));
    }
    let (t0, pg) = db_oids(major);
    for oid in [1, t0, pg] {
        let _ = fs.mkdir_all(&format!("{pgdata}/base/{oid}"));
        let _ = fs.write(&format!("{pgdata}/base/{oid}/PG_VERSION"), &format!("{ver}\n"));
    }
    let _ = fs.write(&format!("{pgdata}/PG_VERSION"), &format!("{ver}\n"));
    let _ = fs.write(&format!("{pgdata}/postgresql.conf"), &conf(major));
    let _ = fs.write(&format!("{pgdata}/postgresql.auto.conf"), "# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n");
    let _ = fs.write(
        &format!("{pgdata}/pg_ident.conf"),
        "# PostgreSQL User Name Maps\n# =========================\n\n# MAPNAME       SYSTEM-USERNAME         PG-USERNAME\n",
    );
    let _ = fs.write(&format!("{pgdata}/pg_hba.conf"), &hba(auth_host, auth_host == "trust"));
    let _ = fs.write(&format!("{pgdata}/pg_wal/000000010000000000000001"), "");
    let mut cat = Catalog { next_oid: 16384, ..Default::default() };
    cat.databases.insert("template1".into(), 1);
    cat.databases.insert("template0".into(), t0);
    cat.databases.insert("postgres".into(), pg);
    cat.roles.insert(user.to_string(), if password.is_empty() { String::new() } else { super::sql::hash_password(password) });
    if dbname != "postgres" && !cat.databases.contains_key(dbname) {
        let oid = cat.alloc_oid();
        cat.databases.insert(dbname.to_string(), oid);
        cat.created_dbs.push((dbname.to_string(), oid));
    }
    cat.dirty = true;
    let mut dd = DataDir { fs, path: pgdata.to_string() };
    dd.set_control(&Control { state: "shut down".into(), checkpoint: now, next_oid: 16384, writes: 0, wal_broken: false }, major, now);
    let mut db = Database::default();
    dd.save(&mut cat, &mut db, major, now, false);
    let mut c = dd.control();
    c.state = "shut down".into();
    c.writes = 0;
    dd.set_control(&c, major, now);
}

// -------------------------------------------------------------- the server

fn env_or(ctx: &Ctx, k: &str, d: &str) -> String {
    ctx.env.get(k).filter(|v| !v.is_empty()).cloned().unwrap_or_else(|| d.to_string())
}

/// `docker-entrypoint.sh [args]`
pub fn entrypoint(ctx: &mut Ctx, args: &[String]) -> Main {
    let mut args: Vec<String> = args.to_vec();
    if args.first().is_some_and(|a| a.starts_with('-')) {
        args.insert(0, "postgres".into());
    }
    if args.first().map(|s| s.as_str()) != Some("postgres") || args.iter().any(|a| matches!(a.as_str(), "--help" | "-V" | "--version" | "--describe-config")) {
        if args.is_empty() {
            return Main::Exited { code: 0, log: String::new() };
        }
        // exec "$@"
        return super::sh::run_main(ctx, &args);
    }
    let img = ctx.img.clone();
    let major = img.major();
    let pgdata = clean(&env_or(ctx, "PGDATA", "/var/lib/postgresql/data"), "/");
    let user = env_or(ctx, "POSTGRES_USER", "postgres");
    let password = ctx.env.get("POSTGRES_PASSWORD").cloned().unwrap_or_default();
    let dbname = env_or(ctx, "POSTGRES_DB", &user);
    let auth_env = ctx.env.get("POSTGRES_HOST_AUTH_METHOD").cloned().unwrap_or_default();
    let old_entrypoint = img.distro == "stretch";
    let mut now = ctx.now();
    let mut log = String::new();
    let initialized = {
        let mut fs = ctx.fs();
        let _ = fs.mkdir_all(&pgdata);
        DataDir { fs: &mut fs, path: pgdata.clone() }.initialized()
    };
    if !initialized {
        // 18+: data at the pre-18 path (or a volume mounted there) stops it.
        if major >= 18 && pgdata == format!("/var/lib/postgresql/{major}/docker") {
            let mut old = vec![];
            {
                let fs = ctx.fs();
                for d in ["/var/lib/postgresql", "/var/lib/postgresql/data"] {
                    if fs.read(&format!("{d}/PG_VERSION")).is_ok_and(|v| !v.is_empty()) {
                        old.push(d.to_string());
                    }
                }
            }
            if old.is_empty() && ctx.p.mounts.iter().any(|m| m.path == "/var/lib/postgresql/data") {
                old.push("/var/lib/postgresql/data (unused mount/volume)".into());
            }
            if !old.is_empty() {
                log.push_str(&format!(
                    "Error: in 18+, these Docker images are configured to store database data in a\n       format which is compatible with \"pg_ctlcluster\" (specifically, using\n       major-version-specific directory names).  This better reflects how\n       PostgreSQL itself works, and how upgrades are to be performed.\n\n       See also https://github.com/docker-library/postgres/pull/1259\n\n       Counter to that, there appears to be PostgreSQL data in:\n         {}\n\n       This is usually the result of upgrading the Docker image without\n       upgrading the underlying database using \"pg_upgrade\" (which requires both\n       versions).\n\n       The suggested container configuration for 18+ is to place a single mount\n       at /var/lib/postgresql which will then place PostgreSQL data in a\n       subdirectory, allowing usage of \"pg_upgrade --link\" without mount point\n       boundary issues.\n\n       See https://github.com/docker-library/postgres/issues/37 for a (long)\n       discussion around this process, and suggestions for how to do so.\n",
                    old.join(" ")
                ));
                return Main::Exited { code: 1, log };
            }
        }
        if password.is_empty() && auth_env != "trust" && !old_entrypoint {
            log.push_str("Error: Database is uninitialized and superuser password is not specified.\n       You must specify POSTGRES_PASSWORD to a non-empty value for the\n       superuser. For example, \"-e POSTGRES_PASSWORD=password\" on \"docker run\".\n\n       You may also use \"POSTGRES_HOST_AUTH_METHOD=trust\" to allow all\n       connections without a password. This is *not* recommended.\n\n       See PostgreSQL documentation about \"trust\":\n       https://www.postgresql.org/docs/current/auth-trust.html\n");
            return Main::Exited { code: 1, log };
        }
        if auth_env == "trust" {
            log.push_str("********************************************************************************\nWARNING: POSTGRES_HOST_AUTH_METHOD has been set to \"trust\". This will allow\n         anyone with access to the Postgres port to access your database without\n         a password, even if POSTGRES_PASSWORD is set. See PostgreSQL\n         documentation about \"trust\":\n         https://www.postgresql.org/docs/current/auth-trust.html\n         In Docker's default configuration, this is effectively any other\n         container on the same system.\n\n         It is not recommended to use POSTGRES_HOST_AUTH_METHOD=trust. Replace\n         it with \"-e POSTGRES_PASSWORD=password\" instead to set a password in\n         \"docker run\".\n********************************************************************************\n");
        }
        match initdb(ctx, &pgdata, &user, &password, &dbname, &auth_env, &mut now) {
            Ok(l) => log.push_str(&l),
            Err(l) => {
                log.push_str(&l);
                return Main::Exited { code: 1, log };
            }
        }
    } else {
        log.push_str("\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n");
    }
    let started = postmaster(ctx, &pgdata, &mut now, 1, true);
    log.push_str(&started.0);
    match started.1 {
        Some(pg) => Main::Running { log, server: ServerState::Postgres(pg) },
        None => Main::Exited { code: 1, log },
    }
}

/// `postgres` run without the entrypoint (a `command:` override): it runs
/// as root, which postgres refuses.
pub fn server_direct(ctx: &mut Ctx, args: &[String]) -> Main {
    if args.iter().any(|a| a == "--version" || a == "-V") {
        return Main::Exited { code: 0, log: format!("postgres (PostgreSQL) {}\n", ctx.img.version) };
    }
    Main::Exited {
        code: 1,
        log: "\"root\" execution of the PostgreSQL server is not permitted.\nThe server must be started under an unprivileged user ID to prevent\npossible system security compromise.  See the documentation for\nmore information on how to properly start the server.\n".into(),
    }
}

fn initdb(ctx: &mut Ctx, pgdata: &str, user: &str, password: &str, dbname: &str, auth_env: &str, now: &mut Time) -> Result<String, String> {
    let img = ctx.img.clone();
    let major = img.major();
    let mut log = String::new();
    log.push_str("The files belonging to this database system will be owned by user \"postgres\".\nThis user must also own the server process.\n\n");
    log.push_str("The database cluster will be initialized with locale \"en_US.utf8\".\nThe default database encoding has accordingly been set to \"UTF8\".\nThe default text search configuration will be set to \"english\".\n\n");
    log.push_str(if major >= 18 { "Data page checksums are enabled.\n\n" } else { "Data page checksums are disabled.\n\n" });
    // The directory must be empty.
    let existing = ctx.fs().list(pgdata).unwrap_or_default();
    if !existing.is_empty() {
        let has_lf = existing.iter().any(|n| n == "lost+found");
        let mut e = format!("initdb: error: directory \"{pgdata}\" exists but is not empty\n");
        if major >= 15 {
            if has_lf {
                e.push_str("initdb: detail: It contains a lost+found directory, perhaps due to it being a mount point.\ninitdb: hint: Using a mount point directly as the data directory is not recommended.\nCreate a subdirectory under the mount point.\n");
            } else {
                e.push_str(&format!("initdb: hint: If you want to create a new database system, either remove or empty the directory \"{pgdata}\" or run initdb with an argument other than \"{pgdata}\".\n"));
            }
        } else if has_lf {
            e.push_str("It contains a lost+found directory, perhaps due to it being a mount point.\nUsing a mount point directly as the data directory is not recommended.\nCreate a subdirectory under the mount point.\n");
        } else {
            e.push_str(&format!("If you want to create a new database system, either remove or empty\nthe directory \"{pgdata}\" or run initdb\nwith an argument other than \"{pgdata}\".\n"));
        }
        if major < 13 {
            e = e.replacen("initdb: error: directory", "initdb: directory", 1);
        }
        log.push_str(&e);
        return Err(log);
    }
    log.push_str(&format!("fixing permissions on existing directory {pgdata} ... ok\ncreating subdirectories ... ok\n"));
    if major >= 12 {
        log.push_str("selecting dynamic shared memory implementation ... posix\nselecting default max_connections ... 100\nselecting default shared_buffers ... 128MB\nselecting default time zone ... Etc/UTC\n");
    } else {
        log.push_str(
            "selecting default max_connections ... 100\nselecting default shared_buffers ... 128MB\nselecting dynamic shared memory implementation ... posix\n",
        );
    }
    log.push_str("creating configuration files ... ok\nrunning bootstrap script ... ok\nperforming post-bootstrap initialization ... ok\nsyncing data to disk ... ok\n\n");
    let auth_host = if !auth_env.is_empty() {
        auth_env.to_string()
    } else if img.distro == "stretch" && password.is_empty() {
        "trust".into()
    } else if major >= 14 {
        "scram-sha-256".into()
    } else {
        "md5".into()
    };
    {
        let mut fs = ctx.fs();
        initdb_files(&mut fs, pgdata, &img, user, password, &auth_host, *now, "postgres");
    }
    let warn = if major >= 15 {
        "initdb: warning: enabling \"trust\" authentication for local connections\ninitdb: hint: You can change this by editing pg_hba.conf or using the option -A, or --auth-local and --auth-host, the next time you run initdb.\n".to_string()
    } else if major >= 13 {
        "initdb: warning: enabling \"trust\" authentication for local connections\nYou can change this by editing pg_hba.conf or using the option -A, or\n--auth-local and --auth-host, the next time you run initdb.\n".to_string()
    } else {
        "WARNING: enabling \"trust\" authentication for local connections\nYou can change this by editing pg_hba.conf or using the option -A, or\n--auth-local and --auth-host, the next time you run initdb.\n".to_string()
    };
    if major >= 14 {
        log.push_str(&format!("\nSuccess. You can now start the database server using:\n\n    pg_ctl -D {pgdata} -l logfile start\n\n"));
        log.push_str(&warn);
    } else {
        log.push_str(&warn);
        log.push_str(&format!("\nSuccess. You can now start the database server using:\n\n    pg_ctl -D {pgdata} -l logfile start\n\n"));
    }
    // The temporary, socket-only server.
    *now = now.plus(1_200);
    let tmp_pid = 48;
    log.push_str("waiting for server to start....");
    let vs = version_string(&img);
    if major >= 12 {
        log.push_str(&line(*now, tmp_pid, "LOG", &format!("starting {vs}")));
    }
    log.push_str(&line(now.plus(2), tmp_pid, "LOG", &format!("listening on Unix socket \"{SOCKET}\"")));
    log.push_str(&line(now.plus(6), tmp_pid + 1, "LOG", &format!("database system was shut down at {}", ts_secs(now.plus(-400)))));
    log.push_str(&line(now.plus(9), tmp_pid, "LOG", "database system is ready to accept connections"));
    log.push_str(" done\nserver started\n");
    if dbname != "postgres" {
        let mut fs = ctx.fs();
        let mut dd = DataDir { fs: &mut fs, path: pgdata.to_string() };
        let mut cat = dd.catalog();
        if !cat.databases.contains_key(dbname) {
            let oid = cat.alloc_oid();
            cat.databases.insert(dbname.to_string(), oid);
            cat.created_dbs.push((dbname.to_string(), oid));
            let mut db = Database::default();
            dd.save(&mut cat, &mut db, major, *now, false);
        }
        log.push_str("CREATE DATABASE\n\n");
    }
    if img.distro == "stretch" {
        log.push_str("ALTER ROLE\n\n");
    }
    log.push_str("\n/usr/local/bin/docker-entrypoint.sh: ignoring /docker-entrypoint-initdb.d/*\n\n");
    *now = now.plus(120);
    log.push_str("waiting for server to shut down...");
    log.push_str(&line(*now, tmp_pid, "LOG", "received fast shutdown request"));
    log.push('.');
    log.push_str(&line(now.plus(2), tmp_pid, "LOG", "aborting any active transactions"));
    if major >= 10 {
        log.push_str(&line(
            now.plus(3),
            tmp_pid,
            "LOG",
            &format!("background worker \"logical replication launcher\" (PID {}) exited with exit code 1", tmp_pid + 7),
        ));
    }
    log.push_str(&line(now.plus(4), tmp_pid + 2, "LOG", "shutting down"));
    if major >= 15 {
        log.push_str(&line(now.plus(5), tmp_pid + 2, "LOG", "checkpoint starting: shutdown immediate"));
        log.push_str(&line(now.plus(30), tmp_pid + 2, "LOG", &checkpoint_complete(major, 926)));
    }
    log.push_str(&line(now.plus(40), tmp_pid, "LOG", "database system is shut down"));
    log.push_str(" done\nserver stopped\n\nPostgreSQL init process complete; ready for start up.\n\n");
    {
        let mut fs = ctx.fs();
        let mut dd = DataDir { fs: &mut fs, path: pgdata.to_string() };
        let mut c = dd.control();
        c.state = "shut down".into();
        c.checkpoint = now.plus(40);
        dd.set_control(&c, major, now.plus(40));
    }
    *now = now.plus(100);
    Ok(log)
}

fn checkpoint_complete(major: u32, buffers: u32) -> String {
    let pct = format!("{:.1}", buffers as f64 / 16384.0 * 100.0);
    let mut s = format!(
        "checkpoint complete: wrote {buffers} buffers ({pct}%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.017 s, sync=0.412 s, total=0.446 s; sync files=301, longest=0.005 s, average=0.002 s; distance=4235 kB, estimate=4235 kB"
    );
    if major >= 17 {
        s.push_str("; lsn=0/1913A08, redo lsn=0/1913A08");
    }
    s
}

/// Other postgres servers running right now on the same data directory.
fn holders(ctx: &Ctx, dir: &(VolumeId, String)) -> Vec<(ProcKey, String)> {
    let me = (ctx.p.pod_uid.clone(), ctx.p.container.clone());
    let mut v = vec![];
    for (k, r) in &ctx.cx.rt.running {
        if *k == me {
            continue;
        }
        if let ServerState::Postgres(pg) = &r.server
            && &pg.dir == dir
            && super::is_alive(ctx.cx.api, ctx.cx.world, ctx.cx.rt, k)
        {
            v.push((k.clone(), r.proc.node.clone()));
        }
    }
    v
}

/// The postmaster starts on an initialized data directory: the lock file,
/// recovery, ready. Returns (log, server if it runs).
fn postmaster(ctx: &mut Ctx, pgdata: &str, now: &mut Time, pid: u32, listen_tcp: bool) -> (String, Option<PgServer>) {
    let img = ctx.img.clone();
    let major = img.major();
    let vs = version_string(&img);
    let mut log = String::new();
    let dir = ctx.fs().resolve(pgdata);
    let node = ctx.p.node.clone();
    // The lock file.
    let lock = ctx.fs().read(&format!("{pgdata}/postmaster.pid")).ok();
    let others = holders(ctx, &dir);
    if lock.is_some() && others.iter().any(|(_, n)| *n == node) {
        let other_pid = lock.as_deref().and_then(|l| l.lines().next()).unwrap_or("1").trim().to_string();
        log.push_str(&line(*now, pid, "FATAL", "lock file \"postmaster.pid\" already exists"));
        log.push_str(&line(*now, pid, "HINT", &format!("Is another postmaster (PID {other_pid}) running in data directory \"{pgdata}\"?")));
        return (log, None);
    }
    // The PID in it is not a live process here: a stale lock file.
    let key = (ctx.p.pod_uid.clone(), ctx.p.container.clone());
    if !others.is_empty() {
        // Another machine's postmaster has this directory open: nothing on
        // this machine can tell. Both will now write it.
        let sb = ctx.cx.rt.split_brain.entry(Box::new(dir.clone())).or_default();
        for (k, _) in &others {
            sb.servers.insert(k.clone());
        }
        sb.servers.insert(key.clone());
    }
    if major >= 12 {
        log.push_str(&line(*now, pid, "LOG", &format!("starting {vs}")));
    }
    if listen_tcp {
        log.push_str(&line(now.plus(1), pid, "LOG", "listening on IPv4 address \"0.0.0.0\", port 5432"));
        log.push_str(&line(now.plus(1), pid, "LOG", "listening on IPv6 address \"::\", port 5432"));
    }
    log.push_str(&line(now.plus(3), pid, "LOG", &format!("listening on Unix socket \"{SOCKET}\"")));
    let startup = 27;
    let mut control = {
        let mut fs = ctx.fs();
        DataDir { fs: &mut fs, path: pgdata.to_string() }.control()
    };
    let t = now.plus(6);
    if control.wal_broken {
        let torn = first_torn_relation(ctx, pgdata);
        log.push_str(&line(t, startup, "LOG", &format!("database system was interrupted; last known up at {}", ts_secs(control.checkpoint))));
        log.push_str(&line(t.plus(1), startup, "LOG", "database system was not properly shut down; automatic recovery in progress"));
        log.push_str(&line(t.plus(2), startup, "LOG", &format!("redo starts at {}", lsn(0))));
        if let Some(rel) = &torn {
            log.push_str(&line(t.plus(3), startup, "WARNING", &format!("invalid page in block 0 of relation {rel}")));
        }
        log.push_str(&line(t.plus(3), startup, "PANIC", "WAL contains references to invalid pages"));
        log.push_str(&line(t.plus(3), startup, "CONTEXT", &format!("WAL redo at {} for Heap/INSERT: off 2 flags 0x00", lsn(1))));
        log.push_str(&line(t.plus(4), pid, "LOG", &format!("startup process (PID {startup}) was terminated by signal 6: Aborted")));
        log.push_str(&line(t.plus(4), pid, "LOG", "aborting startup due to startup process failure"));
        log.push_str(&line(t.plus(5), pid, "LOG", "database system is shut down"));
        return (log, None);
    }
    if control.state == "in production" {
        log.push_str(&line(t, startup, "LOG", &format!("database system was interrupted; last known up at {}", ts_secs(control.checkpoint))));
        log.push_str(&line(t.plus(8), startup, "LOG", "database system was not properly shut down; automatic recovery in progress"));
        log.push_str(&line(t.plus(10), startup, "LOG", &format!("redo starts at {}", lsn(0))));
        let end = lsn(control.writes.max(1));
        if major >= 16 {
            log.push_str(&line(t.plus(11), startup, "LOG", &format!("invalid record length at {end}: expected at least 24, got 0")));
        } else {
            log.push_str(&line(t.plus(11), startup, "LOG", &format!("invalid record length at {end}: wanted 24, got 0")));
        }
        if major >= 14 {
            log.push_str(&line(
                t.plus(11),
                startup,
                "LOG",
                &format!("redo done at {} system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.00 s", lsn(control.writes.max(1) - 1)),
            ));
        } else {
            log.push_str(&line(t.plus(11), startup, "LOG", &format!("redo done at {}", lsn(control.writes.max(1) - 1))));
        }
        if major >= 15 {
            log.push_str(&line(t.plus(12), 25, "LOG", "checkpoint starting: end-of-recovery immediate wait"));
            log.push_str(&line(t.plus(20), 25, "LOG", &checkpoint_complete(major, 3)));
        }
    } else {
        log.push_str(&line(t, startup, "LOG", &format!("database system was shut down at {}", ts_secs(control.checkpoint))));
    }
    log.push_str(&line(t.plus(25), pid, "LOG", "database system is ready to accept connections"));
    *now = t.plus(25);
    // Our lock file and state.
    control.state = "in production".into();
    control.checkpoint = *now;
    control.writes = 0;
    {
        let mut fs = ctx.fs();
        let start_secs = now.0 / 1000;
        let _ = fs.write(
            &format!("{pgdata}/postmaster.pid"),
            &format!("{pid}\n{pgdata}\n{start_secs}\n5432\n/var/run/postgresql\n*\n  5432001     32768\nready   \n"),
        );
        let bin = if img.alpine() {
            "/usr/local/bin/postgres".to_string()
        } else {
            format!("/usr/lib/postgresql/{}/bin/postgres", if major == 9 { "9.6".to_string() } else { major.to_string() })
        };
        let _ = fs.write(&format!("{pgdata}/postmaster.opts"), &format!("{bin}\n"));
        let _ = fs.mkdir_all("/var/run/postgresql");
        let _ = fs.write(SOCKET, "");
        let _ = fs.write(&format!("{SOCKET}.lock"), &format!("{pid}\n{pgdata}\n{start_secs}\n5432\n/var/run/postgresql\n"));
        DataDir { fs: &mut fs, path: pgdata.to_string() }.set_control(&control, major, *now);
    }
    let pg = PgServer { datadir: pgdata.to_string(), dir, major, version: img.version.clone(), version_string: vs, started: ctx.now() };
    (log, Some(pg))
}

fn first_torn_relation(ctx: &mut Ctx, pgdata: &str) -> Option<String> {
    let fs = ctx.fs();
    for db in fs.list(&format!("{pgdata}/base")).unwrap_or_default() {
        for f in fs.list(&format!("{pgdata}/base/{db}")).unwrap_or_default() {
            if fs.read(&format!("{pgdata}/base/{db}/{f}")).is_ok_and(|t| t.contains("\ntorn\t")) {
                return Some(format!("base/{db}/{f}"));
            }
        }
    }
    None
}

/// The server is stopped: SIGINT (fast shutdown) or power loss.
pub fn stop(ctx: &mut Ctx, key: &ProcKey, pg: PgServer, clean: bool) -> String {
    forget(ctx.cx.rt, key);
    if !clean {
        // Nothing runs any more: postmaster.pid and pg_control stay as they were.
        return String::new();
    }
    let now = ctx.now();
    let major = pg.major;
    let mut log = String::new();
    log.push_str(&line(now, 1, "LOG", "received fast shutdown request"));
    log.push_str(&line(now.plus(2), 1, "LOG", "aborting any active transactions"));
    log.push_str(&line(now.plus(3), 1, "LOG", "background worker \"logical replication launcher\" (PID 33) exited with exit code 1"));
    log.push_str(&line(now.plus(4), 28, "LOG", "shutting down"));
    if major >= 15 {
        log.push_str(&line(now.plus(5), 28, "LOG", "checkpoint starting: shutdown immediate"));
        log.push_str(&line(now.plus(20), 28, "LOG", &checkpoint_complete(major, 3)));
    }
    log.push_str(&line(now.plus(25), 1, "LOG", "database system is shut down"));
    let mut fs = ctx.fs();
    // Only the server that owns the lock file removes it.
    let _ = fs.remove(&format!("{}/postmaster.pid", pg.datadir));
    let _ = fs.remove(SOCKET);
    let _ = fs.remove(&format!("{SOCKET}.lock"));
    let mut dd = DataDir { fs: &mut fs, path: pg.datadir.clone() };
    if dd.initialized() {
        let mut c = dd.control();
        if !c.wal_broken {
            c.state = "shut down".into();
        }
        c.checkpoint = now.plus(20);
        c.writes = 0;
        dd.set_control(&c, major, now.plus(20));
    }
    log
}

/// Forgets a server in the split-brain bookkeeping.
pub fn forget(rt: &mut Runtime, key: &ProcKey) {
    let mut empty = vec![];
    for (dir, sb) in rt.split_brain.iter_mut() {
        sb.servers.remove(key);
        sb.writers.remove(key);
        if sb.servers.len() < 2 {
            empty.push(dir.clone());
        }
    }
    for d in empty {
        rt.split_brain.remove(&d);
    }
}

// ------------------------------------------------------------ connections

/// A live server reachable by a client.
#[derive(Clone, Debug)]
pub struct Handle {
    pub key: ProcKey,
    pub proc: Proc,
    pub pg: PgServer,
}

impl Handle {
    pub fn find(rt: &Runtime, key: &ProcKey) -> Option<Handle> {
        let r = rt.running.get(key)?;
        match &r.server {
            ServerState::Postgres(pg) => Some(Handle { key: key.clone(), proc: r.proc.clone(), pg: pg.clone() }),
            _ => None,
        }
    }

    pub fn fs<'w>(&self, world: &'w mut World) -> ContainerFs<'w> {
        self.proc.fs(world)
    }

    pub fn log(&self, world: &mut World, text: &str) {
        append_log(world, &self.proc, text);
    }

    pub fn next_pid(&self, rt: &mut Runtime) -> u32 {
        match rt.running.get_mut(&self.key) {
            Some(r) => {
                r.next_pid += 1;
                r.next_pid + 34
            }
            None => 64,
        }
    }

    /// Whether this server shares its data directory with a server on
    /// another machine right now.
    pub fn split(&self, rt: &Runtime) -> bool {
        rt.split_brain.get(&self.pg.dir).is_some_and(|sb| sb.servers.len() > 1 && sb.servers.contains(&self.key))
    }

    /// Writes a committed query's changes. With two servers on one data
    /// directory, the pages they both keep in separate buffer caches are
    /// torn, and their WAL streams interleave.
    pub fn commit(&self, rt: &mut Runtime, world: &mut World, now: Time, cat: &mut Catalog, db: &mut Database) -> Vec<String> {
        let changed = !db.dirty.is_empty() || !db.dropped.is_empty() || cat.dirty;
        if !changed {
            return vec![];
        }
        let split = self.split(rt);
        let both_wrote = if split {
            let sb = rt.split_brain.get_mut(&self.pg.dir).unwrap();
            sb.writers.insert(self.key.clone());
            sb.writers.len() > 1 || sb.servers.len() > 1
        } else {
            false
        };
        let mut fs = self.fs(world);
        let mut dd = DataDir { fs: &mut fs, path: self.pg.datadir.clone() };
        let written = dd.save(cat, db, self.pg.major, now, both_wrote);
        if both_wrote {
            let mut c = dd.control();
            c.wal_broken = true;
            dd.set_control(&c, self.pg.major, now);
        }
        written
    }
}

/// The other servers on a split data directory crash when their
/// checkpointer next flushes pages another postmaster stamped with WAL
/// positions beyond its own (and every restart then fails recovery).
pub fn crash_split_servers(cx: &mut super::Sys, dir: &(VolumeId, String), relation: &str) {
    let Some(sb) = cx.rt.split_brain.get(dir).cloned() else { return };
    for key in sb.servers {
        let Some(h) = Handle::find(cx.rt, &key) else { continue };
        // Checkpoints run every checkpoint_timeout (5 min) from start.
        let since = cx.api.now.0 - h.pg.started.0;
        let at = Time(h.pg.started.0 + (since / 300_000 + 1) * 300_000);
        let mut log = String::new();
        log.push_str(&line(at, 25, "LOG", "checkpoint starting: time"));
        log.push_str(&line(at.plus(40), 25, "PANIC", &format!("xlog flush request {} is not satisfied --- flushed only to {}", lsn(40), lsn(3))));
        log.push_str(&line(at.plus(40), 25, "CONTEXT", &format!("writing block 0 of relation {relation}")));
        log.push_str(&line(at.plus(41), 1, "LOG", "checkpointer process (PID 25) was terminated by signal 6: Aborted"));
        log.push_str(&line(at.plus(41), 1, "LOG", "terminating any other active server processes"));
        log.push_str(&line(at.plus(42), 1, "LOG", "all server processes terminated; reinitializing"));
        log.push_str(&line(at.plus(45), 70, "LOG", &format!("database system was interrupted; last known up at {}", ts_secs(h.pg.started))));
        log.push_str(&line(at.plus(46), 70, "LOG", "database system was not properly shut down; automatic recovery in progress"));
        log.push_str(&line(at.plus(47), 70, "LOG", &format!("redo starts at {}", lsn(0))));
        log.push_str(&line(at.plus(48), 70, "WARNING", &format!("invalid page in block 0 of relation {relation}")));
        log.push_str(&line(at.plus(48), 70, "PANIC", "WAL contains references to invalid pages"));
        log.push_str(&line(at.plus(49), 1, "LOG", "startup process (PID 70) was terminated by signal 6: Aborted"));
        log.push_str(&line(at.plus(49), 1, "LOG", "aborting startup due to startup process failure"));
        log.push_str(&line(at.plus(50), 1, "LOG", "database system is shut down"));
        super::schedule_exit(cx, &key, at.plus(50), 1, log);
    }
}

// ------------------------------------------------------------------ tools

/// `postgres --version`, `initdb`, `pg_ctl`, ... run by hand in `exec`.
pub fn tool(ctx: &mut Ctx, name: &str, args: &[String]) -> Output {
    let v = ctx.img.version.clone();
    if args.iter().any(|a| a == "--version" || a == "-V") {
        return Output::out(format!("{name} (PostgreSQL) {v}\n"));
    }
    match name {
        "postgres" | "pg_ctl" | "initdb" => Output::err(
            "\"root\" execution of the PostgreSQL server is not permitted.\nThe server must be started under an unprivileged user ID to prevent\npossible system security compromise.  See the documentation for\nmore information on how to properly start the server.\n",
            1,
        ),
        "createdb" => {
            let mut a = vec!["-c".to_string()];
            let dbname = args.iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
            a.push(format!("CREATE DATABASE {dbname}"));
            let mut rest: Vec<String> = args.iter().filter(|x| x.starts_with('-') || **x != dbname).cloned().collect();
            a.append(&mut rest);
            let mut o = super::psql::main(ctx, &a, "");
            // createdb prints nothing on success.
            if o.code == 0 {
                o.chunks.clear();
            }
            o
        }
        _ => Output::err(format!("{name}: unknown tool\n"), 127),
    }
}
