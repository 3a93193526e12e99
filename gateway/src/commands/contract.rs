//! `canongate contract lint FILE`.

use std::path::Path;
use std::process::ExitCode;

/// Lints the contract and prints each finding; exit 1 when any error-level rule fails.
pub fn lint(file: &Path) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("{}: cannot read the contract: {error}", file.display());
            return ExitCode::from(2);
        }
    };
    let report = canongate_contracts::lint::lint_bytes(&file.display().to_string(), &bytes);
    print!("{}", report.render_text());
    if report.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
