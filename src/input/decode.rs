//! Decompression: recognising gzip, zstd, bzip2 and xz by their magic
//! bytes, and decoders with bounded memory. A stream cut short or damaged
//! gives every byte decoded before the damage, then an error the scan
//! reports (see [`describe_error`]).

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How a file's bytes are compressed, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            // A skippable frame first: `pzstd` output starts so.
            [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => Compression::Zstd,
            [b'B', b'Z', b'h', b'1'..=b'9', ..] => Compression::Bzip2,
            [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Compression::Xz,
            _ => Compression::None,
        }
    }

    /// The name people know it by.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
        }
    }
}

/// The largest zstd window decoded: 2^27 bytes (128 MiB, what `zstd
/// --long` makes by default). A frame asking for more (`--long=31`: 2 GiB)
/// is refused rather than allocated.
pub const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// The most memory an xz decoder may use (a 128 MiB dictionary and its
/// tables; `xz -9` needs 65 MiB).
pub const XZ_MEMLIMIT: u64 = 160 << 20;

/// A stream whose decoding would need more memory than the tool allows.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TooLarge(pub String);

/// A reader that remembers how many compressed bytes went through it, so a
/// damaged archive can be reported with an offset.
pub struct Counting<R> {
    pub inner: R,
    pub count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Wraps a compressed stream in its decoder. `consumed` counts the
/// compressed bytes read.
pub fn decoder<'a, R: Read + 'a>(
    raw: R,
    compression: Compression,
    consumed: Arc<AtomicU64>,
) -> io::Result<Box<dyn Read + 'a>> {
    let counting = Counting {
        inner: raw,
        count: consumed,
    };
    let buffered = io::BufReader::with_capacity(256 * 1024, counting);
    Ok(match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zstd => {
            // Every frame is read, skippable frames passed over.
            let mut d = zstd::stream::read::Decoder::with_buffer(buffered)?;
            d.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
            Box::new(Explained {
                inner: d,
                compression,
            })
        }
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(buffered)),
        Compression::Xz => {
            let stream = liblzma::stream::Stream::new_stream_decoder(
                XZ_MEMLIMIT,
                liblzma::stream::CONCATENATED,
            )
            .map_err(io::Error::other)?;
            Box::new(Explained {
                inner: liblzma::bufread::XzDecoder::new_stream(buffered, stream),
                compression,
            })
        }
    })
}

/// Turns a decoder's "needs too much memory" into a [`TooLarge`] error
/// that says what to do.
struct Explained<R> {
    inner: R,
    compression: Compression,
}

impl<R: Read> Read for Explained<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner
            .read(buf)
            .map_err(|e| explain(e, self.compression))
    }
}

fn explain(e: io::Error, compression: Compression) -> io::Error {
    let text = e.to_string().to_ascii_lowercase();
    let too_large = match compression {
        // ZSTD_error_frameParameter_windowTooLarge
        Compression::Zstd => text.contains("too much memory"),
        // LZMA_MEMLIMIT_ERROR
        Compression::Xz => text.contains("memory usage limit"),
        _ => false,
    };
    if !too_large {
        return e;
    }
    let what = match compression {
        Compression::Zstd => format!(
            "zstd data made with a window over {} MiB (zstd --long=28 or more) is not decoded, to keep memory bounded; decompress it with `zstd -d --long=31` and read the result",
            (1u64 << ZSTD_WINDOW_LOG_MAX) >> 20
        ),
        _ => format!(
            "xz data needing more than {} MiB to decode is not decoded, to keep memory bounded; decompress it with `xz -d` and read the result",
            XZ_MEMLIMIT >> 20
        ),
    };
    io::Error::other(TooLarge(what))
}

/// What to say about a read that stopped early on `e`, `at` compressed
/// bytes in.
pub fn describe_error(compression: Compression, at: u64, e: &io::Error) -> String {
    if let Some(t) = e.get_ref().and_then(|r| r.downcast_ref::<TooLarge>()) {
        return format!("{t}; kept every line before compressed byte {at}");
    }
    let what = match compression {
        Compression::None => "read error".to_string(),
        c => format!("damaged or truncated {} data", c.name()),
    };
    format!("{what} near compressed byte {at}: {e}; kept every line before it")
}

