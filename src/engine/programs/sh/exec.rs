//! The shell's interpreter: runs a [`Node`] tree, with builtins, pipes,
//! redirections, control flow, and the script's own clock.

use super::*;

/// Why execution stopped early.
#[derive(Clone, Debug)]
pub(super) enum Flow {
    Normal,
    Exit(i32),
    Break(u32),
    Continue(u32),
    /// The process blocks forever (`sleep infinity`, an endless loop, a
    /// server started with `exec nginx`).
    Forever(Option<(ServerState, String)>),
}

pub struct Shell {
    pub vars: BTreeMap<String, String>,
    pub exported: std::collections::BTreeSet<String>,
    pub cwd: String,
    pub status: i32,
    pub args: Vec<String>,
    /// `$0`
    pub name: String,
    /// Name in error messages (`sh`, `bash`).
    pub prog: String,
    pub userland: Userland,
    pub bash: bool,
    /// The script's own clock (main process only).
    pub clock: Millis,
    /// Output already produced, by script time (main process only).
    pub timeline: Vec<(Millis, String)>,
    pub(super) flow: Flow,
    steps: u64,
    line: usize,
    pub(super) main: bool,
    pub(super) status_from_subst: bool,
    pub(super) last_subst_status: i32,
    /// A background job that never ends (`sleep infinity &`): `wait`
    /// blocks forever.
    bg_forever: bool,
    bg_server: Option<(ServerState, String)>,
    /// What command substitutions wrote to stderr.
    pub(super) subst_stderr: String,
}

/// How much work a script may do before it is treated as endless.
const STEP_BUDGET: u64 = 20_000;
/// How far ahead a main process's script is simulated.
const HORIZON: Millis = 24 * 3_600_000;
/// The memory a script's variables and output may take: a simulated
/// container's shell is killed past it, as the OOM killer ends a process
/// over its cgroup's memory limit (status 137; `kubectl exec` prints
/// "command terminated with exit code 137"). `x=$x$x` in a loop reaches it in
/// about 24 rounds instead of taking the tab's memory.
const MEMORY_LIMIT: usize = 16 << 20;
/// Status of a process the OOM killer ended (128 + SIGKILL).
const OOM_KILLED: i32 = 137;

impl Shell {
    pub fn new(ctx: &Ctx, prog: &str) -> Shell {
        let bash = prog == "bash" || ctx.img.userland == Userland::Oracle;
        let mut sh = Shell {
            vars: ctx.env.clone(),
            exported: crate::engine::sort::set_from(ctx.env.keys().cloned()),
            cwd: ctx.cwd.clone(),
            status: 0,
            args: vec![],
            name: prog.to_string(),
            prog: prog.to_string(),
            userland: ctx.img.userland,
            bash,
            clock: 0,
            timeline: vec![],
            flow: Flow::Normal,
            steps: 0,
            line: 1,
            main: ctx.main,
            status_from_subst: false,
            last_subst_status: 0,
            bg_forever: false,
            bg_server: None,
            subst_stderr: String::new(),
        };
        sh.vars.entry("PWD".into()).or_insert_with(|| ctx.cwd.clone());
        sh.vars.insert("IFS".into(), " \t\n".into());
        sh
    }

    /// The prefix of the shell's own messages.
    fn prefix(&self) -> String {
        if self.bash {
            format!("{}: line {}: ", self.prog, self.line)
        } else if self.userland == Userland::Busybox {
            format!("{}: ", self.prog)
        } else {
            format!("{}: {}: ", self.prog, self.line)
        }
    }

    pub(super) fn exported_env(&self) -> BTreeMap<String, String> {
        crate::engine::sort::map_from(self.vars.iter().filter(|(k, _)| self.exported.contains(*k)).map(|(k, v)| (k.clone(), v.clone())))
    }

