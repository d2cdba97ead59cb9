//! A hand-built recording of the walkthrough session, for tests and
//! benchmarks until the simulator produces real traces.
//!
//! The script below is not a list of segments: it is a tiny model of the
//! two hosts (who answers when, whose delayed-ACK timer fires first) and a
//! [`Recorder`] that keeps each side's SND.NXT, SND.UNA and RCV.NXT, so every
//! sequence and acknowledgement number is the one real TCP would put there.
//! Its parameters follow `scenarios/active-ftp.toml` (ISNs, think times,
//! server delays, a 100 us link), so the 37 segments and 32 stages of
//! WALKTHROUGH.md come out of it.
//!
//! Leaves out: congestion control beyond slow start's growth, window
//! changes as data is read, and anything the walkthrough does not show.
//! The real simulator's trace replaces this in the snapshot tests once it
//! lands.

use netstep_trace::{
    AckReason, Annotation, AppEvent, ConnInfo, ConnVars, DropReason, EndReason, Endpoint, Event,
    EventKind, Fate, Matcher, NodeInfo, NodeKind, Retransmission, RetxKind, ScenarioInfo, SegCause,
    Segment, SocketInfo, Stage, Stream, TRACE_FORMAT_VERSION, TcpProfileInfo, TcpState, Text,
    TimerKind, Trace, Walkthrough, annotate,
};
use netstep_wire::{Duration, Instant, SeqNumber, TcpFlags, TcpOptions};
use std::net::{Ipv4Addr, SocketAddrV4};

/// Which variant of the session to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FixtureOptions {
    /// Put a router between client and server (a third ladder column).
    pub router: bool,
    /// The router loses the first USER segment; the client retransmits it
    /// when its RTO expires.
    pub lose_user: bool,
    /// The server answers USER within its delayed-ACK time, so its ACK
    /// rides on the 331 and stage 5 does not occur.
    pub quick_user_reply: bool,
}

/// The default run: 37 segments, every stage in order.
pub fn walkthrough_run() -> (Trace, Annotation) {
    run_with(FixtureOptions::default())
}

/// A router between the hosts loses USER; the client retransmits it after
/// its retransmission timeout (38 segments).
pub fn lossy_run() -> (Trace, Annotation) {
    run_with(FixtureOptions {
        router: true,
        lose_user: true,
        quick_user_reply: false,
    })
}

/// The server answers USER at once: stage 5 does not occur (36 segments).
pub fn quick_server_run() -> (Trace, Annotation) {
    run_with(FixtureOptions {
        quick_user_reply: true,
        ..FixtureOptions::default()
    })
}

/// Any variant, annotated with [`walkthrough`].
pub fn run_with(opts: FixtureOptions) -> (Trace, Annotation) {
    let trace = walkthrough_trace(opts);
    let ann = annotate(&trace, &walkthrough());
    (trace, ann)
}

/// A run with no segments at all (a scenario whose client never started).
pub fn empty_run() -> (Trace, Annotation) {
    let r = Recorder::new(false);
    let trace = r.finish(Instant::ZERO);
    let ann = annotate(&trace, &walkthrough());
    (trace, ann)
}

/// The walkthrough session recorded once.
pub fn walkthrough_trace(opts: FixtureOptions) -> Trace {
    let mut r = Recorder::new(opts.router);
    r.listener();
    let end = session(&mut r, Instant::ZERO, 0, opts);
    r.finish(end)
}

/// At least `segments` segments: the walkthrough session repeated (new
/// ports, new ISNs, 20 s apart), annotated like the default run (the first
/// session gets the stages). Linear in `segments`, cheap enough to build a
/// million-segment trace for benchmarks.
pub fn huge_run(segments: usize) -> (Trace, Annotation) {
    let mut r = Recorder::new(false);
    r.listener();
    let sessions = segments.div_ceil(SESSION_SEGMENTS).max(1);
    let mut end = Instant::ZERO;
    for i in 0..sessions {
        let t0 = Instant::ZERO + Duration::from_secs(20).saturating_mul(i as u64);
        end = session(&mut r, t0, i as u32, FixtureOptions::default());
    }
    let trace = r.finish(end);
    // Annotating a million segments costs one pass: every stage is found in
    // the first session.
    let ann = annotate(&trace, &walkthrough());
    (trace, ann)
}

/// Segments in one default session.
pub const SESSION_SEGMENTS: usize = 37;

