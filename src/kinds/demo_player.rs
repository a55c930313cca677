//! `DemoPlayer`: the demo page that plays the stack's streams, written to
//! an S3 bucket the template owns (served through CloudFront). The page, its
//! own script and style, and the pinned hls.js and dash.js builds are
//! compiled into this binary (see `build.rs`), so nothing is fetched from a
//! third-party host, at deploy time or when the page is viewed.
//!
//! Every object carries this stack resource's ownership in its user
//! metadata; a Delete lists the prefix (all pages) and removes the objects
//! this player writes that carry it, and nothing else. A Create or Update
//! refuses a location where any object with a player's name is someone
//! else's, so nothing of another's is overwritten. `player` and `player/`
//! are one location with one id.
//!
//! A foundation's page lists its events instead of playing streams of its
//! own (`EventsFolder`); each event writes only its `config.json` in a
//! folder of its own there (`Event`) and refreshes the list (`event_list`).

mod event_list;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, EncodingType, ObjectIdentifier};
use url::Url;

use super::resource::{Outcome, Request, Resource};
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props, shown};
use crate::error::{Error, Found, aws_error};
use crate::ownership::{LOGICAL_ID_TAG, REQUEST_ID_TAG, STACK_ID_TAG};

pub(super) struct DemoPlayer;

/// One file of the player as it is written to S3.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    cache_control: &'static str,
    body: &'static [u8],
}

/// A file under `player/` in the repository, read at compile time.
macro_rules! bundled {
    ($path:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/player/", $path))
    };
}

/// The page's own files change with each release: revalidate. The
/// libraries change only when their pins do.
const REVALIDATE: &str = "no-cache";
const ONE_HOUR: &str = "public, max-age=3600";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// In the order written: the page last, so it never refers to a file not
/// yet there.
const ASSETS: &[Asset] = &[
    Asset {
        name: "hls.min.js",
        content_type: JAVASCRIPT,
        cache_control: ONE_HOUR,
        body: bundled!("node_modules/hls.js/dist/hls.min.js"),
    },
    Asset {
        name: "dash.all.min.js",
        content_type: JAVASCRIPT,
        cache_control: ONE_HOUR,
        body: bundled!("node_modules/dashjs/dist/modern/umd/dash.all.min.js"),
    },
    Asset {
        // Smooth Streaming support for dash.js, loaded for MSS URLs only.
        name: "dash.mss.min.js",
        content_type: JAVASCRIPT,
        cache_control: ONE_HOUR,
        body: bundled!("node_modules/dashjs/dist/modern/umd/dash.mss.min.js"),
    },
    Asset {
        name: "licenses/hls.js.txt",
        content_type: "text/plain; charset=utf-8",
        cache_control: ONE_HOUR,
        body: bundled!("node_modules/hls.js/LICENSE"),
    },
    Asset {
        name: "licenses/dash.js.txt",
        content_type: "text/plain; charset=utf-8",
        cache_control: ONE_HOUR,
        body: bundled!("node_modules/dashjs/LICENSE.md"),
    },
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        cache_control: REVALIDATE,
        body: bundled!("src/style.css"),
    },
    Asset {
        name: "player.js",
        content_type: JAVASCRIPT,
        cache_control: REVALIDATE,
        body: bundled!("src/player.js"),
    },
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        cache_control: REVALIDATE,
        body: bundled!("src/index.html"),
    },
];

/// The playback URLs, read by the page.
const CONFIG: &str = "config.json";

/// The properties naming a playback URL, and the key each has in
/// `config.json` (the page offers them in this order).
const URLS: &[(&str, &str)] = &[
    ("HlsUrl", "hls"),
    ("LowLatencyHlsUrl", "llhls"),
    ("DashUrl", "dash"),
    ("CmafUrl", "cmaf"),
    ("MssUrl", "mss"),
];

/// S3 user metadata names for the ownership tags (metadata travels as
/// `x-amz-meta-*` headers, where `:` cannot appear).
const OWNERSHIP_METADATA: &[(&str, &str)] = &[
    (STACK_ID_TAG, "livestream-stack-id"),
    (LOGICAL_ID_TAG, "livestream-logical-id"),
    (REQUEST_ID_TAG, "livestream-request-id"),
];

