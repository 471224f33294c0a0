//! `psql`: connects over the container's Unix socket or over TCP (by DNS
//! name, pod IP or localhost), authenticates as pg_hba.conf says, runs
//! `-c` strings, `-f` files or standard input, and prints results, notices
//! and errors exactly as psql of the image's major version does. Also
//! `pg_isready`.
//!
//! Options: `-U`, `-d`, `-h`, `-p`, `-c` (repeatable), `-f`, `-t`, `-A`,
//! `-F`, `-q`, `-x`, `-v`/`--set`, `-P`/`--pset`, `-l`, `-V`, `-w`, `-W`,
//! `-X`, `-a` (long forms too);
//! meta-commands `\q`, `\dt`, `\d [TABLE]`, `\l`, `\du`, `\conninfo`,
//! `\c DB`, `\echo`, and `\timing`, `\x`, `\pset`, `\set`, `\a`, `\t`,
//! `\encoding` accepted. SQL: [`super::sql`].

use super::net;
use super::postgres::{self, Handle, SOCKET};
use super::sql::{Catalog, Database, Env, Event, Session, SqlError};
use super::text::{PrintOpts, Table};
use super::{Ctx, Output, ProcKey, ServerState};

#[derive(Clone, Debug, Default)]
struct Args {
    commands: Vec<String>,
    file: Option<String>,
    user: Option<String>,
    db: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    opts: PrintOpts,
    quiet: bool,
    on_error_stop: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args::default();
    let mut positional = vec![];
    let mut i = 0;
    let take = |i: &mut usize, flag: &str| -> Result<String, String> {
        let arg = &args[*i];
        if let Some(v) = arg.strip_prefix(&format!("{flag}=")).filter(|_| flag.starts_with("--")) {
            return Ok(v.to_string());
        }
        if !flag.starts_with("--") && arg.len() > flag.len() {
            return Ok(arg[flag.len()..].to_string());
        }
        *i += 1;
        args.get(*i).cloned().ok_or_else(|| {
            format!("psql: option requires an argument -- '{}'\npsql: hint: Try \"psql --help\" for more information.\n", flag.trim_start_matches('-'))
        })
    };
    while i < args.len() {
        let arg = args[i].clone();
        let long = |name: &str| arg == name || arg.starts_with(&format!("{name}="));
        if long("--command") {
            a.commands.push(take(&mut i, "--command")?);
        } else if arg.starts_with("-c") {
            a.commands.push(take(&mut i, "-c")?);
        } else if long("--file") {
            a.file = Some(take(&mut i, "--file")?);
        } else if arg.starts_with("-f") {
            a.file = Some(take(&mut i, "-f")?);
        } else if long("--username") {
            a.user = Some(take(&mut i, "--username")?);
        } else if arg.starts_with("-U") {
            a.user = Some(take(&mut i, "-U")?);
        } else if long("--dbname") {
            a.db = Some(take(&mut i, "--dbname")?);
        } else if arg.starts_with("-d") {
            a.db = Some(take(&mut i, "-d")?);
        } else if long("--host") {
            a.host = Some(take(&mut i, "--host")?);
        } else if arg.starts_with("-h") {
            a.host = Some(take(&mut i, "-h")?);
        } else if long("--port") {
            a.port = take(&mut i, "--port")?.parse().ok();
        } else if arg.starts_with("-p") && !arg.starts_with("-P") {
            a.port = take(&mut i, "-p")?.parse().ok();
        } else if arg.starts_with("-v") || long("--set") || long("--variable") {
            let v = if arg.starts_with("-v") { take(&mut i, "-v")? } else { take(&mut i, if arg.starts_with("--set") { "--set" } else { "--variable" })? };
            if v.eq_ignore_ascii_case("ON_ERROR_STOP=1") || v.eq_ignore_ascii_case("ON_ERROR_STOP=on") {
                a.on_error_stop = true;
            }
        } else if arg.starts_with("-P") || long("--pset") {
            let v = if arg.starts_with("-P") { take(&mut i, "-P")? } else { take(&mut i, "--pset")? };
            if let Some(n) = v.strip_prefix("null=") {
                a.opts.null = n.to_string();
            }
            if v == "footer=off" {
                a.opts.footer = false;
            }
        } else if arg.starts_with("-F") || long("--field-separator") {
            a.opts.field_sep = if arg.starts_with("-F") { take(&mut i, "-F")? } else { take(&mut i, "--field-separator")? };
        } else if arg == "--list" {
            a.commands.push("\\l".into());
        } else if arg == "--tuples-only"
            || arg == "--no-align"
            || arg == "--quiet"
            || arg == "--no-psqlrc"
            || arg == "--no-password"
            || arg == "--password"
            || arg == "--echo-all"
        {
            match arg.as_str() {
                "--tuples-only" => a.opts.tuples_only = true,
                "--no-align" => a.opts.unaligned = true,
                "--quiet" => a.quiet = true,
                _ => {}
            }
        } else if arg.starts_with('-') && arg.len() > 1 && !arg.starts_with("--") {
            let flags: Vec<char> = arg[1..].chars().collect();
            for (k, c) in flags.iter().copied().enumerate() {
                if "cfUdhpvPF".contains(c) {
                    // An option with an argument ends the group: `-tAc SQL`.
                    let rest: String = flags[k + 1..].iter().collect();
                    let val = if !rest.is_empty() {
                        rest
                    } else {
                        i += 1;
                        match args.get(i) {
                            Some(v) => v.clone(),
                            None => return Err(format!("psql: option requires an argument -- '{c}'\npsql: hint: Try \"psql --help\" for more information.\n")),
                        }
                    };
                    match c {
                        'c' => a.commands.push(val),
                        'f' => a.file = Some(val),
                        'U' => a.user = Some(val),
                        'd' => a.db = Some(val),
                        'h' => a.host = Some(val),
                        'p' => a.port = val.parse().ok(),
                        'F' => a.opts.field_sep = val,
                        _ => {}
                    }
                    break;
                }
                match c {
                    't' => a.opts.tuples_only = true,
                    'A' => a.opts.unaligned = true,
                    'q' => a.quiet = true,
                    'l' => a.commands.push("\\l".into()),
                    'X' | 'w' | 'W' | 'e' | 'a' | 'b' | 'n' | 's' | 'S' | '1' => {}
                    'x' => {}
                    o => return Err(format!("psql: invalid option -- '{o}'\npsql: hint: Try \"psql --help\" for more information.\n")),
                }
            }
        } else if arg.starts_with("--") {
            return Err(format!("psql: unrecognized option '{arg}'\npsql: hint: Try \"psql --help\" for more information.\n"));
        } else {
            positional.push(arg);
        }
        i += 1;
    }
    if a.db.is_none() && !positional.is_empty() {
        a.db = Some(positional.remove(0));
    }
    if a.user.is_none() && !positional.is_empty() {
        a.user = Some(positional.remove(0));
    }
    Ok(a)
}

