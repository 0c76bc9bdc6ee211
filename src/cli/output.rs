//! Where output goes: the format (table on a terminal, JSON otherwise),
//! standard output or a file written whole, logging, and the confirmation
//! prompt.

use super::args::{LogFormat, OutputFormat};
use crate::error::{Error, Result};
use std::io::{IsTerminal, Write};
use std::path::Path;
use tagwarden_core::apply_rules::Refusal;
use tagwarden_core::report::Format;

/// The AWS SDK's own warnings (the credential chain's providers that found
/// nothing, the instance metadata endpoint) are its internal structures,
/// hundreds of characters each: what they mean reaches the user as
/// tagwarden's own sentence, and they stay in the log at `-vv`.
const SDK_QUIET: &str =
    "aws_config=error,aws_smithy_runtime=error,aws_smithy_http_client=error,aws_runtime=error";

/// Commands log to standard error; the daemon logs to standard output
/// (journald, container logs) and says what it does at `info`.
pub fn init_logging(verbose: u8, quiet: bool, format: LogFormat, daemon: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => "error".to_string(),
        (false, 0) if daemon => format!("info,{SDK_QUIET}"),
        (false, 0) => format!("warn,{SDK_QUIET}"),
        (false, 1) => format!("warn,tagwarden=debug,tagwarden_core=debug,{SDK_QUIET}"),
        _ => "debug".to_string(),
    };
    let filter =
        EnvFilter::try_from_env("TAGWARDEN_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only on a terminal: journald and container logs get plain text.
    let terminal = if daemon {
        std::io::stdout().is_terminal()
    } else {
        std::io::stderr().is_terminal()
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(terminal);
    match (format, daemon) {
        (LogFormat::Json, true) => builder.json().with_writer(std::io::stdout).init(),
        (LogFormat::Json, false) => builder.json().with_writer(std::io::stderr).init(),
        (LogFormat::Text, true) => builder.with_writer(std::io::stdout).init(),
        (LogFormat::Text, false) => builder.with_writer(std::io::stderr).init(),
    }
}

/// The chosen format; else a table on a terminal, JSON in a file or pipe.
pub fn format(chosen: Option<OutputFormat>, to_file: bool) -> Format {
    match chosen {
        Some(OutputFormat::Table) => Format::Table,
        Some(OutputFormat::Json) => Format::Json,
        Some(OutputFormat::Csv) => Format::Csv,
        Some(OutputFormat::Markdown) => Format::Markdown,
        None if !to_file && std::io::stdout().is_terminal() => Format::Table,
        None => Format::Json,
    }
}

/// Standard output, or FILE written whole or not at all (temporary file,
/// then rename).
pub fn write(path: Option<&Path>, text: &str) -> Result<()> {
    let Some(path) = path else {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Error::io("cannot write to standard output", e));
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io(format!("cannot write in {}", dir.display()), e))?;
    tmp.write_all(text.as_bytes())
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e.error))?;
    Ok(())
}

/// Ask on the terminal, or take `--yes`; never write unasked from a script.
pub fn confirmation(yes: bool) -> impl FnOnce(&str) -> Result<bool> {
    move |prompt| {
        if yes {
            return Ok(true);
        }
        if !std::io::stdin().is_terminal() {
            return Err(Refusal::NoTerminal.into());
        }
        eprint!("{prompt} [y/N] ");
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Error::io("cannot read the answer", e))?;
        Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES"))
    }
}
