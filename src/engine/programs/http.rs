//! nginx and httpd: the images' entrypoints and startup logs, and serving
//! files from the document root as the server sees it (the image's files,
//! or whatever volume is mounted over the directory), with their error
//! pages, response headers, access and error log lines.

use super::Runtime;
use super::image::gcc;
use super::{Ctx, Main, Output, Proc, ServerState, append_log};
use crate::engine::fs::clean;
use crate::engine::time::Time;
use crate::engine::world::World;

/// nginx's time format in its error log: `2026/01/05 09:00:00`.
fn nginx_time(t: Time) -> String {
    let s = t.rfc3339();
    format!("{}/{}/{} {}", &s[0..4], &s[5..7], &s[8..10], &s[11..19])
}

/// Common log format time: `05/Jan/2026:09:00:00 +0000`.
fn clf_time(t: Time) -> String {
    let s = t.rfc1123z(); // Mon, 05 Jan 2026 09:00:00 +0000
    let p: Vec<&str> = s.split(' ').collect();
    format!("{}/{}/{}:{} +0000", p[1], p[2], p[3], p[4])
}

/// HTTP date: `Mon, 05 Jan 2026 09:00:00 GMT`.
pub fn http_date(t: Time) -> String {
    t.rfc1123z().replace("+0000", "GMT")
}

/// httpd's error log time: `Mon Jan 05 09:00:00.123456 2026`.
fn httpd_time(t: Time) -> String {
    let s = t.rfc1123z();
    let p: Vec<&str> = s.split(' ').collect();
    format!("{} {} {} {}.{:06} {}", p[0].trim_end_matches(','), p[2], p[1], p[4], t.0.rem_euclid(1000) * 1000, p[3])
}

const HTTPD_TID: &str = "140355421542272";

/// `/docker-entrypoint.sh nginx -g 'daemon off;'`
pub fn nginx_entrypoint(ctx: &mut Ctx, args: &[String]) -> Main {
    let first = args.first().map(|s| s.as_str()).unwrap_or("");
    if first != "nginx" && first != "nginx-debug" {
        if args.is_empty() {
            return Main::Exited { code: 0, log: String::new() };
        }
        return super::sh::run_main(ctx, args);
    }
    let minor: u32 = ctx.img.version.split('.').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let me = "/docker-entrypoint.sh";
    let mut log = String::new();
    log.push_str(&format!(
        "{me}: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\n{me}: Looking for shell scripts in /docker-entrypoint.d/\n"
    ));
    log.push_str(&format!("{me}: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh\n"));
    let ipv6 = "10-listen-on-ipv6-by-default.sh";
    let conf = "/etc/nginx/conf.d/default.conf";
    let packaged = super::image::files(&ctx.img).iter().find(|(p, _)| p == conf).map(|(_, c)| c.clone()).unwrap_or_default();
    let mounts = ctx.p.mounts.clone();
    {
        let fs = ctx.fs();
        match fs.read(conf) {
            Err(_) => log.push_str(&format!("{ipv6}: info: {} is not a file or does not exist\n", conf.trim_start_matches('/'))),
            Ok(c) => {
                let (vol, _) = fs.resolve(conf);
                let read_only = mounts.iter().any(|m| m.read_only && (conf.starts_with(&format!("{}/", m.path)) || m.path == conf) && m.volume == vol);
                if read_only {
                    log.push_str(&format!("{ipv6}: info: can not modify /{} (read-only file system?)\n", conf.trim_start_matches('/')));
                } else if c.contains("listen  [::]:80;") && c != packaged {
                    log.push_str(&format!("{ipv6}: info: IPv6 listen already enabled\n"));
                } else if !c.contains("listen       80;") {
                    log.push_str(&format!(
                        "{ipv6}: info: Getting the checksum of /{}\n{ipv6}: info: /{} differs from the packaged version\n",
                        conf.trim_start_matches('/'),
                        conf.trim_start_matches('/')
                    ));
                } else {
                    log.push_str(&format!(
                        "{ipv6}: info: Getting the checksum of /{}\n{ipv6}: info: Enabled listen on IPv6 in /{}\n",
                        conf.trim_start_matches('/'),
                        conf.trim_start_matches('/')
                    ));
                }
            }
        }
    }
    if minor >= 25 {
        log.push_str(&format!("{me}: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh\n"));
    }
    log.push_str(&format!("{me}: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh\n{me}: Launching /docker-entrypoint.d/30-tune-worker-processes.sh\n{me}: Configuration complete; ready for start up\n"));
    nginx_main(ctx, log)
}

