//! Bulk-transfer applications: one side sends N bytes of a known pattern
//! and closes, the other reads everything, checks it, and closes when the
//! sender's FIN arrives. Property tests and benchmarks use them to move
//! large amounts of data through the simulated TCP.
//!
//! Leaves out: anything protocol-like; these are `nc`-style byte pumps.

use crate::tcphost::{App, AppIo, SockEvent};
use netstep_tcp::ConnId;
use netstep_wire::Instant;
use std::cell::RefCell;
use std::net::SocketAddrV4;
use std::rc::Rc;

/// The byte at stream offset `i`: the bulk pattern of
/// [`netstep_trace::pattern`], with no short period, so a misplaced segment
/// cannot go unnoticed.
pub fn pattern_byte(i: u64) -> u8 {
    netstep_trace::pattern::byte(i)
}

/// What the receiving side saw, shared with whoever built the network.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BulkReport {
    pub received: u64,
    /// The first offset whose byte was wrong, if any.
    pub first_mismatch: Option<u64>,
    /// The sender's FIN arrived.
    pub eof: bool,
    /// When the last byte arrived.
    pub done_at: Option<Instant>,
    /// How many of the bytes received reached the application by
    /// reference to the pattern's table, not copied (see
    /// [`netstep_wire::pattern`]): all of them when nothing on the way
    /// rewrote a packet.
    pub by_reference: u64,
}

/// Connects to `to` and sends `len` pattern bytes, then closes.
#[derive(Debug)]
pub struct BulkSender {
    to: SocketAddrV4,
    len: u64,
    sent: u64,
    conn: Option<ConnId>,
    closed: bool,
    finished: bool,
}

impl BulkSender {
    pub fn new(to: SocketAddrV4, len: u64) -> Self {
        BulkSender {
            to,
            len,
            sent: 0,
            conn: None,
            closed: false,
            finished: false,
        }
    }

    fn pump(&mut self, io: &mut AppIo<'_, '_>) {
        let Some(conn) = self.conn else {
            return;
        };
        while self.sent < self.len {
            let n = (self.len - self.sent).min(netstep_trace::pattern::MAX_SLICE as u64) as usize;
            let took = io.send_pattern(conn, self.sent, n);
            self.sent += took as u64;
            if took < n {
                // The buffer is full: the socket calls back (`Writable`)
                // when it has room. Another write now would take nothing.
                return;
            }
        }
        if !self.closed {
            self.closed = true;
            io.close(conn);
        }
    }
}

impl App for BulkSender {
    fn name(&self) -> &str {
        "bulk-sender"
    }
    fn start(&mut self, _now: Instant, io: &mut AppIo<'_, '_>) {
        self.conn = io.connect(self.to, None, "bulk").ok();
    }
    fn on_event(&mut self, _now: Instant, ev: SockEvent<'_>, io: &mut AppIo<'_, '_>) {
        match ev {
            SockEvent::Connected { .. }
            | SockEvent::Writable { .. }
            | SockEvent::AllAcked { .. } => self.pump(io),
            SockEvent::Closed { .. } => self.finished = true,
            _ => {}
        }
    }
    fn on_timeout(&mut self, _now: Instant, _io: &mut AppIo<'_, '_>) {}
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn finished(&self) -> bool {
        self.finished
    }
}

/// Listens on `port`, reads and checks everything, closes on EOF.
#[derive(Debug)]
pub struct BulkReceiver {
    port: u16,
    report: Rc<RefCell<BulkReport>>,
    finished: bool,
}

impl BulkReceiver {
    pub fn new(port: u16) -> (Self, Rc<RefCell<BulkReport>>) {
        let report = Rc::new(RefCell::new(BulkReport::default()));
        (
            BulkReceiver {
                port,
                report: report.clone(),
                finished: false,
            },
            report,
        )
    }
}

impl App for BulkReceiver {
    fn name(&self) -> &str {
        "bulk-receiver"
    }
    fn start(&mut self, _now: Instant, io: &mut AppIo<'_, '_>) {
        let _ = io.listen(self.port, "bulk");
    }
    fn on_event(&mut self, now: Instant, ev: SockEvent<'_>, io: &mut AppIo<'_, '_>) {
        match ev {
            SockEvent::Received { bytes, .. } => {
                let mut r = self.report.borrow_mut();
                if r.first_mismatch.is_none() {
                    r.first_mismatch = netstep_trace::pattern::first_mismatch(r.received, bytes);
                }
                r.received += bytes.len() as u64;
                if netstep_trace::pattern::phase_of(bytes).is_some() {
                    r.by_reference += bytes.len() as u64;
                }
                r.done_at = Some(now);
            }
            SockEvent::PeerClosed { conn } => {
                self.report.borrow_mut().eof = true;
                io.close(conn);
            }
            SockEvent::Closed { .. } => self.finished = true,
            _ => {}
        }
    }
    fn on_timeout(&mut self, _now: Instant, _io: &mut AppIo<'_, '_>) {}
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn finished(&self) -> bool {
        // A listener never finishes by itself; the run ends when the
        // sender is done and the connection has closed.
        self.finished || self.report.borrow().eof
    }
}