/// Where a client connects.
#[derive(Clone, Debug, PartialEq)]
enum Target {
    Socket,
    /// (host as given, address, loopback)
    Tcp(String, String, bool),
}

fn client_major(ctx: &Ctx) -> u32 {
    if ctx.img.server == super::image::Server::Postgres { ctx.img.major() } else { 17 }
}

/// How libpq words a connection failure (by client version).
fn conn_error(major: u32, target: &Target, port: u16, reason: &str) -> String {
    if major >= 14 {
        let head = match target {
            Target::Socket => format!("connection to server on socket \"{SOCKET}\" failed"),
            Target::Tcp(h, ip, _) if h == ip => format!("connection to server at \"{h}\", port {port} failed"),
            Target::Tcp(h, ip, _) => format!("connection to server at \"{h}\" ({ip}), port {port} failed"),
        };
        return format!("{head}: {reason}");
    }
    reason.to_string()
}

fn refused(major: u32, target: &Target, port: u16) -> String {
    match target {
        Target::Socket => {
            if major >= 14 {
                format!(
                    "{}\n\tIs the server running locally and accepting connections on that socket?\n",
                    conn_error(major, target, port, "No such file or directory")
                )
            } else {
                format!(
                    "could not connect to server: No such file or directory\n\tIs the server running locally and accepting\n\tconnections on Unix domain socket \"{SOCKET}\"?\n"
                )
            }
        }
        Target::Tcp(h, ip, _) => {
            if major >= 14 {
                format!("{}\n\tIs the server running on that host and accepting TCP/IP connections?\n", conn_error(major, target, port, "Connection refused"))
            } else if h == ip {
                format!(
                    "could not connect to server: Connection refused\n\tIs the server running on host \"{h}\" and accepting\n\tTCP/IP connections on port {port}?\n"
                )
            } else {
                format!(
                    "could not connect to server: Connection refused\n\tIs the server running on host \"{h}\" ({ip}) and accepting\n\tTCP/IP connections on port {port}?\n"
                )
            }
        }
    }
}

fn prefix(major: u32) -> &'static str {
    if major >= 13 { "psql: error: " } else { "psql: " }
}

/// The postgres server in this container (its Unix socket).
fn local_server(ctx: &Ctx) -> Option<ProcKey> {
    let key = (ctx.p.pod_uid.clone(), ctx.p.container.clone());
    let r = ctx.cx.rt.running.get(&key)?;
    if matches!(r.server, ServerState::Postgres(_)) && super::is_alive(ctx.cx.api, ctx.cx.world, ctx.cx.rt, &key) { Some(key) } else { None }
}