/// nginx as PID 1.
pub fn nginx_main(ctx: &mut Ctx, mut log: String) -> Main {
    let t = nginx_time(ctx.now());
    let n = |log: &mut String, msg: &str| log.push_str(&format!("{t} [notice] 1#1: {msg}\n"));
    n(&mut log, "using the \"epoll\" event method");
    n(&mut log, &format!("nginx/{}", ctx.img.version));
    let g = gcc(&ctx.img.distro).trim_start_matches("gcc ").to_string();
    // "gcc (Debian 12.2.0-14) 12.2.0" -> "built by gcc 12.2.0 (Debian 12.2.0-14) "
    let (paren, ver) = match g.rfind(')') {
        Some(i) => (&g[..=i], g[i + 1..].trim()),
        None => (g.as_str(), ""),
    };
    n(&mut log, &format!("built by gcc {} {paren} ", ver.split(' ').next().unwrap_or(ver)));
    n(&mut log, "OS: Linux 6.8.0-kubarium");
    n(&mut log, "getrlimit(RLIMIT_NOFILE): 1048576:1048576");
    n(&mut log, "start worker processes");
    for pid in 29..33 {
        n(&mut log, &format!("start worker process {pid}"));
    }
    Main::Running { log, server: ServerState::Nginx }
}

pub fn nginx_stop_log(ctx: &Ctx) -> String {
    let t = nginx_time(ctx.now());
    let mut s = format!("{t} [notice] 1#1: signal 3 (SIGQUIT) received, shutting down\n");
    for pid in 29..33 {
        s.push_str(&format!("{t} [notice] {pid}#{pid}: gracefully shutting down\n{t} [notice] {pid}#{pid}: exiting\n{t} [notice] {pid}#{pid}: exit\n"));
    }
    for pid in 29..33 {
        s.push_str(&format!("{t} [notice] 1#1: signal 17 (SIGCHLD) received from {pid}\n{t} [notice] 1#1: worker process {pid} exited with code 0\n"));
    }
    s.push_str(&format!("{t} [notice] 1#1: exit\n"));
    s
}

/// httpd-foreground
pub fn httpd_main(ctx: &mut Ctx) -> Main {
    let ip = ctx.pod_ip();
    let t = httpd_time(ctx.now());
    let warn = format!(
        "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using {ip}. Set the 'ServerName' directive globally to suppress this message\n"
    );
    let mut log = format!("{warn}{warn}");
    log.push_str(&format!(
        "[{t}] [mpm_event:notice] [pid 1:tid {HTTPD_TID}] AH00489: Apache/{} (Unix) configured -- resuming normal operations\n",
        ctx.img.version
    ));
    log.push_str(&format!("[{t}] [core:notice] [pid 1:tid {HTTPD_TID}] AH00094: Command line: 'httpd -D FOREGROUND'\n"));
    Main::Running { log, server: ServerState::Httpd }
}

pub fn httpd_stop_log(ctx: &Ctx) -> String {
    let t = httpd_time(ctx.now());
    format!("[{t}] [mpm_event:notice] [pid 1:tid {HTTPD_TID}] AH00492: caught SIGWINCH, shutting down gracefully\n")
}

/// `nginx -v`, `nginx -t`, `nginx -s reload` run by hand.
pub fn nginx_tool(ctx: &mut Ctx, args: &[String]) -> Output {
    let v = ctx.img.version.clone();
    match args.first().map(|s| s.as_str()) {
        Some("-v") => Output::err(format!("nginx version: nginx/{v}\n"), 0),
        Some("-V") => Output::err(format!("nginx version: nginx/{v}\nbuilt by {}\n", gcc(&ctx.img.distro)), 0),
        Some("-t") | Some("-T") => Output::err(
            "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n",
            0,
        ),
        Some("-s") => {
            let t = nginx_time(ctx.now());
            if let Some(sig) = args.get(1) {
                let key = (ctx.p.pod_uid.clone(), ctx.p.container.clone());
                let running = ctx.cx.rt.running.get(&key).is_some_and(|r| r.server == ServerState::Nginx);
                if running && sig == "reload" {
                    let l = format!("{t} [notice] 1#1: signal 1 (SIGHUP) received from 64, reconfiguring\n{t} [notice] 1#1: reconfiguring\n");
                    append_log(ctx.cx.world, ctx.p, &l);
                    return Output::err(format!("{t} [notice] 64#64: signal process started\n"), 0);
                }
            }
            Output::err(format!("{t} [notice] 64#64: signal process started\n"), 0)
        }
        _ => Output::err(
            format!(
                "{} [emerg] 64#64: bind() to 0.0.0.0:80 failed (98: Address already in use)\nnginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)\n",
                nginx_time(ctx.now())
            ),
            1,
        ),
    }
}

