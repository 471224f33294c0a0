//! The SQL executor: the in-memory tables, a [`Session`] that runs
//! statements (transactions, typed evaluation, aggregates, sorting,
//! PostgreSQL's numeric and timestamp formats) and what it reports.

use super::parser::*;
use super::*;

// ---------------------------------------------------------------- storage

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: Ty,
    pub not_null: bool,
    /// The default's text as `\d` shows it (`nextval('t_id_seq'::regclass)`).
    pub default: Option<String>,
    /// The sequence behind a serial column.
    pub sequence: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableData {
    pub name: String,
    pub oid: u32,
    pub relfilenode: u32,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// Primary key: constraint name and column indexes.
    pub pkey: Option<(String, Vec<usize>)>,
    pub uniques: Vec<(String, Vec<usize>)>,
    /// Sequences: name -> last value given out (0 = none yet).
    pub sequences: BTreeMap<String, i64>,
    /// The relation's pages are damaged (two servers wrote them).
    pub torn: bool,
    pub owner: String,
}

/// One database's tables.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Database {
    pub name: String,
    pub oid: u32,
    // Boxed values: BTreeMap's code is compiled per value size, and maps of
    // pointer-sized values share one copy in the wasm.
    pub tables: BTreeMap<String, Box<TableData>>,
    /// relfilenodes of dropped tables (their files are removed on commit).
    pub dropped: Vec<u32>,
    /// Names of tables changed by the current query.
    pub dirty: std::collections::BTreeSet<String>,
}

/// The cluster-wide catalog: databases, roles, the OID counter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    pub databases: BTreeMap<String, u32>,
    /// role -> password (as stored: `SCRAM-SHA-256$...` or empty)
    pub roles: BTreeMap<String, String>,
    pub next_oid: u32,
    pub dirty: bool,
    pub created_dbs: Vec<(String, u32)>,
    pub dropped_dbs: Vec<u32>,
}

impl Catalog {
    pub fn alloc_oid(&mut self) -> u32 {
        let o = self.next_oid.max(16384);
        self.next_oid = o + 1;
        self.dirty = true;
        o
    }
}

/// What the server knows while executing: who, where, when.
pub struct Env {
    pub user: String,
    pub version_string: String,
    pub server_version: String,
    /// Microseconds since the epoch.
    pub now_us: i64,
    pub major: u32,
}

// ----------------------------------------------------------------- results

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Notice(String),
    Tag(String),
    Rows(OutTable),
    /// The end of one statement's results.
    End,
}

/// A session: one connection's view, with its transaction state.
pub struct Session<'a> {
    pub db: &'a mut Database,
    pub cat: &'a mut Catalog,
    pub env: &'a Env,
    pub in_tx: bool,
    pub tx_failed: bool,
    snapshot: Option<(Database, Catalog)>,
}