    /// Runs a script; returns its output and exit status.
    pub fn run_script(&mut self, ctx: &mut Ctx, src: &str, stdin: &str) -> Output {
        let node = match parse(src) {
            Ok(n) => n,
            Err(e) => {
                self.line = e.line;
                let msg = if self.bash {
                    if e.near == "end of file" {
                        format!("{}: -c: line {}: syntax error: unexpected end of file\n", self.prog, e.line)
                    } else {
                        format!("{}: -c: line {}: syntax error near unexpected token `{}'\n", self.prog, e.line, e.near)
                    }
                } else if self.userland == Userland::Busybox {
                    if e.near == "end of file" || e.near == "unterminated quoted string" {
                        format!(
                            "{}: syntax error: {}\n",
                            self.prog,
                            if e.near == "end of file" { "unexpected end of file".to_string() } else { e.near.clone() }
                        )
                    } else {
                        format!("{}: syntax error: unexpected \"{}\"\n", self.prog, e.near)
                    }
                } else if e.near == "unterminated quoted string" {
                    format!("{}: {}: Syntax error: Unterminated quoted string\n", self.prog, e.line)
                } else if e.near == "end of file" {
                    format!("{}: {}: Syntax error: end of file unexpected\n", self.prog, e.line)
                } else {
                    format!("{}: {}: Syntax error: \"{}\" unexpected\n", self.prog, e.line, e.near)
                };
                return Output::err(msg, 2);
            }
        };
        let mut out = Output::default();
        self.exec_node(ctx, &node, stdin, &mut out);
        out.code = match self.flow {
            Flow::Exit(c) => c,
            _ => self.status,
        };
        out
    }

    pub(super) fn flush(&mut self, out: &mut Output) {
        if self.main {
            let text = out.text();
            if !text.is_empty() {
                self.timeline.push((self.clock, text));
            }
            out.chunks.clear();
        }
    }

    fn stopped(&self) -> bool {
        !matches!(self.flow, Flow::Normal)
    }

    /// Whether the script ran out of simulated work or time (an endless loop).
    pub fn endless(&self) -> bool {
        self.steps > STEP_BUDGET || self.clock > HORIZON
    }

    fn budget(&mut self) -> bool {
        self.steps += 1;
        if self.vars.values().map(|v| v.len()).sum::<usize>() > MEMORY_LIMIT {
            self.oom_kill();
            return false;
        }
        if self.steps > STEP_BUDGET || self.clock > HORIZON {
            if !matches!(self.flow, Flow::Exit(_)) {
                self.flow = Flow::Forever(None);
            }
            return false;
        }
        true
    }

    /// Past [`MEMORY_LIMIT`]: the process is gone, with the OOM killer's status.
    fn oom_kill(&mut self) {
        self.status = OOM_KILLED;
        self.flow = Flow::Exit(OOM_KILLED);
    }

