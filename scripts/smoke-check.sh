#!/usr/bin/env bash
# After a deploy: start one manual dry-run execution of the stack's state machine and fail unless it
# ends SUCCEEDED with a plan. A dry-run notify: it runs plan, guard and record (and publishes one
# info notification) with the deployed roles, and changes nothing.
#   scripts/smoke-check.sh <stack-name>      (STATE_MACHINE_ARN skips the stack lookup)
# Needs the AWS CLI and python3 (both in the CodeBuild standard images).
set -euo pipefail
stack="${1:?usage: smoke-check.sh <stack-name>}"
timeout_seconds="${SMOKE_TIMEOUT_SECONDS:-300}"
poll_seconds="${SMOKE_POLL_SECONDS:-5}"

state_machine="${STATE_MACHINE_ARN:-$(aws cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Outputs[?OutputKey=='StateMachineArn'].OutputValue" --output text)}"
name="smoke-${CODEBUILD_BUILD_NUMBER:-$(date +%s)}-$RANDOM"
input="{\"action\":{\"type\":\"notify\",\"severity\":\"info\"},\"reason\":\"smoke check after deploying $stack\",\"requestedBy\":\"pipeline\",\"dryRun\":true}"

execution="$(aws stepfunctions start-execution --state-machine-arn "$state_machine" --name "$name" \
  --input "$input" --query executionArn --output text)"
echo "smoke check: started $execution"

deadline=$((SECONDS + timeout_seconds))
while :; do
  status="$(aws stepfunctions describe-execution --execution-arn "$execution" --query status --output text)"
  [ "$status" != "RUNNING" ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "smoke check FAILED: $name still RUNNING after ${timeout_seconds} s" >&2
    exit 1
  fi
  sleep "$poll_seconds"
done

if [ "$status" != "SUCCEEDED" ]; then
  aws stepfunctions describe-execution --execution-arn "$execution" --query '[error, cause]' --output text >&2 || true
  echo "smoke check FAILED: $name ended $status" >&2
  exit 1
fi
aws stepfunctions describe-execution --execution-arn "$execution" --query output --output text | python3 -c '
import json, sys
output = json.load(sys.stdin)
plan = output.get("plan") or {}
if not plan.get("action"):
    sys.exit("smoke check FAILED: the execution succeeded without a plan")
decided = plan.get("rule") or plan["action"].get("type")
outcome = (output.get("record") or {}).get("outcome")
print("smoke check passed: SUCCEEDED, plan {}, outcome {}".format(decided, outcome))
'