impl<'a> Session<'a> {
    pub fn new(db: &'a mut Database, cat: &'a mut Catalog, env: &'a Env) -> Session<'a> {
        Session { db, cat, env, in_tx: false, tx_failed: false, snapshot: None }
    }

    /// Runs one query string (one or more statements, as psql's `-c`
    /// sends it: a single implicit transaction). Events in order; the
    /// error, if any, ends it and undoes the statements before it.
    pub fn run(&mut self, query: &str) -> (Vec<Event>, Option<SqlError>) {
        let stmts = split_statements(query);
        let mut events = vec![];
        let implicit = !self.in_tx;
        let before = (self.db.clone(), self.cat.clone());
        let multi = stmts.len() > 1;
        for (text, start) in &stmts {
            let stmt = match parse_statement(query, *start, text) {
                Ok(s) => s,
                Err(e) => return self.fail(events, e, implicit, before),
            };
            if self.tx_failed && !matches!(stmt, Stmt::Rollback | Stmt::Commit) {
                return self.fail(events, SqlError::new("current transaction is aborted, commands ignored until end of transaction block"), false, before);
            }
            if multi && matches!(stmt, Stmt::CreateDatabase { .. } | Stmt::DropDatabase { .. }) {
                let what = if matches!(stmt, Stmt::CreateDatabase { .. }) { "CREATE DATABASE" } else { "DROP DATABASE" };
                return self.fail(events, SqlError::new(format!("{what} cannot run inside a transaction block")), implicit, before);
            }
            match self.exec(query, stmt, &mut events) {
                Ok(()) => events.push(Event::End),
                Err(e) => return self.fail(events, e, implicit, before),
            }
        }
        (events, None)
    }

    fn fail(&mut self, events: Vec<Event>, e: SqlError, implicit: bool, before: (Database, Catalog)) -> (Vec<Event>, Option<SqlError>) {
        // Sequences are not transactional: keep what was handed out.
        let seqs: Vec<(String, BTreeMap<String, i64>)> = self.db.tables.iter().map(|(n, t)| (n.clone(), t.sequences.clone())).collect();
        if implicit && !self.in_tx {
            *self.db = before.0;
            *self.cat = before.1;
            for (n, s) in seqs {
                if let Some(t) = self.db.tables.get_mut(&n)
                    && t.sequences != s
                {
                    t.sequences = s;
                    self.db.dirty.insert(n);
                }
            }
        } else if self.in_tx {
            self.tx_failed = true;
        }
        (events, Some(e))
    }

    fn table(&self, name: &str, pos: usize) -> R<&TableData> {
        match self.db.tables.get(name) {
            Some(t) => {
                if t.torn {
                    return Err(SqlError::new(format!("invalid page in block 0 of relation base/{}/{}", self.db.oid, t.relfilenode)));
                }
                Ok(t)
            }
            None => Err(SqlError::at(format!("relation \"{name}\" does not exist"), pos)),
        }
    }

    fn exec(&mut self, query: &str, stmt: Stmt, ev: &mut Vec<Event>) -> R<()> {
        let _ = query;
        match stmt {
            Stmt::Begin => {
                if self.in_tx {
                    ev.push(Event::Notice("WARNING:  there is already a transaction in progress".into()));
                } else {
                    self.in_tx = true;
                    self.snapshot = Some((self.db.clone(), self.cat.clone()));
                }
                ev.push(Event::Tag("BEGIN".into()));
            }
            Stmt::Commit => {
                if !self.in_tx {
                    ev.push(Event::Notice("WARNING:  there is no transaction in progress".into()));
                    ev.push(Event::Tag("COMMIT".into()));
                } else if self.tx_failed {
                    self.rollback();
                    ev.push(Event::Tag("ROLLBACK".into()));
                } else {
                    self.in_tx = false;
                    self.snapshot = None;
                    ev.push(Event::Tag("COMMIT".into()));
                }
            }
            Stmt::Rollback => {
                if !self.in_tx {
                    ev.push(Event::Notice("WARNING:  there is no transaction in progress".into()));
                } else {
                    self.rollback();
                }
                ev.push(Event::Tag("ROLLBACK".into()));
            }
            Stmt::Tag(t) => ev.push(Event::Tag(t)),
            Stmt::Show(name) => {
                let v = match name.as_str() {
                    "server_version" => self.env.server_version.clone(),
                    "timezone" => "Etc/UTC".into(),
                    "max_connections" => "100".into(),
                    "shared_buffers" => "128MB".into(),
                    "data_directory" => {
                        return Err(SqlError::new("must be superuser or have privileges of pg_read_all_settings to examine \"data_directory\""));
                    }
                    "listen_addresses" => "*".into(),
                    "port" => "5432".into(),
                    "server_encoding" | "client_encoding" => "UTF8".into(),
                    "datestyle" => "ISO, MDY".into(),
                    _ => return Err(SqlError::new(format!("unrecognized configuration parameter \"{name}\""))),
                };
                ev.push(Event::Rows(OutTable { title: None, headers: vec![name], aligns: vec!['l'], rows: vec![vec![Some(v)]], footers: None }));
            }
            Stmt::CreateDatabase { name } => {
                if self.cat.databases.contains_key(&name) {
                    return Err(SqlError::new(format!("database \"{name}\" already exists")));
                }
                let oid = self.cat.alloc_oid();
                self.cat.databases.insert(name.clone(), oid);
                self.cat.created_dbs.push((name, oid));
                ev.push(Event::Tag("CREATE DATABASE".into()));
            }
            Stmt::DropDatabase { name, if_exists } => {
                if name == self.db.name {
                    return Err(SqlError::new("cannot drop the currently open database"));
                }
                match self.cat.databases.remove(&name) {
                    Some(oid) => {
                        self.cat.dirty = true;
                        self.cat.dropped_dbs.push(oid);
                    }
                    None if if_exists => ev.push(Event::Notice(format!("NOTICE:  database \"{name}\" does not exist, skipping"))),
                    None => return Err(SqlError::new(format!("database \"{name}\" does not exist"))),
                }
                ev.push(Event::Tag("DROP DATABASE".into()));
            }
            Stmt::CreateRole { name, password, tag } => {
                if self.cat.roles.contains_key(&name) {
                    return Err(SqlError::new(format!("role \"{name}\" already exists")));
                }
                self.cat.roles.insert(name, password.map(|p| hash_password(&p)).unwrap_or_default());
                self.cat.dirty = true;
                ev.push(Event::Tag(tag.into()));
            }
            Stmt::AlterRole { name, password } => {
                let Some(r) = self.cat.roles.get_mut(&name) else { return Err(SqlError::new(format!("role \"{name}\" does not exist"))) };
                if let Some(p) = password {
                    *r = hash_password(&p);
                }
                self.cat.dirty = true;
                ev.push(Event::Tag("ALTER ROLE".into()));
            }
            Stmt::DropRole { name, if_exists } => {
                if name == self.env.user {
                    return Err(SqlError::new("current user cannot be dropped"));
                }
                if self.cat.roles.remove(&name).is_none() {
                    if !if_exists {
                        return Err(SqlError::new(format!("role \"{name}\" does not exist")));
                    }
                    ev.push(Event::Notice(format!("NOTICE:  role \"{name}\" does not exist, skipping")));
                }
                self.cat.dirty = true;
                ev.push(Event::Tag("DROP ROLE".into()));
            }
            Stmt::CreateTable { name, pos, if_not_exists, cols, pk } => self.create_table(name, pos, if_not_exists, cols, pk, ev)?,
            Stmt::AlterTable { table, tpos, if_exists, action } => self.alter_table(table, tpos, if_exists, action, ev)?,
            Stmt::DropTable { names, if_exists } => {
                for (n, p) in &names {
                    if !self.db.tables.contains_key(n) && !if_exists {
                        let _ = p;
                        return Err(SqlError::new(format!("table \"{n}\" does not exist")));
                    }
                }
                for (n, _) in names {
                    match self.db.tables.remove(&n) {
                        Some(t) => {
                            self.db.dropped.push(t.relfilenode);
                            self.db.dirty.insert(n);
                        }
                        None => ev.push(Event::Notice(format!("NOTICE:  table \"{n}\" does not exist, skipping"))),
                    }
                }
                ev.push(Event::Tag("DROP TABLE".into()));
            }
            Stmt::Truncate { names } => {
                for (n, p) in &names {
                    self.table(n, *p)?;
                }
                for (n, _) in names {
                    if let Some(t) = self.db.tables.get_mut(&n) {
                        t.rows.clear();
                    }
                    self.db.dirty.insert(n);
                }
                ev.push(Event::Tag("TRUNCATE TABLE".into()));
            }
            Stmt::Insert { table, tpos, cols, rows, returning } => self.insert(table, tpos, cols, rows, returning, ev)?,
            Stmt::Update { table, tpos, sets, where_, returning } => self.update(table, tpos, sets, where_, returning, ev)?,
            Stmt::Delete { table, tpos, where_, returning } => self.delete(table, tpos, where_, returning, ev)?,
            Stmt::Select(s) => {
                let t = self.select(&s)?;
                ev.push(Event::Rows(t));
            }
        }
        Ok(())
    }

    fn rollback(&mut self) {
        if let Some((d, c)) = self.snapshot.take() {
            let seqs: Vec<(String, BTreeMap<String, i64>)> = self.db.tables.iter().map(|(n, t)| (n.clone(), t.sequences.clone())).collect();
            *self.db = d;
            *self.cat = c;
            for (n, s) in seqs {
                if let Some(t) = self.db.tables.get_mut(&n) {
                    t.sequences = s;
                    self.db.dirty.insert(n);
                }
            }
        }
        self.in_tx = false;
        self.tx_failed = false;
    }

    fn create_table(&mut self, name: String, _pos: usize, if_not_exists: bool, cols: Vec<ColDef>, pk: Option<Vec<String>>, ev: &mut Vec<Event>) -> R<()> {
        if self.db.tables.contains_key(&name) {
            if if_not_exists {
                ev.push(Event::Notice(format!("NOTICE:  relation \"{name}\" already exists, skipping")));
                ev.push(Event::Tag("CREATE TABLE".into()));
                return Ok(());
            }
            return Err(SqlError::new(format!("relation \"{name}\" already exists")));
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &cols {
            if !seen.insert(c.name.clone()) {
                return Err(SqlError::new(format!("column \"{}\" specified more than once", c.name)));
            }
        }
        let mut sequences = BTreeMap::new();
        let mut columns = vec![];
        // OIDs as PostgreSQL hands them out: sequences first, then the
        // table, its row type and array type, then indexes.
        for c in &cols {
            if c.serial {
                let seq = format!("{name}_{}_seq", c.name);
                self.cat.alloc_oid();
                sequences.insert(seq, 0);
            }
        }
        let oid = self.cat.alloc_oid();
        self.cat.alloc_oid();
        self.cat.alloc_oid();
        for c in &cols {
            let sequence = if c.serial { Some(format!("{name}_{}_seq", c.name)) } else { None };
            let default = match &sequence {
                Some(s) => Some(format!("nextval('{s}'::regclass)")),
                None => c.default_text.clone(),
            };
            columns.push(Column { name: c.name.clone(), ty: c.ty.clone(), not_null: c.not_null, default, sequence });
        }
        let mut pkey = None;
        let pk_cols: Option<Vec<String>> = pk.or_else(|| cols.iter().find(|c| c.primary).map(|c| vec![c.name.clone()]));
        if let Some(pkc) = pk_cols {
            let mut idx = vec![];
            for n in &pkc {
                match columns.iter().position(|c| &c.name == n) {
                    Some(i) => {
                        columns[i].not_null = true;
                        idx.push(i);
                    }
                    None => return Err(SqlError::new(format!("column \"{n}\" named in key does not exist"))),
                }
            }
            self.cat.alloc_oid();
            pkey = Some((format!("{name}_pkey"), idx));
        }
        let mut uniques = vec![];
        for (i, c) in cols.iter().enumerate() {
            if c.unique && !c.primary {
                self.cat.alloc_oid();
                uniques.push((format!("{name}_{}_key", c.name), vec![i]));
            }
        }
        // Validate defaults now (a bad literal fails CREATE TABLE).
        for (i, c) in cols.iter().enumerate() {
            if let Some(d) = &c.default {
                let v = self.eval(d, &Ctx::empty())?;
                coerce_assign(v, &columns[i].ty, &columns[i].name, d.pos())?;
            }
        }
        let t =
            TableData { name: name.clone(), oid, relfilenode: oid, columns, rows: vec![], pkey, uniques, sequences, torn: false, owner: self.env.user.clone() };
        let _ = cols;
        self.db.tables.insert(name.clone(), Box::new(t));
        self.db.dirty.insert(name);
        ev.push(Event::Tag("CREATE TABLE".into()));
        Ok(())
    }

    fn alter_table(&mut self, table: String, tpos: usize, if_exists: bool, action: AlterAction, ev: &mut Vec<Event>) -> R<()> {
        if !self.db.tables.contains_key(&table) {
            if if_exists {
                ev.push(Event::Notice(format!("NOTICE:  relation \"{table}\" does not exist, skipping")));
                ev.push(Event::Tag("ALTER TABLE".into()));
                return Ok(());
            }
            let _ = tpos;
            return Err(SqlError::new(format!("relation \"{table}\" does not exist")));
        }
        self.table(&table, tpos)?;
        match action {
            AlterAction::AddColumn(c, ine) => {
                if self.db.tables[&table].columns.iter().any(|x| x.name == c.name) {
                    if ine {
                        ev.push(Event::Notice(format!("NOTICE:  column \"{}\" of relation \"{table}\" already exists, skipping", c.name)));
                        ev.push(Event::Tag("ALTER TABLE".into()));
                        return Ok(());
                    }
                    return Err(SqlError::new(format!("column \"{}\" of relation \"{table}\" already exists", c.name)));
                }
                let sequence = if c.serial { Some(format!("{table}_{}_seq", c.name)) } else { None };
                let default = match &sequence {
                    Some(s) => Some(format!("nextval('{s}'::regclass)")),
                    None => c.default_text.clone(),
                };
                let col = Column { name: c.name.clone(), ty: c.ty.clone(), not_null: c.not_null, default, sequence: sequence.clone() };
                // Existing rows get the default (or NULL, which NOT NULL refuses).
                let n = self.db.tables[&table].rows.len();
                {
                    let t = self.db.tables.get_mut(&table).unwrap();
                    if let Some(s) = &sequence {
                        t.sequences.insert(s.clone(), 0);
                    }
                    t.columns.push(col);
                    for r in t.rows.iter_mut() {
                        r.push(Value::Null);
                    }
                }
                let idx = self.db.tables[&table].columns.len() - 1;
                for i in 0..n {
                    let v = self.default_value(&table, idx)?;
                    self.db.tables.get_mut(&table).unwrap().rows[i][idx] = v;
                }
                if c.not_null && self.db.tables[&table].rows.iter().any(|r| r[idx].is_null()) {
                    return Err(SqlError::new(format!("column \"{}\" of relation \"{table}\" contains null values", c.name)));
                }
                if c.primary {
                    self.db.tables.get_mut(&table).unwrap().pkey = Some((format!("{table}_pkey"), vec![idx]));
                }
            }
            AlterAction::DropColumn(c, ie) => {
                let Some(i) = self.db.tables[&table].columns.iter().position(|x| x.name == c) else {
                    if ie {
                        ev.push(Event::Notice(format!("NOTICE:  column \"{c}\" of relation \"{table}\" does not exist, skipping")));
                        ev.push(Event::Tag("ALTER TABLE".into()));
                        return Ok(());
                    }
                    return Err(SqlError::new(format!("column \"{c}\" of relation \"{table}\" does not exist")));
                };
                let t = self.db.tables.get_mut(&table).unwrap();
                t.columns.remove(i);
                for r in t.rows.iter_mut() {
                    r.remove(i);
                }
                let fix = |idx: &mut Vec<usize>| -> bool {
                    if idx.contains(&i) {
                        return false;
                    }
                    for x in idx.iter_mut() {
                        if *x > i {
                            *x -= 1;
                        }
                    }
                    true
                };
                if let Some((_, idx)) = &mut t.pkey
                    && !fix(idx)
                {
                    t.pkey = None;
                }
                t.uniques.retain_mut(|(_, idx)| fix(idx));
            }
            AlterAction::RenameColumn(a, b) => {
                let t = self.db.tables.get_mut(&table).unwrap();
                if t.columns.iter().any(|x| x.name == b) {
                    return Err(SqlError::new(format!("column \"{b}\" of relation \"{table}\" already exists")));
                }
                match t.columns.iter_mut().find(|x| x.name == a) {
                    Some(col) => col.name = b,
                    None => return Err(SqlError::new(format!("column \"{a}\" does not exist"))),
                }
            }
            AlterAction::RenameTable(to) => {
                if self.db.tables.contains_key(&to) {
                    return Err(SqlError::new(format!("relation \"{to}\" already exists")));
                }
                let mut t = self.db.tables.remove(&table).unwrap();
                t.name = to.clone();
                self.db.tables.insert(to.clone(), t);
                self.db.dirty.insert(to);
            }
            AlterAction::Other => {}
        }
        self.db.dirty.insert(table);
        ev.push(Event::Tag("ALTER TABLE".into()));
        Ok(())
    }

    fn default_value(&mut self, table: &str, col: usize) -> R<Value> {
        let t = self.db.tables.get_mut(table).unwrap();
        let c = t.columns[col].clone();
        if let Some(seq) = &c.sequence {
            let v = t.sequences.entry(seq.clone()).or_insert(0);
            *v += 1;
            return Ok(Value::Int(*v));
        }
        match &c.default {
            None => Ok(Value::Null),
            Some(d) => {
                let src = d.strip_suffix("::text").unwrap_or(d);
                let e = match parse_statement(&format!("SELECT {src}"), 0, &format!("SELECT {src}")) {
                    Ok(Stmt::Select(s)) => s.items[0].expr.clone(),
                    _ => return Ok(Value::Null),
                };
                let v = self.eval(&e, &Ctx::empty())?;
                coerce_assign(v, &c.ty, &c.name, 0)
            }
        }
    }

    fn check_constraints(&self, t: &TableData, row: &[Value], skip: Option<usize>) -> R<()> {
        for (i, c) in t.columns.iter().enumerate() {
            if c.not_null && row[i].is_null() {
                let vals: Vec<String> = row.iter().zip(&t.columns).map(|(v, c)| format_value(v, &c.ty).unwrap_or_else(|| "null".into())).collect();
                let msg = if self.env.major >= 13 {
                    format!("null value in column \"{}\" of relation \"{}\" violates not-null constraint", c.name, t.name)
                } else {
                    format!("null value in column \"{}\" violates not-null constraint", c.name)
                };
                return Err(SqlError::new(msg).detail(format!("Failing row contains ({}).", vals.join(", "))));
            }
        }
        let keys: Vec<&(String, Vec<usize>)> = t.pkey.iter().chain(t.uniques.iter()).collect();
        for (cname, idx) in keys {
            if idx.iter().any(|i| row[*i].is_null()) {
                continue;
            }
            for (k, other) in t.rows.iter().enumerate() {
                if Some(k) == skip {
                    continue;
                }
                if idx.iter().all(|i| values_equal(&other[*i], &row[*i])) {
                    let names: Vec<&str> = idx.iter().map(|i| t.columns[*i].name.as_str()).collect();
                    let vals: Vec<String> = idx.iter().map(|i| format_value(&row[*i], &t.columns[*i].ty).unwrap_or_default()).collect();
                    return Err(SqlError::new(format!("duplicate key value violates unique constraint \"{cname}\"")).detail(format!(
                        "Key ({})=({}) already exists.",
                        names.join(", "),
                        vals.join(", ")
                    )));
                }
            }
        }
        Ok(())
    }

    fn insert(
        &mut self,
        table: String,
        tpos: usize,
        cols: Option<Vec<(String, usize)>>,
        rows: Vec<Vec<Expr>>,
        returning: Option<Vec<SelItem>>,
        ev: &mut Vec<Event>,
    ) -> R<()> {
        let t = self.table(&table, tpos)?.clone();
        let targets: Vec<(usize, usize)> = match &cols {
            Some(cs) => {
                let mut v = vec![];
                for (c, p) in cs {
                    match t.columns.iter().position(|x| &x.name == c) {
                        Some(i) => v.push((i, *p)),
                        None => return Err(SqlError::at(format!("column \"{c}\" of relation \"{table}\" does not exist"), *p)),
                    }
                }
                v
            }
            None => (0..t.columns.len()).map(|i| (i, tpos)).collect(),
        };
        let mut new_rows = vec![];
        for exprs in &rows {
            if exprs.len() > targets.len() {
                return Err(SqlError::at("INSERT has more expressions than target columns", exprs[targets.len()].pos() - 1));
            }
            if exprs.len() < targets.len()
                && let Some(cols) = &cols
            {
                let p = cols[exprs.len()].1;
                return Err(SqlError::at("INSERT has more target columns than expressions", p - 1));
            }
            let mut row: Vec<Option<Value>> = vec![None; t.columns.len()];
            for (k, e) in exprs.iter().enumerate() {
                let (ci, _) = targets[k];
                let col = &t.columns[ci];
                if matches!(e, Expr::Func { name, .. } if name == "__default") {
                    continue;
                }
                let v = self.eval(e, &Ctx::empty())?;
                row[ci] = Some(coerce_assign(v, &col.ty, &col.name, e.pos())?);
            }
            let mut full = vec![];
            for (i, v) in row.into_iter().enumerate() {
                full.push(match v {
                    Some(v) => v,
                    None => self.default_value(&table, i)?,
                });
            }
            new_rows.push(full);
        }
        let mut added = vec![];
        for r in new_rows {
            let cur = self.db.tables.get(&table).unwrap().clone();
            self.check_constraints(&cur, &r, None)?;
            self.db.tables.get_mut(&table).unwrap().rows.push(r.clone());
            added.push(r);
        }
        self.db.dirty.insert(table.clone());
        if let Some(items) = returning {
            let t = self.db.tables.get(&table).unwrap().clone();
            ev.push(Event::Rows(self.project_rows(&t, &added, &items)?));
        }
        ev.push(Event::Tag(format!("INSERT 0 {}", rows.len())));
        Ok(())
    }

    fn update(
        &mut self,
        table: String,
        tpos: usize,
        sets: Vec<(String, usize, Expr)>,
        where_: Option<Expr>,
        returning: Option<Vec<SelItem>>,
        ev: &mut Vec<Event>,
    ) -> R<()> {
        let t = self.table(&table, tpos)?.clone();
        let mut targets = vec![];
        for (c, p, e) in &sets {
            match t.columns.iter().position(|x| &x.name == c) {
                Some(i) => targets.push((i, e.clone())),
                None => return Err(SqlError::at(format!("column \"{c}\" of relation \"{table}\" does not exist"), *p)),
            }
        }
        let mut changed = vec![];
        let mut kept = vec![];
        for row in &t.rows {
            let ctx = Ctx { table: Some(&t), row: Some(row), alias: None };
            let hit = match &where_ {
                Some(w) => truthy(&self.eval_where(w, &ctx)?),
                None => true,
            };
            if !hit {
                kept.push(row.clone());
                continue;
            }
            let mut new = row.clone();
            for (i, e) in &targets {
                new[*i] = if matches!(e, Expr::Func { name, .. } if name == "__default") {
                    self.default_value(&table, *i)?
                } else {
                    let v = self.eval(e, &ctx)?;
                    coerce_assign(v, &t.columns[*i].ty, &t.columns[*i].name, e.pos())?
                };
            }
            changed.push(new);
        }
        // Updated rows are new tuple versions: they go to the end.
        let mut check = t.clone();
        check.rows = kept.clone();
        for r in &changed {
            self.check_constraints(&check, r, None)?;
            check.rows.push(r.clone());
        }
        let n = changed.len();
        let tm = self.db.tables.get_mut(&table).unwrap();
        tm.rows = kept;
        tm.rows.extend(changed.iter().cloned());
        self.db.dirty.insert(table.clone());
        if let Some(items) = returning {
            let t = self.db.tables.get(&table).unwrap().clone();
            ev.push(Event::Rows(self.project_rows(&t, &changed, &items)?));
        }
        ev.push(Event::Tag(format!("UPDATE {n}")));
        Ok(())
    }

    fn delete(&mut self, table: String, tpos: usize, where_: Option<Expr>, returning: Option<Vec<SelItem>>, ev: &mut Vec<Event>) -> R<()> {
        let t = self.table(&table, tpos)?.clone();
        let mut kept = vec![];
        let mut gone = vec![];
        for row in &t.rows {
            let ctx = Ctx { table: Some(&t), row: Some(row), alias: None };
            let hit = match &where_ {
                Some(w) => truthy(&self.eval_where(w, &ctx)?),
                None => true,
            };
            if hit {
                gone.push(row.clone());
            } else {
                kept.push(row.clone());
            }
        }
        self.db.tables.get_mut(&table).unwrap().rows = kept;
        self.db.dirty.insert(table.clone());
        if let Some(items) = returning {
            ev.push(Event::Rows(self.project_rows(&t, &gone, &items)?));
        }
        ev.push(Event::Tag(format!("DELETE {}", gone.len())));
        Ok(())
    }

    fn project_rows(&mut self, t: &TableData, rows: &[Vec<Value>], items: &[SelItem]) -> R<OutTable> {
        let sel =
            Select { distinct: false, items: items.to_vec(), from: None, where_: None, group: vec![], having: None, order: vec![], limit: None, offset: None };
        let (headers, types) = self.output_columns(&sel, Some(t))?;
        let mut out = vec![];
        for r in rows {
            let ctx = Ctx { table: Some(t), row: Some(r), alias: None };
            out.push(self.project(&sel, &ctx)?);
        }
        Ok(make_table(headers, &types, out))
    }

    fn eval_where(&mut self, w: &Expr, ctx: &Ctx) -> R<Typed> {
        let v = self.eval(w, ctx)?;
        if v.t != Ty::Bool && !v.v.is_null() && v.t != Ty::Unknown {
            return Err(SqlError::at(format!("argument of WHERE must be type boolean, not type {}", v.t.name()), w.pos()));
        }
        if v.t == Ty::Unknown && !v.v.is_null() {
            let b = parse_bool(match &v.v {
                Value::Text(s) => s,
                _ => "",
            })
            .ok_or_else(|| SqlError::at(format!("invalid input syntax for type boolean: \"{}\"", text_of(&v.v)), w.pos()))?;
            return Ok(Typed { v: Value::Bool(b), t: Ty::Bool });
        }
        Ok(v)
    }

    fn output_columns(&mut self, s: &Select, t: Option<&TableData>) -> R<(Vec<String>, Vec<Ty>)> {
        let mut headers = vec![];
        let mut types = vec![];
        for it in &s.items {
            if let Expr::Star(p) = it.expr {
                let Some(t) = t else { return Err(SqlError::at("SELECT * with no tables specified is not valid", p)) };
                for c in &t.columns {
                    headers.push(c.name.clone());
                    types.push(c.ty.clone());
                }
                continue;
            }
            headers.push(it.alias.clone().unwrap_or_else(|| column_name(&it.expr)));
            types.push(self.type_of(&it.expr, t)?);
        }
        Ok((headers, types))
    }

    fn type_of(&mut self, e: &Expr, t: Option<&TableData>) -> R<Ty> {
        Ok(match e {
            Expr::Lit(_, ty, _) => {
                if *ty == Ty::Unknown {
                    Ty::Text
                } else {
                    ty.clone()
                }
            }
            Expr::Col(_, name, p) => match t.and_then(|t| t.columns.iter().find(|c| &c.name == name)) {
                Some(c) => c.ty.clone(),
                None => return Err(SqlError::at(format!("column \"{name}\" does not exist"), *p)),
            },
            Expr::Func { name, args, .. } => match name.as_str() {
                "count" => Ty::Int8,
                "sum" => match args.first().map(|a| self.type_of(a, t)).transpose()? {
                    Some(Ty::Int2 | Ty::Int4) => Ty::Int8,
                    Some(Ty::Float4 | Ty::Float8) => Ty::Float8,
                    _ => Ty::Numeric,
                },
                "avg" => match args.first().map(|a| self.type_of(a, t)).transpose()? {
                    Some(Ty::Float4 | Ty::Float8) => Ty::Float8,
                    _ => Ty::Numeric,
                },
                "min" | "max" | "coalesce" | "abs" => match args.first() {
                    Some(a) => self.type_of(a, t)?,
                    None => Ty::Text,
                },
                "now" | "current_timestamp" => Ty::Timestamptz,
                "localtimestamp" => Ty::Timestamp,
                "current_date" => Ty::Date,
                "length" | "char_length" | "pg_backend_pid" => Ty::Int4,
                "random" => Ty::Float8,
                "round" | "floor" | "ceil" => Ty::Numeric,
                "pg_database_size" | "pg_relation_size" | "pg_total_relation_size" => Ty::Int8,
                _ => Ty::Text,
            },
            Expr::Bin { op, l, r, .. } => match op.as_str() {
                "=" | "<>" | "<" | ">" | "<=" | ">=" | "and" | "or" => Ty::Bool,
                "||" => Ty::Text,
                _ => {
                    let (a, b) = (self.type_of(l, t)?, self.type_of(r, t)?);
                    if a == Ty::Int8 || b == Ty::Int8 {
                        Ty::Int8
                    } else if a == Ty::Numeric || b == Ty::Numeric {
                        Ty::Numeric
                    } else if matches!(a, Ty::Float4 | Ty::Float8) || matches!(b, Ty::Float4 | Ty::Float8) {
                        Ty::Float8
                    } else {
                        a
                    }
                }
            },
            Expr::Not(_) | Expr::IsNull(..) | Expr::InList(..) | Expr::Between(..) | Expr::Like(..) => Ty::Bool,
            Expr::Neg(e, _) => self.type_of(e, t)?,
            Expr::Cast(_, ty, _) => ty.clone(),
            Expr::Star(_) => Ty::Text,
        })
    }

    fn select(&mut self, s: &Select) -> R<OutTable> {
        let table = match &s.from {
            Some((name, pos, _)) => Some(self.table(name, *pos)?.clone()),
            None => None,
        };
        let alias = s.from.as_ref().and_then(|f| f.2.clone());
        // Validate column references up front (errors point at them).
        let (headers, mut types) = self.output_columns(s, table.as_ref())?;
        let source_rows: Vec<Vec<Value>> = match &table {
            Some(t) => t.rows.clone(),
            None => vec![vec![]],
        };
        let mut rows = vec![];
        for r in &source_rows {
            let ctx = Ctx { table: table.as_ref(), row: Some(r), alias: alias.as_deref() };
            let hit = match &s.where_ {
                Some(w) => truthy(&self.eval_where(w, &ctx)?),
                None => true,
            };
            if hit {
                rows.push(r.clone());
            }
        }
        let aggregate = s.items.iter().any(|i| has_aggregate(&i.expr)) || !s.group.is_empty() || s.having.as_ref().is_some_and(has_aggregate);
        // (output values, sort keys)
        let mut out: Vec<(Vec<Value>, Vec<Typed>)> = vec![];
        if aggregate {
            // Columns outside aggregates must be grouped.
            for it in &s.items {
                if let Some((name, p)) = ungrouped_column(&it.expr, &s.group) {
                    let tname = s.from.as_ref().map(|f| f.0.clone()).unwrap_or_default();
                    return Err(SqlError::at(format!("column \"{tname}.{name}\" must appear in the GROUP BY clause or be used in an aggregate function"), p));
                }
            }
            let mut groups: Vec<(Vec<Value>, Vec<Vec<Value>>)> = vec![];
            for r in rows {
                let ctx = Ctx { table: table.as_ref(), row: Some(&r), alias: alias.as_deref() };
                let mut key = vec![];
                for g in &s.group {
                    key.push(self.eval(g, &ctx)?.v);
                }
                match groups.iter_mut().find(|(k, _)| k.iter().zip(&key).all(|(a, b)| values_equal(a, b) || a.is_null() && b.is_null())) {
                    Some((_, v)) => v.push(r),
                    None => groups.push((key, vec![r])),
                }
            }
            if groups.is_empty() && s.group.is_empty() {
                groups.push((vec![], vec![]));
            }
            for (_, members) in groups {
                let gctx = GroupCtx { table: table.as_ref(), rows: &members, alias: alias.as_deref() };
                if let Some(h) = &s.having
                    && !truthy(&self.eval_group(h, &gctx)?)
                {
                    continue;
                }
                let mut vals = vec![];
                for it in &s.items {
                    vals.push(self.eval_group(&it.expr, &gctx)?.v);
                }
                let mut keys = vec![];
                for (e, _, _) in &s.order {
                    keys.push(match output_ref(e, s, &headers) {
                        Some(i) => Typed { v: vals[i].clone(), t: types[i].clone() },
                        None => self.eval_group(e, &gctx)?,
                    });
                }
                out.push((vals, keys));
            }
        } else {
            for r in &rows {
                let ctx = Ctx { table: table.as_ref(), row: Some(r), alias: alias.as_deref() };
                let vals = self.project(s, &ctx)?;
                let mut keys = vec![];
                for (e, _, _) in &s.order {
                    keys.push(match output_ref(e, s, &headers) {
                        Some(i) => Typed { v: vals[i].clone(), t: types[i].clone() },
                        None => self.eval(e, &ctx)?,
                    });
                }
                out.push((vals, keys));
            }
        }
        // Expression types may only be known from values (e.g. NULL).
        if let Some((first, _)) = out.first() {
            for (i, v) in first.iter().enumerate() {
                if types[i] == Ty::Text
                    && let Value::Int(_) = v
                {
                    types[i] = Ty::Int4;
                }
            }
        }
        if s.distinct {
            let mut seen: Vec<Vec<Value>> = vec![];
            out.retain(|(v, _)| {
                if seen.iter().any(|s| s.iter().zip(v).all(|(a, b)| values_equal(a, b) || a.is_null() && b.is_null())) {
                    false
                } else {
                    seen.push(v.clone());
                    true
                }
            });
        }
        if !s.order.is_empty() {
            let dirs: Vec<(bool, bool)> = s.order.iter().map(|(_, desc, nf)| (*desc, nf.unwrap_or(*desc))).collect();
            crate::engine::sort::sort_by(&mut out, |a, b| {
                for (k, (desc, nulls_first)) in dirs.iter().enumerate() {
                    let (x, y) = (&a.1[k].v, &b.1[k].v);
                    let ord = match (x.is_null(), y.is_null()) {
                        (true, true) => std::cmp::Ordering::Equal,
                        (true, false) => {
                            if *nulls_first {
                                std::cmp::Ordering::Less
                            } else {
                                std::cmp::Ordering::Greater
                            }
                        }
                        (false, true) => {
                            if *nulls_first {
                                std::cmp::Ordering::Greater
                            } else {
                                std::cmp::Ordering::Less
                            }
                        }
                        _ => {
                            let o = compare_values(x, y);
                            if *desc { o.reverse() } else { o }
                        }
                    };
                    if ord != std::cmp::Ordering::Equal {
                        return ord;
                    }
                }
                std::cmp::Ordering::Equal
            });
        }
        let offset = match &s.offset {
            Some(e) => int_arg(&self.eval(e, &Ctx::empty())?.v, "OFFSET")?,
            None => 0,
        };
        let limit = match &s.limit {
            Some(e) => match self.eval(e, &Ctx::empty())?.v {
                Value::Null => None,
                v => Some(int_arg(&v, "LIMIT")?),
            },
            None => None,
        };
        let rows: Vec<Vec<Value>> = out.into_iter().map(|(v, _)| v).skip(offset).take(limit.unwrap_or(usize::MAX)).collect();
        Ok(make_table(headers, &types, rows))
    }

    fn project(&mut self, s: &Select, ctx: &Ctx) -> R<Vec<Value>> {
        let mut vals = vec![];
        for it in &s.items {
            if let Expr::Star(_) = it.expr {
                if let Some(r) = ctx.row {
                    vals.extend(r.iter().cloned());
                }
                continue;
            }
            vals.push(self.eval(&it.expr, ctx)?.v);
        }
        Ok(vals)
    }

    fn eval_group(&mut self, e: &Expr, g: &GroupCtx) -> R<Typed> {
        match e {
            Expr::Func { name, args, star, distinct, pos } if is_aggregate(name) => {
                let mut vals = vec![];
                let mut ty = Ty::Int8;
                for r in g.rows {
                    let ctx = Ctx { table: g.table, row: Some(r), alias: g.alias };
                    if *star {
                        vals.push(Value::Int(1));
                    } else if let Some(a) = args.first() {
                        let v = self.eval(a, &ctx)?;
                        ty = v.t.clone();
                        if !v.v.is_null() {
                            vals.push(v.v);
                        }
                    }
                }
                if args.is_empty() && !star {
                    return Err(SqlError::at(format!("function {name}() does not exist"), *pos)
                        .hint("No function matches the given name and argument types. You might need to add explicit type casts."));
                }
                if let (Some(a), None) = (args.first(), g.rows.first()) {
                    ty = self.type_of(a, g.table)?;
                }
                if *distinct {
                    let mut d: Vec<Value> = vec![];
                    for v in vals {
                        if !d.iter().any(|x| values_equal(x, &v)) {
                            d.push(v);
                        }
                    }
                    vals = d;
                }
                Ok(match name.as_str() {
                    "count" => Typed { v: Value::Int(vals.len() as i64), t: Ty::Int8 },
                    "sum" => {
                        if vals.is_empty() {
                            Typed { v: Value::Null, t: Ty::Int8 }
                        } else if ty.integer() {
                            Typed { v: Value::Int(vals.iter().filter_map(|v| if let Value::Int(i) = v { Some(*i) } else { None }).sum()), t: Ty::Int8 }
                        } else if !ty.numeric() {
                            return Err(SqlError::at(format!("function sum({}) does not exist", ty.name()), *pos)
                                .hint("No function matches the given name and argument types. You might need to add explicit type casts."));
                        } else {
                            if matches!(ty, Ty::Float4 | Ty::Float8) {
                                Typed { v: Value::Float(vals.iter().filter_map(|v| v.as_f64()).sum()), t: Ty::Float8 }
                            } else {
                                let mut sum: Option<(i128, u32)> = Some((0, 0));
                                for v in &vals {
                                    sum = sum.zip(dec_parse(v)).and_then(|(acc, x)| dec_op("+", acc, x, 0)).and_then(|t| dec_parse(&Value::Num(t)));
                                }
                                let scale = vals.iter().map(num_scale).max().unwrap_or(0) as usize;
                                let s: f64 = vals.iter().filter_map(|v| v.as_f64()).sum();
                                Typed { v: Value::Num(sum.map(|(m, sc)| dec_fmt(m, sc)).unwrap_or_else(|| format!("{s:.scale$}"))), t: Ty::Numeric }
                            }
                        }
                    }
                    "avg" => {
                        if vals.is_empty() {
                            Typed { v: Value::Null, t: Ty::Numeric }
                        } else if !ty.numeric() {
                            return Err(SqlError::at(format!("function avg({}) does not exist", ty.name()), *pos)
                                .hint("No function matches the given name and argument types. You might need to add explicit type casts."));
                        } else {
                            let total: f64 = vals.iter().filter_map(|v| v.as_f64()).sum::<f64>();
                            if matches!(ty, Ty::Float4 | Ty::Float8) {
                                Typed { v: Value::Float(total / vals.len() as f64), t: Ty::Float8 }
                            } else {
                                let s1 = vals.iter().map(num_scale).max().unwrap_or(0);
                                let scale = div_scale(total, vals.len() as f64, s1, 0);
                                let mut sum: Option<(i128, u32)> = Some((0, 0));
                                for v in &vals {
                                    sum = sum.zip(dec_parse(v)).and_then(|(acc, x)| dec_op("+", acc, x, 0)).and_then(|t| dec_parse(&Value::Num(t)));
                                }
                                let exact = sum.and_then(|s| dec_op("/", s, (vals.len() as i128, 0), scale));
                                let text = exact.unwrap_or_else(|| format!("{:.prec$}", total / vals.len() as f64, prec = scale as usize));
                                Typed { v: Value::Num(text), t: Ty::Numeric }
                            }
                        }
                    }
                    _ => {
                        let mut best: Option<Value> = None;
                        for v in vals {
                            best = match best {
                                None => Some(v),
                                Some(b) => {
                                    let o = compare_values(&v, &b);
                                    let take = if name == "min" { o == std::cmp::Ordering::Less } else { o == std::cmp::Ordering::Greater };
                                    Some(if take { v } else { b })
                                }
                            };
                        }
                        Typed { v: best.unwrap_or(Value::Null), t: ty }
                    }
                })
            }
            Expr::Bin { op, l, r, pos } if has_aggregate(e) => {
                let a = self.eval_group(l, g)?;
                let b = self.eval_group(r, g)?;
                binop(op, a, b, *pos, self.env)
            }
            Expr::Not(x) if has_aggregate(x) => {
                let v = self.eval_group(x, g)?;
                Ok(Typed {
                    v: match v.v {
                        Value::Bool(b) => Value::Bool(!b),
                        o => o,
                    },
                    t: Ty::Bool,
                })
            }
            _ => {
                let row = g.rows.first();
                let ctx = Ctx { table: g.table, row: row.map(|r| r.as_slice()), alias: g.alias };
                if row.is_none()
                    && let Expr::Col(..) = e
                {
                    return Ok(Typed { v: Value::Null, t: self.type_of(e, g.table)? });
                }
                self.eval(e, &ctx)
            }
        }
    }

    fn eval(&mut self, e: &Expr, ctx: &Ctx) -> R<Typed> {
        match e {
            Expr::Lit(v, t, _) => Ok(Typed { v: v.clone(), t: t.clone() }),
            Expr::Star(p) => Err(SqlError::at("syntax error at or near \"*\"", *p)),
            Expr::Col(q, name, p) => {
                let Some(t) = ctx.table else { return Err(SqlError::at(format!("column \"{name}\" does not exist"), *p)) };
                if let Some(q) = q
                    && q != &t.name
                    && Some(q.as_str()) != ctx.alias
                {
                    return Err(SqlError::at(format!("missing FROM-clause entry for table \"{q}\""), *p));
                }
                match t.columns.iter().position(|c| &c.name == name) {
                    Some(i) => Ok(Typed { v: ctx.row.map(|r| r[i].clone()).unwrap_or(Value::Null), t: t.columns[i].ty.clone() }),
                    None => {
                        let mut err = SqlError::at(format!("column \"{name}\" does not exist"), *p);
                        if (name.chars().any(|c| c.is_uppercase()) || t.columns.iter().any(|c| c.name.eq_ignore_ascii_case(name)))
                            && let Some(c) = t.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name))
                        {
                            err = err.hint(format!("Perhaps you meant to reference the column \"{}.{}\".", t.name, c.name));
                        }
                        Err(err)
                    }
                }
            }
            Expr::Func { name, args, star, pos, .. } => {
                if is_aggregate(name) {
                    let rows: Vec<Vec<Value>> = ctx.row.map(|r| vec![r.to_vec()]).unwrap_or_default();
                    let g = GroupCtx { table: ctx.table, rows: &rows, alias: ctx.alias };
                    let _ = star;
                    return self.eval_group(e, &g);
                }
                let mut vals = vec![];
                for a in args {
                    vals.push(self.eval(a, ctx)?);
                }
                self.call(name, vals, *pos)
            }
            Expr::Bin { op, l, r, pos } => {
                if op == "and" || op == "or" {
                    let a = self.eval(l, ctx)?;
                    let b = self.eval(r, ctx)?;
                    let (a, b) = (to_bool(a, l.pos())?, to_bool(b, r.pos())?);
                    let v = match (op.as_str(), a, b) {
                        ("and", Some(false), _) | ("and", _, Some(false)) => Value::Bool(false),
                        ("and", Some(true), Some(true)) => Value::Bool(true),
                        ("or", Some(true), _) | ("or", _, Some(true)) => Value::Bool(true),
                        ("or", Some(false), Some(false)) => Value::Bool(false),
                        _ => Value::Null,
                    };
                    return Ok(Typed { v, t: Ty::Bool });
                }
                let a = self.eval(l, ctx)?;
                let b = self.eval(r, ctx)?;
                binop(op, a, b, *pos, self.env).map_err(|e| if e.position.is_none() { SqlError { position: Some(l.pos() + 1), ..e } } else { e })
            }
            Expr::Not(x) => {
                let v = self.eval(x, ctx)?;
                let b = to_bool(v, x.pos())?;
                Ok(Typed { v: b.map(|b| Value::Bool(!b)).unwrap_or(Value::Null), t: Ty::Bool })
            }
            Expr::Neg(x, p) => {
                let v = self.eval(x, ctx)?;
                Ok(Typed {
                    v: match v.v {
                        Value::Int(i) => Value::Int(-i),
                        Value::Float(f) => Value::Float(-f),
                        Value::Num(s) => Value::Num(if let Some(r) = s.strip_prefix('-') { r.to_string() } else { format!("-{s}") }),
                        Value::Null => Value::Null,
                        _ => {
                            return Err(SqlError::at(format!("operator does not exist: - {}", v.t.name()), *p)
                                .hint("No operator matches the given name and argument type. You might need to add an explicit type cast."));
                        }
                    },
                    t: v.t,
                })
            }
            Expr::IsNull(x, neg) => {
                let v = self.eval(x, ctx)?;
                Ok(Typed { v: Value::Bool(v.v.is_null() != *neg), t: Ty::Bool })
            }
            Expr::InList(x, list, neg) => {
                let v = self.eval(x, ctx)?;
                let mut found = false;
                let mut saw_null = false;
                for item in list {
                    let w = self.eval(item, ctx)?;
                    let eq = binop("=", v.clone(), w, item.pos(), self.env)?;
                    match eq.v {
                        Value::Bool(true) => found = true,
                        Value::Null => saw_null = true,
                        _ => {}
                    }
                }
                let v = if v.v.is_null() || (!found && saw_null) { Value::Null } else { Value::Bool(found != *neg) };
                Ok(Typed { v, t: Ty::Bool })
            }
            Expr::Between(x, a, b, neg) => {
                let v = self.eval(x, ctx)?;
                let lo = self.eval(a, ctx)?;
                let hi = self.eval(b, ctx)?;
                let ge = binop(">=", v.clone(), lo, a.pos(), self.env)?;
                let le = binop("<=", v, hi, b.pos(), self.env)?;
                let v = match (ge.v, le.v) {
                    (Value::Bool(x), Value::Bool(y)) => Value::Bool((x && y) != *neg),
                    _ => Value::Null,
                };
                Ok(Typed { v, t: Ty::Bool })
            }
            Expr::Like(x, p, ci, neg) => {
                let v = self.eval(x, ctx)?;
                let pat = self.eval(p, ctx)?;
                if v.v.is_null() || pat.v.is_null() {
                    return Ok(Typed { v: Value::Null, t: Ty::Bool });
                }
                let (s, pt) = (text_of(&v.v), text_of(&pat.v));
                let (s, pt) = if *ci { (s.to_lowercase(), pt.to_lowercase()) } else { (s, pt) };
                Ok(Typed { v: Value::Bool(like(&pt, &s) != *neg), t: Ty::Bool })
            }
            Expr::Cast(x, ty, p) => {
                let v = self.eval(x, ctx)?;
                cast(v, ty, *p)
            }
        }
    }

