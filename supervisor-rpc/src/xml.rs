//! XML-RPC on the wire, written and read directly: a `getAllProcessInfo`
//! with a thousand processes is over a megabyte of XML, and going through
//! serde (dxr's `to_xml`/`from_xml`) took most of the call's time. The
//! output is byte for byte what dxr wrote before.
//!
//! ```
//! use supervisor_rpc::dxr::Value;
//! use supervisor_rpc::xml::{method_response, parse_response};
//! let xml = method_response(&Value::Array(vec![Value::Integer(1), Value::String("a&b".into())]));
//! assert!(xml.contains("<string>a&amp;b</string>"));
//! assert_eq!(parse_response(&xml), Ok(Ok(Value::Array(vec![Value::Integer(1), Value::String("a&b".into())]))));
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write;

use base64::Engine;
use dxr::{DateTime, Value};

const PROLOG: &str = "<?xml version=\"1.0\"?>\n";

/// A `methodResponse` carrying `value`.
pub fn method_response(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(RESPONSE_HEAD);
    write_value(&mut out, value);
    out.push_str(RESPONSE_TAIL);
    out
}

/// The start of a `methodResponse` carrying a value.
const RESPONSE_HEAD: &str = "<?xml version=\"1.0\"?>\n<methodResponse><params><param>";
const RESPONSE_TAIL: &str = "</param></params></methodResponse>";

/// A `methodResponse` around a `<value>` element already written, in the
/// same buffer: a large answer is never copied.
pub fn method_response_xml(value: XmlValue) -> String {
    let mut out = value.buf;
    out.push_str(RESPONSE_TAIL);
    out
}

/// Writes a `<value>` element piece by piece, for answers built straight
/// from their source (see [`crate::RpcInterface::call_xml`]). Struct
/// members must come in the order a `Value::Struct` writes them (4.3.0's).
///
/// ```
/// use supervisor_rpc::xml::ValueWriter;
/// let mut w = ValueWriter::with_capacity(64);
/// w.begin_array();
/// w.begin_struct();
/// w.member_int("pid", 7);
/// w.end_struct();
/// w.end_array();
/// assert_eq!(
///     w.finish().as_str(),
///     "<value><array><data><value><struct><member><name>pid</name><value><int>7</int></value></member></struct></value></data></array></value>"
/// );
/// ```
pub struct ValueWriter {
    /// Begins with the response's head, so the answer is written in place.
    out: String,
}

/// A `<value>` element written by a [`ValueWriter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlValue {
    buf: String,
}

impl XmlValue {
    /// The element's text.
    pub fn as_str(&self) -> &str {
        &self.buf[RESPONSE_HEAD.len()..]
    }
}

impl ValueWriter {
    /// An empty writer with room for `bytes` of value.
    pub fn with_capacity(bytes: usize) -> ValueWriter {
        let mut out = String::with_capacity(RESPONSE_HEAD.len() + bytes + RESPONSE_TAIL.len());
        out.push_str(RESPONSE_HEAD);
        ValueWriter { out }
    }

    /// Opens an array value.
    pub fn begin_array(&mut self) {
        self.out.push_str("<value><array><data>");
    }

    /// Closes it.
    pub fn end_array(&mut self) {
        self.out.push_str("</data></array></value>");
    }

    /// Opens a struct value.
    pub fn begin_struct(&mut self) {
        self.out.push_str("<value><struct>");
    }

    /// Closes it.
    pub fn end_struct(&mut self) {
        self.out.push_str("</struct></value>");
    }

    /// A string member.
    pub fn member_str(&mut self, name: &str, value: &str) {
        self.member(name);
        self.out.push_str("<value><string>");
        escape_into(&mut self.out, value);
        self.out.push_str("</string></value></member>");
    }

    /// An int member, capped to 32 bits as 4.3.0's `capped_int` does.
    pub fn member_int(&mut self, name: &str, value: i64) {
        self.member(name);
        self.out.push_str("<value><int>");
        self.out.push_str(itoa::Buffer::new().format(crate::value::capped(value)));
        self.out.push_str("</int></value></member>");
    }

