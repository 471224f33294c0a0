//! Programs end to end: a pod's Proc starts, exec runs in it, data lands on
//! the volumes its mounts name.

use super::testutil::{T, out};
use super::*;
use crate::engine::world::VolumeId;

fn host(node: &str, path: &str) -> VolumeId {
    VolumeId::HostDir { node: node.into(), path: path.into() }
}

const PG_ENV: &[(&str, &str)] = &[("POSTGRES_USER", "postgres"), ("POSTGRES_PASSWORD", "postgres")];

#[test]
fn postgres_first_start_initializes_and_logs_like_the_image() {
    let mut t = T::new();
    let p = t.pod("pg-0", "node-a", "postgres:14", PG_ENV, &[]);
    let log = t.start_ok(&p);
    assert!(log.starts_with("The files belonging to this database system will be owned by user \"postgres\".\n"), "{log}");
    assert!(log.contains("fixing permissions on existing directory /var/lib/postgresql/data ... ok\n"));
    assert!(log.contains("initdb: warning: enabling \"trust\" authentication for local connections\nYou can change this by editing pg_hba.conf"));
    assert!(log.contains("PostgreSQL init process complete; ready for start up.\n"));
    assert!(
        log.contains(
            "[1] LOG:  starting PostgreSQL 14.22 (Debian 14.22-1.pgdg13+1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 14.2.0-19) 14.2.0, 64-bit\n"
        )
    );
    assert!(log.ends_with("[1] LOG:  database system is ready to accept connections\n"), "{log}");
    let r = t.exec(&p, &["ls", "/var/lib/postgresql/data"]);
    assert_eq!(r.exit_code, 0);
    assert!(r.output.contains("pg_twophase\nPG_VERSION\npg_wal\n"), "{}", r.output);
    assert!(r.output.contains("postmaster.pid\n"));
    assert_eq!(out(&t.exec(&p, &["cat", "/var/lib/postgresql/data/PG_VERSION"])), ("14\n", 0));
}

#[test]
fn psql_matches_the_transcripts_byte_for_byte() {
    let mut t = T::new();
    let p = t.pod("pg-0", "node-a", "postgres:14", PG_ENV, &[]);
    t.start_ok(&p);
    assert_eq!(out(&t.psql(&p, "CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(50))")), ("CREATE TABLE\n", 0));
    assert_eq!(out(&t.psql(&p, "INSERT INTO users (name) VALUES ('Alice')")), ("INSERT 0 1\n", 0));
    assert_eq!(out(&t.psql(&p, "SELECT * FROM users")), (" id | name  \n----+-------\n  1 | Alice\n(1 row)\n\n", 0));
    assert_eq!(out(&t.psql(&p, "SELECT * FROM nope")), ("ERROR:  relation \"nope\" does not exist\nLINE 1: SELECT * FROM nope\n                      ^\n", 1));
    assert_eq!(out(&t.psql(&p, "SELEC 1")), ("ERROR:  syntax error at or near \"SELEC\"\nLINE 1: SELEC 1\n        ^\n", 1));
    assert_eq!(
        out(&t.psql(&p, "\\dt")),
        (
            "         List of relations\n Schema | Name  | Type  |  Owner   \n--------+-------+-------+----------\n public | users | table | postgres\n(1 row)\n\n",
            0
        )
    );
    assert_eq!(out(&t.exec(&p, &["psql", "-U", "postgres", "-tAc", "SELECT name FROM users"])), ("Alice\n", 0));
    // The server logs the failed statement.
    assert!(t.log(&p).contains("ERROR:  relation \"nope\" does not exist at character 15\n"));
    assert!(t.log(&p).contains("STATEMENT:  SELECT * FROM nope\n"));
}

#[test]
fn psql_connection_errors() {
    let mut t = T::new();
    let p = t.pod("pg-0", "node-a", "postgres:16", PG_ENV, &[]);
    t.start_ok(&p);
    assert_eq!(
        out(&t.exec(&p, &["psql", "-c", "SELECT 1"])),
        ("psql: error: connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  role \"root\" does not exist\n", 2)
    );
    assert_eq!(
        out(&t.exec(&p, &["psql", "-U", "postgres", "-d", "shop", "-c", "SELECT 1"])),
        ("psql: error: connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  database \"shop\" does not exist\n", 2)
    );
    // A postgres image whose container runs something else has no server.
    let q = t.pod_with("client", "node-b", "postgres:16", PG_ENV, &[], vec!["sleep".into(), "infinity".into()], vec![]);
    assert_eq!(t.start(&q), StartOutcome::Running { log: String::new() });
    assert_eq!(
        out(&t.psql(&q, "SELECT 1")),
        (
            "psql: error: connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: No such file or directory\n\tIs the server running locally and accepting connections on that socket?\n",
            2
        )
    );
    assert_eq!(
        out(&t.exec(&q, &["psql", "-h", "nowhere", "-U", "postgres", "-c", "SELECT 1"])),
        ("psql: error: could not translate host name \"nowhere\" to address: Name or service not known\n", 2)
    );
    // Over TCP to the pod's IP: a password is required.
    let ip = t.c.api.get_t::<crate::engine::api::Pod>("default", "pg-0").unwrap().status.pod_ip.clone();
    let r = t.exec(&q, &["psql", "-h", &ip, "-U", "postgres", "-c", "SELECT 1"]);
    assert_eq!(out(&r), (format!("psql: error: connection to server at \"{ip}\", port 5432 failed: fe_sendauth: no password supplied\n").as_str(), 2));
    let r = t.exec(&q, &["env", "PGPASSWORD=wrong", "psql", "-h", &ip, "-U", "postgres", "-c", "SELECT 1"]);
    assert_eq!(
        r.output,
        format!("psql: error: connection to server at \"{ip}\", port 5432 failed: FATAL:  password authentication failed for user \"postgres\"\n")
    );
    let r = t.exec(&q, &["env", "PGPASSWORD=postgres", "psql", "-h", &ip, "-U", "postgres", "-c", "SELECT 1 AS one"]);
    assert_eq!(out(&r), (" one \n-----\n   1\n(1 row)\n\n", 0));
}