/// S3 deletes at most this many keys per DeleteObjects call.
const DELETE_BATCH: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spec {
    bucket: String,
    prefix: String,
    /// `config.json` key → URL, for each URL property given.
    urls: BTreeMap<&'static str, String>,
    role: Role,
    /// The list of recordings the page offers, and whose: the MediaPackage
    /// v2 channel (the stack's or event's) its entries name.
    recordings: Option<(String, Option<String>)>,
    /// Where the page sends a viewer's passcode when playback needs signed
    /// cookies (`PlaybackAccess: SignedCookies`); `None`: open.
    viewer_auth: Option<String>,
}

/// What the player at a location is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    /// The page, playing the URLs given.
    Page,
    /// A foundation's page, offering the events listed in `folder`
    /// (relative to the page).
    EventsPage { folder: String },
    /// One event of a foundation's page: its `config.json` only, in a
    /// folder of the page's events folder.
    Event { name: String },
}

impl Spec {
    fn writes_page(&self) -> bool {
        !matches!(self.role, Role::Event { .. })
    }

    /// What `config.json` holds.
    fn config(&self) -> serde_json::Value {
        let mut config = serde_json::Map::new();
        for (key, url) in &self.urls {
            config.insert((*key).to_owned(), url.clone().into());
        }
        match &self.role {
            Role::Page => {}
            Role::EventsPage { folder } => {
                config.insert("events".to_owned(), folder.clone().into());
            }
            Role::Event { name } => {
                config.insert("event".to_owned(), name.clone().into());
            }
        }
        if let Some(path) = &self.viewer_auth {
            config.insert("auth".to_owned(), path.clone().into());
        }
        if let Some((list, channel)) = &self.recordings {
            config.insert("recordings".to_owned(), list.clone().into());
            if let Some(channel) = channel {
                config.insert("recordingsOf".to_owned(), channel.clone().into());
            }
        }
        config.into()
    }
}

/// Where a player lives: its physical id is `s3://<bucket>/<folder>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Location {
    bucket: String,
    /// The prefix as a folder (empty, or ending in `/`): `player` and
    /// `player/` both put the page at `player/index.html`, so they are one
    /// location, with one id.
    folder: String,
}

impl Location {
    fn new(bucket: &str, prefix: &str) -> Self {
        let folder = if prefix.is_empty() || prefix.ends_with('/') {
            prefix.to_owned()
        } else {
            format!("{prefix}/")
        };
        Location {
            bucket: bucket.to_owned(),
            folder,
        }
    }

    fn of(spec: &Spec) -> Self {
        Self::new(&spec.bucket, &spec.prefix)
    }

    /// The location an id names, in either spelling of its folder.
    fn parse(physical_id: &str) -> Option<Self> {
        let (bucket, prefix) = physical_id.strip_prefix("s3://")?.split_once('/')?;
        (is_bucket_name(bucket) && physical_id.len() <= 1024).then(|| Self::new(bucket, prefix))
    }

    fn id(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.folder)
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.folder)
    }

    fn what(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

/// Every object name the player writes.
fn written_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|asset| asset.name).chain([CONFIG])
}

