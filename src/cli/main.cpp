// SPDX-License-Identifier: MIT
#include "cli/commands.h"
#include "core/i18n.h"

#include <QCoreApplication>

int main(int argc, char* argv[])
{
    // Log lines read like the rest of the tool's output: "voxtrack.store.migrations: applying …".
    qSetMessagePattern(QStringLiteral("%{if-category}%{category}: %{endif}%{message}"));
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("voxtrack"));
    QCoreApplication::setApplicationVersion(QStringLiteral(VOXTRACK_VERSION));
    voxtrack::installTranslators(app);
    return voxtrack::cli::run(QCoreApplication::arguments());
}
