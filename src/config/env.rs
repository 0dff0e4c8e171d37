//! Reading the environment: a key's variable overrides the file, through the same rule as the
//! file's value; what is wrong is reported naming the variable. The kill switches are read here
//! too.

use super::KILL_SWITCHES;
use super::draft::Draft;
use super::error::Location;
use super::keys::{KEYS, Key, Rule};
use super::load::Loader;

impl Loader<'_> {
    pub(super) fn read_env(&mut self) {
        for key in KEYS {
            let Some(var) = key.env else { continue };
            let Some(text) = (self.env)(var) else {
                continue;
            };
            match apply_text(&mut self.draft, key, text) {
                Ok(()) => self.accept(key, Location::Env(var)),
                Err(message) => self.refuse(key, Location::Env(var), message),
            }
        }
        self.draft.config.kill_switch = KILL_SWITCHES
            .iter()
            .find(|var| (self.env)(var).is_some_and(|v| is_set(&v)))
            .map(|var| (*var).to_owned());
    }
}

/// A variable's text through its key's rule.
fn apply_text(draft: &mut Draft, key: &Key, text: String) -> Result<(), String> {
    let refused = |why: &str| format!("`{}` {why}", key.name);
    let checked = |result: Result<(), String>| result.map_err(|why| refused(&why));
    match key.rule {
        Rule::Bool(rule) => rule(
            draft,
            env_bool(&text).ok_or_else(|| refused("must be true or false"))?,
        ),
        // Text that is no number is refused by the rule, in the rule's words, like any other
        // number it does not accept.
        Rule::Number(rule) => checked(rule(draft, text.trim().parse().unwrap_or(f64::NAN)))?,
        Rule::Integer(rule) => {
            let n = text
                .trim()
                .parse()
                .map_err(|_| refused("must be a whole number"))?;
            checked(rule(draft, n))?
        }
        Rule::Text(rule) => checked(rule(draft, &text))?,
        Rule::Secret(rule) => rule(&mut draft.es, text),
        Rule::EachText(_) | Rule::Items(_) => {
            return Err(refused("cannot be set in the environment"));
        }
    }
    Ok(())
}

/// A boolean from the environment: `true`/`1` or `false`/`0`.
fn env_bool(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Whether a kill-switch variable is set: anything but empty, `0`, `false` or `no`.
fn is_set(value: &str) -> bool {
    !matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "false" | "no"
    )
}