/// Resolves the host and finds the server each address reaches.
fn targets(ctx: &mut Ctx, host: Option<&str>, port: u16) -> Result<Vec<(Target, Option<ProcKey>)>, String> {
    match host {
        None => Ok(vec![(Target::Socket, local_server(ctx))]),
        Some(h) if h.starts_with('/') => Ok(vec![(Target::Socket, local_server(ctx))]),
        Some(h) => {
            let addrs = net::resolve(ctx, h).ok_or_else(|| net::dns_error(ctx).to_string())?;
            let mut v = vec![];
            for a in addrs {
                let dest = net::route(ctx, &a, port);
                let key = dest
                    .clone()
                    .and_then(|(uid, p)| net::listener(ctx, &uid, p))
                    .filter(|k| matches!(ctx.cx.rt.running.get(k).map(|r| &r.server), Some(ServerState::Postgres(_))));
                let loopback = a.kind == net::AddrKind::Loopback || dest.as_ref().is_some_and(|(uid, _)| *uid == ctx.p.pod_uid);
                v.push((Target::Tcp(h.to_string(), a.ip.clone(), loopback), key));
            }
            Ok(v)
        }
    }
}

/// An open connection.
struct Conn {
    server: Handle,
    user: String,
    db_name: String,
    db_oid: u32,
    target: Target,
    port: u16,
    pid: u32,
}

fn connect(ctx: &mut Ctx, a: &Args, major: u32) -> Result<Conn, (String, i32)> {
    let env_host = ctx.env.get("PGHOST").cloned();
    let host = a.host.clone().or(env_host).filter(|h| !h.is_empty());
    let port = a.port.or_else(|| ctx.env.get("PGPORT").and_then(|p| p.parse().ok())).unwrap_or(5432);
    let user = a.user.clone().or_else(|| ctx.env.get("PGUSER").cloned()).unwrap_or_else(|| "root".into());
    let db_name = a.db.clone().or_else(|| ctx.env.get("PGDATABASE").cloned()).unwrap_or_else(|| user.clone());
    let password = ctx.env.get("PGPASSWORD").cloned();
    let p = prefix(major);
    let found = match targets(ctx, host.as_deref(), port) {
        Ok(t) => t,
        Err(why) => return Err((format!("{p}could not translate host name \"{}\" to address: {why}\n", host.unwrap_or_default()), 2)),
    };
    let mut errors = String::new();
    for (target, key) in found {
        let Some(key) = key else {
            let msg = refused(major, &target, port);
            if errors.is_empty() {
                errors.push_str(p);
            }
            errors.push_str(&msg);
            continue;
        };
        let server = Handle::find(ctx.cx.rt, &key).expect("running postgres");
        let now = ctx.now();
        let pid = server.next_pid(ctx.cx.rt);
        let cat = load_catalog(ctx, &server);
        let fail = |ctx: &mut Ctx, msg: &str, detail: Option<String>| -> (String, i32) {
            let mut l = postgres_line(now, pid, "FATAL", msg);
            if let Some(d) = detail {
                l.push_str(&postgres_line(now, pid, "DETAIL", &d));
            }
            server.log(ctx.cx.world, &l);
            let text = if major >= 14 { conn_error(major, &target, port, &format!("FATAL:  {msg}")) } else { format!("FATAL:  {msg}") };
            (format!("{p}{text}\n"), 2)
        };
        // Authentication (pg_hba.conf): local and loopback are trusted.
        let remote = matches!(target, Target::Tcp(_, _, false));
        let stored = cat.roles.get(&user).cloned();
        if remote {
            let method = {
                let fs = server.fs(ctx.cx.world);
                postgres::host_auth(&fs, &server.pg.datadir)
            };
            if method != "trust" {
                match &password {
                    None => {
                        let reason = "fe_sendauth: no password supplied";
                        let text = if major >= 14 { conn_error(major, &target, port, reason) } else { reason.to_string() };
                        return Err((format!("{p}{text}\n"), 2));
                    }
                    Some(pw) => {
                        let ok = stored.as_ref().is_some_and(|s| !s.is_empty() && *s == super::sql::hash_password(pw));
                        if !ok {
                            let line = format!(
                                "Connection matched {}pg_hba.conf line {}: \"host all all all {method}\"",
                                if server.pg.major >= 16 { format!("file \"{}/", server.pg.datadir) } else { String::new() },
                                100
                            );
                            let line = if server.pg.major >= 16 { line.replacen("pg_hba.conf line", "pg_hba.conf\" line", 1) } else { line };
                            let detail = if stored.is_none() { format!("Role \"{user}\" does not exist.\n\t{line}") } else { line };
                            return Err(fail(ctx, &format!("password authentication failed for user \"{user}\""), Some(detail)));
                        }
                    }
                }
            }
        }
        if stored.is_none() {
            return Err(fail(ctx, &format!("role \"{user}\" does not exist"), None));
        }
        let Some(&db_oid) = cat.databases.get(&db_name) else {
            return Err(fail(ctx, &format!("database \"{db_name}\" does not exist"), None));
        };
        return Ok(Conn { server, user, db_name, db_oid, target, port, pid });
    }
    Err((errors, 2))
}

