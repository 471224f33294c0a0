//! Text layout the programs share: display width of text (wide East Asian
//! characters take two columns, combining marks none), and psql's table
//! printer (print.c's aligned and unaligned formats, border 1).

/// Columns a character takes on a terminal (as PostgreSQL's
/// `ucs_wcwidth` computes it, for the common ranges).
pub fn char_width(c: char) -> usize {
    let u = c as u32;
    if u == 0 {
        return 0;
    }
    if u < 0x20 || (0x7f..0xa0).contains(&u) {
        return 1;
    }
    // Combining marks.
    if (0x0300..=0x036f).contains(&u)
        || (0x0483..=0x0489).contains(&u)
        || (0x0591..=0x05bd).contains(&u)
        || (0x0610..=0x061a).contains(&u)
        || (0x064b..=0x065f).contains(&u)
        || (0x200b..=0x200f).contains(&u)
        || (0x20d0..=0x20ff).contains(&u)
        || (0xfe00..=0xfe0f).contains(&u)
        || (0xfe20..=0xfe2f).contains(&u)
    {
        return 0;
    }
    let wide = (0x1100..=0x115f).contains(&u)
        || (0x2e80..=0xa4cf).contains(&u) && u != 0x303f
        || (0xac00..=0xd7a3).contains(&u)
        || (0xf900..=0xfaff).contains(&u)
        || (0xfe30..=0xfe6f).contains(&u)
        || (0xff00..=0xff60).contains(&u)
        || (0xffe0..=0xffe6).contains(&u)
        || (0x1f300..=0x1f64f).contains(&u)
        || (0x1f900..=0x1f9ff).contains(&u)
        || (0x20000..=0x2fffd).contains(&u)
        || (0x30000..=0x3fffd).contains(&u);
    if wide { 2 } else { 1 }
}

pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// A result set as psql prints it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub title: Option<String>,
    pub headers: Vec<String>,
    /// 'l' or 'r' per column.
    pub aligns: Vec<char>,
    /// Cells; None is SQL NULL.
    pub rows: Vec<Vec<Option<String>>>,
    /// Footer lines; None means the default "(N rows)".
    pub footers: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PrintOpts {
    pub tuples_only: bool,
    pub unaligned: bool,
    pub field_sep: String,
    pub null: String,
    pub footer: bool,
}

impl Default for PrintOpts {
    fn default() -> Self {
        PrintOpts { tuples_only: false, unaligned: false, field_sep: "|".into(), null: String::new(), footer: true }
    }
}

impl Table {
    fn footer_lines(&self) -> Vec<String> {
        match &self.footers {
            Some(f) => f.clone(),
            None => {
                let n = self.rows.len();
                vec![if n == 1 { "(1 row)".to_string() } else { format!("({n} rows)") }]
            }
        }
    }

    pub fn print(&self, o: &PrintOpts) -> String {
        if o.unaligned {
            return self.print_unaligned(o);
        }
        self.print_aligned(o)
    }

    fn print_unaligned(&self, o: &PrintOpts) -> String {
        let mut out = String::new();
        if !o.tuples_only {
            if let Some(t) = &self.title {
                out.push_str(t);
                out.push('\n');
            }
            out.push_str(&self.headers.join(&o.field_sep));
            out.push('\n');
        }
        for r in &self.rows {
            let cells: Vec<String> = r.iter().map(|c| c.clone().unwrap_or_else(|| o.null.clone())).collect();
            out.push_str(&cells.join(&o.field_sep));
            out.push('\n');
        }
        if !o.tuples_only && o.footer {
            for f in self.footer_lines() {
                out.push_str(&f);
                out.push('\n');
            }
        }
        out
    }