    fn call(&mut self, name: &str, args: Vec<Typed>, pos: usize) -> R<Typed> {
        let text = |s: String| Ok(Typed { v: Value::Text(s), t: Ty::Text });
        match (name, args.len()) {
            ("now" | "current_timestamp" | "transaction_timestamp" | "statement_timestamp" | "clock_timestamp", 0) => {
                Ok(Typed { v: Value::Text(format_ts(self.env.now_us, true)), t: Ty::Timestamptz })
            }
            ("localtimestamp", 0) => Ok(Typed { v: Value::Text(format_ts(self.env.now_us, false)), t: Ty::Timestamp }),
            ("current_date", 0) => Ok(Typed { v: Value::Text(format_ts(self.env.now_us, false)[..10].to_string()), t: Ty::Date }),
            ("version", 0) => text(self.env.version_string.clone()),
            ("current_database", 0) => Ok(Typed { v: Value::Text(self.db.name.clone()), t: Ty::Text }),
            ("current_user" | "user" | "session_user", 0) => Ok(Typed { v: Value::Text(self.env.user.clone()), t: Ty::Text }),
            ("current_schema", 0) => text("public".into()),
            ("pg_backend_pid", 0) => Ok(Typed { v: Value::Int(64), t: Ty::Int4 }),
            ("pg_sleep", 1) => Ok(Typed { v: Value::Text(String::new()), t: Ty::Text }),
            ("random", 0) => Ok(Typed { v: Value::Float(0.5), t: Ty::Float8 }),
            ("inet_server_addr", 0) => text("10.244.0.2".into()),
            ("upper" | "lower" | "length" | "char_length" | "trim" | "md5", 1) => {
                if args[0].v.is_null() {
                    return Ok(Typed { v: Value::Null, t: if name.contains("length") { Ty::Int4 } else { Ty::Text } });
                }
                let s = text_of(&args[0].v);
                match name {
                    "upper" => text(s.to_uppercase()),
                    "lower" => text(s.to_lowercase()),
                    "trim" => text(s.trim().to_string()),
                    "md5" => text(format!("{:032x}", crate::engine::rng::fnv32a(s.as_bytes()) as u128 * 0x1_0000_0001_0000_0001)),
                    _ => Ok(Typed { v: Value::Int(s.chars().count() as i64), t: Ty::Int4 }),
                }
            }
            ("coalesce", _) if !args.is_empty() => {
                let ty = args.iter().find(|a| a.t != Ty::Unknown).map(|a| a.t.clone()).unwrap_or(Ty::Text);
                Ok(args.into_iter().find(|a| !a.v.is_null()).map(|a| Typed { v: a.v, t: ty.clone() }).unwrap_or(Typed { v: Value::Null, t: ty }))
            }
            ("concat", _) => text(args.iter().map(|a| if a.v.is_null() { String::new() } else { text_of(&a.v) }).collect()),
            ("abs", 1) => Ok(Typed {
                v: match &args[0].v {
                    Value::Int(i) => Value::Int(i.abs()),
                    Value::Float(f) => Value::Float(f.abs()),
                    Value::Num(s) => Value::Num(s.trim_start_matches('-').to_string()),
                    o => o.clone(),
                },
                t: args[0].t.clone(),
            }),
            ("round", 1 | 2) => {
                let f = args[0].v.as_f64().unwrap_or(0.0);
                let d = args.get(1).and_then(|a| if let Value::Int(i) = a.v { Some(i) } else { None }).unwrap_or(0);
                Ok(Typed { v: Value::Num(format!("{:.*}", d.max(0) as usize, f)), t: Ty::Numeric })
            }
            ("pg_database_size" | "pg_relation_size" | "pg_total_relation_size", 1) => Ok(Typed { v: Value::Int(8192), t: Ty::Int8 }),
            ("pg_size_pretty", 1) => text(format!("{} bytes", text_of(&args[0].v))),
            ("gen_random_uuid", 0) => Ok(Typed { v: Value::Text("6a2f41a3-c54c-fce8-32d2-0324e1c32e22".into()), t: Ty::Uuid }),
            _ => {
                let types: Vec<String> = args.iter().map(|a| a.t.name()).collect();
                Err(SqlError::at(format!("function {name}({}) does not exist", types.join(", ")), pos)
                    .hint("No function matches the given name and argument types. You might need to add explicit type casts."))
            }
        }
    }
}

