// SPDX-License-Identifier: MIT
#pragma once

#include <QLoggingCategory>

namespace voxtrack::tracker {
/// The tracker's indicators: "Started session …", "Saved user message …", "Ended session …".
Q_DECLARE_LOGGING_CATEGORY(lcTracker)
Q_DECLARE_LOGGING_CATEGORY(lcWriter)
Q_DECLARE_LOGGING_CATEGORY(lcJournal)
} // namespace voxtrack::tracker
