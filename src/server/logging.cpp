// SPDX-License-Identifier: MIT
#include "server/logging.h"

namespace voxtrack::server {
Q_LOGGING_CATEGORY(lcServer, "voxtrack.server", QtInfoMsg)
} // namespace voxtrack::server
