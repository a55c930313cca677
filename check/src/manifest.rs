//! What a player reads first in each manifest format the stack serves: the
//! next address to fetch, or why the manifest cannot be played. Addresses
//! come back as written (relative or not); the caller resolves them against
//! the manifest's own URL.

/// An HLS playlist (RFC 8216 and its low-latency extension, 8216bis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hls {
    /// A multivariant ("master") playlist: each variant's playlist URI.
    Master { variants: Vec<String> },
    /// A media playlist.
    Media {
        /// Each segment's URI, oldest first.
        segments: Vec<String>,
        /// The initialization section (`EXT-X-MAP`) of fragmented-MP4 segments.
        map: Option<String>,
        /// How many `EXT-X-PART` tags it has (low-latency HLS's partial segments).
        parts: usize,
    },
}

pub fn hls(text: &str) -> Result<Hls, String> {
    let text = text.trim_start_matches('\u{feff}');
    if !text.trim_start().starts_with("#EXTM3U") {
        return Err(format!("not an HLS playlist (it starts {:?})", start_of(text)));
    }
    let mut variants = Vec::new();
    let mut segments = Vec::new();
    let mut map = None;
    let mut parts = 0;
    let mut next_is = None::<bool>;
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            continue;
        }
        if let Some(tag) = line.strip_prefix('#') {
            if tag.starts_with("EXT-X-STREAM-INF") {
                next_is = Some(true);
            } else if tag.starts_with("EXTINF") {
                next_is = Some(false);
            } else if tag.starts_with("EXT-X-PART:") {
                parts += 1;
            } else if let Some(attributes) = tag.strip_prefix("EXT-X-MAP:") {
                map = quoted_attribute(attributes, "URI");
            }
            continue;
        }
        match next_is.take() {
            Some(true) => variants.push(line.to_owned()),
            Some(false) => segments.push(line.to_owned()),
            None => {}
        }
    }
    if !variants.is_empty() {
        return Ok(Hls::Master { variants });
    }
    if segments.is_empty() {
        return Err("an HLS playlist with no variants and no segments".into());
    }
    Ok(Hls::Media { segments, map, parts })
}

/// `NAME="value"` from an attribute list.
fn quoted_attribute(attributes: &str, name: &str) -> Option<String> {
    let at = attributes.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = &attributes[at..];
    Some(rest[..rest.find('"')?].to_owned())
}

fn start_of(text: &str) -> String {
    text.trim_start().chars().take(24).collect()
}

/// The first media segment of a DASH manifest (ISO/IEC 23009-1): of the
/// first representation of the first video adaptation set (or the first
/// set), by its `SegmentTemplate` (`$RepresentationID$`, `$Bandwidth$`,
/// `$Number$` from `startNumber`, `$Time$` from the timeline's first `S`,
/// with their `%0Nd` widths), or its `BaseURL` alone. The `BaseURL`s on the
/// way down come first, each to be resolved against the one before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashFirst {
    pub representations: usize,
    pub bases: Vec<String>,
    pub initialization: Option<String>,
    pub segment: String,
}

