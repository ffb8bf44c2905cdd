// SPDX-License-Identifier: MIT
#include "core/databaseurl.h"
#include "core/i18n.h"
#include "gui/healthpage.h"
#include "gui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>

namespace {

/// The translation context of this file's texts.
struct Text {
    Q_DECLARE_TR_FUNCTIONS(voxtrack::app)
};

void printError(const QString& message)
{
    std::fprintf(stderr, "voxtrack: %s\n", qPrintable(message));
}

} // namespace

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("voxtrack"));
    QApplication::setApplicationVersion(QStringLiteral(VOXTRACK_VERSION));
    voxtrack::installTranslators(app);

    QCommandLineParser parser;
    parser.setApplicationDescription(Text::tr(
        "Monitoring and test harness for voice-agent conversation tracking: checks the conversation tables of a "
        "PostgreSQL or SQLite database."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption databaseOption({QStringLiteral("d"), QStringLiteral("db")},
        Text::tr(
            "Database URL to check at start: postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path.db "
            "or sqlite:relative.db. Default: $VOXTRACK_DB, else %1.")
            .arg(voxtrack::DatabaseUrl::defaultLocation()),
        Text::tr("url"));
    parser.addOption(databaseOption);
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
        Text::tr("Run the doctor, save a PNG picture of the window to file, and quit."), Text::tr("file"));
    parser.addOption(screenshotOption);
    parser.process(app);
    if (!parser.positionalArguments().isEmpty()) {
        printError(
            Text::tr("Unexpected argument \"%1\": see --help. [usage]").arg(parser.positionalArguments().constFirst()));
        return 2;
    }

    voxtrack::gui::MainWindow window;
    voxtrack::gui::HealthPage* health = window.healthPage();
    if (parser.isSet(databaseOption))
        health->setDatabaseUrl(parser.value(databaseOption));

    if (parser.isSet(screenshotOption)) {
        const QString file = parser.value(screenshotOption);
        window.resize(1100, 700);
        QObject::connect(health, &voxtrack::gui::HealthPage::doctorFinished, &window, [&window, file] {
            // Let the view lay out and paint the new rows first.
            QTimer::singleShot(100, &window, [&window, file] {
                if (!window.grab().save(file, "PNG")) {
                    printError(
                        Text::tr("Could not write the picture to %1: check the directory exists and is writable. "
                                 "[screenshot.write]")
                            .arg(file));
                    QCoreApplication::exit(2);
                    return;
                }
                QCoreApplication::quit();
            });
        });
    }

    window.show();
    if (parser.isSet(databaseOption) || parser.isSet(screenshotOption))
        QTimer::singleShot(0, health, &voxtrack::gui::HealthPage::runDoctor);
    return app.exec();
}
