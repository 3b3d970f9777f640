//! How a leader election runs: which Lease, who this candidate is, and its timings, checked as
//! client-go checks them.

use std::time::Duration;

/// client-go's `JitterFactor`: a retry waits between one and 2.2 retry periods.
pub const JITTER_FACTOR: f64 = 1.2;

/// The settings of one candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaderElectionConfig {
    /// The Lease's namespace.
    pub namespace: String,
    /// The Lease's name: candidates for the same work share it.
    pub name: String,
    /// This candidate's identity, unique among the candidates (a Pod name with a random
    /// suffix is usual).
    pub identity: String,
    /// How long a leader's lease is valid after it was last seen renewed (default 15 s).
    /// Candidates judge this on their own clock, from the moment they saw the record change.
    pub lease_duration: Duration,
    /// How long the leader keeps trying to renew before it gives up leading (default 10 s).
    pub renew_deadline: Duration,
    /// How often candidates try to acquire and the leader renews (default 2 s).
    pub retry_period: Duration,
    /// When the election is cancelled while leading, empty the lease so a successor can take
    /// over at once instead of waiting for it to expire.
    pub release_on_cancel: bool,
}

/// Why a configuration is not usable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// The lease duration must be longer than the renew deadline.
    #[error("the lease duration ({lease_duration:?}) must be longer than the renew deadline ({renew_deadline:?})")]
    LeaseNotLongerThanDeadline {
        /// The lease duration.
        lease_duration: Duration,
        /// The renew deadline.
        renew_deadline: Duration,
    },
    /// The renew deadline must leave room for a jittered retry.
    #[error(
        "the renew deadline ({renew_deadline:?}) must be longer than {JITTER_FACTOR} x the retry period ({retry_period:?})"
    )]
    DeadlineTooShort {
        /// The renew deadline.
        renew_deadline: Duration,
        /// The retry period.
        retry_period: Duration,
    },
    /// A timing is zero.
    #[error("{0} must be positive")]
    NotPositive(&'static str),
    /// The identity, name or namespace is empty.
    #[error("the {0} of a leader election must not be empty")]
    Empty(&'static str),
}

impl LeaderElectionConfig {
    /// A configuration with client-go's default timings (15 s, 10 s, 2 s).
    pub fn new(namespace: &str, name: &str, identity: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            identity: identity.to_owned(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
            release_on_cancel: false,
        }
    }

    /// With these timings.
    pub fn timings(mut self, lease_duration: Duration, renew_deadline: Duration, retry_period: Duration) -> Self {
        self.lease_duration = lease_duration;
        self.renew_deadline = renew_deadline;
        self.retry_period = retry_period;
        self
    }

    /// With `release_on_cancel`.
    pub fn release_on_cancel(mut self, release: bool) -> Self {
        self.release_on_cancel = release;
        self
    }

    /// Checks the configuration as client-go's `NewLeaderElector` does.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (what, value) in [("namespace", &self.namespace), ("name", &self.name), ("identity", &self.identity)] {
            if value.is_empty() {
                return Err(ConfigError::Empty(what));
            }
        }
        for (what, value) in [
            ("the lease duration", self.lease_duration),
            ("the renew deadline", self.renew_deadline),
            ("the retry period", self.retry_period),
        ] {
            if value.is_zero() {
                return Err(ConfigError::NotPositive(what));
            }
        }
        if self.lease_duration <= self.renew_deadline {
            return Err(ConfigError::LeaseNotLongerThanDeadline {
                lease_duration: self.lease_duration,
                renew_deadline: self.renew_deadline,
            });
        }
        if self.renew_deadline.as_secs_f64() <= JITTER_FACTOR * self.retry_period.as_secs_f64() {
            return Err(ConfigError::DeadlineTooShort {
                renew_deadline: self.renew_deadline,
                retry_period: self.retry_period,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_are_checked_as_client_go_checks_them() {
        let config = LeaderElectionConfig::new("ns", "lease", "me");
        assert_eq!(config.validate(), Ok(()));
        let seconds = Duration::from_secs;
        let with = |lease, deadline, retry| config.clone().timings(seconds(lease), seconds(deadline), seconds(retry));
        assert!(matches!(with(10, 10, 2).validate(), Err(ConfigError::LeaseNotLongerThanDeadline { .. })));
        assert!(matches!(with(15, 2, 2).validate(), Err(ConfigError::DeadlineTooShort { .. })));
        // 1.2 x 5 s = 6 s: a 6 s deadline is not longer.
        assert!(matches!(with(15, 6, 5).validate(), Err(ConfigError::DeadlineTooShort { .. })));
        assert_eq!(with(15, 7, 5).validate(), Ok(()));
        assert_eq!(with(15, 10, 0).validate(), Err(ConfigError::NotPositive("the retry period")));
        let nobody = LeaderElectionConfig::new("ns", "lease", "");
        assert_eq!(nobody.validate(), Err(ConfigError::Empty("identity")));
        let short = config.clone().timings(Duration::from_secs(3), Duration::from_secs(2), Duration::from_millis(500));
        assert_eq!(short.validate(), Ok(()), "the test timings");
    }
}
