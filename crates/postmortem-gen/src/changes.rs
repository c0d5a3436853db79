//! Changes as the tools that make them write them: GitOps controllers
//! (Argo CD, Flux), CI/CD jobs (Helm, kubectl, Terraform, Nomad, schema
//! migrations with Alembic, Flyway, Liquibase), configuration management
//! (Puppet, Chef, Salt), feature-flag audit logs (Unleash, LaunchDarkly,
//! Flagsmith), Envoy's xDS cluster updates, HAProxy's runtime API, chat-ops
//! bots and plain `key=value` change records. Each tool writes into a file
//! whose name says what it is (`cd/`, `ci/`, `ops/`, `audit/`, `release/`,
//! `changes.log`), in its own layout and words.

use crate::clock::{civil, comma_ms, rfc3339, syslog, SEC};
use crate::rng::fnv;

/// A tool that records changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    ArgoCd,
    Flux,
    Helm,
    KubectlChatops,
    KubectlRollout,
    Terraform,
    Nomad,
    Puppet,
    Chef,
    Salt,
    Unleash,
    LaunchDarkly,
    Flagsmith,
    EnvoyXds,
    HaproxyRuntime,
    ActionApply,
    DiffField,
    Alembic,
    Flyway,
    Liquibase,
}

/// What changed.
#[derive(Clone, Debug)]
pub struct What {
    pub service: &'static str,
    pub namespace: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub user: &'static str,
    pub flag: &'static str,
    /// A host the change ran on (configuration management, runtime API).
    pub host: &'static str,
    /// A backend address the change names (runtime API, xDS).
    pub addr: &'static str,
}

/// One line of a change log: time, text, and whether it is the change
/// itself (`"cause"`/`"fix"` tags are given by the caller).
pub type Line = (i64, String, bool);

impl Tool {
    /// The file the tool's lines go to.
    pub fn path(self) -> &'static str {
        match self {
            Tool::ArgoCd => "cd/argocd-application-controller.log",
            Tool::Flux => "cd/flux-system/kustomize-controller.log",
            Tool::Helm => "ci/deploy-production.log",
            Tool::KubectlChatops => "ops/chatops-audit.log",
            Tool::KubectlRollout => "ci/rollout-job.log",
            Tool::Terraform => "ci/terraform-apply.log",
            Tool::Nomad => "deploy/nomad-run.log",
            Tool::Puppet => "ops/puppet-agent.log",
            Tool::Chef => "ops/chef-client.log",
            Tool::Salt => "ops/salt-minion.log",
            Tool::Unleash => "audit/unleash-events.log",
            Tool::LaunchDarkly => "audit/launchdarkly-audit.log",
            Tool::Flagsmith => "audit/flagsmith-audit-log.jsonl",
            Tool::EnvoyXds => "ops/envoy-control-plane.log",
            Tool::HaproxyRuntime => "audit/haproxy-runtime-api.log",
            Tool::ActionApply => "changes/ops-audit.log",
            Tool::DiffField => "changes.log",
            Tool::Alembic => "release/db-migrate.log",
            Tool::Flyway => "release/flyway-migrate.log",
            Tool::Liquibase => "release/liquibase-update.log",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tool::ArgoCd => "argocd",
            Tool::Flux => "flux",
            Tool::Helm => "helm",
            Tool::KubectlChatops => "kubectl-chatops",
            Tool::KubectlRollout => "kubectl-rollout",
            Tool::Terraform => "terraform",
            Tool::Nomad => "nomad",
            Tool::Puppet => "puppet",
            Tool::Chef => "chef",
            Tool::Salt => "salt",
            Tool::Unleash => "unleash",
            Tool::LaunchDarkly => "launchdarkly",
            Tool::Flagsmith => "flagsmith",
            Tool::EnvoyXds => "envoy-xds",
            Tool::HaproxyRuntime => "haproxy-runtime",
            Tool::ActionApply => "action-apply",
            Tool::DiffField => "diff-field",
            Tool::Alembic => "alembic",
            Tool::Flyway => "flyway",
            Tool::Liquibase => "liquibase",
        }
    }
}

