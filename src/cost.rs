//! What a running channel costs an hour, from the rate table bundled in
//! the binary (`pricing/rates.json`: on-demand prices per Region, each
//! naming its source and the day it was read).
//!
//! MediaLive bills a running channel for each input attached (a failover
//! pair's secondary too) and each output (every encode in its output
//! groups), by the channel's class and the input's or output's codec,
//! resolution and bit rate or frame rate ([MediaLive pricing]). A rate the
//! table does not give is unknown, never guessed: the estimate names what
//! it leaves out. MediaPackage and CloudFront bill per GB, which depends on
//! the viewers; they are not in the hourly figure.
//!
//! [MediaLive pricing]: https://aws.amazon.com/medialive/pricing/

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aws_sdk_medialive::types::{ChannelClass, EncoderSettings, InputSpecification, Output, VideoDescription};
use serde::Deserialize;

/// The rate table, as bundled.
pub const RATES_JSON: &str = include_str!("../pricing/rates.json");

#[derive(Debug, Deserialize)]
pub struct RateTable {
    pub sources: BTreeMap<String, Source>,
    regions: BTreeMap<String, RegionRates>,
}

#[derive(Debug, Deserialize)]
pub struct Source {
    pub what: String,
    pub url: String,
    pub read: String,
}

#[derive(Debug, Deserialize)]
struct RegionRates {
    medialive: MediaLiveRates,
    mediapackage: BTreeMap<String, PerGb>,
    cloudfront: BTreeMap<String, PerGb>,
}

#[derive(Debug, Deserialize)]
struct MediaLiveRates {
    input: BTreeMap<String, PerHour>,
    output: BTreeMap<String, PerHour>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PerHour {
    per_hour: f64,
    source: String,
}

#[derive(Debug, Deserialize)]
struct PerGb {
    #[serde(rename = "perGB")]
    per_gb: f64,
    source: String,
}

impl RateTable {
    /// The bundled table; an error (a broken file, which a test forbids)
    /// makes every rate unknown rather than a request fail.
    pub fn bundled() -> Result<&'static RateTable, &'static str> {
        static TABLE: OnceLock<Result<RateTable, String>> = OnceLock::new();
        TABLE
            .get_or_init(|| serde_json::from_str(RATES_JSON).map_err(|err| format!("pricing/rates.json: {err}")))
            .as_ref()
            .map_err(String::as_str)
    }

    /// Every rate's source, for the table's own test: (what, source id).
    pub fn rate_sources(&self) -> Vec<(String, &str)> {
        let mut all = Vec::new();
        for (region, rates) in &self.regions {
            for (key, rate) in rates.medialive.input.iter().chain(&rates.medialive.output) {
                all.push((format!("{region} MediaLive {key}"), rate.source.as_str()));
            }
            for (key, rate) in rates.mediapackage.iter().chain(&rates.cloudfront) {
                all.push((format!("{region} {key}"), rate.source.as_str()));
            }
        }
        all
    }

    /// A per-GB rate of `service` (`mediapackage` or `cloudfront`) in `region`.
    pub fn per_gb(&self, region: &str, service: &str, key: &str) -> Option<f64> {
        let rates = self.regions.get(region)?;
        let service = match service {
            "mediapackage" => &rates.mediapackage,
            "cloudfront" => &rates.cloudfront,
            _ => return None,
        };
        service.get(key).map(|rate| rate.per_gb)
    }

    fn input(&self, region: &str, key: &str) -> Option<f64> {
        self.regions
            .get(region)?
            .medialive
            .input
            .get(key)
            .map(|rate| rate.per_hour)
    }

    fn output(&self, region: &str, key: &str) -> Option<f64> {
        self.regions
            .get(region)?
            .medialive
            .output
            .get(key)
            .map(|rate| rate.per_hour)
    }
}

/// Some of one thing MediaLive bills by the hour.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// In words: "HD AVC output up to 30 fps".
    pub what: String,
    pub count: usize,
    /// US dollars an hour each; `None` where the table gives no rate.
    pub per_hour: Option<f64>,
}

/// A channel's hourly cost, item by item.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub region: String,
    pub items: Vec<Item>,
}

impl Estimate {
    /// The sum of what has a rate, US dollars an hour.
    pub fn known_per_hour(&self) -> f64 {
        self.items
            .iter()
            .filter_map(|item| item.per_hour.map(|rate| rate * item.count as f64))
            .sum()
    }