#[test]
fn psql_before_15_shows_only_the_last_result() {
    let mut t = T::new();
    let env = &[("POSTGRES_DB", "codewizard"), ("POSTGRES_USER", "codewizard"), ("POSTGRES_PASSWORD", "admin123")];
    let p = t.pod("postgres-0", "node-a", "postgres:10.4", env, &[("/var/lib/postgresql/data", host("node-a", "/pvc"))]);
    let log = t.start_ok(&p);
    assert!(log.contains("CREATE DATABASE\n"), "{log}");
    let q = "CREATE TABLE IF NOT EXISTS stateful (str VARCHAR); INSERT INTO stateful values (1); SELECT count(*) FROM stateful";
    let r = t.exec(&p, &["psql", "-U", "codewizard", "-d", "codewizard", "-c", q]);
    assert_eq!(out(&r), (" count \n-------\n     1\n(1 row)\n\n", 0));
    let r = t.exec(&p, &["psql", "-U", "codewizard", "-d", "codewizard", "-c", "CREATE TABLE IF NOT EXISTS stateful (str VARCHAR)"]);
    assert_eq!(out(&r), ("NOTICE:  relation \"stateful\" already exists, skipping\nCREATE TABLE\n", 0));
    // psql 10's connection error wording.
    let r = t.exec(&p, &["psql", "-c", "SELECT 1"]);
    assert_eq!(out(&r), ("psql: FATAL:  role \"root\" does not exist\n", 2));
}

#[test]
fn data_follows_the_volume_not_the_pod() {
    let mut t = T::new();
    let vol = host("node-a", "/data/volumes/my-pv");
    let p = t.pod("pg-a", "node-a", "postgres:14", PG_ENV, &[("/var/lib/postgresql/data", vol.clone())]);
    t.start_ok(&p);
    t.psql(&p, "CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(50))");
    t.psql(&p, "INSERT INTO users (name) VALUES ('Alice')");
    // A restart of the same container: a new writable layer, same volume.
    t.stop(&p, true);
    assert!(t.log(&p).ends_with("[1] LOG:  database system is shut down\n"));
    let p2 = T::restarted(&p);
    let log = t.start_ok(&p2);
    assert!(log.starts_with("\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n"), "{log}");
    assert!(log.contains("LOG:  database system was shut down at "));
    assert_eq!(out(&t.psql(&p2, "SELECT * FROM users")), (" id | name  \n----+-------\n  1 | Alice\n(1 row)\n\n", 0));
    // Another pod with the same volume sees it; one without does not.
    t.stop(&p2, true);
    t.delete_pod(&p);
    let other = t.pod("pg-b", "node-a", "postgres:14", PG_ENV, &[("/var/lib/postgresql/data", vol)]);
    t.start_ok(&other);
    assert_eq!(out(&t.psql(&other, "SELECT count(*) FROM users")), (" count \n-------\n     1\n(1 row)\n\n", 0));
    let empty = t.pod("pg-c", "node-b", "postgres:14", PG_ENV, &[]);
    t.start_ok(&empty);
    assert_eq!(t.psql(&empty, "SELECT count(*) FROM users").exit_code, 1);
}

#[test]
fn files_written_through_one_proc_are_seen_through_another_on_the_same_volume() {
    let mut t = T::new();
    let vol = VolumeId::Nfs { server: "nfs.example.com".into(), path: "/exports/a".into() };
    let a = t.pod("a", "node-a", "busybox", &[], &[("/shared", vol.clone())]);
    let b = t.pod("b", "node-b", "busybox", &[], &[("/data", vol)]);
    assert_eq!(out(&t.sh(&a, "echo hello > /shared/x.txt; echo local > /tmp/y.txt")), ("", 0));
    assert_eq!(out(&t.exec(&b, &["cat", "/data/x.txt"])), ("hello\n", 0));
    assert_eq!(out(&t.exec(&b, &["cat", "/tmp/y.txt"])), ("cat: can't open '/tmp/y.txt': No such file or directory\n", 1));
    // The same container after a restart has a fresh layer.
    let a2 = T::restarted(&a);
    assert_eq!(t.exec(&a2, &["cat", "/tmp/y.txt"]).exit_code, 1);
    assert_eq!(out(&t.exec(&a2, &["cat", "/shared/x.txt"])), ("hello\n", 0));
}

