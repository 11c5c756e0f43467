#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run the Windows build of analyze-scheduled-task under Wine against task files
# placed in the prefix's C:\windows\system32\tasks, and compare its logs byte
# for byte (after stripping CR) with the Linux build run on the same files.
# Cases: the blog's task (UTF-16LE), a name "'; Start-Process calc; '", a name
# with spaces in a folder, a hidden task whose SD was deleted, Wine's own file
# format, a non-ASCII name, and a task that is gone (error record).
# Exit 0 all identical, 1 a difference or failure, 77 wine/mingw-w64 missing.
# Environment: wine.md §4 (WINEDEBUG=-all, WINEARCH=win64, WINEDLLOVERRIDES,
# wineboot --init, persistent wineserver, killed by the EXIT trap).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
for t in wine wineboot wineserver x86_64-w64-mingw32-gcc cmake; do
  command -v "$t" >/dev/null 2>&1 || { echo "wine-test.sh: $t not found; skipping" >&2; exit 77; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/tasklab-wine.XXXXXX")
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
cleanup() { wineserver -k >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
ms() { date +%s%N | cut -c1-13; }

t0=$(ms)
exe=$("$here/ci/build-windows-ar.sh" "${TL_MINGW_BUILD_DIR:-$here/build-mingw}")
# The Linux build to compare with: TL_LINUX_AR (ctest passes the one it built), else build one.
linux_ar=${TL_LINUX_AR:-}
if [ -z "$linux_ar" ]; then
  cmake -S "$here" -B "$work/build-linux" -DTL_AR_ONLY=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$work/build-linux" -j2 --target analyze-scheduled-task >/dev/null 2>&1
  linux_ar="$work/build-linux/analyze-scheduled-task"
fi
t1=$(ms)
wineboot --init >/dev/null 2>&1
wineserver -w
wineserver -p
t2=$(ms)

agent='Program Files (x86)/ossec-agent'
win_agent="$WINEPREFIX/drive_c/$agent"
lin_agent="$work/linux/$agent"   # the Linux build's install dir; its C: is the prefix's drive_c
for a in "$win_agent" "$lin_agent"; do mkdir -p "$a/active-response/bin" "$a/logs"; done
cp "$exe" "$win_agent/active-response/bin/analyze-scheduled-task.exe"
# same file name, so both write "active-response/bin/analyze-scheduled-task.exe" in their log
cp "$linux_ar" "$lin_agent/active-response/bin/analyze-scheduled-task.exe"
tasks="$WINEPREFIX/drive_c/windows/system32/tasks"
mkdir -p "$tasks"

task_xml() { # $1 command, $2 arguments or empty, $3 hidden
  printf '<?xml version="1.0" encoding="UTF-16"?>\r\n<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">\r\n'
  printf '  <RegistrationInfo>\r\n    <Author>WORKGROUP\\DESKTOP-4E0BQFT$</Author>\r\n  </RegistrationInfo>\r\n'
  printf '  <Triggers>\r\n    <LogonTrigger>\r\n      <Enabled>true</Enabled>\r\n    </LogonTrigger>\r\n  </Triggers>\r\n'
  printf '  <Principals>\r\n    <Principal id="Author">\r\n      <UserId>S-1-5-18</UserId>\r\n    </Principal>\r\n  </Principals>\r\n'
  printf '  <Settings>\r\n    <Enabled>true</Enabled>\r\n    <Hidden>%s</Hidden>\r\n  </Settings>\r\n' "$3"
  printf '  <Actions Context="Author">\r\n    <Exec>\r\n      <Command>%s</Command>\r\n' "$1"
  [ -n "$2" ] && printf '      <Arguments>%s</Arguments>\r\n' "$2"
  printf '    </Exec>\r\n  </Actions>\r\n</Task>\r\n'
}
utf16() { printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE; }

task_xml 'C:\Windows\System32\calc.exe' '' false | utf16 >"$tasks/test-task"
task_xml 'powershell.exe' '-c &quot;Start-Process calc&quot; &amp; echo $(whoami) %TEMP% !x!' false \
  | { printf '\xef\xbb\xbf'; cat; } >"$tasks/'; Start-Process calc; '"
mkdir -p "$tasks/Updates/Sub Folder"
task_xml 'C:\Users\Public\test.exe' '/quiet' false | utf16 >"$tasks/Updates/Sub Folder/Task With Spaces"
task_xml 'C:\ProgramData\WinUpdate\svc.exe' '' true | utf16 >"$tasks/WinUpdate"
{ printf '\xef\xbb\xbf<!-- Task definition created by Wine -->\n'
  printf '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">\n'
  printf '  <Settings>\n    <Hidden>false</Hidden>\n  </Settings>\n  <Actions>\n    <Exec/>\n  </Actions>\n</Task>\n'
} >"$tasks/wine-written"
task_xml 'C:\Tools\t\xc3\xa2che.exe' '' false | utf16 >"$tasks/Tâche planifiée"

tree='HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree\'
message() { # $1 eventID $2 eventType $3 targetObject (single backslashes)
  local t
  t=$(printf '%s' "$3" | sed 's/\\/\\\\\\\\/g')  # Wazuh doubles, JSON escapes again
  printf '{"version":1,"origin":{"name":"node01","module":"wazuh-execd"},"command":"add","parameters":{"extra_args":[],"alert":{"rule":{"level":6,"id":"115006"},"agent":{"id":"001","name":"WS01"},"data":{"win":{"system":{"eventID":"%s","computer":"DESKTOP-4E0BQFT.corp.example"},"eventdata":{"eventType":"%s","targetObject":"%s"}}}},"program":"active-response/bin/analyze-scheduled-task.exe"}}\n' "$1" "$2" "$t"
}
cases=(
  "12|CreateKey|${tree}test-task"
  "13|SetValue|${tree}'; Start-Process calc; '\\Index"
  "13|SetValue|${tree}Updates\\Sub Folder\\Task With Spaces\\Id"
  "12|DeleteValue|${tree}WinUpdate\\SD"
  "12|CreateKey|${tree}wine-written"
  "12|CreateKey|${tree}Tâche planifiée"
  "12|DeleteKey|${tree}Already Gone"
)
win_exe='C:\Program Files (x86)\ossec-agent\active-response\bin\analyze-scheduled-task.exe'
export TASKLAB_TIME=2022-04-13T11:59:42Z TASKLAB_CHECK_KEYS=0
fail=0
n=0
wine_ms=0
for c in "${cases[@]}"; do
  IFS='|' read -r eid etype target <<<"$c"
  n=$((n + 1))
  s=$(ms)
  message "$eid" "$etype" "$target" | timeout 60 wine "$win_exe" >"$work/win.out" 2>"$work/win.err" || {
    echo "wine-test.sh: case $n ($target): wine run failed (rc $?)"; cat "$work/win.err"; fail=1; }
  e=$(ms); wine_ms=$((wine_ms + e - s))
  message "$eid" "$etype" "$target" | TASKLAB_DRIVE_C="$WINEPREFIX/drive_c" \
    "$lin_agent/active-response/bin/analyze-scheduled-task.exe" >"$work/lin.out" 2>"$work/lin.err" || {
    echo "wine-test.sh: case $n: Linux run failed"; cat "$work/lin.err"; fail=1; }
  printf '  case %d: %-70s wine %4d ms\n' "$n" "${target#"$tree"}" $((e - s))
done
for f in logs/scheduled-tasks.log active-response/active-responses.log; do
  if ! cmp -s <(tr -d '\r' <"$win_agent/$f") "$lin_agent/$f"; then
    echo "wine-test.sh: $f differs between the Windows and the Linux build:"
    diff <(tr -d '\r' <"$win_agent/$f") "$lin_agent/$f" | head -20
    fail=1
  fi
done
lines=$(grep -c '' "$win_agent/logs/scheduled-tasks.log" || true)
crlf=$(grep -c $'\r$' "$win_agent/logs/scheduled-tasks.log" || true)
[ "$lines" = "$n" ] && [ "$crlf" = "$n" ] || { echo "wine-test.sh: expected $n CRLF lines, got $lines ($crlf CRLF)"; fail=1; }
grep -qF '"TaskName": "'"'"'; Start-Process calc; '"'"'"' "$win_agent/logs/scheduled-tasks.log" \
  || { echo "wine-test.sh: hostile name did not round-trip literally"; fail=1; }
grep -qF '"ServerName":"DESKTOP-4E0BQFT"' "$win_agent/logs/scheduled-tasks.log" \
  || { echo "wine-test.sh: ServerName not taken from the alert"; fail=1; }
grep -qF '"Error": "task file not found: C:\\Windows\\System32\\Tasks\\Already Gone"' "$win_agent/logs/scheduled-tasks.log" \
  || { echo "wine-test.sh: no error record for the vanished task"; fail=1; }
t3=$(ms)
echo "wine-test.sh: builds $((t1 - t0)) ms, prefix $((t2 - t1)) ms, $n wine runs $wine_ms ms (avg $((wine_ms / n)) ms), total $((t3 - t0)) ms"
if [ "$fail" = 0 ]; then
  echo "wine-test.sh: Windows and Linux builds wrote identical logs for $n cases"
  echo "$n passed, 0 failed"
else
  echo "0 passed, 1 failed"
fi
exit "$fail"
