#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The HTML report in a real browser (ctest label `browser`): renders the report
# for seed-test-task, tarrask-sd-delete, a benign scenario and a scenario full
# of markup (tests/report/html-hostile.json), opens the pages in headless
# Chromium and checks
#   - the DOM (--dump-dom): rule ids, virtual-clock times, task names, the
#     dropped-event rows, the coverage numbers of `tasklab coverage`, the
#     golden comparison of a scenario whose golden file was altered, and that
#     the markup of the hostile scenario stayed text;
#   - with JavaScript off the timeline and tables are all there;
#   - a screenshot is produced and is not blank (grey-level variance);
#   - Chromium's log shows no JavaScript error (the check is first shown to
#     catch a page with a deliberate error);
#   - every page passes `tidy -e -q` without errors.
# Skipped (77) with the reason when Chromium or tidy is not installed
# (ci/install-deps.sh installs both). TL_REPORT_SCREENSHOT=FILE keeps the
# seed page's screenshot (docs/report-seed.png is made this way).
set -u
tasklab=$1 home=$2 png_stats=$3
export TASKLAB_HOME=$home
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "SKIP: no Chromium browser installed (Debian package chromium; ci/install-deps.sh)"; exit 77
fi
if ! command -v tidy >/dev/null 2>&1; then
  echo "SKIP: no tidy (Debian package tidy; ci/install-deps.sh)"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }

# Headless Chromium with a fresh profile each time; its log (stderr) in $2.
chrome() { # out-log args...
  local log=$1; shift
  local prof; prof=$(mktemp -d "$tmp/profile.XXXXXX")
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$prof" --enable-logging=stderr --v=0 "$@" 2>"$log"
}
js_errors() { grep -E 'CONSOLE\(|Uncaught|SyntaxError|ReferenceError|TypeError' "$1"; }

# The log check must be able to fail: a page with a deliberate error.
printf '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>x</title></head><body><p>x</p><script>undefinedFunctionForTheTest();</script></body></html>\n' >"$tmp/broken.html"
chrome "$tmp/broken.log" --dump-dom "file://$tmp/broken.html" >/dev/null
if js_errors "$tmp/broken.log" >/dev/null; then ok; else
  echo "SKIP: this Chromium does not log console errors to stderr, the JavaScript check cannot work"
  exit 77
fi

# A golden root where tarrask-sd-delete's default alerts lack their last alert.
cp -r "$home/golden" "$tmp/golden"
ga="$tmp/golden/default/tarrask-sd-delete.alerts.json"
head -n -1 "$ga" >"$ga.new" && mv "$ga.new" "$ga"

out="$tmp/site"
if ! "$tasklab" report --out "$out" --golden "$tmp/golden" seed-test-task tarrask-sd-delete \
    benign-onedrive "$home/tests/report/html-hostile.json" >"$tmp/report.out" 2>&1; then
  bad "tasklab report failed:"; cat "$tmp/report.out"; exit 1
fi

dom() { # page -> $tmp/<page>.dom, log in $tmp/<page>.log
  chrome "$tmp/$1.log" --dump-dom "file://$out/$1.html" >"$tmp/$1.dom"
  if [ ! -s "$tmp/$1.dom" ]; then bad "$1: empty DOM dump"; fi
  if js_errors "$tmp/$1.log"; then bad "$1: JavaScript error in Chromium's log"; else ok; fi
}
want() { # page fixed-string description
  if grep -qF -- "$2" "$tmp/$1.dom"; then ok; else bad "$1: DOM lacks $3: $2"; fi
}
count_at_least() { # page regex n description
  local c; c=$(grep -oE -- "$2" "$tmp/$1.dom" | wc -l)
  if [ "$c" -ge "$3" ]; then ok; else bad "$1: $4: $c < $3"; fi
}
for p in index seed-test-task tarrask-sd-delete benign-onedrive html-hostile; do dom "$p"; done

# seed-test-task: the blog's alerts, the virtual clock, the task, the rule chain
want seed-test-task '<code class="rule">115006</code>' "rule 115006"
want seed-test-task '<code class="rule">115009</code>' "rule 115009 (from the AR's record)"
want seed-test-task '2022-04-13T11:59:41.0493930Z' "the time of the CreateKey event"
want seed-test-task '+0.049 s' "the offset on the virtual clock"
want seed-test-task 'C:\Windows\System32\Tasks\test-task' "the task file"
want seed-test-task 'A Newly Scheduled Task has been Detected' "rule 115006's description"
# the rule chain's descriptions have their $(field)s filled: the alert's rule as
# alerts.json has it, a rule that only matched from the same event, marked
want seed-test-task '<li class="fired"><code>115006</code> A Newly Scheduled Task has been Detected on DESKTOP-4E0BQFT</li>' "115006's description as its alert has it"
want seed-test-task '<li class="fired"><code>115009</code> A new scheduled task "test-task" has been created on "DESKTOP-4E0BQFT". The task will execute the command - "C:\Windows\System32\calc.exe".</li>' "115009's description as its alert has it"
want seed-test-task '<code>61614</code> Sysmon - Event 12: RegistryEvent CreateKey on HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\test-task by C:\\Windows\\system32\\svchost.exe <small class="filled"' "a parent rule's description filled from its event, marked"
if grep -qF '$(' "$tmp/seed-test-task.dom" "$tmp/tarrask-sd-delete.dom"; then
  bad "a rule description with an unfilled \$(field)"; grep -oF -m3 '$(' "$tmp/seed-test-task.dom"; else ok; fi