    fn member(&mut self, name: &str) {
        self.out.push_str("<member><name>");
        escape_into(&mut self.out, name);
        self.out.push_str("</name>");
    }

    /// The `<value>` element.
    pub fn finish(self) -> XmlValue {
        XmlValue { buf: self.out }
    }
}

/// A `methodResponse` carrying a fault.
pub fn fault_response(code: i32, string: &str) -> String {
    let mut s = BTreeMap::new();
    s.insert("faultCode".to_owned(), Value::Integer(code));
    s.insert("faultString".to_owned(), Value::String(string.to_owned()));
    let mut out = String::with_capacity(256);
    out.push_str(PROLOG);
    out.push_str("<methodResponse><fault>");
    write_value(&mut out, &Value::Struct(s));
    out.push_str("</fault></methodResponse>");
    out
}

/// `text` with XML's (and HTML's) five special characters escaped, and
/// the characters XML 1.0 cannot carry at all made visible instead: a C0
/// control (ESC of a colour code, NUL, ...) becomes its Control Pictures
/// symbol (U+2400 + code: ESC is `␛`), U+FFFE and U+FFFF become U+FFFD.
/// 4.3.0 writes them as they are, and clients reject the whole answer.
/// Tail offsets count the log's bytes, so they are unaffected.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    // Most text needs no escape. A scan without an early exit (which the
    // compiler vectorizes) finds that; searching and copying a byte at a
    // time was a sixth of a large answer's time.
    let control = |b: u8| (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r');
    let special =
        |b: u8| (b == b'&') | (b == b'<') | (b == b'>') | (b == b'"') | (b == b'\'') | control(b) | (b == 0xEF);
    if !text.bytes().fold(false, |any, b| any | special(b)) {
        out.push_str(text);
        return;
    }
    let bytes = text.as_bytes();
    let mut last = 0;
    for (i, b) in text.bytes().enumerate().filter(|&(_, b)| special(b)) {
        let (rep, len): (&str, usize) = match b {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&apos;", 1),
            // U+FFFE, U+FFFF: EF BF BE, EF BF BF.
            0xEF if matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) => ("\u{FFFD}", 3),
            0xEF => continue,
            _ => {
                out.push_str(&text[last..i]);
                out.push(char::from_u32(0x2400 + u32::from(b)).unwrap_or('\u{FFFD}'));
                last = i + 1;
                continue;
            }
        };
        out.push_str(&text[last..i]);
        out.push_str(rep);
        last = i + len;
    }
    out.push_str(&text[last..]);
}

/// 4.3.0's member order for the structs its methods return (Python dicts
/// keep the order they were written in): process info, the status of one
/// process of a group call, `getState`, faults. Members not listed come
/// after, by name.
const MEMBER_ORDER: &[&str] = &[
    "name",
    "group",
    "start",
    "stop",
    "now",
    "state",
    "statecode",
    "statename",
    "spawnerr",
    "exitstatus",
    "logfile",
    "stdout_logfile",
    "stderr_logfile",
    "pid",
    "status",
    "description",
    "faultCode",
    "faultString",
];

/// The order of `getAllConfigInfo`'s members.
const CONFIG_MEMBER_ORDER: &[&str] = &[
    "autostart",
    "directory",
    "uid",
    "command",
    "exitcodes",
    "group",
    "group_prio",
    "inuse",
    "killasgroup",
    "name",
    "process_prio",
    "redirect_stderr",
    "startretries",
    "startsecs",
    "stdout_capture_maxbytes",
    "stdout_events_enabled",
    "stdout_logfile",
    "stdout_logfile_backups",
    "stdout_logfile_maxbytes",
    "stdout_syslog",
    "stopsignal",
    "stopwaitsecs",
    "stderr_capture_maxbytes",
    "stderr_events_enabled",
    "stderr_logfile",
    "stderr_logfile_backups",
    "stderr_logfile_maxbytes",
    "stderr_syslog",
    "serverurl",
];

