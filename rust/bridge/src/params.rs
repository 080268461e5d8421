//! Reading a call's parameters from JSON, with an error that names the parameter and the type
//! it should have. This is the only place hosts' arguments are checked.

use serde_json::{Map, Value};
use tim_core::{TimError, code};

/// A call's parameters: a JSON object.
pub struct Params<'a> {
    method: &'a str,
    map: Map<String, Value>,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Params<'a> {
    /// Parses `json`, which must be an object; empty text and `null` mean no parameters.
    pub fn parse(method: &'a str, json: &str) -> Result<Self, TimError> {
        let map = match json.trim() {
            "" | "null" => Map::new(),
            text => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => map,
                Ok(other) => {
                    return Err(TimError::new(
                        code::INVALID_PARAMETERS,
                        format!(
                            "{method}: parameters must be a JSON object, not {}",
                            kind(&other)
                        ),
                    ));
                }
                Err(e) => {
                    return Err(TimError::new(
                        code::INVALID_PARAMETERS,
                        format!("{method}: parameters are not valid JSON: {e}"),
                    ));
                }
            },
        };
        Ok(Params { method, map })
    }

    /// A sub-object, as parameters of their own (for `initSDK`'s `config`).
    pub fn object(&self, name: &str) -> Result<Option<Params<'a>>, TimError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Params {
                method: self.method,
                map: map.clone(),
            })),
            Some(other) => Err(self.wrong(name, "an object", other)),
        }
    }

    /// A required string.
    pub fn string(&self, name: &str) -> Result<&str, TimError> {
        self.optional_string(name)?
            .ok_or_else(|| self.missing(name, "a string"))
    }

    /// An optional string.
    pub fn optional_string(&self, name: &str) -> Result<Option<&str>, TimError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong(name, "a string", other)),
        }
    }

    /// An optional boolean.
    pub fn optional_bool(&self, name: &str) -> Result<Option<bool>, TimError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong(name, "a boolean", other)),
        }
    }

    /// A required whole number that is not negative.
    pub fn unsigned(&self, name: &str) -> Result<u64, TimError> {
        self.optional_unsigned(name)?
            .ok_or_else(|| self.missing(name, "a whole number"))
    }

    /// An optional whole number that is not negative.
    pub fn optional_unsigned(&self, name: &str) -> Result<Option<u64>, TimError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 2f64.powi(53)).map(|f| f as u64))
                .map(Some)
                .ok_or_else(|| {
                    TimError::new(
                        code::INVALID_PARAMETERS,
                        format!("{}: parameter {name} must be a whole number that is not negative, got {n}", self.method),
                    )
                }),
            Some(other) => Err(self.wrong(name, "a whole number", other)),
        }
    }

    /// Fails on any parameter not in `known`, so a misspelt option is reported, not ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), TimError> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(TimError::new(
                code::INVALID_PARAMETERS,
                format!(
                    "{}: unknown parameter {unknown} (known: {})",
                    self.method,
                    known.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    fn missing(&self, name: &str, expected: &str) -> TimError {
        TimError::new(
            code::INVALID_PARAMETERS,
            format!(
                "{}: parameter {name} is missing; it must be {expected}",
                self.method
            ),
        )
    }

    fn wrong(&self, name: &str, expected: &str, got: &Value) -> TimError {
        TimError::new(
            code::INVALID_PARAMETERS,
            format!(
                "{}: parameter {name} must be {expected}, got {}",
                self.method,
                kind(got)
            ),
        )
    }
}
