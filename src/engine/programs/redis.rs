//! The redis image: `redis-server` (its startup log, keys in memory, RDB
//! snapshots by the default `save` rules and on shutdown, the append-only
//! file with `--appendonly yes`, loading either at start) and `redis-cli`
//! (non-tty raw output, errors, `-h`/`-p`/`-a`, commands from stdin).
//!
//! Commands: `PING`, `ECHO`, `AUTH`, `SELECT`, `INFO`, `CONFIG GET`,
//! `DBSIZE`, `KEYS`, `EXISTS`, `TYPE`, `DEL`, `UNLINK`, `FLUSHDB`,
//! `FLUSHALL`, `SAVE`, `BGSAVE`, `LASTSAVE`; strings `GET`, `SET` (no
//! options: no `EX`, `NX`, ...), `SETNX`, `MGET`, `MSET`, `APPEND`, `STRLEN`, `INCR`,
//! `INCRBY`, `DECR`, `DECRBY`; hashes `HSET`, `HMSET`, `HGET`, `HGETALL`;
//! lists `LPUSH`, `RPUSH`, `LPOP`, `RPOP`, `LLEN`, `LRANGE`; sets `SADD`,
//! `SMEMBERS`. Anything else: `ERR unknown command`.

use super::{Ctx, Main, Output, ProcKey, Runtime, ServerState, append_log, net};
use crate::engine::time::Time;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Str(String),
    List(Vec<String>),
    Hash(BTreeMap<String, String>),
    Set(BTreeSet<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct RedisServer {
    pub dir: String,
    pub version: String,
    pub keys: BTreeMap<String, Box<Val>>,
    /// Changes since the last RDB save.
    pub dirty: u64,
    pub last_save: Time,
    pub last_write: Time,
    pub appendonly: bool,
    /// `save` rules (seconds, changes); empty = RDB snapshots off.
    pub save_rules: Vec<(i64, u64)>,
    pub password: Option<String>,
    pub bgsave_pid: u32,
}

fn ts(t: Time) -> String {
    // "05 Jan 2026 09:00:00.000"
    let s = t.rfc1123z();
    let p: Vec<&str> = s.split(' ').collect();
    format!("{} {} {} {}.{:03}", p[1], p[2], p[3], p[4], t.0.rem_euclid(1000))
}

fn l(t: Time, role: char, level: char, msg: &str) -> String {
    format!("1:{role} {} {level} {msg}\n", ts(t))
}

const RDB: &str = "dump.rdb";

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut o = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('t') => o.push('\t'),
                Some('n') => o.push('\n'),
                Some(x) => o.push(x),
                None => {}
            }
        } else {
            o.push(c);
        }
    }
    o
}

/// A key's value (values are boxed: the map then shares its code with the
/// other `String => Box<_>` maps).
fn val<'a>(keys: &'a BTreeMap<String, Box<Val>>, k: &str) -> Option<&'a Val> {
    keys.get(k).map(|v| &**v)
}

/// Our RDB file: redis' magic and version, then one line per key.
fn dump(keys: &BTreeMap<String, Box<Val>>, version: &str) -> String {
    let rdbver = if version.starts_with('8') || version.starts_with("7.4") {
        "0012"
    } else if version.starts_with('7') {
        "0011"
    } else {
        "0009"
    };
    let mut s = format!("REDIS{rdbver}\nredis-ver\t{version}\n");
    for (k, v) in keys {
        let (t, body) = match &**v {
            Val::Str(x) => ("string", escape(x)),
            Val::List(x) => ("list", x.iter().map(|e| escape(e)).collect::<Vec<_>>().join("\t")),
            Val::Set(x) => ("set", x.iter().map(|e| escape(e)).collect::<Vec<_>>().join("\t")),
            Val::Hash(x) => ("hash", x.iter().map(|(a, b)| format!("{}\t{}", escape(a), escape(b))).collect::<Vec<_>>().join("\t")),
        };
        s.push_str(&format!("{t}\t{}\t{body}\n", escape(k)));
    }
    s
}

