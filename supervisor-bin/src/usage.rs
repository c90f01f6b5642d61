//! The option lists of the usage texts that `-h` prints, read back as data:
//! the man pages and the completion scripts are made from them, so they say
//! what `-h` says.

/// One option of a usage text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageOption {
    /// How it is written: `["-c", "--configuration"]`.
    pub flags: Vec<String>,
    /// The name of its value (`FILENAME`), if it takes one.
    pub value: Option<String>,
    /// What it does, its lines joined.
    pub text: String,
}

/// The options listed after `Options:` in `usage`, up to the first empty
/// line: each starts with `-`, as `-c/--configuration FILENAME -- text`;
/// indented lines continue the text.
///
/// ```
/// use supervisor_bin::usage::options;
/// let o = options("x\n\nOptions:\n-c/--conf FILE -- the file\n   (searched)\n--quiet  -- less\n\nmore");
/// assert_eq!(o[0].flags, ["-c", "--conf"]);
/// assert_eq!(o[0].value.as_deref(), Some("FILE"));
/// assert_eq!(o[0].text, "the file (searched)");
/// assert_eq!((o[1].flags.len(), o[1].value.as_deref(), o[1].text.as_str()), (1, None, "less"));
/// assert_eq!(o.len(), 2);
/// ```
pub fn options(usage: &str) -> Vec<UsageOption> {
    let mut found: Vec<UsageOption> = Vec::new();
    let mut lines = usage.lines().skip_while(|l| l.trim() != "Options:").skip(1);
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with('-') {
            let (head, text) = line.split_once(" -- ").unwrap_or((line, ""));
            let mut words = head.split_whitespace();
            let flags = words.next().unwrap_or_default().split('/').map(str::to_owned).collect();
            let value = words.next().map(str::to_owned);
            found.push(UsageOption { flags, value, text: text.trim().to_owned() });
        } else if let Some(last) = found.last_mut() {
            if !last.text.is_empty() {
                last.text.push(' ');
            }
            last.text.push_str(line.trim());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_of_both_usage_texts() {
        let d = options(crate::supervisord_cli::USAGE);
        let flags: Vec<String> = d.iter().flat_map(|o| o.flags.clone()).collect();
        assert!(flags.contains(&"--profile_options".to_owned()) && flags.contains(&"--check".to_owned()));
        let k = d.iter().find(|o| o.flags[0] == "-k").unwrap();
        assert_eq!(
            k.text,
            "prevent the process from performing cleanup (removal of old automatic child log files) at startup."
        );
        let c = options(crate::ctl::help::USAGE);
        assert_eq!(c.len(), 7);
        assert_eq!(c[3].text, "URL on which supervisord server is listening (default \"http://localhost:9001\").");
        assert_eq!(c[6].flags, ["-r", "--history-file"]);
    }
}
