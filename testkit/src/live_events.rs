//! A foundation and its live events (`foundation.yaml`, `event.yaml`), as
//! the local run and the tests play them: the templates, three sample
//! events of different input types and profiles, and what to look at
//! (the player's list of events, whether a channel was ever stopped).

use crate::stack::{Rig, Template};

pub const FOUNDATION_TEMPLATE: &str = "foundation.yaml";
pub const EVENT_TEMPLATE: &str = "event.yaml";

/// The player's list of events, in the foundation's player bucket.
pub const EVENT_LIST_KEY: &str = "player/events/index.json";

/// A template of the workspace, parsed.
pub fn template(file: &str) -> Result<Template, String> {
    let path = crate::workspace_root().join(file);
    let text = std::fs::read_to_string(&path).map_err(|err| format!("{}: {err}", path.display()))?;
    Template::parse(&text).map_err(|err| format!("{file}: {err}"))
}

/// Three events as a deployer would start them: the foundation's test
/// source on a standard channel, an RTMP push (with a failover pair) and an
/// SRT listener on single-pipeline channels, each with another profile, all
/// started.
pub fn sample_events(foundation: &str) -> Vec<(String, Vec<(String, String)>)> {
    let event = |name: &str, pairs: &[(&str, &str)]| {
        let mut parameters = vec![
            ("Foundation".to_owned(), foundation.to_owned()),
            ("ChannelStart".to_owned(), "Yes".to_owned()),
        ];
        parameters.extend(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        (name.to_owned(), parameters)
    };
    vec![
        event("keynote", &[("EventTitle", "Keynote"), ("EncodingProfile", "HD-720p")]),
        event(
            "workshop",
            &[
                ("InputType", "RTMP_PUSH"),
                ("InputCIDR", "203.0.113.7/32"),
                ("ChannelClass", "SINGLE_PIPELINE"),
                ("EncodingProfile", "SD-540p"),
                // A backup encoder's input, the channel failing over to it.
                ("FailoverInput", "Yes"),
            ],
        ),
        event(
            "panel",
            &[
                ("InputType", "SRT_LISTENER"),
                ("InputCIDR", "198.51.100.0/24"),
                ("ChannelClass", "SINGLE_PIPELINE"),
                ("EncodingProfile", "HD-1080p"),
            ],
        ),
    ]
}

/// The events the foundation's player lists (`None`: no list, which is
/// how no event reads).
pub async fn listed_events(rig: &Rig, player_bucket: &str) -> Result<Option<Vec<String>>, String> {
    let Some(list) = rig.s3_json(player_bucket, EVENT_LIST_KEY).await? else {
        return Ok(None);
    };
    let events = list["events"]
        .as_array()
        .ok_or_else(|| format!("{EVENT_LIST_KEY} holds no events array: {list}"))?
        .iter()
        .map(|e| {
            e.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{EVENT_LIST_KEY}: {e} is no name"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(events))
}

/// How many times anyone asked MediaLive to stop `channel_id`.
pub fn stops_of(rig: &Rig, channel_id: &str) -> usize {
    rig.aws
        .count("medialive", "POST", &format!("/prod/channels/{channel_id}/stop"))
}
