//! No segment, whatever its content, panics the machine, in any state;
//! and what comes out keeps SND.UNA <= SND.NXT <= snd_max.

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
enum Action {
    Segment {
        seq: SeqNumber,
        ack: Option<SeqNumber>,
        flags: u8,
        window: u16,
        options: TcpOptions,
        len: usize,
    },
    Advance(u64),
    Send(usize),
    Recv,
    Close,
    Abort,
    Nodelay(bool),
}

fn near(base: SeqNumber) -> impl Strategy<Value = SeqNumber> {
    prop_oneof![
        3 => (-200i64..300).prop_map(move |d| SeqNumber(base.0.wrapping_add(d as u32))),
        1 => any::<u32>().prop_map(SeqNumber),
    ]
}

fn options() -> impl Strategy<Value = TcpOptions> {
    (
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u8>()),
        any::<bool>(),
        proptest::option::of(any::<(u32, u32)>()),
    )
        .prop_map(
            |(mss, window_scale, sack_permitted, timestamps)| TcpOptions {
                mss,
                window_scale,
                sack_permitted,
                timestamps,
                ..TcpOptions::NONE
            },
        )
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        8 => (
            near(REMOTE_SEQ + 1),
            proptest::option::of(near(LOCAL_SEQ + 1)),
            any::<u8>(),
            any::<u16>(),
            options(),
            0usize..100,
        )
            .prop_map(|(seq, ack, flags, window, options, len)| Action::Segment {
                seq,
                ack,
                flags,
                window,
                options,
                len,
            }),
        1 => (0u64..5000).prop_map(Action::Advance),
        1 => (0usize..100).prop_map(Action::Send),
        1 => Just(Action::Recv),
        1 => Just(Action::Close),
        1 => Just(Action::Abort),
        1 => any::<bool>().prop_map(Action::Nodelay),
    ]
}

fn start(state: usize, ws: bool) -> H {
    if ws {
        let p = Profile {
            window_scale: Some(3),
            timestamps: true,
            sack_permitted: true,
            delayed_ack: Some(Duration::from_millis(200)),
            ..profile()
        };
        return match state % 3 {
            0 => syn_sent_with(p),
            1 => syn_received_with(p),
            _ => established_with(p),
        };
    }
    match state {
        0 => listen(),
        1 => syn_sent(),
        2 => syn_received(),
        3 => established(),
        4 => fin_wait_1(),
        5 => fin_wait_2(),
        6 => closing(),
        7 => time_wait(),
        8 => close_wait(),
        _ => last_ack(),
    }
}

fn drain_checked(h: &mut H) {
    let mut n = 0;
    while let Some(s) = h.next() {
        n += 1;
        assert!(n < 1000, "poll_transmit never stops");
        if s.conn.is_some() && !s.tcp.flags.rst() {
            let v = s.vars;
            assert!(v.snd_una <= v.snd_nxt && v.snd_nxt <= v.snd_max, "{s:?}");
            assert!(s.tcp.seq_number + s.tcp.segment_len() <= v.snd_max, "{s:?}");
        }
        assert!(s.tcp.payload.len() <= 1460, "{s:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_segments_never_panic(
        state in 0usize..10,
        ws in any::<bool>(),
        actions in proptest::collection::vec(action(), 1..24),
    ) {
        let mut h = start(state, ws);
        let payload = [0x5a_u8; 100];
        for a in actions {
            match a {
                Action::Segment { seq, ack, flags, window, options, len } => {
                    h.send_seg(TcpRepr {
                        seq_number: seq,
                        ack_number: ack,
                        flags: TcpFlags(flags),
                        window,
                        options,
                        payload: &payload[..len],
                        ..SEND_TEMPL
                    });
                }
                Action::Advance(ms) => h.advance(Duration::from_millis(ms)),
                Action::Send(n) => {
                    let _ = h.ep.send(h.now, h.conn, &payload[..n]);
                }
                Action::Recv => {
                    let mut buf = [0u8; 64];
                    let _ = h.ep.recv(h.conn, &mut buf);
                }
                Action::Close => h.close(),
                Action::Abort => h.abort(),
                Action::Nodelay(on) => h.ep.set_nodelay(h.conn, on),
            }
            drain_checked(&mut h);
            if let Some(t) = h.ep.poll_timeout() {
                prop_assert!(t >= h.now || t + Duration::from_secs(10_000) >= h.now);
            }
        }
        // Whatever happened, time runs out cleanly: every connection ends.
        for _ in 0..200 {
            match h.ep.poll_timeout() {
                Some(t) => {
                    h.now = h.now.max(t);
                    h.ep.handle_timeout(h.now);
                    drain_checked(&mut h);
                }
                None => break,
            }
        }
        prop_assert_eq!(h.ep.poll_timeout(), None, "timers keep firing forever");
    }
}
