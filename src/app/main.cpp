// SPDX-License-Identifier: MIT
#include "core/databaseurl.h"
#include "core/i18n.h"
#include "gui/connectionbar.h"
#include "gui/demo.h"
#include "gui/mainwindow.h"
#include "gui/sessionspage.h"
#include "gui/settingsdialog.h"
#include "gui/simulatorpage.h"
#include "models/sessionsmodel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QLoggingCategory>
#include <QTimer>

#include <cstdio>
#include <functional>
#include <memory>

namespace {

/// The translation context of this file's texts.
struct Text {
    Q_DECLARE_TR_FUNCTIONS(voxtrack::app)
};

void printError(const QString& message)
{
    std::fprintf(stderr, "voxtrack: %s\n", qPrintable(message));
}

using voxtrack::gui::MainWindow;

/// Saves a picture of each page into directory, one after the other, then calls done(ok).
void takeScreenshots(MainWindow& window, const QString& directory, std::function<void(bool)> done)
{
    struct Shot {
        MainWindow::Page page;
        const char* file;
    };
    static const QList<Shot> shots {{MainWindow::Page::Simulator, "simulator.png"},
        {MainWindow::Page::Sessions, "sessions.png"}, {MainWindow::Page::Conversation, "conversation.png"},
        {MainWindow::Page::Dashboard, "dashboard.png"}, {MainWindow::Page::Health, "health.png"}};
    auto next = std::make_shared<std::function<void(int)>>();
    *next = [&window, directory, done, next](int index) {
        if (index == shots.size()) {
            done(true);
            return;
        }
        if (shots.at(index).page == MainWindow::Page::Conversation) {
            // The newest session that has ended, or else the newest.
            const auto* sessions = window.sessionsPage()->model();
            QString chosen;
            for (int row = 0; row < std::min(sessions->rowCount(), 50) && chosen.isEmpty(); ++row) {
                const QModelIndex cell = sessions->index(row, 0);
                if (!cell.data(voxtrack::models::SessionsModel::ActiveRole).toBool())
                    chosen = cell.data(voxtrack::models::SessionsModel::SessionIdRole).toString();
            }
            if (chosen.isEmpty() && sessions->rowCount() > 0)
                chosen = sessions->index(0, 0).data(voxtrack::models::SessionsModel::SessionIdRole).toString();
            window.openSession(chosen);
        }
        window.showPage(shots.at(index).page);
        // Let the page lay out, load and paint before it is taken.
        QTimer::singleShot(1500, &window, [&window, directory, done, next, index] {
            const QString file = QDir(directory).filePath(QString::fromLatin1(shots.at(index).file));
            if (!window.grab().save(file, "PNG")) {
                printError(Text::tr("Could not write the picture to %1: check the directory exists and is writable. "
                                    "[screenshot.write]")
                               .arg(file));
                done(false);
                return;
            }
            (*next)(index + 1);
        });
    };
    (*next)(0);
}

} // namespace

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("voxtrack"));
    QApplication::setApplicationVersion(QStringLiteral(VOXTRACK_VERSION));
    voxtrack::installTranslators(app, voxtrack::gui::storedLanguage());
    // The window shows what the tracker does; its log lines are for voxtrackd's terminal.
    if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false"));

    QCommandLineParser parser;
    parser.setApplicationDescription(Text::tr(
        "Monitoring and test harness for voice-agent conversation tracking: drives conversations against a server "
        "and shows what reached its PostgreSQL or SQLite database, live."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demoOption(QStringLiteral("demo"),
        Text::tr("Run the demo: a built-in server on an SQLite database in %1, with synthetic conversations "
                 "arriving at a gentle rate.")
            .arg(QDir::toNativeSeparators(voxtrack::gui::Demo::defaultDataDirectory())));
    const QCommandLineOption databaseOption({QStringLiteral("d"), QStringLiteral("db")},
        Text::tr("Database URL to connect to at start: postgresql://user@host:5432/db?sslmode=require, "
                 "sqlite:///path.db or sqlite:relative.db."),
        Text::tr("url"));
    const QCommandLineOption serverOption({QStringLiteral("s"), QStringLiteral("server")},
        Text::tr("Server URL to connect to at start: ws://127.0.0.1:8787/v1/conversation."), Text::tr("url"));
    const QCommandLineOption screenshotsOption(QStringLiteral("screenshots"),
        Text::tr("After --wait seconds, save a PNG picture of each page into this directory, and quit."),
        Text::tr("dir"));
    const QCommandLineOption waitOption(QStringLiteral("wait"),
        Text::tr("Seconds to let conversations arrive before --screenshots (default 10)."), Text::tr("seconds"),
        QStringLiteral("10"));
    parser.addOptions({demoOption, databaseOption, serverOption, screenshotsOption, waitOption});
    parser.process(app);
    if (!parser.positionalArguments().isEmpty()) {
        printError(
            Text::tr("Unexpected argument \"%1\": see --help. [usage]").arg(parser.positionalArguments().constFirst()));
        return 2;
    }
    bool waitOk = false;
    const int waitSeconds = parser.value(waitOption).toInt(&waitOk);
    if (!waitOk || waitSeconds < 0) {
        printError(
            Text::tr("--wait takes a whole number of seconds, not \"%1\". [usage]").arg(parser.value(waitOption)));
        return 2;
    }
    if (parser.isSet(demoOption) && (parser.isSet(databaseOption) || parser.isSet(serverOption))) {
        printError(Text::tr("--demo runs its own server and database: leave out --db and --server. [usage]"));
        return 2;
    }

    MainWindow window;
    std::unique_ptr<voxtrack::gui::Demo> demo;
    if (parser.isSet(demoOption)) {
        auto started = voxtrack::gui::Demo::start(window, {});
        if (!started) {
            printError(started.errorText());
            return 1;
        }
        demo = std::move(*started);
    } else if (parser.isSet(databaseOption) || parser.isSet(serverOption)) {
        window.connectionBar()->connectTo(parser.value(serverOption), parser.value(databaseOption));
    }

    if (parser.isSet(screenshotsOption)) {
        const QString directory = parser.value(screenshotsOption);
        if (!QDir().mkpath(directory)) {
            printError(
                Text::tr("Could not create the directory %1 for the pictures. [screenshot.write]").arg(directory));
            return 2;
        }
        window.resize(1280, 820);
        if (demo) {
            // A conversation by hand in the Simulator, as a person would hold it during the demo.
            QObject::connect(demo.get(), &voxtrack::gui::Demo::running, &window, [&window] {
                auto* simulator = window.simulatorPage();
                simulator->startSession();
                QObject::connect(simulator, &voxtrack::gui::SimulatorPage::sessionStarted, &window, [simulator] {
                    simulator->sendText(voxtrack::gui::SimulatorPage::tr("What's the price of Tesla?"));
                });
            });
        }
        QTimer::singleShot(waitSeconds * 1000, &window, [&window, directory] {
            takeScreenshots(window, directory, [](bool ok) { QCoreApplication::exit(ok ? 0 : 2); });
        });
    }

    window.show();
    const int status = app.exec();
    demo.reset(); // the server stops before the window goes
    return status;
}