    pub(super) fn exec_node(&mut self, ctx: &mut Ctx, node: &Node, stdin: &str, out: &mut Output) {
        if self.stopped() || !self.budget() {
            return;
        }
        match node {
            Node::Empty => {}
            Node::Simple { assigns, words, redirs, line } => {
                self.line = *line;
                let o = self.simple(ctx, assigns, words, redirs, stdin);
                self.status = o.code;
                out.append(o);
                out.code = self.status;
                if out.chunks.iter().map(|(_, c)| c.len()).sum::<usize>() > MEMORY_LIMIT {
                    self.oom_kill();
                    out.code = OOM_KILLED;
                }
            }
            Node::Pipeline { cmds, negate } => {
                let mut input = stdin.to_string();
                let mut last = Output::default();
                for (i, c) in cmds.iter().enumerate() {
                    let mut o = Output::default();
                    let saved_flow = self.flow.clone();
                    self.exec_node(ctx, c, &input, &mut o);
                    if i + 1 < cmds.len() {
                        // A pipeline stage runs in a subshell: its exit does
                        // not end the script.
                        if matches!(self.flow, Flow::Exit(_)) {
                            self.flow = saved_flow;
                        }
                        input = o.stdout();
                        out.eprint(o.stderr());
                    } else {
                        last = o;
                    }
                }
                let code = last.code;
                out.append(last);
                self.status = if *negate { (code == 0) as i32 } else { code };
                out.code = self.status;
            }
            Node::And(a, b) => {
                self.exec_node(ctx, a, stdin, out);
                if self.status == 0 && !self.stopped() {
                    self.exec_node(ctx, b, stdin, out);
                }
            }
            Node::Or(a, b) => {
                self.exec_node(ctx, a, stdin, out);
                if self.status != 0 && !self.stopped() {
                    self.exec_node(ctx, b, stdin, out);
                }
            }
            Node::Seq(items) => {
                for n in items {
                    self.exec_node(ctx, n, stdin, out);
                    self.flush(out);
                    if self.stopped() {
                        break;
                    }
                }
            }
            Node::Background(n) => {
                // Background jobs run to completion at once, except endless
                // ones (which keep running: their output is what they wrote
                // before blocking).
                let mut o = Output::default();
                let saved = (self.clock, self.status);
                self.exec_node(ctx, n, "", &mut o);
                if let Flow::Forever(server) = &self.flow {
                    if server.is_some() && self.main {
                        // A server in the background of PID 1's script runs on.
                        self.bg_server = server.clone();
                    }
                    self.bg_forever = true;
                    self.flow = Flow::Normal;
                }
                self.clock = saved.0;
                out.append(o);
                self.status = 0;
                out.code = 0;
            }
            Node::If { conds, else_ } => {
                for (c, b) in conds {
                    self.exec_node(ctx, c, stdin, out);
                    if self.stopped() {
                        return;
                    }
                    if self.status == 0 {
                        self.exec_node(ctx, b, stdin, out);
                        return;
                    }
                }
                if let Some(e) = else_ {
                    self.exec_node(ctx, e, stdin, out);
                } else {
                    self.status = 0;
                }
            }
            Node::Loop { cond, body, until } => {
                let mut last = 0;
                loop {
                    self.exec_node(ctx, cond, stdin, out);
                    if self.stopped() {
                        break;
                    }
                    if (self.status == 0) == *until {
                        break;
                    }
                    self.exec_node(ctx, body, stdin, out);
                    last = self.status;
                    self.flush(out);
                    match self.flow {
                        Flow::Break(n) => {
                            self.flow = if n > 1 { Flow::Break(n - 1) } else { Flow::Normal };
                            break;
                        }
                        Flow::Continue(n) => {
                            self.flow = if n > 1 { Flow::Continue(n - 1) } else { Flow::Normal };
                            if n > 1 {
                                break;
                            }
                        }
                        Flow::Normal => {}
                        _ => break,
                    }
                    if !self.main && !self.budget() {
                        break;
                    }
                }
                if !self.stopped() {
                    self.status = last;
                }
            }
            Node::For { var, items, body } => {
                let list: Vec<String> = match items {
                    Some(words) => {
                        let mut v = vec![];
                        for w in words {
                            v.extend(self.expand_word(ctx, w, true));
                        }
                        v
                    }
                    None => self.args.clone(),
                };
                self.status = 0;
                for item in list {
                    self.vars.insert(var.clone(), item);
                    self.exec_node(ctx, body, stdin, out);
                    self.flush(out);
                    match self.flow {
                        Flow::Break(n) => {
                            self.flow = if n > 1 { Flow::Break(n - 1) } else { Flow::Normal };
                            break;
                        }
                        Flow::Continue(n) => {
                            self.flow = if n > 1 { Flow::Continue(n - 1) } else { Flow::Normal };
                            if n > 1 {
                                break;
                            }
                        }
                        Flow::Normal => {}
                        _ => break,
                    }
                }
            }
            Node::Case { word, arms } => {
                let w = self.expand_word(ctx, word, false).join(" ");
                self.status = 0;
                for (pats, body) in arms {
                    let hit = pats.iter().any(|p| {
                        let pat = self.expand_pattern(ctx, p);
                        glob_match(&pat, &w)
                    });
                    if hit {
                        self.exec_node(ctx, body, stdin, out);
                        break;
                    }
                }
            }
            Node::Group { body, redirs, subshell } => {
                let saved = if *subshell { Some((self.vars.clone(), self.exported.clone(), self.cwd.clone())) } else { None };
                let mut o = Output::default();
                let input = match self.input_redirect(ctx, redirs, stdin) {
                    Ok(i) => i,
                    Err(e) => {
                        out.append(e);
                        self.status = out.code;
                        return;
                    }
                };
                self.exec_node(ctx, body, &input, &mut o);
                if *subshell {
                    if let Flow::Exit(c) = self.flow {
                        self.status = c;
                        self.flow = Flow::Normal;
                    }
                    let (v, e, c) = saved.unwrap();
                    self.vars = v;
                    self.exported = e;
                    self.cwd = c;
                }
                let code = self.status;
                let o = self.apply_output_redirects(ctx, redirs, o);
                out.append(o);
                if out.code == 0 {
                    out.code = code;
                }
                self.status = out.code;
            }
        }
    }

