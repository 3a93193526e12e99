//! `canongate config check FILE`.

use std::path::Path;
use std::process::ExitCode;

use crate::runtime;

/// Loads the document as the gateway would and lists every problem, or a summary when valid.
pub fn check(file: &Path) -> ExitCode {
    match runtime::load(file) {
        Ok(runtime) => {
            let snapshot = &runtime.snapshot;
            println!(
                "{}: valid (revision {}, {} systems, {} APIs, {} operations)",
                file.display(),
                snapshot.revision,
                snapshot.systems.len(),
                snapshot.apis.len(),
                snapshot.operations.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
