//! The `lushaguard` binary: hands the arguments to the library and maps the outcome to an exit
//! status (0 clean, 1 findings, 2 usage or fatal error, with a one-line message, or a TOML
//! parser's excerpt of the line at fault).

use std::process::ExitCode;

fn main() -> ExitCode {
    match lushaguard::run(std::env::args_os()) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            lushaguard::commands::print_error(&err);
            ExitCode::from(2)
        }
    }
}
