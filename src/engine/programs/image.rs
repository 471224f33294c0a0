//! What the simulator knows about container images: which program an image
//! runs, its version, its ENTRYPOINT/CMD/ENV/WORKDIR (from the official
//! Dockerfiles), the userland its shell and tools come from (Debian's dash
//! and coreutils, busybox, ...), which executables it has, and the files it
//! ships (the nginx welcome page, httpd's "It works!", empty directories).

/// The server program an image is built around.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    Postgres,
    Nginx,
    Httpd,
    Redis,
    Mysql,
    None,
}

/// Whose shell and utilities the image has: their error messages differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Userland {
    /// Debian: `sh` is dash, GNU coreutils.
    Debian,
    /// busybox and Alpine: `sh` is busybox ash, busybox applets.
    Busybox,
    /// Oracle Linux (mysql): `sh` is bash, GNU coreutils.
    Oracle,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    /// Name without registry and tag (`postgres`).
    pub name: String,
    /// Tag (`14`, `1.27-alpine`), `latest` when none was given.
    pub tag: String,
    pub server: Server,
    /// The program's full version (`14.22`, `1.27.5`).
    pub version: String,
    pub userland: Userland,
    pub has_bash: bool,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<(String, String)>,
    pub workdir: String,
    /// The Debian release the image is built on (`bookworm`, `trixie`), or
    /// `alpine`.
    pub distro: String,
}

impl Image {
    /// The program's major version (`14` for postgres 14.22; `1` for nginx).
    pub fn major(&self) -> u32 {
        self.version.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0)
    }
    pub fn alpine(&self) -> bool {
        self.distro == "alpine"
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn env(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(k, x)| (k.to_string(), x.to_string())).collect()
}

/// Splits `registry/ns/name:tag@digest` into (name, tag).
pub fn split_image(image: &str) -> (String, String) {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    match last.split_once(':') {
        Some((n, t)) => (n.to_string(), t.to_string()),
        None => (last.to_string(), "latest".to_string()),
    }
}

/// The full version an official image tag stands for. `table` maps a major
/// (or major.minor) prefix to the newest release of that line; the first
/// entry is what `latest` means.
fn resolve_version(tag: &str, table: &[(&str, &str)]) -> String {
    let core: String = tag.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let core = core.trim_end_matches('.');
    if core.is_empty() {
        return table[0].1.to_string();
    }
    for (prefix, full) in table {
        if *prefix == core {
            return full.to_string();
        }
    }
    // An exact release (`10.4`, `1.25.3`), or a line we do not list.
    core.to_string()
}

const POSTGRES_VERSIONS: &[(&str, &str)] = &[
    ("18", "18.3"),
    ("17", "17.9"),
    ("16", "16.13"),
    ("15", "15.17"),
    ("14", "14.22"),
    ("13", "13.23"),
    ("12", "12.22"),
    ("11", "11.22"),
    ("10", "10.23"),
    ("9.6", "9.6.24"),
    ("9", "9.6.24"),
];

const NGINX_VERSIONS: &[(&str, &str)] = &[
    ("1.29", "1.29.8"),
    ("1", "1.29.8"),
    ("1.30", "1.30.0"),
    ("1.28", "1.28.0"),
    ("1.27", "1.27.5"),
    ("1.26", "1.26.3"),
    ("1.25", "1.25.5"),
    ("1.24", "1.24.0"),
    ("1.23", "1.23.4"),
    ("1.22", "1.22.1"),
    ("1.21", "1.21.6"),
    ("1.20", "1.20.2"),
    ("1.19", "1.19.10"),
];

const REDIS_VERSIONS: &[(&str, &str)] = &[
    ("8", "8.4.0"),
    ("8.4", "8.4.0"),
    ("8.2", "8.2.3"),
    ("8.0", "8.0.5"),
    ("7", "7.4.7"),
    ("7.4", "7.4.7"),
    ("7.2", "7.2.12"),
    ("7.0", "7.0.15"),
    ("6", "6.2.21"),
    ("6.2", "6.2.21"),
];

const MYSQL_VERSIONS: &[(&str, &str)] = &[("9", "9.5.0"), ("9.5", "9.5.0"), ("8.4", "8.4.7"), ("8", "8.4.7"), ("8.0", "8.0.44"), ("5.7", "5.7.44")];

