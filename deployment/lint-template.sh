#!/usr/bin/env bash
# Lints a CloudFormation template with cfn-lint and checkov, both pinned in
# the project's venvs (deployment/bootstrap.sh). Suppressions live in the
# template, each with its reason. Usage: lint-template.sh FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 TEMPLATE..." >&2; exit 2; }
for tool in .venv/bin/cfn-lint .venv-lint/bin/checkov; do
  [ -x "$tool" ] || { echo "lint-template: $tool is missing; run ./deployment/bootstrap.sh" >&2; exit 1; }
done
for template in "$@"; do
  echo "lint-template: cfn-lint $template"
  .venv/bin/cfn-lint "$template"
  echo "lint-template: checkov $template"
  # --skip-download: checkov would otherwise fetch guidance from its vendor.
  .venv-lint/bin/checkov --quiet --compact --skip-download --framework cloudformation -f "$template"
done
