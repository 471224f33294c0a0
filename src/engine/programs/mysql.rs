//! The mysql image: docker-entrypoint.sh (the root password check,
//! `mysqld --initialize-insecure` which refuses a data directory that has
//! anything in it, the temporary server, the init log), `mysqld` itself,
//! its shutdown, and a `mysql` client with batch (tab-separated) and table
//! output over the shared SQL engine. Databases are directories under the
//! data directory; each table is one file `<db>/<table>.ibd` holding our
//! table format.
//!
//! `mysql`: `-u`, `-p[PASSWORD]`, `-h`, `-P`, `-D`/database argument, `-e`,
//! `-N`, `-t`, `-V`, statements from stdin; client-side `USE`, `SHOW
//! DATABASES`, `SHOW TABLES`, `CREATE`/`DROP DATABASE`, `SELECT VERSION()`;
//! everything else goes to the shared SQL engine (`sql`, PostgreSQL's
//! subset, with MySQL's error texts where lessons meet them).
//! `mysqladmin`: `ping`, `status`.

use super::sql::{Catalog, Database, Env, Event, Session, SqlError};
use super::{Ctx, Main, Output, ServerState, append_log, net};
use crate::engine::time::Time;

#[derive(Clone, Debug, PartialEq)]
pub struct MysqlServer {
    pub datadir: String,
    pub version: String,
    pub started: Time,
    pub root_password: String,
}

fn note_ts(t: Time) -> String {
    let s = t.rfc3339();
    format!("{} {}+00:00", &s[..10], &s[11..19])
}

fn iso_us(t: Time) -> String {
    let s = t.rfc3339();
    format!("{}T{}.{:06}Z", &s[..10], &s[11..19], t.0.rem_euclid(1000) * 1000)
}

fn note(t: Time, msg: &str) -> String {
    format!("{} [Note] [Entrypoint]: {msg}\n", note_ts(t))
}

fn sys(t: Time, thread: u32, level: &str, code: &str, sub: &str, msg: &str) -> String {
    format!("{} {thread} [{level}] [{code}] [{sub}] {msg}\n", iso_us(t))
}

const DATADIR: &str = "/var/lib/mysql";
const SOCK: &str = "/var/run/mysqld/mysqld.sock";

