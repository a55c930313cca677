//! `DemoPlayer` against the emulator (behind the faithful layer, which
//! lists S3 objects two a page): what it writes, with which types and
//! ownership, what an Update rewrites, and that a Delete removes exactly
//! what it wrote.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use crate::common::{Session, failed, succeeded};
use aws_sdk_s3::primitives::ByteStream;
use serde_json::{Value, json};

const HLS: &str = "https://d111111abcdef8.cloudfront.net/out/v1/abc/index.m3u8";
const DASH: &str = "https://d111111abcdef8.cloudfront.net/out/v1/def/index.mpd";
const CMAF: &str = "https://d111111abcdef8.cloudfront.net/out/v1/ghi/index.m3u8";

/// Every object the player writes, with its Content-Type.
const WRITTEN: &[(&str, &str)] = &[
    ("config.json", "application/json"),
    ("dash.all.min.js", "text/javascript; charset=utf-8"),
    ("dash.mss.min.js", "text/javascript; charset=utf-8"),
    ("hls.min.js", "text/javascript; charset=utf-8"),
    ("index.html", "text/html; charset=utf-8"),
    ("licenses/dash.js.txt", "text/plain; charset=utf-8"),
    ("licenses/hls.js.txt", "text/plain; charset=utf-8"),
    ("player.js", "text/javascript; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
];

fn s3(session: &Session) -> &aws_sdk_s3::Client {
    &session.clients.s3
}

/// A new bucket of the test's own.
async fn bucket(session: &Session) -> String {
    let name = testkit::events::unique("demo").to_lowercase();
    s3(session).create_bucket().bucket(&name).send().await.unwrap();
    name
}

/// Every key in `bucket`, read through every page.
async fn keys(session: &Session, bucket: &str) -> Vec<String> {
    let pages: Vec<_> = s3(session)
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send()
        .collect()
        .await;
    let mut keys: Vec<String> = pages
        .into_iter()
        .flat_map(|page| page.unwrap().contents().to_vec())
        .filter_map(|object| object.key().map(str::to_owned))
        .collect();
    keys.sort();
    keys
}

async fn put(session: &Session, bucket: &str, key: &str, metadata: &[(&str, &str)]) {
    let mut put = s3(session)
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"someone else's"));
    for (name, value) in metadata {
        put = put.metadata(*name, *value);
    }
    put.send().await.unwrap();
}

async fn read(session: &Session, bucket: &str, key: &str) -> (String, Vec<u8>, BTreeMap<String, String>) {
    let object = s3(session).get_object().bucket(bucket).key(key).send().await.unwrap();
    let content_type = object.content_type().unwrap_or_default().to_owned();
    let metadata = object.metadata().cloned().unwrap_or_default().into_iter().collect();
    let body = object.body.collect().await.unwrap().into_bytes().to_vec();
    (content_type, body, metadata)
}

async fn config(session: &Session, bucket: &str, prefix: &str) -> Value {
    let (_, body, _) = read(session, bucket, &format!("{prefix}config.json")).await;
    serde_json::from_slice(&body).unwrap()
}

fn props(bucket: &str, prefix: &str) -> Value {
    json!({"Bucket": bucket, "Prefix": prefix, "HlsUrl": HLS, "DashUrl": DASH, "CmafUrl": CMAF})
}

fn s3_calls(session: &Session) -> usize {
    session.aws.calls().iter().filter(|call| call.service == "s3").count()
}

