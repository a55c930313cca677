//! `check-stack STACK [--region R] [--json]`: the first-deploy check.
//! Exits 0 when no check is broken, 1 when one is, 2 when the stack cannot
//! be read or the arguments are wrong.

use std::process::ExitCode;

use aws_config::{BehaviorVersion, Region};

const USAGE: &str = "usage: check-stack STACK [--region REGION] [--json]";

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut stack, mut region, mut json) = (None, None, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--region" => region = args.next(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other if stack.is_none() && !other.starts_with('-') => stack = Some(other.to_owned()),
            other => {
                eprintln!("check-stack: unexpected {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(stack) = stack else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut config = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        config = config.region(Region::new(region));
    }
    let aws = livestream_check::Clients::new(&config.load().await);
    match livestream_check::check(&aws, &stack).await {
        Ok(report) => {
            if json {
                println!("{}", report.json());
            } else {
                print!("{}", report.words());
            }
            if report.broken() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(why) => {
            eprintln!("check-stack: cannot read stack {stack}: {why}");
            ExitCode::from(2)
        }
    }
}
