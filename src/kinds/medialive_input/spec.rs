//! The input's properties, validated and typed: where its video comes
//! from (pushed, read from a URL, SRT either way, MediaConnect, a device),
//! one value per pipeline of its class.

use aws_sdk_medialive::types::{Algorithm, ChannelClass, InputType};

use super::super::resource::Request;
use super::super::validate;
use crate::cfn::props::{PropError, Props, shown};

pub(in crate::kinds) const INPUT_TYPES: &[&str] = &[
    "RTP_PUSH",
    "RTMP_PUSH",
    "UDP_PUSH",
    "RTMP_PULL",
    "URL_PULL",
    "MP4_FILE",
    "TS_FILE",
    "MEDIACONNECT",
    "INPUT_DEVICE",
    "SRT_CALLER",
    "SRT_LISTENER",
];
const PUSH: &[&str] = &["RTP_PUSH", "RTMP_PUSH", "UDP_PUSH"];
/// Inputs the encoder reaches through an input security group.
const TAKES_CIDRS: &[&str] = &["RTP_PUSH", "RTMP_PUSH", "UDP_PUSH", "SRT_LISTENER"];
const PULL: &[&str] = &["RTMP_PULL", "URL_PULL"];
/// Inputs whose sources are URLs (`PriUrl`, `SecUrl`).
const FROM_URL: &[&str] = &["RTMP_PULL", "URL_PULL", "MP4_FILE", "TS_FILE", "SRT_CALLER"];
const SRT: &[&str] = &["SRT_CALLER", "SRT_LISTENER"];

/// SRT's minimum latency as MediaLive takes it (its model: 120-15000 ms);
/// 120 ms is also SRT's own default.
const SRT_LATENCY_MS: std::ops::RangeInclusive<i64> = 120..=15_000;
const SRT_DEFAULT_LATENCY_MS: i32 = 120;
/// An SRT stream id is at most 512 characters (the SRT specification's
/// Stream ID extension).
const SRT_STREAM_ID_MAX: usize = 512;

/// Properties that exist for some input types only.
const APPLIES_TO: &[(&str, &[&str])] = &[
    ("StreamName", &["RTMP_PUSH"]),
    ("Cidr", TAKES_CIDRS),
    ("PriUrl", FROM_URL),
    ("SecUrl", FROM_URL),
    ("PriUser", PULL),
    ("PriPass", PULL),
    ("SecUser", PULL),
    ("SecPass", PULL),
    ("RoleArn", &["MEDIACONNECT"]),
    ("PriMediaConnectArn", &["MEDIACONNECT"]),
    ("SecMediaConnectArn", &["MEDIACONNECT"]),
    ("PriDeviceId", &["INPUT_DEVICE"]),
    ("SecDeviceId", &["INPUT_DEVICE"]),
    ("SrtPassphraseSecretArn", SRT),
    ("SrtAlgorithm", SRT),
    ("SrtMinimumLatency", SRT),
    ("SrtStreamId", &["SRT_LISTENER"]),
];

/// Rules one input security group holds
/// (https://docs.aws.amazon.com/medialive/latest/ug/working-with-input-security-groups.html).
const MAX_CIDRS: usize = 10;

/// One of an input's pipelines: a STANDARD input has both, a
/// SINGLE_PIPELINE input only the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pipeline {
    Primary,
    Secondary,
}

impl Pipeline {
    pub(super) const BOTH: [Pipeline; 2] = [Pipeline::Primary, Pipeline::Secondary];

    /// The pipelines of a channel class.
    pub(super) fn of(class: &ChannelClass) -> &'static [Pipeline] {
        match class {
            ChannelClass::SinglePipeline => &Self::BOTH[..1],
            _ => &Self::BOTH,
        }
    }

    /// How the pipeline's properties begin: `PriUrl`, `SecUrl`.
    pub(super) fn prefix(self) -> &'static str {
        match self {
            Pipeline::Primary => "Pri",
            Pipeline::Secondary => "Sec",
        }
    }

    /// How stream names and parameter names end.
    pub(super) fn name(self) -> &'static str {
        match self {
            Pipeline::Primary => "primary",
            Pipeline::Secondary => "secondary",
        }
    }
}

