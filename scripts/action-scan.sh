#!/usr/bin/env bash
# The GitHub Action's scan step. Every value arrives through the environment (no ${{ }} in
# the workflow's run: body), so this runs the same offline, under a test, as on a runner.
#
# Range by event: push -> before..after (before all zeros: the commits new to the repository;
# before == after: nothing to do); pull_request(_target) -> base.sha..head.sha;
# schedule / workflow_dispatch -> all history. A checkout too shallow for the range is deepened;
# if that fails the step fails loudly with the fix.
set -uo pipefail

notice() { echo "::notice title=burnkey::$*"; }
fail() { echo "::error title=burnkey::$*"; exit 2; }
out() { [ -n "${GITHUB_OUTPUT:-}" ] && echo "$1" >> "$GITHUB_OUTPUT"; return 0; }
zero() { [[ "$1" =~ ^0+$ ]]; }

cd "${INPUT_PATH:-.}" || fail "path ${INPUT_PATH} does not exist"
# The report goes outside the checkout unless asked otherwise: a pull request can commit a symlink
# named like it (burnkey refuses to write through one, but then there would be no report).
if [ -n "${INPUT_SARIF:-}" ]; then
    sarif=$INPUT_SARIF
    case "$sarif" in /*) ;; *) sarif="$PWD/$sarif" ;; esac
else
    sarif=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/burnkey.XXXXXX")/burnkey.sarif
fi

event_field() { # event_field KEY... : a string field of the event JSON, read by burnkey itself
    burnkey event-field "$GITHUB_EVENT_PATH" "$@" 2>/dev/null
}

have_commit() { git cat-file -e "$1^{commit}" 2>/dev/null; }

# Deepen a shallow checkout until BASE is present and connected to HEAD's history.
ensure_range() {
    local base="$1" head="$2" i
    have_commit "$head" || git fetch --no-tags --quiet origin "$head" 2>/dev/null || true
    for i in 1 2 3 4 5 6; do
        if have_commit "$base" && have_commit "$head" && git merge-base "$base" "$head" >/dev/null 2>&1; then
            return 0
        fi
        [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = "true" ] || break
        echo "shallow checkout: deepening to reach $base"
        if [ "$i" -lt 6 ]; then
            git fetch --no-tags --quiet --deepen=$((50 * i * i)) origin "$head" 2>/dev/null || true
        else
            git fetch --no-tags --quiet --unshallow origin 2>/dev/null || true
        fi
        have_commit "$base" || git fetch --no-tags --quiet origin "$base" 2>/dev/null || true
    done
    if have_commit "$base" && have_commit "$head" && git merge-base "$base" "$head" >/dev/null 2>&1; then
        return 0
    fi
    fail "the checkout does not hold the range $base..$head and could not be deepened. Use actions/checkout with fetch-depth: 0."
}

ensure_full_history() {
    if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = "true" ]; then
        echo "shallow checkout: fetching the full history"
        git fetch --no-tags --quiet --unshallow origin 2>/dev/null ||
            fail "the checkout is shallow and could not be unshallowed. Use actions/checkout with fetch-depth: 0."
    fi
}

mode="${INPUT_MODE:-auto}"
base="${INPUT_BASE:-}"
head="${INPUT_HEAD:-}"
event="${GITHUB_EVENT_NAME:-}"
source_args=()

if [ "$mode" = auto ]; then
    if [ -n "$base" ] || [ -n "$head" ]; then
        mode=range
    else
        case "$event" in
            push)
                base=$(event_field before); head=$(event_field after)
                [ -n "$head" ] || head=$(git rev-parse HEAD)
                mode=range
                ;;
            pull_request|pull_request_target)
                base=$(event_field pull_request base sha); head=$(event_field pull_request head sha)
                mode=range
                ;;
            *) mode=full ;;
        esac
    fi
fi

case "$mode" in
    full)
        ensure_full_history
        source_args=(--git .)
        ;;
    staged)
        source_args=(--staged)
        ;;
    range)
        [ -n "$head" ] || head=$(git rev-parse HEAD)
        [ -n "$base" ] || fail "mode range needs a base (input base, or a push / pull_request event)"
        if [ "$base" = "$head" ]; then
            notice "nothing to scan: the push did not move the branch ($head)."
            out "findings=0"; out "revocations=0"; out "sarif="
            exit 0
        fi
        if zero "$base"; then
            # A new branch: its commits that no other branch of the repository has.
            ensure_full_history
            branch="${GITHUB_REF_NAME:-$(event_field ref | sed 's#^refs/heads/##')}"
            excludes=()
            while IFS= read -r ref; do
                case "$ref" in
                    "refs/remotes/origin/$branch"|refs/remotes/origin/HEAD|"refs/heads/$branch") ;;
                    *) excludes+=("^$ref") ;;
                esac
            done < <(git for-each-ref --format='%(refname)' refs/remotes refs/heads)
            range="$head ${excludes[*]:-}"
        else
            ensure_range "$base" "$head"
            range="$base..$head"
        fi
        source_args=(--git-range "$range")
        ;;
    *) fail "unknown mode '$mode' (auto, full, staged or range)" ;;
esac

extra=()
[ "${INPUT_REVOKE:-false}" = "true" ] && extra+=(--revoke)
[ "${INPUT_VERIFY:-false}" = "true" ] && extra+=(--verify)
[ -n "${INPUT_CONFIG:-}" ] && extra+=(--config "$INPUT_CONFIG")
# A baseline path is relative to the scanned path, like burnkey.toml.
if [ -n "${INPUT_BASELINE:-}" ]; then
    [ -f "$INPUT_BASELINE" ] || fail "baseline '$INPUT_BASELINE' not found (relative to the scanned path)"
    extra+=(--baseline "$INPUT_BASELINE")
fi
# shellcheck disable=SC2206 # user arguments are split on whitespace, by design
[ -n "${INPUT_ARGS:-}" ] && extra+=(${INPUT_ARGS})

[ -n "${GITHUB_STEP_SUMMARY:-}" ] && extra+=(--markdown-summary "$GITHUB_STEP_SUMMARY")
[ -n "${GITHUB_OUTPUT:-}" ] && extra+=(--github-output "$GITHUB_OUTPUT")

# ${extra[@]+…}: an empty array under set -u is an error in bash < 4.4 (macOS /bin/bash).
burnkey scan "${source_args[@]}" --format "${INPUT_FORMAT:-github}" --sarif "$sarif" ${extra[@]+"${extra[@]}"}
rc=$?
out "sarif=$sarif"
case $rc in
    0) exit 0 ;;
    1)
        if [ "${INPUT_FAIL_ON_FINDINGS:-true}" = "true" ]; then
            echo "::error title=burnkey::leaked tokens found: revoke them, then remove them (see the job summary)."
            exit 1
        fi
        notice "leaked tokens found; fail-on-findings is false, so the step passes."
        exit 0
        ;;
    *) exit "$rc" ;;
esac
