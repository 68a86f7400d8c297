//! Instants and the clock.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

/// A UTC instant, always rendered as `YYYY-MM-DDTHH:MM:SS.ffffffZ`: fixed width, so the
/// stored strings sort chronologically (the list indexes rely on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        // Microsecond precision: what is stored is exactly what is returned.
        let micros = at.timestamp_micros();
        Self(DateTime::from_timestamp_micros(micros).unwrap_or(at))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|at| Self::from_datetime(at.with_timezone(&Utc)))
    }

    /// An instant as clients send it: RFC 3339 (`Z` or `+00:00`), ksapi 3.x's
    /// `%Y-%m-%dT%H:%M:%S.%f%z` (`+0000`, no colon), or without an offset (taken as UTC).
    pub fn parse_client(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let aware = DateTime::parse_from_rfc3339(raw)
            .or_else(|_| DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z"))
            .map(|at| at.with_timezone(&Utc));
        let at = aware.ok().or_else(|| {
            chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|naive| naive.and_utc())
        })?;
        Some(Self::from_datetime(at))
    }

    pub fn plus(self, duration: chrono::Duration) -> Self {
        Self::from_datetime(self.0 + duration)
    }

    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    pub fn as_datetime(self) -> DateTime<Utc> {
        self.0
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

/// Source of "now". Tests shift it to see invites expire without waiting.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    offset: chrono::Duration,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock running `offset` ahead of the system clock.
    pub fn shifted(offset: chrono::Duration) -> Self {
        Self { offset }
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_datetime(Utc::now() + self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_and_sortable() {
        let a = Timestamp::parse("2026-01-02T03:04:05Z").unwrap();
        let b = Timestamp::parse("2026-01-02T03:04:05.5+00:00").unwrap();
        assert_eq!(a.to_rfc3339(), "2026-01-02T03:04:05.000000Z");
        assert_eq!(b.to_rfc3339(), "2026-01-02T03:04:05.500000Z");
        assert!(a.to_rfc3339() < b.to_rfc3339());
    }
}