/// One value per pipeline of the input's class, in pipeline order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PerPipeline<T>(Vec<(Pipeline, T)>);

impl<T> PerPipeline<T> {
    /// `Pri<name>` and, for STANDARD, `Sec<name>`, each required; a
    /// `Sec<name>` given to a SINGLE_PIPELINE input is refused.
    fn parse(
        props: &Props<'_>,
        class: &ChannelClass,
        name: &str,
        mut read: impl FnMut(Pipeline, String) -> Result<T, PropError>,
    ) -> Result<Self, PropError> {
        let pipelines = Pipeline::of(class);
        let mut values = Vec::new();
        for pipeline in Pipeline::BOTH {
            let property = format!("{}{name}", pipeline.prefix());
            let value = props.string(&property)?;
            match (value, pipelines.contains(&pipeline)) {
                (Some(value), true) => values.push((pipeline, read(pipeline, value)?)),
                (Some(_), false) => {
                    return Err(PropError::not_applicable(
                        &property,
                        "to ChannelClass SINGLE_PIPELINE (one pipeline)",
                    ));
                }
                (None, true) if pipeline == Pipeline::Primary => {
                    return Err(PropError::Missing { name: property });
                }
                (None, true) => {
                    return Err(PropError::invalid(
                        &property,
                        "is required for ChannelClass STANDARD (two pipelines)",
                    ));
                }
                (None, false) => {}
            }
        }
        Ok(PerPipeline(values))
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (Pipeline, &T)> {
        self.0.iter().map(|(pipeline, value)| (*pipeline, value))
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.0.iter().map(|(_, value)| value)
    }
}

/// One source read from a URL. Its `Debug` leaves the password out.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Source {
    pub(super) url: String,
    pub(super) user: Option<String>,
    pub(super) password: Option<String>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// An SRT source MediaLive calls: the user's listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SrtSource {
    pub(super) address: String,
    pub(super) port: u16,
    pub(super) stream_id: Option<String>,
}

/// What both SRT input types share: the minimum latency, and where the
/// passphrase is (the secret's ARN; the passphrase itself never passes
/// through the handler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Srt {
    pub(super) latency_ms: i32,
    pub(super) decryption: Option<(Algorithm, String)>,
}

/// Where the input's video comes from, with what only that way needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Feed {
    /// The encoder sends to the input's endpoints, from `cidrs` only.
    Push { cidrs: Vec<String> },
    /// MediaLive calls the user's SRT listener, one per pipeline.
    SrtCaller { sources: PerPipeline<SrtSource>, srt: Srt },
    /// The user's encoder calls the input's SRT endpoints, from `cidrs`
    /// only, encrypted (MediaLive takes no unencrypted SRT listener).
    SrtListener {
        cidrs: Vec<String>,
        srt: Srt,
        stream_id: Option<String>,
    },
    /// MediaLive reads a URL (a stream, or a file it loops).
    Url { sources: PerPipeline<Source> },
    MediaConnect {
        role_arn: String,
        flows: PerPipeline<String>,
    },
    Device { devices: PerPipeline<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    pub(super) input_type: InputType,
    pub(super) name: Option<String>,
    pub(super) class: ChannelClass,
    /// RTMP_PUSH's application/stream names end with it.
    pub(super) stream_name: String,
    pub(super) feed: Feed,
}

impl Spec {
    pub(super) fn name(&self, req: &Request) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", req.stack_name, req.logical_id))
    }

    pub(super) fn cidrs(&self) -> &[String] {
        match &self.feed {
            Feed::Push { cidrs } | Feed::SrtListener { cidrs, .. } => cidrs,
            _ => &[],
        }
    }

    /// The MediaLive quota its create counts against, as the Service
    /// Quotas console names it: push inputs have their own.
    pub(super) fn quota(&self) -> &'static str {
        if matches!(self.feed, Feed::Push { .. }) {
            "Push inputs"
        } else {
            "Inputs"
        }
    }

    /// Whether the encoder reaches the input through a security group.
    pub(super) fn takes_cidrs(&self) -> bool {
        matches!(self.feed, Feed::Push { .. } | Feed::SrtListener { .. })
    }

    pub(super) fn sources(&self) -> Option<&PerPipeline<Source>> {
        match &self.feed {
            Feed::Url { sources } => Some(sources),
            _ => None,
        }
    }

    pub(super) fn has_passwords(&self) -> bool {
        self.sources()
            .is_some_and(|sources| sources.values().any(|source| source.password.is_some()))
    }
}

