//! Starting a real server process, talking to it over HTTPS with its own certificate, and
//! running the operator CLI against its data.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Which database a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$body` once per backend as two tests named `sqlite` and `postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::harness::postgres_admin_url().is_some() {
                    super::$name($crate::harness::Backend::Postgres).await
                }
            }
        }
    };
}

/// Returns the PostgreSQL admin URL; with `CI=true` its absence is a failure, not a skip.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("LEITSTAND_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("LEITSTAND_TEST_DATABASE_URL is not set; in CI the PostgreSQL suite must run (./test.sh sets it)")
        }
        _ => {
            eprintln!("skipping the PostgreSQL variant: LEITSTAND_TEST_DATABASE_URL is not set (./test.sh sets it)");
            None
        }
    }
}

/// Creates a fresh PostgreSQL database and returns its URL.
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let admin = postgres_admin_url().expect("postgres url");
    let name = format!("leitstand_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create a test database");
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .expect("url with a database");
    format!("{base}/{name}")
}

/// The binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_leitstand"))
}

/// A running server and what is needed to talk to it.
pub struct Server {
    child: Option<Child>,
    pub url: String,
    pub data: PathBuf,
    _dir: Option<tempfile::TempDir>,
    pub database_url: Option<String>,
    /// Extra `serve` arguments, kept for restarts and peers.
    pub serve_args: Vec<String>,
    /// Environment variables of every server process and CLI run.
    pub env: Vec<(String, String)>,
    pub tenant: String,
    pub client: reqwest::Client,
    pub token: String,
    pub app_id: String,
    pub secret: String,
    /// The admin service principal's object id.
    pub object_id: String,
}

