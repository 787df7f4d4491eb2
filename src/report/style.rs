//! Colour for output meant for people: the human report, the summary line, warnings and errors.
//! A `Style` is on or off; the command decides which (`commands::color`, from `--color`,
//! `NO_COLOR`, `CLICOLOR_FORCE` and whether the stream is a terminal), so writers only paint.
//! Machine formats and report files are never painted. Only the SGR escapes below are used, and
//! never inside a key, a path or a snippet, so stripping them gives the plain text back.

use std::borrow::Cow;
use std::fmt::Display;

/// What a piece of text is, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `path:line:col:` of a finding.
    Location,
    /// A high-confidence tag, and a count of findings.
    High,
    Medium,
    Low,
    /// A key the API says works: the most urgent thing on the screen.
    Live,
    /// Context lines: the snippet bar, the commit, history notes.
    Dim,
    /// "No secrets found".
    Clean,
    /// `warning:`.
    Warning,
    /// `error:`, `INCOMPLETE`, and what blocks a commit or push.
    Error,
}

impl Role {
    fn sgr(self) -> &'static str {
        match self {
            Role::Location => "1",
            Role::High => "1;31",
            Role::Medium => "33",
            Role::Low => "36",
            Role::Live => "1;97;41",
            Role::Dim => "2",
            Role::Clean => "32",
            Role::Warning => "1;33",
            Role::Error => "1;31",
        }
    }
}

/// Paints text, or leaves it as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    on: bool,
}

impl Style {
    pub const PLAIN: Style = Style { on: false };

    pub fn new(on: bool) -> Style {
        Style { on }
    }

    pub fn is_on(self) -> bool {
        self.on
    }

    /// `text` in the colour of `role`.
    pub fn paint<'a>(self, role: Role, text: impl Into<Cow<'a, str>>) -> Cow<'a, str> {
        let text = text.into();
        if self.on && !text.is_empty() {
            Cow::Owned(format!("\x1b[{}m{text}\x1b[0m", role.sgr()))
        } else {
            text
        }
    }

    /// `paint` for anything printable.
    pub fn show(self, role: Role, value: impl Display) -> String {
        self.paint(role, value.to_string()).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_is_untouched_and_colour_is_reset() {
        assert_eq!(Style::PLAIN.paint(Role::High, "high"), "high");
        let painted = Style::new(true).paint(Role::High, "high");
        assert_eq!(painted, "\x1b[1;31mhigh\x1b[0m");
        // Nothing to paint, nothing added.
        assert_eq!(Style::new(true).paint(Role::High, ""), "");
    }
}
