//! `curl` and busybox `wget`: resolve the host (cluster DNS), connect
//! through the Service to a backend, and fetch from the nginx/httpd that
//! listens there; errors and the progress meter as curl prints them.
//!
//! curl: `-s`, `-S`, `-o FILE`, `-w FORMAT`, `-I`, `-i`, `-f`, `-L`, `-X
//! METHOD`, `-d` (makes a POST), grouped short options (`-sSf`), `-H
//! 'Host: NAME'` (the Host header sent, which ingress-nginx routes by);
//! other `-H` headers, `-m`, `--connect-timeout`, `-A`, `-u`, `--retry`,
//! `-k`, `-v`, `--compressed` accepted and ignored; other long options are refused as
//! curl refuses them. http:// only, served by nginx or httpd in the target
//! pod; https, or a server that does not speak HTTP, fails as a
//! connection that yields no response. wget (busybox): `-q`, `-O FILE`/`-O -`,
//! `--spider`, `-T`, `--header 'Host: NAME'`.

use super::http::{self, Response};
use super::ingress;
use super::net::{self, Addr, AddrKind};
use super::{Ctx, Output, ServerState};
use crate::engine::api::Pod;

struct Url {
    scheme: String,
    host: String,
    port: u16,
    /// Path and query as sent (`/`, `/a?b`).
    target: String,
    /// Host header (`www`, `www:8080`).
    host_header: String,
}

fn parse_url(u: &str) -> Result<Url, String> {
    let (scheme, rest) = match u.split_once("://") {
        Some((s, r)) => (s.to_lowercase(), r),
        None => ("http".to_string(), u),
    };
    let (hostport, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') { format!("/{path}") } else { path.to_string() };
    let hostport = hostport.rsplit('@').next().unwrap_or(hostport);
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(scheme),
    };
    let (host, port, explicit) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), p.parse::<u16>().map_err(|_| String::new())?, true),
        _ => (hostport.to_string(), default_port, false),
    };
    let host_header = if explicit && port != default_port { format!("{host}:{port}") } else { host.clone() };
    Ok(Url { scheme, host, port, target: path, host_header })
}

fn curl_version(ctx: &Ctx) -> &'static str {
    match ctx.img.distro.as_str() {
        "trixie" => "8.14.1",
        "bookworm" => "7.88.1",
        "bullseye" => "7.74.0",
        "alpine" => "8.14.1",
        "oraclelinux9" => "7.76.1",
        _ => "8.14.1",
    }
}

fn max5(n: u64) -> String {
    if n < 100_000 {
        format!("{n:>5}")
    } else if n < 10_000 * 1024 {
        format!("{:>4}k", n / 1024)
    } else {
        format!("{:>2}.{}M", n / (1024 * 1024), (n % (1024 * 1024)) / (1024 * 1024 / 10))
    }
}

/// curl's progress meter (printed to stderr when not silenced): the
/// header, the first zero line and the final line.
fn meter(size: u64) -> String {
    let speed = size * 1000;
    let zero = format!("\r{:>3} {}  {:>3} {}  {:>3} {}  {}  {} --:--:-- --:--:-- --:--:-- {}", 0, max5(0), 0, max5(0), 0, max5(0), max5(0), max5(0), max5(0));
    let last = format!(
        "\r{:>3} {}  {:>3} {}  {:>3} {}  {}  {} --:--:-- --:--:-- --:--:-- {}",
        100,
        max5(size),
        100,
        max5(size),
        0,
        max5(0),
        max5(speed),
        max5(0),
        max5(speed)
    );
    format!(
        "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n{zero}{last}\n"
    )
}

