//! The one place that reads the wall clock; everything else takes `now` as a parameter.

use chrono::{DateTime, Utc};

/// Gives the current time; tests pass a fixed or stepping clock.
pub trait Clock: Send + Sync + 'static {
    /// Returns the current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
