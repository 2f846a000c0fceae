#!/usr/bin/env bash
# Enqueue a job with curl, follow it until it finishes, and react to a failure by replaying it
# (FAILED: retry; DEAD: replay). Needs curl and jq; the server on SYNCBRIDGE_URL.
#   examples/enqueue-and-watch.sh customer_sync c_flaky
set -euo pipefail
url="${SYNCBRIDGE_URL:-http://127.0.0.1:4000/graphql}"
type="$(echo "${1:-customer_sync}" | tr '[:lower:]' '[:upper:]')"
entity="${2:-c_1001}"

gql() { # gql QUERY [VARIABLES_JSON]
  jq -n --arg q "$1" --argjson v "${2:-{\}}" '{query: $q, variables: $v}' |
    curl -sS --fail-with-body "$url" -H 'content-type: application/json' -d @-
}

enqueued=$(gql 'mutation ($t: JobType!, $e: String!) { enqueueJob(input: { jobType: $t, entityId: $e }) {
  __typename ... on EnqueueJobSuccess { job { id } } ... on DuplicateActiveJobError { existingJobId message } ... on Error { message } } }' \
  "$(jq -n --arg t "$type" --arg e "$entity" '{t: $t, e: $e}')")
kind=$(jq -r '.data.enqueueJob.__typename' <<<"$enqueued")
case "$kind" in
  EnqueueJobSuccess) id=$(jq -r '.data.enqueueJob.job.id' <<<"$enqueued"); echo "enqueued job $id" ;;
  DuplicateActiveJobError) id=$(jq -r '.data.enqueueJob.existingJobId' <<<"$enqueued"); echo "already active: following job $id" ;;
  *) echo "enqueue failed: $(jq -r '.data.enqueueJob.message // .errors[0].message' <<<"$enqueued")" >&2; exit 1 ;;
esac

# Follow it live over SSE until it reaches a final state.
status=""
while IFS= read -r line; do
  [[ "$line" == data:* ]] || continue
  status=$(jq -r '.data.jobUpdated.status // empty' <<<"${line#data: }")
  echo "job $id: $status ($(jq -r '.data.jobUpdated.attemptCount' <<<"${line#data: }") attempts)"
  case "$status" in SUCCEEDED|FAILED|DEAD|CANCELED) break ;; esac
done < <(curl -sS -N "$url" -H 'accept: text/event-stream' -H 'content-type: application/json' \
  -d "$(jq -n --arg id "$id" '{query: "subscription ($id: ID!) { jobUpdated(id: $id) { status attemptCount } }", variables: {id: $id}}')")

case "$status" in
  SUCCEEDED) exit 0 ;;
  FAILED)
    echo "retrying job $id"
    gql 'mutation ($id: ID!) { retryJob(id: $id) { __typename ... on Error { message } } }' "$(jq -n --arg id "$id" '{id: $id}')" | jq -c '.data.retryJob' ;;
  DEAD)
    echo "replaying job $id"
    gql 'mutation ($id: ID!) { replayJob(id: $id) { __typename ... on ReplayJobSuccess { job { id } } ... on Error { message } } }' "$(jq -n --arg id "$id" '{id: $id}')" | jq -c '.data.replayJob' ;;
esac
exit 1