#[test]
fn a_second_postmaster_on_the_same_node_fails_on_the_lock_file() {
    let mut t = T::new();
    let vol = host("node-a", "/data/pg");
    let p = t.pod("pg-old", "node-a", "postgres:14", PG_ENV, &[("/var/lib/postgresql/data", vol.clone())]);
    t.start_ok(&p);
    let q = t.pod("pg-new", "node-a", "postgres:14", PG_ENV, &[("/var/lib/postgresql/data", vol)]);
    match t.start(&q) {
        StartOutcome::Exited { code: 1, log } => {
            assert!(log.starts_with("\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n"));
            assert!(log.contains("[1] FATAL:  lock file \"postmaster.pid\" already exists\n"), "{log}");
            assert!(log.ends_with("[1] HINT:  Is another postmaster (PID 1) running in data directory \"/var/lib/postgresql/data\"?\n"), "{log}");
        }
        o => panic!("{o:?}"),
    }
    // Once the old one is gone, the new one starts.
    t.stop(&p, true);
    t.start_ok(&q);
}

#[test]
fn power_loss_leaves_a_stale_pid_file_and_recovery_runs() {
    let mut t = T::new();
    let vol = host("node-a", "/data/pg");
    let p = t.pod("pg-0", "node-a", "postgres:16", PG_ENV, &[("/var/lib/postgresql/data", vol.clone())]);
    t.start_ok(&p);
    t.psql(&p, "CREATE TABLE t (v INT)");
    t.psql(&p, "INSERT INTO t VALUES (7)");
    t.advance(60_000);
    t.stop(&p, false);
    assert_eq!(t.exec(&p, &["cat", "/var/lib/postgresql/data/postmaster.pid"]).exit_code, 0);
    t.delete_pod(&p);
    let q = t.pod("pg-0b", "node-a", "postgres:16", PG_ENV, &[("/var/lib/postgresql/data", vol)]);
    let log = t.start_ok(&q);
    assert!(log.contains("LOG:  database system was interrupted; last known up at "), "{log}");
    assert!(log.contains("LOG:  database system was not properly shut down; automatic recovery in progress\n"));
    assert!(log.contains("LOG:  invalid record length at "));
    assert!(log.contains("LOG:  checkpoint starting: end-of-recovery immediate wait\n"));
    assert_eq!(out(&t.psql(&q, "SELECT v FROM t")), (" v \n---\n 7\n(1 row)\n\n", 0));
}

#[test]
fn two_servers_on_one_nfs_directory_corrupt_it() {
    let mut t = T::new();
    let vol = VolumeId::Nfs { server: "nfs.example.com".into(), path: "/exports/pg".into() };
    let a = t.pod("pg-a", "node-a", "postgres:14", PG_ENV, &[("/var/lib/postgresql/data", vol.clone())]);
    t.start_ok(&a);
    t.psql(&a, "CREATE TABLE orders (id SERIAL PRIMARY KEY, item TEXT)");
    let b = t.pod("pg-b", "node-b", "postgres:14", PG_ENV, &[("/var/lib/postgresql/data", vol.clone())]);
    // node-b cannot see node-a's postmaster: the lock file looks stale.
    let log = t.start_ok(&b);
    assert!(log.contains("database system was interrupted; last known up at"), "{log}");
    // Both write: the pages are torn.
    assert_eq!(out(&t.psql(&b, "INSERT INTO orders (item) VALUES ('disk')")), ("INSERT 0 1\n", 0));
    let r = t.psql(&a, "SELECT * FROM orders");
    assert_eq!(r.exit_code, 1);
    assert!(r.output.starts_with("ERROR:  invalid page in block 0 of relation base/13758/"), "{}", r.output);
    // At their next checkpoint (checkpoint_timeout is 5 minutes) both
    // servers crash.
    t.advance(299_000);
    let mut cx = t.cx();
    assert_eq!(poll_exit(&mut cx, &a), None);
    t.advance(2_000);
    let mut cx = t.cx();
    assert_eq!(poll_exit(&mut cx, &a), Some(1));
    assert_eq!(poll_exit(&mut cx, &b), Some(1));
    let log = t.log(&a);
    assert!(log.contains("PANIC:  xlog flush request"), "{log}");
    assert!(log.contains("LOG:  aborting startup due to startup process failure\n"));
    // And every restart fails recovery: CrashLoopBackOff.
    let a2 = T::restarted(&a);
    match t.start(&a2) {
        StartOutcome::Exited { code: 1, log } => assert!(log.contains("PANIC:  WAL contains references to invalid pages\n"), "{log}"),
        o => panic!("{o:?}"),
    }
}

