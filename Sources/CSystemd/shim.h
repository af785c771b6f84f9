// iotflow-bridge: libsystemd's notify calls for Swift.
// SPDX-License-Identifier: Apache-2.0
//
// No wrappers: sd_notify and sd_watchdog_enabled are plain functions. Only sd-daemon.h is
// exposed; the journal half of libsystemd belongs to the logging work.
#pragma once
#include <systemd/sd-daemon.h>
