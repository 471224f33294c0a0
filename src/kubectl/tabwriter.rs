//! Go's text/tabwriter, as kubectl configures it.
//!
//! Two configurations matter:
//! - `kubectl get` (cli-runtime printers.GetNewTabWriter): github.com/liggitt/tabwriter
//!   with minwidth 6, tabwidth 4, padding 3, padchar ' ' and `RememberWidths`;
//! - `kubectl describe` (describe.tabbedString): the standard library's
//!   text/tabwriter with minwidth 0, tabwidth 8, padding 2, padchar ' ', no flags.
//!
//! The algorithm is the elastic-tabstops one of Go's package: text is split
//! into cells terminated by `\t`; the text after the last tab of a line is a
//! cell too but belongs to no column. A column is a run of consecutive lines
//! that all have a tab-terminated cell at that index (a "column block"): a line
//! with fewer cells ends the block, and its width is the widest cell of the
//! block plus padding (at least minwidth). A line with a single cell flushes
//! the writer, as a newline after one cell does in Go. Widths are counted in
//! Unicode scalar values, like `utf8.RuneCount`.

/// One cell: its text and its width. (Go also records whether a tab
/// terminated it, which only the DiscardEmptyColumns flag kubectl does not
/// use looks at.)
#[derive(Clone, Debug, Default)]
struct Cell {
    text: String,
    width: usize,
}

/// A streaming tab writer; call [`TabWriter::write`] any number of times,
/// then [`TabWriter::finish`] (which flushes) to get the output.
#[derive(Clone, Debug)]
pub struct TabWriter {
    minwidth: usize,
    tabwidth: usize,
    padding: usize,
    padchar: char,
    /// liggitt/tabwriter's RememberWidths flag.
    remember_widths: bool,
    /// Completed lines of the current block of text (the last entry is the
    /// line being written).
    lines: Vec<Vec<Cell>>,
    /// The incomplete cell at the end of the current line.
    cell: String,
    widths: Vec<usize>,
    maxwidths: Vec<usize>,
    out: String,
}

impl TabWriter {
    pub fn new(minwidth: usize, tabwidth: usize, padding: usize, padchar: char, remember_widths: bool) -> TabWriter {
        TabWriter {
            minwidth,
            tabwidth,
            padding,
            padchar,
            remember_widths,
            lines: vec![vec![]],
            cell: String::new(),
            widths: vec![],
            maxwidths: vec![],
            out: String::new(),
        }
    }

    /// `printers.GetNewTabWriter`: what `kubectl get` aligns its tables with.
    pub fn kubectl() -> TabWriter {
        TabWriter::new(6, 4, 3, ' ', true)
    }

    /// The writer `kubectl describe` formats its output with.
    pub fn describe() -> TabWriter {
        TabWriter::new(0, 8, 2, ' ', false)
    }

    /// `SetRememberedWidths(nil)`: forget the widths of earlier tables.
    pub fn reset_remembered_widths(&mut self) {
        self.maxwidths.clear();
    }

    pub fn write(&mut self, text: &str) {
        let mut start = 0;
        for (i, ch) in text.char_indices() {
            match ch {
                '\t' | '\x0b' | '\n' | '\x0c' => {
                    self.cell.push_str(&text[start..i]);
                    start = i + 1;
                    let ncells = self.terminate_cell();
                    if ch == '\n' || ch == '\x0c' {
                        self.lines.push(vec![]);
                        if ch == '\x0c' || ncells == 1 {
                            // A line of one cell cannot influence the
                            // formatting of the lines after it: flush.
                            self.flush();
                        }
                    }
                }
                _ => {}
            }
        }
        self.cell.push_str(&text[start..]);
    }

    fn terminate_cell(&mut self) -> usize {
        let text = std::mem::take(&mut self.cell);
        let width = text.chars().count();
        let line = self.lines.last_mut().expect("there is always a current line");
        line.push(Cell { text, width });
        line.len()
    }

    /// Formats and writes out everything buffered so far.
    pub fn flush(&mut self) {
        if !self.cell.is_empty() {
            self.terminate_cell();
        }
        let n = self.lines.len();
        self.format(0, n);
        self.lines = vec![vec![]];
        self.widths.clear();
    }

    /// Flushes and returns the formatted text.
    pub fn finish(mut self) -> String {
        self.flush();
        self.out
    }

    /// Flushes and takes the text formatted so far, keeping the writer (and
    /// its remembered widths) for more.
    pub fn take_output(&mut self) -> String {
        self.flush();
        std::mem::take(&mut self.out)
    }

    fn format(&mut self, mut line0: usize, line1: usize) {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            // A cell exists in this column: print the lines before the block.
            self.write_lines(line0, this);
            line0 = this;

            // The column block: consecutive lines with a cell in this column.
            let mut width = self.minwidth;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                let w = line[column].width + self.padding;
                if w > width {
                    width = w;
                }
                this += 1;
            }

            if self.remember_widths {
                if self.maxwidths.len() < self.widths.len() {
                    let from = self.maxwidths.len();
                    self.maxwidths.extend_from_slice(&self.widths[from..]);
                }
                let c = self.widths.len();
                if self.maxwidths.len() == c {
                    self.maxwidths.push(width);
                } else if self.maxwidths[c] > width {
                    width = self.maxwidths[c];
                } else if self.maxwidths[c] < width {
                    self.maxwidths[c] = width;
                }
            }

