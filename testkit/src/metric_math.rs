//! CloudWatch metric math, the part the stack's alarms use, and an alarm's
//! evaluation over per-minute data: `+ - * /`, comparisons (1 or 0),
//! `AND`, `OR`, `IF(condition, then, else)`, `FILL(series, value)`,
//! `MIN([..])`, `MAX([..])`; then `Threshold`, `ComparisonOperator`,
//! `EvaluationPeriods`, `DatapointsToAlarm` and `TreatMissingData`
//! ("Using math expressions with CloudWatch metrics", "Configuring how
//! CloudWatch alarms treat missing data").
//!
//! A series is a value per period. Two series combine where both have a
//! value; a scalar with every value of a series. `FILL` gives a series a
//! value where it has none: over the whole evaluated window, or only where
//! another series the alarm reads has data ([`Fill`]): AWS's guide does not
//! say which for a series with no data at all, so the tests try both.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A value per period start (epoch seconds).
pub type Series = BTreeMap<i64, f64>;

/// Where `FILL` puts its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Every period of the evaluated window.
    Window,
    /// Every period where any metric the alarm reads has data.
    WhereDataIs,
}

#[derive(Debug, Clone)]
enum Val {
    Scalar(f64),
    Series(Series),
    Array(Vec<Val>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Word(String),
    Op(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Token::Number(text.parse().map_err(|_| format!("bad number {text}"))?));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if ["<=", ">=", "==", "!="].contains(&two.as_str()) {
                out.push(Token::Op(two));
                i += 2;
            } else if "+-*/<>()[],".contains(c) {
                out.push(Token::Op(c.to_string()));
                i += 1;
            } else {
                return Err(format!("unexpected {c:?} in {text:?}"));
            }
        }
    }
    Ok(out)
}

