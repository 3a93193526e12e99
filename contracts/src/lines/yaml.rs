//! Line scan of block-style YAML.
//!
//! Walks the text line by line keeping a stack of open nodes (mapping keys
//! and sequence entries) with the column they start at; a new key or entry
//! closes every node indented at least as deep. Lines continuing a scalar
//! (block scalars, folded plain scalars, multi-line flow collections) are
//! skipped by indentation. Keys inside flow collections are not recorded.

use std::collections::HashMap;

use crate::pointer;

/// An open mapping key or sequence entry.
struct Node {
    /// Column of the key or of the `-`; the root has -1.
    column: isize,
    pointer: String,
    /// Index the next sequence entry below this node gets.
    next_entry: usize,
    /// Whether this node is a sequence entry.
    entry: bool,
}

struct Scanner<'a> {
    stack: Vec<Node>,
    /// Lines indented deeper than this column continue the last scalar.
    continuation_deeper_than: Option<isize>,
    lines: &'a mut HashMap<String, usize>,
}

/// Records the line of every block-style key and sequence entry of `text`.
pub(super) fn scan(text: &str, lines: &mut HashMap<String, usize>) {
    let mut scanner = Scanner {
        stack: vec![Node {
            column: -1,
            pointer: String::new(),
            next_entry: 0,
            entry: false,
        }],
        continuation_deeper_than: None,
        lines,
    };
    for (number, raw) in text.lines().enumerate() {
        scanner.line(number + 1, raw.trim_start_matches('\u{feff}'));
    }
}

impl Scanner<'_> {
    fn line(&mut self, number: usize, raw: &str) {
        let content = raw.trim_start_matches(' ');
        let column = (raw.len() - content.len()) as isize;
        let content = content.trim_end();
        if content.is_empty() || content.starts_with('#') {
            return;
        }
        if let Some(limit) = self.continuation_deeper_than {
            if column > limit {
                return;
            }
            self.continuation_deeper_than = None;
        }
        let marker = content == "---"
            || content.starts_with("--- ")
            || content == "..."
            || content.starts_with('%');
        if column == 0 && marker {
            return;
        }
        self.node(number, column, content);
    }

    fn node(&mut self, number: usize, mut column: isize, mut content: &str) {
        let mut owner = column;
        loop {
            if let Some(rest) = sequence_entry(content) {
                self.close(|node| node.column > column || (node.column == column && node.entry));
                let pointer = self.open_entry();
                self.record(&pointer, number);
                self.stack.push(Node {
                    column,
                    pointer,
                    next_entry: 0,
                    entry: true,
                });
                owner = column;
                let value = rest.trim_start_matches(' ');
                if is_empty_value(value) {
                    return;
                }
                column += (content.len() - value.len()) as isize;
                content = value;
                continue;
            }
            if let Some((key, value)) = split_key(content) {
                self.close(|node| node.column >= column);
                let parent = self.stack.last().map_or("", |node| node.pointer.as_str());
                let pointer = pointer::child(parent, &key);
                self.record(&pointer, number);
                self.stack.push(Node {
                    column,
                    pointer,
                    next_entry: 0,
                    entry: false,
                });
                if !is_empty_value(value) {
                    self.continuation_deeper_than = Some(column);
                }
                return;
            }
            self.continuation_deeper_than = Some(owner);
            return;
        }
    }

    /// Pops open nodes matching `done`, never the root.
    fn close(&mut self, done: impl Fn(&Node) -> bool) {
        while self.stack.len() > 1 && self.stack.last().is_some_and(&done) {
            self.stack.pop();
        }
    }

    /// Pointer of a new sequence entry below the innermost open node.
    fn open_entry(&mut self) -> String {
        match self.stack.last_mut() {
            Some(parent) => {
                let pointer = pointer::index(&parent.pointer, parent.next_entry);
                parent.next_entry += 1;
                pointer
            }
            None => String::new(),
        }
    }

    fn record(&mut self, pointer: &str, number: usize) {
        super::record(self.lines, pointer, number);
    }
}

/// The text after `-` when `content` starts a sequence entry.
fn sequence_entry(content: &str) -> Option<&str> {
    let rest = content.strip_prefix('-')?;
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
}

/// Whether a value is absent: nothing but anchors, tags and a comment.
fn is_empty_value(mut value: &str) -> bool {
    loop {
        value = value.trim_start();
        if value.starts_with(['&', '!']) {
            value = value.find([' ', '\t']).map_or("", |end| &value[end..]);
        } else {
            return value.is_empty() || value.starts_with('#');
        }
    }
}

