//! The small programs every image has (GNU coreutils on Debian, busybox
//! applets on busybox/Alpine): `cat`, `ls`, `echo`, `mkdir`, `rm`, `touch`,
//! `wc`, `grep`, ... with each implementation's own messages and exit codes,
//! and the dispatch to the bigger programs (psql, curl, redis-cli, mysql).
//!
//! The programs, each with the options lessons use (an unknown option is
//! ignored or refused as the real tool does for the common ones): `echo`
//! (`-n`, `-e`), `printf`, `true`, `false`, `cat`, `ls` (`-l`, `-a`, `-A`,
//! `-d`, `-h`, `-1`), `mkdir` (`-p`), `rmdir`, `rm` (`-r`, `-f`), `touch`,
//! `cp`, `mv`, `ln` (as a copy), `pwd`, `hostname` (`-i`), `env`,
//! `printenv`, `sleep`, `wc`, `grep`/`egrep`/`fgrep` (`-v`, `-i`, `-c`,
//! `-q`, `-n`, `-l`, `-e`; a small regex engine), `head`/`tail` (`-n`),
//! `date`, `whoami`, `id`, `uname`, `seq`, `tee`, `sort`, `uniq`,
//! `basename`, `dirname`, `test`/`[`, `which`, `tr`, `cut`, `sed` (`s///`
//! with `g`, `-i`, `-e`), `awk` (`'{print $N, ...}'` with `-F`), `xargs`,
//! `find`, `df`, `stat`, `yes`, `ps` (not on Debian slim images), `rev`
//! (busybox's only), and `kill`, `chmod`, `chown`, `sync` accepted without
//! effect. Which exist in an image is `image::has_program`'s (every image
//! has `curl`; `wget` and `rev` are busybox's). Not simulated: `nc`, `ping`, `ip`, `nslookup`, `dig`,
//! editors, package managers (`command not found`).

use super::image::{Server, Userland};
use super::{Ctx, Output};
use crate::engine::fs::{FsError, clean};
use crate::engine::time::Millis;

/// Runs one program (not a shell builtin) with its arguments.
pub fn run(ctx: &mut Ctx, argv: &[String], stdin: &str) -> Output {
    let name = argv[0].rsplit('/').next().unwrap_or(&argv[0]).to_string();
    let args = &argv[1..];
    match name.as_str() {
        "echo" => echo(args, false),
        "printf" => printf(args),
        "true" | ":" => Output::ok(),
        "false" => Output::ok().with_code(1),
        "cat" => cat(ctx, args, stdin),
        "ls" => ls(ctx, args),
        "mkdir" => mkdir(ctx, args),
        "rmdir" => rmdir(ctx, args),
        "rm" => rm(ctx, args),
        "touch" => touch(ctx, args),
        "cp" => cp(ctx, args, false),
        "mv" => cp(ctx, args, true),
        "ln" => cp(ctx, &args.iter().filter(|a| !a.starts_with('-')).cloned().collect::<Vec<_>>(), false),
        "pwd" => Output::out(format!("{}\n", ctx.cwd)),
        "hostname" => Output::out(format!("{}\n", if args.iter().any(|a| a == "-i" || a == "-I") { ctx.pod_ip() } else { ctx.hostname() })),
        "env" | "printenv" => env(ctx, &name, args, stdin),
        "sleep" => sleep(ctx, args),
        "wc" => wc(ctx, args, stdin),
        "grep" | "egrep" | "fgrep" => grep(ctx, args, stdin),
        "head" | "tail" => head_tail(ctx, &name, args, stdin),
        "date" => date(ctx, args),
        "whoami" => Output::out("root\n"),
        "id" => Output::out("uid=0(root) gid=0(root) groups=0(root)\n"),
        "uname" => uname(args),
        "seq" => seq(args),
        "tee" => tee(ctx, args, stdin),
        "sort" => sort(args, stdin),
        "uniq" => uniq(stdin),
        "rev" => {
            let (inputs, mut o) = read_inputs(ctx, "rev", &args.iter().collect::<Vec<_>>(), stdin);
            for l in inputs.iter().flat_map(|(_, t)| t.lines()) {
                o.print(l.chars().rev().chain(['\n']).collect::<String>());
            }
            o
        }
        "basename" => {
            Output::out(format!("{}\n", args.first().map(|a| a.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_string()).unwrap_or_default()))
        }
        "dirname" => Output::out(format!(
            "{}\n",
            args.first()
                .map(|a| match a.trim_end_matches('/').rsplit_once('/') {
                    Some(("", _)) => "/".to_string(),
                    Some((d, _)) => d.to_string(),
                    None => ".".to_string(),
                })
                .unwrap_or_default()
        )),
        "test" => Output::ok().with_code(test(ctx, args)),
        "[" => {
            if args.last().map(|s| s.as_str()) != Some("]") {
                return Output::err(format!("{}[: missing ]\n", if ctx.img.userland == Userland::Busybox { "sh: " } else { "" }), 2);
            }
            Output::ok().with_code(test(ctx, &args[..args.len() - 1]))
        }
        "which" => {
            let mut o = Output::default();
            let mut code = 0;
            for a in args {
                if super::image::has_program(&ctx.img, a) {
                    o.print(format!("{}\n", program_path(ctx, a)));
                } else {
                    code = 1;
                }
            }
            o.with_code(code)
        }
        "tr" => tr(args, stdin),
        "cut" => cut(args, stdin),
        "sed" => sed(ctx, args, stdin),
        "awk" => awk(args, stdin),
        "xargs" => xargs(ctx, args, stdin),
        "find" => find(ctx, args),
        "df" => df(ctx, args),
        "kill" | "chmod" | "chown" | "sync" => Output::ok(),
        "stat" => stat(ctx, args),
        "yes" => Output::out("y\n".repeat(1000)),
        "psql" => super::psql::main(ctx, args, stdin),
        "pg_isready" => super::psql::pg_isready(ctx, args),
        "postgres" | "initdb" | "pg_ctl" | "createdb" => super::postgres::tool(ctx, &name, args),
        "curl" => super::curl::curl(ctx, args),
        "wget" => super::curl::wget(ctx, args),
        "redis-cli" => super::redis::cli(ctx, args, stdin),
        "redis-server" => super::redis::server_tool(ctx, args),
        "mysql" => super::mysql::client(ctx, args, stdin),
        "mysqladmin" => super::mysql::admin(ctx, args),
        "nginx" => super::http::nginx_tool(ctx, args),
        "httpd" | "apachectl" => super::http::httpd_tool(ctx, args),
        "sh" | "bash" | "ash" | "dash" => super::sh::run_shell_argv(ctx, argv, stdin, None),
        "ps" => Output::out("PID   USER     TIME  COMMAND\n    1 root      0:00 sleep 3600\n"),
        "docker-entrypoint.sh" | "httpd-foreground" | "mysqld" => {
            // Starting a second server by hand inside `exec`: it finds its
            // port taken by the main process.
            Output::err(format!("{name}: the container's main process already runs this server\n"), 1)
        }
        _ => {
            let userland = ctx.img.userland;
            if userland == Userland::Busybox {
                Output::err(format!("{name}: applet not found\n"), 127)
            } else {
                Output::err(format!("{name}: command not found\n"), 127)
            }
        }
    }
}