/// One HTTP exchange from this container. Err: (curl exit code, message).
/// `timeout`: --connect-timeout or --max-time, in ms.
fn fetch(ctx: &mut Ctx, url: &Url, method: &str, ua: &str, timeout: Option<i64>) -> Result<(Response, String), (i32, String)> {
    let addrs = net::resolve(ctx, &url.host).ok_or_else(|| (6, format!("Could not resolve host: {}", url.host)))?;
    let client_ip = ctx.pod_ip();
    let mut dropped = false;
    for a in &addrs {
        match try_addr(ctx, a, url, method, ua, &client_ip) {
            Ok(r) => return Ok((r, a.ip.clone())),
            Err(d) => dropped |= d,
        }
    }
    if dropped {
        // a NetworkPolicy dropped the SYNs: curl's timer, else the kernel's retries
        return Err(match timeout {
            Some(ms) => (28, format!("Connection timed out after {} milliseconds", ms + 1)),
            None => (28, format!("Failed to connect to {} port {} after 130949 ms: Connection timed out", url.host, url.port)),
        });
    }
    let unreachable = addrs.iter().all(|a| matches!(&a.kind, net::AddrKind::Pod(uid) if uid.is_empty()));
    let ms = if unreachable { 3067 } else { 0 };
    Err((7, format!("Failed to connect to {} port {} after {ms} ms: Couldn't connect to server", url.host, url.port)))
}

/// Err(true): the connection was dropped by a NetworkPolicy; Err(false): refused.
fn try_addr(ctx: &mut Ctx, a: &Addr, url: &Url, method: &str, ua: &str, client_ip: &str) -> Result<Response, bool> {
    let (uid, port) = net::route(ctx, a, url.port).ok_or(false)?;
    if !net::may_connect(ctx, &uid, port) {
        return Err(true);
    }
    let key = net::listener(ctx, &uid, port);
    let r = key.and_then(|k| ctx.cx.rt.running.get(&k)).cloned();
    let proxy = r.is_none() && url.scheme == "http" && ingress::answers(ctx.cx.api, &uid, port);
    if !proxy && (!r.as_ref().is_some_and(|r| http::is_http(&r.server)) || url.scheme == "https") {
        return Err(false);
    }
    if ctx.main
        && let Some(r) = ctx.cx.rt.recording.as_mut()
    {
        r.push((url.host.clone(), url.port));
    }
    let Some(r) = r.filter(|_| !proxy) else { return Ok(ingress_proxy(ctx, &uid, url, method, ua)) };
    let now = ctx.now();
    // Connections to 127.0.0.1 come from 127.0.0.1; to the pod's own IP
    // (its hostname, from /etc/hosts), from that IP.
    let from = if a.ip == "127.0.0.1" || a.ip == "::1" { "127.0.0.1".to_string() } else { client_ip.to_string() };
    Ok(http::serve(ctx.cx.rt, ctx.cx.world, now, &r.proc, &r.server, method, &url.target, &url.host_header, &from, ua))
}

/// ingress-nginx in the controller pod `uid` answers on its port 80: the
/// request goes to the backend its Ingresses pick, through the Service's
/// ready endpoints.
fn ingress_proxy(ctx: &mut Ctx, uid: &str, url: &Url, method: &str, ua: &str) -> Response {
    let now = ctx.now();
    let from = ctx.cx.api.store.by_uid(uid).and_then(|o| o.as_::<Pod>()).map(|p| p.status.pod_ip.clone()).unwrap_or_default();
    let (namespace, name, ip, port) = match ingress::upstream(ctx.cx.api, &url.host_header, &url.target) {
        Ok(u) => u,
        Err(status) => return http::ingress_error(status, now),
    };
    let addr = Addr { host: url.host.clone(), ip, kind: AddrKind::Service { namespace, name } };
    let Some((b, bport)) = net::route(ctx, &addr, port) else { return http::ingress_error(503, now) };
    let r = net::listener(ctx, &b, bport).and_then(|k| ctx.cx.rt.running.get(&k)).filter(|r| http::is_http(&r.server)).cloned();
    let Some(r) = r else { return http::ingress_error(502, now) };
    let mut resp = http::serve(ctx.cx.rt, ctx.cx.world, now, &r.proc, &r.server, method, &url.target, &url.host_header, &from, ua);
    // nginx's proxy hides the upstream's Server header
    resp.headers.retain(|(k, _)| k != "Server");
    resp
}

