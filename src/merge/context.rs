//! The template context of a piece: the values a merge field, text or condition can use,
//! looked up in layers (set values, then another context, then the contact's columns).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use minijinja::Value;
use smol_str::SmolStr;

use crate::contacts::Contact;

/// A template context: `set` (a later name wins), then what is below it.
#[derive(Debug)]
pub(super) struct ContextValues {
    pub(super) set: Vec<(SmolStr, Value)>,
    pub(super) below: Below,
}

#[derive(Debug)]
pub(super) enum Below {
    /// A contact's columns, by name.
    Columns {
        names: Arc<BTreeMap<String, usize>>,
        contact: Contact,
    },
    /// Another context.
    Context(Value),
}

impl minijinja::value::Object for ContextValues {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        if let Some((_, v)) = self.set.iter().rev().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        match &self.below {
            Below::Columns { names, contact } => {
                let &i = names.get(name)?;
                Some(Value::from(contact.value(Some(i))))
            }
            Below::Context(below) => below.get_attr(name).ok().filter(|v| !v.is_undefined()),
        }
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        let mut keys: BTreeSet<String> = match &self.below {
            Below::Columns { names, .. } => names.keys().cloned().collect(),
            Below::Context(below) => below
                .try_iter()
                .map(|iter| iter.filter_map(|k| k.as_str().map(String::from)).collect())
                .unwrap_or_default(),
        };
        keys.extend(self.set.iter().map(|(k, _)| k.to_string()));
        minijinja::value::Enumerator::Values(keys.into_iter().map(Value::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(set: &[(&str, &str)], below: Below) -> Value {
        Value::from_object(ContextValues {
            set: set
                .iter()
                .map(|&(k, v)| (SmolStr::new(k), Value::from(v)))
                .collect(),
            below,
        })
    }

    #[test]
    fn a_context_looks_up_set_values_then_below_then_columns() {
        let names: BTreeMap<String, usize> =
            [("first_name".to_string(), 0), ("step".to_string(), 1)]
                .into_iter()
                .collect();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let contact = Contact::new("c1", 2, date, &["Ada".into(), "from-the-csv".into()]);
        let base = context(
            &[
                ("step", "early"),
                ("campaign_id", "autumn"),
                ("step", "welcome"),
            ],
            Below::Columns {
                names: Arc::new(names),
                contact,
            },
        );
        let env = minijinja::Environment::new();
        let render = |t: &str, ctx: &Value| env.render_str(t, ctx.clone()).unwrap();
        // A later name wins; a built-in hides a column of the same name.
        assert_eq!(
            render(
                "{{ first_name }} {{ step }} {{ campaign_id }} {{ missing is undefined }}",
                &base
            ),
            "Ada welcome autumn True"
        );
        let top = context(
            &[("headline", "Hi Ada"), ("first_name", "Field")],
            Below::Context(base),
        );
        assert_eq!(
            render(
                "{{ headline }}/{{ first_name }}/{{ step }}/{{ missing is undefined }}",
                &top
            ),
            "Hi Ada/Field/welcome/True"
        );
        let keys: Vec<String> = top
            .try_iter()
            .unwrap()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        assert_eq!(keys, ["campaign_id", "first_name", "headline", "step"]);
    }
}