#[test]
fn postgres_entrypoint_refusals() {
    let mut t = T::new();
    let p = t.pod("nopw", "node-a", "postgres:16", &[], &[]);
    match t.start(&p) {
        StartOutcome::Exited { code: 1, log } => {
            assert!(log.starts_with("Error: Database is uninitialized and superuser password is not specified.\n"), "{log}")
        }
        o => panic!("{o:?}"),
    }
    let q = t.pod("pg18", "node-a", "postgres:18", PG_ENV, &[("/var/lib/postgresql/data", host("node-a", "/x"))]);
    match t.start(&q) {
        StartOutcome::Exited { code: 1, log } => assert!(
            log.contains("Counter to that, there appears to be PostgreSQL data in:\n         /var/lib/postgresql/data (unused mount/volume)\n"),
            "{log}"
        ),
        o => panic!("{o:?}"),
    }
    // A mount point with something in it: initdb refuses.
    let vol = host("node-a", "/y");
    let w = t.pod("w", "node-a", "busybox", &[], &[("/d", vol.clone())]);
    t.sh(&w, "mkdir /d/lost+found");
    let r = t.pod("pg-lf", "node-a", "postgres:15", PG_ENV, &[("/var/lib/postgresql/data", vol)]);
    match t.start(&r) {
        StartOutcome::Exited { code: 1, log } => assert!(log.ends_with("initdb: error: directory \"/var/lib/postgresql/data\" exists but is not empty\ninitdb: detail: It contains a lost+found directory, perhaps due to it being a mount point.\ninitdb: hint: Using a mount point directly as the data directory is not recommended.\nCreate a subdirectory under the mount point.\n"), "{log}"),
        o => panic!("{o:?}"),
    }
}

#[test]
fn shell_basics_with_dash_and_busybox_messages() {
    let mut t = T::new();
    let d = t.pod("deb", "node-a", "nginx:1.27", &[("GREETING", "hi")], &[]);
    let b = t.pod("bb", "node-a", "busybox", &[], &[]);
    assert_eq!(out(&t.sh(&d, "echo $GREETING there && echo -n x; echo y")), ("hi there\nxy\n", 0));
    assert_eq!(out(&t.sh(&d, "echo 'a b' > /tmp/f; echo c >> /tmp/f; cat /tmp/f | wc -l")), ("2\n", 0));
    assert_eq!(out(&t.sh(&d, "echo x > /nope/y")), ("sh: 1: cannot create /nope/y: Directory nonexistent\n", 2));
    assert_eq!(out(&t.sh(&b, "echo x > /nope/y")), ("sh: can't create /nope/y: nonexistent directory\n", 1));
    assert_eq!(out(&t.sh(&d, "cat /missing")), ("cat: /missing: No such file or directory\n", 1));
    assert_eq!(out(&t.sh(&b, "cat /missing")), ("cat: can't open '/missing': No such file or directory\n", 1));
    assert_eq!(out(&t.sh(&b, "echo qux > /tmp/q; rev /tmp/q; printf 'ab\\ncd\\n' | rev")), ("xuq\nba\ndc\n", 0));
    assert_eq!(out(&t.sh(&b, "rev /missing")), ("rev: can't open '/missing': No such file or directory\n", 1));
    assert_eq!(out(&t.sh(&d, "rev /missing")), ("sh: 1: rev: not found\n", 127));
    assert_eq!(out(&t.sh(&d, "nosuch")), ("sh: 1: nosuch: not found\n", 127));
    assert_eq!(out(&t.sh(&b, "nosuch")), ("sh: nosuch: not found\n", 127));
    assert_eq!(out(&t.exec(&d, &["bash", "-c", "nosuch"])), ("bash: line 1: nosuch: command not found\n", 127));
    assert_eq!(out(&t.sh(&d, "false || echo fallback; exit 3")), ("fallback\n", 3));
    assert_eq!(out(&t.sh(&b, "mkdir -p /a/b/c && touch /a/b/c/f && ls /a/b/c && pwd && hostname")), ("f\n/\nbb\n", 0));
    assert_eq!(out(&t.sh(&b, "for i in 1 2 3; do echo n$i; done | grep -c n")), ("3\n", 0));
    assert_eq!(out(&t.sh(&b, "x=5; if [ $x -gt 3 ]; then echo big; else echo small; fi")), ("big\n", 0));
    assert_eq!(out(&t.sh(&b, "echo $(echo sub) \"$HOME\" '$HOME'")), ("sub /root $HOME\n", 0));
    assert_eq!(out(&t.exec(&d, &["ls", "/nope"])), ("ls: cannot access '/nope': No such file or directory\n", 2));
    assert_eq!(out(&t.exec(&b, &["ls", "/nope"])), ("ls: /nope: No such file or directory\n", 1));
    assert_eq!(out(&t.exec(&d, &["echo", "hi"])), ("hi\n", 0));
    assert_eq!(out(&t.sh(&d, "cat <<EOF > /tmp/h\nline $GREETING\nEOF\ncat /tmp/h")), ("line hi\n", 0));
    // A quoted delimiter means no expansion; <<- strips leading tabs (and still expands).
    assert_eq!(out(&t.sh(&d, "cat <<'EOF'\nline $GREETING\nEOF")), ("line $GREETING\n", 0));
    assert_eq!(out(&t.sh(&d, "cat <<-EOF\n\tline $GREETING\n\tEOF")), ("line hi\n", 0));
    assert_eq!(out(&t.sh(&d, "echo 'unterminated")), ("sh: 1: Syntax error: Unterminated quoted string\n", 2));
    assert_eq!(out(&t.sh(&d, "set -- a 'b c'; for x in \"$@\"; do echo \"<$x>\"; done")), ("<a>\n<b c>\n", 0));
    // dash's echo knows no -e (and always interprets escapes); busybox's needs -e.
    assert_eq!(out(&t.sh(&d, "echo -e 'a\\tb'")), ("-e a\tb\n", 0));
    assert_eq!(out(&t.sh(&b, "echo -e 'a\\tb'")), ("a\tb\n", 0));
    assert_eq!(out(&t.sh(&d, "rm -rf /usr/share/nginx/html/index.html; ls /usr/share/nginx/html")), ("50x.html\n", 0));
}

