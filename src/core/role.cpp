// SPDX-License-Identifier: MIT
#include "core/role.h"

#include <QCoreApplication>

namespace voxtrack {

QString roleName(Role role)
{
    switch (role) {
    case Role::User:
        return QStringLiteral("user");
    case Role::Agent:
        return QStringLiteral("agent");
    case Role::System:
        return QStringLiteral("system");
    }
    Q_UNREACHABLE();
    return {};
}

QStringList roleNames()
{
    QStringList names;
    for (Role role : allRoles)
        names << roleName(role);
    return names;
}

Expected<Role> parseRole(QStringView text)
{
    for (Role role : allRoles) {
        if (text == roleName(role))
            return role;
    }
    const QString allowed = roleNames().join(QStringLiteral(", "));
    QString message;
    if (text.compare(u"assistant", Qt::CaseInsensitive) == 0) {
        message = QCoreApplication::translate("voxtrack::Role",
            "The role \"%1\" is not allowed: use \"agent\" for the agent's replies "
            "(allowed roles: %2).")
                      .arg(text, allowed);
    } else if (text.isEmpty()) {
        message = QCoreApplication::translate("voxtrack::Role", "The role is empty: use one of %1.").arg(allowed);
    } else {
        message = QCoreApplication::translate("voxtrack::Role", "The role \"%1\" is not allowed: use one of %2.")
                      .arg(text, allowed);
    }
    return Error {QStringLiteral("role.invalid"), message};
}

} // namespace voxtrack
