// SPDX-License-Identifier: MIT
#include "core/records.h"

#include <QCoreApplication>

#include <array>

namespace voxtrack {

namespace {
constexpr std::array allEndReasons {
    EndReason::ClientClosed, EndReason::Timeout, EndReason::ServerShutdown, EndReason::Recovered};
}

QString endReasonName(EndReason reason)
{
    switch (reason) {
    case EndReason::ClientClosed:
        return QStringLiteral("client_closed");
    case EndReason::Timeout:
        return QStringLiteral("timeout");
    case EndReason::ServerShutdown:
        return QStringLiteral("server_shutdown");
    case EndReason::Recovered:
        return QStringLiteral("recovered");
    }
    Q_UNREACHABLE();
    return {};
}

Expected<EndReason> parseEndReason(QStringView text)
{
    QStringList names;
    for (EndReason reason : allEndReasons) {
        if (text == endReasonName(reason))
            return reason;
        names << endReasonName(reason);
    }
    return Error {QStringLiteral("end_reason.invalid"),
        QCoreApplication::translate("voxtrack::EndReason", "The end reason \"%1\" is not known: use one of %2.")
            .arg(text, names.join(QStringLiteral(", ")))};
}

} // namespace voxtrack