fn program_path(ctx: &Ctx, name: &str) -> String {
    match (ctx.img.server, name) {
        (Server::Postgres, "psql" | "pg_isready" | "postgres" | "initdb" | "pg_ctl" | "createdb") => {
            format!("/usr/lib/postgresql/{}/bin/{name}", ctx.img.major())
        }
        (_, "docker-entrypoint.sh" | "redis-server" | "redis-cli") => format!("/usr/local/bin/{name}"),
        (Server::Nginx, "nginx") => "/usr/sbin/nginx".into(),
        (Server::Httpd, _) => format!("/usr/local/apache2/bin/{name}"),
        _ if ctx.img.userland == Userland::Busybox => format!("/bin/{name}"),
        _ => format!("/usr/bin/{name}"),
    }
}

fn gnu(ctx: &Ctx) -> bool {
    ctx.img.userland != Userland::Busybox
}

/// Whether names sort with the en_US collation (the postgres image sets
/// LANG=en_US.utf8) rather than byte order.
fn collate_key(ctx: &Ctx, s: &str) -> (String, String) {
    if ctx.env.get("LANG").is_some_and(|l| l.starts_with("en_US")) && gnu(ctx) {
        (s.chars().filter(|c| c.is_alphanumeric()).flat_map(|c| c.to_lowercase()).collect(), s.chars().rev().collect())
    } else {
        (s.to_string(), String::new())
    }
}

// ------------------------------------------------------------ echo, printf

/// `echo`. dash's builtin echo interprets backslash escapes without `-e`
/// (`escapes`); /bin/echo, bash's and busybox's do not.
pub fn echo(args: &[String], escapes_by_default: bool) -> Output {
    let mut newline = true;
    let mut escapes = escapes_by_default;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E')) && !(escapes_by_default && a != "-n") {
            for c in a[1..].chars() {
                match c {
                    'n' => newline = false,
                    'e' => escapes = true,
                    _ => escapes = false,
                }
            }
            i += 1;
        } else {
            break;
        }
    }
    let mut s = args[i..].join(" ");
    if escapes {
        let (t, stop) = unescape(&s);
        s = t;
        if stop {
            newline = false;
        }
    }
    if newline {
        s.push('\n');
    }
    Output::out(s)
}

/// Backslash escapes of `echo -e` / printf. Returns (text, saw `\c`).
fn unescape(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('e') => out.push('\x1b'),
            Some('c') => return (out, true),
            Some('0') => {
                let mut n = 0u32;
                for _ in 0..3 {
                    match it.peek() {
                        Some(d) if d.is_digit(8) => {
                            n = n * 8 + d.to_digit(8).unwrap();
                            it.next();
                        }
                        _ => break,
                    }
                }
                if let Some(ch) = char::from_u32(n) {
                    out.push(ch);
                }
            }
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

fn printf(args: &[String]) -> Output {
    let Some(fmt) = args.first() else { return Output::err("printf: usage: printf format [arguments]\n", 2) };
    let mut out = String::new();
    let mut rest: Vec<&String> = args[1..].iter().collect();
    loop {
        let mut used = 0;
        let chars: Vec<char> = fmt.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' {
                let (t, _) = unescape(&chars[i..(i + 2).min(chars.len())].iter().collect::<String>());
                out.push_str(&t);
                i += 2;
                continue;
            }
            if c != '%' {
                out.push(c);
                i += 1;
                continue;
            }
            i += 1;
            let mut spec = String::new();
            while i < chars.len() && (chars[i].is_ascii_digit() || matches!(chars[i], '-' | '.' | '+' | ' ' | '0')) {
                spec.push(chars[i]);
                i += 1;
            }
            let Some(&conv) = chars.get(i) else { break };
            i += 1;
            if conv == '%' {
                out.push('%');
                continue;
            }
            let arg = rest.get(used).map(|s| s.as_str()).unwrap_or("");
            used += 1;
            let left = spec.starts_with('-');
            let width: usize = spec.trim_start_matches(['-', '0', '+', ' ']).split('.').next().unwrap_or("").parse().unwrap_or(0);
            let val = match conv {
                'd' | 'i' => arg.trim().parse::<i64>().unwrap_or(0).to_string(),
                'f' => {
                    let prec: usize = spec.split('.').nth(1).and_then(|p| p.parse().ok()).unwrap_or(6);
                    format!("{:.*}", prec, arg.trim().parse::<f64>().unwrap_or(0.0))
                }
                'b' => unescape(arg).0,
                _ => arg.to_string(),
            };
            let pad = width.saturating_sub(val.chars().count());
            if left {
                out.push_str(&val);
                out.push_str(&" ".repeat(pad));
            } else {
                let fill = if spec.starts_with('0') && conv != 's' { "0" } else { " " };
                out.push_str(&fill.repeat(pad));
                out.push_str(&val);
            }
        }
        if used == 0 || used >= rest.len() {
            break;
        }
        rest = rest[used..].to_vec();
    }
    Output::out(out)
}

// --------------------------------------------------------------- cat, ls

fn cat(ctx: &mut Ctx, args: &[String], stdin: &str) -> Output {
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with('-') || a.as_str() == "-").collect();
    if files.is_empty() {
        return Output::out(stdin);
    }
    let mut o = Output::default();
    let g = gnu(ctx);
    for f in files {
        if f == "-" {
            o.print(stdin);
            continue;
        }
        let r = ctx.fs().read(f);
        match r {
            Ok(c) => o.print(c),
            Err(FsError::IsDirectory) => {
                o.eprint(if g { format!("cat: {f}: Is a directory\n") } else { "cat: read error: Is a directory\n".to_string() });
                o.code = 1;
            }
            Err(e) => {
                o.eprint(if g { format!("cat: {f}: {}\n", e.text()) } else { format!("cat: can't open '{f}': {}\n", e.text()) });
                o.code = 1;
            }
        }
    }
    o
}

struct Entry {
    name: String,
    path: String,
    dir: bool,
    size: usize,
}