#[tokio::test]
async fn create_writes_the_page_its_libraries_and_config_with_their_types() {
    let session = Session::emulated().await;
    let bucket = bucket(&session).await;
    let response = session.create("DemoPlayer", props(&bucket, "player/")).await;
    assert_eq!(succeeded(&response), format!("s3://{bucket}/player/"));
    assert_eq!(response["Data"], json!({"Prefix": "player/", "Objects": "9"}));

    let expected: Vec<String> = WRITTEN.iter().map(|(name, _)| format!("player/{name}")).collect();
    assert_eq!(keys(&session, &bucket).await, expected);
    for (name, content_type) in WRITTEN {
        let (stored_type, body, metadata) = read(&session, &bucket, &format!("player/{name}")).await;
        assert_eq!(&stored_type, content_type, "{name}");
        assert!(!body.is_empty(), "{name} is empty");
        assert_eq!(
            metadata.get("livestream-stack-id").map(String::as_str),
            Some(testkit::events::STACK_ID),
            "{name}: {metadata:?}"
        );
        assert_eq!(
            metadata.get("livestream-logical-id").map(String::as_str),
            Some("Resource")
        );
    }
    assert_eq!(
        config(&session, &bucket, "player/").await,
        json!({"hls": HLS, "dash": DASH, "cmaf": CMAF})
    );
    // The bundled libraries are the real builds, not placeholders.
    let (_, hls, _) = read(&session, &bucket, "player/hls.min.js").await;
    assert!(hls.len() > 100_000 && String::from_utf8_lossy(&hls).contains("Hls"));
    let (_, page, _) = read(&session, &bucket, "player/index.html").await;
    let page = String::from_utf8(page).unwrap();
    assert!(
        !page.contains("//cdn") && !page.contains("https://"),
        "the page names no other host"
    );
}

#[tokio::test]
async fn delete_removes_exactly_what_it_wrote_across_all_pages() {
    let session = Session::emulated().await;
    let bucket = bucket(&session).await;
    // Someone else's objects: beside the player, in a folder under it with
    // the player's own names, and with names the player writes elsewhere.
    let others = [
        "player/notes.txt",
        "player/aaa.txt",
        "player/extra/index.html",
        "player/zzz/config.json",
        "index.html",
        "other/player.js",
    ];
    for key in others {
        put(&session, &bucket, key, &[]).await;
    }
    let id = succeeded(&session.create("DemoPlayer", props(&bucket, "player/")).await);
    assert_eq!(keys(&session, &bucket).await.len(), others.len() + WRITTEN.len());

    let listed_before = session.aws.count("s3", "GET", &format!("/{bucket}"));
    succeeded(&session.delete("DemoPlayer", &id, props(&bucket, "player/")).await);
    let mut left = keys(&session, &bucket).await;
    left.sort();
    let mut expected: Vec<String> = others.iter().map(|k| k.to_string()).collect();
    expected.sort();
    assert_eq!(left, expected, "only the player's objects are gone");
    // 14 keys under the prefix at two a page: the Delete read them all.
    let pages = session.aws.count("s3", "GET", &format!("/{bucket}")) - listed_before;
    assert!(pages >= 6, "{pages} list requests");

    // Again (CloudFormation may repeat a Delete): nothing to do.
    succeeded(&session.delete("DemoPlayer", &id, props(&bucket, "player/")).await);
    assert_eq!(keys(&session, &bucket).await.len(), others.len());
}

#[tokio::test]
async fn an_update_rewrites_in_place_and_one_that_changes_nothing_makes_no_call() {
    let session = Session::emulated().await;
    let bucket = bucket(&session).await;
    let old = props(&bucket, "player/");
    let id = succeeded(&session.create("DemoPlayer", old.clone()).await);

    let before = s3_calls(&session);
    let response = session.update("DemoPlayer", &id, old.clone(), old.clone()).await;
    assert_eq!(succeeded(&response), id);
    assert_eq!(response["Data"]["Objects"], "9");
    assert_eq!(
        s3_calls(&session),
        before,
        "an Update that changes nothing makes no call"
    );

    let new = json!({"Bucket": bucket, "Prefix": "player/", "HlsUrl": HLS});
    assert_eq!(succeeded(&session.update("DemoPlayer", &id, old, new).await), id);
    assert_eq!(config(&session, &bucket, "player/").await, json!({"hls": HLS}));
}