pub fn httpd_tool(ctx: &mut Ctx, args: &[String]) -> Output {
    match args.first().map(|s| s.as_str()) {
        Some("-v") => Output::out(format!("Server version: Apache/{} (Unix)\nServer built:   Dec  4 2025 00:00:00\n", ctx.img.version)),
        Some("-t") => Output::err("Syntax OK\n", 0),
        _ => Output::err(
            "(98)Address already in use: AH00072: make_sock: could not bind to address 0.0.0.0:80\nno listening sockets available, shutting down\nAH00015: Unable to open logs\n",
            1,
        ),
    }
}

// --------------------------------------------------------------- requests

#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    pub reason: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Not Allowed",
        502 => "Bad Gateway",
        503 => "Service Temporarily Unavailable",
        _ => "Internal Server Error",
    }
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" => "application/javascript",
        "json" => "application/json",
        "txt" => "text/plain",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn nginx_error_page(status: u16, version: &str) -> String {
    let title = format!("{status} {}", if status == 405 { "Not Allowed" } else { reason(status) });
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// An error ingress-nginx answers itself (no Ingress matched: 404; no
/// ready endpoints: 503; nothing answering HTTP behind them: 502), its
/// nginx built with `server_tokens off`.
pub fn ingress_error(status: u16, now: Time) -> Response {
    let body = nginx_error_page(status, "").replace("nginx/<", "nginx<");
    let h = [("Date", http_date(now)), ("Content-Type", "text/html".into()), ("Content-Length", body.len().to_string()), ("Connection", "keep-alive".into())];
    Response { status, reason: reason(status), headers: h.into_iter().map(|(k, v)| (k.to_string(), v)).collect(), body }
}

fn httpd_error_page(status: u16, path: &str) -> String {
    match status {
        403 => "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>403 Forbidden</title>\n</head><body>\n<h1>Forbidden</h1>\n<p>You don't have permission to access this resource.</p>\n</body></html>\n".to_string(),
        301 => format!("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>301 Moved Permanently</title>\n</head><body>\n<h1>Moved Permanently</h1>\n<p>The document has moved <a href=\"{path}\">here</a>.</p>\n</body></html>\n"),
        _ => "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n".to_string(),
    }
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The server in `proc` answers a request. Logs the access (and errors)
/// to the server container's log.
pub fn serve(
    rt: &mut Runtime,
    world: &mut World,
    now: Time,
    server: &Proc,
    kind: &ServerState,
    method: &str,
    target: &str,
    host_header: &str,
    client_ip: &str,
    user_agent: &str,
) -> Response {
    let img = super::image::lookup(&server.image);
    let nginx = *kind == ServerState::Nginx;
    let php = img.name == "hpa-example";
    let root = if nginx {
        "/usr/share/nginx/html"
    } else if php {
        "/var/www/html"
    } else {
        "/usr/local/apache2/htdocs"
    };
    let raw_path = target.split(['?', '#']).next().unwrap_or("/");
    let path = clean(&url_decode(raw_path), "/");
    let full = if path == "/" { root.to_string() } else { format!("{root}{path}") };
    let fs = server.fs(world);
    let mut headers: Vec<(String, String)> = vec![];
    let mut err_log = None;
    let (status, body, ctype): (u16, String, &str) = if php && (path == "/" || path == "/index.php") {
        // mod_php runs the page
        (200, "OK!".into(), "text/html; charset=UTF-8")
    } else if method != "GET" && method != "HEAD" && nginx && fs.read(&full).is_ok() {
        (405, nginx_error_page(405, &img.version), "text/html")
    } else if fs.is_dir(&full) {
        if !raw_path.ends_with('/') {
            let loc = format!("http://{host_header}{raw_path}/");
            headers.push(("Location".into(), loc.clone()));
            (301, if nginx { nginx_error_page(301, &img.version) } else { httpd_error_page(301, &loc) }, "text/html")
        } else {
            let index = format!("{}/index.html", full.trim_end_matches('/'));
            match fs.read(&index) {
                Ok(b) => (200, b, "text/html"),
                Err(_) if nginx => {
                    err_log = Some(format!("directory index of \"{}/\" is forbidden", full.trim_end_matches('/')));
                    (403, nginx_error_page(403, &img.version), "text/html")
                }
                Err(_) => {
                    // httpd: `Options Indexes` in the image's httpd.conf.
                    let names = fs.list(&full).unwrap_or_default();
                    let mut b = format!(
                        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html>\n <head>\n  <title>Index of {path}</title>\n </head>\n <body>\n<h1>Index of {path}</h1>\n<ul>"
                    );
                    if path != "/" {
                        let parent = clean(&format!("{path}/.."), "/");
                        b.push_str(&format!(
                            "<li><a href=\"{}\"> Parent Directory</a></li>\n",
                            if parent == "/" { "/".to_string() } else { format!("{parent}/") }
                        ));
                    }
                    for n in names.iter().filter(|n| !n.starts_with('.')) {
                        let d = fs.is_dir(&format!("{full}/{n}"));
                        let shown = if d { format!("{n}/") } else { n.clone() };
                        b.push_str(&format!("<li><a href=\"{shown}\"> {shown}</a></li>\n"));
                    }
                    b.push_str("</ul>\n</body></html>\n");
                    (200, b, "text/html;charset=ISO-8859-1")
                }
            }
        }
    } else {
        match fs.read(&full) {
            Ok(b) => (200, b, content_type(&full)),
            Err(_) => {
                err_log = Some(format!("open() \"{full}\" failed (2: No such file or directory)"));
                (404, if nginx { nginx_error_page(404, &img.version) } else { httpd_error_page(404, &path) }, "text/html")
            }
        }
    };
    let len = body.len();
    let mut h: Vec<(String, String)> = vec![];
    if nginx {
        h.push(("Server".into(), format!("nginx/{}", img.version)));
        h.push(("Date".into(), http_date(now)));
        h.push(("Content-Type".into(), ctype.into()));
        h.push(("Content-Length".into(), len.to_string()));
        if status == 200 {
            h.push(("Last-Modified".into(), http_date(Time(now.0 - now.0.rem_euclid(86_400_000)))));
        }
        h.push(("Connection".into(), "keep-alive".into()));
        h.extend(headers);
        if status == 200 {
            h.push(("ETag".into(), format!("\"{:x}-{:x}\"", (now.0 - now.0.rem_euclid(86_400_000)) / 1000, len)));
            h.push(("Accept-Ranges".into(), "bytes".into()));
        }
    } else {
        h.push(("Date".into(), http_date(now)));
        h.push(("Server".into(), format!("Apache/{} (Unix)", img.version)));
        h.extend(headers);
        if status == 200 && ctype == "text/html" {
            h.push(("Last-Modified".into(), http_date(Time(now.0 - now.0.rem_euclid(86_400_000)))));
            h.push(("ETag".into(), format!("\"{:x}-{:x}\"", len, (now.0 - now.0.rem_euclid(86_400_000)) * 1000)));
            h.push(("Accept-Ranges".into(), "bytes".into()));
        }
        h.push(("Content-Length".into(), len.to_string()));
        h.push(("Content-Type".into(), if status == 200 { ctype.to_string() } else { "text/html; charset=iso-8859-1".into() }));
    }
    // Logs: nginx writes its access log to stdout and errors to stderr.
    let sent = if method == "HEAD" { 0 } else { len };
    let key = (server.pod_uid.clone(), server.container.clone());
    let conn = match rt.running.get_mut(&key) {
        Some(r) => {
            r.requests += 1;
            r.requests
        }
        None => 1,
    };
    let mut l = String::new();
    if nginx {
        if let Some(e) = err_log {
            l.push_str(&format!(
                "{} [error] 29#29: *{conn} {e}, client: {client_ip}, server: localhost, request: \"{method} {target} HTTP/1.1\", host: \"{host_header}\"\n",
                nginx_time(now)
            ));
        }
        l.push_str(&format!("{client_ip} - - [{}] \"{method} {target} HTTP/1.1\" {status} {sent} \"-\" \"{user_agent}\" \"-\"\n", clf_time(now)));
    } else {
        if status == 404 {
            // httpd logs nothing to its error log for a plain 404.
        }
        l.push_str(&format!("{client_ip} - - [{}] \"{method} {target} HTTP/1.1\" {status} {sent}\n", clf_time(now)));
    }
    append_log(world, server, &l);
    Response { status, reason: reason(status), headers: h, body: if method == "HEAD" { String::new() } else { body } }
}

/// Whether a server kind speaks HTTP.
pub fn is_http(s: &ServerState) -> bool {
    matches!(s, ServerState::Nginx | ServerState::Httpd)
}

pub fn output_of(o: &Response) -> Output {
    Output::out(o.body.clone())
}