fn make_table(headers: Vec<String>, types: &[Ty], rows: Vec<Vec<Value>>) -> OutTable {
    let aligns = types.iter().map(|t| if t.numeric() { 'r' } else { 'l' }).collect();
    let rows = rows.iter().map(|r| r.iter().zip(types).map(|(v, t)| format_value(v, t)).collect()).collect();
    OutTable { title: None, headers, aligns, rows, footers: None }
}

fn int_arg(v: &Value, what: &str) -> R<usize> {
    match v {
        Value::Int(i) if *i >= 0 => Ok(*i as usize),
        Value::Int(_) => Err(SqlError::new(format!("{what} must not be negative"))),
        _ => Err(SqlError::new(format!("argument of {what} must be type bigint"))),
    }
}

/// Whether an ORDER BY expression names an output column (alias, name or
/// position).
fn output_ref(e: &Expr, s: &Select, headers: &[String]) -> Option<usize> {
    match e {
        Expr::Lit(Value::Int(n), _, _) if *n >= 1 && (*n as usize) <= headers.len() => Some(*n as usize - 1),
        Expr::Col(None, name, _) => s.items.iter().position(|i| i.alias.as_deref() == Some(name.as_str())),
        _ => None,
    }
}

fn column_name(e: &Expr) -> String {
    match e {
        Expr::Col(_, n, _) => n.clone(),
        Expr::Func { name, .. } => match name.as_str() {
            "current_timestamp" => "current_timestamp".into(),
            n => n.to_string(),
        },
        Expr::Cast(x, ty, _) => match &**x {
            Expr::Col(..) | Expr::Func { .. } => column_name(x),
            _ => match ty {
                Ty::Int4 => "int4".into(),
                Ty::Int8 => "int8".into(),
                Ty::Text => "text".into(),
                Ty::Date => "date".into(),
                Ty::Timestamp => "timestamp".into(),
                Ty::Bool => "bool".into(),
                Ty::Numeric => "numeric".into(),
                Ty::Varchar(_) => "varchar".into(),
                _ => "?column?".into(),
            },
        },
        Expr::Lit(Value::Bool(_), _, _) => "bool".into(),
        _ => "?column?".into(),
    }
}