#[tokio::test]
async fn a_new_prefix_is_a_new_player_and_the_old_one_goes_with_its_delete() {
    let session = Session::emulated().await;
    let bucket = bucket(&session).await;
    let old = props(&bucket, "player/");
    let old_id = succeeded(&session.create("DemoPlayer", old.clone()).await);
    let new = props(&bucket, "v2");
    let new_id = succeeded(&session.update("DemoPlayer", &old_id, old.clone(), new.clone()).await);
    assert_eq!(new_id, format!("s3://{bucket}/v2/"), "ids spell the prefix as a folder");
    assert!(keys(&session, &bucket).await.contains(&"v2/index.html".to_owned()));
    // CloudFormation deletes the old id once the Update answered.
    succeeded(&session.delete("DemoPlayer", &old_id, old).await);
    let left = keys(&session, &bucket).await;
    assert_eq!(left.len(), WRITTEN.len(), "{left:?}");
    assert!(left.iter().all(|key| key.starts_with("v2/")), "{left:?}");
    succeeded(&session.delete("DemoPlayer", &new_id, new).await);
    assert!(keys(&session, &bucket).await.is_empty());
}

#[tokio::test]
async fn another_stacks_player_is_neither_overwritten_nor_deleted() {
    let session = Session::emulated().await;
    let bucket = bucket(&session).await;
    let theirs = [
        (
            "livestream-stack-id",
            "arn:aws:cloudformation:us-east-1:123456789012:stack/other/1",
        ),
        ("livestream-logical-id", "Resource"),
    ];
    put(&session, &bucket, "player/config.json", &theirs).await;
    put(&session, &bucket, "player/index.html", &theirs).await;

    let reason = failed(&session.create("DemoPlayer", props(&bucket, "player/")).await);
    assert!(
        reason.contains(&format!("s3://{bucket}/player/config.json already exists")),
        "{reason}"
    );
    // A Delete naming their location (a mistaken id) leaves their objects.
    succeeded(
        &session
            .delete(
                "DemoPlayer",
                &format!("s3://{bucket}/player/"),
                props(&bucket, "player/"),
            )
            .await,
    );
    assert_eq!(
        keys(&session, &bucket).await,
        ["player/config.json", "player/index.html"]
    );
}

#[tokio::test]
async fn deletes_of_a_gone_bucket_or_a_foreign_id_succeed() {
    let session = Session::emulated().await;
    let gone = testkit::events::unique("never-made").to_lowercase();
    succeeded(
        &session
            .delete("DemoPlayer", &format!("s3://{gone}/player/"), props(&gone, "player/"))
            .await,
    );
    let before = s3_calls(&session);
    for id in ["arn:aws:s3:::x", "create-failed", "s3://Not_A_Bucket/x"] {
        succeeded(&session.delete("DemoPlayer", id, props(&gone, "player/")).await);
    }
    assert_eq!(s3_calls(&session), before, "ids that cannot be a player's make no call");
}

#[tokio::test]
async fn bad_properties_are_refused_before_any_call() {
    let session = Session::emulated().await;
    let before = s3_calls(&session);
    let cases = [
        (json!({"Bucket": "demo-bucket", "Prefix": "player/"}), "HlsUrl"),
        (json!({"Bucket": "Demo_Bucket", "HlsUrl": HLS}), "Bucket"),
        (json!({"HlsUrl": HLS}), "Bucket"),
        (
            json!({"Bucket": "demo-bucket", "Prefix": "/player", "HlsUrl": HLS}),
            "Prefix",
        ),
        (
            json!({"Bucket": "demo-bucket", "HlsUrl": "javascript:alert(1)"}),
            "HlsUrl",
        ),
        (
            json!({"Bucket": "demo-bucket", "MssUrl": "https://u:secret@h/x/Manifest"}),
            "MssUrl",
        ),
        (json!({"Bucket": "demo-bucket", "HlsUrl": HLS, "HslUrl": HLS}), "HslUrl"),
    ];
    for (props, property) in cases {
        let reason = failed(&session.create("DemoPlayer", props.clone()).await);
        assert!(reason.contains(property), "{props}: {reason}");
        assert!(!reason.contains("secret"), "{reason}");
    }
    assert_eq!(s3_calls(&session), before);
}

