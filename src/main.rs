//! The `lushaguard` binary: hands the arguments to the library and maps the outcome to an exit
//! status (0 clean, 1 findings, 2 usage or fatal error, with a one-line message).

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match lushaguard::run(std::env::args_os()) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let message = format!("{err:#}").replace('\n', " ");
            // If even stderr is gone there is nobody left to tell.
            let _ = writeln!(std::io::stderr(), "lushaguard: error: {message}");
            ExitCode::from(2)
        }
    }
}
