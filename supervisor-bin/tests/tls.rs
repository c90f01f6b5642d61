//! `tls_cert`, `tls_key` and `tls_client_ca` of `[inet_http_server]`:
//! https for curl, Python's `xmlrpc.client` and our supervisorctl (a
//! `tls_ca` or the system roots), mutual TLS, a plain-http client told to
//! use https, new certificates taken at a reload, bad files as `--check`
//! errors. The CA and certificates are made here (rcgen).

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A CA that signs certificates, written as `<name>.pem`.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new(dir: &Path, name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, format!("test CA {name}"));
        params.distinguished_name = dn;
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("CA certificate");
        std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).expect("write CA");
        Ca { issuer: Issuer::new(params, key) }
    }

    /// A certificate for `names` (server or client), written as
    /// `<file>.pem` and `<file>.key`.
    fn issue(&self, dir: &Path, file: &str, names: &[&str], client: bool) {
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).expect("params");
        params.extended_key_usages =
            vec![if client { ExtendedKeyUsagePurpose::ClientAuth } else { ExtendedKeyUsagePurpose::ServerAuth }];
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("certificate");
        std::fs::write(dir.join(format!("{file}.pem")), cert.pem()).expect("write certificate");
        std::fs::write(dir.join(format!("{file}.key")), key.serialize_pem()).expect("write key");
    }
}

fn config(dir: &Path, port: u16, mutual_port: u16) -> String {
    let d = dir.display();
    format!(
        "{}[inet_http_server]\nport=127.0.0.1:{port}\nusername=user\npassword=pass\n\
         tls_cert={d}/server.pem\ntls_key={d}/server.key\n\
         [inet_http_server:mutual]\nport=127.0.0.1:{mutual_port}\n\
         tls_cert={d}/server.pem\ntls_key={d}/server.key\ntls_client_ca={d}/ca.pem\n\
         [program:sleeper]\ncommand=sleep 300\nstartsecs=0\n",
        daemon_sections(dir, "")
    )
}

const GET_STATE: &str =
    "<?xml version=\"1.0\"?><methodCall><methodName>supervisor.getState</methodName><params/></methodCall>";

fn curl(args: &[&str]) -> Output {
    Command::new("curl").args(["-sS", "--max-time", "30"]).args(args).output().expect("curl")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn ctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_supervisorctl")).args(args).output().expect("supervisorctl")
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

#[test]
fn https_for_curl_python_and_supervisorctl_and_mutual_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let ca = Ca::new(d, "ca");
    ca.issue(d, "server", &["localhost", "127.0.0.1"], false);
    ca.issue(d, "client", &["client"], true);
    Ca::new(d, "other").issue(d, "stranger", &["client"], true);
    let (port, mutual) = (free_port(), free_port());
    let (_guard, daemon_pid) = start_daemon(&write_conf(d, &config(d, port, mutual)));
    let url = format!("https://localhost:{port}");
    wait_until("the https server", || {
        curl(&["--cacert", &path(d, "ca.pem"), "-o", "/dev/null", &format!("{url}/ok.html")]).status.success()
    });

    // curl: the API and the web page, over https, behind Basic auth.
    let cacert = path(d, "ca.pem");
    let rpc = |extra: &[&str], base: &str| {
        let mut args = vec!["--cacert", cacert.as_str(), "-H", "Content-Type: text/xml", "--data", GET_STATE];
        args.extend_from_slice(extra);
        let target = format!("{base}/RPC2");
        args.push(&target);
        curl(&args)
    };
    let answer = rpc(&["-u", "user:pass"], &url);
    assert!(text(&answer).contains("RUNNING"), "{}", text(&answer));
    let page = curl(&["--cacert", &cacert, "-u", "user:pass", &format!("{url}/")]);
    assert!(text(&page).contains("sleeper"), "the web page over https: {}", text(&page));
    let denied = curl(&["--cacert", &cacert, "-o", "/dev/null", "-w", "%{http_code}", &format!("{url}/")]);
    assert_eq!(text(&denied), "401");
    // A client that does not trust the CA refuses the server.
    let untrusted = curl(&["-o", "/dev/null", &format!("{url}/ok.html")]);
    assert_eq!(untrusted.status.code(), Some(60), "{}", text(&untrusted));

    // Plain http to the TLS port: told to use https, connection closed.
    let plain = curl(&["-w", "\n%{http_code}", &format!("http://127.0.0.1:{port}/RPC2")]);
    let said = text(&plain);
    assert!(said.ends_with("400") && said.contains("https"), "{said}");

    // Python's xmlrpc.client with an SSL context.
    let script = format!(
        "import ssl, xmlrpc.client\nctx = ssl.create_default_context(cafile={cacert:?})\n\
         proxy = xmlrpc.client.ServerProxy('https://user:pass@localhost:{port}/RPC2', context=ctx)\n\
         print(proxy.supervisor.getState()['statename'])\n\
         print(proxy.supervisor.getProcessInfo('sleeper')['statename'])\n"
    );
    let python = Command::new(venv("python")).args(["-c", &script]).output().expect("python");
    assert_eq!(String::from_utf8_lossy(&python.stdout), "RUNNING\nRUNNING\n", "{}", text(&python));

    // supervisorctl: serverurl and tls_ca from [supervisorctl].
    let ctl_conf = d.join("ctl.conf");
    std::fs::write(
        &ctl_conf,
        format!("[supervisorctl]\nserverurl={url}\nusername=user\npassword=pass\ntls_ca={cacert}\n"),
    )
    .expect("write ctl.conf");
    let status = ctl(&["-c", ctl_conf.to_str().expect("utf-8"), "status"]);
    assert!(text(&status).starts_with("sleeper ") && text(&status).contains("RUNNING"), "{}", text(&status));
    // -s https://... against the system roots: a clear error, not a hang.
    let refused = ctl(&["-s", &url, "-u", "user", "-p", "pass", "status"]);
    let said = text(&refused);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("certificate is not trusted"), "{said}");

    // Mutual TLS: a client certificate from the CA gets in; one from
    // another CA, or none, does not.
    let mutual_url = format!("https://localhost:{mutual}");
    let trusted = rpc(&["--cert", &path(d, "client.pem"), "--key", &path(d, "client.key")], &mutual_url);
    assert!(text(&trusted).contains("RUNNING"), "{}", text(&trusted));
    let stranger = rpc(&["--cert", &path(d, "stranger.pem"), "--key", &path(d, "stranger.key")], &mutual_url);
    assert!(!stranger.status.success() && !text(&stranger).contains("RUNNING"), "{}", text(&stranger));
    let anonymous = rpc(&[], &mutual_url);
    assert!(!anonymous.status.success() && !text(&anonymous).contains("RUNNING"), "{}", text(&anonymous));

    // A reload reads the files again: a certificate from a new CA is used
    // for new connections, on the same listening socket.
    let renewed = Ca::new(d, "ca2");
    renewed.issue(d, "server", &["localhost", "127.0.0.1"], false);
    kill(daemon_pid, nix::sys::signal::Signal::SIGHUP);
    let ca2 = path(d, "ca2.pem");
    wait_until("the new certificate", || {
        curl(&["--cacert", &ca2, "-o", "/dev/null", &format!("{url}/ok.html")]).status.success()
    });
    assert_eq!(curl(&["--cacert", &cacert, "-o", "/dev/null", &format!("{url}/ok.html")]).status.code(), Some(60));
}

