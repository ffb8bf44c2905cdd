// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QStringList>
#include <QStringView>

#include <array>

namespace voxtrack {

/// Who said a message. These are exactly the values the database's
/// conversation_messages_role_check allows; "assistant" cannot be expressed.
enum class Role { User, Agent, System };

inline constexpr std::array allRoles {Role::User, Role::Agent, Role::System};

/// The database spelling: "user", "agent", "system".
[[nodiscard]] QString roleName(Role role);

/// The allowed spellings in database order, for error messages and constraint checks.
[[nodiscard]] QStringList roleNames();

/// Parses the database spelling (exact, lower case). Anything else, "assistant" included,
/// is an Error with code "role.invalid" whose sentence names the allowed values.
[[nodiscard]] Expected<Role> parseRole(QStringView text);

} // namespace voxtrack
