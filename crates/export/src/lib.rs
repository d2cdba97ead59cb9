//! netstep-export: a recorded run in the formats people already read.
//!
//! Every exporter reads only a [`Trace`] and its [`Annotation`], like the
//! player does, so a saved run exports the same on any machine, and the
//! same run always gives the same bytes (no clock, no hash-map order, no
//! randomness).
//!
//! - [`pcapng`]: a capture file for Wireshark, as taken at the client, the
//!   server or on the wire ([`CapturePoint`]), one commented packet per
//!   segment.
//! - [`markdown`]: the annotated ladder as a table, then the stages.
//! - [`mermaid`]: a `sequenceDiagram` for GitHub, mdBook and slides.
//! - [`svg`]: the ladder as a picture for projecting in a classroom.
//!
//! Who is "client" and "server" ([`Roles`]): the hosts at the two ends of
//! the run's first connection, its initiator and its responder. In an FTP
//! scenario that is the FTP client and the FTP server, since the control
//! connection always comes first.
//!
//! Leaves out: the JSON export (it lives in `netstep_trace::json`, beside
//! the types it serialises), reading any of these formats back, and
//! anything a trace does not record (link-layer frames, router hops that
//! changed nothing but the TTL).

mod ladder;
mod markdown;
mod mermaid;
mod pcapng;
mod svg;
mod words;

pub use ladder::Roles;
pub use markdown::markdown;
pub use mermaid::mermaid;
pub use pcapng::{pcapng, write_pcapng};
pub use svg::svg;

use netstep_trace::{Annotation, Lang, Trace};
use std::fmt;
use std::str::FromStr;

/// Where a capture is taken: which packets it holds, when, and with which
/// addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum CapturePoint {
    /// On the client host, like the seed's capture: what the client sent,
    /// stamped when it sent it, and what was delivered to it, stamped when
    /// it arrived, with the addresses the client saw.
    #[default]
    Client,
    /// The same on the server host.
    Server,
    /// Every transmission at the moment its sender put it on the wire, as
    /// the sender wrote it, including segments lost later on the way.
    Wire,
}

impl CapturePoint {
    pub const ALL: [CapturePoint; 3] = [
        CapturePoint::Client,
        CapturePoint::Server,
        CapturePoint::Wire,
    ];

    /// `client`, `server`, `wire`: the spelling `FromStr` reads.
    pub fn name(self) -> &'static str {
        match self {
            CapturePoint::Client => "client",
            CapturePoint::Server => "server",
            CapturePoint::Wire => "wire",
        }
    }
}

impl fmt::Display for CapturePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CapturePoint {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self, ExportError> {
        CapturePoint::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| ExportError::UnknownCapturePoint(s.to_string()))
    }
}

/// The formats this crate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Pcapng,
    Markdown,
    Mermaid,
    Svg,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::Pcapng,
        Format::Markdown,
        Format::Mermaid,
        Format::Svg,
    ];

    /// `pcapng`, `markdown`, `mermaid`, `svg`: the spelling `FromStr` reads.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pcapng => "pcapng",
            Format::Markdown => "markdown",
            Format::Mermaid => "mermaid",
            Format::Svg => "svg",
        }
    }

    /// The usual file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pcapng => "pcapng",
            Format::Markdown => "md",
            Format::Mermaid => "mmd",
            Format::Svg => "svg",
        }
    }

    /// Whether the output is binary (so not for a terminal).
    pub fn is_binary(self) -> bool {
        self == Format::Pcapng
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self, ExportError> {
        let s = match s {
            "md" => "markdown",
            "mmd" => "mermaid",
            other => other,
        };
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| ExportError::UnknownFormat(s.to_string()))
    }
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the run has no segments: there is nothing to export")]
    EmptyTrace,
    #[error(
        "the annotation covers {annotated} segments but the trace has {segments}: annotate this trace before exporting it"
    )]
    AnnotationMismatch { segments: usize, annotated: usize },
    #[error("the run opened no connection, so it has no client and no server to capture at")]
    NoConnection,
    #[error("segment {segment} points at payload bytes its sender's stream does not hold")]
    MissingPayload { segment: usize },
    #[error("segment {segment} cannot be written as an IPv4 packet: {source}")]
    Packet {
        segment: usize,
        source: netstep_wire::WireError,
    },
    #[error(transparent)]
    Pcap(#[from] netstep_wire::PcapError),
    #[error("unknown export format `{0}`: use pcapng, markdown, mermaid or svg")]
    UnknownFormat(String),
    #[error("unknown capture point `{0}`: use client, server or wire")]
    UnknownCapturePoint(String),
}

/// Any export by its [`Format`], as bytes (`at` matters only for pcapng).
pub fn render(
    format: Format,
    trace: &Trace,
    ann: &Annotation,
    at: CapturePoint,
    lang: Lang,
) -> Result<Vec<u8>, ExportError> {
    Ok(match format {
        Format::Pcapng => pcapng(trace, ann, at, lang)?,
        Format::Markdown => markdown(trace, ann, lang)?.into_bytes(),
        Format::Mermaid => mermaid(trace, ann, lang)?.into_bytes(),
        Format::Svg => svg(trace, ann, lang)?.into_bytes(),
    })
}

/// The checks every exporter makes before reading a run.
fn check(trace: &Trace, ann: &Annotation) -> Result<(), ExportError> {
    if trace.segments.is_empty() {
        return Err(ExportError::EmptyTrace);
    }
    if ann.segments.len() != trace.segments.len() {
        return Err(ExportError::AnnotationMismatch {
            segments: trace.segments.len(),
            annotated: ann.segments.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>().unwrap(), f);
        }
        for p in CapturePoint::ALL {
            assert_eq!(p.to_string().parse::<CapturePoint>().unwrap(), p);
        }
        assert_eq!("md".parse::<Format>().unwrap(), Format::Markdown);
        assert!("png".parse::<Format>().is_err());
        assert!("router".parse::<CapturePoint>().is_err());
    }
}