fn postgres_line(t: crate::engine::time::Time, pid: u32, level: &str, msg: &str) -> String {
    format!("{} [{pid}] {level}:  {msg}\n", postgres::ts(t))
}

fn load_catalog(ctx: &mut Ctx, h: &Handle) -> Catalog {
    let mut fs = h.fs(ctx.cx.world);
    postgres::DataDir { fs: &mut fs, path: h.pg.datadir.clone() }.catalog()
}

fn load_db(ctx: &mut Ctx, h: &Handle, name: &str, oid: u32) -> Database {
    let mut fs = h.fs(ctx.cx.world);
    postgres::DataDir { fs: &mut fs, path: h.pg.datadir.clone() }.database(name, oid)
}

/// psql's rendering of an error (with the caret line under the position).
pub fn format_error(e: &SqlError, query: &str, line_prefix: &str) -> String {
    let mut s = format!("{line_prefix}{}:  {}\n", e.severity, e.message);
    if let Some(pos) = e.position {
        s.push_str(&error_position(query, pos));
    }
    if let Some(d) = &e.detail {
        s.push_str(&format!("DETAIL:  {d}\n"));
    }
    if let Some(h) = &e.hint {
        s.push_str(&format!("HINT:  {h}\n"));
    }
    s
}

/// libpq's reportErrorPosition: the line holding the error, trimmed to
/// about 60 columns around it, and a caret under the position.
fn error_position(query: &str, pos: usize) -> String {
    use super::text::char_width;
    const DISPLAY: usize = 60;
    const MIN_RIGHT_CUT: usize = 10;
    let chars: Vec<char> = query.chars().collect();
    let loc = pos.saturating_sub(1).min(chars.len());
    // Screen column of each char, with tabs and newlines handled.
    let mut scr = vec![0usize; chars.len() + 1];
    let mut line_no = 1;
    let mut ibeg = 0;
    let mut iend = chars.len();
    let mut col = 0;
    let mut found_line = false;
    for i in 0..chars.len() {
        scr[i] = col;
        if chars[i] == '\n' {
            if i < loc {
                line_no += 1;
                ibeg = i + 1;
                col = 0;
                continue;
            } else if !found_line {
                iend = i;
                found_line = true;
            }
        }
        col += if chars[i] == '\t' { 1 } else { char_width(chars[i]).max(1) };
    }
    scr[chars.len()] = col;
    let base = scr[ibeg];
    let sc = |i: usize| scr[i] - base;
    let mut beg_trunc = false;
    let mut end_trunc = false;
    if sc(iend) > DISPLAY {
        if sc(loc) + MIN_RIGHT_CUT <= DISPLAY {
            while iend > ibeg && sc(iend) > DISPLAY {
                iend -= 1;
            }
            end_trunc = true;
        } else {
            while iend > loc && sc(loc) + MIN_RIGHT_CUT < sc(iend) {
                iend -= 1;
                end_trunc = true;
            }
            while ibeg < loc && sc(iend) - sc(ibeg) > DISPLAY {
                ibeg += 1;
                beg_trunc = true;
            }
        }
    }
    let text: String = chars[ibeg..iend].iter().map(|c| if *c == '\t' { ' ' } else { *c }).collect();
    let mut s = format!("LINE {line_no}: ");
    if beg_trunc {
        s.push_str("...");
    }
    let prefix_w = s.chars().count();
    s.push_str(&text);
    if end_trunc {
        s.push_str("...");
    }
    s.push('\n');
    let caret = prefix_w + scr[loc.max(ibeg)] - scr[ibeg];
    s.push_str(&" ".repeat(caret));
    s.push_str("^\n");
    s
}