/// A struct's members in the order 4.3.0 writes them.
fn in_member_order(members: &BTreeMap<String, Value>) -> Vec<(&String, &Value)> {
    let order = if members.contains_key("process_prio") { CONFIG_MEMBER_ORDER } else { MEMBER_ORDER };
    let mut all: Vec<(&String, &Value)> = members.iter().collect();
    // Stable: members not listed keep their name order, after the rest.
    all.sort_by_key(|(name, _)| order.iter().position(|o| o == name).unwrap_or(usize::MAX));
    all
}

fn write_value(out: &mut String, value: &Value) {
    out.push_str("<value>");
    match value {
        Value::Integer(n) => {
            let _ = write!(out, "<int>{n}</int>");
        }
        Value::Boolean(b) => out.push_str(if *b { "<boolean>1</boolean>" } else { "<boolean>0</boolean>" }),
        Value::String(s) => {
            out.push_str("<string>");
            escape_into(out, s);
            out.push_str("</string>");
        }
        Value::Double(d) => {
            let _ = write!(out, "<double>{d}</double>");
        }
        Value::DateTime(d) => {
            let _ = write!(out, "<dateTime.iso8601>{d}</dateTime.iso8601>");
        }
        Value::Base64(bytes) => {
            out.push_str("<base64>");
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
            out.push_str("</base64>");
        }
        Value::Struct(members) => {
            out.push_str("<struct>");
            for (name, v) in in_member_order(members) {
                out.push_str("<member><name>");
                escape_into(out, name);
                out.push_str("</name>");
                write_value(out, v);
                out.push_str("</member>");
            }
            out.push_str("</struct>");
        }
        Value::Array(items) => {
            out.push_str("<array><data>");
            for v in items {
                write_value(out, v);
            }
            out.push_str("</data></array>");
        }
        // Variants of later dxr versions: let dxr write them.
        other => {
            let xml = other.to_xml().unwrap_or_default();
            let inner = xml.strip_prefix("<value>").and_then(|x| x.strip_suffix("</value>")).unwrap_or(&xml);
            out.push_str(inner);
        }
    }
    out.push_str("</value>");
}

/// Why a response could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an XML-RPC response: {0}")]
pub struct ParseError(String);

/// Reads a `methodResponse`: the value, or the fault's code and string.
pub fn parse_response(text: &str) -> Result<Result<Value, (i32, String)>, ParseError> {
    let mut p = Parser { text, at: 0, open: Vec::new() };
    p.expect_start("methodResponse")?;
    match p.next_start()? {
        "params" => {
            p.expect_start("param")?;
            p.expect_start("value")?;
            let v = p.value()?;
            Ok(Ok(v))
        }
        "fault" => {
            p.expect_start("value")?;
            let v = p.value()?;
            let Value::Struct(s) = v else { return Err(ParseError("fault is not a struct".into())) };
            let code = match s.get("faultCode") {
                Some(Value::Integer(c)) => *c,
                _ => return Err(ParseError("fault without faultCode".into())),
            };
            let string = match s.get("faultString") {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            Ok(Err((code, string)))
        }
        other => Err(ParseError(format!("unexpected <{other}>"))),
    }
}

/// A reader of the XML subset XML-RPC answers use: elements without
/// attributes that matter, text with the predefined and numeric entities,
/// CDATA, comments, processing instructions and a DOCTYPE (skipped, never
/// expanded). quick-xml took two thirds of the time of reading a large
/// answer; this scans it once.
struct Parser<'a> {
    text: &'a str,
    at: usize,
    /// Names of the open elements, to check each end tag.
    open: Vec<&'a str>,
}

