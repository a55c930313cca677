//! How many wrong passcodes one viewer address may send: at most
//! [`FAILURES`] in [`WINDOW`], then every attempt is refused until the
//! window ends, without looking at the passcode.
//!
//! The counts live in this Lambda instance's memory: each instance counts
//! on its own, so N instances running at once allow up to N times the
//! limit, and an instance that Lambda retires forgets. That stops a viewer
//! (or a script) trying passcodes one after another; it is no defence
//! against many addresses at once (AWS WAF's rate-based rules are).

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Wrong passcodes one address may send within [`WINDOW`].
pub const FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(300);
/// Addresses remembered at once; past it, ended windows are dropped, and
/// if that is not enough, all of them (memory stays bounded).
const REMEMBERED: usize = 10_000;

#[derive(Debug, Default)]
pub struct Limiter {
    windows: HashMap<String, Window>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

impl Limiter {
    /// `None` when `address` may try now; otherwise how long until it may.
    pub fn wait_for(&self, address: &str, now: Instant) -> Option<Duration> {
        let window = self.windows.get(address)?;
        let ends = window.started + WINDOW;
        (window.failures >= FAILURES && now < ends).then(|| ends - now)
    }

    /// Counts a wrong passcode from `address`.
    pub fn failed(&mut self, address: &str, now: Instant) {
        if self.windows.len() >= REMEMBERED && !self.windows.contains_key(address) {
            self.windows.retain(|_, window| now < window.started + WINDOW);
            if self.windows.len() >= REMEMBERED {
                self.windows.clear();
            }
        }
        let window = self.windows.entry(address.to_owned()).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now >= window.started + WINDOW {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures += 1;
    }

    /// A right passcode clears the address's count.
    pub fn succeeded(&mut self, address: &str) {
        self.windows.remove(address);
    }
}

/// The viewer's address without its port, from CloudFront's
/// `CloudFront-Viewer-Address` header (`198.51.100.10:46532`,
/// `[2001:db8::1]:443` for IPv6).
pub fn address_of(header: &str) -> String {
    let header = header.trim();
    if let Some(rest) = header.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_owned();
    }
    match header.rsplit_once(':') {
        // An IPv6 address without brackets has more than one colon.
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => host.to_owned(),
        _ => header.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_wrong_passcodes_close_the_window_until_it_ends() {
        let mut limiter = Limiter::default();
        let start = Instant::now();
        for n in 0..FAILURES {
            assert_eq!(limiter.wait_for("198.51.100.10", start), None, "attempt {n}");
            limiter.failed("198.51.100.10", start);
        }
        let wait = limiter.wait_for("198.51.100.10", start + Duration::from_secs(60));
        assert_eq!(wait, Some(WINDOW - Duration::from_secs(60)));
        assert_eq!(
            limiter.wait_for("198.51.100.11", start),
            None,
            "another address is not held"
        );
        assert_eq!(
            limiter.wait_for("198.51.100.10", start + WINDOW),
            None,
            "the window ended"
        );
        limiter.failed("198.51.100.10", start + WINDOW);
        assert_eq!(limiter.wait_for("198.51.100.10", start + WINDOW), None, "a new window");
    }

    #[test]
    fn a_right_passcode_clears_the_count() {
        let mut limiter = Limiter::default();
        let now = Instant::now();
        for _ in 0..FAILURES - 1 {
            limiter.failed("a", now);
        }
        limiter.succeeded("a");
        limiter.failed("a", now);
        assert_eq!(limiter.wait_for("a", now), None);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut limiter = Limiter::default();
        let now = Instant::now();
        for n in 0..REMEMBERED + 10 {
            limiter.failed(&format!("10.0.{}.{}", n / 256, n % 256), now);
        }
        assert!(limiter.windows.len() <= REMEMBERED);
    }

    #[test]
    fn the_address_is_read_without_its_port() {
        assert_eq!(address_of("198.51.100.10:46532"), "198.51.100.10");
        assert_eq!(address_of("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(address_of("2001:db8::1"), "2001:db8::1");
        assert_eq!(address_of(""), "");
    }
}
