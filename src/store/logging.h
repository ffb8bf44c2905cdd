// SPDX-License-Identifier: MIT
#pragma once

#include <QLoggingCategory>

namespace voxtrack::store {
Q_DECLARE_LOGGING_CATEGORY(lcStore)
Q_DECLARE_LOGGING_CATEGORY(lcMigrations)
Q_DECLARE_LOGGING_CATEGORY(lcDoctor)
} // namespace voxtrack::store
