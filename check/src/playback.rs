//! Playback as a viewer gets it, through CloudFront: the player page, and
//! while the channel runs each stream output's manifest, the playlist or
//! representation it names and the first segment of that, which must be
//! media (not an error page served 200); low-latency HLS must carry part
//! tags. And the origin as anyone else gets it: each MediaPackage v2
//! endpoint asked directly, without CloudFront's signature, must refuse
//! (CloudFront developer guide, "Restrict access to an AWS Elemental
//! MediaPackage v2 origin").
//!
//! `LIVESTREAM_CHECK_EDGE_URL`, when set to an `http://` address, is where
//! every one of these requests goes instead, with its `Host` kept: a local
//! stand-in for CloudFront and the origin (the local run's and the tests'),
//! as `AWS_ENDPOINT_URL` is for the AWS APIs.

use std::time::Duration;

use aws_sdk_mediapackagev2::error::DisplayErrorContext;
use url::Url;

use crate::manifest::{self, Hls};
use crate::{Clients, Line, StackView};

const PART: &str = "playback";
/// What to do when CloudFront does not answer at all.
const UNREACHABLE_FIX: &str = "check the address resolves and your network reaches CloudFront, then check again";
/// Where the tests and the local run put their stand-in edge.
pub const EDGE_URL: &str = "LIVESTREAM_CHECK_EDGE_URL";

/// The HTTP client playback is fetched with.
pub struct Web {
    client: reqwest::Client,
    via: Option<Url>,
}

struct Fetched {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Web {
    pub fn from_env() -> Self {
        Web {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .redirect(reqwest::redirect::Policy::limited(3))
                .build()
                .unwrap_or_default(),
            via: std::env::var(EDGE_URL).ok().and_then(|via| Url::parse(&via).ok()),
        }
    }

    async fn get(&self, url: &Url) -> Result<Fetched, String> {
        let request = match &self.via {
            Some(via) => {
                let mut target = via.clone();
                target.set_path(url.path());
                target.set_query(url.query());
                let host = match url.port() {
                    Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                    None => url.host_str().unwrap_or_default().to_owned(),
                };
                self.client.get(target).header(reqwest::header::HOST, host)
            }
            None => self.client.get(url.clone()),
        };
        let response = request.send().await.map_err(|err| format!("no answer ({err})"))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .bytes()
            .await
            .map_err(|err| format!("the body broke off ({err})"))?
            .to_vec();
        Ok(Fetched {
            status,
            content_type,
            body,
        })
    }

    /// `url`'s body when it answers 200; else what it answered, as words.
    async fn fetch(&self, url: &Url, what: &str) -> Result<Fetched, Miss> {
        match self.get(url).await {
            Ok(fetched) if fetched.status == 200 => Ok(fetched),
            Ok(fetched) => Err(Miss::Status(what.to_owned(), url.to_string(), fetched.status)),
            Err(why) => Err(Miss::Unreachable(what.to_owned(), url.to_string(), why)),
        }
    }
}

/// Why a stream could not be followed to its first segment.
enum Miss {
    Status(String, String, u16),
    Unreachable(String, String, String),
    Unplayable(String, String, String),
}

impl Miss {
    fn words(&self) -> String {
        match self {
            Miss::Status(what, url, status) => format!("its {what} ({url}) answered {status}"),
            Miss::Unreachable(what, url, why) => format!("its {what} ({url}): {why}"),
            Miss::Unplayable(what, url, why) => format!("its {what} ({url}) is {why}"),
        }
    }

