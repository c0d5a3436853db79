//! What a source's name says about what it holds. A file under `deploy/`,
//! `release-agent.log`, an audit log, a CI job's output: its lines are
//! changes, whatever words they use, so the cause of an incident is found
//! even when no pattern knows the tool that wrote it. The same goes for a
//! line whose logger or program field names such a tool.

/// Words in a path, program or logger name that mark a log of changes,
/// lowercase and sorted (for the binary search of [`is_change_name`]).
const CHANGE_WORDS: &[&str] = &[
    "alembic",
    "ansible",
    "argocd",
    "audit",
    "cd",
    "change",
    "changelog",
    "changes",
    "chatops",
    "chef",
    "ci",
    "cicd",
    "deploy",
    "deployer",
    "deployment",
    "deployments",
    "deploys",
    "flux",
    "flyway",
    "gitops",
    "helm",
    "jenkins",
    "liquibase",
    "migrate",
    "migration",
    "migrations",
    "nomad",
    "ops",
    "pipeline",
    "pipelines",
    "puppet",
    "release",
    "releases",
    "rollout",
    "rollouts",
    "salt",
    "spinnaker",
    "terraform",
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
        .any(is_change_word)
}

/// The longest of [`CHANGE_WORDS`].
const LONGEST_CHANGE_WORD: usize = 11;

/// Whether one word is a change word, ASCII case ignored: lowercased on the
/// stack and looked up in the sorted list (a writer field is read on every
/// line of some logs, so this stays off the allocator and the full list).
fn is_change_word(word: &str) -> bool {
    let bytes = word.as_bytes();
    if bytes.len() < 2 || bytes.len() > LONGEST_CHANGE_WORD {
        return false;
    }
    let mut lower = [0u8; LONGEST_CHANGE_WORD];
    let Some(buf) = lower.get_mut(..bytes.len()) else {
        return false;
    };
    for (l, b) in buf.iter_mut().zip(bytes) {
        *l = b.to_ascii_lowercase();
    }
    CHANGE_WORDS
        .binary_search_by(|c| c.as_bytes().cmp(buf))
        .is_ok()
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
    fn change_words_are_sorted_lowercase_and_fit_the_buffer() {
        assert!(CHANGE_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(CHANGE_WORDS.iter().all(|w| w.len() >= 2
            && w.len() <= LONGEST_CHANGE_WORD
            && w.bytes().all(|b| b.is_ascii_lowercase())));
        assert!(is_change_name("Deploy-Agent") && is_change_name("x.CICD"));
        assert!(!is_change_name("c") && !is_change_name("deploymentsx"));
    }

    #[test]
    fn writer_fields() {
        assert!(has_change_writer(&[("logger", "argocd.controller")]));
        assert!(has_change_writer(&[("SYSLOG_IDENTIFIER", "deploy-agent")]));
        assert!(!has_change_writer(&[("msg", "deploy finished")]));
        assert!(!has_change_writer(&[("logger", "http.access")]));
    }
}
