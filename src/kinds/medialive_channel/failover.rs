//! Automatic input failover: a second input of the same type, attached
//! as the primary's secondary, to which MediaLive switches when the
//! primary's content is lost (and, if asked, black or silent), and from
//! which it goes back once the primary has been healthy for a while
//! (MediaLive user guide, "Implementing automatic input failover"; the
//! `AutomaticInputFailoverSettings` of an input attachment in MediaLive's
//! model, whose bounds are checked here).

use aws_sdk_medialive::types::{
    AudioSilenceFailoverSettings, AutomaticInputFailoverSettings, FailoverCondition, FailoverConditionSettings,
    InputAttachment, InputLossFailoverSettings, InputPreference, VideoBlackFailoverSettings,
};

use crate::cfn::props::{PropError, Props};

/// The input types MediaLive can pair for failover (the user guide's list,
/// less CDI, which this project does not make): push inputs but UDP and
/// SRT listeners, and SRT callers; no other pull or file input.
pub(crate) const FAILOVER_TYPES: &[&str] = &["RTMP_PUSH", "RTP_PUSH", "SRT_CALLER", "MEDIACONNECT", "INPUT_DEVICE"];

/// How long a recovered primary must stay free of every failover condition
/// before MediaLive goes back to it (`PRIMARY_INPUT_PREFERRED`): long
/// enough that an encoder reconnecting and dropping again does not switch
/// the picture back and forth every few seconds, short enough that the
/// backup path is not used for long after the primary is back.
const ERROR_CLEAR_MS: i32 = 10_000;
/// How dark a frame counts as black: MediaLive compares each pixel's
/// luminance with this fraction of the range (0.1 is about the level of
/// "video black" with a little noise, not a dark scene).
const BLACK_DETECT_THRESHOLD: f64 = 0.1;
/// MediaLive's minimums: input loss 100 ms, black video and silence 1 s.
const INPUT_LOSS_MIN_MS: i64 = 100;
const BLACK_OR_SILENCE_MIN_MS: i64 = 1000;
/// An hour: more is no failover at all.
const MAX_MS: i64 = 3_600_000;

/// The failover the channel is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failover {
    /// The secondary input.
    pub(super) input_id: String,
    after_ms: i32,
    /// `None`: not on black video.
    black_ms: Option<i32>,
    /// `None`: not on silence.
    silence_ms: Option<i32>,
}

