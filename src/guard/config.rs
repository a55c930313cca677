//! The guard's settings, from its function's environment.

/// The template's bounds on its two settings (`MaxRunHours`,
/// `IdleStopMinutes`); its AllowedPattern admits exactly these numbers.
pub const MAX_RUN_HOURS_LIMIT: u32 = 720;
pub const IDLE_MINUTES_LIMIT: u32 = 1440;

/// The guard's settings, from the function's environment (the template
/// sets them on the guard function only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    /// Only a channel tagged with this stack id is ever stopped.
    pub stack_id: String,
    /// 0: the max-run guard is off.
    pub max_run_hours: u32,
    /// For the messages only; the alarm itself counts the minutes.
    pub idle_minutes: u32,
    /// The alarm whose ALARM state means "no input video".
    pub idle_alarm: Option<String>,
    /// The input-loss alarm (a pattern, as `idle_alarm`) whose ALARM the
    /// guard follows with which input of a failover pair is active.
    pub input_loss_alarm: Option<String>,
    pub schedule_group: String,
    /// The role EventBridge Scheduler assumes to invoke this function.
    pub scheduler_role_arn: String,
    pub topic_arn: Option<String>,
    /// Where runs are recorded; `None` when they are not (`RecordRuns`
    /// is No, or the stack packages with MediaPackage v1).
    pub recordings: Option<RecordingsConfig>,
}

/// Where the guard records runs: a MediaPackage v2 channel group's
/// channels, into a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingsConfig {
    pub bucket: String,
    pub channel_group: String,
}

pub const STACK_ID_ENV: &str = "LIVESTREAM_GUARD_STACK_ID";
pub const RECORDINGS_BUCKET_ENV: &str = "LIVESTREAM_RECORDINGS_BUCKET";
pub const RECORDINGS_GROUP_ENV: &str = "LIVESTREAM_RECORDINGS_CHANNEL_GROUP";

/// A whole number as the template's pattern admits it: digits, no sign,
/// no leading zero, at most `limit`. `parameter` is the template's name
/// for it, which the error names.
pub fn whole_number(parameter: &str, value: &str, limit: u32) -> Result<u32, String> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    let canonical = digits && (value == "0" || !value.starts_with('0'));
    match value.parse::<u32>() {
        Ok(number) if canonical && number <= limit => Ok(number),
        _ => Err(format!(
            "{parameter} must be a whole number from 0 to {limit}, got {value:?}"
        )),
    }
}

impl GuardConfig {
    /// `None` when this function is not the guard (no guard settings).
    pub fn from_env() -> Result<Option<Self>, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let Some(stack_id) = var(STACK_ID_ENV) else {
            return Ok(None);
        };
        let number = |name: &str, parameter: &str, limit: u32| -> Result<u32, String> {
            whole_number(parameter, &var(name).unwrap_or_else(|| "0".to_owned()), limit)
                .map_err(|why| format!("{why} ({name})"))
        };
        let required = |name: &str| var(name).ok_or_else(|| format!("{name} is not set"));
        Ok(Some(GuardConfig {
            stack_id,
            max_run_hours: number("LIVESTREAM_GUARD_MAX_RUN_HOURS", "MaxRunHours", MAX_RUN_HOURS_LIMIT)?,
            idle_minutes: number("LIVESTREAM_GUARD_IDLE_MINUTES", "IdleStopMinutes", IDLE_MINUTES_LIMIT)?,
            idle_alarm: var("LIVESTREAM_GUARD_IDLE_ALARM"),
            input_loss_alarm: var("LIVESTREAM_GUARD_INPUT_LOSS_ALARM"),
            schedule_group: required("LIVESTREAM_GUARD_SCHEDULE_GROUP")?,
            scheduler_role_arn: required("LIVESTREAM_GUARD_SCHEDULER_ROLE_ARN")?,
            topic_arn: var("LIVESTREAM_GUARD_TOPIC_ARN"),
            recordings: match (var(RECORDINGS_BUCKET_ENV), var(RECORDINGS_GROUP_ENV)) {
                (Some(bucket), Some(channel_group)) => Some(RecordingsConfig { bucket, channel_group }),
                (None, None) => None,
                _ => {
                    return Err(format!(
                        "{RECORDINGS_BUCKET_ENV} and {RECORDINGS_GROUP_ENV} are set together or not at all"
                    ));
                }
            },
        }))
    }

    /// The stack's region and account, read from its id (an ARN).
    pub(super) fn scope(&self) -> (&str, &str) {
        let mut parts = self.stack_id.split(':').skip(3);
        (parts.next().unwrap_or_default(), parts.next().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_exactly_as_the_template_allows_them() {
        assert_eq!(whole_number("MaxRunHours", "8", 720), Ok(8));
        assert_eq!(whole_number("MaxRunHours", "0", 720), Ok(0));
        assert_eq!(whole_number("MaxRunHours", "720", 720), Ok(720));
        for bad in ["8.5", "0.0", "1e1", "", " 8", "+8", "08", "-1", "721", "99999999999"] {
            let err = whole_number("MaxRunHours", bad, 720).unwrap_err();
            assert!(
                err.starts_with("MaxRunHours must be a whole number from 0 to 720"),
                "{bad}: {err}"
            );
        }
    }
}