fn ls(ctx: &mut Ctx, args: &[String]) -> Output {
    let mut long = false;
    let mut all = false;
    let mut almost = false;
    let mut dir_only = false;
    let mut human = false;
    let mut one = false;
    let mut paths = vec![];
    for a in args {
        if a.starts_with('-') && a.len() > 1 {
            for c in a[1..].chars() {
                match c {
                    'l' => long = true,
                    'a' => all = true,
                    'A' => almost = true,
                    'd' => dir_only = true,
                    'h' => human = true,
                    '1' => one = true,
                    _ => {}
                }
            }
        } else {
            paths.push(a.clone());
        }
    }
    let _ = one;
    let g = gnu(ctx);
    if paths.is_empty() {
        paths.push(".".into());
    }
    let mut o = Output::default();
    let mut files = vec![];
    let mut dirs = vec![];
    for p in &paths {
        let fs = ctx.fs();
        if fs.is_dir(p) && !dir_only {
            dirs.push(p.clone());
        } else if fs.exists(p) {
            let size = fs.read(p).map(|c| c.len()).unwrap_or(4096);
            files.push(Entry { name: p.clone(), path: p.clone(), dir: fs.is_dir(p), size });
        } else {
            o.eprint(if g { format!("ls: cannot access '{p}': No such file or directory\n") } else { format!("ls: {p}: No such file or directory\n") });
            o.code = if g { 2 } else { 1 };
        }
    }
    let now = ctx.now();
    // GNU ls pads each column to the widest entry of the listing; busybox
    // uses fixed widths.
    let fmt_long = |list: &[Entry], ctx: &Ctx| -> String {
        let owner_of = |e: &Entry| if ctx.img.server == Server::Postgres && e.path.contains("postgresql") { "postgres" } else { "root" };
        let size_of = |e: &Entry| if human { human_size(e.size as u64) } else { e.size.to_string() };
        let sw = list.iter().map(|e| size_of(e).len()).max().unwrap_or(1);
        let ow = list.iter().map(|e| owner_of(e).len()).max().unwrap_or(4);
        let mut out = String::new();
        for e in list {
            let (owner, size, links) = (owner_of(e), size_of(e), if e.dir { 2 } else { 1 });
            // initdb makes the data directory private to postgres.
            let mode = match (e.dir, owner == "postgres") {
                (true, true) => "drwx------",
                (false, true) => "-rw-------",
                (true, false) => "drwxr-xr-x",
                (false, false) => "-rw-r--r--",
            };
            if g {
                out.push_str(&format!("{mode} {links} {owner:<ow$} {owner:<ow$} {size:>sw$} {} {}\n", ls_time(now), e.name));
            } else {
                out.push_str(&format!("{mode}    {links} {owner:<8} {owner:<8} {size:>8} {} {}\n", ls_time(now), e.name));
            }
        }
        out
    };
    crate::engine::sort::sort_by_key(&mut files, |e| collate_key(ctx, &e.name));
    if long {
        let text = fmt_long(&files, ctx);
        o.print(text);
    } else {
        for e in &files {
            o.print(format!("{}\n", e.name));
        }
    }
    let multi = paths.len() > 1;
    for (i, d) in dirs.iter().enumerate() {
        if multi {
            if i > 0 || !files.is_empty() {
                o.print("\n");
            }
            o.print(format!("{d}:\n"));
        }
        let listing = {
            let fs = ctx.fs();
            let names = fs.list(d).unwrap_or_default();
            let base = clean(d, &fs.cwd);
            names
                .into_iter()
                .filter(|n| all || almost || !n.starts_with('.'))
                .map(|n| {
                    let path = if base == "/" { format!("/{n}") } else { format!("{base}/{n}") };
                    let dir = fs.is_dir(&path);
                    let size = if dir { 4096 } else { fs.read(&path).map(|c| c.len()).unwrap_or(0) };
                    Entry { name: n, path, dir, size }
                })
                .collect::<Vec<_>>()
        };
        let mut entries = listing;
        if all {
            entries.push(Entry { name: ".".into(), path: d.clone(), dir: true, size: 4096 });
            entries.push(Entry { name: "..".into(), path: d.clone(), dir: true, size: 4096 });
        }
        crate::engine::sort::sort_by_key(&mut entries, |e| collate_key(ctx, &e.name));
        if long {
            let blocks: usize = entries.iter().map(|e| if e.dir { 4 } else { e.size.div_ceil(4096) * 4 }).sum();
            o.print(format!("total {blocks}\n"));
            let text = fmt_long(&entries, ctx);
            o.print(text);
        } else {
            for e in &entries {
                o.print(format!("{}\n", e.name));
            }
        }
    }
    o
}

fn human_size(n: u64) -> String {
    if n < 1024 {
        return n.to_string();
    }
    let units = ["K", "M", "G", "T"];
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u < 3 {
        v /= 1024.0;
        u += 1;
    }
    if v < 10.0 { format!("{:.1}{}", (v * 10.0).ceil() / 10.0, units[u]) } else { format!("{}{}", v.ceil() as u64, units[u]) }
}

fn ls_time(t: crate::engine::time::Time) -> String {
    // "Jan  5 09:00"
    let s = t.rfc1123z(); // Mon, 05 Jan 2026 09:00:00 +0000
    let parts: Vec<&str> = s.split(' ').collect();
    let day: u32 = parts[1].parse().unwrap_or(1);
    format!("{} {:>2} {}", parts[2], day, &parts[4][..5])
}

// ------------------------------------------------------ mkdir, rm, touch

fn mkdir(ctx: &mut Ctx, args: &[String]) -> Output {
    let parents = args.iter().any(|a| a.starts_with('-') && a.contains('p'));
    let g = gnu(ctx);
    let mut o = Output::default();
    for d in args.iter().filter(|a| !a.starts_with('-')) {
        let mut fs = ctx.fs();
        let path = clean(d, &fs.cwd);
        let fail =
            |why: &str| if g { format!("mkdir: cannot create directory '{d}': {why}\n") } else { format!("mkdir: can't create directory '{d}': {why}\n") };
        if fs.exists(&path) {
            if parents && fs.is_dir(&path) {
                continue;
            }
            o.eprint(fail("File exists"));
            o.code = 1;
            continue;
        }
        let parent = clean(&format!("{path}/.."), "/");
        if !parents && !fs.is_dir(&parent) {
            o.eprint(fail(if fs.exists(&parent) { "Not a directory" } else { "No such file or directory" }));
            o.code = 1;
            continue;
        }
        if let Err(e) = fs.mkdir_all(&path) {
            o.eprint(fail(e.text()));
            o.code = 1;
        }
    }
    o
}

fn rmdir(ctx: &mut Ctx, args: &[String]) -> Output {
    let g = gnu(ctx);
    let mut o = Output::default();
    for d in args.iter().filter(|a| !a.starts_with('-')) {
        let mut fs = ctx.fs();
        let r = if !fs.exists(d) {
            Err("No such file or directory")
        } else if !fs.is_dir(d) {
            Err("Not a directory")
        } else if !fs.list(d).unwrap_or_default().is_empty() {
            Err("Directory not empty")
        } else {
            fs.remove_dir(d).map_err(|e| e.text())
        };
        if let Err(why) = r {
            o.eprint(if g { format!("rmdir: failed to remove '{d}': {why}\n") } else { format!("rmdir: '{d}': {why}\n") });
            o.code = 1;
        }
    }
    o
}

fn rm(ctx: &mut Ctx, args: &[String]) -> Output {
    let flags: String = args.iter().filter(|a| a.starts_with('-')).flat_map(|a| a.chars().skip(1)).collect();
    let recursive = flags.contains('r') || flags.contains('R');
    let force = flags.contains('f');
    let g = gnu(ctx);
    let mut o = Output::default();
    let targets: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if targets.is_empty() && !force {
        return Output::err(
            if g {
                "rm: missing operand\nTry 'rm --help' for more information.\n"
            } else {
                "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: rm [-irf] FILE...\n"
            },
            1,
        );
    }
    for t in targets {
        let mut fs = ctx.fs();
        let fail = |why: &str| if g { format!("rm: cannot remove '{t}': {why}\n") } else { format!("rm: can't remove '{t}': {why}\n") };
        if !fs.exists(t) {
            if !force {
                o.eprint(fail("No such file or directory"));
                o.code = 1;
            }
            continue;
        }
        if fs.is_dir(t) {
            if !recursive {
                o.eprint(fail("Is a directory"));
                o.code = 1;
                continue;
            }
            if let Err(e) = fs.remove_all(t) {
                o.eprint(fail(e.text()));
                o.code = 1;
            }
            continue;
        }
        if let Err(e) = fs.remove(t) {
            o.eprint(fail(e.text()));
            o.code = 1;
        }
    }
    o
}

