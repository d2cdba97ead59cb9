//! Helpers shared by the integration tests: capture files built by hand,
//! byte by byte, in either byte order, independently of the writers under
//! test.
#![allow(dead_code)]

/// A classic pcap file built by hand, in either byte order.
pub fn handmade_pcap(big: bool, nanos: bool, link: u32, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let u16b = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = Vec::new();
    f.extend_from_slice(&u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    f.extend_from_slice(&u16b(2));
    f.extend_from_slice(&u16b(4));
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&u32b(65535));
    f.extend_from_slice(&u32b(link));
    for (sec, frac, data) in records {
        f.extend_from_slice(&u32b(*sec));
        f.extend_from_slice(&u32b(*frac));
        f.extend_from_slice(&u32b(data.len() as u32));
        f.extend_from_slice(&u32b(data.len() as u32));
        f.extend_from_slice(data);
    }
    f
}

/// pcapng blocks built by hand in either byte order.
pub struct Ng {
    pub big: bool,
    pub out: Vec<u8>,
}

impl Ng {
    pub fn new(big: bool) -> Ng {
        Ng {
            big,
            out: Vec::new(),
        }
    }
    pub fn u16(&self, v: u16) -> [u8; 2] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    pub fn u32(&self, v: u32) -> [u8; 4] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    pub fn opt(&self, code: u16, value: &[u8]) -> Vec<u8> {
        let mut o = Vec::new();
        o.extend_from_slice(&self.u16(code));
        o.extend_from_slice(&self.u16(value.len() as u16));
        o.extend_from_slice(value);
        o.resize(o.len().next_multiple_of(4), 0);
        o
    }
    pub fn block(&mut self, ty: u32, body: &[u8]) -> &mut Self {
        let len = (12 + body.len()) as u32;
        let (t, l) = (self.u32(ty), self.u32(len));
        self.out.extend_from_slice(&t);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(&l);
        self
    }
    pub fn shb(&mut self) -> &mut Self {
        let mut b = self.u32(0x1a2b_3c4d).to_vec();
        b.extend_from_slice(&self.u16(1));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&[0xff; 8]);
        b.extend(self.opt(1, b"section comment"));
        b.extend(self.opt(0, &[]));
        self.block(0x0a0d_0d0a, &b)
    }
    pub fn idb(
        &mut self,
        link: u16,
        snaplen: u32,
        tsresol: Option<u8>,
        tsoffset: Option<i64>,
    ) -> &mut Self {
        let mut b = self.u16(link).to_vec();
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&self.u32(snaplen));
        b.extend(self.opt(2, b"eth0"));
        if let Some(r) = tsresol {
            b.extend(self.opt(9, &[r]));
        }
        if let Some(o) = tsoffset {
            let v = if self.big {
                o.to_be_bytes()
            } else {
                o.to_le_bytes()
            };
            b.extend(self.opt(14, &v));
        }
        b.extend(self.opt(0, &[]));
        self.block(1, &b)
    }
    pub fn epb(&mut self, iface: u32, ts: u64, data: &[u8], comments: &[&str]) -> &mut Self {
        let mut b = self.u32(iface).to_vec();
        b.extend_from_slice(&self.u32((ts >> 32) as u32));
        b.extend_from_slice(&self.u32(ts as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(data);
        b.resize(b.len().next_multiple_of(4), 0);
        for c in comments {
            b.extend(self.opt(1, c.as_bytes()));
        }
        if !comments.is_empty() {
            b.extend(self.opt(0, &[]));
        }
        self.block(6, &b)
    }
    pub fn spb(&mut self, data: &[u8]) -> &mut Self {
        let mut b = self.u32(data.len() as u32).to_vec();
        b.extend_from_slice(data);
        b.resize(b.len().next_multiple_of(4), 0);
        self.block(3, &b)
    }
}
