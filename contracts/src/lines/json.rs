//! Line scan of JSON (and JSON-like flow YAML) text.
//!
//! A small recursive descent over the bytes that records the line of every
//! object member and array element. It stops quietly at anything that is
//! not plain JSON, keeping what it recorded so far.

use std::collections::HashMap;

use crate::pointer;

/// Nesting deeper than this is not scanned.
const MAX_DEPTH: usize = 512;

struct Scanner<'a> {
    text: &'a str,
    at: usize,
    line: usize,
    lines: &'a mut HashMap<String, usize>,
}

/// Records the line of every member and element of the JSON `text`.
pub(super) fn scan(text: &str, lines: &mut HashMap<String, usize>) {
    let mut scanner = Scanner {
        text: text.strip_prefix('\u{feff}').unwrap_or(text),
        at: 0,
        line: 1,
        lines,
    };
    let mut pointer = String::new();
    // Stopping early is fine: whatever was recorded stays.
    let _ = scanner.value(&mut pointer, 0);
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_blanks(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.at += 1;
        }
    }

    fn value(&mut self, pointer: &mut String, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_blanks();
        match self.peek()? {
            b'{' => self.object(pointer, depth),
            b'[' => self.array(pointer, depth),
            b'"' => self.string().map(drop),
            _ => self.literal(),
        }
    }

    fn object(&mut self, pointer: &mut String, depth: usize) -> Option<()> {
        self.at += 1;
        loop {
            self.skip_blanks();
            match self.peek()? {
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                b',' => self.at += 1,
                b'"' => {
                    let line = self.line;
                    let key = self.string()?;
                    self.skip_blanks();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.at += 1;
                    let child = pointer::child(pointer, &key);
                    super::record(self.lines, &child, line);
                    let parent_len = pointer.len();
                    *pointer = child;
                    self.value(pointer, depth + 1)?;
                    pointer.truncate(parent_len);
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, pointer: &mut String, depth: usize) -> Option<()> {
        self.at += 1;
        let mut index = 0;
        loop {
            self.skip_blanks();
            match self.peek()? {
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                b',' => self.at += 1,
                _ => {
                    let child = pointer::index(pointer, index);
                    super::record(self.lines, &child, self.line);
                    let parent_len = pointer.len();
                    *pointer = child;
                    self.value(pointer, depth + 1)?;
                    pointer.truncate(parent_len);
                    index += 1;
                }
            }
        }
    }

    /// Reads a string starting at the opening quote.
    fn string(&mut self) -> Option<String> {
        let open = self.at;
        self.at += 1;
        let mut escaped = false;
        loop {
            match self.peek()? {
                b'\\' => {
                    escaped = true;
                    self.at += 2;
                }
                b'"' => break,
                b'\n' => {
                    self.line += 1;
                    self.at += 1;
                }
                _ => self.at += 1,
            }
        }
        self.at += 1;
        let quoted = self.text.get(open..self.at)?;
        if escaped {
            serde_json::from_str(quoted).ok()
        } else {
            quoted.get(1..quoted.len() - 1).map(str::to_owned)
        }
    }

    /// Skips a number, `true`, `false` or `null`.
    fn literal(&mut self) -> Option<()> {
        let start = self.at;
        while let Some(b) = self.peek() {
            if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            self.at += 1;
        }
        (self.at > start).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_members_and_elements() {
        let text = "{\n  \"paths\": {\n    \"/a\": {\n      \"get\": {\"tags\": [\n        \"x\",\n        \"y\"]}\n    }\n  },\n  \"esc\\\"aped\": [1, true, null]\n}";
        let mut lines = HashMap::new();
        scan(text, &mut lines);
        assert_eq!(lines["/paths"], 2);
        assert_eq!(lines["/paths/~1a/get"], 4);
        assert_eq!(lines["/paths/~1a/get/tags/1"], 6);
        assert_eq!(lines["/esc\"aped/2"], 9);
    }

    #[test]
    fn stops_at_non_json() {
        let mut lines = HashMap::new();
        scan("{\"a\": 1, b: [:::]}", &mut lines);
        assert_eq!(lines.len(), 1);
        scan("[:", &mut lines);
        scan("\"unterminated", &mut lines);
    }
}