/// `psql`
pub fn main(ctx: &mut Ctx, args: &[String], stdin: &str) -> Output {
    let major = client_major(ctx);
    if args.iter().any(|a| a == "--version" || a == "-V") {
        let pkg = ctx.img.env.iter().find(|(k, _)| k == "PG_VERSION").map(|(_, v)| v.clone()).unwrap_or_default();
        return Output::out(if ctx.img.alpine() {
            format!("psql (PostgreSQL) {}\n", ctx.img.version)
        } else {
            format!("psql (PostgreSQL) {} (Debian {pkg})\n", ctx.img.version)
        });
    }
    let a = match parse_args(args) {
        Ok(a) => a,
        Err(e) => return Output::err(e, 1),
    };
    let mut out = Output::default();
    let script: Option<(String, String)> = match &a.file {
        Some(f) if f == "-" => Some((stdin.to_string(), "<stdin>".into())),
        Some(f) => match ctx.fs().read(f) {
            Ok(c) => Some((c, f.clone())),
            Err(e) => return Output::err(format!("psql: error: {f}: {}\n", e.text()), 1),
        },
        None if a.commands.is_empty() => Some((stdin.to_string(), "<stdin>".into())),
        None => None,
    };
    let mut conn = match connect(ctx, &a, major) {
        Ok(c) => c,
        Err((msg, code)) => return Output::err(msg, code),
    };
    let now = ctx.now();
    let mut cat = load_catalog(ctx, &conn.server);
    let mut db = load_db(ctx, &conn.server, &conn.db_name, conn.db_oid);
    let env = Env {
        user: conn.user.clone(),
        version_string: conn.server.pg.version_string.clone(),
        server_version: format!(
            "{} ({})",
            conn.server.pg.version,
            conn.server.pg.version_string.split('(').nth(1).and_then(|s| s.split(')').next()).unwrap_or("")
        ),
        now_us: now.0 * 1000,
        major: conn.server.pg.major,
    };
    let mut code = 0;
    let show_all = major >= 15;
    if let Some((src, name)) = script {
        // Statement by statement, as psql reads a script.
        let mut session_tx = (false, false);
        for (stmt, line) in script_statements(&src) {
            if let Some(meta) = stmt.strip_prefix('\\') {
                let (o, quit) = meta_command(ctx, &mut conn, &mut cat, &mut db, meta, &a.opts);
                out.append(o);
                if quit {
                    break;
                }
                continue;
            }
            let r = run_one(ctx, &conn, &mut cat, &mut db, &env, &stmt, &mut session_tx, &a, true, &format!("psql:{name}:{line}: "));
            out.append(r.0);
            if r.1 && a.on_error_stop {
                code = 3;
                break;
            }
            if r.2 {
                code = 2;
                break;
            }
        }
        out.code = code;
        return out;
    }
    for cmd in &a.commands {
        if let Some(meta) = cmd.trim_start().strip_prefix('\\') {
            let (o, _) = meta_command(ctx, &mut conn, &mut cat, &mut db, meta, &a.opts);
            let failed = o.code != 0;
            out.append(o);
            if failed {
                code = 1;
                break;
            }
            continue;
        }
        let mut tx = (false, false);
        let r = run_one(ctx, &conn, &mut cat, &mut db, &env, cmd, &mut tx, &a, show_all, "");
        out.append(r.0);
        if r.2 {
            code = 2;
            break;
        }
        if r.1 {
            code = 1;
            break;
        }
    }
    out.code = code;
    out
}

/// Runs one query string; returns (output, failed, connection lost).
fn run_one(
    ctx: &mut Ctx,
    conn: &Conn,
    cat: &mut Catalog,
    db: &mut Database,
    env: &Env,
    query: &str,
    tx: &mut (bool, bool),
    a: &Args,
    show_all: bool,
    err_prefix: &str,
) -> (Output, bool, bool) {
    let mut out = Output::default();
    // The server may have died since the connection was made.
    if !super::is_alive(ctx.cx.api, ctx.cx.world, ctx.cx.rt, &conn.server.key) || ctx.cx.rt.exits.get(&conn.server.key).is_some_and(|e| e.at <= ctx.now()) {
        out.eprint("server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.\nconnection to server was lost\n");
        return (out, true, true);
    }
    let (events, err, written) = {
        let mut s = Session::new(db, cat, env);
        s.in_tx = tx.0;
        s.tx_failed = tx.1;
        let (events, err) = s.run(query);
        *tx = (s.in_tx, s.tx_failed);
        let in_tx = s.in_tx;
        drop(s);
        let written = if !in_tx { conn.server.commit(ctx.cx.rt, ctx.cx.world, ctx.now(), cat, db) } else { vec![] };
        (events, err, written)
    };
    // Two servers on one data directory: the written pages are torn.
    if !written.is_empty() && conn.server.split(ctx.cx.rt) {
        postgres::crash_split_servers(ctx.cx, &conn.server.pg.dir, &written[0]);
    }
    // psql before 15 shows only the last statement's result (PQexec).
    let n_end = events.iter().filter(|e| matches!(e, Event::End)).count();
    let mut stmt_no = 0;
    for e in events.iter() {
        let shown = show_all || (err.is_none() && stmt_no + 1 == n_end);
        match e {
            Event::Notice(n) => out.eprint(format!("{err_prefix}{n}\n")),
            Event::Tag(t) => {
                if shown && !a.quiet {
                    out.print(format!("{t}\n"));
                }
            }
            Event::Rows(t) => {
                if shown {
                    out.print(t.print(&a.opts));
                }
            }
            Event::End => stmt_no += 1,
        }
    }
    if let Some(e) = &err {
        out.eprint(format_error(e, query, err_prefix));
        let mut l = postgres_line(
            ctx.now(),
            conn.pid,
            "ERROR",
            &match e.position {
                Some(p) => format!("{} at character {p}", e.message),
                None => e.message.clone(),
            },
        );
        if let Some(d) = &e.detail {
            l.push_str(&postgres_line(ctx.now(), conn.pid, "DETAIL", d));
        }
        if let Some(h) = &e.hint {
            l.push_str(&postgres_line(ctx.now(), conn.pid, "HINT", h));
        }
        l.push_str(&postgres_line(ctx.now(), conn.pid, "STATEMENT", query));
        conn.server.log(ctx.cx.world, &l);
    }
    (out, err.is_some(), false)
}

