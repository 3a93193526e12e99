//! `canongate config check FILE`.

use std::path::Path;
use std::process::ExitCode;

use canongate_policy::throttle::ThrottleClock;

use crate::runtime;

/// Loads the document as the gateway would and lists every problem, or a summary when valid.
pub fn check(file: &Path) -> ExitCode {
    match runtime::check(file, &ThrottleClock::system(), None) {
        Ok(checked) => {
            let snapshot = &checked.snapshot;
            println!(
                "{}: valid (revision {}, {} systems, {} APIs, {} operations, {} consumers)",
                file.display(),
                snapshot.revision,
                snapshot.systems.len(),
                snapshot.apis.len(),
                snapshot.operations.len(),
                snapshot.consumers.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
