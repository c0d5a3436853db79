//! Addresses: IPv4 and IPv6, with or without a port.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::find_byte;

/// `b` as an IP address, optionally with a port (`1.2.3.4:80`, `[::1]:80`):
/// (the address part, the address).
pub(crate) fn ip_of(b: &[u8]) -> Option<(&[u8], IpAddr)> {
    let first = *b.first()?;
    if first == b'[' {
        let end = find_byte(b']', b)?;
        let inner = b.get(1..end)?;
        let rest = b.get(end + 1..)?;
        if !(rest.is_empty() || rest.first() == Some(&b':')) {
            return None;
        }
        return Some((inner, IpAddr::V6(ipv6(inner)?)));
    }
    if !(first.is_ascii_hexdigit() || first == b':') {
        return None;
    }
    if let Some(v4) = ipv4(b) {
        return Some((b, IpAddr::V4(v4)));
    }
    if let Some((host, port)) = split_port(b) {
        if port.iter().all(u8::is_ascii_digit) {
            if let Some(v4) = ipv4(host) {
                return Some((host, IpAddr::V4(v4)));
            }
        }
    }
    Some((b, IpAddr::V6(ipv6(b)?)))
}

/// Splits `host:port` at the last colon.
pub(crate) fn split_port(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = memchr::memrchr(b':', b)?;
    Some((b.get(..i)?, b.get(i + 1..)?))
}

/// A dotted-quad IPv4 address filling `b`.
pub(crate) fn ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = b.split(|&c| c == b'.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 {
            return None;
        }
        let mut v: u32 = 0;
        for &c in p {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as u32;
        }
        *o = u8::try_from(v).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

fn ipv6(b: &[u8]) -> Option<Ipv6Addr> {
    if b.len() < 2 || b.len() > 45 || !b.contains(&b':') {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// The host part of `ip:port`, `[v6]:port` or a bare address.
pub fn strip_port(addr: &str) -> &str {
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match addr.rfind(':') {
        // Exactly one colon: ip:port. More than one: a bare IPv6 address.
        Some(i) if addr[..i].find(':').is_none() => &addr[..i],
        _ => addr,
    }
}

/// Not private, loopback, link-local, shared (CGNAT) or unspecified.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_unique_local()
                || v6.is_unicast_link_local())
        }
    }
}

/// The client of a forwarded-for list (`203.0.113.9, 10.0.0.1`, ports
/// allowed): its first public address, else its first address, as filebeat
/// reads `X-Forwarded-For`. `None` when no element is an address.
pub(crate) fn forwarded_client(list: &[u8]) -> Option<&[u8]> {
    let mut first = None;
    for e in list.split(|&c| c == b',') {
        let e = super::trim_spaces(e);
        if let Some((host, ip)) = ip_of(e) {
            if is_public(ip) {
                return Some(host);
            }
            first = first.or(Some(host));
        }
    }
    first
}