fn load(text: &str) -> BTreeMap<String, Box<Val>> {
    let mut keys = BTreeMap::new();
    for line in text.lines().skip(2) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 2 {
            continue;
        }
        let k = unescape(f[1]);
        let rest: Vec<String> = f[2..].iter().map(|s| unescape(s)).collect();
        let v = match f[0] {
            "string" => Val::Str(rest.first().cloned().unwrap_or_default()),
            "list" => Val::List(rest),
            "set" => Val::Set(crate::engine::sort::set_from(rest)),
            "hash" => Val::Hash(crate::engine::sort::map_from(rest.chunks(2).filter(|c| c.len() == 2).map(|c| (c[0].clone(), c[1].clone())))),
            _ => continue,
        };
        keys.insert(k, Box::new(v));
    }
    keys
}

/// `docker-entrypoint.sh [args]`
pub fn entrypoint(ctx: &mut Ctx, args: &[String]) -> Main {
    let mut args: Vec<String> = args.to_vec();
    if args.first().is_some_and(|a| a.starts_with('-') || a.ends_with(".conf")) {
        args.insert(0, "redis-server".into());
    }
    if args.first().map(|s| s.as_str()) == Some("redis-server") {
        return server(ctx, &args[1..], String::new());
    }
    if args.is_empty() {
        return Main::Exited { code: 0, log: String::new() };
    }
    super::sh::run_main(ctx, &args)
}

