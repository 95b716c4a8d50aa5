//! QR codes as small SVG images (one path, one unit per module).

use qrcode::{Color, EcLevel, QrCode};

use crate::PdfError;

/// Quiet zone around the code, in modules (the spec asks for 4; labels have
/// their own white padding, so 2 is enough in practice).
const QUIET: usize = 2;

/// An SVG document of the QR code for `data`, error correction level M.
pub fn svg(data: &str) -> Result<String, PdfError> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| PdfError::Image(format!("QR code for {data:?}: {e}")))?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET;
    let mut path = String::with_capacity(width * width * 4);
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == Color::Dark {
                // Merge horizontal runs of dark modules into one rectangle.
                let start = x;
                while x < width && colors[y * width + x] == Color::Dark {
                    x += 1;
                }
                path.push_str(&format!(
                    "M{} {}h{}v1h-{}z",
                    start + QUIET,
                    y + QUIET,
                    x - start,
                    x - start
                ));
            } else {
                x += 1;
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         width=\"{size}\" height=\"{size}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn svg_has_modules() {
        let s = super::svg("https://desk.example.com/a/ZX-PC-0042").expect("qr");
        assert!(s.starts_with("<svg"));
        assert!(s.contains("<path"));
        assert!(s.matches('M').count() > 50, "too few dark runs: {s}");
    }

    #[test]
    fn too_long_is_an_image_error() {
        let long = "x".repeat(5000);
        assert!(matches!(super::svg(&long), Err(crate::PdfError::Image(_))));
    }
}