    /// `< file` and here-documents: the command's standard input.
    fn input_redirect(&mut self, ctx: &mut Ctx, redirs: &[Redir], stdin: &str) -> Result<String, Output> {
        let mut input = stdin.to_string();
        for r in redirs {
            match r.op.as_str() {
                "<" if r.fd == 0 => {
                    let target = self.expand_word(ctx, &r.target, false).join(" ");
                    ctx.cwd = self.cwd.clone();
                    match ctx.fs().read(&target) {
                        Ok(c) => input = c,
                        Err(e) => {
                            let msg = match (self.bash, self.userland) {
                                (true, _) => format!("{}{target}: {}\n", self.prefix(), e.text()),
                                (false, Userland::Busybox) => format!("{}can't open '{target}': {}\n", self.prefix(), e.text()),
                                _ => format!("{}cannot open {target}: {}\n", self.prefix(), if e == FsError::NotFound { "No such file" } else { e.text() }),
                            };
                            return Err(Output::err(msg, if self.bash || self.userland == Userland::Busybox { 1 } else { 2 }));
                        }
                    }
                }
                "<<" | "<<-" => {
                    let body = r.body.clone().unwrap_or_default();
                    input = match body.strip_prefix('\0') {
                        Some(raw) => raw.to_string(),
                        None => self.expand_heredoc(ctx, &body),
                    };
                }
                "<<<" => {
                    input = format!("{}\n", self.expand_word(ctx, &r.target, false).join(" "));
                }
                _ => {}
            }
        }
        Ok(input)
    }

