// SPDX-License-Identifier: MIT
#include "gui/demo.h"
#include "speech/synthesizer.h"

#include "gui/connectionbar.h"
#include "gui/loadpanel.h"
#include "gui/mainwindow.h"
#include "gui/simulatorpage.h"
#include "server/embeddedserver.h"
#include "store/connection.h"
#include "store/migrator.h"
#include "tracker/seeder.h"

#include <QDir>
#include <QStandardPaths>

namespace voxtrack::gui {

namespace {

/// A fresh demo database gets some history, so the dashboard has days to show from the start.
Status seedHistory(const DatabaseUrl& url, int sessions)
{
    auto connection = store::Connection::open(url);
    if (!connection)
        return connection.error();
    if (auto migrated = store::Migrator(**connection).migrate(); !migrated)
        return migrated.error();
    const auto existing = (*connection)->scalar(QStringLiteral("SELECT count(*) FROM conversation_sessions"));
    if (!existing)
        return existing.error();
    if (existing->toLongLong() > 0 || sessions <= 0)
        return {};
    tracker::SeedOptions options;
    options.sessions = sessions;
    options.messagesPerSession = 8;
    options.days = 3;
    options.activePercent = 0;
    options.users = 60;
    // Only the calls made live have recordings: the history is not offered for playing.
    options.audioUrls = false;
    const auto seeded = tracker::Seeder(**connection, options).run();
    if (!seeded)
        return seeded.error();
    return {};
}

} // namespace

Demo::Demo(MainWindow& window, DatabaseUrl database)
    : m_window(window)
    , m_database(std::move(database))
{
}

Demo::~Demo() = default;

QString Demo::defaultDataDirectory()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation))
        .filePath(QStringLiteral("voxtrack"));
}

QUrl Demo::serverUrl() const
{
    return m_server ? m_server->url() : QUrl();
}

Expected<std::unique_ptr<Demo>> Demo::start(MainWindow& window, Options options)
{
    const QDir directory(options.dataDirectory.isEmpty() ? defaultDataDirectory() : options.dataDirectory);
    if (!directory.mkpath(QStringLiteral("."))) {
        return Error {QStringLiteral("demo.data_directory"),
            tr("Could not create the data directory %1: check its parent is writable, or set XDG_DATA_HOME.")
                .arg(directory.path())};
    }
    auto url = DatabaseUrl::parse(QStringLiteral("sqlite://") + directory.absoluteFilePath(QStringLiteral("demo.db")));
    if (!url)
        return url.error();
    if (Status seeded = seedHistory(*url, options.historySessions); !seeded.isNull())
        return seeded;

    server::EmbeddedServer::Options serverOptions;
    serverOptions.database = *url;
    serverOptions.journalDirectory = directory.absoluteFilePath(QStringLiteral("demo-journal"));
    // The callers speak; the agent answers aloud too: every message of a demo call can be played.
    serverOptions.audioDirectory = directory.absoluteFilePath(QStringLiteral("demo-audio"));
    if (options.spokenReplies) {
        serverOptions.server.speaker = [](const QString& text) { return speech::synthesize(text, speech::Voice {}); };
    }
    auto embedded = server::EmbeddedServer::start(serverOptions);
    if (!embedded)
        return embedded.error();

    std::unique_ptr<Demo> demo(new Demo(window, *url));
    demo->m_server = std::move(*embedded);
    demo->m_scenario = options.scenario;
    window.setBadge(tr("Demo"));
    Demo* self = demo.get();
    // The conversations begin once the connection bar has reached the server.
    connect(window.connectionBar(), &ConnectionBar::serverConnected, self, [self] {
        if (self->m_started)
            return;
        LoadPanel* load = self->m_window.simulatorPage()->loadPanel();
        if (!load || !load->selectScenario(self->m_scenario))
            return;
        self->m_started = true;
        load->start();
        Q_EMIT self->running();
    });
    window.connectionBar()->connectTo(demo->m_server->url().toString(), url->toString());
    return demo;
}

} // namespace voxtrack::gui
