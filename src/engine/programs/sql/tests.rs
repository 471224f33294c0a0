use super::*;

fn env() -> Env {
    Env { user: "postgres".into(), version_string: "PostgreSQL 14.22".into(), server_version: "14.22".into(), now_us: 1_767_603_600_000_000, major: 14 }
}

fn run(db: &mut Database, cat: &mut Catalog, q: &str) -> (Vec<Event>, Option<SqlError>) {
    let e = env();
    let mut s = Session::new(db, cat, &e);
    s.run(q)
}

fn rows(ev: &[Event]) -> String {
    ev.iter()
        .map(|e| match e {
            Event::Rows(t) => t.print(&Default::default()),
            Event::Tag(t) => format!("{t}\n"),
            Event::Notice(n) => format!("{n}\n"),
            Event::End => String::new(),
        })
        .collect()
}

#[test]
fn create_insert_select() {
    let mut db = Database { name: "postgres".into(), oid: 5, ..Default::default() };
    let mut cat = Catalog { next_oid: 16384, ..Default::default() };
    let (ev, err) = run(&mut db, &mut cat, "CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(50))");
    assert_eq!((rows(&ev), err), ("CREATE TABLE\n".into(), None));
    let (ev, _) = run(&mut db, &mut cat, "INSERT INTO users (name) VALUES ('Alice'), ('Bob')");
    assert_eq!(rows(&ev), "INSERT 0 2\n");
    let (ev, _) = run(&mut db, &mut cat, "SELECT * FROM users");
    assert_eq!(rows(&ev), " id | name  \n----+-------\n  1 | Alice\n  2 | Bob\n(2 rows)\n\n");
    let (ev, _) = run(&mut db, &mut cat, "select name from users where id = 2");
    assert_eq!(rows(&ev), " name \n------\n Bob\n(1 row)\n\n");
    let (ev, _) = run(&mut db, &mut cat, "SELECT count(*) FROM users");
    assert_eq!(rows(&ev), " count \n-------\n     2\n(1 row)\n\n");
    let (ev, _) = run(&mut db, &mut cat, "UPDATE users SET name = 'Carol' WHERE id = 1");
    assert_eq!(rows(&ev), "UPDATE 1\n");
    // The updated row is a new version at the end of the heap.
    let (ev, _) = run(&mut db, &mut cat, "SELECT * FROM users");
    assert_eq!(rows(&ev), " id | name  \n----+-------\n  2 | Bob\n  1 | Carol\n(2 rows)\n\n");
    let (ev, _) = run(&mut db, &mut cat, "SELECT * FROM users ORDER BY id DESC LIMIT 1");
    assert_eq!(rows(&ev), " id | name \n----+------\n  2 | Bob\n(1 row)\n\n");
    let (ev, _) = run(&mut db, &mut cat, "DELETE FROM users WHERE name = 'Bob'");
    assert_eq!(rows(&ev), "DELETE 1\n");
}

#[test]
fn errors_are_postgres_errors() {
    let mut db = Database { name: "postgres".into(), oid: 5, ..Default::default() };
    let mut cat = Catalog { next_oid: 16384, ..Default::default() };
    let (_, err) = run(&mut db, &mut cat, "SELECT * FROM users");
    let err = err.unwrap();
    assert_eq!((err.message.as_str(), err.position), ("relation \"users\" does not exist", Some(15)));
    let (_, err) = run(&mut db, &mut cat, "SELECT * FORM users");
    assert_eq!(err.unwrap().message, "syntax error at or near \"FORM\"");
    let (_, err) = run(&mut db, &mut cat, "INSERT INTO t VALUES (");
    assert_eq!(err.unwrap().message, "syntax error at end of input");
    run(&mut db, &mut cat, "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(3) NOT NULL)");
    let (_, err) = run(&mut db, &mut cat, "INSERT INTO t VALUES (1, 'abcd')");
    assert_eq!(err.unwrap().message, "value too long for type character varying(3)");
    run(&mut db, &mut cat, "INSERT INTO t VALUES (1, 'a')");
    let (_, err) = run(&mut db, &mut cat, "INSERT INTO t VALUES (1, 'b')");
    let err = err.unwrap();
    assert_eq!(err.message, "duplicate key value violates unique constraint \"t_pkey\"");
    assert_eq!(err.detail.as_deref(), Some("Key (id)=(1) already exists."));
    let (_, err) = run(&mut db, &mut cat, "INSERT INTO t (id) VALUES (2)");
    let err = err.unwrap();
    assert_eq!(err.message, "null value in column \"name\" of relation \"t\" violates not-null constraint");
    assert_eq!(err.detail.as_deref(), Some("Failing row contains (2, null)."));
    let (_, err) = run(&mut db, &mut cat, "INSERT INTO t VALUES ('x', 'b')");
    let err = err.unwrap();
    assert_eq!((err.message.as_str(), err.position), ("invalid input syntax for type integer: \"x\"", Some(23)));
    let (_, err) = run(&mut db, &mut cat, "SELECT * FROM t WHERE name = 1");
    let err = err.unwrap();
    assert_eq!(err.message, "operator does not exist: character varying = integer");
    let (_, err) = run(&mut db, &mut cat, "SELECT nope FROM t");
    assert_eq!(err.unwrap().message, "column \"nope\" does not exist");
}