fn is_aggregate(name: &str) -> bool {
    matches!(name, "count" | "sum" | "avg" | "min" | "max")
}

fn has_aggregate(e: &Expr) -> bool {
    match e {
        Expr::Func { name, args, .. } => is_aggregate(name) || args.iter().any(has_aggregate),
        Expr::Bin { l, r, .. } => has_aggregate(l) || has_aggregate(r),
        Expr::Not(x) | Expr::Neg(x, _) | Expr::IsNull(x, _) | Expr::Cast(x, _, _) => has_aggregate(x),
        _ => false,
    }
}

/// A column used outside an aggregate and not grouped by.
fn ungrouped_column(e: &Expr, group: &[Expr]) -> Option<(String, usize)> {
    match e {
        Expr::Col(_, n, p) => {
            if group.iter().any(|g| matches!(g, Expr::Col(_, gn, _) if gn == n)) {
                None
            } else {
                Some((n.clone(), *p))
            }
        }
        Expr::Func { name, args, .. } => {
            if is_aggregate(name) {
                None
            } else {
                args.iter().find_map(|a| ungrouped_column(a, group))
            }
        }
        Expr::Bin { l, r, .. } => ungrouped_column(l, group).or_else(|| ungrouped_column(r, group)),
        Expr::Not(x) | Expr::Neg(x, _) | Expr::IsNull(x, _) | Expr::Cast(x, _, _) => ungrouped_column(x, group),
        _ => None,
    }
}