const HTTPD_VERSIONS: &[(&str, &str)] = &[("2.4", "2.4.66"), ("2", "2.4.66")];

/// Everything known about an image reference.
pub fn lookup(image: &str) -> Image {
    let (name, tag) = split_image(image);
    let alpine = tag.contains("alpine");
    let base = |server, version: String, userland, distro: &str| Image {
        name: name.clone(),
        tag: tag.clone(),
        server,
        version,
        userland,
        has_bash: userland != Userland::Busybox,
        entrypoint: vec![],
        cmd: vec![],
        env: vec![],
        workdir: String::new(),
        distro: distro.to_string(),
    };
    let debian_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    match name.as_str() {
        "postgres" | "postgresql" => {
            let version = resolve_version(&tag, POSTGRES_VERSIONS);
            let mut img = base(Server::Postgres, version, if alpine { Userland::Busybox } else { Userland::Debian }, if alpine { "alpine" } else { "" });
            let major = img.major();
            let major_s = if major == 9 { img.version.rsplit_once('.').map(|x| x.0).unwrap_or("9.6").to_string() } else { major.to_string() };
            img.distro = if alpine {
                "alpine".into()
            } else if img.version == resolve_version(&major_s, POSTGRES_VERSIONS) && major >= 13 {
                "trixie".into()
            } else if major >= 12 {
                "bookworm".into()
            } else {
                "stretch".into()
            };
            // The entrypoint is a bash script: the alpine image installs bash.
            img.has_bash = true;
            img.entrypoint = s(&["docker-entrypoint.sh"]);
            img.cmd = s(&["postgres"]);
            let pgdata = if major >= 18 { format!("/var/lib/postgresql/{major}/docker") } else { "/var/lib/postgresql/data".into() };
            let pg_path = if alpine {
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string()
            } else {
                format!("{debian_path}:/usr/lib/postgresql/{major_s}/bin")
            };
            img.env = vec![
                ("PATH".into(), pg_path),
                ("GOSU_VERSION".into(), "1.19".into()),
                ("LANG".into(), "en_US.utf8".into()),
                ("PG_MAJOR".into(), major_s.clone()),
                ("PG_VERSION".into(), if alpine { img.version.clone() } else { format!("{}-1.pgdg{}+1", img.version, pgdg_suffix(&img.distro)) }),
                ("PGDATA".into(), pgdata),
            ];
            img
        }
        "nginx" => {
            let version = if tag.starts_with("stable") { "1.30.0".to_string() } else { resolve_version(&tag, NGINX_VERSIONS) };
            let distro = if alpine {
                "alpine"
            } else if nginx_minor(&version) >= 29 || nginx_minor(&version) == 30 {
                "trixie"
            } else if nginx_minor(&version) >= 23 {
                "bookworm"
            } else {
                "bullseye"
            };
            let mut img = base(Server::Nginx, version.clone(), if alpine { Userland::Busybox } else { Userland::Debian }, distro);
            img.entrypoint = s(&["/docker-entrypoint.sh"]);
            img.cmd = s(&["nginx", "-g", "daemon off;"]);
            let mut e = vec![("PATH".to_string(), debian_path.to_string()), ("NGINX_VERSION".into(), version.clone())];
            if !alpine {
                e.push(("NJS_VERSION".into(), "0.9.6".into()));
                e.push(("NJS_RELEASE".into(), format!("1~{distro}")));
                e.push(("PKG_RELEASE".into(), format!("1~{distro}")));
                e.push(("DYNPKG_RELEASE".into(), format!("1~{distro}")));
            } else {
                e.push(("PKG_RELEASE".into(), "1".into()));
            }
            img.env = e;
            img
        }
        // The HPA walkthrough's image (kubernetes/kubernetes
        // test/images/hpa-example): php:5-apache with an index.php that
        // computes a million square roots and answers "OK!".
        "hpa-example" => {
            let mut img = base(Server::Httpd, "2.4.25".into(), Userland::Debian, "stretch");
            img.cmd = s(&["apache2-foreground"]);
            img.workdir = "/var/www/html".into();
            img.env = env(&[("PATH", debian_path), ("PHP_VERSION", "5.6.40"), ("APACHE_CONFDIR", "/etc/apache2")]);
            img
        }
        "httpd" => {
            let version = resolve_version(&tag, HTTPD_VERSIONS);
            let mut img =
                base(Server::Httpd, version.clone(), if alpine { Userland::Busybox } else { Userland::Debian }, if alpine { "alpine" } else { "trixie" });
            img.cmd = s(&["httpd-foreground"]);
            img.workdir = "/usr/local/apache2".into();
            img.env =
                env(&[("PATH", "/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), ("HTTPD_PREFIX", "/usr/local/apache2")]);
            img.env.push(("HTTPD_VERSION".into(), version));
            img
        }
        "redis" | "valkey" => {
            let version = resolve_version(&tag, REDIS_VERSIONS);
            let mut img =
                base(Server::Redis, version.clone(), if alpine { Userland::Busybox } else { Userland::Debian }, if alpine { "alpine" } else { "trixie" });
            img.has_bash = !alpine;
            img.entrypoint = s(&["docker-entrypoint.sh"]);
            img.cmd = s(&["redis-server"]);
            img.workdir = "/data".into();
            img.env =
                vec![("PATH".into(), debian_path.into()), ("REDIS_DOWNLOAD_URL".into(), format!("http://download.redis.io/releases/redis-{version}.tar.gz"))];
            img
        }
        "mysql" | "mariadb" => {
            let version = resolve_version(&tag, MYSQL_VERSIONS);
            let mut img = base(Server::Mysql, version.clone(), Userland::Oracle, "oraclelinux9");
            img.entrypoint = s(&["docker-entrypoint.sh"]);
            img.cmd = s(&["mysqld"]);
            img.env = vec![
                ("PATH".into(), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()),
                ("GOSU_VERSION".into(), "1.19".into()),
                ("MYSQL_MAJOR".into(), version.rsplit_once('.').map(|x| x.0).unwrap_or("8.4").to_string()),
                ("MYSQL_VERSION".into(), format!("{version}-1.el9")),
                ("MYSQL_SHELL_VERSION".into(), format!("{version}-1.el9")),
            ];
            img
        }
        "busybox" => {
            let mut img = base(Server::None, "1.37.0".into(), Userland::Busybox, "busybox");
            img.cmd = s(&["sh"]);
            img.env = env(&[("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")]);
            img
        }
        "alpine" => {
            let mut img = base(Server::None, tag.clone(), Userland::Busybox, "alpine");
            img.cmd = s(&["/bin/sh"]);
            img.env = env(&[("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")]);
            img
        }
        "debian" | "ubuntu" => {
            let mut img = base(Server::None, tag.clone(), Userland::Debian, if name == "ubuntu" { "noble" } else { "trixie" });
            img.cmd = s(&["bash"]);
            img.env = env(&[("PATH", debian_path)]);
            img
        }
        _ => {
            // An image the simulator does not know: a Debian-based image
            // whose default command just runs.
            let mut img =
                base(Server::None, tag.clone(), if alpine { Userland::Busybox } else { Userland::Debian }, if alpine { "alpine" } else { "bookworm" });
            img.env = env(&[("PATH", debian_path)]);
            img
        }
    }
}

fn pgdg_suffix(distro: &str) -> &'static str {
    match distro {
        "trixie" => "13",
        "bookworm" => "120",
        "bullseye" => "110",
        _ => "90",
    }
}

fn nginx_minor(version: &str) -> u32 {
    version.split('.').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// The compiler line servers print (`gcc (Debian 12.2.0-14) 12.2.0`).
pub fn gcc(distro: &str) -> &'static str {
    match distro {
        "trixie" => "gcc (Debian 14.2.0-19) 14.2.0",
        "bookworm" => "gcc (Debian 12.2.0-14) 12.2.0",
        "bullseye" => "gcc (Debian 10.2.1-6) 10.2.1 20210110",
        "alpine" => "gcc (Alpine 14.2.0) 14.2.0",
        _ => "gcc (Debian 6.3.0-18+deb9u1) 6.3.0 20170516",
    }
}

/// Whether the image has an executable of this name on its PATH.
pub fn has_program(img: &Image, prog: &str) -> bool {
    let prog = prog.rsplit('/').next().unwrap_or(prog);
    let common = [
        "sh", "cat", "ls", "echo", "mkdir", "rmdir", "rm", "touch", "cp", "mv", "pwd", "hostname", "env", "printenv", "sleep", "true", "false", "wc", "grep",
        "head", "tail", "date", "whoami", "id", "uname", "seq", "tee", "sort", "uniq", "basename", "dirname", "printf", "test", "[", "df", "ln", "chmod",
        "chown", "stat", "find", "tr", "cut", "xargs", "kill", "ps", "which", "yes", "sed", "awk",
        // The simulator gives every image curl so that learners can test
        // connectivity from any pod (a real image may lack it).
        "curl",
    ];
    if common.contains(&prog) {
        // busybox has no `ps` and `awk` problem; Debian slim images lack ps.
        return !(prog == "ps" && img.userland == Userland::Debian);
    }
    match prog {
        "bash" => img.has_bash,
        // Debian's rev is in bsdextrautils, which slim images lack.
        "wget" | "rev" => img.userland == Userland::Busybox,
        "psql" | "pg_isready" | "pg_ctl" | "initdb" | "postgres" | "createdb" | "docker-entrypoint.sh" if img.server == Server::Postgres => {
            prog != "docker-entrypoint.sh" || !img.entrypoint.is_empty()
        }
        "nginx" | "/docker-entrypoint.sh" | "docker-entrypoint.sh" if img.server == Server::Nginx => true,
        "apache2-foreground" | "apache2" | "php" if img.name == "hpa-example" => true,
        "httpd" | "httpd-foreground" | "apachectl" if img.server == Server::Httpd => true,
        "redis-server" | "redis-cli" | "docker-entrypoint.sh" if img.server == Server::Redis => true,
        "mysqld" | "mysql" | "mysqladmin" | "docker-entrypoint.sh" | "mysqlsh" if img.server == Server::Mysql => true,
        _ => false,
    }
}

/// hpa-example's page: CPU-heavy on purpose.
pub const HPA_EXAMPLE_INDEX: &str = "<?php\n  $x = 0.0001;\n  for ($i = 0; $i <= 1000000; $i++) {\n    $x += sqrt($x);\n  }\n  echo \"OK!\";\n?>\n";

pub const NGINX_INDEX: &str = "<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, nginx is successfully installed and working.
Further configuration is required for the web server, reverse proxy, 
API gateway, load balancer, content cache, or other features.</p>

<p>For online documentation and support please refer to
<a href=\"https://nginx.org/\">nginx.org</a>.<br/>
To engage with the community please visit
<a href=\"https://community.nginx.org/\">community.nginx.org</a>.<br/>
For enterprise grade support, professional services, additional 
security features and capabilities please refer to
<a href=\"https://f5.com/nginx\">f5.com/nginx</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
";

/// The welcome page nginx releases before 1.29 shipped.
pub const NGINX_INDEX_OLD: &str = "<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href=\"http://nginx.org/\">nginx.org</a>.<br/>
Commercial support is available at
<a href=\"http://nginx.com/\">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
";

pub const NGINX_50X: &str = "<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
";

pub const HTTPD_INDEX: &str = "<html><body><h1>It works!</h1></body></html>\n";

const NGINX_DEFAULT_CONF: &str = "server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
";

/// Files (and, as `path/` with empty content, directories) an image ships.
pub fn files(img: &Image) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![];
    let dir = |out: &mut Vec<(String, String)>, p: &str| out.push((format!("{p}/"), String::new()));
    let file = |out: &mut Vec<(String, String)>, p: &str, c: &str| out.push((p.to_string(), c.to_string()));
    for d in [
        "/bin",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",
        "/usr/bin",
        "/usr/lib",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/share",
        "/var/lib",
        "/var/log",
        "/var/tmp",
        "/mnt",
        "/opt",
    ] {
        dir(&mut out, d);
    }
    let os_release = match img.distro.as_str() {
        "alpine" => "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.22.2\nPRETTY_NAME=\"Alpine Linux v3.22\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n".to_string(),
        "busybox" => String::new(),
        "oraclelinux9" => "NAME=\"Oracle Linux Server\"\nVERSION=\"9.7\"\nID=\"ol\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.7\"\nPRETTY_NAME=\"Oracle Linux Server 9.7\"\n".to_string(),
        d => {
            let (num, name) = match d {
                "trixie" => ("13", "trixie"),
                "bookworm" => ("12", "bookworm"),
                "bullseye" => ("11", "bullseye"),
                "noble" => ("24.04", "noble"),
                _ => ("9", "stretch"),
            };
            if d == "noble" {
                "PRETTY_NAME=\"Ubuntu 24.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nVERSION=\"24.04.3 LTS (Noble Numbat)\"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n".to_string()
            } else {
                format!("PRETTY_NAME=\"Debian GNU/Linux {num} ({name})\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"{num}\"\nVERSION=\"{num} ({name})\"\nVERSION_CODENAME={name}\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n")
            }
        }
    };
    if !os_release.is_empty() {
        file(&mut out, "/etc/os-release", &os_release);
    }
    match img.server {
        Server::Nginx => {
            let index = if nginx_minor(&img.version) >= 29 { NGINX_INDEX } else { NGINX_INDEX_OLD };
            file(&mut out, "/usr/share/nginx/html/index.html", index);
            file(&mut out, "/usr/share/nginx/html/50x.html", NGINX_50X);
            file(&mut out, "/etc/nginx/conf.d/default.conf", NGINX_DEFAULT_CONF);
            dir(&mut out, "/var/cache/nginx");
            dir(&mut out, "/docker-entrypoint.d");
        }
        Server::Httpd if img.name == "hpa-example" => file(&mut out, "/var/www/html/index.php", HPA_EXAMPLE_INDEX),
        Server::Httpd => {
            file(&mut out, "/usr/local/apache2/htdocs/index.html", HTTPD_INDEX);
            dir(&mut out, "/usr/local/apache2/conf");
            dir(&mut out, "/usr/local/apache2/logs");
            dir(&mut out, "/usr/local/apache2/cgi-bin");
        }
        Server::Postgres => {
            dir(&mut out, "/docker-entrypoint-initdb.d");
            dir(&mut out, "/var/run/postgresql");
            if img.major() >= 18 {
                dir(&mut out, "/var/lib/postgresql");
            } else {
                dir(&mut out, "/var/lib/postgresql/data");
            }
        }
        Server::Redis => dir(&mut out, "/data"),
        Server::Mysql => {
            dir(&mut out, "/var/lib/mysql");
            dir(&mut out, "/var/run/mysqld");
            dir(&mut out, "/docker-entrypoint-initdb.d");
        }
        Server::None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_resolve_to_releases() {
        let pg = lookup("postgres:14");
        assert_eq!((pg.server, pg.version.as_str(), pg.distro.as_str()), (Server::Postgres, "14.22", "trixie"));
        assert_eq!(lookup("postgres:10.4").version, "10.4");
        assert_eq!(lookup("postgres:10.4").distro, "stretch");
        assert_eq!(lookup("postgres").version, "18.3");
        assert_eq!(lookup("docker.io/library/postgres:16-alpine").userland, Userland::Busybox);
        let pg18 = lookup("postgres:18");
        assert!(pg18.env.contains(&("PGDATA".into(), "/var/lib/postgresql/18/docker".into())));
        assert_eq!(lookup("nginx:1.27").version, "1.27.5");
        assert_eq!(lookup("nginx:1.25.3").version, "1.25.3");
        assert_eq!(lookup("nginx").version, "1.29.8");
        assert_eq!(lookup("my-db-image").server, Server::None);
        assert!(!has_program(&lookup("busybox"), "bash"));
        assert!(has_program(&lookup("postgres:14"), "psql"));
        assert!(!has_program(&lookup("nginx"), "psql"));
    }

    #[test]
    fn nginx_ships_its_welcome_page() {
        let f = files(&lookup("nginx:1.25"));
        let index = f.iter().find(|(p, _)| p == "/usr/share/nginx/html/index.html").unwrap();
        assert!(index.1.contains("<h1>Welcome to nginx!</h1>"));
    }
}
