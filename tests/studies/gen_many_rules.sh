#!/bin/sh
# SPDX-License-Identifier: MIT
# Generate a Wazuh rule file of N rules (default 100,000) for measuring rule
# loading (issue 10: loading was quadratic in the number of rules). Children of
# ten parents under the default profile's 60000 (windows), levels mixed, 500
# distinct field names. Usage: gen_many_rules.sh [N] > rules.xml
#   then: tasklab logtest --rules rules.xml < /dev/null   (under `uptime`)
n=${1:-100000}
awk -v n="$n" 'BEGIN {
    print "<group name=\"gen,\">"
    print "<rule id=\"200000\" level=\"3\"><if_sid>60000</if_sid><description>p0</description></rule>"
    for (i = 1; i < n; i++) {
        p = i < 10 ? 200000 : 200000 + i % 10
        printf "<rule id=\"%d\" level=\"%d\"><if_sid>%d</if_sid><field name=\"f%d\">x%d</field>" \
               "<description>r%d</description></rule>\n", 200000 + i, 1 + (i * 7) % 15, p, i % 500, i, i
    }
    print "</group>"
}'