fn touch(ctx: &mut Ctx, args: &[String]) -> Output {
    let g = gnu(ctx);
    let mut o = Output::default();
    for f in args.iter().filter(|a| !a.starts_with('-')) {
        let mut fs = ctx.fs();
        if fs.exists(f) {
            continue;
        }
        if let Err(e) = fs.write(f, "") {
            o.eprint(if g { format!("touch: cannot touch '{f}': {}\n", e.text()) } else { format!("touch: {f}: {}\n", e.text()) });
            o.code = 1;
        }
    }
    o
}

fn cp(ctx: &mut Ctx, args: &[String], mv: bool) -> Output {
    let name = if mv { "mv" } else { "cp" };
    let recursive = args.iter().any(|a| a.starts_with('-') && (a.contains('r') || a.contains('R') || a.contains('a')));
    let ops: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let g = gnu(ctx);
    if ops.len() < 2 {
        return Output::err(
            if g {
                format!("{name}: missing file operand\nTry '{name} --help' for more information.\n")
            } else {
                format!("{name}: need at least two arguments\n")
            },
            1,
        );
    }
    let (srcs, dst) = ops.split_at(ops.len() - 1);
    let dst = dst[0].clone();
    let mut o = Output::default();
    for s in srcs {
        let mut fs = ctx.fs();
        let src = clean(s, &fs.cwd);
        let target = if fs.is_dir(&dst) { clean(&format!("{dst}/{}", src.rsplit('/').next().unwrap_or("")), &fs.cwd) } else { clean(&dst, &fs.cwd) };
        if fs.is_dir(&src) {
            if !recursive && !mv {
                o.eprint(if g { format!("cp: -r not specified; omitting directory '{s}'\n") } else { format!("cp: omitting directory '{s}'\n") });
                o.code = 1;
                continue;
            }
            let files = fs.walk(&src);
            let _ = fs.mkdir_all(&target);
            for f in files {
                let rel = &f[src.len()..];
                if let Ok(c) = fs.read(&f) {
                    let t = format!("{target}{rel}");
                    let _ = fs.mkdir_all(&clean(&format!("{t}/.."), "/"));
                    let _ = fs.write(&t, &c);
                }
            }
            if mv {
                let _ = fs.remove_all(&src);
            }
            continue;
        }
        match fs.read(&src) {
            Ok(c) => {
                if let Err(e) = fs.write(&target, &c) {
                    o.eprint(if g {
                        format!("{name}: cannot create regular file '{dst}': {}\n", e.text())
                    } else {
                        format!("{name}: can't create '{dst}': {}\n", e.text())
                    });
                    o.code = 1;
                    continue;
                }
                if mv {
                    let _ = fs.remove(&src);
                }
            }
            Err(e) => {
                o.eprint(if g { format!("{name}: cannot stat '{s}': {}\n", e.text()) } else { format!("{name}: can't stat '{s}': {}\n", e.text()) });
                o.code = 1;
            }
        }
    }
    o
}

// ------------------------------------------------------------- env, sleep

fn env(ctx: &mut Ctx, name: &str, args: &[String], stdin: &str) -> Output {
    if name == "printenv"
        && let Some(v) = args.first()
    {
        return match ctx.env.get(v) {
            Some(val) => Output::out(format!("{val}\n")),
            None => Output::ok().with_code(1),
        };
    }
    // `env VAR=value program args...`
    let mut vars = ctx.env.clone();
    let mut i = 0;
    while i < args.len() {
        if args[i] == "-i" {
            vars.clear();
        } else if let Some((k, v)) = args[i].split_once('=') {
            vars.insert(k.to_string(), v.to_string());
        } else {
            break;
        }
        i += 1;
    }
    if i < args.len() && name == "env" {
        let prog = &args[i];
        if !super::image::has_program(&ctx.img, prog) && !matches!(prog.as_str(), "echo" | "printf" | "true" | "false") {
            return Output::err(
                if gnu(ctx) {
                    format!("env: '{prog}': No such file or directory\n")
                } else {
                    format!("env: can't execute '{prog}': No such file or directory\n")
                },
                127,
            );
        }
        let saved = std::mem::replace(&mut ctx.env, vars);
        let argv = args[i..].to_vec();
        let o = if matches!(prog.as_str(), "sh" | "bash") { super::sh::run_shell_argv(ctx, &argv, stdin, None) } else { run(ctx, &argv, stdin) };
        ctx.env = saved;
        return o;
    }
    let mut o = Output::default();
    for (k, v) in kube_env_order(ctx, &vars) {
        o.print(format!("{k}={v}\n"));
    }
    o
}

/// The order a container's environment is listed in: PATH and HOSTNAME
/// first, the rest, HOME last (as runc builds it).
fn kube_env_order(ctx: &Ctx, vars: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut seen = std::collections::BTreeSet::new();
    for k in ["PATH", "HOSTNAME"] {
        if let Some(v) = vars.get(k) {
            out.push((k.to_string(), v.clone()));
            seen.insert(k.to_string());
        }
    }
    for (k, _) in &ctx.img.env {
        if let Some(v) = vars.get(k)
            && seen.insert(k.clone())
        {
            out.push((k.clone(), v.clone()));
        }
    }
    for (k, v) in vars {
        if k != "HOME" && seen.insert(k.clone()) {
            out.push((k.clone(), v.clone()));
        }
    }
    if let Some(v) = vars.get("HOME") {
        out.push(("HOME".into(), v.clone()));
    }
    out
}

/// `sleep` argument: Some(None) = forever, Some(Some(ms)), None = invalid.
pub fn parse_sleep(s: &str) -> Option<Option<Millis>> {
    if s == "infinity" || s == "inf" {
        return Some(None);
    }
    let (num, mult) = match s.chars().last()? {
        's' => (&s[..s.len() - 1], 1000.0),
        'm' => (&s[..s.len() - 1], 60_000.0),
        'h' => (&s[..s.len() - 1], 3_600_000.0),
        'd' => (&s[..s.len() - 1], 86_400_000.0),
        _ => (s, 1000.0),
    };
    let v: f64 = num.parse().ok()?;
    if v < 0.0 {
        return None;
    }
    Some(Some((v * mult) as Millis))
}

fn sleep(ctx: &Ctx, args: &[String]) -> Output {
    // Inside `kubectl exec` no simulated time passes.
    let Some(a) = args.first() else {
        return Output::err(
            if gnu(ctx) {
                "sleep: missing operand\nTry 'sleep --help' for more information.\n"
            } else {
                "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: sleep [N]...\n"
            },
            1,
        );
    };
    if parse_sleep(a).is_none() {
        return Output::err(
            if gnu(ctx) {
                format!("sleep: invalid time interval '{a}'\nTry 'sleep --help' for more information.\n")
            } else {
                format!("sleep: invalid number '{a}'\n")
            },
            1,
        );
    }
    Output::ok()
}