/// `docker-entrypoint.sh mysqld`
pub fn entrypoint(ctx: &mut Ctx, args: &[String]) -> Main {
    let mut args: Vec<String> = args.to_vec();
    if args.first().is_some_and(|a| a.starts_with('-')) {
        args.insert(0, "mysqld".into());
    }
    if args.first().map(|s| s.as_str()) != Some("mysqld") {
        if args.is_empty() {
            return Main::Exited { code: 0, log: String::new() };
        }
        return super::sh::run_main(ctx, &args);
    }
    let now = ctx.now();
    let full = ctx.img.env.iter().find(|(k, _)| k == "MYSQL_VERSION").map(|(_, v)| v.clone()).unwrap_or_default();
    let version = ctx.img.version.clone();
    let mut log = String::new();
    log.push_str(&note(now, &format!("Entrypoint script for MySQL Server {full} started.")));
    log.push_str(&note(now, "Switching to dedicated user 'mysql'"));
    log.push_str(&note(now, &format!("Entrypoint script for MySQL Server {full} started.")));
    let initialized = ctx.fs().is_dir(&format!("{DATADIR}/mysql"));
    let root_pw = ctx.env.get("MYSQL_ROOT_PASSWORD").cloned().unwrap_or_default();
    let allow_empty = ctx.env.get("MYSQL_ALLOW_EMPTY_PASSWORD").is_some_and(|v| !v.is_empty());
    let random = ctx.env.get("MYSQL_RANDOM_ROOT_PASSWORD").is_some_and(|v| !v.is_empty());
    let mut t = now;
    if !initialized {
        if root_pw.is_empty() && !allow_empty && !random {
            log.push_str(&format!("{} [ERROR] [Entrypoint]: Database is uninitialized and password option is not specified\n    You need to specify one of the following as an environment variable:\n    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n    - MYSQL_RANDOM_ROOT_PASSWORD\n", note_ts(now)));
            return Main::Exited { code: 1, log };
        }
        // The entrypoint first checks mysqld's configuration (`mysqld
        // --verbose --help`), which takes about a second.
        let head_len = log.len();
        t = t.plus(1000);
        log.push_str(&note(t, "Initializing database files"));
        let existing = ctx.fs().list(DATADIR).unwrap_or_default();
        let visible: Vec<&String> = existing.iter().filter(|n| !n.starts_with('.')).collect();
        t = t.plus(200);
        let newer = !version.starts_with("5.") && !version.starts_with("8.0");
        if newer {
            log.push_str(&sys(t, 0, "System", "MY-015017", "Server", "MySQL Server Initialization - start."));
        }
        log.push_str(&sys(
            t,
            0,
            "System",
            "MY-013169",
            "Server",
            &format!("/usr/sbin/mysqld (mysqld {version}) initializing of server in progress as process 80"),
        ));
        if !visible.is_empty() {
            log.push_str(&sys(t, 0, "ERROR", "MY-010457", "Server", "--initialize specified but the data directory has files in it. Aborting."));
            log.push_str(&sys(
                t,
                0,
                "ERROR",
                "MY-013236",
                "Server",
                &format!("The designated data directory {DATADIR}/ is unusable. You can remove all files that the server added to it."),
            ));
            log.push_str(&sys(t, 0, "ERROR", "MY-010119", "Server", "Aborting"));
            if newer {
                log.push_str(&sys(t, 0, "System", "MY-015018", "Server", "MySQL Server Initialization - end."));
            }
            // The container ran (and looked Ready to kubectl) until here.
            let exit_log = log.split_off(head_len);
            return Main::ExitsLater { log, after: t.0 - now.0 + 100, code: 1, exit_log };
        }
        log.push_str(&sys(t, 1, "System", "MY-013576", "InnoDB", "InnoDB initialization has started."));
        log.push_str(&sys(t.plus(900), 1, "System", "MY-013577", "InnoDB", "InnoDB initialization has ended."));
        log.push_str(&sys(
            t.plus(2500),
            6,
            "Warning",
            "MY-010453",
            "Server",
            "root@localhost is created with an empty password ! Please consider switching off the --initialize-insecure option.",
        ));
        if newer {
            log.push_str(&sys(t.plus(4000), 0, "System", "MY-015018", "Server", "MySQL Server Initialization - end."));
        }
        t = t.plus(4100);
        {
            let mut fs = ctx.fs();
            for d in ["mysql", "performance_schema", "sys", "#innodb_temp", "#innodb_redo"] {
                let _ = fs.mkdir_all(&format!("{DATADIR}/{d}"));
            }
            for f in ["ibdata1", "mysql.ibd", "undo_001", "undo_002", "auto.cnf", "ca.pem", "server-cert.pem", "server-key.pem", "ibtmp1", "binlog.index"] {
                let _ = fs.write(&format!("{DATADIR}/{f}"), "");
            }
            let _ = fs.write(&format!("{DATADIR}/mysql/kubarium.users"), &format!("root\t{}\n", super::sql::hash_password(&root_pw)));
        }
        log.push_str(&note(t, "Database files initialized"));
        log.push_str(&note(t, "Starting temporary server"));
        log.push_str(&sys(t.plus(100), 0, "System", "MY-010116", "Server", &format!("/usr/sbin/mysqld (mysqld {version}) starting as process 125")));
        log.push_str(&sys(
            t.plus(900),
            0,
            "System",
            "MY-010931",
            "Server",
            &format!("/usr/sbin/mysqld: ready for connections. Version: '{version}'  socket: '{SOCK}'  port: 0  MySQL Community Server - GPL."),
        ));
        log.push_str(&note(t.plus(1000), "Temporary server started."));
        log.push_str("'/var/lib/mysql/mysql.sock' -> '/var/run/mysqld/mysqld.sock'\n");
        for tz in ["iso3166.tab", "leap-seconds.list", "leapseconds", "tzdata.zi", "zone.tab", "zone1970.tab"] {
            log.push_str(&format!("Warning: Unable to load '/usr/share/zoneinfo/{tz}' as time zone. Skipping it.\n"));
        }
        if let Some(db) = ctx.env.get("MYSQL_DATABASE").filter(|d| !d.is_empty()).cloned() {
            log.push_str(&note(t.plus(1500), &format!("Creating database {db}")));
            let _ = ctx.fs().mkdir_all(&format!("{DATADIR}/{db}"));
        }
        log.push('\n');
        log.push_str(&note(t.plus(1600), "Stopping temporary server"));
        log.push_str(&sys(
            t.plus(1700),
            10,
            "System",
            "MY-013172",
            "Server",
            &format!("Received SHUTDOWN from user root. Shutting down mysqld (Version: {version})."),
        ));
        log.push_str(&sys(
            t.plus(2900),
            0,
            "System",
            "MY-010910",
            "Server",
            &format!("/usr/sbin/mysqld: Shutdown complete (mysqld {version})  MySQL Community Server - GPL."),
        ));
        log.push_str(&note(t.plus(3000), "Temporary server stopped"));
        log.push('\n');
        log.push_str(&note(t.plus(3000), "MySQL init process done. Ready for start up."));
        log.push('\n');
        log.push_str(&note(t.plus(3100), &format!("Entrypoint script for MySQL Server {full} started.")));
        t = t.plus(3200);
    }
    if !version.starts_with("5.") && !version.starts_with("8.0") {
        log.push_str(&sys(t, 0, "System", "MY-015015", "Server", "MySQL Server - start."));
    }
    log.push_str(&sys(t, 0, "System", "MY-010116", "Server", &format!("/usr/sbin/mysqld (mysqld {version}) starting as process 1")));
    log.push_str(&sys(t.plus(10), 1, "System", "MY-013576", "InnoDB", "InnoDB initialization has started."));
    log.push_str(&sys(t.plus(500), 1, "System", "MY-013577", "InnoDB", "InnoDB initialization has ended."));
    log.push_str(&sys(t.plus(700), 0, "Warning", "MY-010068", "Server", "CA certificate ca.pem is self signed."));
    log.push_str(&sys(
        t.plus(700),
        0,
        "System",
        "MY-013602",
        "Server",
        "Channel mysql_main configured to support TLS. Encrypted connections are now supported for this channel.",
    ));
    log.push_str(&sys(
        t.plus(710),
        0,
        "Warning",
        "MY-011810",
        "Server",
        "Insecure configuration for --pid-file: Location '/var/run/mysqld' in the path is accessible to all OS users. Consider choosing a different directory.",
    ));
    log.push_str(&sys(
        t.plus(720),
        0,
        "System",
        "MY-011323",
        "Server",
        "X Plugin ready for connections. Bind-address: '::' port: 33060, socket: /var/run/mysqld/mysqlx.sock",
    ));
    log.push_str(&sys(
        t.plus(730),
        0,
        "System",
        "MY-010931",
        "Server",
        &format!("/usr/sbin/mysqld: ready for connections. Version: '{version}'  socket: '{SOCK}'  port: 3306  MySQL Community Server - GPL."),
    ));
    let root_password = ctx
        .fs()
        .read(&format!("{DATADIR}/mysql/kubarium.users"))
        .ok()
        .and_then(|u| u.lines().next().map(|l| l.split('\t').nth(1).unwrap_or("").to_string()))
        .unwrap_or_default();
    Main::Running { log, server: ServerState::Mysql(MysqlServer { datadir: DATADIR.into(), version, started: t, root_password }) }
}