impl Resource for DemoPlayer {
    const NAME: &'static str = "DemoPlayer";
    const PROPERTIES: &'static [&'static str] = &[
        "Bucket",
        "Prefix",
        "HlsUrl",
        "LowLatencyHlsUrl",
        "DashUrl",
        "CmafUrl",
        "MssUrl",
        "Event",
        "EventsFolder",
        "RecordingsUrl",
        "RecordingsOf",
        "PlaybackAccess",
        "ViewerAuthPath",
    ];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        let bucket = props.required_string("Bucket")?;
        if !is_bucket_name(&bucket) {
            return Err(PropError::invalid(
                "Bucket",
                format!(
                    "must be an S3 bucket name (3 to 63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit), got {}",
                    shown("Bucket", &bucket)
                ),
            ));
        }
        let prefix = props.string("Prefix")?.unwrap_or_default();
        check_prefix(&prefix)?;
        let mut urls = BTreeMap::new();
        for (property, key) in URLS {
            if let Some(url) = props.string(property)? {
                check_url(property, &url)?;
                urls.insert(*key, url);
            }
        }
        let role = match (props.string("Event")?, props.string("EventsFolder")?) {
            (Some(_), Some(_)) => {
                return Err(PropError::invalid(
                    "Event",
                    "names one event of a foundation's page; EventsFolder makes the page itself: give one, not both",
                ));
            }
            (Some(name), None) => {
                super::validate::text("Event", &name, 128)?;
                if event_list::parent_of(&Location::new(&bucket, &prefix).folder).is_none() {
                    return Err(PropError::invalid(
                        "Prefix",
                        "must name an event's own folder in the page's events folder (as player/events/<event>/)",
                    ));
                }
                Role::Event { name }
            }
            (None, Some(folder)) => {
                check_prefix(&folder).map_err(|err| PropError::invalid("EventsFolder", err.to_string()))?;
                if !folder.ends_with('/') || folder.is_empty() {
                    return Err(PropError::invalid(
                        "EventsFolder",
                        "must be a folder below the page, ending in '/' (as events/)",
                    ));
                }
                Role::EventsPage { folder }
            }
            (None, None) => Role::Page,
        };
        if urls.is_empty() && !matches!(role, Role::EventsPage { .. }) {
            return Err(PropError::invalid(
                "HlsUrl",
                "at least one of HlsUrl, LowLatencyHlsUrl, DashUrl, CmafUrl or MssUrl is required: the player has nothing to play",
            ));
        }
        let recordings = match (props.string("RecordingsUrl")?, props.string("RecordingsOf")?) {
            (Some(list), channel) => {
                check_url("RecordingsUrl", &list)?;
                if let Some(channel) = &channel {
                    super::validate::text("RecordingsOf", channel, 256)?;
                }
                Some((list, channel))
            }
            (None, Some(_)) => {
                return Err(PropError::invalid(
                    "RecordingsOf",
                    "names whose recordings the page lists from RecordingsUrl, which is not given",
                ));
            }
            (None, None) => None,
        };
        let viewer_auth = match props.string("PlaybackAccess")?.as_deref().unwrap_or("Open") {
            "Open" => None,
            "SignedCookies" => {
                let path = props.string("ViewerAuthPath")?.unwrap_or_else(|| "/auth/".to_owned());
                let valid = path.starts_with("/auth/")
                    && path.len() <= 256
                    && path.chars().all(|c| c.is_ascii_alphanumeric() || "/-_".contains(c));
                if !valid {
                    return Err(PropError::invalid(
                        "ViewerAuthPath",
                        format!("must be a path below /auth/ (letters, digits, '-', '_'), got {}", shown("ViewerAuthPath", &path)),
                    ));
                }
                Some(path)
            }
            other => {
                return Err(PropError::invalid(
                    "PlaybackAccess",
                    format!("must be Open or SignedCookies, got {}", shown("PlaybackAccess", other)),
                ));
            }
        };
        Ok(Spec {
            bucket,
            prefix,
            urls,
            role,
            recordings,
            viewer_auth,
        })
    }

    async fn create(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        let location = Location::of(spec);
        refuse_if_not_ours(aws, req, &location).await?;
        // Known before the first write: if this Create fails part-way, its
        // FAILED answer names the location and the rollback's Delete
        // removes whatever was written.
        req.record_created(&location.id());
        write(aws, req, &location, spec).await?;
        Ok(outcome(&location, &location.id(), spec))
    }

    async fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        let location = Location::of(new);
        if Location::parse(physical_id).as_ref() != Some(&location) {
            // Elsewhere: a new player; CloudFormation deletes the old one
            // once this answer names the new location.
            return move_to(aws, req, &location, new).await;
        }
        // The same place, however its prefix is spelt: the same id, so
        // CloudFormation never deletes the live player as an old one.
        if old == Some(new) {
            return Ok(outcome(&location, physical_id, new));
        }
        refuse_if_not_ours(aws, req, &location).await?;
        if old.is_some_and(Spec::writes_page) && !new.writes_page() {
            // A page becoming one event: its page files go.
            remove(aws, req, &location, None).await?;
        }
        write(aws, req, &location, new).await?;
        Ok(outcome(&location, physical_id, new))
    }

    fn could_be_id(physical_id: &str) -> bool {
        Location::parse(physical_id).is_some()
    }

    async fn delete(aws: &Clients, req: &Request, physical_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        let Some(location) = Location::parse(physical_id) else {
            return Ok(());
        };
        remove(aws, req, &location, None).await?;
        if spec.is_some_and(|spec| !spec.writes_page()) {
            event_list::refresh(aws, &location).await?;
        }
        Ok(())
    }

    async fn delete_made_in(aws: &Clients, req: &Request, request_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        // The Create records its location before writing, so this is only
        // reached when its properties were not even readable.
        let Some(spec) = spec else {
            return Ok(());
        };
        let location = Location::of(spec);
        remove(aws, req, &location, Some(request_id)).await?;
        if !spec.writes_page() {
            event_list::refresh(aws, &location).await?;
        }
        Ok(())
    }
}