    /// `>`, `>>`, `2>`, `2>&1`, `&>`: where the command's output goes.
    fn apply_output_redirects(&mut self, ctx: &mut Ctx, redirs: &[Redir], o: Output) -> Output {
        if redirs.iter().all(|r| r.op.starts_with('<')) {
            return o;
        }
        // Where fd 1 and fd 2 point: None = the terminal (our output).
        #[derive(Clone, PartialEq)]
        enum Dest {
            Tty(bool),
            File(String, bool),
            Null,
        }
        let mut d1 = Dest::Tty(false);
        let mut d2 = Dest::Tty(true);
        let mut files: Vec<(String, bool)> = vec![];
        for r in redirs {
            let target = || r.target.clone();
            match r.op.as_str() {
                ">" | ">|" | ">>" | "&>" => {
                    let t = self.expand_word(ctx, &target(), false).join(" ");
                    let append = r.op == ">>";
                    let dest = if t == "/dev/null" {
                        Dest::Null
                    } else if t == "/dev/stdout" {
                        Dest::Tty(false)
                    } else if t == "/dev/stderr" {
                        Dest::Tty(true)
                    } else {
                        // Create or truncate it now, as the shell does.
                        ctx.cwd = self.cwd.clone();
                        let mut fs = ctx.fs();
                        let res = if append { fs.append(&t, "") } else { fs.write(&t, "") };
                        if let Err(e) = res {
                            let msg = match (self.bash, self.userland) {
                                (true, _) => format!("{}{t}: {}\n", self.prefix(), e.text()),
                                (false, Userland::Busybox) => {
                                    let why = if e == FsError::NotFound { "nonexistent directory" } else { e.text() };
                                    format!("{}can't create {t}: {why}\n", self.prefix())
                                }
                                _ => {
                                    let why = if e == FsError::NotFound { "Directory nonexistent" } else { e.text() };
                                    format!("{}cannot create {t}: {why}\n", self.prefix())
                                }
                            };
                            let mut err = Output::err(msg, if self.bash || self.userland == Userland::Busybox { 1 } else { 2 });
                            if !self.bash && self.userland != Userland::Busybox {
                                err.code = 2;
                            }
                            return err;
                        }
                        files.push((t.clone(), append));
                        Dest::File(t, append)
                    };
                    if r.op == "&>" {
                        d1 = dest.clone();
                        d2 = dest;
                    } else if r.fd == 2 {
                        d2 = dest;
                    } else {
                        d1 = dest;
                    }
                }
                ">&" => {
                    let t = self.expand_word(ctx, &target(), false).join(" ");
                    match (r.fd, t.as_str()) {
                        (2, "1") => d2 = d1.clone(),
                        (1, "2") => d1 = d2.clone(),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        let mut result = Output { chunks: vec![], code: o.code };
        let mut pending: BTreeMap<String, String> = BTreeMap::new();
        for (is_err, text) in o.chunks {
            let dest = if is_err { &d2 } else { &d1 };
            match dest {
                Dest::Tty(false) => result.print(text),
                Dest::Tty(true) => result.eprint(text),
                Dest::Null => {}
                Dest::File(f, _) => pending.entry(f.clone()).or_default().push_str(&text),
            }
        }
        ctx.cwd = self.cwd.clone();
        for (f, text) in pending {
            let _ = ctx.fs().append(&f, &text);
        }
        result
    }

    fn simple(&mut self, ctx: &mut Ctx, assigns: &[(String, String)], words: &[String], redirs: &[Redir], stdin: &str) -> Output {
        self.status_from_subst = false;
        let mut argv = vec![];
        for w in words {
            argv.extend(self.expand_word(ctx, w, true));
        }
        let mut values = vec![];
        for (k, v) in assigns {
            let val = self.expand_word(ctx, v, false).join(" ");
            values.push((k.clone(), val));
        }
        if argv.is_empty() {
            for (k, v) in values {
                self.vars.insert(k, v);
            }
            // Redirections alone still create files.
            let o = self.apply_output_redirects(ctx, redirs, Output::ok());
            return o.with_code(if self.status_from_subst { self.last_subst_status } else { 0 });
        }
        let input = match self.input_redirect(ctx, redirs, stdin) {
            Ok(i) => i,
            Err(e) => return e,
        };
        let o = self.run_command(ctx, &argv, &values, &input);
        self.apply_output_redirects(ctx, redirs, o)
    }

    fn run_command(&mut self, ctx: &mut Ctx, argv: &[String], assigns: &[(String, String)], stdin: &str) -> Output {
        let name = argv[0].as_str();
        match name {
            "cd" => {
                let target = argv.get(1).cloned().unwrap_or_else(|| self.vars.get("HOME").cloned().unwrap_or("/".into()));
                let target = if target == "-" { self.vars.get("OLDPWD").cloned().unwrap_or(self.cwd.clone()) } else { target };
                let path = clean(&target, &self.cwd);
                ctx.cwd = self.cwd.clone();
                let fs = ctx.fs();
                if fs.is_dir(&path) {
                    self.vars.insert("OLDPWD".into(), self.cwd.clone());
                    self.cwd = path.clone();
                    self.vars.insert("PWD".into(), path);
                    Output::ok()
                } else {
                    let why = if fs.exists(&path) { "Not a directory" } else { "No such file or directory" };
                    let msg = if self.bash {
                        format!("{}cd: {target}: {why}\n", self.prefix())
                    } else if self.userland == Userland::Busybox {
                        format!("{}cd: can't cd to {target}: {why}\n", self.prefix())
                    } else {
                        format!("{}cd: can't cd to {target}\n", self.prefix())
                    };
                    Output::err(msg, if self.bash || self.userland == Userland::Busybox { 1 } else { 2 })
                }
            }
            "export" | "readonly" => {
                for a in &argv[1..] {
                    if let Some((k, v)) = a.split_once('=') {
                        self.vars.insert(k.to_string(), v.to_string());
                        self.exported.insert(k.to_string());
                    } else if a != "-p" {
                        self.exported.insert(a.clone());
                    }
                }
                if argv.len() == 1 || argv.get(1).is_some_and(|a| a == "-p") {
                    let mut o = Output::default();
                    for (k, v) in self.exported_env() {
                        o.print(format!("export {k}='{v}'\n"));
                    }
                    return o;
                }
                Output::ok()
            }
            "unset" => {
                for a in &argv[1..] {
                    self.vars.remove(a);
                    self.exported.remove(a);
                }
                Output::ok()
            }
            "set" => {
                if argv.len() > 1 && argv[1] == "--" {
                    self.args = argv[2..].to_vec();
                } else if argv.len() == 1 {
                    let mut o = Output::default();
                    for (k, v) in &self.vars {
                        o.print(format!("{k}='{v}'\n"));
                    }
                    return o;
                }
                Output::ok()
            }
            "shift" => {
                let n: usize = argv.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
                if n <= self.args.len() {
                    self.args.drain(..n);
                }
                Output::ok()
            }
            "exit" => {
                let code = argv.get(1).and_then(|a| a.parse::<i32>().ok()).map(|c| c & 0xff).unwrap_or(self.status);
                self.flow = Flow::Exit(code);
                Output::ok().with_code(code)
            }
            "break" | "continue" => {
                let n: u32 = argv.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
                self.flow = if name == "break" { Flow::Break(n) } else { Flow::Continue(n) };
                Output::ok()
            }
            ":" => Output::ok(),
            "return" => {
                let code = argv.get(1).and_then(|a| a.parse::<i32>().ok()).unwrap_or(self.status);
                self.flow = Flow::Exit(code);
                Output::ok().with_code(code)
            }
            "wait" => {
                if self.bg_forever && self.main {
                    self.flow = Flow::Forever(self.bg_server.take());
                }
                Output::ok()
            }
            "trap" | "umask" | "ulimit" | "alias" | "hash" => Output::ok(),
            "echo" => utils::echo(&argv[1..], !self.bash && self.userland == Userland::Debian),
            "read" => {
                let line = stdin.lines().next();
                match line {
                    Some(l) => {
                        let names: Vec<&String> = argv[1..].iter().filter(|a| !a.starts_with('-')).collect();
                        let fields: Vec<&str> = l.split_whitespace().collect();
                        for (i, n) in names.iter().enumerate() {
                            let v = if i + 1 == names.len() {
                                fields.get(i..).map(|f| f.join(" ")).unwrap_or_default()
                            } else {
                                fields.get(i).unwrap_or(&"").to_string()
                            };
                            self.vars.insert(n.to_string(), v);
                        }
                        Output::ok()
                    }
                    None => Output::ok().with_code(1),
                }
            }
            "eval" => {
                let src = argv[1..].join(" ");
                let mut o = Output::default();
                let node = match parse(&src) {
                    Ok(n) => n,
                    Err(_) => return Output::err(format!("{}eval: syntax error\n", self.prefix()), 2),
                };
                self.exec_node(ctx, &node, stdin, &mut o);
                o.code = self.status;
                o
            }
            "exec" => {
                if argv.len() == 1 {
                    return Output::ok();
                }
                let o = self.run_command(ctx, &argv[1..], assigns, stdin);
                if !self.stopped() {
                    self.flow = Flow::Exit(o.code);
                }
                o
            }
            "." | "source" => {
                let Some(f) = argv.get(1) else { return Output::ok() };
                ctx.cwd = self.cwd.clone();
                match ctx.fs().read(f) {
                    Ok(src) => {
                        let mut o = Output::default();
                        if let Ok(node) = parse(&src) {
                            self.exec_node(ctx, &node, stdin, &mut o);
                        }
                        o.code = self.status;
                        o
                    }
                    Err(_) => Output::err(format!("{}.: cannot open {f}: No such file\n", self.prefix()), 2),
                }
            }
            "sleep" if self.main => {
                let secs = argv.get(1).map(|s| s.as_str()).unwrap_or("");
                match utils::parse_sleep(secs) {
                    Some(None) => {
                        self.flow = Flow::Forever(None);
                        Output::ok()
                    }
                    Some(Some(ms)) => {
                        self.clock += ms;
                        Output::ok()
                    }
                    None => utils::run(ctx, argv, stdin),
                }
            }
            "tail" if self.main && argv.iter().any(|a| a == "-f" || a == "-F") => {
                self.flow = Flow::Forever(None);
                Output::ok()
            }
            _ => {
                // An external program (or a utility builtin).
                let base = name.rsplit('/').next().unwrap_or(name);
                let known =
                    super::super::image::has_program(&ctx.img, base) || matches!(base, "echo" | "printf" | "test" | "[" | "true" | "false" | "pwd" | "kill");
                if !known {
                    if name.contains('/') {
                        let msg = if self.bash {
                            format!("{}{name}: No such file or directory\n", self.prefix())
                        } else {
                            format!("{}{name}: not found\n", self.prefix())
                        };
                        return Output::err(msg, 127);
                    }
                    let msg = if self.bash { format!("{}{name}: command not found\n", self.prefix()) } else { format!("{}{name}: not found\n", self.prefix()) };
                    return Output::err(msg, 127);
                }
                let saved_env = std::mem::replace(&mut ctx.env, self.exported_env());
                for (k, v) in assigns {
                    ctx.env.insert(k.clone(), v.clone());
                }
                ctx.cwd = self.cwd.clone();
                let o = if self.main && is_server(ctx, base) {
                    // A server started from a script: it runs from now on.
                    let main = super::run_main(ctx, argv);
                    match main {
                        Main::Running { log, server } => {
                            self.flow = Flow::Forever(Some((server, log)));
                            Output::ok()
                        }
                        Main::Exited { code, log } => {
                            let mut o = Output::out(log);
                            o.code = code;
                            o
                        }
                        Main::ExitsLater { log, after, code, exit_log } => {
                            let mut o = Output::out(log);
                            self.flush(&mut o);
                            self.clock += after;
                            o.print(exit_log);
                            o.code = code;
                            o
                        }
                    }
                } else if base == "sh" || base == "bash" || base == "ash" || base == "dash" {
                    let mut sub_ctx_main = ctx.main;
                    std::mem::swap(&mut sub_ctx_main, &mut ctx.main);
                    let o = run_shell_argv(ctx, argv, stdin, Some(self));
                    std::mem::swap(&mut sub_ctx_main, &mut ctx.main);
                    o
                } else {
                    utils::run(ctx, argv, stdin)
                };
                ctx.env = saved_env;
                o
            }
        }
    }
}

fn is_server(ctx: &Ctx, base: &str) -> bool {
    use super::super::image::Server;
    matches!(
        (ctx.img.server, base),
        (Server::Postgres, "postgres")
            | (Server::Postgres, "docker-entrypoint.sh")
            | (Server::Nginx, "nginx")
            | (Server::Nginx, "docker-entrypoint.sh")
            | (Server::Httpd, "httpd-foreground")
            | (Server::Httpd, "httpd")
            | (Server::Redis, "redis-server")
            | (Server::Redis, "docker-entrypoint.sh")
            | (Server::Mysql, "mysqld")
            | (Server::Mysql, "docker-entrypoint.sh")
    )
}
