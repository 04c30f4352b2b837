//! Merge fields and `when` conditions compiled in one template language (minijinja), each
//! known by a [`TemplateId`] handed out when it is compiled.

use std::collections::BTreeSet;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

/// Variables every template may use besides the contact's columns and the step's fields
/// (`imb` and `imb_bars` are empty on a piece without a barcode).
pub const BUILTINS: [&str; 7] = [
    "campaign_id",
    "campaign_name",
    "step",
    "cycle_date",
    "piece_id",
    "imb",
    "imb_bars",
];

/// Names a contact column cannot give a template: the built-ins and the personal URL, which
/// dripmail sets (a column with one of them is warned about and not read).
pub fn reserved() -> impl Iterator<Item = &'static str> {
    BUILTINS.into_iter().chain(["purl"])
}

/// The most work one template may do in one render (minijinja's fuel, about one unit per
/// instruction, or 64 bytes of data).
pub const FUEL: u64 = 200_000;

/// A set of templates compiled in one environment.
pub struct Templates {
    env: Environment<'static>,
    /// The name each template has in `env`, by [`TemplateId`] (names are only for the engine).
    names: Vec<String>,
}

/// A compiled template of a [`Templates`]: a step's `when`, a merge field, an element's text,
/// QR content or `when`. Cheap to copy, so a piece never builds a template's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemplateId(u32);

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

impl Templates {
    /// An empty set: strict about undefined values, no HTML escaping, and a `default` filter
    /// that also replaces empty values, so `{{ first_name | default("amico") }}` covers a
    /// blank cell as a marketer expects.
    #[must_use]
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        // `d` is Jinja's short name for `default`.
        env.add_filter("default", default_filter);
        env.add_filter("d", default_filter);
        // No template can loop or allocate without end: a piece's text takes a few hundred
        // steps; this is thousands of pieces' worth.
        env.set_fuel(Some(FUEL));
        Templates {
            env,
            names: Vec::new(),
        }
    }

    /// Compiles `source` as a text template.
    ///
    /// # Errors
    /// The syntax error, with its line inside the template.
    pub fn add(&mut self, source: &str) -> Result<TemplateId, String> {
        let id = TemplateId(
            u32::try_from(self.names.len()).map_err(|_| "too many templates".to_string())?,
        );
        let name = format!("t{}", id.0);
        self.env
            .add_template_owned(name.clone(), source.to_string())
            .map_err(|e| describe(&e, source))?;
        self.names.push(name);
        Ok(id)
    }

    /// Compiles the expression `condition` (a step's or element's `when`).
    ///
    /// # Errors
    /// The syntax error.
    pub fn add_condition(&mut self, condition: &str) -> Result<TemplateId, String> {
        self.env
            .compile_expression(condition)
            .map_err(|e| describe(&e, condition))?;
        self.add(&format!("{{% if {condition} %}}1{{% endif %}}"))
    }

    fn name(&self, id: TemplateId) -> &str {
        &self.names[id.0 as usize]
    }

    /// The variables template `id` uses that `known` does not provide and that are not
    /// guarded by `| default(...)` or `is defined`.
    #[cfg(test)]
    #[must_use]
    pub fn missing(&self, id: TemplateId, known: &dyn Fn(&str) -> bool) -> Vec<String> {
        self.unknown(id, known).0
    }

    /// The variables template `id` uses that `known` does not provide: those used bare (an
    /// error), and those only behind `| default(...)` or `is defined` (most likely a typo,
    /// `frist_name`, that gives every piece the default).
    #[must_use]
    pub fn unknown(
        &self,
        id: TemplateId,
        known: &dyn Fn(&str) -> bool,
    ) -> (Vec<String>, Vec<String>) {
        let Ok(t) = self.env.get_template(self.name(id)) else {
            return (Vec::new(), Vec::new());
        };
        let source = t.source().to_string();
        let vars: BTreeSet<String> = t.undeclared_variables(false).into_iter().collect();
        // Functions such as `range` are the engine's own globals, not missing columns.
        let global = |v: &str| self.env.globals().any(|(g, _)| g == v);
        vars.into_iter()
            .filter(|v| !known(v) && !BUILTINS.contains(&v.as_str()) && !global(v))
            .partition(|v| !is_guarded(&source, v))
    }

    /// The variables template `id` uses (not counting those it sets itself).
    #[must_use]
    pub fn variables(&self, id: TemplateId) -> BTreeSet<String> {
        self.env
            .get_template(self.name(id))
            .map(|t| t.undeclared_variables(false).into_iter().collect())
            .unwrap_or_default()
    }

    /// Renders template `id` with `ctx`.
    ///
    /// # Errors
    /// The reason, e.g. an undefined value or a filter applied to the wrong type.
    pub fn render(&self, id: TemplateId, ctx: &Value) -> Result<String, String> {
        let t = self
            .env
            .get_template(self.name(id))
            .map_err(|e| describe(&e, ""))?;
        t.render(ctx).map_err(|e| describe(&e, t.source()))
    }

    /// Evaluates the condition `id` with `ctx`.
    ///
    /// # Errors
    /// As [`Templates::render`].
    pub fn holds(&self, id: TemplateId, ctx: &Value) -> Result<bool, String> {
        Ok(self.render(id, ctx)? == "1")
    }
}