fn outcome(location: &Location, physical_id: &str, spec: &Spec) -> Outcome {
    let objects = if spec.writes_page() { ASSETS.len() + 1 } else { 1 };
    Outcome::new(physical_id).with_data(BTreeMap::from([
        ("Prefix".to_owned(), location.folder.clone()),
        ("Objects".to_owned(), objects.to_string()),
    ]))
}

/// What a move to a new location needs left when its writes fail, to take
/// back what it wrote there.
const MOVE_CLEANUP_TIME: std::time::Duration = std::time::Duration::from_secs(20);

/// Writes the player at a new location for an Update. If that fails
/// part-way (or runs out of time), what it wrote there is removed again:
/// CloudFormation's rollback keeps the old location, and nothing would
/// ever delete the new one.
async fn move_to(aws: &Clients, req: &Request, location: &Location, spec: &Spec) -> Result<Outcome, Error> {
    let write_until = req.work_until.checked_sub(MOVE_CLEANUP_TIME).unwrap_or(req.work_until);
    let written = match tokio::time::timeout_at(write_until, DemoPlayer::create(aws, req, spec)).await {
        Ok(written) => written,
        Err(_) => Err(Error::TimedOut(format!(
            "timed out writing the player at {}",
            location.id()
        ))),
    };
    if written.is_err() {
        tracing::warn!(location = %location.id(), "the move failed; removing what it wrote there");
        if let Err(cleanup) = remove(aws, req, location, Some(&req.request_id)).await {
            tracing::error!(cause = %cleanup, location = %location.id(), "could not remove what the failed move wrote");
        }
    }
    written
}

/// The objects under `location` that bear the player's names, with their
/// ownership metadata; `None` when the bucket does not exist. Keys are
/// listed URL-encoded (S3's `encoding-type=url`), so a key holding a
/// character XML cannot carry is read like any other.
async fn player_objects(aws: &Clients, location: &Location) -> Result<Option<Vec<(String, Owner)>>, Error> {
    let names: Vec<&str> = written_names().collect();
    let mut found = Vec::new();
    let mut pages = aws
        .s3
        .list_objects_v2()
        .bucket(&location.bucket)
        .prefix(&location.folder)
        .encoding_type(EncodingType::Url)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let Some(page) = page.map_err(aws_error("ListObjectsV2")).found()? else {
            return Ok(None); // the bucket is gone, and the player with it
        };
        for object in page.contents() {
            let Some(key) = object.key().and_then(url_decoded) else {
                continue;
            };
            if key
                .strip_prefix(&location.folder)
                .is_some_and(|name| names.contains(&name))
            {
                found.push(key);
            }
        }
    }
    let mut owned = Vec::with_capacity(found.len());
    for key in found {
        let head = aws
            .s3
            .head_object()
            .bucket(&location.bucket)
            .key(&key)
            .send()
            .await
            .map_err(aws_error("HeadObject"))
            .found()?;
        if let Some(head) = head {
            owned.push((key, Owner::of(head.metadata())));
        }
    }
    Ok(Some(owned))
}