    /// What the table gives no rate for, in words ("1 audio-only output").
    pub fn unknown_words(&self) -> Option<String> {
        let unknown: Vec<String> = self
            .items
            .iter()
            .filter(|item| item.per_hour.is_none())
            .map(|item| format!("{} {}", item.count, plural(&item.what, item.count)))
            .collect();
        (!unknown.is_empty()).then(|| unknown.join(", "))
    }

    /// "about US$3.11 an hour", or what of it is known and what is not.
    pub fn per_hour_words(&self) -> String {
        let known = self.known_per_hour();
        match self.unknown_words() {
            None => format!("about {} an hour", dollars(known)),
            Some(_) if known == 0.0 => format!(
                "unknown: the rate table gives no MediaLive rates for this channel in {}",
                self.region
            ),
            Some(unknown) => format!(
                "about {} an hour, plus {unknown} at a rate the rate table does not give for {}",
                dollars(known),
                self.region
            ),
        }
    }

    /// What a run of `seconds` cost: "about US$14.05", and what is left out.
    pub fn for_run_words(&self, seconds: u64) -> String {
        let known = self.known_per_hour() * seconds as f64 / 3600.0;
        match self.unknown_words() {
            None => format!("about {}", dollars(known)),
            Some(_) if self.known_per_hour() == 0.0 => format!(
                "unknown (the rate table gives no MediaLive rates for this channel in {})",
                self.region
            ),
            Some(unknown) => format!("about {}, plus {unknown} (no rate in the rate table)", dollars(known)),
        }
    }