fn default_filter(value: Value, fallback: Option<Value>) -> Value {
    let empty = value.is_undefined()
        || value.is_none()
        || value.as_str().is_some_and(|s| s.trim().is_empty());
    if empty {
        fallback.unwrap_or_else(|| Value::from(""))
    } else {
        value
    }
}

/// What went wrong in template `source`: the engine's reason, the expression it was
/// evaluating, and the line.
fn describe(e: &minijinja::Error, source: &str) -> String {
    let mut msg = if e.kind() == minijinja::ErrorKind::OutOfFuel {
        format!(
            "the template does more work than any piece needs (over {FUEL} steps): a loop that runs too long?"
        )
    } else {
        e.detail()
            .map_or_else(|| e.kind().to_string(), ToString::to_string)
    };
    let at = e
        .range()
        .and_then(|r| source.get(r))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(expr) = at {
        msg = format!("{msg} in `{expr}`");
    }
    if let Some(line) = e.line() {
        msg = format!("{msg} (template line {line})");
    }
    msg
}

/// True when every use of `var` in `source` is followed by a `default` filter or an
/// `is defined` / `is undefined` test.
fn is_guarded(source: &str, var: &str) -> bool {
    let bytes = source.as_bytes();
    let mut found = false;
    let mut from = 0;
    while let Some(pos) = source[from..].find(var) {
        let start = from + pos;
        let end = start + var.len();
        from = end;
        let before_ok = start == 0 || !is_ident(bytes[start - 1]) && bytes[start - 1] != b'.';
        let after_ok = end >= bytes.len() || !is_ident(bytes[end]);
        if !(before_ok && after_ok) {
            continue;
        }
        found = true;
        let rest = source[end..].trim_start();
        let guarded = rest
            .strip_prefix('|')
            .map(str::trim_start)
            .is_some_and(|r| {
                r.starts_with("default") || r.starts_with("d(") || r.starts_with("d ")
            })
            || rest.starts_with("is defined")
            || rest.starts_with("is not defined")
            || rest.starts_with("is undefined");
        if !guarded {
            return false;
        }
    }
    found
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> Value {
        Value::from(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), Value::from(*v)))
                .collect::<std::collections::BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn default_covers_missing_and_blank_values() {
        let mut t = Templates::new();
        let greet = t.add("Ciao {{ first_name | default(\"amico\") }}").unwrap();
        assert_eq!(
            t.render(greet, &ctx(&[("first_name", "Anna")])).unwrap(),
            "Ciao Anna"
        );
        assert_eq!(
            t.render(greet, &ctx(&[("first_name", " ")])).unwrap(),
            "Ciao amico"
        );
        assert_eq!(t.render(greet, &ctx(&[])).unwrap(), "Ciao amico");
    }

    #[test]
    fn undefined_field_is_an_error_not_an_empty_string() {
        let mut t = Templates::new();
        let x = t.add("Hi {{ nickname }}").unwrap();
        assert!(t.render(x, &ctx(&[])).is_err());
        assert_eq!(t.missing(x, &|v| v == "first_name"), ["nickname"]);
        let y = t
            .add("Hi {{ nickname | default('you') }} {% if vip is defined %}!{% endif %}")
            .unwrap();
        assert!(t.missing(y, &|_| false).is_empty());
        assert_ne!(x, y);
    }

    #[test]
    fn template_errors_say_what_and_where_and_no_template_runs_for_ever() {
        let mut t = Templates::new();
        let ctx = Value::from(std::collections::BTreeMap::from([("n", 3)]));
        let div = t.add("Line one\nTotal {{ n / 0 }}").unwrap();
        let e = t.render(div, &ctx).unwrap_err();
        assert!(
            e.contains("in `n / 0`") && e.contains("(template line 2)"),
            "{e}"
        );
        let rec = t
            .add("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}")
            .unwrap();
        let e = t.render(rec, &ctx).unwrap_err();
        assert!(e.contains("recursion limit exceeded"), "{e}");
        let spin = t
            .add("{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}")
            .unwrap();
        let e = t.render(spin, &ctx).unwrap_err();
        assert!(e.contains("does more work than any piece needs"), "{e}");
        // `range` is the engine's function, not a column someone forgot.
        assert!(t.missing(spin, &|_| false).is_empty());
        let nested = t
            .add("{% for i in range(n) %}{% for j in range(i) %}{{ j }}{% endfor %}{% endfor %}")
            .unwrap();
        assert_eq!(t.missing(nested, &|v| v == "n"), Vec::<String>::new());
        assert_eq!(t.render(nested, &ctx).unwrap(), "001");
    }

    #[test]
    fn conditions_evaluate() {
        let mut t = Templates::new();
        let w = t.add_condition("segment != \"wholesale\"").unwrap();
        assert!(t.holds(w, &ctx(&[("segment", "retail")])).unwrap());
        assert!(!t.holds(w, &ctx(&[("segment", "wholesale")])).unwrap());
        assert!(t.add_condition("segment ==").is_err());
    }
}
