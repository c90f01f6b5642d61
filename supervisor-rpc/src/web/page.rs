//! What every page shares: escaping, the headers, the frame and the style.

use axum::http::header::{self, HeaderName};
use axum::response::{IntoResponse, Response};

/// `text` safe inside HTML text and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    crate::xml::escape_into(&mut out, text);
    out
}

/// 4.3.0's headers for every page and redirect (never cached, so a second
/// click on the same action acts again), and ours against framing (a page
/// of another site must not show ours to trick a click) and sniffing.
pub const HEADERS: [(HeaderName, &str); 7] = [
    (header::CONTENT_TYPE, "text/html;charset=utf-8"),
    (header::PRAGMA, "no-cache"),
    (header::CACHE_CONTROL, "no-cache"),
    (header::EXPIRES, "Thu, 01 Jan 1970 00:00:00 GMT"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

/// A whole page: `title`, then `body` (already HTML).
pub fn html(title: &str, body: &str) -> Response {
    let mut text = String::with_capacity(body.len() + 256);
    text.push_str("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>");
    crate::xml::escape_into(&mut text, title);
    text.push_str("</title>\n<link rel=\"stylesheet\" href=\"stylesheets/supervisor.css\">\n</head>\n<body>\n");
    text.push_str(body);
    text.push_str("</body>\n</html>\n");
    (HEADERS, text).into_response()
}

/// The page's look; our own, in place of 4.3.0's images.
pub const STYLESHEET: &str = "\
body { font: 14px/1.4 sans-serif; margin: 0; color: #222; }
header, main, footer { padding: 12px 24px; }
header { background: #2f4f6f; color: #fff; }
header h1 { margin: 0; font-size: 20px; }
.status_msg { background: #fff6d5; border: 1px solid #e0c96a; padding: 6px 10px; margin-bottom: 12px; }
ul.buttons { list-style: none; padding: 0; margin: 0 0 12px; }
ul.buttons li { display: inline; margin-right: 8px; }
a.button { display: inline-block; padding: 4px 10px; border: 1px solid #888; border-radius: 3px;
  background: #f4f4f4; color: #222; text-decoration: none; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #ddd; }
tr.shade { background: #f7f7f7; }
.statusrunning { color: #1a7f37; font-weight: bold; }
.statuserror { color: #c0392b; font-weight: bold; }
.statusnominal { color: #555; }
ul.actions { list-style: none; padding: 0; margin: 0; }
ul.actions li { display: inline; margin-right: 8px; }
pre { background: #f7f7f7; padding: 8px; overflow: auto; }
footer { color: #777; font-size: 12px; }
";

#[cfg(test)]
mod tests {
    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(super::escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
    }
}