struct Ctx<'t> {
    table: Option<&'t TableData>,
    row: Option<&'t [Value]>,
    alias: Option<&'t str>,
}

impl Ctx<'_> {
    fn empty() -> Ctx<'static> {
        Ctx { table: None, row: None, alias: None }
    }
}

struct GroupCtx<'t> {
    table: Option<&'t TableData>,
    rows: &'t [Vec<Value>],
    alias: Option<&'t str>,
}

#[derive(Clone, Debug)]
pub struct Typed {
    pub v: Value,
    pub t: Ty,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_float(*f, false),
        Value::Num(s) | Value::Text(s) => s.clone(),
        Value::Bool(b) => if *b { "true" } else { "false" }.into(),
    }
}

fn truthy(t: &Typed) -> bool {
    matches!(t.v, Value::Bool(true))
}

fn to_bool(t: Typed, pos: usize) -> R<Option<bool>> {
    match t.v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::Text(ref s) if t.t == Ty::Unknown => {
            parse_bool(s).map(Some).ok_or_else(|| SqlError::at(format!("invalid input syntax for type boolean: \"{s}\""), pos))
        }
        _ => Err(SqlError::at(format!("argument of AND must be type boolean, not type {}", t.t.name()), pos)),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
        "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

fn like(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    fn m(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('%') => (0..=t.len()).any(|i| m(&p[1..], &t[i..])),
            Some('_') => !t.is_empty() && m(&p[1..], &t[1..]),
            Some('\\') if p.len() > 1 => !t.is_empty() && t[0] == p[1] && m(&p[2..], &t[1..]),
            Some(c) => !t.is_empty() && t[0] == *c && m(&p[1..], &t[1..]),
        }
    }
    m(&p, &t)
}

