# SPDX-License-Identifier: MIT
# The command-line contract: bad input gives a one-line error naming the file
# (and line), exit status 2, and no partial output.
add_test(NAME cli.contract
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_contract.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.contract PROPERTIES LABELS cli)
tl_add_unit_test(test_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli.c LIBS tl_cli)
add_test(NAME style.exported_symbols
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/symbols.sh $<TARGET_FILE:tl_base> $<TARGET_FILE:tl_sim>
                 $<TARGET_FILE:tl_manager> $<TARGET_FILE:tl_agent> $<TARGET_FILE:tl_ar>
                 $<TARGET_FILE:tl_pipeline> $<TARGET_FILE:tl_cli>
                 $<TARGET_FILE:tl_studies> $<TARGET_FILE:tl_report>)
set_tests_properties(style.exported_symbols PROPERTIES LABELS cli)
# Command-line basics (issue 13): --help everywhere, --version, NO_COLOR, line buffering, JUnit times.
add_test(NAME cli.basics
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_basics.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.basics PROPERTIES LABELS cli)
# Warnings about the user's own rules are printed; --strict-rules; coverage --require gates (issue 13).
add_test(NAME cli.user_rules_warnings
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/user_rules_warnings.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.user_rules_warnings PROPERTIES LABELS cli)
# The rules-repository CI recipe on a throwaway repository (issue 13 item 3).
add_test(NAME cli.rules_repo
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/rules_repo.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.rules_repo PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
# tasklab lint: one broken rule file per check, the stock ruleset's justified findings (issue 13).
add_test(NAME cli.lint
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/lint.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.lint PROPERTIES LABELS cli)
# logtest takes a bare <Event> record (events.xml, wevtutil) as the agent would forward it (issue 13).
add_test(NAME cli.logtest_event_xml
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/logtest_event_xml.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.logtest_event_xml PROPERTIES LABELS cli)
# The expect vocabulary and the Quick start's host changes are documented (issue 13 item 9).
add_test(NAME cli.docs COMMAND ${CMAKE_CURRENT_LIST_DIR}/docs.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.docs PROPERTIES LABELS cli)
# Recording scenarios: names contained, digests-only golden files, skipped without the file (issue 12).
add_test(NAME cli.recording COMMAND ${CMAKE_CURRENT_LIST_DIR}/recording.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.recording PROPERTIES LABELS cli)
# --shard 1/3, 2/3, 3/3 merged with --merge-results == the unsharded run, byte for byte
# (test JUnit, coverage JSON, mutate JSON and JUnit); bad parts exit 2 naming file and path (issue 13).
add_test(NAME cli.merge_results
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/merge_results.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.merge_results PROPERTIES LABELS cli)
# tasklab compare: the twins of shared recordings differ only legitimately; wrong pairings fail (issue 12).
add_test(NAME cli.compare COMMAND ${CMAKE_CURRENT_LIST_DIR}/compare.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.compare PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
# tasklab export: logtest lines and .ini cases give the run's rules and levels back; queue form (issue 13).
add_test(NAME cli.export COMMAND ${CMAKE_CURRENT_LIST_DIR}/export.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.export PROPERTIES LABELS cli)
# explain (issue 13 item 8): Event 12 CreateKey/DeleteKey, chain descriptions filled, dropped events with
# the config rule (whole file path, line, RuleGroup), times on every line, --why-not RULE, AR records folded unless -v.
add_test(NAME cli.explain COMMAND ${CMAKE_CURRENT_LIST_DIR}/explain.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.explain PROPERTIES LABELS cli)
# schtasks /s <host tasklab does not simulate>: said in the run summary, console.txt and explain (issue 14).
add_test(NAME cli.remote_host COMMAND ${CMAKE_CURRENT_LIST_DIR}/remote_host.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.remote_host PROPERTIES LABELS cli)
