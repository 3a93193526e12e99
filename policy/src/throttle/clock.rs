//! The throttle's time source: one clock for both the GCRA limiters (monotonic nanoseconds, via
//! governor's [`Clock`] trait) and the quota windows (Unix seconds).
//!
//! [`ThrottleClock::system`] reads the machine's monotonic and wall clocks. A [`ManualClock`]
//! stands still until [`ManualClock::advance`] moves it, so tests (and the gateway's test-only
//! clock mode) can place requests at exact instants; clones share the same time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use governor::clock::Clock;
use governor::nanos::Nanos;

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    elapsed_nanos: Arc<AtomicU64>,
    unix_origin: u64,
}

impl ManualClock {
    /// A clock reading `unix_secs` (seconds since 1970-01-01T00:00:00Z) until advanced.
    pub fn starting_at(unix_secs: u64) -> Self {
        Self {
            elapsed_nanos: Arc::default(),
            unix_origin: unix_secs,
        }
    }

    /// Moves the clock forward by `by` (it never moves backward; it saturates after ~584 years).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // The closure always returns `Some`, so the update cannot fail.
        let _ = self
            .elapsed_nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                Some(now.saturating_add(by))
            });
    }

    /// Time advanced since the clock was made.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.elapsed_nanos.load(Ordering::Acquire))
    }

    /// The current Unix time in whole seconds.
    pub fn unix_secs(&self) -> u64 {
        self.unix_origin.saturating_add(self.elapsed().as_secs())
    }
}

/// The time source of a [`super::Throttle`]: the system clocks or a [`ManualClock`].
#[derive(Debug, Clone)]
pub struct ThrottleClock(Source);

#[derive(Debug, Clone)]
enum Source {
    System { origin: Instant },
    Manual(ManualClock),
}

impl ThrottleClock {
    /// The machine's monotonic clock for rates and its wall clock for quota windows.
    pub fn system() -> Self {
        Self(Source::System {
            origin: Instant::now(),
        })
    }

    /// The current Unix time in whole seconds (quota windows and their reset times).
    pub fn unix_secs(&self) -> u64 {
        match &self.0 {
            Source::System { .. } => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs()),
            Source::Manual(clock) => clock.unix_secs(),
        }
    }
}

impl From<ManualClock> for ThrottleClock {
    fn from(clock: ManualClock) -> Self {
        Self(Source::Manual(clock))
    }
}

impl Clock for ThrottleClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        match &self.0 {
            Source::System { origin } => Nanos::from(origin.elapsed()),
            Source::Manual(clock) => Nanos::from(clock.elapsed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let manual = ManualClock::starting_at(1_000);
        let clock = ThrottleClock::from(manual.clone());
        assert_eq!(clock.now(), Nanos::from(0));
        assert_eq!(clock.unix_secs(), 1_000);
        manual.advance(Duration::from_millis(1_500));
        assert_eq!(clock.now(), Nanos::from(Duration::from_millis(1_500)));
        assert_eq!(clock.unix_secs(), 1_001);
        manual.advance(Duration::MAX);
        assert_eq!(manual.elapsed(), Duration::from_nanos(u64::MAX));
    }

    #[test]
    fn system_clock_is_monotonic_and_near_wall_time() {
        let clock = ThrottleClock::system();
        let first = clock.now();
        assert!(clock.now() >= first);
        // 2024-01-01T00:00:00Z: the machine's wall clock is past it.
        assert!(clock.unix_secs() > 1_704_067_200);
    }
}