const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 168);
const SERVER_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 240);
const FIRST_CLIENT_PORT: u16 = 51299;
const CLIENT_CTL_ISN: u32 = 1_022_640_128;
const SERVER_CTL_ISN: u32 = 3_217_031_680;
const SERVER_DATA_ISN: u32 = 3_218_079_232;
const CLIENT_DATA_ISN: u32 = 1_023_951_216;
const LISTING: &[u8] = b"notes.txt\r\nreadme.txt\r\n";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// One FTP session: login, `ls`, `pwd`, `quit`. Returns when it ended.
fn session(r: &mut Recorder, t0: Instant, index: u32, opts: FixtureOptions) -> Instant {
    let (c, s) = (r.client, r.server);
    // Sequential ephemeral ports: control N, data N+1, as in the seed.
    let cport = FIRST_CLIENT_PORT.wrapping_add((index.wrapping_mul(2) % 14_000) as u16);
    let dport = cport.wrapping_add(1);
    let isn = |base: u32| base.wrapping_add(index.wrapping_mul(64_000));
    let caddr = SocketAddrV4::new(CLIENT_IP, cport);
    let saddr = SocketAddrV4::new(SERVER_IP, 21);
    let cdata = SocketAddrV4::new(CLIENT_IP, dport);
    let sdata = SocketAddrV4::new(SERVER_IP, 20);
    let pa = TcpFlags::PSH | TcpFlags::ACK;
    let fa = TcpFlags::FIN | TcpFlags::ACK;

    // Control connection: three-way handshake.
    let ctl = r.conn(
        "control",
        (c, caddr),
        (s, saddr),
        isn(CLIENT_CTL_ISN),
        isn(SERVER_CTL_ISN),
    );
    let cs = r.socket(c, caddr, Some(saddr), "control", Some((ctl, 0)), t0);
    r.state(
        t0,
        cs,
        TcpState::Closed,
        TcpState::SynSent,
        "the client program connects to port 21 (active open)",
        None,
    );
    let (syn, t) = r.send(t0, ctl, 0, TcpFlags::SYN, b"", SegCause::Syn);
    let ss = r.socket(s, saddr, Some(caddr), "control", Some((ctl, 1)), t);
    r.state(
        t,
        ss,
        TcpState::Closed,
        TcpState::SynReceived,
        "SYN arrived at the listening port 21",
        Some(syn),
    );
    let (synack, t) = r.send(
        t,
        ctl,
        1,
        TcpFlags::SYN | TcpFlags::ACK,
        b"",
        SegCause::SynAck,
    );
    r.state(
        t,
        cs,
        TcpState::SynSent,
        TcpState::Established,
        "SYN+ACK received",
        Some(synack),
    );
    let (ack, t) = r.send(t, ctl, 0, TcpFlags::ACK, b"", SegCause::HandshakeAck);
    r.state(
        t,
        ss,
        TcpState::SynReceived,
        TcpState::Established,
        "the ACK of its SYN+ACK arrived",
        Some(ack),
    );

    // Login. The server greets at once; every line the user types takes
    // seconds, so the client's delayed ACK goes out alone.
    let (_, t) = r.send(t, ctl, 1, pa, b"220 (vsFTPd 2.0.5)\r\n", data(false));
    r.reply(t, 220, "220 (vsFTPd 2.0.5)");
    r.delayed_ack(t, cs, ctl, 0);
    let t = if opts.lose_user {
        let sent = t + Duration::from_secs(3);
        let lost = r.send_lost(sent, ctl, 0, pa, b"USER student\r\n", data(false));
        let rto = r.rto(ctl, 0);
        r.timer(sent + rto, cs, TimerKind::Retransmit { backoff: 1 });
        r.retransmit(sent + rto, lost, RetxKind::Rto { backoff: 1 })
            .1
    } else {
        r.send(
            t + Duration::from_secs(3),
            ctl,
            0,
            pa,
            b"USER student\r\n",
            data(false),
        )
        .1
    };
    let user_delay = if opts.quick_user_reply {
        ms(20)
    } else {
        ms(250)
    };
    let (_, t) = r.answer(
        t,
        ss,
        ctl,
        user_delay,
        b"331 Please specify the password.\r\n",
    );
    r.delayed_ack(t, cs, ctl, 0);
    let (_, t) = r.send(t + ms(2500), ctl, 0, pa, b"PASS netstep\r\n", data(false));
    let (_, t) = r.answer(t, ss, ctl, ms(400), b"230 Login successful.\r\n");
    r.delayed_ack(t, cs, ctl, 0);

    // `ls`: the client listens on N+1 and names it in PORT.
    let tp = t + Duration::from_secs(4);
    let cl = r.socket(c, cdata, None, "data", None, tp);
    r.state(
        tp,
        cl,
        TcpState::Closed,
        TcpState::Listen,
        "the client listens for the data connection (active mode)",
        None,
    );
    let port = format!("PORT 192,168,120,168,{},{}\r\n", dport / 256, dport % 256);
    let (_, t) = r.send(tp, ctl, 0, pa, port.as_bytes(), data(false));
    let (_, t) = r.answer(
        t,
        ss,
        ctl,
        ms(300),
        b"200 PORT command successful. Consider using PASV.\r\n",
    );
    // The program sends NLST by itself at once: the ACK of 200 rides on it.
    let (_, t) = r.send(t + ms(1), ctl, 0, pa, b"NLST\r\n", data(true));

    // The server connects from port 20 to the port named in PORT.
    let dconn = r.conn(
        "data",
        (s, sdata),
        (c, cdata),
        isn(SERVER_DATA_ISN),
        isn(CLIENT_DATA_ISN),
    );
    let td = t + us(200);
    let sd = r.socket(s, sdata, Some(cdata), "data", Some((dconn, 0)), td);
    r.state(
        td,
        sd,
        TcpState::Closed,
        TcpState::SynSent,
        "the server connects from port 20 to the port named in PORT",
        None,
    );
    let (dsyn, t) = r.send(td, dconn, 0, TcpFlags::SYN, b"", SegCause::Syn);
    let cd = r.socket(c, cdata, Some(sdata), "data", Some((dconn, 1)), t);
    r.state(
        t,
        cd,
        TcpState::Closed,
        TcpState::SynReceived,
        "SYN arrived at the listening data port",
        Some(dsyn),
    );
    let (dsynack, t) = r.send(
        t,
        dconn,
        1,
        TcpFlags::SYN | TcpFlags::ACK,
        b"",
        SegCause::SynAck,
    );
    r.state(
        t,
        sd,
        TcpState::SynSent,
        TcpState::Established,
        "SYN+ACK received",
        Some(dsynack),
    );
    let (dack, t_dack) = r.send(t, dconn, 0, TcpFlags::ACK, b"", SegCause::HandshakeAck);
    // 150 on control (the ACK of NLST rides on it), then the listing.
    let t150 = t + us(50);
    let (_, t150_arrives) = r.send(
        t150,
        ctl,
        1,
        pa,
        b"150 Here comes the directory listing.\r\n",
        data(true),
    );
    r.state(
        t_dack,
        cd,
        TcpState::SynReceived,
        TcpState::Established,
        "the ACK of its SYN+ACK arrived",
        Some(dack),
    );
    r.state(
        t_dack,
        cl,
        TcpState::Listen,
        TcpState::Closed,
        "the client stops listening: the data connection is accepted",
        None,
    );
    r.reply(t150_arrives, 150, "150 Here comes the directory listing.");
    let (_, _) = r.send(t150 + us(50), dconn, 0, pa, LISTING, data(false));
    let tfin = t150 + us(100);
    r.state(
        tfin,
        sd,
        TcpState::Established,
        TcpState::FinWait1,
        "the listing is sent: the server closes the data connection",
        None,
    );
    let (dfin, t) = r.send(tfin, dconn, 0, fa, b"", fin());
    r.state(
        t,
        cd,
        TcpState::Established,
        TcpState::CloseWait,
        "FIN received",
        Some(dfin),
    );
    let (dfinack, t) = r.send(t, dconn, 1, TcpFlags::ACK, b"", ack_now(AckReason::Fin));
    r.state(
        t,
        sd,
        TcpState::FinWait1,
        TcpState::FinWait2,
        "its FIN was acknowledged",
        Some(dfinack),
    );
    // 226 only once the data FIN is acknowledged; the client has now two
    // unacknowledged segments (150, 226) and acknowledges at once.
    let (_, t) = r.send(
        t + us(100),
        ctl,
        1,
        pa,
        b"226 Directory send OK.\r\n",
        data(false),
    );
    r.reply(t, 226, "226 Directory send OK.");
    let (_, _) = r.send(t, ctl, 0, TcpFlags::ACK, b"", ack_now(AckReason::EveryNth));
    // Having read 226, the client closes its side of the data connection.
    let tc = t + ms(1);
    r.state(
        tc,
        cd,
        TcpState::CloseWait,
        TcpState::LastAck,
        "the client program closes the data connection after 226",
        None,
    );
    let (cfin, t2) = r.send(tc, dconn, 1, fa, b"", fin());
    r.state(
        t2,
        sd,
        TcpState::FinWait2,
        TcpState::TimeWait,
        "FIN received: it closed first, so it waits 2*MSL",
        Some(cfin),
    );
    let (lastack, t3) = r.send(t2, dconn, 0, TcpFlags::ACK, b"", ack_now(AckReason::Fin));
    r.state(
        t3,
        cd,
        TcpState::LastAck,
        TcpState::Closed,
        "its FIN was acknowledged",
        Some(lastack),
    );

    // `pwd`: answered at once, so the server's ACK rides on 257.
    let (_, t) = r.send(
        t + Duration::from_secs(3),
        ctl,
        0,
        pa,
        b"PWD\r\n",
        data(false),
    );
    let (_, t) = r.answer(t, ss, ctl, Duration::ZERO, b"257 \"/\"\r\n");
    r.delayed_ack(t, cs, ctl, 0);

    // `quit`.
    let (_, t) = r.send(
        t + Duration::from_secs(2),
        ctl,
        0,
        pa,
        b"QUIT\r\n",
        data(false),
    );
    let (t221, _) = r.answer(t, ss, ctl, Duration::ZERO, b"221 Goodbye.\r\n");
    let tf = t221 + us(50);
    r.state(
        tf,
        ss,
        TcpState::Established,
        TcpState::FinWait1,
        "after 221 the server closes the control connection",
        None,
    );
    let (sfin, t) = r.send(tf, ctl, 1, fa, b"", fin());
    r.state(
        t,
        cs,
        TcpState::Established,
        TcpState::CloseWait,
        "FIN received",
        Some(sfin),
    );
    let (cack, ta) = r.send(t, ctl, 0, TcpFlags::ACK, b"", ack_now(AckReason::Fin));
    let tc = t + ms(1);
    r.state(
        ta,
        ss,
        TcpState::FinWait1,
        TcpState::FinWait2,
        "its FIN was acknowledged",
        Some(cack),
    );
    r.state(
        tc,
        cs,
        TcpState::CloseWait,
        TcpState::LastAck,
        "the client program closes the control connection",
        None,
    );
    let (cfin, t) = r.send(tc, ctl, 0, fa, b"", fin());
    r.state(
        t,
        ss,
        TcpState::FinWait2,
        TcpState::TimeWait,
        "FIN received: it closed first, so it waits 2*MSL",
        Some(cfin),
    );
    let (sack, t) = r.send(t, ctl, 1, TcpFlags::ACK, b"", ack_now(AckReason::Fin));
    r.state(
        t,
        cs,
        TcpState::LastAck,
        TcpState::Closed,
        "its FIN was acknowledged",
        Some(sack),
    );
    t
}

