//! What a source's name says about what it holds. A file under `deploy/`,
//! `release-agent.log`, an audit log, a CI job's output: its lines are
//! changes, whatever words they use, so the cause of an incident is found
//! even when no pattern knows the tool that wrote it. The same goes for a
//! line whose logger or program field names such a tool.

/// Words in a path, program or logger name that mark a log of changes
/// (lowercase, sorted).
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
    name.as_bytes()
        .split(|b| matches!(b, b'/' | b'\\' | b'.' | b'-' | b'_' | b' ' | b':'))
        .any(is_change_word)
}

/// The longest of [`CHANGE_WORDS`].
const LONGEST_CHANGE_WORD: usize = 11;

/// A word of up to [`LONGEST_CHANGE_WORD`] bytes, ASCII-lowercased, as one
/// number: its bytes from the lowest, its length in the top byte (so that
/// `ci` and `ci\0` differ).
const fn packed(word: &[u8]) -> u128 {
    let mut n = (word.len() as u128) << 120;
    let mut i = 0;
    while i < word.len() && i < LONGEST_CHANGE_WORD {
        n |= (word[i].to_ascii_lowercase() as u128) << (8 * i);
        i += 1;
    }
    n
}

/// [`CHANGE_WORDS`] packed, for comparisons of one number each (a writer
/// field is read on every line of some logs).
const PACKED_CHANGE_WORDS: [u128; CHANGE_WORDS.len()] = {
    let mut out = [0u128; CHANGE_WORDS.len()];
    let mut i = 0;
    while i < CHANGE_WORDS.len() {
        out[i] = packed(CHANGE_WORDS[i].as_bytes());
        i += 1;
    }
    out
};

/// Whether one word is a change word, ASCII case ignored.
fn is_change_word(word: &[u8]) -> bool {
    if word.len() < 2 || word.len() > LONGEST_CHANGE_WORD {
        return false;
    }
    PACKED_CHANGE_WORDS.contains(&packed(word))
}

/// Whether a line's writer fields name a change tool.
pub fn has_change_writer<K: AsRef<str>, V: AsRef<str>>(fields: &[(K, V)]) -> bool {
    fields
        .iter()
        .any(|(k, v)| WRITER_FIELDS.contains(&k.as_ref()) && is_change_name(v.as_ref()))
}

/// [`has_change_writer`] remembering its answer for the last few writer
/// names: a log has a handful of programs or loggers and nearly every line
/// names one, so splitting the name into words on every line is waste.
#[derive(Default)]
pub struct ChangeWriters {
    recent: Vec<(Box<str>, bool)>,
}

/// Writer names [`ChangeWriters`] remembers before it starts over.
const RECENT_WRITERS: usize = 32;

impl ChangeWriters {
    /// The same answer as [`has_change_writer`].
    pub fn any<K: AsRef<str>, V: AsRef<str>>(&mut self, fields: &[(K, V)]) -> bool {
        fields
            .iter()
            .any(|(k, v)| WRITER_FIELDS.contains(&k.as_ref()) && self.is_change_name(v.as_ref()))
    }

    fn is_change_name(&mut self, name: &str) -> bool {
        if let Some((_, known)) = self.recent.iter().find(|(n, _)| &**n == name) {
            return *known;
        }
        let answer = is_change_name(name);
        if self.recent.len() >= RECENT_WRITERS {
            self.recent.clear();
        }
        self.recent.push((name.into(), answer));
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_writers_answer_the_same() {
        let mut writers = ChangeWriters::default();
        for round in 0..3 {
            for i in 0..40 {
                let name = if i % 7 == 0 {
                    format!("deploy-{i}")
                } else {
                    format!("app.{i}")
                };
                let fields = [("program", name.as_str())];
                assert_eq!(
                    writers.any(&fields),
                    has_change_writer(&fields),
                    "{round} {name}"
                );
            }
        }
        assert!(!writers.any(&[("host", "deploy")]));
    }

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
        assert!(!is_change_name("ci\0") && !is_change_name("dé"));
    }

    #[test]
    fn writer_fields() {
        assert!(has_change_writer(&[("logger", "argocd.controller")]));
        assert!(has_change_writer(&[("SYSLOG_IDENTIFIER", "deploy-agent")]));
        assert!(!has_change_writer(&[("msg", "deploy finished")]));
        assert!(!has_change_writer(&[("logger", "http.access")]));
    }
}