/// The first `n` bytes of a stream (fewer at its end), and the stream
/// with them put back.
pub fn peek<'a, R: Read + 'a>(mut raw: R, n: usize) -> io::Result<(Vec<u8>, Box<dyn Read + 'a>)> {
    let mut head = Vec::with_capacity(n);
    let mut err = None;
    while head.len() < n {
        match (&mut raw)
            .take((n - head.len()) as u64)
            .read_to_end(&mut head)
        {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                // Keep what came before the error; the error comes again
                // from the stream when it is read past the head.
                err = Some(e);
                break;
            }
        }
    }
    let rest: Box<dyn Read + 'a> = match err {
        None => Box::new(raw),
        Some(e) => Box::new(FailWith(Some(e))),
    };
    Ok((head.clone(), Box::new(io::Cursor::new(head).chain(rest))))
}

/// A reader that gives one error, then the end.
struct FailWith(Option<io::Error>);

impl Read for FailWith {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn decode_all(data: &[u8]) -> (Vec<u8>, Option<io::Error>) {
        let c = Compression::sniff(data);
        let mut r = decoder(data, c, Arc::default()).unwrap();
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).err();
        (out, e)
    }

    fn lines(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| format!("2024-03-09 08:36:17,412 INFO line {i}\n"))
            .collect::<String>()
            .into_bytes()
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn bz(data: &[u8]) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zst(data: &[u8]) -> Vec<u8> {
        zstd::stream::encode_all(data, 3).unwrap()
    }

    type Encoder = fn(&[u8]) -> Vec<u8>;

    fn encoders() -> [(Compression, Encoder); 4] {
        [
            (Compression::Gzip, gz),
            (Compression::Zstd, zst),
            (Compression::Bzip2, bz),
            (Compression::Xz, xz),
        ]
    }

    #[test]
    fn every_format_is_sniffed_and_read_whole_across_concatenated_streams() {
        let a = lines(500);
        let b = lines(300);
        for (c, enc) in encoders() {
            let mut both = enc(&a);
            assert_eq!(Compression::sniff(&both), c);
            both.extend(enc(&b));
            let (out, e) = decode_all(&both);
            assert!(e.is_none(), "{c:?}: {e:?}");
            assert_eq!(out, [a.clone(), b.clone()].concat(), "{c:?}");
        }
    }

    #[test]
    fn a_cut_stream_gives_what_came_before_the_cut_then_an_error() {
        let data = lines(20_000);
        for (c, enc) in encoders() {
            let full = enc(&data);
            let (out, e) = decode_all(&full[..full.len() / 2]);
            let e = e.unwrap_or_else(|| panic!("{c:?}: no error"));
            assert!(!out.is_empty(), "{c:?}");
            assert!(data.starts_with(&out), "{c:?}: wrong bytes");
            let text = describe_error(c, 10, &e);
            assert!(text.contains(c.name()), "{text}");
        }
    }

    #[test]
    fn a_zstd_window_over_the_limit_is_refused_with_a_clear_error() {
        let data = lines(2000);
        let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        enc.long_distance_matching(true).unwrap();
        enc.window_log(31).unwrap();
        enc.write_all(&data).unwrap();
        let packed = enc.finish().unwrap();
        let (out, e) = decode_all(&packed);
        assert!(out.is_empty());
        let text = describe_error(Compression::Zstd, 0, &e.unwrap());
        assert!(text.contains("--long=31"), "{text}");
        // 2^27 itself is fine.
        let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        enc.window_log(27).unwrap();
        enc.write_all(&data).unwrap();
        let (out, e) = decode_all(&enc.finish().unwrap());
        assert!(e.is_none());
        assert_eq!(out, data);
    }

    #[test]
    fn pzstd_style_skippable_frames_are_passed_over() {
        let a = lines(100);
        let mut packed = vec![0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
        packed.extend(zst(&a));
        packed.extend([0x5e, 0x2a, 0x4d, 0x18, 0, 0, 0, 0]);
        packed.extend(zst(&a));
        assert_eq!(Compression::sniff(&packed), Compression::Zstd);
        let (out, e) = decode_all(&packed);
        assert!(e.is_none(), "{e:?}");
        assert_eq!(out, [a.clone(), a].concat());
    }

    #[test]
    fn peek_puts_the_head_back() {
        let data = lines(10);
        let (head, mut rest) = peek(&data[..], 16).unwrap();
        assert_eq!(head, &data[..16]);
        let mut all = Vec::new();
        rest.read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
        let (head, _) = peek(&b"ab"[..], 16).unwrap();
        assert_eq!(head, b"ab");
    }
}