/// A key as `encoding-type=url` lists it, decoded; `None` when it does not
/// decode to text (no name of the player's, then).
fn url_decoded(key: &str) -> Option<String> {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The page never overwrites an object someone else put where the player
/// goes: any object with a player's name there must be this resource's.
async fn refuse_if_not_ours(aws: &Clients, req: &Request, location: &Location) -> Result<(), Error> {
    for (key, owner) in player_objects(aws, location).await?.unwrap_or_default() {
        if !req.owns(owner.tags()) {
            return Err(req.not_ours(&location.what(&key)));
        }
    }
    Ok(())
}

/// Writes `config.json` and, for a page, every asset; an event then
/// refreshes its foundation's list.
async fn write(aws: &Clients, req: &Request, location: &Location, spec: &Spec) -> Result<(), Error> {
    let config = Asset {
        name: CONFIG,
        content_type: "application/json",
        cache_control: REVALIDATE,
        body: &[],
    };
    let config_body = serde_json::to_vec_pretty(&spec.config())
        .map_err(|err| Error::Unexpected(format!("config.json could not be written: {err}")))?;
    put(aws, req, location, &config, ByteStream::from(config_body)).await?;
    if !spec.writes_page() {
        tracing::info!(location = %location.id(), "event written to its foundation's player");
        return event_list::refresh(aws, location).await;
    }
    for asset in ASSETS {
        // Sent from the binary's own bytes: 1.4 MB of libraries not copied.
        put(aws, req, location, asset, ByteStream::from_static(asset.body)).await?;
    }
    tracing::info!(
        location = %location.id(),
        objects = ASSETS.len() + 1,
        "demo player written"
    );
    Ok(())
}

async fn put(aws: &Clients, req: &Request, location: &Location, asset: &Asset, body: ByteStream) -> Result<(), Error> {
    let mut put = aws
        .s3
        .put_object()
        .bucket(&location.bucket)
        .key(location.key(asset.name))
        .content_type(asset.content_type)
        .cache_control(asset.cache_control)
        .body(body);
    for (tag, value) in req.ownership_tags() {
        if let Some((_, name)) = OWNERSHIP_METADATA.iter().find(|(t, _)| *t == tag) {
            put = put.metadata(*name, value);
        }
    }
    put.send().await.map_err(aws_error("PutObject"))?;
    Ok(())
}

/// Deletes the player's objects at `location` that carry this stack
/// resource's ownership (and, with `request_id`, were written by that
/// request). Anything else under the prefix stays.
async fn remove(aws: &Clients, req: &Request, location: &Location, request_id: Option<&str>) -> Result<(), Error> {
    let Some(objects) = player_objects(aws, location).await? else {
        return Ok(());
    };
    let mut ours = Vec::new();
    for (key, owner) in objects {
        let mine = match request_id {
            Some(request_id) => req.made_in(request_id, owner.tags()),
            None => req.may_delete(&location.what(&key), owner.tags()),
        };
        if mine {
            ours.push(key);
        }
    }

    for batch in ours.chunks(DELETE_BATCH) {
        let objects = batch
            .iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| Error::Unexpected(format!("DeleteObjects: {err}")))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|err| Error::Unexpected(format!("DeleteObjects: {err}")))?;
        let answer = aws
            .s3
            .delete_objects()
            .bucket(&location.bucket)
            .delete(delete)
            .send()
            .await
            .map_err(aws_error("DeleteObjects"))?;
        // Deleting a key that is already gone is not an error in S3.
        if let Some(failed) = answer.errors().first() {
            return Err(Error::Unexpected(format!(
                "DeleteObjects: {} of {} objects were not deleted; first {}: {} {}",
                answer.errors().len(),
                batch.len(),
                location.what(failed.key().unwrap_or_default()),
                failed.code().unwrap_or_default(),
                failed.message().unwrap_or_default(),
            )));
        }
    }
    tracing::info!(location = %location.id(), objects = ours.len(), "demo player removed");
    Ok(())
}