/// What comes next inside an element. Names and text borrow from the
/// input: a thousand-process answer has some 60 000 of them.
enum Item<'a> {
    Start(&'static str),
    Empty(&'static str),
    End,
    Text(Cow<'a, str>),
}

/// The element names XML-RPC uses; any other is `"?"`. A `match`, not a
/// search: a thousand-process answer has 60 000 tags.
fn tag(name: &str) -> &'static str {
    match name {
        "value" => "value",
        "member" => "member",
        "name" => "name",
        "string" => "string",
        "i4" => "i4",
        "int" => "int",
        "struct" => "struct",
        "array" => "array",
        "data" => "data",
        "boolean" => "boolean",
        "double" => "double",
        "base64" => "base64",
        "dateTime.iso8601" => "dateTime.iso8601",
        "nil" => "nil",
        "methodResponse" => "methodResponse",
        "params" => "params",
        "param" => "param",
        "fault" => "fault",
        _ => "?",
    }
}

fn blank(t: &str) -> bool {
    t.bytes().all(|b| b.is_ascii_whitespace())
}

impl<'a> Parser<'a> {
    fn item(&mut self) -> Result<Item<'a>, ParseError> {
        let bad = |what: &str| ParseError(what.to_owned());
        loop {
            let rest = self.text.get(self.at..).ok_or_else(|| bad("ends early"))?;
            let bytes = rest.as_bytes();
            match bytes.first() {
                None => return Err(bad("ends early")),
                Some(b'<') => {}
                Some(_) => {
                    // One pass finds the end of the text and whether it
                    // needs unescaping; three vector searches cost more on
                    // text this short.
                    let mut plain = true;
                    let end = (bytes.iter())
                        .position(|&b| {
                            plain &= b != b'&' && b != b'\r';
                            b == b'<'
                        })
                        .unwrap_or(bytes.len());
                    self.at += end;
                    let text = &rest[..end];
                    return Ok(Item::Text(if plain { Cow::Borrowed(text) } else { unescape(text)? }));
                }
            }
            match bytes.get(1) {
                Some(b'?' | b'!') => {
                    if let Some(cdata) = self.markup(rest)? {
                        return Ok(cdata);
                    }
                }
                Some(b'/') => {
                    // Most end tags close what is open, with nothing else:
                    // checked directly.
                    if let Some(&open) = self.open.last()
                        && bytes.get(2..2 + open.len()) == Some(open.as_bytes())
                        && bytes.get(2 + open.len()) == Some(&b'>')
                    {
                        self.open.pop();
                        self.at += open.len() + 3;
                        return Ok(Item::End);
                    }
                    // Tags are a few bytes long: a plain loop finds their
                    // end sooner than a vector search is set up.
                    let end = bytes.iter().position(|&b| b == b'>').ok_or_else(|| bad("ends early"))?;
                    let name = rest[2..end].trim_end();
                    self.at += end + 1;
                    return match self.open.pop() {
                        Some(open) if open == name => Ok(Item::End),
                        _ => Err(ParseError(format!("unexpected </{name}>"))),
                    };
                }
                _ => {
                    let end = bytes.iter().position(|&b| b == b'>').ok_or_else(|| bad("ends early"))?;
                    let (inner, empty) = match rest[1..end].strip_suffix('/') {
                        Some(i) => (i, true),
                        None => (&rest[1..end], false),
                    };
                    let name = match inner.bytes().position(|b| b.is_ascii_whitespace()) {
                        Some(i) => &inner[..i],
                        None => inner,
                    };
                    if name.is_empty() {
                        return Err(bad("an element without a name"));
                    }
                    self.at += end + 1;
                    if empty {
                        return Ok(Item::Empty(tag(name)));
                    }
                    self.open.push(name);
                    return Ok(Item::Start(tag(name)));
                }
            }
        }
    }

    /// Reads past a processing instruction, comment or DOCTYPE at the
    /// start of `rest` (nothing to return), or a CDATA section (its text).
    fn markup(&mut self, rest: &'a str) -> Result<Option<Item<'a>>, ParseError> {
        let bad = || ParseError("ends early".to_owned());
        let skip_past = |marker: &str| rest.find(marker).map(|i| i + marker.len()).ok_or_else(bad);
        if rest.starts_with("<?") {
            self.at += skip_past("?>")?;
        } else if rest.starts_with("<!--") {
            self.at += skip_past("-->")?;
        } else if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").ok_or_else(bad)?;
            self.at += "<![CDATA[".len() + end + 3;
            return Ok(Some(Item::Text(eol(&cdata[..end]))));
        } else {
            // A DOCTYPE, with an internal subset perhaps: skipped whole.
            let head = &rest[..find(rest, b'>').ok_or_else(bad)? + 1];
            self.at += if head.contains('[') { skip_past("]>")? } else { head.len() };
        }
        Ok(None)
    }

    /// Opens `<name>` if it comes next exactly: the common case, read
    /// without the general scan of [`Parser::item`].
    fn open_tag(&mut self, name: &'static str) -> bool {
        let bytes = self.text.as_bytes().get(self.at..).unwrap_or_default();
        let found = bytes.first() == Some(&b'<')
            && bytes.get(1..1 + name.len()) == Some(name.as_bytes())
            && bytes.get(1 + name.len()) == Some(&b'>');
        if found {
            self.at += name.len() + 2;
            self.open.push(name);
        }
        found
    }

    /// The next start tag, skipping whitespace.
    fn next_start(&mut self) -> Result<&'static str, ParseError> {
        loop {
            match self.item()? {
                Item::Start(name) => return Ok(name),
                Item::Text(t) if blank(&t) => {}
                _ => return Err(ParseError("expected an element".into())),
            }
        }
    }

    fn expect_start(&mut self, name: &'static str) -> Result<(), ParseError> {
        if self.open_tag(name) {
            return Ok(());
        }
        let got = self.next_start()?;
        if got == name { Ok(()) } else { Err(ParseError(format!("expected <{name}>, got <{got}>"))) }
    }

    /// Text up to the end tag of the element just opened.
    fn text(&mut self) -> Result<String, ParseError> {
        // Usually one piece of text: taken whole, not copied into a new string.
        let mut out = match self.item()? {
            Item::Text(t) => t.into_owned(),
            Item::End => return Ok(String::new()),
            _ => return Err(ParseError("element inside a scalar".into())),
        };
        loop {
            match self.item()? {
                Item::Text(t) => out.push_str(&t),
                Item::End => return Ok(out),
                _ => return Err(ParseError("element inside a scalar".into())),
            }
        }
    }

    /// Skips whitespace up to an end tag.
    fn end(&mut self) -> Result<(), ParseError> {
        loop {
            match self.item()? {
                Item::End => return Ok(()),
                Item::Text(t) if blank(&t) => {}
                _ => return Err(ParseError("expected an end tag".into())),
            }
        }
    }

    /// The inside of a `<value>` just opened, through its end tag.
    fn value(&mut self) -> Result<Value, ParseError> {
        // The usual types, opened directly; anything else the general way.
        let usual = ["string", "i4", "int", "struct"].into_iter().find(|&kind| self.open_tag(kind));
        let kind = match usual {
            Some(kind) => kind,
            None => {
                let mut text = String::new();
                loop {
                    match self.item()? {
                        Item::Text(t) => text.push_str(&t),
                        // No type element: a string.
                        Item::End => return Ok(Value::String(text)),
                        Item::Start(kind) => break kind,
                        Item::Empty(kind) => {
                            let v = empty_value(kind)?;
                            self.end()?;
                            return Ok(v);
                        }
                    }
                }
            }
        };
        let v = match kind {
            "struct" => self.members()?,
            "array" => self.array()?,
            scalar => {
                let t = self.text()?;
                scalar_value(scalar, t)?
            }
        };
        self.end()?;
        Ok(v)
    }

    fn members(&mut self) -> Result<Value, ParseError> {
        // Built whole at the end: members come sorted from most servers,
        // and a sorted build beats inserting them one by one.
        let mut s = Vec::with_capacity(16);
        loop {
            if self.open_tag("member") {
                s.push(self.member()?);
                continue;
            }
            match self.item()? {
                Item::End => return Ok(Value::Struct(BTreeMap::from_iter(s))),
                Item::Text(t) if blank(&t) => {}
                Item::Start("member") => s.push(self.member()?),
                _ => return Err(ParseError("expected <member>".into())),
            }
        }
    }

    /// The inside of a `<member>` just opened, through its end tag.
    fn member(&mut self) -> Result<(String, Value), ParseError> {
        self.expect_start("name")?;
        let name = self.text()?;
        self.expect_start("value")?;
        let v = self.value()?;
        self.end()?;
        Ok((name, v))
    }

    fn array(&mut self) -> Result<Value, ParseError> {
        let mut items = Vec::new();
        loop {
            match self.item()? {
                Item::Text(t) if blank(&t) => continue,
                Item::Empty("data") => {}
                Item::Start("data") => loop {
                    if self.open_tag("value") {
                        items.push(self.value()?);
                        continue;
                    }
                    match self.item()? {
                        Item::End => break,
                        Item::Text(t) if blank(&t) => {}
                        Item::Start("value") => items.push(self.value()?),
                        Item::Empty("value") => items.push(Value::String(String::new())),
                        _ => return Err(ParseError("expected <value> in <data>".into())),
                    }
                },
                _ => return Err(ParseError("expected <data>".into())),
            }
            break;
        }
        self.end()?;
        Ok(Value::Array(items))
    }
}

