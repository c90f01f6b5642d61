//! A small blocking XML-RPC client for supervisord's API, over a unix
//! socket (`unix:///path`) or TCP (`http://host:port`), with Basic auth.
//! supervisorctl is synchronous, so this needs no runtime.
//!
//! The `supervisor.*` methods have typed forms, whose answers are decoded
//! into [`RemoteProcessInfo`], [`RemoteResult`] and the like; [`Client::call`]
//! takes any method (a plugin's) and returns the raw [`Value`].
//!
//! ```no_run
//! use supervisor_rpc::client::Client;
//! use supervisor_rpc::codes::ProcessState;
//! let client = Client::new("unix:///tmp/supervisor.sock", None, None)?;
//! for info in client.get_all_process_info()? {
//!     let running = info.process_state() == Some(ProcessState::Running);
//!     println!("{}:{} running: {running}", info.group, info.name);
//! }
//! let raw = client.call("supervisor.getState", vec![])?;
//! println!("{raw:?}");
//! # Ok::<(), supervisor_rpc::client::ClientError>(())
//! ```

mod answers;
mod calls;
mod tls;

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use dxr::{MethodCall, Value};
use tokio_rustls::rustls;

pub use self::answers::{ConfigChanges, ConfigInfo, LogTail, RemoteProcessInfo, RemoteResult, RemoteState};
pub use self::calls::UPDATE_PROCESS_GROUP;
use crate::codes::Fault;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is neither `unix://` nor `http://` nor `https://`.
    #[error("value {0:?} is not a URL")]
    BadUrl(String),
    /// An https connection could not be set up: the server's certificate
    /// is not trusted, the CA file cannot be read, the handshake failed.
    #[error("{0}")]
    Tls(String),
    /// Connecting or talking failed (`ENOENT`, `ECONNREFUSED`, ...).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// HTTP 401.
    #[error("Server requires authentication")]
    Unauthorized,
    /// Another HTTP error status.
    #[error("HTTP {0}")]
    Http(u16),
    /// The server answered with a fault.
    #[error("{code}: {string}")]
    Fault {
        /// `faultCode`.
        code: i32,
        /// `faultString`.
        string: String,
    },
    /// The answer was not XML-RPC.
    #[error("the server's answer is not XML-RPC")]
    BadResponse,
    /// The answer was XML-RPC, but not what the method answers.
    #[error("unexpected answer to {method}: {detail}")]
    Unexpected {
        /// The method called.
        method: String,
        /// What was expected where.
        detail: String,
    },
}

impl ClientError {
    /// The fault the server answered with, if it is one 4.3.0 defines.
    pub fn fault(&self) -> Option<Fault> {
        match self {
            ClientError::Fault { code, .. } => Fault::from_code(*code),
            _ => None,
        }
    }
}

enum Target {
    Unix(PathBuf),
    Tcp(String),
    /// `host:port`, and the name the certificate must carry.
    Https(String, String),
}

/// A connection target and credentials; each call opens a connection.
pub struct Client {
    target: Target,
    auth: Option<String>,
    timeout: Option<Duration>,
    /// For https: what the server's certificate is checked against.
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Client {
    /// A client for `url` (`unix:///path`, `http://host:port[/...]` or
    /// `https://host:port[/...]`; https checks the server's certificate
    /// against the system's roots, or [`Client::with_tls_ca`]'s).
    pub fn new(url: &str, username: Option<&str>, password: Option<&str>) -> Result<Client, ClientError> {
        let host_port = |rest: &str, default_port: u16| {
            let hostport = rest.split('/').next().unwrap_or(rest);
            let hostport = hostport.rsplit('@').next().unwrap_or(hostport);
            if hostport.is_empty() {
                return Err(ClientError::BadUrl(url.to_owned()));
            }
            Ok(if hostport.contains(':') && !hostport.ends_with(']') {
                hostport.to_owned()
            } else {
                format!("{hostport}:{default_port}")
            })
        };
        let target = if let Some(path) = url.strip_prefix("unix://") {
            Target::Unix(PathBuf::from(path))
        } else if let Some(rest) = url.strip_prefix("http://") {
            Target::Tcp(host_port(rest, 80)?)
        } else if let Some(rest) = url.strip_prefix("https://") {
            let hostport = host_port(rest, 443)?;
            let host = match hostport.rsplit_once(':') {
                Some((host, _)) => host.trim_start_matches('[').trim_end_matches(']').to_owned(),
                None => hostport.clone(),
            };
            Target::Https(hostport, host)
        } else {
            return Err(ClientError::BadUrl(url.to_owned()));
        };
        let auth = username.map(|u| {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{}", password.unwrap_or("")));
            format!("Basic {token}")
        });
        Ok(Client { target, auth, timeout: None, tls: None })
    }

    /// For https: checks the server's certificate against the CA
    /// certificates of this PEM file instead of the system's roots
    /// (`[supervisorctl] tls_ca`).
    pub fn with_tls_ca(mut self, ca: &std::path::Path) -> Result<Client, ClientError> {
        self.tls = Some(tls::client_config(Some(ca))?);
        Ok(self)
    }

    /// Limits how long one call may wait for the server.
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = Some(timeout);
        self
    }

