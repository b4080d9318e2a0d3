//! Small readers for the languages doctor looks into without a full parser:
//! comments blanked out (offsets and lines kept), shell words as the shell
//! hands them to a program, and Bicep object and array literals.

/// The 1-based line of byte `offset` in `text`.
pub fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The first line holding `needle` at or after line `from`, or `from`.
pub fn line_of(text: &str, needle: &str, from: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(needle))
        .map_or(from.max(1), |(i, _)| i + 1)
}

/// `text` with comments replaced by spaces (newlines kept): `//` and
/// `/* */` always, `#` too when `hash` (HCL). Strings are quoted with
/// `quote` and may escape it with a backslash.
pub fn blank_comments(text: &str, quote: u8, hash: bool) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == quote {
            i += 1;
            while i < b.len() && b[i] != quote && b[i] != b'\n' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if (c == b'/' && b.get(i + 1) == Some(&b'/')) || (hash && c == b'#') {
            while i < b.len() && b[i] != b'\n' {
                out[i] = b' ';
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                if b[i] != b'\n' {
                    out[i] = b' ';
                }
                i += 1;
            }
            let end = (i + 2).min(b.len());
            out[i..end].fill(b' ');
            i += 2;
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// A word of a shell command: what the program receives, what was
/// written, and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub value: String,
    pub raw: String,
    pub line: usize,
}

/// The commands of a POSIX shell script, split into words the way the
/// shell splits them (quotes removed, backslash-newline joined, `#`
/// comments dropped); commands end at a newline, `;`, `&&`, `||` or `|`.
/// Expansions (`$VAR`) are kept as written.
pub fn shell_commands(text: &str) -> Vec<Vec<Word>> {
    let b: Vec<char> = text.chars().collect();
    let mut cmds = Vec::new();
    let mut cmd: Vec<Word> = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let mut word: Option<Word> = None;
    let end_word = |word: &mut Option<Word>, cmd: &mut Vec<Word>| {
        if let Some(w) = word.take() {
            cmd.push(w);
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            '\\' if b.get(i + 1) == Some(&'\n') => {
                line += 1;
                i += 2;
            }
            '\n' | ';' | '&' | '|' => {
                end_word(&mut word, &mut cmd);
                if !cmd.is_empty() {
                    cmds.push(std::mem::take(&mut cmd));
                }
                if c == '\n' {
                    line += 1;
                }
                i += 1;
            }
            ' ' | '\t' | '\r' => {
                end_word(&mut word, &mut cmd);
                i += 1;
            }
            '#' if word.is_none() => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            }
            _ => {
                let w = word.get_or_insert_with(|| Word {
                    value: String::new(),
                    raw: String::new(),
                    line,
                });
                word_part(&b, &mut i, &mut line, w);
            }
        }
    }
    end_word(&mut word, &mut cmd);
    if !cmd.is_empty() {
        cmds.push(cmd);
    }
    cmds
}

/// One part of a word starting at `b[*i]` (a quoted string, an escaped
/// character or a plain one), added to `w`; `*i` moves past it and `*line`
/// counts the newlines in it.
fn word_part(b: &[char], i: &mut usize, line: &mut usize, w: &mut Word) {
    let c = b[*i];
    match c {
        '\'' | '"' => {
            w.raw.push(c);
            *i += 1;
            while *i < b.len() && b[*i] != c {
                // Inside double quotes a backslash escapes only these.
                if c == '"'
                    && b[*i] == '\\'
                    && matches!(b.get(*i + 1), Some('"' | '\\' | '$' | '`'))
                {
                    w.raw.push(b[*i]);
                    *i += 1;
                }
                if b[*i] == '\n' {
                    *line += 1;
                }
                w.value.push(b[*i]);
                w.raw.push(b[*i]);
                *i += 1;
            }
            w.raw.push(c);
            *i += 1;
        }
        '\\' => {
            w.raw.push(c);
            if let Some(n) = b.get(*i + 1) {
                w.value.push(*n);
                w.raw.push(*n);
            }
            *i += 2;
        }
        _ => {
            w.value.push(c);
            w.raw.push(c);
            *i += 1;
        }
    }
}

/// A Bicep value, as far as doctor needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Entries with the byte offset of each key.
    Object(Vec<(String, usize, Value)>),
    Array(Vec<Value>),
    /// A string literal (its content as written, `${}` kept) and its offset.
    Str(String, usize),
    /// Anything else, as written (numbers, booleans, references, calls).
    Other(String, usize),
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _, _)| k == key).map(|e| &e.2),
            _ => None,
        }
    }

    pub fn key_offset(&self, key: &str) -> Option<usize> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _, _)| k == key).map(|e| e.1),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Value::Str(s, _) => Some(s),
            _ => None,
        }
    }

    /// Every object in this value, this one included, depth first.
    pub fn objects<'a>(&'a self, out: &mut Vec<&'a Value>) {
        match self {
            Value::Object(entries) => {
                out.push(self);
                for (_, _, v) in entries {
                    v.objects(out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| v.objects(out)),
            _ => {}
        }
    }
}

/// A reader of Bicep literals over comment-free text.
pub struct Bicep<'a> {
    b: &'a [u8],
    pub pos: usize,
}

