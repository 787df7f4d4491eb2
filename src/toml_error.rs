//! TOML errors for people, in the parser's own layout (the line at fault, a caret under the
//! spot, the message), without ever echoing a value: settings and rule files are where a key
//! put in the wrong place ends up (`allow = "<key>"`, a key pasted unquoted), and an error
//! message is printed, logged and pasted into tickets. So the excerpt shows the key names of the
//! line and masks every value (`*`, one per character, so the caret still points at the right
//! column), quoted values are dropped from the parser's message, and any long run of letters and
//! digits that holds a digit is masked wherever it appears.

use std::fmt;

/// A TOML file that could not be parsed or did not fit its schema, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlError {
    /// The file, as the user knows it.
    pub path: String,
    /// The parser's layout: `TOML parse error at line L, column C`, the excerpt, the message.
    pub rendered: String,
}

impl fmt::Display for TomlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.rendered)
    }
}

impl std::error::Error for TomlError {}

/// Renders `e`, an error in `text` (the content of `path`).
pub fn describe(path: &str, text: &str, e: &toml::de::Error) -> TomlError {
    let message = message_without_values(e.message());
    let mut out = String::new();
    match e.span().filter(|s| s.start <= text.len()) {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or("");
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[line_start..]
                .find('\n')
                .map_or(text.len(), |i| line_start + i);
            let line = text[line_start..line_end].trim_end_matches('\r');
            let line_no = before.matches('\n').count() + 1;
            let column = text[line_start..span.start].chars().count();
            let marked = text
                .get(span.start..span.end.min(line_start + line.len()).max(span.start))
                .map_or(0, |s| s.chars().count())
                .max(1);
            let gutter = " ".repeat(line_no.to_string().len() + 1);
            out.push_str(&format!(
                "TOML parse error at line {line_no}, column {}\n",
                column + 1
            ));
            out.push_str(&format!("{gutter}|\n"));
            out.push_str(&format!("{line_no} | {}\n", mask_line(line)));
            out.push_str(&format!(
                "{gutter}| {}{}\n",
                " ".repeat(column),
                "^".repeat(marked)
            ));
            out.push_str(&message);
            // The value may sit lines below its key (`allow = [` ... `3,`): name the key.
            if let Some(key) = key_before(&text[..line_end]) {
                if !message.contains(&format!("`{key}`")) && !line.contains(key) {
                    out.push_str(&format!("\nin `{key}`"));
                }
            }
        }
        None => out.push_str(&message),
    }
    TomlError {
        path: path.to_string(),
        rendered: mask_long_runs(out.trim_end()),
    }
}

/// The parser's message without the values it quotes (`invalid type: string "<value>",
/// expected a sequence` becomes `invalid type: string, expected a sequence`).
fn message_without_values(message: &str) -> String {
    let quoted = regex::Regex::new(r#" "(?:[^"\\]|\\.)*""#).ok();
    let message = message.trim_end();
    match &quoted {
        Some(re) => re.replace_all(message, "").into_owned(),
        None => message.to_string(),
    }
}

/// A line of the file with its key names kept and its value masked. A line without `=` is all
/// value (an array continued from above), unless it is a table header of plain names.
fn mask_line(line: &str) -> String {
    let header = line.trim_start().starts_with('[')
        && !line.contains('=')
        && line.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '[' | ']' | '.' | '_' | '-' | ' ' | '\t')
        });
    if header {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut in_value = !line.contains('=');
    let mut quote: Option<char> = None;
    for c in line.chars() {
        if !in_value {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), _) if c == q => quote = None,
                (None, '=') => in_value = true,
                _ => {}
            }
            out.push(c);
            continue;
        }
        out.push(if c.is_whitespace() || "[]{},=\"'".contains(c) {
            c
        } else {
            '*'
        });
    }
    out
}

/// Masks every run of eight or more letters, digits, `-`, `_`, `+` and `/` that holds a digit:
/// the shape of a key (and of its base64), never of a setting's name.
fn mask_long_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 8 && run.chars().any(|c| c.is_ascii_digit()) {
            out.extend(run.chars().map(|_| '*'));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '/') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The key whose value runs through the end of `before`: the nearest `key =` at the start of a
/// line, looking back no further than a table header.
fn key_before(before: &str) -> Option<&str> {
    for line in before.lines().rev() {
        let line = line.trim_start();
        if line.starts_with('[') && !line.contains('=') {
            return None;
        }
        if let Some((key, _)) = line.split_once('=') {
            let key = key.trim();
            if !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
            {
                return Some(key);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Settings {
        #[serde(default)]
        allow: Vec<String>,
        #[serde(default)]
        enabled: bool,
    }

    fn render(text: &str) -> String {
        let e = toml::from_str::<Settings>(text).unwrap_err();
        describe("x.toml", text, &e).to_string()
    }

    // A random UUID v4, never issued by Lusha.
    const KEY: &str = "5b0c9f3e-7a2d-4e61-8c4b-2f9d1e0a7b36"; // lushaguard:allow (test key)

    #[test]
    fn the_layout_is_the_parsers_and_values_are_masked() {
        let text = format!("allow = \"{KEY}\"\n");
        let r = render(&text);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(
            lines[0], "x.toml: TOML parse error at line 1, column 9",
            "{r}"
        );
        assert_eq!(lines[1], "  |");
        assert_eq!(lines[2], format!("1 | allow = \"{}\"", "*".repeat(36)));
        assert_eq!(lines[3], format!("  |         {}", "^".repeat(38)));
        assert_eq!(lines[4], "invalid type: string, expected a sequence");
        assert!(!r.contains(&KEY[..8]), "{r}");
    }

    #[test]
    fn an_unquoted_key_is_masked_in_the_excerpt_and_the_message() {
        for text in [
            format!("allow = [{KEY}]\n"),
            format!("allow = [\n  \"x\",\n  {KEY},\n]\n"),
            format!("{KEY} = true\n"),
            format!("[verify]\nenabled = {KEY}\n"),
        ] {
            let r = render(&text);
            assert!(r.contains("TOML parse error at line"), "{r}");
            for part in KEY.split('-') {
                assert!(!r.contains(part), "{text}: {r}");
            }
        }
    }

    #[test]
    fn a_value_far_below_its_key_names_the_key() {
        let r = render("allow = [\n  \"x\",\n  3,\n]\n");
        assert!(r.contains("line 3, column 3"), "{r}");
        assert!(r.contains("3 |   3,") || r.contains("3 |   *,"), "{r}");
        assert!(r.ends_with("in `allow`"), "{r}");
    }

    #[test]
    fn names_of_settings_stay_readable() {
        let r = render("alow = []\n");
        assert!(r.contains("1 | alow = []"), "{r}");
        assert!(r.contains("unknown field `alow`"), "{r}");
    }
}