#[tokio::test]
async fn two_spellings_of_one_prefix_are_one_player_with_one_id() {
    let session = Session::emulated().await;
    let bucket = bucket(&session).await;
    let slash = props(&bucket, "player/");
    let id = succeeded(&session.create("DemoPlayer", slash.clone()).await);
    // Renamed `player/` -> `player`: the same place, so the same id, and
    // CloudFormation has no old player to delete.
    let bare = props(&bucket, "player");
    let response = session.update("DemoPlayer", &id, slash, bare.clone()).await;
    assert_eq!(succeeded(&response), id);
    assert_eq!(response["Data"]["Prefix"], "player/");
    assert_eq!(keys(&session, &bucket).await.len(), WRITTEN.len());
    // A stack made before ids were canonical keeps its id too.
    let old_id = format!("s3://{bucket}/player");
    let changed = json!({"Bucket": bucket, "Prefix": "player/", "HlsUrl": HLS});
    let response = session.update("DemoPlayer", &old_id, bare, changed).await;
    assert_eq!(succeeded(&response), old_id);
    assert_eq!(config(&session, &bucket, "player/").await, json!({"hls": HLS}));
}

#[tokio::test]
async fn a_move_that_fails_part_way_takes_back_what_it_wrote() {
    let session = Session::emulated().await;
    let bucket = bucket(&session).await;
    let old = props(&bucket, "a/");
    let id = succeeded(&session.create("DemoPlayer", old.clone()).await);
    // The third object written under b/ is refused (not retried).
    session
        .aws
        .fail("s3", &format!("PUT /{bucket}/b/"), 2, 403, "AccessDenied");
    let reason = failed(
        &session
            .update("DemoPlayer", &id, old.clone(), props(&bucket, "b/"))
            .await,
    );
    assert!(reason.contains("PutObject"), "{reason}");
    let left = keys(&session, &bucket).await;
    assert!(
        left.iter().all(|key| key.starts_with("a/")) && left.len() == WRITTEN.len(),
        "nothing left under b/, a/ whole: {left:?}"
    );
    succeeded(&session.delete("DemoPlayer", &id, old).await);
    assert!(keys(&session, &bucket).await.is_empty());
}

#[tokio::test]
async fn a_foreign_key_xml_cannot_carry_never_blocks_the_delete() {
    let session = Session::emulated().await;
    let bucket = bucket(&session).await;
    let odd = "player/\u{1}odd\u{1f}.txt";
    put(&session, &bucket, odd, &[]).await;
    let id = succeeded(&session.create("DemoPlayer", props(&bucket, "player/")).await);
    succeeded(&session.delete("DemoPlayer", &id, props(&bucket, "player/")).await);
    let left: Vec<String> = s3(&session)
        .list_objects_v2()
        .bucket(&bucket)
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    assert_eq!(left, ["player/%01odd%1F.txt"], "only the foreign object is left");
}

#[tokio::test]
async fn someone_elses_page_without_a_config_is_never_overwritten() {
    let session = Session::emulated().await;
    let bucket = bucket(&session).await;
    put(&session, &bucket, "player/index.html", &[]).await;
    put(&session, &bucket, "player/style.css", &[]).await;
    let reason = failed(&session.create("DemoPlayer", props(&bucket, "player/")).await);
    assert!(
        reason.contains(&format!("s3://{bucket}/player/index.html already exists")),
        "{reason}"
    );
    for key in ["player/index.html", "player/style.css"] {
        let (_, body, _) = read(&session, &bucket, key).await;
        assert_eq!(body, b"someone else's", "{key} untouched");
    }
    assert_eq!(keys(&session, &bucket).await, ["player/index.html", "player/style.css"]);
}

#[tokio::test]
async fn an_update_in_place_checks_ownership_again() {
    let session = Session::emulated().await;
    let bucket = bucket(&session).await;
    let old = props(&bucket, "player/");
    let id = succeeded(&session.create("DemoPlayer", old.clone()).await);
    // Someone replaces the style with their own.
    put(&session, &bucket, "player/style.css", &[]).await;
    let new = json!({"Bucket": bucket, "Prefix": "player/", "HlsUrl": HLS});
    let reason = failed(&session.update("DemoPlayer", &id, old, new).await);
    assert!(reason.contains("player/style.css already exists"), "{reason}");
    let (_, body, _) = read(&session, &bucket, "player/style.css").await;
    assert_eq!(body, b"someone else's");
}