/// Splits a script into statements (ending at `;`) and backslash commands,
/// with the line each ends on.
fn script_statements(src: &str) -> Vec<(String, usize)> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut in_str = false;
    for (n, line) in src.lines().enumerate() {
        let ln = n + 1;
        if !in_str && cur.trim().is_empty() && line.trim_start().starts_with('\\') {
            out.push((line.trim().to_string(), ln));
            cur.clear();
            continue;
        }
        for c in line.chars() {
            if c == '\'' {
                in_str = !in_str;
            }
            cur.push(c);
            if c == ';' && !in_str {
                let stmt = cur.trim().to_string();
                if stmt != ";" {
                    out.push((stmt, ln));
                }
                cur.clear();
            }
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
    }
    if !cur.trim().is_empty() {
        // psql sends an unterminated last statement at end of input.
        out.push((cur.trim().to_string(), src.lines().count()));
    }
    out
}

fn meta_command(ctx: &mut Ctx, conn: &mut Conn, cat: &mut Catalog, db: &mut Database, meta: &str, opts: &PrintOpts) -> (Output, bool) {
    let mut parts = meta.split_whitespace();
    let cmd = parts.next().unwrap_or("");
    let arg = parts.next();
    let major = client_major(ctx);
    match cmd {
        "q" | "quit" => (Output::ok(), true),
        "dt" | "dt+" | "d" | "d+" if arg.is_none() || cmd.starts_with("dt") => {
            let mut rows: Vec<Vec<Option<String>>> = vec![];
            let mut names: Vec<(&String, &str, &str)> = vec![];
            for (n, t) in &db.tables {
                names.push((n, "table", t.owner.as_str()));
            }
            let seqs: Vec<(String, String)> = db.tables.values().flat_map(|t| t.sequences.keys().map(move |s| (s.clone(), t.owner.clone()))).collect();
            let with_seqs = cmd.starts_with('d') && !cmd.starts_with("dt");
            let mut all: Vec<(String, &str, String)> = names.iter().map(|(n, k, o)| (n.to_string(), *k, o.to_string())).collect();
            if with_seqs {
                for (s, o) in seqs {
                    all.push((s, "sequence", o));
                }
            }
            crate::engine::sort::sort_by(&mut all, |a, b| a.0.cmp(&b.0));
            if let Some(pat) = arg {
                all.retain(|(n, _, _)| super::sh::glob_match(pat, n));
            }
            if all.is_empty() {
                let msg = match (arg, major >= 15 && cmd.starts_with("dt")) {
                    (Some(p), true) => format!("Did not find any tables named \"{p}\".\n"),
                    (Some(p), false) => format!("Did not find any relation named \"{p}\".\n"),
                    (None, true) => "Did not find any tables.\n".into(),
                    (None, false) => "Did not find any relations.\n".into(),
                };
                return (Output::err(msg, 0), false);
            }
            for (n, k, o) in all {
                rows.push(vec![Some("public".into()), Some(n), Some(k.into()), Some(o)]);
            }
            let t = Table {
                title: Some("List of relations".into()),
                headers: vec!["Schema".into(), "Name".into(), "Type".into(), "Owner".into()],
                aligns: vec!['l'; 4],
                rows,
                footers: None,
            };
            (Output::out(t.print(opts)), false)
        }
        "d" | "d+" => {
            let name = arg.unwrap();
            let Some(t) = db.tables.get(name) else {
                return (Output::err(format!("Did not find any relation named \"{name}\".\n"), 1), false);
            };
            let rows = t
                .columns
                .iter()
                .map(|c| {
                    vec![
                        Some(c.name.clone()),
                        Some(c.ty.name()),
                        Some(String::new()),
                        Some(if c.not_null { "not null".into() } else { String::new() }),
                        Some(c.default.clone().unwrap_or_default()),
                    ]
                })
                .collect();
            let mut footers = vec![];
            let mut idx = vec![];
            if let Some((n, cols)) = &t.pkey {
                let names: Vec<&str> = cols.iter().map(|i| t.columns[*i].name.as_str()).collect();
                idx.push(format!("    \"{n}\" PRIMARY KEY, btree ({})", names.join(", ")));
            }
            for (n, cols) in &t.uniques {
                let names: Vec<&str> = cols.iter().map(|i| t.columns[*i].name.as_str()).collect();
                idx.push(format!("    \"{n}\" UNIQUE CONSTRAINT, btree ({})", names.join(", ")));
            }
            if !idx.is_empty() {
                footers.push("Indexes:".to_string());
                footers.extend(idx);
            }
            let tab = Table {
                title: Some(format!("Table \"public.{name}\"")),
                headers: vec!["Column".into(), "Type".into(), "Collation".into(), "Nullable".into(), "Default".into()],
                aligns: vec!['l'; 5],
                rows,
                footers: Some(footers),
            };
            (Output::out(tab.print(opts)), false)
        }
        "l" | "list" | "l+" => (Output::out(list_databases(cat, major).print(opts)), false),
        "du" | "dg" => {
            let rows = cat
                .roles
                .keys()
                .map(|r| {
                    let attrs = if r == &conn.user || cat.roles.len() == 1 { "Superuser, Create role, Create DB, Replication, Bypass RLS" } else { "" };
                    if major >= 16 { vec![Some(r.clone()), Some(attrs.into())] } else { vec![Some(r.clone()), Some(attrs.into()), Some("{}".into())] }
                })
                .collect();
            let (headers, aligns) = if major >= 16 {
                (vec!["Role name".into(), "Attributes".into()], vec!['l'; 2])
            } else {
                (vec!["Role name".into(), "Attributes".into(), "Member of".into()], vec!['l'; 3])
            };
            let t = Table { title: Some("List of roles".into()), headers, aligns, rows, footers: Some(vec![]) };
            (Output::out(t.print(opts)), false)
        }
        "conninfo" => {
            let s = match &conn.target {
                Target::Socket => format!(
                    "You are connected to database \"{}\" as user \"{}\" via socket in \"/var/run/postgresql\" at port \"{}\".\n",
                    conn.db_name, conn.user, conn.port
                ),
                Target::Tcp(h, ip, _) if h == ip => {
                    format!("You are connected to database \"{}\" as user \"{}\" on host \"{h}\" at port \"{}\".\n", conn.db_name, conn.user, conn.port)
                }
                Target::Tcp(h, ip, _) => format!(
                    "You are connected to database \"{}\" as user \"{}\" on host \"{h}\" (address \"{ip}\") at port \"{}\".\n",
                    conn.db_name, conn.user, conn.port
                ),
            };
            (Output::out(s), false)
        }
        "c" | "connect" => {
            let Some(name) = arg else { return (Output::ok(), false) };
            match cat.databases.get(name) {
                Some(&oid) => {
                    conn.db_name = name.to_string();
                    conn.db_oid = oid;
                    *db = load_db(ctx, &conn.server, name, oid);
                    (Output::out(format!("You are now connected to database \"{name}\" as user \"{}\".\n", conn.user)), false)
                }
                None => {
                    let msg =
                        format!("connection to server on socket \"{SOCKET}\" failed: FATAL:  database \"{name}\" does not exist\nPrevious connection kept\n");
                    (Output::err(msg, 1), false)
                }
            }
        }
        "echo" => (Output::out(format!("{}\n", meta.trim_start_matches("echo").trim())), false),
        "timing" | "x" | "pset" | "set" | "a" | "t" | "encoding" => (Output::ok(), false),
        _ => (Output::err(format!("invalid command \\{cmd}\nTry \\? for help.\n"), 1), false),
    }
}