fn values_equal(a: &Value, b: &Value) -> bool {
    compare_values(a, b) == std::cmp::Ordering::Equal && !a.is_null() && !b.is_null()
}

/// Text ordering as the en_US.utf8 collation the image's databases use:
/// letters and digits first, case-insensitively, then lower before upper.
pub fn collate(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| -> String { s.chars().filter(|c| c.is_alphanumeric()).flat_map(|c| c.to_lowercase()).collect() };
    key(a)
        .cmp(&key(b))
        .then_with(|| {
            let tert = |s: &str| -> Vec<u8> { s.chars().filter(|c| c.is_alphanumeric()).map(|c| if c.is_uppercase() { 1 } else { 0 }).collect() };
            tert(a).cmp(&tert(b))
        })
        .then_with(|| a.cmp(b))
}

fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (Value::Null, Value::Null) => Equal,
        (Value::Null, _) => Greater,
        (_, Value::Null) => Less,
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => collate(x, y),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Equal),
            _ => text_of(a).cmp(&text_of(b)),
        },
    }
}

/// Digits after the decimal point of a numeric value.
fn num_scale(v: &Value) -> u32 {
    match v {
        Value::Num(s) => s.split_once('.').map(|(_, f)| f.len() as u32).unwrap_or(0),
        _ => 0,
    }
}

/// numeric's input: canonical decimal text (no exponent, no leading
/// zeros), or None.
pub fn canon_numeric(s: &str) -> Option<String> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i32>().ok()?),
        None => (body, 0),
    };
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    if ip.is_empty() && fp.is_empty() || !ip.chars().all(|c| c.is_ascii_digit()) || !fp.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut digits: String = format!("{ip}{fp}");
    let mut point = ip.len() as i32 + exp;
    if point < 0 {
        digits = format!("{}{digits}", "0".repeat((-point) as usize));
        point = 0;
    }
    while (digits.len() as i32) < point {
        digits.push('0');
    }
    let (i, f) = digits.split_at(point as usize);
    let i = i.trim_start_matches('0');
    let i = if i.is_empty() { "0" } else { i };
    let scale = (fp.len() as i32 - exp).max(0) as usize;
    let f = &f[..scale.min(f.len())];
    let zero = i == "0" && f.chars().all(|c| c == '0');
    let sign = if neg && !zero { "-" } else { "" };
    Some(if f.is_empty() { format!("{sign}{i}") } else { format!("{sign}{i}.{f}") })
}

/// Rounds decimal text to `scale` digits, half away from zero.
pub fn round_numeric(s: &str, scale: u32) -> String {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (ip, fp) = body.split_once('.').unwrap_or((body, ""));
    let scale = scale as usize;
    let mut digits: Vec<u8> = format!("{ip}{fp:0<scale$}").bytes().map(|b| b - b'0').collect();
    let keep = ip.len() + scale;
    let round_up = digits.get(keep).is_some_and(|d| *d >= 5);
    digits.truncate(keep);
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let text: String = digits.iter().map(|d| (d + b'0') as char).collect();
    let (i, f) = text.split_at(text.len() - scale);
    let i = if i.is_empty() { "0" } else { i };
    let zero = i.chars().all(|c| c == '0') && f.chars().all(|c| c == '0');
    let sign = if neg && !zero { "-" } else { "" };
    if scale == 0 { format!("{sign}{i}") } else { format!("{sign}{i}.{f}") }
}

/// numeric(p, s): rounds, and refuses values too wide for the precision.
fn fit_decimal(s: &str, p: u32, sc: u32) -> R<String> {
    let r = round_numeric(s, sc);
    let int_digits = r.trim_start_matches('-').split('.').next().unwrap_or("").trim_start_matches('0').len() as u32;
    if int_digits > p.saturating_sub(sc) {
        return Err(SqlError::new("numeric field overflow").detail(format!(
            "A field with precision {p}, scale {sc} must round to an absolute value less than {}.",
            if p == sc { "1".to_string() } else { format!("10^{}", p - sc) }
        )));
    }
    Ok(r)
}

/// Exact decimal arithmetic on scaled integers: (mantissa, scale).
fn dec_parse(v: &Value) -> Option<(i128, u32)> {
    let t = match v {
        Value::Int(i) => return Some((*i as i128, 0)),
        Value::Num(s) => s.clone(),
        _ => return None,
    };
    let (ip, fp) = t.split_once('.').unwrap_or((&t, ""));
    let neg = ip.starts_with('-');
    let digits = format!("{}{fp}", ip.trim_start_matches('-'));
    let m: i128 = digits.parse().ok()?;
    Some((if neg { -m } else { m }, fp.len() as u32))
}

