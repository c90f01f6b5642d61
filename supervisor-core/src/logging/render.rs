//! Writing the values of format fields: Python's `%`-conversions for
//! patterns, and JSON strings.

use chrono::{DateTime, Local, SecondsFormat};

use crate::config::{Conversion, Spec};

/// A field's value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Text(&'a str),
    Int(i64),
    Float(f64),
}

/// 4.3.0's time stamp: `2026-11-21 10:42:24,042`.
pub(crate) fn asctime(t: DateTime<Local>) -> String {
    t.format("%Y-%m-%d %H:%M:%S,%3f").to_string()
}

/// RFC 3339 with milliseconds and the offset: `2026-11-21T10:42:24.042+01:00`.
pub(crate) fn rfc3339(t: DateTime<Local>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// Seconds since the epoch, with fractions (`%(created)f`).
pub(crate) fn created(t: DateTime<Local>) -> f64 {
    t.timestamp() as f64 + f64::from(t.timestamp_subsec_micros()) / 1e6
}

/// Appends `value` as `%` with `spec` writes it.
pub(crate) fn field(out: &mut Vec<u8>, value: Value<'_>, spec: &Spec) {
    let text = match (value, spec.conversion) {
        (Value::Text(s), _) => match spec.precision {
            Some(p) => s.chars().take(p).collect(),
            None if spec.width == 0 => {
                out.extend_from_slice(s.as_bytes());
                return;
            }
            None => s.to_owned(),
        },
        (Value::Int(n), Conversion::Float) => format!("{:.*}", spec.precision.unwrap_or(6), n as f64),
        (Value::Int(n), _) => n.to_string(),
        (Value::Float(x), Conversion::Float) => format!("{:.*}", spec.precision.unwrap_or(6), x),
        (Value::Float(x), Conversion::Integer) => (x.trunc() as i64).to_string(),
        (Value::Float(x), Conversion::Text) => x.to_string(),
    };
    pad(out, &text, spec, !matches!(value, Value::Text(_)));
}

/// Appends `text` padded to `spec.width` characters.
pub(crate) fn pad(out: &mut Vec<u8>, text: &str, spec: &Spec, numeric: bool) {
    let missing = spec.width.saturating_sub(text.chars().count());
    if spec.left {
        out.extend_from_slice(text.as_bytes());
        out.resize(out.len() + missing, b' ');
    } else if spec.zero && numeric {
        let (sign, digits) = text.strip_prefix('-').map_or(("", text), |d| ("-", d));
        out.extend_from_slice(sign.as_bytes());
        out.resize(out.len() + missing, b'0');
        out.extend_from_slice(digits.as_bytes());
    } else {
        out.resize(out.len() + missing, b' ');
        out.extend_from_slice(text.as_bytes());
    }
}

/// Appends `s` as a JSON string, quotes included.
pub(crate) fn json_string(out: &mut Vec<u8>, s: &str) {
    // Most log text needs no escape: then it is copied as it is (several
    // times faster than escaping byte by byte).
    let bytes = s.as_bytes();
    if !bytes.iter().fold(false, |any, &b| any | (b < 0x20) | (b == b'"') | (b == b'\\')) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    // Writing to a Vec cannot fail, and a str always serializes.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(value: Value<'_>, spec: Spec) -> String {
        let mut out = Vec::new();
        field(&mut out, value, &spec);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn conversions_follow_python() {
        let s = Spec::default();
        assert_eq!(show(Value::Text("INFO"), Spec { left: true, width: 6, ..s }), "INFO  ");
        assert_eq!(show(Value::Text("INFO"), Spec { width: 6, ..s }), "  INFO");
        assert_eq!(show(Value::Text("INFO"), Spec { precision: Some(2), ..s }), "IN");
        assert_eq!(show(Value::Int(42), Spec { zero: true, width: 5, conversion: Conversion::Integer, ..s }), "00042");
        assert_eq!(show(Value::Int(-42), Spec { zero: true, width: 5, conversion: Conversion::Integer, ..s }), "-0042");
        assert_eq!(show(Value::Float(1.5), Spec { conversion: Conversion::Float, ..s }), "1.500000");
        assert_eq!(show(Value::Float(1.26), Spec { precision: Some(1), conversion: Conversion::Float, ..s }), "1.3");
        assert_eq!(show(Value::Float(9.99), Spec { conversion: Conversion::Integer, ..s }), "9");
        let mut out = Vec::new();
        json_string(&mut out, "a\"b\\\n\u{1}é");
        assert_eq!(String::from_utf8(out).expect("utf-8"), "\"a\\\"b\\\\\\n\\u0001é\"");
    }
}