fn list_databases(cat: &Catalog, major: u32) -> Table {
    let acl = |n: &str| if n.starts_with("template") { Some("=c/postgres\npostgres=CTc/postgres".to_string()) } else { Some(String::new()) };
    let owner = cat.roles.keys().next().cloned().unwrap_or_else(|| "postgres".into());
    let mut rows = vec![];
    for n in cat.databases.keys() {
        let base = vec![Some(n.clone()), Some(owner.clone()), Some("UTF8".to_string())];
        let row: Vec<Option<String>> = match major {
            m if m >= 17 => {
                [base, vec![Some("libc".into()), Some("en_US.utf8".into()), Some("en_US.utf8".into()), Some(String::new()), Some(String::new()), acl(n)]]
                    .concat()
            }
            16 => [base, vec![Some("libc".into()), Some("en_US.utf8".into()), Some("en_US.utf8".into()), Some(String::new()), Some(String::new()), acl(n)]]
                .concat(),
            15 => [base, vec![Some("en_US.utf8".into()), Some("en_US.utf8".into()), Some(String::new()), Some("libc".into()), acl(n)]].concat(),
            _ => [base, vec![Some("en_US.utf8".into()), Some("en_US.utf8".into()), acl(n)]].concat(),
        };
        rows.push(row);
    }
    let headers: Vec<&str> = match major {
        m if m >= 17 => vec!["Name", "Owner", "Encoding", "Locale Provider", "Collate", "Ctype", "Locale", "ICU Rules", "Access privileges"],
        16 => vec!["Name", "Owner", "Encoding", "Locale Provider", "Collate", "Ctype", "ICU Locale", "ICU Rules", "Access privileges"],
        15 => vec!["Name", "Owner", "Encoding", "Collate", "Ctype", "ICU Locale", "Locale Provider", "Access privileges"],
        _ => vec!["Name", "Owner", "Encoding", "Collate", "Ctype", "Access privileges"],
    };
    Table {
        title: Some("List of databases".into()),
        headers: headers.iter().map(|s| s.to_string()).collect(),
        aligns: vec!['l'; headers.len()],
        rows,
        footers: None,
    }
}

