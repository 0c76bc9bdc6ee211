use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(tagwarden::cli::main())
}