/// Where `byte` (ASCII) first occurs in `text`.
fn find(text: &str, byte: u8) -> Option<usize> {
    memchr::memchr(byte, text.as_bytes())
}

/// XML's line ends: `\r\n` and a lone `\r` read as `\n`.
fn eol(text: &str) -> Cow<'_, str> {
    if find(text, b'\r').is_some() {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Text with its entity references replaced; only the predefined and
/// numeric ones exist without a DTD.
fn unescape(text: &str) -> Result<Cow<'_, str>, ParseError> {
    if find(text, b'&').is_none() {
        return Ok(eol(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after.find(';').ok_or_else(|| ParseError("an unterminated entity".into()))?;
        let name = &after[..semi];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => name.strip_prefix('#').and_then(|d| d.parse::<u32>().ok()),
                };
                code.and_then(char::from_u32).ok_or_else(|| ParseError(format!("unknown entity &{name};")))?
            }
        };
        out.push(c);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(match eol(&out) {
        Cow::Borrowed(_) => Cow::Owned(out),
        Cow::Owned(o) => Cow::Owned(o),
    })
}

fn empty_value(kind: &str) -> Result<Value, ParseError> {
    Ok(match kind {
        "struct" => Value::Struct(BTreeMap::new()),
        "array" => Value::Array(Vec::new()),
        other => scalar_value(other, String::new())?,
    })
}