/// `curl [options] URL`
pub fn curl(ctx: &mut Ctx, args: &[String]) -> Output {
    let mut silent = false;
    let mut show_error = false;
    let mut out_file: Option<String> = None;
    let mut write_out: Option<String> = None;
    let mut head = false;
    let mut include = false;
    let mut fail = false;
    let mut follow = false;
    let mut method: Option<String> = None;
    let mut timeout: Option<i64> = None;
    let mut host: Option<String> = None;
    let mut urls = vec![];
    let mut i = 0;
    while i < args.len() {
        let a = args[i].clone();
        let next = |i: &mut usize| -> Option<String> {
            *i += 1;
            args.get(*i).cloned()
        };
        match a.as_str() {
            "-s" | "--silent" => silent = true,
            "-S" | "--show-error" => show_error = true,
            "-o" | "--output" => out_file = next(&mut i),
            "-w" | "--write-out" => write_out = next(&mut i),
            "-I" | "--head" => head = true,
            "-i" | "--include" => include = true,
            "-f" | "--fail" => fail = true,
            "-L" | "--location" => follow = true,
            "-X" | "--request" => method = next(&mut i),
            "-m" | "--max-time" | "--connect-timeout" => {
                let secs = next(&mut i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
                let ms = (secs * 1000.0) as i64;
                if ms > 0 {
                    timeout = Some(timeout.map_or(ms, |t: i64| t.min(ms)));
                }
            }
            "-H" | "--header" => {
                // a Host header replaces the URL's; others are sent unread
                if let Some((k, v)) = next(&mut i).as_deref().and_then(|h| h.split_once(':'))
                    && k.trim().eq_ignore_ascii_case("host")
                {
                    host = Some(v.trim().to_string());
                }
            }
            "-A" | "--user-agent" | "-u" | "--retry" => {
                next(&mut i);
            }
            "-d" | "--data" | "--data-raw" => {
                next(&mut i);
                method.get_or_insert("POST".into());
            }
            "-k" | "--insecure" | "-v" | "--verbose" | "-4" | "-6" | "--compressed" => {}
            _ if a.starts_with('-') && a.len() > 1 && !a.starts_with("--") => {
                // Grouped short options: -sS, -sSf, -sI, -so (with argument next).
                for c in a[1..].chars() {
                    match c {
                        's' => silent = true,
                        'S' => show_error = true,
                        'I' => head = true,
                        'i' => include = true,
                        'f' => fail = true,
                        'L' => follow = true,
                        'k' | 'v' => {}
                        'o' => out_file = next(&mut i),
                        'w' => write_out = next(&mut i),
                        _ => {}
                    }
                }
            }
            _ if a.starts_with("--") => {
                return Output::err(format!("curl: option {a}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n"), 2);
            }
            _ => urls.push(a),
        }
        i += 1;
    }
    let ua = format!("curl/{}", curl_version(ctx));
    let Some(u) = urls.first().cloned() else {
        return Output::err("curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more information\n", 2);
    };
    let mut o = Output::default();
    let url = match parse_url(&u) {
        Ok(url) => url,
        Err(scheme) if !scheme.is_empty() => {
            let msg =
                format!("curl: (1) Protocol \"{scheme}\" not supported{}\n", if curl_version(ctx).starts_with('7') { " or disabled in libcurl" } else { "" });
            return Output::err(if silent && !show_error { String::new() } else { msg }, 1);
        }
        Err(_) => {
            return Output::err(
                if silent && !show_error { String::new() } else { "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n".into() },
                3,
            );
        }
    };
    let method = method.unwrap_or_else(|| if head { "HEAD".into() } else { "GET".into() });
    let mut url = url;
    if let Some(h) = host {
        url.host_header = h;
    }
    let mut hops = 0;
    let (resp, ip) = loop {
        match fetch(ctx, &url, &method, &ua, timeout) {
            Ok((r, ip)) => {
                if follow
                    && r.status == 301
                    && hops < 5
                    && let Some((_, loc)) = r.headers.iter().find(|(k, _)| k == "Location")
                    && let Ok(next) = parse_url(loc)
                {
                    url = next;
                    hops += 1;
                    continue;
                }
                break (r, ip);
            }
            Err((code, msg)) => {
                let mut o = Output::default();
                if !silent {
                    o.eprint(
                        meter(0)
                            .replace(&format!("\r{:>3} {}  {:>3} {}", 100, max5(0), 100, max5(0)), &format!("\r{:>3} {}  {:>3} {}", 0, max5(0), 0, max5(0))),
                    );
                }
                if !silent || show_error {
                    o.eprint(format!("curl: ({code}) {msg}\n"));
                }
                if let Some(w) = &write_out {
                    o.print(write_out_fmt(w, 0, 0, &url, ""));
                }
                return o.with_code(code);
            }
        }
    };
    let header_block = {
        let mut s = format!("HTTP/1.1 {} {}\r\n", resp.status, resp.reason);
        for (k, v) in &resp.headers {
            s.push_str(&format!("{k}: {v}\r\n"));
        }
        s.push_str("\r\n");
        s
    };
    if fail && resp.status >= 400 {
        if !silent {
            o.eprint(meter(0).replace(&format!("\r{:>3} {}  {:>3} {}", 100, max5(0), 100, max5(0)), &format!("\r{:>3} {}  {:>3} {}", 0, max5(0), 0, max5(0))));
        }
        if !silent || show_error {
            o.eprint(format!("curl: (22) The requested URL returned error: {}\n", resp.status));
        }
        return o.with_code(22);
    }
    let mut body = String::new();
    if head || include {
        body.push_str(&header_block);
    }
    body.push_str(&resp.body);
    let to_file = out_file.as_deref().filter(|f| *f != "-");
    if !silent && (to_file.is_some() || !head) {
        o.eprint(meter(resp.body.len() as u64));
    }
    match to_file {
        Some("/dev/null") => {}
        Some(f) => {
            if let Err(e) = ctx.fs().write(f, &body) {
                o.eprint(format!("Warning: Failed to open the file {f}: {}\n", e.text()));
                if !silent || show_error {
                    o.eprint("curl: (23) Failure writing output to destination\n");
                }
                return o.with_code(23);
            }
        }
        None => o.print(body),
    }
    if let Some(w) = &write_out {
        let ctype = resp.headers.iter().find(|(k, _)| k == "Content-Type").map(|(_, v)| v.clone()).unwrap_or_default();
        o.print(write_out_fmt(w, resp.status, resp.body.len(), &url, &format!("{ip}|{ctype}")));
    }
    o
}

fn write_out_fmt(fmt: &str, status: u16, size: usize, url: &Url, extra: &str) -> String {
    let (ip, ctype) = extra.split_once('|').unwrap_or(("", ""));
    let mut s = fmt.to_string();
    for (k, v) in [
        ("%{http_code}", format!("{status:03}")),
        ("%{response_code}", format!("{status:03}")),
        ("%{size_download}", size.to_string()),
        ("%{time_total}", "0.001234".to_string()),
        ("%{remote_ip}", ip.to_string()),
        ("%{content_type}", ctype.to_string()),
        ("%{url_effective}", format!("{}://{}{}", url.scheme, url.host_header, url.target)),
    ] {
        s = s.replace(k, &v);
    }
    s.replace("\\n", "\n").replace("\\t", "\t")
}

/// busybox `wget`
pub fn wget(ctx: &mut Ctx, args: &[String]) -> Output {
    let mut quiet = false;
    let mut out: Option<String> = None;
    let mut spider = false;
    let mut host: Option<String> = None;
    let mut urls = vec![];
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        match a.as_str() {
            "-q" => quiet = true,
            "-O" => {
                i += 1;
                out = args.get(i).cloned();
            }
            "--spider" => spider = true,
            // Options with a value Kubarium does not act on (timeouts: a
            // dropped connection ends as "download timed out" either way;
            // user agent, log file, headers, directory, proxy).
            "--header" => {
                i += 1;
                if let Some((k, v)) = args.get(i).and_then(|h| h.split_once(':'))
                    && k.trim().eq_ignore_ascii_case("host")
                {
                    host = Some(v.trim().to_string());
                }
            }
            "-T" | "-U" | "-o" | "-P" | "-Y" => i += 1,
            "-qO-" | "-qO" => {
                quiet = true;
                out = if a == "-qO-" {
                    Some("-".into())
                } else {
                    i += 1;
                    args.get(i).cloned()
                };
            }
            _ if a.starts_with("-O") => out = Some(a[2..].to_string()),
            _ if a.starts_with('-') => {
                if a.contains('q') {
                    quiet = true;
                }
                if let Some(p) = a.find('O') {
                    let rest = &a[p + 1..];
                    out = if rest.is_empty() {
                        i += 1;
                        args.get(i).cloned()
                    } else {
                        Some(rest.to_string())
                    };
                }
            }
            _ => urls.push(a.clone()),
        }
        i += 1;
    }
    let Some(u) = urls.first() else {
        return Output::err(
            "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...\n",
            1,
        );
    };
    let mut url = match parse_url(u) {
        Ok(u) => u,
        Err(_) => return Output::err(format!("wget: not an http or ftp url: {u}\n"), 1),
    };
    let shown = url.host_header.clone();
    if let Some(h) = host {
        url.host_header = h;
    }
    let mut o = Output::default();
    let addrs = match net::resolve(ctx, &url.host) {
        Some(a) => a,
        None => return Output::err(format!("wget: bad address '{}'\n", url.host), 1),
    };
    let ip = addrs.last().map(|a| a.ip.clone()).unwrap_or_default();
    if !quiet {
        o.eprint(format!("Connecting to {shown} ({ip}:{})\n", url.port));
    }
    let client_ip = ctx.pod_ip();
    let mut resp = None;
    let mut dropped = false;
    for a in &addrs {
        match try_addr(ctx, a, &url, "GET", "Wget", &client_ip) {
            Ok(r) => {
                resp = Some(r);
                break;
            }
            Err(d) => dropped |= d,
        }
    }
    let Some(r) = resp else {
        if dropped {
            o.eprint("wget: download timed out\n");
        } else {
            o.eprint(format!("wget: can't connect to remote host ({ip}): Connection refused\n"));
        }
        return o.with_code(1);
    };
    if r.status >= 400 {
        o.eprint(format!("wget: server returned error: HTTP/1.1 {} {}\n", r.status, r.reason));
        return o.with_code(1);
    }
    if spider {
        if !quiet {
            o.eprint("remote file exists\n");
        }
        return o;
    }
    let name = out.unwrap_or_else(|| {
        let last = url.target.split('?').next().unwrap_or("/").rsplit('/').next().unwrap_or("");
        if last.is_empty() { "index.html".into() } else { last.to_string() }
    });
    if name == "-" {
        if !quiet {
            o.eprint("writing to stdout\n");
        }
        o.print(r.body.clone());
        if !quiet {
            o.eprint(format!("-                    100% |********************************| {:>5}  0:00:00 ETA\nwritten to stdout\n", r.body.len()));
        }
        return o;
    }
    if let Err(e) = ctx.fs().write(&name, &r.body) {
        o.eprint(format!("wget: can't open '{name}': {}\n", e.text()));
        return o.with_code(1);
    }
    if !quiet {
        o.eprint(format!("saving to '{name}'\n{:<20} 100% |********************************| {:>5}  0:00:00 ETA\n'{name}' saved\n", name, r.body.len()));
    }
    let _ = ServerState::None;
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("http://www").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.target.as_str(), u.host_header.as_str()), ("www", 80, "/", "www"));
        let u = parse_url("www:8080/a/b?x=1").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.target.as_str(), u.host_header.as_str()), ("www", 8080, "/a/b?x=1", "www:8080"));
        let u = parse_url("http://web-0.web.default.svc.cluster.local:80/").unwrap();
        assert_eq!((u.port, u.host_header.as_str()), (80, "web-0.web.default.svc.cluster.local"));
        assert!(parse_url("ftp://x").is_err());
    }

    #[test]
    fn progress_meter_layout() {
        let m = meter(612);
        assert!(m.ends_with("\r100   612  100   612    0     0   597k      0 --:--:-- --:--:-- --:--:--  597k\n"), "{m:?}");
        assert!(m.contains("\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"));
    }
}
