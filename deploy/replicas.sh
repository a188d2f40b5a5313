#!/usr/bin/env bash
# deploy/replicas.sh N PORT: N ganviz processes on local ports behind Debian's nginx on PORT, with
# deploy/nginx.conf as is: the single-host way to use many cores. Ctrl-C (or SIGTERM) stops them all.
#
# Each process trains at most GANVIZ_MAX_TRAINING sessions at once (default here: cores / N, at least 1),
# so N processes together train one session per core. Run it from anywhere; logs go to $GANVIZ_LOGS
# (default: a fresh temporary folder, printed).
set -euo pipefail

if [ $# -ne 2 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: deploy/replicas.sh N PORT   (N app processes behind nginx on PORT, e.g. deploy/replicas.sh 2 8080)" >&2
    exit 2
fi
n=$1
port=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
command -v nginx >/dev/null || { echo "replicas.sh: nginx not found; on Debian or Ubuntu: apt-get install -y nginx" >&2; exit 1; }

run=$(mktemp -d)
logs=${GANVIZ_LOGS:-$run}
secret=$(python3 -c "import secrets; print(secrets.token_hex(32))")
cores=$(nproc)
export GANVIZ_MAX_TRAINING=${GANVIZ_MAX_TRAINING:-$(( cores / n > 0 ? cores / n : 1 ))}

pids=()
stop() {
    trap - EXIT INT TERM
    [ -f "$run/nginx.pid" ] && kill "$(cat "$run/nginx.pid")" 2>/dev/null || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "replicas.sh: stopped (logs in $logs)" >&2
}
trap stop EXIT INT TERM

: > "$run/upstream.conf"
for i in $(seq 1 "$n"); do
    app_port=$(( port + i ))
    (cd "$root" && STREAMLIT_SERVER_COOKIE_SECRET="$secret" exec python -m streamlit run app.py \
        --server.headless=true --server.address=127.0.0.1 --server.port="$app_port" \
        --browser.gatherUsageStats=false --server.fileWatcherType=none) > "$logs/app-$i.log" 2>&1 &
    pids+=($!)
    echo "server 127.0.0.1:$app_port;" >> "$run/upstream.conf"
done
echo "listen 127.0.0.1:$port;" > "$run/listen.conf"
cp "$here/nginx.conf" "$run/nginx.conf"

for i in $(seq 1 "$n"); do
    for _ in $(seq 1 240); do
        curl -sf "http://127.0.0.1:$(( port + i ))/_stcore/health" >/dev/null && break
        sleep 0.25
    done
done
nginx -p "$run" -c "$run/nginx.conf" -g "daemon off;" 2> "$logs/nginx.log" &
pids+=($!)
echo "ganviz: $n processes behind nginx at http://127.0.0.1:$port/ (GANVIZ_MAX_TRAINING=$GANVIZ_MAX_TRAINING each; logs in $logs)"
wait -n "${pids[@]}"