fn scalar_value(kind: &str, text: String) -> Result<Value, ParseError> {
    let bad = |what: &str| ParseError(format!("bad <{kind}>: {what:?}"));
    Ok(match kind {
        "string" => Value::String(text),
        "i4" | "int" => Value::Integer(text.trim().parse().map_err(|_| bad(&text))?),
        "boolean" => match text.trim() {
            "1" => Value::Boolean(true),
            "0" => Value::Boolean(false),
            _ => return Err(bad(&text)),
        },
        "double" => Value::Double(text.trim().parse().map_err(|_| bad(&text))?),
        "base64" => {
            let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            Value::Base64(base64::engine::general_purpose::STANDARD.decode(clean).map_err(|_| bad(&text))?)
        }
        "dateTime.iso8601" => Value::DateTime(text.trim().parse::<DateTime>().map_err(|_| bad(&text))?),
        // Python writes None as <nil/> when allow_none is set; no
        // supervisor method returns it, and this dxr has no Nil.
        other => return Err(ParseError(format!("unknown type <{other}>"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dxr::{FaultResponse, MethodResponse};

    fn sample() -> Value {
        let mut s = BTreeMap::new();
        s.insert("name".to_owned(), Value::String("a<b>&'\"c".into()));
        s.insert("pid".to_owned(), Value::Integer(-42));
        s.insert("ok".to_owned(), Value::Boolean(true));
        s.insert("no".to_owned(), Value::Boolean(false));
        s.insert("x".to_owned(), Value::Double(1.5));
        s.insert("b".to_owned(), Value::Base64(b"\x00\xffhi".to_vec()));
        s.insert("empty".to_owned(), Value::Array(vec![]));
        s.insert("nested".to_owned(), Value::Struct(BTreeMap::new()));
        s.insert("unicode".to_owned(), Value::String("naïve — ünïcode\ttab\nline".into()));
        Value::Array(vec![Value::Struct(s), Value::String(String::new()), Value::Integer(i32::MAX)])
    }

    /// Member names of the first struct in `xml`, in order.
    fn member_names(xml: &str) -> Vec<&str> {
        xml.split("<name>").skip(1).map(|m| m.split("</name>").next().unwrap_or("")).collect()
    }

    #[test]
    fn writes_what_dxr_wrote_with_4_3_0_s_int_tag_and_member_order() {
        let v = sample();
        let ours = method_response(&v);
        // dxr writes `<i4>` and members by name; 4.3.0 (Python) writes
        // `<int>` and members as its methods built them.
        let dxr =
            format!("{PROLOG}{}", MethodResponse { value: v.clone() }.to_xml().expect("dxr")).replace("i4>", "int>");
        assert_eq!(ours.len(), dxr.len());
        assert_eq!(member_names(&ours), ["name", "pid", "b", "empty", "nested", "no", "ok", "unicode", "x"]);
        assert!(!ours.contains("<i4>") && ours.contains("<int>-42</int>"), "{ours}");
        let fault = FaultResponse { fault: dxr::Fault::new(10, "BAD_NAME: <x>".into()) }.to_xml().expect("dxr");
        assert_eq!(fault_response(10, "BAD_NAME: <x>"), format!("{PROLOG}{fault}").replace("i4>", "int>"));
    }

    #[test]
    fn structs_come_in_4_3_0_s_member_order() {
        let of = |names: &[&str]| {
            let s: BTreeMap<String, Value> = names.iter().map(|n| ((*n).to_owned(), Value::Integer(0))).collect();
            method_response(&Value::Struct(s))
        };
        let status = of(&["description", "group", "name", "status"]);
        assert_eq!(member_names(&status), ["name", "group", "status", "description"]);
        let info = [
            "description",
            "exitstatus",
            "group",
            "logfile",
            "name",
            "now",
            "pid",
            "spawnerr",
            "start",
            "state",
            "statename",
            "stderr_logfile",
            "stdout_logfile",
            "stop",
        ];
        assert_eq!(
            member_names(&of(&info)),
            [
                "name",
                "group",
                "start",
                "stop",
                "now",
                "state",
                "statename",
                "spawnerr",
                "exitstatus",
                "logfile",
                "stdout_logfile",
                "stderr_logfile",
                "pid",
                "description"
            ]
        );
        let mut config: Vec<&str> = CONFIG_MEMBER_ORDER.to_vec();
        config.sort_unstable();
        assert_eq!(member_names(&of(&config)), CONFIG_MEMBER_ORDER);
        assert_eq!(member_names(&of(&["statename", "statecode"])), ["statecode", "statename"]);
    }

    #[test]
    fn characters_xml_cannot_carry_are_made_visible() {
        let mut out = String::new();
        escape_into(&mut out, "\u{1b}[31mred\u{1b}[0m\0\t\r\n\u{7f}<\u{fffe}\u{ffff}\u{fffd}\u{f000}");
        assert_eq!(out, "\u{241b}[31mred\u{241b}[0m\u{2400}\t\r\n\u{7f}&lt;\u{fffd}\u{fffd}\u{fffd}\u{f000}");
        // And a whole answer stays readable.
        let v = Value::String("a\u{1b}b".into());
        assert_eq!(parse_response(&method_response(&v)), Ok(Ok(Value::String("a\u{241b}b".into()))));
    }

    #[test]
    fn reads_what_it_writes_and_what_python_writes() {
        let v = sample();
        assert_eq!(parse_response(&method_response(&v)), Ok(Ok(v)));
        assert_eq!(parse_response(&fault_response(70, "NOT_RUNNING: x")), Ok(Err((70, "NOT_RUNNING: x".into()))));
        // Python's xmlrpc.client layout: newlines between elements, <int>,
        // untyped strings, entities and CDATA.
        let python = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n\
                      <value><struct>\n<member>\n<name>name</name>\n<value><string>a &amp; b&#233;</string></value>\n\
                      </member>\n<member>\n<name>pid</name>\n<value><int>7</int></value>\n</member>\n</struct></value>\n\
                      <value>bare</value>\n<value><string><![CDATA[<raw>]]></string></value>\n<value><array><data>\n\
                      </data></array></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
        let mut s = BTreeMap::new();
        s.insert("name".to_owned(), Value::String("a & bé".into()));
        s.insert("pid".to_owned(), Value::Integer(7));
        let want = Value::Array(vec![
            Value::Struct(s),
            Value::String("bare".into()),
            Value::String("<raw>".into()),
            Value::Array(vec![]),
        ]);
        assert_eq!(parse_response(python), Ok(Ok(want)));
    }

    #[test]
    fn reads_the_rest_of_xml_it_may_meet() {
        let text = "<?xml version='1.0'?>\r\n<!DOCTYPE x [<!ENTITY e 'boom'>]>\n<!-- a comment -->\
                    <methodResponse><params ><param><value><array><data>\
                    <value><string>a\r\nb&#x41;&lt;&gt;&quot;&apos;</string></value>\
                    <value><string/></value><value/><value><boolean>0</boolean></value>\
                    <value><struct/></value></data></array></value></param></params></methodResponse>";
        let want = Value::Array(vec![
            Value::String("a\nbA<>\"'".into()),
            Value::String(String::new()),
            Value::String(String::new()),
            Value::Boolean(false),
            Value::Struct(BTreeMap::new()),
        ]);
        assert_eq!(parse_response(text), Ok(Ok(want)));
    }

    #[test]
    fn rejects_what_is_not_a_response() {
        for bad in [
            "",
            "<html/>",
            "<methodResponse><params><param><value><i4>x</i4></value>",
            "<methodResponse>",
            "<methodResponse><params><param><value><string>x</i4></value></param></params></methodResponse>",
            "<methodResponse><params><param><value><string>&bomb;</string></value></param></params></methodResponse>",
            "<methodResponse><params><param><value><string>&#xFFFFFFFF;</string></value></param></params></methodResponse>",
            "<methodResponse><params><param><value><string>a & b</string></value></param></params></methodResponse>",
            "<methodResponse><params><param><value><string>\u{e9}<",
            "<methodResponse><!-- never closed",
        ] {
            assert!(parse_response(bad).is_err(), "{bad:?}");
        }
    }

    /// The direct paths (a start tag read as a literal, an end tag matched
    /// against the open one) must not change what is accepted.
    #[test]
    fn the_fast_paths_read_what_the_general_one_does() {
        let wrap =
            |v: &str| format!("<methodResponse><params><param><value>{v}</value></param></params></methodResponse>");
        let member = |n: &str, v: &str| format!("<member><name>{n}</name><value><string>{v}</string></value></member>");
        // The last of two members of one name wins, as Python's dict has it.
        let dup = wrap(&format!("<struct>{}{}</struct>", member("a", "1"), member("a", "2")));
        let want: BTreeMap<String, Value> = [("a".to_owned(), Value::String("2".into()))].into();
        assert_eq!(parse_response(&dup), Ok(Ok(Value::Struct(want))));
        // Whitespace inside end tags and between tags, Python's layout.
        let spaced = "<methodResponse>\n<params>\n<param>\n<value> <string>é x</string >\n</value >\n</param>\n\
                      </params>\n</methodResponse>\n";
        assert_eq!(parse_response(spaced), Ok(Ok(Value::String("é x".into()))));
        let python = "<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n<name>pid</name>\n\
                      <value><int>7</int></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodResponse>\n";
        let want: BTreeMap<String, Value> = [("pid".to_owned(), Value::Integer(7))].into();
        assert_eq!(parse_response(python), Ok(Ok(Value::Struct(want))));
        // A close tag that only begins like the open one.
        assert!(parse_response(&wrap("<string>x</stringx>")).is_err());
        assert!(parse_response(&wrap("<struct><membership></membership></struct>")).is_err());
        // Every truncation of a valid answer is an error, never a panic.
        let full = method_response(&Value::Array(vec![
            Value::String("naïve <&> ✓".into()),
            Value::Integer(-3),
            Value::Struct([("k".to_owned(), Value::Boolean(true))].into()),
        ]));
        assert!(parse_response(&full).is_ok());
        // (The closing tags after the value are not waited for, as before.)
        let value_end = full.rfind("</value>").map_or(full.len(), |i| i + "</value>".len());
        for (end, _) in full.char_indices().skip(1).filter(|&(end, _)| end < value_end) {
            assert!(parse_response(&full[..end]).is_err(), "{:?}", &full[..end]);
        }
    }
}
