#!/usr/bin/env bash
# Packages the stack the way AWS solutions are published:
#   deployment/regional-s3-assets/livestream-resources.zip   the arm64 handler
#   deployment/regional-s3-assets/demo-source.mp4            the stack's own
#       looping test source (deployment/render-demo-source.sh)
#   deployment/global-s3-assets/<SOLUTION_NAME>.template      template.yaml whose
#       code location defaults to bucket <BUCKET>-<region>, keys
#       <SOLUTION_NAME>/<VERSION>/livestream-resources.zip and …/demo-source.mp4
#   deployment/global-s3-assets/<SOLUTION_NAME>-foundation.template
#       foundation.yaml, with the same defaults (many events per deployment)
#   deployment/global-s3-assets/<SOLUTION_NAME>-event.template
#       event.yaml, one stack per live event (its code is the foundation's)
# then prints the commands that upload and deploy them.
#
# usage: deployment/build-s3-dist.sh BUCKET SOLUTION_NAME VERSION
#   BUCKET         bucket name prefix; the code goes to BUCKET-<region>
#   SOLUTION_NAME  e.g. livestream-on-aws
#   VERSION        e.g. v1.0.0
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: $0 BUCKET SOLUTION_NAME VERSION" >&2
  echo "  e.g. $0 my-media-code livestream-on-aws v1.0.0  (the zip then goes to s3://my-media-code-<region>/livestream-on-aws/v1.0.0/)" >&2
  exit 2
}
[ $# -eq 3 ] || usage
bucket=$1 solution=$2 version=$3
[[ $bucket =~ ^[a-z0-9][a-z0-9.-]{1,45}[a-z0-9]$ ]] || {
  echo "build-s3-dist: BUCKET '$bucket' is not a bucket name prefix (lowercase letters, digits, dots, hyphens; the region is appended)" >&2
  exit 2
}
[[ $solution =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "build-s3-dist: SOLUTION_NAME '$solution' may hold only letters, digits, '.', '_', '-'" >&2; exit 2; }
[[ $version =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "build-s3-dist: VERSION '$version' may hold only letters, digits, '.', '_', '-'" >&2; exit 2; }

# The build tools live in the project's venv (bootstrap.sh --build-tools).
export PATH=$PWD/.venv/bin:$PATH
missing=()
command -v cargo >/dev/null || missing+=("cargo (install Rust with rustup: https://rustup.rs)")
command -v cargo-lambda >/dev/null || missing+=("cargo-lambda")
command -v ffmpeg >/dev/null || missing+=("ffmpeg")
python -c 'import ziglang' 2>/dev/null || command -v zig >/dev/null || missing+=("zig")
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  missing+=("Rust's aarch64-unknown-linux-gnu target")
fi
if [ ${#missing[@]} -gt 0 ]; then
  printf 'build-s3-dist: missing: %s\n' "${missing[@]}" >&2
  echo "build-s3-dist: run ./deployment/bootstrap.sh --build-tools (installs cargo-lambda and zig into .venv, ffmpeg from Debian, and adds the target)" >&2
  exit 1
fi

zip_name=livestream-resources.zip
source_name=demo-source.mp4
key=$solution/$version/$zip_name
source_key=$solution/$version/$source_name
regional=deployment/regional-s3-assets
global=deployment/global-s3-assets
rm -rf "$regional" "$global"
mkdir -p "$regional" "$global"

echo "build-s3-dist: building the arm64 handler (release; about 8 minutes from cold on 2 cores)"
cargo lambda build --release --arm64 --output-format zip --bin livestream-resources
cp target/lambda/livestream-resources/bootstrap.zip "$regional/$zip_name"

echo "build-s3-dist: rendering the test source"
./deployment/render-demo-source.sh "$regional/$source_name"

# The templates, with the code location as the defaults of their three code
# parameters (they have none in the sources, so nothing else changes).
with_code_defaults() {
  local source=$1 target=$2
  awk -v bucket="$bucket" -v key="$key" -v source_key="$source_key" '
    { print }
    /^  CodeBucketPrefix:$/ { print "    Default: \x27" bucket "\x27" }
    /^  CodeKey:$/          { print "    Default: \x27" key "\x27" }
    /^  DemoSourceKey:$/    { print "    Default: \x27" source_key "\x27" }
  ' "$source" > "$target"
  for default in "$bucket" "$key" "$source_key"; do
    grep -q "Default: '$default'" "$target" || {
      echo "build-s3-dist: $source no longer has the CodeBucketPrefix / CodeKey / DemoSourceKey parameters this script fills in" >&2
      exit 1
    }
  done
}
with_code_defaults template.yaml "$global/$solution.template"
with_code_defaults foundation.yaml "$global/$solution-foundation.template"
# An event runs on its foundation's code: nothing to fill in.
cp event.yaml "$global/$solution-event.template"

# CloudFormation takes a template of at most 1 MB from S3 (51,200 bytes
# inline, which is why the deploy commands below upload them with --s3-bucket).
for template in "$global"/*.template; do
  template_bytes=$(wc -c < "$template")
  if [ "$template_bytes" -gt 1048576 ]; then
    echo "build-s3-dist: $template is $template_bytes bytes; CloudFormation takes at most 1,048,576 from S3" >&2
    exit 1
  fi
done
template_bytes=$(wc -c < "$global/$solution.template")

region=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
size=$(du -h "$regional/$zip_name" | cut -f1)
source_size=$(du -h "$regional/$source_name" | cut -f1)
cat <<EOF

build-s3-dist: done
  $regional/$zip_name   ($size)
  $regional/$source_name   ($source_size)
  $global/$solution.template   ($template_bytes bytes)
  $global/$solution-foundation.template, $global/$solution-event.template

Next, in the region you deploy to ($region here, from AWS_REGION; set it to change):

  aws s3 mb s3://$bucket-$region --region $region        # once, if the bucket does not exist
  aws s3 sync $regional/ s3://$bucket-$region/$solution/$version/ --region $region
  aws cloudformation deploy --region $region \\
    --template-file $global/$solution.template \\
    --s3-bucket $bucket-$region --s3-prefix $solution/$version \\
    --stack-name livestream \\
    --capabilities CAPABILITY_IAM \\
    --parameter-overrides EncodingProfile=HD-720p ChannelStart=Yes

  aws cloudformation describe-stacks --region $region --stack-name livestream --query 'Stacks[0].Outputs'

Or, for many live events from one deployment: the foundation once, then one stack per event
(deleting an event touches no other; the foundation goes last):

  aws cloudformation deploy --region $region \
    --template-file $global/$solution-foundation.template \
    --s3-bucket $bucket-$region --s3-prefix $solution/$version \
    --stack-name live --capabilities CAPABILITY_IAM

  aws cloudformation deploy --region $region \
    --template-file $global/$solution-event.template \
    --s3-bucket $bucket-$region --s3-prefix $solution/$version \
    --stack-name keynote --capabilities CAPABILITY_IAM \
    --parameter-overrides Foundation=live EventTitle=Keynote ChannelStart=Yes

  aws cloudformation delete-stack --region $region --stack-name keynote
EOF