want seed-test-task 'execd runs <code>analyze-scheduled-task.exe</code>' "the AR run"
want seed-test-task '<small>schtasks  /create /tn test-task /tr "C:\Windows\System32\calc.exe"' "the process tree's command line"
want seed-test-task '<code class="img">C:\Windows\System32\cmd.exe</code> <span class="sub">already running</span>' "the process tree's root"
count_at_least seed-test-task '<tr class="dropped" data-kind="dropped">' 3 "dropped-event rows"
want seed-test-task 'dropped by exclude rule &lt;TargetObject condition="begin with"&gt;HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tasks\' "the rule that dropped an event"
want seed-test-task 'logged by include rule &lt;TargetObject condition="begin with"&gt;HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree' "the rule that logged an event"
want seed-test-task '>Expand all</button>' "the expand-all button (JavaScript ran)"
# tarrask-sd-delete: its task, the SD deletion, and the altered golden file
want tarrask-sd-delete 'WinUpdate' "the task name"
want tarrask-sd-delete 'TaskCache\Tree\WinUpdate\SD' "the deleted SD value"
want tarrask-sd-delete '<code class="rule">115006</code>' "rule 115006"
want tarrask-sd-delete 'Golden comparison failed: profile <code>default</code>' "the failing golden comparison"
want tarrask-sd-delete 'Expected (golden)' "expected and actual side by side"
want tarrask-sd-delete '<strong class="mark">differs</strong>' "the differing alert"
count_at_least tarrask-sd-delete '<tr class="dropped" data-kind="dropped">' 1 "dropped-event rows"
# the benign scenario
want benign-onedrive 'OneDrive Standalone Update Task-S-1-5-21-2112175474-2510005671-2087213377-1001' "the task name"
want benign-onedrive 'OneDriveStandaloneUpdater.exe' "the task's action"
# index: the library and the coverage numbers of `tasklab coverage`
want index 'href="tarrask-sd-delete.html"' "the link to a scenario page"
want index '<td class="fail">FAIL</td>' "tarrask-sd-delete failing with the altered golden file"
"$tasklab" coverage "$home/scenarios/benign-onedrive.json" "$home/scenarios/seed-test-task.json" \
  "$home/scenarios/tarrask-sd-delete.json" "$home/tests/report/html-hostile.json" >"$tmp/coverage.md" 2>&1
n=0
while IFS= read -r line; do
  case "$line" in
    "- "*) n=$((n+1)); text=${line#- }
           text=$(printf '%s' "$text" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')
           if grep -qF -- "<li>$text" "$tmp/index.dom"; then ok; else bad "index: coverage line missing: $line"; fi ;;
  esac
done <"$tmp/coverage.md"
[ "$n" -ge 3 ] && ok || bad "tasklab coverage printed no summary lines ($n)"
# hostile content is text, never markup
want html-hostile '&lt;script&gt;document.title=' "the escaped script text"
want html-hostile "Tom &amp; Jerry's task" "the task name"
if grep -qE '<img|<b>|<script>document|<title>[^<]*pwned' "$tmp/html-hostile.dom"; then
  bad "html-hostile: markup from the scenario became HTML"; else ok; fi
if [ "$(grep -o '<script' "$tmp/html-hostile.dom" | wc -l)" = 1 ]; then ok; else bad "html-hostile: more than report.js's <script>"; fi
grep -q '<title>html-hostile</title>' "$tmp/html-hostile.dom" && ok || bad "html-hostile: the title changed"

# JavaScript off: everything but the buttons and filters is there. (Headless
# Chromium cannot dump the DOM with scripts disabled, as it serialises through
# script: the site is copied with an empty report.js, its only script.)
cp -r "$out" "$tmp/nojs" && : >"$tmp/nojs/report.js"
chrome "$tmp/nojs.log" --dump-dom "file://$tmp/nojs/seed-test-task.html" >"$tmp/nojs.dom"
grep -q 'id="timeline-table"' "$tmp/nojs.dom" && ok || bad "no-JS: no timeline table"
grep -q '<tr class="dropped"' "$tmp/nojs.dom" && ok || bad "no-JS: no dropped rows"
grep -q 'Expand all' "$tmp/nojs.dom" && bad "no-JS: script ran" || ok
grep -q 'class="filters" data-for="timeline-table" hidden' "$tmp/nojs.dom" && ok || bad "no-JS: filters not hidden"

# a screenshot that is not blank
chrome "$tmp/shot.log" --window-size=1280,1600 --hide-scrollbars --screenshot="$tmp/seed.png" "file://$out/seed-test-task.html" >/dev/null
if [ -s "$tmp/seed.png" ]; then
  read -r w h var < <("$png_stats" "$tmp/seed.png")
  if awk -v v="${var:-0}" 'BEGIN{exit !(v > 200)}'; then ok; else bad "screenshot looks blank: ${w:-?}x${h:-?} variance ${var:-?}"; fi
  [ -n "${TL_REPORT_SCREENSHOT:-}" ] && cp "$tmp/seed.png" "$TL_REPORT_SCREENSHOT"
else
  bad "no screenshot written"
fi
# a blank page must not pass that check
printf '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>b</title></head><body></body></html>\n' >"$tmp/blank.html"
chrome "$tmp/blank.log" --window-size=400,300 --screenshot="$tmp/blank.png" "file://$tmp/blank.html" >/dev/null
read -r _ _ bvar < <("$png_stats" "$tmp/blank.png")
awk -v v="${bvar:-999}" 'BEGIN{exit !(v <= 200)}' && ok || bad "the blank check does not see a blank page (variance ${bvar:-?})"

# the HTML validates
for f in "$out"/*.html; do
  tidy -e -q "$f" >"$tmp/tidy.out" 2>&1; rc=$?
  if [ "$rc" -ge 2 ] || grep -q 'Error:' "$tmp/tidy.out"; then bad "tidy: $(basename "$f")"; head -5 "$tmp/tidy.out"; else ok; fi
done

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
