//! `https://` ready checks against a real TLS server: the certificate is
//! checked against the trusted roots (here a test CA, named by
//! `SSL_CERT_FILE` as OpenSSL's tools take it), host name included.

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

use supervisor_core::process::ProcessState::{Fatal, Running};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_checks_trust_the_roots_and_the_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    );
    openssl(
        d,
        &["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "srv.key", "-out", "srv.csr"],
    );
    std::fs::write(d.join("ext"), "subjectAltName=DNS:localhost\n").expect("ext");
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext",
            "-out",
            "srv.pem",
        ],
    );
    // This test binary's only test: the roots are read once per process.
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("SSL_CERT_FILE", d.join("ca.pem")) };
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let server = d.join("tls.py");
    std::fs::write(
        &server,
        format!(
            "import http.server, ssl\nclass H(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        \
             self.send_response(200)\n        self.end_headers()\n    def log_message(self, *a): pass\n\
             s = http.server.HTTPServer(('127.0.0.1', {port}), H)\nc = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
             c.load_cert_chain('{d}/srv.pem', '{d}/srv.key')\ns.socket = c.wrap_socket(s.socket, server_side=True)\n\
             s.serve_forever()\n",
            d = d.display()
        ),
    )
    .expect("server");
    let programs = format!(
        "[program:tls]\ncommand=python3 {}\nready_check=https://localhost:{port}/\nready_check_interval=0.2\n\
         [program:wrongname]\ncommand=sleep 600\nready_check=https://127.0.0.1:{port}/\nready_check_interval=0.2\n\
         ready_check_timeout=1.5\nstartretries=0\n",
        server.display()
    );
    let (sv, mut ev) = start(d, &programs);
    wait_for(&mut ev, "tls", Running).await;
    log_contains(d, &format!("success: tls entered RUNNING state, process is ready (https://localhost:{port}/)")).await;
    // The certificate names localhost, not 127.0.0.1: never ready.
    wait_for(&mut ev, "wrongname", Fatal).await;
    sv.shutdown().await.expect("shutdown");
}