/// The built-in Owner role.
pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
/// The built-in Reader role.
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Server {
    /// Starts a server on a fresh database with a global-admin service principal signed in.
    pub async fn start(backend: Backend) -> Server {
        Server::start_with(backend, &[]).await
    }

    /// Like [`Server::start`], with extra `serve` arguments.
    pub async fn start_with(backend: Backend, serve_args: &[String]) -> Server {
        Server::start_with_env(backend, serve_args, &[]).await
    }

    /// Like [`Server::start_with`], with environment variables for the server and the CLI.
    pub async fn start_with_env(
        backend: Backend,
        serve_args: &[String],
        env: &[(String, String)],
    ) -> Server {
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_postgres_database().await),
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().to_path_buf();
        let mut server = Server::spawn(data, database_url, Some(dir), serve_args, env).await;
        let tenant = server.cli(&["tenant", "list"])[0]["id"]
            .as_str()
            .expect("first tenant")
            .to_owned();
        server.tenant = tenant.clone();
        let sp = server.cli(&[
            "sp",
            "create",
            "--tenant",
            &tenant,
            "--name",
            "admin",
            "--global-admin",
        ]);
        server.app_id = sp["appId"].as_str().expect("app id").to_owned();
        server.secret = sp["secret"].as_str().expect("secret").to_owned();
        server.token = server
            .sign_in(&tenant, &server.app_id.clone(), &server.secret.clone())
            .await
            .expect("sign in");
        // Nobody has access by default: the global admin elevates (User Access Administrator
        // at `/`) and makes itself Owner at `/`, as an MSP's first administrator would.
        let object_id = sp["objectId"].as_str().expect("object id").to_owned();
        server.object_id = object_id.clone();
        let elevated = server
            .call(
                reqwest::Method::POST,
                "/providers/Microsoft.Authorization/elevateAccess?api-version=2015-07-01",
                None,
            )
            .await;
        assert_eq!(elevated.0.as_u16(), 200, "elevate access: {elevated:?}");
        let owner = server
            .call(
                reqwest::Method::PUT,
                &format!(
                    "/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
                    uuid::Uuid::new_v4()
                ),
                Some(serde_json::json!({ "properties": {
                    "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{OWNER}"),
                    "principalId": object_id,
                }})),
            )
            .await;
        assert_eq!(owner.0.as_u16(), 201, "Owner at /: {owner:?}");
        server
    }

    /// Starts another server process on the same database with a data directory of its own,
    /// as on another machine (PostgreSQL only: a SQLite database lives in the data directory).
    pub async fn start_elsewhere(&self) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut other = Server::spawn(
            dir.path().to_path_buf(),
            self.database_url.clone(),
            Some(dir),
            &self.serve_args.clone(),
            &self.env.clone(),
        )
        .await;
        other.tenant = self.tenant.clone();
        other.app_id = self.app_id.clone();
        other.secret = self.secret.clone();
        other.object_id = self.object_id.clone();
        other.token = other
            .sign_in(&self.tenant, &self.app_id, &self.secret)
            .await
            .expect("sign in on the other machine");
        other
    }

    /// Starts another server process on the same data directory and database.
    pub async fn start_peer(&self) -> Server {
        let mut peer = Server::spawn(
            self.data.clone(),
            self.database_url.clone(),
            None,
            &self.serve_args.clone(),
            &self.env.clone(),
        )
        .await;
        peer.tenant = self.tenant.clone();
        peer.app_id = self.app_id.clone();
        peer.secret = self.secret.clone();
        peer.token = peer
            .sign_in(&self.tenant, &self.app_id, &self.secret)
            .await
            .expect("sign in on the peer");
        peer
    }

    /// Starts a new server process on the same data directory and database after
    /// [`Server::kill`] (or kills this one first), and signs in again as the same principal.
    pub async fn restart(&mut self) {
        self.kill();
        let serve_args = self.serve_args.clone();
        let env = self.env.clone();
        let mut fresh = Server::spawn(
            self.data.clone(),
            self.database_url.clone(),
            self._dir.take(),
            &serve_args,
            &env,
        )
        .await;
        fresh.token = fresh
            .sign_in(&self.tenant, &self.app_id, &self.secret)
            .await
            .expect("sign in after the restart");
        self.child = fresh.child.take();
        self._dir = fresh._dir.take();
        self.url = std::mem::take(&mut fresh.url);
        self.client = fresh.client.clone();
        self.token = std::mem::take(&mut fresh.token);
    }

    async fn spawn(
        data: PathBuf,
        database_url: Option<String>,
        dir: Option<tempfile::TempDir>,
        serve_args: &[String],
        env: &[(String, String)],
    ) -> Server {
        // The port is picked by binding port 0 and letting it go, so another test process can
        // take it before this server binds it; the server then exits, and a fresh port is tried.
        let mut started = None;
        for _attempt in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(binary());
            cmd.arg("--data").arg(&data).args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--self-signed",
            ]);
            cmd.args(serve_args);
            if let Some(url) = &database_url {
                cmd.arg("--database-url").arg(url);
            }
            cmd.envs(env.iter().map(|(k, v)| (k, v)));
            cmd.env("LEITSTAND_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit());
            let mut child = cmd.spawn().expect("start leitstand serve");
            let url = format!("https://127.0.0.1:{port}");
            let mut ca = None;
            for _ in 0..1200 {
                if let Ok(pem) = std::fs::read(data.join("tls/cert.pem")) {
                    ca = Some(pem);
                    break;
                }
                if child.try_wait().expect("server status").is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let Some(ca) = ca else {
                assert!(
                    child.try_wait().expect("server status").is_some(),
                    "the server wrote no certificate within a minute"
                );
                continue;
            };
            let client = reqwest::Client::builder()
                .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("pem"))
                .build()
                .expect("client");
            let mut ready = false;
            let mut exited = false;
            // Up to a minute: a loaded CI machine can be slow to start a process.
            for _ in 0..1200 {
                if child.try_wait().expect("server status").is_some() {
                    exited = true;
                    break;
                }
                if client
                    .get(format!("{url}/readyz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
                {
                    ready = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if exited {
                eprintln!("the server on port {port} exited while starting; trying another port");
                continue;
            }
            assert!(ready, "server on port {port} did not become ready");
            started = Some((child, url, client));
            break;
        }
        let (child, url, client) = started.expect("a server started within five attempts");
        Server {
            child: Some(child),
            url,

            data,
            _dir: dir,
            database_url,
            tenant: String::new(),
            client,
            token: String::new(),
            app_id: String::new(),
            secret: String::new(),
            object_id: String::new(),
            serve_args: serve_args.to_vec(),
            env: env.to_vec(),
        }
    }

    /// Signs in with the client-credentials flow; `Err` carries the status and body.
    pub async fn sign_in(
        &self,
        tenant: &str,
        app_id: &str,
        secret: &str,
    ) -> Result<String, (StatusCode, Value)> {
        let response = self
            .client
            .post(format!("{}/{tenant}/oauth2/v2.0/token", self.url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", app_id),
                ("client_secret", secret),
                ("scope", &format!("{}//.default", self.url)),
            ])
            .send()
            .await
            .expect("token request");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status != StatusCode::OK {
            return Err((status, body));
        }
        Ok(body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned())
    }

    /// Runs the operator CLI on this server's data and returns its JSON output.
    pub fn cli(&self, args: &[&str]) -> Value {
        let output = self.cli_raw(args);
        assert!(
            output.status.success(),
            "leitstand {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "leitstand {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }

    /// Runs the operator CLI and returns its raw output.
    pub fn cli_raw(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new(binary());
        cmd.arg("--data")
            .arg(&self.data)
            .args(["--output", "json"])
            .args(args);
        if let Some(url) = &self.database_url {
            cmd.arg("--database-url").arg(url);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd.output().expect("run the CLI")
    }

    /// Sends an ARM request with the admin token; returns status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_as(&self.token.clone(), method, path, body).await
    }

    /// Sends an ARM request with a given token.
    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates a subscription through the CLI and returns its id.
    pub fn subscription(&self, name: &str) -> String {
        self.cli(&[
            "subscription",
            "create",
            "--tenant",
            &self.tenant,
            "--display-name",
            name,
        ])["subscriptionId"]
            .as_str()
            .expect("subscription id")
            .to_owned()
    }

    /// Stops the server with SIGTERM and returns how it exited.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("a running server");
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success());
        child.wait().expect("wait for the server")
    }

    /// Stops the server with SIGKILL (no graceful shutdown).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The management-group path with an api-version.
pub fn mg(id: &str) -> String {
    format!("/providers/Microsoft.Management/managementGroups/{id}?api-version=2021-04-01")
}

/// Asserts an ARM error: status and code.
pub fn assert_arm_error(got: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "unexpected status, body {}", got.1);
    assert_eq!(
        got.1["error"]["code"].as_str(),
        Some(code),
        "unexpected error body {}",
        got.1
    );
    assert!(
        got.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "error without message: {}",
        got.1
    );
}

/// A real S3-compatible server (s3s-fs, built by `./test.sh`, named by `LEITSTAND_S3_SERVER`)
/// with one bucket, `costs`, and SigV4 credentials.
pub struct S3Server {
    child: Child,
    pub endpoint: String,
    /// The server's storage: each bucket is a folder, each object a file.
    pub root: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    pub const BUCKET: &'static str = "costs";
    const ACCESS_KEY: &'static str = "leitstand-test";
    const SECRET_KEY: &'static str = "leitstand-test-secret";

    /// Starts one; `None` (a skip) only outside CI when `LEITSTAND_S3_SERVER` is not set.
    pub fn start() -> Option<S3Server> {
        let binary = match std::env::var("LEITSTAND_S3_SERVER") {
            Ok(b) if !b.is_empty() => b,
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("LEITSTAND_S3_SERVER is not set; in CI the object-store tests must run (./test.sh builds s3s-fs)")
            }
            _ => {
                eprintln!("skipping: LEITSTAND_S3_SERVER is not set (./test.sh sets it)");
                return None;
            }
        };
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(root.path().join(Self::BUCKET)).expect("bucket folder");
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(&binary)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", Self::ACCESS_KEY])
                .args(["--secret-key", Self::SECRET_KEY])
                .arg(root.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start s3s-fs");
            for _ in 0..200 {
                if child.try_wait().expect("s3s-fs status").is_some() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(S3Server {
                        child,
                        endpoint: format!("http://127.0.0.1:{port}"),
                        root,
                    });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
        }
        panic!("s3s-fs did not start");
    }

    /// The environment that makes a server and the CLI keep cost detail under `s3://costs/{prefix}`.
    pub fn env(&self, prefix: &str) -> Vec<(String, String)> {
        [
            (
                "LEITSTAND_COST_STORE",
                format!("s3://{}/{prefix}", Self::BUCKET),
            ),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", Self::ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", Self::SECRET_KEY.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}
