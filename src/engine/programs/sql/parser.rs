//! The SQL parser: tokens into statements ([`Stmt`]) and expressions
//! ([`Expr`]), with PostgreSQL's syntax errors and their positions.

use super::lexer::*;
use super::*;

// ------------------------------------------------------------------ AST

#[derive(Clone, Debug)]
pub enum Expr {
    Lit(Value, Ty, usize),
    Col(Option<String>, String, usize),
    Star(usize),
    Func { name: String, args: Vec<Expr>, star: bool, distinct: bool, pos: usize },
    Bin { op: String, l: Box<Expr>, r: Box<Expr>, pos: usize },
    Not(Box<Expr>),
    Neg(Box<Expr>, usize),
    IsNull(Box<Expr>, bool),
    InList(Box<Expr>, Vec<Expr>, bool),
    Between(Box<Expr>, Box<Expr>, Box<Expr>, bool),
    Like(Box<Expr>, Box<Expr>, bool, bool),
    Cast(Box<Expr>, Ty, usize),
}

impl Expr {
    pub(super) fn pos(&self) -> usize {
        match self {
            Expr::Lit(_, _, p) | Expr::Col(_, _, p) | Expr::Star(p) | Expr::Neg(_, p) | Expr::Cast(_, _, p) => *p,
            Expr::Func { pos, .. } | Expr::Bin { pos, .. } => *pos,
            Expr::Not(e) | Expr::IsNull(e, _) | Expr::InList(e, _, _) | Expr::Between(e, _, _, _) | Expr::Like(e, _, _, _) => e.pos(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ColDef {
    pub name: String,
    pub ty: Ty,
    pub serial: bool,
    pub not_null: bool,
    pub primary: bool,
    pub unique: bool,
    pub default: Option<Expr>,
    pub default_text: Option<String>,
}

#[derive(Clone, Debug)]
pub struct SelItem {
    pub(super) expr: Expr,
    pub(super) alias: Option<String>,
}

#[derive(Clone, Debug)]
pub enum Stmt {
    CreateTable {
        name: String,
        pos: usize,
        if_not_exists: bool,
        cols: Vec<ColDef>,
        pk: Option<Vec<String>>,
    },
    DropTable {
        names: Vec<(String, usize)>,
        if_exists: bool,
    },
    Truncate {
        names: Vec<(String, usize)>,
    },
    Insert {
        table: String,
        tpos: usize,
        cols: Option<Vec<(String, usize)>>,
        rows: Vec<Vec<Expr>>,
        returning: Option<Vec<SelItem>>,
    },
    Select(Box<Select>),
    Update {
        table: String,
        tpos: usize,
        sets: Vec<(String, usize, Expr)>,
        where_: Option<Expr>,
        returning: Option<Vec<SelItem>>,
    },
    Delete {
        table: String,
        tpos: usize,
        where_: Option<Expr>,
        returning: Option<Vec<SelItem>>,
    },
    CreateDatabase {
        name: String,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
    },
    CreateRole {
        name: String,
        password: Option<String>,
        tag: &'static str,
    },
    AlterRole {
        name: String,
        password: Option<String>,
    },
    AlterTable {
        table: String,
        tpos: usize,
        if_exists: bool,
        action: AlterAction,
    },
    DropRole {
        name: String,
        if_exists: bool,
    },
    Begin,
    Commit,
    Rollback,
    /// Accepted and answered with a tag (GRANT, SET, ...).
    Tag(String),
    Show(String),
}

#[derive(Clone, Debug)]
pub enum AlterAction {
    AddColumn(ColDef, bool),
    DropColumn(String, bool),
    RenameColumn(String, String),
    RenameTable(String),
    /// OWNER TO, SET ..., other clauses without effect here.
    Other,
}

#[derive(Clone, Debug)]
pub struct Select {
    pub(super) distinct: bool,
    pub(super) items: Vec<SelItem>,
    pub(super) from: Option<(String, usize, Option<String>)>,
    pub(super) where_: Option<Expr>,
    pub(super) group: Vec<Expr>,
    pub(super) having: Option<Expr>,
    pub(super) order: Vec<(Expr, bool, Option<bool>)>,
    pub(super) limit: Option<Expr>,
    pub(super) offset: Option<Expr>,
}

// ----------------------------------------------------------------- parser

const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

struct P {
    toks: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }
    fn peek_at(&self, k: usize) -> &Tok {
        &self.toks[(self.i + k).min(self.toks.len() - 1)]
    }
    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }
    fn is_kw(&self, k: &str) -> bool {
        matches!(&self.peek().t, T::Ident(s) if s == k)
    }
    fn is_op(&self, o: &str) -> bool {
        matches!(&self.peek().t, T::Op(s) if s == o)
    }
    fn eat_kw(&mut self, k: &str) -> bool {
        if self.is_kw(k) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn eat_op(&mut self, o: &str) -> bool {
        if self.is_op(o) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn err(&self) -> SqlError {
        let t = self.peek();
        if t.t == T::Eof { SqlError::at("syntax error at end of input", t.pos) } else { SqlError::at(format!("syntax error at or near \"{}\"", t.raw), t.pos) }
    }
    fn expect_kw(&mut self, k: &str) -> R<()> {
        if self.eat_kw(k) { Ok(()) } else { Err(self.err()) }
    }
    fn expect_op(&mut self, o: &str) -> R<()> {
        if self.eat_op(o) { Ok(()) } else { Err(self.err()) }
    }
    /// An identifier (a non-reserved keyword or a quoted name).
    fn ident(&mut self) -> R<(String, usize)> {
        let t = self.peek().clone();
        match t.t {
            T::Ident(s) if !RESERVED.contains(&s.as_str()) => {
                self.i += 1;
                Ok((s, t.pos))
            }
            T::QIdent(s) => {
                self.i += 1;
                Ok((s, t.pos))
            }
            _ => Err(self.err()),
        }
    }
    /// A possibly schema-qualified table name (the schema is dropped).
    fn table_name(&mut self) -> R<(String, usize)> {
        let (mut n, p) = self.ident()?;
        if self.eat_op(".") {
            let (m, _) = self.ident()?;
            n = m;
        }
        Ok((n, p))
    }

    fn statement(&mut self) -> R<Stmt> {
        let t = self.peek().clone();
        let kw = match &t.t {
            T::Ident(s) => s.clone(),
            T::Op(o) if o == "(" => return Ok(Stmt::Select(Box::new(self.select()?))),
            _ => return Err(self.err()),
        };
        match kw.as_str() {
            "select" => Ok(Stmt::Select(Box::new(self.select()?))),
            "create" => self.create(),
            "drop" => self.drop(),
            "insert" => self.insert(),
            "update" => self.update(),
            "delete" => self.delete(),
            "truncate" => {
                self.bump();
                self.eat_kw("table");
                let mut names = vec![self.table_name()?];
                while self.eat_op(",") {
                    names.push(self.table_name()?);
                }
                Ok(Stmt::Truncate { names })
            }
            "begin" | "start" => {
                self.bump();
                self.eat_kw("transaction");
                self.eat_kw("work");
                Ok(Stmt::Begin)
            }
            "commit" | "end" => {
                self.bump();
                self.eat_kw("work");
                self.eat_kw("transaction");
                Ok(Stmt::Commit)
            }
            "rollback" | "abort" => {
                self.bump();
                self.eat_kw("work");
                self.eat_kw("transaction");
                Ok(Stmt::Rollback)
            }
            "alter" => {
                self.bump();
                if self.eat_kw("user") || self.eat_kw("role") {
                    let (name, _) = self.ident()?;
                    self.eat_kw("with");
                    let mut password = None;
                    while self.peek().t != T::Eof {
                        if self.eat_kw("password") {
                            if let T::Str(s) = self.bump().t {
                                password = Some(s);
                            }
                        } else {
                            self.bump();
                        }
                    }
                    return Ok(Stmt::AlterRole { name, password });
                }
                if self.eat_kw("database") {
                    while self.peek().t != T::Eof {
                        self.bump();
                    }
                    return Ok(Stmt::Tag("ALTER DATABASE".into()));
                }
                self.expect_kw("table")?;
                let mut if_exists = false;
                if self.is_kw("if") {
                    self.bump();
                    self.expect_kw("exists")?;
                    if_exists = true;
                }
                self.eat_kw("only");
                let (table, tpos) = self.table_name()?;
                let action = if self.eat_kw("add") {
                    self.eat_kw("column");
                    let mut ine = false;
                    if self.is_kw("if") {
                        self.bump();
                        self.expect_kw("not")?;
                        self.expect_kw("exists")?;
                        ine = true;
                    }
                    AlterAction::AddColumn(self.coldef()?, ine)
                } else if self.eat_kw("drop") {
                    self.eat_kw("column");
                    let mut ie = false;
                    if self.is_kw("if") {
                        self.bump();
                        self.expect_kw("exists")?;
                        ie = true;
                    }
                    let (c, _) = self.ident()?;
                    let _ = self.eat_kw("cascade") || self.eat_kw("restrict");
                    AlterAction::DropColumn(c, ie)
                } else if self.eat_kw("rename") {
                    if self.eat_kw("to") {
                        AlterAction::RenameTable(self.ident()?.0)
                    } else {
                        self.eat_kw("column");
                        let (a, _) = self.ident()?;
                        self.expect_kw("to")?;
                        AlterAction::RenameColumn(a, self.ident()?.0)
                    }
                } else {
                    while self.peek().t != T::Eof {
                        self.bump();
                    }
                    AlterAction::Other
                };
                Ok(Stmt::AlterTable { table, tpos, if_exists, action })
            }
            "grant" | "revoke" => {
                self.bump();
                while self.peek().t != T::Eof {
                    self.bump();
                }
                Ok(Stmt::Tag(kw.to_uppercase()))
            }
            "set" => {
                self.bump();
                while self.peek().t != T::Eof {
                    self.bump();
                }
                Ok(Stmt::Tag("SET".into()))
            }
            "show" => {
                self.bump();
                let (n, _) = match self.peek().t.clone() {
                    T::Ident(s) => {
                        self.bump();
                        (s, 0)
                    }
                    _ => return Err(self.err()),
                };
                Ok(Stmt::Show(n))
            }
            "vacuum" | "analyze" | "checkpoint" => {
                self.bump();
                while self.peek().t != T::Eof {
                    self.bump();
                }
                Ok(Stmt::Tag(kw.to_uppercase()))
            }
            _ => Err(self.err()),
        }
    }

    fn create(&mut self) -> R<Stmt> {
        self.bump();
        if self.eat_kw("database") {
            let (name, _) = self.ident()?;
            while self.peek().t != T::Eof {
                self.bump();
            }
            return Ok(Stmt::CreateDatabase { name });
        }
        if self.is_kw("user") || self.is_kw("role") {
            // CREATE USER is CREATE ROLE ... LOGIN: the tag says ROLE.
            let tag = "CREATE ROLE";
            self.bump();
            let (name, _) = self.ident()?;
            let mut password = None;
            self.eat_kw("with");
            while self.peek().t != T::Eof {
                if self.eat_kw("password") {
                    if let T::Str(s) = self.bump().t {
                        password = Some(s);
                    }
                } else {
                    self.bump();
                }
            }
            return Ok(Stmt::CreateRole { name, password, tag });
        }
        let _ = self.eat_kw("temporary") || self.eat_kw("temp") || self.eat_kw("unlogged");
        self.expect_kw("table")?;
        let mut if_not_exists = false;
        if self.is_kw("if") {
            self.bump();
            self.expect_kw("not")?;
            self.expect_kw("exists")?;
            if_not_exists = true;
        }
        let (name, pos) = self.table_name()?;
        self.expect_op("(")?;
        let mut cols = vec![];
        let mut pk = None;
        loop {
            if self.is_kw("primary") || self.is_kw("constraint") || self.is_kw("unique") || self.is_kw("foreign") || self.is_kw("check") {
                if self.eat_kw("constraint") {
                    self.ident()?;
                }
                if self.eat_kw("primary") {
                    self.expect_kw("key")?;
                    self.expect_op("(")?;
                    let mut v = vec![self.ident()?.0];
                    while self.eat_op(",") {
                        v.push(self.ident()?.0);
                    }
                    self.expect_op(")")?;
                    pk = Some(v);
                } else {
                    // UNIQUE (...), FOREIGN KEY ..., CHECK (...): skip the clause.
                    self.skip_clause();
                }
            } else {
                cols.push(self.coldef()?);
            }
            if self.eat_op(",") {
                continue;
            }
            self.expect_op(")")?;
            break;
        }
        Ok(Stmt::CreateTable { name, pos, if_not_exists, cols, pk })
    }

    fn skip_clause(&mut self) {
        let mut depth = 0;
        loop {
            match &self.peek().t {
                T::Eof => return,
                T::Op(o) if o == "(" => depth += 1,
                T::Op(o) if o == ")" => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                T::Op(o) if o == "," && depth == 0 => return,
                _ => {}
            }
            self.bump();
        }
    }

    fn type_name(&mut self) -> R<(Ty, bool)> {
        let t = self.peek().clone();
        let (name, _) = match &t.t {
            T::Ident(s) => {
                self.bump();
                (s.clone(), t.pos)
            }
            T::QIdent(s) => {
                self.bump();
                (s.clone(), t.pos)
            }
            _ => return Err(self.err()),
        };
        let mut full = name.clone();
        if name == "double" && self.eat_kw("precision") {
            full = "double precision".into();
        }
        if name == "character" && self.eat_kw("varying") {
            full = "character varying".into();
        }
        let mut arg = None;
        let mut arg2 = None;
        if self.eat_op("(") {
            if let T::Num(n) = self.bump().t {
                arg = n.parse::<u32>().ok();
            }
            if self.eat_op(",")
                && let T::Num(n) = self.bump().t
            {
                arg2 = n.parse::<u32>().ok();
            }
            self.expect_op(")")?;
        }
        if full == "timestamp" || full == "time" {
            if self.eat_kw("with") {
                self.expect_kw("time")?;
                self.expect_kw("zone")?;
                full = "timestamptz".into();
            } else if self.eat_kw("without") {
                self.expect_kw("time")?;
                self.expect_kw("zone")?;
            }
        }
        let serial = matches!(full.as_str(), "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2");
        let spec = match (arg, arg2) {
            (Some(n), Some(m)) => format!("{full}({n},{m})"),
            (Some(n), None) => format!("{full}({n})"),
            _ => full.clone(),
        };
        match parse_type_name(&spec) {
            Some(ty) => Ok((ty, serial)),
            None => Err(SqlError::at(format!("type \"{name}\" does not exist"), t.pos)),
        }
    }

    fn coldef(&mut self) -> R<ColDef> {
        let (name, _) = self.ident()?;
        let (ty, serial) = self.type_name()?;
        let mut c = ColDef { name, ty, serial, not_null: serial, primary: false, unique: false, default: None, default_text: None };
        loop {
            if self.eat_kw("primary") {
                self.expect_kw("key")?;
                c.primary = true;
                c.not_null = true;
            } else if self.eat_kw("not") {
                self.expect_kw("null")?;
                c.not_null = true;
            } else if self.eat_kw("null") {
            } else if self.eat_kw("unique") {
                c.unique = true;
            } else if self.eat_kw("default") {
                let start = self.peek().pos;
                let e = self.expr()?;
                let _ = start;
                c.default_text = Some(default_text(&e));
                c.default = Some(e);
            } else if self.eat_kw("references") {
                self.table_name()?;
                if self.eat_op("(") {
                    self.ident()?;
                    self.expect_op(")")?;
                }
                while self.eat_kw("on") {
                    self.bump();
                    self.bump();
                    if self.is_kw("null") || self.is_kw("default") || self.is_kw("action") {
                        self.bump();
                    }
                }
            } else if self.eat_kw("check") {
                self.expect_op("(")?;
                self.expr()?;
                self.expect_op(")")?;
            } else if self.eat_kw("constraint") {
                self.ident()?;
            } else {
                break;
            }
        }
        Ok(c)
    }

    fn drop(&mut self) -> R<Stmt> {
        self.bump();
        if self.eat_kw("database") {
            let mut if_exists = false;
            if self.eat_kw("if") {
                self.expect_kw("exists")?;
                if_exists = true;
            }
            let (name, _) = self.ident()?;
            return Ok(Stmt::DropDatabase { name, if_exists });
        }
        if self.eat_kw("user") || self.eat_kw("role") {
            let mut if_exists = false;
            if self.eat_kw("if") {
                self.expect_kw("exists")?;
                if_exists = true;
            }
            let (name, _) = self.ident()?;
            return Ok(Stmt::DropRole { name, if_exists });
        }
        self.expect_kw("table")?;
        let mut if_exists = false;
        if self.eat_kw("if") {
            self.expect_kw("exists")?;
            if_exists = true;
        }
        let mut names = vec![self.table_name()?];
        while self.eat_op(",") {
            names.push(self.table_name()?);
        }
        let _ = self.eat_kw("cascade") || self.eat_kw("restrict");
        Ok(Stmt::DropTable { names, if_exists })
    }

    fn insert(&mut self) -> R<Stmt> {
        self.bump();
        self.expect_kw("into")?;
        let (table, tpos) = self.table_name()?;
        let mut cols = None;
        if self.eat_op("(") {
            let mut v = vec![self.ident()?];
            while self.eat_op(",") {
                v.push(self.ident()?);
            }
            self.expect_op(")")?;
            cols = Some(v);
        }
        let mut rows = vec![];
        if self.eat_kw("default") {
            self.expect_kw("values")?;
            rows.push(vec![]);
        } else {
            self.expect_kw("values")?;
            loop {
                self.expect_op("(")?;
                let mut row = vec![self.expr_or_default()?];
                while self.eat_op(",") {
                    row.push(self.expr_or_default()?);
                }
                self.expect_op(")")?;
                rows.push(row);
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        let returning = self.returning()?;
        Ok(Stmt::Insert { table, tpos, cols, rows, returning })
    }

    fn expr_or_default(&mut self) -> R<Expr> {
        if self.is_kw("default") {
            let p = self.bump().pos;
            return Ok(Expr::Func { name: "__default".into(), args: vec![], star: false, distinct: false, pos: p });
        }
        self.expr()
    }

    fn returning(&mut self) -> R<Option<Vec<SelItem>>> {
        if self.eat_kw("returning") {
            return Ok(Some(self.sel_items()?));
        }
        Ok(None)
    }

    fn update(&mut self) -> R<Stmt> {
        self.bump();
        let (table, tpos) = self.table_name()?;
        self.expect_kw("set")?;
        let mut sets = vec![];
        loop {
            let (c, p) = self.ident()?;
            self.expect_op("=")?;
            let e = self.expr_or_default()?;
            sets.push((c, p, e));
            if !self.eat_op(",") {
                break;
            }
        }
        let where_ = if self.eat_kw("where") { Some(self.expr()?) } else { None };
        let returning = self.returning()?;
        Ok(Stmt::Update { table, tpos, sets, where_, returning })
    }

    fn delete(&mut self) -> R<Stmt> {
        self.bump();
        self.expect_kw("from")?;
        let (table, tpos) = self.table_name()?;
        let where_ = if self.eat_kw("where") { Some(self.expr()?) } else { None };
        let returning = self.returning()?;
        Ok(Stmt::Delete { table, tpos, where_, returning })
    }

    fn sel_items(&mut self) -> R<Vec<SelItem>> {
        let mut items = vec![];
        loop {
            let expr = if self.is_op("*") {
                let p = self.bump().pos;
                Expr::Star(p)
            } else {
                self.expr()?
            };
            let mut alias = None;
            if self.eat_kw("as") {
                alias = Some(match self.bump().t {
                    T::Ident(s) | T::QIdent(s) => s,
                    _ => {
                        self.i -= 1;
                        return Err(self.err());
                    }
                });
            } else if !matches!(expr, Expr::Star(_)) {
                if let T::Ident(s) = &self.peek().t {
                    if !RESERVED.contains(&s.as_str()) {
                        alias = Some(s.clone());
                        self.bump();
                    }
                } else if let T::QIdent(s) = &self.peek().t {
                    alias = Some(s.clone());
                    self.bump();
                }
            }
            items.push(SelItem { expr, alias });
            if !self.eat_op(",") {
                break;
            }
        }
        Ok(items)
    }

    fn select(&mut self) -> R<Select> {
        if self.eat_op("(") {
            let s = self.select()?;
            self.expect_op(")")?;
            return Ok(s);
        }
        self.expect_kw("select")?;
        let distinct = self.eat_kw("distinct");
        self.eat_kw("all");
        let items = if self.peek().t == T::Eof || self.is_kw("from") { vec![] } else { self.sel_items()? };
        let mut s = Select { distinct, items, from: None, where_: None, group: vec![], having: None, order: vec![], limit: None, offset: None };
        if self.eat_kw("from") {
            let (t, p) = self.table_name()?;
            let mut alias = None;
            if self.eat_kw("as") {
                alias = Some(self.ident()?.0);
            } else if let T::Ident(a) = &self.peek().t
                && !RESERVED.contains(&a.as_str())
            {
                alias = Some(a.clone());
                self.bump();
            }
            s.from = Some((t, p, alias));
        }
        if self.eat_kw("where") {
            s.where_ = Some(self.expr()?);
        }
        if self.eat_kw("group") {
            self.expect_kw("by")?;
            s.group.push(self.expr()?);
            while self.eat_op(",") {
                s.group.push(self.expr()?);
            }
        }
        if self.eat_kw("having") {
            s.having = Some(self.expr()?);
        }
        if self.eat_kw("order") {
            self.expect_kw("by")?;
            loop {
                let e = self.expr()?;
                let desc = if self.eat_kw("desc") {
                    true
                } else {
                    self.eat_kw("asc");
                    false
                };
                let mut nulls_first = None;
                if self.eat_kw("nulls") {
                    if self.eat_kw("first") {
                        nulls_first = Some(true);
                    } else {
                        self.expect_kw("last")?;
                        nulls_first = Some(false);
                    }
                }
                s.order.push((e, desc, nulls_first));
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        loop {
            if self.eat_kw("limit") {
                if self.eat_kw("all") {
                    continue;
                }
                s.limit = Some(self.expr()?);
            } else if self.eat_kw("offset") {
                s.offset = Some(self.expr()?);
                let _ = self.eat_kw("rows") || self.eat_kw("row");
            } else {
                break;
            }
        }
        Ok(s)
    }

    // Expressions, by precedence.
    fn expr(&mut self) -> R<Expr> {
        self.or_expr()
    }
    fn or_expr(&mut self) -> R<Expr> {
        let mut l = self.and_expr()?;
        while self.is_kw("or") {
            let p = self.bump().pos;
            let r = self.and_expr()?;
            l = Expr::Bin { op: "or".into(), l: Box::new(l), r: Box::new(r), pos: p };
        }
        Ok(l)
    }
    fn and_expr(&mut self) -> R<Expr> {
        let mut l = self.not_expr()?;
        while self.is_kw("and") {
            let p = self.bump().pos;
            let r = self.not_expr()?;
            l = Expr::Bin { op: "and".into(), l: Box::new(l), r: Box::new(r), pos: p };
        }
        Ok(l)
    }
    fn not_expr(&mut self) -> R<Expr> {
        if self.eat_kw("not") {
            return Ok(Expr::Not(Box::new(self.not_expr()?)));
        }
        self.cmp_expr()
    }
    fn cmp_expr(&mut self) -> R<Expr> {
        let l = self.add_expr()?;
        if self.is_kw("is") {
            self.bump();
            let neg = self.eat_kw("not");
            if self.eat_kw("null") {
                return Ok(Expr::IsNull(Box::new(l), neg));
            }
            if self.is_kw("true") || self.is_kw("false") {
                let p = self.peek().pos;
                let v = self.bump().t == T::Ident("true".into());
                let e = Expr::Bin { op: "=".into(), l: Box::new(l), r: Box::new(Expr::Lit(Value::Bool(v), Ty::Bool, p)), pos: p };
                return Ok(if neg { Expr::Not(Box::new(e)) } else { e });
            }
            return Err(self.err());
        }
        let negated = if self.is_kw("not") && matches!(&self.peek_at(1).t, T::Ident(s) if s == "in" || s == "like" || s == "ilike" || s == "between") {
            self.bump();
            true
        } else {
            false
        };
        if self.eat_kw("in") {
            self.expect_op("(")?;
            let mut list = vec![self.expr()?];
            while self.eat_op(",") {
                list.push(self.expr()?);
            }
            self.expect_op(")")?;
            return Ok(Expr::InList(Box::new(l), list, negated));
        }
        if self.is_kw("like") || self.is_kw("ilike") {
            let ci = self.bump().t == T::Ident("ilike".into());
            let r = self.add_expr()?;
            return Ok(Expr::Like(Box::new(l), Box::new(r), ci, negated));
        }
        if self.eat_kw("between") {
            let a = self.add_expr()?;
            self.expect_kw("and")?;
            let b = self.add_expr()?;
            return Ok(Expr::Between(Box::new(l), Box::new(a), Box::new(b), negated));
        }
        if negated {
            return Err(self.err());
        }
        for op in ["=", "<>", "!=", "<=", ">=", "<", ">"] {
            if self.is_op(op) {
                let p = self.bump().pos;
                let r = self.add_expr()?;
                let op = if op == "!=" { "<>" } else { op };
                return Ok(Expr::Bin { op: op.into(), l: Box::new(l), r: Box::new(r), pos: p });
            }
        }
        Ok(l)
    }
    fn add_expr(&mut self) -> R<Expr> {
        let mut l = self.mul_expr()?;
        loop {
            let op = if self.is_op("+") {
                "+"
            } else if self.is_op("-") {
                "-"
            } else if self.is_op("||") {
                "||"
            } else {
                break;
            };
            let p = self.bump().pos;
            let r = self.mul_expr()?;
            l = Expr::Bin { op: op.into(), l: Box::new(l), r: Box::new(r), pos: p };
        }
        Ok(l)
    }
    fn mul_expr(&mut self) -> R<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = if self.is_op("*") {
                "*"
            } else if self.is_op("/") {
                "/"
            } else if self.is_op("%") {
                "%"
            } else {
                break;
            };
            let p = self.bump().pos;
            let r = self.unary()?;
            l = Expr::Bin { op: op.into(), l: Box::new(l), r: Box::new(r), pos: p };
        }
        Ok(l)
    }
    fn unary(&mut self) -> R<Expr> {
        if self.is_op("-") {
            let p = self.bump().pos;
            let e = self.unary()?;
            return Ok(match e {
                Expr::Lit(Value::Int(i), t, _) => Expr::Lit(Value::Int(-i), t, p),
                Expr::Lit(Value::Num(s), t, _) => Expr::Lit(Value::Num(format!("-{s}")), t, p),
                e => Expr::Neg(Box::new(e), p),
            });
        }
        if self.eat_op("+") {
            return self.unary();
        }
        let mut e = self.primary()?;
        while self.is_op("::") {
            let p = self.bump().pos;
            let (ty, _) = self.type_name()?;
            e = Expr::Cast(Box::new(e), ty, p);
        }
        Ok(e)
    }
    fn primary(&mut self) -> R<Expr> {
        let t = self.peek().clone();
        match &t.t {
            T::Num(n) => {
                self.bump();
                if n.contains('.') || n.contains('e') || n.contains('E') {
                    Ok(Expr::Lit(Value::Num(n.clone()), Ty::Numeric, t.pos))
                } else {
                    match n.parse::<i64>() {
                        Ok(v) if v <= i32::MAX as i64 => Ok(Expr::Lit(Value::Int(v), Ty::Int4, t.pos)),
                        Ok(v) => Ok(Expr::Lit(Value::Int(v), Ty::Int8, t.pos)),
                        Err(_) => Ok(Expr::Lit(Value::Num(n.clone()), Ty::Numeric, t.pos)),
                    }
                }
            }
            T::Str(s) => {
                self.bump();
                Ok(Expr::Lit(Value::Text(s.clone()), Ty::Unknown, t.pos))
            }
            T::Op(o) if o == "(" => {
                self.bump();
                let e = self.expr()?;
                self.expect_op(")")?;
                Ok(e)
            }
            T::Ident(k) if k == "null" => {
                self.bump();
                Ok(Expr::Lit(Value::Null, Ty::Unknown, t.pos))
            }
            T::Ident(k) if k == "true" || k == "false" => {
                self.bump();
                Ok(Expr::Lit(Value::Bool(k == "true"), Ty::Bool, t.pos))
            }
            T::Ident(k)
                if k == "current_timestamp" || k == "current_date" || k == "current_user" || k == "user" || k == "session_user" || k == "localtimestamp" =>
            {
                self.bump();
                Ok(Expr::Func { name: k.clone(), args: vec![], star: false, distinct: false, pos: t.pos })
            }
            T::Ident(k) if k == "cast" => {
                self.bump();
                self.expect_op("(")?;
                let e = self.expr()?;
                self.expect_kw("as")?;
                let (ty, _) = self.type_name()?;
                self.expect_op(")")?;
                Ok(Expr::Cast(Box::new(e), ty, t.pos))
            }
            T::Ident(k) if (k == "timestamp" || k == "date") && matches!(self.peek_at(1).t, T::Str(_)) => {
                self.bump();
                let T::Str(s) = self.bump().t else { unreachable!() };
                let ty = if k == "date" { Ty::Date } else { Ty::Timestamp };
                Ok(Expr::Cast(Box::new(Expr::Lit(Value::Text(s), Ty::Unknown, t.pos)), ty, t.pos))
            }
            T::Ident(_) | T::QIdent(_) => {
                let name = match &t.t {
                    T::Ident(s) | T::QIdent(s) => s.clone(),
                    _ => unreachable!(),
                };
                if let T::Ident(k) = &t.t
                    && RESERVED.contains(&k.as_str())
                {
                    return Err(self.err());
                }
                self.bump();
                if self.is_op("(") {
                    self.bump();
                    let mut args = vec![];
                    let mut star = false;
                    let distinct = self.eat_kw("distinct");
                    if self.is_op("*") {
                        self.bump();
                        star = true;
                    } else if !self.is_op(")") {
                        args.push(self.expr()?);
                        while self.eat_op(",") {
                            args.push(self.expr()?);
                        }
                    }
                    self.expect_op(")")?;
                    return Ok(Expr::Func { name, args, star, distinct, pos: t.pos });
                }
                if self.is_op(".") {
                    self.bump();
                    if self.is_op("*") {
                        let p = self.bump().pos;
                        return Ok(Expr::Star(p));
                    }
                    let (col, _) = self.ident()?;
                    return Ok(Expr::Col(Some(name), col, t.pos));
                }
                Ok(Expr::Col(None, name, t.pos))
            }
            _ => Err(self.err()),
        }
    }
}

fn default_text(e: &Expr) -> String {
    match e {
        Expr::Lit(Value::Text(s), _, _) => format!("'{}'::text", s.replace('\'', "''")),
        Expr::Lit(Value::Int(i), _, _) => i.to_string(),
        Expr::Lit(Value::Num(s), _, _) => s.clone(),
        Expr::Lit(Value::Bool(b), _, _) => b.to_string(),
        Expr::Lit(Value::Null, _, _) => "NULL".into(),
        Expr::Func { name, .. } if name == "current_timestamp" => "CURRENT_TIMESTAMP".into(),
        Expr::Func { name, .. } => format!("{name}()"),
        _ => "expression".into(),
    }
}

/// Parses one statement (the text is the whole query; `base` is where the
/// statement starts in it, so positions count from the query's start).
pub fn parse_statement(query: &str, base: usize, stmt: &str) -> R<Stmt> {
    let mut toks = tokenize(stmt).map_err(|mut e| {
        e.position = e.position.map(|p| p + base);
        e
    })?;
    for t in toks.iter_mut() {
        t.pos += base;
    }
    let _ = query;
    let mut p = P { toks, i: 0 };
    let s = p.statement()?;
    if p.peek().t != T::Eof {
        return Err(p.err());
    }
    Ok(s)
}