fn dec_fmt(m: i128, scale: u32) -> String {
    let neg = m < 0;
    let s = m.unsigned_abs().to_string();
    let s = format!("{s:0>width$}", width = scale as usize + 1);
    let (i, f) = s.split_at(s.len() - scale as usize);
    let sign = if neg { "-" } else { "" };
    if scale == 0 { format!("{sign}{i}") } else { format!("{sign}{i}.{f}") }
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// a op b exactly, with PostgreSQL's result scale; None on overflow.
fn dec_op(op: &str, a: (i128, u32), b: (i128, u32), div_scale_: u32) -> Option<String> {
    let (am, as_) = a;
    let (bm, bs) = b;
    match op {
        "+" | "-" | "%" => {
            let s = as_.max(bs);
            let x = am.checked_mul(pow10(s - as_)?)?;
            let y = bm.checked_mul(pow10(s - bs)?)?;
            let r = match op {
                "+" => x.checked_add(y)?,
                "-" => x.checked_sub(y)?,
                _ => x.checked_rem(y)?,
            };
            Some(dec_fmt(r, s))
        }
        "*" => Some(dec_fmt(am.checked_mul(bm)?, as_ + bs)),
        _ => {
            // a / b to rscale digits, rounded half away from zero.
            let rs = div_scale_;
            let shift = (rs + bs + 1).checked_sub(as_)?;
            let num = am.checked_mul(pow10(shift)?)?;
            let q = num.checked_div(bm)?;
            let r = if q >= 0 { (q + 5) / 10 } else { (q - 5) / 10 };
            Some(dec_fmt(r, rs))
        }
    }
}

/// The scale of a numeric quotient (select_div_scale).
fn div_scale(x: f64, y: f64, s1: u32, s2: u32) -> u32 {
    let wf = |v: f64| -> (i32, f64) {
        let mut v = v.abs();
        let mut w = 0;
        if v == 0.0 {
            return (0, 0.0);
        }
        while v >= 10000.0 {
            v /= 10000.0;
            w += 1;
        }
        while v < 1.0 {
            v *= 10000.0;
            w -= 1;
        }
        (w, v.floor())
    };
    let (w1, f1) = wf(x);
    let (w2, f2) = wf(y);
    let mut q = w1 - w2;
    if f1 <= f2 {
        q -= 1;
    }
    (16 - q * 4).max(s1 as i32).max(s2 as i32).clamp(0, 1000) as u32
}

/// Input conversion of a text literal to a type.
fn input(s: &str, ty: &Ty, pos: usize) -> R<Value> {
    let bad = || SqlError::at(format!("invalid input syntax for type {}: \"{s}\"", ty.input_name()), pos);
    Ok(match ty {
        Ty::Int2 | Ty::Int4 | Ty::Int8 => {
            let v: i64 = s.trim().parse().map_err(|_| bad())?;
            check_range(v, ty)?;
            Value::Int(v)
        }
        Ty::Numeric => Value::Num(canon_numeric(s).ok_or_else(bad)?),
        Ty::Decimal(p, sc) => Value::Num(fit_decimal(&canon_numeric(s).ok_or_else(bad)?, *p, *sc)?),
        Ty::Float4 | Ty::Float8 => Value::Float(s.trim().parse().map_err(|_| bad())?),
        Ty::Bool => Value::Bool(parse_bool(s).ok_or_else(bad)?),
        Ty::Timestamp | Ty::Timestamptz | Ty::Date => {
            let us = parse_ts(s).ok_or_else(bad)?;
            Value::Text(match ty {
                Ty::Date => format_ts(us, false)[..10].to_string(),
                Ty::Timestamptz => format_ts(us, true),
                _ => format_ts(us, false),
            })
        }
        Ty::Char(n) => Value::Text(s.trim_end().chars().take(*n as usize).collect::<String>()),
        _ => Value::Text(s.to_string()),
    })
}

fn check_range(v: i64, ty: &Ty) -> R<()> {
    let ok = match ty {
        Ty::Int2 => (i16::MIN as i64..=i16::MAX as i64).contains(&v),
        Ty::Int4 => (i32::MIN as i64..=i32::MAX as i64).contains(&v),
        _ => true,
    };
    if ok { Ok(()) } else { Err(SqlError::new(format!("{} out of range", ty.name()))) }
}

/// Assignment to a column: the conversions INSERT/UPDATE allow.
fn coerce_assign(v: Typed, ty: &Ty, col: &str, pos: usize) -> R<Value> {
    if v.v.is_null() {
        return Ok(Value::Null);
    }
    let mismatch = || {
        SqlError::at(format!("column \"{col}\" is of type {} but expression is of type {}", ty.name(), v.t.name()), pos)
            .hint("You will need to rewrite or cast the expression.")
    };
    let value = match (&v.t, ty) {
        (Ty::Unknown, _) => input(&text_of(&v.v), ty, pos)?,
        (a, b) if a.numeric() && b.numeric() => match b {
            Ty::Int2 | Ty::Int4 | Ty::Int8 => {
                let f = v.v.as_f64().unwrap_or(0.0);
                let r = f.round_ties_even_away();
                check_range(r as i64, b)?;
                Value::Int(r as i64)
            }
            Ty::Numeric => Value::Num(canon_numeric(&text_of(&v.v)).unwrap_or_else(|| text_of(&v.v))),
            Ty::Decimal(p, sc) => Value::Num(fit_decimal(&canon_numeric(&text_of(&v.v)).unwrap_or_else(|| text_of(&v.v)), *p, *sc)?),
            _ => Value::Float(v.v.as_f64().unwrap_or(0.0)),
        },
        (_, Ty::Text | Ty::Varchar(_) | Ty::Char(_)) => Value::Text(text_of(&v.v)),
        (Ty::Text | Ty::Varchar(_) | Ty::Char(_), _) => return Err(mismatch()),
        (a, b) if a.category() == b.category() => v.v.clone(),
        (Ty::Timestamptz | Ty::Timestamp, Ty::Timestamp | Ty::Timestamptz | Ty::Date) => v.v.clone(),
        _ => return Err(mismatch()),
    };
    // Length limits.
    if let (Ty::Varchar(Some(n)), Value::Text(s)) = (ty, &value)
        && s.chars().count() > *n as usize
    {
        return Err(SqlError::new(format!("value too long for type character varying({n})")));
    }
    if let (Ty::Char(n), Value::Text(s)) = (ty, &value)
        && s.trim_end().chars().count() > *n as usize
    {
        return Err(SqlError::new(format!("value too long for type character({n})")));
    }
    if let (Ty::Timestamp | Ty::Timestamptz | Ty::Date, Value::Text(s)) = (ty, &value)
        && let Some(us) = parse_ts(s)
    {
        return Ok(Value::Text(match ty {
            Ty::Date => format_ts(us, false)[..10].to_string(),
            Ty::Timestamptz => format_ts(us, true),
            _ => format_ts(us, false),
        }));
    }
    Ok(value)
}

trait RoundAway {
    fn round_ties_even_away(self) -> f64;
}
impl RoundAway for f64 {
    /// numeric -> integer rounds half away from zero.
    fn round_ties_even_away(self) -> f64 {
        self.round()
    }
}

fn cast(v: Typed, ty: &Ty, pos: usize) -> R<Typed> {
    if v.v.is_null() {
        return Ok(Typed { v: Value::Null, t: ty.clone() });
    }
    let out = match (&v.t, ty) {
        (Ty::Unknown | Ty::Text | Ty::Varchar(_) | Ty::Char(_), _) => input(&text_of(&v.v), ty, pos)?,
        (a, b) if a.numeric() && b.numeric() => match b {
            Ty::Int2 | Ty::Int4 | Ty::Int8 => {
                let r = v.v.as_f64().unwrap_or(0.0).round();
                check_range(r as i64, b)?;
                Value::Int(r as i64)
            }
            Ty::Numeric => Value::Num(canon_numeric(&text_of(&v.v)).unwrap_or_else(|| text_of(&v.v))),
            Ty::Decimal(p, sc) => Value::Num(fit_decimal(&canon_numeric(&text_of(&v.v)).unwrap_or_else(|| text_of(&v.v)), *p, *sc)?),
            _ => Value::Float(v.v.as_f64().unwrap_or(0.0)),
        },
        (_, Ty::Text | Ty::Varchar(_) | Ty::Char(_)) => Value::Text(text_of(&v.v)),
        (Ty::Int4, Ty::Bool) => Value::Bool(v.v != Value::Int(0)),
        (Ty::Bool, Ty::Int4) => Value::Int(if v.v == Value::Bool(true) { 1 } else { 0 }),
        (a, b) if a.category() == b.category() => coerce_assign(v.clone(), ty, "", pos)?,
        _ => return Err(SqlError::at(format!("cannot cast type {} to {}", v.t.name(), ty.name()), pos)),
    };
    Ok(Typed { v: out, t: ty.clone() })
}

fn binop(op: &str, a: Typed, b: Typed, pos: usize, env: &Env) -> R<Typed> {
    let _ = env;
    // Resolve unknown literals against the other side's type.
    let (a, b) = match (&a.t, &b.t) {
        (Ty::Unknown, Ty::Unknown) => (Typed { t: Ty::Text, ..a }, Typed { t: Ty::Text, ..b }),
        (Ty::Unknown, t) if op != "||" => {
            let t = t.clone();
            let v = if a.v.is_null() { Value::Null } else { input(&text_of(&a.v), &t, pos).map_err(|e| SqlError { position: None, ..e })? };
            (Typed { v, t }, b)
        }
        (t, Ty::Unknown) if op != "||" => {
            let t = t.clone();
            let v = if b.v.is_null() { Value::Null } else { input(&text_of(&b.v), &t, pos).map_err(|e| SqlError { position: None, ..e })? };
            (a, Typed { v, t })
        }
        _ => (a, b),
    };
    let no_op = || {
        SqlError::at(format!("operator does not exist: {} {op} {}", a.t.base_name(), b.t.base_name()), pos)
            .hint("No operator matches the given name and argument types. You might need to add explicit type casts.")
    };
    match op {
        "=" | "<>" | "<" | ">" | "<=" | ">=" => {
            let comparable = (a.t.numeric() && b.t.numeric()) || (a.t.stringy() && b.t.stringy()) || a.t.category() == b.t.category();
            if !comparable {
                return Err(no_op());
            }
            if a.v.is_null() || b.v.is_null() {
                return Ok(Typed { v: Value::Null, t: Ty::Bool });
            }
            let o = compare_values(&a.v, &b.v);
            use std::cmp::Ordering::*;
            let r = match op {
                "=" => o == Equal,
                "<>" => o != Equal,
                "<" => o == Less,
                ">" => o == Greater,
                "<=" => o != Greater,
                _ => o != Less,
            };
            Ok(Typed { v: Value::Bool(r), t: Ty::Bool })
        }
        "||" => {
            if a.v.is_null() || b.v.is_null() {
                return Ok(Typed { v: Value::Null, t: Ty::Text });
            }
            Ok(Typed { v: Value::Text(format!("{}{}", text_of(&a.v), text_of(&b.v))), t: Ty::Text })
        }
        "+" | "-" | "*" | "/" | "%" => {
            if !(a.t.numeric() && b.t.numeric()) {
                return Err(no_op());
            }
            if a.v.is_null() || b.v.is_null() {
                return Ok(Typed { v: Value::Null, t: a.t });
            }
            if let (Value::Int(x), Value::Int(y)) = (&a.v, &b.v) {
                let t = if a.t == Ty::Int8 || b.t == Ty::Int8 { Ty::Int8 } else { Ty::Int4 };
                let r = match op {
                    "+" => x.checked_add(*y),
                    "-" => x.checked_sub(*y),
                    "*" => x.checked_mul(*y),
                    "/" => {
                        if *y == 0 {
                            return Err(SqlError::new("division by zero"));
                        }
                        Some(x / y)
                    }
                    _ => {
                        if *y == 0 {
                            return Err(SqlError::new("division by zero"));
                        }
                        Some(x % y)
                    }
                };
                let r = r.ok_or_else(|| SqlError::new(format!("{} out of range", t.name())))?;
                check_range(r, &t)?;
                return Ok(Typed { v: Value::Int(r), t });
            }
            let (x, y) = (a.v.as_f64().unwrap_or(0.0), b.v.as_f64().unwrap_or(0.0));
            if (op == "/" || op == "%") && y == 0.0 {
                return Err(SqlError::new("division by zero"));
            }
            let r = match op {
                "+" => x + y,
                "-" => x - y,
                "*" => x * y,
                "/" => x / y,
                _ => x % y,
            };
            let float = matches!(a.t, Ty::Float4 | Ty::Float8) || matches!(b.t, Ty::Float4 | Ty::Float8);
            if float {
                return Ok(Typed { v: Value::Float(r), t: Ty::Float8 });
            }
            let (s1, s2) = (num_scale(&a.v), num_scale(&b.v));
            let scale = match op {
                "*" => s1 + s2,
                "/" => div_scale(x, y, s1, s2),
                _ => s1.max(s2),
            };
            let exact = dec_parse(&a.v).zip(dec_parse(&b.v)).and_then(|(p, q)| dec_op(op, p, q, scale));
            let text = exact.unwrap_or_else(|| format!("{r:.prec$}", prec = scale as usize));
            Ok(Typed { v: Value::Num(text), t: Ty::Numeric })
        }
        _ => Err(no_op()),
    }
}

// ------------------------------------------------------------- timestamps

/// Parses `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z|+HH[:MM]]` into microseconds
/// since the epoch (UTC).
pub fn parse_ts(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("now") {
        return None;
    }
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 {
        return None;
    }
    let (y, m, dd): (i64, i64, i64) = (d[0].parse().ok()?, d[1].parse().ok()?, d[2].parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&dd) {
        return None;
    }
    let mut us = days_from_civil(y, m, dd) * 86_400_000_000;
    if !time.is_empty() {
        let t = time.trim_end_matches(['Z', 'z']);
        let t = match t.find(['+', '-']) {
            Some(i) => &t[..i],
            None => t,
        };
        let parts: Vec<&str> = t.split(':').collect();
        let h: i64 = parts.first()?.parse().ok()?;
        let mi: i64 = parts.get(1).map(|p| p.parse().ok()).unwrap_or(Some(0))?;
        let (sec, frac) = match parts.get(2) {
            Some(p) => match p.split_once('.') {
                Some((a, b)) => (a.parse::<i64>().ok()?, format!("{b:0<6}")[..6].parse::<i64>().ok()?),
                None => (p.parse().ok()?, 0),
            },
            None => (0, 0),
        };
        if h > 24 || mi > 59 || sec > 60 {
            return None;
        }
        us += ((h * 60 + mi) * 60 + sec) * 1_000_000 + frac;
    }
    Some(us)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-01-05 09:00:00.123456[+00]` with trailing fractional zeros dropped.
pub fn format_ts(us: i64, tz: bool) -> String {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let base = crate::engine::time::Time(secs * 1000).rfc3339();
    let mut s = format!("{} {}", &base[..10], &base[11..19]);
    if frac != 0 {
        let f = format!("{frac:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    if tz {
        s.push_str("+00");
    }
    s
}

/// The stored form of a role's password.
pub fn hash_password(p: &str) -> String {
    format!("SCRAM-SHA-256$4096:{:08x}", crate::engine::rng::fnv32a(p.as_bytes()))
}