pub fn stop(ctx: &mut Ctx, m: MysqlServer, clean: bool) -> String {
    if !clean {
        return String::new();
    }
    let t = ctx.now();
    let mut log =
        sys(t, 0, "System", "MY-013172", "Server", &format!("Received SHUTDOWN from user <via user signal>. Shutting down mysqld (Version: {}).", m.version));
    log.push_str(&sys(
        t.plus(1400),
        0,
        "System",
        "MY-010910",
        "Server",
        &format!("/usr/sbin/mysqld: Shutdown complete (mysqld {})  MySQL Community Server - GPL.", m.version),
    ));
    log
}

// ------------------------------------------------------------------ client

struct Args {
    user: String,
    password: Option<String>,
    host: Option<String>,
    port: u16,
    db: Option<String>,
    execute: Vec<String>,
    table: bool,
    skip_names: bool,
}

fn parse(args: &[String]) -> Args {
    let mut a = Args { user: "root".into(), password: None, host: None, port: 3306, db: None, execute: vec![], table: false, skip_names: false };
    let mut i = 0;
    while i < args.len() {
        let s = args[i].as_str();
        let val = |i: &mut usize, pfx: &str| -> String {
            if s.len() > pfx.len() {
                s[pfx.len()..].trim_start_matches('=').to_string()
            } else {
                *i += 1;
                args.get(*i).cloned().unwrap_or_default()
            }
        };
        if s.starts_with("--user") {
            a.user = val(&mut i, "--user");
        } else if s.starts_with("-u") {
            a.user = val(&mut i, "-u");
        } else if s.starts_with("--password") {
            a.password = Some(s.trim_start_matches("--password").trim_start_matches('=').to_string());
        } else if let Some(p) = s.strip_prefix("-p") {
            a.password = Some(p.to_string());
        } else if s.starts_with("--host") {
            a.host = Some(val(&mut i, "--host"));
        } else if s.starts_with("-h") {
            a.host = Some(val(&mut i, "-h"));
        } else if s.starts_with("-P") || s.starts_with("--port") {
            a.port = val(&mut i, if s.starts_with("-P") { "-P" } else { "--port" }).parse().unwrap_or(3306);
        } else if s.starts_with("--execute") {
            a.execute.push(val(&mut i, "--execute"));
        } else if s.starts_with("-e") {
            a.execute.push(val(&mut i, "-e"));
        } else if s.starts_with("--database") || s.starts_with("-D") {
            a.db = Some(val(&mut i, if s.starts_with("-D") { "-D" } else { "--database" }));
        } else if s == "-t" || s == "--table" {
            a.table = true;
        } else if s == "-N" || s == "--skip-column-names" {
            a.skip_names = true;
        } else if !s.starts_with('-') && a.db.is_none() {
            a.db = Some(s.to_string());
        }
        i += 1;
    }
    a
}