#[test]
fn exec_of_a_program_the_image_lacks() {
    let mut t = T::new();
    let n = t.pod("web", "node-a", "nginx", &[], &[]);
    assert_eq!(
        out(&t.exec(&n, &["psql", "-c", "SELECT 1"])),
        ("OCI runtime exec failed: exec failed: unable to start container process: exec: \"psql\": executable file not found in $PATH: unknown\n", 126)
    );
    let b = t.pod("bb", "node-a", "busybox", &[], &[]);
    assert_eq!(t.exec(&b, &["bash"]).exit_code, 126);
}

#[test]
fn nginx_serves_its_document_root_and_curl_fetches_it() {
    let mut t = T::new();
    let w = t.pod("www", "node-a", "nginx:1.27", &[], &[]);
    let log = t.start_ok(&w);
    assert!(log.starts_with("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\n"), "{log}");
    assert!(log.contains("[notice] 1#1: nginx/1.27.5\n"));
    assert!(log.contains("[notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14) \n"), "{log}");
    let r = t.exec(&w, &["curl", "-s", "http://localhost"]);
    assert_eq!(r.exit_code, 0);
    assert!(r.output.contains("<h1>Welcome to nginx!</h1>"));
    // A volume over the document root hides the image's page.
    let v = t.pod("www2", "node-a", "nginx:1.27", &[], &[("/usr/share/nginx/html", VolumeId::Nfs { server: "nfs".into(), path: "/e".into() })]);
    t.start_ok(&v);
    assert_eq!(
        out(&t.exec(&v, &["curl", "-s", "http://localhost/"])),
        (
            "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx/1.27.5</center>\r\n</body>\r\n</html>\r\n",
            0
        )
    );
    assert_eq!(out(&t.sh(&v, "echo 'Hello World' > /usr/share/nginx/html/index.html")), ("", 0));
    assert_eq!(out(&t.exec(&v, &["curl", "-s", "http://localhost"])), ("Hello World\n", 0));
    assert_eq!(out(&t.exec(&v, &["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://localhost/nope"])), ("404", 0));
    assert!(t.log(&v).contains("[error] 29#29: *1 directory index of \"/usr/share/nginx/html/\" is forbidden, client: 127.0.0.1, server: localhost, request: \"GET / HTTP/1.1\", host: \"localhost\"\n"), "{}", t.log(&v));
    assert!(t.log(&v).contains("127.0.0.1 - - [05/Jan/2026:09:02:00 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"curl/7.88.1\" \"-\"\n"), "{}", t.log(&v));
    // Without -s: the progress meter on stderr.
    let r = t.exec(&v, &["curl", "http://localhost"]);
    assert!(r.output.starts_with("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"));
    assert!(r.output.ends_with("\r100    12  100    12    0     0  12000      0 --:--:-- --:--:-- --:--:-- 12000\nHello World\n"), "{:?}", r.output);
}

#[test]
fn curl_failures() {
    let mut t = T::new();
    let b = t.pod("bb", "node-a", "busybox", &[], &[]);
    assert_eq!(out(&t.exec(&b, &["curl", "-s", "http://nothing-here"])), ("", 6));
    assert_eq!(out(&t.exec(&b, &["curl", "-sS", "http://nothing-here"])), ("curl: (6) Could not resolve host: nothing-here\n", 6));
    t.start(&b);
    assert_eq!(
        out(&t.exec(&b, &["curl", "-sS", "http://localhost:80/"])),
        ("curl: (7) Failed to connect to localhost port 80 after 0 ms: Couldn't connect to server\n", 7)
    );
    assert_eq!(out(&t.exec(&b, &["wget", "-qO-", "http://localhost"])), ("wget: can't connect to remote host (127.0.0.1): Connection refused\n", 1));
}