impl Feed {
    fn parse(props: &Props<'_>, input_type: &str, class: &ChannelClass) -> Result<Self, PropError> {
        if PUSH.contains(&input_type) {
            return Ok(Feed::Push {
                cidrs: parse_cidrs(props)?,
            });
        }
        match input_type {
            "SRT_CALLER" => Ok(Feed::SrtCaller {
                sources: PerPipeline::parse(props, class, "Url", |pipeline, url| {
                    parse_srt_url(&format!("{}Url", pipeline.prefix()), &url)
                })?,
                srt: parse_srt(props, false)?,
            }),
            "SRT_LISTENER" => Ok(Feed::SrtListener {
                cidrs: parse_cidrs(props)?,
                srt: parse_srt(props, true)?,
                stream_id: props
                    .string("SrtStreamId")?
                    .map(|id| check_stream_id("SrtStreamId", id))
                    .transpose()?,
            }),
            "MEDIACONNECT" => {
                let role_arn = props.required_string("RoleArn")?;
                validate::arn("RoleArn", &role_arn, "iam", "role/")?;
                let flows = PerPipeline::parse(props, class, "MediaConnectArn", |pipeline, flow| {
                    let property = format!("{}MediaConnectArn", pipeline.prefix());
                    validate::arn(&property, &flow, "mediaconnect", "flow:")?;
                    Ok(flow)
                })?;
                Ok(Feed::MediaConnect { role_arn, flows })
            }
            "INPUT_DEVICE" => Ok(Feed::Device {
                devices: PerPipeline::parse(props, class, "DeviceId", |_, id| Ok(id))?,
            }),
            _ => Ok(Feed::Url {
                sources: parse_sources(props, input_type, class)?,
            }),
        }
    }
}

fn parse_cidrs(props: &Props<'_>) -> Result<Vec<String>, PropError> {
    let cidrs = props.list("Cidr")?.ok_or_else(|| PropError::Missing {
        name: "Cidr".to_owned(),
    })?;
    cidrs.iter().try_for_each(|cidr| check_cidr(cidr))?;
    if cidrs.len() > MAX_CIDRS {
        return Err(PropError::invalid(
            "Cidr",
            format!(
                "may hold at most {MAX_CIDRS} CIDR blocks (an input security group's limit), got {}",
                cidrs.len()
            ),
        ));
    }
    Ok(cidrs)
}

/// `PriUrl` / `SecUrl` with their optional `User` and `Pass`.
fn parse_sources(props: &Props<'_>, input_type: &str, class: &ChannelClass) -> Result<PerPipeline<Source>, PropError> {
    let sources = PerPipeline::parse(props, class, "Url", |pipeline, url| {
        let prefix = pipeline.prefix();
        check_url(&format!("{prefix}Url"), &url, input_type)?;
        let user = props.string(&format!("{prefix}User"))?;
        let password = props.string(&format!("{prefix}Pass"))?;
        if password.is_some() && user.is_none() {
            return Err(PropError::invalid(
                &format!("{prefix}User"),
                format!("is required with {prefix}Pass"),
            ));
        }
        Ok(Source { url, user, password })
    })?;
    // A secondary credential without a secondary pipeline.
    if !Pipeline::of(class).contains(&Pipeline::Secondary) {
        for secondary in ["SecUser", "SecPass"] {
            if props.has(secondary) {
                return Err(PropError::not_applicable(
                    secondary,
                    "to ChannelClass SINGLE_PIPELINE (one pipeline)",
                ));
            }
        }
    }
    Ok(sources)
}

