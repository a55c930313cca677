//! The list of a foundation's events its page offers: `index.json` in the
//! events folder, naming each event folder that holds a `config.json`.
//!
//! Events come and go at once, each from its own stack, so the list is
//! never edited in place: it is rebuilt from a listing of the folder,
//! written, and the folder listed again. A writer whose second listing
//! differs writes again. Whoever writes last lists after everyone's
//! config was written or removed, so the list ends up as the folder is
//! (S3 lists what was written, at once). An empty list is deleted, so the
//! last event gone leaves nothing behind.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::EncodingType;

use super::{CONFIG, Location, url_decoded};
use crate::aws::Clients;
use crate::error::{Error, Found, aws_error};

/// The list's name in the events folder.
pub(super) const INDEX: &str = "index.json";
/// Rebuilds before giving up: each one means another event changed the
/// folder meanwhile.
const ATTEMPTS: usize = 8;

/// The events folder of an event's folder: `player/events/` for
/// `player/events/keynote/`; `None` for a folder at the bucket's top.
pub(super) fn parent_of(folder: &str) -> Option<&str> {
    let inner = folder.strip_suffix('/')?;
    let (parent, name) = inner.rsplit_once('/')?;
    (!name.is_empty()).then(|| &folder[..=parent.len()])
}

/// Brings the list in the events folder above `event` in line with the
/// events there.
pub(super) async fn refresh(aws: &Clients, event: &Location) -> Result<(), Error> {
    let Some(folder) = parent_of(&event.folder) else {
        return Ok(());
    };
    let index = format!("{folder}{INDEX}");
    // Each round's second listing is the next round's first.
    let mut listed = events_in(aws, &event.bucket, folder).await?;
    for _ in 0..ATTEMPTS {
        let Some(events) = listed else {
            return Ok(()); // the bucket is gone, and the list with it
        };
        if events.is_empty() {
            aws.s3
                .delete_object()
                .bucket(&event.bucket)
                .key(&index)
                .send()
                .await
                .map_err(aws_error("DeleteObject"))
                .found()?;
        } else {
            let body = serde_json::to_vec_pretty(&serde_json::json!({ "events": events }))
                .map_err(|err| Error::Unexpected(format!("{INDEX} could not be written: {err}")))?;
            aws.s3
                .put_object()
                .bucket(&event.bucket)
                .key(&index)
                .content_type("application/json")
                .cache_control("no-cache")
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(aws_error("PutObject"))?;
        }
        listed = events_in(aws, &event.bucket, folder).await?;
        if listed.as_ref() == Some(&events) {
            tracing::info!(list = %event.what(&index), events = events.len(), "the foundation's list of events is up to date");
            return Ok(());
        }
        tracing::info!("another event changed the folder meanwhile; writing the list again");
    }
    Err(Error::Unexpected(format!(
        "the list of events {} kept changing through {ATTEMPTS} rebuilds",
        event.what(&index)
    )))
}

/// The event folders under `folder` that hold a `config.json`, sorted;
/// `None` when the bucket does not exist.
async fn events_in(aws: &Clients, bucket: &str, folder: &str) -> Result<Option<Vec<String>>, Error> {
    let mut events = Vec::new();
    let mut pages = aws
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(folder)
        .encoding_type(EncodingType::Url)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let Some(page) = page.map_err(aws_error("ListObjectsV2")).found()? else {
            return Ok(None);
        };
        for key in page.contents().iter().filter_map(|o| o.key()).filter_map(url_decoded) {
            if let Some(event) = event_of(folder, &key) {
                events.push(event.to_owned());
            }
        }
    }
    events.sort();
    events.dedup();
    Ok(Some(events))
}

/// `keynote` for `player/events/keynote/config.json`: an event folder's
/// name as a stack names it (so it is a clean URL and query value).
fn event_of<'k>(folder: &str, key: &'k str) -> Option<&'k str> {
    let name = key.strip_prefix(folder)?.strip_suffix(CONFIG)?.strip_suffix('/')?;
    let clean = !name.is_empty() && name.len() <= 128 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    clean.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_folder_lists_in_its_parent() {
        assert_eq!(parent_of("player/events/keynote/"), Some("player/events/"));
        assert_eq!(parent_of("events/a/"), Some("events/"));
        assert_eq!(parent_of("keynote/"), None, "no events folder above");
        assert_eq!(parent_of(""), None);
        assert_eq!(event_of("player/events/", "player/events/keynote/config.json"), Some("keynote"));
        for other in [
            "player/events/index.json",
            "player/events/a/b/config.json",
            "player/events/odd name/config.json",
            "player/events//config.json",
            "player/events/keynote/other.json",
            "player/index.html",
        ] {
            assert_eq!(event_of("player/events/", other), None, "{other}");
        }
    }
}