// -------------------------------------------------------------- text tools

fn read_inputs(ctx: &mut Ctx, name: &str, files: &[&String], stdin: &str) -> (Vec<(String, String)>, Output) {
    let mut o = Output::default();
    let mut v = vec![];
    if files.is_empty() {
        v.push((String::new(), stdin.to_string()));
    }
    let g = gnu(ctx);
    for f in files {
        if f.as_str() == "-" {
            v.push((String::new(), stdin.to_string()));
            continue;
        }
        match ctx.fs().read(f) {
            Ok(c) => v.push((f.to_string(), c)),
            Err(e) => {
                o.eprint(match (g, name) {
                    (true, "head" | "tail") => format!("{name}: cannot open '{f}' for reading: {}\n", e.text()),
                    (true, _) | (false, "grep") => format!("{name}: {f}: {}\n", e.text()),
                    (false, _) => format!("{name}: can't open '{f}': {}\n", e.text()),
                });
                o.code = if name == "grep" { 2 } else { 1 };
            }
        }
    }
    (v, o)
}

fn wc(ctx: &mut Ctx, args: &[String], stdin: &str) -> Output {
    let flags: String = args.iter().filter(|a| a.starts_with('-')).flat_map(|a| a.chars().skip(1)).collect();
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let (inputs, mut o) = read_inputs(ctx, "wc", &files, stdin);
    let (l, w, c) = (flags.contains('l'), flags.contains('w'), flags.contains('c') || flags.contains('m'));
    let all = !l && !w && !c;
    let g = gnu(ctx);
    let single = (l as u8 + w as u8 + c as u8) == 1;
    let mut totals = (0, 0, 0);
    let mut rows = vec![];
    for (name, text) in &inputs {
        let counts = (text.matches('\n').count(), text.split_whitespace().count(), text.len());
        totals = (totals.0 + counts.0, totals.1 + counts.1, totals.2 + counts.2);
        rows.push((name.clone(), counts));
    }
    if inputs.len() > 1 {
        rows.push(("total".into(), totals));
    }
    // GNU wc pads to the width of the largest number (at least 7 when
    // reading stdin with several counts); busybox uses 7 columns always.
    let maxw = rows.iter().map(|(_, (a, b, c))| a.max(b).max(c).to_string().len()).max().unwrap_or(1);
    for (name, (nl, nw, nc)) in rows {
        let mut parts = vec![];
        if l || all {
            parts.push(nl);
        }
        if w || all {
            parts.push(nw);
        }
        if c || all {
            parts.push(nc);
        }
        let width = if g {
            if single && inputs.len() == 1 {
                0
            } else if name.is_empty() {
                7.max(maxw)
            } else {
                maxw
            }
        } else if single {
            0
        } else {
            7
        };
        let nums: Vec<String> = parts.iter().map(|n| format!("{n:>width$}")).collect();
        let mut line = nums.join(" ");
        if !name.is_empty() {
            line.push(' ');
            line.push_str(&name);
        }
        line.push('\n');
        o.print(line);
    }
    o
}

fn grep(ctx: &mut Ctx, args: &[String], stdin: &str) -> Output {
    let mut invert = false;
    let mut icase = false;
    let mut count = false;
    let mut quiet = false;
    let mut number = false;
    let mut only_names = false;
    let mut pattern: Option<String> = None;
    let mut files = vec![];
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-e" {
            pattern = args.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if a.starts_with('-') && a.len() > 1 {
            for c in a[1..].chars() {
                match c {
                    'v' => invert = true,
                    'i' => icase = true,
                    'c' => count = true,
                    'q' => quiet = true,
                    'n' => number = true,
                    'l' => only_names = true,
                    _ => {}
                }
            }
        } else if pattern.is_none() {
            pattern = Some(a.clone());
        } else {
            files.push(a);
        }
        i += 1;
    }
    let Some(pat) = pattern else {
        return Output::err(
            if gnu(ctx) {
                "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n"
            } else {
                "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: grep [-HhnlLoqvsrRiwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...\n"
            },
            2,
        );
    };
    let (inputs, mut o) = read_inputs(ctx, "grep", &files, stdin);
    let re = Regex::new(&pat, icase);
    let mut matched_any = false;
    let multi = inputs.len() > 1;
    for (name, text) in inputs {
        let mut n = 0;
        for (ln, line) in text.lines().enumerate() {
            if re.is_match(line) != invert {
                n += 1;
                matched_any = true;
                if !count && !quiet && !only_names {
                    let mut l = String::new();
                    if multi {
                        l.push_str(&format!("{name}:"));
                    }
                    if number {
                        l.push_str(&format!("{}:", ln + 1));
                    }
                    l.push_str(line);
                    l.push('\n');
                    o.print(l);
                }
            }
        }
        if count && !quiet {
            o.print(if multi { format!("{name}:{n}\n") } else { format!("{n}\n") });
        }
        if only_names && n > 0 && !quiet {
            o.print(format!("{}\n", if name.is_empty() { "(standard input)" } else { &name }));
        }
    }
    if o.code == 2 && !matched_any {
        return o;
    }
    o.code = if matched_any { 0 } else { 1 };
    o
}

/// A small regular expression engine (BRE/ERE subset: `.`, `*`, `+`, `?`,
/// `^`, `$`, `[...]`, `\` escapes). Enough for grep/sed in lessons.
pub struct Regex {
    pat: Vec<RItem>,
    anchored_start: bool,
    anchored_end: bool,
    icase: bool,
}

#[derive(Clone, Debug)]
enum RAtom {
    Any,
    Char(char),
    Set(Vec<(char, char)>, bool),
}

#[derive(Clone, Debug)]
struct RItem {
    atom: RAtom,
    min: usize,
    max: usize,
}