            // Format the columns to the right of this one within the block.
            self.widths.push(width);
            self.format(line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1);
    }

    fn write_lines(&mut self, line0: usize, line1: usize) {
        let total = self.lines.len();
        for i in line0..line1 {
            for (j, c) in self.lines[i].iter().enumerate() {
                self.out.push_str(&c.text);
                if j < self.widths.len() {
                    let pad = self.widths[j].saturating_sub(c.width);
                    if self.padchar == '\t' {
                        // Tab padding: round the cell up to a multiple of tabwidth.
                        if self.tabwidth > 0 {
                            let cellw = self.widths[j].div_ceil(self.tabwidth) * self.tabwidth;
                            let n = cellw - c.width;
                            for _ in 0..n.div_ceil(self.tabwidth) {
                                self.out.push('\t');
                            }
                        }
                    } else {
                        for _ in 0..pad {
                            self.out.push(self.padchar);
                        }
                    }
                }
            }
            if i + 1 != total {
                self.out.push('\n');
            }
            // The last buffered line has no newline; its text (if any) was
            // terminated as a cell by flush and printed above.
        }
    }
}

/// Aligns tab-separated text as `kubectl get` does.
pub fn format_table(text: &str) -> String {
    let mut w = TabWriter::kubectl();
    w.write(text);
    w.finish()
}

/// Aligns tab-separated text as `kubectl describe` does.
pub fn format_describe(text: &str) -> String {
    let mut w = TabWriter::describe();
    w.write(text);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_doc_example() {
        // From the package documentation: b and c are in distinct columns,
        // d and e in none.
        let mut w = TabWriter::new(0, 8, 1, '.', false);
        w.write("aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n");
        assert_eq!(w.finish(), "aaaa.bbb.d\naa...b...dd\na....\naa...cccc.eee\n");
    }

    #[test]
    fn go_example_elastic() {
        // text/tabwriter's Example_elastic (minwidth 0, tabwidth 8, padding 1, '.', AlignRight|Debug
        // is not supported; this is the left-aligned variant).
        let mut w = TabWriter::new(0, 8, 1, '.', false);
        w.write("a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n");
        assert_eq!(w.finish(), "a....b..c\naa...bb.cc\naaa..\naaaa.dddd.eeee\n");
    }

    #[test]
    fn trailing_tab_cells_are_columns() {
        let mut w = TabWriter::new(0, 0, 1, '-', false);
        w.write("a\tb\taligned\t\naa\tbb\taligned\t\naaa\tbbb\tunaligned\naaaa\tbbbb\taligned\t\n");
        assert_eq!(w.finish(), "a----b----aligned-\naa---bb---aligned-\naaa--bbb--unaligned\naaaa-bbbb-aligned-\n");
    }

    #[test]
    fn pending_pvc_row_from_transcript() {
        // seed003: a Pending claim with no volume, capacity, access modes or class.
        let text = "NAME\tSTATUS\tVOLUME\tCAPACITY\tACCESS MODES\tSTORAGECLASS\tVOLUMEATTRIBUTESCLASS\tAGE\n\
                    claim-http\tPending\t\t\t\t\t<unset>\t5s\n\
                    claim-mysql\tPending\t\t\t\t\t<unset>\t5s\n";
        assert_eq!(
            format_table(text),
            "NAME          STATUS    VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE\n\
             claim-http    Pending                                                     <unset>                 5s\n\
             claim-mysql   Pending                                                     <unset>                 5s\n"
        );
    }

    #[test]
    fn minwidth_applies_to_short_columns() {
        // `NAME   READY   AGE` for a StatefulSet called pg: NAME is 4 wide + 3 padding
        // = 7 >= 6; READY 5 + 3 = 8.
        assert_eq!(format_table("NAME\tREADY\tAGE\npg\t3/3\t2m\n"), "NAME   READY   AGE\npg     3/3     2m\n");
        // A column of one-letter cells is still minwidth (6) wide.
        assert_eq!(format_table("A\tB\nx\ty\n"), "A     B\nx     y\n");
    }

    #[test]
    fn single_cell_lines_end_blocks() {
        // describe: a section header line (one cell) splits the alignment.
        let text = "Name:\tpvc\nLabels:\t<none>\nSource:\n    Type:\tNFS\n    ReadOnly:\tfalse\nEvents:\t<none>\n";
        assert_eq!(format_describe(text), "Name:    pvc\nLabels:  <none>\nSource:\n    Type:      NFS\n    ReadOnly:  false\nEvents:        <none>\n");
    }

    #[test]
    fn remember_widths_keeps_the_widest_column_across_flushes() {
        let mut w = TabWriter::kubectl();
        w.write("LONGNAME\tX\n\nA\tB\n");
        // The second table (after the one-cell blank line flushed) keeps the
        // first table's column width.
        assert_eq!(w.finish(), "LONGNAME   X\n\nA          B\n");
        let mut w = TabWriter::kubectl();
        w.write("LONGNAME\tX\n");
        w.take_output();
        w.reset_remembered_widths();
        w.write("A\tB\n");
        assert_eq!(w.finish(), "A     B\n");
    }

    #[test]
    fn text_without_final_newline_is_kept() {
        assert_eq!(format_table("a\tb\nlast"), "a     b\nlast");
        assert_eq!(format_describe(""), "");
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        assert_eq!(format_describe("é\tx\nab\ty\n"), "é   x\nab  y\n");
    }
}