/// MySQL's table output (`mysql -t`, or a terminal).
fn boxed(headers: &[String], rows: &[Vec<Option<String>>], right: &[bool]) -> String {
    let cell = |c: &Option<String>| c.clone().unwrap_or_else(|| "NULL".into());
    let mut w: Vec<usize> = headers.iter().map(|h| super::text::width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(super::text::width(&cell(c)));
        }
    }
    let sep = format!("+{}+\n", w.iter().map(|n| "-".repeat(n + 2)).collect::<Vec<_>>().join("+"));
    let mut s = sep.clone();
    s.push('|');
    for (i, h) in headers.iter().enumerate() {
        s.push_str(&format!(" {h}{} |", " ".repeat(w[i] - super::text::width(h))));
    }
    s.push('\n');
    s.push_str(&sep);
    for r in rows {
        s.push('|');
        for (i, c) in r.iter().enumerate() {
            let t = cell(c);
            let pad = " ".repeat(w[i] - super::text::width(&t));
            if right[i] {
                s.push_str(&format!(" {pad}{t} |"));
            } else {
                s.push_str(&format!(" {t}{pad} |"));
            }
        }
        s.push('\n');
    }
    s.push_str(&sep);
    s
}

/// Translates MySQL spellings the shared engine does not know.
fn to_engine_sql(q: &str) -> String {
    let mut s = q.replace('`', "\"");
    for (from, to) in [
        (" AUTO_INCREMENT", " SERIAL_MARK"),
        (" auto_increment", " SERIAL_MARK"),
        ("DATETIME", "TIMESTAMP"),
        ("datetime", "timestamp"),
        ("TINYINT(1)", "BOOLEAN"),
        ("tinyint(1)", "boolean"),
        ("DOUBLE", "DOUBLE PRECISION"),
        ("double", "double precision"),
        ("LONGTEXT", "TEXT"),
        ("longtext", "text"),
        ("MEDIUMTEXT", "TEXT"),
        ("mediumtext", "text"),
    ] {
        s = s.replace(from, to);
    }
    // `INT ... SERIAL_MARK` -> `SERIAL`
    let mut out = String::new();
    for part in s.split(',') {
        let mut p = part.to_string();
        if p.contains("SERIAL_MARK") {
            p = p.replace(" SERIAL_MARK", "");
            for ty in ["INT", "int", "INTEGER", "integer", "BIGINT", "bigint"] {
                if let Some(i) = p.find(&format!(" {ty}")) {
                    let end = p[i + 1..].find([' ', ')']).map(|e| i + 1 + e).unwrap_or(p.len());
                    p.replace_range(i + 1..end, if ty.eq_ignore_ascii_case("bigint") { "BIGSERIAL" } else { "SERIAL" });
                    break;
                }
            }
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&p);
    }
    // Table options after the closing parenthesis.
    if let Some(i) = out.to_uppercase().rfind(") ENGINE") {
        out.truncate(i + 1);
    }
    out
}