#[test]
fn httpd_says_it_works() {
    let mut t = T::new();
    let h = t.pod("h", "node-a", "httpd:2.4", &[], &[]);
    let log = t.start_ok(&h);
    assert!(log.contains("AH00489: Apache/2.4.66 (Unix) configured -- resuming normal operations\n"));
    assert_eq!(out(&t.exec(&h, &["curl", "-s", "localhost"])), ("<html><body><h1>It works!</h1></body></html>\n", 0));
}

#[test]
fn redis_keeps_keys_on_its_volume() {
    let mut t = T::new();
    let vol = host("node-a", "/redis");
    let r = t.pod("redis", "node-a", "redis:7", &[], &[("/data", vol.clone())]);
    let log = t.start_ok(&r);
    assert!(log.ends_with("* Ready to accept connections tcp\n"), "{log}");
    assert_eq!(out(&t.exec(&r, &["redis-cli", "SET", "k", "v"])), ("OK\n", 0));
    assert_eq!(out(&t.exec(&r, &["redis-cli", "GET", "k"])), ("v\n", 0));
    assert_eq!(out(&t.exec(&r, &["redis-cli", "GET", "missing"])), ("\n", 0));
    assert_eq!(out(&t.exec(&r, &["redis-cli", "INCR", "n"])), ("1\n", 0));
    assert_eq!(out(&t.exec(&r, &["redis-cli", "KEYS", "*"])), ("k\nn\n", 0));
    assert_eq!(out(&t.exec(&r, &["redis-cli", "PING"])), ("PONG\n", 0));
    assert_eq!(out(&t.exec(&r, &["redis-cli", "INCR", "k"])), ("ERR value is not an integer or out of range\n\n", 0));
    // Power loss before any snapshot: the keys are gone.
    t.stop(&r, false);
    let r2 = T::restarted(&r);
    t.start_ok(&r2);
    assert_eq!(out(&t.exec(&r2, &["redis-cli", "GET", "k"])), ("\n", 0));
    // A clean stop saves a final snapshot.
    t.exec(&r2, &["redis-cli", "SET", "k", "kept"]);
    t.stop(&r2, true);
    assert!(t.log(&r2).contains("* Saving the final RDB snapshot before exiting.\n"));
    let r3 = T::restarted(&r2);
    let log = t.start_ok(&r3);
    assert!(log.contains("* Done loading RDB, keys loaded: 1, keys expired: 0.\n"), "{log}");
    assert_eq!(out(&t.exec(&r3, &["redis-cli", "GET", "k"])), ("kept\n", 0));
    let c = t.pod("c", "node-b", "redis:7", &[], &[]);
    assert_eq!(out(&t.exec(&c, &["redis-cli", "PING"])), ("Could not connect to Redis at 127.0.0.1:6379: Connection refused\n", 1));
}

#[test]
fn main_processes_of_plain_images() {
    let mut t = T::new();
    let f = t.pod_with("f", "node-a", "busybox", &[], &[], vec!["false".into()], vec![]);
    assert_eq!(t.start(&f), StartOutcome::Exited { code: 1, log: String::new() });
    let s = t.pod_with("s", "node-a", "busybox", &[], &[], vec!["sleep".into(), "3600".into()], vec![]);
    assert_eq!(t.start(&s), StartOutcome::Running { log: String::new() });
    assert_eq!(shutdown_ms(&s), i64::MAX);
    t.advance(3_600_000);
    let mut cx = t.cx();
    assert_eq!(poll_exit(&mut cx, &s), Some(0));
    let e = t.pod_with("e", "node-a", "busybox", &[], &[], vec!["sh".into(), "-c".into(), "echo start; sleep 5; echo done; exit 3".into()], vec![]);
    assert_eq!(t.start(&e), StartOutcome::Running { log: "start\n".into() });
    let mut cx = t.cx();
    assert_eq!(poll_exit(&mut cx, &e), None);
    t.advance(5_000);
    let mut cx = t.cx();
    assert_eq!(poll_exit(&mut cx, &e), Some(3));
    assert_eq!(t.log(&e), "done\n");
    let bb = t.pod("plain", "node-a", "busybox", &[], &[]);
    assert_eq!(t.start(&bb), StartOutcome::Exited { code: 0, log: String::new() });
    let inf = t.pod_with("inf", "node-a", "busybox", &[], &[], vec!["sh".into(), "-c".into(), "while true; do echo tick; sleep 10; done".into()], vec![]);
    assert_eq!(t.start(&inf), StartOutcome::Running { log: "tick\n".into() });
    t.advance(25_000);
    flush_logs(&mut t.c.runtime, &mut t.c.world, t.c.api.now);
    assert_eq!(t.log(&inf), "tick\ntick\n");
    let w = t.pod_with("w", "node-a", "busybox", &[], &[], vec!["sh".into(), "-c".into(), "trap : TERM INT; sleep infinity & wait".into()], vec![]);
    assert_eq!(t.start(&w), StartOutcome::Running { log: String::new() });
    let missing = t.pod_with("m", "node-a", "busybox", &[], &[], vec!["bash".into()], vec![]);
    assert!(start_error(&missing).unwrap().ends_with("exec: \"bash\": executable file not found in $PATH: unknown"));
    let pg = t.pod("pg", "node-a", "postgres:14", PG_ENV, &[]);
    assert_eq!(shutdown_ms(&pg), 300);
}