/// `srt://host:port`, with an optional `streamid` query parameter.
fn parse_srt_url(name: &str, url: &str) -> Result<SrtSource, PropError> {
    let refused = |why: &str| {
        PropError::invalid(
            name,
            format!(
                "must be srt://host:port (optionally ?streamid=...) for SRT_CALLER: {why}, got {}",
                shown(name, url)
            ),
        )
    };
    let parsed = url::Url::parse(url).map_err(|_| refused("not a URL"))?;
    if parsed.scheme() != "srt" {
        return Err(refused("the scheme is not srt"));
    }
    // MediaLive's model: SrtListenerAddress is "the IP address at the
    // upstream system"; a host name would reach MediaLive unresolved.
    // (srt:// is no special scheme to the URL standard: its host is text.)
    let host = parsed
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| refused("no host"))?;
    let address = host
        .parse::<std::net::Ipv4Addr>()
        .map_err(|_| refused("MediaLive calls an IPv4 address, not a host name"))?
        .to_string();
    let port = parsed
        .port()
        .filter(|port| *port > 0)
        .ok_or_else(|| refused("no port"))?;
    let mut stream_id = None;
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "streamid" => stream_id = Some(check_stream_id(name, value.into_owned())?),
            other => return Err(refused(&format!("MediaLive takes no {other} option"))),
        }
    }
    Ok(SrtSource {
        address,
        port,
        stream_id,
    })
}

fn check_stream_id(name: &str, id: String) -> Result<String, PropError> {
    let printable = id.chars().all(|c| c.is_ascii_graphic());
    if !id.is_empty() && id.chars().count() <= SRT_STREAM_ID_MAX && printable {
        Ok(id)
    } else {
        Err(PropError::invalid(
            name,
            format!("a stream id must be 1 to {SRT_STREAM_ID_MAX} printable characters without spaces"),
        ))
    }
}

/// The minimum latency and the decryption; `encrypted` inputs need it.
fn parse_srt(props: &Props<'_>, encrypted: bool) -> Result<Srt, PropError> {
    let latency_ms = props
        .integer("SrtMinimumLatency", SRT_LATENCY_MS)?
        .map_or(Ok(SRT_DEFAULT_LATENCY_MS), i32::try_from)
        .map_err(|_| PropError::invalid("SrtMinimumLatency", "is out of range"))?;
    let algorithm = props
        .sdk_enum("SrtAlgorithm", &["AES128", "AES192", "AES256"])?
        .unwrap_or(Algorithm::Aes256);
    let decryption = match props.string("SrtPassphraseSecretArn")? {
        Some(arn) => {
            validate::arn("SrtPassphraseSecretArn", &arn, "secretsmanager", "secret:")?;
            Some((algorithm, arn))
        }
        None if encrypted => {
            return Err(PropError::invalid(
                "SrtPassphraseSecretArn",
                "is required for SRT_LISTENER: MediaLive takes only encrypted SRT listener inputs",
            ));
        }
        None if props.has("SrtAlgorithm") => {
            return Err(PropError::invalid(
                "SrtAlgorithm",
                "needs SrtPassphraseSecretArn (an unencrypted stream has no algorithm)",
            ));
        }
        None => None,
    };
    Ok(Srt { latency_ms, decryption })
}

fn parse_stream_name(props: &Props<'_>) -> Result<String, PropError> {
    let stream_name = props.string("StreamName")?.unwrap_or_else(|| "live".to_owned());
    let valid = !stream_name.is_empty()
        && stream_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if valid {
        Ok(stream_name)
    } else {
        Err(PropError::invalid(
            "StreamName",
            "must be letters, digits, '-', '_' or '.'",
        ))
    }
}

fn check_cidr(cidr: &str) -> Result<(), PropError> {
    let valid = cidr.split_once('/').is_some_and(|(address, bits)| {
        address.parse::<std::net::Ipv4Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|bits| bits <= 32)
    });
    if valid {
        Ok(())
    } else {
        Err(PropError::invalid(
            "Cidr",
            format!(
                "must be IPv4 CIDR blocks like 203.0.113.0/24, got {}",
                shown("Cidr", cidr)
            ),
        ))
    }
}

fn check_url(name: &str, url: &str, input_type: &str) -> Result<(), PropError> {
    let schemes: &[&str] = match input_type {
        "RTMP_PULL" => &["rtmp", "rtmps"],
        "URL_PULL" => &["http", "https"],
        _ => &["http", "https", "s3", "s3ssl"],
    };
    match url::Url::parse(url) {
        Ok(parsed) if schemes.contains(&parsed.scheme()) && parsed.host_str().is_some() => Ok(()),
        _ => Err(PropError::invalid(
            name,
            format!(
                "must be a {} URL for {input_type}, got {}",
                schemes.join(" or "),
                shown(name, url)
            ),
        )),
    }
}