impl<'a> Bicep<'a> {
    pub fn new(text: &'a str, pos: usize) -> Self {
        Bicep {
            b: text.as_bytes(),
            pos,
        }
    }

    fn skip(&mut self, newlines: bool) {
        while let Some(&c) = self.b.get(self.pos) {
            if c == b' ' || c == b'\t' || c == b'\r' || (newlines && (c == b'\n' || c == b',')) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn string(&mut self) -> String {
        let start = self.pos + 1;
        self.pos += 1;
        let mut depth = 0;
        while let Some(&c) = self.b.get(self.pos) {
            match c {
                b'\\' => self.pos += 1,
                b'$' if self.b.get(self.pos + 1) == Some(&b'{') => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' if depth > 0 => depth -= 1,
                b'\'' if depth == 0 => break,
                b'\n' => break,
                _ => {}
            }
            self.pos += 1;
        }
        let s = String::from_utf8_lossy(&self.b[start..self.pos.min(self.b.len())]).into_owned();
        self.pos += 1;
        s
    }

    /// The value at the current position.
    pub fn value(&mut self) -> Value {
        self.skip(false);
        let at = self.pos;
        match self.b.get(self.pos) {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'\'') => Value::Str(self.string(), at),
            _ => self.other(at),
        }
    }

    /// An object: `{` (at the current position), its entries, `}`.
    fn object(&mut self) -> Value {
        self.pos += 1;
        let mut entries = Vec::new();
        while self.more(b'}') {
            let key_at = self.pos;
            if self.b[self.pos] == b'\'' {
                let key = self.string();
                self.entry(key, key_at, &mut entries);
                continue;
            }
            let mut key = String::new();
            while let Some(&c) = self.b.get(self.pos) {
                if c.is_ascii_alphanumeric() || c == b'_' {
                    key.push(c as char);
                    self.pos += 1;
                } else {
                    break;
                }
            }
            if key.is_empty() {
                self.pos += 1;
                continue;
            }
            self.entry(key, key_at, &mut entries);
        }
        Value::Object(entries)
    }

    /// An array: `[` (at the current position), its items, `]`.
    fn array(&mut self) -> Value {
        self.pos += 1;
        let mut items = Vec::new();
        while self.more(b']') {
            let before = self.pos;
            items.push(self.value());
            if self.pos == before {
                self.pos += 1;
            }
        }
        Value::Array(items)
    }

    /// Moves to the next entry or item of a bracket that `close` ends:
    /// false at `close` (then past it) or at the end of the text.
    fn more(&mut self, close: u8) -> bool {
        self.skip(true);
        match self.b.get(self.pos) {
            None => false,
            Some(&c) if c == close => {
                self.pos += 1;
                false
            }
            Some(_) => true,
        }
    }

    /// Anything else, as written from `at`: up to a `,`, a newline or a
    /// closing bracket outside brackets of its own.
    fn other(&mut self, at: usize) -> Value {
        let mut depth = 0i32;
        while let Some(&c) = self.b.get(self.pos) {
            match c {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth > 0 => depth -= 1,
                b')' | b']' | b'}' | b',' | b'\n' if depth == 0 => break,
                b'\'' => {
                    self.string();
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
        let raw = String::from_utf8_lossy(&self.b[at..self.pos])
            .trim()
            .to_string();
        Value::Other(raw, at)
    }

    fn entry(&mut self, key: String, key_at: usize, entries: &mut Vec<(String, usize, Value)>) {
        self.skip(false);
        if self.b.get(self.pos) != Some(&b':') {
            return;
        }
        self.pos += 1;
        let v = self.value();
        entries.push((key, key_at, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_lose_their_quotes() {
        let cmds = shell_commands(
            "# c\naz x \\\n  --k name=a dependsOn=[\"p\"] 'q r' \\[\"s\"\\] # tail\necho hi\n",
        );
        assert_eq!(cmds.len(), 2);
        let vals: Vec<&str> = cmds[0].iter().map(|w| w.value.as_str()).collect();
        assert_eq!(
            vals,
            ["az", "x", "--k", "name=a", "dependsOn=[p]", "q r", "[s]"]
        );
        assert_eq!(cmds[0][4].raw, "dependsOn=[\"p\"]");
        assert_eq!(cmds[0][4].line, 3);
        assert_eq!(cmds[1][0].line, 4);
    }

    #[test]
    fn bicep_objects_arrays_and_comments() {
        let text = blank_comments(
            "x = {\n  a: 'u//v' // c\n  b: [\n    { k: 'i' }\n    'j'\n  ]\n  /* d: 1 */\n  'e.f': g.h\n}\n",
            b'\'',
            false,
        );
        let v = Bicep::new(&text, 4).value();
        assert_eq!(v.get("a").and_then(Value::str), Some("u//v"));
        assert!(v.get("d").is_none());
        assert!(matches!(v.get("e.f"), Some(Value::Other(s, _)) if s == "g.h"));
        let Some(Value::Array(items)) = v.get("b") else {
            panic!("{v:?}")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(line_at(&text, v.key_offset("b").unwrap()), 3);
    }
}
