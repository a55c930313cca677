//! The input as MediaLive holds it: a push or listener input has one
//! destination per pipeline of the channel's class (SRT's as `srt://`), and
//! a pull input's sources can be reached: an S3 object exists, a host name
//! resolves.

use aws_sdk_medialive::error::DisplayErrorContext;
use aws_sdk_medialive::operation::describe_input::DescribeInputOutput;
use aws_sdk_medialive::types::InputType;

use crate::{Clients, Line, StackView};

/// What a source URL names: an S3 object, or a host to resolve.
#[derive(Debug, PartialEq, Eq)]
enum Source {
    Object { bucket: String, key: String },
    Host { host: String, port: u16 },
    Unreadable,
}

fn source_of(url: &str) -> Source {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Source::Unreadable;
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    match scheme {
        "s3" | "s3ssl" => Source::Object {
            bucket: authority.to_owned(),
            key: path.to_owned(),
        },
        _ => {
            // user:password@host:port
            let host_port = authority.rsplit('@').next().unwrap_or(authority);
            let default_port = match scheme {
                "https" => 443,
                "rtmp" => 1935,
                _ => 80,
            };
            let (host, port) = match host_port.rsplit_once(':') {
                Some((host, port)) if !host.ends_with(']') || host_port.starts_with('[') => {
                    (host.to_owned(), port.parse().unwrap_or(default_port))
                }
                _ => (host_port.to_owned(), default_port),
            };
            Source::Host { host, port }
        }
    }
}

/// The stack's input and MediaLive's description of it, read once for the
/// checks that look at it; `Ok(None)` for a stack without one.
pub(crate) async fn describe<'a>(
    aws: &Clients,
    view: &'a StackView,
) -> Result<Option<(&'a str, DescribeInputOutput)>, Line> {
    let Some(input) = view.physical_id("MediaLiveInput") else {
        return Ok(None);
    };
    match aws.medialive.describe_input().input_id(input).send().await {
        Ok(described) => Ok(Some((input, described))),
        Err(err) => Err(Line::fail(
            "input",
            format!("input {input} cannot be described: {}", DisplayErrorContext(&err)),
            format!("deploy {} again: the input is the stack's", view.name),
        )),
    }
}

pub(crate) async fn check(aws: &Clients, view: &StackView, input: &str, described: &DescribeInputOutput) -> Vec<Line> {
    let kind = described.r#type().cloned();
    let class = view.parameter("ChannelClass").unwrap_or("STANDARD");
    let pipelines = if class == "SINGLE_PIPELINE" { 1 } else { 2 };
    let mut lines = Vec::new();
    match kind {
        Some(InputType::SrtListener | InputType::RtmpPush | InputType::RtpPush) => {
            let urls: Vec<&str> = described.destinations().iter().filter_map(|d| d.url()).collect();
            let srt = kind == Some(InputType::SrtListener);
            let shaped = urls.iter().all(|url| !srt || url.starts_with("srt://"));
            if urls.len() == pipelines && shaped {
                lines.push(Line::holds(
                    "input",
                    format!(
                        "input {input} has {} destination(s), one per pipeline of a {class} channel: {}",
                        urls.len(),
                        urls.join(" ")
                    ),
                ));
            } else {
                lines.push(Line::fail(
                    "input",
                    format!(
                        "input {input} has {} destination(s) ({}), but a {class} channel needs {pipelines}{}",
                        urls.len(),
                        urls.join(" "),
                        if srt { ", each srt://" } else { "" }
                    ),
                    format!("deploy {} again: the input is made for the channel's class", view.name),
                ));
            }
        }
        Some(_) => {
            // A standard channel's two pipelines may read the same source.
            let mut urls: Vec<&str> = described.sources().iter().filter_map(|s| s.url()).collect();
            urls.dedup();
            for url in urls {
                lines.push(reach(aws, input, url).await);
            }
        }
        None => {}
    }
    lines
}

/// Whether `url`, a pull input's source, can be reached from here (a
/// source only MediaLive's network reaches may still be fine: said so).
async fn reach(aws: &Clients, input: &str, url: &str) -> Line {
    match source_of(url) {
        Source::Object { bucket, key } => match aws.s3.head_object().bucket(&bucket).key(&key).send().await {
            Ok(_) => Line::holds("input", format!("input {input} reads {url}, which exists")),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Line::fail(
                "input",
                format!("input {input} reads {url}, which does not exist: the channel runs on nothing"),
                format!(
                    "upload it: aws s3 cp <file> s3://{bucket}/{key} (build-s3-dist.sh printed the sync for the test source)"
                ),
            ),
            Err(err) => Line::not_yet(
                "input",
                format!(
                    "input {input} reads {url}, which these credentials cannot look at: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&err)
                ),
            ),
        },
        Source::Host { host, port } => match tokio::net::lookup_host((host.as_str(), port))
            .await
            .map(|addresses| addresses.count())
        {
            Ok(found) if found > 0 => Line::holds("input", format!("input {input} pulls from {host}, which resolves")),
            _ => Line::fail(
                "input",
                format!("input {input} pulls from {host}, which does not resolve"),
                "give the input a source whose host name resolves (PriPullUrl, SecPullUrl)",
            ),
        },
        Source::Unreadable => Line::fail(
            "input",
            format!("input {input} has a source that is no URL"),
            "give it a URL (PriPullUrl, SecPullUrl)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_read_as_objects_or_hosts() {
        assert_eq!(
            source_of("s3ssl://code-eu-west-1/livestream/demo.mp4"),
            Source::Object {
                bucket: "code-eu-west-1".into(),
                key: "livestream/demo.mp4".into()
            }
        );
        assert_eq!(
            source_of("https://user:pw@origin.example.com:8443/live/index.m3u8"),
            Source::Host {
                host: "origin.example.com".into(),
                port: 8443
            }
        );
        assert_eq!(
            source_of("rtmp://ingest.example.com/app/key"),
            Source::Host {
                host: "ingest.example.com".into(),
                port: 1935
            }
        );
        assert_eq!(source_of("not a url"), Source::Unreadable);
    }
}