    fn print_aligned(&self, o: &PrintOpts) -> String {
        let n = self.headers.len();
        let cell = |c: &Option<String>| c.clone().unwrap_or_else(|| o.null.clone());
        // Each cell split into its lines.
        let hdr_lines: Vec<Vec<String>> = self.headers.iter().map(|h| h.split('\n').map(|s| s.to_string()).collect()).collect();
        let row_lines: Vec<Vec<Vec<String>>> =
            self.rows.iter().map(|r| r.iter().map(|c| cell(c).split('\n').map(|s| s.to_string()).collect()).collect()).collect();
        let mut widths = vec![0usize; n];
        for (i, h) in hdr_lines.iter().enumerate() {
            for l in h {
                widths[i] = widths[i].max(width(l));
            }
        }
        for r in &row_lines {
            for (i, c) in r.iter().enumerate() {
                for l in c {
                    widths[i] = widths[i].max(width(l));
                }
            }
        }
        let mut out = String::new();
        if !o.tuples_only {
            if let Some(t) = &self.title {
                let total: usize = widths.iter().sum::<usize>() + if n > 0 { n * 3 - 1 } else { 0 };
                let tw = width(t);
                if tw >= total {
                    out.push_str(t);
                } else {
                    out.push_str(&" ".repeat((total - tw) / 2));
                    out.push_str(t);
                }
                out.push('\n');
            }
            // Header (centered), possibly on several lines.
            let hmax = hdr_lines.iter().map(|h| h.len()).max().unwrap_or(1);
            for ln in 0..hmax {
                for i in 0..n {
                    out.push_str(if ln > 0 { "+" } else { " " });
                    match hdr_lines[i].get(ln) {
                        Some(t) => {
                            let sp = widths[i] - width(t);
                            out.push_str(&" ".repeat(sp / 2));
                            out.push_str(t);
                            out.push_str(&" ".repeat(sp.div_ceil(2)));
                        }
                        None => out.push_str(&" ".repeat(widths[i])),
                    }
                    out.push_str(if hdr_lines[i].len() > ln + 1 { "+" } else { " " });
                    if i + 1 < n {
                        out.push('|');
                    }
                }
                out.push('\n');
            }
            let seps: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
            out.push_str(&seps.join("+"));
            out.push('\n');
        }
        for r in &row_lines {
            let lmax = r.iter().map(|c| c.len()).max().unwrap_or(1);
            for ln in 0..lmax {
                for j in 0..n {
                    let last = j + 1 == n;
                    out.push(' ');
                    let more = r[j].len() > ln + 1;
                    match r[j].get(ln) {
                        Some(t) => {
                            let pad = widths[j] - width(t);
                            if self.aligns.get(j) == Some(&'r') {
                                out.push_str(&" ".repeat(pad));
                                out.push_str(t);
                            } else {
                                out.push_str(t);
                                if !last || more {
                                    out.push_str(&" ".repeat(pad));
                                }
                            }
                        }
                        None => {
                            if !last {
                                out.push_str(&" ".repeat(widths[j]));
                            }
                        }
                    }
                    if more {
                        out.push('+');
                    } else if !last {
                        out.push(' ');
                    }
                    if !last {
                        out.push('|');
                    }
                }
                out.push('\n');
            }
        }
        if !o.tuples_only && o.footer {
            for f in self.footer_lines() {
                out.push_str(&f);
                out.push('\n');
            }
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(headers: &[&str], aligns: &str, rows: &[&[Option<&str>]]) -> Table {
        Table {
            title: None,
            headers: headers.iter().map(|s| s.to_string()).collect(),
            aligns: aligns.chars().collect(),
            rows: rows.iter().map(|r| r.iter().map(|c| c.map(|s| s.to_string())).collect()).collect(),
            footers: None,
        }
    }

    #[test]
    fn aligned_matches_psql() {
        let tab = t(&["id", "name"], "rl", &[&[Some("1"), Some("Alice")]]);
        assert_eq!(tab.print(&PrintOpts::default()), " id | name  \n----+-------\n  1 | Alice\n(1 row)\n\n");
        let tab = t(&["count"], "r", &[&[Some("2")]]);
        assert_eq!(tab.print(&PrintOpts::default()), " count \n-------\n     2\n(1 row)\n\n");
        let tab = t(&["id", "name"], "rl", &[]);
        assert_eq!(tab.print(&PrintOpts::default()), " id | name \n----+------\n(0 rows)\n\n");
    }

    #[test]
    fn nulls_middle_columns_and_wide_text() {
        let tab = t(&["name", "id"], "lr", &[&[None, Some("10")], &[Some("日本"), Some("2")]]);
        assert_eq!(tab.print(&PrintOpts::default()), " name | id \n------+----\n      | 10\n 日本 |  2\n(2 rows)\n\n");
    }

    #[test]
    fn multi_line_cells_get_plus_marks() {
        let tab = t(&["a", "b"], "ll", &[&[Some("x\ny"), Some("z")]]);
        assert_eq!(tab.print(&PrintOpts::default()), " a | b \n---+---\n x+| z\n y | \n(1 row)\n\n");
    }

    #[test]
    fn tuples_only_and_unaligned() {
        let tab = t(&["id", "name"], "rl", &[&[Some("1"), Some("Alice")]]);
        let o = PrintOpts { tuples_only: true, ..Default::default() };
        assert_eq!(tab.print(&o), "  1 | Alice\n\n");
        let o = PrintOpts { unaligned: true, ..Default::default() };
        assert_eq!(tab.print(&o), "id|name\n1|Alice\n(1 row)\n");
        let o = PrintOpts { unaligned: true, tuples_only: true, ..Default::default() };
        assert_eq!(tab.print(&o), "1|Alice\n");
    }

    #[test]
    fn title_is_centered() {
        let mut tab = t(&["Schema", "Name", "Type", "Owner"], "llll", &[&[Some("public"), Some("users"), Some("table"), Some("postgres")]]);
        tab.title = Some("List of relations".into());
        assert_eq!(
            tab.print(&PrintOpts::default()),
            "         List of relations\n Schema | Name  | Type  |  Owner   \n--------+-------+-------+----------\n public | users | table | postgres\n(1 row)\n\n"
        );
    }
}