fn data(piggybacked_ack: bool) -> SegCause {
    SegCause::Data { piggybacked_ack }
}
fn fin() -> SegCause {
    SegCause::Fin {
        piggybacked_ack: false,
        with_data: false,
    }
}
fn ack_now(reason: AckReason) -> SegCause {
    SegCause::AckNow { reason }
}

/// One side of a connection as the recorder tracks it.
#[derive(Debug, Clone, Copy)]
struct Side {
    node: u32,
    addr: SocketAddrV4,
    snd_una: SeqNumber,
    snd_nxt: SeqNumber,
    rcv_nxt: Option<SeqNumber>,
    wnd: u16,
    peer_wnd: u16,
    cwnd: u32,
    rto: Duration,
    socket: Option<u32>,
}

#[derive(Debug)]
enum Item {
    /// A segment with its id in script order.
    Seg(u32, Box<Segment>),
    Ev(EventKind),
}

/// Records a run in script order and sorts it into time order at the end,
/// so the script can follow one connection at a time.
#[derive(Debug)]
struct Recorder {
    nodes: Vec<NodeInfo>,
    conns: Vec<ConnInfo>,
    sockets: Vec<SocketInfo>,
    streams: Vec<Stream>,
    sides: Vec<[Side; 2]>,
    /// (time, item) in script order; a stable sort by time keeps script
    /// order for ties (an event before the segment it triggers).
    items: Vec<(Instant, Item)>,
    segments_pushed: u32,
    ident: Vec<u16>,
    client: u32,
    server: u32,
    router: Option<u32>,
}

