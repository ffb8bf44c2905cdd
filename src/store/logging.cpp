// SPDX-License-Identifier: MIT
#include "store/logging.h"

namespace voxtrack::store {
Q_LOGGING_CATEGORY(lcStore, "voxtrack.store", QtInfoMsg)
Q_LOGGING_CATEGORY(lcMigrations, "voxtrack.store.migrations", QtInfoMsg)
Q_LOGGING_CATEGORY(lcDoctor, "voxtrack.store.doctor", QtInfoMsg)
} // namespace voxtrack::store
