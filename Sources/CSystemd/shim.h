// iotflow-bridge: libsystemd's notify and journal calls for Swift.
// SPDX-License-Identifier: Apache-2.0
//
// No wrappers: sd_notify, sd_watchdog_enabled and sd_journal_sendv are plain functions. The
// variadic sd_journal_send/sd_journal_print cannot be called from Swift, and sd-journal.h's
// sd_journal_sendv macro (which adds the C caller's CODE_FILE/CODE_LINE) is not imported, so Swift
// binds to the real symbol and the log handler passes the Swift caller's location itself.
#pragma once
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