fn mysql_error(e: &SqlError, db: &str, line: usize) -> String {
    let m = &e.message;
    let (code, state, text) = if let Some(rest) = m.strip_prefix("relation \"") {
        let t = rest.split('"').next().unwrap_or("");
        (1146, "42S02", format!("Table '{db}.{t}' doesn't exist"))
    } else if m.starts_with("syntax error") {
        let near = m.split("at or near \"").nth(1).map(|s| s.trim_end_matches('"').to_string()).unwrap_or_default();
        (
            1064,
            "42000",
            format!(
                "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '{near}' at line {line}"
            ),
        )
    } else if m.starts_with("duplicate key") {
        let d = e.detail.clone().unwrap_or_default();
        let v = d.split("=(").nth(1).and_then(|s| s.split(')').next()).unwrap_or("");
        (1062, "23000", format!("Duplicate entry '{v}' for key 'PRIMARY'"))
    } else if m.ends_with("already exists") && m.starts_with("relation") {
        let t = m.split('"').nth(1).unwrap_or("");
        (1050, "42S01", format!("Table '{t}' already exists"))
    } else if m.starts_with("column \"") && m.ends_with("does not exist") {
        let c = m.split('"').nth(1).unwrap_or("");
        (1054, "42S22", format!("Unknown column '{c}' in 'field list'"))
    } else if m.starts_with("table \"") {
        let t = m.split('"').nth(1).unwrap_or("");
        (1051, "42S02", format!("Unknown table '{db}.{t}'"))
    } else {
        (1105, "HY000", m.clone())
    };
    format!("ERROR {code} ({state}) at line {line}: {text}\n")
}

fn load_db(fs: &crate::engine::fs::ContainerFs, datadir: &str, name: &str) -> Database {
    let mut db = Database { name: name.to_string(), oid: 0, ..Default::default() };
    for f in fs.list(&format!("{datadir}/{name}")).unwrap_or_default() {
        if let Some(t) = f.strip_suffix(".ibd")
            && let Ok(text) = fs.read(&format!("{datadir}/{name}/{f}"))
            && let Some(mut td) = super::postgres::table_from_text(&text, 0)
        {
            td.name = t.to_string();
            db.tables.insert(t.to_string(), Box::new(td));
        }
    }
    db
}

fn databases(fs: &crate::engine::fs::ContainerFs, datadir: &str) -> Vec<String> {
    let mut v: Vec<String> = fs.list(datadir).unwrap_or_default().into_iter().filter(|n| !n.starts_with('#') && fs.is_dir(&format!("{datadir}/{n}"))).collect();
    v.push("information_schema".into());
    crate::engine::sort::sort(&mut v);
    v
}

