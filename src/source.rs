//! What a source's name says about what it holds. A file under `deploy/`,
//! `release-agent.log`, an audit log, a CI job's output: its lines are
//! changes, whatever words they use, so the cause of an incident is found
//! even when no pattern knows the tool that wrote it. The same goes for a
//! line whose logger or program field names such a tool.

/// Words in a path, program or logger name that mark a log of changes.
const CHANGE_WORDS: &[&str] = &[
    "deploy",
    "deploys",
    "deployer",
    "deployment",
    "deployments",
    "release",
    "releases",
    "rollout",
    "rollouts",
    "ops",
    "chatops",
    "audit",
    "change",
    "changes",
    "changelog",
    "ci",
    "cd",
    "cicd",
    "pipeline",
    "pipelines",
    "gitops",
    "argocd",
    "flux",
    "helm",
    "terraform",
    "ansible",
    "puppet",
    "chef",
    "salt",
    "nomad",
    "spinnaker",
    "jenkins",
    "migrate",
    "migration",
    "migrations",
    "flyway",
    "liquibase",
    "alembic",
];

/// Field names that say which program or logger wrote a line.
const WRITER_FIELDS: &[&str] = &[
    "logger",
    "logger_name",
    "component",
    "SYSLOG_IDENTIFIER",
    "syslog_identifier",
    "_SYSTEMD_UNIT",
    "unit",
    "program",
    "bot",
    "tool",
];

/// Whether a name (path, program, logger) is made of a change word: the
/// words are the name's parts split at `/ . - _` and spaces, so
/// `cd/argocd-application-controller.log` and `deploy-agent` are, while
/// `cdn.log` and `opsgenie-token` are not.
pub fn is_change_name(name: &str) -> bool {
    name.split(['/', '\\', '.', '-', '_', ' ', ':'])
        .any(|w| CHANGE_WORDS.iter().any(|c| w.eq_ignore_ascii_case(c)))
}

/// Whether a line's writer fields name a change tool.
pub fn has_change_writer<K: AsRef<str>, V: AsRef<str>>(fields: &[(K, V)]) -> bool {
    fields
        .iter()
        .any(|(k, v)| WRITER_FIELDS.contains(&k.as_ref()) && is_change_name(v.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_names() {
        for name in [
            "deploy.log",
            "cd/argocd-application-controller.log",
            "ops/chatops-audit.log",
            "release/db-migrate.log",
            "app-1/deploy-agent.log",
            "ci/terraform-apply.log",
            "audit/unleash-events.log",
            "changes.log",
            "var/log/ansible.log",
        ] {
            assert!(is_change_name(name), "{name}");
        }
        for name in [
            "nginx/access.log",
            "cdn.log",
            "app/app-1.log",
            "opsgenie.log",
            "auditd-rules.txt",
            "deployed.json",
        ] {
            assert!(!is_change_name(name), "{name}");
        }
    }

    #[test]
    fn writer_fields() {
        assert!(has_change_writer(&[("logger", "argocd.controller")]));
        assert!(has_change_writer(&[("SYSLOG_IDENTIFIER", "deploy-agent")]));
        assert!(!has_change_writer(&[("msg", "deploy finished")]));
        assert!(!has_change_writer(&[("logger", "http.access")]));
    }
}
