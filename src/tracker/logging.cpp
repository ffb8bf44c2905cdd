// SPDX-License-Identifier: MIT
#include "tracker/logging.h"

namespace voxtrack::tracker {
Q_LOGGING_CATEGORY(lcTracker, "voxtrack.tracker", QtInfoMsg)
Q_LOGGING_CATEGORY(lcWriter, "voxtrack.tracker.writer", QtInfoMsg)
Q_LOGGING_CATEGORY(lcJournal, "voxtrack.tracker.journal", QtInfoMsg)
} // namespace voxtrack::tracker