/// `mysql`
pub fn client(ctx: &mut Ctx, args: &[String], stdin: &str) -> Output {
    if args.iter().any(|a| a == "--version" || a == "-V") {
        return Output::out(format!("mysql  Ver {} for Linux on x86_64 (MySQL Community Server - GPL)\n", ctx.img.version));
    }
    let a = parse(args);
    let mut o = Output::default();
    if a.password.as_deref().is_some_and(|p| !p.is_empty()) {
        o.eprint("mysql: [Warning] Using a password on the command line interface can be insecure.\n");
    }
    // Connect: the socket in this container, or TCP.
    let key = match &a.host {
        None => {
            let k = (ctx.p.pod_uid.clone(), ctx.p.container.clone());
            ctx.cx.rt.running.get(&k).filter(|r| matches!(r.server, ServerState::Mysql(_))).map(|_| k)
        }
        Some(h) => match net::resolve(ctx, h) {
            None => {
                o.eprint(format!("ERROR 2005 (HY000): Unknown MySQL server host '{h}' (-2)\n"));
                return o.with_code(1);
            }
            Some(addrs) => addrs
                .iter()
                .find_map(|ad| net::route(ctx, ad, a.port).and_then(|(u, p)| net::listener(ctx, &u, p)))
                .filter(|k| matches!(ctx.cx.rt.running.get(k).map(|r| &r.server), Some(ServerState::Mysql(_)))),
        },
    };
    let Some(key) = key else {
        match &a.host {
            None => o.eprint(format!("ERROR 2002 (HY000): Can't connect to local MySQL server through socket '{SOCK}' (2)\n")),
            Some(h) => o.eprint(format!("ERROR 2003 (HY000): Can't connect to MySQL server on '{h}:{}' (111)\n", a.port)),
        }
        return o.with_code(1);
    };
    let r = ctx.cx.rt.running[&key].clone();
    let ServerState::Mysql(server) = &r.server else { unreachable!() };
    let pw = a.password.clone().unwrap_or_default();
    let ok = a.user == "root" && super::sql::hash_password(&pw) == server.root_password;
    if !ok {
        let from = if a.host.is_none() { "localhost".to_string() } else { ctx.pod_ip() };
        o.eprint(format!("ERROR 1045 (28000): Access denied for user '{}'@'{from}' (using password: {})\n", a.user, if pw.is_empty() { "NO" } else { "YES" }));
        return o.with_code(1);
    }
    let datadir = server.datadir.clone();
    let mut current = a.db.clone();
    if let Some(d) = &current
        && !server_fs_is_dir(ctx, &r.proc, &format!("{datadir}/{d}"))
    {
        o.eprint(format!("ERROR 1049 (42000): Unknown database '{d}'\n"));
        return o.with_code(1);
    }
    let script = if a.execute.is_empty() { stdin.to_string() } else { a.execute.join(";") };
    let env =
        Env { user: "root".into(), version_string: server.version.clone(), server_version: server.version.clone(), now_us: ctx.now().0 * 1000, major: 14 };
    for (line_no, (stmt, _)) in super::sql::split_statements(&script).into_iter().enumerate() {
        let line = line_no + 1;
        let trimmed = stmt.trim().trim_end_matches(';').trim().to_string();
        let upper = trimmed.to_uppercase();
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        let mut fs = r.proc.fs(ctx.cx.world);
        if upper.starts_with("USE ") {
            let d = words.get(1).unwrap_or(&"").trim_matches('`').to_string();
            if !fs.is_dir(&format!("{datadir}/{d}")) {
                o.eprint(format!("ERROR 1049 (42000) at line {line}: Unknown database '{d}'\n"));
                return o.with_code(1);
            }
            current = Some(d);
            continue;
        }
        if upper == "SHOW DATABASES" {
            let rows: Vec<Vec<Option<String>>> = databases(&fs, &datadir).into_iter().map(|d| vec![Some(d)]).collect();
            o.print(render(&["Database".to_string()], &rows, &[false], &a));
            continue;
        }
        if upper.starts_with("CREATE DATABASE") || upper.starts_with("CREATE SCHEMA") {
            let if_not = upper.contains("IF NOT EXISTS");
            let d = words.last().unwrap_or(&"").trim_matches('`').to_string();
            if fs.is_dir(&format!("{datadir}/{d}")) {
                if !if_not {
                    o.eprint(format!("ERROR 1007 (HY000) at line {line}: Can't create database '{d}'; database exists\n"));
                    return o.with_code(1);
                }
                continue;
            }
            let _ = fs.mkdir_all(&format!("{datadir}/{d}"));
            continue;
        }
        if upper.starts_with("DROP DATABASE") {
            let d = words.last().unwrap_or(&"").trim_matches('`').to_string();
            if fs.remove_all(&format!("{datadir}/{d}")).is_err() && !upper.contains("IF EXISTS") {
                o.eprint(format!("ERROR 1008 (HY000) at line {line}: Can't drop database '{d}'; database doesn't exist\n"));
                return o.with_code(1);
            }
            continue;
        }
        if upper.starts_with("SELECT VERSION()") {
            o.print(render(&["VERSION()".to_string()], &[vec![Some(server.version.clone())]], &[false], &a));
            continue;
        }
        let Some(dbname) = current.clone() else {
            o.eprint(format!("ERROR 1046 (3D000) at line {line}: No database selected\n"));
            return o.with_code(1);
        };
        let mut db = load_db(&fs, &datadir, &dbname);
        if upper == "SHOW TABLES" {
            let rows: Vec<Vec<Option<String>>> = db.tables.keys().map(|t| vec![Some(t.clone())]).collect();
            o.print(render(&[format!("Tables_in_{dbname}")], &rows, &[false], &a));
            continue;
        }
        let mut cat = Catalog { next_oid: 16384, ..Default::default() };
        let sql = to_engine_sql(&trimmed);
        let (events, err) = {
            let mut s = Session::new(&mut db, &mut cat, &env);
            s.run(&sql)
        };
        if let Some(e) = err {
            o.eprint(mysql_error(&e, &dbname, line));
            return o.with_code(1);
        }
        for name in std::mem::take(&mut db.dirty) {
            match db.tables.get(&name) {
                Some(t) => {
                    let _ = fs.write(&format!("{datadir}/{dbname}/{name}.ibd"), &super::postgres::table_to_text(t));
                }
                None => {
                    let _ = fs.remove(&format!("{datadir}/{dbname}/{name}.ibd"));
                }
            }
        }
        for e in events {
            if let Event::Rows(t) = e {
                let right: Vec<bool> = t.aligns.iter().map(|c| *c == 'r').collect();
                let rows = t.rows.clone();
                if !rows.is_empty() || !a.table {
                    o.print(render(&t.headers, &rows, &right, &a));
                }
            }
        }
    }
    let _ = append_log;
    o
}

