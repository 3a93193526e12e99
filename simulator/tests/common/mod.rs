//! Starts a simulated system on an ephemeral loopback port and waits, with a
//! deadline, until its health endpoint answers.

use std::time::{Duration, Instant};

use canongate_simulator::{System, serve};

/// Base URL (`http://127.0.0.1:PORT`) of a freshly seeded `system`.
pub async fn start(system: System) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    tokio::spawn(serve(system, listener));
    let health = format!("{base}/{}/health", system.name());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(response) = reqwest::get(&health).await
            && response.status().is_success()
        {
            return base;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not become healthy",
            system.name()
        );
        tokio::task::yield_now().await;
    }
}