fn hex(seed: &str, n: usize) -> String {
    let a = format!("{:016x}", fnv(seed.as_bytes()));
    let b = format!("{:016x}", fnv(format!("{seed}/2").as_bytes()));
    let mut s = a + &b;
    while s.len() < n {
        s = s.clone() + &s;
    }
    s[..n].to_string()
}

/// GitHub Actions' log prefix: RFC 3339 with 7 fraction digits.
fn gha(t: i64) -> String {
    let c = civil(t, 0);
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{}Z",
        c.y,
        c.mo,
        c.d,
        c.h,
        c.mi,
        c.s,
        c.us,
        (t.rem_euclid(7) + 1) % 10
    )
}

/// `kubectl logs --timestamps`: RFC 3339 with 9 fraction digits.
fn kts(t: i64) -> String {
    rfc3339(t, 0, 9)
}

/// The lines a tool writes for one change at `t` (`back`: the rollback,
/// which undoes `what`). The change line itself is marked.
pub fn lines(tool: Tool, t: i64, w: &What, back: bool) -> Vec<Line> {
    let (from, to) = if back { (w.to, w.from) } else { (w.from, w.to) };
    let rev = hex(&format!("{}{}{t}", w.service, to), 40);
    let short = &rev[..7];
    let s = SEC;
    let mut v: Vec<Line> = Vec::new();
    let mut push = |dt: i64, text: String, main: bool| v.push((t + dt, text, main));
    match tool {
        Tool::ArgoCd => {
            let app = format!("argocd/{}", w.service);
            let tail = format!("application={app} dest-namespace={} dest-server=\"https://kubernetes.default.svc\"", w.namespace);
            let ts = |dt: i64| rfc3339(t + dt, 0, 0);
            push(-4 * s, format!("time=\"{}\" level=info msg=\"Refreshing app status (comparison expired, requesting refresh. reconciledAt: 2m58s ago, expiry: 3m0s), level (2)\" {tail}", ts(-4 * s)), false);
            push(-3 * s, format!("time=\"{}\" level=info msg=\"Initiated automated sync to '{short}'\" {tail} reason=OperationStarted type=Normal", ts(-3 * s)), false);
            push(0, format!("time=\"{}\" level=info msg=\"Updated sync status: OutOfSync -> Synced\" {tail} reason=ResourceUpdated type=Normal", ts(0)), false);
            push(0, format!("time=\"{}\" level=info msg=\"Sync operation to {short} succeeded\" {tail} reason=OperationCompleted type=Normal image=registry.example.com/{}:{to}", ts(0), w.service), true);
            push(40 * s, format!("time=\"{}\" level=info msg=\"Updated health status: Progressing -> Healthy\" {tail} reason=ResourceUpdated type=Normal", ts(40 * s)), false);
        }
        Tool::Flux => {
            let head = |dt: i64, level: &str, msg: &str| {
                format!("{{\"level\":\"{level}\",\"ts\":\"{}\",\"msg\":\"{msg}\",\"controller\":\"kustomization\",\"controllerGroup\":\"kustomize.toolkit.fluxcd.io\",\"controllerKind\":\"Kustomization\",\"Kustomization\":{{\"name\":\"{}\",\"namespace\":\"flux-system\"}},\"namespace\":\"flux-system\",\"name\":\"{}\",\"reconcileID\":\"{}\"",
                    rfc3339(t + dt, 0, 3), w.namespace, w.namespace, hex(&rev, 8))
            };
            push(0, format!("{},\"output\":{{\"Deployment/{}/{}\":\"configured\",\"Service/{}/{}\":\"unchanged\"}},\"revision\":\"main@sha1:{rev}\"}}", head(0, "info", "server-side apply completed"), w.namespace, w.service, w.namespace, w.service), true);
            push(
                1_200_000,
                format!(
                    "{},\"revision\":\"main@sha1:{rev}\"}}",
                    head(
                        1_200_000,
                        "info",
                        "Reconciliation finished in 1.2s, next run in 10m0s"
                    )
                ),
                false,
            );
        }
        Tool::Helm => {
            push(-2 * s, format!("{} ##[group]Run helm upgrade --install {} ./charts/{} --namespace {} --set image.tag={to} --atomic=false", gha(t - 2 * s), w.service, w.service, w.namespace), false);
            push(-2 * s + 3_000, format!("{} helm upgrade --install {} ./charts/{} --namespace {} --set image.tag={to} --atomic=false", gha(t - 2 * s + 3_000), w.service, w.service, w.namespace), false);
            push(
                -2 * s + 4_000,
                format!("{} shell: /usr/bin/bash -e {{0}}", gha(t - 2 * s + 4_000)),
                false,
            );
            push(
                -2 * s + 5_000,
                format!("{} ##[endgroup]", gha(t - 2 * s + 5_000)),
                false,
            );
            push(
                0,
                format!(
                    "{} Release \"{}\" has been upgraded. Happy Helming!",
                    gha(t),
                    w.service
                ),
                true,
            );
            push(
                1_000,
                format!("{} NAME: {}", gha(t + 1_000), w.service),
                false,
            );
            let c = civil(t, 0);
            push(
                2_000,
                format!(
                    "{} LAST DEPLOYED: {} {} {:>2} {:02}:{:02}:{:02} {}",
                    gha(t + 2_000),
                    ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
                        [(t.div_euclid(86_400 * s)).rem_euclid(7) as usize],
                    c.month_abbr(),
                    c.d,
                    c.h,
                    c.mi,
                    c.s,
                    c.y
                ),
                false,
            );
            push(
                3_000,
                format!("{} NAMESPACE: {}", gha(t + 3_000), w.namespace),
                false,
            );
            push(4_000, format!("{} STATUS: deployed", gha(t + 4_000)), false);
            push(
                5_000,
                format!(
                    "{} REVISION: {}",
                    gha(t + 5_000),
                    40 + (fnv(rev.as_bytes()) % 50)
                ),
                false,
            );
        }
        Tool::KubectlChatops => {
            let cmd = format!(
                "kubectl set image deployment/{} {}=registry.example.com/{}:{to} -n {}",
                w.service, w.service, w.service, w.namespace
            );
            push(-1_500_000, format!("{{\"ts\":\"{}\",\"level\":\"info\",\"bot\":\"opsbot\",\"event\":\"command_received\",\"user\":\"{}\",\"channel\":\"#shop-ops\",\"text\":\"!run {}\"}}", rfc3339(t - 1_500_000, 0, 3), w.user, cmd), false);
            push(0, format!("{{\"ts\":\"{}\",\"level\":\"info\",\"bot\":\"opsbot\",\"event\":\"command_executed\",\"user\":\"{}\",\"channel\":\"#shop-ops\",\"command\":\"{cmd}\",\"exit_code\":0,\"stdout\":\"deployment.apps/{} image updated\"}}", rfc3339(t, 0, 3), w.user, w.service), true);
        }
        Tool::KubectlRollout => {
            push(
                -3_000,
                format!(
                    "{} + kubectl -n {} set image deployment/{} {}=registry.example.com/{}:{to}",
                    gha(t - 3_000),
                    w.namespace,
                    w.service,
                    w.service,
                    w.service
                ),
                false,
            );
            push(
                0,
                format!("{} deployment.apps/{} image updated", gha(t), w.service),
                true,
            );
            push(
                200_000,
                format!(
                    "{} + kubectl -n {} rollout status deployment/{} --timeout=120s",
                    gha(t + 200_000),
                    w.namespace,
                    w.service
                ),
                false,
            );
            push(9 * s, format!("{} Waiting for deployment \"{}\" rollout to finish: 1 of 3 updated replicas are available...", gha(t + 9 * s), w.service), false);
            push(
                31 * s,
                format!(
                    "{} deployment \"{}\" successfully rolled out",
                    gha(t + 31 * s),
                    w.service
                ),
                false,
            );
        }
        Tool::Terraform => {
            let addr = "aws_lb_target_group_attachment.api";
            let id = format!(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{}/{}",
                w.service,
                &rev[..16]
            );
            push(
                -9 * s,
                format!("{} {addr}: Modifying... [id={id}]", gha(t - 9 * s)),
                false,
            );
            push(
                0,
                format!(
                    "{} {addr}: Modifications complete after 9s [id={id}]",
                    gha(t)
                ),
                true,
            );
            push(
                300_000,
                format!(
                    "{} Apply complete! Resources: 0 added, 1 changed, 0 destroyed.",
                    gha(t + 300_000)
                ),
                false,
            );
        }
        Tool::Nomad => {
            let eval = hex(&rev, 8);
            push(
                -1_000_000,
                format!(
                    "==> {}: Monitoring evaluation \"{eval}\"",
                    rfc3339(t - 1_000_000, 0, 0)
                ),
                false,
            );
            push(
                -1_000_000,
                format!(
                    "    {}: Evaluation triggered by job \"{}\"",
                    rfc3339(t - 1_000_000, 0, 0),
                    w.service
                ),
                false,
            );
            push(
                0,
                format!(
                    "    {}: Allocation \"{}\" created: node \"{}\", group \"api\"",
                    rfc3339(t, 0, 0),
                    hex(&eval, 8),
                    hex(w.host, 8)
                ),
                true,
            );
            push(
                0,
                format!(
                    "    {}: Evaluation within deployment: \"{}\"",
                    rfc3339(t, 0, 0),
                    hex(&rev[8..], 8)
                ),
                false,
            );
            push(
                SEC,
                format!(
                    "==> {}: Evaluation \"{eval}\" finished with status \"complete\"",
                    rfc3339(t + SEC, 0, 0)
                ),
                false,
            );
        }
        Tool::Puppet => {
            let p = |dt: i64, m: String| {
                format!(
                    "{} {} puppet-agent[{}]: {m}",
                    syslog(t + dt, 0),
                    w.host,
                    30_000 + fnv(w.host.as_bytes()) % 9_000
                )
            };
            push(
                -14 * s,
                p(-14 * s, format!("Applying configuration version '{short}'")),
                false,
            );
            push(0, p(0, format!("(/Stage[main]/Shop::Api::Config/File[/etc/{}/pool.yaml]/content) content changed '{{sha256}}{}' to '{{sha256}}{}'", w.service, hex(from, 32), hex(to, 32))), true);
            push(400_000, p(400_000, format!("(/Stage[main]/Shop::Api::Service/Service[{}]) Triggered 'refresh' from 1 event", w.service)), false);
            push(
                2 * s,
                p(2 * s, "Applied catalog in 16.21 seconds".into()),
                false,
            );
        }
        Tool::Chef => {
            let c = |dt: i64| format!("[{}]", rfc3339(t + dt, 0, 0).replace('Z', "+00:00"));
            push(-20 * s, format!("{} INFO: Processing template[/etc/{}/pool.yaml] action create (shop_api::config line 18)", c(-20 * s), w.service), false);
            push(
                0,
                format!(
                    "{} INFO: template[/etc/{}/pool.yaml] updated file contents /etc/{}/pool.yaml",
                    c(0),
                    w.service,
                    w.service
                ),
                true,
            );
            push(1_000_000, format!("{} INFO: template[/etc/{}/pool.yaml] sending restart action to service[{}] (delayed)", c(1_000_000), w.service, w.service), false);
            push(
                3 * s,
                format!("{} INFO: service[{}] restarted", c(3 * s), w.service),
                false,
            );
            push(
                4 * s,
                format!(
                    "{} INFO: Chef Infra Client Run complete in 24.120332981 seconds",
                    c(4 * s)
                ),
                false,
            );
        }
        Tool::Salt => {
            let c = |dt: i64, lvl: &str, mod_: &str, m: String| {
                format!(
                    "{} [{mod_:<17}:{}][{lvl:<8}][{}] {m}",
                    comma_ms(t + dt, 0),
                    300 + (fnv(mod_.as_bytes()) % 100),
                    24_000 + fnv(w.host.as_bytes()) % 5000
                )
            };
            push(
                -2 * s,
                c(
                    -2 * s,
                    "INFO",
                    "salt.state",
                    format!(
                        "Running state [/etc/{}/pool.yaml] at time {}",
                        w.service,
                        &comma_ms(t - 2 * s, 0)[11..]
                    ),
                ),
                false,
            );
            push(0, c(0, "INFO", "salt.state", format!("File changed:\n--- \n+++ \n@@ -3 +3 @@\n-max_connections: {from}\n+max_connections: {to}")), true);
            push(
                35_000,
                c(
                    35_000,
                    "INFO",
                    "salt.state",
                    format!(
                        "Completed state [/etc/{}/pool.yaml] at time {} (duration_in_ms=35.2)",
                        w.service,
                        &comma_ms(t + 35_000, 0)[11..]
                    ),
                ),
                false,
            );
        }
        Tool::Unleash => {
            let ty = if back {
                "feature-environment-disabled"
            } else {
                "feature-environment-enabled"
            };
            push(0, format!("{{\"id\":{},\"type\":\"{ty}\",\"createdBy\":\"{}@example.com\",\"createdAt\":\"{}\",\"data\":null,\"preData\":null,\"tags\":[],\"featureName\":\"{}\",\"project\":\"default\",\"environment\":\"production\"}}", 3000 + fnv(rev.as_bytes()) % 900, w.user, rfc3339(t, 0, 3), w.flag), true);
        }
        Tool::LaunchDarkly => {
            let verb = if back {
                "turned off the flag"
            } else {
                "turned on the flag"
            };
            push(0, format!("{{\"_id\":\"{}\",\"date\":{},\"kind\":\"flag\",\"name\":\"{}\",\"description\":\"\",\"shortDescription\":\"\",\"member\":{{\"_id\":\"{}\",\"email\":\"{}@example.com\"}},\"titleVerb\":\"{verb}\",\"title\":\"{}@example.com {verb} [{}](https://app.launchdarkly.com/default/production/features/{}) in `Production`\",\"target\":{{\"name\":\"{}\",\"resources\":[\"proj/default:env/production:flag/{}\"]}}}}", hex(&rev, 24), t / 1000, w.flag, hex(w.user, 24), w.user, w.user, w.flag, w.flag, w.flag, w.flag), true);
        }
        Tool::Flagsmith => {
            push(0, format!("{{\"id\":{},\"created_date\":\"{}\",\"log\":\"Flag state / Remote config value updated for feature: {}\",\"author\":{{\"email\":\"{}@example.com\"}},\"environment\":{{\"name\":\"Production\"}},\"project\":{{\"name\":\"shop\"}},\"related_object_id\":{},\"related_object_type\":\"FEATURE_STATE\",\"is_system_event\":false}}", 9000 + fnv(rev.as_bytes()) % 900, rfc3339(t, 0, 6), w.flag, w.user, 41_000 + fnv(w.flag.as_bytes()) % 1000), true);
        }
        Tool::EnvoyXds => {
            let e = |dt: i64, m: &str| {
                let c = civil(t + dt, 0);
                format!(
                    "[{}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}][1][info][upstream] {m}",
                    c.y,
                    c.mo,
                    c.d,
                    c.h,
                    c.mi,
                    c.s,
                    c.us / 1000
                )
            };
            push(0, e(0, "[source/common/upstream/cds_api_helper.cc:32] cds: add 1 cluster(s), remove 0 cluster(s)"), false);
            push(2_000, e(2_000, &format!("[source/common/upstream/cds_api_helper.cc:69] cds: added/updated 1 cluster(s), skipped 0 unmodified cluster(s) (cluster {}: endpoint {} weight {to})", w.service, w.addr)), true);
        }
        Tool::HaproxyRuntime => {
            push(-300_000, format!("{} haproxy-admin[{}]: user={} socket=/run/haproxy/admin.sock cmd=\"set server app_servers/{} weight {to}\" response=\"\"", rfc3339(t - 300_000, 0, 3), 41_000 + fnv(w.user.as_bytes()) % 1000, w.user, w.host), false);
            push(0, format!("{} haproxy-admin[{}]: user={} socket=/run/haproxy/admin.sock cmd=\"set server app_servers/{} state ready\" response=\"\"", rfc3339(t, 0, 3), 41_000 + fnv(w.user.as_bytes()) % 1000, w.user, w.host), true);
        }
        Tool::ActionApply => {
            push(0, format!("time={} actor={} action=apply target=deployment/{} namespace={} revision={short} image=registry.example.com/{}:{to} result=success", rfc3339(t, 0, 0), w.user, w.service, w.namespace, w.service), true);
        }
        Tool::DiffField => {
            push(0, format!("ts={} level=info component=config-sync msg=\"config pushed\" service={} key=db.pool.max_connections diff=\"{from} -> {to}\" by={}", rfc3339(t, 0, 3), w.service, w.user), true);
        }
        Tool::Alembic => {
            push(
                -400_000,
                format!(
                    "{} INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.",
                    kts(t - 400_000)
                ),
                false,
            );
            push(
                -399_000,
                format!(
                    "{} INFO  [alembic.runtime.migration] Will assume transactional DDL.",
                    kts(t - 399_000)
                ),
                false,
            );
            push(0, format!("{} INFO  [alembic.runtime.migration] Running upgrade {} -> {}, add NOT NULL to orders.currency", kts(t), hex(from, 12), hex(to, 12)), true);
        }
        Tool::Flyway => {
            push(
                -900_000,
                format!(
                    "{} Flyway Community Edition 10.8.1 by Redgate",
                    kts(t - 900_000)
                ),
                false,
            );
            push(
                -800_000,
                format!(
                    "{} Database: jdbc:postgresql://db-01.internal:5432/shop (PostgreSQL 15.5)",
                    kts(t - 800_000)
                ),
                false,
            );
            push(
                -500_000,
                format!(
                    "{} Successfully validated 42 migrations (execution time 00:00.041s)",
                    kts(t - 500_000)
                ),
                false,
            );
            push(
                -400_000,
                format!(
                    "{} Current version of schema \"public\": 41",
                    kts(t - 400_000)
                ),
                false,
            );
            push(
                -300_000,
                format!(
                    "{} Migrating schema \"public\" to version \"42 - drop legacy price column\"",
                    kts(t - 300_000)
                ),
                false,
            );
            push(0, format!("{} Successfully applied 1 migration to schema \"public\", now at version v42 (execution time 00:00.298s)", kts(t)), true);
        }
        Tool::Liquibase => {
            let c = |dt: i64| {
                let x = civil(t + dt, 0);
                format!(
                    "[{}-{:02}-{:02} {:02}:{:02}:{:02}]",
                    x.y, x.mo, x.d, x.h, x.mi, x.s
                )
            };
            push(
                -2 * s,
                format!(
                    "{} INFO [liquibase.lockservice] Successfully acquired change log lock",
                    c(-2 * s)
                ),
                false,
            );
            push(0, format!("{} INFO [liquibase.changelog] ChangeSet db/changelog/042-orders-currency.yaml::42::{} ran successfully in 412ms", c(0), w.user), true);
            push(
                SEC,
                format!(
                    "{} INFO [liquibase.lockservice] Successfully released change log lock",
                    c(SEC)
                ),
                false,
            );
            push(
                SEC,
                "Liquibase command 'update' was executed successfully.".to_string(),
                false,
            );
        }
    }
    v
}