/// Splits `key: value` into the unquoted key and the value text.
fn split_key(content: &str) -> Option<(String, &str)> {
    let (key, rest) = match content.as_bytes().first()? {
        b'"' => {
            let end = closing_double_quote(content)?;
            (
                unescape_double(content.get(1..end)?),
                content.get(end + 1..)?,
            )
        }
        b'\'' => {
            let end = closing_single_quote(content)?;
            (
                content.get(1..end)?.replace("''", "'"),
                content.get(end + 1..)?,
            )
        }
        b'{' | b'[' | b'?' | b'|' | b'>' | b'&' | b'*' | b'!' | b'#' => return None,
        _ => {
            let at = plain_key_end(content)?;
            (content[..at].trim_end().to_owned(), &content[at..])
        }
    };
    let value = rest.trim_start_matches(' ').strip_prefix(':')?;
    (value.is_empty() || value.starts_with([' ', '\t'])).then(|| (key, value.trim_start()))
}

/// Byte offset of the `:` ending a plain key (followed by a blank or the end).
fn plain_key_end(content: &str) -> Option<usize> {
    let bytes = content.as_bytes();
    for (at, &b) in bytes.iter().enumerate() {
        let next = bytes.get(at + 1);
        match b {
            b':' if matches!(next, None | Some(b' ' | b'\t')) => return Some(at),
            b' ' | b'\t' if next == Some(&b'#') => return None,
            _ => {}
        }
    }
    None
}

fn closing_double_quote(content: &str) -> Option<usize> {
    let bytes = content.as_bytes();
    let mut at = 1;
    while let Some(&b) = bytes.get(at) {
        match b {
            b'\\' => at += 2,
            b'"' => return Some(at),
            _ => at += 1,
        }
    }
    None
}

fn closing_single_quote(content: &str) -> Option<usize> {
    let bytes = content.as_bytes();
    let mut at = 1;
    while let Some(&b) = bytes.get(at) {
        if b == b'\'' {
            if bytes.get(at + 1) == Some(&b'\'') {
                at += 2;
                continue;
            }
            return Some(at);
        }
        at += 1;
    }
    None
}

/// Undoes the common escapes of a double-quoted key.
fn unescape_double(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> HashMap<String, usize> {
        let mut lines = HashMap::new();
        scan(text, &mut lines);
        lines
    }

    #[test]
    fn records_keys_and_sequence_entries() {
        let text = "\
openapi: 3.0.3
info:
  title: Orders
  description: |
    text: that looks like a key
    more
paths:
  '/orders/{orderId}':
    parameters:
      - $ref: '#/components/parameters/OrderId'
      - name: expand
        in: query
    get:
      tags:
      - Orders
      - Admin
      summary: a folded
        plain scalar: continued
      responses:
        \"200\": # ok
          description: ok
";
        let lines = lines(text);
        assert_eq!(lines["/openapi"], 1);
        assert_eq!(lines["/info/description"], 4);
        assert!(!lines.contains_key("/info/description/text"));
        assert_eq!(lines["/paths/~1orders~1{orderId}"], 8);
        assert_eq!(lines["/paths/~1orders~1{orderId}/parameters/0"], 10);
        assert_eq!(lines["/paths/~1orders~1{orderId}/parameters/0/$ref"], 10);
        assert_eq!(lines["/paths/~1orders~1{orderId}/parameters/1/in"], 12);
        assert_eq!(lines["/paths/~1orders~1{orderId}/get/tags/1"], 16);
        assert_eq!(lines["/paths/~1orders~1{orderId}/get/summary"], 17);
        assert!(!lines.contains_key("/paths/~1orders~1{orderId}/get/summary/plain scalar"));
        assert_eq!(lines["/paths/~1orders~1{orderId}/get/responses"], 19);
        assert_eq!(
            lines["/paths/~1orders~1{orderId}/get/responses/200/description"],
            21
        );
    }

    #[test]
    fn handles_nested_sequences_anchors_and_markers() {
        let text = "---\nmatrix:\n  - - a\n    - b\n  - &x\n    k: v\nlast: 'it''s'\n...\n";
        let lines = lines(text);
        assert_eq!(lines["/matrix/0/0"], 3);
        assert_eq!(lines["/matrix/0/1"], 4);
        assert_eq!(lines["/matrix/1/k"], 6);
        assert_eq!(lines["/last"], 7);
    }

    #[test]
    fn splits_keys() {
        assert_eq!(split_key("a: b"), Some(("a".into(), "b")));
        assert_eq!(
            split_key("inventory:read: Read"),
            Some(("inventory:read".into(), "Read"))
        );
        assert_eq!(split_key("\"a\\\"b\": 1"), Some(("a\"b".into(), "1")));
        assert_eq!(split_key("'it''s':"), Some(("it's".into(), "")));
        assert_eq!(split_key("https://example.com"), None);
        assert_eq!(split_key("text # a: comment"), None);
        assert_eq!(split_key("{a: 1}"), None);
        assert_eq!(split_key("\"unterminated: 1"), None);
    }
}