#[test]
fn mysql_init_refuses_a_mount_inside_its_data_directory() {
    let mut t = T::new();
    let env = &[("MYSQL_ROOT_PASSWORD", "password")];
    let bad = t.pod("mysql", "node-a", "mysql:8.0", env, &[("/var/lib/mysql/data", host("node-a", "/m"))]);
    // The entrypoint runs for a moment, then initialization aborts.
    match t.start(&bad) {
        StartOutcome::Running { log } => assert!(log.contains("Entrypoint script for MySQL Server"), "{log}"),
        o => panic!("{o:?}"),
    }
    let mut cx = t.cx();
    assert_eq!(poll_exit(&mut cx, &bad), None);
    t.advance(2_000);
    let mut cx = t.cx();
    assert_eq!(poll_exit(&mut cx, &bad), Some(1));
    assert!(t.log(&bad).contains("[ERROR] [MY-010457] [Server] --initialize specified but the data directory has files in it. Aborting.\n"), "{}", t.log(&bad));
    let ok = t.pod("mysql2", "node-a", "mysql:8.0", env, &[("/var/lib/mysql", host("node-a", "/m2"))]);
    let log = t.start_ok(&ok);
    assert!(
        log.ends_with(
            "/usr/sbin/mysqld: ready for connections. Version: '8.0.44'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.\n"
        ),
        "{log}"
    );
    let r = t.exec(&ok, &["mysql", "-uroot", "-ppassword", "-e", "CREATE DATABASE shop; USE shop; CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20)); INSERT INTO t (name) VALUES ('a'); SELECT * FROM t"]);
    assert_eq!(out(&r), ("mysql: [Warning] Using a password on the command line interface can be insecure.\nid\tname\n1\ta\n", 0));
    let r = t.exec(&ok, &["mysql", "-uroot", "-pwrong", "-e", "SELECT 1"]);
    assert_eq!(
        out(&r),
        (
            "mysql: [Warning] Using a password on the command line interface can be insecure.\nERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)\n",
            1
        )
    );
}

#[test]
fn psql_scripts_from_stdin_and_newer_psql_shows_every_result() {
    let mut t = T::new();
    let p = t.pod("pg-0", "node-a", "postgres:16", PG_ENV, &[]);
    t.start_ok(&p);
    let script = "CREATE TABLE t (id INT PRIMARY KEY, note TEXT);\nINSERT INTO t VALUES (1, 'a'), (2, NULL);\nINSERT INTO t VALUES (1, 'dup');\nSELECT * FROM t ORDER BY id;\n";
    let r = t.exec_in(&p, &["psql", "-U", "postgres"], script);
    assert_eq!(
        out(&r),
        (
            "CREATE TABLE\nINSERT 0 2\npsql:<stdin>:3: ERROR:  duplicate key value violates unique constraint \"t_pkey\"\nDETAIL:  Key (id)=(1) already exists.\n id | note \n----+------\n  1 | a\n  2 | \n(2 rows)\n\n",
            0
        )
    );
    // psql 15+ prints the result of every statement of a -c string.
    let r = t.psql(&p, "UPDATE t SET note = 'b' WHERE id = 2; DELETE FROM t WHERE id = 1; SELECT count(*) FROM t");
    assert_eq!(out(&r), ("UPDATE 1\nDELETE 1\n count \n-------\n     1\n(1 row)\n\n", 0));
    // A transaction rolled back inside one string.
    let r = t.psql(&p, "BEGIN; DELETE FROM t; ROLLBACK; SELECT count(*) FROM t");
    assert_eq!(out(&r), ("BEGIN\nDELETE 1\nROLLBACK\n count \n-------\n     1\n(1 row)\n\n", 0));
    let r = t.psql(&p, "\\d t");
    assert_eq!(
        out(&r),
        (
            "                 Table \"public.t\"\n Column |  Type   | Collation | Nullable | Default \n--------+---------+-----------+----------+---------\n id     | integer |           | not null | \n note   | text    |           |          | \nIndexes:\n    \"t_pkey\" PRIMARY KEY, btree (id)\n\n",
            0
        )
    );
    assert_eq!(out(&t.exec(&p, &["pg_isready"])), ("/var/run/postgresql:5432 - accepting connections\n", 0));
    let r = t.exec(&p, &["psql", "-U", "postgres", "-l"]);
    assert_eq!(
        out(&r),
        (
            "                                                      List of databases\n   Name    |  Owner   | Encoding | Locale Provider |  Collate   |   Ctype    | ICU Locale | ICU Rules |   Access privileges   \n-----------+----------+----------+-----------------+------------+------------+------------+-----------+-----------------------\n postgres  | postgres | UTF8     | libc            | en_US.utf8 | en_US.utf8 |            |           | \n template0 | postgres | UTF8     | libc            | en_US.utf8 | en_US.utf8 |            |           | =c/postgres          +\n           |          |          |                 |            |            |            |           | postgres=CTc/postgres\n template1 | postgres | UTF8     | libc            | en_US.utf8 | en_US.utf8 |            |           | =c/postgres          +\n           |          |          |                 |            |            |            |           | postgres=CTc/postgres\n(3 rows)\n\n",
            0
        )
    );
}

