//! Every log line at TRACE, captured for a test to search.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Where captured log lines go.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// A TRACE subscriber writing into a new capture.
    pub fn subscriber() -> (Capture, impl tracing::Subscriber + Send + Sync) {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (capture, subscriber)
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The events of captured text, each with its continuation lines (an
/// event starts with its RFC 3339 timestamp).
pub fn events(text: &str) -> Vec<String> {
    let starts_event = |line: &str| {
        let bytes = line.as_bytes();
        bytes.len() > 20 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[10] == b'T'
    };
    let mut events: Vec<String> = Vec::new();
    for line in text.lines() {
        match events.last_mut() {
            Some(event) if !starts_event(line) => {
                event.push('\n');
                event.push_str(line);
            }
            _ => events.push(line.to_owned()),
        }
    }
    events
}

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