impl Regex {
    pub fn new(p: &str, icase: bool) -> Regex {
        let chars: Vec<char> = p.chars().collect();
        let mut i = 0;
        let mut items = vec![];
        let anchored_start = chars.first() == Some(&'^');
        if anchored_start {
            i = 1;
        }
        let mut end = chars.len();
        let anchored_end = end > i && chars[end - 1] == '$' && (end < 2 || chars[end - 2] != '\\');
        if anchored_end {
            end -= 1;
        }
        while i < end {
            let c = chars[i];
            let atom = match c {
                '.' => {
                    i += 1;
                    RAtom::Any
                }
                '[' => {
                    let mut j = i + 1;
                    let neg = chars.get(j) == Some(&'^');
                    if neg {
                        j += 1;
                    }
                    let mut ranges = vec![];
                    let mut first = true;
                    while j < end && (chars[j] != ']' || first) {
                        first = false;
                        if j + 2 < end && chars[j + 1] == '-' && chars[j + 2] != ']' {
                            ranges.push((chars[j], chars[j + 2]));
                            j += 3;
                        } else {
                            ranges.push((chars[j], chars[j]));
                            j += 1;
                        }
                    }
                    i = j + 1;
                    RAtom::Set(ranges, neg)
                }
                '\\' if i + 1 < end => {
                    i += 2;
                    match chars[i - 1] {
                        'd' => RAtom::Set(vec![('0', '9')], false),
                        'w' => RAtom::Set(vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], false),
                        's' => RAtom::Set(vec![(' ', ' '), ('\t', '\t')], false),
                        o => RAtom::Char(o),
                    }
                }
                _ => {
                    i += 1;
                    RAtom::Char(c)
                }
            };
            let (min, max) = match chars.get(i) {
                Some('*') if i < end => {
                    i += 1;
                    (0, usize::MAX)
                }
                Some('+') if i < end => {
                    i += 1;
                    (1, usize::MAX)
                }
                Some('?') if i < end => {
                    i += 1;
                    (0, 1)
                }
                _ => (1, 1),
            };
            items.push(RItem { atom, min, max });
        }
        Regex { pat: items, anchored_start, anchored_end, icase }
    }

    fn atom_matches(&self, a: &RAtom, c: char) -> bool {
        let eq = |x: char, y: char| if self.icase { x.to_lowercase().eq(y.to_lowercase()) } else { x == y };
        match a {
            RAtom::Any => true,
            RAtom::Char(x) => eq(*x, c),
            RAtom::Set(r, neg) => {
                let lc = if self.icase { c.to_ascii_lowercase() } else { c };
                let uc = if self.icase { c.to_ascii_uppercase() } else { c };
                r.iter().any(|(a, b)| (*a <= lc && lc <= *b) || (*a <= uc && uc <= *b)) != *neg
            }
        }
    }

    /// Length of the match of items[k..] at text[pos..], if any.
    fn match_here(&self, k: usize, t: &[char], pos: usize) -> Option<usize> {
        if k == self.pat.len() {
            return if !self.anchored_end || pos == t.len() { Some(pos) } else { None };
        }
        let it = &self.pat[k];
        let mut n = 0;
        while n < it.max && pos + n < t.len() && self.atom_matches(&it.atom, t[pos + n]) {
            n += 1;
        }
        loop {
            if n >= it.min
                && let Some(e) = self.match_here(k + 1, t, pos + n)
            {
                return Some(e);
            }
            if n == 0 {
                return None;
            }
            n -= 1;
        }
    }

    /// The first match: (start, end) in chars.
    pub fn find(&self, s: &str) -> Option<(usize, usize)> {
        let t: Vec<char> = s.chars().collect();
        let starts: Vec<usize> = if self.anchored_start { vec![0] } else { (0..=t.len()).collect() };
        for st in starts {
            if let Some(e) = self.match_here(0, &t, st) {
                return Some((st, e));
            }
        }
        None
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.find(s).is_some()
    }
}

fn head_tail(ctx: &mut Ctx, name: &str, args: &[String], stdin: &str) -> Output {
    let mut n: usize = 10;
    let mut files = vec![];
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-n" {
            n = args.get(i + 1).and_then(|v| v.trim_start_matches('+').parse().ok()).unwrap_or(10);
            i += 2;
            continue;
        }
        if let Some(num) = a.strip_prefix("-n") {
            n = num.parse().unwrap_or(10);
        } else if a.starts_with('-') && a[1..].chars().all(|c| c.is_ascii_digit()) && a.len() > 1 {
            n = a[1..].parse().unwrap_or(10);
        } else if !a.starts_with('-') {
            files.push(a);
        }
        i += 1;
    }
    let (inputs, mut o) = read_inputs(ctx, name, &files, stdin);
    let multi = inputs.len() > 1;
    for (k, (fname, text)) in inputs.iter().enumerate() {
        if multi {
            o.print(format!("{}==> {fname} <==\n", if k > 0 { "\n" } else { "" }));
        }
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let sel: Vec<&str> =
            if name == "head" { lines.iter().take(n).copied().collect() } else { lines.iter().skip(lines.len().saturating_sub(n)).copied().collect() };
        o.print(sel.concat());
    }
    o
}

fn date(ctx: &Ctx, args: &[String]) -> Output {
    let now = ctx.now();
    let s = now.rfc1123z(); // Mon, 05 Jan 2026 09:00:00 +0000
    let p: Vec<&str> = s.split(' ').collect();
    let (wd, day, mon, year, time) = (p[0].trim_end_matches(','), p[1].parse::<u32>().unwrap_or(1), p[2], p[3], p[4]);
    if let Some(fmt) = args.iter().find(|a| a.starts_with('+')) {
        let iso = now.rfc3339();
        let mut out = String::new();
        let mut it = fmt[1..].chars();
        while let Some(c) = it.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match it.next() {
                Some('Y') => out.push_str(year),
                Some('m') => out.push_str(&iso[5..7]),
                Some('d') => out.push_str(&iso[8..10]),
                Some('H') => out.push_str(&time[0..2]),
                Some('M') => out.push_str(&time[3..5]),
                Some('S') => out.push_str(&time[6..8]),
                Some('s') => out.push_str(&(now.0 / 1000).to_string()),
                Some('T') => out.push_str(time),
                Some('F') => out.push_str(&iso[..10]),
                Some('Z') => out.push_str("UTC"),
                Some('z') => out.push_str("+0000"),
                Some('a') => out.push_str(wd),
                Some('b') => out.push_str(mon),
                Some('%') => out.push('%'),
                Some(o) => {
                    out.push('%');
                    out.push(o);
                }
                None => out.push('%'),
            }
        }
        return Output::out(format!("{out}\n"));
    }
    Output::out(format!("{wd} {mon} {day:>2} {time} UTC {year}\n"))
}

fn uname(args: &[String]) -> Output {
    if args.iter().any(|a| a == "-a") {
        return Output::out("Linux kubarium 6.8.0-kubarium #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n");
    }
    if args.iter().any(|a| a == "-r") {
        return Output::out("6.8.0-kubarium\n");
    }
    if args.iter().any(|a| a == "-m") {
        return Output::out("x86_64\n");
    }
    Output::out("Linux\n")
}

fn seq(args: &[String]) -> Output {
    let nums: Vec<i64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let (a, step, b) = match nums.as_slice() {
        [b] => (1, 1, *b),
        [a, b] => (*a, 1, *b),
        [a, s, b] => (*a, *s, *b),
        _ => return Output::err("seq: missing operand\n", 1),
    };
    let mut o = String::new();
    let mut x = a;
    let mut n = 0;
    while (step > 0 && x <= b || step < 0 && x >= b) && n < 100_000 {
        o.push_str(&format!("{x}\n"));
        x += step;
        n += 1;
    }
    Output::out(o)
}

fn tee(ctx: &mut Ctx, args: &[String], stdin: &str) -> Output {
    let append = args.iter().any(|a| a == "-a");
    let mut o = Output::out(stdin);
    for f in args.iter().filter(|a| !a.starts_with('-')) {
        let mut fs = ctx.fs();
        let r = if append { fs.append(f, stdin) } else { fs.write(f, stdin) };
        if let Err(e) = r {
            o.eprint(format!("tee: {f}: {}\n", e.text()));
            o.code = 1;
        }
    }
    o
}

fn sort(args: &[String], stdin: &str) -> Output {
    let mut lines: Vec<&str> = stdin.lines().collect();
    let numeric = args.iter().any(|a| a.starts_with('-') && a.contains('n'));
    if numeric {
        crate::engine::sort::sort_by(&mut lines, |a, b| {
            let x: f64 = a.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
            let y: f64 = b.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
            x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal)
        });
    } else {
        crate::engine::sort::sort(&mut lines);
    }
    if args.iter().any(|a| a.starts_with('-') && a.contains('r')) {
        lines.reverse();
    }
    if args.iter().any(|a| a.starts_with('-') && a.contains('u')) {
        lines.dedup();
    }
    Output::out(lines.iter().map(|l| format!("{l}\n")).collect::<String>())
}