impl Recorder {
    fn new(router: bool) -> Recorder {
        let client = NodeInfo {
            name: "client".into(),
            kind: NodeKind::Host,
            addrs: vec![CLIENT_IP],
            tcp: Some(TcpProfileInfo {
                profile: "classic-windows".into(),
                delayed_ack: Some(ms(200)),
                ack_every: "every 2nd segment".into(),
                mss: 1460,
                ttl: 128,
                rto_initial: Duration::from_secs(3),
                time_wait: Duration::from_secs(240),
                isn_fixed: true,
            }),
        };
        let server = NodeInfo {
            name: "server".into(),
            kind: NodeKind::Host,
            addrs: vec![SERVER_IP],
            tcp: Some(TcpProfileInfo {
                profile: "linux".into(),
                delayed_ack: Some(ms(200)),
                ack_every: "every 2nd full-sized segment".into(),
                mss: 1460,
                ttl: 64,
                rto_initial: Duration::from_secs(1),
                time_wait: Duration::from_secs(60),
                isn_fixed: true,
            }),
        };
        let mut nodes = vec![client];
        if router {
            nodes.push(NodeInfo {
                name: "router".into(),
                kind: NodeKind::Router,
                addrs: vec![
                    Ipv4Addr::new(192, 168, 120, 1),
                    Ipv4Addr::new(192, 168, 120, 254),
                ],
                tcp: None,
            });
        }
        nodes.push(server);
        let n = nodes.len();
        Recorder {
            nodes,
            conns: Vec::new(),
            sockets: Vec::new(),
            streams: Vec::new(),
            sides: Vec::new(),
            items: Vec::new(),
            segments_pushed: 0,
            ident: vec![0x2b1c, 0x0400, 0x6d3a][..n].to_vec(),
            client: 0,
            server: n as u32 - 1,
            router: router.then_some(1),
        }
    }

    /// The FTP server's listening socket on port 21, from time zero.
    fn listener(&mut self) -> u32 {
        let s = self.server;
        let id = self.socket(
            s,
            SocketAddrV4::new(SERVER_IP, 21),
            None,
            "control",
            None,
            Instant::ZERO,
        );
        self.state(
            Instant::ZERO,
            id,
            TcpState::Closed,
            TcpState::Listen,
            "the FTP server listens on port 21",
            None,
        );
        id
    }

    fn profile(&self, node: u32) -> Option<&TcpProfileInfo> {
        self.nodes[node as usize].tcp.as_ref()
    }

    fn conn(
        &mut self,
        label: &str,
        (inode, iaddr): (u32, SocketAddrV4),
        (rnode, raddr): (u32, SocketAddrV4),
        iisn: u32,
        risn: u32,
    ) -> u32 {
        let id = self.conns.len() as u32;
        let s0 = self.streams.len() as u32;
        self.streams.push(Stream {
            conn: id,
            dir: 0,
            bytes: Vec::new(),
            generated: None,
        });
        self.streams.push(Stream {
            conn: id,
            dir: 1,
            bytes: Vec::new(),
            generated: None,
        });
        self.conns.push(ConnInfo {
            label: label.into(),
            initiator: Endpoint {
                node: inode,
                addr: iaddr,
            },
            responder: Endpoint {
                node: rnode,
                addr: raddr,
            },
            initiator_isn: Some(SeqNumber(iisn)),
            responder_isn: Some(SeqNumber(risn)),
            sockets: [None, None],
            streams: [Some(s0), Some(s0 + 1)],
        });
        let side = |node: u32, addr, isn: u32, wnd: u16, cwnd: u32, rto| Side {
            node,
            addr,
            snd_una: SeqNumber(isn),
            snd_nxt: SeqNumber(isn),
            rcv_nxt: None,
            wnd,
            peer_wnd: 0,
            cwnd,
            rto,
            socket: None,
        };
        let wnd = |n: u32| if n == self.client { 65_535 } else { 5_840 };
        let cwnd = |n: u32| if n == self.client { 2_920 } else { 4_380 };
        let rto = |n: u32| {
            self.profile(n)
                .map_or(Duration::from_secs(1), |p| p.rto_initial)
        };
        let sides = [
            side(inode, iaddr, iisn, wnd(inode), cwnd(inode), rto(inode)),
            side(rnode, raddr, risn, wnd(rnode), cwnd(rnode), rto(rnode)),
        ];
        self.sides.push(sides);
        id
    }

    fn socket(
        &mut self,
        node: u32,
        local: SocketAddrV4,
        remote: Option<SocketAddrV4>,
        label: &str,
        conn_dir: Option<(u32, u8)>,
        created: Instant,
    ) -> u32 {
        let id = self.sockets.len() as u32;
        self.sockets.push(SocketInfo {
            node,
            local,
            remote,
            label: label.into(),
            conn: conn_dir.map(|(c, _)| c),
            created,
        });
        if let Some((c, dir)) = conn_dir {
            self.conns[c as usize].sockets[usize::from(dir)] = Some(id);
            self.sides[c as usize][usize::from(dir)].socket = Some(id);
        }
        id
    }

    fn state(
        &mut self,
        at: Instant,
        socket: u32,
        from: TcpState,
        to: TcpState,
        cause: &str,
        segment: Option<u32>,
    ) {
        self.items.push((
            at,
            Item::Ev(EventKind::SocketState {
                socket,
                from,
                to,
                cause: cause.into(),
                segment,
            }),
        ));
    }

    fn timer(&mut self, at: Instant, socket: u32, timer: TimerKind) {
        self.items
            .push((at, Item::Ev(EventKind::Timer { socket, timer })));
    }

    fn reply(&mut self, at: Instant, code: u16, text: &str) {
        let node = self.client;
        self.items.push((
            at,
            Item::Ev(EventKind::App {
                node,
                app: "ftp".into(),
                what: AppEvent::Reply {
                    code,
                    text: text.into(),
                    sent: false,
                },
            }),
        ));
    }

    fn rto(&self, conn: u32, dir: u8) -> Duration {
        self.sides[conn as usize][usize::from(dir)].rto
    }

    /// The receiver's delayed-ACK timer fires 200 ms after `arrived`.
    fn delayed_ack(&mut self, arrived: Instant, socket: u32, conn: u32, dir: u8) {
        let at = arrived + ms(200);
        self.timer(at, socket, TimerKind::DelayedAck);
        self.send(at, conn, dir, TcpFlags::ACK, b"", SegCause::DelayedAckTimer);
    }

