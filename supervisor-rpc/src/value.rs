//! Building XML-RPC values and reading parameters the way 4.3.0's Python
//! methods accept them.

use dxr::Value;

use crate::faults::{Fault, FaultString};

/// An XML-RPC int; larger values are capped as 4.3.0's `capped_int` does.
pub fn int(n: i64) -> Value {
    Value::Integer(capped(n))
}

/// `n` capped to XML-RPC's 32-bit ints (4.3.0's `capped_int`).
pub fn capped(n: i64) -> i32 {
    n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// An XML-RPC string.
pub fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// An XML-RPC struct from name/value pairs.
pub fn structure<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Struct(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// The parameters of one call.
pub struct Params<'a> {
    params: &'a [Value],
}

impl<'a> Params<'a> {
    /// Wraps `params`; `min..=max` of them are allowed (Python's argument
    /// count check, INCORRECT_PARAMETERS otherwise).
    pub fn new(params: &'a [Value], min: usize, max: usize) -> Result<Params<'a>, FaultString> {
        if params.len() < min || params.len() > max {
            return Err(Fault::IncorrectParameters.into());
        }
        Ok(Params { params })
    }

    /// Parameter `i` as text (a string, or a number written out).
    pub fn string(&self, i: usize) -> Result<String, FaultString> {
        match self.params.get(i) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Integer(n)) => Ok(n.to_string()),
            Some(Value::Base64(b)) => Ok(String::from_utf8_lossy(b).into_owned()),
            _ => Err(Fault::IncorrectParameters.into()),
        }
    }

    /// Parameter `i` as an integer (`int()` of a number or numeric string).
    pub fn int(&self, i: usize) -> Result<i64, FaultString> {
        match self.params.get(i) {
            Some(Value::Integer(n)) => Ok(i64::from(*n)),
            Some(Value::Boolean(b)) => Ok(i64::from(*b)),
            Some(Value::Double(d)) => Ok(*d as i64),
            Some(Value::String(s)) => s.trim().parse().map_err(|_| Fault::IncorrectParameters.into()),
            _ => Err(Fault::IncorrectParameters.into()),
        }
    }

    /// Parameter `i` as a truth value (Python truthiness), `default` when absent.
    pub fn boolean(&self, i: usize, default: bool) -> bool {
        match self.params.get(i) {
            None => default,
            Some(Value::Boolean(b)) => *b,
            Some(Value::Integer(n)) => *n != 0,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Struct(s)) => !s.is_empty(),
            Some(_) => true,
        }
    }

    /// Parameter `i` as is.
    pub fn value(&self, i: usize) -> Option<&'a Value> {
        self.params.get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_are_capped_and_params_checked() {
        assert_eq!(int(1 << 40), Value::Integer(i32::MAX));
        let p = [Value::String("7".into()), Value::Boolean(false)];
        let params = Params::new(&p, 1, 2).expect("count");
        assert_eq!(params.int(0), Ok(7));
        assert!(!params.boolean(1, true));
        assert!(params.boolean(2, true));
        assert!(Params::new(&p, 0, 1).is_err());
    }
}