/// An expression, parsed.
#[derive(Debug, Clone)]
enum Expr {
    Number(f64),
    Id(String),
    Neg(Box<Expr>),
    Binary(String, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    Array(Vec<Expr>),
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Token::Op(o)) if o == op)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, op: &str) -> Result<(), String> {
        if self.is_op(op) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected {op:?} at token {}", self.at))
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.is_word("OR") {
            self.at += 1;
            left = Expr::Binary("OR".into(), Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.compare()?;
        while self.is_word("AND") {
            self.at += 1;
            left = Expr::Binary("AND".into(), Box::new(left), Box::new(self.compare()?));
        }
        Ok(left)
    }

    fn compare(&mut self) -> Result<Expr, String> {
        let left = self.sum()?;
        for op in ["<=", ">=", "==", "!=", "<", ">"] {
            if self.is_op(op) {
                self.at += 1;
                return Ok(Expr::Binary(op.into(), Box::new(left), Box::new(self.sum()?)));
            }
        }
        Ok(left)
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut left = self.product()?;
        while self.is_op("+") || self.is_op("-") {
            let Some(Token::Op(op)) = self.peek().cloned() else {
                break;
            };
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.is_op("*") || self.is_op("/") {
            let Some(Token::Op(op)) = self.peek().cloned() else {
                break;
            };
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.is_op("-") {
            self.at += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.peek().cloned() {
            Some(Token::Number(n)) => {
                self.at += 1;
                Ok(Expr::Number(n))
            }
            Some(Token::Word(word)) => {
                self.at += 1;
                if !self.is_op("(") {
                    return Ok(Expr::Id(word));
                }
                self.at += 1;
                let mut args = vec![self.or()?];
                while self.is_op(",") {
                    self.at += 1;
                    args.push(self.or()?);
                }
                self.expect(")")?;
                Ok(Expr::Call(word.to_ascii_uppercase(), args))
            }
            Some(Token::Op(op)) if op == "(" => {
                self.at += 1;
                let inner = self.or()?;
                self.expect(")")?;
                Ok(inner)
            }
            Some(Token::Op(op)) if op == "[" => {
                self.at += 1;
                let mut items = vec![self.or()?];
                while self.is_op(",") {
                    self.at += 1;
                    items.push(self.or()?);
                }
                self.expect("]")?;
                Ok(Expr::Array(items))
            }
            other => Err(format!("unexpected {other:?} at token {}", self.at)),
        }
    }
}

fn parse(text: &str) -> Result<Expr, String> {
    let mut parser = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    let expr = parser.or()?;
    if parser.at != parser.tokens.len() {
        return Err(format!("trailing tokens in {text:?}"));
    }
    Ok(expr)
}

fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

fn apply(op: &str, a: f64, b: f64) -> Option<f64> {
    Some(match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" if b == 0.0 => return None,
        "/" => a / b,
        "<" => truth(a < b),
        ">" => truth(a > b),
        "<=" => truth(a <= b),
        ">=" => truth(a >= b),
        "==" => truth(a == b),
        "!=" => truth(a != b),
        "AND" => truth(a != 0.0 && b != 0.0),
        "OR" => truth(a != 0.0 || b != 0.0),
        _ => return None,
    })
}

/// An alarm's queries: metric data by id, expressions by id.
#[derive(Debug, Clone, Default)]
pub struct Queries {
    pub data: HashMap<String, Series>,
    pub expressions: HashMap<String, String>,
}

struct Evaluation<'a> {
    queries: &'a Queries,
    window: Vec<i64>,
    fill: Fill,
    /// Periods where any metric read has data.
    with_data: BTreeSet<i64>,
}

impl Evaluation<'_> {
    fn id(&self, id: &str, depth: u32) -> Result<Val, String> {
        if let Some(series) = self.queries.data.get(id) {
            return Ok(Val::Series(series.clone()));
        }
        let text = self
            .queries
            .expressions
            .get(id)
            .ok_or_else(|| format!("no query {id}"))?;
        if depth > 16 {
            return Err(format!("{id} refers to itself"));
        }
        self.eval(&parse(text)?, depth + 1)
    }

    fn eval(&self, expr: &Expr, depth: u32) -> Result<Val, String> {
        Ok(match expr {
            Expr::Number(n) => Val::Scalar(*n),
            Expr::Id(id) => self.id(id, depth)?,
            Expr::Neg(inner) => self.binary("-", Val::Scalar(0.0), self.eval(inner, depth)?)?,
            Expr::Array(items) => Val::Array(
                items
                    .iter()
                    .map(|item| self.eval(item, depth))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Binary(op, a, b) => self.binary(op, self.eval(a, depth)?, self.eval(b, depth)?)?,
            Expr::Call(name, args) => self.call(name, args, depth)?,
        })
    }

    fn binary(&self, op: &str, a: Val, b: Val) -> Result<Val, String> {
        Ok(match (a, b) {
            (Val::Scalar(a), Val::Scalar(b)) => Val::Scalar(apply(op, a, b).unwrap_or(f64::NAN)),
            (Val::Series(a), Val::Scalar(b)) => {
                Val::Series(a.iter().filter_map(|(t, v)| Some((*t, apply(op, *v, b)?))).collect())
            }
            (Val::Scalar(a), Val::Series(b)) => {
                Val::Series(b.iter().filter_map(|(t, v)| Some((*t, apply(op, a, *v)?))).collect())
            }
            // Two series: where both have a value.
            (Val::Series(a), Val::Series(b)) => Val::Series(
                a.iter()
                    .filter_map(|(t, v)| Some((*t, apply(op, *v, *b.get(t)?)?)))
                    .collect(),
            ),
            _ => return Err(format!("{op} of an array")),
        })
    }

    fn call(&self, name: &str, args: &[Expr], depth: u32) -> Result<Val, String> {
        let arg = |i: usize| -> Result<Val, String> {
            self.eval(
                args.get(i).ok_or_else(|| format!("{name} needs argument {}", i + 1))?,
                depth,
            )
        };
        match name {
            "FILL" => {
                let Val::Series(series) = arg(0)? else {
                    return Err("FILL of a scalar".into());
                };
                let Val::Scalar(value) = arg(1)? else {
                    return Err("FILL takes a number".into());
                };
                let periods: Vec<i64> = match self.fill {
                    Fill::Window => self.window.clone(),
                    Fill::WhereDataIs => self.with_data.iter().copied().collect(),
                };
                let mut filled = series;
                for t in periods {
                    filled.entry(t).or_insert(value);
                }
                Ok(Val::Series(filled))
            }
            "IF" => {
                let condition = arg(0)?;
                let (then, otherwise) = (arg(1)?, args.get(2).map(|e| self.eval(e, depth)).transpose()?);
                let at = |val: &Val, t: i64| -> Option<f64> {
                    match val {
                        Val::Scalar(v) => Some(*v),
                        Val::Series(s) => s.get(&t).copied(),
                        Val::Array(_) => None,
                    }
                };
                match condition {
                    Val::Scalar(c) => Ok(if c != 0.0 {
                        then
                    } else {
                        otherwise.unwrap_or(Val::Series(Series::new()))
                    }),
                    Val::Series(c) => Ok(Val::Series(
                        c.iter()
                            .filter_map(|(t, v)| {
                                if *v != 0.0 {
                                    at(&then, *t).map(|x| (*t, x))
                                } else {
                                    otherwise.as_ref().and_then(|o| at(o, *t)).map(|x| (*t, x))
                                }
                            })
                            .collect(),
                    )),
                    Val::Array(_) => Err("IF of an array".into()),
                }
            }
            "MIN" | "MAX" => {
                let Val::Array(items) = arg(0)? else {
                    return Err(format!("{name} takes [series, ...]"));
                };
                let mut out: Series = Series::new();
                for item in items {
                    let Val::Series(series) = item else {
                        return Err(format!("{name} of a scalar"));
                    };
                    for (t, v) in series {
                        out.entry(t)
                            .and_modify(|best| {
                                *best = if name == "MIN" { best.min(v) } else { best.max(v) };
                            })
                            .or_insert(v);
                    }
                }
                Ok(Val::Series(out))
            }
            other => Err(format!("{other} is not modelled")),
        }
    }
}

/// What an alarm says after evaluating its last `periods`, and the value
/// its expression had in each (`None`: no data).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub in_alarm: bool,
    pub values: Vec<Option<f64>>,
}

/// An alarm as its definition (PutMetricAlarm's members, as the template
/// gives them) sets it, on `queries`, over the periods of `window`.
#[derive(Debug, Clone)]
pub struct Alarm {
    /// The id of the query with `ReturnData`.
    pub returned: String,
    pub threshold: f64,
    pub operator: String,
    pub evaluation_periods: usize,
    pub datapoints_to_alarm: usize,
    pub treat_missing: String,
}

impl Alarm {
    /// Evaluates over `window` (period starts, oldest first), FILL as `fill`.
    pub fn evaluate(&self, queries: &Queries, window: &[i64], fill: Fill) -> Result<Verdict, String> {
        let with_data = queries.data.values().flat_map(|s| s.keys().copied()).collect();
        let evaluation = Evaluation {
            queries,
            window: window.to_vec(),
            fill,
            with_data,
        };
        let series = match evaluation.id(&self.returned, 0)? {
            Val::Series(series) => series,
            Val::Scalar(v) => window.iter().map(|t| (*t, v)).collect(),
            Val::Array(_) => return Err("the alarm returns an array".into()),
        };
        let last: Vec<i64> = window
            .iter()
            .rev()
            .take(self.evaluation_periods)
            .rev()
            .copied()
            .collect();
        let values: Vec<Option<f64>> = last.iter().map(|t| series.get(t).copied()).collect();
        let breaching = values
            .iter()
            .filter(|value| match value {
                Some(v) => match self.operator.as_str() {
                    "GreaterThanOrEqualToThreshold" => *v >= self.threshold,
                    "GreaterThanThreshold" => *v > self.threshold,
                    "LessThanThreshold" => *v < self.threshold,
                    "LessThanOrEqualToThreshold" => *v <= self.threshold,
                    _ => false,
                },
                // Missing data as the alarm says to treat it.
                None => self.treat_missing == "breaching",
            })
            .count();
        Ok(Verdict {
            in_alarm: breaching >= self.datapoints_to_alarm,
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(i64, f64)]) -> Series {
        points.iter().copied().collect()
    }

    #[test]
    fn operators_functions_and_missing_points_behave_as_documented() {
        let queries = Queries {
            data: HashMap::from([
                ("a".into(), series(&[(0, 1.0), (60, 5.0)])),
                ("b".into(), series(&[(60, 2.0), (120, 3.0)])),
            ]),
            expressions: HashMap::from([
                ("sum".into(), "a + b".into()),
                ("filled".into(), "FILL(a, 0) + FILL(b, 0)".into()),
                ("big".into(), "IF(MAX([a, b]) >= 3 OR a == 1, 1, 0)".into()),
            ]),
        };
        let window = [0, 60, 120];
        let run = |id: &str, fill| {
            Alarm {
                returned: id.into(),
                threshold: 1.0,
                operator: "GreaterThanOrEqualToThreshold".into(),
                evaluation_periods: 3,
                datapoints_to_alarm: 3,
                treat_missing: "notBreaching".into(),
            }
            .evaluate(&queries, &window, fill)
            .unwrap()
            .values
        };
        assert_eq!(
            run("sum", Fill::Window),
            [None, Some(7.0), None],
            "where both have data"
        );
        assert_eq!(run("filled", Fill::Window), [Some(1.0), Some(7.0), Some(3.0)]);
        // a has no value at 120: the OR has none there either.
        assert_eq!(run("big", Fill::Window), [Some(1.0), Some(1.0), None]);
    }
}