    /// The server answers a command that arrived at `arrived` after
    /// `delay`: if that is longer than its delayed-ACK timer, a bare ACK
    /// goes out first. Returns when the reply was sent and when it arrived.
    fn answer(
        &mut self,
        arrived: Instant,
        socket: u32,
        conn: u32,
        delay: Duration,
        reply: &[u8],
    ) -> (Instant, Instant) {
        let delack = self
            .profile(self.server)
            .and_then(|p| p.delayed_ack)
            .unwrap_or(ms(200));
        let piggyback = delay < delack;
        if !piggyback {
            self.delayed_ack(arrived, socket, conn, 1);
        }
        let at = arrived + delay;
        let (_, arrives) = self.send(
            at,
            conn,
            1,
            TcpFlags::PSH | TcpFlags::ACK,
            reply,
            data(piggyback),
        );
        let text = String::from_utf8_lossy(reply).trim_end().to_string();
        let code = text.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        self.reply(arrives, code, &text);
        (at, arrives)
    }

    /// One-way time from host to host: 100 us per link plus 80 ns a byte
    /// (100 Mbit/s) for the Ethernet frame.
    fn travel(&self, tcp_len: usize) -> Duration {
        let frame = (14 + 20 + tcp_len + 4).max(64) as u64;
        let hop = us(100) + Duration::from_nanos(frame * 80);
        hop.saturating_mul(if self.router.is_some() { 2 } else { 1 })
    }

    fn send(
        &mut self,
        at: Instant,
        conn: u32,
        dir: u8,
        flags: TcpFlags,
        payload: &[u8],
        cause: SegCause,
    ) -> (u32, Instant) {
        self.transmit(
            at,
            conn,
            dir,
            flags,
            Payload::New(payload),
            cause,
            None,
            false,
        )
    }

    fn send_lost(
        &mut self,
        at: Instant,
        conn: u32,
        dir: u8,
        flags: TcpFlags,
        payload: &[u8],
        cause: SegCause,
    ) -> u32 {
        self.transmit(
            at,
            conn,
            dir,
            flags,
            Payload::New(payload),
            cause,
            None,
            true,
        )
        .0
    }