impl Failover {
    pub(super) const PROPERTIES: &'static [&'static str] =
        &["FailoverInputId", "FailoverAfterMs", "FailoverOnBlackMs", "FailoverOnSilenceMs"];

    /// `None` without `FailoverInputId`; its settings are then refused.
    pub(super) fn parse(props: &Props<'_>) -> Result<Option<Failover>, PropError> {
        let Some(input_id) = props.string("FailoverInputId")?.filter(|id| !id.is_empty()) else {
            for name in &Self::PROPERTIES[1..] {
                if props.has(name) {
                    return Err(PropError::invalid(name, "applies only with FailoverInputId (the secondary input)"));
                }
            }
            return Ok(None);
        };
        let ms = |name: &str, min: i64| -> Result<Option<i32>, PropError> {
            match props.integer(name, 0..=MAX_MS)? {
                None | Some(0) => Ok(None),
                Some(ms) if ms < min => Err(PropError::invalid(
                    name,
                    format!("must be 0 (never) or at least {min} ms, MediaLive's minimum; got {ms}"),
                )),
                Some(ms) => Ok(i32::try_from(ms).ok()),
            }
        };
        let after_ms = match props.integer("FailoverAfterMs", INPUT_LOSS_MIN_MS..=MAX_MS)? {
            Some(ms) => i32::try_from(ms).unwrap_or(1000),
            None => 1000,
        };
        Ok(Some(Failover {
            input_id,
            after_ms,
            black_ms: ms("FailoverOnBlackMs", BLACK_OR_SILENCE_MIN_MS)?,
            silence_ms: ms("FailoverOnSilenceMs", BLACK_OR_SILENCE_MIN_MS)?,
        }))
    }

    /// The primary attachment's failover settings; silence is heard on
    /// `audio_selector`, the one the profiles' audio reads.
    pub(super) fn settings(&self, audio_selector: &str) -> AutomaticInputFailoverSettings {
        let condition = |settings: FailoverConditionSettings| {
            FailoverCondition::builder().failover_condition_settings(settings).build()
        };
        let mut conditions = vec![condition(
            FailoverConditionSettings::builder()
                .input_loss_settings(
                    InputLossFailoverSettings::builder()
                        .input_loss_threshold_msec(self.after_ms)
                        .build(),
                )
                .build(),
        )];
        if let Some(ms) = self.black_ms {
            conditions.push(condition(
                FailoverConditionSettings::builder()
                    .video_black_settings(
                        VideoBlackFailoverSettings::builder()
                            .black_detect_threshold(BLACK_DETECT_THRESHOLD)
                            .video_black_threshold_msec(ms)
                            .build(),
                    )
                    .build(),
            ));
        }
        if let Some(ms) = self.silence_ms {
            conditions.push(condition(
                FailoverConditionSettings::builder()
                    .audio_silence_settings(
                        AudioSilenceFailoverSettings::builder()
                            .audio_selector_name(audio_selector)
                            .audio_silence_threshold_msec(ms)
                            .build(),
                    )
                    .build(),
            ));
        }
        AutomaticInputFailoverSettings::builder()
            .secondary_input_id(&self.input_id)
            .input_preference(InputPreference::PrimaryInputPreferred)
            .error_clear_time_msec(ERROR_CLEAR_MS)
            .set_failover_conditions(Some(conditions))
            .build()
    }

    /// Whether the channel's attachments already hold this failover: the
    /// primary's settings as asked, and the secondary attached.
    pub(super) fn held_by(wanted: Option<&Failover>, attachments: &[InputAttachment], audio_selector: &str) -> bool {
        let held = attachments
            .first()
            .and_then(InputAttachment::automatic_input_failover_settings);
        match wanted {
            None => held.is_none() && attachments.len() <= 1,
            Some(failover) => {
                held == Some(&failover.settings(audio_selector))
                    && attachments
                        .iter()
                        .any(|a| a.input_id() == Some(failover.input_id.as_str()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn parse(props: Value) -> Result<Option<Failover>, PropError> {
        let map: Map<String, Value> = props.as_object().cloned().unwrap_or_default();
        Failover::parse(&Props::new(&map))
    }

    #[test]
    fn failover_is_on_input_loss_after_a_second_by_default() {
        let failover = parse(json!({"FailoverInputId": "1234567"})).unwrap().unwrap();
        let settings = failover.settings("default");
        assert_eq!(settings.secondary_input_id(), Some("1234567"));
        assert_eq!(settings.input_preference(), Some(&InputPreference::PrimaryInputPreferred));
        assert_eq!(settings.error_clear_time_msec(), Some(ERROR_CLEAR_MS));
        let conditions = settings.failover_conditions();
        assert_eq!(conditions.len(), 1);
        let loss = conditions[0].failover_condition_settings().unwrap().input_loss_settings().unwrap();
        assert_eq!(loss.input_loss_threshold_msec(), Some(1000));
    }

    #[test]
    fn black_and_silence_are_added_when_asked() {
        let failover = parse(json!({"FailoverInputId": "1", "FailoverAfterMs": "250", "FailoverOnBlackMs": "2000", "FailoverOnSilenceMs": "3000"}))
            .unwrap()
            .unwrap();
        let settings = failover.settings("default");
        let conditions: Vec<_> = settings
            .failover_conditions()
            .iter()
            .filter_map(FailoverCondition::failover_condition_settings)
            .collect();
        assert_eq!(conditions[0].input_loss_settings().unwrap().input_loss_threshold_msec(), Some(250));
        let black = conditions[1].video_black_settings().unwrap();
        assert_eq!((black.video_black_threshold_msec(), black.black_detect_threshold()), (Some(2000), Some(0.1)));
        let silence = conditions[2].audio_silence_settings().unwrap();
        assert_eq!(silence.audio_selector_name(), Some("default"));
        assert_eq!(silence.audio_silence_threshold_msec(), Some(3000));
    }

    #[test]
    fn thresholds_outside_medialives_bounds_are_refused_naming_the_property() {
        for (props, named) in [
            (json!({"FailoverInputId": "1", "FailoverAfterMs": "99"}), "FailoverAfterMs"),
            (json!({"FailoverInputId": "1", "FailoverOnBlackMs": "999"}), "FailoverOnBlackMs"),
            (json!({"FailoverInputId": "1", "FailoverOnSilenceMs": "500"}), "FailoverOnSilenceMs"),
            (json!({"FailoverInputId": "1", "FailoverOnSilenceMs": "3600001"}), "FailoverOnSilenceMs"),
            (json!({"FailoverAfterMs": "1000"}), "FailoverAfterMs"),
        ] {
            let err = parse(props.clone()).unwrap_err().to_string();
            assert!(err.contains(named), "{props}: {err}");
        }
        assert_eq!(parse(json!({})).unwrap(), None);
        assert_eq!(parse(json!({"FailoverInputId": ""})).unwrap(), None, "empty: no failover");
    }
}