#[test]
fn a_failed_query_string_rolls_back_but_keeps_sequences() {
    let mut db = Database { name: "postgres".into(), oid: 5, ..Default::default() };
    let mut cat = Catalog { next_oid: 16384, ..Default::default() };
    run(&mut db, &mut cat, "CREATE TABLE t (id SERIAL PRIMARY KEY, v INT)");
    let (ev, err) = run(&mut db, &mut cat, "INSERT INTO t (v) VALUES (1); INSERT INTO t (v) VALUES ('x')");
    assert_eq!(rows(&ev), "INSERT 0 1\n");
    assert!(err.is_some());
    run(&mut db, &mut cat, "INSERT INTO t (v) VALUES (3)");
    let (ev, _) = run(&mut db, &mut cat, "SELECT * FROM t");
    // The failed INSERT never reached nextval (its literal failed at
    // parse analysis); the rolled-back one did, and keeps its number.
    assert_eq!(rows(&ev), " id | v \n----+---\n  2 | 3\n(1 row)\n\n");
}

#[test]
fn if_not_exists_notices_and_count() {
    let mut db = Database { name: "codewizard".into(), oid: 16384, ..Default::default() };
    let mut cat = Catalog { next_oid: 16385, ..Default::default() };
    let (ev, _) = run(&mut db, &mut cat, "CREATE TABLE IF NOT EXISTS stateful (str VARCHAR); INSERT INTO stateful values (1); SELECT count(*) FROM stateful");
    assert_eq!(rows(&ev), "CREATE TABLE\nINSERT 0 1\n count \n-------\n     1\n(1 row)\n\n");
    let (ev, _) = run(&mut db, &mut cat, "CREATE TABLE IF NOT EXISTS stateful (str VARCHAR)");
    assert_eq!(rows(&ev), "NOTICE:  relation \"stateful\" already exists, skipping\nCREATE TABLE\n");
}

#[test]
fn alter_table() {
    let mut db = Database { name: "postgres".into(), oid: 5, ..Default::default() };
    let mut cat = Catalog { next_oid: 16384, ..Default::default() };
    run(&mut db, &mut cat, "CREATE TABLE u (id SERIAL PRIMARY KEY, name TEXT)");
    run(&mut db, &mut cat, "INSERT INTO u (name) VALUES ('a')");
    let (ev, err) = run(&mut db, &mut cat, "ALTER TABLE u ADD COLUMN age INT DEFAULT 7; ALTER TABLE u RENAME COLUMN name TO who; SELECT * FROM u");
    assert_eq!(err, None);
    assert_eq!(rows(&ev), "ALTER TABLE\nALTER TABLE\n id | who | age \n----+-----+-----\n  1 | a   |   7\n(1 row)\n\n");
    let (_, err) = run(&mut db, &mut cat, "ALTER TABLE u ADD COLUMN z INT NOT NULL");
    assert_eq!(err.unwrap().message, "column \"z\" of relation \"u\" contains null values");
    let (ev, _) = run(&mut db, &mut cat, "ALTER TABLE u DROP COLUMN who; ALTER TABLE u RENAME TO people; SELECT * FROM people");
    assert_eq!(rows(&ev), "ALTER TABLE\nALTER TABLE\n id | age \n----+-----\n  1 |   7\n(1 row)\n\n");
}

#[test]
fn numeric_scales_and_returning() {
    let mut db = Database { name: "postgres".into(), oid: 5, ..Default::default() };
    let mut cat = Catalog { next_oid: 16384, ..Default::default() };
    run(&mut db, &mut cat, "CREATE TABLE p (id SERIAL, price NUMERIC(10,2))");
    let (ev, err) = run(&mut db, &mut cat, "INSERT INTO p (price) VALUES (1.5), (2), (2.675) RETURNING id, price");
    assert_eq!(err, None);
    assert_eq!(rows(&ev), " id | price \n----+-------\n  1 |  1.50\n  2 |  2.00\n  3 |  2.68\n(3 rows)\n\nINSERT 0 3\n");
    let (ev, _) = run(&mut db, &mut cat, "SELECT price * 2, avg(price) FROM p WHERE id = 1 GROUP BY price");
    // select_div_scale: equal leading digits (1.50 / 1) give 20 digits.
    assert_eq!(rows(&ev), " ?column? |          avg           \n----------+------------------------\n     3.00 | 1.50000000000000000000\n(1 row)\n\n");
    let (ev, _) = run(&mut db, &mut cat, "SELECT 1/3::numeric AS third, 10.0/4 AS q");
    assert_eq!(
        rows(&ev),
        "         third          |         q          \n------------------------+--------------------\n 0.33333333333333333333 | 2.5000000000000000\n(1 row)\n\n"
    );
    let (_, err) = run(&mut db, &mut cat, "INSERT INTO p (price) VALUES (123456789)");
    let err = err.unwrap();
    assert_eq!(
        (err.message.as_str(), err.detail.as_deref()),
        ("numeric field overflow", Some("A field with precision 10, scale 2 must round to an absolute value less than 10^8."))
    );
}

#[test]
fn group_by_order_and_types() {
    let mut db = Database { name: "postgres".into(), oid: 5, ..Default::default() };
    let mut cat = Catalog { next_oid: 16384, ..Default::default() };
    run(&mut db, &mut cat, "CREATE TABLE o (item TEXT, qty INT, ok BOOLEAN, at TIMESTAMP DEFAULT now())");
    run(&mut db, &mut cat, "INSERT INTO o (item, qty, ok) VALUES ('b', 2, true), ('a', 5, 'no'), ('b', 1, NULL)");
    let (ev, err) = run(&mut db, &mut cat, "SELECT item, sum(qty) AS total FROM o GROUP BY item ORDER BY item");
    assert_eq!(err, None);
    assert_eq!(rows(&ev), " item | total \n------+-------\n a    |     5\n b    |     3\n(2 rows)\n\n");
    let (ev, _) = run(&mut db, &mut cat, "SELECT ok, at FROM o WHERE item = 'a'");
    assert_eq!(rows(&ev), " ok |         at          \n----+---------------------\n f  | 2026-01-05 09:00:00\n(1 row)\n\n");
}