/// `pg_isready`
pub fn pg_isready(ctx: &mut Ctx, args: &[String]) -> Output {
    let a = match parse_args(&args.iter().filter(|x| *x != "-q" && *x != "--quiet").cloned().collect::<Vec<_>>()) {
        Ok(a) => a,
        Err(e) => return Output::err(e.replace("psql", "pg_isready"), 3),
    };
    let quiet = args.iter().any(|x| x == "-q" || x == "--quiet");
    let port = a.port.unwrap_or(5432);
    let host = a.host.clone().or_else(|| ctx.env.get("PGHOST").cloned());
    let shown = match host.as_deref() {
        None => "/var/run/postgresql".to_string(),
        Some(h) => h.to_string(),
    };
    let (msg, code) = match targets(ctx, host.as_deref(), port) {
        Ok(t) if t.iter().any(|(_, k)| k.is_some()) => ("accepting connections", 0),
        Ok(_) => ("no response", 2),
        Err(_) => ("no attempt", 3),
    };
    if quiet {
        return Output::ok().with_code(code);
    }
    Output::out(format!("{shown}:{port} - {msg}\n")).with_code(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_positions() {
        assert_eq!(error_position("SELECT * FROM users", 15), "LINE 1: SELECT * FROM users\n                      ^\n");
        assert_eq!(error_position("SELECT *\nFROM nope", 15), "LINE 2: FROM nope\n             ^\n");
        let long = format!("INSERT INTO t VALUES ({})", (0..30).map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
        let pos = long.find("29").unwrap() + 1;
        let s = error_position(&long, pos);
        assert!(s.starts_with("LINE 1: ..."), "{s}");
        assert!(s.lines().nth(1).unwrap().ends_with('^'));
    }

    #[test]
    fn script_splitting() {
        let s = script_statements("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n\\dt\nSELECT 'a;b'\n;\n");
        assert_eq!(s, vec![("CREATE TABLE t (a int);".into(), 1), ("INSERT INTO t VALUES (1);".into(), 2), ("\\dt".into(), 3), ("SELECT 'a;b'\n;".into(), 5)]);
    }

    #[test]
    fn args() {
        let a = parse_args(&["-U".into(), "postgres".into(), "-d".into(), "app".into(), "-tAc".into(), "SELECT 1".into()]).unwrap();
        assert_eq!((a.opts.tuples_only, a.opts.unaligned, a.commands[0].as_str()), (true, true, "SELECT 1"));
        assert!(parse_args(&["-Z".into()]).unwrap_err().contains("invalid option"));
        let a = parse_args(&["-U".into(), "postgres".into(), "-t".into(), "-c".into(), "SELECT 1".into()]).unwrap();
        assert_eq!((a.user.as_deref(), a.commands.len(), a.opts.tuples_only), (Some("postgres"), 1, true));
        let a = parse_args(&["-Upostgres".into(), "--dbname=x".into(), "-hpg-0.pg".into()]).unwrap();
        assert_eq!((a.user.as_deref(), a.db.as_deref(), a.host.as_deref()), (Some("postgres"), Some("x"), Some("pg-0.pg")));
    }
}
