//! Images that the server itself decodes later (drawn signatures go into PDFs, where typst
//! decodes them). A PNG is a few hundred bytes of header that can declare a 65535 × 65535 canvas.
//! typst's decoder refuses anything over 512 MiB decoded, so such a signature would make the
//! signed order's PDF (and the client's month bundle holding it) fail to render for good, and a
//! bundle of signatures each just under that limit would hold gigabytes at once. So the declared
//! size is checked where the image is stored, from the header alone, with a bound that a drawn
//! signature never reaches.

use crate::StoreError;

/// The largest drawn signature accepted, per side (a phone canvas is well under 2,000 pixels).
pub const MAX_SIGNATURE_SIDE: u32 = 4096;
/// The largest drawn signature accepted, in pixels (4 MP: at most 64 MB decoded as 16-bit RGBA).
pub const MAX_SIGNATURE_PIXELS: u64 = 4 * 1024 * 1024;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Checks that `png` is a PNG whose first chunk is a well-formed IHDR declaring at most
/// `MAX_SIGNATURE_SIDE` per side and `MAX_SIGNATURE_PIXELS` in all. `field` names the input in the
/// error.
pub fn check_signature_png(field: &str, png: &[u8]) -> Result<(u32, u32), StoreError> {
    if !png.starts_with(PNG_MAGIC) {
        return Err(StoreError::invalid(field, "must be a PNG image"));
    }
    // Signature (8) + chunk length (4) + "IHDR" (4) + width (4) + height (4) + 5 more + CRC (4).
    let header = png
        .get(8..33)
        .ok_or_else(|| StoreError::invalid(field, "the PNG image is truncated"))?;
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if be(&header[0..4]) != 13 || &header[4..8] != b"IHDR" {
        return Err(StoreError::invalid(
            field,
            "the PNG image does not start with its header (IHDR)",
        ));
    }
    let (width, height) = (be(&header[8..12]), be(&header[12..16]));
    if width == 0 || height == 0 {
        return Err(StoreError::invalid(field, "the PNG image has no pixels"));
    }
    if width > MAX_SIGNATURE_SIDE
        || height > MAX_SIGNATURE_SIDE
        || u64::from(width) * u64::from(height) > MAX_SIGNATURE_PIXELS
    {
        return Err(StoreError::invalid(
            field,
            format!(
                "the image is {width} × {height} pixels; at most {MAX_SIGNATURE_SIDE} per side and {MAX_SIGNATURE_PIXELS} pixels in all"
            ),
        ));
    }
    Ok((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG header declaring `w` × `h` (the CRC is not checked here: decoders check it later).
    fn header(w: u32, h: u32) -> Vec<u8> {
        let mut v = PNG_MAGIC.to_vec();
        v.extend_from_slice(&13u32.to_be_bytes());
        v.extend_from_slice(b"IHDR");
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&[8, 6, 0, 0, 0]);
        v.extend_from_slice(&[0, 0, 0, 0]);
        v
    }

    #[test]
    fn accepts_a_phone_sized_canvas() {
        assert_eq!(
            check_signature_png("image", &header(780, 300)).expect("a 780 × 300 signature"),
            (780, 300)
        );
    }

    #[test]
    fn refuses_a_declared_giant_canvas() {
        for (w, h) in [(65_535, 65_535), (4097, 10), (10, u32::MAX), (4096, 4096)] {
            let e = check_signature_png("image", &header(w, h)).expect_err("too large");
            assert!(
                matches!(&e, StoreError::Invalid { field, message } if field == "image" && message.contains("pixels")),
                "{w}×{h}: {e:?}"
            );
        }
    }

    #[test]
    fn refuses_truncated_and_headerless_data() {
        assert!(check_signature_png("image", b"\x89PNG\r\n\x1a\n").is_err());
        assert!(check_signature_png("image", b"GIF89a").is_err());
        let mut wrong = header(10, 10);
        wrong[12..16].copy_from_slice(b"IDAT");
        assert!(check_signature_png("image", &wrong).is_err());
        assert!(check_signature_png("image", &header(0, 10)).is_err());
    }
}
