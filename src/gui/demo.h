// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QObject>

#include <memory>

namespace voxtrack::server {
class EmbeddedServer;
}

namespace voxtrack::gui {

class MainWindow;

/// `voxtrack --demo`: voxtrackd inside the app on an SQLite database in the user's data
/// directory (utterances stored beside it in demo-audio/), a few days of history seeded into it
/// the first time, and the built-in demo scenario driving gentle spoken conversations through the
/// Simulator's load panel, so that every page has something live to show and to play.
class Demo : public QObject {
    Q_OBJECT

public:
    struct Options {
        /// Where demo.db and the server's journal live (created when missing).
        QString dataDirectory;
        /// Sessions of history seeded into an empty database (0: none).
        int historySessions = 1200;
        /// The agent's replies spoken (espeak-ng) and stored, as the callers' utterances are.
        bool spokenReplies = true;
        /// The scenario the load panel runs.
        QString scenario = QStringLiteral(":/voxtrack/scenarios/demo.json");
    };

    /// Prepares the database and starts the server, then connects the window to both; the
    /// conversations start once the connection bar reports the server. Errors: the database or
    /// the journal cannot be written (db.*, migrate.*, server.journal), no port (server.listen).
    [[nodiscard]] static Expected<std::unique_ptr<Demo>> start(MainWindow& window, Options options);
    /// Stops the conversations and the server: everything accepted is written first.
    ~Demo() override;

    [[nodiscard]] const DatabaseUrl& database() const { return m_database; }
    [[nodiscard]] QUrl serverUrl() const;
    /// The default data directory: ~/.local/share/voxtrack on Linux.
    [[nodiscard]] static QString defaultDataDirectory();

Q_SIGNALS:
    /// The demo's conversations are running.
    void running();

private:
    Demo(MainWindow& window, DatabaseUrl database);

    MainWindow& m_window;
    DatabaseUrl m_database;
    QString m_scenario;
    std::unique_ptr<server::EmbeddedServer> m_server;
    bool m_started = false;
};

} // namespace voxtrack::gui