    /// Each item with its rate: "1 HD AVC input up to 20 Mbps at US$0.2940, …".
    pub fn breakdown(&self) -> String {
        self.items
            .iter()
            .map(|item| {
                let what = plural(&item.what, item.count);
                match item.per_hour {
                    Some(rate) => format!("{} {what} at US${rate:.4}", item.count),
                    None => format!("{} {what} (rate unknown)", item.count),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The stack's `CostPerRunningHour`: the figure, the region, the items.
    pub fn summary(&self) -> String {
        format!(
            "{} ({} on-demand MediaLive: {}; MediaPackage and CloudFront bill per GB on top; an estimate from the stack's rate table)",
            self.per_hour_words(),
            self.region,
            self.breakdown()
        )
    }
}

/// `US$3.11`: cents, as a bill shows them.
pub fn dollars(amount: f64) -> String {
    format!("US${amount:.2}")
}

/// "output" → "outputs" where the word names more than one; the noun is
/// the item's words before " up to" (so "HD AVC outputs up to 30 fps").
fn plural(what: &str, count: usize) -> String {
    if count == 1 {
        return what.to_owned();
    }
    for noun in ["output", "input"] {
        if let Some(at) = what.find(noun) {
            let end = at + noun.len();
            return format!("{}s{}", &what[..end], &what[end..]);
        }
    }
    what.to_owned()
}

/// What MediaLive bills an hour for a channel of `class` with `inputs`
/// inputs attached of `input` specification, encoding `settings`, in
/// `region`: the same reading for a channel about to be made and one
/// described.
pub fn channel_per_hour(
    region: &str,
    class: &ChannelClass,
    input: Option<&InputSpecification>,
    inputs: usize,
    settings: Option<&EncoderSettings>,
) -> Estimate {
    let table = RateTable::bundled().ok();
    let class = class.as_str();
    let mut items: Vec<(String, String, usize)> = Vec::new();
    let mut add = |key: String, what: String| match items.iter_mut().find(|(k, _, _)| *k == key) {
        Some((_, _, count)) => *count += 1,
        None => items.push((key, what, 1)),
    };
    let (resolution, codec, bitrate) = input.map_or(("", "", ""), |spec| {
        (
            spec.resolution().map_or("", |r| r.as_str()),
            spec.codec().map_or("", |c| c.as_str()),
            spec.maximum_bitrate().map_or("", |b| b.as_str()),
        )
    });
    let input_what = format!(
        "{resolution} {codec} input up to {} Mbps",
        bitrate.trim_start_matches("MAX_").trim_end_matches("_MBPS")
    );
    for _ in 0..inputs {
        add(
            format!("input {class} {resolution} {codec} {bitrate}"),
            input_what.clone(),
        );
    }
    let descriptions = settings.map(EncoderSettings::video_descriptions).unwrap_or_default();
    for output in settings
        .map(EncoderSettings::output_groups)
        .unwrap_or_default()
        .iter()
        .flat_map(|group| group.outputs())
    {
        let (key, what) = output_kind(output, descriptions);
        add(format!("output {class} {key}"), what);
    }
    let items = items
        .into_iter()
        .map(|(key, what, count)| {
            let per_hour = table.and_then(|table| match key.split_once(' ') {
                Some(("input", key)) => table.input(region, key),
                Some(("output", key)) => table.output(region, key),
                _ => None,
            });
            Item { what, count, per_hour }
        })
        .collect();
    Estimate {
        region: region.to_owned(),
        items,
    }
}

/// What MediaLive bills an hour for `channel` as DescribeChannel tells it
/// (its class, input specification, every input attached, its outputs).
pub fn described_per_hour(
    region: &str,
    channel: &aws_sdk_medialive::operation::describe_channel::DescribeChannelOutput,
) -> Estimate {
    channel_per_hour(
        region,
        channel.channel_class().unwrap_or(&ChannelClass::Standard),
        channel.input_specification(),
        channel.input_attachments().len(),
        channel.encoder_settings(),
    )
}

/// An output's key in the rate table (after its class) and its words:
/// resolution (SD under 720 lines, HD to 1080, UHD above), codec and frame
/// rate; an output without video is audio-only.
fn output_kind(output: &Output, descriptions: &[VideoDescription]) -> (String, String) {
    let Some(name) = output.video_description_name() else {
        return ("AUDIO_ONLY".to_owned(), "audio-only output".to_owned());
    };
    let Some(video) = descriptions.iter().find(|d| d.name() == Some(name)) else {
        return ("UNKNOWN".to_owned(), format!("output of video {name}"));
    };
    let resolution = match video.height() {
        Some(height) if height < 720 => "SD",
        Some(height) if height <= 1080 => "HD",
        Some(_) => "UHD",
        None => "SOURCE_SIZED",
    };
    let codec = video.codec_settings();
    let (codec, rate) = if let Some(h264) = codec.and_then(|c| c.h264_settings()) {
        ("AVC", h264.framerate_numerator().zip(h264.framerate_denominator()))
    } else if let Some(h265) = codec.and_then(|c| c.h265_settings()) {
        ("HEVC", h265.framerate_numerator().zip(h265.framerate_denominator()))
    } else {
        ("OTHER", None)
    };
    let fps = match rate {
        Some((numerator, denominator)) if denominator > 0 && numerator <= 30 * denominator => "UP_TO_30_FPS",
        Some(_) => "OVER_30_FPS",
        None => "SOURCE_RATE",
    };
    let fps_words = match fps {
        "UP_TO_30_FPS" => "up to 30 fps",
        "OVER_30_FPS" => "over 30 fps",
        _ => "at the source's frame rate",
    };
    (
        format!("{resolution} {codec} {fps}"),
        format!("{resolution} {codec} output {fps_words}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::{self, Ingest};

    async fn estimate(region: &str, profile: &str, class: &str, ingest: Ingest, inputs: usize) -> Estimate {
        let profile = profiles::find(profile).unwrap();
        let settings = profiles::settings_of(profile, ingest).await.unwrap();
        let input = InputSpecification::builder()
            .codec(aws_sdk_medialive::types::InputCodec::Avc)
            .resolution((profile.resolution)())
            .maximum_bitrate((profile.maximum_bitrate)())
            .build();
        channel_per_hour(
            region,
            &ChannelClass::from(class),
            Some(&input),
            inputs,
            Some(&settings),
        )
    }

    #[test]
    fn the_bundled_table_reads_and_every_rate_names_a_source_it_lists() {
        let table = RateTable::bundled().unwrap();
        let rates = table.rate_sources();
        assert!(rates.len() >= 10, "{rates:?}");
        for (rate, source) in rates {
            assert!(table.sources.contains_key(source), "{rate}: no source {source:?}");
        }
        for (id, source) in &table.sources {
            assert!(
                source.url.starts_with("https://aws.amazon.com/")
                    || source.url.starts_with("https://docs.aws.amazon.com/"),
                "{id}"
            );
            assert_eq!(source.read.len(), 10, "{id}: read on a day, YYYY-MM-DD");
        }
        assert_eq!(table.per_gb("us-east-1", "mediapackage", "ingestPerGB"), Some(0.03));
        assert_eq!(
            table.per_gb("us-east-1", "cloudfront", "northAmericaPerGB"),
            Some(0.085)
        );
    }

    #[tokio::test]
    async fn a_channel_costs_its_inputs_and_outputs_and_names_what_has_no_rate() {
        // HD-1080p, standard, MediaPackage v1: one HD input up to 20 Mbps,
        // two HD and four SD outputs.
        let v1 = estimate("us-east-1", "HD-1080p", "STANDARD", Ingest::Hls, 1).await;
        assert!((v1.known_per_hour() - (0.294 + 2.0 * 0.702 + 4.0 * 0.354)).abs() < 1e-9);
        assert_eq!(v1.per_hour_words(), "about US$3.11 an hour");
        assert_eq!(
            v1.breakdown(),
            "1 HD AVC input up to 20 Mbps at US$0.2940, 2 HD AVC outputs up to 30 fps at US$0.7020, 4 SD AVC outputs up to 30 fps at US$0.3540"
        );
        assert_eq!(v1.for_run_words(4 * 3600 + 30 * 60), "about US$14.01");
        // v2's CMAF ingest adds one audio-only output, which the table
        // has no rate for: said, not guessed.
        let v2 = estimate("us-east-1", "HD-1080p", "STANDARD", Ingest::Cmaf, 1).await;
        assert_eq!(
            v2.per_hour_words(),
            "about US$3.11 an hour, plus 1 audio-only output at a rate the rate table does not give for us-east-1"
        );
        // A failover pair bills both inputs.
        let paired = estimate("us-east-1", "HD-720p", "STANDARD", Ingest::Hls, 2).await;
        assert!((paired.known_per_hour() - (2.0 * 0.234 + 0.702 + 4.0 * 0.354)).abs() < 1e-9);
        // A Region the table has no rates for.
        let elsewhere = estimate("eu-west-1", "HD-720p", "STANDARD", Ingest::Hls, 1).await;
        assert_eq!(
            elsewhere.per_hour_words(),
            "unknown: the rate table gives no MediaLive rates for this channel in eu-west-1"
        );
    }

    /// The README's table of hourly costs, made from the rate table.
    async fn readme_table() -> String {
        let mut table =
            String::from("| profile | class | MediaPackage v2 (the default) | MediaPackage v1 |\n|---|---|---|---|\n");
        let cell = |estimate: Estimate| match estimate.unknown_words() {
            None => dollars(estimate.known_per_hour()),
            Some(unknown) => format!("{} + {unknown} (no rate)", dollars(estimate.known_per_hour())),
        };
        for profile in profiles::NAMES {
            for class in ["STANDARD", "SINGLE_PIPELINE"] {
                let v2 = estimate("us-east-1", profile, class, Ingest::Cmaf, 1).await;
                let v1 = estimate("us-east-1", profile, class, Ingest::Hls, 1).await;
                table.push_str(&format!("| {profile} | `{class}` | {} | {} |\n", cell(v2), cell(v1)));
            }
        }
        table
    }

    #[tokio::test]
    async fn the_readme_states_the_costs_the_rate_table_gives() {
        let readme = include_str!("../README.md");
        let table = readme_table().await;
        assert!(
            readme.contains(&table),
            "README.md's cost table is not what pricing/rates.json gives; it should read:\n{table}"
        );
        // The forgotten weekend: HD-1080p, standard, v1, 67 hours; stopped
        // by the idle guard after 4.5 hours or by the 8-hour cap.
        let hd = estimate("us-east-1", "HD-1080p", "STANDARD", Ingest::Hls, 1).await;
        for (hours, words) in [(67.0, "$208.64"), (4.5, "$14.01"), (8.0, "$24.91"), (63.0, "$196.18")] {
            assert_eq!(hd.for_run_words((hours * 3600.0) as u64), format!("about US{words}"));
            assert!(
                readme.contains(&format!("**{words}**")) || readme.contains(words),
                "README: {words} for {hours} h"
            );
        }
        // The per-GB rates it names beside the table.
        let table = RateTable::bundled().unwrap();
        let per_gb = |service, key| table.per_gb("us-east-1", service, key).unwrap();
        let said = format!(
            "ingest about ${}/GB, origination ${}/GB, CloudFront\nin North America ${}/GB",
            per_gb("mediapackage", "ingestPerGB"),
            per_gb("mediapackage", "originationPerGB"),
            per_gb("cloudfront", "northAmericaPerGB")
        );
        assert!(readme.contains(&said), "README.md should say: {said}");
    }
}
