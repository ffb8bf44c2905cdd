// SPDX-License-Identifier: MIT
#pragma once

#include <QLoggingCategory>

namespace voxtrack::server {
Q_DECLARE_LOGGING_CATEGORY(lcServer)
} // namespace voxtrack::server