pub fn dash(text: &str) -> Result<DashFirst, String> {
    let document = roxmltree::Document::parse(text).map_err(|err| format!("not XML ({err})"))?;
    let mpd = document.root_element();
    if mpd.tag_name().name() != "MPD" {
        return Err(format!("not a DASH manifest (its root is <{}>)", mpd.tag_name().name()));
    }
    let period = child(mpd, "Period").ok_or("a DASH manifest with no Period")?;
    let sets: Vec<_> = period
        .children()
        .filter(|c| c.tag_name().name() == "AdaptationSet")
        .collect();
    let is_video = |set: &roxmltree::Node<'_, '_>| {
        set.attribute("contentType") == Some("video")
            || set.attribute("mimeType").is_some_and(|m| m.starts_with("video/"))
            || set
                .children()
                .any(|r| r.attribute("mimeType").is_some_and(|m| m.starts_with("video/")))
    };
    let set = sets
        .iter()
        .find(|s| is_video(s))
        .or(sets.first())
        .ok_or("a DASH manifest whose Period has no AdaptationSet")?;
    let representations: Vec<_> = sets
        .iter()
        .flat_map(|s| s.children().filter(|c| c.tag_name().name() == "Representation"))
        .collect();
    let representation = set
        .children()
        .find(|c| c.tag_name().name() == "Representation")
        .ok_or("a DASH AdaptationSet with no Representation")?;
    let bases: Vec<String> = [mpd, period, *set, representation]
        .iter()
        .filter_map(|node| child(*node, "BaseURL"))
        .filter_map(|base| base.text())
        .map(|text| text.trim().to_owned())
        .collect();
    let template = [representation, *set, period]
        .into_iter()
        .find_map(|node| child(node, "SegmentTemplate"));
    let Some(template) = template else {
        // SegmentBase: the representation's BaseURL is the media.
        let mut bases = bases;
        let segment = bases
            .pop()
            .ok_or("a DASH representation with neither a SegmentTemplate nor a BaseURL")?;
        return Ok(DashFirst {
            representations: representations.len(),
            bases,
            initialization: None,
            segment,
        });
    };
    let number: u64 = template
        .attribute("startNumber")
        .map_or(Ok(1), str::parse)
        .map_err(|_| "a SegmentTemplate whose startNumber is not a number")?;
    let time: u64 = child(template, "SegmentTimeline")
        .and_then(|timeline| child(timeline, "S"))
        .and_then(|s| s.attribute("t"))
        .map_or(Ok(0), str::parse)
        .map_err(|_| "a SegmentTimeline whose first t is not a number")?;
    let fill = |pattern: &str| {
        substitute(
            pattern,
            representation.attribute("id").unwrap_or_default(),
            representation.attribute("bandwidth").unwrap_or_default(),
            number,
            time,
        )
    };
    let media = template.attribute("media").ok_or("a SegmentTemplate with no media")?;
    Ok(DashFirst {
        representations: representations.len(),
        bases,
        initialization: template.attribute("initialization").map(fill).transpose()?,
        segment: fill(media)?,
    })
}

/// The first child element of `node` named `name`.
fn child<'a, 'input>(node: roxmltree::Node<'a, 'input>, name: &str) -> Option<roxmltree::Node<'a, 'input>> {
    node.children().find(|c| c.tag_name().name() == name)
}

/// A segment template's identifiers replaced (ISO/IEC 23009-1, 5.3.9.4.4).
fn substitute(pattern: &str, id: &str, bandwidth: &str, number: u64, time: u64) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('$') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('$')
            .ok_or_else(|| format!("a segment template with an unclosed $: {pattern}"))?;
        let identifier = &after[..close];
        let (name, width) = match identifier.split_once("%0") {
            Some((name, format)) => {
                let width = format
                    .strip_suffix('d')
                    .and_then(|w| w.parse::<usize>().ok())
                    .ok_or_else(|| format!("a segment template with the format {identifier}"))?;
                (name, width)
            }
            None => (identifier, 0),
        };
        let value = match name {
            "" => "$".to_owned(),
            "RepresentationID" => id.to_owned(),
            "Bandwidth" => format!("{:0width$}", bandwidth.parse::<u64>().unwrap_or_default()),
            "Number" => format!("{number:0width$}"),
            "Time" => format!("{time:0width$}"),
            other => return Err(format!("a segment template with the unknown identifier ${other}$")),
        };
        out.push_str(&value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The first fragment of a Smooth Streaming manifest's first video stream
/// (or its first stream), at its first quality level: the `Url` pattern's
/// `{bitrate}` and `{start time}` filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmoothFirst {
    pub streams: usize,
    pub fragment: String,
}

pub fn smooth(text: &str) -> Result<SmoothFirst, String> {
    let document = roxmltree::Document::parse(text).map_err(|err| format!("not XML ({err})"))?;
    let root = document.root_element();
    if root.tag_name().name() != "SmoothStreamingMedia" {
        return Err(format!(
            "not a Smooth Streaming manifest (its root is <{}>)",
            root.tag_name().name()
        ));
    }
    let streams: Vec<_> = root
        .children()
        .filter(|c| c.tag_name().name() == "StreamIndex")
        .collect();
    let stream = streams
        .iter()
        .find(|s| s.attribute("Type") == Some("video"))
        .or(streams.first())
        .ok_or("a Smooth Streaming manifest with no StreamIndex")?;
    let url = stream.attribute("Url").ok_or("a StreamIndex with no Url")?;
    let bitrate = stream
        .children()
        .find(|c| c.tag_name().name() == "QualityLevel")
        .and_then(|q| q.attribute("Bitrate"))
        .ok_or("a StreamIndex with no QualityLevel")?;
    let start = stream
        .children()
        .find(|c| c.tag_name().name() == "c")
        .and_then(|c| c.attribute("t"))
        .unwrap_or("0");
    let fragment = url
        .replace("{bitrate}", bitrate)
        .replace("{Bitrate}", bitrate)
        .replace("{start time}", start)
        .replace("{start_time}", start);
    Ok(SmoothFirst {
        streams: streams.len(),
        fragment,
    })
}