/// The ownership tags an object's user metadata holds.
#[derive(Debug, Clone, Default)]
struct Owner(Vec<(&'static str, String)>);

impl Owner {
    fn of(metadata: Option<&HashMap<String, String>>) -> Self {
        Owner(
            metadata
                .into_iter()
                .flatten()
                .filter_map(|(name, value)| {
                    OWNERSHIP_METADATA
                        .iter()
                        .find(|(_, meta)| meta.eq_ignore_ascii_case(name))
                        .map(|(tag, _)| (*tag, value.clone()))
                })
                .collect(),
        )
    }

    fn tags(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(tag, value)| (*tag, value.as_str()))
    }
}

/// S3's rules for bucket names (general purpose buckets).
fn is_bucket_name(name: &str) -> bool {
    let edges_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edges_ok(name.chars().next())
        && edges_ok(name.chars().last())
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err()
}

/// A key prefix that stays a clean URL path behind CloudFront.
fn check_prefix(prefix: &str) -> Result<(), PropError> {
    let problem = if prefix.len() > 512 {
        Some("must be at most 512 characters".to_owned())
    } else if prefix.starts_with('/') {
        Some("must not start with '/': S3 keys and CloudFront paths would hold '//'".to_owned())
    } else if let Some(bad) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_.!*'()/".contains(*c)))
    {
        Some(format!(
            "may hold only letters, digits and -_.!*'()/ (S3's safe characters), found {bad:?}"
        ))
    } else if prefix.split('/').any(|part| part == "." || part == "..") || prefix.contains("//") {
        Some("must not hold empty, '.' or '..' path segments".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(PropError::invalid("Prefix", problem)),
        None => Ok(()),
    }
}

/// An http(s) URL without credentials: `config.json` is public.
fn check_url(property: &str, url: &str) -> Result<(), PropError> {
    let problem = match Url::parse(url) {
        _ if url.len() > 2048 => Some("must be at most 2048 characters".to_owned()),
        Err(err) => Some(format!("must be a URL ({err})")),
        Ok(parsed) if !matches!(parsed.scheme(), "https" | "http") => {
            Some("must be an https:// (or http://) URL".to_owned())
        }
        Ok(parsed) if parsed.host_str().is_none_or(str::is_empty) => Some("must name a host".to_owned()),
        Ok(parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            Some("must not hold a user name or password: the player's config.json is public".to_owned())
        }
        Ok(_) => None,
    };
    match problem {
        Some(problem) => Err(PropError::invalid(
            property,
            format!("{problem}, got {}", shown(property, url)),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(props: serde_json::Value) -> Result<Spec, PropError> {
        let map = props.as_object().cloned().unwrap_or_default();
        DemoPlayer::parse(Props::new(&map))
    }

    #[test]
    fn protected_playback_tells_the_page_where_viewers_send_the_passcode() {
        let hls = "https://d1.cloudfront.net/out/v1/live/keynote/ts/index.m3u8";
        let open = parse(serde_json::json!({"Bucket": "demo-bucket", "HlsUrl": hls, "PlaybackAccess": "Open"})).unwrap();
        assert_eq!(open.config().get("auth"), None);
        let stack = parse(serde_json::json!({"Bucket": "demo-bucket", "HlsUrl": hls, "PlaybackAccess": "SignedCookies"}))
            .unwrap();
        assert_eq!(stack.config()["auth"], "/auth/");
        let event = parse(serde_json::json!({
            "Bucket": "demo-bucket", "Prefix": "player/events/keynote/", "Event": "Keynote", "HlsUrl": hls,
            "PlaybackAccess": "SignedCookies", "ViewerAuthPath": "/auth/keynote"
        }))
        .unwrap();
        assert_eq!(event.config()["auth"], "/auth/keynote");
        for (props, names) in [
            (serde_json::json!({"Bucket": "demo-bucket", "HlsUrl": hls, "PlaybackAccess": "Closed"}), "PlaybackAccess"),
            (
                serde_json::json!({"Bucket": "demo-bucket", "HlsUrl": hls, "PlaybackAccess": "SignedCookies", "ViewerAuthPath": "https://x/auth/"}),
                "ViewerAuthPath",
            ),
        ] {
            let err = parse(props).unwrap_err().to_string();
            assert!(err.contains(names), "{err}");
        }
    }

    #[test]
    fn a_foundations_page_lists_events_and_each_event_writes_its_entry() {
        let page = parse(serde_json::json!({"Bucket": "demo-bucket", "Prefix": "player/", "EventsFolder": "events/"}))
            .expect("a foundation's page needs no URL of its own");
        assert!(page.writes_page());
        assert_eq!(page.config(), serde_json::json!({"events": "events/"}));
        let event = parse(serde_json::json!({
            "Bucket": "demo-bucket", "Prefix": "player/events/keynote/", "Event": "Keynote",
            "HlsUrl": "https://d1.cloudfront.net/out/v1/live/keynote/ts/index.m3u8"
        }))
        .expect("an event");
        assert!(!event.writes_page(), "an event writes its config.json only");
        assert_eq!(
            event.config(),
            serde_json::json!({"event": "Keynote", "hls": "https://d1.cloudfront.net/out/v1/live/keynote/ts/index.m3u8"})
        );
        let refused = |props: serde_json::Value| parse(props).unwrap_err().to_string();
        let url = "https://d1.cloudfront.net/x.m3u8";
        assert!(
            refused(serde_json::json!({"Bucket": "demo-bucket", "Prefix": "keynote/", "Event": "K", "HlsUrl": url}))
                .starts_with("property Prefix"),
            "an event's folder is in an events folder"
        );
        assert!(
            refused(serde_json::json!({"Bucket": "demo-bucket", "Prefix": "player/events/k/", "Event": "K", "EventsFolder": "events/", "HlsUrl": url}))
                .starts_with("property Event"),
            "one or the other"
        );
        assert!(
            refused(serde_json::json!({"Bucket": "demo-bucket", "Prefix": "player/", "EventsFolder": "events"}))
                .starts_with("property EventsFolder")
        );
        assert!(
            refused(serde_json::json!({"Bucket": "demo-bucket", "Prefix": "player/events/k/", "Event": "K"}))
                .starts_with("property HlsUrl"),
            "an event has something to play"
        );
    }

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for good in ["abc", "my-demo.bucket-1", "a1b", &"a".repeat(63)] {
            assert!(is_bucket_name(good), "{good}");
        }
        for bad in [
            "ab",
            "Abc",
            "-abc",
            "abc-",
            "a..b",
            "a_b",
            "192.168.1.1",
            &"a".repeat(64),
            "",
        ] {
            assert!(!is_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn prefixes_become_folders() {
        let at = |prefix: &str| Location::new("b", prefix);
        assert_eq!(at("").key("index.html"), "index.html");
        assert_eq!(at("player/").key("index.html"), "player/index.html");
        assert_eq!(at("player").key("index.html"), "player/index.html");
        assert_eq!(at("player").id(), "s3://b/player/", "one id for both spellings");
        assert_eq!(at("player"), at("player/"));
        assert_eq!(Location::parse("s3://b/player/"), None, "bucket too short");
        assert_eq!(
            Location::parse("s3://demo-bucket/player"),
            Some(Location::new("demo-bucket", "player/"))
        );
        assert_eq!(
            Location::parse("s3://demo-bucket/").map(|l| l.folder),
            Some(String::new())
        );
        assert_eq!(
            url_decoded("player/%01odd+x.txt").as_deref(),
            Some("player/\u{1}odd x.txt")
        );
        assert_eq!(url_decoded("bad%zz"), None);
        assert_eq!(url_decoded("%ff"), None, "not text");
        for bad in [
            "",
            "demo-bucket/player",
            "s3://demo-bucket",
            "s3://Demo/x",
            "create-failed",
        ] {
            assert_eq!(Location::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn prefixes_and_urls_are_checked() {
        for good in ["", "player/", "demo/v1/", "a-b_c.d"] {
            assert!(check_prefix(good).is_ok(), "{good}");
        }
        for bad in ["/player", "a//b", "a/../b", "./a", "a b", "ä", &"a".repeat(513)] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
        assert!(check_url("HlsUrl", "https://d1.cloudfront.net/out/v1/x/index.m3u8").is_ok());
        assert!(check_url("HlsUrl", "http://127.0.0.1:8080/live/master.m3u8").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://h/x.m3u8",
            "not a url",
            "https://user:pass@h/x.m3u8",
            "file:///etc/passwd",
        ] {
            assert!(check_url("HlsUrl", bad).is_err(), "{bad}");
        }
        let err = check_url("DashUrl", "https://user:hunter2@h/x.mpd")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn every_file_is_bundled_with_a_content_type() {
        assert!(ASSETS.iter().all(|a| !a.body.is_empty() && !a.content_type.is_empty()));
        let names: Vec<_> = written_names().collect();
        assert!(names.contains(&"index.html") && names.contains(&CONFIG));
        // The page loads only files the player writes.
        let page = String::from_utf8_lossy(bundled!("src/index.html"));
        let script = String::from_utf8_lossy(bundled!("src/player.js"));
        for referenced in ["style.css", "player.js"] {
            assert!(page.contains(referenced), "{referenced}");
        }
        for referenced in ["hls.min.js", "dash.all.min.js", "dash.mss.min.js", CONFIG] {
            assert!(script.contains(referenced), "{referenced}");
        }
        for name in ["style.css", "player.js", "hls.min.js", "dash.all.min.js"] {
            assert!(names.contains(&name), "{name} is referenced but not written");
        }
    }
}