    /// Calls `method` with `params`.
    pub fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, ClientError> {
        let body = MethodCall { name: method.into(), params }.to_xml().map_err(|_| ClientError::BadResponse)?;
        let (status, response) = self.post("/RPC2", &body)?;
        match status {
            200 => {}
            401 => return Err(ClientError::Unauthorized),
            other => return Err(ClientError::Http(other)),
        }
        // from_utf8 first: from_utf8_lossy's own check is several times slower.
        let text = std::str::from_utf8(&response).map_or_else(|_| String::from_utf8_lossy(&response), Cow::Borrowed);
        match crate::xml::parse_response(&text) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err((code, string))) => Err(ClientError::Fault { code, string }),
            Err(_) => Err(ClientError::BadResponse),
        }
    }

    /// Opens a connection for a streaming GET (`/logtail/...`): returns the
    /// status and a reader positioned at the body.
    pub fn get(&self, path: &str) -> Result<(u16, Box<dyn BufRead>), ClientError> {
        let mut stream = self.connect()?;
        let mut head = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        if let Some(a) = &self.auth {
            head.push_str(&format!("Authorization: {a}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        let mut reader = BufReader::new(stream);
        let head = read_head(&mut reader)?;
        if head.chunked {
            return Ok((head.status, Box::new(BufReader::new(Chunked { inner: reader, left: 0, done: false }))));
        }
        Ok((head.status, Box::new(reader)))
    }

    fn connect(&self) -> Result<Box<dyn ReadWrite>, ClientError> {
        Ok(match &self.target {
            Target::Unix(path) => {
                let s = UnixStream::connect(path)?;
                s.set_read_timeout(self.timeout)?;
                Box::new(s)
            }
            Target::Tcp(hostport) => {
                let s = TcpStream::connect(hostport.as_str())?;
                s.set_read_timeout(self.timeout)?;
                Box::new(s)
            }
            Target::Https(hostport, host) => {
                let s = TcpStream::connect(hostport.as_str())?;
                s.set_read_timeout(self.timeout)?;
                let config = match &self.tls {
                    Some(c) => c.clone(),
                    None => tls::client_config(None)?,
                };
                Box::new(tls::handshake(s, host, config)?)
            }
        })
    }

    fn post(&self, path: &str, body: &str) -> Result<(u16, Vec<u8>), ClientError> {
        let mut stream = self.connect()?;
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        if let Some(a) = &self.auth {
            head.push_str(&format!("Authorization: {a}\r\n"));
        }
        head.push_str("\r\n");
        // A server may answer (a 401) and close before it has read the
        // whole request: a failed write is reported only if there is no
        // answer to read.
        let written = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body.as_bytes()));
        let mut reader = BufReader::new(stream);
        if let Err(e) = written {
            return match read_head(&mut reader) {
                Ok(head) => Ok((head.status, Vec::new())),
                Err(_) => Err(e.into()),
            };
        }
        let head = read_head(&mut reader)?;
        let mut data = Vec::new();
        if head.chunked {
            Chunked { inner: reader, left: 0, done: false }.read_to_end(&mut data)?;
        } else {
            match head.length {
                Some(n) => {
                    // Room for the whole answer at once (a megabyte for a
                    // thousand processes), capped against a lying header.
                    data.reserve(n.min(64 << 20));
                    reader.take(n as u64).read_to_end(&mut data)?
                }
                None => reader.read_to_end(&mut data)?,
            };
        }
        Ok((head.status, data))
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

struct Head {
    status: u16,
    length: Option<usize>,
    chunked: bool,
}

/// Reads the status line and headers.
fn read_head(reader: &mut impl BufRead) -> Result<Head, ClientError> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(ClientError::BadResponse)?;
    let mut head = Head { status, length: None, chunked: false };
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                head.length = v.trim().parse().ok();
            } else if k.eq_ignore_ascii_case("transfer-encoding") && v.trim().eq_ignore_ascii_case("chunked") {
                head.chunked = true;
            }
        }
    }
    Ok(head)
}