#[test]
fn probes_reach_the_servers() {
    let mut t = T::new();
    let w = t.pod("web", "node-a", "nginx:1.25", &[], &[]);
    t.start_ok(&w);
    let pod = t.c.api.get_t::<crate::engine::api::Pod>("default", "web").unwrap().clone();
    let mut cx = t.cx();
    assert_eq!(probe_http(&mut cx, &pod, 80, "/", "kube-probe/1.36"), Ok(200));
    assert_eq!(probe_http(&mut cx, &pod, 80, "/healthz", "kube-probe/1.36"), Ok(404));
    assert_eq!(probe_http(&mut cx, &pod, 8080, "/", "kube-probe/1.36"), Err(format!("dial tcp {}:8080: connect: connection refused", pod.status.pod_ip)));
    assert_eq!(probe_tcp(&mut cx, &pod, 80), Ok(()));
    assert!(t.log(&w).contains("\"GET /healthz HTTP/1.1\" 404 153 \"-\" \"kube-probe/1.36\" \"-\"\n"), "{}", t.log(&w));
}

#[test]
fn ls_long_and_curl_head() {
    let mut t = T::new();
    let w = t.pod("web", "node-a", "nginx:1.27", &[], &[]);
    t.start_ok(&w);
    let r = t.exec(&w, &["ls", "-l", "/usr/share/nginx/html"]);
    assert_eq!(out(&r), ("total 8\n-rw-r--r-- 1 root root 497 Jan  5 09:02 50x.html\n-rw-r--r-- 1 root root 615 Jan  5 09:02 index.html\n", 0));
    let r = t.exec(&w, &["curl", "-sI", "http://localhost/"]);
    assert!(
        r.output.starts_with(
            "HTTP/1.1 200 OK\r\nServer: nginx/1.27.5\r\nDate: Mon, 05 Jan 2026 09:02:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 615\r\n"
        ),
        "{:?}",
        r.output
    );
    assert!(r.output.ends_with("Accept-Ranges: bytes\r\n\r\n"));
    let b = t.pod("bb", "node-a", "busybox", &[], &[]);
    let ip = t.c.api.get_t::<crate::engine::api::Pod>("default", "web").unwrap().status.pod_ip.clone();
    let r = t.exec(&b, &["wget", "-qO-", &format!("http://{ip}/50x.html")]);
    assert!(r.output.contains("<h1>An error occurred.</h1>"), "{}", r.output);
    assert!(t.log(&w).contains(&format!("{} - - [", t.c.api.get_t::<crate::engine::api::Pod>("default", "bb").unwrap().status.pod_ip)));
}

#[test]
fn a_container_restart_without_a_volume_loses_the_database() {
    let mut t = T::new();
    let p = t.pod("pg", "node-a", "postgres:14", PG_ENV, &[]);
    t.start_ok(&p);
    t.psql(&p, "CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(50))");
    t.stop(&p, true);
    let p2 = T::restarted(&p);
    let log = t.start_ok(&p2);
    assert!(log.starts_with("The files belonging to this database system"), "initdb runs again: {log}");
    assert_eq!(
        out(&t.psql(&p2, "SELECT * FROM users")),
        ("ERROR:  relation \"users\" does not exist\nLINE 1: SELECT * FROM users\n                      ^\n", 1)
    );
}

/// A script whose variables or output outgrow the container's memory is
/// killed as the OOM killer would (137), instead of taking the tab's memory.
#[test]
fn a_doubling_loop_is_oom_killed() {
    let mut t = T::new();
    let p = t.pod("box", "node-a", "busybox", &[], &[]);
    for script in
        ["x=a; while true; do x=$x$x; done", "x=a; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do x=$x$x; done; while true; do echo $x; done"]
    {
        let r = t.sh(&p, script);
        assert_eq!(r.exit_code, 137, "{script}");
        assert!(r.output.len() <= 17 << 20, "{}", r.output.len());
    }
}
