//! Python's `getopt.getopt`, which 4.3.0's command lines use: its prefix
//! matching of long options and its error texts are part of the interface.

/// A command-line error, worded as Python's getopt words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GetoptError {
    /// An unknown long option.
    #[error("option --{0} not recognized")]
    UnknownLong(String),
    /// A prefix of several long options.
    #[error("option --{0} not a unique prefix")]
    AmbiguousLong(String),
    /// A long option missing its value.
    #[error("option --{0} requires argument")]
    LongNeedsArgument(String),
    /// `--flag=value` for a flag.
    #[error("option --{0} must not have an argument")]
    LongTakesNoArgument(String),
    /// An unknown short option.
    #[error("option -{0} not recognized")]
    UnknownShort(char),
    /// A short option missing its value.
    #[error("option -{0} requires argument")]
    ShortNeedsArgument(char),
}

/// The options found (`("-c", "file")`, `("--nodaemon", "")`) and the
/// arguments left after them.
pub type Parsed = (Vec<(String, String)>, Vec<String>);

/// Parses `args` as `getopt.getopt(args, short, long)`: options stop at the
/// first non-option argument or `--`.
///
/// ```
/// use supervisor_bin::getopt::getopt;
/// let args: Vec<String> = ["-nc", "x.conf", "--log=a", "rest"].iter().map(|s| s.to_string()).collect();
/// let (opts, rest) = getopt(&args, "nc:", &["logfile=", "nodaemon"]).unwrap();
/// assert_eq!(opts, [("-n".into(), "".into()), ("-c".into(), "x.conf".into()), ("--logfile".into(), "a".into())]);
/// assert_eq!(rest, ["rest"]);
/// ```
pub fn getopt(args: &[String], short: &str, long: &[&str]) -> Result<Parsed, GetoptError> {
    let mut opts = Vec::new();
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') && args[i] != "-" {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            break;
        }
        if let Some(body) = arg.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (body, None),
            };
            let (has_arg, full) = long_has_arg(name, long)?;
            let value = if has_arg {
                match inline {
                    Some(v) => v,
                    None => {
                        let v = args.get(i).cloned().ok_or_else(|| GetoptError::LongNeedsArgument(full.clone()))?;
                        i += 1;
                        v
                    }
                }
            } else if inline.is_some() {
                return Err(GetoptError::LongTakesNoArgument(full));
            } else {
                String::new()
            };
            opts.push((format!("--{full}"), value));
        } else {
            for (at, c) in arg[1..].char_indices() {
                if short_has_arg(c, short)? {
                    let rest = &arg[1 + at + c.len_utf8()..];
                    let value = if rest.is_empty() {
                        let v = args.get(i).cloned().ok_or(GetoptError::ShortNeedsArgument(c))?;
                        i += 1;
                        v
                    } else {
                        rest.to_owned()
                    };
                    opts.push((format!("-{c}"), value));
                    break;
                }
                opts.push((format!("-{c}"), String::new()));
            }
        }
    }
    Ok((opts, args[i..].to_vec()))
}

fn long_has_arg(name: &str, long: &[&str]) -> Result<(bool, String), GetoptError> {
    let possible: Vec<&str> = long.iter().copied().filter(|o| o.starts_with(name)).collect();
    if possible.is_empty() {
        return Err(GetoptError::UnknownLong(name.to_owned()));
    }
    if possible.contains(&name) {
        return Ok((false, name.to_owned()));
    }
    if possible.contains(&format!("{name}=").as_str()) {
        return Ok((true, name.to_owned()));
    }
    match possible.as_slice() {
        [only] => Ok(match only.strip_suffix('=') {
            Some(n) => (true, n.to_owned()),
            None => (false, (*only).to_owned()),
        }),
        _ => Err(GetoptError::AmbiguousLong(name.to_owned())),
    }
}

fn short_has_arg(c: char, short: &str) -> Result<bool, GetoptError> {
    let mut chars = short.chars().peekable();
    while let Some(s) = chars.next() {
        if s == c && s != ':' {
            return Ok(chars.peek() == Some(&':'));
        }
    }
    Err(GetoptError::UnknownShort(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn prefixes_and_errors() {
        let long = ["configuration=", "nodaemon", "nocleanup"];
        let (o, _) = getopt(&args(&["--conf", "f"]), "", &long).unwrap();
        assert_eq!(o, [("--configuration".to_owned(), "f".to_owned())]);
        assert_eq!(getopt(&args(&["--no"]), "", &long).unwrap_err().to_string(), "option --no not a unique prefix");
        assert_eq!(getopt(&args(&["--bogus"]), "", &long).unwrap_err().to_string(), "option --bogus not recognized");
        assert_eq!(
            getopt(&args(&["--nodaemon=1"]), "", &long).unwrap_err().to_string(),
            "option --nodaemon must not have an argument"
        );
        assert_eq!(getopt(&args(&["-c"]), "c:", &long).unwrap_err().to_string(), "option -c requires argument");
        assert_eq!(getopt(&args(&["-x"]), "c:", &long).unwrap_err().to_string(), "option -x not recognized");
        let (o, rest) = getopt(&args(&["-cfile", "--", "-n"]), "c:n", &long).unwrap();
        assert_eq!(o, [("-c".to_owned(), "file".to_owned())]);
        assert_eq!(rest, ["-n"]);
    }
}