fn check(conf: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["--check", "-c", conf.to_str().expect("utf-8")])
        .output()
        .expect("supervisord --check")
}

#[test]
fn bad_tls_files_are_config_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    Ca::new(d, "ca").issue(d, "server", &["localhost"], false);
    Ca::new(d, "other").issue(d, "mismatch", &["localhost"], false);
    std::fs::write(d.join("garbage.key"), "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n").expect("write");
    let conf = |extra: &str| -> PathBuf {
        let text = format!(
            "[supervisord]\nlogfile={dd}/l\npidfile={dd}/p\n[inet_http_server]\nport=127.0.0.1:{}\n{extra}",
            free_port(),
            dd = d.display()
        );
        write_conf(d, &text)
    };
    let cert = path(d, "server.pem");
    let cases = [
        (
            format!("tls_cert={cert}\ntls_key={}\n", path(d, "garbage.key")),
            7,
            "tls_key",
            "garbage.key: not a valid PEM",
        ),
        (format!("tls_cert={cert}\ntls_key={}\n", path(d, "missing.key")), 7, "tls_key", "No such file or directory"),
        (format!("tls_cert={cert}\ntls_key={}\n", path(d, "mismatch.key")), 7, "tls_key", "cannot be used with"),
        (
            format!("tls_cert={}\ntls_key={}\n", path(d, "server.key"), path(d, "server.key")),
            6,
            "tls_cert",
            "no certificate",
        ),
        (format!("tls_cert={cert}\n"), 6, "tls_cert", "tls_cert requires tls_key"),
    ];
    for (extra, line, key, reason) in cases {
        let out = check(&conf(&extra));
        let said = text(&out);
        assert!(!out.status.success(), "{extra}: {said}");
        let wanted = format!("supervisord.conf:{line}: [inet_http_server] {key}: ");
        assert!(said.contains(&wanted) && said.contains(reason), "want {wanted}...{reason} for\n{extra}got: {said}");
    }
    let good = check(&conf(&format!(
        "tls_cert={cert}\ntls_key={}\ntls_client_ca={}\n",
        path(d, "server.key"),
        path(d, "ca.pem")
    )));
    assert!(good.status.success(), "{}", text(&good));
}
