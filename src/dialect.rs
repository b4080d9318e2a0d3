//! Line endings and byte-order marks of a file on disk. A checkout with
//! `core.autocrlf` turns every generated file into CRLF; that is not an edit,
//! so managed files are compared and written in the file's own dialect.

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dialect {
    pub bom: bool,
    /// Every line ends in CRLF.
    pub crlf: bool,
}

impl Dialect {
    pub fn of(bytes: &[u8]) -> Dialect {
        let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
        let lf = body.iter().filter(|&&b| b == b'\n').count();
        let crlf = body.windows(2).filter(|w| w == b"\r\n").count();
        Dialect {
            bom: body.len() != bytes.len(),
            crlf: crlf > 0 && crlf == lf,
        }
    }

    pub fn is_plain(self) -> bool {
        self == Dialect::default()
    }

    /// The content in LF form without a BOM.
    pub fn normalize(self, bytes: &[u8]) -> Vec<u8> {
        let body = if self.bom {
            bytes.strip_prefix(BOM).unwrap_or(bytes)
        } else {
            bytes
        };
        if !self.crlf {
            return body.to_vec();
        }
        let mut out = Vec::with_capacity(body.len());
        let mut i = 0;
        while i < body.len() {
            if body[i] == b'\r' && body.get(i + 1) == Some(&b'\n') {
                i += 1;
                continue;
            }
            out.push(body[i]);
            i += 1;
        }
        out
    }

    /// LF content written in this dialect.
    pub fn apply(self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16 + 3);
        if self.bom {
            out.extend_from_slice(BOM);
        }
        for &b in bytes {
            if b == b'\n' && self.crlf {
                out.push(b'\r');
            }
            out.push(b);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let d = Dialect::of(b"\xEF\xBB\xBFa\r\nb\r\n");
        assert!(d.bom && d.crlf);
        assert_eq!(d.normalize(b"\xEF\xBB\xBFa\r\nb\r\n"), b"a\nb\n");
        assert_eq!(d.apply(b"a\nb\n"), b"\xEF\xBB\xBFa\r\nb\r\n");
        assert!(!Dialect::of(b"a\r\nb\n").crlf, "mixed endings are not CRLF");
        assert!(Dialect::of(b"a\nb").is_plain());
    }
}