fn uniq(stdin: &str) -> Output {
    let mut lines: Vec<&str> = stdin.lines().collect();
    lines.dedup();
    Output::out(lines.iter().map(|l| format!("{l}\n")).collect::<String>())
}

fn tr(args: &[String], stdin: &str) -> Output {
    let expand = |s: &str| -> Vec<char> {
        match s {
            "[:lower:]" => ('a'..='z').collect(),
            "[:upper:]" => ('A'..='Z').collect(),
            "[:space:]" => vec![' ', '\t', '\n', '\r'],
            "[:digit:]" => ('0'..='9').collect(),
            _ => {
                let c: Vec<char> = unescape(s).0.chars().collect();
                let mut v = vec![];
                let mut i = 0;
                while i < c.len() {
                    if i + 2 < c.len() && c[i + 1] == '-' {
                        v.extend(c[i]..=c[i + 2]);
                        i += 3;
                    } else {
                        v.push(c[i]);
                        i += 1;
                    }
                }
                v
            }
        }
    };
    let delete = args.iter().any(|a| a == "-d");
    let sets: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let Some(s1) = sets.first() else { return Output::err("tr: missing operand\n", 1) };
    let from = expand(s1);
    if delete {
        return Output::out(stdin.chars().filter(|c| !from.contains(c)).collect::<String>());
    }
    let to = sets.get(1).map(|s| expand(s)).unwrap_or_default();
    let out: String = stdin
        .chars()
        .map(|c| match from.iter().position(|f| *f == c) {
            Some(i) => *to.get(i).or(to.last()).unwrap_or(&c),
            None => c,
        })
        .collect();
    Output::out(out)
}

fn cut(args: &[String], stdin: &str) -> Output {
    let mut delim = '\t';
    let mut fields: Vec<usize> = vec![];
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let val = |pfx: &str| -> Option<String> { if a.len() > 2 { Some(a[pfx.len()..].to_string()) } else { args.get(i + 1).cloned() } };
        if a.starts_with("-d") {
            delim = val("-d").and_then(|v| v.chars().next()).unwrap_or('\t');
            if a.len() == 2 {
                i += 1;
            }
        } else if a.starts_with("-f") {
            let spec = val("-f").unwrap_or_default();
            for part in spec.split(',') {
                if let Some((x, y)) = part.split_once('-') {
                    let (x, y): (usize, usize) = (x.parse().unwrap_or(1), y.parse().unwrap_or(64));
                    fields.extend(x..=y);
                } else if let Ok(n) = part.parse() {
                    fields.push(n);
                }
            }
            if a.len() == 2 {
                i += 1;
            }
        }
        i += 1;
    }
    let mut o = String::new();
    for line in stdin.lines() {
        let parts: Vec<&str> = line.split(delim).collect();
        if parts.len() == 1 {
            o.push_str(line);
        } else {
            let sel: Vec<&str> = fields.iter().filter_map(|f| parts.get(f - 1).copied()).collect();
            o.push_str(&sel.join(&delim.to_string()));
        }
        o.push('\n');
    }
    Output::out(o)
}

fn sed(ctx: &mut Ctx, args: &[String], stdin: &str) -> Output {
    let in_place = args.iter().any(|a| a == "-i");
    let mut script = None;
    let mut files = vec![];
    let mut i = 0;
    while i < args.len() {
        if args[i] == "-e" {
            script = args.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if !args[i].starts_with('-') {
            if script.is_none() {
                script = Some(args[i].clone());
            } else {
                files.push(&args[i]);
            }
        }
        i += 1;
    }
    let Some(script) = script else { return Output::err("Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n", 1) };
    let apply = |text: &str| -> Option<String> {
        let s = script.strip_prefix('s')?;
        let d = s.chars().next()?;
        let parts: Vec<&str> = s[d.len_utf8()..].split(d).collect();
        if parts.len() < 2 {
            return None;
        }
        let re = Regex::new(parts[0], false);
        let rep = parts[1];
        let global = parts.get(2).is_some_and(|f| f.contains('g'));
        let mut out = String::new();
        for line in text.split_inclusive('\n') {
            let (body, nl) = match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            };
            let chars: Vec<char> = body.chars().collect();
            let mut res = String::new();
            let mut pos = 0;
            while pos <= chars.len() {
                let rest: String = chars[pos..].iter().collect();
                match re.find(&rest) {
                    Some((s, e)) if !(re.anchored_start && pos > 0) => {
                        res.extend(&chars[pos..pos + s]);
                        let matched: String = chars[pos + s..pos + e].iter().collect();
                        res.push_str(&rep.replace('&', &matched));
                        if e == s {
                            if pos + s < chars.len() {
                                res.push(chars[pos + s]);
                            }
                            pos += s + 1;
                        } else {
                            pos += e;
                        }
                        if !global {
                            res.extend(chars.get(pos..).unwrap_or(&[]));
                            pos = chars.len() + 1;
                        }
                    }
                    _ => {
                        res.extend(&chars[pos..]);
                        pos = chars.len() + 1;
                    }
                }
            }
            out.push_str(&res);
            out.push_str(nl);
        }
        Some(out)
    };
    let (inputs, mut o) = read_inputs(ctx, "sed", &files, stdin);
    for (name, text) in inputs {
        let Some(res) = apply(&text) else {
            return Output::err(format!("sed: -e expression #1, char {}: unknown command: `{}'\n", 1, script.chars().next().unwrap_or(' ')), 1);
        };
        if in_place && !name.is_empty() {
            let _ = ctx.fs().write(&name, &res);
        } else {
            o.print(res);
        }
    }
    o
}

fn awk(args: &[String], stdin: &str) -> Output {
    // '{print $N, $M}' with an optional -F separator.
    let mut sep: Option<String> = None;
    let mut prog = String::new();
    let mut i = 0;
    while i < args.len() {
        if let Some(f) = args[i].strip_prefix("-F") {
            sep = Some(if f.is_empty() {
                i += 1;
                args.get(i).cloned().unwrap_or_default()
            } else {
                f.to_string()
            });
        } else if prog.is_empty() {
            prog = args[i].clone();
        }
        i += 1;
    }
    let body = prog.trim().trim_start_matches('{').trim_end_matches('}').trim();
    let Some(list) = body.strip_prefix("print") else { return Output::out(stdin) };
    let items: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
    let mut o = String::new();
    for line in stdin.lines() {
        let fields: Vec<&str> = match &sep {
            Some(s) => line.split(s.as_str()).collect(),
            None => line.split_whitespace().collect(),
        };
        let vals: Vec<String> = items
            .iter()
            .filter(|s| !s.is_empty())
            .map(|it| {
                if let Some(n) = it.strip_prefix('$') {
                    match n.parse::<usize>() {
                        Ok(0) => line.to_string(),
                        Ok(k) => fields.get(k - 1).unwrap_or(&"").to_string(),
                        Err(_) if n == "NF" => fields.last().unwrap_or(&"").to_string(),
                        Err(_) => String::new(),
                    }
                } else if it == "NF" {
                    fields.len().to_string()
                } else {
                    it.trim_matches('"').to_string()
                }
            })
            .collect();
        o.push_str(&if items.iter().all(|s| s.is_empty()) { line.to_string() } else { vals.join(" ") });
        o.push('\n');
    }
    Output::out(o)
}