/// A chunked HTTP/1.1 body, decoded.
struct Chunked<R> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            // Skip the CRLF that ends the previous chunk.
            while line.trim().is_empty() {
                line.clear();
                if self.inner.read_line(&mut line)? == 0 {
                    self.done = true;
                    return Ok(0);
                }
            }
            let size = line.trim().split(';').next().unwrap_or("");
            self.left = usize::from_str_radix(size, 16)
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunk size"))?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf.len().min(self.left);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            self.done = true;
        }
        self.left -= n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixListener;
    use std::thread::JoinHandle;

    use super::*;
    use crate::xml::{fault_response, method_response};

    /// A server that answers one request with `answer` (a whole XML-RPC
    /// response); the thread returns the request's body.
    fn answering(answer: String) -> (tempfile::TempDir, Client, JoinHandle<String>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.sock");
        let listener = UnixListener::bind(&path).expect("bind");
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).expect("head") > 2 {
                if let Some(n) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = n.trim().parse().expect("length");
                }
                line.clear();
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", answer.len());
            reader.get_mut().write_all(format!("{head}{answer}").as_bytes()).expect("answer");
            String::from_utf8(body).expect("utf-8")
        });
        let client = Client::new(&format!("unix://{}", path.display()), None, None).expect("client");
        (dir, client, server)
    }

    #[test]
    fn typed_calls_send_4_3_0_s_parameters_and_decode() {
        let (_dir, client, server) = answering(method_response(&Value::String("hello\n".into())));
        assert_eq!(client.read_process_stderr_log("g:b", -1600, 0).expect("read"), "hello\n");
        let request = server.join().expect("server");
        assert!(request.contains("<methodName>supervisor.readProcessStderrLog</methodName>"), "{request}");
        let params: Vec<&str> = request.split("<param>").skip(1).collect();
        assert_eq!(params.len(), 3, "{request}");
        assert!(params[0].contains("g:b") && params[1].contains("-1600") && params[2].contains(">0<"), "{request}");

        let (_dir, client, server) = answering(method_response(&Value::Array(vec![])));
        assert_eq!(client.signal_all_processes("HUP").expect("results"), vec![]);
        assert!(server.join().expect("server").contains("HUP"));
    }

    #[test]
    fn a_malformed_answer_is_an_error() {
        let mut info = std::collections::BTreeMap::new();
        info.insert("name".to_owned(), Value::String("a".into()));
        let (_dir, client, _server) = answering(method_response(&Value::Struct(info)));
        let e = client.get_process_info("a").expect_err("no group");
        assert!(matches!(&e, ClientError::Unexpected { method, .. } if method == "supervisor.getProcessInfo"));
        assert_eq!(e.to_string(), r#"unexpected answer to supervisor.getProcessInfo: no member "group""#);
        assert_eq!(e.fault(), None);

        let (_dir, client, _server) = answering(method_response(&Value::Integer(3)));
        assert!(matches!(client.get_all_process_info(), Err(ClientError::Unexpected { .. })));
        let (_dir, client, _server) = answering("<html>no</html>".into());
        assert!(matches!(client.get_pid(), Err(ClientError::BadResponse)));
    }

    #[test]
    fn a_fault_keeps_its_code_and_string() {
        let (_dir, client, _server) = answering(fault_response(10, "BAD_NAME: x"));
        let e = client.start_process("x").expect_err("a fault");
        assert_eq!(e.fault(), Some(Fault::BadName));
        assert_eq!(e.to_string(), "10: BAD_NAME: x");
    }
}