    fn fix(&self, stack: &str) -> String {
        match self {
            Miss::Status(_, _, 403) => format!(
                "CloudFront was refused: the origin line above says whether the endpoint policy lets the distribution read; otherwise deploy {stack} again"
            ),
            Miss::Status(_, _, 404) => "the channel sends nothing to MediaPackage yet: give it a minute after it starts (its input must be on air), then check again; the dashboard's input widgets say whether video arrives".into(),
            Miss::Status(_, _, status) if *status >= 500 => "the origin failed: look at the channel's alerts in the MediaLive console and MediaPackage's 5xx on the dashboard, then check again".into(),
            Miss::Status(..) => format!("deploy {stack} again: the distribution's behaviours send this path elsewhere"),
            Miss::Unreachable(..) => UNREACHABLE_FIX.into(),
            Miss::Unplayable(..) => "a player cannot play this: look at what the URL serves (curl it) and at the endpoint's manifest settings".into(),
        }
    }
}

/// The stream outputs, each with the format its manifest is in; low-latency
/// HLS must carry part tags.
const STREAMS: &[(&str, Format)] = &[
    ("HlsUrl", Format::Hls { low_latency: false }),
    ("LowLatencyHlsUrl", Format::Hls { low_latency: true }),
    ("CmafUrl", Format::Hls { low_latency: false }),
    ("DashUrl", Format::Dash),
    ("MssUrl", Format::Smooth),
];

#[derive(Clone, Copy)]
enum Format {
    Hls { low_latency: bool },
    Dash,
    Smooth,
}

/// Every playback line of `view`; `running`: whether its channel runs
/// (`None` for a stack without a channel, a foundation).
pub(crate) async fn check(
    aws: &Clients,
    view: &StackView,
    foundation: Option<&StackView>,
    running: Option<bool>,
) -> Vec<Line> {
    let web = &aws.web;
    let mut lines = Vec::new();
    if let Some(player) = view.output("PlayerUrl") {
        lines.push(player_page(web, player).await);
    }
    let Some(running) = running else {
        return lines;
    };
    if !running {
        lines.push(Line::not_yet(
            PART,
            "the channel is not running: each stream is fetched through CloudFront while it runs (start it, give it a minute, check again)",
        ));
        return lines;
    }
    let access = foundation.unwrap_or(view).parameter("PlaybackAccess");
    let protected = access == Some("SignedCookies");
    for (output, format) in STREAMS {
        let Some(url) = view.output(output).and_then(|u| Url::parse(u).ok()) else {
            continue;
        };
        if protected {
            lines.push(refuses_without_cookies(web, output, &url).await);
            continue;
        }
        lines.push(match follow(web, &url, *format).await {
            Ok(words) => Line::holds(PART, format!("{output} plays through CloudFront: {words}")),
            Err(miss) => Line::fail(
                PART,
                format!("{output} does not play through CloudFront: {}", miss.words()),
                miss.fix(&view.name),
            ),
        });
    }
    if protected {
        lines.push(Line::not_yet(
            PART,
            "the streams need a viewer's signed cookies (PlaybackAccess=SignedCookies): their manifests and segments are not fetched; the README's protected-playback commands fetch them with the passcode",
        ));
    }
    lines.extend(origin_refuses(aws, view).await);
    lines
}

/// The player page answers with HTML.
async fn player_page(web: &Web, player: &str) -> Line {
    let Ok(url) = Url::parse(player) else {
        return Line::fail(
            PART,
            format!("the PlayerUrl output {player:?} is no URL"),
            "deploy the stack again",
        );
    };
    match web.get(&url).await {
        Ok(page) if page.status == 200 && page.content_type.starts_with("text/html") => {
            Line::holds(PART, format!("the player page {url} loads"))
        }
        Ok(page) if page.status == 200 => Line::fail(
            PART,
            format!(
                "the player page {url} is served as {:?}, not text/html: browsers will not show it",
                page.content_type
            ),
            "deploy the stack again: its DemoPlayer writes the page with its type",
        ),
        Ok(page) => Line::fail(
            PART,
            format!("the player page {url} answered {}", page.status),
            "deploy the stack again (DeployPlayer=Yes writes the page); a 403 from a new distribution can also mean it is still deploying: wait for it",
        ),
        Err(why) => Line::fail(PART, format!("the player page {url}: {why}"), UNREACHABLE_FIX),
    }
}

/// With signed cookies, a viewer without them is refused.
async fn refuses_without_cookies(web: &Web, output: &str, url: &Url) -> Line {
    match web.get(url).await {
        Ok(answer) if answer.status == 403 => Line::holds(
            PART,
            format!("{output} refuses a viewer without the signed cookies (403)"),
        ),
        Ok(answer) => Line::fail(
            PART,
            format!(
                "{output} answered {} without the signed cookies: anyone can watch",
                answer.status
            ),
            "deploy the stack again: its distribution's stream behaviours must name the key group (TrustedKeyGroups)",
        ),
        Err(why) => Line::fail(PART, format!("{output} ({url}): {why}"), UNREACHABLE_FIX),
    }
}

/// Follows a stream from its manifest to its first segment; what it found.
async fn follow(web: &Web, url: &Url, format: Format) -> Result<String, Miss> {
    match format {
        Format::Hls { low_latency } => follow_hls(web, url, low_latency).await,
        Format::Dash => {
            let mpd = web.fetch(url, "manifest").await?;
            let first = manifest::dash(&String::from_utf8_lossy(&mpd.body))
                .map_err(|why| Miss::Unplayable("manifest".into(), url.to_string(), why))?;
            let mut base = url.clone();
            for step in &first.bases {
                base = join(&base, step, "manifest")?;
            }
            if let Some(init) = &first.initialization {
                web.fetch(&join(&base, init, "manifest")?, "initialization segment")
                    .await?;
            }
            let segment = segment(web, &join(&base, &first.segment, "manifest")?).await?;
            Ok(format!(
                "a DASH manifest of {} representation(s); the first's first segment, {segment}",
                first.representations
            ))
        }
        Format::Smooth => {
            let manifest = web.fetch(url, "manifest").await?;
            let first = manifest::smooth(&String::from_utf8_lossy(&manifest.body))
                .map_err(|why| Miss::Unplayable("manifest".into(), url.to_string(), why))?;
            let fragment = segment(web, &join(url, &first.fragment, "manifest")?).await?;
            Ok(format!(
                "a Smooth Streaming manifest of {} stream(s); the first video fragment, {fragment}",
                first.streams
            ))
        }
    }
}

async fn follow_hls(web: &Web, url: &Url, low_latency: bool) -> Result<String, Miss> {
    let playlist = |fetched: &Fetched, at: &Url, what: &str| {
        manifest::hls(&String::from_utf8_lossy(&fetched.body))
            .map_err(|why| Miss::Unplayable(what.to_owned(), at.to_string(), why))
    };
    let top = web.fetch(url, "playlist").await?;
    let (mut words, media_url, media) = match playlist(&top, url, "playlist")? {
        Hls::Master { variants } => {
            let first = join(url, &variants[0], "multivariant playlist")?;
            let media = web.fetch(&first, "first variant's playlist").await?;
            let parsed = playlist(&media, &first, "first variant's playlist")?;
            (
                format!("a multivariant playlist of {} variant(s); ", variants.len()),
                first,
                parsed,
            )
        }
        media => (String::new(), url.clone(), media),
    };
    let Hls::Media { segments, map, parts } = media else {
        return Err(Miss::Unplayable(
            "first variant's playlist".into(),
            media_url.to_string(),
            "a multivariant playlist again, not a media playlist".into(),
        ));
    };
    if low_latency && parts == 0 {
        return Err(Miss::Unplayable(
            "media playlist".into(),
            media_url.to_string(),
            "without EXT-X-PART tags: players cannot play it at low latency (the endpoint's LowLatencyHlsManifests, and MediaLive's output, make the parts)".into(),
        ));
    }
    if let Some(map) = map {
        web.fetch(&join(&media_url, &map, "media playlist")?, "initialization section")
            .await?;
    }
    let first = segment(web, &join(&media_url, &segments[0], "media playlist")?).await?;
    words.push_str(&format!("a media playlist of {} segment(s)", segments.len()));
    if low_latency {
        words.push_str(&format!(" and {parts} part(s)"));
    }
    words.push_str(&format!("; its first segment, {first}"));
    Ok(words)
}

/// A segment fetched and told to be media: its size and kind, as words.
async fn segment(web: &Web, url: &Url) -> Result<String, Miss> {
    let fetched = web.fetch(url, "first segment").await?;
    match manifest::media_kind(&fetched.body) {
        Some(kind) => Ok(format!("{kind}, {} bytes", fetched.body.len())),
        None => Err(Miss::Unplayable(
            "first segment".into(),
            url.to_string(),
            format!("not media ({} bytes of {:?})", fetched.body.len(), fetched.content_type),
        )),
    }
}

fn join(base: &Url, reference: &str, what: &str) -> Result<Url, Miss> {
    base.join(reference).map_err(|err| {
        Miss::Unplayable(
            what.to_owned(),
            base.to_string(),
            format!("naming {reference:?}, no URL ({err})"),
        )
    })
}

/// Each v2 endpoint, asked directly (not through CloudFront), refuses.
async fn origin_refuses(aws: &Clients, view: &StackView) -> Vec<Line> {
    let mut lines = Vec::new();
    if view.of_type("Custom::MediaPackageEndPoint").next().is_some() {
        lines.push(Line::not_yet(
            PART,
            "the MediaPackage v1 endpoints' refusal of requests without CloudFront's CDN authorization header is not asked (only v2 endpoints are)",
        ));
    }
    for (logical, arn) in view.of_type("AWS::MediaPackageV2::OriginEndpoint") {
        let Some((group, channel, endpoint)) = crate::origin::names_of(arn) else {
            continue;
        };
        let described = match aws
            .mediapackagev2
            .get_origin_endpoint()
            .channel_group_name(group)
            .channel_name(channel)
            .origin_endpoint_name(endpoint)
            .send()
            .await
        {
            Ok(described) => described,
            Err(err) => {
                lines.push(Line::fail(
                    PART,
                    format!(
                        "endpoint {endpoint} ({logical}) cannot be described: {}",
                        DisplayErrorContext(&err)
                    ),
                    format!("deploy {} again", view.name),
                ));
                continue;
            }
        };
        let direct = described
            .hls_manifests()
            .iter()
            .map(|m| m.url())
            .chain(described.dash_manifests().iter().map(|m| m.url()))
            .chain(described.mss_manifests().iter().map(|m| m.url()))
            .find_map(|u| Url::parse(u).ok());
        let Some(direct) = direct else {
            continue;
        };
        lines.push(match aws.web.get(&direct).await {
            Ok(answer) if answer.status == 401 || answer.status == 403 => Line::holds(
                PART,
                format!(
                    "endpoint {endpoint} ({logical}) refuses a request that does not come through CloudFront ({})",
                    answer.status
                ),
            ),
            Ok(answer) => Line::fail(
                PART,
                format!(
                    "endpoint {endpoint} ({logical}) answered {} to a request that does not come through CloudFront ({direct}): anyone can read the origin",
                    answer.status
                ),
                format!(
                    "aws mediapackagev2 get-origin-endpoint-policy --channel-group-name {group} --channel-name {channel} --origin-endpoint-name {endpoint}: only cloudfront.amazonaws.com, with AWS:SourceArn the distribution, may read; deploy {} again to put the stack's policy back",
                    view.name
                ),
            ),
            Err(why) => Line::not_yet(
                PART,
                format!("endpoint {endpoint} ({logical}) could not be asked directly ({why})"),
            ),
        });
    }
    lines
}