fn xargs(ctx: &mut Ctx, args: &[String], stdin: &str) -> Output {
    let mut argv: Vec<String> = if args.is_empty() { vec!["echo".into()] } else { args.to_vec() };
    argv.extend(stdin.split_whitespace().map(|s| s.to_string()));
    if !super::image::has_program(&ctx.img, &argv[0]) && argv[0] != "echo" {
        return Output::err(format!("xargs: {}: No such file or directory\n", argv[0]), 127);
    }
    run(ctx, &argv, "")
}

fn find(ctx: &mut Ctx, args: &[String]) -> Output {
    let mut roots = vec![];
    let mut name_pat: Option<String> = None;
    let mut kind: Option<char> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-name" => {
                name_pat = args.get(i + 1).cloned();
                i += 2;
                continue;
            }
            "-type" => {
                kind = args.get(i + 1).and_then(|t| t.chars().next());
                i += 2;
                continue;
            }
            a if !a.starts_with('-') => roots.push(a.to_string()),
            _ => {}
        }
        i += 1;
    }
    if roots.is_empty() {
        roots.push(".".into());
    }
    let mut o = Output::default();
    for r in roots {
        let fs = ctx.fs();
        let base = clean(&r, &fs.cwd);
        if !fs.exists(&base) {
            o.eprint(format!("find: '{r}': No such file or directory\n"));
            o.code = 1;
            continue;
        }
        let mut all = vec![base.clone()];
        all.extend(fs.walk_all(&base));
        for p in all {
            let shown = if r.starts_with('/') {
                p.clone()
            } else if p == base {
                r.clone()
            } else {
                format!("{}{}", r.trim_end_matches('/'), &p[base.len()..])
            };
            let name = p.rsplit('/').next().unwrap_or("");
            if let Some(pat) = &name_pat
                && !super::sh::glob_match(pat, name)
            {
                continue;
            }
            let is_dir = fs.is_dir(&p);
            match kind {
                Some('f') if is_dir => continue,
                Some('d') if !is_dir => continue,
                _ => {}
            }
            o.print(format!("{shown}\n"));
        }
    }
    o
}

fn stat(ctx: &mut Ctx, args: &[String]) -> Output {
    let mut o = Output::default();
    for f in args.iter().filter(|a| !a.starts_with('-')) {
        let fs = ctx.fs();
        if !fs.exists(f) {
            o.eprint(format!("stat: cannot statx '{f}': No such file or directory\n"));
            o.code = 1;
            continue;
        }
        let dir = fs.is_dir(f);
        let size = if dir { 4096 } else { fs.read(f).map(|c| c.len()).unwrap_or(0) };
        o.print(format!(
            "  File: {f}\n  Size: {size:<15} Blocks: {:<10} IO Block: 4096   {}\n",
            size.div_ceil(512),
            if dir { "directory" } else { "regular file" }
        ));
    }
    o
}

/// `df`: the container's root and its mounts, with where each volume lives.
fn df(ctx: &mut Ctx, args: &[String]) -> Output {
    use crate::engine::world::VolumeId;
    let human = args.iter().any(|a| a.starts_with('-') && a.contains('h'));
    let mut rows = vec![("overlay".to_string(), "/".to_string(), 100u64 << 30)];
    let mut mounts = ctx.p.mounts.clone();
    crate::engine::sort::sort_by(&mut mounts, |a, b| a.path.cmp(&b.path));
    for m in &mounts {
        let src = match &m.volume {
            VolumeId::HostDir { .. } => "/dev/sda1".to_string(),
            VolumeId::Nfs { server, path } => format!("{server}:{path}"),
            VolumeId::Disk { .. } => "/dev/nvme1n1".to_string(),
            VolumeId::EmptyDir { .. } => "/dev/sda1".to_string(),
            VolumeId::Container { .. } => "overlay".to_string(),
        };
        rows.push((src, m.path.clone(), 100u64 << 30));
    }
    let mut o = String::new();
    if human {
        o.push_str("Filesystem      Size  Used Avail Use% Mounted on\n");
    } else {
        o.push_str("Filesystem     1K-blocks    Used Available Use% Mounted on\n");
    }
    for (src, path, size) in rows {
        let used = 1u64 << 30;
        if human {
            o.push_str(&format!("{:<15} {:>4} {:>5} {:>5} {:>4} {}\n", src, human_size(size), human_size(used), human_size(size - used), "1%", path));
        } else {
            o.push_str(&format!("{:<14} {:>9} {:>7} {:>9} {:>4} {}\n", src, size >> 10, used >> 10, (size - used) >> 10, "1%", path));
        }
    }
    Output::out(o)
}

// ------------------------------------------------------------------ test

/// `test` / `[`: 0 true, 1 false, 2 error.
pub fn test(ctx: &mut Ctx, args: &[String]) -> i32 {
    fn eval(ctx: &mut Ctx, a: &[String]) -> Option<bool> {
        // Lowest precedence: -o, then -a, then !.
        if let Some(i) = a.iter().position(|x| x == "-o") {
            return Some(eval(ctx, &a[..i])? || eval(ctx, &a[i + 1..])?);
        }
        if let Some(i) = a.iter().position(|x| x == "-a")
            && i > 0
        {
            return Some(eval(ctx, &a[..i])? && eval(ctx, &a[i + 1..])?);
        }
        match a {
            [] => Some(false),
            [x] => Some(!x.is_empty()),
            [n, x] if n == "!" => Some(!eval(ctx, std::slice::from_ref(x))?),
            [op, x] => {
                let fs = ctx.fs();
                Some(match op.as_str() {
                    "-z" => x.is_empty(),
                    "-n" => !x.is_empty(),
                    "-e" => fs.exists(x),
                    "-f" => fs.exists(x) && !fs.is_dir(x),
                    "-d" => fs.is_dir(x),
                    "-s" => fs.read(x).is_ok_and(|c| !c.is_empty()),
                    "-r" | "-w" | "-x" => fs.exists(x),
                    "-L" | "-h" => false,
                    _ => return None,
                })
            }
            [n, rest @ ..] if n == "!" => Some(!eval(ctx, rest)?),
            [x, op, y] => {
                let num = |s: &str| s.trim().parse::<i64>().ok();
                Some(match op.as_str() {
                    "=" | "==" => x == y,
                    "!=" => x != y,
                    "-eq" => num(x)? == num(y)?,
                    "-ne" => num(x)? != num(y)?,
                    "-lt" => num(x)? < num(y)?,
                    "-le" => num(x)? <= num(y)?,
                    "-gt" => num(x)? > num(y)?,
                    "-ge" => num(x)? >= num(y)?,
                    _ => return None,
                })
            }
            _ => None,
        }
    }
    match eval(ctx, args) {
        Some(true) => 0,
        Some(false) => 1,
        None => 2,
    }
}