/// What a segment's first bytes say it is: MPEG-TS packets start with the
/// sync byte 0x47 (every 188 bytes); ISO BMFF (fragmented MP4, CMAF,
/// Smooth fragments) with a box whose type is one a segment starts with.
pub fn media_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() >= 188 && bytes[0] == 0x47 && bytes.get(188).is_none_or(|b| *b == 0x47) {
        return Some("MPEG-TS");
    }
    match bytes.get(4..8) {
        Some(b"ftyp") | Some(b"styp") | Some(b"moof") | Some(b"sidx") | Some(b"emsg") | Some(b"prft") => {
            Some("fragmented MP4")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hls_master_names_its_variants_and_a_media_playlist_its_segments_and_parts() {
        let master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=5000000\nhd/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=900000\nsd.m3u8\n";
        assert_eq!(
            hls(master),
            Ok(Hls::Master {
                variants: vec!["hd/index.m3u8".into(), "sd.m3u8".into()]
            })
        );
        let media = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXT-X-PART:DURATION=1.0,URI=\"p0.mp4\"\n#EXTINF:4.0,\nseg1.mp4\n#EXTINF:4.0,\nseg2.mp4\n";
        assert_eq!(
            hls(media),
            Ok(Hls::Media {
                segments: vec!["seg1.mp4".into(), "seg2.mp4".into()],
                map: Some("init.mp4".into()),
                parts: 1
            })
        );
        assert!(hls("<html>sorry</html>").unwrap_err().contains("not an HLS playlist"));
        assert!(
            hls("#EXTM3U\n#EXT-X-TARGETDURATION:4\n")
                .unwrap_err()
                .contains("no segments")
        );
    }

    #[test]
    fn a_dash_template_is_filled_from_the_first_video_representation() {
        let mpd = r#"<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic">
  <BaseURL>media/</BaseURL>
  <Period id="0">
    <AdaptationSet contentType="audio"><Representation id="a" bandwidth="96000"/></AdaptationSet>
    <AdaptationSet contentType="video">
      <SegmentTemplate initialization="init-$RepresentationID$.m4s" media="chunk-$RepresentationID$-$Number%05d$-$Time$.m4s" startNumber="7">
        <SegmentTimeline><S t="9000" d="180000" r="3"/></SegmentTimeline>
      </SegmentTemplate>
      <Representation id="v1" bandwidth="5000000"/>
      <Representation id="v2" bandwidth="900000"/>
    </AdaptationSet>
  </Period>
</MPD>"#;
        assert_eq!(
            dash(mpd),
            Ok(DashFirst {
                representations: 3,
                bases: vec!["media/".into()],
                initialization: Some("init-v1.m4s".into()),
                segment: "chunk-v1-00007-9000.m4s".into(),
            })
        );
        assert!(dash("#EXTM3U").unwrap_err().contains("not XML"));
        assert!(dash("<html/>").unwrap_err().contains("its root is <html>"));
        assert!(substitute("a$Unknown$", "", "", 1, 0).is_err());
        assert_eq!(substitute("$$$Bandwidth$", "", "64000", 1, 0).unwrap(), "$64000");
    }

    #[test]
    fn a_smooth_manifest_names_its_first_fragment() {
        let manifest = r#"<?xml version="1.0"?>
<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" IsLive="TRUE">
  <StreamIndex Type="audio" Url="QualityLevels({bitrate})/Fragments(audio={start time})"><QualityLevel Bitrate="128000"/><c t="0"/></StreamIndex>
  <StreamIndex Type="video" Url="QualityLevels({bitrate})/Fragments(video={start time})">
    <QualityLevel Bitrate="2000000"/><QualityLevel Bitrate="800000"/>
    <c t="20000000" d="20000000"/><c d="20000000"/>
  </StreamIndex>
</SmoothStreamingMedia>"#;
        assert_eq!(
            smooth(manifest),
            Ok(SmoothFirst {
                streams: 2,
                fragment: "QualityLevels(2000000)/Fragments(video=20000000)".into()
            })
        );
        assert!(smooth("<MPD/>").unwrap_err().contains("its root is <MPD>"));
    }

    #[test]
    fn segments_are_told_from_error_pages() {
        let mut ts = vec![0u8; 376];
        ts[0] = 0x47;
        ts[188] = 0x47;
        assert_eq!(media_kind(&ts), Some("MPEG-TS"));
        assert_eq!(media_kind(b"\0\0\0\x18stypmsdh"), Some("fragmented MP4"));
        assert_eq!(media_kind(b"<html><body>503</body></html>"), None);
    }
}