fn server_fs_is_dir(ctx: &mut Ctx, p: &super::Proc, path: &str) -> bool {
    p.fs(ctx.cx.world).is_dir(path)
}

fn render(headers: &[String], rows: &[Vec<Option<String>>], right: &[bool], a: &Args) -> String {
    if a.table {
        return boxed(headers, rows, right);
    }
    let mut s = String::new();
    if !a.skip_names {
        s.push_str(&headers.join("\t"));
        s.push('\n');
    }
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| c.clone().unwrap_or_else(|| "NULL".into())).collect();
        s.push_str(&cells.join("\t"));
        s.push('\n');
    }
    s
}

/// `mysqladmin ping|status`
pub fn admin(ctx: &mut Ctx, args: &[String]) -> Output {
    let k = (ctx.p.pod_uid.clone(), ctx.p.container.clone());
    let up = ctx.cx.rt.running.get(&k).is_some_and(|r| matches!(r.server, ServerState::Mysql(_)));
    if args.iter().any(|a| a == "ping") {
        if up {
            return Output::out("mysqld is alive\n");
        }
        return Output::err(
            format!(
                "mysqladmin: connect to server at 'localhost' failed\nerror: 'Can't connect to local MySQL server through socket '{SOCK}' (2)'\nCheck that mysqld is running and that the socket: '{SOCK}' exists!\n"
            ),
            1,
        );
    }
    if args.iter().any(|a| a == "status") && up {
        return Output::out(
            "Uptime: 60  Threads: 2  Questions: 3  Slow queries: 0  Opens: 119  Flush tables: 3  Open tables: 38  Queries per second avg: 0.050\n",
        );
    }
    Output::err("mysqladmin: connect to server at 'localhost' failed\nerror: 'Access denied for user 'root'@'localhost' (using password: NO)'\n", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_ddl_translation_and_table_output() {
        assert_eq!(
            to_engine_sql("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB"),
            "CREATE TABLE t (id SERIAL PRIMARY KEY, name VARCHAR(20))"
        );
        let s = boxed(&["id".into(), "name".into()], &[vec![Some("1".into()), None]], &[true, false]);
        assert_eq!(s, "+----+------+\n| id | name |\n+----+------+\n|  1 | NULL |\n+----+------+\n");
    }
}