impl Spec {
    pub(super) fn parse(props: Props<'_>) -> Result<Self, PropError> {
        let input_type = props.one_of("Type", INPUT_TYPES)?.ok_or_else(|| PropError::Missing {
            name: "Type".to_owned(),
        })?;
        props.check_applicable(APPLIES_TO, "Type", input_type)?;
        let class = props
            .sdk_enum("ChannelClass", &["STANDARD", "SINGLE_PIPELINE"])?
            .unwrap_or(ChannelClass::Standard);
        let name = props.string("Name")?;
        if let Some(name) = &name {
            validate::text("Name", name, 256)?;
        }
        let stream_name = parse_stream_name(&props)?;
        let feed = Feed::parse(&props, input_type, &class)?;
        Ok(Spec {
            input_type: InputType::from(input_type),
            name,
            class,
            stream_name,
            feed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse(props: Value) -> Result<Spec, PropError> {
        let map = props.as_object().cloned().unwrap_or_default();
        Spec::parse(Props::new(&map))
    }

    #[test]
    fn each_pipeline_of_the_class_gets_its_own_value() {
        let standard = parse(json!({
            "Type": "URL_PULL", "PriUrl": "https://a.example/live.m3u8", "SecUrl": "https://b.example/live.m3u8"
        }))
        .unwrap();
        let pipelines: Vec<(Pipeline, &str)> = standard
            .sources()
            .unwrap()
            .iter()
            .map(|(pipeline, source)| (pipeline, source.url.as_str()))
            .collect();
        assert_eq!(
            pipelines,
            [
                (Pipeline::Primary, "https://a.example/live.m3u8"),
                (Pipeline::Secondary, "https://b.example/live.m3u8")
            ]
        );

        let missing = parse(json!({"Type": "URL_PULL", "PriUrl": "https://a.example/live.m3u8"})).unwrap_err();
        assert!(missing.to_string().contains("SecUrl"), "{missing}");

        let single = parse(json!({
            "Type": "MP4_FILE", "ChannelClass": "single_pipeline", "PriUrl": "s3ssl://bucket/demo.mp4"
        }))
        .unwrap();
        assert_eq!(single.class, ChannelClass::SinglePipeline);
        assert_eq!(single.sources().unwrap().iter().count(), 1);

        let extra = parse(json!({
            "Type": "INPUT_DEVICE", "ChannelClass": "SINGLE_PIPELINE", "PriDeviceId": "hd-1", "SecDeviceId": "hd-2"
        }))
        .unwrap_err();
        assert!(extra.to_string().contains("SecDeviceId"), "{extra}");
    }

    #[test]
    fn each_input_type_reads_only_its_own_feed() {
        let push = parse(json!({"Type": "RTMP_PUSH", "Cidr": "203.0.113.0/24, 198.51.100.7/32"})).unwrap();
        assert_eq!(push.input_type, InputType::RtmpPush);
        assert_eq!(push.cidrs(), ["203.0.113.0/24", "198.51.100.7/32"]);
        assert!(push.sources().is_none());
        assert_eq!(push.quota(), "Push inputs", "push inputs have a quota of their own");

        let flows = parse(json!({
            "Type": "MEDIACONNECT", "ChannelClass": "SINGLE_PIPELINE",
            "RoleArn": "arn:aws:iam::123456789012:role/MediaLiveAccess",
            "PriMediaConnectArn": "arn:aws:mediaconnect:us-east-1:123456789012:flow:1-abc:live"
        }))
        .unwrap();
        assert!(matches!(&flows.feed, Feed::MediaConnect { flows, .. } if flows.values().count() == 1));
        assert!(flows.cidrs().is_empty());
        assert_eq!(flows.quota(), "Inputs");

        let too_many: Vec<String> = (0..11).map(|i| format!("203.0.113.{i}/32")).collect();
        let refused = parse(json!({"Type": "UDP_PUSH", "Cidr": too_many})).unwrap_err();
        assert!(refused.to_string().contains("at most 10"), "{refused}");
    }

    #[test]
    fn srt_inputs_read_their_listener_url_latency_and_secret() {
        let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:live/srt-AbCdEf";
        let caller = parse(json!({
            "Type": "SRT_CALLER",
            "PriUrl": "srt://203.0.113.10:9000?streamid=cam-1",
            "SecUrl": "srt://198.51.100.20:9001",
            "SrtPassphraseSecretArn": secret, "SrtMinimumLatency": "500"
        }))
        .unwrap();
        let Feed::SrtCaller { sources, srt } = &caller.feed else {
            panic!("{caller:?}")
        };
        let first = sources.values().next().unwrap();
        assert_eq!(
            (first.address.as_str(), first.port, first.stream_id.as_deref()),
            ("203.0.113.10", 9000, Some("cam-1"))
        );
        assert_eq!(srt.latency_ms, 500);
        assert_eq!(srt.decryption, Some((Algorithm::Aes256, secret.to_owned())));
        assert!(caller.cidrs().is_empty() && !caller.takes_cidrs());

        // A caller may read an unencrypted stream; a listener may not.
        let plain = parse(json!({"Type": "SRT_CALLER", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "srt://192.0.2.1:9000"})).unwrap();
        assert!(matches!(&plain.feed, Feed::SrtCaller { srt, .. } if srt.decryption.is_none() && srt.latency_ms == 120));
        let open = parse(json!({"Type": "SRT_LISTENER", "Cidr": "203.0.113.0/24"})).unwrap_err();
        assert!(open.to_string().contains("SrtPassphraseSecretArn"), "{open}");

        let listener = parse(json!({
            "Type": "SRT_LISTENER", "Cidr": "203.0.113.0/24", "SrtPassphraseSecretArn": secret,
            "SrtStreamId": "studio", "SrtAlgorithm": "AES128"
        }))
        .unwrap();
        assert!(listener.takes_cidrs());
        assert!(matches!(&listener.feed, Feed::SrtListener { stream_id: Some(id), srt, .. }
            if id == "studio" && srt.decryption.as_ref().is_some_and(|(a, _)| *a == Algorithm::Aes128)));

        for (props, named) in [
            (json!({"Type": "SRT_CALLER", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "https://h:9000"}), "PriUrl"),
            (json!({"Type": "SRT_CALLER", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "srt://encoder.example.com:9000"}), "IPv4"),
            (json!({"Type": "SRT_CALLER", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "srt://[2001:db8::1]:9000"}), "IPv4"),
            (json!({"Type": "SRT_CALLER", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "srt://h"}), "PriUrl"),
            (json!({"Type": "SRT_CALLER", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "srt://192.0.2.1:9000?latency=20"}), "PriUrl"),
            (json!({"Type": "SRT_CALLER", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "srt://192.0.2.1:9000", "SrtMinimumLatency": "100"}), "SrtMinimumLatency"),
            (json!({"Type": "SRT_CALLER", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "srt://192.0.2.1:9000", "SrtAlgorithm": "AES256"}), "SrtAlgorithm"),
            (json!({"Type": "SRT_LISTENER", "Cidr": "203.0.113.0/24", "SrtPassphraseSecretArn": "arn:aws:s3:::bucket"}), "SrtPassphraseSecretArn"),
            (json!({"Type": "SRT_LISTENER", "Cidr": "203.0.113.0/24", "SrtPassphraseSecretArn": secret, "SrtStreamId": "has space"}), "SrtStreamId"),
            (json!({"Type": "RTMP_PUSH", "Cidr": "203.0.113.0/24", "SrtMinimumLatency": "200"}), "SrtMinimumLatency"),
        ] {
            let refused = parse(props.clone()).unwrap_err().to_string();
            assert!(refused.contains(named), "{props}: {refused}");
        }
    }

    #[test]
    fn passwords_never_appear_in_debug_output() {
        let spec = parse(json!({
            "Type": "RTMP_PULL", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "rtmp://origin.example/live/feed",
            "PriUser": "encoder", "PriPass": "hunter2-very-secret"
        }))
        .unwrap();
        assert!(spec.has_passwords());
        let shown = format!("{spec:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("encoder") && shown.contains("<redacted>"), "{shown}");
    }
}
