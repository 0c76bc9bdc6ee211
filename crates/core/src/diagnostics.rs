//! Load-time problems, each with the file, line and column it points at.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warning,
}

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub file: PathBuf,
    /// None when the problem is the file as a whole (unreadable, missing).
    pub position: Option<Position>,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: &Path, position: Option<Position>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            file: file.to_path_buf(),
            position,
            message: message.into(),
        }
    }

    pub fn warning(file: &Path, position: Option<Position>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(file, position, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

/// `file:line:column: error: message`, the form editors and terminals link to.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        match self.position {
            Some(p) => write!(
                f,
                "{}:{}:{}: {level}: {}",
                self.file.display(),
                p.line,
                p.column,
                self.message
            ),
            None => write!(f, "{}: {level}: {}", self.file.display(), self.message),
        }
    }
}

/// Every diagnostic of a failed load, errors first, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.0))]
pub struct Diagnostics(pub Vec<Diagnostic>);

fn render(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let mut out: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
    out.push(format!(
        "{errors} error{} found; nothing was scanned or written",
        if errors == 1 { "" } else { "s" }
    ));
    out.join("\n")
}

impl Diagnostics {
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
}

/// The closest candidate within a small edit distance, for "did you mean"
/// suggestions on misspelt names.
pub fn suggest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(input, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("ec2:instances", ["ec2:instance", "ec2:volume"]),
            Some("ec2:instance")
        );
        assert_eq!(suggest("lambda:function", ["ec2:instance"]), None);
    }

    #[test]
    fn renders_with_position() {
        let d = Diagnostic::error(
            Path::new("p.yaml"),
            Some(Position { line: 3, column: 5 }),
            "bad",
        );
        assert_eq!(d.to_string(), "p.yaml:3:5: error: bad");
        let d = Diagnostic::warning(Path::new("p.yaml"), None, "meh");
        assert_eq!(d.to_string(), "p.yaml: warning: meh");
    }
}