    /// Sends segment `of` (a provisional id) again, with the current ACK.
    fn retransmit(&mut self, at: Instant, of: u32, kind: RetxKind) -> (u32, Instant) {
        let orig = self
            .items
            .iter()
            .find_map(|(_, it)| match it {
                Item::Seg(id, s) if *id == of => Some(**s),
                _ => None,
            })
            .expect("retransmit of a recorded segment");
        let conn = orig.conn.unwrap_or(0);
        let side = &mut self.sides[conn as usize][usize::from(orig.dir)];
        side.rto = side.rto.saturating_mul(2);
        self.transmit(
            at,
            conn,
            orig.dir,
            orig.flags,
            Payload::Again {
                seq: orig.seq,
                offset: orig.payload_offset,
                len: orig.payload_len,
            },
            orig.cause,
            Some(Retransmission {
                of_segment: Some(of),
                kind,
            }),
            false,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn transmit(
        &mut self,
        at: Instant,
        conn: u32,
        dir: u8,
        flags: TcpFlags,
        payload: Payload<'_>,
        cause: SegCause,
        retransmission: Option<Retransmission>,
        lost: bool,
    ) -> (u32, Instant) {
        let d = usize::from(dir & 1);
        let stream = self.conns[conn as usize].streams[d].unwrap_or(0) as usize;
        let me = self.sides[conn as usize][d];
        let peer = self.sides[conn as usize][1 - d];
        let (seq, offset, len) = match payload {
            Payload::New(bytes) => {
                let offset = self.streams[stream].bytes.len() as u64;
                self.streams[stream].bytes.extend_from_slice(bytes);
                let off = if bytes.is_empty() { 0 } else { offset };
                (me.snd_nxt, off, bytes.len() as u32)
            }
            Payload::Again { seq, offset, len } => (seq, offset, len),
        };
        let seq_len = len as usize + usize::from(flags.syn()) + usize::from(flags.fin());
        let snd_nxt = me.snd_nxt.max(seq + seq_len);
        let ack = if flags.ack() { me.rcv_nxt } else { None };
        let mss = self.profile(me.node).map_or(1460, |p| p.mss);
        let options = if flags.syn() {
            TcpOptions {
                mss: Some(mss),
                ..TcpOptions::NONE
            }
        } else {
            TcpOptions::NONE
        };
        let ttl = self.profile(me.node).map_or(64, |p| p.ttl);
        let node = me.node as usize;
        let ip_ident = self.ident[node];
        self.ident[node] = ip_ident.wrapping_add(1);
        let tcp_len = 20 + if flags.syn() { 4 } else { 0 } + len as usize;
        let arrives = at + self.travel(tcp_len);
        let fate = if lost {
            Fate::Dropped {
                at: at + Duration::from_nanos(self.travel(tcp_len).as_nanos() / 2),
                node: self.router.unwrap_or(me.node),
                reason: DropReason::Loss,
            }
        } else {
            Fate::Delivered { at: arrives }
        };
        let vars = ConnVars {
            snd_una: me.snd_una,
            snd_nxt,
            snd_wnd: u32::from(me.peer_wnd),
            rcv_nxt: me.rcv_nxt.unwrap_or_default(),
            rcv_wnd: u32::from(me.wnd),
            cwnd: me.cwnd,
            ssthresh: 65_535,
            rto: me.rto,
        };
        let seg = Segment {
            time: at,
            from: me.node,
            to: Some(peer.node),
            conn: Some(conn),
            dir: dir & 1,
            src: me.addr,
            dst: peer.addr,
            ttl,
            ip_ident,
            seq,
            ack,
            flags,
            window: me.wnd,
            options,
            payload_offset: offset,
            payload_len: len,
            cause,
            retransmission,
            duplicate_of: None,
            fate,
            vars,
        };
        self.sides[conn as usize][d].snd_nxt = snd_nxt;
        if !lost {
            // The receiver takes it in (the script sends in causal order per
            // connection, so applying it now is applying it on arrival).
            let p = &mut self.sides[conn as usize][1 - d];
            p.peer_wnd = me.wnd;
            if flags.syn() {
                p.rcv_nxt = Some(seq + seq_len);
                // The handshake gave an RTT sample: RTO falls to its floor.
                p.rto = Duration::from_secs(1).min(p.rto);
            } else if p.rcv_nxt == Some(seq) {
                p.rcv_nxt = Some(seq + seq_len);
            }
            if let Some(a) = ack
                && a > p.snd_una
            {
                let acked = a - p.snd_una;
                p.snd_una = a;
                if acked > 1 {
                    p.cwnd += (acked as u32).min(u32::from(mss));
                }
            }
        }
        let id = self.segments_pushed;
        self.segments_pushed += 1;
        self.items.push((at, Item::Seg(id, Box::new(seg))));
        (id, arrives)
    }

    /// Sorts the run into time order and fixes up segment references.
    fn finish(mut self, end: Instant) -> Trace {
        // Stable: ties keep script order (an event before the segment it
        // triggers, a segment before a later one sent at the same instant).
        self.items.sort_by_key(|(t, _)| *t);
        let mut final_id = vec![0u32; self.segments_pushed as usize];
        let mut segments = Vec::with_capacity(self.segments_pushed as usize);
        let mut events = Vec::new();
        for (time, it) in self.items {
            match it {
                Item::Seg(prov, s) => {
                    final_id[prov as usize] = segments.len() as u32;
                    segments.push(*s);
                }
                Item::Ev(kind) => events.push(Event {
                    time,
                    after_segment: segments.len() as u32,
                    kind,
                }),
            }
        }
        let fix = |id: &mut u32| *id = final_id.get(*id as usize).copied().unwrap_or(*id);
        for seg in &mut segments {
            if let Some(r) = &mut seg.retransmission
                && let Some(of) = &mut r.of_segment
            {
                fix(of);
            }
        }
        for ev in &mut events {
            if let EventKind::SocketState {
                segment: Some(s), ..
            } = &mut ev.kind
            {
                fix(s);
            }
        }
        Trace {
            version: TRACE_FORMAT_VERSION,
            scenario: ScenarioInfo {
                name: "active-ftp".into(),
                title: Text::new(
                    "Active-mode FTP: login, ls, pwd, quit",
                    "主动模式 FTP：登录、ls、pwd、退出",
                ),
                description: Text::default(),
                seed: 1,
            },
            nodes: self.nodes,
            conns: self.conns,
            sockets: self.sockets,
            segments: segments.into(),
            events,
            streams: self.streams,
            end_time: end,
            end_reason: EndReason::Quiescent,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Payload<'a> {
    New(&'a [u8]),
    Again {
        seq: SeqNumber,
        offset: u64,
        len: u32,
    },
}

/// The 32 stages of the walkthrough, in netstep's own words.
pub fn walkthrough() -> Walkthrough {
    let stages = STAGES
        .iter()
        .enumerate()
        .map(|(i, (title_en, title_zh, text_en, text_zh, segs))| Stage {
            n: i as u32 + 1,
            title: Text::new(*title_en, *title_zh),
            text: Text::new(*text_en, *text_zh),
            segments: segs.iter().map(|m| m.matcher()).collect(),
        })
        .collect();
    Walkthrough {
        source: Some(Text::new(
            "After \"How FTP works in active mode, in detail\", 51CTO blog.",
            "依据 51CTO 博客《主动模式下FTP的详细工作过程》。",
        )),
        stages,
    }
}

/// A compact way to write a matcher: conn, from, and one condition.
#[derive(Debug, Clone, Copy)]
enum M {
    Flags(&'static str, &'static str, &'static str),
    Payload(&'static str, &'static str, &'static str),
    HasPayload(&'static str, &'static str),
    HasFlags(&'static str, &'static str, &'static str),
    BareAck(&'static str, &'static str, &'static str),
}

impl M {
    fn matcher(self) -> Matcher {
        let base = |conn: &str, from: &str| Matcher {
            conn: Some(conn.into()),
            from: Some(from.into()),
            ..Matcher::default()
        };
        match self {
            M::Flags(c, f, flags) => Matcher {
                flags: netstep_trace::FlagSet::parse(flags).ok(),
                ..base(c, f)
            },
            M::HasFlags(c, f, flags) => Matcher {
                has_flags: netstep_trace::FlagSet::parse(flags).ok(),
                ..base(c, f)
            },
            M::Payload(c, f, p) => Matcher {
                payload: Some(p.into()),
                ..base(c, f)
            },
            M::HasPayload(c, f) => Matcher {
                has_payload: Some(true),
                ..base(c, f)
            },
            M::BareAck(c, f, what) => Matcher {
                pure_ack: Some(true),
                acks: Some(what.into()),
                ..base(c, f)
            },
        }
    }
}

const C: &str = "control";
const D: &str = "data";
const CL: &str = "client";
const SV: &str = "server";

type StageDef = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [M],
);

const STAGES: [StageDef; 32] = [
    (
        "Three-way handshake opens the control connection",
        "三次握手建立控制连接",
        "The client connects from an ephemeral port N above 1024 to the server's port 21: SYN, SYN+ACK, ACK. Each side picks an initial sequence number (ISN); the SYN itself takes one number, so the first data byte is ISN + 1.",
        "客户端从大于 1024 的临时端口 N 连接服务器的 21 端口：SYN、SYN+ACK、ACK。双方各自选定初始序号（ISN），SYN 本身占用一个序号，所以第一个数据字节的序号是 ISN + 1。",
        &[
            M::Flags(C, CL, "SYN"),
            M::Flags(C, SV, "SYN,ACK"),
            M::BareAck(C, CL, "SYN"),
        ],
    ),
    (
        "The server greets the client (220)",
        "服务器发送欢迎信息（220）",
        "As soon as the control connection is up, the server speaks first: a 220 reply says it is ready for a new user.",
        "控制连接一建立，服务器就先开口：220 应答表示已准备好为新用户服务。",
        &[M::Payload(C, SV, "220")],
    ),
    (
        "The client acknowledges the greeting",
        "客户端确认欢迎信息",
        "The user is still typing a name, so the client has nothing to send: its delayed-ACK timer fires after 200 ms and a bare ACK goes out.",
        "用户还在输入用户名，客户端无数据可发：200 毫秒后延迟确认定时器到期，发出一个不带数据的 ACK。",
        &[M::BareAck(C, CL, "220")],
    ),
    (
        "The client sends the user name (USER)",
        "客户端发送用户名（USER）",
        "The user types a name; the client sends it in a USER command on the control connection.",
        "用户输入用户名，客户端在控制连接上用 USER 命令发送。",
        &[M::Payload(C, CL, "USER")],
    ),
    (
        "The server acknowledges USER",
        "服务器确认 USER",
        "The server needs longer than its delayed-ACK time to answer, so its timer fires first and a bare ACK goes out.",
        "服务器作答所需时间超过延迟确认时间，定时器先到期，于是先发出一个单独的 ACK。",
        &[M::BareAck(C, SV, "USER")],
    ),
    (
        "The server asks for the password (331)",
        "服务器要求输入密码（331）",
        "331: user name okay, need password. A reply starting with 3 means: accepted so far, send more.",
        "331：用户名正确，需要密码。以 3 开头的应答表示：命令已接受，还需要更多信息。",
        &[M::Payload(C, SV, "331")],
    ),
    (
        "The client acknowledges the 331",
        "客户端确认 331",
        "While the user types the password, the client's delayed-ACK timer fires.",
        "用户输入密码期间，客户端的延迟确认定时器到期。",
        &[M::BareAck(C, CL, "331")],
    ),
    (
        "The client sends the password (PASS), in clear text",
        "客户端发送密码（PASS），明文传输",
        "PASS carries the password as plain text: anyone who can see this segment can read it. That is why FTP without TLS is unsafe on a shared network.",
        "PASS 命令以明文携带密码：任何能看到这个报文段的人都能读出密码。这就是不加 TLS 的 FTP 在共享网络上不安全的原因。",
        &[M::Payload(C, CL, "PASS")],
    ),
    (
        "The server acknowledges PASS",
        "服务器确认 PASS",
        "Checking the password takes the server a while, so its delayed-ACK timer fires first.",
        "服务器校验密码需要一些时间，延迟确认定时器先到期。",
        &[M::BareAck(C, SV, "PASS")],
    ),
    (
        "Login succeeded (230)",
        "登录成功（230）",
        "230: user logged in. A reply starting with 2 means the command is complete.",
        "230：用户已登录。以 2 开头的应答表示命令已成功完成。",
        &[M::Payload(C, SV, "230")],
    ),
    (
        "The client acknowledges the 230",
        "客户端确认 230",
        "The user is thinking about the next command; the client's delayed ACK goes out alone.",
        "用户在考虑下一条命令，客户端的延迟确认单独发出。",
        &[M::BareAck(C, CL, "230")],
    ),
    (
        "The client names its data port (PORT)",
        "客户端告知数据端口（PORT）",
        "`ls` needs a data connection. In active mode the client listens on a port and names it: PORT h1,h2,h3,h4,p1,p2 means address h1.h2.h3.h4, port p1×256+p2.",
        "ls 需要数据连接。主动模式下客户端先在一个端口上监听，再用 PORT h1,h2,h3,h4,p1,p2 告诉服务器：地址 h1.h2.h3.h4，端口 p1×256+p2。",
        &[M::Payload(C, CL, "PORT")],
    ),
    (
        "The server acknowledges PORT",
        "服务器确认 PORT",
        "The server's delayed-ACK timer fires before its answer is ready.",
        "服务器的应答还没准备好，延迟确认定时器先到期。",
        &[M::BareAck(C, SV, "PORT")],
    ),
    (
        "The server accepts the PORT command (200)",
        "服务器接受 PORT 命令（200）",
        "200: command okay. The server has noted where to connect.",
        "200：命令成功。服务器记下了要连接的地址和端口。",
        &[M::Payload(C, SV, "200")],
    ),
    (
        "The client asks for the listing (NLST)",
        "客户端请求文件列表（NLST）",
        "The client program sends NLST at once, without waiting for the user, so the ACK of the 200 rides on it.",
        "客户端程序立即发送 NLST，无需等待用户，因此对 200 的确认捎带在这个报文段上。",
        &[M::Payload(C, CL, "NLST")],
    ),
    (
        "The server opens the data connection from port 20",
        "服务器从 20 端口建立数据连接",
        "In active mode the server connects, from its port 20 to the port the client named in PORT: another three-way handshake, with its own sequence numbers.",
        "主动模式下由服务器发起连接：从 20 端口连到客户端在 PORT 中给出的端口。这是另一次三次握手，有自己的一套序号。",
        &[
            M::Flags(D, SV, "SYN"),
            M::Flags(D, CL, "SYN,ACK"),
            M::BareAck(D, SV, "SYN"),
        ],
    ),
    (
        "The server answers (150) and sends the listing",
        "服务器应答（150）并发送文件列表",
        "150 on the control connection says the transfer begins; the file names travel on the data connection.",
        "控制连接上的 150 表示传输开始；文件名通过数据连接传送。",
        &[M::Payload(C, SV, "150"), M::HasPayload(D, SV)],
    ),
    (
        "The server closes the data connection (FIN)",
        "服务器关闭数据连接（FIN）",
        "Closing the connection marks the end of the data: the first of the four closing segments.",
        "以关闭连接来标志数据结束：这是四次挥手的第一个报文段。",
        &[M::HasFlags(D, SV, "FIN")],
    ),
    (
        "The client acknowledges the FIN",
        "客户端确认 FIN",
        "A FIN is acknowledged at once. The server-to-client half of the data connection is closed.",
        "FIN 会被立即确认。数据连接中服务器到客户端方向已经关闭。",
        &[M::BareAck(D, CL, "FIN")],
    ),
    (
        "Transfer complete (226)",
        "传输完成（226）",
        "Once its FIN is acknowledged, the server reports on the control connection that the listing is complete.",
        "服务器的 FIN 被确认之后，它在控制连接上报告列表传输完成。",
        &[M::Payload(C, SV, "226")],
    ),
    (
        "The client acknowledges the 150 and the 226",
        "客户端确认 150 和 226",
        "Two segments now wait for an acknowledgement, so the client acknowledges at once instead of waiting for its timer.",
        "已有两个报文段等待确认，客户端不等定时器，立即确认。",
        &[M::BareAck(C, CL, "226")],
    ),
    (
        "The client closes its side of the data connection",
        "客户端关闭数据连接",
        "Having read the 226, the client closes: the third of the four closing segments.",
        "读到 226 后客户端关闭连接：这是四次挥手的第三个报文段。",
        &[M::HasFlags(D, CL, "FIN")],
    ),
    (
        "The server acknowledges: the data connection is closed",
        "服务器确认：数据连接完全关闭",
        "The fourth segment. The server closed first, so its socket waits in TIME-WAIT.",
        "第四个报文段。服务器先关闭，所以它的套接字进入 TIME-WAIT 等待。",
        &[M::BareAck(D, SV, "FIN")],
    ),
    (
        "The client sends PWD",
        "客户端发送 PWD",
        "`pwd` needs no data connection: the answer comes back on the control connection.",
        "pwd 不需要数据连接，答复直接在控制连接上返回。",
        &[M::Payload(C, CL, "PWD")],
    ),
    (
        "The server answers PWD (257)",
        "服务器回答 PWD（257）",
        "The server answers at once, so its ACK of PWD rides on the 257 reply.",
        "服务器立即作答，对 PWD 的确认捎带在 257 应答上。",
        &[M::Payload(C, SV, "257")],
    ),
    (
        "The client acknowledges the 257",
        "客户端确认 257",
        "The user reads the answer; the client's delayed-ACK timer fires.",
        "用户在阅读结果，客户端的延迟确认定时器到期。",
        &[M::BareAck(C, CL, "257")],
    ),
    (
        "The client sends QUIT",
        "客户端发送 QUIT",
        "The user types `quit`; the client sends QUIT.",
        "用户输入 quit，客户端发送 QUIT。",
        &[M::Payload(C, CL, "QUIT")],
    ),
    (
        "The server says goodbye (221)",
        "服务器道别（221）",
        "221: service closing the control connection. The ACK of QUIT rides on it.",
        "221：服务即将关闭控制连接。对 QUIT 的确认捎带在其上。",
        &[M::Payload(C, SV, "221")],
    ),
    (
        "The server closes the control connection (FIN)",
        "服务器关闭控制连接（FIN）",
        "The first of the four closing segments of the control connection.",
        "控制连接四次挥手的第一个报文段。",
        &[M::HasFlags(C, SV, "FIN")],
    ),
    (
        "The client acknowledges the FIN",
        "客户端确认 FIN",
        "Acknowledged at once: the server-to-client half of the control connection is closed.",
        "立即确认：控制连接中服务器到客户端方向关闭。",
        &[M::BareAck(C, CL, "FIN")],
    ),
    (
        "The client closes its side (FIN)",
        "客户端关闭自己一方（FIN）",
        "The third closing segment.",
        "第三个挥手报文段。",
        &[M::HasFlags(C, CL, "FIN")],
    ),
    (
        "The server acknowledges: the control connection is closed",
        "服务器确认：控制连接关闭",
        "The fourth segment. The server closed first and stays in TIME-WAIT; the client's socket is CLOSED.",
        "第四个报文段。服务器先关闭，停留在 TIME-WAIT；客户端的套接字变为 CLOSED。",
        &[M::BareAck(C, SV, "FIN")],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_run_is_the_reference_ladder() {
        let (t, a) = walkthrough_run();
        assert_eq!(t.segments.len(), 37);
        assert!(a.complete(), "every stage, in order");
        // Spot checks against WALKTHROUGH.md's table.
        let stage: Vec<u32> = (0..37).map(|i| a.stage_of(i).unwrap()).collect();
        assert_eq!(&stage[..6], &[1, 1, 1, 2, 3, 4]);
        assert_eq!(&stage[17..22], &[16, 16, 16, 17, 17]);
        assert_eq!(stage[36], 32);
        let port = &t.segments.at(13);
        assert_eq!(t.payload(port), b"PORT 192,168,120,168,200,100\r\n");
        assert_eq!(t.rel_seq(port), Some(29));
        assert_eq!(t.rel_ack(t.segments.at(36)), Some(77));
    }

    #[test]
    fn lossy_run_retransmits_user() {
        let (t, a) = lossy_run();
        assert_eq!(t.segments.len(), 38);
        let lost = &t.segments.at(5);
        assert!(matches!(lost.fate, Fate::Dropped { node: 1, .. }));
        let retx = &t.segments.at(6);
        assert_eq!(retx.seq, lost.seq);
        assert_eq!(retx.retransmission.and_then(|r| r.of_segment), Some(5));
        assert_eq!(a.stage_of(5), Some(4));
        assert_eq!(a.segments[6], Err(netstep_trace::Unstaged::Retransmission));
        assert!(a.complete());
    }

    #[test]
    fn quick_server_skips_stage_5() {
        let (t, a) = quick_server_run();
        assert_eq!(t.segments.len(), 36);
        let missing: Vec<u32> = a.missing().map(|s| s.n).collect();
        assert_eq!(missing, vec![5]);
        assert!(a.stage(5).unwrap().why_not.is_some());
    }

    #[test]
    fn huge_run_has_whole_sessions() {
        let (t, a) = huge_run(100);
        assert_eq!(t.segments.len(), 3 * SESSION_SEGMENTS);
        assert_eq!(a.segments.len(), t.segments.len());
        assert!(a.complete());
        let times: Vec<_> = t.segments.iter().map(|s| s.time).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }
}