/// redis-server as PID 1.
pub fn server(ctx: &mut Ctx, args: &[String], mut log: String) -> Main {
    let now = ctx.now();
    let version = ctx.img.version.clone();
    let mut appendonly = false;
    let mut save_rules: Vec<(i64, u64)> = vec![(3600, 1), (300, 100), (60, 10000)];
    let mut dir = ctx.cwd.clone();
    let mut port = 6379;
    let mut password = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].trim_start_matches("--");
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match a {
            "appendonly" => {
                appendonly = v == "yes";
                i += 1;
            }
            "save" => {
                let nums: Vec<&str> = v.split_whitespace().collect();
                save_rules = nums.chunks(2).filter_map(|c| Some((c.first()?.parse().ok()?, c.get(1)?.parse().ok()?))).collect();
                i += 1;
            }
            "dir" => {
                dir = v.clone();
                i += 1;
            }
            "port" => {
                port = v.parse().unwrap_or(6379);
                i += 1;
            }
            "requirepass" => {
                password = Some(v.clone());
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    let _ = port;
    log.push_str(&l(now, 'C', '#', "WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition. Being disabled, it can also cause failures without low memory condition, see https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect."));
    log.push_str(&l(now, 'C', '*', "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"));
    log.push_str(&l(now, 'C', '*', &format!("Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, just started")));
    if args.is_empty() {
        log.push_str(&l(
            now,
            'C',
            '#',
            "Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf",
        ));
    } else {
        log.push_str(&l(now, 'C', '*', "Configuration loaded"));
    }
    log.push_str(&l(now, 'M', '*', "monotonic clock: POSIX clock_gettime"));
    log.push_str(&l(now, 'M', '*', "Running mode=standalone, port=6379."));
    log.push_str(&l(now, 'M', '*', "Server initialized"));
    // Load what is on disk.
    let (keys, loaded) = {
        let fs = ctx.fs();
        let aof = fs.read(&format!("{dir}/appendonlydir/appendonly.aof.1.incr.aof")).ok();
        if appendonly && aof.is_some() {
            (load(aof.as_deref().unwrap_or("")), Some("aof"))
        } else if let Ok(rdb) = fs.read(&format!("{dir}/{RDB}")) {
            (load(&rdb), Some("rdb"))
        } else {
            (BTreeMap::new(), None)
        }
    };
    match loaded {
        Some("aof") => {
            log.push_str(&l(now, 'M', '*', "Reading RDB base file on AOF loading..."));
            log.push_str(&l(now, 'M', '*', &format!("Loading RDB produced by version {version}")));
            log.push_str(&l(now, 'M', '*', "RDB is base AOF"));
            log.push_str(&l(now, 'M', '*', "Done loading RDB, keys loaded: 0, keys expired: 0."));
            log.push_str(&l(now, 'M', '*', "DB loaded from base file appendonly.aof.1.base.rdb: 0.001 seconds"));
            log.push_str(&l(now, 'M', '*', "DB loaded from incr file appendonly.aof.1.incr.aof: 0.000 seconds"));
            log.push_str(&l(now, 'M', '*', "DB loaded from append only file: 0.001 seconds"));
            log.push_str(&l(now, 'M', '*', "Opening AOF incr file appendonly.aof.1.incr.aof on server start"));
        }
        Some(_) => {
            log.push_str(&l(now, 'M', '*', &format!("Loading RDB produced by version {version}")));
            log.push_str(&l(now, 'M', '*', "RDB age 0 seconds"));
            log.push_str(&l(now, 'M', '*', "RDB memory usage when created 0.90 Mb"));
            log.push_str(&l(now, 'M', '*', &format!("Done loading RDB, keys loaded: {}, keys expired: 0.", keys.len())));
            log.push_str(&l(now, 'M', '*', "DB loaded from disk: 0.000 seconds"));
        }
        None => {}
    }
    if appendonly && loaded != Some("aof") {
        log.push_str(&l(now, 'M', '*', "Creating AOF base file appendonly.aof.1.base.rdb on server start"));
        log.push_str(&l(now, 'M', '*', "Creating AOF incr file appendonly.aof.1.incr.aof on server start"));
        let mut fs = ctx.fs();
        let _ = fs.mkdir_all(&format!("{dir}/appendonlydir"));
        let _ = fs.write(&format!("{dir}/appendonlydir/appendonly.aof.1.base.rdb"), &dump(&BTreeMap::new(), &version));
        let _ = fs.write(&format!("{dir}/appendonlydir/appendonly.aof.1.incr.aof"), &dump(&keys, &version));
        let _ = fs.write(
            &format!("{dir}/appendonlydir/appendonly.aof.manifest"),
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
        );
    }
    log.push_str(&l(now, 'M', '*', "Ready to accept connections tcp"));
    let st = RedisServer { dir, version, keys, dirty: 0, last_save: now, last_write: now, appendonly, save_rules, password, bgsave_pid: 20 };
    Main::Running { log, server: ServerState::Redis(st) }
}

/// `redis-server --version` by hand.
pub fn server_tool(ctx: &mut Ctx, args: &[String]) -> Output {
    if args.iter().any(|a| a == "--version" || a == "-v") {
        return Output::out(format!("Redis server v={} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1f0c3a8b8b3e1c39\n", ctx.img.version));
    }
    Output::err(
        format!(
            "1:M {} # Warning: Could not create server TCP listening socket *:6379: bind: Address already in use\n1:M {} # Failed listening on port 6379 (tcp), aborting.\n",
            ts(ctx.now()),
            ts(ctx.now())
        ),
        1,
    )
}

/// Writes an RDB snapshot (background save) and logs it.
fn bgsave(rt: &mut Runtime, world: &mut crate::engine::world::World, key: &ProcKey, at: Time, reason: Option<(u64, i64)>) {
    let Some(r) = rt.running.get_mut(key) else { return };
    let ServerState::Redis(st) = &mut r.server else { return };
    st.bgsave_pid += 1;
    let pid = st.bgsave_pid;
    let text = dump(&st.keys, &st.version);
    let dir = st.dir.clone();
    st.dirty = 0;
    st.last_save = at;
    let proc = r.proc.clone();
    let mut log = String::new();
    if let Some((changes, secs)) = reason {
        log.push_str(&l(at, 'M', '*', &format!("{changes} changes in {secs} seconds. Saving...")));
    }
    log.push_str(&l(at, 'M', '*', &format!("Background saving started by pid {pid}")));
    log.push_str(&format!("{pid}:C {} * DB saved on disk\n", ts(at)));
    log.push_str(&format!("{pid}:C {} * Fork CoW for RDB: current 0 MB, peak 0 MB, average 0 MB\n", ts(at)));
    log.push_str(&l(at, 'M', '*', "Background saving terminated with success"));
    let _ = proc.fs(world).write(&format!("{dir}/{RDB}"), &text);
    append_log(world, &proc, &log);
}

/// The `save` rules fire when enough changes are old enough (serverCron).
fn catch_up(rt: &mut Runtime, world: &mut crate::engine::world::World, key: &ProcKey, now: Time) {
    let Some(r) = rt.running.get(key) else { return };
    let ServerState::Redis(st) = &r.server else { return };
    if st.dirty == 0 {
        return;
    }
    for (secs, changes) in st.save_rules.clone() {
        let due = Time(st.last_save.0 + secs * 1000);
        if st.dirty >= changes && due <= now {
            let at = if due < st.last_write { st.last_write } else { due };
            let dirty = st.dirty;
            bgsave(rt, world, key, at, Some((dirty, secs)));
            return;
        }
    }
}

/// The server is stopped: SIGTERM saves a final snapshot; power loss
/// loses what was not saved yet.
pub fn stop(ctx: &mut Ctx, st: RedisServer, clean: bool) -> String {
    let now = ctx.now();
    if !clean {
        // A snapshot the save rules took before the power went out is on
        // disk; anything after it is lost.
        for (secs, changes) in st.save_rules.clone() {
            let due = Time(st.last_save.0 + secs * 1000);
            if st.dirty >= changes && due <= now {
                let _ = ctx.fs().write(&format!("{}/{RDB}", st.dir), &dump(&st.keys, &st.version));
                let at = due.max(st.last_write);
                let mut log = l(at, 'M', '*', &format!("{} changes in {secs} seconds. Saving...", st.dirty));
                log.push_str(&l(at, 'M', '*', &format!("Background saving started by pid {}", st.bgsave_pid + 1)));
                log.push_str(&format!("{}:C {} * DB saved on disk\n", st.bgsave_pid + 1, ts(at)));
                log.push_str(&l(at, 'M', '*', "Background saving terminated with success"));
                return log;
            }
        }
        return String::new();
    }
    let mut log = String::new();
    log.push_str(&l(now, 'M', '#', "Received SIGTERM scheduling shutdown..."));
    log.push_str(&l(now, 'M', '#', "User requested shutdown..."));
    if st.appendonly {
        log.push_str(&l(now, 'M', '*', "Calling fsync() on the AOF file."));
    }
    if !st.save_rules.is_empty() {
        log.push_str(&l(now, 'M', '*', "Saving the final RDB snapshot before exiting."));
        let _ = ctx.fs().write(&format!("{}/{RDB}", st.dir), &dump(&st.keys, &st.version));
        log.push_str(&l(now, 'M', '*', "DB saved on disk"));
    }
    log.push_str(&l(now, 'M', '#', "Redis is now ready to exit, bye bye..."));
    log
}

// ------------------------------------------------------------- the client

enum Reply {
    Status(String),
    Str(String),
    Int(i64),
    Nil,
    Err(String),
    Array(Vec<Reply>),
}

fn raw(r: &Reply) -> String {
    match r {
        Reply::Nil => String::new(),
        Reply::Err(e) => format!("{e}\n"),
        Reply::Status(s) | Reply::Str(s) => s.clone(),
        Reply::Int(i) => i.to_string(),
        Reply::Array(v) => v.iter().map(raw).collect::<Vec<_>>().join("\n"),
    }
}

fn tty(r: &Reply, indent: usize) -> String {
    match r {
        Reply::Nil => "(nil)\n".into(),
        Reply::Err(e) => format!("(error) {e}\n"),
        Reply::Status(s) => format!("{s}\n"),
        Reply::Str(s) => format!("\"{}\"\n", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")),
        Reply::Int(i) => format!("(integer) {i}\n"),
        Reply::Array(v) if v.is_empty() => "(empty array)\n".into(),
        Reply::Array(v) => {
            let w = v.len().to_string().len();
            let mut s = String::new();
            for (i, e) in v.iter().enumerate() {
                if i > 0 {
                    s.push_str(&" ".repeat(indent));
                }
                s.push_str(&format!("{:>w$}) ", i + 1));
                s.push_str(&tty(e, indent + w + 2));
            }
            s
        }
    }
}

fn wrong_args(cmd: &str) -> Reply {
    Reply::Err(format!("ERR wrong number of arguments for '{}' command", cmd.to_lowercase()))
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn glob(p: &str, s: &str) -> bool {
    super::sh::glob_match(p, s)
}

/// Executes one command on a server's memory. Returns (reply, wrote).
fn execute(st: &mut RedisServer, argv: &[String], authed: &mut bool) -> (Reply, bool) {
    let cmd = argv[0].to_uppercase();
    let a = &argv[1..];
    if st.password.is_some() && !*authed && cmd != "AUTH" && cmd != "PING" {
        return (Reply::Err("NOAUTH Authentication required.".into()), false);
    }
    let need = |n: usize| a.len() == n;
    let r = match cmd.as_str() {
        "PING" => match a.first() {
            Some(m) => Reply::Str(m.clone()),
            None => Reply::Status("PONG".into()),
        },
        "ECHO" if need(1) => Reply::Str(a[0].clone()),
        "AUTH" => {
            let pw = a.last().cloned().unwrap_or_default();
            match &st.password {
                None => Reply::Err(
                    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into(),
                ),
                Some(p) if *p == pw => {
                    *authed = true;
                    Reply::Status("OK".into())
                }
                Some(_) => Reply::Err("WRONGPASS invalid username-password pair or user is disabled.".into()),
            }
        }
        "SET" if a.len() >= 2 => {
            st.keys.insert(a[0].clone(), Box::new(Val::Str(a[1].clone())));
            return (Reply::Status("OK".into()), true);
        }
        "SETNX" if need(2) => {
            if st.keys.contains_key(&a[0]) {
                Reply::Int(0)
            } else {
                st.keys.insert(a[0].clone(), Box::new(Val::Str(a[1].clone())));
                return (Reply::Int(1), true);
            }
        }
        "MSET" if !a.is_empty() && a.len().is_multiple_of(2) => {
            for c in a.chunks(2) {
                st.keys.insert(c[0].clone(), Box::new(Val::Str(c[1].clone())));
            }
            return (Reply::Status("OK".into()), true);
        }
        "GET" if need(1) => match val(&st.keys, &a[0]) {
            Some(Val::Str(v)) => Reply::Str(v.clone()),
            Some(_) => Reply::Err(WRONGTYPE.into()),
            None => Reply::Nil,
        },
        "MGET" if !a.is_empty() => Reply::Array(
            a.iter()
                .map(|k| match val(&st.keys, k) {
                    Some(Val::Str(v)) => Reply::Str(v.clone()),
                    _ => Reply::Nil,
                })
                .collect(),
        ),
        "APPEND" if need(2) => {
            let e = st.keys.entry(a[0].clone()).or_insert(Box::new(Val::Str(String::new())));
            match &mut **e {
                Val::Str(s) => {
                    s.push_str(&a[1]);
                    let n = s.len() as i64;
                    return (Reply::Int(n), true);
                }
                _ => Reply::Err(WRONGTYPE.into()),
            }
        }
        "STRLEN" if need(1) => match val(&st.keys, &a[0]) {
            Some(Val::Str(v)) => Reply::Int(v.len() as i64),
            Some(_) => Reply::Err(WRONGTYPE.into()),
            None => Reply::Int(0),
        },
        "INCR" | "DECR" | "INCRBY" | "DECRBY" if (cmd.ends_with("BY") && need(2)) || (!cmd.ends_with("BY") && need(1)) => {
            let by: i64 = if cmd.ends_with("BY") {
                match a[1].parse() {
                    Ok(v) => v,
                    Err(_) => return (Reply::Err("ERR value is not an integer or out of range".into()), false),
                }
            } else {
                1
            };
            let by = if cmd.starts_with("DECR") { -by } else { by };
            let cur = match val(&st.keys, &a[0]) {
                Some(Val::Str(v)) => match v.parse::<i64>() {
                    Ok(n) => n,
                    Err(_) => return (Reply::Err("ERR value is not an integer or out of range".into()), false),
                },
                Some(_) => return (Reply::Err(WRONGTYPE.into()), false),
                None => 0,
            };
            let n = cur + by;
            st.keys.insert(a[0].clone(), Box::new(Val::Str(n.to_string())));
            return (Reply::Int(n), true);
        }
        "DEL" | "UNLINK" if !a.is_empty() => {
            let n = a.iter().filter(|k| st.keys.remove(*k).is_some()).count() as i64;
            return (Reply::Int(n), n > 0);
        }
        "EXISTS" if !a.is_empty() => Reply::Int(a.iter().filter(|k| st.keys.contains_key(*k)).count() as i64),
        "KEYS" if need(1) => Reply::Array(st.keys.keys().filter(|k| glob(&a[0], k)).map(|k| Reply::Str(k.clone())).collect()),
        "DBSIZE" => Reply::Int(st.keys.len() as i64),
        "TYPE" if need(1) => Reply::Status(
            match val(&st.keys, &a[0]) {
                Some(Val::Str(_)) => "string",
                Some(Val::List(_)) => "list",
                Some(Val::Hash(_)) => "hash",
                Some(Val::Set(_)) => "set",
                None => "none",
            }
            .into(),
        ),
        "FLUSHALL" | "FLUSHDB" => {
            st.keys.clear();
            return (Reply::Status("OK".into()), true);
        }
        "LPUSH" | "RPUSH" if a.len() >= 2 => {
            let e = st.keys.entry(a[0].clone()).or_insert(Box::new(Val::List(vec![])));
            match &mut **e {
                Val::List(l) => {
                    for v in &a[1..] {
                        if cmd == "LPUSH" {
                            l.insert(0, v.clone());
                        } else {
                            l.push(v.clone());
                        }
                    }
                    let n = l.len() as i64;
                    return (Reply::Int(n), true);
                }
                _ => Reply::Err(WRONGTYPE.into()),
            }
        }
        "LPOP" | "RPOP" if !a.is_empty() => match st.keys.get_mut(&a[0]).map(|v| &mut **v) {
            Some(Val::List(l)) if !l.is_empty() => {
                let v = if cmd == "LPOP" { l.remove(0) } else { l.pop().unwrap() };
                if l.is_empty() {
                    st.keys.remove(&a[0]);
                }
                return (Reply::Str(v), true);
            }
            Some(Val::List(_)) | None => Reply::Nil,
            Some(_) => Reply::Err(WRONGTYPE.into()),
        },
        "LLEN" if need(1) => match val(&st.keys, &a[0]) {
            Some(Val::List(l)) => Reply::Int(l.len() as i64),
            Some(_) => Reply::Err(WRONGTYPE.into()),
            None => Reply::Int(0),
        },
        "LRANGE" if need(3) => match val(&st.keys, &a[0]) {
            Some(Val::List(l)) => {
                let n = l.len() as i64;
                let idx = |s: &str| -> i64 {
                    let v: i64 = s.parse().unwrap_or(0);
                    if v < 0 { (n + v).max(0) } else { v }
                };
                let (s, e) = (idx(&a[1]), idx(&a[2]).min(n - 1));
                Reply::Array(if s > e || s >= n { vec![] } else { l[s as usize..=e as usize].iter().map(|x| Reply::Str(x.clone())).collect() })
            }
            Some(_) => Reply::Err(WRONGTYPE.into()),
            None => Reply::Array(vec![]),
        },
        "HSET" | "HMSET" if a.len() >= 3 && a.len() % 2 == 1 => {
            let e = st.keys.entry(a[0].clone()).or_insert(Box::new(Val::Hash(BTreeMap::new())));
            match &mut **e {
                Val::Hash(h) => {
                    let mut added = 0;
                    for c in a[1..].chunks(2) {
                        if h.insert(c[0].clone(), c[1].clone()).is_none() {
                            added += 1;
                        }
                    }
                    return (if cmd == "HMSET" { Reply::Status("OK".into()) } else { Reply::Int(added) }, true);
                }
                _ => Reply::Err(WRONGTYPE.into()),
            }
        }
        "HGET" if need(2) => match val(&st.keys, &a[0]) {
            Some(Val::Hash(h)) => h.get(&a[1]).map(|v| Reply::Str(v.clone())).unwrap_or(Reply::Nil),
            Some(_) => Reply::Err(WRONGTYPE.into()),
            None => Reply::Nil,
        },
        "HGETALL" if need(1) => match val(&st.keys, &a[0]) {
            Some(Val::Hash(h)) => Reply::Array(h.iter().flat_map(|(k, v)| [Reply::Str(k.clone()), Reply::Str(v.clone())]).collect()),
            Some(_) => Reply::Err(WRONGTYPE.into()),
            None => Reply::Array(vec![]),
        },
        "SADD" if a.len() >= 2 => {
            let e = st.keys.entry(a[0].clone()).or_insert(Box::new(Val::Set(BTreeSet::new())));
            match &mut **e {
                Val::Set(s) => {
                    let n = a[1..].iter().filter(|m| s.insert((*m).clone())).count() as i64;
                    return (Reply::Int(n), n > 0);
                }
                _ => Reply::Err(WRONGTYPE.into()),
            }
        }
        "SMEMBERS" if need(1) => match val(&st.keys, &a[0]) {
            Some(Val::Set(s)) => Reply::Array(s.iter().map(|m| Reply::Str(m.clone())).collect()),
            Some(_) => Reply::Err(WRONGTYPE.into()),
            None => Reply::Array(vec![]),
        },
        "SAVE" => Reply::Status("OK".into()),
        "BGSAVE" => Reply::Status("Background saving started".into()),
        "LASTSAVE" => Reply::Int(st.last_save.0 / 1000),
        "INFO" => Reply::Str(format!(
            "# Server\r\nredis_version:{}\r\nredis_mode:standalone\r\nos:Linux 6.8.0-kubarium x86_64\r\nprocess_id:1\r\ntcp_port:6379\r\n\r\n# Persistence\r\nrdb_changes_since_last_save:{}\r\nrdb_last_save_time:{}\r\naof_enabled:{}\r\n\r\n# Keyspace\r\n{}",
            st.version,
            st.dirty,
            st.last_save.0 / 1000,
            st.appendonly as u8,
            if st.keys.is_empty() { String::new() } else { format!("db0:keys={},expires=0,avg_ttl=0,subexpiry=0\r\n", st.keys.len()) }
        )),
        "CONFIG" if a.len() >= 2 && a[0].eq_ignore_ascii_case("get") => {
            let v = match a[1].as_str() {
                "dir" => Some(st.dir.clone()),
                "appendonly" => Some(if st.appendonly { "yes" } else { "no" }.into()),
                "save" => Some(st.save_rules.iter().map(|(s, c)| format!("{s} {c}")).collect::<Vec<_>>().join(" ")),
                _ => None,
            };
            Reply::Array(match v {
                Some(v) => vec![Reply::Str(a[1].clone()), Reply::Str(v)],
                None => vec![],
            })
        }
        "SELECT" if need(1) => {
            if a[0] == "0" {
                Reply::Status("OK".into())
            } else {
                Reply::Err("ERR DB index is out of range".into())
            }
        }
        "SET" | "GET" | "DEL" | "INCR" | "DECR" | "INCRBY" | "DECRBY" | "KEYS" | "EXISTS" | "LPUSH" | "RPUSH" | "LPOP" | "RPOP" | "LLEN" | "LRANGE"
        | "HSET" | "HMSET" | "HGET" | "HGETALL" | "SADD" | "SMEMBERS" | "TYPE" | "ECHO" | "MSET" | "MGET" | "APPEND" | "STRLEN" | "SETNX" | "UNLINK"
        | "SELECT" => wrong_args(&cmd),
        _ => {
            let args: String = a.iter().take(3).map(|x| format!("'{x}' ")).collect();
            Reply::Err(format!("ERR unknown command '{}', with args beginning with: {args}", argv[0]))
        }
    };
    (r, false)
}

/// `redis-cli`
pub fn cli(ctx: &mut Ctx, args: &[String], stdin: &str) -> Output {
    let mut host = "127.0.0.1".to_string();
    let mut port: u16 = 6379;
    let mut password: Option<String> = None;
    let mut raw_mode = true;
    let mut set_errcode = false;
    let mut i = 0;
    let mut o = Output::default();
    while i < args.len() {
        let a = args[i].as_str();
        let last = i + 1 == args.len();
        match a {
            "-h" if !last => {
                i += 1;
                host = args[i].clone();
            }
            "-p" if !last => {
                i += 1;
                port = args[i].parse().unwrap_or(6379);
            }
            "-a" if !last => {
                i += 1;
                password = Some(args[i].clone());
            }
            "-n" if !last => i += 1,
            "--raw" => raw_mode = true,
            "--no-raw" => raw_mode = false,
            "-e" => set_errcode = true,
            "--no-auth-warning" => {}
            "-v" | "--version" => return Output::out(format!("redis-cli {}\n", ctx.img.version)),
            _ if a.starts_with('-') => return Output::err(format!("Unrecognized option or bad number of args for: '{a}'\n"), 1),
            _ => break,
        }
        i += 1;
    }
    if password.is_some() && !args.iter().any(|a| a == "--no-auth-warning") {
        o.eprint("Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n");
    }
    let commands: Vec<Vec<String>> =
        if i < args.len() { vec![args[i..].to_vec()] } else { stdin.lines().filter(|l| !l.trim().is_empty()).map(split_args).collect() };
    // Connect.
    let refused = |o: &mut Output, why: &str| {
        o.eprint(format!("Could not connect to Redis at {host}:{port}: {why}\n"));
        o.code = 1;
    };
    let addrs = match net::resolve(ctx, &host) {
        Some(a) => a,
        None => {
            let why = net::dns_error(ctx);
            refused(&mut o, why);
            return o;
        }
    };
    let mut key = None;
    for a in &addrs {
        if let Some((uid, p)) = net::route(ctx, a, port)
            && let Some(k) = net::listener(ctx, &uid, p)
            && matches!(ctx.cx.rt.running.get(&k).map(|r| &r.server), Some(ServerState::Redis(_)))
        {
            key = Some(k);
            break;
        }
    }
    let Some(key) = key else {
        refused(&mut o, "Connection refused");
        return o;
    };
    let now = ctx.now();
    catch_up(ctx.cx.rt, ctx.cx.world, &key, now);
    let mut authed = false;
    if let Some(pw) = &password
        && let Some(ServerState::Redis(st)) = ctx.cx.rt.running.get_mut(&key).map(|r| &mut r.server)
    {
        let (r, _) = execute(st, &["AUTH".into(), pw.clone()], &mut authed);
        if let Reply::Err(e) = r {
            o.eprint(format!("AUTH failed: {}\n", e.split_once(' ').map(|(_, m)| m).unwrap_or(&e)));
        }
    }
    for argv in commands {
        if argv.is_empty() {
            continue;
        }
        let (reply, wrote, save) = {
            let Some(ServerState::Redis(st)) = ctx.cx.rt.running.get_mut(&key).map(|r| &mut r.server) else { break };
            let (reply, wrote) = execute(st, &argv, &mut authed);
            if wrote {
                st.dirty += 1;
                st.last_write = now;
            }
            let save = argv[0].eq_ignore_ascii_case("save") || argv[0].eq_ignore_ascii_case("bgsave");
            (reply, wrote, save)
        };
        if wrote {
            let (aof, dir, text) = match ctx.cx.rt.running.get(&key).map(|r| &r.server) {
                Some(ServerState::Redis(st)) => (st.appendonly, st.dir.clone(), dump(&st.keys, &st.version)),
                _ => (false, String::new(), String::new()),
            };
            if aof {
                let proc = ctx.cx.rt.running[&key].proc.clone();
                let _ = proc.fs(ctx.cx.world).write(&format!("{dir}/appendonlydir/appendonly.aof.1.incr.aof"), &text);
            }
            catch_up(ctx.cx.rt, ctx.cx.world, &key, now);
        }
        if save {
            if argv[0].eq_ignore_ascii_case("save") {
                let Some(r) = ctx.cx.rt.running.get_mut(&key) else { break };
                let proc = r.proc.clone();
                if let ServerState::Redis(st) = &mut r.server {
                    st.dirty = 0;
                    st.last_save = now;
                    let text = dump(&st.keys, &st.version);
                    let dir = st.dir.clone();
                    let _ = proc.fs(ctx.cx.world).write(&format!("{dir}/{RDB}"), &text);
                    append_log(ctx.cx.world, &proc, &l(now, 'M', '*', "DB saved on disk"));
                }
            } else {
                bgsave(ctx.cx.rt, ctx.cx.world, &key, now, None);
            }
        }
        if let Reply::Err(e) = &reply
            && set_errcode
        {
            o.eprint(format!("{e}\n"));
            o.code = 1;
            return o;
        }
        if raw_mode {
            o.print(format!("{}\n", raw(&reply)));
        } else {
            o.print(tty(&reply, 0));
        }
    }
    o
}

/// sdssplitargs: words, "double" and 'single' quoted strings.
fn split_args(line: &str) -> Vec<String> {
    let mut v = vec![];
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    let mut it = line.chars().peekable();
    while let Some(c) = it.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                } else if c == '\\' && q == '"' {
                    if let Some(n) = it.next() {
                        cur.push(match n {
                            'n' => '\n',
                            't' => '\t',
                            x => x,
                        });
                    }
                } else {
                    cur.push(c);
                }
            }
            None => {
                if c.is_whitespace() {
                    if started {
                        v.push(std::mem::take(&mut cur));
                        started = false;
                    }
                } else if c == '"' || c == '\'' {
                    quote = Some(c);
                    started = true;
                } else {
                    cur.push(c);
                    started = true;
                }
            }
        }
    }
    if started {
        v.push(cur);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_roundtrip_and_raw_output() {
        let mut keys = BTreeMap::new();
        keys.insert("a\tb".to_string(), Box::new(Val::Str("x\ny".into())));
        keys.insert("l".to_string(), Box::new(Val::List(vec!["1".into(), "2".into()])));
        assert_eq!(load(&dump(&keys, "7.4.7")), keys);
        assert_eq!(raw(&Reply::Nil), "");
        assert_eq!(raw(&Reply::Array(vec![Reply::Str("a".into()), Reply::Int(2)])), "a\n2");
        assert_eq!(tty(&Reply::Array(vec![Reply::Str("a".into()), Reply::Str("b".into())]), 0), "1) \"a\"\n2) \"b\"\n");
        assert_eq!(split_args("SET k \"hello world\""), vec!["SET", "k", "hello world"]);
    }
}
